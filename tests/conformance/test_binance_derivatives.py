"""Binance futures and margin against their documentation: the documented answers in tests/conformance/documented/
binance/ (fapi_*, dapi_*, margin_*; each names its page) checked two ways.

(a) The emulator answers in the documented shape: every documented field, with its JSON type, and nothing else.
(b) Tallybot reads each documented answer as a person reads it off the page (expectations written by hand).

Every documented file of these endpoints must have a reading check, so an example added later is checked too.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import ccxt
import pytest

from connectors.balances import binance as binance_reads
from connectors.fetchers.binance.futures import COINM, USDM, BinanceFutures
from connectors.fetchers.binance.margin import BinanceMargin
from connectors.fetchers.binance.subaccounts import BinanceSubAccountMoves
from connectors.fetchers.binance.transfers import BinanceTransfers
from connectors.records import NormalizedRecord, RecordKind
from sandbox.exchanges import AccountProfile, BinanceEmulator
from sandbox.exchanges.binance_book import Call
from sandbox.exchanges.binance_futures import COINM as EMULATED_COINM
from sandbox.exchanges.binance_futures import USDM as EMULATED_USDM
from tests.conformance.corpus import readable, shape_differences

DOCUMENTED = Path(__file__).resolve().parent / "documented" / "binance"
PREFIXES = ("fapi_", "dapi_", "margin_", "asset_transfer")
SMALL = AccountProfile(years=0.1, traded_markets=2, trades=10, deposits=2, withdrawals=1, converts=1, rewards=1)


def documented(name: str) -> Any:
    return json.loads((DOCUMENTED / f"{name}.docs.json").read_text(encoding="utf-8"))["response"]


def names() -> list[str]:
    return sorted(
        p.name.removesuffix(".docs.json") for p in DOCUMENTED.glob("*.docs.json") if p.name.startswith(PREFIXES)
    )


def client() -> Any:
    """A ccxt client that knows the spot markets the documented examples trade in (no request is made)."""
    exchange = ccxt.binance()
    exchange.markets = {
        f"{base}/{quote}": {
            "id": f"{base}{quote}", "symbol": f"{base}/{quote}", "base": base, "quote": quote, "baseId": base,
            "quoteId": quote, "spot": True,
        }
        for base, quote in (("BNB", "BTC"), ("BNB", "USDT"))
    }  # fmt: skip
    return exchange


def at(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def record(kind: RecordKind, when: int, ident: str, asset: str, amount: str, **more: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "kind": kind, "occurred_at": at(when), "asset": asset, "amount": Decimal(amount), "exchange_tx_id": ident,
        "market": None, "side": None, "quote_asset": None, "quote_amount": None, "price": None, "fee_asset": None,
        "fee_amount": None,
    }  # fmt: skip
    for key, value in more.items():
        row[key] = Decimal(value) if key in ("quote_amount", "price", "fee_amount") else value
    return row


def read(records: list[NormalizedRecord | None] | list[NormalizedRecord]) -> list[dict[str, Any] | None]:
    return [readable(r) if r is not None else None for r in records]


# ----------------------------------------------------------------------------------------------- (b) reading

futures = BinanceFutures(client(), "binance", datetime(2017, 7, 14, tzinfo=UTC).date())
margin = BinanceMargin(client(), "binance", datetime(2019, 7, 11, tzinfo=UTC).date())


async def _no_pairs(report: Any) -> list[str]:
    return []


OPENED = (datetime(2017, 7, 14, tzinfo=UTC).date(), datetime(2019, 7, 11, tzinfo=UTC).date())
transfers = BinanceTransfers(
    client(), lambda asset: None, _no_pairs, BinanceSubAccountMoves(client(), lambda asset, source: None), OPENED
)

READINGS: dict[str, tuple[Callable[[Any], list[Any]], list[dict[str, Any] | None] | list[tuple[str, Decimal]]]] = {
    # A USDⓈ-M fill: its commission is its fee (negative here: a rebate, kept as the page shows it), its realized
    # profit and loss a record of its own.
    "fapi_userTrades": (
        lambda body: read(futures.fill(USDM, body[0])),
        [
            record(
                RecordKind.FUTURES_TRADE,
                1569514978020,
                "698759",
                "BTC",
                "0.002",
                market="BTC/USDT:USDT",
                side="sell",
                quote_asset="USDT",
                quote_amount="15.63802",
                price="7819.01",
                fee_asset="USDT",
                fee_amount="-0.07819010",
            ),
            record(RecordKind.REALIZED_PNL, 1569514978020, "698759", "USDT", "-0.91539999", market="BTC/USDT:USDT"),
        ],
    ),
    # A COIN-M fill: 1 contract of a quarterly BTCUSD; its quantity and notional are baseQty in BTC; no P&L ("0").
    "dapi_userTrades": (
        lambda body: read(futures.fill(COINM, body[0])),
        [
            record(
                RecordKind.FUTURES_TRADE,
                1590743483586,
                "6",
                "BTC",
                "0.01136364",
                market="BTC/USD:BTC-200626",
                side="sell",
                quote_asset="BTC",
                quote_amount="0.01136364",
                price="8800",
                fee_asset="BTC",
                fee_amount="0.00000454",
            )
        ],
    ),
    # The documented lines are a transfer and a commission: both repeat other records, neither is stored.
    "fapi_income": (lambda body: read([futures.line(USDM, row) for row in body]), [None, None]),
    "dapi_income": (lambda body: read([futures.line(COINM, row) for row in body]), [None, None]),
    # Wallet balances, not margin balances: `balance` only.
    "fapi_balance": (lambda body: list(binance_reads._binance_futures(body)), [("USDT", Decimal("122607.35137903"))]),
    "dapi_balance": (lambda body: list(binance_reads._binance_futures(body)), [("BTC", Decimal("0.00250000"))]),
    "margin_account": (
        lambda body: list(binance_reads._binance_cross_margin(body)),
        [("BTC", Decimal("0.00499500")), ("BNB", Decimal("2144.83333328")), ("ETH", Decimal(0)), ("USDT", Decimal(0))],
    ),
    "margin_isolated_account": (
        lambda body: list(binance_reads._binance_isolated_margin(body)),
        [("BTC", Decimal(0)), ("USDT", Decimal(0))],
    ),
    # A cross-margin sale of 3 BNB at 0.02 BTC: no quoteQty on the page, so price times quantity.
    "margin_myTrades": (
        lambda body: read([margin._trade("cross:BNBBTC", "BNBBTC", body[0])]),
        [
            record(
                RecordKind.TRADE,
                1561973357171,
                "34",
                "BNB",
                "3.00000000",
                market="BNB/BTC",
                side="sell",
                quote_asset="BTC",
                quote_amount="0.06",
                price="0.02000000",
                fee_asset="BTC",
                fee_amount="0.00006000",
            )
        ],
    ),
    # Asked as REPAY: the principal repaid (its interest was charged by interest records).
    "margin_borrow_repay": (
        lambda body: read([margin._loan("REPAY", "BNBUSDT", body["rows"][0])]),
        [record(RecordKind.REPAY, 1563438204000, "2970933056", "BNB", "13.98133333", market="BNB/USDT")],
    ),
    # Two transfers from spot to the USDⓈ-M wallet: TRANSFER records keyed by direction and tranId.
    "asset_transfer": (
        lambda body: read([transfers.transfer(row)[0] for row in body["rows"]]),
        [
            record(RecordKind.TRANSFER, 1544433328000, "11415955596", "USDT", "1"),
            record(RecordKind.TRANSFER, 1544433328000, "11366865406", "USDT", "2"),
        ],
    ),
    "margin_interestHistory": (
        lambda body: read([margin._loan("INTEREST", "BNBUSDT", body["rows"][0])]),
        [record(RecordKind.INTEREST, 1672160400000, "1352286576452864727", "USDT", "-0.00024995", market="BNB/USDT")],
    ),
}


def test_every_documented_futures_and_margin_answer_has_a_reading_check() -> None:
    assert names() == sorted(READINGS)


@pytest.mark.parametrize("name", names())
def test_a_documented_answer_reads_as_a_person_reads_it(name: str) -> None:
    reading, expected = READINGS[name]
    assert reading(documented(name)) == expected


def income_row(income_type: str, income: str, asset: str = "USDT", tran: int = 9689322392) -> dict[str, Any]:
    """One USDⓈ-M income line in the page's documented shape."""
    return {
        "symbol": "", "incomeType": income_type, "income": income, "asset": asset, "info": income_type,
        "time": 1570608000000, "tranId": tran, "tradeId": "",
    }  # fmt: skip


def test_income_lines_that_move_money_no_other_history_lists_are_stored_as_the_page_names_them() -> None:
    """Get Income History (usds-margined-futures account/rest-api; the zh-CN page glosses each type): INTERNAL_TRANSFER
    is "内部账户,给普通用户划转" (Binance's internal account to a regular user) and STRATEGY_UMFUTURES_TRANSFER
    "UM策略子账户划转" (a UM strategy sub-account transfer): money in or out of the wallets the key reads, that neither
    the deposit nor the universal transfer history lists. COIN_SWAP_DEPOSIT / COIN_SWAP_WITHDRAW ("闪兑转入/转出", a
    flash swap's legs) change the wallet by their sign. TRANSFER (spot<->futures) is the transfer history's."""
    lines = [
        income_row("INTERNAL_TRANSFER", "12.50000000"),
        income_row("STRATEGY_UMFUTURES_TRANSFER", "-300.00000000"),
        income_row("STRATEGY_UMFUTURES_TRANSFER", "40.00000000", tran=9689322393),
        income_row("COIN_SWAP_WITHDRAW", "-100.00000000"),
        income_row("COIN_SWAP_DEPOSIT", "99.95000000", asset="USDC"),
        income_row("TRANSFER", "-0.37500000"),
    ]
    when, ident = 1570608000000, "9689322392"
    assert read([futures.line(USDM, row) for row in lines]) == [
        record(RecordKind.DEPOSIT, when, ident, "USDT", "12.5"),
        record(RecordKind.WITHDRAWAL, when, ident, "USDT", "300"),
        record(RecordKind.DEPOSIT, when, "9689322393", "USDT", "40"),
        record(RecordKind.REALIZED_PNL, when, ident, "USDT", "-100"),
        record(RecordKind.REALIZED_PNL, when, ident, "USDC", "99.95"),
        None,
    ]


def test_interest_paid_in_bnb_is_an_interest_record_in_bnb_and_names_the_borrowed_coin() -> None:
    """Get Interest History: `type` PERIODIC_CONVERTED is "interest charged per hour converted into BNB" (zh-CN:
    "每小时收的利息,用BNB抵扣", deducted in BNB); the row has `asset` and, on cross margin, `rawAsset`. So the charge
    is in `asset` (BNB) and `rawAsset` (USDT) is the coin borrowed: the INTEREST record is BNB, and USDT is noted
    as a cross-margin coin (for the pairs asked)."""
    reader = BinanceMargin(client(), "binance", datetime(2019, 7, 11, tzinfo=UTC).date())
    row = {
        "txId": 1352286576452864728, "interestAccuredTime": 1672164000000, "asset": "BNB", "rawAsset": "USDT",
        "principal": "45.3313", "interest": "0.00000112", "interestRate": "0.00013233", "type": "PERIODIC_CONVERTED",
    }  # fmt: skip
    assert read([reader._loan("INTEREST", "", row)]) == [
        record(RecordKind.INTEREST, 1672164000000, "1352286576452864728", "BNB", "-0.00000112")
    ]
    assert reader.assets == {"BNB", "USDT"}


# ------------------------------------------------------------------------------------------------- (a) shape


def emulated(emulator: BinanceEmulator, name: str) -> Any:
    fut, mar, now = emulator.futures, emulator.margin, emulator.clock.now_ms()

    def ask(handler: Callable[[Call], Any], **params: str) -> Any:
        return handler(Call(params=params, key=None, now_ms=now))

    start = str(now - 60 * 86_400_000)
    answers: dict[str, Callable[[], Any]] = {
        "fapi_userTrades": lambda: ask(fut.user_trades(EMULATED_USDM), symbol="BTCUSDT", fromId="0"),
        "dapi_userTrades": lambda: ask(fut.user_trades(EMULATED_COINM), symbol="BTCUSD_PERP", fromId="0"),
        "fapi_income": lambda: ask(fut.income(EMULATED_USDM), startTime=start),
        "dapi_income": lambda: ask(fut.income(EMULATED_COINM), startTime=start, endTime=str(now)),
        "fapi_balance": lambda: ask(fut.balance(EMULATED_USDM)),
        "dapi_balance": lambda: ask(fut.balance(EMULATED_COINM)),
        "margin_account": lambda: ask(mar.account),
        "margin_isolated_account": lambda: ask(mar.isolated_account),
        "margin_myTrades": lambda: ask(mar.my_trades, symbol="BTCUSDT", fromId="0"),
        "margin_borrow_repay": lambda: ask(
            mar.loans,
            type="BORROW",
            isolatedSymbol="ETHUSDT",
            asset="USDT",
            startTime=str(now - 25 * 86_400_000),
            endTime=str(now),
        ),
        "margin_interestHistory": lambda: ask(
            mar.interest_history, startTime=str(now - 45 * 86_400_000), endTime=str(now - 15 * 86_400_000)
        ),
        "asset_transfer": lambda: ask(emulator.transfers.history, type="MAIN_UMFUTURE", startTime=start),
    }
    return answers[name]()


# The page's example row holds both `rawAsset` ("will not be returned for isolated margin") and `isolatedSymbol`
# ("will not be returned for crossed margin"): a cross-margin row, as emulated, has the first only.
NOT_FOR_CROSS = {"margin_interestHistory": "isolatedSymbol"}


@pytest.mark.parametrize("name", names())
async def test_the_emulator_answers_in_the_documented_shape(name: str) -> None:
    async with BinanceEmulator(seed=5, profile=SMALL, listed_symbols=10, derivatives=True) as emulator:
        answer = emulated(emulator, name)
    shape = documented(name)
    if name in NOT_FOR_CROSS:
        for row in shape["rows"]:
            row.pop(NOT_FOR_CROSS[name])
    rows = answer if isinstance(answer, list) else answer.get("rows", answer.get("assets", [answer]))
    assert rows, f"{name}: the scripted account gives no row to compare"
    assert shape_differences(shape, answer) == []
