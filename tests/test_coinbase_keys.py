"""Coinbase CDP keys through Tallybot's key check against the emulator: the permission endpoint's answer for every
demo key, and the refusals Coinbase gives (docs/exchange-apis/coinbase.md: a refused JWT is HTTP 401, a key without
the view permission 403 PERMISSION_DENIED); an Ed25519 key, which the Coinbase App does not take, refused in the
Assistant with the advice to create an ECDSA key."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import ccxt.async_support as ccxt
import pytest

from bot.context import SERVICES_KEY
from bot.secret import Secret
from connectors.clients import ClientPool
from connectors.diagnosis import DiagnosisCode
from connectors.keycheck import KeyCheck, check_key
from connectors.profiles import get_profile
from sandbox.botapi import BotApiEmulator
from sandbox.exchanges import AccountProfile, CoinbaseEmulator, Permissions
from sandbox.exchanges.coinbase_protocol import ed25519_secret
from tests.assistant_story import Walker
from tests.bot_harness import running_bot, settings_for

SMALL = AccountProfile(years=0.5, traded_markets=2, trades=10, deposits=2, withdrawals=1, converts=1, rewards=1)


@pytest.fixture
async def coinbase() -> AsyncIterator[CoinbaseEmulator]:
    async with CoinbaseEmulator(seed=91, profile=SMALL, listed_symbols=10) as emulator:
        yield emulator


@pytest.fixture
async def pool(coinbase: CoinbaseEmulator) -> AsyncIterator[ClientPool]:
    """One pool, as in the bot: the public product lists are loaded once (10 requests/s per IP, not per check)."""
    shared = ClientPool({"coinbase": coinbase.base_url})
    try:
        yield shared
    finally:
        await shared.close()


async def checked(pool: ClientPool, api_key: str, secret: str) -> KeyCheck:
    fields = {"apiKey": Secret(api_key), "secret": Secret(secret)}
    return await check_key(get_profile("coinbase"), fields, pool=pool, credential_id="coinbase-key-test")


async def test_every_demo_key_gets_the_outcome_its_permissions_and_state_call_for(
    coinbase: CoinbaseEmulator, pool: ClientPool
) -> None:
    keys = coinbase.create_demo_keys()
    read_only = await checked(pool, keys.read_only.api_key, keys.read_only.secret)
    assert read_only.ok and read_only.permissions_verified
    assert (read_only.can_read, read_only.can_trade, read_only.can_withdraw) == (True, False, False)
    trading = await checked(pool, keys.trading.api_key, keys.trading.secret)
    assert not trading.ok and trading.can_trade is True
    withdrawal = await checked(pool, keys.withdrawal.api_key, keys.withdrawal.secret)
    assert not withdrawal.ok and withdrawal.can_withdraw is True
    assert withdrawal.diagnosis is not None and withdrawal.diagnosis.code is DiagnosisCode.TOO_MANY_PERMISSIONS
    # Coinbase answers a deleted key, a key past its expiry and a request from outside the allowlist alike: 401.
    for refused in (keys.revoked, keys.expired, keys.ip_restricted):
        outcome = await checked(pool, refused.api_key, refused.secret)
        assert not outcome.ok and outcome.diagnosis is not None
        assert outcome.diagnosis.code is DiagnosisCode.INVALID_KEY


async def test_a_key_signed_with_another_private_key_is_refused(coinbase: CoinbaseEmulator, pool: ClientPool) -> None:
    keys = coinbase.create_demo_keys()
    outcome = await checked(pool, keys.read_only.api_key, keys.trading.secret)
    assert not outcome.ok and outcome.diagnosis is not None
    assert outcome.diagnosis.code is DiagnosisCode.INVALID_KEY


async def test_a_key_without_the_view_permission_is_told_what_is_missing(
    coinbase: CoinbaseEmulator, pool: ClientPool
) -> None:
    blind = coinbase.add_key(Permissions(read=False), label="no view")
    outcome = await checked(pool, blind.api_key, blind.secret)
    assert not outcome.ok and outcome.diagnosis is not None
    assert outcome.diagnosis.code is DiagnosisCode.MISSING_PERMISSION


async def test_an_ed25519_key_is_read_by_advanced_trade_and_refused_by_the_coinbase_app(
    coinbase: CoinbaseEmulator, pool: ClientPool
) -> None:
    """ccxt signs EdDSA with an Ed25519 key's seed: Advanced Trade (the key check's endpoint) takes it, the Coinbase
    App's transactions do not ("Ed25519 (EdDSA) keys are NOT supported", docs/exchange-apis/coinbase.md)."""
    made = coinbase.add_key(label="ed25519")
    key = coinbase.keys.lookup(made.api_key)
    assert key is not None
    key.secret = ed25519_secret()  # 88 base64 characters
    async with pool.client("coinbase", "ed25519", {"apiKey": made.api_key, "secret": key.secret}) as client:
        permissions = await client.v3PrivateGetBrokerageKeyPermissions({})
        assert permissions["can_view"] is True
        with pytest.raises(ccxt.AuthenticationError):
            await client.v2PrivateGetAccounts({"limit": 100})


async def test_the_assistant_refuses_an_ed25519_private_key_and_says_to_create_an_ecdsa_key(
    telegram: BotApiEmulator, coinbase: CoinbaseEmulator, tmp_path: Path
) -> None:
    ada = Walker(telegram, telegram.add_user(user_id=1002, first_name="Ada", started=True))
    key = coinbase.create_demo_keys().read_only
    settings = settings_for(telegram, tmp_path, exchange_url_overrides={"coinbase": coinbase.base_url})
    async with running_bot(settings) as app:
        assert app.bot_data[SERVICES_KEY] is not None
        sent = await ada.send("/connect")
        await ada.reply_to(sent, "Connect your exchanges")
        await ada.press("Coinbase")
        await telegram.wait_until(lambda: "✅ Coinbase" in " ".join(b.text for b in ada.last_menu("Confirm").buttons))
        await ada.press_for("Confirm exchanges", "paste your")
        typed = await ada.send(key.api_key)
        await ada.reply_to(typed, "paste your")
        typed = await ada.send(ed25519_secret())
        refused = (await ada.reply_to(typed, "does not look right")).text or ""
        # The ECDSA key of the same account is taken at once.
        typed = await ada.send(key.secret)
        await ada.reply_to(typed, "Check the key")
    assert "create an ECDSA key" in refused and "Ed25519" in refused
