""" "Let Tallybot make the key", end to end through the real bot: no secret ever crosses the chat.

Binance takes self-generated Ed25519 keys: the user registers the public key (API Management → Create API →
Self-generated) and Binance issues an API key for it (binance/binance-spot-api-docs faqs/api_key_types.md). Here
Tallybot makes the key pair; the test does what the user would do on binance.com through the emulator's stand-in
(`register_self_generated_key`), then the user sends only the API key. Every logger runs at DEBUG, and the private
key is hunted for in the logs, the database bytes, every Bot API call and every message of the chat.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
from collections.abc import AsyncIterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from sqlalchemy import select

from bot.context import SERVICES_KEY, Services
from db.models import AssistantDraft
from sandbox.botapi import BotApiEmulator
from sandbox.botapi.models import ChatMessage
from sandbox.exchanges import AccountProfile, BinanceEmulator, BinanceLimits, BybitEmulator, KeyPairKind
from sandbox.exchanges.self_generated import new_private_key, public_key_pem
from tests.assistant_story import Walker
from tests.bot_harness import running_bot, settings_for
from tests.reliability.test_secrets import byte_leaks, database_bytes, every_logger_at_debug, leaks

SMALL = AccountProfile(
    years=1.0, traded_markets=3, trades=30, deposits=4, withdrawals=3, converts=2, transfers=0, rewards=2
)
# Bybit's story is the RSA key, not the walk: eight weeks of history synced from 60 days back (a year from 400 days
# back walked 7-day windows for 45 s, twice).
EIGHT_WEEKS = AccountProfile(
    years=0.15, traded_markets=3, trades=30, deposits=4, withdrawals=3, converts=2, transfers=0, rewards=2
)
PUBLIC_KEY = re.compile(r"-----BEGIN PUBLIC KEY-----\n[A-Za-z0-9+/=\n]+?\n-----END PUBLIC KEY-----")
MAKE_KEY = "Let Tallybot make the key"


@pytest.fixture
async def binance() -> AsyncIterator[BinanceEmulator]:
    # Binance allows 10 withdrawal-history calls a minute per account; the story is about the key, not waiting.
    limits = BinanceLimits(sapi_uid_weight_per_minute=100_000_000)
    async with BinanceEmulator(seed=43, profile=SMALL, listed_symbols=20, limits=limits) as emulator:
        yield emulator


async def open_binance(ada: Walker) -> None:
    sent = await ada.send("/connect")
    await ada.reply_to(sent, "Connect your exchanges")
    await ada.press("Binance")
    await ada.emulator.wait_until(lambda: "✅ Binance" in " ".join(b.text for b in ada.last_menu("Confirm").buttons))
    await ada.press_for("Confirm exchanges", "paste your")


async def make_key(ada: Walker) -> tuple[ChatMessage, str]:
    """Press "Let Tallybot make the key"; the message with the public key, and the key as the user copies it."""
    shown = await ada.press_for(MAKE_KEY, "BEGIN PUBLIC KEY")
    found = PUBLIC_KEY.search(shown.text or "")
    assert found is not None, shown.text
    return shown, found.group(0)


async def drafts(services: Services) -> list[AssistantDraft]:
    async with services.database.reader() as session:
        return list((await session.scalars(select(AssistantDraft))).all())


def every_text_in_the_chat(ada: Walker) -> list[str]:
    """Every message of the chat, the user's and the bot's, each version of an edited one, buttons included."""
    texts: list[str] = []
    for message in ada.emulator.messages(ada.chat_id):
        texts.append(message.text or "")
        texts.extend(version.text or "" for version in message.history)
        texts.extend(button.text for button in message.buttons)
    return texts


def private_key_canaries(private_pem: str) -> dict[str, str]:
    """The private key in every form it could leak in: its PEM body, and its 32-byte seed as base64 and hex."""
    body = "".join(line for line in private_pem.splitlines() if not line.startswith("-----"))
    key = serialization.load_pem_private_key(private_pem.encode(), password=None)
    seed = key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())
    return {
        "private key (PEM body)": body,
        "private key seed (base64)": base64.b64encode(seed).decode().rstrip("="),
        "private key seed (hex)": seed.hex(),
    }


async def test_tallybot_makes_the_key_the_user_sends_only_the_api_key_and_it_connects_and_syncs(
    telegram: BotApiEmulator, binance: BinanceEmulator, ada: Walker, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    settings = settings_for(telegram, data_dir, exchange_url_overrides={"binance": binance.base_url})
    with every_logger_at_debug() as everything:
        async with running_bot(settings) as app:
            services: Services = app.bot_data[SERVICES_KEY]
            await open_binance(ada)
            intro = ada.all_bot_texts()
            shown, public_pem = await make_key(ada)
            [draft] = await drafts(services)
            sealed_in_draft = set(draft.sealed)

            # What the user does on binance.com: Create API → Self-generated → paste the public key.
            api_key = binance.register_self_generated_key(public_pem)
            pasted = await ada.send(api_key)
            received = await ada.reply_to(pasted, "received")
            await ada.reply_to(pasted, "Check the key")
            connected = await ada.connect_from(days_back=400)
            summary = await ada.sync_now()

            [account] = await services.integrations.list(1001)
            private_pem = (await services.integrations.credentials(1001, account.id))["secret"].reveal()
            stored = await services.integrations.transaction_count(1001, account.id)
            left_over = await drafts(services)
            blobs = await database_bytes(services, data_dir)

    public_of_stored = (
        serialization.load_pem_private_key(private_pem.encode(), password=None)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
        .strip()
    )
    canaries = private_key_canaries(private_pem)
    chat = every_text_in_the_chat(ada)
    calls = [json.dumps(call.params, default=str, ensure_ascii=False) for call in telegram.calls]

    assert MAKE_KEY in intro and "recommended" in intro.lower()
    assert [entity["type"] for entity in shown.entities if entity["type"] == "pre"] == ["pre"], "a copyable block"
    assert public_of_stored == public_pem, "the public key shown is the pair of the private key Tallybot keeps"
    assert sealed_in_draft == {"secret"}, "the private key was sealed in the draft before the user did anything"
    assert f"…{api_key[-4:]} received, message deleted" in (received.text or "")
    assert telegram.message(ada.chat_id, pasted.message_id).deleted
    assert "Read-only ✓" in (connected.text or "")
    assert account.key_type == "tallybot_ed25519"
    assert stored > 0 and f"✅ Binance-1: {stored:,} new" in (summary.text or "")
    assert left_over == [], "the finished flow left nothing behind"
    # The user sent four messages, none of them secret; no message of the chat carries any private key material.
    user_texts = [m.text for m in telegram.messages(ada.chat_id) if not m.from_bot]
    assert user_texts == ["/connect", api_key, (date.today() - timedelta(days=400)).isoformat(), "/sync"]
    assert [text for text in chat if "PRIVATE KEY" in text] == []
    assert leaks(canaries, chat) == []
    assert leaks(canaries, calls) == [], "no Bot API call carried it"
    assert leaks(canaries, everything.texts) == [], "no log record at DEBUG carried it"
    assert len(everything.texts) > 100, "the loggers did record the story"
    assert byte_leaks(canaries, blobs) == [], "the database holds it only sealed"


async def test_cancelling_wipes_the_key_pair_tallybot_made(
    telegram: BotApiEmulator, binance: BinanceEmulator, ada: Walker, tmp_path: Path
) -> None:
    settings = settings_for(telegram, tmp_path / "data", exchange_url_overrides={"binance": binance.base_url})
    async with running_bot(settings) as app:
        services: Services = app.bot_data[SERVICES_KEY]
        await open_binance(ada)
        await make_key(ada)
        before = [set(draft.sealed) for draft in await drafts(services)]
        cancel = await ada.send("/cancel")
        await ada.reply_to(cancel, "Cancelled")
        after = await drafts(services)

    assert before == [{"secret"}]
    assert after == []


async def test_an_abandoned_key_pair_is_wiped_when_the_assistant_times_out(
    telegram: BotApiEmulator, binance: BinanceEmulator, ada: Walker, tmp_path: Path
) -> None:
    settings = settings_for(
        telegram,
        tmp_path / "data",
        exchange_url_overrides={"binance": binance.base_url},
        assistant_timeout_seconds=1.0,
    )
    async with running_bot(settings) as app:
        services: Services = app.bot_data[SERVICES_KEY]
        await open_binance(ada)
        shown, _ = await make_key(ada)
        wiped = await ada.reply_to(shown, "wiped after", timeout=20)
        after = await drafts(services)

    assert "nothing was stored" in (wiped.text or "")
    assert after == []


async def test_choosing_to_make_a_key_oneself_wipes_the_pair_and_asks_for_both_values(
    telegram: BotApiEmulator, binance: BinanceEmulator, ada: Walker, tmp_path: Path
) -> None:
    settings = settings_for(telegram, tmp_path / "data", exchange_url_overrides={"binance": binance.base_url})
    async with running_bot(settings) as app:
        services: Services = app.bot_data[SERVICES_KEY]
        await open_binance(ada)
        await make_key(ada)
        asked = await ada.press_for("make a key myself", "step 1 of 2")
        # The bot saves the step right after sending its prompt.
        for _ in range(50):
            [draft] = await drafts(services)
            if draft.state["key_type"] == "normal":
                break
            await asyncio.sleep(0.1)

    assert "paste your API key" in (asked.text or "")
    assert draft.sealed == {}
    assert draft.state["key_type"] == "normal"


async def test_after_a_restart_the_same_public_key_is_shown_again_and_still_connects(
    telegram: BotApiEmulator, binance: BinanceEmulator, ada: Walker, tmp_path: Path
) -> None:
    settings = settings_for(telegram, tmp_path / "data", exchange_url_overrides={"binance": binance.base_url})
    async with running_bot(settings):
        await open_binance(ada)
        _, public_pem = await make_key(ada)
    last_before = ada.newest_id()

    async with running_bot(settings):
        resumed = await telegram.wait_for_bot_message(
            ada.chat_id, after_message_id=last_before, predicate=lambda m: "BEGIN PUBLIC KEY" in (m.text or "")
        )
        api_key = binance.register_self_generated_key(public_pem)
        pasted = await ada.send(api_key)
        await ada.reply_to(pasted, "Check the key")
        connected = await ada.press_for("Check and connect", "is connected")

    again = PUBLIC_KEY.search(resumed.text or "")
    assert again is not None and again.group(0) == public_pem
    assert "Read-only ✓" in (connected.text or "")


# ------------------------------------------------------------------------------------------- Bybit (RSA)


@pytest.fixture
async def bybit() -> AsyncIterator[BybitEmulator]:
    async with BybitEmulator(seed=44, profile=EIGHT_WEEKS, listed_symbols=20) as emulator:
        yield emulator


async def open_bybit(ada: Walker) -> None:
    sent = await ada.send("/connect")
    await ada.reply_to(sent, "Connect your exchanges")
    await ada.press("Bybit")
    await ada.emulator.wait_until(lambda: "✅ Bybit" in " ".join(b.text for b in ada.last_menu("Confirm").buttons))
    await ada.press_for("Confirm exchanges", "paste your")


async def check_connect_and_sync(ada: Walker) -> tuple[str, str]:
    connected = await ada.connect_from(days_back=60)
    summary = await ada.sync_now(timeout=120)
    return connected.text or "", summary.text or ""


async def test_bybit_self_generated_rsa_keys_made_by_tallybot_or_pasted_connect_and_sync(
    telegram: BotApiEmulator, bybit: BybitEmulator, ada: Walker, tmp_path: Path
) -> None:
    """Bybit's self-generated keys are RSA (v5 docs, "Select Your API Key Type"): Tallybot makes one, or takes the
    user's own; both sign RSA_SHA256 in base64 and sync."""
    own_private = new_private_key(KeyPairKind.RSA)
    own_api_key = bybit.register_self_generated_key(public_key_pem(own_private))
    settings = settings_for(telegram, tmp_path / "data", exchange_url_overrides={"bybit": bybit.base_url})
    async with running_bot(settings) as app:
        services: Services = app.bot_data[SERVICES_KEY]
        await open_bybit(ada)
        shown, public_pem = await make_key(ada)
        pasted = await ada.send(bybit.register_self_generated_key(public_pem))
        await ada.reply_to(pasted, "Check the key")
        made_connected, made_summary = await check_connect_and_sync(ada)

        await open_bybit(ada)
        key_message = await ada.send(own_api_key)
        await ada.reply_to(key_message, "paste your Secret")
        secret_message = await ada.send(own_private)
        received = await ada.reply_to(secret_message, "Secret key")
        await ada.reply_to(secret_message, "Check the key")
        own_connected, own_summary = await check_connect_and_sync(ada)
        accounts = {account.account_name: account.key_type for account in await services.integrations.list(1001)}
        made_private = (
            await services.integrations.credentials(
                1001, next(a.id for a in await services.integrations.list(1001) if a.key_type == "tallybot_rsa")
            )
        )["secret"].reveal()

    assert "RSA key" in (shown.text or "")
    assert accounts == {"Bybit-1": "tallybot_rsa", "Bybit-2": "normal"}
    assert "Read-only ✓" in made_connected and "Read-only ✓" in own_connected
    assert re.search(r"✅ Bybit-1: [\d,]+ new", made_summary) and re.search(r"✅ Bybit-2: [\d,]+ new", own_summary)
    assert re.search(r"Secret key \(\d+ characters\) received", received.text or "")
    assert telegram.message(ada.chat_id, secret_message.message_id).deleted
    chat = every_text_in_the_chat(ada)
    body = "".join(line for line in made_private.splitlines() if not line.startswith("-----"))
    # The middle of the key: every RSA-2048 PKCS#8 body starts with the same ASN.1 header.
    assert [text for text in chat if body[200:260] in text] == []


async def test_an_api_key_of_another_key_pair_is_refused_and_the_right_one_then_connects(
    telegram: BotApiEmulator, binance: BinanceEmulator, ada: Walker, tmp_path: Path
) -> None:
    """The user registers some other public key on Binance (or pastes another key's API key): Binance refuses the
    signature (-1022), Tallybot says so, keeps the key pair it made, and takes the right API key next."""
    other = binance.create_demo_keys().ed25519.api_key
    settings = settings_for(telegram, tmp_path / "data", exchange_url_overrides={"binance": binance.base_url})
    async with running_bot(settings):
        await open_binance(ada)
        _, public_pem = await make_key(ada)
        wrong = await ada.send(other)
        await ada.reply_to(wrong, "Check the key")
        refusal = await ada.press_for("Check and connect", "❌")
        asked = await ada.press_for("Enter a new key", "paste your API key")
        right = await ada.send(binance.register_self_generated_key(public_pem))
        await ada.reply_to(right, "Check the key")
        connected = await ada.press_for("Check and connect", "is connected")

    assert "Binance does not accept this API key" in (refusal.text or "")
    assert "the public key it showed you" in (refusal.text or "")
    assert "step 1 of 1: paste your API key" in (asked.text or ""), "only the API key is asked for again"
    assert "Read-only ✓" in (connected.text or "")
    assert [text for text in every_text_in_the_chat(ada) if "PRIVATE KEY" in text] == []
