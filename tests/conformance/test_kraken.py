"""Kraken against its own documentation and against rows recorded from the live API.

For every payload of `documented/kraken/` (Kraken's documented examples, and ledger rows a live account produced):
(a) the emulator answers the same query with the same envelope, field names and JSON types (the schema is the
    documented example, never the emulator; maps keyed by ids are compared row by row), and
(b) the fetcher and the key check turn the payload into exactly what a person reads off it: the expected records
    below are written by hand from the payload (exact decimals, UTC times, ids, fee and fee asset).
A file no check knows fails. The emulator's rules are checked against docs/exchange-apis/kraken.md.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
import ccxt.async_support
import pytest

from connectors.fetchers.base import FetchReport
from connectors.fetchers.kraken import KrakenFetcher
from connectors.key_permissions import KeyFacts, parse_kraken
from connectors.profiles import Endpoint, get_profile
from connectors.records import NormalizedRecord, RecordKind
from connectors.urls import apply_url_override
from i18n import Text, render
from sandbox.exchanges.kraken import HISTORY_COST, OTHER_COST, KrakenEmulator, KrakenLimits
from sandbox.exchanges.records import AccountProfile
from tests.conformance.corpus import ROOT, Example, load, shape_differences

DOCUMENTED = Path(__file__).resolve().parent / "documented" / "kraken"
DOCS_PAGE = ROOT / "docs" / "exchange-apis" / "kraken.md"
PROFILE = AccountProfile(years=1.0, traded_markets=5, trades=120, deposits=6, withdrawals=4, converts=3, rewards=5)
LIFTED = KrakenLimits(max_counter=1e9)

# How to ask for each payload: ccxt's implicit method (every one of them takes its parameters in one dict).
QUERIES: Mapping[str, str] = {
    "TradesHistory.docs.json": "privatePostTradesHistory",
    "Ledgers.docs.json": "privatePostLedgers",
    "Ledgers.recorded.json": "privatePostLedgers",
    "Ledgers.failed_withdrawal.recorded.json": "privatePostLedgers",
    "Assets.docs.json": "publicGetAssets",
    "AssetPairs.docs.json": "publicGetAssetPairs",
    "GetApiKeyInfo.docs.json": "privatePostGetApiKeyInfo",
}
# Maps keyed by ids: each emulated row is compared with the first documented one.
KEYED = {
    "privatePostTradesHistory": ("trades",),
    "privatePostLedgers": ("ledger",),
    "publicGetAssets": (),
    "publicGetAssetPairs": (),
}
# Fields an emulated answer may carry beyond a documented example, each documented on the endpoint's page.
EXTRA: Mapping[str, frozenset[str]] = {
    # Get Trades History's field list: result.count "Amount of available trades matching criteria".
    "TradesHistory.docs.json": frozenset({"$.result.count"}),
    # Get Ledgers Info's field list: result.ledger.<id>.subtype; the recorded rows predate it.
    "Ledgers.recorded.json": frozenset({"$.result.ledger[].subtype"}),
    # Get Ledgers Info's field list: result.ledger.<id>.refid; the reporter's rows leave it out.
    "Ledgers.failed_withdrawal.recorded.json": frozenset({"$.result.ledger[].refid"}),
}


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def d(text: str) -> Decimal:
    return Decimal(text)


# Read off each payload by hand. Kraken's `time` is unix seconds with four decimals: shown here to the millisecond.
# TradesHistory's fee is in the quote currency (the page: "Total fee (quote currency)").
EXPECTED: Mapping[str, list[dict[str, Any]]] = {
    "TradesHistory.docs.json": [
        # 1688667796.8802: bought 0.02 XBT at 30010 USD for 600.2 USD, no fee
        {
            "kind": RecordKind.TRADE,
            "occurred_at": utc("2023-07-06T18:23:16.880"),
            "exchange_tx_id": "THVRQM-33VKH-UCI7BS",
            "asset": "BTC",
            "amount": d("0.02000000"),
            "market": "BTC/USD",
            "side": "buy",
            "quote_asset": "USD",
            "quote_amount": d("600.20000"),
            "price": d("30010.00000"),
            "fee_asset": "USD",
            "fee_amount": d("0.00000"),
        },
        # 1688667769.6396: the same order's first fill, 0.01 XBT for 300.1 USD
        {
            "kind": RecordKind.TRADE,
            "occurred_at": utc("2023-07-06T18:22:49.640"),
            "exchange_tx_id": "TCWJEG-FL4SZ-3FKGH6",
            "asset": "BTC",
            "amount": d("0.01000000"),
            "market": "BTC/USD",
            "side": "buy",
            "quote_asset": "USD",
            "quote_amount": d("300.10000"),
            "price": d("30010.00000"),
            "fee_asset": "USD",
            "fee_amount": d("0.00000"),
        },
    ],
    # Both entries are legs of trades, which TradesHistory gives whole: nothing is stored from them.
    "Ledgers.docs.json": [],
    "Ledgers.recorded.json": [
        # 1549990358.3277: an adjustment crediting 0.0000000054 ETH, kept as a ledger line with its sign
        {
            "kind": RecordKind.LEDGER,
            "occurred_at": utc("2019-02-12T16:52:38.328"),
            "exchange_tx_id": "LAYP6WA-ECW7A-S3MWLS",
            "asset": "ETH",
            "amount": d("0.0000000054"),
            "side": None,
            "fee_amount": None,
        },
        # 1542583842.8385: 0.000754622 BSV transferred in (a fork's credit)
        {
            "kind": RecordKind.TRANSFER,
            "occurred_at": utc("2018-11-18T23:30:42.838"),
            "exchange_tx_id": "LAAYEYA-ZXI7T-Y6C7TQ",
            "asset": "BSV",
            "amount": d("0.0007546220"),
            "side": "in",
            "fee_amount": None,
        },
    ],
    # A failed withdrawal of 5 EUR (BittyTax issue #287): 4.91 EUR sent with a 0.09 fee at 12:00, then at 12:01 the
    # same line with both signs flipped, which gives back 4.91 + 0.09 = 5.00 EUR (balance 0.004 -> 5.004): a deposit
    # of 5.00 with no fee, not a second withdrawal.
    "Ledgers.failed_withdrawal.recorded.json": [
        {
            "kind": RecordKind.DEPOSIT,
            "occurred_at": utc("2023-01-01T12:01:00"),
            "exchange_tx_id": "BLA-BLA-2",
            "asset": "EUR",
            "amount": d("5.0000"),
            "side": None,
            "fee_amount": None,
        },
        {
            "kind": RecordKind.WITHDRAWAL,
            "occurred_at": utc("2023-01-01T12:00:00"),
            "exchange_tx_id": "BLA-BLA-1",
            "asset": "EUR",
            "amount": d("4.9100"),
            "side": None,
            "fee_amount": d("0.0900"),
        },
    ],
}
# The docs' example key (query-funds, withdraw-funds, query-open-trades, modify-trades) may withdraw and trade, but
# cannot read what a sync reads: neither query-closed-trades (TradesHistory) nor query-ledger (Ledgers). It is bound to
# no IP (ipAllowlist []) and never expires (validUntil "0").
EXPECTED_KEY = KeyFacts(can_read=False, can_trade=True, can_withdraw=True, ip_restricted=False, expires_at=None)


def fixtures() -> list[Example]:
    return [load(path) for path in sorted(DOCUMENTED.glob("*.json"))]


def replay(name: str) -> Any:
    """A payload as ccxt would hand it over: JSON numbers as Python floats and ints."""
    return json.loads((DOCUMENTED / name).read_text(encoding="utf-8"))["response"]


def as_rows(response: Any, method: str) -> Any:
    """The answer with its maps keyed by ids turned into lists of rows, so rows are compared field by field."""
    result = response.get("result")
    if method not in KEYED or not isinstance(result, dict):
        return response
    path = KEYED[method]
    if not path:
        return {**response, "result": list(result.values())}
    inner = result.get(path[0])
    return {**response, "result": {**result, path[0]: list((inner or {}).values())}}


def test_every_documented_payload_has_a_query_and_hand_written_expectations() -> None:
    names = [example.path.name for example in fixtures()]
    assert sorted(names) == sorted(QUERIES)
    for name in names:
        assert name in EXPECTED or name in ("Assets.docs.json", "AssetPairs.docs.json", "GetApiKeyInfo.docs.json")


# ---------------------------------------------------------------------------------------------- (a) the emulator


@asynccontextmanager
async def emulated() -> AsyncIterator[tuple[KrakenEmulator, Any]]:
    emulator = KrakenEmulator(seed=11, profile=PROFILE, listed_symbols=20, limits=LIFTED)
    async with emulator:
        key = emulator.create_demo_keys().withdrawal
        client = ccxt.async_support.kraken({"apiKey": key.api_key, "secret": key.secret, "enableRateLimit": False})
        apply_url_override(client, emulator.base_url)
        try:
            yield emulator, client
        finally:
            await client.close()


@pytest.mark.parametrize("name", sorted(QUERIES))
async def test_the_emulator_answers_in_the_documented_shape(name: str) -> None:
    example = load(DOCUMENTED / name)
    method = QUERIES[name]
    async with emulated() as (emulator, client):
        answer = await getattr(client, method)({})
    assert emulator.requests.unexpected == []
    documented, emulated_rows = as_rows(example.response, method), as_rows(answer, method)
    assert shape_differences(documented, emulated_rows, extra_allowed=EXTRA.get(name, frozenset())) == []


# ---------------------------------------------------------------------------------------------- (b) the readers


class Replay:
    """A real ccxt Kraken client (markets and currencies read off the documented Assets and AssetPairs answers)
    whose history method answers with one payload; the calls are kept."""

    def __init__(self, client: Any, method: str, payload: Any) -> None:
        self.calls: list[dict[str, Any]] = []

        async def answer(params: dict[str, Any] | None = None) -> Any:
            self.calls.append(dict(params or {}))
            return payload

        setattr(client, method, answer)


async def documented_client() -> Any:
    client = ccxt.async_support.kraken({"apiKey": "k", "secret": base64.b64encode(b"s" * 64).decode()})
    assets, pairs = replay("Assets.docs.json"), replay("AssetPairs.docs.json")

    async def get_assets(params: Any = None) -> Any:
        return assets

    async def get_pairs(params: Any = None) -> Any:
        return pairs

    client.publicGetAssets, client.publicGetAssetPairs = get_assets, get_pairs
    await client.load_markets()
    return client


def readable(record: NormalizedRecord, fields: Any) -> dict[str, Any]:
    return {name: getattr(record, name) for name in fields}


@pytest.mark.parametrize("name", sorted(EXPECTED))
async def test_the_fetcher_reads_what_a_person_reads_off_the_payload(name: str) -> None:
    method = QUERIES[name]
    endpoint = Endpoint.SPOT_TRADES if method == "privatePostTradesHistory" else Endpoint.LEDGER
    client = await documented_client()
    try:
        stub = Replay(client, method, replay(name))
        fetcher = KrakenFetcher(get_profile("kraken"), client)
        records: list[NormalizedRecord] = []
        async for page in fetcher.fetch(
            endpoint, since=None, until=utc("2024-01-01T00:00:00"), cursors={}, report=FetchReport()
        ):
            records += page.records
    finally:
        await client.close()
    expected = EXPECTED[name]
    fields = expected[0].keys() if expected else ("kind",)
    assert [readable(r, fields) for r in records] == expected
    # One request: the payload holds fewer than a page. No page size is sent (Kraken has none); the window is, from
    # the second before Kraken opened (`start` is exclusive) to `until`.
    opened = int(utc("2013-09-01T00:00:00").timestamp()) - 1
    assert stub.calls == [{"start": opened, "end": int(utc("2024-01-01T00:00:00").timestamp()), "ofs": 0}]


def test_the_key_check_reads_the_documented_key() -> None:
    assert parse_kraken(replay("GetApiKeyInfo.docs.json")) == EXPECTED_KEY


def test_a_key_limited_to_a_history_range_is_said_so() -> None:
    # The documented key with a query start date: 1704067200 is 2024-01-01 00:00 UTC, 1735689600 is 2025-01-01.
    limited = replay("GetApiKeyInfo.docs.json")
    limited["result"] |= {"queryFrom": "1704067200", "queryTo": "1735689600"}
    note_text = parse_kraken(limited).note_text
    assert note_text is not None
    note = render(Text(note_text.id, {**note_text.args, "name": "Kraken"}))
    assert "This Kraken key only reads history from 2024-01-01 until 2025-01-01" in note
    assert parse_kraken(replay("GetApiKeyInfo.docs.json")).note_text is None


# ---------------------------------------------------------------------------------------------- the rules


def test_the_call_counter_is_the_documented_one() -> None:
    page = DOCS_PAGE.read_text(encoding="utf-8")
    assert re.search(r"Ledger/trade history calls increase the counter by 2\. All other API calls increase", page)
    starter = re.search(r"Starter: maximum (\d+), decay ([\d.]+) a second", page)
    assert starter is not None
    assert (HISTORY_COST, OTHER_COST) == (2, 1)
    assert KrakenLimits() == KrakenLimits(max_counter=float(starter[1]), decay_per_second=float(starter[2]))


def signed_request(path: str, key: str, secret: str, fields: Mapping[str, Any]) -> tuple[dict[str, str], str]:
    """Headers and body as Kraken's docs sign them, written here from the docs, not taken from ccxt."""
    body = urlencode(fields)
    digest = hashlib.sha256((str(fields["nonce"]) + body).encode()).digest()
    mac = hmac.new(base64.b64decode(secret), path.encode() + digest, hashlib.sha512)
    headers = {"API-Key": key, "API-Sign": base64.b64encode(mac.digest()).decode()}
    return {**headers, "Content-Type": "application/x-www-form-urlencoded"}, body


async def test_refusals_are_answered_with_http_200_and_the_documented_errors() -> None:
    emulator = KrakenEmulator(seed=3, profile=PROFILE, listed_symbols=10)
    async with emulator, aiohttp.ClientSession() as http:
        keys = emulator.create_demo_keys()
        key, secret = keys.read_only.api_key, keys.read_only.secret
        path = "/0/private/Ledgers"

        async def post(headers: Mapping[str, str], body: str) -> tuple[int, Any]:
            async with http.post(emulator.base_url + path, headers=dict(headers), data=body) as answer:
                return answer.status, await answer.json()

        nonce = 1_700_000_000_000
        headers, body = signed_request(path, key, secret, {"nonce": nonce})
        status, first = await post(headers, body)
        assert status == 200 and first["error"] == [] and first["result"]["count"] > 0
        # The same nonce again, a nonce lower than the last, a wrong private key, an unknown key.
        assert await post(headers, body) == (200, {"error": ["EAPI:Invalid nonce"]})
        stale, body = signed_request(path, key, secret, {"nonce": nonce - 1})
        assert await post(stale, body) == (200, {"error": ["EAPI:Invalid nonce"]})
        wrong, body = signed_request(path, key, keys.trading.secret, {"nonce": nonce + 1})
        assert await post(wrong, body) == (200, {"error": ["EAPI:Invalid key"]})
        unknown, body = signed_request(path, emulator.unknown_key(), secret, {"nonce": nonce + 2})
        assert await post(unknown, body) == (200, {"error": ["EAPI:Invalid key"]})
        # The counter: 15 at most, 2 a history call, one already spent above.
        answers = []
        for n in range(3, 11):
            ok, body = signed_request(path, key, secret, {"nonce": nonce + n})
            answers.append((await post(ok, body))[1].get("error"))
        assert answers == [[]] * 6 + [["EAPI:Rate limit exceeded"]] * 2


async def test_history_paging_follows_the_docs() -> None:
    """50 a page, newest first; `start` exclusive and `end` inclusive, as unix seconds or as a record's id; `ofs`."""
    async with emulated() as (emulator, client):
        ledger = sorted(emulator.book.ledger, key=lambda e: (e.time, e.ledger_id), reverse=True)
        first = await client.privatePostLedgers({})
        second = await client.privatePostLedgers({"ofs": 50})
        middle = ledger[len(ledger) // 2]
        after = await client.privatePostLedgers({"start": middle.ledger_id})
        upto = await client.privatePostLedgers({"end": middle.ledger_id})
        seconds = middle.time // 1000
        by_second = await client.privatePostLedgers({"start": seconds - 1, "end": seconds})
        bad = None
        try:
            await client.privatePostLedgers({"ofs": "x"})
        except ccxt.async_support.ExchangeError as error:
            bad = str(error)

    assert list(first["result"]["ledger"]) == [e.ledger_id for e in ledger[:50]]
    assert list(second["result"]["ledger"]) == [e.ledger_id for e in ledger[50:100]]
    assert first["result"]["count"] == len(ledger)
    assert all(row["time"] * 1000 > middle.time for row in after["result"]["ledger"].values())
    assert middle.ledger_id not in after["result"]["ledger"]
    assert middle.ledger_id in upto["result"]["ledger"]
    assert upto["result"]["count"] == sum(1 for e in ledger if e.time <= middle.time)
    assert middle.ledger_id in by_second["result"]["ledger"]
    assert bad is not None and "EGeneral:Invalid arguments:ofs" in bad
