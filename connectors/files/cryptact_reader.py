"""Cryptact's custom file read back: Tallybot's own Cryptact export (connectors/files/export/cryptact.py) or a
file in Cryptact's documented layout, so `/upload` takes it like an exchange's export.

Columns and actions from "Custom File for any other trades" (support.cryptact.com/hc/en-us/articles/360002571312).
BUY or SELL with a Price is a trade of Volume Base at Price in Counter; without a Price (Cryptact looks it up) it is
a signed ledger entry, one side of a trade. BONUS, STAKING, LENDING, MINING are rewards; LOSS, SENDFEE, DEFIFEE,
PAY, REDUCE signed ledger entries (a decrease); BORROW and RETURN a margin loan and its repayment. A Fee of 0 is
no fee. Times are read as UTC, as Tallybot writes them.
Cryptact has no column for deposits, withdrawals or own transfers, so the file holds none.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import Any

from connectors.files import tallybot
from connectors.files.errors import RowError
from connectors.files.formats import Context, Outcome, ParsedRecord, Table, raw_row, rows_of
from connectors.files.values import number, optional_number, parse_time
from connectors.records import NormalizedRecord, RecordKind
from i18n import Text, join, msgid

CRYPTACT_COLUMNS = ("timestamp", "action", "source", "base", "volume", "price", "counter", "fee", "feeccy")
TIMESTAMP, ACTION, SOURCE, BASE, VOLUME, PRICE, COUNTER, FEE, FEE_CCY = CRYPTACT_COLUMNS
TYPE_WORDS = {"BUY": "trade", "SELL": "trade"}  # one side of a trade: the ledger type the export reads as a trade leg
TRADES = frozenset({"BUY", "SELL"})
INCOME = frozenset({"BONUS", "STAKING", "LENDING", "MINING"})
DECREASES = frozenset({"LOSS", "SENDFEE", "DEFIFEE", "PAY", "REDUCE"})
# A loan and its return (PNL calculation per transaction type, …/articles/12814753146777, rows 13 and 14).
LOANS = {"BORROW": RecordKind.BORROW, "RETURN": RecordKind.REPAY}


def _read(table: Table, context: Context) -> Iterator[Outcome]:
    def read(line: int, row: Sequence[str]) -> Outcome | None:
        when, precision = parse_time(table.cell(row, TIMESTAMP), TIMESTAMP, context.zone)
        action = table.cell(row, ACTION).upper()
        if action not in TRADES | INCOME | DECREASES | LOANS.keys():
            known = join(sorted(TRADES | INCOME | DECREASES | LOANS.keys()), style="or")
            raise RowError(ACTION, Text.of("file.cryptact.unknown_action", action=action, known=known))
        base = table.cell(row, BASE)
        if not base:
            raise RowError(BASE, Text.of("file.row.empty_coin"))
        asset = context.code(base)
        volume = abs(number(table.cell(row, VOLUME), VOLUME))
        price = optional_number(table.cell(row, PRICE), PRICE)
        fee = optional_number(table.cell(row, FEE), FEE)
        charged = bool(fee) and bool(table.cell(row, FEE_CCY))
        raw = raw_row(table, row, "cryptact")
        fields: dict[str, Any] = {"occurred_at": when, "natural_key": "", "asset": asset, "raw": raw,
                  "fee_asset": context.code(table.cell(row, FEE_CCY)) if charged else None,
                  "fee_amount": abs(fee) if charged and fee is not None else None}  # fmt: skip
        if action in TRADES and price is not None:
            quote = context.code(table.cell(row, COUNTER))
            if not quote:
                raise RowError(COUNTER, Text.of("file.row.empty_coin"))
            record = NormalizedRecord(
                kind=RecordKind.TRADE, amount=volume, side=action.lower(), market=f"{asset}/{quote}",
                quote_asset=quote, quote_amount=volume * price, price=price, **fields,
            )  # fmt: skip
        elif action in LOANS:
            record = NormalizedRecord(kind=LOANS[action], amount=volume, **fields)
        elif action in INCOME:
            raw.update(type=action.lower())  # the exchange-type field the export reads its meaning from
            record = NormalizedRecord(kind=RecordKind.REWARD, amount=volume, **fields)
        else:  # a decrease, or one side of a trade at Cryptact's price
            raw.update(type=TYPE_WORDS.get(action, action.lower()))
            signed = volume if action == "BUY" else -volume
            record = NormalizedRecord(kind=RecordKind.LEDGER, amount=signed, side=action.lower(), **fields)
        return ParsedRecord(record, line, keyed=False, precision=precision)

    return rows_of(table, read)


# Like Tallybot's own CSV, a Cryptact file holds any exchange's records (no exchange), and Tallybot writes its times
# in UTC; the layout's source is in the module's docstring and docs/FILE-FORMATS.md.
FORMAT = replace(
    tallybot.FORMAT, name="cryptact", title=msgid("file.format.cryptact"), columns=CRYPTACT_COLUMNS, reader=_read,
    time_column=TIMESTAMP, source="",
)  # fmt: skip
