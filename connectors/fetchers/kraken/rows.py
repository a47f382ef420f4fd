"""Kraken's rows read as records: what a person reads off each row of the lists in docs/exchange-apis/kraken.md."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from connectors.records import Flow, NormalizedRecord, RecordKind, exact, ms_to_utc, natural_key


class LedgerType(StrEnum):
    """Ledger entry types (Get Ledgers Info, `type`) read on their own: codes Kraken sends."""

    # The two legs of a trade TradesHistory already gives whole (with its pair, price and fee): not stored twice.
    TRADE = "trade"


TRADE_LEGS = LedgerType.TRADE
# The other ledger entry types and what Tallybot stores them as.
LEDGER_KINDS: Mapping[str, RecordKind] = {
    "deposit": RecordKind.DEPOSIT,
    "withdrawal": RecordKind.WITHDRAWAL,
    "transfer": RecordKind.TRANSFER,
    "staking": RecordKind.REWARD,
    "reward": RecordKind.REWARD,
    "dividend": RecordKind.REWARD,
    # The two legs of a "Buy Crypto" convert: no other list says what they moved, so each is a convert leg (its side
    # in or out, as Coinbase's legs), which the balance check counts; a ledger line it would leave out.
    "spend": RecordKind.CONVERT,
    "receive": RecordKind.CONVERT,
}
# Legs whose direction the line's sign gives (into or out of the spot wallet).
TWO_WAY_KINDS = frozenset({RecordKind.TRANSFER, RecordKind.CONVERT})
# Everything else (margin, rollover, adjustment, settled, credit, sale, conversion, NFT entries, custody transfers) is
# kept as a ledger line with its signed amount.

# A failed withdrawal is undone by a second `withdrawal` line with both signs flipped (amount +4.91, fee -0.09 after
# -4.91 and 0.09: a live ledger in BittyTax issue #287, docs/exchange-apis/kraken.md); a deposit taken back would be a
# `deposit` line going out. Such a line is stored as the opposite movement of what it changed the balance by
# (amount - fee: the 4.91 and the 0.09 fee returned), so the history explains the balance Kraken reports and the
# first line, already stored, stays as it was (a ledger line would not do: the balance check leaves ledger lines out,
# as they repeat what wallet records say). The line's own `type` stays in raw.


def ledger_movement(entry_type: str, signed: Decimal, fee: Decimal) -> tuple[RecordKind, Decimal, Decimal | None]:
    """What a ledger line of this type, signed amount and fee is stored as: (kind, amount, fee or None)."""
    kind = LEDGER_KINDS.get(entry_type, RecordKind.LEDGER)
    if kind is RecordKind.REWARD and signed <= 0:
        return RecordKind.LEDGER, signed, fee or None  # a reward type that takes money is not income: kept as it is
    if (kind is RecordKind.WITHDRAWAL and signed > 0) or (kind is RecordKind.DEPOSIT and signed < 0):
        change = signed - fee  # what the line did to the balance, fee included
        return (RecordKind.DEPOSIT if change > 0 else RecordKind.WITHDRAWAL), abs(change), None
    # Withdrawals are written negative with the fee apart; Tallybot stores the amount sent and the fee.
    return kind, signed if kind is RecordKind.LEDGER else abs(signed), fee or None


def kraken_ms(raw: Any) -> int:
    """Kraken's time, seconds with a fraction (``1688667796.8802``), in whole ms. The JSON number is read as it was
    written (its shortest repr), not through binary arithmetic."""
    return int((Decimal(repr(raw) if isinstance(raw, float) else str(raw)) * 1000).to_integral_value())


def kraken_time(raw: Any) -> datetime:
    return ms_to_utc(kraken_ms(raw))


class RowReader:
    """Turns Kraken's raw rows into records, with the client's currency codes and market names."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def code(self, asset: str) -> str:
        return str(self.client.safe_currency_code(asset))

    def trade(self, txid: str, row: Mapping[str, Any]) -> NormalizedRecord:
        """A row of TradesHistory: `vol` of the base bought or sold at `price` for `cost`, `fee` in the quote."""
        pair = str(row["pair"])
        market = self._market(pair)
        base = market.get("base") or pair
        quote = market.get("quote")
        fee = exact(row["fee"]) if row.get("fee") not in (None, "") else None
        return NormalizedRecord(
            kind=RecordKind.TRADE,
            occurred_at=kraken_time(row["time"]),
            natural_key=natural_key(RecordKind.TRADE, txid),
            asset=str(base),
            amount=exact(row["vol"]),
            exchange_tx_id=txid,
            market=str(market.get("symbol") or pair),
            side=str(row["type"]).lower(),
            quote_asset=str(quote) if quote else None,
            quote_amount=exact(row["cost"]),
            price=exact(row["price"]),
            fee_asset=str(quote) if quote and fee is not None else None,
            fee_amount=fee,
            raw={"txid": txid, **row},
        )

    def _market(self, pair: str) -> Mapping[str, Any]:
        markets = getattr(self.client, "markets_by_id", None) or {}
        found = markets.get(pair)
        if found:
            return dict(found[0])
        by_altname = (getattr(self.client, "options", None) or {}).get("marketsByAltname") or {}
        return dict(by_altname.get(pair) or {})

    def ledger(self, ledger_id: str, row: Mapping[str, Any]) -> NormalizedRecord | None:
        """A ledger entry; None for a trade leg (see TRADE_LEGS)."""
        entry_type = str(row.get("type", ""))
        if entry_type == TRADE_LEGS:
            return None
        signed = exact(row["amount"])
        fee = exact(row["fee"]) if row.get("fee") not in (None, "") else Decimal(0)
        kind, amount, kept_fee = ledger_movement(entry_type, signed, fee)
        asset = self.code(str(row["asset"]))
        # A transfer's or convert leg's direction, seen from the spot wallet; the line's sign says it, its `type` (in
        # raw) what.
        side = (Flow.IN if signed > 0 else Flow.OUT) if kind in TWO_WAY_KINDS else None
        return NormalizedRecord(
            kind=kind,
            occurred_at=kraken_time(row["time"]),
            natural_key=natural_key(kind, ledger_id),
            asset=asset,
            amount=amount,
            exchange_tx_id=str(row.get("refid") or ledger_id),
            side=side,
            fee_asset=asset if kept_fee else None,
            fee_amount=kept_fee,
            raw={"ledger_id": ledger_id, **row},
        )
