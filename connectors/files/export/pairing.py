"""The two ledger legs of one trade as one trade record, at export time.

Bitget's tax lists report a spot trade as two balance changes: the coin bought (+) and the coin paid (−), each its
own line with its own id, sharing `bizOrderId` (common/tax/Get-Spot-Account-Record); a UTA tax record has no
`bizOrderId`, and its legs (`ORDER_DEALT_IN`, `ORDER_DEALT_FROZEN_OUT`) share the time. Storage keeps the lines
as the exchange reported them (their ids are what a later sync and an upload match on, and /status sums them
exactly); a tax tool needs one trade, so the export pairs them here. Bitget's exchange legs in a futures or unified
account (one CONVERT record per coin, `common.is_one_leg`) are paired the same way, by their shared time; the
spend and receive lines of Kraken's Buy Crypto and Coinbase's two convert legs (one CONVERT per coin, side in or
out) by the id both carry (`refid`, `trade.id`, stored as `exchange_tx_id`). Records
stream oldest first: a leg waits until its partner arrives or until records `PAIRING_WINDOW` newer have been seen,
and is then written on its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from connectors.files.export.common import Exportable, is_flow_leg, is_one_leg, signed_amount
from connectors.files.export.meaning import Meaning, meaning_of
from connectors.records import RecordKind, Side

PAIRING_WINDOW = timedelta(minutes=1)
# The coin that prices the other when a pair is formed (a trade's counter currency), most likely first.
QUOTE_PREFERENCE = ("USDT", "USDC", "FDUSD", "USD", "EUR", "TRY", "BRL", "JPY", "GBP", "DAI", "BTC", "ETH", "BNB")


@dataclass(frozen=True, slots=True)
class PairedTrade:
    """One trade made of two ledger legs: `legs` keeps both for the Tallybot CSV's raw and for counting."""

    kind: str
    occurred_at: datetime
    natural_key: str
    exchange_tx_id: str | None
    market: str | None
    side: str | None
    asset: str
    amount: Decimal
    quote_asset: str | None
    quote_amount: Decimal | None
    price: Decimal | None
    fee_asset: str | None
    fee_amount: Decimal | None
    legs: tuple[Exportable, ...] = ()
    extra_fee: tuple[Decimal, str] | None = None  # the second leg's fee (amount, coin) when both legs paid one
    raw: Mapping[str, Any] | None = field(default=None)


def pair_key(tx: Exportable) -> tuple[str, ...] | None:
    """What the two legs of one trade share; None for a record that is not a trade leg."""
    if str(tx.kind) not in ("ledger", "convert") or meaning_of(tx) is not Meaning.TRADE_LEG:
        return None
    raw = tx.raw or {}
    order = raw.get("bizOrderId")
    stream = tx.natural_key.rsplit(":", 1)[0]  # "ledger:spot", "ledger:uta:SPOT", "convert:bill": legs of one list
    if is_flow_leg(tx) and tx.exchange_tx_id:  # Kraken's refid, Coinbase's trade id: both legs carry it
        return ("convert", "order", tx.exchange_tx_id)
    if is_one_leg(tx):  # Bitget's exchange legs: nothing but the time links them
        return (stream, "time", tx.occurred_at.isoformat())
    if order not in (None, ""):
        return (stream, "order", str(order))
    if "type" in raw:  # a UTA tax record: the legs share the time
        return (stream, "time", tx.occurred_at.isoformat())
    return None


def _pair(first: Exportable, second: Exportable) -> PairedTrade | None:
    legs = sorted((first, second), key=signed_amount)  # paid (−) first, bought (+) second
    paid, bought = legs
    if signed_amount(paid) >= 0 or signed_amount(bought) <= 0 or paid.asset == bought.asset:
        return None
    quote_is_paid = _quote_rank(paid.asset) <= _quote_rank(bought.asset)
    base, quote = (bought, paid) if quote_is_paid else (paid, bought)
    fees = [(leg.fee_amount, leg.fee_asset) for leg in (base, quote) if leg.fee_asset and leg.fee_amount]
    fee = fees[0] if fees else None
    return PairedTrade(
        kind=RecordKind.TRADE,
        occurred_at=max(first.occurred_at, second.occurred_at),
        natural_key=f"{first.natural_key}+{second.natural_key}",
        exchange_tx_id=str((first.raw or {}).get("bizOrderId") or "") or first.exchange_tx_id,
        market=f"{base.asset}/{quote.asset}",
        side=Side.BUY if base is bought else Side.SELL,
        asset=base.asset,
        amount=abs(base.amount),
        quote_asset=quote.asset,
        quote_amount=abs(quote.amount),
        price=None,
        fee_asset=fee[1] if fee else None,
        fee_amount=fee[0] if fee else None,
        legs=(first, second),
        extra_fee=fees[1] if len(fees) > 1 else None,
        raw={"legs": [dict(leg.raw or {}) for leg in (first, second)]},
    )


def _quote_rank(asset: str) -> int:
    return QUOTE_PREFERENCE.index(asset) if asset in QUOTE_PREFERENCE else len(QUOTE_PREFERENCE)


@dataclass
class LegPairer:
    """Feed records oldest first (`feed`), then `finish`: yields each record or the trade its legs make."""

    waiting: dict[tuple[str, ...], list[Exportable]] = field(default_factory=dict)

    def feed(self, records: Iterable[Exportable]) -> Iterator[Exportable | PairedTrade]:
        for tx in records:
            yield from self._expired(tx.occurred_at)
            key = pair_key(tx)
            if key is None:
                yield tx
                continue
            legs = self.waiting.setdefault(key, [])
            partner = next((leg for leg in legs if (signed_amount(leg) > 0) != (signed_amount(tx) > 0)), None)
            paired = _pair(partner, tx) if partner is not None else None
            if paired is None:
                legs.append(tx)
                continue
            legs.remove(partner)  # type: ignore[arg-type]
            if not legs:
                del self.waiting[key]
            yield paired

    def finish(self) -> Iterator[Exportable]:
        yield from self._expired(None)

    def _expired(self, now: datetime | None) -> Iterator[Exportable]:
        for key in list(self.waiting):
            legs = self.waiting[key]
            if now is None or all(now - leg.occurred_at > PAIRING_WINDOW for leg in legs):
                del self.waiting[key]
                yield from legs
