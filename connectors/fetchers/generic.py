"""Best effort for every other ccxt exchange ("untested" to the user): ccxt's unified methods, paged by time.

`fetch_my_trades` / `fetch_deposits` / `fetch_withdrawals` / `fetch_ledger` are called with `since` and
`params={"until": …}` over time windows (the profile's window, else `DEFAULT_WINDOW`), oldest first, with the same
windowed cursors as the hand-written fetchers. Inside a window a full page moves the bound past its last (or first)
timestamp; the ids of that millisecond already seen ride in the token and are skipped, so page boundaries never
duplicate. Whether the exchange fills a page from the old or the new end is learnt from the first full page. An
exchange with one list of deposits and withdrawals (`fetch_deposits_withdrawals`) is walked once per endpoint, each
keeping the rows of its own type.

It never reports an endpoint complete that it could not page:

- A method that does not send `since` to the exchange (ccxt_ranges.py reads ccxt's code) cannot be walked: one
  call without a range brings the newest records, and everything before them is reported as a gap with the reason.
- A method that sends `since` but never reads `until` is not given one (ccxt would pass it on raw). The exchange
  then chooses where each answer ends, so a short answer is complete only up to its newest row: the walk asks again
  from there until an answer brings nothing new (generic_open.py; what it cannot prove is a gap with the reason).
- An exchange that ignores an `until` ccxt sends still works when it fills pages from the old end (records past
  the window are asked again with the next window); filled from the new end, what a page hides is reported as a gap.
- History depth is unknown unless the profile says: without `since` the walk starts `DEFAULT_HISTORY` back and
  the older range is reported as a gap.
- Amounts: see unified_records.py (exact from the raw strings where ccxt's number has one, else marked inexact).
- Where trades need a market (`per_market`), the markets asked are those whose base is held now or appeared in
  the deposits, withdrawals or ledger this fetcher walked earlier in the sync (kept in the "" cursor for later
  syncs), with a quote held, moved or common, plus every market of earlier syncs. A coin bought and sold back
  without ever being held at sync time or moved in or out is missed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from connectors.fetchers.base import CoverageGap, Cursor, FetchReport, Page, served_spec
from connectors.fetchers.ccxt_ranges import RangeSupport, range_support
from connectors.fetchers.generic_open import CROWDED, IGNORED_END, start_only_page
from connectors.fetchers.unified_records import (
    AMOUNT_FIELDS,
    FEE_FIELDS,
    UnifiedRecords,
    exact_from_info,
    ident,
)
from connectors.fetchers.windows import (
    EPOCH,
    WindowPage,
    WindowWalk,
    call_unified,
    span_ms,
    to_ms,
    walk_begin,
)
from connectors.profiles import Endpoint, EndpointSpec, ExchangeProfile
from connectors.records import NormalizedRecord, RecordKind, ms_to_utc
from i18n import Text, msgid

__all__ = ["AMOUNT_FIELDS", "FEE_FIELDS", "GenericFetcher", "exact_from_info"]

DEFAULT_WINDOW = timedelta(days=30)
DEFAULT_HISTORY = timedelta(days=365)
COMMON_QUOTES = frozenset({"USDT", "USDC", "USD", "EUR", "BTC", "ETH", "BNB", "FDUSD", "BUSD"})

METHODS: Mapping[Endpoint, tuple[str, str, RecordKind]] = {
    Endpoint.SPOT_TRADES: ("fetch_my_trades", "fetchMyTrades", RecordKind.TRADE),
    Endpoint.DEPOSITS: ("fetch_deposits", "fetchDeposits", RecordKind.DEPOSIT),
    Endpoint.WITHDRAWALS: ("fetch_withdrawals", "fetchWithdrawals", RecordKind.WITHDRAWAL),
    Endpoint.LEDGER: ("fetch_ledger", "fetchLedger", RecordKind.LEDGER),
}
# Where an exchange has no separate deposit or withdrawal list, ccxt's combined one: the walk pages the whole list
# (its fullness is what tells a window is done) and keeps the rows of its own `type`.


class Walk(StrEnum):
    """Which way an endpoint's pages are walked (a window token's "mode", `order`): codes kept in cursors."""

    UP = "up"  # from the oldest records
    DOWN = "down"  # from the newest records
    PROBE = "probe"  # not known yet: the next page tells


COMBINED = ("fetch_deposits_withdrawals", "fetchDepositsWithdrawals")
COMBINED_TYPES: Mapping[Endpoint, str] = {Endpoint.DEPOSITS: "deposit", Endpoint.WITHDRAWALS: "withdrawal"}


class GenericFetcher:
    """Any ccxt exchange with the unified history methods; see the module docstring for what it cannot know."""

    def __init__(
        self,
        profile: ExchangeProfile,
        client: Any,
        *,
        key_type: str | None = None,
        default_history: timedelta = DEFAULT_HISTORY,
        default_window: timedelta = DEFAULT_WINDOW,
    ) -> None:
        self.profile = profile
        self.client = client
        self.key_type = key_type
        self.default_history = default_history
        self.default_window = default_window
        self.moved: set[str] = set()  # currencies seen in deposits, withdrawals and ledger entries this sync
        self.order: dict[Endpoint, str] = {}  # Walk.UP or Walk.DOWN: which end the exchange fills a page from
        self.capped: set[Endpoint] = set()  # told only the start, the exchange was seen to cut the range itself
        self.records = UnifiedRecords(client, self.moved)
        self._ranges: dict[Endpoint, RangeSupport] = {}

    def learn_assets(self, assets: Iterable[str]) -> None:
        self.moved.update(assets)

    def supports(self, endpoint: Endpoint) -> bool:
        if endpoint not in METHODS:
            return False
        has = getattr(self.client, "has", {}) or {}
        return bool(has.get(self.method(endpoint)[1])) and self.profile.offers(endpoint, self.key_type)

    def method(self, endpoint: Endpoint) -> tuple[str, str, str | None]:
        """ccxt's method for an endpoint (snake and camel case) and the row type to keep from a combined list."""
        snake, camel, _ = METHODS[endpoint]
        has = getattr(self.client, "has", {}) or {}
        if not has.get(camel) and endpoint in COMBINED_TYPES and has.get(COMBINED[1]):
            return COMBINED[0], COMBINED[1], COMBINED_TYPES[endpoint]
        return snake, camel, None

    def fetch(
        self,
        endpoint: Endpoint,
        *,
        since: datetime | None,
        until: datetime,
        cursors: Mapping[str, Cursor],
        report: FetchReport,
    ) -> AsyncIterator[Page]:
        spec = served_spec(self.profile, endpoint, self.key_type, self.supports(endpoint))
        if endpoint is Endpoint.SPOT_TRADES and spec.per_market:
            return self._per_market(spec, since=since, until=until, cursors=cursors, report=report)
        return self._pages(spec, None, since=since, until=until, cursor=cursors.get(""), report=report)

    def range_support(self, endpoint: Endpoint) -> RangeSupport:
        """What ccxt sends to the exchange for this endpoint's method (learnt once per fetcher)."""
        if endpoint not in self._ranges:
            self._ranges[endpoint] = range_support(self.client, self.method(endpoint)[0])
        return self._ranges[endpoint]

    def _pages(
        self,
        spec: EndpointSpec,
        market: Mapping[str, Any] | None,
        *,
        since: datetime | None,
        until: datetime,
        cursor: Cursor | None,
        report: FetchReport,
    ) -> AsyncIterator[Page]:
        if self.range_support(spec.endpoint).since:
            return self._walk(spec, market, since=since, until=until, cursor=cursor, report=report)
        return self._newest(spec, market, since=since, until=until, report=report)

    # -- markets ----------------------------------------------------------------------------------------------

    async def _per_market(
        self,
        spec: EndpointSpec,
        *,
        since: datetime | None,
        until: datetime,
        cursors: Mapping[str, Cursor],
        report: FetchReport,
    ) -> AsyncIterator[Page]:
        balance = await call_unified(self.client, "fetch_balance", endpoint=spec.endpoint, report=report)
        held = {code for code, total in (balance.get("total") or {}).items() if total and total > 0}
        self.moved.update((cursors.get("") or {}).get("assets", ()))
        # Assets only grow: keep those seen in deposits, withdrawals and the ledger for later syncs.
        yield Page(spec.endpoint, (), {"assets": sorted(self.moved)}, EPOCH, "")
        plan: dict[str, tuple[Mapping[str, Any], list[str]]] = {}
        by_id = {m["id"]: m for m in (self.client.markets or {}).values() if m.get("spot")}
        for market_id in cursors:
            if market_id and market_id in by_id:
                plan[market_id] = (by_id[market_id], ["asked by an earlier sync"])

        def why(code: str) -> str | None:
            if code in held:
                return f"{code}: held"
            if code in self.moved:
                return f"{code}: deposited, withdrawn or in the ledger"
            return None

        for market_id, market in sorted(by_id.items()):
            base, quote = why(market["base"]), why(market["quote"])
            if quote is None and market["quote"] in COMMON_QUOTES:
                quote = f"{market['quote']}: common quote"
            if market_id not in plan and base is not None and quote is not None:
                plan[market_id] = (market, [base, quote])
        for market_id, (market, reasons) in plan.items():
            report.markets_scanned.append(market_id)
            report.market_sources[market_id] = reasons
            async for page in self._pages(
                spec, market, since=since, until=until, cursor=cursors.get(market_id), report=report
            ):
                yield page

    # -- without a start time ---------------------------------------------------------------------------------

    async def _newest(
        self,
        spec: EndpointSpec,
        market: Mapping[str, Any] | None,
        *,
        since: datetime | None,
        until: datetime,
        report: FetchReport,
    ) -> AsyncIterator[Page]:
        """One call without a range: the newest records the exchange chooses to send. Nothing tells what came
        before them (a short answer may be the exchange's default period, not the whole history), so the range
        from the start of the sync to the oldest record received is a gap, every sync, with the reason."""
        method, unified, only = self.method(spec.endpoint)
        kind = METHODS[spec.endpoint][2]
        market_id = str(market["id"]) if market is not None else ""
        start_ms = walk_begin(
            spec, None, since, report, exchange_name=self.profile.name, default_history=self.default_history
        )
        until_ms = to_ms(until)
        items: Sequence[Mapping[str, Any]] = await call_unified(
            self.client,
            method,
            market["symbol"] if market is not None else None,
            None,
            spec.page_size,
            {},
            endpoint=spec.endpoint,
            report=report,
            market=market_id,
        )
        records: list[NormalizedRecord] = []
        covered_ms, oldest_ms = until_ms, until_ms
        for row in items:
            when = row.get("timestamp")
            if when is None or not start_ms <= when <= until_ms or (only is not None and row.get("type") != only):
                continue
            oldest_ms = min(oldest_ms, int(when))
            record, held_at = self.normalize(kind, row, market)
            if record is not None:
                records.append(record)
            if held_at is not None:
                covered_ms = min(covered_ms, held_at)
        known = self.range_support(spec.endpoint).known
        reason = msgid("sync.gap.untested_no_start") if known else msgid("sync.gap.untested_unknown")
        report.gaps.append(
            CoverageGap(
                spec.endpoint,
                ms_to_utc(start_ms),
                ms_to_utc(oldest_ms),
                Text.of(reason, name=self.profile.name, phrase=spec.phrase, method=unified),
            )
        )
        yield Page(spec.endpoint, tuple(records), {"newest_only": True}, ms_to_utc(covered_ms), market_id)

    # -- the walk ---------------------------------------------------------------------------------------------

    async def _walk(
        self,
        spec: EndpointSpec,
        market: Mapping[str, Any] | None,
        *,
        since: datetime | None,
        until: datetime,
        cursor: Cursor | None,
        report: FetchReport,
    ) -> AsyncIterator[Page]:
        market_id = str(market["id"]) if market is not None else ""
        start_ms = walk_begin(
            spec, cursor, since, report, exchange_name=self.profile.name, default_history=self.default_history
        )

        async def page(window_start: int, window_end: int, token: Any) -> WindowPage:
            return await self._window_page(spec, market, report, window_start, window_end, token)

        walk = WindowWalk(spec.endpoint, span_ms(spec.window or self.default_window), page, market_id)
        async for item in walk.pages(start_ms=start_ms, until_ms=to_ms(until), cursor=cursor):
            yield item

    async def _window_page(
        self,
        spec: EndpointSpec,
        market: Mapping[str, Any] | None,
        report: FetchReport,
        window_start: int,
        window_end: int,
        token: Mapping[str, Any] | None,
    ) -> WindowPage:
        """One call inside [window_start, window_end]. ccxt returns a page sorted by time whichever end the
        exchange filled it from, so a full page says nothing about the range beside it: the first full page of
        an endpoint is followed by one call for [window_start, its oldest]. New records there mean the exchange
        pages newest first (walk down); none mean oldest first (walk up). The answer is remembered per fetcher.

        Tokens: {"mode": "up", "since": ms, "seen": [...]}, {"mode": "down", "upper": ms, "seen": [...]} and,
        while the order is unknown, {"mode": "probe", "upper": …, "seen": …, "since": …, "since_seen": …}."""
        method, _, only = self.method(spec.endpoint)
        kind = METHODS[spec.endpoint][2]
        mode = token["mode"] if token else None
        low, high = window_start, window_end
        if mode == Walk.UP and token is not None:
            low = int(token["since"])
        elif mode in (Walk.DOWN, Walk.PROBE) and token is not None:
            high = int(token["upper"])
        seen: set[str] = set(token.get("seen", ())) if token else set()
        tells_end = self.range_support(spec.endpoint).until
        items: Sequence[Mapping[str, Any]] = await call_unified(
            self.client,
            method,
            market["symbol"] if market is not None else None,
            low,
            spec.page_size,
            {"until": high} if tells_end else {},  # ccxt passes an unread `until` on raw: never send it there
            endpoint=spec.endpoint,
            report=report,
            market=str(market["id"]) if market is not None else "",
        )
        rows = sorted(
            (i for i in items if i.get("timestamp") is not None and low <= i["timestamp"] <= high),
            key=lambda i: (i["timestamp"], ident(i)),
        )
        fresh = [r for r in rows if ident(r) not in seen]
        found = WindowPage([])
        for row in fresh:
            if only is not None and row.get("type") != only:
                continue  # the other kind, from a combined list: its own endpoint stores it
            record, held_at = self.normalize(kind, row, market)
            if record is not None:
                found.records.append(record)
            if held_at is not None and (found.hold_ms is None or held_at < found.hold_ms):
                found.hold_ms = held_at
        full = len(items) >= spec.page_size and bool(rows)
        beyond = any(i.get("timestamp") is not None and i["timestamp"] > high for i in items)
        if not tells_end:
            gaps, found.token = start_only_page(
                self.order,
                self.capped,
                spec.endpoint,
                token,
                rows=rows,
                fresh=fresh,
                seen=seen,
                page_full=len(items) >= spec.page_size,
                beyond=beyond,
                low=low,
                high=high,
            )
            report.gaps.extend(_gap(spec, self.profile.name, start, end, why) for start, end, why in gaps)
            return found
        if mode == Walk.PROBE and token is not None:
            if beyond:
                # It ignored the new end of the range, so it cannot be paged down: say what may be missing.
                report.gaps.append(_gap(spec, self.profile.name, low, high, IGNORED_END))
                return self._up(found, int(token["since"]), set(token["since_seen"]), window_end)
            if not fresh:
                # Oldest-first, or newest-first with nothing older: walking up is right either way; an up page
                # that brings new records proves the order.
                return self._up(found, int(token["since"]), set(token["since_seen"]), window_end)
            self.order[spec.endpoint] = Walk.DOWN  # an oldest-first page would have held these
            mode = Walk.DOWN
        elif mode == Walk.UP and fresh and spec.endpoint not in self.order:
            self.order[spec.endpoint] = Walk.UP  # a newest-first exchange has nothing new above its first page
        if not rows and beyond and len(items) >= spec.page_size and self.order.get(spec.endpoint) != Walk.UP:
            # A full page, all of it after the window: the exchange ignored the end of the range, and unless it
            # fills pages from the old end, this window's records are hidden below that page.
            report.gaps.append(_gap(spec, self.profile.name, low, high, IGNORED_END))
            return found
        if not full:
            return found  # the window is done
        if not fresh:
            report.gaps.append(_gap(spec, self.profile.name, low, high, CROWDED))
            return found
        order = mode or self.order.get(spec.endpoint)
        if beyond:
            # The exchange ignored the end of the range. Filled from the old end, the page ran past the window:
            # done. Otherwise nothing tells what below the page was left out.
            if order != Walk.UP:
                report.gaps.append(_gap(spec, self.profile.name, low, rows[0]["timestamp"], IGNORED_END))
            return found
        oldest, newest = rows[0]["timestamp"], rows[-1]["timestamp"]
        at_oldest = {ident(r) for r in rows if r["timestamp"] == oldest} | (seen if oldest == high else set())
        at_newest = {ident(r) for r in rows if r["timestamp"] == newest} | (seen if newest == low else set())
        if order == Walk.UP:
            return self._up(found, newest, at_newest, window_end)
        if order == Walk.DOWN:
            found.token = {"mode": Walk.DOWN, "upper": oldest, "seen": sorted(at_oldest)}
            return found
        found.token = {
            "mode": Walk.PROBE,
            "upper": oldest,
            "seen": sorted(at_oldest),
            "since": newest,
            "since_seen": sorted(at_newest),
        }
        return found

    @staticmethod
    def _up(found: WindowPage, since: int, seen: set[str], window_end: int) -> WindowPage:
        found.token = {"mode": Walk.UP, "since": since, "seen": sorted(seen)} if since <= window_end else None
        return found

    # -- records ----------------------------------------------------------------------------------------------

    def normalize(
        self, kind: RecordKind, row: Mapping[str, Any], market: Mapping[str, Any] | None
    ) -> tuple[NormalizedRecord | None, int | None]:
        """A ccxt unified structure as a record (None unless final), and the time a pending one holds at."""
        return self.records.normalize(kind, row, market)


def _gap(spec: EndpointSpec, name: str, start_ms: int, end_ms: int, why: str) -> CoverageGap:
    """A range some of whose records may be missing; `why` is the message id saying which answer made it so."""
    return CoverageGap(
        spec.endpoint, ms_to_utc(start_ms), ms_to_utc(end_ms), Text.of(why, name=name, phrase=spec.phrase)
    )
