"""MEXC against its documentation: the documented answers in tests/conformance/documented/mexc/ and the tables of
docs/exchange-apis/mexc.md.

Two checks per documented answer: the emulator answers in its shape (never the other way round), and the fetcher
reads off it what a person reads (the expected records are written by hand from the payload). Then the rules: the
signing and key errors, the parameter rules, windows and reach, the per-endpoint limits, and the key check.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest

from bot.secret import Secret
from connectors.clients import ClientPool
from connectors.diagnosis.model import DiagnosisCode
from connectors.fetchers.base import FetchReport
from connectors.fetchers.discovery import SpotMarket
from connectors.fetchers.mexc import MexcFetcher
from connectors.fetchers.mexc.rows import RowReader
from connectors.keycheck import check_key
from connectors.profiles import Endpoint, get_profile
from connectors.records import RecordKind
from i18n import render
from sandbox.exchanges import AccountProfile, Credentials, MexcEmulator, MexcLimits
from sandbox.exchanges.base import DAY_MS
from tests.conformance.corpus import move, readable, shape_differences

DOCUMENTED = Path(__file__).resolve().parent / "documented" / "mexc"
SMALL = AccountProfile(
    years=0.5, traded_markets=3, trades=2000, deposits=20, withdrawals=10, converts=6, transfers=12, rewards=0
)


def documented(name: str) -> Any:
    return json.loads((DOCUMENTED / name).read_text(encoding="utf-8"))


class Codes:
    """ccxt's currency codes for the ids in these payloads are the ids themselves."""

    def safe_currency_code(self, currency: str) -> str:
        return currency


@pytest.fixture
async def mexc() -> AsyncIterator[MexcEmulator]:
    async with MexcEmulator(seed=12, profile=SMALL, listed_symbols=20) as emulator:
        yield emulator


def sign(secret: str, query: str) -> str:
    return hmac.new(secret.encode(), query.encode(), hashlib.sha256).hexdigest()


async def signed_get(
    emulator: MexcEmulator,
    key: Credentials,
    path: str,
    params: dict[str, Any] | None = None,
    *,
    skew_ms: int = 0,
    recv_window: int | None = None,
    signature: str | None = None,
    api_key: str | None = None,
) -> tuple[int, Any]:
    """One GET signed as MEXC's "SIGNED" section shows (HMAC of the query string, then `&signature=`), by hand."""
    query_params = dict(params or {})
    if recv_window is not None:
        query_params["recvWindow"] = recv_window
    query_params["timestamp"] = int(time.time() * 1000) + skew_ms
    query = urlencode(query_params)
    signed = signature if signature is not None else sign(key.secret, query)
    headers = {"X-MEXC-APIKEY": key.api_key if api_key is None else api_key}
    url = f"{emulator.base_url}{path}?{query}&signature={signed}"
    async with aiohttp.ClientSession() as http, http.get(url, headers=headers) as answer:
        return answer.status, await answer.json()


async def public_get(emulator: MexcEmulator, path: str) -> Any:
    async with aiohttp.ClientSession() as http, http.get(emulator.base_url + path) as answer:
        return await answer.json()


# -- the documented answers ----------------------------------------------------------------------------------


async def test_the_emulator_answers_the_documented_examples_in_their_shape(mexc: MexcEmulator) -> None:
    key = mexc.create_demo_keys().read_only
    symbol = mexc.account.traded_symbols[0]
    _, trades = await signed_get(mexc, key, "/api/v3/myTrades", {"symbol": symbol})
    _, deposits = await signed_get(mexc, key, "/api/v3/capital/deposit/hisrec", {"startTime": 0, "endTime": 1})
    week_start = mexc.account.deposits[-1].timestamp - DAY_MS
    _, deposits = await signed_get(
        mexc, key, "/api/v3/capital/deposit/hisrec", {"startTime": week_start, "endTime": week_start + 80 * DAY_MS}
    )
    withdrawn = mexc.account.withdrawals[-1].timestamp - DAY_MS
    _, withdrawals = await signed_get(
        mexc, key, "/api/v3/capital/withdraw/history", {"startTime": withdrawn, "endTime": withdrawn + 80 * DAY_MS}
    )
    _, account = await signed_get(mexc, key, "/api/v3/account")
    assert trades and deposits and withdrawals
    assert shape_differences(documented("myTrades.docs.json")["response"], trades) == []
    assert shape_differences(documented("deposit_hisrec.docs.json")["response"], deposits) == []
    assert shape_differences(documented("withdraw_history.docs.json")["response"], withdrawals) == []
    assert shape_differences(documented("account.docs.json")["response"], account) == []
    info = await public_get(mexc, "/api/v3/exchangeInfo")
    # Two fields the example lacks are in the endpoint's response table ("min order amount in market order", "max
    # quote Amount in market order").
    extra = frozenset({"$.quoteAmountPrecisionMarket", "$.maxQuoteAmountMarket"})
    symbol_doc = documented("exchangeInfo_symbol.docs.json")["response"]
    assert all(shape_differences(symbol_doc, row, extra_allowed=extra) == [] for row in info["symbols"])
    assert {"timezone", "serverTime", "rateLimits", "exchangeFilters"} <= info.keys()
    assert shape_differences(documented("time.docs.json")["response"], await public_get(mexc, "/api/v3/time")) == []


async def test_the_transfer_list_answers_the_documented_rows_as_an_object(mexc: MexcEmulator) -> None:
    key = mexc.create_demo_keys().read_only
    start = mexc.clock.now_ms() - 179 * DAY_MS
    answers = [
        await signed_get(
            mexc, key, "/api/v3/capital/transfer", {"fromAccountType": a, "toAccountType": b, "startTime": start}
        )
        for a, b in (("SPOT", "FUTURES"), ("FUTURES", "SPOT"))
    ]
    assert all(status == 200 for status, _ in answers) and any(body["rows"] for _, body in answers)
    # The docs print the object inside a list; ccxt's fetch_transfers shows the live answer as the object itself,
    # which the emulator follows (docs/exchange-apis/mexc.md). `symbol` is in the endpoint's response table.
    inner = documented("transfer.docs.json")["response"][0]
    # A transfer made without a client id: ccxt's live sample shows `clientTranId` null, the docs' example "test".
    inner = {**inner, "rows": [{**row, "clientTranId": None} for row in inner["rows"]]}
    extra = frozenset({"$.rows[].symbol"})
    assert all(shape_differences(inner, body, extra_allowed=extra) == [] for _, body in answers)
    status, body = await signed_get(mexc, key, "/api/v3/capital/transfer", {"fromAccountType": "SPOT"})
    assert (status, body["code"]) == (400, 44444)  # both account types are required


def test_the_fetcher_reads_the_documented_transfer_as_a_person_does() -> None:
    row = documented("transfer.docs.json")["response"][0]["rows"][0]
    record, hold = RowReader(Codes()).transfer(row)
    assert hold is None and record is not None
    # SUCCESS: 0.1 BTC from SPOT to FUTURE on 2018-12-10 09:15:25 UTC (the direction stays in the raw row).
    assert readable(record) == move(RecordKind.TRANSFER, "2018-12-10T09:15:25", "11945860693", "BTC", "0.1")
    assert (record.raw or {})["fromAccountType"] == "SPOT"
    assert RowReader(Codes()).transfer({**row, "status": "FAILED"}) == (None, None)


async def test_the_dust_log_answers_in_the_documented_shape(mexc: MexcEmulator) -> None:
    key = mexc.create_demo_keys().read_only
    status, body = await signed_get(mexc, key, "/api/v3/capital/convert", {"limit": 1000})
    assert status == 200 and body["data"] and body["totalRecords"] == len(mexc.account.converts)
    assert shape_differences(documented("dustlog.docs.json")["response"], body) == []
    # `limit` defaults to 1: a page of one conversion, and as many pages as conversions.
    _, first = await signed_get(mexc, key, "/api/v3/capital/convert")
    assert len(first["data"]) == 1 and first["totalPageNum"] == len(mexc.account.converts)


def test_the_fetcher_reads_the_documented_dust_log_as_a_person_does() -> None:
    conversions = documented("dustlog.docs.json")["response"]["data"]
    reader = RowReader(Codes())
    records = [readable(reader.dust(d)) for c in conversions for d in c["convertDetails"]]
    # Each coin converted is MX bought with it; `convert` is what was received, the fee already deducted.
    common = {"kind": RecordKind.CONVERT, "market": None, "side": "buy", "price": None, "fee_asset": None}
    assert records == [
        {
            **common,
            "occurred_at": datetime(2022, 10, 10, 0, 9, 23, tzinfo=UTC),
            "asset": "MX",
            "amount": Decimal("0.00885018"),
            "exchange_tx_id": "3e52a99c5c3447b2af2163cd829dca28",
            "quote_asset": "ETHF",
            "quote_amount": Decimal("0.007130464601986065"),
            "fee_amount": None,
        },
        {
            **common,
            "occurred_at": datetime(2022, 9, 19, 23, 51, 17, tzinfo=UTC),
            "asset": "MX",
            "amount": Decimal("0.02098255"),
            "exchange_tx_id": "6483bfb1766d41d8a4b6b6315ded6e99",
            "quote_asset": "BTC",
            "quote_amount": Decimal("0.00000098"),
            "fee_amount": None,
        },
        {
            **common,
            "occurred_at": datetime(2022, 9, 19, 23, 51, 17, tzinfo=UTC),
            "asset": "MX",
            "amount": Decimal("0.00084019"),
            "exchange_tx_id": "f9e886f28c454f5dae45eec6a11f6c6a",
            "quote_asset": "JAM",
            "quote_amount": Decimal("2"),
            "fee_amount": None,
        },
    ]


def test_the_fetcher_reads_the_documented_trade_as_a_person_does() -> None:
    row = documented("myTrades.docs.json")["response"][0]
    market = SpotMarket("BNBBTC", "BNB", "BTC", "BNB/BTC", "BNB", "BTC")
    record = RowReader(Codes()).trade(market, row)
    # isBuyer true: bought 12 BNB at 4.000001 BTC for 48.000012 BTC, paying 10.1 BNB commission.
    assert readable(record) == {
        "kind": RecordKind.TRADE,
        "occurred_at": datetime(2017, 7, 12, 13, 19, 9, 590000, tzinfo=UTC),
        "asset": "BNB",
        "amount": Decimal("12"),
        "exchange_tx_id": "fad2af9e942049b6adbda1a271f990c6",
        "market": "BNB/BTC",
        "side": "buy",
        "quote_asset": "BTC",
        "quote_amount": Decimal("48.000012"),
        "price": Decimal("4.000001"),
        "fee_asset": "BNB",
        "fee_amount": Decimal("10.1"),
    }


def test_the_fetcher_stores_the_documented_deposit_and_waits_for_the_documented_withdrawal() -> None:
    reader = RowReader(Codes())
    deposit, hold = reader.deposit(documented("deposit_hisrec.docs.json")["response"][0])
    assert hold is None and deposit is not None
    txid = "01391d1c1397ef0a3cbb3c7f99a90846f7c8c2a8dddcdcf84f46b530dede203e1bc804"
    # status 5 SUCCESS; insertTime 1659513342000 is 2022-08-03 07:55:42 UTC.
    assert readable(deposit) == move(RecordKind.DEPOSIT, "2022-08-03T07:55:42", txid, "EOS", "50000")
    withdrawal = documented("withdraw_history.docs.json")["response"][0]
    # status 3 WAIT: not final, so not stored; too old (2022) to hold a cursor back.
    assert reader.withdrawal(withdrawal) == (None, None)
    # The same row once it succeeded (status 7): 10 EOS sent, a transactionFee of 0 is no fee.
    record, _ = reader.withdrawal({**withdrawal, "status": 7})
    assert record is not None
    ident = "bb17a2d452684f00a523c015d512a341"
    assert readable(record) == move(RecordKind.WITHDRAWAL, "2022-10-09T07:34:34", ident, "EOS", "10")
    assert reader.withdrawal({**withdrawal, "status": 8}) == (None, None)  # FAILED: never


# -- signing and keys ----------------------------------------------------------------------------------------


def test_the_signature_is_the_documented_hmac_of_the_query_string() -> None:
    # The docs' signing example (apiKey mx0aBYs33eIilxBWC5): Example 2 gives fd3e4e85…; Example 1 prints another
    # value for the same string, which no HMAC of it gives (docs/exchange-apis/mexc.md).
    query = "symbol=BTCUSDT&side=BUY&type=LIMIT&quantity=1&price=11&recvWindow=5000&timestamp=1644489390087"
    expected = "fd3e4e8543c5188531eb7279d68ae7d26a573d0fc5ab0d18eb692451654d837a"
    assert sign("45d0b3c26f2644f19bfb98b07741b2f5", query) == expected


async def test_key_errors_are_mexcs_own_codes(mexc: MexcEmulator) -> None:
    keys = mexc.create_demo_keys()
    key = keys.read_only
    path = "/api/v3/account"
    unknown = Credentials(mexc.unknown_key(), key.secret)
    assert (await signed_get(mexc, key, path))[0] == 200
    assert (await signed_get(mexc, keys.trading, path))[0] == 200  # a trading key reads too
    cases = {
        "no key": await signed_get(mexc, key, path, api_key=""),
        "malformed": await signed_get(mexc, key, path, api_key="not-a-mexc-key"),
        "unknown": await signed_get(mexc, unknown, path),
        "revoked": await signed_get(mexc, keys.revoked, path),
        "expired": await signed_get(mexc, keys.expired, path),
        "wrong signature": await signed_get(mexc, key, path, signature="0" * 64),
        "upper-case signature": await signed_get(mexc, key, path, signature=sign(key.secret, "x").upper()),
        "late": await signed_get(mexc, key, path, skew_ms=-6_000),
        "late within its window": await signed_get(mexc, key, path, skew_ms=-6_000, recv_window=10_000),
        "early": await signed_get(mexc, key, path, skew_ms=2_000),
        "window too long": await signed_get(mexc, key, path, recv_window=60_001),
        "other IP": await signed_get(mexc, keys.ip_restricted, path),
    }
    codes = {
        name: (status, body.get("code") if isinstance(body, dict) else None) for name, (status, body) in cases.items()
    }
    assert codes == {
        "no key": (400, 400),
        "malformed": (400, 700001),
        "unknown": (400, 10072),
        "revoked": (400, 10072),
        "expired": (400, 10072),
        "wrong signature": (400, 700002),
        "upper-case signature": (400, 700002),
        "late": (400, 700003),
        "late within its window": (200, None),
        "early": (400, 700003),
        "window too long": (400, 700005),
        "other IP": (400, 700006),
    }


async def test_a_key_without_an_ip_expires_after_90_days_and_an_ip_bound_key_does_not(mexc: MexcEmulator) -> None:
    free = mexc.add_key()
    bound = mexc.add_key(ip_whitelist=["127.0.0.1"])
    mexc.clock.advance(90 * DAY_MS + 60_000)
    # ccxt-free requests sign with the wall clock: tell the server's moved clock apart from the timestamp rule.
    skew = mexc.clock.offset_ms
    assert (await signed_get(mexc, free, "/api/v3/account", skew_ms=skew))[1]["code"] == 10072
    assert (await signed_get(mexc, bound, "/api/v3/account", skew_ms=skew))[0] == 200


# -- parameters, windows, reach, limits ----------------------------------------------------------------------


async def test_trades_need_a_symbol_reach_one_month_and_come_100_at_most(mexc: MexcEmulator) -> None:
    key = mexc.create_demo_keys().read_only
    trades = mexc.account.trades
    reachable = mexc.trades_in_reach
    busiest = max(mexc.account.traded_symbols, key=lambda s: sum(t.symbol == s for t in reachable))
    in_reach = [t for t in reachable if t.symbol == busiest]
    assert len(in_reach) > 100 and len(trades) > len(reachable)
    status, body = await signed_get(mexc, key, "/api/v3/myTrades")
    assert (status, body["code"]) == (400, 44444)
    status, body = await signed_get(mexc, key, "/api/v3/myTrades", {"symbol": busiest, "limit": 101})
    assert (status, body["code"]) == (400, 33333)
    _, page = await signed_get(mexc, key, "/api/v3/myTrades", {"symbol": busiest, "startTime": 0})
    # From the start of time: the oldest 100 of the last month, oldest first; nothing older.
    assert [row["id"] for row in page] == [t.id for t in in_reach[:100]]


async def test_deposit_and_withdrawal_ranges_are_90_days_at_most_and_default_to_the_last_7(mexc: MexcEmulator) -> None:
    key = mexc.create_demo_keys().read_only
    end = mexc.clock.now_ms()
    for path in ("/api/v3/capital/deposit/hisrec", "/api/v3/capital/withdraw/history"):
        status, body = await signed_get(mexc, key, path, {"startTime": end - 91 * DAY_MS, "endTime": end})
        assert (status, body["code"]) == (400, 33333)
        status, rows = await signed_get(mexc, key, path, {"startTime": end - 90 * DAY_MS, "endTime": end})
        assert status == 200 and isinstance(rows, list)
    _, default = await signed_get(mexc, key, "/api/v3/capital/deposit/hisrec")
    week = {d.tx_id for d in mexc.account.deposits if d.timestamp >= end - 7 * DAY_MS}
    assert {row["txId"] for row in default} == week


async def test_each_endpoint_has_its_own_budget_of_weight_per_ip() -> None:
    # 30 weight per window here (500 on MEXC): myTrades weighs 10, so the fourth call in a window is refused.
    limits = MexcLimits(weight=30, window_ms=60_000)
    async with MexcEmulator(seed=12, profile=SMALL, listed_symbols=20, limits=limits) as mexc:
        key = mexc.create_demo_keys().read_only
        symbol = mexc.account.traded_symbols[0]
        answers = [await signed_get(mexc, key, "/api/v3/myTrades", {"symbol": symbol}) for _ in range(4)]
        # Another endpoint's budget is untouched.
        other, _ = await signed_get(mexc, key, "/api/v3/capital/deposit/hisrec")
        async with aiohttp.ClientSession() as http:
            url = f"{mexc.base_url}/api/v3/myTrades"
            async with http.get(url) as refused:
                retry_after = refused.headers.get("Retry-After")
    assert [status for status, _ in answers] == [200, 200, 200, 429]
    assert answers[-1][1] == {"code": 429, "msg": "Too Many Requests"}
    assert other == 200
    assert retry_after is not None and 1 <= int(retry_after) <= 60


# -- the key check --------------------------------------------------------------------------------------------


async def test_the_key_check_proves_a_key_reads_and_gets_mexcs_own_refusals() -> None:
    async with MexcEmulator(seed=12, profile=SMALL, listed_symbols=20) as mexc:
        keys = mexc.create_demo_keys()
        pool = ClientPool({"mexc": mexc.base_url})
        outcomes: dict[str, tuple[bool, DiagnosisCode | None]] = {}
        try:
            for name in ("read_only", "ip_restricted", "expired", "revoked"):
                key = getattr(keys, name)
                fields = {"apiKey": Secret(key.api_key), "secret": Secret(key.secret)}
                checked = await check_key(get_profile("mexc"), fields, pool=pool, credential_id=f"demo:{name}")
                outcomes[name] = (checked.ok, checked.diagnosis.code if checked.diagnosis else None)
                if name == "read_only":
                    # MEXC cannot say what else a key may do: the user is told, not reassured.
                    assert checked.warnings == (render(get_profile("mexc").permission_check.user_note or ""),)
        finally:
            await pool.close()
    D = DiagnosisCode
    assert outcomes == {
        "read_only": (True, None),
        "ip_restricted": (False, D.IP_NOT_ALLOWED),  # 700006
        "expired": (False, D.INVALID_KEY),  # 10072
        "revoked": (False, D.INVALID_KEY),  # 10072
    }


async def test_the_fetcher_reads_a_month_of_more_than_100_trades_page_after_page_each_trade_once(
    mexc: MexcEmulator,
) -> None:
    key = mexc.create_demo_keys().read_only
    pool = ClientPool({"mexc": mexc.base_url})
    fetched: list[str] = []
    try:
        async with pool.client("mexc", "conformance", key.ccxt_config()) as client:
            fetcher = MexcFetcher(get_profile("mexc"), client)
            fetcher.learn_assets({m.base for m in map(mexc.account.market, mexc.account.traded_symbols)})
            report = FetchReport()
            until = datetime.now(UTC)
            async for page in fetcher.fetch(Endpoint.SPOT_TRADES, since=None, until=until, cursors={}, report=report):
                fetched.extend(record.exchange_tx_id or "" for record in page.records)
    finally:
        await pool.close()
    reachable = mexc.trades_in_reach
    assert sorted(fetched) == sorted(t.id for t in reachable)  # every trade of the month, none twice
    # Each market's month: one request per started page of 100 (a full page is followed from its last row).
    per_market = {s: sum(t.symbol == s for t in reachable) for s in mexc.account.traded_symbols}
    assert max(per_market.values()) > 100
    pages = sum(n // 100 + 1 for n in per_market.values())
    assert mexc.requests.count("/api/v3/myTrades") >= pages
    # The history before the month is a gap with its reason, once for the endpoint.
    assert [render(gap.reason) for gap in report.gaps] == [
        "MEXC only returns the last 30 days of spot trades through its API; add older history by file upload."
    ]
