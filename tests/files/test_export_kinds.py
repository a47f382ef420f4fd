"""An account holding every kind of record Tallybot stores, exported for Koinly and Cryptact: every row says what it
is, the bot's message states the rows written, and reading the files back (with readers written from Koinly's and
Cryptact's documented formats, below) gives the same records.

Records come from the fetchers themselves where that is cheap (Bitget's tax lists and UTA tax records, fed rows in
the documented shape: common/tax/Get-Spot-Account-Record, common/tax/Get-Future-Account-Record, uta/enum), else
are shaped as the fetcher stores them (OKX bills, Binance dividends and converts, a ccxt ledger line).
Expected values are written by hand from those rows.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from bot.context import SERVICES_KEY, Services
from bot.exports import ExportService
from connectors.fetchers.bitget.tax import STREAMS, BitgetTax
from connectors.fetchers.bitget.unified_tax import BitgetUnifiedTax
from connectors.files.export.meaning import Meaning, meaning_of
from connectors.profiles import Endpoint
from connectors.records import NormalizedRecord, RecordKind, natural_key
from db.engine import Database
from i18n import t, tn
from sandbox.botapi import BotApiEmulator
from tests.assistant_story import Walker
from tests.bot_harness import running_bot, settings_for
from tests.files.test_imports import account, store_api

D = Decimal
T = datetime(2024, 3, 1, tzinfo=UTC)
T_MS = 1_709_251_200_000  # T in milliseconds
HOUR = 3_600_000
USER = 1001


class Codes:
    """ccxt's currency codes are the exchange's for these coins."""

    def safe_currency_code(self, code: str) -> str:
        return code


def at(hours: float) -> datetime:
    return T + timedelta(hours=hours)


def ms(hours: float) -> str:
    return str(T_MS + int(hours * HOUR))


def bitget_spot(ident: str, coin: str, tax_type: str, amount: str, hours: float, fee: str = "0", order: str = "") -> (
    NormalizedRecord
):  # fmt: skip
    row = {"id": ident, "coin": coin, "spotTaxType": tax_type, "amount": amount, "fee": fee, "balance": "0",
           "bizOrderId": order or f"o{ident}", "ts": ms(hours)}  # fmt: skip
    return BitgetTax(Codes())._record(STREAMS[Endpoint.LEDGER][0], row)


def bitget_future(ident: str, tax_type: str, amount: str, hours: float, fee: str = "0") -> NormalizedRecord:
    row = {"id": ident, "symbol": "BTCUSDT", "marginCoin": "USDT", "futureTaxType": tax_type, "amount": amount,
           "fee": fee, "ts": ms(hours)}  # fmt: skip
    return BitgetTax(Codes())._record(STREAMS[Endpoint.FUTURES_TRADES][0], row)


def bitget_uta(ident: str, coin: str, tax_type: str, amount: str, hours: float, fee: str = "0") -> NormalizedRecord:
    row = {"id": ident, "coin": coin, "type": tax_type, "amount": amount, "fee": fee, "balance": "0", "ts": ms(hours)}
    return BitgetUnifiedTax(Codes())._record("uta:SPOT", row)


def bitget_history() -> list[NormalizedRecord]:
    return [
        bitget_spot("10", "USDT", "Deposit", "1000", 0),
        bitget_spot("11", "BTC", "Buy", "0.002", 1, fee="-0.000002", order="900"),  # one trade: two legs
        bitget_spot("12", "USDT", "Buy", "-124", 1, order="900"),
        bitget_spot("13", "USDT", "Interest", "0.5", 2),
        bitget_spot("14", "ARB", "Airdrop Reward-A", "10", 2.5),
        bitget_spot("15", "USDT", "Trading fee rebate", "0.03", 3),
        bitget_spot("16", "USDT", "Transfer in", "200", 3.5),
        bitget_spot("17", "USDT", "Withdrawal", "-50", 4, fee="-1"),
        bitget_spot("18", "USDT", "Increase exchange rate", "0.01", 4.5),  # a type no rule names
        bitget_future("31", "OPEN_LONG", "0", 6, fee="-0.06"),
        bitget_future("32", "CLOSE_LONG", "12.5", 7, fee="-0.07"),
        bitget_future("33", "CLOSE_SHORT", "-3.2", 8, fee="-0.05"),
        bitget_future("34", "CONTRACT_MAIN_SETTLE_FEE_USER_OUT", "-0.8", 9),
        bitget_future("35", "CONTRACT_MAIN_SETTLE_FEE_USER_IN", "0.4", 10),
        bitget_future("36", "INTEREST_SETTLEMENT_OUT", "-0.1", 11),
    ]


def unified_history() -> list[NormalizedRecord]:
    return [  # a UTA trade: the legs share the time, not an order id
        bitget_uta("21", "ETH", "ORDER_DEALT_IN", "0.05", 5, fee="-0.00005"),
        bitget_uta("22", "USDT", "ORDER_DEALT_FROZEN_OUT", "-150", 5),
    ]


def okx_reward(bill: str, bill_type: str, coin: str, amount: str, hours: float) -> NormalizedRecord:
    raw = {"billId": bill, "type": bill_type, "ccy": coin, "balChg": amount}
    return NormalizedRecord(
        RecordKind.REWARD,
        at(hours),
        natural_key(RecordKind.REWARD, bill),
        coin,
        D(amount),
        exchange_tx_id=bill,
        raw=raw,
    )


def other_history() -> list[NormalizedRecord]:
    return [
        okx_reward("b1", "83", "SOL", "0.01", 12),  # staking yield
        okx_reward("b2", "229", "OP", "3", 12.5),  # airdrop
        okx_reward("b3", "232", "USDT", "0.2", 13),  # interest received
        NormalizedRecord(RecordKind.TRADE, at(14), "trade:ETH-USDT:77", "ETH", D("0.5"), exchange_tx_id="77",
                         market="ETH/USDT", side="buy", quote_asset="USDT", quote_amount=D("1150"), price=D("2300"),
                         fee_asset="ETH", fee_amount=D("-0.0001"), raw={"instId": "ETH-USDT", "tradeId": "77"}),
        NormalizedRecord(RecordKind.TRANSFER, at(15), "transfer:b4", "USDT", D("50"), exchange_tx_id="b4", side="out",
                         raw={"billId": "b4", "type": "130"}),
        NormalizedRecord(RecordKind.REWARD, at(16), "reward:r-1", "BNB", D("0.003"), exchange_tx_id="r-1",
                         raw={"id": "r-1", "enInfo": "Launchpool"}),
        NormalizedRecord(RecordKind.CONVERT, at(17), "convert:c-9", "ETH", D("0.1"), exchange_tx_id="c-9", side="buy",
                         quote_asset="USDT", quote_amount=D("230.5"), price=D("2305"), raw={"orderId": "c-9"}),
        NormalizedRecord(RecordKind.LEDGER, at(18), "ledger:l-1", "USDT", D("0.7"), exchange_tx_id="l-1",
                         side="referral", raw={"id": "l-1"}),
    ]  # fmt: skip


# --- readers, from the documented formats -------------------------------------------------------------------------

Entry = tuple[str, str, str, Decimal, str, Decimal | None, str, Decimal]  # time, what, asset, change, counter…, fee


def read_koinly(content: str) -> list[Entry]:
    """Koinly universal CSV: a row with both sides is a trade; one side is a deposit or withdrawal, its Label
    saying what kind (none: a plain transfer in or out)."""
    entries: list[Entry] = []
    for row in csv.DictReader(io.StringIO(content)):
        when = datetime.strptime(row["Date"], "%Y-%m-%d %H:%M:%S UTC").strftime("%m-%d %H:%M")
        fee = (row["Fee Currency"], D(row["Fee Amount"]) if row["Fee Amount"] else D(0))
        if row["Sent Amount"] and row["Received Amount"]:
            entries.append((when, "trade", row["Received Currency"], D(row["Received Amount"]), row["Sent Currency"],
                            -D(row["Sent Amount"]), *fee))  # fmt: skip
        elif row["Received Amount"]:
            entries.append((when, row["Label"] or "deposit", row["Received Currency"], D(row["Received Amount"]), "",
                            None, *fee))  # fmt: skip
        else:
            entries.append((when, row["Label"] or "withdrawal", row["Sent Currency"], -D(row["Sent Amount"]), "",
                            None, *fee))  # fmt: skip
    return sorted(entries)


INCREASES = {"BUY", "BONUS", "STAKING", "LENDING", "MINING"}
DECREASES = {"SELL", "LOSS", "SENDFEE", "PAY", "REDUCE", "DEFIFEE"}


def read_cryptact(content: str) -> list[Entry]:
    """Cryptact custom file: Action on Volume of Base; BUY/SELL at Price in Counter; every other action changes
    Base only (its price looked up by Cryptact)."""
    entries: list[Entry] = []
    for row in csv.DictReader(io.StringIO(content)):
        when = datetime.strptime(row["Timestamp"], "%Y/%m/%d %H:%M:%S").strftime("%m-%d %H:%M")
        action = row["Action"]
        assert action in INCREASES | DECREASES, action
        sign = 1 if action in INCREASES else -1
        volume = D(row["Volume"])
        counter = -sign * volume * D(row["Price"]) if row["Price"] else None
        fee = D(row["Fee"])
        entries.append((when, action, row["Base"], sign * volume, row["Counter"] if row["Price"] else "", counter,
                        row["FeeCcy"] if fee else "", fee))  # fmt: skip
    return sorted(entries)


N = None
KOINLY: list[Entry] = sorted([  # by hand, from the rows above
    ("03-01 00:00", "deposit", "USDT", D("1000"), "", N, "", D(0)),
    ("03-01 01:00", "trade", "BTC", D("0.002"), "USDT", D("-124"), "BTC", D("0.000002")),  # the two legs, one trade
    ("03-01 02:00", "lending interest", "USDT", D("0.5"), "", N, "", D(0)),
    ("03-01 02:30", "airdrop", "ARB", D("10"), "", N, "", D(0)),
    ("03-01 03:00", "income", "USDT", D("0.03"), "", N, "", D(0)),  # Bitget's trading fee rebate
    ("03-01 04:00", "withdrawal", "USDT", D("-50"), "", N, "USDT", D("1")),
    ("03-01 05:00", "trade", "ETH", D("0.05"), "USDT", D("-150"), "ETH", D("0.00005")),  # the UTA legs
    ("03-01 06:00", "cost", "USDT", D("-0.06"), "", N, "", D(0)),  # opening fee
    ("03-01 07:00", "realized gain", "USDT", D("12.5"), "", N, "", D(0)),
    ("03-01 07:00", "cost", "USDT", D("-0.07"), "", N, "", D(0)),  # a deposit has no fee in Koinly: its own row
    ("03-01 08:00", "realized gain", "USDT", D("-3.2"), "", N, "USDT", D("0.05")),
    ("03-01 09:00", "realized gain", "USDT", D("-0.8"), "", N, "", D(0)),  # funding paid
    ("03-01 10:00", "realized gain", "USDT", D("0.4"), "", N, "", D(0)),  # funding received
    ("03-01 11:00", "margin fee", "USDT", D("-0.1"), "", N, "", D(0)),
    ("03-01 12:00", "reward", "SOL", D("0.01"), "", N, "", D(0)),  # staking yield
    ("03-01 12:30", "airdrop", "OP", D("3"), "", N, "", D(0)),
    ("03-01 13:00", "lending interest", "USDT", D("0.2"), "", N, "", D(0)),
    ("03-01 14:00", "trade", "ETH", D("0.5"), "USDT", D("-1150"), "", D(0)),
    ("03-01 14:00", "income", "ETH", D("0.0001"), "", N, "", D(0)),  # the maker rebate
    ("03-01 16:00", "reward", "BNB", D("0.003"), "", N, "", D(0)),
    ("03-01 17:00", "trade", "ETH", D("0.1"), "USDT", D("-230.5"), "", D(0)),
    ("03-01 18:00", "reward", "USDT", D("0.7"), "", N, "", D(0)),
])  # fmt: skip
CRYPTACT: list[Entry] = sorted([
    ("03-01 01:00", "BUY", "BTC", D("0.002"), "USDT", D("-124.000"), "BTC", D("0.000002")),
    ("03-01 02:00", "LENDING", "USDT", D("0.5"), "", N, "", D(0)),
    ("03-01 02:30", "BONUS", "ARB", D("10"), "", N, "", D(0)),
    ("03-01 03:00", "BONUS", "USDT", D("0.03"), "", N, "", D(0)),
    ("03-01 04:00", "SENDFEE", "USDT", D("-1"), "", N, "", D(0)),
    ("03-01 05:00", "BUY", "ETH", D("0.05"), "USDT", D("-150"), "ETH", D("0.00005")),
    ("03-01 06:00", "LOSS", "USDT", D("-0.06"), "", N, "", D(0)),
    ("03-01 07:00", "BONUS", "USDT", D("12.5"), "", N, "", D(0)),
    ("03-01 07:00", "LOSS", "USDT", D("-0.07"), "", N, "", D(0)),
    ("03-01 08:00", "LOSS", "USDT", D("-3.2"), "", N, "", D(0)),
    ("03-01 08:00", "LOSS", "USDT", D("-0.05"), "", N, "", D(0)),
    ("03-01 09:00", "LOSS", "USDT", D("-0.8"), "", N, "", D(0)),
    ("03-01 10:00", "BONUS", "USDT", D("0.4"), "", N, "", D(0)),
    ("03-01 11:00", "LOSS", "USDT", D("-0.1"), "", N, "", D(0)),
    ("03-01 12:00", "STAKING", "SOL", D("0.01"), "", N, "", D(0)),
    ("03-01 12:30", "BONUS", "OP", D("3"), "", N, "", D(0)),
    ("03-01 13:00", "LENDING", "USDT", D("0.2"), "", N, "", D(0)),
    ("03-01 14:00", "BUY", "ETH", D("0.5"), "USDT", D("-1150"), "", D(0)),
    ("03-01 14:00", "BONUS", "ETH", D("0.0001"), "", N, "", D(0)),
    ("03-01 16:00", "BONUS", "BNB", D("0.003"), "", N, "", D(0)),
    ("03-01 17:00", "BUY", "ETH", D("0.1"), "USDT", D("-230.5"), "", D(0)),
    ("03-01 18:00", "BONUS", "USDT", D("0.7"), "", N, "", D(0)),
])  # fmt: skip
UNNAMED = "export.skip.unknown_ledger"
SKIPPED: Mapping[str, dict[str, int]] = {
    "koinly": {"export.skip.koinly_transfer": 2, UNNAMED: 1},
    "cryptact": {"export.skip.cryptact_transfer": 2, UNNAMED: 1, "export.skip.deposit": 1},
}
RECORDS = 15 + 2 + 8


async def store_every_kind(database: Database, user: int) -> None:
    bitget = await account(database, user=user, exchange="bitget", name="Bitget-1")
    unified = await account(database, user=user, exchange="bitget", name="Bitget-UTA")
    other = await account(database, user=user, exchange="okx", name="Other-1")
    await store_api(database, bitget, bitget_history())
    await store_api(database, unified, unified_history())
    await store_api(database, other, other_history())


@pytest.mark.parametrize(("fmt", "reader", "expected"), [("koinly", read_koinly, KOINLY),
                                                        ("cryptact", read_cryptact, CRYPTACT)])  # fmt: skip
async def test_every_record_kind_reads_back_from_the_tax_file_with_its_label(
    database: Database, tmp_path: Path, fmt: str, reader: Any, expected: list[Entry]
) -> None:
    await store_every_kind(database, USER)
    report = await ExportService(database, batch_size=3).export(USER, fmt=fmt, path=tmp_path / "out.csv")  # type: ignore[arg-type]
    content = (tmp_path / "out.csv").read_text(encoding="utf-8")

    assert reader(content) == expected
    assert report.records == RECORDS and report.rows == len(expected)
    assert report.skipped == SKIPPED[fmt]
    assert report.paired == 4, "two trades of two legs each"


async def exported(walker: Walker, command: str, *, note: bool = True) -> tuple[str, str, str]:
    """Send the command, pick all accounts: the file's text, its caption and the note after it."""
    sent = await walker.send(command)
    await walker.reply_to(sent, "Export which account")
    before = walker.newest_id()
    await walker.press("All accounts")
    document = await walker.emulator.wait_for_bot_message(
        walker.chat_id, after_message_id=before, predicate=lambda m: m.document is not None
    )
    assert document.document is not None
    if not note:
        return document.document.content.decode(), document.caption or "", ""
    after = await walker.emulator.wait_for_bot_message(
        walker.chat_id, after_message_id=document.message_id, predicate=lambda m: m.document is None
    )
    return document.document.content.decode(), document.caption or "", after.text or ""


async def test_the_bots_message_states_the_rows_written_and_cryptact_is_told_its_reupload_rule(
    telegram: BotApiEmulator, tmp_path: Path
) -> None:
    ada = Walker(telegram, telegram.add_user(user_id=USER, first_name="Ada", started=True))
    async with running_bot(settings_for(telegram, tmp_path)) as app:
        services: Services = app.bot_data[SERVICES_KEY]
        await store_every_kind(services.database, USER)
        koinly, koinly_caption, koinly_note = await exported(ada, "/export koinly")
        cryptact, cryptact_caption, cryptact_note = await exported(ada, "/export cryptact")
        later = await account(services.database, user=USER, exchange="okx", name="Later")
        await store_api(services.database, later, [okx_reward("b9", "83", "SOL", "0.02", 24 * 4)])  # March 5th
        newer, newer_caption, _ = await exported(ada, "/export cryptact since 2024-03-02")
        sent = await ada.send("/export cryptact since")
        incomplete = await ada.reply_to(sent, "YYYY-MM-DD")

    assert read_koinly(koinly) == KOINLY
    assert f"Koinly universal CSV: {len(KOINLY)} rows from {RECORDS} transactions" in koinly_caption
    # Koinly's file cannot mark a move between own accounts: the note says so rather than a bare "left out".
    assert t("export.details.left_out", count=2, reason=t("export.skip.koinly_transfer")) in koinly_note
    assert "Koinly makes a transfer only by matching a withdrawal" in koinly_note
    assert tn("export.details.paired", 2, legs=4) in koinly_note
    assert t("export.details.left_out", count=2, reason=t("export.skip.cryptact_transfer")) in cryptact_note
    assert read_cryptact(cryptact) == CRYPTACT
    assert f"Cryptact custom file: {len(CRYPTACT)} rows from {RECORDS} transactions" in cryptact_caption
    assert t("export.cryptact.reupload", next_since="2024-03-01") in cryptact_note, "the day of the newest row written"
    assert read_cryptact(newer) == [("03-05 00:00", "STAKING", "SOL", D("0.02"), "", None, "", D(0))]
    assert "1 row from 1 transaction, 2024-03-02–" in newer_caption, "only what is newer than the date"
    assert "/export since YYYY-MM-DD" in (incomplete.text or "")


# --- every documented Bitget tax example gets a meaning (a file added to the folder needs its line here) ----------

API_EXAMPLES = Path(__file__).resolve().parents[3] / "shared" / "api-examples" / "bitget"
TAX_STREAMS = {  # file name prefix → the fetcher's stream for that list
    "tax_spot_record": STREAMS[Endpoint.LEDGER][0],
    "tax_margin_record": STREAMS[Endpoint.LEDGER][1],
    "tax_p2p_record": STREAMS[Endpoint.LEDGER][3],
    "tax_future_record": STREAMS[Endpoint.FUTURES_TRADES][0],
}
DOCUMENTED_MEANINGS = {  # by hand, from each example's type field
    "tax_spot_record.docs.json": [Meaning.INTEREST],  # spotTaxType "Interest"
    "tax_margin_record.docs.json": [Meaning.INTERNAL],  # marginTaxType "transfer_in"
    "tax_p2p_record.docs_2025-03.json": [Meaning.TRADE_LEG],  # p2pTaxType "buy": USDT bought with fiat
    "tax_p2p_record.docs_2025.json": [Meaning.INTERNAL],  # p2pTaxType "transfer-in"
    "tax_future_record.docs.json": [Meaning.REALIZED],  # futureTaxType "close_long"
}


def test_every_documented_bitget_tax_example_has_the_meaning_its_type_names() -> None:
    files = sorted(path for path in API_EXAMPLES.glob("tax_*.json"))
    assert files, f"no Bitget tax examples under {API_EXAMPLES}"
    for path in files:
        stream = next(stream for prefix, stream in TAX_STREAMS.items() if path.name.startswith(prefix))
        rows = json.loads(path.read_text(encoding="utf-8"))["response"]["data"]
        records = [BitgetTax(Codes())._record(stream, row) for row in rows]
        assert path.name in DOCUMENTED_MEANINGS, f"{path.name}: write its meaning by hand"
        assert [meaning_of(record) for record in records] == DOCUMENTED_MEANINGS[path.name], path.name
