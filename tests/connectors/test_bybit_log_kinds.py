"""Which lines of Bybit's unified transaction log the "Account ledger" walk stores, as what, and which it leaves to
the list that already holds them (docs/exchange-apis/bybit.md, "the other lines"). Rows are written by hand in the
page's fields (docs/v5/account/transaction-log: `change` = `cashFlow` + `funding` - `fee`); expected records and
balances are worked out by hand from each line's `change`."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from bot.reconcile.ledger import explained_balances
from connectors.fetchers.bybit.log_kinds import LogKindRows
from connectors.records import RecordKind
from db.repositories.reconcile import Movement

WHEN = 1_733_000_000_000


def line(kind: str, coin: str, change: str, *, category: str = "spot", number: int = 1, **extra: Any) -> dict[str, Any]:
    return {
        "id": f"{number}_{coin}",
        "symbol": extra.pop("symbol", ""),
        "category": category,
        "side": "None",
        "transactionTime": str(WHEN + number),
        "type": kind,
        "qty": change,
        "size": "0",
        "currency": coin,
        "tradePrice": "0",
        "funding": "",
        "fee": extra.pop("fee", "0"),
        "cashFlow": extra.pop("cashFlow", change),
        "change": change,
        "cashBalance": "0",
        "feeRate": "",
        "bonusChange": "",
        "tradeId": f"t{number}",
        "orderId": "",
        "orderLinkId": "",
        **extra,
    }


ROWS = LogKindRows(lambda coin: coin)


@pytest.mark.parametrize(
    ("kind", "change", "expected"),
    [
        ("AIRDROP", "12.5", (RecordKind.REWARD, Decimal("12.5"), None)),
        ("BONUS_RECOLLECT", "-5", (RecordKind.REWARD, Decimal(-5), "out")),  # taken back: negative, going out
        ("MANUAL_LOANS_BORROW", "100", (RecordKind.BORROW, Decimal(100), None)),
        ("AUTO_LOANS_REPAY", "-40", (RecordKind.REPAY, Decimal(40), None)),
        ("INSTITUTION_PAYBACK_INTEREST_OUT", "-0.3", (RecordKind.INTEREST, Decimal("-0.3"), None)),
        ("SPOT_REPAYMENT_SELL", "-0.001", (RecordKind.CONVERT, Decimal("0.001"), "out")),
        ("TOKENS_SUBSCRIPTION", "20", (RecordKind.CONVERT, Decimal(20), "in")),
        ("STRUCTURE_PRODUCT_SUBSCRIPTION", "-50", (RecordKind.TRANSFER, Decimal(50), "out")),
        ("CUSTODY_SETTLE_FEE", "-1.5", (RecordKind.LEDGER, Decimal("-1.5"), "out")),  # meaning unclear: counted by none
        ("A_TYPE_ADDED_LATER", "2", (RecordKind.LEDGER, Decimal(2), "in")),
    ],
)
def test_a_line_no_other_list_holds_is_stored_as_what_its_type_says(
    kind: str, change: str, expected: tuple[RecordKind, Decimal, str | None]
) -> None:
    record, hold = ROWS.parse(line(kind, "USDT", change), 0)
    assert record is not None and hold is None
    assert (record.kind, record.amount, record.side) == expected
    assert record.asset == "USDT" and int(record.occurred_at.timestamp() * 1000) == WHEN + 1


@pytest.mark.parametrize(
    "row",
    [
        line("TRADE", "BTC", "0.01"),  # the spot execution list's
        line("TRANSFER_IN", "USDT", "10"),  # the transfer list's
        line("INTEREST", "USDT", "-0.00012169"),  # the borrow history's
        line("CURRENCY_BUY", "BTC", "0.002"),  # the convert history's
        line("FLEXIBLE_STAKING_SUBSCRIPTION", "USDT", "-100"),  # Earn's orders
        line("BONUS", "USDT", "5", category="linear", symbol="BTCUSDT"),  # the derivatives walk's realized P&L
        line("AIRDROP", "MNT", "0"),  # moved nothing
    ],
    ids=["trade", "transfer", "interest", "convert", "earn", "derivatives", "zero"],
)
def test_a_line_another_list_holds_is_left_to_it(row: dict[str, Any]) -> None:
    assert ROWS.parse(row, 0) == (None, None)


def test_the_money_is_the_lines_change_whichever_field_carries_it() -> None:
    # A bonus written as a negative fee (a rebate) rather than a cash flow: change = 0 + 0 - (-5) = 5.
    record, _ = ROWS.parse(line("BONUS", "USDT", "5", cashFlow="0", fee="-5"), 0)
    assert record is not None and (record.kind, record.amount, record.side) == (RecordKind.REWARD, Decimal(5), None)


def test_a_one_click_repayment_explains_both_coins_and_the_loan_counts_zero() -> None:
    """Sell 0.001 BTC for 60 USDT, repay 60 USDT of the loan: the history explains -0.001 BTC and 60 USDT arrived
    (the repayment counts zero: the wallet is read net of spotBorrow, which fell by the same 60)."""
    rows = [
        line("SPOT_REPAYMENT_SELL", "BTC", "-0.001", number=1),
        line("SPOT_REPAYMENT_BUY", "USDT", "60", number=2),
        line("MANUAL_LOANS_REPAY", "USDT", "-60", number=3),
    ]
    records = [r for r in (ROWS.parse(row, 0)[0] for row in rows) if r is not None]
    assert len({r.natural_key for r in records}) == 3
    moves = [
        Movement(
            kind=r.kind,
            asset=r.asset,
            amount=r.amount,
            side=r.side,
            quote_asset=r.quote_asset,
            quote_amount=r.quote_amount,
            fee_asset=r.fee_asset,
            fee_amount=r.fee_amount,
        )
        for r in records
    ]
    assert explained_balances(moves) == {"BTC": Decimal("-0.001"), "USDT": Decimal(60)}
