"""Rows of the export formats, and the balance effect every format must reconcile with.

Tallybot CSV   every field of every record (connectors/files/tallybot.py), one row per record.
Koinly         the "universal" custom CSV, every record labelled (connectors/files/export/koinly.py).
Cryptact       the custom file, every record with its action (connectors/files/export/cryptact.py).
What a record means for a tax tool: connectors/files/export/meaning.py; ledger legs paired into trades:
connectors/files/export/pairing.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from connectors.files import tallybot
from connectors.files.export.common import Exportable, Written, quote_of
from connectors.files.export.cryptact import CRYPTACT_COLUMNS, cryptact_rows
from connectors.files.export.koinly import KOINLY_COLUMNS, koinly_rows
from connectors.records import direction_of

__all__ = [
    "CRYPTACT_COLUMNS",
    "KOINLY_COLUMNS",
    "Exportable",
    "Flow",
    "Written",
    "cryptact_rows",
    "flows",
    "koinly_rows",
    "tallybot_rows",
]

PAIRED = frozenset({"trade", "convert"})
# Kinds whose amount carries its sign and counts as it is: ledger lines, funding, realized profit or loss, interest,
# a fee on its own.
SIGNED = frozenset({"ledger", "funding", "realized_pnl", "interest", "fee"})
# A margin loan and its repayment change no net holding (the coin arrives and is owed, bot/reconcile/ledger.py), so
# they count zero, fee field included; a derivatives fill moves nothing but its fee (it is not in PAIRED or SIGNED).
UNCHARGED = frozenset({"borrow", "repay"})


@dataclass(frozen=True, slots=True)
class Flow:
    """What a record did to one asset's balance: bought, sold, deposited, paid as a fee (negative)…"""

    asset: str
    change: Decimal


def flows(tx: tallybot.TransactionLike) -> list[Flow]:
    """The balance effect of a record, per asset. Exports reconcile with these; /status totals are their sum."""
    kind = str(tx.kind)
    result: list[Flow] = []
    if kind in PAIRED:
        quote = quote_of(tx)
        # Stored amounts of trades and converts are positive; the side says which way (a convert leg's in/out too).
        sign = direction_of(tx.side)
        if sign is not None:
            result.append(Flow(tx.asset, sign * abs(tx.amount)))
            if quote is not None and tx.quote_asset:
                result.append(Flow(tx.quote_asset, -sign * quote))
    elif kind in ("deposit", "reward"):
        result.append(Flow(tx.asset, tx.amount))
    elif kind == "withdrawal":
        result.append(Flow(tx.asset, -tx.amount))
    elif kind in SIGNED:
        result.append(Flow(tx.asset, tx.amount))
    if tx.fee_asset and tx.fee_amount and kind not in UNCHARGED:
        result.append(Flow(tx.fee_asset, -tx.fee_amount))
    return result


def tallybot_rows(tx: Exportable, exchange: str, account: str, source: str) -> Written:
    return Written((tallybot.cells(tx, tx.raw, exchange=exchange, account=account, source=source),))
