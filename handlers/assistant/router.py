"""Wiring: which update goes to which Assistant step, /cancel, groups, the timeout sweeper, restart resume."""

from __future__ import annotations

import logging
from html import escape

from telegram import Message, Update
from telegram.error import TelegramError
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes, MessageHandler, filters

from bot.assistant.state import Step
from bot.commands import names_a_command
from bot.context import SETTINGS_KEY, services
from connectors.profiles import get_profile
from handlers import outbound
from handlers.assistant import texts
from handlers.assistant.buttons import parse
from handlers.assistant.render import assistant_of, render
from handlers.assistant.secrets import receive_field
from handlers.callbacks import ASSISTANT
from handlers.fallbacks import unknown_command
from handlers.locale import locale_of, locale_of_user, remember
from handlers.replies import reply
from i18n import t, tn

log = logging.getLogger(__name__)

PRIVATE = filters.ChatType.PRIVATE
SWEEP_EVERY_SECONDS = 30.0


class _OwnCommand(filters.MessageFilter):
    """One of Tallybot's own commands (bot/commands.py), not just any text Telegram marks as a command."""

    def filter(self, message: Message) -> bool:
        return names_a_command(message.text or "")


OWN_COMMAND = _OwnCommand(name="OWN_COMMAND")


async def open_assistant(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/start and /connect: a fresh flow at the exchange picker (an unfinished one is replaced)."""
    user, chat, message = update.effective_user, update.effective_chat, update.effective_message
    if user is None or chat is None:
        return
    outcome = await assistant_of(context).open(user.id, chat.id)
    await remember(update, context)  # the first contact: the language Telegram sends becomes the user's
    if message is not None and message.text and message.text.startswith("/start"):
        await reply(update, t("start.welcome", locale=await locale_of(update, context)))
    await render(update, context, outcome)


async def cancel(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/cancel: wipe the flow and everything typed into it."""
    if update.effective_user is None:
        return
    wiped = await assistant_of(context).cancel(update.effective_user.id)
    locale = await locale_of(update, context)
    await reply(
        update, t("assistant.cancelled", locale=locale) if wiped else t("assistant.nothing_to_cancel", locale=locale)
    )


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Every Assistant button: the service judges it (ownership, stale menu, refusal) and carries it out."""
    query, user, chat = update.callback_query, update.effective_user, update.effective_chat
    if query is None or user is None:
        return
    private = chat is not None and chat.type == chat.PRIVATE
    assistant = assistant_of(context)
    outcome = await assistant.press(user.id, chat.id if private and chat is not None else None, parse(query.data))
    # A press is answered exactly once (Telegram refuses a second answer): with the alert, or plainly.
    if outcome.alert is not None:
        await query.answer(texts.plain(outcome.alert, await locale_of(update, context)), show_alert=True)
    else:
        await query.answer()
    if outcome.check_now and outcome.draft is not None:
        draft = outcome.draft
        exchange = escape(get_profile(draft.state.exchange_id or "").name)
        checking = t("assistant.checking", locale=await locale_of(update, context), exchange=exchange)
        status = await outbound.send(context.bot, draft.chat_id, checking)
        await render(update, context, await assistant.check_and_connect(draft), status=status)
        return
    await render(update, context, outcome)


# --- typed replies ----------------------------------------------------------------------------------------


async def on_private_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """New, edited and forwarded private messages: a credential where one is asked for, else by step. Key material
    anywhere else never gets here: handlers/key_guard.py deletes it and stops the update first."""
    message = update.effective_message
    user = update.effective_user
    if message is None or user is None:
        return
    assistant = assistant_of(context)
    draft = await assistant.draft(user.id)
    edited = update.edited_message is not None
    if draft is not None and draft.state.step == Step.FIELD and not edited:
        # Only a new message is a key: an edit of an old one is never taken (handlers/key_guard.py deletes it).
        await receive_field(update, context, draft, message)
    elif edited:
        return  # an ordinary edit of an ordinary message needs no answer
    elif (message.text or "").startswith("/"):
        await unknown_command(update, context)
    elif draft is None:
        await reply(update, t("fallback.plain_text", locale=await locale_of(update, context)))
    else:
        await render(update, context, await assistant.accept_text(draft, message.text or ""))


# --- time-outs and restarts -----------------------------------------------------------------------------------


async def sweep_expired(context: ContextTypes.DEFAULT_TYPE) -> None:
    svc = services(context)
    minutes = max(1, round(svc.drafts.timeout.total_seconds() / 60))
    for draft in await svc.drafts.sweep_expired():
        try:
            locale = await locale_of_user(context, draft.telegram_user_id)
            await outbound.send(context.bot, draft.chat_id, tn("assistant.timed_out", minutes, locale=locale))
        except TelegramError as problem:
            log.warning("could not tell a user their flow timed out: %s", type(problem).__name__)


async def resume_after_restart(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Tell each user with an unfinished flow where they were and ask for what is missing."""
    assistant = assistant_of(context)
    for draft in await services(context).drafts.open_drafts():
        try:
            await render(Update(update_id=0), context, await assistant.resume(draft))
        except TelegramError as problem:
            log.warning("could not resume a flow after restart: %s", type(problem).__name__)


def register(application: Application) -> None:  # type: ignore[type-arg]
    application.add_handler(CommandHandler(["start", "connect"], open_assistant, filters=PRIVATE))
    application.add_handler(CommandHandler("cancel", cancel, filters=PRIVATE))
    application.add_handler(CallbackQueryHandler(on_button, pattern=ASSISTANT.pattern))
    text_updates = filters.UpdateType.MESSAGE | filters.UpdateType.EDITED_MESSAGE
    # Not ~filters.COMMAND: a secret that starts with "/" is marked as a bot command by Telegram, and at the key step
    # it must reach the Assistant; only Tallybot's own commands go to their handlers.
    application.add_handler(MessageHandler(PRIVATE & filters.TEXT & ~OWN_COMMAND & text_updates, on_private_text))
    if application.job_queue is not None:
        timeout: float = application.bot_data[SETTINGS_KEY].assistant_timeout_seconds
        # Sweep often enough that a flow is wiped close to its time-out, not up to a whole interval late.
        every = min(SWEEP_EVERY_SECONDS, max(timeout / 4, 0.2))
        # APScheduler drops a job that starts more than a second late unless told otherwise; under load at
        # start-up that would silently skip telling users where they were.
        late_is_fine = {"misfire_grace_time": None}
        application.job_queue.run_repeating(
            sweep_expired, interval=every, first=every, job_kwargs={**late_is_fine, "coalesce": True}
        )
        application.job_queue.run_once(resume_after_restart, when=0, job_kwargs=late_is_fine)
