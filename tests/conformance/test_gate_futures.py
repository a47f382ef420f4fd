"""Gate's perpetual futures and balances against their documentation: the examples in
tests/conformance/documented/gate/ (futures_*.docs.json, spot_accounts.docs.json) and docs/exchange-apis/gate.md.

The emulator answers in each example's shape; the fetcher and the balance read take off each documented row what a
person reads there (expected values written by hand from the payload); an account never opened answers the recorded
USER_NOT_FOUND, which skips the futures kinds and reads as an empty wallet.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from connectors.balances import gate as gate_balances
from connectors.fetchers.gate.futures import shows_history
from connectors.fetchers.gate.futures_rows import FuturesRows
from connectors.records import RecordKind
from sandbox.exchanges import AccountProfile, GateEmulator
from tests.conformance.corpus import readable, shape_differences
from tests.conformance.test_gate import signed_get

DOCUMENTED = Path(__file__).resolve().parent / "documented" / "gate"
SMALL = AccountProfile(
    years=0.3, traded_markets=2, trades=30, deposits=3, withdrawals=2, converts=1, transfers=0, rewards=2
)


def documented(name: str) -> Any:
    return json.loads((DOCUMENTED / name).read_text(encoding="utf-8"))["response"]


@pytest.fixture
async def gate() -> AsyncIterator[GateEmulator]:
    async with GateEmulator(seed=82, profile=SMALL, listed_symbols=12, derivatives=True) as emulator:
        yield emulator


async def test_the_emulator_answers_the_documented_futures_examples_in_their_shape(gate: GateEmulator) -> None:
    key = gate.create_demo_keys().read_only
    for settle in ("usdt", "btc"):
        _, account = await signed_get(gate, key, f"/futures/{settle}/accounts")
        assert shape_differences(documented("futures_accounts.docs.json"), account) == []
        _, book = await signed_get(gate, key, f"/futures/{settle}/account_book")
        assert book and shape_differences(documented("futures_account_book.docs.json"), book) == []
        _, fills = await signed_get(gate, key, f"/futures/{settle}/my_trades_timerange")
        assert fills and shape_differences(documented("futures_my_trades_timerange.docs.json"), fills) == []
        _, contracts = await signed_get(gate, key, f"/futures/{settle}/contracts")
        assert contracts and shape_differences(documented("futures_contracts.docs.json"), contracts) == []
    _, spot = await signed_get(gate, key, "/spot/accounts")
    assert spot and shape_differences(documented("spot_accounts.docs.json"), spot) == []


async def test_an_account_never_opened_answers_user_not_found() -> None:
    async with GateEmulator(seed=83, profile=SMALL, listed_symbols=12) as gate:
        key = gate.create_demo_keys().read_only
        status, body = await signed_get(gate, key, "/futures/usdt/accounts")
    # ccxt issue #13249: {"label":"USER_NOT_FOUND","detail":"please transfer funds first to create futures account"}
    assert (status, body["label"]) == (400, "USER_NOT_FOUND")


def test_the_fetcher_reads_the_documented_fill_as_a_person_does() -> None:
    row = documented("futures_my_trades_timerange.docs.json")[0]
    multiplier = {c["name"]: Decimal(c["quanto_multiplier"]) for c in documented("futures_contracts.docs.json")}
    record = FuturesRows("usdt", multiplier).fill(row)
    assert record.natural_key == "futures_trade:usdt:121234231"
    assert readable(record) == {
        "kind": RecordKind.FUTURES_TRADE,
        "occurred_at": datetime(2018, 1, 1, 0, 0, 0, 123000, tzinfo=UTC),  # create_time 1514764800.123
        "asset": "BTC",
        "amount": Decimal("0.0100"),  # size 100 contracts × quanto_multiplier 0.0001 BTC
        "exchange_tx_id": "121234231",
        "market": "BTC/USDT:USDT",
        "side": "buy",  # size positive
        "quote_asset": "USDT",
        "quote_amount": Decimal("1.00123000"),  # 0.01 BTC × 100.123
        "price": Decimal("100.123"),
        "fee_asset": "USDT",
        "fee_amount": Decimal("0.01"),
    }
    # Selling 500 contracts of the inverse BTC_USD (1 USD each, multiplier "0") at 25000: 0.02 BTC.
    inverse = FuturesRows("btc", {"BTC_USD": Decimal(0)}).fill(
        {**row, "contract": "BTC_USD", "size": -500, "price": "25000"}
    )
    assert (inverse.market, inverse.side, inverse.amount, inverse.quote_amount, inverse.quote_asset) == (
        "BTC/USD:BTC",
        "sell",
        Decimal("0.02"),
        Decimal("0.02"),
        "BTC",
    )


def test_the_fetcher_reads_the_documented_book_lines_by_their_type() -> None:
    row = documented("futures_account_book.docs.json")[0]  # a fee line: the fill it belongs to holds it
    rows = FuturesRows("btc", {})
    assert rows.line(row) is None
    assert rows.line({**row, "type": "dnw"}) is None  # a move the spot account book lists
    pnl = rows.line({**row, "type": "pnl", "change": "-0.5"})
    assert pnl is not None and readable(pnl) == {
        "kind": RecordKind.REALIZED_PNL,
        "occurred_at": datetime(2023, 4, 24, 0, 0, 0, 123000, tzinfo=UTC),  # time 1682294400.123456
        "asset": "BTC",
        "amount": Decimal("-0.5"),
        "exchange_tx_id": "1",
        "market": "ETH/USD:BTC",
        "side": None,
        "quote_asset": None,
        "quote_amount": None,
        "price": None,
        "fee_asset": None,
        "fee_amount": None,
    }
    fund = rows.line({**row, "type": "fund"})
    assert fund is not None and (fund.kind, fund.amount) == (RecordKind.FUNDING, Decimal("0.000010152188"))
    rebate = rows.line({**row, "type": "refr"})
    assert rebate is not None and (rebate.kind, rebate.amount) == (RecordKind.REWARD, Decimal("0.000010152188"))


def test_the_documented_account_shows_history_and_its_total_is_the_wallet() -> None:
    account = documented("futures_accounts.docs.json")
    assert shows_history(account)  # dnw 10000, pnl 68.3685, …
    never = {**account, "history": {name: "0" for name in account["history"]}}
    assert not shows_history(never)
    # `total` excludes unrealised profit and loss: what the history explains.
    assert list(gate_balances.futures("usdt").rows(account)) == [("USDT", Decimal("9707.803567115145"))]
    spot = gate_balances.READS[0].rows(documented("spot_accounts.docs.json"))
    assert list(spot) == [("ETH", Decimal("968.8"))]  # available 968.8 + locked 0


async def test_the_emulator_answers_the_documented_delivery_and_options_examples_in_their_shape() -> None:
    async with GateEmulator(
        seed=84, profile=SMALL, listed_symbols=12, delivery=True, options_total=Decimal("12.5")
    ) as gate:
        key = gate.create_demo_keys().read_only
        _, account = await signed_get(gate, key, "/delivery/usdt/accounts")
        _, book = await signed_get(gate, key, "/delivery/usdt/account_book")
        _, fills = await signed_get(gate, key, "/delivery/usdt/my_trades")
        _, options = await signed_get(gate, key, "/options/accounts")
    assert shape_differences(documented("delivery_accounts.docs.json"), account) == []
    assert book and shape_differences(documented("delivery_account_book.docs.json"), book) == []
    assert fills and shape_differences(documented("delivery_my_trades.docs.json"), fills) == []
    assert shape_differences(documented("options_accounts.docs.json"), options) == []


def test_the_fetcher_reads_the_documented_delivery_fill_and_options_account_as_a_person_does() -> None:
    row = documented("delivery_my_trades.docs.json")[0]  # numbered `id` (an integer), not `trade_id`
    record = FuturesRows("usdt", {"BTC_USDT_20261225": Decimal("0.0001")}, "delivery").fill(
        {**row, "contract": "BTC_USDT_20261225"}
    )
    # 100 contracts × 0.0001 BTC at 100.123, in the quarter's contract settling 2026-12-25 (ccxt: -261225).
    assert (record.natural_key, record.exchange_tx_id, record.market) == (
        "futures_trade:delivery:usdt:121234231",
        "121234231",
        "BTC/USDT:USDT-261225",
    )
    assert (record.amount, record.quote_amount, record.fee_amount) == (
        Decimal("0.0100"),
        Decimal("1.00123000"),
        Decimal("0.01"),
    )
    # The documented delivery account booked 10000 in, profit, fees and funding: it has history to read.
    assert shows_history(documented("delivery_accounts.docs.json"))
    assert list(gate_balances.READS[3].rows(documented("delivery_accounts.docs.json"))) == [
        ("USDT", Decimal("9707.803567115145"))
    ]
