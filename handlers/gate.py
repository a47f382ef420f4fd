"""One authorization gate in front of every handler: the optional allow-list of a private deployment."""

from __future__ import annotations

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import Application, ApplicationHandlerStop, ContextTypes, TypeHandler

from bot.context import services
from handlers import key_guard
from handlers.locale import telegram_locale
from handlers.replies import reply
from i18n import t


async def enforce_allow_list(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stop updates from users outside TALLYBOT_ALLOWED_USERS before any handler sees them."""
    allowed = services(context).settings.allowed_users
    user = update.effective_user
    if not allowed or (user is not None and user.id in allowed):
        return
    # A stranger is not stored: they read the language their Telegram app sends.
    refusal = t("gate.not_allowed", locale=telegram_locale(update))
    if update.callback_query is not None:
        await update.callback_query.answer(refusal, show_alert=True)
    elif update.effective_chat is not None and update.effective_chat.type == ChatType.PRIVATE:
        await reply(update, refusal)
    raise ApplicationHandlerStop


def register(application: Application) -> None:  # type: ignore[type-arg]
    # Key material is deleted before anything else looks at the update, strangers' included.
    key_guard.register(application)
    application.add_handler(TypeHandler(Update, enforce_allow_list), group=-1)
