"""Rows of the export formats, and the balance effect every format must reconcile with.

Tallybot CSV   every field of every record (connectors/files/tallybot.py), one row per record.
Koinly         the "universal" custom CSV (support.koinly.io, "How to create a custom CSV file with your data"):
               Date (UTC), Sent/Received Amount and Currency, Fee Amount and Currency, Net Worth (left blank:
               Koinly prices it), Label, Description, TxHash. One row per record; moves between the user's own
               accounts on one exchange (transfers) are left out: they change no balance Koinly tracks.
Cryptact       the custom file (support.cryptact.com, "Custom File for any other trades"): Timestamp, Action,
               Source, Base, Volume, Price, Counter, Fee, FeeCcy, Comment. Trades and converts are BUY/SELL,
               rewards BONUS, withdrawal fees SENDFEE; deposits, withdrawals and transfers themselves are left out
               (Cryptact asks for no transfers), as are ledger entries, which have no Cryptact action.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC
from decimal import Decimal, localcontext
from typing import Any, Protocol

from connectors.files import tallybot
from connectors.files.tallybot import formula_safe as text

KOINLY_COLUMNS: tuple[str, ...] = (
    "Date",
    "Sent Amount",
    "Sent Currency",
    "Received Amount",
    "Received Currency",
    "Fee Amount",
    "Fee Currency",
    "Net Worth Amount",
    "Net Worth Currency",
    "Label",
    "Description",
    "TxHash",
)
CRYPTACT_COLUMNS: tuple[str, ...] = (
    "Timestamp",
    "Action",
    "Source",
    "Base",
    "Volume",
    "Price",
    "Counter",
    "Fee",
    "FeeCcy",
    "Comment",
)
CRYPTACT_FIAT = "JPY"  # Counter and FeeCcy of rows without a counter currency, as in Cryptact's examples
PAIRED = frozenset({"trade", "convert"})
TX_HASH_FIELDS = ("txId", "txID", "TXID", "txHash", "tx_hash", "hash")
TRANSFER_SKIP = "transfers between your own accounts on the exchange"


class Exportable(tallybot.TransactionLike, Protocol):
    @property
    def raw(self) -> Mapping[str, Any] | None: ...


@dataclass(frozen=True, slots=True)
class Flow:
    """What a record did to one asset's balance: bought, sold, deposited, paid as a fee (negative)…"""

    asset: str
    change: Decimal


@dataclass(frozen=True, slots=True)
class Written:
    """The rows a record became in one format, or why it has none there."""

    rows: tuple[list[str], ...] = ()
    skipped: str | None = None


def quote_of(tx: tallybot.TransactionLike) -> Decimal | None:
    if tx.quote_amount is not None:
        return tx.quote_amount
    if tx.price is not None:
        return tx.amount * tx.price
    return None


def flows(tx: tallybot.TransactionLike) -> list[Flow]:
    """The balance effect of a record, per asset. Exports reconcile with these; /status totals are their sum."""
    kind = str(tx.kind)
    result: list[Flow] = []
    if kind in PAIRED:
        quote = quote_of(tx)
        sign = {"buy": 1, "sell": -1}.get((tx.side or "").lower())
        if sign is not None:
            result.append(Flow(tx.asset, sign * tx.amount))
            if quote is not None and tx.quote_asset:
                result.append(Flow(tx.quote_asset, -sign * quote))
    elif kind in ("deposit", "reward"):
        result.append(Flow(tx.asset, tx.amount))
    elif kind == "withdrawal":
        result.append(Flow(tx.asset, -tx.amount))
    elif kind in ("ledger", "funding"):
        result.append(Flow(tx.asset, tx.amount))
    if tx.fee_asset and tx.fee_amount:
        result.append(Flow(tx.fee_asset, -tx.fee_amount))
    return result


def tallybot_rows(tx: Exportable, exchange: str, account: str, source: str) -> Written:
    return Written((tallybot.cells(tx, tx.raw, exchange=exchange, account=account, source=source),))


def _amount(value: Decimal) -> str:
    return format(value, "f")


def _description(tx: tallybot.TransactionLike, exchange: str, account: str) -> str:
    parts = [f"{exchange} {account}".strip() + ":", str(tx.kind)]
    if tx.market:
        parts.append(tx.market)
    if tx.side and str(tx.kind) in ("ledger", "funding", "transfer"):
        parts.append(tx.side)
    if tx.exchange_tx_id:
        parts.append(f"#{tx.exchange_tx_id}")
    return " ".join(parts)


def _tx_hash(tx: Exportable) -> str:
    raw = tx.raw or {}
    return next((str(raw[name]) for name in TX_HASH_FIELDS if raw.get(name)), "")


def koinly_rows(tx: Exportable, exchange: str, account: str) -> Written:
    kind = str(tx.kind)
    sent: tuple[Decimal, str] | None = None
    received: tuple[Decimal, str] | None = None
    label = ""
    if kind in PAIRED:
        quote = quote_of(tx)
        side = (tx.side or "").lower()
        if quote is None or not tx.quote_asset or side not in ("buy", "sell"):
            return Written(skipped="trades without a side or a quote amount")
        if side == "buy":
            received, sent = (tx.amount, tx.asset), (quote, tx.quote_asset)
        else:
            sent, received = (tx.amount, tx.asset), (quote, tx.quote_asset)
    elif kind == "deposit":
        received = (tx.amount, tx.asset)
    elif kind == "reward":
        received, label = (tx.amount, tx.asset), "reward"
    elif kind == "withdrawal":
        sent = (tx.amount, tx.asset)
    elif kind in ("ledger", "funding"):
        if tx.amount >= 0:
            received = (tx.amount, tx.asset)
        else:
            sent = (-tx.amount, tx.asset)
    else:
        return Written(skipped=TRANSFER_SKIP)
    fee: tuple[Decimal, str] | None = None
    if tx.fee_asset and tx.fee_amount:
        if tx.fee_amount > 0:
            fee = (tx.fee_amount, tx.fee_asset)
        elif received is not None and received[1] == tx.fee_asset:  # a maker rebate: more received
            received = (received[0] - tx.fee_amount, received[1])
        elif sent is not None and sent[1] == tx.fee_asset:
            sent = (sent[0] + tx.fee_amount, sent[1])
        else:
            fee = (tx.fee_amount, tx.fee_asset)  # a rebate in a third coin: Koinly will ask about it
    row = [  # text cells through `text` (formula_safe); amounts are numbers and stay as they are
        f"{tx.occurred_at.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC",
        _amount(sent[0]) if sent else "",
        text(sent[1]) if sent else "",
        _amount(received[0]) if received else "",
        text(received[1]) if received else "",
        _amount(fee[0]) if fee else "",
        text(fee[1]) if fee else "",
        "",
        "",
        label,
        text(_description(tx, exchange, account)),
        text(_tx_hash(tx)) if kind in ("deposit", "withdrawal") else "",
    ]
    return Written((row,))


def _price(tx: tallybot.TransactionLike) -> Decimal | None:
    if tx.price is not None:
        return tx.price
    if tx.quote_amount is None or not tx.amount:
        return None
    with localcontext() as context:
        context.prec = 50
        return round(tx.quote_amount / tx.amount, 20).normalize()


def cryptact_rows(tx: Exportable, exchange: str, account: str) -> Written:
    kind = str(tx.kind)
    stamp = f"{tx.occurred_at.astimezone(UTC):%Y/%m/%d %H:%M:%S}"
    comment = _description(tx, exchange, account)
    exchange, asset, quote = text(exchange), text(tx.asset), text(tx.quote_asset or "")  # amounts stay numbers
    if kind in PAIRED:
        side = (tx.side or "").lower()
        price = _price(tx)
        if side not in ("buy", "sell") or price is None or not tx.quote_asset:
            return Written(skipped="trades without a side or a price")
        fee = tx.fee_amount if tx.fee_asset and tx.fee_amount and tx.fee_amount > 0 else Decimal(0)
        if tx.fee_amount is not None and tx.fee_amount < 0:
            comment += f" (maker rebate {_amount(-tx.fee_amount)} {tx.fee_asset})"
        row = [
            stamp,
            side.upper(),
            exchange,
            asset,
            _amount(tx.amount),
            _amount(price),
            quote,
            _amount(fee),
            text((tx.fee_asset if fee else None) or tx.quote_asset),
            text(comment),
        ]
        return Written((row,))
    if kind == "reward":
        # No price: Cryptact values the coin at its market price at that time.
        return Written(([stamp, "BONUS", exchange, asset, _amount(tx.amount), "", CRYPTACT_FIAT, "0", CRYPTACT_FIAT,
                         text(comment)],))  # fmt: skip
    if kind == "withdrawal":
        if tx.fee_asset and tx.fee_amount and tx.fee_amount > 0:
            return Written(([stamp, "SENDFEE", exchange, text(tx.fee_asset), _amount(tx.fee_amount), "", CRYPTACT_FIAT,
                             "0", CRYPTACT_FIAT, text(comment)],))  # fmt: skip
        return Written(skipped="withdrawals without a fee (Cryptact needs no transfers)")
    if kind == "deposit":
        return Written(skipped="deposits (Cryptact needs no transfers)")
    if kind == "transfer":
        return Written(skipped=TRANSFER_SKIP)
    return Written(skipped="ledger entries (no Cryptact action fits them; see the Tallybot CSV)")
