"""bitFlyer's rows read as records: what a person reads off each row of the lists in docs/exchange-apis/bitflyer.md.

Amounts are JSON numbers on bitFlyer; the client parses them as Decimal (connectors/clients.py), so every digit sent
is kept. Times are UTC without a zone ("2015-07-07T09:57:40.397").
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from connectors.fetchers.windows import to_ms
from connectors.records import NormalizedRecord, RecordKind, exact, natural_key

SIDES = {"BUY": "buy", "SELL": "sell"}  # an execution's side as a record's
DONE = "COMPLETED"  # deposit and withdrawal statuses: PENDING, COMPLETED
Parsed = tuple[NormalizedRecord | None, bool]  # (record if final, whether the row is still pending)


def event_ms(text: str) -> int:
    return to_ms(datetime.fromisoformat(text).replace(tzinfo=UTC))


class RowReader:
    """Turns bitFlyer's raw rows into records, with the client's currency codes."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def code(self, currency: str) -> str:
        return str(self.client.safe_currency_code(currency))

    def execution(self, product_code: str, row: Mapping[str, Any]) -> NormalizedRecord:
        """One fill of `size` of the base at `price`; `commission` is charged in the base currency."""
        base_id, quote_id = product_code.split("_", 1)
        base, quote = self.code(base_id), self.code(quote_id)
        ident, size, price = str(row["id"]), exact(row["size"]), exact(row["price"])
        fee = exact(row.get("commission") or 0)
        return NormalizedRecord(
            kind=RecordKind.TRADE,
            occurred_at=_utc(row["exec_date"]),
            natural_key=natural_key(RecordKind.TRADE, f"{product_code}:{ident}"),
            asset=base,
            amount=size,
            exchange_tx_id=ident,
            market=f"{base}/{quote}",
            side=SIDES[row["side"]],
            quote_asset=quote,
            quote_amount=size * price,
            price=price,
            fee_asset=base if fee else None,
            fee_amount=fee if fee else None,
            raw=plain_raw(row),
        )

    def move(self, kind: RecordKind, list_name: str, row: Mapping[str, Any]) -> Parsed:
        """A crypto deposit or send, or a JPY deposit or withdrawal; a send's fee is `fee` plus `additional_fee`."""
        if row.get("status") != DONE:
            return None, True
        currency, ident = str(row["currency_code"]), str(row["id"])
        charged = exact(row.get("fee") or 0) + exact(row.get("additional_fee") or 0)
        record = NormalizedRecord(
            kind=kind,
            occurred_at=_utc(row["event_date"]),
            natural_key=natural_key(kind, f"{list_name}:{ident}"),
            asset=self.code(currency),
            amount=exact(row["amount"]),
            exchange_tx_id=row.get("tx_hash") or str(row.get("order_id") or ident),
            fee_asset=self.code(currency) if charged else None,
            fee_amount=charged if charged else None,
            raw=plain_raw(row),
        )
        return record, False


def plain_raw(row: Mapping[str, Any]) -> dict[str, Any]:
    """The row as stored: numbers parsed as Decimal are kept as their text."""
    return {k: (format(v, "f") if isinstance(v, Decimal) else v) for k, v in row.items()}


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)
