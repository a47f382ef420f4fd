"""The one error handler: a redacted summary in the log, a plain apology to the user."""

from __future__ import annotations

import logging
import traceback

from telegram import Update
from telegram.ext import Application, ContextTypes

from handlers.locale import locale_of, telegram_locale
from handlers.replies import reply
from i18n import t

log = logging.getLogger("tallybot.errors")


def summarize(update: object, error: BaseException | None) -> str:
    """Where it failed and what type of error, never the update itself nor the exception text:
    the update may hold a pasted key, and exchange errors quote signed URLs."""
    update_id = update.update_id if isinstance(update, Update) else None
    kind = type(error).__name__ if error else "unknown"
    frames = traceback.extract_tb(error.__traceback__) if error else []
    where = " <- ".join(
        f"{frame.name} ({frame.filename.rsplit('/', 1)[-1]}:{frame.lineno})" for frame in reversed(frames)
    )
    return f"update {update_id} failed with {kind} at {where or 'unknown location'}"


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    log.error("%s", summarize(update, context.error))
    if isinstance(update, Update) and update.effective_chat is not None:
        try:
            try:
                locale = await locale_of(update, context)
            except Exception:  # the error may be the database's: the language Telegram sends will do
                locale = telegram_locale(update)
            await reply(update, t("error.internal", locale=locale))
        except Exception as exc:  # the apology itself failed (Telegram down): the log line above is enough
            log.warning("could not tell the user about the error: %s", type(exc).__name__)


def register(application: Application) -> None:  # type: ignore[type-arg]
    application.add_error_handler(on_error)
