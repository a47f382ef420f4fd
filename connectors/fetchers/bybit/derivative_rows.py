"""Bybit v5 derivatives rows into records: fills, realized profit and loss, funding and interest.

Which field carries what (docs/exchange-apis/bybit.md names each page):
- a fill (`GET /v5/execution/list`, category linear, inverse or option) is a FUTURES_TRADE whose fee is `execFee`
  in the settle coin. Funding rows of the list (`execType` Funding) are not fills: funding comes from the log.
- a transaction-log line: "Change = cashFlow + funding - fee" (unified log; `funding` positive when received) or
  "Change = cashFlow - funding - fee" (classic contract log; `funding` positive when deducted). A fill's line's `fee`
  is the fee the execution list already carries, so it is never counted again: `cashFlow` (closing profit, option
  premium and delivery, the USDC session settlement) is a REALIZED_PNL record and `funding` a FUNDING record. The
  `fee` of a line no fill stands behind (FEE_REFUND, BONUS, …) is that line's REALIZED_PNL record's fee.
  `cashFlow` also carries "transfer in or transfer out": those lines (TRANSFER_IN, TRANSFER_OUT) are the account's
  own transfers, read from the transfer list, and spot lines belong to the spot history: both are left out.
- a borrow-history row: `borrowCost` "Interest" charged in `currency`: an INTEREST record, negative.

Market symbols follow Bybit's naming (docs/v5/enum.mdx#symbol): USDT perpetuals `BTCUSDT`, USDC perpetuals
`BTCPERP`, USDT futures `BTCUSDT-21FEB25`, USDC futures `BTC-27DEC24`, inverse perpetuals `BTCUSD`, options
`BTC-30DEC22-18000-C` (USDC) or with a `-USDT` suffix; they become ccxt symbols with the settle coin.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from connectors.fetchers.bybit.rows import FUNDING_EXECUTION, Parsed
from connectors.records import NormalizedRecord, RecordKind, exact, ms_to_utc, natural_key

LINEAR, INVERSE, OPTION = "linear", "inverse", "option"
DERIVATIVE_CATEGORIES = frozenset({LINEAR, INVERSE, OPTION})
NOT_FILLS = frozenset({FUNDING_EXECUTION})  # funding payments: read from the transaction log
OWN_TRANSFERS = frozenset({"TRANSFER_IN", "TRANSFER_OUT"})
FUNDING_LINES = "SETTLEMENT"
# Log lines an execution stands behind (enum.mdx#exectype: Trade, BlockTrade, MovePosition → TRADE; BustTrade →
# LIQUIDATION; AdlTrade → ADL; Delivery → DELIVERY; Funding and Settle → SETTLEMENT): their `fee` is the fill's
# `execFee`, stored with the fill (a funding line's, in the pages' examples, is ""). Any other line's fee is its own.
FILL_LINES = frozenset({"TRADE", "LIQUIDATION", "ADL", "DELIVERY", "SETTLEMENT"})


def _expiry(text: str) -> str | None:
    """Bybit's `30DEC22` (or `7JUN24`) as ccxt's `221230`."""
    try:
        return datetime.strptime(text.upper(), "%d%b%y").strftime("%y%m%d")
    except ValueError:
        return None


def contract(category: str, symbol: str) -> tuple[str, str, str] | None:
    """(base, settle coin, ccxt symbol) of a Bybit derivatives symbol; None when its name follows no known rule."""
    if category == OPTION:
        parts = symbol.split("-")
        expiry = _expiry(parts[1]) if len(parts) >= 4 else None
        if expiry is None:
            return None
        settle = parts[4] if len(parts) > 4 else "USDC"
        return parts[0], settle, f"{parts[0]}/{settle}:{settle}-{expiry}-{parts[2]}-{parts[3]}"
    if category == INVERSE:
        if symbol.endswith("USD") and len(symbol) > 3:
            base = symbol[:-3]
            return base, base, f"{base}/USD:{base}"
        return None
    head, _, month = symbol.partition("-")
    expiry = _expiry(month) if month else ""
    if expiry is None:
        return None
    suffix = f"-{expiry}" if expiry else ""
    for ending, settle in (("USDT", "USDT"), ("PERP", "USDC"), ("USDC", "USDC")):
        if head.endswith(ending) and len(head) > len(ending):
            base = head[: -len(ending)]
            return base, settle, f"{base}/{settle}:{settle}{suffix}"
    if month:  # USDC futures: BTC-27DEC24
        return head, "USDC", f"{head}/USDC:USDC{suffix}"
    return None


def _given(value: Any) -> bool:
    return value not in (None, "")


class DerivativeRows:
    """Reads Bybit's derivatives rows; `code` turns Bybit's coin names into ccxt's."""

    def __init__(self, code: Callable[[str], str]) -> None:
        self.code = code

    def fill(self, category: str) -> Callable[[Mapping[str, Any], int], Parsed]:
        def parse(row: Mapping[str, Any], window_start: int) -> Parsed:
            if str(row.get("execType", "")) in NOT_FILLS:
                return None, None
            symbol = str(row["symbol"])
            known = contract(category, symbol)
            base, settle, market = known if known else (symbol, None, symbol)
            ident = str(row["execId"])
            price, qty = exact(row["execPrice"]), exact(row["execQty"])
            fee = exact(row["execFee"]) if _given(row.get("execFee")) else None
            settle_code = self.code(settle) if settle else None
            record = NormalizedRecord(
                kind=RecordKind.FUTURES_TRADE,
                occurred_at=ms_to_utc(row["execTime"]),
                natural_key=natural_key(RecordKind.FUTURES_TRADE, ident),
                asset=self.code(base),
                amount=qty,
                exchange_tx_id=ident,
                market=market,
                side=str(row["side"]).lower(),
                quote_asset=settle_code,
                quote_amount=exact(row["execValue"]) if _given(row.get("execValue")) else price * qty,
                price=price,
                fee_asset=settle_code if fee is not None else None,
                fee_amount=fee,
                raw={**row, "category": category},
            )
            return record, None

        return parse

    def _line_key(self, kind: RecordKind, row: Mapping[str, Any]) -> str:
        # The docs' own example gives two lines the same `id`: the key names the trade and the type as well.
        return natural_key(
            kind, None, row.get("id"), row.get("tradeId"), row.get("type"), row.get("transactionTime"), row["symbol"]
        )

    def _derivative_line(self, row: Mapping[str, Any]) -> bool:
        return str(row.get("category", "")) in DERIVATIVE_CATEGORIES and str(row.get("type")) not in OWN_TRANSFERS

    def _line(self, kind: RecordKind, row: Mapping[str, Any], amount: Decimal) -> NormalizedRecord:
        category, symbol = str(row["category"]), str(row["symbol"])
        known = contract(category, symbol)
        return NormalizedRecord(
            kind=kind,
            occurred_at=ms_to_utc(row["transactionTime"]),
            natural_key=self._line_key(kind, row),
            asset=self.code(str(row["currency"])),
            amount=amount,
            exchange_tx_id=str(row.get("tradeId") or "") or None,
            market=known[2] if known else symbol,
            raw=dict(row),
        )

    def realized(self, row: Mapping[str, Any], window_start: int) -> Parsed:
        """A log line's `cashFlow`: closing profit or loss, option premium and delivery, session settlement; and the
        `fee` of a line no fill stands behind (FEE_REFUND, BONUS, …), as that record's fee: "Change = cashFlow ±
        funding - fee", so a refund written as a negative fee is paid in."""
        if not self._derivative_line(row):
            return None, None
        flow = exact(row["cashFlow"]) if _given(row.get("cashFlow")) else Decimal(0)
        fee = exact(row["fee"]) if _given(row.get("fee")) and str(row.get("type")) not in FILL_LINES else Decimal(0)
        if flow == 0 and fee == 0:
            return None, None
        record = self._line(RecordKind.REALIZED_PNL, row, flow)
        if fee:
            record = dataclasses.replace(record, fee_asset=record.asset, fee_amount=fee)
        return record, None

    def funding(self, *, deducted_positive: bool) -> Callable[[Mapping[str, Any], int], Parsed]:
        """A settlement line's `funding`, signed as received: the classic log writes a payment as positive."""

        def parse(row: Mapping[str, Any], window_start: int) -> Parsed:
            if not self._derivative_line(row) or str(row.get("type")) != FUNDING_LINES:
                return None, None
            if not _given(row.get("funding")) or exact(row["funding"]) == 0:
                return None, None
            amount = exact(row["funding"])
            return self._line(RecordKind.FUNDING, row, -amount if deducted_positive else amount), None

        return parse

    def interest(self, row: Mapping[str, Any], window_start: int) -> Parsed:
        cost = exact(row["borrowCost"]) if _given(row.get("borrowCost")) else Decimal(0)
        if cost == 0:
            return None, None
        coin, when = str(row["currency"]), int(row["createdTime"])
        record = NormalizedRecord(
            kind=RecordKind.INTEREST,
            occurred_at=ms_to_utc(when),
            natural_key=natural_key(RecordKind.INTEREST, None, coin, when, row["borrowCost"]),
            asset=self.code(coin),
            amount=-cost,
            raw=dict(row),
        )
        return record, None
