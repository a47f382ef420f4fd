"""Wiring: which update goes to which Assistant step, /cancel, groups, the timeout sweeper, restart resume."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from html import escape

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes, MessageHandler, filters

from bot import texts as common_texts
from bot.assistant import texts
from bot.assistant.drafts import Draft
from bot.assistant.state import DraftState, Mode, Step
from bot.context import SETTINGS_KEY, services
from connectors.profiles import UnknownExchange, get_profile
from handlers import outbound
from handlers.assistant import check, flow, keypair, views
from handlers.assistant.buttons import Action, Pressed, parse
from handlers.assistant.secrets import receive_field
from handlers.callbacks import ASSISTANT
from handlers.replies import reply

log = logging.getLogger(__name__)

PRIVATE = filters.ChatType.PRIVATE
SWEEP_EVERY_SECONDS = 30.0

Step_ = Callable[[Update, ContextTypes.DEFAULT_TYPE, Draft, Pressed], Awaitable[None]]


async def open_assistant(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/start and /connect: a fresh flow at the exchange picker (an unfinished one is replaced)."""
    user, chat, message = update.effective_user, update.effective_chat, update.effective_message
    if user is None or chat is None:
        return
    svc = services(context)
    await svc.users.register(user.id)
    if message is not None and message.text and message.text.startswith("/start"):
        await reply(update, common_texts.WELCOME)
    draft = await svc.drafts.begin(user.id, chat.id, DraftState())
    await flow.show(update, context, draft, views.picker(draft), edit=False)


async def cancel(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/cancel: wipe the flow and everything typed into it."""
    if update.effective_user is None:
        return
    wiped = await services(context).drafts.finish(update.effective_user.id)
    await reply(update, texts.CANCELLED if wiped else texts.NOTHING_TO_CANCEL)


# --- buttons -------------------------------------------------------------------------------------------


async def _toggle(update: Update, context: ContextTypes.DEFAULT_TYPE, draft: Draft, pressed: Pressed) -> None:
    await flow.toggle_exchange(update, context, draft, pressed.argument)


async def _page(update: Update, context: ContextTypes.DEFAULT_TYPE, draft: Draft, pressed: Pressed) -> None:
    draft.state.page = max(0, int(pressed.argument or 0)) if pressed.argument.isdigit() else 0
    draft.state.search = None
    await flow.show(update, context, draft, views.picker(draft), edit=True)


async def _confirm(update: Update, context: ContextTypes.DEFAULT_TYPE, draft: Draft, pressed: Pressed) -> None:
    await flow.begin_exchange(update, context, draft, 0)


async def _key_type(update: Update, context: ContextTypes.DEFAULT_TYPE, draft: Draft, pressed: Pressed) -> None:
    profile = flow.profile_of(draft)
    if pressed.argument not in {key_type.id for key_type in profile.pasted_key_types}:
        return
    draft.state.key_type = pressed.argument
    draft.state.field_index = 0
    draft.state.step = Step.FIELD
    await services(context).drafts.clear_secrets(draft)
    await flow.show(update, context, draft, views.ask_field(draft, profile), edit=False)


async def _check(update: Update, context: ContextTypes.DEFAULT_TYPE, draft: Draft, pressed: Pressed) -> None:
    await check.check_and_store(update, context, draft)


async def _advanced(update: Update, context: ContextTypes.DEFAULT_TYPE, draft: Draft, pressed: Pressed) -> None:
    draft.state.step = Step.ADVANCED
    await flow.show(update, context, draft, views.advanced(draft, flow.profile_of(draft)), edit=True)


async def _ask(update: Update, context: ContextTypes.DEFAULT_TYPE, draft: Draft, pressed: Pressed) -> None:
    step = {Action.NAME: Step.ASK_NAME, Action.SUBACCOUNT: Step.ASK_SUBACCOUNT, Action.DATE: Step.ASK_DATE}
    draft.state.step = step[pressed.action]
    await flow.show(update, context, draft, views.prompt_for(draft, draft.state.step), edit=False)


async def _clear_date(update: Update, context: ContextTypes.DEFAULT_TYPE, draft: Draft, pressed: Pressed) -> None:
    draft.state.sync_from = None
    await flow.show(update, context, draft, views.advanced(draft, flow.profile_of(draft)), edit=True)


async def _endpoint(update: Update, context: ContextTypes.DEFAULT_TYPE, draft: Draft, pressed: Pressed) -> None:
    profile = flow.profile_of(draft)
    offered = {str(spec.endpoint) for spec in profile.endpoints_for(draft.state.key_type)}
    if pressed.argument not in offered:
        return
    enabled = views.enabled_endpoints(draft, profile)
    if pressed.argument in enabled:
        enabled.remove(pressed.argument)
    else:
        enabled.append(pressed.argument)
    draft.state.endpoints = enabled
    await flow.show(update, context, draft, views.advanced(draft, profile), edit=True)


async def _back(update: Update, context: ContextTypes.DEFAULT_TYPE, draft: Draft, pressed: Pressed) -> None:
    if draft.state.mode == Mode.OPTIONS:
        await flow.save_options(update, context, draft)
        return
    draft.state.step = Step.REVIEW
    profile = flow.profile_of(draft)
    await flow.show(
        update, context, draft, views.review(draft, profile, await flow.fingerprint(context, draft)), edit=True
    )


async def _retry(update: Update, context: ContextTypes.DEFAULT_TYPE, draft: Draft, pressed: Pressed) -> None:
    profile = flow.profile_of(draft)
    if pressed.argument == "kt":
        draft.state.step = Step.KEY_TYPE
        await flow.show(update, context, draft, views.key_types(draft, profile), edit=False)
        return
    fields = flow.key_type_of(draft, profile).fields
    index = int(pressed.argument) if pressed.argument.isdigit() else 0
    draft.state.field_index = min(index, len(fields) - 1)
    draft.state.step = Step.FIELD
    await flow.show(update, context, draft, views.ask_field(draft, profile), edit=False)


async def _skip(update: Update, context: ContextTypes.DEFAULT_TYPE, draft: Draft, pressed: Pressed) -> None:
    if draft.state.exchange_id is not None:
        draft.state.skipped.append(draft.state.exchange_id)
    await flow.next_exchange(update, context, draft)


async def _cancel_button(update: Update, context: ContextTypes.DEFAULT_TYPE, draft: Draft, pressed: Pressed) -> None:
    await services(context).drafts.finish(draft.telegram_user_id)
    if update.callback_query is not None:
        await outbound.edit_pressed(update.callback_query, escape(texts.CANCELLED))


AFTER_PICK = {
    Step.KEY_TYPE,
    Step.FIELD,
    Step.REVIEW,
    Step.ADVANCED,
    Step.ASK_NAME,
    Step.ASK_SUBACCOUNT,
    Step.ASK_DATE,
    Step.FAILED,
}
# Each action, and the steps in which its button is live; a press in any other step is a stale menu.
ACTIONS: dict[str, tuple[Step_, set[Step]]] = {
    Action.TOGGLE: (_toggle, {Step.PICK}),
    Action.PAGE: (_page, {Step.PICK}),
    Action.CONFIRM: (_confirm, {Step.PICK}),
    Action.KEY_TYPE: (_key_type, {Step.KEY_TYPE}),
    Action.CHECK: (_check, {Step.REVIEW, Step.FAILED}),
    Action.ADVANCED: (_advanced, {Step.REVIEW, Step.ASK_NAME, Step.ASK_SUBACCOUNT, Step.ASK_DATE}),
    Action.NAME: (_ask, {Step.ADVANCED}),
    Action.SUBACCOUNT: (_ask, {Step.ADVANCED}),
    Action.DATE: (_ask, {Step.ADVANCED}),
    Action.CLEAR_DATE: (_clear_date, {Step.ADVANCED}),
    Action.ENDPOINT: (_endpoint, {Step.ADVANCED}),
    Action.BACK: (_back, {Step.ADVANCED}),
    Action.RETRY_FIELD: (_retry, {Step.FAILED}),
    Action.MAKE_KEY: (keypair.make_key, {Step.FIELD}),
    Action.OWN_KEY: (keypair.own_key, {Step.FIELD}),
    Action.SKIP: (_skip, AFTER_PICK),
    Action.CANCEL: (_cancel_button, {Step.PICK} | AFTER_PICK),
}


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Every Assistant button. Ownership: the draft is looked up by the presser, and the token must match."""
    query = update.callback_query
    user = update.effective_user
    if query is None or user is None:
        return
    pressed = parse(query.data)
    svc = services(context)
    draft = await svc.drafts.load(user.id)
    entry = ACTIONS.get(pressed.action) if pressed is not None else None
    if pressed is None or draft is None or pressed.token != draft.token or entry is None:
        await stale(update, context, draft)
        return
    handler, live_in = entry
    if draft.state.step not in live_in:
        await stale(update, context, draft)
        return
    # A press is answered exactly once (Telegram refuses a second answer): with the alert, or plainly.
    refusal = refuse(draft, pressed)
    if refusal is not None:
        await query.answer(refusal, show_alert=True)
        return
    await query.answer()
    await handler(update, context, draft, pressed)


def refuse(draft: Draft, pressed: Pressed) -> str | None:
    """Why a press cannot be carried out, as an alert, or None."""
    if pressed.action == Action.CONFIRM and not draft.state.picked:
        return texts.NOTHING_PICKED
    if pressed.action == Action.TOGGLE:
        try:
            get_profile(pressed.argument)
        except UnknownExchange as problem:
            return str(problem)[:190]
    if pressed.action == Action.ENDPOINT:
        enabled = views.enabled_endpoints(draft, flow.profile_of(draft))
        if enabled == [pressed.argument]:
            return texts.NO_ENDPOINT
    return None


async def stale(update: Update, context: ContextTypes.DEFAULT_TYPE, draft: Draft | None) -> None:
    """A button from an old menu: say so, and give a fresh menu of where the user really is."""
    if update.callback_query is not None:
        await update.callback_query.answer(texts.EXPIRED_MENU, show_alert=True)
    if draft is None:
        user, chat = update.effective_user, update.effective_chat
        if user is None or chat is None or chat.type != chat.PRIVATE:
            return
        draft = await services(context).drafts.begin(user.id, chat.id, DraftState())
    await flow.show(update, context, draft, await flow.current_view(context, draft), edit=False)


# --- typed replies ----------------------------------------------------------------------------------------


async def on_private_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """New, edited and forwarded private messages: a credential where one is asked for, else by step. Key material
    anywhere else never gets here: handlers/key_guard.py deletes it and stops the update first."""""
    message = update.effective_message
    user = update.effective_user
    if message is None or user is None:
        return
    draft = await services(context).drafts.load(user.id)
    edited = update.edited_message is not None
    if draft is not None and draft.state.step == Step.FIELD and not edited:
        # Only a new message is a key: an edit of an old one is never taken (handlers/key_guard.py deletes it).
        await receive_field(update, context, draft, message)
    elif edited:
        return  # an ordinary edit of an ordinary message needs no answer
    elif draft is None:
        await reply(update, common_texts.PLAIN_TEXT_HINT)
    elif draft.state.step == Step.PICK:
        await flow.search(update, context, draft, message.text or "")
    elif draft.state.step in (Step.ASK_NAME, Step.ASK_SUBACCOUNT, Step.ASK_DATE):
        await flow.typed_option(update, context, draft, message.text or "")
    else:
        await reply(update, texts.USE_BUTTONS)


# --- time-outs and restarts -----------------------------------------------------------------------------------


async def sweep_expired(context: ContextTypes.DEFAULT_TYPE) -> None:
    svc = services(context)
    minutes = max(1, round(svc.drafts.timeout.total_seconds() / 60))
    for draft in await svc.drafts.sweep_expired():
        try:
            await outbound.send(context.bot, draft.chat_id, escape(texts.TIMED_OUT.format(minutes=minutes)))
        except TelegramError as problem:
            log.warning("could not tell a user their flow timed out: %s", type(problem).__name__)


async def resume_after_restart(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Tell each user with an unfinished flow where they were and ask for what is missing."""
    for draft in await services(context).drafts.open_drafts():
        try:
            if draft.state.exchange_id is None or draft.state.step == Step.PICK:
                intro = texts.RESUMED_PICK
            else:
                intro = texts.RESUMED.format(exchange=flow.profile_of(draft).name)
            if draft.state.step == Step.FAILED:
                draft.state.step = Step.REVIEW
            await outbound.send(context.bot, draft.chat_id, escape(intro))
            fake = Update(update_id=0)
            await flow.show(fake, context, draft, await flow.current_view(context, draft), edit=False)
        except TelegramError as problem:
            log.warning("could not resume a flow after restart: %s", type(problem).__name__)


def register(application: Application) -> None:  # type: ignore[type-arg]
    application.add_handler(CommandHandler(["start", "connect"], open_assistant, filters=PRIVATE))
    application.add_handler(CommandHandler("cancel", cancel, filters=PRIVATE))
    application.add_handler(CallbackQueryHandler(on_button, pattern=ASSISTANT.pattern))
    text_updates = filters.UpdateType.MESSAGE | filters.UpdateType.EDITED_MESSAGE
    application.add_handler(MessageHandler(PRIVATE & filters.TEXT & ~filters.COMMAND & text_updates, on_private_text))
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
