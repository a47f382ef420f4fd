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


async def checked(emulator: CoinbaseEmulator, api_key: str, secret: str) -> KeyCheck:
    pool = ClientPool({"coinbase": emulator.base_url})
    try:
        fields = {"apiKey": Secret(api_key), "secret": Secret(secret)}
        return await check_key(get_profile("coinbase"), fields, pool=pool, credential_id="coinbase-key-test")
    finally:
        await pool.close()


async def test_every_demo_key_gets_the_outcome_its_permissions_and_state_call_for(coinbase: CoinbaseEmulator) -> None:
    keys = coinbase.create_demo_keys()
    read_only = await checked(coinbase, keys.read_only.api_key, keys.read_only.secret)
    assert read_only.ok and read_only.permissions_verified
    assert (read_only.can_read, read_only.can_trade, read_only.can_withdraw) == (True, False, False)
    trading = await checked(coinbase, keys.trading.api_key, keys.trading.secret)
    assert not trading.ok and trading.can_trade is True
    withdrawal = await checked(coinbase, keys.withdrawal.api_key, keys.withdrawal.secret)
    assert not withdrawal.ok and withdrawal.can_withdraw is True
    assert withdrawal.diagnosis is not None and withdrawal.diagnosis.code is DiagnosisCode.TOO_MANY_PERMISSIONS
    # Coinbase answers a deleted key, a key past its expiry and a request from outside the allowlist alike: 401.
    for refused in (keys.revoked, keys.expired, keys.ip_restricted):
        outcome = await checked(coinbase, refused.api_key, refused.secret)
        assert not outcome.ok and outcome.diagnosis is not None
        assert outcome.diagnosis.code is DiagnosisCode.INVALID_KEY


async def test_a_key_signed_with_another_private_key_is_refused(coinbase: CoinbaseEmulator) -> None:
    keys = coinbase.create_demo_keys()
    outcome = await checked(coinbase, keys.read_only.api_key, keys.trading.secret)
    assert not outcome.ok and outcome.diagnosis is not None
    assert outcome.diagnosis.code is DiagnosisCode.INVALID_KEY


async def test_a_key_without_the_view_permission_is_told_what_is_missing(coinbase: CoinbaseEmulator) -> None:
    blind = coinbase.add_key(Permissions(read=False), label="no view")
    outcome = await checked(coinbase, blind.api_key, blind.secret)
    assert not outcome.ok and outcome.diagnosis is not None
    assert outcome.diagnosis.code is DiagnosisCode.MISSING_PERMISSION


async def test_an_ed25519_key_signs_eddsa_jwts_the_emulator_verifies(coinbase: CoinbaseEmulator) -> None:
    made = coinbase.add_key(label="ed25519")
    key = coinbase.keys.lookup(made.api_key)
    assert key is not None
    key.secret = ed25519_secret()  # 88 base64 characters: ccxt signs EdDSA with the seed
    outcome = await checked(coinbase, made.api_key, key.secret)
    assert outcome.ok and outcome.can_read is True
