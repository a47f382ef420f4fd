"""Coinbase's rows read as records: what a person reads off an Advanced Trade fill and a Coinbase App transaction.

Rules and sources: docs/exchange-apis/coinbase.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from connectors.records import Flow, NormalizedRecord, RecordKind, Side, exact, natural_key

# v2 transaction types, each read as the record a person would call it. `advanced_trade_fill` rows repeat the
# Advanced Trade fills (one row in the base account, one in the quote account) and are left to that endpoint.
DEPOSIT_TYPES = frozenset({"receive", "fiat_deposit", "intx_deposit"})
WITHDRAWAL_TYPES = frozenset({"fiat_withdrawal", "intx_withdrawal"})
REWARD_TYPES = frozenset({"staking_reward", "inflation_reward", "interest", "earn_payout", "incentives_rewards_payout"})
TRANSFER_TYPES = frozenset(
    {"transfer", "exchange_deposit", "exchange_withdrawal", "pro_deposit", "pro_withdrawal", "vault_withdrawal"}
)
TRADE_TYPES = frozenset({"buy", "sell"})
SKIPPED_TYPES = frozenset({"advanced_trade_fill"})
DERIVED = "tallybot_derived"  # a key Tallybot adds to `raw`: which record fields it computed, and how
BOOKED = frozenset({"completed"})  # the one final status that books the movement
# The v2 transaction statuses that are final and never book anything ("transaction resource": pending, completed,
# failed, expired, canceled, waiting_for_signature, waiting_for_clearing). Every other status (pending, a vault
# withdrawal waiting_for_signature or waiting_for_clearing, one Coinbase adds later) may still complete: it holds.
NEVER_BOOKED = frozenset({"failed", "expired", "canceled"})
# A fill's `trade_type`: FILL is a regular fill; REVERSAL, CORRECTION and SYNTHETIC are adjusted fills, whose
# meaning for the amounts (sign, which fill they adjust) the docs do not state.
REGULAR_FILL = "FILL"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)

Parsed = tuple[NormalizedRecord | None, int | None]  # (record if final, ms it holds the cursor at if not final)


def rfc3339_ms(text: str) -> int:
    """RFC 3339 with any offset ("2015-03-26T23:44:08-07:00", "2021-05-31T09:59:59.123Z") as UTC milliseconds,
    floored: a mark never lies after the moment it stands for, so an inclusive start from it cannot skip a row
    sequenced in the same millisecond (2023-01-18T01:37:38.0919Z is ...38.091, not .092)."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(f"time without an offset: {text!r}")
    return (moment - _EPOCH) // _MS


def adjusted_fill(row: Mapping[str, Any]) -> str | None:
    """The `trade_type` of an adjusted fill (REVERSAL, CORRECTION, SYNTHETIC), or None for a regular one (a row
    without the field is read as the regular fill it was before Coinbase added it)."""
    kind = row.get("trade_type")
    return None if kind in (None, "", REGULAR_FILL) else str(kind)


def _utc(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def _money(row: Mapping[str, Any], name: str) -> tuple[Decimal, str] | None:
    value = row.get(name)
    if not isinstance(value, Mapping) or value.get("amount") in (None, ""):
        return None
    return exact(value["amount"]), str(value.get("currency") or "")


class RowReader:
    """Turns Coinbase rows into records, with the client's currency codes and market symbols."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def code(self, currency: str) -> str:
        return str(self.client.safe_currency_code(currency))

    def fill(self, row: Mapping[str, Any]) -> NormalizedRecord:
        """A regular fill: `size` of the base at `price`; `commission` is in the quote currency. With
        `size_in_quote` the size is counted in the quote currency (an order placed by quote amount): the quote
        amount is `size` exactly, and the base is size / price, a quotient no field of the fill states, so the
        record says it is derived (`raw["tallybot_derived"]`)."""
        product = str(row["product_id"])
        base_id, _, quote_id = product.partition("-")
        market = self.client.safe_market(product, None, "-", "spot")
        base, quote = str(market.get("base") or self.code(base_id)), str(market.get("quote") or self.code(quote_id))
        price, size = exact(row["price"]), exact(row["size"])
        raw = dict(row)
        if row.get("size_in_quote") is True:
            amount, value = size / price, size
            raw[DERIVED] = {"amount": "size/price"}
        else:
            amount, value = size, size * price
        trade_id = str(row["trade_id"])
        commission = row.get("commission")
        return NormalizedRecord(
            kind=RecordKind.TRADE,
            occurred_at=_utc(rfc3339_ms(str(row["trade_time"]))),
            # `trade_id` is unique for regular fills only (adjusted fills repeat it); `entry_id` is the fill's own.
            natural_key=natural_key(RecordKind.TRADE, str(row.get("entry_id") or trade_id)),
            asset=base,
            amount=amount,
            exchange_tx_id=trade_id,
            market=str(market.get("symbol") or f"{base}/{quote}"),
            side=str(row["side"]).lower(),
            quote_asset=quote,
            quote_amount=value,
            price=price,
            fee_asset=quote if commission not in (None, "") else None,
            fee_amount=exact(commission) if commission not in (None, "") else None,
            raw=raw,
        )

    def transaction(self, row: Mapping[str, Any]) -> Parsed:
        """A v2 transaction of one account, read by its `type`; `amount` is signed (credit or debit)."""
        kind, status = str(row.get("type", "")), str(row.get("status", ""))
        when = rfc3339_ms(str(row["created_at"]))
        if kind in SKIPPED_TYPES:
            return None, None
        if status in NEVER_BOOKED:
            return None, None
        if status not in BOOKED:
            return None, when  # not final yet: the account's mark stays below it until it is
        moved = _money(row, "amount")
        if moved is None:
            return None, None
        signed, currency = moved
        ident, asset = str(row["id"]), self.code(currency)
        base: dict[str, Any] = {
            "occurred_at": _utc(when),
            "asset": asset,
            "exchange_tx_id": ident,
            "raw": dict(row),
        }
        if kind in TRADE_TYPES:
            return self._simple_trade(row, signed, base), None
        if kind == "send":
            return self._send(row, signed, base), None
        if kind == "trade":
            # A convert is two transactions, one in each account; each leg is its own record, keyed by the leg.
            trade = row.get("trade")
            convert_id = str(trade.get("id")) if isinstance(trade, Mapping) and trade.get("id") else ident
            record = NormalizedRecord(
                kind=RecordKind.CONVERT,
                natural_key=natural_key(RecordKind.CONVERT, f"{convert_id}:{ident}"),
                amount=abs(signed),
                side=Flow.IN if signed > 0 else Flow.OUT,
                **{**base, "exchange_tx_id": convert_id},
            )
            return record, None
        record_kind = RecordKind.LEDGER
        if kind in DEPOSIT_TYPES:
            record_kind = RecordKind.DEPOSIT
        elif kind in WITHDRAWAL_TYPES:
            record_kind = RecordKind.WITHDRAWAL
        elif kind in REWARD_TYPES:
            record_kind = RecordKind.REWARD
        elif kind in TRANSFER_TYPES:
            record_kind = RecordKind.TRANSFER
        # An unknown type is kept as a ledger entry with its sign, so no movement of money goes unrecorded.
        amount = signed if record_kind is RecordKind.LEDGER else abs(signed)
        moves_both_ways = record_kind in (RecordKind.TRANSFER, RecordKind.LEDGER)
        side = (Flow.IN if signed > 0 else Flow.OUT) if moves_both_ways else None
        record = NormalizedRecord(
            kind=record_kind, natural_key=natural_key(record_kind, ident), amount=amount, side=side, **base
        )
        return record, None

    @staticmethod
    def _send(row: Mapping[str, Any], signed: Decimal, base: Mapping[str, Any]) -> NormalizedRecord:
        """A send out debits `amount` (what arrived plus the network fee, `network.transaction_amount` and
        `network.transaction_fee` where Coinbase states them); a send with a positive amount is money received."""
        ident = str(base["exchange_tx_id"])
        if signed > 0:
            return NormalizedRecord(
                kind=RecordKind.DEPOSIT, natural_key=natural_key(RecordKind.DEPOSIT, ident), amount=signed, **base
            )
        network = row.get("network")
        network = network if isinstance(network, Mapping) else {}
        sent, fee = _money(network, "transaction_amount"), _money(network, "transaction_fee")
        amount = sent[0] if sent is not None else abs(signed)
        fee_amount = fee[0] if fee is not None else None
        if fee_amount is None and sent is not None and abs(signed) > sent[0]:
            fee_amount = abs(signed) - sent[0]  # the debit beyond what arrived paid the network
        return NormalizedRecord(
            kind=RecordKind.WITHDRAWAL,
            natural_key=natural_key(RecordKind.WITHDRAWAL, ident),
            amount=amount,
            fee_asset=base["asset"] if fee_amount is not None else None,
            fee_amount=fee_amount,
            **base,
        )

    def _simple_trade(self, row: Mapping[str, Any], signed: Decimal, base: Mapping[str, Any]) -> NormalizedRecord:
        """A buy or sell in the Coinbase app: `amount` of the crypto for `native_amount` of the user's currency
        (Coinbase's own figure; the fee is not in the transaction)."""
        native = _money(row, "native_amount")
        quote = self.code(native[1]) if native is not None else None
        value = abs(native[0]) if native is not None else None
        asset, amount = str(base["asset"]), abs(signed)
        return NormalizedRecord(
            kind=RecordKind.TRADE,
            natural_key=natural_key(RecordKind.TRADE, ":".join(("app", str(base["exchange_tx_id"])))),
            amount=amount,
            market=f"{asset}/{quote}" if quote else None,
            side=Side.BUY if signed > 0 else Side.SELL,
            quote_asset=quote,
            quote_amount=value,
            price=(value / amount) if value is not None and amount else None,
            **base,
        )
