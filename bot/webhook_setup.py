"""`tallybot set-webhook` and `tallybot delete-webhook`: done once by the operator, never by a replica's start.

setWebhook is given the secret every request will carry (`secret_token`), the update types the bot handles
(`allowed_updates`, as long polling asks for them) and `max_connections` (1-100, Telegram's default 40: how many
requests it sends at once, so how many updates of different chats the replicas work on together).
"""

from __future__ import annotations

from telegram import Bot, WebhookInfo

from bot.app import ALLOWED_UPDATES
from bot.secret import registry
from bot.settings import Settings


def _bot(settings: Settings) -> Bot:
    return Bot(
        settings.require_token(),
        base_url=settings.telegram_api_base_url,
        base_file_url=settings.telegram_file_base_url,
    )


async def set_webhook(settings: Settings, url: str, *, drop_pending_updates: bool) -> WebhookInfo:
    secret = settings.require_webhook_secret()
    registry.pin(secret)  # python-telegram-bot logs setWebhook's parameters, secret_token included, at DEBUG
    async with _bot(settings) as bot:
        await bot.set_webhook(
            url,
            secret_token=secret,
            allowed_updates=ALLOWED_UPDATES,
            max_connections=settings.webhook_max_connections,
            drop_pending_updates=drop_pending_updates,
        )
        return await bot.get_webhook_info()


async def delete_webhook(settings: Settings, *, drop_pending_updates: bool) -> WebhookInfo:
    async with _bot(settings) as bot:
        await bot.delete_webhook(drop_pending_updates=drop_pending_updates)
        return await bot.get_webhook_info()
