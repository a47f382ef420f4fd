"""BigONE's rows read as records: what a person reads off each row of the lists in docs/exchange-apis/bigone.md."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from connectors.fetchers.discovery import SpotMarket
from connectors.records import NormalizedRecord, RecordKind, Side, exact, natural_key

# Deposit states: "COMPLETED"/"PENDING"/"WITHHOLD"/"CANCELLED". Credited: COMPLETED. WITHHOLD (held back) and
# PENDING are not final yet: they hold the cursor, so a later sync reads them again.
DEPOSIT_DONE = frozenset({"COMPLETED"})
DEPOSIT_NEVER = frozenset({"CANCELLED"})
# Withdrawal states: PENDING/COMPLETED/FAILED/CANCELLED. Sent: COMPLETED.
WITHDRAWAL_DONE = frozenset({"COMPLETED"})
WITHDRAWAL_NEVER = frozenset({"FAILED", "CANCELLED"})

Parsed = tuple[NormalizedRecord | None, bool]  # (record if final, whether the row is still pending)


def when(row: Mapping[str, Any]) -> datetime:
    """``inserted_at`` (ISO 8601 in UTC, ``…Z``, with or without fractions of a second)."""
    return datetime.fromisoformat(str(row.get("inserted_at") or row.get("created_at")))


def _fee(raw: object) -> Decimal | None:
    if raw in (None, ""):
        return None
    fee = exact(raw)
    return fee if fee != 0 else None


class RowReader:
    """Turns BigONE's raw rows into records, with the client's currency codes."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def code(self, currency: str) -> str:
        return str(self.client.safe_currency_code(currency))

    def trades(self, market: SpotMarket, row: Mapping[str, Any]) -> list[NormalizedRecord]:
        """One trade of the user: ``amount`` of the base at ``price``. The user was the taker when their ``side``
        is the ``taker_side``; their fee is then ``taker_fee``, else ``maker_fee``, in the asset they received (the
        base when buying, the quote when selling: BigONE's examples, bigone.md). A ``SELF_TRADING`` row is both
        sides of one trade, so it is two records."""
        side, taker_side = str(row.get("side")), str(row.get("taker_side"))
        if side == "SELF_TRADING":
            taker_buys = taker_side == "BID"
            buyer, seller = ("taker_fee", "maker_fee") if taker_buys else ("maker_fee", "taker_fee")
            fees = {Side.BUY: buyer, Side.SELL: seller}
            # Each side's natural key ends in ":buy" or ":sell".
            return [self._trade(market, row, each, row.get(fee), f":{each}") for each, fee in fees.items()]
        fee = row.get("taker_fee") if side == taker_side else row.get("maker_fee")
        return [self._trade(market, row, Side.BUY if side == "BID" else Side.SELL, fee, "")]

    def _trade(
        self, market: SpotMarket, row: Mapping[str, Any], side: str, fee_raw: object, suffix: str
    ) -> NormalizedRecord:
        ident = str(row["id"])
        price, amount = exact(row["price"]), exact(row["amount"])
        fee = _fee(fee_raw)
        return NormalizedRecord(
            kind=RecordKind.TRADE,
            occurred_at=when(row),
            natural_key=natural_key(RecordKind.TRADE, f"{market.id}:{ident}{suffix}"),
            asset=market.base,
            amount=amount,
            exchange_tx_id=ident,
            market=market.symbol,
            side=side,
            quote_asset=market.quote,
            # A trade row has no quote amount: it is price × amount (bigone.md).
            quote_amount=price * amount,
            price=price,
            fee_asset=(market.base if side == Side.BUY else market.quote) if fee is not None else None,
            fee_amount=fee,
            raw=dict(row),
        )

    def deposit(self, row: Mapping[str, Any]) -> Parsed:
        state = str(row.get("state") or "")
        if state in DEPOSIT_NEVER:
            return None, False
        if state not in DEPOSIT_DONE:
            return None, True
        ident = str(row["id"])
        record = NormalizedRecord(
            kind=RecordKind.DEPOSIT,
            occurred_at=when(row),
            natural_key=natural_key(RecordKind.DEPOSIT, ident),
            asset=self.code(str(row["asset_symbol"])),
            amount=exact(row["amount"]),
            exchange_tx_id=row.get("txid") or ident,
            raw=dict(row),
        )
        return record, False

    def withdrawal(self, row: Mapping[str, Any]) -> Parsed:
        state = str(row.get("state") or "")
        if state in WITHDRAWAL_NEVER:
            return None, False
        if state not in WITHDRAWAL_DONE:
            return None, True
        ident, asset = str(row["id"]), self.code(str(row["asset_symbol"]))
        fee = _fee(row.get("fee"))
        record = NormalizedRecord(
            kind=RecordKind.WITHDRAWAL,
            occurred_at=when(row),
            natural_key=natural_key(RecordKind.WITHDRAWAL, ident),
            asset=asset,
            amount=exact(row["amount"]),  # what was sent; the fee is charged on top (unsourced, bigone.md)
            exchange_tx_id=row.get("txid") or ident,
            fee_asset=asset if fee is not None else None,
            fee_amount=fee,
            raw=dict(row),
        )
        return record, False
