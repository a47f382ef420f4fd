"""What every export writer shares: the record it reads, the rows it returns, and the cells of descriptions."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC
from decimal import Decimal, localcontext
from typing import Any, Protocol

from connectors.files import tallybot
from connectors.records import direction_of

TX_HASH_FIELDS = ("txId", "txID", "TXID", "txHash", "tx_hash", "hash")


class Exportable(tallybot.TransactionLike, Protocol):
    @property
    def raw(self) -> Mapping[str, Any] | None: ...


@dataclass(frozen=True, slots=True)
class Written:
    """The rows a record became in one format, or why it has none there; a derivatives fill has both: its fee's rows,
    and why the fill itself is not a trade in the file (the note after the file counts it)."""

    rows: tuple[list[str], ...] = ()
    skipped: str | None = None


def amount_text(value: Decimal) -> str:
    return format(value, "f")


def utc_text(tx: tallybot.TransactionLike, pattern: str) -> str:
    return tx.occurred_at.astimezone(UTC).strftime(pattern)


def description(tx: Exportable, exchange: str, account: str) -> str:
    parts = [f"{exchange} {account}".strip() + ":", str(tx.kind)]
    if tx.market:
        parts.append(tx.market)
    if tx.side and str(tx.kind) in ("ledger", "funding", "transfer"):
        parts.append(tx.side)
    ledger_type = type_text(tx)
    if ledger_type and ledger_type != tx.side:
        parts.append(ledger_type)
    if tx.exchange_tx_id:
        parts.append(f"#{tx.exchange_tx_id}")
    return " ".join(parts)


# Where fetchers keep the exchange's own name for a ledger line's type (Bitget's tax lists, Bitget UTA's tax records,
# OKX bills, Binance asset dividends); ccxt's unified ledger type is in `side`.
TYPE_FIELDS = ("spotTaxType", "marginTaxType", "futureTaxType", "p2pTaxType", "type", "enInfo", "subType")


def type_text(tx: Exportable) -> str:
    raw = tx.raw or {}
    return next((str(raw[name]) for name in TYPE_FIELDS if raw.get(name) not in (None, "")), "")


def tx_hash(tx: Exportable) -> str:
    raw = tx.raw or {}
    return next((str(raw[name]) for name in TX_HASH_FIELDS if raw.get(name)), "")


def is_one_leg(tx: tallybot.TransactionLike) -> bool:
    """A convert record of one coin only: Bitget's exchange legs inside a futures or unified account ("Exchange
    buy/sell (multi-assets mode)", "Redeem"), whose page links no leg to its other; Kraken's Buy Crypto spend and
    receive lines and Coinbase's convert legs (one per account), linked by the id they share (`exchange_tx_id`)."""
    return str(tx.kind) == "convert" and tx.quote_asset is None and tx.quote_amount is None


def is_flow_leg(tx: tallybot.TransactionLike) -> bool:
    """A one-coin convert stored with its direction (in/out): the exchange links its two legs by one id."""
    return is_one_leg(tx) and (tx.side or "").lower() in ("in", "out")


def signed_amount(tx: tallybot.TransactionLike) -> Decimal:
    """A trade leg's change of its coin: ledger legs are signed; a one-coin convert is stored positive with its side."""
    if is_one_leg(tx):
        return -abs(tx.amount) if direction_of(tx.side) == -1 else abs(tx.amount)
    return tx.amount


def quote_of(tx: tallybot.TransactionLike) -> Decimal | None:
    if tx.quote_amount is not None:
        return tx.quote_amount
    if tx.price is not None:
        return tx.amount * tx.price
    return None


def price_of(tx: tallybot.TransactionLike) -> Decimal | None:
    if tx.price is not None:
        return tx.price
    if tx.quote_amount is None or not tx.amount:
        return None
    with localcontext() as context:
        context.prec = 50
        return round(tx.quote_amount / tx.amount, 20).normalize()
