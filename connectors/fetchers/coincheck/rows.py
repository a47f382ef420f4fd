"""Coincheck's rows read as records: what a person reads off each row of the lists in docs/exchange-apis/coincheck.md.

Amounts are strings ("0.1", "-4096.135"); times are UTC ("2015-11-18T07:02:21.000Z").
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from connectors.records import NormalizedRecord, RecordKind, exact, natural_key

SIDES = {"buy": "buy", "sell": "sell"}  # a trade's side as a record's
# Withdraw status ( pending, processing, finished, canceled ): stored once finished, never when canceled.
WITHDRAWAL_STATUS_MATCH_ONLY = {"done": "finished", "never": "canceled"}
LIST_KEY = "{}@withdraws"  # a JPY withdrawal's key: its id in the withdraws list
Parsed = tuple[NormalizedRecord | None, bool]  # (record if final, whether the row is still pending)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


class RowReader:
    """Turns Coincheck's raw rows into records, with the client's currency codes."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def code(self, currency: str) -> str:
        return str(self.client.safe_currency_code(currency.upper()))

    def trade(self, row: Mapping[str, Any]) -> NormalizedRecord:
        """One fill of `pair` at `rate`: the base moved is `funds[base]`; `fee` is in `fee_currency`, and negative
        when it is a maker rebate (the example's sell: fee "-4.09", +4094.09 JPY for 4090 of BTC)."""
        base_id, quote_id = str(row["pair"]).split("_", 1)
        funds = row.get("funds") or {}
        amount, rate = abs(exact(funds[base_id])), exact(row["rate"])
        fee = exact(row.get("fee") or "0")
        ident = str(row["id"])
        return NormalizedRecord(
            kind=RecordKind.TRADE,
            occurred_at=utc(row["created_at"]),
            natural_key=natural_key(RecordKind.TRADE, ident),
            asset=self.code(base_id),
            amount=amount,
            exchange_tx_id=ident,
            market=f"{self.code(base_id)}/{self.code(quote_id)}",
            side=SIDES[str(row["side"])],
            quote_asset=self.code(quote_id),
            quote_amount=amount * rate,
            price=rate,
            fee_asset=self.code(str(row["fee_currency"])) if fee else None,
            fee_amount=fee if fee else None,
            raw=dict(row),
        )

    def deposit(self, row: Mapping[str, Any]) -> NormalizedRecord:
        """A BTC deposit, listed as received or confirmed (the document shows both, with a confirmation time)."""
        ident = str(row["id"])
        return NormalizedRecord(
            kind=RecordKind.DEPOSIT,
            occurred_at=utc(row["created_at"]),
            natural_key=natural_key(RecordKind.DEPOSIT, f"deposit_money:{ident}"),
            asset=self.code(str(row["currency"])),
            amount=exact(row["amount"]),
            exchange_tx_id=ident,
            raw=dict(row),
        )

    def send(self, row: Mapping[str, Any]) -> NormalizedRecord:
        """A BTC send: `amount` left for the address, `fee` besides."""
        ident, fee = str(row["id"]), exact(row.get("fee") or "0")
        currency = self.code(str(row["currency"]))
        return NormalizedRecord(
            kind=RecordKind.WITHDRAWAL,
            occurred_at=utc(row["created_at"]),
            natural_key=natural_key(RecordKind.WITHDRAWAL, f"send_money:{ident}"),
            asset=currency,
            amount=exact(row["amount"]),
            exchange_tx_id=ident,
            fee_asset=currency if fee else None,
            fee_amount=fee if fee else None,
            raw=dict(row),
        )

    def withdrawal(self, row: Mapping[str, Any]) -> Parsed:
        """A JPY withdrawal to a bank: stored once finished, with its fee."""
        status = str(row.get("status", ""))
        if status == WITHDRAWAL_STATUS_MATCH_ONLY["never"]:
            return None, False
        if status != WITHDRAWAL_STATUS_MATCH_ONLY["done"]:
            return None, True
        ident, fee = str(row["id"]), exact(row.get("fee") or "0")
        currency = self.code(str(row["currency"]))
        record = NormalizedRecord(
            kind=RecordKind.WITHDRAWAL,
            occurred_at=utc(row["created_at"]),
            natural_key=natural_key(RecordKind.WITHDRAWAL, LIST_KEY.format(ident)),
            asset=currency,
            amount=exact(row["amount"]),
            exchange_tx_id=ident,
            fee_asset=currency if fee else None,
            fee_amount=fee if fee else None,
            raw=dict(row),
        )
        return record, False
