"""Coinbase CDP keys through Tallybot's key check against the emulator: the permission endpoint's answer for every
demo key, and the refusals Coinbase gives (docs/exchange-apis/coinbase.md: a refused JWT is HTTP 401, a key without
the view permission 403 PERMISSION_DENIED)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.secret import Secret
from connectors.clients import ClientPool
from connectors.diagnosis import DiagnosisCode
from connectors.keycheck import KeyCheck, check_key
from connectors.profiles import get_profile
from sandbox.exchanges import AccountProfile, CoinbaseEmulator, Permissions
from sandbox.exchanges.coinbase_protocol import ed25519_secret

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


async def test_an_ed25519_key_signs_eddsa_jwts_the_emulator_verifies(
    coinbase: CoinbaseEmulator, pool: ClientPool
) -> None:
    made = coinbase.add_key(label="ed25519")
    key = coinbase.keys.lookup(made.api_key)
    assert key is not None
    key.secret = ed25519_secret()  # 88 base64 characters: ccxt signs EdDSA with the seed
    outcome = await checked(pool, made.api_key, key.secret)
    assert outcome.ok and outcome.can_read is True
