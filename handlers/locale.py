"""The reader's locale: every view is worded in the catalogue of the user it is for (bot/users.py stores it)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from bot.context import services
from i18n import SOURCE_LOCALE, resolve_locale


async def locale_of(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str:
    """The locale of the user an update came from: their stored language's, else their Telegram app's. Reads only,
    so a stale button or a stranger's message creates no user row (/start stores the language: `remember`)."""
    user = update.effective_user
    if user is None:
        return SOURCE_LOCALE
    return await services(context).users.locale(user.id, user.language_code)


async def remember(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """First contact: keep the language Telegram sends as the user's (kept if they already have one)."""
    user = update.effective_user
    if user is not None:
        await services(context).users.remember_language(user.id, user.language_code)


def telegram_locale(update: Update) -> str:
    """The catalogue of the language the user's Telegram app sends, without the database: for strangers the
    allow-list stops, and for the apology of an error that may be the database's own."""
    user = update.effective_user
    return resolve_locale(user.language_code or SOURCE_LOCALE) if user is not None else SOURCE_LOCALE


async def locale_of_user(context: ContextTypes.DEFAULT_TYPE, telegram_user_id: int) -> str:
    """The stored locale of a user a job writes to (no update to learn it from)."""
    return await services(context).users.locale(telegram_user_id)
