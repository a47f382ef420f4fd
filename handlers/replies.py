"""A reply in the chat an update came from, through the one way out (handlers/outbound.py)."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Message, Update

from handlers import outbound


async def reply(update: Update, text: str, keyboard: InlineKeyboardMarkup | None = None) -> Message | None:
    """Reply (HTML) in the chat the update came from; returns the last message sent."""
    chat = update.effective_chat
    if chat is None:
        return None
    return await outbound.send(chat.get_bot(), chat.id, text, keyboard)
