"""KuCoin's exports, each layout docs/FILE-FORMATS.md lists, built from its documented header with rows written by
hand: exact UTC records (Singapore time where the file states no zone), only final deposits and withdrawals."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from connectors.files import UnknownFormat, WrongExchange, parse
from connectors.files.formats import ParsedRecord
from i18n import Text, t
from tests.files.samples import csv_bytes

D = Decimal
FILLS_V3 = [
    "tradeCreatedAt",
    "orderId",
    "symbol",
    "side",
    "price",
    "size",
    "funds",
    "fee",
    "liquidity",
    "feeCurrency",
    "orderType",
]
BUNDLE_FILLS = [
    "UID",
    "Account Type",
    "Order ID",
    "Symbol",
    "Side",
    "Order Type",
    "Avg. Filled Price",
    "Filled Amount",
    "Filled Volume",
    "Filled Volume (USDT)",
    "Filled Time(UTC+08:00)",
    "Fee",
    "Tax",
    "Maker/Taker",
    "Fee Currency",
]
BUNDLE_ORDERS = [
    "UID",
    "Account Type",
    "Order ID",
    "Order Time(UTC+08:00)",
    "Symbol",
    "Side",
    "Order Type",
    "Order Price",
    "Order Amount",
    "Avg. Filled Price",
    "Filled Amount",
    "Filled Volume",
    "Filled Volume (USDT)",
    "Filled Time(UTC+08:00)",
    "Fee",
    "Fee Currency",
    "Tax",
    "Status",
]
DEPOSITS = [
    "UID",
    "Account Type",
    "Time(UTC)",
    "Coin",
    "Amount",
    "Fee",
    "Hash",
    "Deposit Address",
    "Transfer Network",
    "Status",
    "Remarks",
]
WITHDRAWALS = [
    "UID",
    "Account Type",
    "Time(UTC)",
    "Coin",
    "Amount",
    "Fee",
    "Hash",
    "Withdrawal Address/Account",
    "Transfer Network",
    "Status",
    "Remarks",
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


def read(name: str, rows: list[list[str]]) -> tuple[str, list[tuple[object, ...]], dict[Text, int]]:
    parsed = parse(name, csv_bytes(rows), exchange_id="kucoin")
    assert parsed.rejected == [], parsed.rejected
    return parsed.format.name, [summary(p) for p in parsed.records], dict(parsed.skip_reasons)


def test_the_older_trade_export_is_one_fill_a_row_in_singapore_time() -> None:
    rows = [
        FILLS_V3,
        [
            "2021-03-01 18:00:00",
            "603c9f0e5c2a1f0006a1b2c3",
            "BTC-USDT",
            "buy",
            "49000.1",
            "0.002",
            "98.0002",
            "0.0980002",
            "taker",
            "USDT",
            "limit",
        ],
        [
            "2021-03-02 08:30:15",
            "603d5c7a5c2a1f0006a1b2c4",
            "ETH-BTC",
            "sell",
            "0.0312",
            "1.5",
            "0.0468",
            "0.0000468",
            "maker",
            "BTC",
            "market",
        ],
    ]
    name, records, skipped = read("KuCoin-trades.csv", rows)
    assert name == "kucoin-fills-v3"
    assert records == [
        (
            "trade",
            datetime(2021, 3, 1, 10, 0, tzinfo=UTC),
            "BTC",
            D("0.002"),
            "buy",
            "USDT",
            D("98.0002"),
            D("49000.1"),
            "USDT",
            D("0.0980002"),
            False,
        ),
        (
            "trade",
            datetime(2021, 3, 2, 0, 30, 15, tzinfo=UTC),
            "ETH",
            D("1.5"),
            "sell",
            "BTC",
            D("0.0468"),
            D("0.0312"),
            "BTC",
            D("0.0000468"),
            False,
        ),
    ]
    assert skipped == {}


def test_the_bundle_fill_file_reads_the_zone_of_its_column_title() -> None:
    rows = [
        BUNDLE_FILLS,
        [
            "123",
            "mainAccount",
            "65e1f0",
            "SOL-USDT",
            "BUY",
            "limit",
            "101.5",
            "2",
            "203",
            "203",
            "2024-03-01 21:15:30",
            "0.203",
            "",
            "TAKER",
            "USDT",
        ],
    ]
    name, records, _ = read("Spot Orders_Order Splitting.csv", rows)
    assert name == "kucoin-fills"
    assert records == [
        (
            "trade",
            datetime(2024, 3, 1, 13, 15, 30, tzinfo=UTC),
            "SOL",
            D("2"),
            "buy",
            "USDT",
            D("203"),
            D("101.5"),
            "USDT",
            D("0.203"),
            False,
        ),
    ]


def test_the_bundle_order_file_is_one_order_a_row_marked_as_summed_fills_and_skips_unfilled_orders() -> None:
    rows = [
        BUNDLE_ORDERS,
        [
            "123",
            "mainAccount",
            "65e1f1",
            "2024-03-02 09:00:00",
            "BTC-USDT",
            "SELL",
            "limit",
            "60000",
            "0.01",
            "60000",
            "0.01",
            "600",
            "600",
            "2024-03-02 09:00:05",
            "0.6",
            "USDT",
            "",
            "deal",
        ],
        [
            "123",
            "mainAccount",
            "65e1f2",
            "2024-03-02 10:00:00",
            "BTC-USDT",
            "BUY",
            "limit",
            "50000",
            "0.01",
            "0",
            "0",
            "0",
            "0",
            "",
            "0",
            "USDT",
            "",
            "cancel",
        ],
    ]
    name, records, skipped = read("Spot Orders_Filled Orders.csv", rows)
    assert name == "kucoin-orders"
    assert records == [
        (
            "trade",
            datetime(2024, 3, 2, 1, 0, 5, tzinfo=UTC),
            "BTC",
            D("0.01"),
            "sell",
            "USDT",
            D("600"),
            D("60000"),
            "USDT",
            D("0.6"),
            True,
        ),
    ]
    assert skipped == {Text.of("file.skip.order_without_fills"): 1}


def test_deposit_and_withdrawal_files_keep_only_final_rows_with_their_fees() -> None:
    deposits = [
        DEPOSITS,
        ["123", "mainAccount", "2024-01-05 12:00:00", "USDT", "250", "0", "0xabc", "0xdef", "ERC20", "SUCCESS", ""],
        ["123", "mainAccount", "2024-01-06 12:00:00", "USDT", "99", "0", "0xabd", "0xdef", "ERC20", "PROCESSING", ""],
    ]
    name, records, skipped = read("Deposit_Withdrawal History_Deposit History.csv", deposits)
    assert name == "kucoin-deposits"
    assert records == [
        ("deposit", datetime(2024, 1, 5, 12, tzinfo=UTC), "USDT", D("250"), None, None, None, None, None, None, False)
    ]
    assert skipped == {Text.of("file.skip.not_completed", status="PROCESSING"): 1}
    withdrawals = [
        WITHDRAWALS,
        [
            "123",
            "mainAccount",
            "2024-02-05 08:00:00",
            "BTC",
            "0.05",
            "0.0005",
            "f00d",
            "bc1qexample",
            "BTC",
            "SUCCESS",
            "",
        ],
    ]
    name, records, _ = read("Deposit_Withdrawal History_Withdrawal Record.csv", withdrawals)
    assert name == "kucoin-withdrawals"
    assert records == [
        (
            "withdrawal",
            datetime(2024, 2, 5, 8, tzinfo=UTC),
            "BTC",
            D("0.05"),
            None,
            None,
            None,
            None,
            "BTC",
            D("0.0005"),
            False,
        )
    ]


def test_an_unknown_kucoin_file_says_which_export_to_download_instead() -> None:
    rows = [["tradeCreatedAt", "symbol", "dealValue"], ["2021-03-01 18:00:00", "BTC-USDT", "1"]]
    with pytest.raises(UnknownFormat) as refused:
        parse("kucoin-history.csv", csv_bytes(rows))
    assert t("file.unknown.looks_like_kucoin") in str(refused.value)


@pytest.mark.parametrize("header", [BUNDLE_FILLS, DEPOSITS])
def test_a_kucoin_file_on_a_kraken_account_is_refused(header: list[str]) -> None:
    rows = [header, ["1"] * len(header)]
    with pytest.raises(WrongExchange, match="KuCoin"):
        parse("kucoin.csv", csv_bytes(rows), exchange_id="kraken")


# The deposit and withdrawal layouts BittyTax lists: with or without Hash and the address, the bundle's own column
# order, and the withdrawal record with a bare "Time" (no zone: the user's is assumed and reported).
DEPOSIT_SHORT = ["UID", "Account Type", "Time(UTC)", "Coin", "Amount", "Fee", "Transfer Network", "Status", "Remarks"]
DEPOSIT_BUNDLE = ["UID", "Account Type", "Time(UTC)", "Remarks", "Status", "Fee", "Amount", "Coin", "Transfer Network"]
WITHDRAWAL_BARE_TIME = [
    "UID",
    "Account Type",
    "Time",
    "Coin",
    "Amount",
    "Fee",
    "Withdrawal Address/Account",
    "Transfer Network",
    "Status",
    "Remarks",
]
WITHDRAWAL_BUNDLE = [
    "UID",
    "Account Type",
    "Time(UTC)",
    "Remarks",
    "Status",
    "Fee",
    "Amount",
    "Coin",
    "Transfer Network",
    "Withdrawal Address/Account",
]


def wallet_row(header: list[str]) -> list[str]:
    cells = {
        "UID": "1",
        "Account Type": "mainAccount",
        "Time(UTC)": "2024-01-05 12:00:00",
        "Time": "2024-01-05 12:00:00",
        "Coin": "ETH",
        "Amount": "0.75",
        "Fee": "0.002",
        "Transfer Network": "ERC20",
        "Status": "SUCCESS",
        "Remarks": "",
        "Withdrawal Address/Account": "0xabc",
    }
    return [cells[title] for title in header]


@pytest.mark.parametrize(
    ("header", "kind", "fee"),
    [
        (DEPOSIT_SHORT, "deposit", D("0.002")),
        (DEPOSIT_BUNDLE, "deposit", D("0.002")),
        (WITHDRAWAL_BARE_TIME, "withdrawal", D("0.002")),
        (WITHDRAWAL_BUNDLE, "withdrawal", D("0.002")),
    ],
    ids=["deposit-short", "deposit-bundle", "withdrawal-bare-time", "withdrawal-bundle"],
)
def test_every_wallet_layout_reads_the_same_record(header: list[str], kind: str, fee: Decimal) -> None:
    parsed = parse("history.csv", csv_bytes([header, wallet_row(header)]), exchange_id="kucoin", user_timezone="UTC")
    assert parsed.rejected == []
    assert [summary(p) for p in parsed.records] == [
        (kind, datetime(2024, 1, 5, 12, tzinfo=UTC), "ETH", D("0.75"), None, None, None, None, "ETH", fee, False)
    ]
    # Only the layout with a bare "Time" leaves the zone to the user's setting, and says so.
    assert (parsed.zone_note is not None) == ("Time" in header)


@pytest.mark.parametrize(
    "header",
    [[*BUNDLE_FILLS[:12], *BUNDLE_FILLS[13:]], [*BUNDLE_FILLS[:10], "Filled Time", *BUNDLE_FILLS[11:]]],
    ids=["without-tax", "bare-filled-time"],
)
def test_the_bundle_fill_file_without_tax_or_with_a_bare_time_reads_the_same_fill(header: list[str]) -> None:
    cells = {
        "UID": "123",
        "Account Type": "mainAccount",
        "Order ID": "65e1f0",
        "Symbol": "SOL-USDT",
        "Side": "BUY",
        "Order Type": "limit",
        "Avg. Filled Price": "101.5",
        "Filled Amount": "2",
        "Filled Volume": "203",
        "Filled Volume (USDT)": "203",
        "Filled Time(UTC+08:00)": "2024-03-01 21:15:30",
        "Filled Time": "2024-03-01 21:15:30",
        "Fee": "0.203",
        "Tax": "",
        "Maker/Taker": "TAKER",
        "Fee Currency": "USDT",
    }
    parsed = parse(
        "fills.csv",
        csv_bytes([header, [cells[t] for t in header]]),
        exchange_id="kucoin",
        user_timezone="Asia/Singapore",
    )
    assert parsed.format.name == "kucoin-fills"
    assert [summary(p) for p in parsed.records] == [
        (
            "trade",
            datetime(2024, 3, 1, 13, 15, 30, tzinfo=UTC),
            "SOL",
            D("2"),
            "buy",
            "USDT",
            D("203"),
            D("101.5"),
            "USDT",
            D("0.203"),
            False,
        ),
    ]


def test_a_kucoin_account_history_is_refused_with_the_kucoin_advice() -> None:
    rows = [
        ["UID", "Account Type", "Currency", "Side", "Amount", "Fee", "Time(UTC)", "Remark", "Type"],
        ["1", "mainAccount", "USDT", "Deposit", "1", "0", "2024-01-01 00:00:00", "", "Deposit"],
    ]
    with pytest.raises(UnknownFormat) as refused:
        parse("Account History_Funding Account.csv", csv_bytes(rows))
    assert t("file.unknown.looks_like_kucoin") in str(refused.value)
