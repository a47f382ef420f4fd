"""MEXC's exports, each layout docs/FILE-FORMATS.md lists, built from the header BittyTax reads with rows written by
hand: exact UTC records, the fee in the coin received, only final deposits and withdrawals."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from connectors.files import UnknownFormat, WrongExchange, parse
from connectors.files.formats import ParsedRecord
from i18n import Text, t
from tests.files.samples import csv_bytes

D = Decimal
FILLS = ["Pairs", "Time", "Side", "Filled Price", "Executed Amount", "Total", "Fee", "Role"]
ORDERS = [
    "Pairs",
    "Time",
    "Type",
    "Direction",
    "Average Filled Price",
    "Order Price",
    "Filled Quantity",
    "Order Quantity",
    "Order Amount",
    "Status",
]
DEPOSITS = ["Status", "Time", "Crypto", "Network", "Deposit Amount", "TxID", "Progress"]
WITHDRAWALS = [
    "Status",
    "Time",
    "Crypto",
    "Network",
    "Request Amount",
    "Withdrawal Address",
    "TxID",
    "Trading Fee",
    "Settlement Amount",
    "Withdrawal Descriptions",
]


def summary(p: ParsedRecord) -> tuple[object, ...]:
    r = p.record
    return (
        str(r.kind),
        r.occurred_at,
        r.asset,
        r.amount,
        r.side,
        r.quote_asset,
        r.quote_amount,
        r.price,
        r.fee_asset,
        r.fee_amount,
        p.summed_fills,
    )


def read(name: str, rows: list[list[str]], zone: str = "UTC") -> tuple[str, list[tuple[object, ...]], dict[Text, int]]:
    parsed = parse(name, csv_bytes(rows), exchange_id="mexc", user_timezone=zone)
    assert parsed.rejected == [], parsed.rejected
    return parsed.format.name, [summary(p) for p in parsed.records], dict(parsed.skip_reasons)


def test_the_trade_history_is_one_fill_a_row_with_the_fee_in_the_coin_received() -> None:
    rows = [
        FILLS,
        ["BTC_USDT", "2024-03-01 18:00:00", "BUY", "61000.5", "0.002", "122.001", "0.000002", "Taker"],
        ["ETH_USDT", "2024-03-02 08:30:15", "SELL", "3400", "1.5", "5100", "5.1", "Maker"],
        ["KAS_USDT", "2024-03-03 09:00:00", "BUY", "0.12", "100", "12", "0", "Maker"],
    ]
    # Times without a zone are read in the user's (here Europe/Berlin, UTC+1 in March).
    name, records, skipped = read("MEXC trade history.csv", rows, zone="Europe/Berlin")
    assert name == "mexc-fills"
    assert records == [
        (
            "trade",
            datetime(2024, 3, 1, 17, 0, tzinfo=UTC),
            "BTC",
            D("0.002"),
            "buy",
            "USDT",
            D("122.001"),
            D("61000.5"),
            "BTC",
            D("0.000002"),
            False,
        ),
        (
            "trade",
            datetime(2024, 3, 2, 7, 30, 15, tzinfo=UTC),
            "ETH",
            D("1.5"),
            "sell",
            "USDT",
            D("5100"),
            D("3400"),
            "USDT",
            D("5.1"),
            False,
        ),
        # A zero fee (a maker promotion) is no fee.
        (
            "trade",
            datetime(2024, 3, 3, 8, tzinfo=UTC),
            "KAS",
            D("100"),
            "buy",
            "USDT",
            D("12"),
            D("0.12"),
            None,
            None,
            False,
        ),
    ]
    assert skipped == {}


def test_a_fee_that_names_its_coin_is_read_in_that_coin() -> None:
    rows = [FILLS, ["BTC_USDT", "2024-03-01 18:00:00", "SELL", "61000", "0.01", "610", "0.3MX", "Taker"]]
    _, records, _ = read("trades.csv", rows)
    assert records[0][8:10] == ("MX", D("0.3"))


def test_the_order_history_is_one_order_a_row_marked_as_summed_fills_and_skips_unfilled_orders() -> None:
    rows = [
        ORDERS,
        ["SOL_USDT", "2024-04-01 12:00:00", "LIMIT", "Sell", "150.25", "150", "4", "4", "601", "Filled"],
        ["SOL_USDT", "2024-04-01 13:00:00", "LIMIT", "Buy", "0", "140", "0", "4", "0", "Canceled"],
    ]
    name, records, skipped = read("order history.csv", rows)
    assert name == "mexc-orders"
    assert records == [
        (
            "trade",
            datetime(2024, 4, 1, 12, tzinfo=UTC),
            "SOL",
            D("4"),
            "sell",
            "USDT",
            D("601"),
            D("150.25"),
            None,
            None,
            True,
        )
    ]
    assert skipped == {Text.of("file.skip.order_without_fills"): 1}


def test_deposit_and_withdrawal_files_keep_only_final_rows_with_the_withdrawal_fee() -> None:
    deposits = [
        DEPOSITS,
        ["Credited Successfully", "2024-01-05 12:00:00", "USDT", "TRC20", "250.5", "ab12", "20/20"],
        ["Pending", "2024-01-06 12:00:00", "USDT", "TRC20", "99", "ab13", "3/20"],
    ]
    name, records, skipped = read("deposit history.csv", deposits)
    assert name == "mexc-deposits"
    assert records == [
        ("deposit", datetime(2024, 1, 5, 12, tzinfo=UTC), "USDT", D("250.5"), None, None, None, None, None, None, False)
    ]
    assert skipped == {Text.of("file.skip.not_completed", status="Pending"): 1}
    withdrawals = [
        WITHDRAWALS,
        [
            "Withdrawal Successful",
            "2024-02-05 08:00:00",
            "ETH",
            "ERC20",
            "0.5",
            "0xabc",
            "0xf00",
            "0.0012",
            "0.4988",
            "",
        ],
        ["Withdrawal Failed", "2024-02-06 08:00:00", "ETH", "ERC20", "0.7", "0xabc", "", "0.0012", "0.6988", ""],
    ]
    name, records, skipped = read("withdrawal history.csv", withdrawals)
    assert name == "mexc-withdrawals"
    assert records == [
        (
            "withdrawal",
            datetime(2024, 2, 5, 8, tzinfo=UTC),
            "ETH",
            D("0.5"),
            None,
            None,
            None,
            None,
            "ETH",
            D("0.0012"),
            False,
        )
    ]
    assert skipped == {Text.of("file.skip.not_completed", status="Withdrawal Failed"): 1}


def test_a_time_title_that_states_its_zone_is_read_in_that_zone_and_not_reported() -> None:
    header = ["Pairs", "Time(UTC+08:00)", *FILLS[2:]]
    rows = [header, ["BTC_USDT", "2024-03-01 18:00:00", "BUY", "61000", "0.01", "610", "0.00001", "Taker"]]
    parsed = parse("trades.csv", csv_bytes(rows), exchange_id="mexc", user_timezone="Europe/Berlin")
    assert parsed.records[0].record.occurred_at == datetime(2024, 3, 1, 10, tzinfo=UTC)
    assert parsed.zone_note is None


def test_an_unknown_mexc_file_says_which_export_to_download_instead() -> None:
    # MEXC's futures history (BittyTax reads it as "MEXC Futures"): not spot, not read.
    rows = [
        ["Time", "Futures Trading Pair", "Direction", "Filled Qty (Cont.)", "Closing PNL", "Trading Fee", "Status"],
        ["2024-03-01 10:00:00", "BTC_USDT", "sell long", "1", "5", "0.1", "FINISHED"],
    ]
    with pytest.raises(UnknownFormat) as refused:
        parse("MEXC futures.csv", csv_bytes(rows))
    assert t("file.unknown.looks_like_mexc") in str(refused.value)


@pytest.mark.parametrize("header", [FILLS, WITHDRAWALS])
def test_a_mexc_file_on_a_kraken_account_is_refused(header: list[str]) -> None:
    rows = [header, ["1"] * len(header)]
    with pytest.raises(WrongExchange, match="MEXC"):
        parse("mexc.csv", csv_bytes(rows), exchange_id="kraken")


def test_the_newer_trade_history_with_a_uid_column_and_the_fee_coin_written_in_the_cell() -> None:
    # The layout other open-source importers test: a leading `UID`, pairs without a separator, "Buy"/"Sell", and the
    # fee's coin packed into its cell.
    rows = [
        ["UID", *FILLS],
        ["123", "BTCUSDT", "2024-01-15 12:00:00", "Buy", "30000", "0.05", "1500", "1.5USDT", "Taker"],
        ["123", "1INCHUSDT", "2024-02-10 09:00:00", "Sell", "0.4", "100", "40", "0.04USDT", "Maker"],
    ]
    name, records, _ = read("MEXC trade history.csv", rows)
    assert name == "mexc-fills"
    assert records == [
        (
            "trade",
            datetime(2024, 1, 15, 12, tzinfo=UTC),
            "BTC",
            D("0.05"),
            "buy",
            "USDT",
            D("1500"),
            D("30000"),
            "USDT",
            D("1.5"),
            False,
        ),
        (
            "trade",
            datetime(2024, 2, 10, 9, tzinfo=UTC),
            "1INCH",
            D("100"),
            "sell",
            "USDT",
            D("40"),
            D("0.4"),
            "USDT",
            D("0.04"),
            False,
        ),
    ]
