"""KuCoin (spot, classic account API): deposits, withdrawals, transfers between own accounts and bonuses (the spot
ledger), converts, and spot fills per discovered market, each walked in time windows oldest first; futures realised
profit and loss and fills from the futures host (futures.py). Rules and their
sources: docs/exchange-apis/kucoin.md.

| endpoint | page | paging inside a window | window |
| --- | --- | --- | --- |
| `GET /api/v1/deposits` | 500 | `currentPage` | 7 days (profile) |
| `GET /api/v1/withdrawals` | 500 | `currentPage` | 7 days (profile) |
| `GET /api/v1/accounts/ledgers?bizType=TRANSFER` / `KUCOIN_BONUS` | 500 | `currentPage` | 1 day (profile) |
| `GET /api/v1/convert/order/history` (converts) | 100 | `page` | 7 days (profile) |
| `GET /api/v1/convert/limit/orders` (limit converts, cursor "limit_orders") | 100 | `page` | 7 days (profile) |
| `GET /api/v1/hf/fills?symbol=…` | 100 | `lastId` (fills with a smaller id, newest first) | 7 days (profile) |
| `GET /api/v1/fills` (classic, every market; classic.py) | 500 | `currentPage` | 7 × 24 h (documented) |

Spot fills need a symbol: the markets asked are those the account's own records point at (discovery.py: balances
from `GET /api/v1/accounts`, deposits, withdrawals, records of earlier syncs). Run deposits and withdrawals first
(`registry.sync_order`): they are the evidence.

Cursors: the paged lists `{"window_start_ms": …}` (windows.WindowWalk; deposits and withdrawals with the trailing-day
re-read);
spot fills, per market, the same plus `"from_id"` (the highest fill id stored, 0 while the market had none) and,
while empty, `"balances"` of its two assets at the sync's start; market "" holds the evidence, market "classic" the
classic fills' walk.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from connectors.fetchers.base import Cursor, FetchReport, Page, served_spec
from connectors.fetchers.discovery import (
    DEFAULT_PROBE_BUDGET,
    AssetEvidence,
    Evidence,
    SpotMarket,
    listed_spot_markets,
    plan_markets,
)
from connectors.fetchers.kucoin.classic import CLASSIC, ClassicFills
from connectors.fetchers.kucoin.futures import KucoinFutures
from connectors.fetchers.kucoin.pacing import VIP0_QUOTAS, PoolPacer
from connectors.fetchers.kucoin.rows import Parsed, RowReader
from connectors.fetchers.windows import (
    EPOCH,
    SETTLING,
    WindowPage,
    WindowWalk,
    call,
    since_ms,
    span_ms,
    to_ms,
    walk_begin,
)
from connectors.profiles import Endpoint, EndpointSpec, ExchangeProfile
from connectors.records import exact

NAME = "KuCoin"
# A floor for walks whose profile entry names no `earliest` (every KuCoin entry does: 2019-02-18); KuCoin's
# exchange launched in 2017, so nothing is older.
KUCOIN_OPENED = date(2017, 9, 15)
# Each paged list: ccxt's implicit method and the parameters that select the rows (the ledger's bizType filter).
WALLET: Mapping[Endpoint, tuple[str, Mapping[str, str]]] = {
    Endpoint.DEPOSITS: ("privateGetDeposits", {}),
    Endpoint.WITHDRAWALS: ("privateGetWithdrawals", {}),
    Endpoint.TRANSFERS: ("privateGetAccountsLedgers", {"bizType": "TRANSFER"}),
    Endpoint.EARN_REWARDS: ("privateGetAccountsLedgers", {"bizType": "KUCOIN_BONUS"}),
    Endpoint.CONVERT: ("privateGetConvertOrderHistory", {}),
}
# The page number's name: `currentPage` on the classic lists, `page` on the convert lists.
PAGE_PARAM: Mapping[Endpoint, str] = {Endpoint.CONVERT: "page"}
# Limit convert orders are a list of their own, walked after the market ones under this cursor key.
LIMIT_CONVERTS = "limit_orders"
LIMIT_CONVERT_METHOD = "privateGetConvertLimitOrders"
SUPPORTED = frozenset({*WALLET, Endpoint.SPOT_TRADES, Endpoint.FUTURES_TRADES})


class KucoinFetcher:
    """Fetches KuCoin history through ccxt's implicit API methods, reading KuCoin's raw strings."""

    def __init__(
        self,
        profile: ExchangeProfile,
        client: Any,
        *,
        key_type: str | None = None,
        probe_budget: int = DEFAULT_PROBE_BUDGET,
        pool_quotas: Mapping[str, int] = VIP0_QUOTAS,
    ) -> None:
        self.profile = profile
        self.client = client
        self.key_type = key_type
        self.rows = RowReader(client)
        self.evidence = AssetEvidence()
        self.probe_budget = probe_budget
        # The pools are the account's, and a sync right after another still finds the first one's weight in them:
        # one pacer per client (a client is one credential, kept by the pool between syncs).
        pacer = getattr(client, "tallybot_kucoin_pacer", None)
        if not isinstance(pacer, PoolPacer):
            pacer = client.tallybot_kucoin_pacer = PoolPacer(pool_quotas)
        self.pacer: PoolPacer = pacer
        self.classic = ClassicFills(client, pacer, self.rows, self.evidence, NAME, KUCOIN_OPENED)
        self.futures = KucoinFutures(client, pacer, profile.id, NAME, KUCOIN_OPENED)

    def learn_assets(self, assets: Iterable[str]) -> None:
        for code in assets:
            self.evidence.note(str(self.client.currency_id(code)), Evidence.STORED)

    def supports(self, endpoint: Endpoint) -> bool:
        return endpoint in SUPPORTED and self.profile.offers(endpoint, self.key_type)

    def fetch(
        self,
        endpoint: Endpoint,
        *,
        since: datetime | None,
        until: datetime,
        cursors: Mapping[str, Cursor],
        report: FetchReport,
    ) -> AsyncIterator[Page]:
        spec = served_spec(self.profile, endpoint, self.key_type, endpoint in SUPPORTED)
        if endpoint is Endpoint.SPOT_TRADES:
            return self._trades(spec, since=since, until=until, cursors=cursors, report=report)
        if endpoint is Endpoint.FUTURES_TRADES:
            return self.futures.fetch(spec, since=since, until=until, cursors=cursors, report=report)
        if endpoint is Endpoint.CONVERT:
            return self._converts(spec, since=since, until=until, cursors=cursors, report=report)
        return self._wallet(spec, since=since, until=until, cursor=cursors.get(""), report=report)

    async def _converts(
        self,
        spec: EndpointSpec,
        *,
        since: datetime | None,
        until: datetime,
        cursors: Mapping[str, Cursor],
        report: FetchReport,
    ) -> AsyncIterator[Page]:
        """The market convert orders, then the limit ones: two lists, each with its own cursor."""
        async for page in self._wallet(spec, since=since, until=until, cursor=cursors.get(""), report=report):
            yield page
        limit = self._wallet(
            spec, since=since, until=until, cursor=cursors.get(LIMIT_CONVERTS), report=report, limit_orders=True
        )
        async for page in limit:
            yield page

    # -- deposits and withdrawals -----------------------------------------------------------------------------

    async def _wallet(
        self,
        spec: EndpointSpec,
        *,
        since: datetime | None,
        until: datetime,
        cursor: Cursor | None,
        report: FetchReport,
        limit_orders: bool = False,
    ) -> AsyncIterator[Page]:
        method, selection = (LIMIT_CONVERT_METHOD, {}) if limit_orders else WALLET[spec.endpoint]
        parse: Callable[[Mapping[str, Any]], Parsed] = {
            Endpoint.DEPOSITS: self.rows.deposit,
            Endpoint.WITHDRAWALS: self.rows.withdrawal,
            Endpoint.TRANSFERS: self.rows.transfer,
            Endpoint.EARN_REWARDS: self.rows.reward,
            Endpoint.CONVERT: self.rows.limit_convert if limit_orders else self.rows.convert,
        }[spec.endpoint]
        start_ms = walk_begin(spec, cursor, since, report, exchange_name=NAME, opened=KUCOIN_OPENED)

        async def page(window_start: int, window_end: int, token: Any) -> WindowPage:
            current = int(token or 1)
            params = {
                **selection,
                "startAt": window_start,
                "endAt": _end_at(window_end),
                PAGE_PARAM.get(spec.endpoint, "currentPage"): current,
                "pageSize": spec.page_size,
            }
            await self.pacer.spend(method, spec.endpoint)
            body = await call(self.client, method, params, endpoint=spec.endpoint, report=report)
            data = body.get("data") or {}
            found = WindowPage([], current + 1 if current < int(data.get("totalPage") or 0) else None)
            for row in data.get("items") or []:
                for field in ("currency", "fromCurrency", "toCurrency"):
                    if row.get(field):
                        self.evidence.note(str(row[field]), spec.endpoint.value)
                record, hold = parse(row)
                if record is not None:
                    found.records.append(record)
                if hold is not None:
                    found.pending.append(hold)
            return found

        # Deposits and withdrawals may be listed late (windows.SETTLING); the ledger's moves are booked at once.
        walk = WindowWalk(
            spec.endpoint,
            _window(spec),
            page,
            LIMIT_CONVERTS if limit_orders else "",
            rereads_late_listings=spec.endpoint in SETTLING,
            report=report,
        )
        async for item in walk.pages(start_ms=start_ms, until_ms=to_ms(until), cursor=cursor, floor_ms=since_ms(since)):
            yield item

    # -- spot fills -------------------------------------------------------------------------------------------

    async def _balances(self, report: FetchReport) -> dict[str, Decimal]:
        await self.pacer.spend("privateGetAccounts", Endpoint.SPOT_TRADES)
        body = await call(self.client, "privateGetAccounts", {}, endpoint=Endpoint.SPOT_TRADES, report=report)
        held: dict[str, Decimal] = {}
        for row in body.get("data") or []:
            total = exact(row.get("balance", "0"))
            if total > 0:
                currency = str(row["currency"])
                held[currency] = held.get(currency, Decimal(0)) + total
        return held

    async def _trades(
        self,
        spec: EndpointSpec,
        *,
        since: datetime | None,
        until: datetime,
        cursors: Mapping[str, Cursor],
        report: FetchReport,
    ) -> AsyncIterator[Page]:
        self.evidence.load((cursors.get("") or {}).get("assets", {}))
        held = await self._balances(report)
        self.evidence.note_all(held, "balance")
        listed = listed_spot_markets(self.client)
        # The evidence only grows: commit it before paging, and with each classic page that adds to it, so later
        # syncs know what this one saw even if it stops on the way (a resumed walk does not see those rows again).
        yield self._evidence_page()
        # Fills from before the account's HF upgrade first: the markets they name are evidence for the HF walk.
        classic = self.classic.pages(
            spec, listed, cursors.get(CLASSIC), since=since, until=until, end_at=_end_at, report=report
        )
        async for page in classic:
            yield page
            if page.records:
                yield self._evidence_page()
        hf_cursors = {market: cursor for market, cursor in cursors.items() if market != CLASSIC}
        plan = plan_markets(
            listed, self.evidence, hf_cursors, held, report, exchange_name=NAME, probe_budget=self.probe_budget
        )
        for market, reasons in plan:
            report.markets_scanned.append(market.id)
            report.market_sources[market.id] = reasons
            snapshot = {a: format(held.get(a, Decimal(0)), "f") for a in (market.base_id, market.quote_id)}
            pages = self._market(spec, market, cursors.get(market.id), since, until, snapshot, report)
            async for page in pages:
                yield page

    def _evidence_page(self) -> Page:
        return Page(Endpoint.SPOT_TRADES, (), {"assets": self.evidence.dump()}, EPOCH, "")

    async def _market(
        self,
        spec: EndpointSpec,
        market: SpotMarket,
        cursor: Cursor | None,
        since: datetime | None,
        until: datetime,
        snapshot: Mapping[str, str],
        report: FetchReport,
    ) -> AsyncIterator[Page]:
        """One market's windows from its cursor, each paged down by `lastId`."""
        highest = int((cursor or {}).get("from_id", 0))
        start_ms = walk_begin(spec, cursor, since, report, exchange_name=NAME, opened=KUCOIN_OPENED)

        async def page(window_start: int, window_end: int, token: Any) -> WindowPage:
            nonlocal highest
            params: dict[str, Any] = {
                "symbol": market.id,
                "startAt": window_start,
                "endAt": _end_at(window_end),
                "limit": spec.page_size,
            }
            if token:
                params["lastId"] = token
            await self.pacer.spend("privateGetHfFills", spec.endpoint)
            body = await call(self.client, "privateGetHfFills", params, endpoint=spec.endpoint, report=report)
            items = (body.get("data") or {}).get("items") or []
            for row in items:
                highest = max(highest, int(row["id"]))
            more = len(items) >= spec.page_size
            return WindowPage([self.rows.fill(market, row) for row in items], int(items[-1]["id"]) if more else None)

        walk = WindowWalk(spec.endpoint, _window(spec), page, market.id)
        until_ms = to_ms(until)
        async for item in walk.pages(start_ms=start_ms, until_ms=until_ms, cursor=cursor):
            # The discovery marks (discovery.plan_markets): a market with fills, or an empty one's balances once its
            # walk reached `until`. A probe stopped on the way (a rate limit) carries no balances, so the next sync
            # asks the market again from its cursor instead of taking it for probed and empty.
            marks: Cursor = {"from_id": highest}
            if highest == 0 and "window_end_ms" not in item.cursor and int(item.cursor["window_start_ms"]) > until_ms:
                marks["balances"] = dict(snapshot)
            yield replace(item, cursor={**item.cursor, **marks})


def _end_at(window_end: int) -> int:
    """`endAt` for a window whose last millisecond is `window_end`. KuCoin's pages say only "End time (ms)", not
    whether a row stamped exactly `endAt` is in: asking one past the window's end keeps such a row whichever way
    KuCoin reads it. Read inclusively, a row stamped at the next window's first millisecond comes twice and is
    stored once (its natural key)."""
    return window_end + 1


def _window(spec: EndpointSpec) -> int:
    if spec.window is None:
        raise ValueError(f"KuCoin {spec.endpoint} needs a window in its profile")
    return span_ms(spec.window)
