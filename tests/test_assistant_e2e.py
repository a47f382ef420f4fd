"""The Assistant, end to end: the real bot, the Bot API emulator and the exchange emulators over HTTP."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.context import SERVICES_KEY, Services
from bot.integrations import numbered_name
from db.models import AssistantDraft, Credential
from i18n import t
from sandbox.botapi import BotApiEmulator
from sandbox.botapi.models import ChatMessage
from sandbox.exchanges import BinanceEmulator, BitgetEmulator, BybitEmulator, DemoKeys, OkxEmulator
from tests.assistant_story import Walker
from tests.bot_harness import running_bot, settings_for


@pytest.fixture
async def binance() -> AsyncIterator[BinanceEmulator]:
    async with BinanceEmulator(seed=11, listed_symbols=40) as emulator:
        yield emulator


@pytest.fixture
async def bybit() -> AsyncIterator[BybitEmulator]:
    async with BybitEmulator(seed=12, listed_symbols=40) as emulator:
        yield emulator


@pytest.fixture
def binance_keys(binance: BinanceEmulator) -> DemoKeys:
    return binance.create_demo_keys()


@pytest.fixture
def bybit_keys(bybit: BybitEmulator) -> DemoKeys:
    return bybit.create_demo_keys()


@pytest.fixture
def ada(telegram: BotApiEmulator) -> Walker:
    """Unlike the shared fixture's Ada, this one has not opened the chat yet: the bot cannot write to her first."""
    return Walker(telegram, telegram.add_user(user_id=1001, first_name="Ada"))


def bot_settings(telegram: BotApiEmulator, tmp_path: Path, *exchanges: tuple[str, str], **extra: object):  # type: ignore[no-untyped-def]
    return settings_for(telegram, tmp_path / "data", exchange_url_overrides=dict(exchanges), **extra)


async def pick_and_confirm(walker: Walker, *names: str, expect: str = "paste your") -> ChatMessage:
    """Open the Assistant, pick exchanges, confirm; returns the user's /connect message."""
    sent = await walker.send("/connect")
    await walker.reply_to(sent, "Connect your exchanges")
    for name in names:
        await walker.press(name)
        await walker.emulator.wait_until(
            lambda n=name: f"✅ {n}" in " ".join(b.text for b in walker.last_menu("Confirm").buttons)
        )
    await walker.press_for("Confirm exchanges", expect)
    return sent


async def paste(walker: Walker, value: str, expect: str) -> None:
    """Paste a value and wait until the bot has finished answering it (its next prompt)."""
    sent = await walker.send(value)
    await walker.reply_to(sent, expect)
    if expect == "received":
        await walker.reply_to(sent, "paste your")


async def test_connecting_binance_deletes_every_secret_at_once_and_stores_it_encrypted(
    telegram: BotApiEmulator,
    binance: BinanceEmulator,
    binance_keys: DemoKeys,
    ada: Walker,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    key = binance_keys.read_only
    async with running_bot(bot_settings(telegram, tmp_path, ("binance", binance.base_url))) as app:
        await pick_and_confirm(ada, "Binance")
        intro = ada.all_bot_texts()
        requests_before_secrets = binance.requests.total

        key_message = await ada.send(key.api_key)
        await ada.reply_to(key_message, f"…{key.api_key[-4:]} received, message deleted")
        await ada.reply_to(key_message, "paste your Secret")
        secret_message = await ada.send(f"  {key.secret}\n")
        await ada.reply_to(secret_message, "Check the key")
        requests_after_secrets = binance.requests.total

        connected = await ada.press_for("Check and connect", "is connected")
        await ada.reply_to(connected, "All done")

        services: Services = app.bot_data[SERVICES_KEY]
        summaries = await services.integrations.list(1001)
        async with services.database.reader() as session:
            sealed = (await session.scalars(select(Credential.sealed))).all()
            drafts = (await session.scalars(select(AssistantDraft))).all()

    for pasted in (key_message, secret_message):
        assert telegram.message(ada.chat_id, pasted.message_id).deleted
        first_call = telegram.calls_after_update(pasted)[0]
        assert first_call.method == "deleteMessage"
        assert first_call.params["message_id"] == pasted.message_id
    assert requests_after_secrets == requests_before_secrets, "no exchange request before the secrets were deleted"
    assert "Alerts" in intro and "read-only" in intro and "no IP restriction" in intro
    assert "Binance-1" in connected.text and "Read-only ✓" in connected.text
    assert [(s.account_name, s.exchange_id, s.fingerprint) for s in summaries] == [
        ("Binance-1", "binance", f"…{key.api_key[-4:]}")
    ]
    assert set(sealed[0]) == {"apiKey", "secret"}
    assert drafts == [], "the finished flow left nothing behind"
    everything_sent = ada.all_bot_texts()
    assert key.secret not in everything_sent and key.api_key not in everything_sent
    assert key.secret not in caplog.text and key.api_key not in caplog.text
    for path in (tmp_path / "data").iterdir():
        content = path.read_bytes()
        assert key.secret.encode() not in content and key.api_key.encode() not in content, path.name


async def test_a_withdrawal_key_is_refused_and_the_user_can_enter_a_new_key(
    telegram: BotApiEmulator, binance: BinanceEmulator, binance_keys: DemoKeys, ada: Walker, tmp_path: Path
) -> None:
    async with running_bot(bot_settings(telegram, tmp_path, ("binance", binance.base_url))) as app:
        await pick_and_confirm(ada, "Binance")
        await paste(ada, binance_keys.withdrawal.api_key, "received")
        await paste(ada, binance_keys.withdrawal.secret, "Check the key")
        refusal = await ada.press_for("Check and connect", "❌")
        again = await ada.press_for("Enter a new key", "paste your")
        await paste(ada, binance_keys.read_only.api_key, "received")
        await paste(ada, binance_keys.read_only.secret, "Check the key")
        await ada.press_for("Check and connect", "is connected")
        stored = await app.bot_data[SERVICES_KEY].integrations.list(1001)

    assert "withdraw" in refusal.text.lower()
    assert "API key" in again.text
    assert [s.fingerprint for s in stored] == [f"…{binance_keys.read_only.api_key[-4:]}"]


async def test_an_ip_restricted_key_gets_its_diagnosis_and_a_check_again_button(
    telegram: BotApiEmulator, bybit: BybitEmulator, bybit_keys: DemoKeys, ada: Walker, tmp_path: Path
) -> None:
    async with running_bot(bot_settings(telegram, tmp_path, ("bybit", bybit.base_url))):
        await pick_and_confirm(ada, "Bybit")
        await paste(ada, bybit_keys.ip_restricted.api_key, "received")
        await paste(ada, bybit_keys.ip_restricted.secret, "Check the key")
        refusal = await ada.press_for("Check and connect", "❌")

    assert "IP" in refusal.text
    labels = [button.text for button in refusal.buttons]
    assert t("assistant.retry.check_again") in labels and t("assistant.retry.new_key") in labels


async def test_obviously_wrong_input_gets_a_specific_hint_and_is_still_deleted(
    telegram: BotApiEmulator, binance: BinanceEmulator, binance_keys: DemoKeys, ada: Walker, tmp_path: Path
) -> None:
    key = binance_keys.read_only
    async with running_bot(bot_settings(telegram, tmp_path, ("binance", binance.base_url))):
        await pick_and_confirm(ada, "Binance")
        spaced = await ada.send(key.api_key[:20] + " " + key.api_key[20:])
        spaces_hint = await ada.reply_to(spaced, "✋")
        short = await ada.send("abc123")
        short_hint = await ada.reply_to(short, "✋")
        await paste(ada, key.api_key, "received")
        twice = await ada.send(key.api_key)
        twice_hint = await ada.reply_to(twice, "✋")

    assert "spaces" in spaces_hint.text
    assert "short" in short_hint.text
    assert "same value as your API key" in twice_hint.text
    for pasted in (spaced, short, twice):
        assert telegram.message(ada.chat_id, pasted.message_id).deleted


async def test_a_key_in_an_edited_or_forwarded_message_is_deleted_too(
    telegram: BotApiEmulator, binance: BinanceEmulator, binance_keys: DemoKeys, ada: Walker, tmp_path: Path
) -> None:
    key = binance_keys.read_only
    async with running_bot(bot_settings(telegram, tmp_path, ("binance", binance.base_url))):
        connect = await pick_and_confirm(ada, "Binance")
        forwarded = await telegram.forward_message(ada.user, key.api_key, from_user="Ada's other account")
        await ada.reply_to(forwarded, "received")
        # The user edits an older message of theirs to hold the secret instead of sending a new one: it is deleted
        # but not taken as the key (issue 12: only a new message at the key step is a key).
        edited = await telegram.edit_user_message(connect, key.secret)
        refused = await ada.reply_to(forwarded, "edited message")
        pasted = await ada.send(key.secret)
        review = await ada.reply_to(pasted, "Check the key")

    assert telegram.message(ada.chat_id, forwarded.message_id).deleted
    assert telegram.message(ada.chat_id, edited.message_id).deleted
    assert "new message" in (refused.text or "")
    assert key.secret not in ada.all_bot_texts()
    assert f"…{key.api_key[-4:]}" in review.text


async def test_when_deletion_fails_the_user_is_told_to_delete_and_rotate(
    telegram: BotApiEmulator, binance: BinanceEmulator, binance_keys: DemoKeys, ada: Walker, tmp_path: Path
) -> None:
    async with running_bot(bot_settings(telegram, tmp_path, ("binance", binance.base_url))):
        await pick_and_confirm(ada, "Binance")
        telegram.fail("deleteMessage", error_code=400, description="Bad Request: message can't be deleted")
        sent = await ada.send(binance_keys.read_only.api_key)
        warning = await ada.reply_to(sent, "received")

    assert "could not delete" in warning.text and "delete it yourself" in warning.text


async def test_cancel_wipes_what_was_typed(
    telegram: BotApiEmulator, binance: BinanceEmulator, binance_keys: DemoKeys, ada: Walker, tmp_path: Path
) -> None:
    async with running_bot(bot_settings(telegram, tmp_path, ("binance", binance.base_url))) as app:
        await pick_and_confirm(ada, "Binance")
        await paste(ada, binance_keys.read_only.api_key, "received")
        sent = await ada.send("/cancel")
        answer = await ada.reply_to(sent, "Cancelled")
        async with app.bot_data[SERVICES_KEY].database.reader() as session:
            drafts = (await session.scalars(select(AssistantDraft))).all()
        after = await ada.send(binance_keys.read_only.secret)
        stray = await ada.reply_to(after, "deleted it")

    assert answer.text == t("assistant.cancelled")
    assert drafts == []
    assert telegram.message(ada.chat_id, after.message_id).deleted, "a key pasted after /cancel is still deleted"
    assert "not expecting" in stray.text


async def test_an_abandoned_flow_is_wiped_after_the_timeout(
    telegram: BotApiEmulator, binance: BinanceEmulator, binance_keys: DemoKeys, ada: Walker, tmp_path: Path
) -> None:
    settings = bot_settings(telegram, tmp_path, ("binance", binance.base_url), assistant_timeout_seconds=1.0)
    async with running_bot(settings) as app:
        await pick_and_confirm(ada, "Binance")
        pasted = await ada.send(binance_keys.read_only.api_key)
        await ada.reply_to(pasted, "received")
        wiped = await ada.reply_to(pasted, "wiped after", timeout=20)
        async with app.bot_data[SERVICES_KEY].database.reader() as session:
            drafts = (await session.scalars(select(AssistantDraft))).all()

    assert "nothing was stored" in wiped.text
    assert drafts == []


async def test_after_a_restart_the_user_is_asked_for_what_is_missing(
    telegram: BotApiEmulator, binance: BinanceEmulator, binance_keys: DemoKeys, ada: Walker, tmp_path: Path
) -> None:
    settings = bot_settings(telegram, tmp_path, ("binance", binance.base_url))
    async with running_bot(settings):
        await pick_and_confirm(ada, "Binance")
        await paste(ada, binance_keys.read_only.api_key, "received")
    last_before = ada.newest_id()

    async with running_bot(settings):
        resumed = await telegram.wait_for_bot_message(
            ada.chat_id, after_message_id=last_before, predicate=lambda m: "restarted" in (m.text or "")
        )
        asked = await telegram.wait_for_bot_message(
            ada.chat_id, after_message_id=resumed.message_id, predicate=lambda m: "paste your" in (m.text or "")
        )
        await paste(ada, binance_keys.read_only.secret, "Check the key")
        await ada.press_for("Check and connect", "is connected")

    assert "Binance" in resumed.text
    assert "Secret" in asked.text


async def test_a_key_pasted_in_a_group_is_deleted_and_never_echoed(
    telegram: BotApiEmulator, ada: Walker, tmp_path: Path
) -> None:
    group = telegram.add_group(chat_id=-100777, title="Traders", members=[ada.user], bot_is_admin=True)
    leaked = "sk7Hq2kLmN9pQrStUvWx0yZaBcDeFgHiJ"
    async with running_bot(bot_settings(telegram, tmp_path)):
        sent = await telegram.send_message(ada.user, f"my key {leaked}", chat=group)
        warning = await telegram.wait_for_bot_message(group.chat_id, after_message_id=sent.message_id)
        connect = await telegram.send_message(ada.user, "/connect", chat=group)
        pointer = await telegram.wait_for_bot_message(group.chat_id, after_message_id=connect.message_id)

    assert telegram.message(group.chat_id, sent.message_id).deleted
    assert "rotate" in warning.text.lower() or "new one" in warning.text
    assert leaked not in warning.text
    assert "private" in pointer.text
    assert telegram.bot_messages(ada.chat_id) == []


async def test_a_forged_button_for_another_users_flow_does_nothing_to_it(
    telegram: BotApiEmulator, binance: BinanceEmulator, ada: Walker, tmp_path: Path
) -> None:
    from telegram import InlineKeyboardButton, InlineKeyboardMarkup

    eve = Walker(telegram, telegram.add_user(user_id=6666, first_name="Eve", started=True))
    async with running_bot(bot_settings(telegram, tmp_path, ("binance", binance.base_url))) as app:
        await pick_and_confirm(ada, "Binance")
        ada_menu = ada.last_menu("Cancel")
        forged_data = next(b.callback_data for b in ada_menu.buttons if "Cancel" in b.text)
        # Eve's client sends Ada's callback data from a message in Eve's own chat.
        await app.bot.send_message(
            eve.chat_id,
            "x",
            reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("Cancel", callback_data=forged_data)]]),
        )
        await eve.press_for("Cancel", "Connect your exchanges")
        still_open = await app.bot_data[SERVICES_KEY].drafts.load(1001)

    assert still_open is not None and still_open.state.exchange_id == "binance"
    assert any(answer.text == t("assistant.alert.expired_menu") for answer in telegram.answered_callbacks)


async def test_a_button_from_an_earlier_flow_says_expired_and_shows_a_fresh_menu(
    telegram: BotApiEmulator, ada: Walker, tmp_path: Path
) -> None:
    async with running_bot(bot_settings(telegram, tmp_path)):
        first = await ada.send("/connect")
        await ada.reply_to(first, "Connect your exchanges")
        old_menu = ada.last_menu("Confirm")
        second = await ada.send("/connect")
        await ada.reply_to(second, "Connect your exchanges")
        after = ada.newest_id()
        await telegram.press_button(ada.user, old_menu, "Bybit")
        fresh = await telegram.wait_for_bot_message(ada.chat_id, after_message_id=after)

    assert any(answer.text == t("assistant.alert.expired_menu") for answer in telegram.answered_callbacks)
    assert "Connect your exchanges" in fresh.text


async def test_typing_a_misspelt_name_finds_the_exchange(telegram: BotApiEmulator, ada: Walker, tmp_path: Path) -> None:
    async with running_bot(bot_settings(telegram, tmp_path)):
        sent = await ada.send("/connect")
        await ada.reply_to(sent, "Connect your exchanges")
        typed = await ada.send("bybt")
        results = await ada.reply_to(typed, "Connect your exchanges")

    assert results.buttons[0].text == "Bybit"


def test_suggested_names_count_up_per_exchange() -> None:
    assert numbered_name("Bitget", set()) == "Bitget-1"
    assert numbered_name("Bitget", {"Bitget-1", "bitget-2", "Binance-1"}) == "Bitget-3"


@pytest.fixture
async def bitget() -> AsyncIterator[BitgetEmulator]:
    async with BitgetEmulator(seed=13, listed_symbols=40) as emulator:
        yield emulator


@pytest.fixture
async def okx() -> AsyncIterator[OkxEmulator]:
    async with OkxEmulator(seed=14, listed_symbols=40) as emulator:
        yield emulator


async def test_binance_and_bitget_normal_and_tax_keys_in_one_run(
    telegram: BotApiEmulator, binance: BinanceEmulator, bitget: BitgetEmulator, ada: Walker, tmp_path: Path
) -> None:
    binance_key = binance.create_demo_keys().read_only
    bitget_keys = bitget.create_demo_keys()
    overrides = (("binance", binance.base_url), ("bitget", bitget.base_url))
    async with running_bot(bot_settings(telegram, tmp_path, *overrides)) as app:
        await pick_and_confirm(ada, "Binance", "Bitget")
        await paste(ada, binance_key.api_key, "received")
        await paste(ada, binance_key.secret, "Check the key")
        await ada.press_for("Check and connect", "is connected")
        await ada.reply_to(ada.emulator.bot_messages(ada.chat_id)[-1], "Which kind of key")
        await ada.press_for("Normal API key", "paste your")
        await paste(ada, bitget_keys.read_only.api_key, "received")
        await paste(ada, bitget_keys.read_only.secret, "received")
        passphrase = await ada.send(bitget_keys.read_only.passphrase)
        await ada.reply_to(passphrase, "Check the key")
        await ada.press_for("Check and connect", "Bitget-1 is connected")
        done = await ada.reply_to(passphrase, "All done")

        # A second Bitget account, this time with a Tax API key: no passphrase is asked for.
        await pick_and_confirm(ada, "Bitget", expect="Which kind of key")
        await ada.press_for("Tax API key", "paste your")
        await paste(ada, bitget_keys.tax.api_key, "received")
        secret = await ada.send(bitget_keys.tax.secret)
        await ada.reply_to(secret, "Check the key")
        await ada.press_for("Check and connect", "Bitget-2 is connected")
        stored = await app.bot_data[SERVICES_KEY].integrations.list(1001)

    assert "Binance-1" in done.text and "Bitget-1" in done.text
    assert [(s.account_name, s.key_type) for s in stored] == [
        ("Binance-1", "normal"),
        ("Bitget-1", "normal"),
        ("Bitget-2", "tax"),
    ]
    sent = ada.all_bot_texts()
    for value in (bitget_keys.read_only.secret, bitget_keys.read_only.passphrase, bitget_keys.tax.secret):
        assert value not in sent


async def test_a_wrong_passphrase_is_diagnosed_and_only_the_passphrase_is_asked_again(
    telegram: BotApiEmulator, okx: OkxEmulator, ada: Walker, tmp_path: Path
) -> None:
    key = okx.create_demo_keys().read_only
    async with running_bot(bot_settings(telegram, tmp_path, ("okx", okx.base_url))):
        await pick_and_confirm(ada, "OKX")
        await paste(ada, key.api_key, "received")
        await paste(ada, key.secret, "received")
        wrong = await ada.send("not-my-passphrase-1")
        await ada.reply_to(wrong, "Check the key")
        refusal = await ada.press_for("Check and connect", "❌")
        asked = await ada.press_for("Re-enter the passphrase", "paste your")
        right = await ada.send(key.passphrase)
        await ada.reply_to(right, "Check the key")
        connected = await ada.press_for("Check and connect", "is connected")

    assert "passphrase" in refusal.text.lower()
    assert "Passphrase" in asked.text
    assert "OKX-1" in connected.text
