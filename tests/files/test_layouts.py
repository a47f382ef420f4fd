"""Each layout version docs/FILE-FORMATS.md lists for import, built from its documented header with rows written by
hand, becomes exact UTC records (zone from the file name or title where the layout says so)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

from bot.imports import ImportService
from connectors.clients import ClientPool
from connectors.fetchers.base import FetchReport
from connectors.fetchers.registry import fetcher_for
from connectors.files import FORMATS, parse
from connectors.files.formats import ParsedRecord
from connectors.profiles import Endpoint, get_profile
from connectors.records import NormalizedRecord
from db.engine import Database
from db.repositories import IntegrationRepository, TransactionRepository, UserRepository
from i18n import Text
from sandbox.exchanges import AccountProfile, BinanceEmulator, BinanceLimits, OkxEmulator, OkxLimits
from sandbox.exchanges.records import TradeRecord
from tests.files.samples import csv_bytes, xlsx_bytes

D = Decimal


def at(text: str, offset_hours: int = 0) -> datetime:
    wall = datetime.fromisoformat(text).replace(tzinfo=timezone(timedelta(hours=offset_hours)))
    return wall.astimezone(UTC)


def summary(parsed: ParsedRecord) -> tuple[object, ...]:
    r = parsed.record
    return (str(r.kind), r.occurred_at, r.asset, r.amount, r.side, r.quote_asset, r.quote_amount, r.price,
            r.fee_asset, r.fee_amount)  # fmt: skip


def records(
    name: str, rows: list[list[str]], *, data: bytes | None = None, zone: str = "UTC"
) -> list[tuple[object, ...]]:
    parsed = parse(name, data if data is not None else csv_bytes(rows), user_timezone=zone)
    assert parsed.rejected == [], parsed.rejected
    return [summary(p) for p in sorted(parsed.records, key=lambda p: p.line)]


STATEMENT_HEADER = ["User_ID", "UTC_Time", "Account", "Operation", "Coin", "Change", "Remark"]


def test_binance_statement_pairs_trade_legs_fees_and_converts_and_keeps_every_other_change() -> None:
    rows = [
        STATEMENT_HEADER,
        # an older sell: both legs are "Sell", the fee is "Fee"
        ["1", "2021-03-01 10:00:00", "Spot", "Sell", "ETH", "-0.5", ""],
        ["1", "2021-03-01 10:00:00", "Spot", "Sell", "USDT", "750", ""],
        ["1", "2021-03-01 10:00:00", "Spot", "Fee", "BNB", "-0.002", ""],
        # a newer sell in two fills in one second: Sold/Revenue/Fee each twice
        ["1", "2023-05-02 11:00:00", "Spot", "Transaction Sold", "BTC", "-0.01", ""],
        ["1", "2023-05-02 11:00:00", "Spot", "Transaction Revenue", "USDT", "290", ""],
        ["1", "2023-05-02 11:00:00", "Spot", "Transaction Fee", "USDT", "-0.29", ""],
        ["1", "2023-05-02 11:00:00", "Spot", "Transaction Sold", "BTC", "-0.02", ""],
        ["1", "2023-05-02 11:00:00", "Spot", "Transaction Revenue", "USDT", "580", ""],
        ["1", "2023-05-02 11:00:00", "Spot", "Transaction Fee", "USDT", "-0.58", ""],
        # "Transaction Related" names no side: the coin received is a quote coin, so ADA was sold
        ["1", "2022-01-01 00:00:01", "Spot", "Transaction Related", "ADA", "-100", ""],
        ["1", "2022-01-01 00:00:01", "Spot", "Transaction Related", "USDT", "120", ""],
        # two dust coins into BNB at once
        ["1", "2022-02-02 02:02:02", "Spot", "Small Assets Exchange BNB", "DOGE", "-3", ""],
        ["1", "2022-02-02 02:02:02", "Spot", "Small Assets Exchange BNB", "BNB", "0.0005", ""],
        ["1", "2022-02-02 02:02:02", "Spot", "Small Assets Exchange BNB", "SHIB", "-40000", ""],
        ["1", "2022-02-02 02:02:02", "Spot", "Small Assets Exchange BNB", "BNB", "0.0007", ""],
        ["1", "2022-03-03 03:03:03", "Spot", "Distribution", "BNB", "0.01", "airdrop"],
        ["1", "2022-03-04 03:03:03", "Spot", "Transfer Between Main and Funding Wallet", "USDT", "-50", ""],
        ["1", "2022-03-05 03:03:03", "USDT-Futures", "Realized Profit and Loss", "USDT", "-12.5", ""],
        ["1", "2022-03-06 03:03:03", "Spot", "Withdraw", "ETH", "-0.1", "Withdraw fee is included"],
        ["1", "2022-03-07 03:03:03", "USDT-Futures", "Fee", "USDT", "-0.04", ""],
    ]
    assert records("statement.csv", rows) == [
        ("trade", at("2021-03-01 10:00:00"), "ETH", D("0.5"), "sell", "USDT", D("750"), None, "BNB", D("0.002")),
        ("trade", at("2023-05-02 11:00:00"), "BTC", D("0.01"), "sell", "USDT", D("290"), None, "USDT", D("0.29")),
        ("trade", at("2023-05-02 11:00:00"), "BTC", D("0.02"), "sell", "USDT", D("580"), None, "USDT", D("0.58")),
        ("trade", at("2022-01-01 00:00:01"), "ADA", D("100"), "sell", "USDT", D("120"), None, None, None),
        ("convert", at("2022-02-02 02:02:02"), "BNB", D("0.0005"), "buy", "DOGE", D("3"), None, None, None),
        ("convert", at("2022-02-02 02:02:02"), "BNB", D("0.0007"), "buy", "SHIB", D("40000"), None, None, None),
        ("reward", at("2022-03-03 03:03:03"), "BNB", D("0.01"), None, None, None, None, None, None),
        ("transfer", at("2022-03-04 03:03:03"), "USDT", D("50"), "out", None, None, None, None, None),
        (
            "ledger",
            at("2022-03-05 03:03:03"),
            "USDT",
            D("-12.5"),
            "realized profit and loss",
            None,
            None,
            None,
            None,
            None,
        ),
        ("withdrawal", at("2022-03-06 03:03:03"), "ETH", D("0.1"), None, None, None, None, None, None),
        ("ledger", at("2022-03-07 03:03:03"), "USDT", D("-0.04"), "fee", None, None, None, None, None),
    ]


def test_binance_statement_2026_layout_takes_two_digit_years_and_the_zone_from_the_file_name() -> None:
    rows = [
        ["User ID", "Time", "Account", "Operation", "Coin", "Change", "Remark"],
        ["1", "26-03-01 09:00:00", "Spot", "Transaction Buy", "SOL", "2", ""],
        ["1", "26-03-01 09:00:00", "Spot", "Transaction Spend", "USDC", "-300", ""],
        ["1", "26-03-01 09:00:00", "Spot", "Transaction Fee", "SOL", "-0.002", ""],
    ]
    parsed = parse("Binance-Transaction-History-202603011200(UTC+2).csv", csv_bytes(rows))
    assert parsed.zone_note is None
    assert [summary(p) for p in parsed.records] == [
        ("trade", at("2026-03-01 09:00:00", 2), "SOL", D("2"), "buy", "USDC", D("300"), None, "SOL", D("0.002")),
    ]


def test_binance_statement_rows_that_cannot_be_paired_are_rejected_on_their_lines() -> None:
    rows = [STATEMENT_HEADER, ["1", "2021-03-01 10:00:00", "Spot", "Buy", "ETH", "0.5", ""]]
    parsed = parse("statement.csv", csv_bytes(rows))
    assert [(r.line, r.column) for r in parsed.rejected] == [(2, "Operation")]
    assert parsed.rejected[0].reason == Text.of("file.row.trade_cut")


def test_binance_web_page_trade_deposit_and_withdrawal_exports() -> None:
    name = "Binance-Spot-Trade-History-202604201017(UTC+7).csv"
    trades = [
        ["Time", "Pair", "Side", "Price", "Executed", "Amount", "Fee"],
        ["23-09-20 18:20:55", "ALGOUSDT", "SELL", "0.0997", "103ALGO", "10.2691USDT", "0.00003593BNB"],
    ]
    assert records(name, trades) == [
        (
            "trade",
            at("2023-09-20 18:20:55", 7),
            "ALGO",
            D("103"),
            "sell",
            "USDT",
            D("10.2691"),
            D("0.0997"),
            "BNB",
            D("0.00003593"),
        ),
    ]
    deposits = [
        ["Time", "Coin", "Network", "Amount", "Address", "TXID", "Status"],
        ["23-05-06 23:05:55", "USDT", "MATIC", "125.564991", "addr", "tx-dep", "Completed"],
    ]
    assert records("Binance-Deposit-History-202603230411(UTC--6).csv", deposits) == [
        ("deposit", at("2023-05-06 23:05:55", -6), "USDT", D("125.564991"), None, None, None, None, None, None),
    ]
    withdrawals = [
        ["Time", "Coin", "Network", "Amount", "Fee", "Address", "TXID", "Status"],
        ["23-09-20 22:25:57", "BTC", "BTC", "0.01", "0.0002", "addr", "tx-w", "Completed"],
    ]
    assert records("Binance-Withdraw-History-202603230412(UTC+0).csv", withdrawals) == [
        ("withdrawal", at("2023-09-20 22:25:57"), "BTC", D("0.01"), None, None, None, None, "BTC", D("0.0002")),
    ]


def test_binance_report_centre_spot_xlsx_with_text_cells() -> None:
    rows = [
        ["Date(UTC)", "Pair", "Base Asset", "Quote Asset", "Type", "Price", "Amount", "Total", "Fee", "Fee Coin"],
        [
            "2025-12-25 14:00:15",
            "BTC/USDT",
            "BTC",
            "USDT",
            "BUY",
            "87622.38",
            "0.00236",
            "206.7888168",
            "0.00018534",
            "BNB",
        ],
    ]
    assert records("Spot Trade History.xlsx", rows, data=xlsx_bytes(rows)) == [
        (
            "trade",
            at("2025-12-25 14:00:15"),
            "BTC",
            D("0.00236"),
            "buy",
            "USDT",
            D("206.7888168"),
            D("87622.38"),
            "BNB",
            D("0.00018534"),
        ),
    ]


def test_binance_convert_and_fiat_purchase_histories() -> None:
    converts = [
        ["Time", "Wallet", "Pair", "Type", "Sell", "Buy", "Price", "Inverse Price", "Date Updated", "Status"],
        ["26-04-20 10:00:00", "Spot", "ETHBNB", "Market", "1.00000000ETH", "10.00000000BNB", "", "", "", "Success"],
        ["26-04-21 10:00:00", "Spot", "ETHBNB", "Limit", "1ETH", "10BNB", "", "", "", "Expired"],
    ]
    parsed = parse("Binance-Convert-Order-History-202604201027(UTC+7).csv", csv_bytes(converts))
    assert [summary(p) for p in parsed.records] == [
        ("convert", at("2026-04-20 10:00:00", 7), "BNB", D("10"), "buy", "ETH", D("1"), None, None, None),
    ]
    assert parsed.skip_reasons == {Text.of("file.skip.not_completed", status="Expired"): 1}
    fiat = [
        ["Time", "Method", "Spend Amount", "Receive Amount", "Fee", "Price", "Status", "Transaction ID"],
        ["26-01-05 08:00:00", "Card", "100.00 EUR", "0.0012 BTC", "1.80 EUR", "81833.33 EUR", "Completed", "F123"],
    ]
    parsed = parse("Binance-Fiat-Buy-History-202601051000(UTC+1).csv", csv_bytes(fiat))
    assert [summary(p) for p in parsed.records] == [
        ("trade", at("2026-01-05 08:00:00", 1), "BTC", D("0.0012"), "buy", "EUR", D("100.00"), None, "EUR", D("1.80")),
    ]
    assert parsed.records[0].record.natural_key == "trade:fiat:F123"


UTA_TITLES = [
    "Currency",
    "Contract",
    "Type",
    "Direction",
    "Quantity",
    "Position",
    "Filled Price",
    "Funding",
    "Fee Paid",
    "Cash Flow",
    "Change",
    "Wallet Balance",
    "Action",
]


def test_bybit_account_change_details_in_its_three_header_variants() -> None:
    def spot(uid: list[str], tail: list[str]) -> list[list[str]]:
        usdt = ["USDT", "ETHUSDT", "TRADE", "BUY", "-300", "0", "3000", "0", "0", "-300", "-300", "700", "--"]
        eth = ["ETH", "ETHUSDT", "TRADE", "BUY", "0.1", "0", "3000", "0", "-0.0001", "0.1", "0.0999", "0.0999", "--"]
        return [[*uid, *usdt, *tail], [*uid, *eth, *tail]]

    expected = ("trade", at("2026-01-10 10:00:00"), "ETH", D("0.1"), "buy", "USDT", D("300"), D("3000"), "ETH",
                D("0.0001"))  # fmt: skip
    with_uid = [
        ["UID: 1,Company Name: ,Country: "],
        ["Uid", *UTA_TITLES, "Time(UTC)"],
        *spot(["1"], ["2026-01-10 10:00:00"]),
    ]
    assert records("AssetChangeDetails_uta_1_20260101_20260131_0.csv", with_uid) == [expected]
    without_uid = [[*UTA_TITLES, "Time(UTC)"], *spot([], ["2026-01-10 10:00:00"])]
    assert records("uta.csv", without_uid) == [expected]
    with_ids = [[*UTA_TITLES, "OrderId", "TradeId", "Time"], *spot([], ["o1", "x1", "2026-01-10 10:00:00.000"])]
    parsed = parse("transaction-log.csv", csv_bytes(with_ids))
    assert [summary(p) for p in parsed.records] == [expected]
    assert parsed.records[0].record.natural_key == "trade:x1" and parsed.records[0].keyed


def test_bybit_derivative_fills_and_funding_settlements_are_kept_as_ledger_entries() -> None:
    rows = [
        [*UTA_TITLES, "OrderId", "TradeId", "Time"],
        [
            "USDT",
            "ADAUSDT",
            "TRADE",
            "SELL",
            "389",
            "0",
            "0.80",
            "0",
            "-0.15",
            "9.43",
            "9.28",
            "300",
            "CLOSE",
            "o1",
            "t1",
            "2026-07-01 10:00:00.000",
        ],
        [
            "USDT",
            "ADAUSDT",
            "SETTLEMENT",
            "BUY",
            "--",
            "389",
            "--",
            "0.0006",
            "0",
            "0",
            "0.0006",
            "290",
            "SETTLEMENT",
            "o3",
            "t3",
            "2026-06-15 08:00:00.000",
        ],
    ]
    assert records("log.csv", rows) == [
        ("ledger", at("2026-07-01 10:00:00"), "USDT", D("9.28"), "trade", None, None, None, None, None),
        ("ledger", at("2026-06-15 08:00:00"), "USDT", D("0.0006"), "settlement", None, None, None, None, None),
    ]


def test_okex_2020_trade_history_with_a_bom_in_every_header_cell() -> None:
    titles = ["Order ID", "Trade ID", "Trade Time", "Pairs", "Amount", "Price", "Total", "taker/maker", "Fee", "unit"]
    header = ["\ufeff" + title for title in titles]
    rows = [
        header,
        ["7", "99", "2020-10-01 01:02:03", "btc_usdt", "-0.5", "10000", "5000 USDT", "maker", "-5 USDT", "BTC"],
    ]
    parsed = parse("okex.csv", csv_bytes(rows), user_timezone="Asia/Shanghai")
    assert parsed.zone_note is not None  # the file states no zone: the user's was assumed and the report says so
    assert [summary(p) for p in parsed.records] == [
        ("trade", at("2020-10-01 01:02:03", 8), "BTC", D("0.5"), "sell", "USDT", D("5000"), D("10000"), "USDT", D("5")),
    ]
    assert parsed.records[0].record.exchange_tx_id == "99"


def test_every_format_tallybot_reads_is_documented_with_its_source() -> None:
    document = (Path(__file__).resolve().parents[2] / "docs" / "FILE-FORMATS.md").read_text(encoding="utf-8")
    undocumented = [f.name for f in FORMATS if f"`{f.name}`" not in document]
    assert undocumented == []
    assert [f.name for f in FORMATS if f.exchange and not f.source] == []


def statement_of(trades: list[TradeRecord]) -> bytes:
    """A Transaction History statement as Binance writes one per fill: Buy/Spend/Fee or Sold/Revenue/Fee rows."""
    rows = [STATEMENT_HEADER]
    for t in sorted(trades, key=lambda t: t.timestamp):
        when = datetime.fromtimestamp(t.timestamp // 1000, UTC).strftime("%Y-%m-%d %H:%M:%S")
        if t.side == "buy":
            legs = [("Transaction Buy", t.base, t.amount), ("Transaction Spend", t.quote, -t.cost)]
        else:
            legs = [("Transaction Sold", t.base, -t.amount), ("Transaction Revenue", t.quote, t.cost)]
        legs.append(("Transaction Fee", t.fee_asset, -t.fee))
        rows += [["1", when, "Spot", operation, coin, format(change, "f"), ""] for operation, coin, change in legs]
    return csv_bytes(rows)


async def test_a_statement_meets_the_api_sync_fill_for_fill(database: Database) -> None:
    """Half the history synced through the real Binance fetcher, then the statement of all of it uploaded: every
    API fill is recognised, the rest is added, and each trade is stored once."""
    profile = AccountProfile(years=0.5, traded_markets=3, trades=60, deposits=0, withdrawals=0, converts=0, rewards=0)
    limits = BinanceLimits(
        request_weight_per_minute=10**9, sapi_ip_weight_per_minute=10**9, sapi_uid_weight_per_minute=10**9
    )
    async with BinanceEmulator(seed=1606, profile=profile, listed_symbols=20, limits=limits) as emulator:
        trades = list(emulator.account.trades)
        cutoff = datetime.fromtimestamp(trades[len(trades) // 2].timestamp / 1000, UTC)
        keys = emulator.create_demo_keys()
        pool = ClientPool({"binance": emulator.base_url})
        synced: list[NormalizedRecord] = []
        try:
            credentials = {"apiKey": keys.read_only.api_key, "secret": keys.read_only.secret}
            async with pool.client("binance", "credential-1", credentials) as client:
                client.throttler.config["refillRate"] = 1e6
                fetcher = fetcher_for(get_profile("binance"), client, uid_weight_per_minute=10**9)
                pages = fetcher.fetch(
                    Endpoint.SPOT_TRADES, since=cutoff, until=datetime.now(UTC), cursors={}, report=FetchReport()
                )
                async for page in pages:
                    synced.extend(page.records)
        finally:
            await pool.close()
    async with database.writer() as session:
        owner = await UserRepository(session).ensure(1606)
        integration = await IntegrationRepository(session).add(
            user_id=owner.id, exchange_id="binance", account_name="M"
        )
        integration_id = integration.id
        api_count = await TransactionRepository(session).insert_missing(
            [r.to_row(integration_id, "api") for r in synced]
        )
    assert 0 < api_count < len(trades)

    report = await ImportService(database).import_file(1606, integration_id, "statement.csv", statement_of(trades))

    assert (report.format_name, report.rejected_total) == ("binance-statement", 0)
    assert (report.already_known, report.new) == (api_count, len(trades) - api_count)
    async with database.reader() as session:
        rows = list(await TransactionRepository(session).for_integration(integration_id))
    assert Counter((int(r.occurred_at.timestamp()), r.asset, r.side, r.amount) for r in rows) == Counter(
        (t.timestamp // 1000, t.base, t.side, t.amount) for t in trades
    )


def test_the_progress_of_a_statement_never_goes_backwards() -> None:
    rows = [STATEMENT_HEADER]
    for i in range(2500):
        when = f"2024-01-01 {i // 3600 % 24:02d}:{i // 60 % 60:02d}:{i % 60:02d}"
        rows += [
            ["1", when, "Spot", "Simple Earn Flexible Interest", "USDT", "0.01", ""],
            ["1", when, "Spot", "Transaction Buy", "BTC", "0.001", ""],
            ["1", when, "Spot", "Transaction Spend", "USDT", "-60", ""],
        ]
    seen: list[int] = []
    parsed = parse("statement.csv", csv_bytes(rows), progress=lambda done, total: seen.append(done))
    assert len(parsed.records) == 5000
    assert seen == sorted(seen) and seen[-1] == 7500


def okx_trading_history(trades: list[TradeRecord]) -> bytes:
    """OKX's trading account history: two rows per fill with consecutive ids, the fee on the coin it was taken
    from and Balance Change net of it, times in UTC+8 as the line above the header says."""
    header = ["id", "Order id", "Time", "Trade Type", "Symbol", "Action", "Amount", "Trading Unit", "Filled Price",
              "PnL", "Fee", "Fee Unit", "Position Change", "Position Balance", "Balance Change", "Balance",
              "Balance Unit"]  # fmt: skip
    rows = [["UID:1", "Account Type:Main", "Time Zone:UTC+8"], header]
    bill = 1000
    for t in sorted(trades, key=lambda t: t.timestamp, reverse=True):
        when = datetime.fromtimestamp(t.timestamp // 1000, timezone(timedelta(hours=8))).strftime("%Y-%m-%d %H:%M:%S")
        symbol = f"{t.base}-{t.quote}"
        sign = 1 if t.side == "buy" else -1
        for coin, change, action in ((t.base, sign * t.amount, t.side), (t.quote, -sign * t.cost, "")):
            fee = -t.fee if coin == t.fee_asset else Decimal(0)
            rows.append([str(bill), t.order_id, when, "Spot", symbol, action.capitalize() or "Trade", "0", coin,
                         format(t.price, "f"), "0", format(fee, "f"), coin, "0", "0", format(change + fee, "f"), "0",
                         coin])  # fmt: skip
            bill += 1
    return csv_bytes(rows)


async def test_an_okx_trading_history_meets_the_api_fill_for_fill(database: Database) -> None:
    """The fills the real OKX fetcher brings are all recognised in OKX's own history file; nothing is stored
    twice, and the fills older than the API's reach are added."""
    profile = AccountProfile(years=1.5, traded_markets=3, trades=120, deposits=1, withdrawals=1, converts=0)
    async with OkxEmulator(seed=1607, profile=profile, listed_symbols=20, limits=OkxLimits(rules={})) as emulator:
        trades = list(emulator.account.trades)
        key = emulator.create_demo_keys().read_only
        pool = ClientPool({"okx": emulator.base_url})
        synced: list[NormalizedRecord] = []
        try:
            credentials = {"apiKey": key.api_key, "secret": key.secret, "password": key.passphrase or ""}
            async with pool.client("okx", "credential-1", credentials) as client:
                client.throttler.config["refillRate"] = 1e6
                fetcher = fetcher_for(get_profile("okx"), client)
                pages = fetcher.fetch(
                    Endpoint.SPOT_TRADES,
                    since=datetime(2020, 1, 1, tzinfo=UTC),
                    until=datetime.now(UTC),
                    cursors={},
                    report=FetchReport(),
                )
                async for page in pages:
                    synced.extend(page.records)
        finally:
            await pool.close()
    async with database.writer() as session:
        owner = await UserRepository(session).ensure(1607)
        integration = await IntegrationRepository(session).add(user_id=owner.id, exchange_id="okx", account_name="M")
        integration_id = integration.id
        api_count = await TransactionRepository(session).insert_missing(
            [r.to_row(integration_id, "api") for r in synced]
        )
    assert 0 < api_count < len(trades), "the API reaches one year back: the file has older fills too"

    name = "OKX Trading History_2024~UTC+8~1.csv"
    report = await ImportService(database).import_file(1607, integration_id, name, okx_trading_history(trades))

    assert (report.format_name, report.rejected_total) == ("okx-trading", 0)
    assert (report.already_known, report.new) == (api_count, len(trades) - api_count)
