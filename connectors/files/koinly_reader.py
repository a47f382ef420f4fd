"""Koinly's universal CSV read back: Tallybot's own Koinly export (connectors/files/export/koinly.py) or a file
written by hand in Koinly's template, so `/upload` takes it like an exchange's export.

Columns and labels from Koinly's "How to create a custom CSV file with your data" (support.koinly.io/en/articles/
9489976) and "What are labels" (help.koinly.io/en/articles/3663453). A row with both sides is a trade; the
Description's market (`ETH/USDT`, as the export writes it) says which side is the base, else the coin received is.
One side only: no label is a deposit or withdrawal; an income label (reward, airdrop, lending interest…) a reward;
a label for a profit, loss or cost (realized gain, margin fee, cost…) a signed ledger entry. Koinly has no column
for the price, the record kind convert, or the exchange's id, so a read-back trade has none of them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import replace
from decimal import Decimal
from typing import Any

from connectors.files import tallybot
from connectors.files.errors import RowError
from connectors.files.formats import Context, Outcome, ParsedRecord, Table, raw_row, rows_of
from connectors.files.values import optional_number, parse_time
from connectors.records import NormalizedRecord, RecordKind
from i18n import Text, join, msgid

KOINLY_COLUMNS = (
    "date", "sent amount", "sent currency", "received amount", "received currency", "fee amount", "fee currency",
    "label", "description", "txhash",
)  # fmt: skip
DATE, SENT_AMOUNT, SENT_CURRENCY, RECEIVED_AMOUNT, RECEIVED_CURRENCY, FEE_AMOUNT, FEE_CURRENCY, LABEL, DESCRIPTION, \
    TX_HASH = KOINLY_COLUMNS  # fmt: skip
INCOME_WORDS = frozenset({"reward", "airdrop", "lending interest", "income", "staking", "mining", "fork", "cashback"})
LEDGER_WORDS = frozenset({"realized gain", "margin fee", "cost", "loan fee", "fee"})
# Loan tags ("What are tags", support.koinly.io/en/articles/9490023): the loan received, its repayment sent.
LOAN_WORDS = {"loan": RecordKind.BORROW, "margin loan": RecordKind.BORROW, "loan repayment": RecordKind.REPAY,
              "margin repayment": RecordKind.REPAY}  # fmt: skip
SIDE_WORDS = ("buy", "sell")
MARKET = re.compile(r"\b([A-Za-z0-9]+)/([A-Za-z0-9]+)\b")


def _read(table: Table, context: Context) -> Iterator[Outcome]:
    def read(line: int, row: Sequence[str]) -> Outcome | None:
        when, precision = parse_time(table.cell(row, DATE), DATE, context.zone)
        sent = _side(table, row, (SENT_AMOUNT, SENT_CURRENCY), context)
        received = _side(table, row, (RECEIVED_AMOUNT, RECEIVED_CURRENCY), context)
        fee_amount = optional_number(table.cell(row, FEE_AMOUNT), FEE_AMOUNT)
        fee_asset = context.code(table.cell(row, FEE_CURRENCY)) if fee_amount else None
        label = table.cell(row, LABEL).lower()
        raw = raw_row(table, row, "koinly")
        if table.cell(row, TX_HASH):
            raw["txId"] = table.cell(row, TX_HASH)  # where the export looks for a hash (export/common.py)
        fields: dict[str, Any] = {
            "occurred_at": when, "natural_key": "", "fee_asset": fee_asset, "fee_amount": fee_amount or None, "raw": raw
        }  # fmt: skip
        if sent and received:
            base = MARKET.search(table.cell(row, DESCRIPTION))
            selling = base is not None and context.code(base.group(1)) == sent[1]
            (amount, asset), (quote, quote_asset) = (sent, received) if selling else (received, sent)
            record = NormalizedRecord(
                kind=RecordKind.TRADE, asset=asset, amount=amount, side=SIDE_WORDS[selling],
                market=f"{asset}/{quote_asset}", quote_asset=quote_asset, quote_amount=quote, **fields,
            )  # fmt: skip
            return ParsedRecord(record, line, keyed=False, precision=precision)
        moved = received or sent
        if moved is None:
            raise RowError(RECEIVED_AMOUNT, Text.of("file.koinly.no_amount"))
        if label and label not in INCOME_WORDS | LEDGER_WORDS | LOAN_WORDS.keys():
            known = join(sorted(INCOME_WORDS | LEDGER_WORDS | LOAN_WORDS.keys()), style="or")
            raise RowError(LABEL, Text.of("file.koinly.unknown_label", label=table.cell(row, LABEL), known=known))
        if not label:
            kind = RecordKind.DEPOSIT if received else RecordKind.WITHDRAWAL
            record = NormalizedRecord(kind=kind, asset=moved[1], amount=moved[0], **fields)
        elif label in LOAN_WORDS:
            record = NormalizedRecord(kind=LOAN_WORDS[label], asset=moved[1], amount=moved[0], **fields)
        elif label in INCOME_WORDS and received:
            raw.update(type=label)  # the exchange-type field the export reads its meaning from (export/meaning.py)
            record = NormalizedRecord(kind=RecordKind.REWARD, asset=moved[1], amount=moved[0], **fields)
        else:
            raw.update(type=label)
            signed = moved[0] if received else -moved[0]
            record = NormalizedRecord(kind=RecordKind.LEDGER, asset=moved[1], amount=signed, **fields)
        return ParsedRecord(record, line, keyed=False, precision=precision)

    return rows_of(table, read)


def _side(table: Table, row: Sequence[str], columns: tuple[str, str], context: Context) -> tuple[Decimal, str] | None:
    amount_column, currency_column = columns
    amount = optional_number(table.cell(row, amount_column), amount_column)
    if not amount:
        return None
    currency = table.cell(row, currency_column)
    if not currency:
        raise RowError(currency_column, Text.of("file.row.empty_coin"))
    return abs(amount), context.code(currency)


# Like Tallybot's own CSV, a Koinly file holds any exchange's records (no exchange) and its times are UTC; the
# layout's sources are in the module's docstring and docs/FILE-FORMATS.md.
FORMAT = replace(
    tallybot.FORMAT, name="koinly", title=msgid("file.format.koinly"), columns=KOINLY_COLUMNS[:5], reader=_read,
    time_column=DATE, source="",
)  # fmt: skip
