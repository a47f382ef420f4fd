"""bitbank's rows read as records: what a person reads off each row of the lists in docs/exchange-apis/bitbank.md.

Amounts are strings (the documented examples; the deposit and withdrawal tables say "number", which `exact` reads
alike), times milliseconds since the epoch in UTC.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.fetchers.windows import hold_if_recent
from connectors.records import NormalizedRecord, RecordKind, exact, ms_to_utc, natural_key

# Deposit status: FOUND, CONFIRMED ("about to be added to your balance"), DONE.
DEPOSIT_CREDITED = frozenset({"CONFIRMED", "DONE"})
# Withdrawal status: CONFIRMING, EXAMINING, SENDING, DONE, REJECTED, CANCELED, CONFIRM_TIMEOUT.
WITHDRAWAL_DONE = "DONE"
WITHDRAWAL_NEVER = frozenset({"REJECTED", "CANCELED", "CONFIRM_TIMEOUT"})

SIDES = {"buy": "buy", "sell": "sell"}  # `side`: "buy" or "sell", as records name them
Parsed = tuple[NormalizedRecord | None, int | None]  # (record if final, time it holds the cursor at if pending)


class RowReader:
    """Turns bitbank's raw rows into records, with the client's currency codes ("btc" is BTC, "bcc" BCH)."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def code(self, asset: str) -> str:
        return str(self.client.safe_currency_code(asset))

    def trade(self, row: Mapping[str, Any]) -> NormalizedRecord:
        """One fill of `amount` of the base at `price`; the fee is `fee_amount_base` in the base and
        `fee_amount_quote` in the quote (a maker rebate is negative), one of them non-zero."""
        base_id, quote_id = str(row["pair"]).split("_", 1)
        base, quote = self.code(base_id), self.code(quote_id)
        ident, amount, price = str(row["trade_id"]), exact(row["amount"]), exact(row["price"])
        fee_base, fee_quote = exact(row.get("fee_amount_base") or "0"), exact(row.get("fee_amount_quote") or "0")
        fee_asset, fee = (base, fee_base) if fee_base else (quote, fee_quote)
        return NormalizedRecord(
            kind=RecordKind.TRADE,
            occurred_at=ms_to_utc(row["executed_at"]),
            natural_key=natural_key(RecordKind.TRADE, f"{row['pair']}:{ident}"),
            asset=base,
            amount=amount,
            exchange_tx_id=ident,
            market=f"{base}/{quote}",
            side=SIDES[str(row["side"])],
            quote_asset=quote,
            quote_amount=amount * price,
            price=price,
            fee_asset=fee_asset if fee else None,
            fee_amount=fee if fee else None,
            raw=dict(row),
        )

    def deposit(self, row: Mapping[str, Any]) -> Parsed:
        """Credited once CONFIRMED or DONE, at `confirmed_at`; FOUND is on its way (listed at `found_at`)."""
        if row.get("status") not in DEPOSIT_CREDITED:
            return None, hold_if_recent(int(row["found_at"]))
        ident = str(row["uuid"])
        when = row.get("confirmed_at") or row["found_at"]
        record = NormalizedRecord(
            kind=RecordKind.DEPOSIT,
            occurred_at=ms_to_utc(when),
            natural_key=natural_key(RecordKind.DEPOSIT, ident),
            asset=self.code(str(row["asset"])),
            amount=exact(row["amount"]),
            exchange_tx_id=row.get("txid") or ident,
            raw=dict(row),
        )
        return record, None

    def withdrawal(self, row: Mapping[str, Any]) -> Parsed:
        """`amount` sent and `fee` charged on top, at `requested_at`; stored once DONE, never when refused."""
        status = row.get("status")
        if status in WITHDRAWAL_NEVER:
            return None, None
        if status != WITHDRAWAL_DONE:
            return None, hold_if_recent(int(row["requested_at"]))
        ident, asset = str(row["uuid"]), self.code(str(row["asset"]))
        fee = exact(row.get("fee") or "0")
        record = NormalizedRecord(
            kind=RecordKind.WITHDRAWAL,
            occurred_at=ms_to_utc(row["requested_at"]),
            natural_key=natural_key(RecordKind.WITHDRAWAL, ident),
            asset=asset,
            amount=exact(row["amount"]),
            exchange_tx_id=row.get("txid") or ident,
            fee_asset=asset if fee else None,
            fee_amount=fee if fee else None,
            raw=dict(row),
        )
        return record, None
