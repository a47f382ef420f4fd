"""HTX's USDT-margined contract API and spot balance against their documentation: the documented answers in
tests/conformance/documented/htx/ (cross_*, isolated_*, coin_swap_*, financial_record_exact, accounts,
account_balance) and the rules of docs/exchange-apis/htx.md, "USDT-margined futures" and "Isolated margin and
coin-margined futures".

The emulator answers in each documented shape; the fetcher and the balance reads take off the documented rows what a
person takes off them (expected values written by hand from the payloads); a POST signed by hand as HTX's
Authentication page describes, over the contract API's host, is answered, and the refusals come as documented.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiohttp
import pytest

from connectors.balances import htx as htx_balances
from connectors.fetchers.htx.futures_rows import ContractRows
from connectors.records import RecordKind
from sandbox.exchanges import AccountProfile, Credentials, HtxEmulator
from sandbox.exchanges.base import DAY_MS, HOUR_MS
from tests.conformance.corpus import load, shape_differences

DOCUMENTED = Path(__file__).resolve().parent / "documented" / "htx"
SMALL = AccountProfile(
    years=0.1, traded_markets=2, trades=20, deposits=3, withdrawals=1, converts=0, transfers=2, rewards=0
)
RECORDS = "/linear-swap-api/v3/swap_financial_record_exact"
FILLS = "/linear-swap-api/v3/swap_cross_matchresults_exact"
ACCOUNT = "/linear-swap-api/v1/swap_cross_account_info"
ISOLATED_FILLS = "/linear-swap-api/v3/swap_matchresults_exact"
ISOLATED_ACCOUNTS = "/linear-swap-api/v1/swap_account_info"
COIN_SWAP_ACCOUNTS = "/swap-api/v1/swap_account_info"
COIN_SWAP_FILLS = "/swap-api/v3/swap_matchresults_exact"
COIN_SWAP_RECORDS = "/swap-api/v3/swap_financial_record_exact"


def documented(name: str) -> Any:
    return load(DOCUMENTED / name).response


@pytest.fixture
async def htx() -> AsyncIterator[HtxEmulator]:
    # ETH-USDT in isolated margin and a BTC-USD coin-margined swap (the emulator's defaults), and an ETH delivery
    # account.
    coin = {"ETH": Decimal(3)}
    async with HtxEmulator(seed=14, profile=SMALL, listed_symbols=20, futures=True, coin_held=coin) as emulator:
        yield emulator


async def contract_post(
    emulator: HtxEmulator, key: Credentials, path: str, body: dict[str, Any], *, host: str = "api.hbdm.com"
) -> tuple[int, Any]:
    """A POST signed by hand: the signing parameters in the query, `POST\\n<host>\\n<path>\\n<query>` signed with
    HMAC-SHA256 (base64), the body JSON and not signed."""
    query = {
        "AccessKeyId": key.api_key,
        "SignatureMethod": "HmacSHA256",
        "SignatureVersion": "2",
        "Timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S"),
    }
    encoded = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in sorted(query.items()))
    digest = hmac.new(key.secret.encode(), f"POST\n{host}\n{path}\n{encoded}".encode(), hashlib.sha256).digest()
    url = f"{emulator.base_url}{path}?{encoded}&Signature={quote(base64.b64encode(digest).decode(), safe='')}"
    async with aiohttp.ClientSession() as http, http.post(url, data=json.dumps(body)) as answer:
        return answer.status, json.loads(await answer.text(), parse_float=Decimal)


# -- the documented answers ----------------------------------------------------------------------------------


async def test_the_emulator_answers_the_documented_contract_examples_in_their_shape(htx: HtxEmulator) -> None:
    key = htx.create_demo_keys().read_only
    script = htx.futures
    assert script is not None
    cross = [d for d in script.deals if d.symbol != "ETH_USDT"][-1]  # a window holding fills and their money lines
    window = {"start_time": cross.time - HOUR_MS, "end_time": cross.time + HOUR_MS}
    code = cross.symbol.replace("_", "-")
    isolated = [d for d in script.deals if d.symbol == "ETH_USDT"][-1]
    isolated_window = {"start_time": isolated.time - HOUR_MS, "end_time": isolated.time + HOUR_MS}
    assert htx.coin_swap is not None
    coin_fill = htx.coin_swap.fills[-1].time
    coin_window = {"start_time": coin_fill - HOUR_MS, "end_time": coin_fill + HOUR_MS}
    answers = {
        "cross_matchresults_exact.docs.json": await contract_post(
            htx, key, FILLS, {"contract": code, "trade_type": 0, **window}
        ),
        "isolated_matchresults_exact.docs.json": await contract_post(
            htx, key, ISOLATED_FILLS, {"contract": "ETH-USDT", "trade_type": 0, **isolated_window}
        ),
        "financial_record_exact.docs.json": await contract_post(htx, key, RECORDS, {"mar_acct": "USDT", **window}),
        "cross_account_info.docs.json": await contract_post(htx, key, ACCOUNT, {"margin_account": "USDT"}),
        "isolated_account_info.docs.json": await contract_post(htx, key, ISOLATED_ACCOUNTS, {}),
        "coin_swap_account_info.docs.json": await contract_post(htx, key, COIN_SWAP_ACCOUNTS, {}),
        "coin_swap_matchresults_exact.docs.json": await contract_post(
            htx, key, COIN_SWAP_FILLS, {"contract": "BTC-USD", "trade_type": 0, **coin_window}
        ),
        "coin_swap_financial_record_exact.docs.json": await contract_post(
            htx, key, COIN_SWAP_RECORDS, {"contract": "BTC-USD", **coin_window}
        ),
    }
    for name, (status, body) in answers.items():
        assert status == 200 and body["data"], (name, body)
        assert shape_differences(documented(name), body) == [], name


def test_the_fetcher_reads_the_documented_fill_and_money_line_as_a_person_does() -> None:
    class Codes:
        def safe_currency_code(self, currency: str) -> str:
            return currency

    rows = ContractRows(Codes())
    (fill,) = rows.fill(documented("cross_matchresults_exact.docs.json")["data"][0])
    # 100 contracts of the BTC-USDT delivery of 10 December 2021 bought for 4855.56 USDT at 48555.6: 0.1 BTC; a
    # trade fee of -2.42778 is 2.42778 USDT charged; no closing profit (an opening fill).
    assert (fill.kind, fill.market, fill.side, fill.asset, fill.amount, fill.price) == (
        RecordKind.FUTURES_TRADE,
        "BTC/USDT:USDT-211210",
        "buy",
        "BTC",
        Decimal("0.1"),
        Decimal("48555.6"),
    )
    assert (fill.quote_asset, fill.quote_amount, fill.fee_asset, fill.fee_amount) == (
        "USDT",
        Decimal("4855.56"),
        "USDT",
        Decimal("2.42778"),
    )
    # The documented line is an opening fee (type 5): the fill above carries it, so it is not stored again.
    assert rows.line(documented("financial_record_exact.docs.json")["data"][0]) is None
    # A funding expenditure in the table's shape (type 31, "Funding fee-expenditure"): paid, so negative.
    funding = rows.line(
        {"query_id": 1, "id": 2, "type": 31, "amount": Decimal("-0.1939764"), "ts": 1638758435635,
         "contract_code": "BTC-USDT", "asset": "USDT", "margin_account": "USDT", "face_margin_account": ""}
    )  # fmt: skip
    assert funding is not None
    assert (funding.kind, funding.asset, funding.amount, funding.market) == (
        RecordKind.FUNDING,
        "USDT",
        Decimal("-0.1939764"),
        "BTC/USDT:USDT",
    )


def test_the_fetcher_reads_the_documented_isolated_fill_as_a_person_does() -> None:
    class Codes:
        def safe_currency_code(self, currency: str) -> str:
            return currency

    fill, profit = ContractRows(Codes()).fill(documented("isolated_matchresults_exact.docs.json")["data"][0])
    # 9 contracts of BTC-USDT bought back for 329.22 USDT at 36580: 0.009 BTC; 0.131688 USDT charged; closing a
    # short made 0.3636 USDT ("offset_profitloss").
    assert (fill.kind, fill.market, fill.side, fill.amount, fill.quote_amount, fill.fee_amount) == (
        RecordKind.FUTURES_TRADE,
        "BTC/USDT:USDT",
        "buy",
        Decimal("0.009"),
        Decimal("329.22"),
        Decimal("0.131688"),
    )
    assert (profit.kind, profit.asset, profit.amount) == (RecordKind.REALIZED_PNL, "USDT", Decimal("0.3636"))


def test_the_fetcher_reads_the_documented_coin_margined_fill_and_line_as_a_person_does() -> None:
    class Codes:
        def safe_currency_code(self, currency: str) -> str:
            return currency

    rows = ContractRows(Codes())
    fill, profit = rows.fill(documented("coin_swap_matchresults_exact.docs.json")["data"][0])
    # 10 THETA-USD contracts bought back for 100 USD at 0.66 USD: 100 / 0.66 THETA; the fee (-0.030303030303030304)
    # and the closing profit (1.0803950690222015) are in THETA, the settling coin.
    assert (fill.market, fill.side, fill.asset, fill.amount, fill.price) == (
        "THETA/USD:THETA",
        "buy",
        "THETA",
        Decimal(100) / Decimal("0.66"),
        Decimal("0.66"),
    )
    assert (fill.quote_asset, fill.quote_amount, fill.fee_asset, fill.fee_amount) == (
        "USD",
        Decimal(100),
        "THETA",
        Decimal("0.030303030303030304"),
    )
    assert (profit.kind, profit.asset, profit.amount) == (
        RecordKind.REALIZED_PNL,
        "THETA",
        Decimal("1.0803950690222015"),
    )
    # The documented line: 100 THETA moved to a sub-account (type 34), out of the account's edge.
    line = rows.line(documented("coin_swap_financial_record_exact.docs.json")["data"][0])
    assert line is not None
    assert (line.kind, line.asset, line.amount, line.market) == (
        RecordKind.WITHDRAWAL,
        "THETA",
        Decimal(100),
        "THETA/USD:THETA",
    )


def test_the_balance_reads_take_the_documented_wallets_as_a_person_does() -> None:
    spot, futures, isolated, coin_swap = htx_balances.READS
    # Trade and frozen are both held: 91.850043797676510303 + 5.160000000000000015 USDT, and the POLY.
    assert list(spot.rows(documented("account_balance.docs.json"))) == [
        ("USDT", Decimal("91.850043797676510303")),
        ("USDT", Decimal("5.160000000000000015")),
        ("POLY", Decimal("147.928994082840236")),
    ]
    # Equity 10000 with no unrealized profit.
    assert list(futures.rows(documented("cross_account_info.docs.json"))) == [("USDT", Decimal(10000))]
    # The isolated BTC-USDT account: 99.75505884 USDT of rights, no unrealized profit.
    assert list(isolated.rows(documented("isolated_account_info.docs.json"))) == [("USDT", Decimal("99.75505884"))]
    # The THETA-USD account: rights 717.6009609625614 THETA less -6.321988896485648 unrealized, 723.922949859047048
    # (margin_static, "static margin", shows it rounded: 723.9229498590471).
    assert list(coin_swap.rows(documented("coin_swap_account_info.docs.json"))) == [
        ("THETA", Decimal("723.922949859047048"))
    ]


# -- the rules -----------------------------------------------------------------------------------------------


async def test_a_post_signed_over_another_host_is_refused_in_each_versions_envelope(htx: HtxEmulator) -> None:
    key = htx.create_demo_keys().read_only
    status, v1 = await contract_post(htx, key, ACCOUNT, {}, host="api.huobi.pro")
    assert (status, v1["status"], v1["err_code"]) == (200, "error", 403)
    _, v3 = await contract_post(htx, key, RECORDS, {"mar_acct": "USDT"}, host="api.huobi.pro")
    assert v3["code"] == 403
    # Either documented contract host is accepted.
    assert (await contract_post(htx, key, ACCOUNT, {}, host="api.hbdm.vn"))[1]["status"] == "ok"


async def test_the_lists_take_at_most_48_hours_within_the_last_90_days(htx: HtxEmulator) -> None:
    key = htx.create_demo_keys().read_only
    now = htx.clock.now_ms()
    too_long = {"mar_acct": "USDT", "start_time": now - 49 * HOUR_MS, "end_time": now}
    too_old = {"mar_acct": "USDT", "start_time": now - 91 * DAY_MS, "end_time": now - 90 * DAY_MS}
    for body in (too_long, too_old):
        assert (await contract_post(htx, key, RECORDS, body))[1]["code"] != 200
    no_contract = {"trade_type": 0, "start_time": now - HOUR_MS, "end_time": now}
    assert (await contract_post(htx, key, FILLS, no_contract))[1]["code"] != 200


async def test_an_account_that_never_opened_contracts_is_answered_1220() -> None:
    async with HtxEmulator(seed=15, profile=SMALL, listed_symbols=20) as htx:
        key = htx.create_demo_keys().read_only
        _, body = await contract_post(htx, key, ACCOUNT, {"margin_account": "USDT"})
    assert (body["status"], body["err_code"]) == ("error", 1220)


async def test_an_isolated_account_is_asked_by_its_contract_and_names_the_cross_account_it_was_funded_from(
    htx: HtxEmulator,
) -> None:
    key = htx.create_demo_keys().read_only
    script = htx.futures
    assert script is not None
    first = min(d.time for d in script.deals if d.symbol == "ETH_USDT")
    window = {"start_time": first - 2 * HOUR_MS, "end_time": first}
    _, cross = await contract_post(htx, key, RECORDS, {"mar_acct": "USDT", "type": "39", **window})
    _, isolated = await contract_post(htx, key, RECORDS, {"mar_acct": "ETH-USDT", "type": "38", **window})
    # 1,000 USDT out of the cross account into ETH-USDT's own, each line naming the other account.
    assert [(r["amount"], r["margin_account"], r["face_margin_account"]) for r in cross["data"]] == [
        (Decimal(-1000), "USDT", "ETH-USDT")
    ]
    assert [(r["amount"], r["margin_account"], r["face_margin_account"]) for r in isolated["data"]] == [
        (Decimal(1000), "ETH-USDT", "USDT")
    ]
    # ETH-USDT's fills are in the isolated list only; the isolated account list names every contract.
    eth = {"contract": "ETH-USDT", "trade_type": 0, "start_time": first - HOUR_MS, "end_time": first + HOUR_MS}
    assert (await contract_post(htx, key, FILLS, eth))[1]["data"] == []
    assert len((await contract_post(htx, key, ISOLATED_FILLS, eth))[1]["data"]) == 1
    _, accounts = await contract_post(htx, key, ISOLATED_ACCOUNTS, {})
    assert [r["margin_account"] for r in accounts["data"]] == ["BTC-USDT", "ETH-USDT", "SOL-USDT"]
