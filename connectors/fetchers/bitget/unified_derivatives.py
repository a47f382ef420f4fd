"""Bitget unified trading account (UTA) futures and margin loans through API v3: which list each endpoint reads, and
what each row becomes.

| endpoint | stream (cursor key) | list (`category`) | rows kept |
| --- | --- | --- | --- |
| futures trades | `uta:fills:<category>` | `GET /api/v3/trade/fills` | FUTURES_TRADE, a fee record per further coin |
| futures trades | `uta:records:<category>` | `GET /api/v3/account/financial-records` | see below |
| funding | `uta:<category>` | financial records | `CONTRACT_MAIN_SETTLE_FEE_USER_IN`/`_OUT`: FUNDING |
| margin loans | `uta:MARGIN` | financial records, MARGIN | loans, interest, a liquidation's records (below) |
| dust | `uta:records:SPOT`, `…:OTHER` | financial records, SPOT and OTHER | small-asset conversions, below |

A position's open, close, reduction or liquidation record gives its `amount` as REALIZED_PNL; a "Redeem" leg
(`EXCHANGE_*_TOKEN_USER_*`) is a CONVERT of its one coin.
`<category>` is USDT-FUTURES, COIN-FUTURES and USDC-FUTURES. Both lists: 30-day ranges over the last 90 days, at most
100 rows, the next page by `data.cursor`, 20 requests a second (uta/trade/Get-Order-Fills,
uta/account/Get-Financial-Records; types from uta/enum, "type (financial records)").

A financial record is one change of one coin's balance: `amount`, with the `fee` apart. The fee of a position's
record is the fill's, stored with the fill, so only the amount is kept; a fill's every fee coin is kept
(`unified_fees`). Records that other lists store are left: fills' legs (`ORDER_DEALT_*`, `ORDER_PLF_FEE_OUT`: the
fills), transfers (`TRANSFER_IN`/`_OUT`: the main-sub transfer list's, `unified_transfers`).
Every other type the enum names is counted as its name says, whichever category lists it:

| type (uta/enum) | record |
| --- | --- |
| positions (`OPEN_LONG` … `BURST_SELL_SSM`) | REALIZED_PNL, `amount` as written |
| `EXCHANGE_SOURCE_TOKEN_USER_OUT` / `EXCHANGE_TARGET_TOKEN_USER_IN` "Redeem" | CONVERT of the one coin, sell / buy |
| `LIQ_CONVERT_OUT` / `_IN` "Liquidation convert out/in" | CONVERT of the one coin, sell / buy |
| `SMALL_ASSET_SOURCE_TOKEN_USER_OUT` / `_TARGET_TOKEN_USER_IN` (uta/enum, "Tax type") | CONVERT, sell / buy |
| `BORROW`, `REPAYMENT`, `LIQ_REPAYMENT` "Liquidation repayment" | BORROW, REPAY (the principal) |
| `INTEREST_SETTLEMENT_OUT`, `INTEREST_REPAYMENT` | INTEREST, paid |
| `LIQ_FEE` "Liquidation fee" | REALIZED_PNL, paid |
| `LIQ_FUND_IN` / `_OUT` "Liquidation fund in/out" | REALIZED_PNL, in / out |
| `RISK_LIQ_USER_IN` / `_OUT` "User money in/out due to liquidation risk" | REALIZED_PNL, in / out |

A conversion leg's own `fee` is kept as its fee (no other list charges it); a position's is the fill's.
The SPOT and OTHER categories are read for what no other list stores: a unified account has no dust-conversion list
of its own (the v2 one answers 40085), and the tax enum names small-asset conversions by these two types.
Signed by their type where the name says the direction, whichever sign the row writes (as funding). The enum names
`LIQ_TRANSFER_IN`/`_OUT` "Liquidation transfer" and `RESERVE_TRANSFER_IN`/`_OUT` "Reserve transfer" without saying
whose wallet the other side is (the account's own funding wallet, which the balance check reads too, or Bitget's), so
they and any type the enum does not list are kept as LEDGER lines (not counted): a difference they leave shows in the
reconciliation rather than being guessed at.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import timedelta
from decimal import Decimal
from typing import Any

from connectors.fetchers.bitget.derivatives import PRODUCT_TYPES, market_symbol
from connectors.fetchers.bitget.pages import Parsed
from connectors.fetchers.bitget.streams import stream_key
from connectors.fetchers.bitget.unified_fees import FeeParts, fee_parts, first_fee, further_fees
from connectors.profiles import Endpoint, EndpointSpec
from connectors.records import NormalizedRecord, RecordKind, Side, exact, ms_to_utc, natural_key

FILLS = "privateUtaGetV3TradeFills"
FINANCIAL_RECORDS = "privateUtaGetV3AccountFinancialRecords"
MARGIN = "MARGIN"
PAGE_SIZE = 100
POSITION_TYPES = frozenset(
    {
        "OPEN_LONG",
        "OPEN_SHORT",
        "BUY_DEAL",
        "SELL_DEAL",
        "CLOSE_LONG",
        "CLOSE_SHORT",
        "FORCE_CLOSE_LONG",
        "FORCE_CLOSE_SHORT",
        "BURST_CLOSE_LONG",
        "BURST_CLOSE_SHORT",
        "OFFSET_REDUCE_CLOSE_LONG",
        "OFFSET_REDUCE_CLOSE_SHORT",
        "FORCE_BUY_SSM",
        "FORCE_SELL_SSM",
        "BURST_BUY_SSM",
        "BURST_SELL_SSM",
    }
)
FUNDING_IN, FUNDING_OUT = "CONTRACT_MAIN_SETTLE_FEE_USER_IN", "CONTRACT_MAIN_SETTLE_FEE_USER_OUT"
# One coin's leg of an exchange inside the account ("Redeem"; a liquidation's conversion of collateral into the coin
# owed): the page links no leg to its other.
CONVERT_LEGS = {
    "EXCHANGE_SOURCE_TOKEN_USER_OUT": Side.SELL,
    "EXCHANGE_TARGET_TOKEN_USER_IN": Side.BUY,
    "LIQ_CONVERT_OUT": Side.SELL,
    "LIQ_CONVERT_IN": Side.BUY,
    "SMALL_ASSET_SOURCE_TOKEN_USER_OUT": Side.SELL,
    "SMALL_ASSET_TARGET_TOKEN_USER_IN": Side.BUY,
}
INTEREST_TYPES = frozenset({"INTEREST_SETTLEMENT_OUT", "INTEREST_REPAYMENT"})
LOAN_TYPES = {"BORROW": RecordKind.BORROW, "REPAYMENT": RecordKind.REPAY, "LIQ_REPAYMENT": RecordKind.REPAY}
# Money a liquidation took from the account or paid into it, by the direction its name gives.
LIQUIDATION_CHANGES = {
    "LIQ_FEE": -1,
    "LIQ_FUND_IN": 1,
    "LIQ_FUND_OUT": -1,
    "RISK_LIQ_USER_IN": 1,
    "RISK_LIQ_USER_OUT": -1,
}
ELSEWHERE = frozenset({"ORDER_DEALT_IN", "ORDER_DEALT_FROZEN_OUT", "ORDER_PLF_FEE_OUT", "TRANSFER_IN", "TRANSFER_OUT"})
ENDPOINTS = frozenset({Endpoint.FUTURES_TRADES, Endpoint.FUNDING, Endpoint.MARGIN_LOANS, Endpoint.DUST})
SPOT_AND_OTHER = ("SPOT", "OTHER")  # categories read with DUST


@dataclass(frozen=True, slots=True)
class Stream:
    key: str
    method: str
    params: Mapping[str, str]
    parse: Callable[[Mapping[str, Any]], list[Parsed]]


def one(parse: Callable[[Mapping[str, Any]], Parsed]) -> Callable[[Mapping[str, Any]], list[Parsed]]:
    """A parser of one record per row as a stream's (a fill's parser gives a record per fee coin too)."""
    return lambda row: [parse(row)]


def derivatives_spec(spec: EndpointSpec) -> EndpointSpec:
    path = "trade/fills" if spec.endpoint is Endpoint.FUTURES_TRADES else "account/financial-records"
    return replace(
        spec,
        window=timedelta(days=30),
        lookback=timedelta(days=90),
        page_size=PAGE_SIZE,
        api_path=f"GET /api/v3/{path}",
    )


class UnifiedDerivatives:
    def __init__(self, client: Any) -> None:
        self.client = client

    def code(self, coin: str) -> str:
        return str(self.client.safe_currency_code(coin.upper()))

    def streams(self, endpoint: Endpoint) -> list[Stream]:
        if endpoint is Endpoint.MARGIN_LOANS:
            return [Stream(stream_key("uta", MARGIN), FINANCIAL_RECORDS, {"category": MARGIN}, one(self.loan_record))]
        if endpoint is Endpoint.DUST:
            return [
                Stream(stream_key("uta", "records", c), FINANCIAL_RECORDS, {"category": c}, one(self.loan_record))
                for c in SPOT_AND_OTHER
            ]
        if endpoint is Endpoint.FUNDING:
            return [
                Stream(stream_key("uta", c), FINANCIAL_RECORDS, {"category": c}, one(self.funding))
                for c in PRODUCT_TYPES
            ]
        streams = []
        for category in PRODUCT_TYPES:
            streams.append(
                Stream(stream_key("uta", "fills", category), FILLS, {"category": category}, self._fill_of(category)),
            )
            streams.append(
                Stream(
                    stream_key("uta", "records", category),
                    FINANCIAL_RECORDS,
                    {"category": category},
                    one(self.position_record),
                )
            )
        return streams

    # -- records ----------------------------------------------------------------------------------------------

    def _fill_of(self, category: str) -> Callable[[Mapping[str, Any]], list[Parsed]]:
        def parse(row: Mapping[str, Any]) -> list[Parsed]:
            fill, parts = self.fill(row, category)
            return [(record, None) for record in (fill, *further_fees(fill, category, parts))]

        return parse

    def fill(self, row: Mapping[str, Any], category: str) -> tuple[NormalizedRecord, FeeParts]:
        """The fill as a FUTURES_TRADE holding its first fee coin, and every fee coin it paid."""
        symbol = str(row["symbol"])
        _, base, quote = market_symbol(symbol, category, "")
        # The settle coin: the quote of USDT-M and USDC-M, the base of coin-M (a v3 fill names no margin coin).
        settle = self.code(base if category == "COIN-FUTURES" else quote)
        market, _, _ = market_symbol(symbol, category, settle)
        parts = fee_parts(row, self.code)
        fee_asset, fee_amount = first_fee(parts)
        ident = str(row["execId"])
        # Coin-M's notional in its settle coin is the quantity itself; `execValue` is in USD.
        notional = exact(row["execQty"]) if category == "COIN-FUTURES" else exact(row["execValue"])
        record = NormalizedRecord(
            kind=RecordKind.FUTURES_TRADE,
            occurred_at=ms_to_utc(row["createdTime"]),
            natural_key=natural_key(RecordKind.FUTURES_TRADE, stream_key("uta", category, ident)),
            asset=self.code(base),
            amount=exact(row["execQty"]),
            exchange_tx_id=ident,
            market=market,
            side=str(row["side"]).lower(),
            quote_asset=settle,
            quote_amount=notional,
            price=exact(row["execPrice"]),
            fee_asset=fee_asset,
            fee_amount=fee_amount,
            raw=dict(row),
        )
        return record, parts

    def position_record(self, row: Mapping[str, Any]) -> Parsed:
        """A futures category's record; funding is the FUNDING endpoint's."""
        if str(row["type"]) in (FUNDING_IN, FUNDING_OUT):
            return None, None
        return self.balance_change(row), None

    def funding(self, row: Mapping[str, Any]) -> Parsed:
        kind = str(row["type"])
        if kind not in (FUNDING_IN, FUNDING_OUT):
            return None, None
        # Signed by its type ("collection" or "deduction"), whichever sign the row writes.
        amount = abs(exact(row["amount"]))
        return self.record(row, RecordKind.FUNDING, amount if kind == FUNDING_IN else 0 - amount), None

    def loan_record(self, row: Mapping[str, Any]) -> Parsed:
        """A MARGIN, SPOT or OTHER record: loans, interest, conversions, a liquidation's records as any category's."""
        return self.balance_change(row), None

    def balance_change(self, row: Mapping[str, Any]) -> NormalizedRecord | None:
        """A financial record as the type the enum names it says (the table above); None for another list's."""
        kind = str(row["type"])
        if kind in ELSEWHERE:
            return None
        amount = exact(row["amount"])
        if kind in POSITION_TYPES:
            return self.record(row, RecordKind.REALIZED_PNL, amount) if amount != 0 else None
        if kind in CONVERT_LEGS:
            leg = replace(self.record(row, RecordKind.CONVERT, abs(amount)), side=CONVERT_LEGS[kind])
            fee = exact(row["fee"]) if row.get("fee") not in (None, "") else Decimal(0)
            return replace(leg, fee_asset=leg.asset, fee_amount=abs(fee)) if fee else leg
        if kind in LOAN_TYPES:
            return self.record(row, LOAN_TYPES[kind], abs(amount))
        if kind in INTEREST_TYPES:
            return self.record(row, RecordKind.INTEREST, 0 - abs(amount))  # charged: negative
        if kind in LIQUIDATION_CHANGES:
            return self.record(row, RecordKind.REALIZED_PNL, LIQUIDATION_CHANGES[kind] * abs(amount))
        return self.record(row, RecordKind.LEDGER, amount)

    def record(self, row: Mapping[str, Any], kind: RecordKind, amount: Decimal) -> NormalizedRecord:
        ident = str(row["id"])
        return NormalizedRecord(
            kind=kind,
            occurred_at=ms_to_utc(row["ts"]),
            natural_key=natural_key(kind, stream_key("uta", ident)),
            asset=self.code(str(row["coin"])),
            amount=amount,
            exchange_tx_id=ident,
            market=str(row.get("symbol") or "") or None,
            raw=dict(row),
        )
