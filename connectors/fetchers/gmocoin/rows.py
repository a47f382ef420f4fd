"""GMO Coin's rows read as records: what a person reads off each row of the lists in docs/exchange-apis/gmocoin.md.

Amounts are strings, times ISO 8601 in UTC ("2019-03-19T02:15:06.086Z"). A spot symbol is the coin ("BTC") traded
against JPY; the fee of a fill is in JPY, positive for a taker and negative for a maker (a rebate, kept negative).
The wallet rows carry no id: a crypto row is known by its txHash, a JPY row by its time and amount.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from connectors.fetchers.windows import hold_if_recent, to_ms
from connectors.records import NormalizedRecord, RecordKind, exact, natural_key

QUOTE = "JPY"  # every spot symbol is quoted in JPY
EXECUTED = "EXECUTED"  # the only wallet status documented
SIDES = {"BUY": "buy", "SELL": "sell"}
Parsed = tuple[NormalizedRecord | None, int | None]  # (record if final, time it holds the cursor at if pending)


def moment(row: Mapping[str, Any]) -> datetime:
    return datetime.fromisoformat(str(row["timestamp"]))


def row_ms(row: Mapping[str, Any]) -> int:
    return to_ms(moment(row))


def trade(row: Mapping[str, Any]) -> NormalizedRecord:
    """One fill of `size` of the coin at `price` JPY."""
    symbol, ident = str(row["symbol"]), str(row["executionId"])
    size, price, fee = exact(row["size"]), exact(row["price"]), exact(row.get("fee") or "0")
    return NormalizedRecord(
        kind=RecordKind.TRADE,
        occurred_at=moment(row),
        natural_key=natural_key(RecordKind.TRADE, f"{symbol}:{ident}"),
        asset=symbol,
        amount=size,
        exchange_tx_id=ident,
        market=f"{symbol}/{QUOTE}",
        side=SIDES[str(row["side"])],
        quote_asset=QUOTE,
        quote_amount=size * price,
        price=price,
        fee_asset=QUOTE if fee else None,
        fee_amount=fee if fee else None,
        raw=dict(row),
    )


def transfer(row: Mapping[str, Any], kind: RecordKind) -> Parsed:
    """A deposit or a withdrawal once EXECUTED, at its `timestamp`; any other status holds the cursor (it may be
    executed later: which other statuses exist is not documented)."""
    if row.get("status") != EXECUTED:
        return None, hold_if_recent(row_ms(row))
    symbol, amount, fee = str(row["symbol"]), exact(row["amount"]), exact(row.get("fee") or "0")
    tx_hash = str(row.get("txHash") or "")
    ident = tx_hash or None
    key = natural_key(kind, f"{symbol}:{ident}" if ident else None, symbol, row["timestamp"], amount)
    record = NormalizedRecord(
        kind=kind,
        occurred_at=moment(row),
        natural_key=key,
        asset=symbol,
        amount=amount,
        exchange_tx_id=tx_hash or None,
        fee_asset=symbol if fee and kind is RecordKind.WITHDRAWAL else None,
        fee_amount=fee if fee and kind is RecordKind.WITHDRAWAL else None,
        raw=dict(row),
    )
    return record, None
