"""Normalized records: what every fetcher and file parser yields, and what storage keeps."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any


class RecordKind(StrEnum):
    """What a record is; bot/reconcile/ledger.py says what each kind does to the account's balances.

    Amounts are positive except where a kind says "signed".
    """

    TRADE = "trade"  # spot or margin: the base moves by `side`, the quote the other way
    DEPOSIT = "deposit"
    WITHDRAWAL = "withdrawal"
    CONVERT = "convert"
    TRANSFER = "transfer"  # between the account's own wallets (spot, funding, futures, margin, earn)
    REWARD = "reward"
    FUNDING = "funding"  # a perpetual's funding payment: signed, received (+) or paid (-)
    LEDGER = "ledger"
    # A derivatives fill (futures, perpetual, option): `market` is ccxt's symbol with the settle asset
    # ("BTC/USDT:USDT"), `asset`/`amount` the base and quantity, `quote_asset`/`quote_amount` the settle asset
    # and notional. It moves no balance itself: only its fee is paid; its profit or loss is a REALIZED_PNL record.
    FUTURES_TRADE = "futures_trade"
    REALIZED_PNL = "realized_pnl"  # signed, in the settle asset
    INTEREST = "interest"  # margin or loan interest charged: signed, negative when paid
    BORROW = "borrow"  # a margin loan taken (positive)
    REPAY = "repay"  # a margin loan's principal paid back (positive)
    # A fee on its own: a fill's fee in a further coin, which the fill's record (one fee) cannot hold, such as Gate's
    # GT deduction beside a quote fee or Bitget's BGB part of a split fee. Signed as the balance changed: negative
    # when charged, positive for a rebate paid in. `exchange_tx_id` and `market` are the fill's.
    FEE = "fee"


class Side(StrEnum):
    """A trade's or convert's direction as records store it: the record's asset is bought or sold."""

    BUY = "buy"
    SELL = "sell"


class Flow(StrEnum):
    """A transfer's direction as records store it (`side`), and a signed entry's where an exchange gives it one: into
    or out of the wallet its list (or uploaded file) is read from."""

    IN = "in"
    OUT = "out"


# The sides of a trade or convert record whose asset leaves the account: a sale, Bitget's exchange legs ("sell"), and
# Kraken's Buy Crypto spend line and Coinbase's convert leg debited from its account ("out").
OUTGOING_LEG_SIDES = frozenset({Side.SELL, Flow.OUT})
# The sides whose asset arrives: a purchase, and a convert leg credited ("in").
INCOMING_LEG_SIDES = frozenset({Side.BUY, Flow.IN})


def direction_of(side: str | None) -> int | None:
    """+1 when a trade or convert record's asset arrives, -1 when it leaves, None when its side says neither. The one
    rule the export totals (connectors/files/writers.flows), the export legs (export.common.signed_amount) and the
    balance check (bot/reconcile/ledger.py) sign with."""
    word = (side or "").lower()
    if word in OUTGOING_LEG_SIDES:
        return -1
    if word in INCOMING_LEG_SIDES:
        return 1
    return None


def natural_key(kind: RecordKind, exchange_id: str | None, *canonical: object) -> str:
    """The exchange's own id where it has one; else a hash of the canonical fields.

    The kind is part of the key because exchanges reuse id spaces across endpoints (a deposit and a trade
    may both be "12345").
    """
    if exchange_id:
        return f"{kind}:{exchange_id}"[:128]
    digest = hashlib.sha256("|".join(str(part) for part in canonical).encode()).hexdigest()
    return f"{kind}:h:{digest[:40]}"


def ms_to_utc(milliseconds: int | str) -> datetime:
    return datetime.fromtimestamp(int(milliseconds) / 1000, tz=UTC)


def exact(raw: object) -> Decimal:
    """An amount from the exchange's raw string; floats are refused because they already lost digits."""
    if isinstance(raw, float):
        raise TypeError("amounts must come from the exchange's raw strings, not floats")
    if isinstance(raw, Decimal):
        return raw
    return Decimal(str(raw))


@dataclass(frozen=True, slots=True)
class NormalizedRecord:
    kind: RecordKind
    occurred_at: datetime
    natural_key: str
    asset: str
    amount: Decimal
    exchange_tx_id: str | None = None
    market: str | None = None
    side: str | None = None
    quote_asset: str | None = None
    quote_amount: Decimal | None = None
    price: Decimal | None = None
    fee_asset: str | None = None
    fee_amount: Decimal | None = None
    raw: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.occurred_at.tzinfo is None or self.occurred_at.utcoffset() != UTC.utcoffset(None):
            raise ValueError("occurred_at must be timezone-aware UTC")
        for name in ("amount", "quote_amount", "price", "fee_amount"):
            if not isinstance(getattr(self, name), Decimal | None):
                raise TypeError(f"{name} must be a Decimal")

    def to_row(self, integration_id: int, source: str) -> dict[str, Any]:
        return {
            "integration_id": integration_id,
            "natural_key": self.natural_key,
            "kind": str(self.kind),
            "occurred_at": self.occurred_at,
            "exchange_tx_id": self.exchange_tx_id,
            "market": self.market,
            "side": self.side,
            "asset": self.asset,
            "amount": self.amount,
            "quote_asset": self.quote_asset,
            "quote_amount": self.quote_amount,
            "price": self.price,
            "fee_asset": self.fee_asset,
            "fee_amount": self.fee_amount,
            "source": source,
            "raw": dict(self.raw),
        }
