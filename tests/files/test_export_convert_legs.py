"""Convert legs stored one per coin with their direction (records.Flow) in the exports: Kraken's Buy Crypto writes a
`spend` and a `receive` ledger line sharing a `refid` (Ledgers, "Type of ledger entry"), Coinbase a `trade`
transaction in each account sharing `trade.id` (docs/exchange-apis/coinbase.md, "types read"). The leg going out is
money spent: the two legs of one convert are one trade row (Koinly: Sent and Received on one row; Cryptact: BUY or
SELL of the base with its Counter), and a leg whose partner is not stored is a sale (or a purchase) at the market
price, as Bitget's lone exchange leg (tests/files/test_export_bitget_exchange_legs.py). The Tallybot CSV keeps each
leg as stored: its side says which way it went. The same sign mistake on a reward: a debited Binance asset dividend
is a deduction, not income. Expected rows are written by hand from the rows below."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from connectors.fetchers.coinbase.rows import RowReader as CoinbaseRows
from connectors.fetchers.kraken.rows import RowReader as KrakenRows
from connectors.files import parse
from connectors.files.export.common import Written
from connectors.files.export.cryptact import cryptact_rows
from connectors.files.export.koinly import koinly_rows
from connectors.files.export.stream import RowsOf
from connectors.files.matching import content_key
from connectors.files.writers import tallybot_rows
from connectors.records import NormalizedRecord, RecordKind
from tests.files.samples import csv_bytes

MARCH_1 = 1709251200  # 2024-03-01 00:00:00 UTC, in Kraken's seconds


class Codes:
    """ccxt's codes for Kraken's asset names (safe_currency_code); other names as they are."""

    def safe_currency_code(self, code: str) -> str:
        return {"ZEUR": "EUR", "XETH": "ETH"}.get(code, code)


def kraken_buy_crypto() -> list[NormalizedRecord]:
    """25 EUR spent (fee 0.37 EUR on the spend line) for 0.0125 ETH received, one refid."""
    spend = {"refid": "FTQCAB-K2X3Y-4HZ5WQ", "time": MARCH_1, "type": "spend", "subtype": "", "aclass": "currency",
             "asset": "ZEUR", "amount": "-25.0000", "fee": "0.3700", "balance": "74.6300"}  # fmt: skip
    receive = {**spend, "type": "receive", "asset": "XETH", "amount": "0.0125000000", "fee": "0.0000000000",
               "balance": "0.0125000000"}  # fmt: skip
    reader = KrakenRows(Codes())
    records = [reader.ledger("LSPEND-AAAAA-000001", spend), reader.ledger("LRECV-BBBBB-000002", receive)]
    return [record for record in records if record is not None]


def coinbase_leg(ident: str, amount: str, currency: str, second: int = 0) -> NormalizedRecord:
    row = {"id": ident, "type": "trade", "status": "completed", "amount": {"amount": amount, "currency": currency},
           "created_at": f"2024-03-02T10:00:0{second}Z", "trade": {"id": "cv-7f3a"}}  # fmt: skip
    record, _ = CoinbaseRows(Codes()).transaction(row)
    assert record is not None
    return record


def coinbase_convert() -> list[NormalizedRecord]:
    """0.5 ETH converted to 1500 USDC: the ETH account's leg (debit) and the USDC account's leg (credit), a second
    apart."""
    return [coinbase_leg("tx-eth", "-0.50000000", "ETH"), coinbase_leg("tx-usdc", "1500.000000", "USDC", second=1)]


def export(row_of: Callable[..., Written], records: list[tuple[NormalizedRecord, str]]) -> tuple[list[Any], RowsOf]:
    rows = RowsOf(row_of, pair_legs=True)
    stored = [(record, exchange, "Main") for record, exchange in records]
    return rows.lines(stored) + rows.finish(), rows


def both_converts() -> list[tuple[NormalizedRecord, str]]:
    return [(leg, "Kraken") for leg in kraken_buy_crypto()] + [(leg, "Coinbase") for leg in coinbase_convert()]


def test_koinly_writes_each_convert_as_one_trade_sending_the_coin_spent() -> None:
    lines, rows = export(koinly_rows, both_converts())
    assert lines == [
        # Kraken: sent 25 EUR (fee 0.37 EUR), received 0.0125 ETH; EUR prices ETH, so the pair is ETH/EUR.
        ["2024-03-01 00:00:00 UTC", "25.0000", "EUR", "0.0125000000", "ETH", "0.3700", "EUR", "", "", "",
         "Kraken Main: trade ETH/EUR #FTQCAB-K2X3Y-4HZ5WQ", ""],
        # Coinbase: sent 0.5 ETH, received 1500 USDC, at the later leg's time.
        ["2024-03-02 10:00:01 UTC", "0.50000000", "ETH", "1500.000000", "USDC", "", "", "", "", "",
         "Coinbase Main: trade ETH/USDC #cv-7f3a", ""],
    ]  # fmt: skip
    assert (rows.paired, dict(rows.skipped)) == (4, {})


def test_cryptact_writes_a_buy_for_crypto_bought_and_a_sell_for_crypto_converted_away() -> None:
    lines, rows = export(cryptact_rows, both_converts())
    assert lines == [
        # 0.0125 ETH bought for 25 EUR: Price 25 / 0.0125 = 2000 EUR, the fee 0.37 EUR.
        ["2024/03/01 00:00:00", "BUY", "Kraken", "ETH", "0.0125000000", "2000", "EUR", "0.3700", "EUR",
         "Kraken Main: trade ETH/EUR #FTQCAB-K2X3Y-4HZ5WQ"],
        # 0.5 ETH sold for 1500 USDC: Price 3000 USDC, no fee.
        ["2024/03/02 10:00:01", "SELL", "Coinbase", "ETH", "0.50000000", "3000", "USDC", "0", "USDC",
         "Coinbase Main: trade ETH/USDC #cv-7f3a"],
    ]  # fmt: skip
    assert (rows.paired, dict(rows.skipped)) == (4, {})


def test_a_convert_leg_whose_partner_is_missing_is_a_sale_or_a_purchase_at_market() -> None:
    spent = coinbase_leg("tx-eth", "-0.00012345", "ETH")
    received = kraken_buy_crypto()[1]  # the receive line alone: its spend line is not stored
    records = [(received, "Kraken"), (spent, "Coinbase")]
    koinly, koinly_count = export(koinly_rows, records)
    assert koinly == [
        ["2024-03-01 00:00:00 UTC", "", "", "0.0125000000", "ETH", "", "", "", "", "",
         "Kraken Main: convert receive #FTQCAB-K2X3Y-4HZ5WQ", ""],
        # The ETH spent is sent, not received.
        ["2024-03-02 10:00:00 UTC", "0.00012345", "ETH", "", "", "", "", "", "", "",
         "Coinbase Main: convert trade #cv-7f3a", ""],
    ]  # fmt: skip
    cryptact, cryptact_count = export(cryptact_rows, records)
    assert cryptact == [
        ["2024/03/01 00:00:00", "BUY", "Kraken", "ETH", "0.0125000000", "", "JPY", "0", "JPY",
         "Kraken Main: convert receive #FTQCAB-K2X3Y-4HZ5WQ"],
        ["2024/03/02 10:00:00", "SELL", "Coinbase", "ETH", "0.00012345", "", "JPY", "0", "JPY",
         "Coinbase Main: convert trade #cv-7f3a"],
    ]  # fmt: skip
    assert koinly_count.paired == cryptact_count.paired == 0


def test_legs_of_two_converts_at_one_moment_pair_by_their_own_id() -> None:
    """Two Coinbase converts in the same second: each leg pairs with the leg of its own convert (trade.id)."""
    first = coinbase_convert()
    other = [
        replace(leg, exchange_tx_id="cv-other", natural_key=f"{leg.natural_key}-b", amount=leg.amount * 2)
        for leg in first
    ]
    lines, rows = export(koinly_rows, [(first[0], "Coinbase"), (other[0], "Coinbase"), (other[1], "Coinbase"),
                                       (first[1], "Coinbase")])  # fmt: skip
    assert [[*line[1:5], line[10]] for line in lines] == [
        ["1.00000000", "ETH", "3000.000000", "USDC", "Coinbase Main: trade ETH/USDC #cv-other"],
        ["0.50000000", "ETH", "1500.000000", "USDC", "Coinbase Main: trade ETH/USDC #cv-7f3a"],
    ]
    assert rows.paired == 4


def test_the_tallybot_csv_keeps_each_leg_with_the_side_it_went() -> None:
    rows = RowsOf(lambda tx, exchange, account: tallybot_rows(tx, exchange, account, "api"), pair_legs=False)
    lines = rows.lines([(leg, "Kraken", "Main") for leg in kraken_buy_crypto()]) + rows.finish()
    assert [line[:16] for line in lines] == [
        ["2024-03-01T00:00:00Z", "convert", "out", "EUR", "25.0000", "", "", "", "EUR", "0.3700", "",
         "FTQCAB-K2X3Y-4HZ5WQ", "convert:LSPEND-AAAAA-000001", "Kraken", "Main", "api"],
        ["2024-03-01T00:00:00Z", "convert", "in", "ETH", "0.0125000000", "", "", "", "", "", "",
         "FTQCAB-K2X3Y-4HZ5WQ", "convert:LRECV-BBBBB-000002", "Kraken", "Main", "api"],
    ]  # fmt: skip
    assert rows.paired == 0


def test_an_uploaded_coinbase_convert_pairs_by_its_row_time() -> None:
    """The transaction history report's Convert row is two legs with no exchange id (connectors/files/coinbase.py);
    an upload keys each by its content, and the two legs of the one row share its time."""
    header = ["ID", "Timestamp", "Transaction Type", "Asset", "Quantity Transacted", "Price Currency",
              "Price at Transaction", "Subtotal", "Total (inclusive of fees and/or spread)", "Fees and/or Spread",
              "Notes"]  # fmt: skip
    row = ["65f1a", "2024-03-02 10:00:00 UTC", "Convert", "ETH", "-0.5", "USD", "3000", "1500", "1500", "0",
           "Converted 0.5 ETH to 1,500 USDC"]  # fmt: skip
    parsed = parse("coinbase.csv", csv_bytes([header, row]), exchange_id="coinbase")
    legs = [replace(p.record, natural_key=content_key(p.record, 0)) for p in parsed.records]
    lines, rows = export(koinly_rows, [(leg, "Coinbase") for leg in legs])
    assert [line[:5] for line in lines] == [["2024-03-02 10:00:00 UTC", "0.5", "ETH", "1500", "USDC"]]
    assert rows.paired == 2


def test_a_debited_asset_dividend_is_a_deduction_not_income() -> None:
    """Binance's Asset Dividend Record: `direction` -1 is "Asset debited (outflow)", stored negative with side out
    (connectors/fetchers/binance/wallet.py). Koinly: a Sent row labelled cost; Cryptact: SENDFEE, never BONUS."""
    debit = NormalizedRecord(
        kind=RecordKind.REWARD,
        occurred_at=datetime(2024, 3, 3, tzinfo=UTC),
        natural_key="reward:88",
        asset="BNB",
        amount=Decimal("-0.1"),
        exchange_tx_id="88",
        side="out",
        raw={"id": "88", "amount": "0.1", "asset": "BNB", "direction": -1, "enInfo": "BNB Vault"},
    )
    assert koinly_rows(debit, "Binance", "Main").rows == (
        ["2024-03-03 00:00:00 UTC", "0.1", "BNB", "", "", "", "", "", "", "cost", "Binance Main: reward BNB Vault #88",
         ""],
    )  # fmt: skip
    assert cryptact_rows(debit, "Binance", "Main").rows == (
        ["2024/03/03 00:00:00", "SENDFEE", "Binance", "BNB", "0.1", "", "JPY", "0", "JPY",
         "Binance Main: reward BNB Vault #88"],
    )  # fmt: skip
