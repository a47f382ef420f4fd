"""The fees of a Bitget fill paid in more than one coin, one fee per coin, each kept.

- v3 (uta/trade/Get-Order-Fills): `feeDetail` is a list of {feeCoin, fee}, one entry per coin the fill paid in (a
  fee split between the quote and BGB deduction has two); the docs' example fee is positive, the amount charged.
- v2 futures (contract/trade/Get-Fill-History): `feeDetail` is a list of {feeCoin, totalFee, deduction,
  totalDeductionFee}, `totalFee` negative when charged (docs/exchange-apis/bitget.md).

The fill's record holds the first coin's fee (a record holds one fee); each further coin is a FEE record of its own
(connectors/records.py), which the balance check counts and the exports write as a fee. A negative fee (a charge
read as positive here) is a rebate, paid in: a FEE coming in.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from connectors.fetchers.bitget.streams import stream_key
from connectors.records import NormalizedRecord, RecordKind, exact, natural_key

FeeParts = list[tuple[str, Decimal]]  # (coin, fee charged: positive a charge, negative a rebate)


def _summed(entries: list[tuple[str, Decimal]]) -> FeeParts:
    """The fees by coin in the list's order, a coin listed twice summed."""
    fees: dict[str, Decimal] = {}
    for coin, fee in entries:
        fees[coin] = fees.get(coin, Decimal(0)) + fee
    return list(fees.items())


def fee_parts(row: Mapping[str, Any], code: Callable[[str], str]) -> FeeParts:
    """(coin, fee) per coin of a v3 fill's `feeDetail`, in the list's order; `fee` positive is the amount charged."""
    details = row.get("feeDetail") or []
    return _summed([(code(str(part["feeCoin"])), exact(part["fee"])) for part in details if _given(part.get("fee"))])


def signed_fee_parts(row: Mapping[str, Any], code: Callable[[str], str]) -> FeeParts:
    """(coin, fee charged) per coin of a v2 futures fill's `feeDetail`, whose `totalFee` is signed as the balance
    changed (negative when charged): read as the charge, so positive."""
    details = row.get("feeDetail") or []
    return _summed(
        [(code(str(part["feeCoin"])), 0 - exact(part["totalFee"])) for part in details if _given(part.get("totalFee"))]
    )


def first_fee(parts: FeeParts) -> tuple[str | None, Decimal | None]:
    return parts[0] if parts else (None, None)


def further_fees(fill: NormalizedRecord, category: str, parts: FeeParts) -> list[NormalizedRecord]:
    """A FEE per fee coin of a v3 fill beyond the first, keyed `fee:uta:<category>:<execId>:<coin>` (its category
    keeps a futures fill's fee a derivatives one in the exports)."""
    return fee_records(fill, ("uta", category), parts, {"category": category})


def fee_records(
    fill: NormalizedRecord, stream: tuple[str, ...], parts: FeeParts, raw: Mapping[str, Any]
) -> list[NormalizedRecord]:
    """A FEE per fee coin beyond the first, keyed to the fill's stream, id and the coin, at the fill's time and
    market; signed as the balance changed (a charge negative)."""
    ident = str(fill.exchange_tx_id)
    return [
        NormalizedRecord(
            kind=RecordKind.FEE,
            occurred_at=fill.occurred_at,
            natural_key=natural_key(RecordKind.FEE, stream_key(*stream, ident, coin)),
            asset=coin,
            amount=0 - fee,
            exchange_tx_id=ident,
            market=fill.market,
            raw={"type": "trade_fee", **raw, "feeCoin": coin, "fee": str(fee), "fill": fill.raw},
        )
        for coin, fee in parts[1:]
        if fee != 0  # a coin listed with nothing charged moves nothing
    ]


def _given(value: Any) -> bool:
    return value not in (None, "")
