"""Binance's other wallet histories: dust, P2P orders, Binance Pay, fiat orders and payments.

| endpoint | list | range per request | paging | reach | weight |
| --- | --- | --- | --- | --- | --- |
| DUST | `/sapi/v1/asset/dribblet` | not limited | none: "only return last 100 records" | after 2020-12-01 | 1 IP |
| P2P | `/sapi/v1/c2c/orderMatch/listUserOrderHistory`, BUY, SELL | 30 days | `page`, `rows` 100 | 6 months | 1 IP |
| PAY | `/sapi/v1/pay/transactions` | 90 days | none: `limit` 100, the end moves back | 18 months | 3,000 UID |
| FIAT | `/sapi/v1/fiat/orders`, transactionType 0, 1 | not limited | `page`, `rows` 500 | not stated | 45,000 UID |
| FIAT | `/sapi/v1/fiat/payments`, transactionType 0, 1 | not limited | `page`, `rows` 500 | not stated | 1 IP |

docs/exchange-apis/binance.md names each page. Endpoints made of several lists (P2P's two trade types, fiat's four)
keep one walk cursor per list inside the endpoint's cursor (`{"lists": {name: walk cursor}}`). A P2P order, fiat
order or payment in progress holds its list's cursor at its time (windows.py), so the next sync stores it once done;
a fiat order or payment still unfinished after weeks is let go and named (`sync.gap.pending_released`). A fiat order
"Order Partial credit Stopped" is held the same way: no page says which amount was credited, so none is stored.
Each list is paced by its own documented budget, as budgets.py paces the older wallet lists; `request` paces
Simple Earn's lists (simple_earn.py) the same way.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from functools import partial
from typing import Any

from connectors.clients import last_response_headers
from connectors.fetchers.base import CoverageGap, Cursor, FetchReport, Page
from connectors.fetchers.binance.budgets import SapiPacing
from connectors.fetchers.binance.simple_earn import RULES as EARN_RULES
from connectors.fetchers.discovery import AssetEvidence
from connectors.fetchers.windows import (
    FetchWindowPage,
    WindowPage,
    WindowWalk,
    call,
    hold_if_recent,
    since_ms,
    span_ms,
    to_ms,
    walk_begin,
)
from connectors.profiles import Endpoint, EndpointSpec
from connectors.records import NormalizedRecord, RecordKind, exact, ms_to_utc, natural_key
from i18n import Text

# ccxt implicit method -> (Binance path, documented weight, True: the account's UID budget, False: the IP's).
RULES: Mapping[str, tuple[str, int, bool]] = {
    "sapiGetAssetDribblet": ("/sapi/v1/asset/dribblet", 1, False),  # wallet/asset/dust-log
    "sapiGetC2cOrderMatchListUserOrderHistory": ("/sapi/v1/c2c/orderMatch/listUserOrderHistory", 1, False),
    "sapiGetPayTransactions": ("/sapi/v1/pay/transactions", 3_000, True),  # pay/rest-api
    "sapiGetFiatOrders": ("/sapi/v1/fiat/orders", 45_000, True),  # fiat/rest-api
    "sapiGetFiatPayments": ("/sapi/v1/fiat/payments", 1, False),  # fiat/rest-api/Get-Fiat-Payments-History
    **EARN_RULES,  # simple_earn.py's lists, paced here too
}
SOURCES = {Endpoint.DUST: "dust", Endpoint.P2P: "p2p", Endpoint.PAY: "pay", Endpoint.FIAT: "fiat"}  # evidence names
KIND_ENDPOINTS = frozenset(SOURCES)

# orderStatus of a C2C order: COMPLETED is final and stored; CANCELLED and CANCELLED_BY_SYSTEM are final and never
# stored; the rest (PENDING, TRADING, BUYER_PAYED, DISTRIBUTING, IN_APPEAL) are still in progress.
P2P_DONE = "COMPLETED"
P2P_FAILED = frozenset({"CANCELLED", "CANCELLED_BY_SYSTEM"})
# Fiat orders: "Processing, Failed, Successful, Finished, Refunding, Refunded, Refund Failed, Order Partial credit
# Stopped" (and "Expired"); payments: "Processing, Completed, Failed, Refunded". As `code()` makes them (lower case).
FIAT_ORDER_DONE = frozenset({"successful", "finished"})
FIAT_PAYMENT_DONE = frozenset({"completed"})
IN_PROGRESS = frozenset({"processing"})
# Part credited, then stopped: the fiat pages name the status but neither says which amount was credited (the row's
# `indicatedAmount` is what was asked, `amount` that less `totalFee`), so Tallybot claims no amount. The order holds
# the list's cursor as one in progress does, so a later sync re-reads it should Binance settle it (Successful,
# Refunded, …); still so after HOLD_MAX_AGE_MS the walk lets it go and names it, and reconciliation shows the fiat
# balance the credited part left unexplained.
PARTLY_CREDITED = frozenset({"orderpartialcreditstopped"})
# A purchase paid from the fiat balance; every other method (card, online banking, bank transfer) pays from outside.
CASH_BALANCE = frozenset({"cashbalance"})
SIDES = ("sell", "buy")  # by whether the account bought: SIDES[True] is "buy"
# Pay's walletType 4 or 6: paid by card, not from a Binance wallet.
CARD_WALLETS = frozenset({4, 6})

Parse = Callable[[Mapping[str, Any]], tuple[list[NormalizedRecord], int | None]]
# The fiat order lists cost 45,000 of their endpoint's 180,000 UID weight a minute each (fiat/rest-api): four calls a
# minute. A list read to its end less than a minute ago is not read again (a sync soon after a sync would otherwise
# spend the whole minute's budget on a minute of bank transfers, and the next one wait or meet a 429); the payments
# lists cost 1 IP weight and are always read.
FIAT_ORDER_LISTS = frozenset({"deposit", "withdrawal"})
RECENTLY_MS = 60_000


class BinanceWalletKinds:
    """The four endpoints above; every page also tells `evidence` which assets the account touched."""

    def __init__(self, client: Any, evidence: AssetEvidence, pacing: SapiPacing, name: str) -> None:
        self.client, self.name, self.evidence = client, name, evidence
        # The sync's /sapi budgets: the account's UID budgets, and the IP budgets every sync of the process shares
        # (and, on PostgreSQL, every process of the deployment: budgets.py).
        self.pacing = pacing

    def code(self, asset: str) -> str:
        return str(self.client.safe_currency_code(asset))

    async def fetch(
        self,
        spec: EndpointSpec,
        *,
        since: datetime | None,
        until: datetime,
        cursors: Mapping[str, Cursor],
        report: FetchReport,
    ) -> AsyncIterator[Page]:
        state: dict[str, Cursor] = dict((cursors.get("") or {}).get("lists") or {})
        until_ms, reach = to_ms(until), FetchReport()
        for name, fetch_page in self._lists(spec, report):
            own = state.get(name)
            if spec.endpoint is Endpoint.FIAT and name in FIAT_ORDER_LISTS and read_within_a_minute(own, until_ms):
                continue  # its cursor stays: the next sync reads this minute with the rest
            start = walk_begin(spec, own, since, reach, exchange_name=self.name)
            span = span_ms(spec.window) if spec.window is not None else max(until_ms - start + 1, 1)
            walk = WindowWalk(spec.endpoint, span, fetch_page, report=report)
            async for page in walk.pages(start_ms=start, until_ms=until_ms, cursor=own, floor_ms=since_ms(since)):
                state[name] = page.cursor
                yield Page(spec.endpoint, page.records, {"lists": dict(state)}, page.covered_until)
        # P2P and Pay reach back 6 and 18 months: that limit is a gap of this account only if it shows it uses the
        # kind (a row seen now or at an earlier sync); for everyone else reconciliation is the check.
        if any(SOURCES[spec.endpoint] in sources for sources in self.evidence.sources.values()):
            report.gaps.extend({gap.reason: gap for gap in reach.gaps}.values())  # one per reason, not per list

    def _lists(self, spec: EndpointSpec, report: FetchReport) -> Sequence[tuple[str, FetchWindowPage]]:
        endpoint = spec.endpoint
        if endpoint is Endpoint.DUST:
            return [("", lambda start, end, token: self._dust_page(spec, report, start, end))]
        if endpoint is Endpoint.P2P:
            return [
                (side, self._numbered(spec, report, "sapiGetC2cOrderMatchListUserOrderHistory", side, self._p2p))
                for side in ("BUY", "SELL")
            ]
        if endpoint is Endpoint.PAY:
            return [("", lambda start, end, token: self._pay_page(spec, report, start, end, token))]
        if endpoint is Endpoint.FIAT:
            orders, payments = "sapiGetFiatOrders", "sapiGetFiatPayments"
            order, payment = self._fiat_order, self._fiat_payment
            lists = [("deposit", orders, "0", order, True), ("withdrawal", orders, "1", order, False)]
            lists += [(SIDES[True], payments, "0", payment, True), (SIDES[False], payments, "1", payment, False)]
            return [(name, self._numbered(spec, report, m, t, partial(parse, f))) for name, m, t, parse, f in lists]
        raise ValueError(f"no Binance wallet list for {endpoint}")

    # -- requests ---------------------------------------------------------------------------------------------

    async def request(self, spec: EndpointSpec, report: FetchReport, method: str, params: dict[str, Any]) -> Any:
        path, weight, uid = RULES[method]
        await self.pacing.spend_path(path, weight, uid=uid, endpoint=spec.endpoint)
        body = await call(self.client, method, params, endpoint=spec.endpoint, report=report)
        self.pacing.observe_path(path, last_response_headers(), uid=uid)
        return body

    def _numbered(
        self, spec: EndpointSpec, report: FetchReport, method: str, kind: str, parse: Parse
    ) -> FetchWindowPage:
        """A list paged by `page` (from 1) and `rows`, whose answer is `{"data": [...], "total": n}`."""

        async def fetch_page(start: int, end: int, token: Any) -> WindowPage:
            number = int(token or 1)
            if method == "sapiGetC2cOrderMatchListUserOrderHistory":
                params: dict[str, Any] = {"tradeType": kind, "startTimestamp": start, "endTimestamp": end}
            else:
                params = {"transactionType": kind, "beginTime": start, "endTime": end}
            params.update({"page": number, "rows": spec.page_size})
            body = await self.request(spec, report, method, params)
            rows = body.get("data") or []
            total = body.get("total")
            more = number * spec.page_size < int(total) if total is not None else len(rows) >= spec.page_size
            return _page_of(rows, parse, number + 1 if more and rows else None)

        return fetch_page

    async def _dust_page(self, spec: EndpointSpec, report: FetchReport, start: int, end: int) -> WindowPage:
        body = await self.request(spec, report, "sapiGetAssetDribblet", {"startTime": start, "endTime": end})
        groups = body.get("userAssetDribblets") or []
        page = WindowPage([])
        for group in groups:
            for detail in group.get("userAssetDribbletDetails") or []:
                page.records.append(self._dust(detail))
        total = int(body.get("total") or 0)
        if total > len(groups):
            # Only the last 100 conversions are listed: the older ones of this range are out of the API's reach.
            oldest = min((int(g["operateTime"]) for g in groups), default=end)
            reason = Text.of("sync.gap.binance.dust_reach", size=spec.page_size, missing=total - len(groups))
            report.gaps.append(CoverageGap(spec.endpoint, ms_to_utc(start), ms_to_utc(oldest), reason))
        return page

    async def _pay_page(self, spec: EndpointSpec, report: FetchReport, start: int, end: int, token: Any) -> WindowPage:
        """No paging: when a range holds a full page, ask again for [start, oldest] and skip the payments of that
        oldest millisecond already seen (their ids ride in the token)."""
        upper = int(token["end"]) if token else end
        seen = set(token["ids"]) if token else set()
        params = {"startTime": start, "endTime": upper, "limit": spec.page_size}
        body = await self.request(spec, report, "sapiGetPayTransactions", params)
        rows = body.get("data") or []
        fresh = [row for row in rows if str(row["transactionId"]) not in seen]
        page = _page_of(fresh, self._pay, None)
        if len(rows) >= spec.page_size:
            oldest = min(int(row["transactionTime"]) for row in rows)
            at_oldest = {str(row["transactionId"]) for row in rows if int(row["transactionTime"]) == oldest}
            if oldest == upper and not fresh:
                # A whole page within one millisecond already seen: no way further back in this range.
                reason = Text.of("sync.gap.binance.crowded", size=spec.page_size, phrase=spec.phrase)
                report.gaps.append(CoverageGap(spec.endpoint, ms_to_utc(upper), ms_to_utc(upper), reason))
                return page
            page.token = {"end": oldest, "ids": sorted(at_oldest | (seen if oldest == upper else set()))}
        return page

    # -- records ----------------------------------------------------------------------------------------------

    def _dust(self, row: Mapping[str, Any]) -> NormalizedRecord:
        """One coin of a dust conversion: `amount` of `fromAsset` became `transferedAmount` BNB, after the
        `serviceChargeAmount` (BNB) Binance kept; so the convert buys the gross and pays the charge as its fee."""
        source = str(row["fromAsset"])
        self.evidence.note(source, "dust")
        self.evidence.note("BNB", "dust")
        received, charge = exact(row["transferedAmount"]), exact(row["serviceChargeAmount"])
        ident = str(row["transId"])
        return NormalizedRecord(
            kind=RecordKind.CONVERT,
            occurred_at=ms_to_utc(row["operateTime"]),
            natural_key=natural_key(RecordKind.CONVERT, ":".join(("dust", ident, source))),
            asset=self.code("BNB"),
            amount=received + charge,
            exchange_tx_id=ident,
            side=SIDES[True],
            quote_asset=self.code(source),
            quote_amount=exact(row["amount"]),
            fee_asset=self.code("BNB"),
            fee_amount=charge,
            raw=dict(row),
        )

    def _p2p(self, row: Mapping[str, Any]) -> tuple[list[NormalizedRecord], int | None]:
        asset, fiat, status = str(row["asset"]), str(row["fiat"]), str(row["orderStatus"])
        self.evidence.note(asset, "p2p")
        when = int(row["createTime"])
        if status in P2P_FAILED:
            return [], None
        if status != P2P_DONE:
            return [], hold_if_recent(when)
        ident, buy = str(row["orderNumber"]), str(row["tradeType"]) == "BUY"
        total = exact(row["totalPrice"])
        trade = NormalizedRecord(
            kind=RecordKind.TRADE,
            occurred_at=ms_to_utc(when),
            natural_key=natural_key(RecordKind.TRADE, f"p2p:{ident}"),
            asset=self.code(asset),
            amount=exact(row["amount"]),
            exchange_tx_id=ident,
            market=f"{self.code(asset)}/{self.code(fiat)}",
            side=SIDES[buy],
            quote_asset=self.code(fiat),
            quote_amount=total,
            price=exact(row["unitPrice"]),
            fee_asset=self.code(asset),
            fee_amount=exact(row.get("commission") or "0"),
            raw=dict(row),
        )
        # The fiat went from the buyer's bank to the seller's, never through Binance.
        return [trade, self._outside_fiat(f"p2p-fiat:{ident}", buy, fiat, total, when, row)], None

    def _pay(self, row: Mapping[str, Any]) -> tuple[list[NormalizedRecord], int | None]:
        """Positive `amount`: received; negative: paid, from the assets `fundsDetail` names (a combined payment
        draws on several)."""
        ident, when = str(row["transactionId"]), int(row["transactionTime"])
        amount = exact(row["amount"])
        currency = str(row["currency"])
        self.evidence.note(currency, "pay")
        if amount >= 0:
            return [self._pay_record(ident, RecordKind.DEPOSIT, currency, amount, when, row)], None
        funds = [(str(f["currency"]), exact(f["amount"])) for f in row.get("fundsDetail") or []] or [
            (currency, -amount)
        ]
        records = []
        for asset, paid in funds:
            self.evidence.note(asset, "pay")
            records.append(self._pay_record(ident, RecordKind.WITHDRAWAL, asset, abs(paid), when, row))
            if int(row.get("walletType") or 0) in CARD_WALLETS:
                # Paid by card: the money never left a Binance wallet.
                card = ":".join(("card", ident))
                records.append(self._pay_record(card, RecordKind.DEPOSIT, asset, abs(paid), when, row))
        return records, None

    def _pay_record(
        self, ident: str, kind: RecordKind, asset: str, amount: Decimal, when: int, row: Mapping[str, Any]
    ) -> NormalizedRecord:
        return NormalizedRecord(
            kind=kind,
            occurred_at=ms_to_utc(when),
            natural_key=natural_key(kind, ":".join(("pay", ident, asset))),
            asset=self.code(asset),
            amount=amount,
            exchange_tx_id=str(row["transactionId"]),
            raw=dict(row),
        )

    def _fiat_order(self, incoming: bool, row: Mapping[str, Any]) -> tuple[list[NormalizedRecord], int | None]:
        """A fiat deposit or withdrawal: `indicatedAmount` asked, `amount` after the `totalFee`. A deposit is stored
        as the indicated amount less its fee; a withdrawal as the amount sent plus its fee (both leave the balance
        changed by exactly what Binance credited or took)."""
        status, when = code(row["status"]), int(row["createTime"])
        if status not in FIAT_ORDER_DONE:
            # The raw time: the walk holds the cursor at it while recent and names one unfinished for weeks.
            return [], when if status in IN_PROGRESS | PARTLY_CREDITED else None
        ident, fiat = str(row["orderNo"]), str(row["fiatCurrency"])
        self.evidence.note(fiat, "fiat")
        kind = RecordKind.DEPOSIT if incoming else RecordKind.WITHDRAWAL
        fee = exact(row.get("totalFee") or "0")
        record = NormalizedRecord(
            kind=kind,
            occurred_at=ms_to_utc(when),
            natural_key=natural_key(kind, ":".join(("fiat", ident))),
            asset=self.code(fiat),
            amount=exact(row["indicatedAmount"]) if kind is RecordKind.DEPOSIT else exact(row["amount"]),
            exchange_tx_id=ident,
            fee_asset=self.code(fiat),
            fee_amount=fee,
            raw=dict(row),
        )
        return [record], None

    def _fiat_payment(self, incoming: bool, row: Mapping[str, Any]) -> tuple[list[NormalizedRecord], int | None]:
        """A purchase (or sale) of `obtainAmount` coins for `sourceAmount` fiat, of which `totalFee` is the fee."""
        status, when = code(row["status"]), int(row["createTime"])
        if status not in FIAT_PAYMENT_DONE:
            return [], when if status in IN_PROGRESS else None  # raw, as a fiat order's
        ident, fiat, coin = str(row["orderNo"]), str(row["fiatCurrency"]), str(row["cryptoCurrency"])
        self.evidence.note(coin, "fiat")
        fiat_total, fee = exact(row["sourceAmount"]), exact(row.get("totalFee") or "0")
        trade = NormalizedRecord(
            kind=RecordKind.TRADE,
            occurred_at=ms_to_utc(when),
            natural_key=natural_key(RecordKind.TRADE, f"fiat-payment:{ident}"),
            asset=self.code(coin),
            amount=exact(row["obtainAmount"]),
            exchange_tx_id=ident,
            market=f"{self.code(coin)}/{self.code(fiat)}",
            side=SIDES[incoming],
            quote_asset=self.code(fiat),
            quote_amount=fiat_total - fee if incoming else fiat_total + fee,
            price=exact(row["price"]) if row.get("price") not in (None, "") else None,
            fee_asset=self.code(fiat),
            fee_amount=fee,
            raw=dict(row),
        )
        if code(row.get("paymentMethod")) in CASH_BALANCE:
            return [trade], None
        funds = self._outside_fiat(f"fiat-payment-funds:{ident}", incoming, fiat, fiat_total, when, trade.raw)
        return [trade, funds], None

    def _outside_fiat(
        self, ident: str, incoming: bool, fiat: str, amount: Decimal, when: int, row: Mapping[str, Any]
    ) -> NormalizedRecord:
        """Fiat that never sat in a Binance wallet (a P2P buyer pays the seller's bank; a card pays a purchase): a
        deposit beside the trade (a withdrawal beside a sale), so the trade's fiat leg nets to zero as the balance."""
        kind = RecordKind.DEPOSIT if incoming else RecordKind.WITHDRAWAL
        return NormalizedRecord(
            kind=kind,
            occurred_at=ms_to_utc(when),
            natural_key=natural_key(kind, ident),
            asset=self.code(fiat),
            amount=amount,
            raw=dict(row),
        )


def read_within_a_minute(cursor: Cursor | None, until_ms: int) -> bool:
    """Whether a list's walk ended (no window left open) less than a minute before `until_ms`. A pending order
    holds the cursor at its own time, so a list waiting for one is read every sync."""
    if not cursor or cursor.get("window_end_ms") is not None or cursor.get("window_start_ms") is None:
        return False
    return until_ms - int(cursor["window_start_ms"]) < RECENTLY_MS


def code(value: object) -> str:
    """A status or method as a code: "Cash Balance" -> "cashbalance"."""
    return "".join(str(value or "").split()).lower()


def _page_of(rows: Sequence[Mapping[str, Any]], parse: Parse, token: Any) -> WindowPage:
    page = WindowPage([], token)
    for row in rows:
        records, hold = parse(row)
        page.records.extend(records)
        # Each one apart (not only the earliest): the walk lets go of one unfinished for weeks, and the next one
        # must still hold the cursor.
        page.pending.extend([hold] if hold is not None else [])
    return page
