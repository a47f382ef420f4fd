"""Which lines of Bybit's unified transaction log the "Account ledger" walk stores, as what, and which it leaves to
the list that already holds them (docs/exchange-apis/bybit.md, "the other lines"). Rows are written by hand in the
page's fields (docs/v5/account/transaction-log: `change` = `cashFlow` + `funding` - `fee`); expected records and
balances are worked out by hand from each line's `change`."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from bot.reconcile.ledger import explained_balances
from connectors.fetchers.base import FetchReport
from connectors.fetchers.bybit.log_converts import ConvertLegs
from connectors.fetchers.bybit.log_kinds import LogKindRows
from connectors.profiles import Endpoint
from connectors.records import RecordKind, natural_key
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
        # The enum's current names (docs/v5/enum.mdx#typeuta-translog), each by its words.
        ("BORROW", "100", (RecordKind.BORROW, Decimal(100), None)),  # "Manual loan borrow and auto loan borrow"
        ("REPAY", "-40", (RecordKind.REPAY, Decimal(40), None)),  # "Manual loan repay and auto loan repay"
        ("FLOATING_TO_FIXED_BORROW", "25", (RecordKind.BORROW, Decimal(25), None)),
        ("FLOATING_TO_FIXED_REPAY", "-25", (RecordKind.REPAY, Decimal(25), None)),
        # A UTA loan's liquidation (or a convert: the fetch leaves the convert history's legs out).
        ("CURRENCY_SELL", "-0.004", (RecordKind.CONVERT, Decimal("0.004"), "out")),
        ("CURRENCY_BUY", "250", (RecordKind.CONVERT, Decimal(250), "in")),
        ("CONVERT", "-7", (RecordKind.CONVERT, Decimal(7), "out")),  # "Currency convert repayment"
        ("EARNING_REDEMPTION_SELL", "-3", (RecordKind.CONVERT, Decimal(3), "out")),
        ("EARNING_REDEMPTION_BUY", "3.01", (RecordKind.CONVERT, Decimal("3.01"), "in")),
        ("IDN_CONVERT_IN", "15", (RecordKind.CONVERT, Decimal(15), "in")),
        ("IDN_CONVERT_OUT", "-15", (RecordKind.CONVERT, Decimal(15), "out")),
        ("SPREAD_FEE_OUT", "-0.25", (RecordKind.FEE, Decimal("-0.25"), None)),  # "Spread fee for EU Broker"
        ("BROKER_ABACCOUNT_FEE", "-0.1", (RecordKind.FEE, Decimal("-0.1"), None)),  # "Borker AB fee deduction"
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
        line("FLEXIBLE_STAKING_SUBSCRIPTION", "USDT", "-100"),  # Earn's orders
        line("BONUS", "USDT", "5", category="linear", symbol="BTCUSDT"),  # the derivatives walk's realized P&L
        line("AIRDROP", "MNT", "0"),  # moved nothing
    ],
    ids=["trade", "transfer", "interest", "earn", "derivatives", "zero"],
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


def test_a_line_with_an_id_keeps_its_key_and_one_without_keys_its_amount_too() -> None:
    """Two lines of one type and coin in one ms with neither `id` nor `tradeId` are two records; a line with an id
    keeps the key earlier versions stored (hashed from id, tradeId, type, coin and time), so a re-read adds nothing."""
    with_id = line("AIRDROP", "MNT", "12.5")
    record, _ = ROWS.parse(with_id, 0)
    assert record is not None
    assert record.natural_key == natural_key(RecordKind.REWARD, None, "1_MNT", "t1", "AIRDROP", "MNT", WHEN + 1)
    first, second = (line("AIRDROP", "MNT", change, id="", tradeId="") for change in ("12.5", "3"))
    keys = {r.natural_key for r in (ROWS.parse(first, 0)[0], ROWS.parse(second, 0)[0]) if r is not None}
    assert len(keys) == 2


# The convert history page's own example rows (docs/v5/asset/convert/get-convert-history.mdx, newest first).
FUNDING_CONVERT = {
    "accountType": "eb_convert_funding",
    "exchangeTxId": "10100108106409343501030232064",
    "fromCoin": "ETH",
    "fromAmount": "0.1",
    "toCoin": "BTC",
    "toAmount": "0.00534882723991",
    "exchangeStatus": "success",
    "createdAt": "1720071899995",
}
UTA_CONVERT = {
    "accountType": "eb_convert_uta",
    "exchangeTxId": "23070eb_convert_uta408933875189391360",
    "fromCoin": "BTC",
    "fromAmount": "0.1",
    "toCoin": "ETH",
    "toAmount": "1.773938248611074",
    "exchangeStatus": "success",
    "createdAt": "1719974243256",
}


class ConvertHistory:
    """Answers `query-convert-history` by page number from `rows` (newest first), counting the pages asked."""

    def __init__(self, *rows: dict[str, Any]) -> None:
        self.rows = list(rows)
        self.asked: list[int] = []

    async def privateGetV5AssetExchangeQueryConvertHistory(self, params: dict[str, Any]) -> dict[str, Any]:
        index, limit = int(params["index"]), int(params["limit"])
        self.asked.append(index)
        return {"retCode": 0, "result": {"list": self.rows[(index - 1) * limit : index * limit]}}


def leg(kind: str, coin: str, change: str, at: int, number: int) -> dict[str, Any]:
    return line(kind, coin, change, number=number, transactionTime=str(at), orderId=f"order-{number}")


async def _held(client: ConvertHistory, rows: list[dict[str, Any]]) -> list[bool]:
    legs, report = ConvertLegs(client, Endpoint.LEDGER), FetchReport()
    records = [ROWS.parse(row, 0)[0] for row in rows]
    return [await legs.held(r, report) for r in records if r is not None]


async def test_a_convert_s_legs_are_left_to_the_convert_history_and_a_liquidation_s_are_kept() -> None:
    """The example's unified-wallet convert (0.1 BTC for 1.773938248611074 ETH at 1719974243256) written as two log
    legs 350 ms later, under an order id of their own: both held by the row. A liquidation selling 0.5 ETH for
    1500 USDT, and a second sale of 0.1 BTC (the row's BTC leg already taken), are held by none: stored."""
    at = 1719974243256 + 350
    client = ConvertHistory(FUNDING_CONVERT, UTA_CONVERT)
    held = await _held(
        client,
        [
            leg("CURRENCY_SELL", "BTC", "-0.1", at, 1),
            leg("CURRENCY_BUY", "ETH", "1.773938248611074", at, 2),
            leg("CURRENCY_SELL", "ETH", "-0.5", at + 60_000, 3),
            leg("CURRENCY_BUY", "USDT", "1500", at + 60_000, 4),
            leg("CURRENCY_SELL", "BTC", "-0.1", at + 1000, 5),
        ],
    )
    assert held == [True, True, False, False, False]
    assert client.asked == [1]  # two rows, a short page: the history's end


async def test_an_equal_amount_far_from_the_row_or_a_failed_convert_holds_no_leg() -> None:
    two_hours_later = 1719974243256 + 2 * 3_600_000
    failed = {**UTA_CONVERT, "exchangeStatus": "failure"}
    assert await _held(ConvertHistory(UTA_CONVERT), [leg("CURRENCY_SELL", "BTC", "-0.1", two_hours_later, 1)]) == [
        False
    ]
    assert await _held(ConvertHistory(failed), [leg("CURRENCY_SELL", "BTC", "-0.1", 1719974243256, 1)]) == [False]


async def test_the_convert_history_is_read_only_as_far_back_as_a_line_needs() -> None:
    """150 converts an hour apart, newest first: a leg of the newest needs page 1 only; one of the 150th reads on."""
    newest = 1_800_000_000_000
    rows = [
        {**UTA_CONVERT, "exchangeTxId": str(n), "fromAmount": str(n + 1), "createdAt": str(newest - n * 3_600_000)}
        for n in range(150)
    ]
    client = ConvertHistory(*rows)
    assert await _held(client, [leg("CURRENCY_SELL", "BTC", "-1", newest, 1)]) == [True]
    assert client.asked == [1]
    client = ConvertHistory(*rows)
    assert await _held(client, [leg("CURRENCY_SELL", "BTC", "-150", newest - 149 * 3_600_000, 1)]) == [True]
    assert client.asked == [1, 2]
