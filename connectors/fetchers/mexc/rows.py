"""MEXC's rows read as records: what a person reads off each row of the lists in docs/exchange-apis/mexc.md."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.fetchers.discovery import SpotMarket
from connectors.fetchers.windows import hold_if_recent
from connectors.records import NormalizedRecord, RecordKind, Side, exact, ms_to_utc, natural_key

# Deposit History status: 1 SMALL, 2 TIME_DELAY, 3 LARGE_DELAY, 4 PENDING, 5 SUCCESS, 6 AUDITING, 7 REJECTED,
# 8 REFUND, 9 PRE_SUCCESS, 10 INVALID, 11 RESTRICTED, 12 COMPLETED. Credited: SUCCESS and COMPLETED. Never credited:
# REJECTED, REFUND, INVALID (and SMALL, below the minimum: MEXC does not credit it). The rest are on their way.
DEPOSIT_DONE = frozenset({5, 12})
DEPOSIT_NEVER = frozenset({1, 7, 8, 10})
# Withdraw History status: 1 APPLY, 2 AUDITING, 3 WAIT, 4 PROCESSING, 5 WAIT_PACKAGING, 6 WAIT_CONFIRM, 7 SUCCESS,
# 8 FAILED, 9 CANCEL, 10 MANUAL.
WITHDRAWAL_DONE = frozenset({7})
WITHDRAWAL_NEVER = frozenset({8, 9})

TRANSFER_DONE = "SUCCESS"
TRANSFER_NEVER = frozenset({"FAILED"})  # the statuses the internal-transfer list names: SUCCESS, FAILED, WAIT

Parsed = tuple[NormalizedRecord | None, int | None]  # (record if final, time it holds the cursor at if pending)


class RowReader:
    """Turns MEXC's raw rows into records, with the client's currency codes."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def code(self, currency: str) -> str:
        return str(self.client.safe_currency_code(currency))

    def trade(self, market: SpotMarket, row: Mapping[str, Any]) -> NormalizedRecord:
        """One fill: `qty` of the base at `price` for `quoteQty` of the quote; `commission` in `commissionAsset`."""
        trade_id = str(row["id"])
        fee = row.get("commission")
        charged = fee not in (None, "") and exact(fee) != 0
        return NormalizedRecord(
            kind=RecordKind.TRADE,
            occurred_at=ms_to_utc(row["time"]),
            natural_key=natural_key(RecordKind.TRADE, f"{market.id}:{trade_id}"),
            asset=market.base,
            amount=exact(row["qty"]),
            exchange_tx_id=trade_id,
            market=market.symbol,
            side=Side.BUY if row["isBuyer"] else Side.SELL,
            quote_asset=market.quote,
            quote_amount=exact(row["quoteQty"]),
            price=exact(row["price"]),
            fee_asset=self.code(str(row["commissionAsset"])) if charged else None,
            fee_amount=exact(fee) if charged else None,
            raw=dict(row),
        )

    def deposit(self, row: Mapping[str, Any]) -> Parsed:
        when, status = int(row["insertTime"]), int(row.get("status") or 0)
        if status in DEPOSIT_NEVER:
            return None, None
        if status not in DEPOSIT_DONE:
            return None, hold_if_recent(when)
        coin = str(row["coin"])
        # A deposit row has no id of its own: its key is what identifies it (chain tx, coin, network, amount, time).
        record = NormalizedRecord(
            kind=RecordKind.DEPOSIT,
            occurred_at=ms_to_utc(when),
            natural_key=natural_key(
                RecordKind.DEPOSIT, None, coin, row.get("txId"), row.get("network"), row["amount"], when
            ),
            asset=self.code(coin),
            amount=exact(row["amount"]),
            exchange_tx_id=row.get("txId") or None,
            raw=dict(row),
        )
        return record, None

    def withdrawal(self, row: Mapping[str, Any]) -> Parsed:
        when, status = int(row["applyTime"]), int(row.get("status") or 0)
        if status in WITHDRAWAL_NEVER:
            return None, None
        if status not in WITHDRAWAL_DONE:
            return None, hold_if_recent(when)
        coin, ident = str(row["coin"]), str(row["id"])
        fee = row.get("transactionFee")
        charged = fee not in (None, "") and exact(fee) != 0
        record = NormalizedRecord(
            kind=RecordKind.WITHDRAWAL,
            occurred_at=ms_to_utc(when),
            natural_key=natural_key(RecordKind.WITHDRAWAL, ident),
            asset=self.code(coin),
            amount=exact(row["amount"]),  # sent; the fee is charged on top (docs/exchange-apis/mexc.md)
            exchange_tx_id=ident,
            fee_asset=self.code(coin) if charged else None,
            fee_amount=exact(fee) if charged else None,
            raw=dict(row),
        )
        return record, None

    def transfer(self, row: Mapping[str, Any]) -> Parsed:
        """A move between the user's own spot and futures accounts; `fromAccountType`/`toAccountType` say which way."""
        when, status = int(row["timestamp"]), str(row.get("status", ""))
        if status in TRANSFER_NEVER:
            return None, None
        if status != TRANSFER_DONE:
            return None, hold_if_recent(when)
        ident = str(row["tranId"])
        record = NormalizedRecord(
            kind=RecordKind.TRANSFER,
            occurred_at=ms_to_utc(when),
            natural_key=natural_key(RecordKind.TRANSFER, ident),
            asset=self.code(str(row["asset"])),
            amount=exact(row["amount"]),
            exchange_tx_id=ident,
            raw=dict(row),
        )
        return record, None

    def dust(self, detail: Mapping[str, Any]) -> NormalizedRecord:
        """One coin of a DustLog conversion: `amount` of `asset` turned into `convert` MX. `convert` is what was
        received, the fee already deducted ("Convert MX amount (Deducted commission fee)"), so the fee stays in the
        raw row rather than being charged a second time."""
        ident = str(detail["id"])
        return NormalizedRecord(
            kind=RecordKind.CONVERT,
            occurred_at=ms_to_utc(detail["time"]),
            natural_key=natural_key(RecordKind.CONVERT, ident),
            asset=self.code("MX"),
            amount=exact(detail["convert"]),
            exchange_tx_id=ident,
            side=Side.BUY,
            quote_asset=self.code(str(detail["asset"])),
            quote_amount=exact(detail["amount"]),
            raw=dict(detail),
        )
