"""The Assistant's moves shared by its use cases: start an exchange, move to the next, finish, redraw a step."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.assistant.drafts import Draft, DraftStore
from bot.assistant.keypairs import public_key_of
from bot.assistant.results import Intro, Outcome, Screen, ScreenKind, Summary
from bot.assistant.state import Mode, Step
from bot.integrations import IntegrationError, IntegrationService
from connectors.clients import ClientPool
from connectors.profiles import ExchangeProfile, KeyType, get_profile
from connectors.profiles.private_keys import PrivateKeyKind
from i18n import Text

MAX_SUBACCOUNT_LENGTH = 64
KEY_KIND_NAMES = {PrivateKeyKind.ED25519: "Ed25519", PrivateKeyKind.RSA: "RSA", PrivateKeyKind.EC_P256: "EC P-256"}


def profile_of(draft: Draft) -> ExchangeProfile:
    exchange_id = draft.state.exchange_id
    if exchange_id is None:
        raise LookupError("no exchange is being connected")
    return get_profile(exchange_id)


def key_type_of(draft: Draft, profile: ExchangeProfile) -> KeyType:
    return profile.key_type(draft.state.key_type or profile.default_key_type.id)


def enabled_endpoints(draft: Draft, profile: ExchangeProfile) -> list[str]:
    key_type = draft.state.key_type or profile.default_key_type.id
    if draft.state.endpoints is not None:
        return list(draft.state.endpoints)
    return [str(spec.endpoint) for spec in profile.default_endpoints(key_type)]


def can_make_key(draft: Draft, profile: ExchangeProfile) -> bool:
    """Whether the user is at the first field of a key they would paste, on an exchange Tallybot can make one for."""
    state = draft.state
    return (
        profile.generated_key_type is not None
        and key_type_of(draft, profile).generated is None
        and state.step == Step.FIELD
        and state.field_index == 0
        and state.mode in (Mode.CONNECT, Mode.REPLACE)
    )


class Refused(Exception):
    """A typed value the Assistant does not take; the note says why."""

    def __init__(self, note: Text) -> None:
        super().__init__(note.id)
        self.note = note


def parse_past_date(value: str) -> date:
    try:
        parsed = date.fromisoformat(value)
    except ValueError:
        raise Refused(Text.of("assistant.date.unreadable")) from None
    if parsed > date.today():
        raise Refused(Text.of("assistant.date.future"))
    return parsed


def checked_subaccount(value: str) -> str:
    if not value or len(value) > MAX_SUBACCOUNT_LENGTH or "\n" in value:
        raise Refused(Text.of("assistant.subaccount.invalid"))
    return value


def problem_note(problem: IntegrationError) -> Text:
    """A refusal of the integration service as a note (a sentence not in the catalogue yet is carried as it is)."""
    return problem.text if isinstance(problem.text, Text) else Text.of("assistant.problem", message=problem.text)


@dataclass(slots=True)
class Flow:
    drafts: DraftStore
    integrations: IntegrationService
    pool: ClientPool
    allow_trading_keys: bool = False

    async def fingerprint(self, draft: Draft) -> str:
        api_key = (await self.drafts.secrets(draft, draft.state.exchange_id or "")).get("apiKey")
        return api_key.fingerprint() if api_key is not None else "…"

    async def current_screen(self, draft: Draft) -> Screen:
        """The screen of the step the draft is at: for a restart, or after a stale button (always a new message)."""
        step = draft.state.step
        if step == Step.PICK or draft.state.exchange_id is None:
            return Screen(ScreenKind.PICKER)
        profile = profile_of(draft)
        if step == Step.KEY_TYPE:
            return Screen(ScreenKind.KEY_TYPES)
        if step == Step.FIELD:
            return await self.field_screen(draft, profile)
        if step == Step.ADVANCED:
            return Screen(ScreenKind.ADVANCED)
        if step in (Step.ASK_NAME, Step.ASK_SUBACCOUNT, Step.ASK_DATE):
            return Screen(ScreenKind.PROMPT)
        return Screen(ScreenKind.REVIEW, fingerprint=await self.fingerprint(draft))

    async def field_screen(self, draft: Draft, profile: ExchangeProfile) -> Screen:
        """A FIELD step: for a key pair Tallybot made, its public key again (after a restart or a stale button the
        user may need it); otherwise the usual prompt."""
        made = key_type_of(draft, profile).generated
        if made is not None and draft.state.field_index == 0:
            private_key = (await self.drafts.secrets(draft, profile.id)).get(made.field)
            if private_key is not None:
                return Screen(
                    ScreenKind.PUBLIC_KEY, public_key=public_key_of(private_key), key_kind=KEY_KIND_NAMES[made.kind]
                )
        return Screen(ScreenKind.FIELD)

    async def begin_exchange(self, draft: Draft, index: int, outcome: Outcome) -> Outcome:
        """The next exchange's alerts, steps and notes, then its key type or first field; or the summary."""
        state = draft.state
        if index >= len(state.picked):
            return await self.finish(draft, outcome)
        state.start_exchange(index)
        profile = profile_of(draft)
        if state.mode == Mode.CONNECT:
            state.account_name = await self.integrations.suggest_name(draft.telegram_user_id, profile.name)
        elif state.replace_integration_id is not None:
            existing = await self.integrations.get(draft.telegram_user_id, state.replace_integration_id)
            state.account_name = existing.account_name
        outcome.intro = Intro(profile.id, index + 1, len(state.picked))
        # A key type Tallybot generates is not chosen here: it is offered as a button beside the first field.
        if len(profile.pasted_key_types) > 1:
            state.step = Step.KEY_TYPE
            outcome.screen = Screen(ScreenKind.KEY_TYPES)
        else:
            state.key_type = profile.default_key_type.id
            state.step = Step.FIELD
            outcome.screen = Screen(ScreenKind.FIELD)
        await self.drafts.save(draft)
        return outcome

    async def next_exchange(self, draft: Draft, outcome: Outcome) -> Outcome:
        await self.drafts.clear_secrets(draft)
        return await self.begin_exchange(draft, draft.state.current + 1, outcome)

    async def finish(self, draft: Draft, outcome: Outcome) -> Outcome:
        state = draft.state
        await self.drafts.finish(draft.telegram_user_id)
        outcome.summary = Summary(
            tuple(item.account_name for item in state.connected),
            tuple(get_profile(exchange_id).name for exchange_id in state.skipped),
            tuple(item.integration_id for item in state.connected),
        )
        outcome.draft = None
        return outcome

    async def show(self, draft: Draft, screen: Screen, outcome: Outcome | None = None) -> Outcome:
        """Store the step reached and show its screen."""
        await self.drafts.save(draft)
        outcome = outcome or Outcome(draft)
        outcome.screen = screen
        return outcome
