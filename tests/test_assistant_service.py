"""The Assistant without Telegram: its use cases called directly, against the Bybit emulator over HTTP.

What a handler would render is read from the Outcome's codes and values; expected values are written from the
profiles (Bybit: API key then secret; a key that can trade is refused unless the operator allows it) and from
the emulator's keys.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from bot.assistant.drafts import DraftStore
from bot.assistant.results import Action, Intro, Outcome, Press, Retry, RetryKind, ScreenKind
from bot.assistant.service import Assistant
from bot.assistant.state import Step
from bot.integrations import IntegrationService
from bot.users import UserService
from bot.vault import KeyRing, Vault, generate_key
from connectors.clients import ClientPool
from connectors.diagnosis import DiagnosisCode
from db.engine import Database
from db.migrate import upgrade_to_head
from i18n import Text
from sandbox.exchanges import BybitEmulator, DemoKeys

ADA = 1001


@pytest.fixture
async def bybit() -> AsyncIterator[BybitEmulator]:
    async with BybitEmulator(seed=21, listed_symbols=10) as emulator:
        yield emulator


@pytest.fixture
def keys(bybit: BybitEmulator) -> DemoKeys:
    return bybit.create_demo_keys()


@pytest.fixture
async def parts(tmp_path: Path, bybit: BybitEmulator) -> AsyncIterator[tuple[Database, ClientPool, Vault]]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'assistant.sqlite3'}")
    await upgrade_to_head(database)
    pool = ClientPool({"bybit": bybit.base_url})
    yield database, pool, Vault(KeyRing([generate_key()]))
    await pool.close()
    await database.dispose()


def assistant_of(parts: tuple[Database, ClientPool, Vault], *, allow_trading_keys: bool = False) -> Assistant:
    database, pool, vault = parts
    return Assistant(
        DraftStore(database, vault),
        IntegrationService(database, vault),
        UserService(database),
        pool,
        allow_trading_keys=allow_trading_keys,
    )


async def press(assistant: Assistant, action: Action, argument: str = "") -> Outcome:
    draft = await assistant.draft(ADA)
    assert draft is not None
    return await assistant.press(ADA, ADA, Press(draft.token, action, argument))


async def paste(assistant: Assistant, value: str) -> Outcome:
    draft = await assistant.draft(ADA)
    assert draft is not None and draft.state.step == Step.FIELD
    return await assistant.accept_field(draft, value, deleted=True)


async def at_review_with(assistant: Assistant, api_key: str, secret: str) -> Outcome:
    """Open the Assistant, pick Bybit, paste both fields."""
    await assistant.open(ADA, ADA)
    await press(assistant, Action.TOGGLE, "bybit")
    await press(assistant, Action.CONFIRM)
    await paste(assistant, api_key)
    return await paste(assistant, secret)


async def test_picking_pasting_and_connecting_a_read_only_key(
    parts: tuple[Database, ClientPool, Vault], keys: DemoKeys
) -> None:
    assistant = assistant_of(parts)
    opened = await assistant.open(ADA, ADA)
    assert opened.screen is not None and opened.screen.kind == ScreenKind.PICKER

    nothing = await press(assistant, Action.CONFIRM)
    assert nothing.alert == Text.of("assistant.alert.nothing_picked")
    picked = await press(assistant, Action.TOGGLE, "bybit")
    assert picked.screen is not None and picked.screen.kind == ScreenKind.PICKER and picked.screen.edit
    assert picked.draft is not None and picked.draft.state.picked == ["bybit"]

    confirmed = await press(assistant, Action.CONFIRM)
    assert confirmed.notes == [] and confirmed.intro == Intro("bybit", 1, 1)
    assert confirmed.screen is not None and confirmed.screen.kind == ScreenKind.FIELD
    assert confirmed.draft is not None and confirmed.draft.state.account_name == "Bybit-1"

    key = keys.read_only
    first = await paste(assistant, f"  {key.api_key}\n")  # copy-paste brings spaces at the ends
    api_key = Text.of("profile.common.api_key.default")  # labels are catalogue texts, worded by the view
    assert first.notes == [Text.of("assistant.field.received", label=api_key, fingerprint="…" + key.api_key[-4:])]
    assert first.draft is not None and first.draft.state.field_index == 1

    review = await paste(assistant, key.secret)
    length = Text.of("assistant.field.length", count=len(key.secret))  # a secret is shown by its length only
    secret = Text.of("profile.bybit.key.field.label")
    assert review.notes == [Text.of("assistant.field.received", label=secret, fingerprint=length)]
    assert review.screen is not None and review.screen.kind == ScreenKind.REVIEW
    assert review.screen.fingerprint == "…" + key.api_key[-4:]

    check = await press(assistant, Action.CHECK)
    assert check.check_now and check.screen is None and check.draft is not None
    connected = await assistant.check_and_connect(check.draft)

    assert connected.report is not None and connected.report.connected is not None
    assert connected.report.connected.account_name == "Bybit-1"
    assert connected.report.connected.permissions_verified
    # No IP restriction: Bybit's key lives 90 days (emulator clock), and the report says when it ends.
    assert connected.report.connected.ip_restricted is False
    assert connected.report.connected.expires_at is not None
    assert connected.summary is not None and connected.summary.connected_names == ("Bybit-1",)
    assert connected.draft is None and await assistant.draft(ADA) is None
    stored = await assistant.flow.integrations.list(ADA)
    assert [(s.exchange_id, s.account_name, s.fingerprint) for s in stored] == [
        ("bybit", "Bybit-1", "…" + key.api_key[-4:])
    ]
    assert connected.summary.integration_ids == (stored[0].id,)
    opened_key = await assistant.flow.integrations.credentials(ADA, stored[0].id)
    assert {name: secret.reveal() for name, secret in opened_key.items()} == {
        "apiKey": key.api_key,
        "secret": key.secret,
    }


async def test_bad_input_is_refused_with_its_reason_and_nothing_is_kept(
    parts: tuple[Database, ClientPool, Vault], keys: DemoKeys
) -> None:
    assistant = assistant_of(parts)
    await assistant.open(ADA, ADA)
    await press(assistant, Action.TOGGLE, "bybit")
    await press(assistant, Action.CONFIRM)
    key = keys.read_only

    spaced = await paste(assistant, key.api_key[:6] + " " + key.api_key[6:])
    api_key = Text.of("profile.common.api_key.default")
    problem = Text.of("assistant.field.inner_spaces", label=api_key)
    assert spaced.notes == [Text.of("assistant.field.rejected", problem=problem, label=api_key)]
    assert spaced.screen is None
    await paste(assistant, key.api_key)
    at_secret = await assistant.draft(ADA)
    assert at_secret is not None
    # Bybit's API key pasted as the secret: too short for a secret (the profile's own wording, not ours).
    twice = await assistant.accept_field(at_secret, key.api_key, deleted=False)  # Telegram kept the message
    secret = Text.of("profile.bybit.key.field.label")
    assert twice.notes == [
        Text.of(
            "assistant.field.rejected_not_deleted",
            problem=Text.of("profile.field.too_short", label=secret),  # a text, not English rendered in the profile
            label=secret,
            warning=Text.of("key_guard.not_deleted"),
        )
    ]
    draft = await assistant.draft(ADA)
    assert draft is not None and draft.state.step == Step.FIELD and draft.state.field_index == 1
    assert set(await assistant.flow.drafts.secrets(draft, "bybit")) == {"apiKey"}


async def test_a_key_that_can_trade_is_refused_and_a_new_key_is_asked_for(
    parts: tuple[Database, ClientPool, Vault], keys: DemoKeys
) -> None:
    assistant = assistant_of(parts)
    review = await at_review_with(assistant, keys.trading.api_key, keys.trading.secret)
    assert review.draft is not None

    refused = await assistant.check_and_connect(review.draft)

    assert refused.report is not None and refused.report.connected is None
    assert refused.report.diagnosis is not None
    assert refused.report.diagnosis.code == DiagnosisCode.TOO_MANY_PERMISSIONS
    # A new key is the only way out: a trading permission is not unticked on the same key by checking again.
    assert refused.report.retries == (Retry(RetryKind.NEW_KEY, Action.RETRY_FIELD, "0"),)
    assert refused.draft is not None and refused.draft.state.step == Step.FAILED
    assert await assistant.flow.integrations.list(ADA) == []

    again = await press(assistant, Action.RETRY_FIELD, "0")
    assert again.screen is not None and again.screen.kind == ScreenKind.FIELD
    await paste(assistant, keys.read_only.api_key)
    fixed = await paste(assistant, keys.read_only.secret)
    assert fixed.draft is not None
    connected = await assistant.check_and_connect(fixed.draft)
    assert connected.report is not None and connected.report.connected is not None


async def test_the_operator_may_allow_keys_that_can_trade(
    parts: tuple[Database, ClientPool, Vault], keys: DemoKeys
) -> None:
    assistant = assistant_of(parts, allow_trading_keys=True)
    review = await at_review_with(assistant, keys.trading.api_key, keys.trading.secret)
    assert review.draft is not None

    connected = await assistant.check_and_connect(review.draft)

    assert connected.report is not None and connected.report.connected is not None
    assert connected.report.diagnosis is None


async def test_options_refuse_a_future_date_and_keep_a_past_one(
    parts: tuple[Database, ClientPool, Vault], keys: DemoKeys
) -> None:
    assistant = assistant_of(parts)
    await at_review_with(assistant, keys.read_only.api_key, keys.read_only.secret)
    await press(assistant, Action.ADVANCED)
    asked = await press(assistant, Action.DATE)
    assert asked.screen is not None and asked.screen.kind == ScreenKind.PROMPT
    assert asked.draft is not None

    future = await assistant.accept_text(asked.draft, (date.today() + timedelta(days=1)).isoformat())
    unreadable = await assistant.accept_text(asked.draft, "next tuesday")
    past = await assistant.accept_text(asked.draft, " 2023-01-01 ")

    assert future.notes == [Text.of("assistant.date.future")]
    assert unreadable.notes == [Text.of("assistant.date.unreadable")]
    assert past.screen is not None and past.screen.kind == ScreenKind.ADVANCED
    draft = await assistant.draft(ADA)
    assert draft is not None and draft.state.sync_from == "2023-01-01" and draft.state.step == Step.ADVANCED


async def test_a_press_from_an_old_flow_is_stale_and_shows_where_the_user_is(
    parts: tuple[Database, ClientPool, Vault],
) -> None:
    assistant = assistant_of(parts)
    first = await assistant.open(ADA, ADA)
    assert first.draft is not None
    await assistant.open(ADA, ADA)  # a second /connect replaces the first flow

    old = await assistant.press(ADA, ADA, Press(first.draft.token, Action.TOGGLE, "bybit"))

    assert old.alert == Text.of("assistant.alert.expired_menu")
    assert old.screen is not None and old.screen.kind == ScreenKind.PICKER and not old.screen.edit
    assert old.draft is not None and old.draft.state.picked == []


async def test_a_key_pair_tallybot_makes_is_registered_and_connected(
    parts: tuple[Database, ClientPool, Vault], bybit: BybitEmulator
) -> None:
    assistant = assistant_of(parts)
    await assistant.open(ADA, ADA)
    await press(assistant, Action.TOGGLE, "bybit")
    await press(assistant, Action.CONFIRM)

    made = await press(assistant, Action.MAKE_KEY)

    assert made.screen is not None and made.screen.kind == ScreenKind.PUBLIC_KEY
    assert made.screen.key_kind == "RSA"  # Bybit takes self-generated RSA keys only
    assert made.screen.public_key.startswith("-----BEGIN PUBLIC KEY-----")
    assert made.draft is not None and made.draft.state.key_type == "tallybot_rsa"
    # The user registers the public half on Bybit, which issues the API key they paste back.
    api_key = bybit.register_self_generated_key(made.screen.public_key)
    review = await paste(assistant, api_key)
    assert review.screen is not None and review.screen.kind == ScreenKind.REVIEW
    assert review.draft is not None
    connected = await assistant.check_and_connect(review.draft)

    assert connected.report is not None and connected.report.connected is not None
    stored = await assistant.flow.integrations.list(ADA)
    assert [(s.key_type, s.fingerprint) for s in stored] == [("tallybot_rsa", "…" + api_key[-4:])]
    opened = await assistant.flow.integrations.credentials(ADA, stored[0].id)
    # The private half went from the draft into the credential, never into a result.
    assert opened["apiKey"].reveal() == api_key and "PRIVATE KEY" in opened["secret"].reveal()


async def test_skipping_one_of_two_exchanges_moves_on_and_the_summary_names_it(
    parts: tuple[Database, ClientPool, Vault],
) -> None:
    assistant = assistant_of(parts)
    await assistant.open(ADA, ADA)
    await press(assistant, Action.TOGGLE, "okx")
    await press(assistant, Action.TOGGLE, "bybit")
    first = await press(assistant, Action.CONFIRM)
    assert first.intro == Intro("okx", 1, 2)

    second = await press(assistant, Action.SKIP)
    assert second.intro == Intro("bybit", 2, 2) and second.summary is None
    done = await press(assistant, Action.SKIP)

    assert done.summary is not None
    assert (done.summary.connected_names, done.summary.skipped_names) == ((), ("OKX", "Bybit"))
    assert done.draft is None and await assistant.draft(ADA) is None
