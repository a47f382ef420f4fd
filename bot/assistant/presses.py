"""What each Assistant button does to the draft, and in which steps it is live (a press elsewhere is stale)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from bot.assistant.drafts import Draft
from bot.assistant.flow import KEY_KIND_NAMES, Flow, can_make_key, enabled_endpoints, key_type_of, profile_of
from bot.assistant.keypairs import make_key_pair
from bot.assistant.options import save_options
from bot.assistant.results import Action, Outcome, Screen, ScreenKind
from bot.assistant.state import Mode, Step
from connectors.profiles import UnknownExchange, get_profile, search_exchanges
from i18n import Text

SEARCH_LIMIT = 8

Handler = Callable[[Flow, Draft, str], Awaitable[Outcome]]


def found_for(query: str) -> tuple[str, ...]:
    return tuple(profile.id for profile in search_exchanges(query, limit=SEARCH_LIMIT))


async def _toggle(flow: Flow, draft: Draft, argument: str) -> Outcome:
    try:
        profile = get_profile(argument)
    except UnknownExchange:  # refused with an alert before we got here
        return Outcome(draft)
    picked = draft.state.picked
    if profile.id in picked:
        picked.remove(profile.id)
    else:
        picked.append(profile.id)
    found = found_for(draft.state.search) if draft.state.search else None
    return await flow.show(draft, Screen(ScreenKind.PICKER, edit=True, found=found))


async def _page(flow: Flow, draft: Draft, argument: str) -> Outcome:
    draft.state.page = int(argument) if argument.isdigit() else 0
    draft.state.search = None
    return await flow.show(draft, Screen(ScreenKind.PICKER, edit=True))


async def _confirm(flow: Flow, draft: Draft, argument: str) -> Outcome:
    return await flow.begin_exchange(draft, 0, Outcome(draft))


async def _key_type(flow: Flow, draft: Draft, argument: str) -> Outcome:
    profile = profile_of(draft)
    if argument not in {key_type.id for key_type in profile.pasted_key_types}:
        return Outcome(draft)
    draft.state.key_type = argument
    draft.state.field_index = 0
    draft.state.step = Step.FIELD
    await flow.drafts.clear_secrets(draft)
    return await flow.show(draft, Screen(ScreenKind.FIELD))


async def _check(flow: Flow, draft: Draft, argument: str) -> Outcome:
    # The check itself is its own use case (check_and_connect): the caller says "checking" first, then calls it.
    return Outcome(draft, check_now=True)


async def _advanced(flow: Flow, draft: Draft, argument: str) -> Outcome:
    draft.state.step = Step.ADVANCED
    return await flow.show(draft, Screen(ScreenKind.ADVANCED, edit=True))


ASKS = {Action.NAME: Step.ASK_NAME, Action.SUBACCOUNT: Step.ASK_SUBACCOUNT, Action.DATE: Step.ASK_DATE}


def _ask(step: Step) -> Handler:
    async def ask(flow: Flow, draft: Draft, argument: str) -> Outcome:
        draft.state.step = step
        return await flow.show(draft, Screen(ScreenKind.PROMPT))

    return ask


async def _clear_date(flow: Flow, draft: Draft, argument: str) -> Outcome:
    draft.state.sync_from = None
    return await flow.show(draft, Screen(ScreenKind.ADVANCED, edit=True))


async def _endpoint(flow: Flow, draft: Draft, argument: str) -> Outcome:
    profile = profile_of(draft)
    if argument not in {str(spec.endpoint) for spec in profile.endpoints_for(draft.state.key_type)}:
        return Outcome(draft)
    enabled = enabled_endpoints(draft, profile)
    if argument in enabled:
        enabled.remove(argument)
    else:
        enabled.append(argument)
    draft.state.endpoints = enabled
    return await flow.show(draft, Screen(ScreenKind.ADVANCED, edit=True))


async def _back(flow: Flow, draft: Draft, argument: str) -> Outcome:
    if draft.state.mode == Mode.OPTIONS:
        return await save_options(flow, draft)
    draft.state.step = Step.REVIEW
    return await flow.show(draft, Screen(ScreenKind.REVIEW, edit=True, fingerprint=await flow.fingerprint(draft)))


async def _retry(flow: Flow, draft: Draft, argument: str) -> Outcome:
    if argument == "kt":
        draft.state.step = Step.KEY_TYPE
        return await flow.show(draft, Screen(ScreenKind.KEY_TYPES))
    fields = key_type_of(draft, profile_of(draft)).fields
    index = int(argument) if argument.isdigit() else 0
    draft.state.field_index = min(index, len(fields) - 1)
    draft.state.step = Step.FIELD
    return await flow.show(draft, Screen(ScreenKind.FIELD))


async def _make_key(flow: Flow, draft: Draft, argument: str) -> Outcome:
    """Make the key pair, seal the private key into the draft, show the public key and ask for the API key.

    The private key lives only in the draft's sealed secrets until the key is stored, so /cancel, the time-out,
    "Skip" or "I'll make a key myself" wipe it with the rest of the draft. It is never shown, sent or logged."""
    profile = profile_of(draft)
    generated_type = profile.generated_key_type
    if generated_type is None or generated_type.generated is None or not can_make_key(draft, profile):
        return Outcome(draft, notes=[Text.of("assistant.keypair.not_offered")])
    # An RSA key takes a noticeable moment to make: not on the loop that serves every user.
    made = await asyncio.to_thread(make_key_pair, generated_type.generated.kind)
    # Anything typed for the other kind of key goes: this key pair is the whole secret part of the new key.
    await flow.drafts.clear_secrets(draft)
    await flow.drafts.put_secret(draft, profile.id, generated_type.generated.field, made.private_key)
    draft.state.key_type = generated_type.id
    draft.state.field_index = 0
    draft.state.step = Step.FIELD
    screen = Screen(
        ScreenKind.PUBLIC_KEY, public_key=made.public_key, key_kind=KEY_KIND_NAMES[generated_type.generated.kind]
    )
    return await flow.show(draft, screen)


async def _own_key(flow: Flow, draft: Draft, argument: str) -> Outcome:
    """Back to pasting a key of one's own: the key pair Tallybot made is wiped."""
    profile = profile_of(draft)
    if key_type_of(draft, profile).generated is None:
        return Outcome(draft)
    await flow.drafts.clear_secrets(draft)
    draft.state.key_type = profile.default_key_type.id
    draft.state.field_index = 0
    draft.state.step = Step.FIELD
    return await flow.show(draft, Screen(ScreenKind.FIELD))


async def _skip(flow: Flow, draft: Draft, argument: str) -> Outcome:
    if draft.state.exchange_id is not None:
        draft.state.skipped.append(draft.state.exchange_id)
    return await flow.next_exchange(draft, Outcome(draft))


async def _cancel(flow: Flow, draft: Draft, argument: str) -> Outcome:
    await flow.drafts.finish(draft.telegram_user_id)
    return Outcome(None, screen=Screen(ScreenKind.CANCELLED, edit=True))


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
ACTIONS: dict[str, tuple[Handler, set[Step]]] = {
    Action.TOGGLE: (_toggle, {Step.PICK}),
    Action.PAGE: (_page, {Step.PICK}),
    Action.CONFIRM: (_confirm, {Step.PICK}),
    Action.KEY_TYPE: (_key_type, {Step.KEY_TYPE}),
    Action.CHECK: (_check, {Step.REVIEW, Step.FAILED}),
    Action.ADVANCED: (_advanced, {Step.REVIEW, Step.ASK_NAME, Step.ASK_SUBACCOUNT, Step.ASK_DATE}),
    Action.NAME: (_ask(Step.ASK_NAME), {Step.ADVANCED}),
    Action.SUBACCOUNT: (_ask(Step.ASK_SUBACCOUNT), {Step.ADVANCED}),
    Action.DATE: (_ask(Step.ASK_DATE), {Step.ADVANCED}),
    Action.CLEAR_DATE: (_clear_date, {Step.ADVANCED}),
    Action.ENDPOINT: (_endpoint, {Step.ADVANCED}),
    Action.BACK: (_back, {Step.ADVANCED}),
    Action.RETRY_FIELD: (_retry, {Step.FAILED}),
    Action.MAKE_KEY: (_make_key, {Step.FIELD}),
    Action.OWN_KEY: (_own_key, {Step.FIELD}),
    Action.SKIP: (_skip, AFTER_PICK),
    Action.CANCEL: (_cancel, {Step.PICK} | AFTER_PICK),
}


def refusal(draft: Draft, action: str, argument: str) -> Text | None:
    """Why a live press cannot be carried out (answered as an alert), or None."""
    if action == Action.CONFIRM and not draft.state.picked:
        return Text.of("assistant.alert.nothing_picked")
    if action == Action.TOGGLE:
        try:
            get_profile(argument)
        except UnknownExchange as problem:
            return Text.of("assistant.alert.unsupported", reason=problem.text)
    if action == Action.ENDPOINT and enabled_endpoints(draft, profile_of(draft)) == [argument]:
        return Text.of("assistant.alert.no_endpoint")
    return None
