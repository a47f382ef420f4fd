"""Polite answers for whatever no other handler took. Registered last: within a handler group PTB
stops at the first match, so every feature registered before these wins."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, ContextTypes, MessageHandler, filters

from handlers.locale import locale_of
from handlers.replies import reply
from i18n import t

PRIVATE = filters.ChatType.PRIVATE


async def unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A command no handler took. The command is not echoed: a user may have pasted a key after the slash."""
    await reply(update, t("fallback.unknown_command", locale=await locale_of(update, context)))


async def stale_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A button from a menu no conversation owns any more."""
    if update.callback_query is not None:
        await update.callback_query.answer(t("button.stale", locale=await locale_of(update, context)), show_alert=True)


FALLBACK_GROUP = 10


def register(application: Application) -> None:  # type: ignore[type-arg]
    application.add_handler(MessageHandler(PRIVATE & filters.COMMAND, unknown_command))
    application.add_handler(CallbackQueryHandler(stale_button))
