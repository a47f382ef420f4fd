"""The reader's locale: every view is worded in the catalogue of the user it is for (bot/users.py stores it)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from bot.context import services
from i18n import SOURCE_LOCALE


async def locale_of(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str:
    """The locale of the user an update came from; their first update stores Telegram's language_code for them."""
    user = update.effective_user
    if user is None:
        return SOURCE_LOCALE
    return await services(context).users.locale(user.id, user.language_code)


async def locale_of_user(context: ContextTypes.DEFAULT_TYPE, telegram_user_id: int) -> str:
    """The stored locale of a user a job writes to (no update to learn it from)."""
    return await services(context).users.locale(telegram_user_id)
