"""Telegram adapters: parse an update, call a service in `bot`, format the reply."""
