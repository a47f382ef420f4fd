"""ccxt's unified structures (trades, deposits, withdrawals, ledger entries) as Tallybot records, amounts exact.

Amounts come from the record's raw `info`: first from field names known across exchanges (`qty`, `size`,
`commission` …) whose value equals ccxt's parsed number, then from any raw field with that value. When neither exists
(ccxt computed the value, or the exchange sends JSON numbers, which are floats once parsed) the amount is ccxt's
float written out with `number_to_string`, which can lose digits beyond ~15 significant ones; such records list the
fields in `raw["tallybot_inexact"]`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from connectors.fetchers.windows import hold_if_recent
from connectors.records import NormalizedRecord, RecordKind, ms_to_utc, natural_key

# Raw field names exchanges use, tried first (a name only counts when its value equals ccxt's parsed number).
AMOUNT_FIELDS = ("qty", "size", "amount", "execQty", "fillSz", "vol", "volume", "quantity", "filled_amount", "baseQty")
PRICE_FIELDS = ("price", "execPrice", "fillPx", "rate", "fill_price", "avgPrice")
COST_FIELDS = ("quoteQty", "execValue", "funds", "cost", "quote_volume", "quoteQuantity", "value")
FEE_FIELDS = ("commission", "fee", "execFee", "fillFee", "fees", "transactionFee", "withdrawFee", "txFee", "feeAmount")
LEDGER_FIELDS = ("amount", "change", "balChg", "delta", "qty", "value")


class UnifiedRecords:
    """Normalizes one client's unified structures; every asset a deposit, withdrawal or ledger entry moves is
    added to `moved` (market discovery reads it)."""

    def __init__(self, client: Any, moved: set[str]) -> None:
        self.client = client
        self.moved = moved

    def normalize(
        self, kind: RecordKind, row: Mapping[str, Any], market: Mapping[str, Any] | None
    ) -> tuple[NormalizedRecord | None, int | None]:
        """A ccxt unified structure as a record (None unless final), and the time a pending one holds at."""
        if kind is RecordKind.TRADE:
            return self._trade(row, market), None
        if kind is RecordKind.LEDGER:
            entry = self._ledger(row)
            self.moved.add(entry.asset)
            return entry, None
        status = row.get("status")
        if status == "pending":
            return None, hold_if_recent(int(row["timestamp"]))
        if status not in (None, "ok"):
            return None, None  # failed or cancelled: no money moved
        record = self._transaction(kind, row)
        self.moved.add(record.asset)
        return record, None

    def _exact(self, info: Mapping[str, Any], value: Any, names: Sequence[str], field: str, lossy: list[str]) -> Any:
        if value is None:
            return None
        found = exact_from_info(info, value, names)
        if found is None:
            lossy.append(field)
            found = Decimal(str(self.client.number_to_string(abs(value))))
        return found

    def _trade(self, row: Mapping[str, Any], market: Mapping[str, Any] | None) -> NormalizedRecord:
        info = row.get("info") or {}
        lossy: list[str] = []
        amount = self._exact(info, row.get("amount"), AMOUNT_FIELDS, "amount", lossy)
        price = self._exact(info, row.get("price"), PRICE_FIELDS, "price", lossy)
        cost = exact_from_info(info, row.get("cost"), COST_FIELDS) if row.get("cost") is not None else None
        if cost is None and amount is not None and price is not None:
            cost = amount * price  # ccxt computed it the same way, in floats
        fee = row.get("fee") or {}
        fee_amount = self._exact(info, fee.get("cost"), FEE_FIELDS, "fee", lossy)
        symbol = str(row.get("symbol") or (market or {}).get("symbol") or "")
        base, _, quote = symbol.partition("/")
        market_id = str((market or {}).get("id") or symbol)
        ident = str(row.get("id") or "")
        when = int(row["timestamp"])
        return NormalizedRecord(
            kind=RecordKind.TRADE,
            occurred_at=ms_to_utc(when),
            natural_key=natural_key(
                RecordKind.TRADE, f"{market_id}:{ident}" if ident else None, market_id, when, amount, price
            ),
            asset=base,
            amount=amount if amount is not None else Decimal(0),
            exchange_tx_id=ident or None,
            market=symbol,
            side=row.get("side"),
            quote_asset=quote.split(":")[0] or None,
            quote_amount=cost,
            price=price,
            fee_asset=fee.get("currency"),
            fee_amount=fee_amount,
            raw=_raw(info, lossy),
        )

    def _transaction(self, kind: RecordKind, row: Mapping[str, Any]) -> NormalizedRecord:
        info = row.get("info") or {}
        lossy: list[str] = []
        amount = self._exact(info, row.get("amount"), ("amount", "qty", "quantity", "size", "value"), "amount", lossy)
        fee = row.get("fee") or {}
        fee_amount = self._exact(info, fee.get("cost"), FEE_FIELDS, "fee", lossy) if fee.get("cost") else None
        ident = str(row.get("id") or row.get("txid") or "")
        when = int(row["timestamp"])
        currency = str(row.get("currency") or "")
        return NormalizedRecord(
            kind=kind,
            occurred_at=ms_to_utc(when),
            natural_key=natural_key(kind, ident or None, currency, row.get("txid"), amount, when),
            asset=currency,
            amount=amount if amount is not None else Decimal(0),
            exchange_tx_id=ident or None,
            fee_asset=fee.get("currency") if fee_amount is not None else None,
            fee_amount=fee_amount,
            raw=_raw(info, lossy),
        )

    def _ledger(self, row: Mapping[str, Any]) -> NormalizedRecord:
        """Ledger amounts are signed: negative when the balance went down (`direction` "out")."""
        info = row.get("info") or {}
        lossy: list[str] = []
        amount = self._exact(info, row.get("amount"), LEDGER_FIELDS, "amount", lossy) or Decimal(0)
        signed = -abs(amount) if row.get("direction") == "out" else abs(amount)
        fee = row.get("fee") or {}
        fee_amount = self._exact(info, fee.get("cost"), FEE_FIELDS, "fee", lossy) if fee.get("cost") else None
        ident = str(row.get("id") or "")
        when = int(row["timestamp"])
        currency = str(row.get("currency") or "")
        return NormalizedRecord(
            kind=RecordKind.LEDGER,
            occurred_at=ms_to_utc(when),
            natural_key=natural_key(RecordKind.LEDGER, ident or None, currency, when, signed, row.get("type")),
            asset=currency,
            amount=signed,
            exchange_tx_id=ident or None,
            side=row.get("type"),
            fee_asset=fee.get("currency") if fee_amount is not None else None,
            fee_amount=fee_amount,
            raw=_raw(info, lossy),
        )


def ident(row: Mapping[str, Any]) -> str:
    return str(row.get("id") or row.get("txid") or f"{row.get('timestamp')}:{row.get('amount')}")


def _raw(info: Mapping[str, Any], lossy: list[str]) -> dict[str, Any]:
    raw = dict(info) if isinstance(info, Mapping) else {"info": info}
    if lossy:
        raw["tallybot_inexact"] = lossy
    return raw


def _decimal(raw: Any) -> Decimal | None:
    """A raw value as an exact Decimal: strings and integers only (a JSON number arrives as a float: inexact)."""
    if isinstance(raw, bool) or not isinstance(raw, str | int):
        return None
    try:
        value = Decimal(str(raw).strip())
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def exact_from_info(info: Any, value: Any, names: Sequence[str]) -> Decimal | None:
    """The raw string behind ccxt's parsed number: a known field first, else the one raw field with that value."""
    if value is None or not isinstance(info, Mapping):
        return None
    try:
        target = abs(float(value))
    except (TypeError, ValueError):
        return None
    if math.isnan(target):
        return None
    for name in names:
        candidate = _decimal(info.get(name))
        if candidate is not None and float(abs(candidate)) == target:
            return abs(candidate)
    matches = {abs(d) for d in map(_decimal, info.values()) if d is not None and float(abs(d)) == target}
    return matches.pop() if len(matches) == 1 else None
