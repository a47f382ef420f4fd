"""Coinbase against its own documentation: the documented payloads in documented/coinbase/ (each with its source),
read (a) by the emulator's answers, which must have the documented shape, and (b) by the fetcher, which must read
off them what a person reads. Expected records are written by hand from the payloads; rules from
docs/exchange-apis/coinbase.md.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import ccxt.async_support as ccxt
import pytest

from bot.secret import Secret
from connectors.clients import ClientPool
from connectors.fetchers.base import FetchReport
from connectors.fetchers.coinbase import CoinbaseFetcher
from connectors.key_permissions import KeyFacts, parse_coinbase
from connectors.keycheck import check_key
from connectors.profiles import Endpoint, get_profile
from connectors.records import NormalizedRecord, RecordKind
from sandbox.exchanges import AccountProfile, CoinbaseEmulator
from sandbox.exchanges.coinbase import DEFAULT_RULES, V2, V3_PRIVATE, V3_PUBLIC, CoinbaseLimits
from tests.conformance.corpus import ROOT, field_paths, move, readable, shape_differences

DOCUMENTED = Path(__file__).resolve().parent / "documented" / "coinbase"
PROFILE = AccountProfile(years=1.0, traded_markets=4, trades=40, deposits=4, withdrawals=4, converts=3, rewards=4)
FAST = CoinbaseLimits(rules={V3_PRIVATE: (10_000, 1000), V3_PUBLIC: (10_000, 1000), V2: (10_000, 1000)})


def rules_page() -> str:
    return (ROOT / "docs" / "exchange-apis" / "coinbase.md").read_text(encoding="utf-8")


def documented(name: str) -> dict[str, Any]:
    payload: dict[str, Any] = json.loads((DOCUMENTED / name).read_text(encoding="utf-8"), parse_float=Decimal)
    assert payload["_source"]["commit"] and payload["_source"]["path"], name
    return payload


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


# Hand-written from historical_fills.docs.json: bought 0.001 BTC at 10000.00 USD, 1.25 USD commission.
FILL = {
    "kind": RecordKind.TRADE,
    "occurred_at": utc("2021-05-31T09:59:59+00:00"),
    "asset": "BTC",
    "amount": Decimal("0.001"),
    "exchange_tx_id": "1111-11111-111111",
    "market": "BTC/USD",
    "side": "buy",
    "quote_asset": "USD",
    "quote_amount": Decimal("10.00000"),
    "price": Decimal("10000.00"),
    "fee_asset": "USD",
    "fee_amount": Decimal("1.25"),
}
# Hand-written from account_transactions.docs.json: the pending buy and the pending request are not final and
# not stored; 5 BTC moved to a secondary account; 0.001 BTC sent to another Coinbase user (no network fee stated).
# Times carry -07:00 in the payload: 15:51:38-07:00 is 22:51:38 UTC.
TRANSFER = {
    **move(RecordKind.TRANSFER, "2015-03-12T22:51:38", "ff01bbc6-c4ad-59e1-9601-e87b5b709458", "BTC", "5.00000000"),
    "side": "out",
}
SEND = move(RecordKind.WITHDRAWAL, "2015-03-11T20:13:35", "57ffb4ae-0c59-5430-bcd3-3f98f797a66c", "BTC", "0.00100000")


class ReplayClient:
    """Answers Coinbase's documented methods with the documented payloads; anything else is a wrong endpoint."""

    def __init__(self, answers: dict[str, Any]) -> None:
        self.answers = answers
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.rules = ccxt.coinbase()  # no network: only its currency and market-id rules are used

    def safe_currency_code(self, code: str) -> str:
        return str(self.rules.safe_currency_code(code))

    def safe_market(self, *args: Any) -> Any:
        return self.rules.safe_market(*args)

    def __getattr__(self, name: str) -> Any:
        if name not in self.answers:
            raise AssertionError(f"the fetcher called {name}, not a documented method")

        async def answer(params: dict[str, Any]) -> Any:
            self.calls.append((name, params))
            return self.answers[name]

        return answer


async def fetch(endpoint: Endpoint, answers: dict[str, Any], until: str) -> tuple[list[NormalizedRecord], Any]:
    client = ReplayClient(answers)
    records: list[NormalizedRecord] = []
    fetcher = CoinbaseFetcher(get_profile("coinbase"), client)
    end = utc(until)
    async for page in fetcher.fetch(endpoint, since=None, until=end, cursors={}, report=FetchReport()):
        records += page.records
    await client.rules.close()
    return records, client


async def test_the_fetcher_reads_the_documented_fill() -> None:
    response = documented("historical_fills.docs.json")["response"]
    answers = {"v3PrivateGetBrokerageOrdersHistoricalFills": {**response, "cursor": ""}}
    records, client = await fetch(Endpoint.SPOT_TRADES, answers, "2021-06-01T00:00:00+00:00")
    assert [readable(r) for r in records] == [FILL]
    assert client.calls[0][1]["limit"] == 100


async def test_the_fetcher_reads_the_documented_transactions_and_skips_what_is_not_final() -> None:
    response = documented("account_transactions.docs.json")["response"]
    accounts = {
        "pagination": {"next_uri": None},
        "data": [{"id": "2bbf394c-193b-5b2a-9155-3b4732659ede", "currency": {"code": "BTC"}}],
    }
    answers = {"v2PrivateGetAccounts": accounts, "v2PrivateGetAccountsAccountIdTransactions": response}
    records, client = await fetch(Endpoint.LEDGER, answers, "2015-04-01T00:00:00+00:00")
    assert [readable(r) for r in records] == [TRANSFER, SEND]
    assert [r.side for r in records] == ["out", None]
    asked = [params for name, params in client.calls if name == "v2PrivateGetAccountsAccountIdTransactions"]
    assert asked == [{"account_id": "2bbf394c-193b-5b2a-9155-3b4732659ede", "limit": 100}]


def test_the_documented_key_permissions_read_as_a_key_that_can_do_everything() -> None:
    response = documented("key_permissions.docs.json")["response"]
    assert parse_coinbase(response) == KeyFacts(can_read=True, can_trade=True, can_withdraw=True)


@asynccontextmanager
async def coinbase_client(seed: int, limits: CoinbaseLimits) -> AsyncIterator[Any]:
    """A Tallybot client with a read-only key on a running emulator."""
    async with CoinbaseEmulator(seed=seed, profile=PROFILE, listed_symbols=20, limits=limits) as emulator:
        key = emulator.create_demo_keys().read_only
        pool = ClientPool({"coinbase": emulator.base_url})
        try:
            async with pool.client("coinbase", "conformance", {"apiKey": key.api_key, "secret": key.secret}) as client:
                client.throttler.config["refillRate"] = 1e6  # the emulator's own limits are not under test here
                yield client
        finally:
            await pool.close()


@pytest.mark.parametrize(
    ("name", "method", "params", "rows"),
    [
        ("historical_fills.docs.json", "v3PrivateGetBrokerageOrdersHistoricalFills", {"limit": 50}, "fills"),
        ("key_permissions.docs.json", "v3PrivateGetBrokerageKeyPermissions", {}, None),
        ("account_transactions.docs.json", "v2PrivateGetAccountsAccountIdTransactions", {"limit": 100}, "data"),
        ("accounts.ccxt_docstring.json", "v2PrivateGetAccounts", {"limit": 100}, "accounts"),
    ],
)
async def test_the_emulator_answers_in_the_documented_shape(
    name: str, method: str, params: dict[str, Any], rows: str | None
) -> None:
    example = documented(name)["response"]
    async with coinbase_client(5, FAST) as client:
        if method.startswith("v2PrivateGetAccountsAccountId"):
            accounts = await client.v2PrivateGetAccounts({"limit": 100})
            answers = [
                await client.v2PrivateGetAccountsAccountIdTransactions({**params, "account_id": row["id"]})
                for row in accounts["data"]
            ]
        else:
            answers = [await getattr(client, method)(dict(params))]
    # Fields the documented list example shows on some rows only, by type (`to` on transfers and sends, `network`
    # on sends), and those the docs show on other types: `network.transaction_fee`/`transaction_amount` of a send
    # ([send] in docs/exchange-apis/coinbase.md), a convert's `trade` and a fill's `advanced_trade_fill` reference
    # (unsourced shapes, listed as such in the docs).
    allowed = field_paths(example) | frozenset(
        {
            "$.data[].network.transaction_fee",
            "$.data[].network.transaction_amount",
            "$.data[].network.transaction_fee.amount",
            "$.data[].network.transaction_fee.currency",
            "$.data[].network.transaction_amount.amount",
            "$.data[].network.transaction_amount.currency",
            "$.data[].trade",
            "$.data[].trade.id",
            "$.data[].trade.resource",
            "$.data[].trade.resource_path",
            "$.data[].advanced_trade_fill",
            "$.data[].advanced_trade_fill.fill_price",
            "$.data[].advanced_trade_fill.product_id",
            "$.data[].advanced_trade_fill.order_id",
        }
    )
    compared = 0
    for answer in answers:
        if rows is not None and not answer["data" if rows == "accounts" else rows]:
            continue
        compared += 1
        if rows == "accounts":
            assert shape_differences(example, answer) == []
        elif rows == "data":
            # Rows differ by type: compare each with the documented row of its type where there is one.
            shown = {row["type"]: row for row in example["data"]}
            for row in answer["data"]:
                model = shown.get(row["type"], shown["send"])
                optional = {key for key in model if key not in row and key in ("to", "network")}
                trimmed = {key: value for key, value in model.items() if key not in optional}
                assert shape_differences(trimmed, row, path="$.data[0]", extra_allowed=allowed) == []
            assert shape_differences(example["pagination"], answer["pagination"]) == []
        else:
            assert shape_differences(example, answer, extra_allowed=allowed) == []
    assert compared


def test_the_emulators_rate_limits_are_coinbases_documented_ones() -> None:
    # docs/exchange-apis/coinbase.md: Advanced Trade private 30/s per user, public 10/s per IP; App 10,000/hour.
    assert DEFAULT_RULES == {V3_PRIVATE: (30, 1000), V3_PUBLIC: (10, 1000), V2: (10_000, 3_600_000)}


async def test_past_the_v2_budget_coinbase_answers_429_rate_limit_exceeded() -> None:
    tight = CoinbaseLimits(rules={**DEFAULT_RULES, V2: (2, 3_600_000)})
    async with coinbase_client(6, tight) as client:
        await client.v2PrivateGetAccounts({})
        await client.v2PrivateGetAccounts({})
        with pytest.raises(ccxt.RateLimitExceeded, match="rate_limit_exceeded"):
            await client.v2PrivateGetAccounts({})


async def test_v2_pages_hold_at_most_100_objects_newest_first() -> None:
    async with coinbase_client(7, FAST) as client:
        default = await client.v2PrivateGetAccounts({})
        assert default["pagination"]["limit"] == 25  # "The default limit is set to 25"
        with pytest.raises(ccxt.ExchangeError, match="invalid_request"):
            await client.v2PrivateGetAccounts({"limit": 101})  # "values up to 100 are permitted"


def test_every_documented_file_names_its_endpoint_and_source() -> None:
    for path in sorted(DOCUMENTED.glob("*.json")):
        payload = documented(path.name)
        assert str(payload["endpoint"]).startswith("/"), path.name


async def test_every_path_a_coinbase_sync_calls_has_a_documented_fixture_and_a_docs_section() -> None:
    """The paths are not written by hand: a key check and a full sync of both endpoints are run against the
    emulator, and the paths it served (account ids folded into `{account_id}`) must each have a documented payload
    here and be named in docs/exchange-apis/coinbase.md."""
    profile = get_profile("coinbase")
    async with CoinbaseEmulator(seed=8, profile=PROFILE, listed_symbols=20, limits=FAST) as emulator:
        key = emulator.create_demo_keys().read_only
        pool = ClientPool({"coinbase": emulator.base_url})
        try:
            fields = {"apiKey": Secret(key.api_key), "secret": Secret(key.secret)}
            assert (await check_key(profile, fields, pool=pool, credential_id="coverage")).ok
            async with pool.client("coinbase", "coverage", {"apiKey": key.api_key, "secret": key.secret}) as client:
                client.throttler.config["refillRate"] = 1e6
                fetcher = CoinbaseFetcher(profile, client)
                for endpoint in (Endpoint.SPOT_TRADES, Endpoint.LEDGER):
                    pages = fetcher.fetch(
                        endpoint, since=None, until=datetime.now(UTC), cursors={}, report=FetchReport()
                    )
                    assert [page async for page in pages]
        finally:
            await pool.close()
        served = {re.sub(r"^/v2/accounts/[^/]+/", "/v2/accounts/{account_id}/", p) for p in emulator.requests.by_path}
        assert not emulator.requests.unexpected
    fixtures = {documented(path.name)["endpoint"] for path in DOCUMENTED.glob("*.json")}
    assert sorted(served - fixtures) == []
    assert sorted(path for path in served if f"`GET {path}" not in rules_page()) == []
