"""Every Kraken demo key through the real key check: GetApiKeyInfo on the Kraken emulator, through a real ccxt client.

GetApiKeyInfo needs no permission (Kraken's docs: "API Key Permissions Required: None") and lists the key's
permissions, IP allow-list and expiry (docs/exchange-apis/kraken.md). A read-only key connects with one request; a
key that can trade or withdraw is refused for that; a deleted or lapsed key is "EAPI:Invalid key"; a call from
outside the key's allow-list is "EGeneral:Permission denied" (unsourced), whose fix names the allow-list too.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.secret import Secret
from connectors.clients import ClientPool
from connectors.diagnosis import DiagnosisCode
from connectors.keycheck import KeyCheck, check_key
from connectors.profiles import get_profile
from i18n import render
from sandbox.exchanges import Credentials, KrakenEmulator
from sandbox.exchanges.records import AccountProfile

KRAKEN = get_profile("kraken")
SMALL = AccountProfile(years=0.5, traded_markets=3, trades=20, deposits=2, withdrawals=1, converts=1, rewards=1)


@pytest.fixture
async def kraken() -> AsyncIterator[KrakenEmulator]:
    async with KrakenEmulator(seed=9, profile=SMALL, listed_symbols=10) as emulator:
        yield emulator


async def check(emulator: KrakenEmulator, key: Credentials, name: str) -> KeyCheck:
    pool = ClientPool({"kraken": emulator.base_url})
    try:
        fields = {"apiKey": Secret(key.api_key), "secret": Secret(key.secret)}
        return await check_key(KRAKEN, fields, pool=pool, credential_id=name)
    finally:
        await pool.close()


async def test_each_demo_key_gets_the_outcome_kraken_gives_it(kraken: KrakenEmulator) -> None:
    keys = kraken.create_demo_keys()
    results = {kind: await check(kraken, getattr(keys, kind), kind) for kind in ("read_only", "trading", "withdrawal")}
    refused = {kind: await check(kraken, getattr(keys, kind), kind) for kind in ("expired", "revoked", "ip_restricted")}

    read_only = results["read_only"]
    assert read_only.ok and read_only.permissions_verified and read_only.requests == 1
    assert (read_only.can_read, read_only.can_trade, read_only.can_withdraw, read_only.ip_restricted) == (
        True,
        False,
        False,
        False,
    )
    assert read_only.expires_at is None
    trading = results["trading"]
    assert not trading.ok and trading.can_trade and not trading.can_withdraw
    assert trading.diagnosis is not None and trading.diagnosis.code is DiagnosisCode.TOO_MANY_PERMISSIONS
    withdrawal = results["withdrawal"]
    assert not withdrawal.ok and withdrawal.can_withdraw and withdrawal.ip_restricted  # bound to 127.0.0.1 too
    assert withdrawal.diagnosis is not None and withdrawal.diagnosis.code is DiagnosisCode.TOO_MANY_PERMISSIONS

    for kind in ("expired", "revoked"):
        diagnosis = refused[kind].diagnosis
        assert not refused[kind].ok and diagnosis is not None and diagnosis.code is DiagnosisCode.INVALID_KEY, kind
    ip = refused["ip_restricted"].diagnosis
    assert not refused["ip_restricted"].ok and ip is not None and ip.code is DiagnosisCode.MISSING_PERMISSION
    assert any("IP allow-list" in render(fix) for fix in ip.fixes)
    assert kraken.requests.unexpected == []


async def test_a_key_with_an_expiry_date_connects_and_the_date_is_kept(kraken: KrakenEmulator) -> None:
    in_thirty_days = (kraken.clock.now_ms() // 1000 + 30 * 86_400) * 1000  # validUntil is whole seconds
    key = kraken.add_key(expires_at=in_thirty_days, label="expiring")
    result = await check(kraken, key, "expiring")
    assert result.ok and result.expires_at is not None
    assert int(result.expires_at.timestamp() * 1000) == in_thirty_days
    assert any("expire" in str(warning).lower() for warning in result.warnings)
