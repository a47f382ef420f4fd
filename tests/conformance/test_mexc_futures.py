"""MEXC's contract API (futures) against its documentation: the documented answers in
tests/conformance/documented/mexc/contract_*.docs.json and the rules of docs/exchange-apis/mexc.md, "Futures".

The emulator answers in each documented shape; the fetcher reads off the documented rows what a person reads (the
expected records written by hand from the payloads); requests signed by hand as the "Authentication method" section
describes are accepted, and each refusal the error table names comes with its code.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest

from connectors.balances import mexc as mexc_balances
from connectors.fetchers.mexc.futures_rows import ContractRows
from connectors.records import RecordKind
from sandbox.exchanges import AccountProfile, Credentials, MexcEmulator, MexcLimits
from sandbox.exchanges.base import DAY_MS
from tests.conformance.corpus import load, shape_differences

DOCUMENTED = Path(__file__).resolve().parent / "documented" / "mexc"
SMALL = AccountProfile(
    years=0.1, traded_markets=2, trades=20, deposits=3, withdrawals=1, converts=1, transfers=2, rewards=0
)
PRIVATE = "/api/v1/private/"


def documented(name: str) -> Any:
    """A documented answer, with the deviations its file records applied: a template's "" where the table says a
    number becomes a number, and a template's `success: false` with code 0 becomes the success envelope."""
    example = load(DOCUMENTED / name)
    response, adjust = copy.deepcopy(example.response), example.adjust or {}
    rows = response["data"] if isinstance(response.get("data"), list) else []
    for row in rows:
        for field in adjust.get("numbers", ()):
            row[field] = 0
    if adjust.get("no_message"):
        response["success"] = True
        response.pop("message")
    return response


def allowed(name: str, rows_path: str) -> frozenset[str]:
    """The fields a file's table lists and its example leaves out, as `shape_differences` names them."""
    adjust = load(DOCUMENTED / name).adjust or {}
    return frozenset(f"{rows_path}.{field}" for field in adjust.get("added", ()))


@pytest.fixture
async def mexc() -> AsyncIterator[MexcEmulator]:
    async with MexcEmulator(seed=12, profile=SMALL, listed_symbols=20, futures=True) as emulator:
        yield emulator


def signature(secret: str, api_key: str, stamp: str, query: str) -> str:
    return hmac.new(secret.encode(), (api_key + stamp + query).encode(), hashlib.sha256).hexdigest()


async def contract_get(
    emulator: MexcEmulator,
    key: Credentials,
    path: str,
    params: dict[str, Any] | None = None,
    *,
    skew_ms: int = 0,
    recv_window: str | None = None,
    signed_with: str | None = None,
) -> Any:
    """One contract request signed by hand: accessKey + Request-Time + the parameters sorted by name."""
    query = urlencode(sorted((params or {}).items()))
    stamp = str(int(time.time() * 1000) + emulator.clock.offset_ms + skew_ms)
    headers = {
        "ApiKey": key.api_key,
        "Request-Time": stamp,
        "Signature": signature(signed_with or key.secret, key.api_key, stamp, query),
        "Content-Type": "application/json",
    }
    if recv_window is not None:
        headers["Recv-Window"] = recv_window
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{emulator.base_url}{PRIVATE}{path}?{query}", headers=headers) as answer,
    ):
        assert answer.status == 200
        return json.loads(await answer.text(), parse_float=Decimal)


# -- the documented answers ----------------------------------------------------------------------------------


async def test_the_emulator_answers_every_documented_contract_example_in_its_shape(mexc: MexcEmulator) -> None:
    key = mexc.create_demo_keys().read_only
    async with aiohttp.ClientSession() as http, http.get(f"{mexc.base_url}/api/v1/contract/detail") as answer:
        detail = await answer.json()
    assert shape_differences(documented("contract_detail.docs.json"), detail) == []
    since = mexc.clock.now_ms() - 89 * DAY_MS
    answers = {
        "contract_assets.docs.json": await contract_get(mexc, key, "account/assets"),
        "contract_open_positions.docs.json": await contract_get(mexc, key, "position/open_positions"),
        "contract_history_positions.docs.json": await contract_get(
            mexc, key, "position/list/history_positions", {"page_num": 1, "page_size": 100}
        ),
        "contract_funding_records.docs.json": await contract_get(
            mexc, key, "position/funding_records", {"page_num": 1, "page_size": 100}
        ),
        "contract_order_deals.docs.json": await contract_get(
            mexc, key, "order/list/order_deals", {"symbol": "BTC_USDT", "start_time": since, "page_size": 100}
        ),
    }
    for name, body in answers.items():
        rows = body["data"]["resultList"] if name == "contract_funding_records.docs.json" else body["data"]
        assert rows, name
        rows_path = "$.data.resultList[]" if name == "contract_funding_records.docs.json" else "$.data[]"
        assert shape_differences(documented(name), body, extra_allowed=allowed(name, rows_path)) == [], name


class Client:
    """What ContractRows needs of ccxt: the documented BTC_USDT contract as ccxt lists it, and currency codes."""

    def __init__(self) -> None:
        info = documented("contract_detail.docs.json")["data"][0]
        self.markets_by_id = {"BTC_USDT": [{"symbol": "BTC/USDT:USDT", "contract": True, "info": info}]}

    def safe_currency_code(self, currency: str) -> str:
        return currency


def test_the_fetcher_reads_the_documented_funding_rows_as_a_person_does() -> None:
    rows = documented("contract_funding_records.docs.json")["data"]["resultList"]
    records = [ContractRows(Client()).funding(row) for row in rows]
    # A long at rate -0.002 received 0.0837798 USDT, then 0.0685308; SUSHI_USDT is not in the client's list, so its
    # symbol is read from its id (base_quote, settled in the quote).
    assert [(r.kind, r.market, r.asset, r.amount, r.occurred_at.timestamp()) for r in records] == [
        (RecordKind.FUNDING, "SUSHI/USDT:USDT", "USDT", Decimal("0.0837798"), 1606435200),
        (RecordKind.FUNDING, "SUSHI/USDT:USDT", "USDT", Decimal("0.0685308"), 1606406400),
    ]


def test_the_fetcher_reads_a_closing_fill_in_the_tables_shape_as_a_person_does() -> None:
    # A row as the order_deals table describes it (the page's example is a template of zeros): 3 contracts of the
    # documented BTC_USDT (0.0001 BTC each) closing a long (side 4) at 60100.5, a fee of 0.01081809 USDT, profit 0.3.
    row = {
        "id": 299444585,
        "symbol": "BTC_USDT",
        "side": 4,
        "vol": 3,
        "price": Decimal("60100.5"),
        "feeCurrency": "USDT",
        "fee": Decimal("0.01081809"),
        "timestamp": 1609992674000,
        "profit": Decimal("0.3"),
        "isTaker": True,
        "category": 1,
        "orderId": 102015012431820288,
        "opponentOrderId": 102015012431820290,
    }
    fill, pnl = ContractRows(Client()).fill(row)
    assert (fill.kind, fill.market, fill.side, fill.asset, fill.amount, fill.price) == (
        RecordKind.FUTURES_TRADE,
        "BTC/USDT:USDT",
        "sell",
        "BTC",
        Decimal("0.0003"),
        Decimal("60100.5"),
    )
    assert (fill.quote_asset, fill.quote_amount, fill.fee_asset, fill.fee_amount) == (
        "USDT",
        Decimal("18.03015"),
        "USDT",
        Decimal("0.01081809"),
    )
    assert (pnl.kind, pnl.asset, pnl.amount, pnl.market) == (
        RecordKind.REALIZED_PNL,
        "USDT",
        Decimal("0.3"),
        "BTC/USDT:USDT",
    )


def test_the_balance_read_takes_the_documented_futures_wallet_as_a_person_does() -> None:
    futures = next(read for read in mexc_balances.READS if read.method == "contractPrivateGetAccountAssets")
    assert dict(futures.rows(documented("contract_assets.docs.json"))) == {
        "BTC": Decimal(0),
        "ETH": Decimal(0),
        "USDT": Decimal("0.03176562"),
    }


# -- signing ---------------------------------------------------------------------------------------------------


async def test_a_request_signed_as_the_docs_describe_is_answered_and_each_refusal_has_its_code(
    mexc: MexcEmulator,
) -> None:
    keys = mexc.create_demo_keys()
    read = keys.read_only
    assert (await contract_get(mexc, read, "account/assets"))["success"] is True
    refusals = {
        602: await contract_get(mexc, read, "account/assets", signed_with="0" * 32),
        513: await contract_get(mexc, read, "account/assets", skew_ms=-11_000),
        401: await contract_get(mexc, keys.revoked, "account/assets"),
        402: await contract_get(mexc, keys.expired, "account/assets"),
        406: await contract_get(mexc, keys.ip_restricted, "account/assets"),
    }
    for code, body in refusals.items():
        assert (body["success"], body["code"]) == (False, code), (code, body)
    # Recv-Window (seconds, at most 60) widens the 10 seconds a request's time may be off.
    widened = await contract_get(mexc, read, "account/assets", skew_ms=-20_000, recv_window="30")
    assert widened["success"] is True


# -- the fill list's rules -------------------------------------------------------------------------------------


async def test_the_fill_list_needs_a_known_contract_and_at_most_90_days_and_100_rows(mexc: MexcEmulator) -> None:
    key = mexc.create_demo_keys().read_only
    now = mexc.clock.now_ms()
    refused = {
        600: await contract_get(mexc, key, "order/list/order_deals", {"page_size": 20}),
        1001: await contract_get(mexc, key, "order/list/order_deals", {"symbol": "NOPE_USDT"}),
        6003: await contract_get(
            mexc, key, "order/list/order_deals", {"symbol": "BTC_USDT", "start_time": now - 91 * DAY_MS}
        ),
    }
    refused[6000] = await contract_get(mexc, key, "order/list/order_deals", {"symbol": "BTC_USDT", "page_size": 101})
    assert [body["code"] for body in refused.values()] == [600, 1001, 6003, 600]
    # Without a range: the last 7 days, newest first.
    script = mexc.futures
    assert script is not None
    week = [d for d in script.deals_of("BTC_USDT") if d.time >= now - 7 * DAY_MS]
    recent = await contract_get(mexc, key, "order/list/order_deals", {"symbol": "BTC_USDT"})
    assert [row["id"] for row in recent["data"]] == [d.id for d in reversed(week)]


async def test_each_contract_endpoint_allows_20_requests_in_its_window() -> None:
    # 20 a window, as documented; the window is stretched to a minute so a slow test run cannot let one expire.
    limits = MexcLimits(contract_window_ms=60_000)
    async with MexcEmulator(seed=3, profile=SMALL, listed_symbols=20, futures=True, limits=limits) as mexc:
        key = mexc.create_demo_keys().read_only
        answers = [await contract_get(mexc, key, "position/open_positions") for _ in range(21)]
        other = await contract_get(mexc, key, "account/assets")
    assert [a["success"] for a in answers[:20]] == [True] * 20
    assert (answers[20]["success"], answers[20]["code"]) == (False, 510)
    assert other["success"] is True  # each endpoint has its own budget
