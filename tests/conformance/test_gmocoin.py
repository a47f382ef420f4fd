"""GMO Coin against its documentation: the documented answers in tests/conformance/documented/gmocoin/ and the rules of
docs/exchange-apis/gmocoin.md.

Two checks per documented answer: the emulator answers in its shape (never the other way round), and the fetcher
reads off the documented rows what a person reads (the values below are worked out by hand from the examples). Then
the rules: the signature (timestamp + method + path, no query), the clock and key errors, the 30-minute range, the
`count` maximum, the 20-a-second limit, and the diagnosis of GMO Coin's codes.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from ccxt.base import errors

from connectors.diagnosis import diagnose
from connectors.diagnosis.facts import attach_response_facts
from connectors.diagnosis.model import DiagnosisCode
from connectors.fetchers.base import FetchReport, RateLimited
from connectors.fetchers.gmocoin import GmoCoinClient, rows
from connectors.fetchers.gmocoin.fetcher import rows_iso
from connectors.fetchers.windows import call
from connectors.profiles import Endpoint, get_profile
from connectors.records import RecordKind
from sandbox.exchanges import GmoCoinEmulator
from tests.conformance.corpus import shape_differences

DOCUMENTED = Path(__file__).resolve().parent / "documented" / "gmocoin"
# `fee` is in the crypto wallet lists' response tables but not in their examples.
TABLE_ONLY = frozenset({"$.data[].fee"})
PROFILE = get_profile("gmocoin")


def documented(name: str) -> Any:
    return json.loads((DOCUMENTED / f"{name}.docs.json").read_text(encoding="utf-8"))["response"]


@pytest.fixture
async def gmocoin() -> AsyncIterator[GmoCoinEmulator]:
    async with GmoCoinEmulator(seed=4, days=2.5, fills=20) as emulator:
        yield emulator


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as http:
        yield http


def client_for(emulator: GmoCoinEmulator, http: aiohttp.ClientSession, **credentials: str) -> GmoCoinClient:
    key = emulator.create_demo_keys().read_only
    values = {"apiKey": key.api_key, "secret": key.secret, **credentials}
    return GmoCoinClient(values, http, base_url=emulator.base_url)


async def raw(emulator: GmoCoinEmulator, http: aiohttp.ClientSession, path: str, query: str = "") -> Any:
    """A signed private request as the documented samples make it (`text = timestamp + method + path`)."""
    key = emulator.create_demo_keys().read_only
    stamp = str(time.time_ns() // 1_000_000)
    sign = hmac.new(key.secret.encode(), f"{stamp}GET{path}".encode(), hashlib.sha256).hexdigest()
    headers = {"API-KEY": key.api_key, "API-TIMESTAMP": stamp, "API-SIGN": sign}
    async with http.get(f"{emulator.base_url}/private{path}{query}", headers=headers) as response:
        return await response.json()


async def test_the_emulator_answers_in_the_documented_shapes(
    gmocoin: GmoCoinEmulator, session: aiohttp.ClientSession
) -> None:
    first_btc = min(d.ms for d in gmocoin.account.deposits if d.symbol == "BTC")
    btc_window = f"fromTimestamp={rows_iso(first_btc)}"
    first_jpy = min(d.ms for d in gmocoin.account.deposits if d.symbol == "JPY")
    jpy_window = f"fromTimestamp={rows_iso(first_jpy)}"
    sent_btc = f"fromTimestamp={rows_iso(min(w.ms for w in gmocoin.account.withdrawals if w.symbol == 'BTC'))}"
    executions = documented("latest_executions")
    for row in executions["data"]["list"]:
        del row["positionId"]  # "positionId … *Margin trading only": a spot fill has none
    answers = {
        "latest_executions": await raw(gmocoin, session, "/v1/latestExecutions", "?symbol=BTC"),
        "assets": await raw(gmocoin, session, "/v1/account/assets"),
        "deposit_history": await raw(gmocoin, session, "/v1/account/deposit/history", f"?symbol=BTC&{btc_window}"),
        "fiat_deposit_history": await raw(gmocoin, session, "/v1/account/fiatDeposit/history", f"?{jpy_window}"),
        "withdrawal_history": await raw(gmocoin, session, "/v1/account/withdrawal/history", f"?symbol=BTC&{sent_btc}"),
    }
    async with session.get(f"{gmocoin.base_url}/public/v1/symbols") as response:
        answers["symbols"] = await response.json()
    for name, answer in answers.items():
        expected = executions if name == "latest_executions" else documented(name)
        assert answer["data"], name
        assert shape_differences(expected, answer, extra_allowed=TABLE_ONLY) == [], name


def test_the_documented_rows_read_as_a_person_reads_them() -> None:
    fill = documented("latest_executions")["data"]["list"][0]
    trade = rows.trade(fill)
    # 0.7361 BTC bought at 877,404 JPY: 645,857.0844 JPY, a 323 JPY taker fee, at 02:15:06.086 UTC.
    assert (trade.market, trade.side, trade.asset, trade.amount, trade.price) == (
        "BTC/JPY",
        "buy",
        "BTC",
        Decimal("0.7361"),
        Decimal("877404"),
    )
    assert trade.quote_amount == Decimal("645857.0844")
    assert (trade.fee_asset, trade.fee_amount) == ("JPY", Decimal("323"))
    assert trade.occurred_at == datetime(2019, 3, 19, 2, 15, 6, 86_000, tzinfo=UTC)
    assert trade.exchange_tx_id == "72123911"
    deposit, hold = rows.transfer(documented("deposit_history")["data"][0], RecordKind.DEPOSIT)
    assert hold is None and deposit is not None
    assert (deposit.asset, deposit.amount, deposit.exchange_tx_id) == ("BTC", Decimal("0.9503"), "yyy")
    assert deposit.occurred_at == datetime(2021, 10, 5, 6, 4, 46, 241_000, tzinfo=UTC)
    sent, _ = rows.transfer(documented("withdrawal_history")["data"][0], RecordKind.WITHDRAWAL)
    assert sent is not None and (sent.kind, sent.asset, sent.amount) == (
        RecordKind.WITHDRAWAL,
        "BTC",
        Decimal("0.9503"),
    )
    jpy, _ = rows.transfer(documented("fiat_deposit_history")["data"][0], RecordKind.DEPOSIT)
    assert jpy is not None and (jpy.asset, jpy.amount, jpy.fee_amount) == ("JPY", Decimal("50000"), None)
    assert jpy.occurred_at == datetime(2021, 1, 1, 13, 47, 12, 791_000, tzinfo=UTC)
    # A status other than EXECUTED (none is documented) is not stored; a recent one holds the cursor.
    pending = {**documented("deposit_history")["data"][0], "status": "OTHER"}
    assert rows.transfer(pending, RecordKind.DEPOSIT)[0] is None


async def test_signing_clock_key_and_range_rules(gmocoin: GmoCoinEmulator, session: aiohttp.ClientSession) -> None:
    key = gmocoin.create_demo_keys().read_only
    stamp = str(time.time_ns() // 1_000_000)
    path = "/v1/latestExecutions"
    # The documented text: timestamp + method + path, without the query; a signature over the query is refused.
    good = hmac.new(key.secret.encode(), f"{stamp}GET{path}".encode(), hashlib.sha256).hexdigest()
    client = GmoCoinClient({"apiKey": key.api_key, "secret": key.secret}, session, base_url=gmocoin.base_url)
    assert client.sign(stamp, "GET", path) == good
    over_query = hmac.new(key.secret.encode(), f"{stamp}GET{path}?symbol=BTC".encode(), hashlib.sha256).hexdigest()
    url = f"{gmocoin.base_url}/private{path}?symbol=BTC"

    async def answer(headers: dict[str, str]) -> tuple[int, str]:
        async with session.get(url, headers=headers) as response:
            body = await response.json()
            return response.status, (body.get("messages") or [{}])[0].get("message_code", "ok")

    assert await answer({"API-KEY": key.api_key, "API-TIMESTAMP": stamp, "API-SIGN": good}) == (200, "ok")
    assert await answer({"API-KEY": key.api_key, "API-TIMESTAMP": stamp, "API-SIGN": over_query}) == (401, "ERR-5010")
    assert await answer({"API-TIMESTAMP": stamp, "API-SIGN": good}) == (401, "ERR-5011")
    assert await answer({"API-KEY": key.api_key, "API-TIMESTAMP": "now", "API-SIGN": good}) == (401, "ERR-5007")
    old = str(int(stamp) - 10 * 60_000)
    old_sign = client.sign(old, "GET", path)
    assert await answer({"API-KEY": key.api_key, "API-TIMESTAMP": old, "API-SIGN": old_sign}) == (401, "ERR-5009")
    # A range of more than 30 minutes is ERR-846; a count over 100 is refused.
    with pytest.raises(errors.BadRequest) as too_long:
        await client.privateGetAccountFiatDepositHistory(
            {"fromTimestamp": "2024-03-01T00:00:00.000Z", "toTimestamp": "2024-03-01T00:30:00.001Z"}
        )
    attach_response_facts(too_long.value, client)
    assert "ERR-846" in str(too_long.value)
    assert (
        await client.privateGetAccountFiatDepositHistory(
            {"fromTimestamp": "2024-03-01T00:00:00.000Z", "toTimestamp": "2024-03-01T00:30:00.000Z"}
        )
        == []
    )
    with pytest.raises(errors.BadRequest):
        await client.privateGetLatestExecutions({"symbol": "BTC", "count": 101})


async def test_the_limit_the_refused_keys_and_their_diagnoses(
    gmocoin: GmoCoinEmulator, session: aiohttp.ClientSession
) -> None:
    keys = gmocoin.create_demo_keys()
    fast = GmoCoinClient(
        {"apiKey": keys.read_only.api_key, "secret": keys.read_only.secret}, session, base_url=gmocoin.base_url
    )
    fast.per_second = 1_000  # unpaced, to meet the emulator's 20 a second
    report = FetchReport()
    for _ in range(20):
        await call(fast, "privateGetAccountAssets", {}, endpoint=Endpoint.DEPOSITS, report=report)
    with pytest.raises(RateLimited) as limited:
        await call(fast, "privateGetAccountAssets", {}, endpoint=Endpoint.DEPOSITS, report=report)
    assert limited.value.retry_after is not None and 0 < limited.value.retry_after <= 1
    gmocoin.limits = replace(gmocoin.limits, per_second=1_000)
    for kind, expected in (("ip_restricted", DiagnosisCode.KEY_REFUSED), ("expired", DiagnosisCode.KEY_REFUSED)):
        key = getattr(keys, kind)
        refused = GmoCoinClient({"apiKey": key.api_key, "secret": key.secret}, session, base_url=gmocoin.base_url)
        with pytest.raises(errors.AuthenticationError) as caught:
            await refused.fetch_balance()
        attach_response_facts(caught.value, refused)
        assert diagnose(caught.value, PROFILE).code is expected, kind
    wrong_secret = GmoCoinClient(
        {"apiKey": keys.read_only.api_key, "secret": "x" * 64}, session, base_url=gmocoin.base_url
    )
    with pytest.raises(errors.AuthenticationError) as caught:
        await wrong_secret.fetch_balance()
    assert diagnose(caught.value, PROFILE).code is DiagnosisCode.INVALID_KEY
    error = documented("error")
    assert error["messages"][0]["message_code"] == "ERR-5012"


async def test_the_client_paces_itself_at_tier_one(gmocoin: GmoCoinEmulator, session: aiohttp.ClientSession) -> None:
    """20 requests a second (Tier 1): the 21st waits for the first to be a second old, and none is refused."""
    client = client_for(gmocoin, session)
    assert client.per_second == 20
    client.per_second = 4  # the same rule, at a pace the test can wait for
    gmocoin.limits = replace(gmocoin.limits, per_second=4)
    started = time.monotonic()
    for _ in range(5):
        await client.privateGetAccountAssets()
    assert 1.0 <= time.monotonic() - started < 2.0
