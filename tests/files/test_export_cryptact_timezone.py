"""Cryptact's custom file for a Japanese user: the Timestamp's time zone and JPY pairs.

Cryptact's "Custom File for any other trades" (support.cryptact.com/hc/en-us/articles/360002571312) writes the
Timestamp as `YYYY/MM/DD HH:mm:ss` with no zone: "Timezone can be specified in the upload screen later". Tallybot
writes UTC, so the note after the file must tell the user to choose UTC there (choosing Japan time would move every
row by 9 hours). A bitFlyer or bitbank BTC/JPY fill is Base BTC, Counter JPY, Price in JPY. Expected rows are
written by hand from the fill rows, which follow the exchanges' documented fill lists (docs/exchange-apis/).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from bot.exports import ExportReport, export_details
from connectors.fetchers.bitbank.rows import RowReader as BitbankRows
from connectors.fetchers.bitflyer.rows import RowReader
from connectors.files.writers import cryptact_rows
from i18n import t


class Codes:
    """ccxt's currency codes for BTC and JPY: bitFlyer's as they are, bitbank's ids ("btc", "jpy") upper-cased."""

    def safe_currency_code(self, code: str) -> str:
        return code.upper()


def fill(ident: int, side: str, price: str, size: str, commission: str, exec_date: str) -> dict[str, Any]:
    """A getexecutions row as the client parses it (JSON numbers as Decimal); exec_date is UTC without a zone."""
    return {
        "id": ident,
        "child_order_id": f"JOR20150707-{ident}",
        "side": side,
        "price": Decimal(price),
        "size": Decimal(size),
        "commission": Decimal(commission),
        "exec_date": exec_date,
        "child_order_acceptance_id": f"JRF20150707-{ident}",
    }


def test_a_bitflyer_btc_jpy_fill_is_base_btc_counter_jpy_with_a_utc_timestamp() -> None:
    reader = RowReader(Codes())
    records = [
        reader.execution("BTC_JPY", fill(37233, "BUY", "33470", "0.01", "0", "2015-07-07T09:57:40.397")),
        # 23:30 UTC is 08:30 the next day in Japan: the file keeps the UTC day
        reader.execution("BTC_JPY", fill(37234, "SELL", "4500000", "0.002", "0.000003", "2024-03-01T23:30:05.5")),
    ]
    written = [cryptact_rows(record, "bitFlyer", "bitFlyer-1") for record in records]

    assert [w.skipped for w in written] == [None, None]
    assert [row[:9] for w in written for row in w.rows] == [
        ["2015/07/07 09:57:40", "BUY", "bitFlyer", "BTC", "0.01", "33470", "JPY", "0", "JPY"],
        ["2024/03/01 23:30:05", "SELL", "bitFlyer", "BTC", "0.002", "4500000", "JPY", "0.000003", "BTC"],
    ]


def test_the_note_after_a_cryptact_file_says_it_is_in_utc_and_to_choose_utc_at_upload(tmp_path: Path) -> None:
    report = ExportReport(format="cryptact", path=tmp_path / "cryptact.csv", records=2, rows=2)
    english = export_details(report, "en")
    japanese = export_details(report, "ja")

    assert "The Timestamp column is in UTC" in english and "choose UTC" in english, english
    assert "UTC" in japanese and "UTC を選んでください" in japanese, japanese
    assert t("export.cryptact.timezone", locale="ja") in japanese

    koinly = ExportReport(format="koinly", path=tmp_path / "koinly.csv", records=2, rows=2)
    assert t("export.cryptact.timezone", locale="en") not in export_details(koinly, "en")  # Cryptact's alone


def test_a_bitbank_btc_jpy_fill_with_its_fee_in_jpy() -> None:
    """bitbank's GET /user/spot/trade_history row (docs/exchange-apis/bitbank.md): strings, ms since the epoch."""
    row = {
        "trade_id": 1001,
        "pair": "btc_jpy",
        "order_id": 2002,
        "side": "sell",
        "type": "limit",
        "amount": "0.001",
        "price": "5000000",
        "maker_taker": "taker",
        "fee_amount_base": "0",
        "fee_amount_quote": "3.5",
        "executed_at": 1_709_335_805_000,  # 2024-03-01 23:30:05 UTC (08:30:05 on 2 March in Japan)
    }
    written = cryptact_rows(BitbankRows(Codes()).trade(row), "bitbank", "bitbank-1")

    assert [r[:9] for r in written.rows] == [
        ["2024/03/01 23:30:05", "SELL", "bitbank", "BTC", "0.001", "5000000", "JPY", "3.5", "JPY"],
    ]
