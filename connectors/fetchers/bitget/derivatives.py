"""Bitget futures with a normal key: USDT-M, coin-M and USDC-M fills, realized profit and loss, funding fees.

| stream (cursor key) | list | range per request | page | reach |
| --- | --- | --- | --- | --- |
| `fills:<productType>` | `GET /api/v2/mix/order/fill-history` | 7 days | 100 | 90 days (profile) |
| `bills:<productType>` | `GET /api/v2/mix/account/bill` (`onlyFunding=yes`) | 30 days | 100 | 90 days |
| `<productType>` (FUNDING) | the bill list with `businessType=contract_settle_fee` | 30 days | 100 | 90 days |

A fill is a FUTURES_TRADE that carries its fee (its first `feeDetail` coin's; each further coin, a BGB deduction
beside the margin coin, a FEE keyed `fee:<productType>:<tradeId>:<coin>`); the bill of the same fill (`open_*`,
`close_*`, …) carries the fee again and the realized profit: only its `amount` is stored, as REALIZED_PNL, so no fee
is counted twice. Funding fees are the FUNDING endpoint's (the bill list filtered by its type, so FUTURES_TRADES
skips them). Transfers in and out of the futures accounts (`trans_*`) are the TRANSFERS endpoint's (`transferRecords`
lists them with their `fromType`/`toType`): the bill rows are not stored twice. Coupons, copy-trading money,
insurance transfers and multi-assets exchanges are stored as the page names them (REWARD, signed REALIZED_PNL, one
CONVERT leg per coin). Every product type is asked on every sync: an account that never traded futures costs the
bills (3 × 3 requests): on a product type's first walk, bills empty over the whole range asked mean no fill either
(every fill writes its open or close bill), so its fills are not asked (13 requests saved) and their cursor starts
where the bills ended; later syncs ask both from their cursors.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from connectors.fetchers.base import Cursor, FetchReport, Page
from connectors.fetchers.bitget.streams import List, Parse, listing, stream_key, walk
from connectors.fetchers.bitget.unified_fees import fee_records, first_fee, signed_fee_parts
from connectors.fetchers.windows import to_ms
from connectors.profiles import Endpoint, EndpointSpec
from connectors.records import NormalizedRecord, RecordKind, Side, exact, ms_to_utc, natural_key

PRODUCT_TYPES = ("USDT-FUTURES", "COIN-FUTURES", "USDC-FUTURES")
FILLS = listing("privateMixGetV2MixOrderFillHistory", "fillList", "tradeId", 7, 100)
BILLS = listing("privateMixGetV2MixAccountBill", "bills", "billId", 30, 100)
FUNDING_TYPE = "contract_settle_fee"
# Bills whose amount is the position's realized profit or loss (contract/account/Get-Account-Bill, businessType).
PNL_TYPES = frozenset(
    {
        "close_long",
        "close_short",
        "force_close_long",
        "force_close_short",
        "burst_long_loss_query",
        "burst_short_loss_query",
        "buy",
        "sell",
        "force_buy",
        "force_sell",
        "burst_buy",
        "burst_sell",
        "delivery_long",
        "delivery_short",
        "adl_close_long",
        "adl_close_short",
        "adl_buy_in_single_side_mode",
        "adl_sell_in_single_side_mode",
        "open_long",
        "open_short",
    }
)
INTEREST_TYPES = frozenset({"settle_interest"})
# Coupons and bonuses the page lists ("distribute coupon/gift/card", "bonus/coupon issue"): money given, a REWARD.
GIFT_TYPES = frozenset({"cash_gift_issue", "bonus_issue"})
# Money taken back or paid out of the wallet that is no trade's: coupons recycled or expired, copy-trading pay,
# cashback and income, the insurance fund's transfer at the user end. Signed as the bill writes it (REALIZED_PNL is
# the signed settle-asset kind), so the wallet's balance is explained without guessing at a meaning the page omits.
SIGNED_OTHER_TYPES = frozenset(
    {
        "cash_gift_recycle",
        "bonus_recycle",
        "bonus_expired",
        "tracking_follow_pay",
        "tracking_follow_back",
        "tracking_trader_income",
        "risk_captital_user_transfer",
    }
)
# "Exchange buy/sell (multi-assets mode)": one coin's leg of an exchange inside the futures wallet, signed. The page
# links no leg to its other, so each is a CONVERT of its own coin: bought when positive, sold when negative.
EXCHANGE_TYPES = frozenset({"user_exchange_buy", "user_exchange_sell"})
# Bills other endpoints store: funding (FUNDING) and transfers between the account's wallets (TRANSFERS).
ELSEWHERE_PREFIXES = ("trans_", FUNDING_TYPE)


def market_symbol(symbol: str, product: str, settle: str) -> tuple[str, str, str]:
    """ccxt's symbol, base and quote of a Bitget contract: BTCUSDT (USDT-M) -> BTC/USDT:USDT; BTCUSD (coin-M) ->
    BTC/USD:BTC, a delivery BTCUSD_231229 -> BTC/USD:BTC-231229; BTCPERP or BTCUSDC (USDC-M) -> BTC/USDC:USDC."""
    name, _, expiry = symbol.partition("_")
    quote = {"USDT-FUTURES": "USDT", "COIN-FUTURES": "USD", "USDC-FUTURES": "USDC"}[product]
    for suffix in (quote, "PERP"):
        if name.endswith(suffix) and len(name) > len(suffix):
            base = name[: -len(suffix)]
            break
    else:
        raise ValueError(f"Bitget {product} fill of {symbol!r}, which Tallybot cannot split")
    return f"{base}/{quote}:{settle}" + (f"-{expiry}" if expiry else ""), base, quote


class BitgetFutures:
    """FUTURES_TRADES (fills and realized profit) and FUNDING of the three futures product types."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def code(self, coin: str) -> str:
        return str(self.client.safe_currency_code(coin))

    async def fetch(
        self,
        spec: EndpointSpec,
        *,
        since: datetime | None,
        until: datetime,
        cursors: Mapping[str, Cursor],
        report: FetchReport,
    ) -> AsyncIterator[Page]:
        for product in PRODUCT_TYPES:
            if spec.endpoint is Endpoint.FUNDING:
                streams = [(product, BILLS, {"productType": product, "businessType": FUNDING_TYPE})]
            else:
                # The bills first: they are the sign of futures use (every fill writes its open or close bill).
                streams = [
                    (stream_key("bills", product), BILLS, {"productType": product, "onlyFunding": "yes"}),
                    (stream_key("fills", product), FILLS, {"productType": product}),
                ]
            rows_seen = 0
            fresh = not any(key in cursors for key, _, _ in streams)
            for key, source, params in streams:
                if source is FILLS and fresh and not rows_seen:
                    # A first walk whose bills hold no row in the whole range asked: no fill either (every fill
                    # writes its open or close bill). The week-by-week fills walk (13 requests) is left out and its
                    # cursor starts where the bills ended.
                    report.markets_not_scanned[key] = "no_futures_bills"  # a code: why, for the log
                    yield Page(spec.endpoint, (), {"window_start_ms": to_ms(until) + 1}, until, key)
                    continue
                report.markets_scanned.append(key)
                parse = self._parser(spec.endpoint, source, product)

                def counted(row: Mapping[str, Any], parse: Parse = parse) -> NormalizedRecord | None:
                    nonlocal rows_seen
                    rows_seen += 1
                    return parse(row)

                async for page in walk(
                    self.client,
                    spec,
                    source,
                    counted,
                    key=key,
                    params=params,
                    since=since,
                    until=until,
                    cursor=cursors.get(key),
                    report=report,
                ):
                    yield self.with_further_fees(page, product) if source is FILLS else page

    def _parser(self, endpoint: Endpoint, listing: List, product: str) -> Parse:
        if listing is FILLS:
            return lambda row: self.fill(row, product)
        if endpoint is Endpoint.FUNDING:
            return lambda row: self.bill(row, RecordKind.FUNDING) if row["businessType"] == FUNDING_TYPE else None
        return self.position_bill

    def fill(self, row: Mapping[str, Any], product: str) -> NormalizedRecord:
        settle = self.code(str(row["marginCoin"]))
        market, base, _ = market_symbol(str(row["symbol"]), product, settle)
        # One fee per coin: the first on the fill, each further coin a FEE of its own (with_further_fees).
        fee_coin, fee = first_fee(signed_fee_parts(row, self.code))
        ident = str(row["tradeId"])
        # The contract: quote = the settle asset and the notional in it. USDT-M and USDC-M settle in the quote
        # (`quoteVolume`); coin-M's `quoteVolume` is USD, and its notional in the settle coin is `baseVolume`
        # itself ("Amount of coins traded").
        notional = exact(row["baseVolume"]) if product == "COIN-FUTURES" else exact(row["quoteVolume"])
        return NormalizedRecord(
            kind=RecordKind.FUTURES_TRADE,
            occurred_at=ms_to_utc(row["cTime"]),
            natural_key=natural_key(RecordKind.FUTURES_TRADE, f"{product}:{ident}"),
            asset=self.code(base),
            amount=exact(row["baseVolume"]),
            exchange_tx_id=ident,
            market=market,
            side=str(row["side"]).lower(),
            quote_asset=settle,
            quote_amount=notional,
            price=exact(row["price"]),
            fee_asset=fee_coin,
            fee_amount=fee,
            raw=dict(row),
        )

    def with_further_fees(self, page: Page, product: str) -> Page:
        """The page with a FEE after each fill for every fee coin beyond its first (a fee split between the margin
        coin and a BGB deduction has two entries in `feeDetail`): a fill's record holds one fee."""
        records: list[NormalizedRecord] = []
        for fill in page.records:
            records.append(fill)
            parts = signed_fee_parts(fill.raw, self.code)
            records.extend(fee_records(fill, (product,), parts, {"productType": product}))
        return replace(page, records=tuple(records))

    def position_bill(self, row: Mapping[str, Any]) -> NormalizedRecord | None:
        business = str(row["businessType"])
        if business.startswith(ELSEWHERE_PREFIXES):
            return None
        if business in PNL_TYPES:
            return self.bill(row, RecordKind.REALIZED_PNL) if exact(row["amount"]) != 0 else None
        if business in INTEREST_TYPES:
            return self.bill(row, RecordKind.INTEREST)
        amount = exact(row["amount"])
        if amount == 0:
            return None
        if business in GIFT_TYPES and amount > 0:
            return self.bill(row, RecordKind.REWARD)
        if business in GIFT_TYPES or business in SIGNED_OTHER_TYPES:
            return self.bill(row, RecordKind.REALIZED_PNL)
        if business in EXCHANGE_TYPES:
            return self.exchange_leg(row, amount)
        # A type the page does not list: kept as a ledger line (not counted), so a difference it leaves is seen
        # rather than guessed at.
        return self.bill(row, RecordKind.LEDGER)

    def exchange_leg(self, row: Mapping[str, Any], amount: Decimal) -> NormalizedRecord:
        record = self.bill(row, RecordKind.CONVERT)
        return replace(record, amount=abs(amount), side=Side.BUY if amount > 0 else Side.SELL)

    def bill(self, row: Mapping[str, Any], kind: RecordKind) -> NormalizedRecord:
        """The bill's signed `amount` (its `fee` is the fill's, stored with the fill)."""
        ident = str(row["billId"])
        return NormalizedRecord(
            kind=kind,
            occurred_at=ms_to_utc(row["cTime"]),
            natural_key=natural_key(kind, stream_key("bill", ident)),
            asset=self.code(str(row["coin"])),
            amount=exact(row["amount"]),
            exchange_tx_id=ident,
            market=str(row.get("symbol") or "") or None,
            raw=dict(row),
        )
