"""Moving through the Assistant: what happens on each button and each typed reply."""

from __future__ import annotations

from datetime import date
from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.ext import ContextTypes

from bot.assistant import texts
from bot.assistant.drafts import Draft
from bot.assistant.state import Mode, Step
from bot.context import services
from bot.integrations import AdvancedOptions, IntegrationError, clean_account_name
from connectors.profiles import ExchangeProfile, KeyType, UnknownExchange, get_profile, search_exchanges
from handlers import outbound
from handlers.assistant import views
from handlers.assistant.views import View
from handlers.callbacks import SYNC, sync_data


def profile_of(draft: Draft) -> ExchangeProfile:
    exchange_id = draft.state.exchange_id
    if exchange_id is None:
        raise LookupError("no exchange is being connected")
    return get_profile(exchange_id)


def key_type_of(draft: Draft, profile: ExchangeProfile) -> KeyType:
    return profile.key_type(draft.state.key_type or profile.default_key_type.id)


async def show(update: Update, context: ContextTypes.DEFAULT_TYPE, draft: Draft, view: View, *, edit: bool) -> None:
    """Edit the pressed menu in place when asked and possible; else send the view as a new menu."""
    query = update.callback_query
    if edit and query is not None and isinstance(query.message, Message):
        # A press on an older copy of the menu that already shows this state changes nothing, quietly.
        await outbound.edit_pressed(query, view.text, view.keyboard)
        draft.state.menu_message_id = query.message.message_id
    else:
        sent = await outbound.send(context.bot, draft.chat_id, view.text, view.keyboard)
        draft.state.menu_message_id = sent.message_id
    await services(context).drafts.save(draft)


async def say(context: ContextTypes.DEFAULT_TYPE, draft: Draft, text: str) -> Message:
    return await outbound.send(context.bot, draft.chat_id, text)


async def current_view(context: ContextTypes.DEFAULT_TYPE, draft: Draft) -> View:
    """The view of the step the draft is at: for a restart, or after a stale button."""
    step = draft.state.step
    if step == Step.PICK or draft.state.exchange_id is None:
        return views.picker(draft)
    profile = profile_of(draft)
    if step == Step.KEY_TYPE:
        return views.key_types(draft, profile)
    if step == Step.FIELD:
        # Imported here: the key-pair steps build on this module.
        from handlers.assistant.keypair import field_view

        return await field_view(context, draft, profile)
    if step in (Step.ADVANCED,):
        return views.advanced(draft, profile)
    if step in (Step.ASK_NAME, Step.ASK_SUBACCOUNT, Step.ASK_DATE):
        return views.prompt_for(draft, step)
    return views.review(draft, profile, await fingerprint(context, draft))


async def fingerprint(context: ContextTypes.DEFAULT_TYPE, draft: Draft) -> str:
    secrets = await services(context).drafts.secrets(draft, draft.state.exchange_id or "")
    api_key = secrets.get("apiKey")
    return api_key.fingerprint() if api_key is not None else "…"


async def begin_exchange(update: Update, context: ContextTypes.DEFAULT_TYPE, draft: Draft, index: int) -> None:
    """Show the next exchange's alerts, steps and notes, then ask for its key type or first field."""
    state = draft.state
    if index >= len(state.picked):
        await finish(update, context, draft)
        return
    state.start_exchange(index)
    profile = profile_of(draft)
    svc = services(context)
    if state.mode == Mode.CONNECT:
        state.account_name = await svc.integrations.suggest_name(draft.telegram_user_id, profile.name)
    elif state.replace_integration_id is not None:
        existing = await svc.integrations.get(draft.telegram_user_id, state.replace_integration_id)
        state.account_name = existing.account_name
    await say(context, draft, texts.exchange_intro(profile, index + 1, len(state.picked)))
    # A key type Tallybot generates is not chosen here: it is offered as a button beside the first field.
    if len(profile.pasted_key_types) > 1:
        state.step = Step.KEY_TYPE
        await show(update, context, draft, views.key_types(draft, profile), edit=False)
    else:
        state.key_type = profile.default_key_type.id
        state.step = Step.FIELD
        await show(update, context, draft, views.ask_field(draft, profile), edit=False)


async def next_exchange(update: Update, context: ContextTypes.DEFAULT_TYPE, draft: Draft) -> None:
    await services(context).drafts.clear_secrets(draft)
    await begin_exchange(update, context, draft, draft.state.current + 1)


async def finish(update: Update, context: ContextTypes.DEFAULT_TYPE, draft: Draft) -> None:
    state = draft.state
    names = [item.account_name for item in state.connected]
    skipped = [get_profile(exchange_id).name for exchange_id in state.skipped]
    await services(context).drafts.finish(draft.telegram_user_id)
    keyboard = None
    ids = [item.integration_id for item in state.connected]
    # Too many accounts for one button's 64 bytes: they are synced with /sync instead.
    if names and SYNC.fits(",".join(str(i) for i in ids)):
        label = "🔄 Sync them all" if len(names) > 1 else "🔄 Sync now"
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=sync_data(ids))]])
    await outbound.send(context.bot, draft.chat_id, texts.summary(names, skipped), keyboard)


async def search(update: Update, context: ContextTypes.DEFAULT_TYPE, draft: Draft, query: str) -> None:
    found = search_exchanges(query, limit=8)
    if not found:
        await say(context, draft, texts.NO_MATCH)  # the search text is never echoed: it could be a passphrase
        return
    draft.state.search = query[:40]
    await show(update, context, draft, views.picker(draft, [p.id for p in found], has_more=False), edit=False)


async def toggle_exchange(update: Update, context: ContextTypes.DEFAULT_TYPE, draft: Draft, exchange_id: str) -> None:
    try:
        profile = get_profile(exchange_id)
    except UnknownExchange:  # refused with an alert before we got here
        return
    picked = draft.state.picked
    if profile.id in picked:
        picked.remove(profile.id)
    else:
        picked.append(profile.id)
    if draft.state.search:
        ids = [p.id for p in search_exchanges(draft.state.search, limit=8)]
        await show(update, context, draft, views.picker(draft, ids, has_more=False), edit=True)
    else:
        await show(update, context, draft, views.picker(draft), edit=True)


async def typed_option(update: Update, context: ContextTypes.DEFAULT_TYPE, draft: Draft, text: str) -> None:
    """A reply to "send the name / subaccount / date": check it, store it, back to the options."""
    state = draft.state
    value = text.strip()
    try:
        if state.mode == Mode.RENAME and state.replace_integration_id is not None:
            renamed = await services(context).integrations.rename(
                draft.telegram_user_id, state.replace_integration_id, value
            )
            await services(context).drafts.finish(draft.telegram_user_id)
            await say(context, draft, texts.RENAMED.format(name=escape(renamed.account_name)))
            return
        if state.step == Step.ASK_NAME:
            state.account_name = clean_account_name(value, state.exchange_id)
        elif state.step == Step.ASK_SUBACCOUNT:
            if not value or len(value) > 64 or "\n" in value:
                raise IntegrationError(texts.BAD_SUBACCOUNT)
            state.subaccount = value
        else:
            state.sync_from = parse_past_date(value).isoformat()
    except IntegrationError as problem:
        await say(context, draft, escape(str(problem)))
        return
    state.step = Step.ADVANCED
    await show(update, context, draft, views.advanced(draft, profile_of(draft)), edit=False)


def parse_past_date(value: str) -> date:
    try:
        parsed = date.fromisoformat(value)
    except ValueError:
        raise IntegrationError(texts.BAD_DATE) from None
    if parsed > date.today():
        raise IntegrationError(texts.FUTURE_DATE)
    return parsed


async def save_options(update: Update, context: ContextTypes.DEFAULT_TYPE, draft: Draft) -> None:
    """/keys → Options → Save: the name and advanced options of an existing integration."""
    state = draft.state
    svc = services(context)
    if state.replace_integration_id is None:
        return
    options = AdvancedOptions(
        subaccount=state.subaccount,
        sync_from=date.fromisoformat(state.sync_from) if state.sync_from else None,
        endpoints=tuple(state.endpoints or ()),
    )
    try:
        current = await svc.integrations.get(draft.telegram_user_id, state.replace_integration_id)
        if state.account_name and state.account_name != current.account_name:
            await svc.integrations.rename(draft.telegram_user_id, current.id, state.account_name)
        saved = await svc.integrations.update_options(draft.telegram_user_id, current.id, options)
    except IntegrationError as problem:
        await say(context, draft, escape(str(problem)))
        return
    await svc.drafts.finish(draft.telegram_user_id)
    await say(context, draft, texts.OPTIONS_SAVED.format(name=escape(saved.account_name)))
