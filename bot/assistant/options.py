"""Typed answers to the Assistant's prompts (name, subaccount, sync-from date) and saving an account's options."""

from __future__ import annotations

from datetime import date

from bot.assistant.drafts import Draft
from bot.assistant.flow import Flow, Refused, checked_subaccount, parse_past_date, problem_note
from bot.assistant.results import Outcome, Screen, ScreenKind
from bot.assistant.state import Mode, Step
from bot.integrations import AdvancedOptions, IntegrationError, clean_account_name
from i18n import Text


async def typed_option(flow: Flow, draft: Draft, text: str) -> Outcome:
    """A reply to "send the name / subaccount / date": check it, store it, back to the options."""
    state = draft.state
    value = text.strip()
    try:
        if state.mode == Mode.RENAME and state.replace_integration_id is not None:
            renamed = await flow.integrations.rename(draft.telegram_user_id, state.replace_integration_id, value)
            await flow.drafts.finish(draft.telegram_user_id)
            return Outcome(None, notes=[Text.of("assistant.keys.renamed", name=renamed.account_name)])
        if state.step == Step.ASK_NAME:
            state.account_name = clean_account_name(value, state.exchange_id)
        elif state.step == Step.ASK_SUBACCOUNT:
            state.subaccount = checked_subaccount(value)
        else:
            state.sync_from = parse_past_date(value).isoformat()
    except Refused as refused:
        return Outcome(draft, notes=[refused.note])
    except IntegrationError as problem:
        return Outcome(draft, notes=[problem_note(problem)])
    state.step = Step.ADVANCED
    return await flow.show(draft, Screen(ScreenKind.ADVANCED))


async def save_options(flow: Flow, draft: Draft) -> Outcome:
    """/keys → Options → Save: the name and advanced options of an existing integration."""
    state = draft.state
    if state.replace_integration_id is None:
        return Outcome(draft)
    options = AdvancedOptions(
        subaccount=state.subaccount,
        sync_from=date.fromisoformat(state.sync_from) if state.sync_from else None,
        endpoints=tuple(state.endpoints or ()),
    )
    try:
        current = await flow.integrations.get(draft.telegram_user_id, state.replace_integration_id)
        if state.account_name and state.account_name != current.account_name:
            await flow.integrations.rename(draft.telegram_user_id, current.id, state.account_name)
        saved = await flow.integrations.update_options(draft.telegram_user_id, current.id, options)
    except IntegrationError as problem:
        return Outcome(draft, notes=[problem_note(problem)])
    await flow.drafts.finish(draft.telegram_user_id)
    return Outcome(None, notes=[Text.of("assistant.keys.options_saved", name=saved.account_name)])
