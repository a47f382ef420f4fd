"""Reading exports: every supported layout becomes exact, UTC records; bad files get their own clear answer."""

from __future__ import annotations

import codecs
import zipfile
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from io import BytesIO

import pytest

from connectors.files import (
    FORMATS,
    AmbiguousFormat,
    BrokenEncoding,
    EmptyFile,
    FileTooLarge,
    UnknownFormat,
    WrongExchange,
    WrongFileType,
    parse,
    template_csv,
)
from connectors.files.errors import BadTimezone
from connectors.files.formats import FIELD_LIMITS
from connectors.files.tallybot import KINDS as TALLYBOT_KINDS
from connectors.records import RecordKind
from db.models import Transaction
from i18n import Text, join, t
from tests.files import samples
from tests.files.samples import csv_bytes, xlsx_bytes

D = Decimal


def at(*parts: int, offset_hours: int = 0) -> datetime:
    return datetime(*parts, tzinfo=timezone(timedelta(hours=offset_hours))).astimezone(UTC)  # type: ignore[misc,arg-type]


# -------------------------------------------------------------------------------------------- Binance


BINANCE_TRADES = [
    samples.BINANCE_TRADE_HEADER,
    ["2024-03-02 10:00:00", "BTCUSDT", "SELL", "70000", "0.00050000BTC", "35USDT", "0.035USDT"],
    ["2024-03-01 12:30:00", "BTCUSDT", "BUY", "62,000.50", "0.00100000BTC", "62.0005USDT", "0.0000015BNB"],
    ["2024-03-01 13:00:00", "1INCHUSDT", "BUY", "0.51", "100.0001INCH", "51USDT", "0.1001INCH"],
]


def test_a_binance_trade_export_becomes_exact_utc_trades() -> None:
    parsed = parse("Binance-Spot-Trade-History.csv", csv_bytes(BINANCE_TRADES, quote_all=True), exchange_id="binance")

    assert parsed.format.name == "binance-trades"
    assert (parsed.rows_read, parsed.rejected_total, parsed.zone_note) == (3, 0, None)
    records = [p.record for p in parsed.records]
    assert [(r.occurred_at, r.market, r.side, r.amount, r.quote_amount, r.price, r.fee_amount, r.fee_asset)
            for r in records] == [
        (at(2024, 3, 2, 10), "BTC/USDT", "sell", D("0.0005"), D("35"), D("70000"), D("0.035"), "USDT"),
        (at(2024, 3, 1, 12, 30), "BTC/USDT", "buy", D("0.001"), D("62.0005"), D("62000.50"), D("0.0000015"), "BNB"),
        (at(2024, 3, 1, 13), "1INCH/USDT", "buy", D("100"), D("51"), D("0.51"), D("0.1"), "1INCH"),
    ]  # fmt: skip
    assert all(r.kind is RecordKind.TRADE and r.asset == r.market.split("/")[0] for r in records)  # type: ignore[union-attr]
    assert not any(p.keyed for p in parsed.records), "Binance's export has no trade id: matched by content"
    assert records[1].raw["Pair"] == "BTCUSDT"


def test_a_binance_export_in_local_time_says_so_in_its_header_and_is_shifted_to_utc() -> None:
    rows = [["Date(UTC+2)", *samples.BINANCE_TRADE_HEADER[1:]], BINANCE_TRADES[1]]
    parsed = parse("trades.csv", csv_bytes(rows), user_timezone="America/New_York")

    assert parsed.records[0].record.occurred_at == at(2024, 3, 2, 8)
    assert parsed.zone_note is None, "the header states the zone: the user's is not needed"


def test_the_legacy_binance_trade_layout() -> None:
    rows = [
        ["Date(UTC)", "Market", "Type", "Price", "Amount", "Total", "Fee", "Fee Coin"],
        ["2021-05-12 10:20:30", "ETHBTC", "BUY", "0.07", "2", "0.14", "0.002", "ETH"],
    ]
    record = parse("x.csv", csv_bytes(rows)).records[0].record

    assert (record.market, record.side, record.amount, record.quote_amount, record.fee_asset) == (
        "ETH/BTC", "buy", D("2"), D("0.14"), "ETH"
    )  # fmt: skip


def test_binance_deposits_and_withdrawals_keep_only_completed_rows() -> None:
    deposits = [
        ["Date(UTC+0)", "Coin", "Network", "Amount", "Address", "TXID", "Status"],
        ["2024-01-05 10:00:00", "USDT", "TRX", "1,500.25", "Txyz", "abc", "Completed"],
        ["2024-01-06 10:00:00", "BTC", "BTC", "0.1", "bc1", "def", "Pending"],
    ]
    withdrawals = [
        ["Date(UTC+0)", "Coin", "Network", "Amount", "Fee", "Address", "TXID", "Status"],
        ["2024-01-07 10:00:00", "ETH", "ETH", "0.5", "0.0012", "0xabc", "0xdef", "Completed"],
    ]
    parsed_deposits = parse("d.csv", csv_bytes(deposits))
    parsed_withdrawals = parse("w.csv", csv_bytes(withdrawals))

    assert parsed_deposits.format.name == "binance-deposits"
    assert [(p.record.kind, p.record.asset, p.record.amount) for p in parsed_deposits.records] == [
        (RecordKind.DEPOSIT, "USDT", D("1500.25"))
    ]
    assert (parsed_deposits.skipped, parsed_deposits.skip_reasons) == (
        1,
        {Text.of("file.skip.not_completed", status="Pending"): 1},
    )
    assert parsed_withdrawals.format.name == "binance-withdrawals"
    withdrawal = parsed_withdrawals.records[0].record
    assert (withdrawal.kind, withdrawal.amount, withdrawal.fee_asset, withdrawal.fee_amount) == (
        RecordKind.WITHDRAWAL, D("0.5"), "ETH", D("0.0012")
    )  # fmt: skip


V1_WALLET = [
    ["Date(UTC)", "Coin", "Network", "Amount", "TransactionFee", "Address", "TXID", "SourceAddress", "PaymentID",
     "Status"],
    ["2020-08-01 10:00:00", "BNB", "BSC", "3", "0.0005", "bnb1", "tx1", "", "", "Completed"],
]  # fmt: skip


def test_the_older_binance_wallet_layout_is_told_apart_by_file_name_or_by_asking() -> None:
    data = csv_bytes(V1_WALLET)

    assert parse("Binance Deposit History 2020.csv", data).format.name == "binance-deposits-v1"
    assert parse("binance_withdraw_history.csv", data).format.name == "binance-withdrawals-v1"
    with pytest.raises(AmbiguousFormat) as asked:
        parse("export.csv", data)
    assert asked.value.candidates == ("binance-deposits-v1", "binance-withdrawals-v1")
    assert "deposit history" in str(asked.value) and "withdrawal history" in str(asked.value)
    chosen = parse("export.csv", data, format_name="binance-withdrawals-v1")
    assert chosen.records[0].record.kind is RecordKind.WITHDRAWAL


# -------------------------------------------------------------------------------------------- Bybit


def test_a_bybit_trade_export_keys_each_fill_by_its_execution_id_like_the_api_sync() -> None:
    parsed = parse("Bybit-Spot-TradeHistory.csv", csv_bytes(samples.BYBIT_TRADES), exchange_id="bybit")

    assert parsed.format.name == "bybit-trades"
    buy, sell = (p.record for p in parsed.records)
    assert all(p.keyed for p in parsed.records)
    assert (buy.natural_key, buy.occurred_at, buy.market, buy.side, buy.amount, buy.fee_asset) == (
        "trade:2290000000522832993", at(2024, 12, 9, 19, 48, 23), "BTC/USDT", "buy", D("0.046118"), "BTC"
    )  # fmt: skip
    assert (sell.side, sell.quote_amount, sell.fee_asset, sell.fee_amount) == (
        "sell", D("20.6461791"), "USDT", D("0.0206461791")
    ), "Bybit charges a spot fee in the coin received"  # fmt: skip


def test_the_pre_uta_bybit_layout_with_units_and_a_minute_precision_time() -> None:
    rows = [
        ["Filled Time (Local Time)", "Spot Pairs", "Order Type", "Direction", "Filled Value", "Filled Price",
         "Filled Quantity", "Fees", "Transaction ID", "Order No.", "Timestamp (UTC)"],
        ["2024-09-27 23:52:04", "NEIRO/USDT", "Market", "Sell", "99.687126000000000000 USDT",
         "0.088900000000000000 USDT", "1121.340000000000000000 NEIRO", "0.199374252000000000 USDT", "67006208",
         "50228992", "2024-09-27 21:52:04"],
        ["", "ICPUSDT", "MARKET", "BUY", "80.203", "8.0203", "10", "0.01", "2200000000351556764", "87307520",
         "03:18 2024-11-15"],
    ]  # fmt: skip
    parsed = parse("Bybit-Spot-TradeHistory-2024.csv", csv_bytes(rows))

    first, second = parsed.records
    assert (first.record.market, first.record.amount, first.record.fee_asset, first.record.occurred_at) == (
        "NEIRO/USDT", D("1121.34"), "USDT", at(2024, 9, 27, 21, 52, 4)
    )  # fmt: skip
    assert (second.record.occurred_at, second.precision, second.record.fee_asset) == (
        at(2024, 11, 15, 3, 18), 60, "ICP"
    )  # fmt: skip


def test_bybit_asset_history_gives_deposits_and_withdrawals_and_keeps_own_transfers_as_transfers() -> None:
    parsed = parse("bybit.csv", csv_bytes(samples.BYBIT_WALLET))

    assert [(p.record.kind, p.record.amount, p.record.side, p.record.occurred_at) for p in parsed.records] == [
        (RecordKind.DEPOSIT, D("1500"), None, at(2024, 5, 1, 8)),
        (RecordKind.WITHDRAWAL, D("200.5"), None, at(2024, 5, 2, 9, 30, 15)),
        (RecordKind.TRANSFER, D("100"), "out", at(2024, 5, 3, 10)),  # to the Derivatives account
    ]
    assert parsed.skip_reasons == {}


# -------------------------------------------------------------------------------------------- OKX


def test_an_okx_trading_history_pairs_the_two_rows_of_each_fill_in_the_zone_it_states() -> None:
    parsed = parse("OKX Trading History.csv", csv_bytes(samples.OKX_TRADING), user_timezone="Europe/Berlin")

    assert parsed.format.name == "okx-trading"
    assert parsed.zone_note is None, "“Time Zone:UTC+8” above the header says it"
    buy, transfer, sell = (p.record for p in sorted(parsed.records, key=lambda p: p.line))
    assert (transfer.kind, transfer.asset, transfer.amount, transfer.side) == (
        RecordKind.TRANSFER,
        "BTC",
        D("0.01"),
        "out",
    )
    assert (buy.occurred_at, buy.side, buy.amount, buy.quote_amount, buy.price, buy.fee_amount, buy.fee_asset) == (
        at(2025, 11, 29, 8, 25, 29, offset_hours=8), "buy", D("0.01"), D("900"), D("90000"), D("0.00001"), "BTC"
    )  # fmt: skip
    assert (sell.side, sell.amount, sell.quote_amount, sell.fee_amount, sell.fee_asset) == (
        "sell", D("0.5"), D("1500"), D("1.5"), "USDT"
    )  # fmt: skip
    assert parsed.skip_reasons == {}
    assert len(buy.raw["rows"]) == 2


def test_an_okx_fill_with_one_of_its_rows_cut_off_is_rejected_with_its_line() -> None:
    rows = [*samples.OKX_TRADING[:3], *samples.OKX_TRADING[4:]]  # the USDT row of order 100 is missing
    parsed = parse("okx.csv", csv_bytes(rows))

    assert parsed.rejected_total == 1
    assert (parsed.rejected[0].line, parsed.rejected[0].column) == (3, "Balance Unit")
    assert parsed.rejected[0].reason == Text.of("file.row.fill_cut", symbol="BTC-USDT", missing="USDT")


def test_an_okx_funding_history_gives_deposits_withdrawals_and_transfers() -> None:
    parsed = parse("OKX Funding History.csv", csv_bytes(samples.OKX_FUNDING))

    assert [(p.record.kind, p.record.amount, p.record.fee_amount, p.record.occurred_at) for p in parsed.records] == [
        (RecordKind.DEPOSIT, D("1000"), None, at(2025, 10, 1, 12)),
        (RecordKind.WITHDRAWAL, D("250"), D("1"), at(2025, 10, 5, 4)),
        (RecordKind.TRANSFER, D("100"), None, at(2025, 10, 6, 4)),  # to the unified trading account
    ]
    assert parsed.skipped == 0


# -------------------------------------------------------------------------------------------- Bitget


def test_a_bitget_trade_export_without_a_zone_is_read_in_the_users_zone_and_the_report_says_so() -> None:
    parsed = parse("Bitget spot.csv", csv_bytes(samples.BITGET_TRADES), user_timezone="Asia/Tokyo")

    buy, sell = (p.record for p in parsed.records)
    assert buy.occurred_at == at(2024, 6, 1, 9, offset_hours=9)
    assert (buy.market, buy.fee_asset, sell.fee_asset, sell.quote_amount) == ("BTC/USDT", "BTC", "USDT", D("380.05"))
    assert parsed.zone_note is not None and parsed.zone_note.args["zone"] == "Asia/Tokyo"


def test_a_bitget_file_name_that_states_the_zone_is_enough() -> None:
    parsed = parse("Bitget spot (UTC+8).csv", csv_bytes(samples.BITGET_TRADES), user_timezone="Asia/Tokyo")

    assert parsed.records[0].record.occurred_at == at(2024, 6, 1, 1)
    assert parsed.zone_note is None


def test_a_bitget_financial_record_gives_deposits_and_withdrawals_only() -> None:
    parsed = parse("bitget.csv", csv_bytes(samples.BITGET_FINANCIAL))

    assert [(p.record.kind, p.record.amount, p.record.fee_amount, p.record.occurred_at) for p in parsed.records] == [
        (RecordKind.DEPOSIT, D("500"), None, at(2024, 6, 1)),
        (RecordKind.WITHDRAWAL, D("99"), D("1"), at(2024, 6, 3, 0, 5)),
    ]
    assert parsed.skipped == 2


def test_a_bitget_financial_record_keeps_interest_earned_and_transfers() -> None:
    rows = [
        samples.BITGET_FINANCIAL[0],
        ["2024-06-05 08:00:00", "USDT", "Interest earned", "Interest earned", "0.42", "0", "0.42"],
        ["2024-06-06 08:00:00", "USDT", "Transfer out", "Transfer out", "-10", "0", "-9.58"],
    ]
    parsed = parse("bitget.csv", csv_bytes(rows))

    assert [(p.record.kind, p.record.amount, p.record.side, p.record.occurred_at) for p in parsed.records] == [
        (RecordKind.REWARD, D("0.42"), None, at(2024, 6, 5)),
        (RecordKind.TRANSFER, D("10"), "out", at(2024, 6, 6)),
    ]
    assert parsed.skipped == 0


# -------------------------------------------------------------------------------------------- Tallybot


def test_the_template_has_every_column_and_two_example_rows_that_import() -> None:
    text = template_csv().decode("utf-8")
    header = text.splitlines()[0].split(",")
    parsed = parse("tallybot-template.csv", template_csv(), exchange_id="kraken")

    assert header[:5] == ["time_utc", "kind", "side", "asset", "amount"] and "natural_key" in header
    assert len(text.splitlines()) == 3
    assert [(p.record.kind, p.record.asset, p.keyed) for p in parsed.records] == [
        (RecordKind.TRADE, "BTC", False),
        (RecordKind.DEPOSIT, "USDT", False),
    ]


def test_hand_written_rows_that_cannot_be_read_are_listed_with_line_column_and_reason() -> None:
    rows = [
        ["time_utc", "kind", "side", "asset", "amount", "quote_asset", "quote_amount"],
        ["2024-01-01T00:00:00Z", "trade", "buy", "BTC", "0.1", "USDT", "4000"],
        ["2024-01-02 00:00:00", "trade", "buy", "BTC", "0.1", "", "4000"],
        ["yesterday", "deposit", "", "BTC", "0.1", "", ""],
        ["2024-01-03T00:00:00Z", "airdropp", "", "BTC", "0.1", "", ""],
        ["2024-01-03T00:00:00Z", "deposit", "", "BTC", "zero point one", "", ""],
    ]
    parsed = parse("mine.csv", csv_bytes(rows))

    assert parsed.rejected_total == 4
    assert [(r.line, r.column) for r in parsed.rejected] == [
        (3, "quote_asset"),
        (4, "time_utc"),
        (5, "kind"),
        (6, "amount"),
    ]
    assert parsed.rejected[2].reason == Text.of(
        "file.row.unknown_kind", kind="airdropp", kinds=join(TALLYBOT_KINDS, style="or")
    )
    assert parsed.rejected[3].reason == Text.of("file.row.not_a_number", text="zero point one")
    reads = t(
        "file.rejected_row.column", line=6, column="amount", reason=t("file.row.not_a_number", text="zero point one")
    )
    assert str(parsed.rejected[3]) == reads, "as the user reads it"


# -------------------------------------------------------------------------------------------- containers


def test_an_xlsx_export_reads_like_its_csv_with_exact_numbers_and_date_cells() -> None:
    rows: list[list[object]] = [
        ["Date(UTC)", "Market", "Type", "Price", "Amount", "Total", "Fee", "Fee Coin"],
        [datetime(2021, 5, 12, 10, 20, 30), "ETHBTC", "BUY", 0.07, 2, 0.14, 0.00000001, "ETH"],
    ]
    record = parse("trades.xlsx", xlsx_bytes(rows)).records[0].record

    assert (record.occurred_at, record.price, record.amount, record.quote_amount, record.fee_amount) == (
        at(2021, 5, 12, 10, 20, 30), D("0.07"), D("2"), D("0.14"), D("0.00000001")
    )  # fmt: skip


@pytest.mark.parametrize(
    ("encoding", "prefix"),
    [("utf-8", b""), ("utf-8", codecs.BOM_UTF8), ("utf-16-le", codecs.BOM_UTF16_LE), ("utf-16-le", b"")],
)
def test_utf8_with_or_without_bom_and_utf16_are_read(encoding: str, prefix: bytes) -> None:
    data = prefix + csv_bytes(samples.BYBIT_WALLET, encoding=encoding)

    assert len(parse("bybit.csv", data).records) == 3


def test_a_semicolon_separated_file_from_a_european_spreadsheet_is_read() -> None:
    assert len(parse("bybit.csv", csv_bytes(samples.BYBIT_WALLET, delimiter=";")).records) == 3


def test_a_header_below_blank_lines_and_notes_is_found_and_line_numbers_match_the_file() -> None:
    rows = [["Binance export"], [], *BINANCE_TRADES[:2], ["2024-03-02 11:00:00", "BTCUSDT", "HOLD", "1", "1BTC",
                                                          "1USDT", "0USDT"]]  # fmt: skip
    parsed = parse("x.csv", csv_bytes(rows))

    assert (parsed.rejected[0].line, parsed.rejected[0].column) == (5, "Side")


# -------------------------------------------------------------------------------------------- bad files


def test_each_kind_of_bad_file_gets_its_own_clear_message() -> None:
    zipped = BytesIO()
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.writestr("trades.csv", "a,b\n")
    cases: list[tuple[str, bytes, type[Exception], str]] = [
        ("statement.pdf", b"%PDF-1.7 ...", WrongFileType, "PDF"),
        ("notes.docx", b"hello", WrongFileType, "not a CSV or XLSX"),
        ("trades.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, WrongFileType, "save it as .xlsx"),
        ("export.zip", zipped.getvalue(), WrongFileType, "unzip it"),
        ("empty.csv", b"", EmptyFile, "empty"),
        ("blank.csv", b" \r\n\r\n", EmptyFile, "empty"),
        ("header.csv", csv_bytes(BINANCE_TRADES[:1]), EmptyFile, "header but no rows"),
        ("latin1.csv", "Date(UTC),Coin,Montant,Société\n".encode("latin-1"), BrokenEncoding, "UTF-8"),
        ("other.csv", b"name,age\nann,30\n", UnknownFormat, "Binance — spot trade history"),
    ]
    for filename, data, error, words in cases:
        with pytest.raises(error) as raised:
            parse(filename, data)
        assert words in str(raised.value), (filename, str(raised.value))


def test_a_file_over_the_size_limit_is_refused_saying_the_limit() -> None:
    with pytest.raises(FileTooLarge) as raised:
        parse("big.csv", csv_bytes(BINANCE_TRADES), max_bytes=100)

    assert "files of up to 100 bytes can be imported" in str(raised.value)
    assert raised.value.limit_bytes == 100


def test_the_unknown_format_message_lists_every_format_tallybot_reads() -> None:
    with pytest.raises(UnknownFormat) as raised:
        parse("other.csv", b"name,age\nann,30\n")

    assert raised.value.known == tuple(f.title for f in FORMATS)
    assert all(t(title) in str(raised.value) for title in raised.value.known), (
        "each format's title as the user reads it"
    )
    assert "it starts with “name, age”" in str(raised.value)


def test_an_unknown_bybit_file_is_named_as_bybit_and_its_uid_line_is_never_quoted_as_the_header() -> None:
    data = (
        b"UID: 567248024,Company Name: ,Country: \nUid,Contracts,Closing Direction,Qty,Entry Price\n1,BTCUSDT,Buy,1,2\n"
    )
    with pytest.raises(UnknownFormat) as raised:
        parse("Bybit-ClosedPNL-2026.csv", data)

    message = str(raised.value)
    assert "UID:" not in message and "567248024" not in message
    assert "it starts with “Uid, Contracts, Closing Direction, Qty, Entry Price”" in message
    assert "It looks like a Bybit export" in message and "Account Change Details" in message


def test_an_unknown_okx_file_is_quoted_without_its_byte_order_marks() -> None:
    header = ",".join("\ufeff" + title for title in ["Order ID", "Pair", "Filled", "Avg. price"])
    data = ("\ufeffUID:1,\ufeffAccount Type:Main,\ufeffTime Zone:UTC+8\n" + header + "\n1,BTC-USDT,1,2\n").encode()
    with pytest.raises(UnknownFormat) as raised:
        parse("OKX Order History.csv", data)

    message = str(raised.value)
    assert "\ufeff" not in message and "Time Zone" not in message
    assert "it starts with “Order ID, Pair, Filled, Avg. price”" in message
    assert "It looks like an OKX export" in message
    assert "trading account history" in message


def test_an_export_of_another_exchange_is_refused_for_the_chosen_account() -> None:
    with pytest.raises(WrongExchange) as raised:
        parse("b.csv", csv_bytes(BINANCE_TRADES), exchange_id="bybit")

    assert "Binance export" in str(raised.value) and "on Bybit" in str(raised.value)


def test_an_unknown_time_zone_setting_is_a_clear_error_when_it_is_needed() -> None:
    with pytest.raises(BadTimezone):
        parse("b.csv", csv_bytes(samples.BITGET_TRADES), user_timezone="Mars/Olympus")


def test_progress_is_reported_for_large_files() -> None:
    rows = [samples.BINANCE_TRADE_HEADER] + [BINANCE_TRADES[1]] * 5000
    seen: list[tuple[int, int]] = []
    parse("x.csv", csv_bytes(rows), progress=lambda done, total: seen.append((done, total)))

    assert seen[-1] == (5000, 5000) and len(seen) >= 3
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)


def test_field_limits_follow_the_database_columns_and_an_overlong_cell_is_a_rejected_row() -> None:
    columns = Transaction.__table__.columns
    assert {name: columns[name].type.length for name in FIELD_LIMITS} == FIELD_LIMITS  # type: ignore[attr-defined]
    rows = [samples.BYBIT_WALLET[0], ["2024-05-01 08:00:00", "X" * 40, "1", "TRANSFER_IN", "1", "Deposit"]]

    parsed = parse("bybit.csv", csv_bytes(rows))

    assert [(r.line, r.column) for r in parsed.rejected] == [(2, "asset")]
    assert parsed.rejected[0].reason == Text.of("file.row.too_long", text="X" * 40, limit=32)


def test_okx_fills_whose_rows_cannot_be_paired_are_one_summed_record_and_flagged() -> None:
    """Order 100 gets a second BTC row in the same second at the same price but no second USDT row: the base and
    quote rows differ in number, so the fills are summed into one record, flagged as such."""
    extra_base = ["16", "100", "2025-11-29 08:25:29", "Spot", "BTC-USDT", "Buy", "0.01", "BTC", "90000", "0", "0",
                  "BTC", "0", "0", "0.01", "0.01999", "BTC"]  # fmt: skip
    parsed = parse("okx.csv", csv_bytes([*samples.OKX_TRADING[:4], extra_base, *samples.OKX_TRADING[4:]]))

    summed = [p for p in parsed.records if p.summed_fills]
    assert parsed.summed_fills == 1 and len(summed) == 1
    assert (summed[0].record.asset, summed[0].record.amount) == ("BTC", Decimal("0.02"))
    assert not any(p.summed_fills for p in parse("okx.csv", csv_bytes(samples.OKX_TRADING)).records)
