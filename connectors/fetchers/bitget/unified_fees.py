"""The fees of a Bitget v3 fill (uta/trade/Get-Order-Fills): `feeDetail` is a list of {feeCoin, fee}, one entry per
coin the fill paid in (a fee split between the quote and BGB deduction has two), every one of them kept.

The fill's record holds the first coin's fee (a record holds one fee); each further coin is a record of its own. The
records of connectors/records.py have no kind for a fee alone: a REWARD going out is the one the balance check takes
away (bot/reconcile/ledger.py) and the exports read as a fee (export/meaning: a negative reward is a FEE), as
Binance's debited asset dividends are stored. A negative fee is a rebate, paid in: a reward coming in.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from connectors.fetchers.bitget.streams import stream_key
from connectors.records import Flow, NormalizedRecord, RecordKind, exact, natural_key

FeeParts = list[tuple[str, Decimal]]


def fee_parts(row: Mapping[str, Any], code: Callable[[str], str]) -> FeeParts:
    """(coin, fee) per coin of `feeDetail`, in the list's order, a coin listed twice summed; the docs' example fee is
    positive, read as the amount charged."""
    fees: dict[str, Decimal] = {}
    for part in row.get("feeDetail") or []:
        if part.get("fee") not in (None, ""):
            coin = code(str(part["feeCoin"]))
            fees[coin] = fees.get(coin, Decimal(0)) + exact(part["fee"])
    return list(fees.items())


def first_fee(parts: FeeParts) -> tuple[str | None, Decimal | None]:
    return parts[0] if parts else (None, None)


def further_fees(fill: NormalizedRecord, category: str, parts: FeeParts) -> list[NormalizedRecord]:
    """A record per fee coin beyond the first: keyed to the fill (its category keeps a futures fill's fee a
    derivatives one in the exports) and the coin, at the fill's time and market."""
    ident = str(fill.exchange_tx_id)
    return [
        NormalizedRecord(
            kind=RecordKind.REWARD,
            occurred_at=fill.occurred_at,
            natural_key=natural_key(RecordKind.REWARD, stream_key("uta", "fee", category, ident, coin)),
            asset=coin,
            amount=0 - fee if fee > 0 else abs(fee),
            exchange_tx_id=ident,
            market=fill.market,
            side=Flow.OUT if fee > 0 else Flow.IN,
            raw={"type": "trade_fee", "category": category, "feeCoin": coin, "fee": str(fee), "fill": fill.raw},
        )
        for coin, fee in parts[1:]
        if fee != 0  # a coin listed with nothing charged moves nothing
    ]
