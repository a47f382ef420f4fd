"""OKX v5: spot fills, deposits, withdrawals, converts and funding-account transfers, each walked newest first
with OKX's `after` cursor down to what an earlier sync committed. Rules and their sources: docs/exchange-apis/okx.md.

| endpoint | page | paging key (`after`) | reach |
| --- | --- | --- | --- |
| `GET /api/v5/trade/fills-history?instType=SPOT` | 100 | `billId`; `begin`/`end` on `ts` | 1 year (or 3 months*) |
| `GET /api/v5/asset/deposit-history` | 100 | `ts` (ms) | not documented |
| `GET /api/v5/asset/withdrawal-history` | 100 | `ts` (ms) | not documented |
| `GET /api/v5/asset/convert/history` | 100 | `ts` (ms) | not documented |
| `GET /api/v5/asset/bills-history?pagingType=2` (funding bills: bill_kinds.py) | 100 | `billId` | since 2021-02-01 |

*Two editions of OKX's docs disagree; reach.py says how a sync tells the user which months it cannot vouch for.

Endpoints made of several lists (derivatives and margin fills, realized P&L, funding fees, interest and loans, and
the rewards with savings interest) are in derivatives.py: each list is walked as below with its own cursor, the
list's name as the cursor's market key (the rewards' bills-history keeps "").

Every list is newest first. `after=x` (records older than x) means the same on every OKX list, so a walk only ever
moves down with it: from the newest record to the newest one committed by the last sync (the floor), or to the
start of the history. `before` is not used: OKX documents `before` alone as returning the *latest* records on some
lists (candles), and a forward walk that got those instead of the ones right after its cursor would skip records.
With `after` a sync that finds nothing new costs one request per endpoint.

Cursors (market key ""), `p` being the paging key of the newest record committed and `ids` the records at it
(timestamps are not unique):

    {"p": 1717000000123, "ids": ["6231"], "ms": 1717000000123, "key": "ts"}    settled: nothing newer is committed
    {..., "walk": {"top": {...}, "after": …, "seen": [...], "hold": …, "deep": true}}   a walk down, interrupted
                                                                                 after a page ("deep": it met a fill
                                                                                 older than three months)

`key` names what `p` counts ("ts" or "billId"); a stored cursor of another key is of an older list and is dropped.

A walk's pages are committed as they come, newest first; the settled cursor moves up to the walk's top only with
its last page, so an interrupted walk resumes with `after` exactly below its last page. A deposit or withdrawal
that is not final yet holds the settled cursor below it, so the next sync sees it again once it settles.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from connectors.fetchers.base import Cursor, FetchReport, Page, served_spec
from connectors.fetchers.handwritten import HandwrittenFetcher
from connectors.fetchers.okx.archive import archive_market, fill_from_archive
from connectors.fetchers.okx.archive_files import ArchiveFiles
from connectors.fetchers.okx.convert_bills import ConvertBills
from connectors.fetchers.okx.derivatives import BILLS_ARCHIVE, SUB_WALKS, DerivativeRows, Reads, SubWalk
from connectors.fetchers.okx.feeds import Feed, Row, by_bill, by_time
from connectors.fetchers.okx.fills_reach import FillsReach, Span
from connectors.fetchers.okx.reach import OKX_OPENED, Depth, crowded_gap, since_bills_history
from connectors.fetchers.okx.rows import Parsed, RowReader
from connectors.fetchers.okx.signs import keep_gaps_of_use
from connectors.fetchers.windows import EPOCH, SETTLE_REREAD_MS, SETTLING, call, history_start, to_ms
from connectors.profiles import Endpoint, EndpointSpec, ExchangeProfile
from connectors.records import NormalizedRecord, ms_to_utc

FEEDS: Mapping[Endpoint, Feed] = {
    Endpoint.SPOT_TRADES: Feed(
        "privateGetTradeFillsHistory", {"instType": "SPOT"}, by_bill, True, time_filter=True, key="billId"
    ),
    Endpoint.DEPOSITS: Feed("privateGetAssetDepositHistory", {}, by_time("depId"), False),
    Endpoint.WITHDRAWALS: Feed("privateGetAssetWithdrawalHistory", {}, by_time("wdId"), False),
    Endpoint.CONVERT: Feed("privateGetAssetConvertHistory", {}, by_time("tradeId"), False),
    Endpoint.TRANSFERS: Feed("privateGetAssetBillsHistory", {"pagingType": "2"}, by_bill, True, key="billId"),
}
# The paging key of cursors stored before cursors named theirs.
_LEGACY_KEYS: Mapping[Endpoint, str] = {Endpoint.SPOT_TRADES: "billId", Endpoint.TRANSFERS: "ts"}


@dataclass(slots=True)
class _Mark:
    """A position in a list: the paging key and the ids of the records at it."""

    p: int
    ids: set[str]
    ms: int

    @classmethod
    def load(cls, stored: Mapping[str, Any] | None) -> _Mark | None:
        if not stored or stored.get("p") is None:
            return None
        return cls(int(stored["p"]), {str(i) for i in stored.get("ids", ())}, int(stored["ms"]))

    def dump(self) -> Cursor:
        return {"p": self.p, "ids": sorted(self.ids), "ms": self.ms}

    def covers(self, row: Row) -> bool:
        """Whether the row is at or below this mark (committed, when the mark is a floor)."""
        return row.p < self.p or (row.p == self.p and row.ident in self.ids)

    def raise_to(self, row: Row) -> None:
        if row.p > self.p:
            self.p, self.ids, self.ms = row.p, {row.ident}, row.ms
        elif row.p == self.p:
            self.ids.add(row.ident)


class OkxFetcher(HandwrittenFetcher):
    """Fetches OKX v5 history through ccxt's implicit API methods, reading OKX's raw strings."""

    SUPPORTED = frozenset({*FEEDS, *SUB_WALKS})

    def __init__(self, profile: ExchangeProfile, client: Any, *, key_type: str | None = None) -> None:
        super().__init__(profile, client, key_type=key_type)
        self.rows = RowReader(client)
        self.derivative_rows = DerivativeRows(client)
        self.archive_files = ArchiveFiles(client)  # shared by the endpoints of one sync
        self.convert_bills = ConvertBills(client, self.rows)
        self.unreached: Span | None = None  # the last walk's range beyond its list's reach

    def fetch(
        self,
        endpoint: Endpoint,
        *,
        since: datetime | None,
        until: datetime,
        cursors: Mapping[str, Cursor],
        report: FetchReport,
    ) -> AsyncIterator[Page]:
        spec = served_spec(self.profile, endpoint, self.key_type, self.implements(endpoint))
        if endpoint in SUB_WALKS:
            return self._walks(spec, SUB_WALKS[endpoint], since=since, until=until, cursors=cursors, report=report)
        feed, parse = FEEDS[endpoint], self._parser(endpoint)
        # The funding bills' walk pairs convert bills with convert history's trades first (convert_bills.py).
        prepare = self.convert_bills.prepare(endpoint, report) if endpoint is Endpoint.TRANSFERS else None
        return self.walk(
            spec, feed, parse, since=since, until=until, cursor=cursors.get(""), report=report, prepare=prepare
        )

    async def _walks(
        self,
        spec: EndpointSpec,
        walks: Iterable[SubWalk],
        *,
        since: datetime | None,
        until: datetime,
        cursors: Mapping[str, Cursor],
        report: FetchReport,
    ) -> AsyncIterator[Page]:
        """One endpoint made of several lists (derivatives.py), each walked with its own cursor (its market key)."""
        for sub in walks:
            sub_spec = replace(spec, lookback=sub.lookback)  # each list its own reach
            parse = self.derivative_rows.parser(sub.reads)
            known_gaps = len(report.gaps)
            fills = FillsReach(sub, self.derivative_rows, cursors.get(sub.market)) if sub.reads is Reads.FILL else None
            async for page in self.walk(
                sub_spec,
                sub.feed,
                parse,
                since=since,
                until=until,
                cursor=cursors.get(sub.market),
                report=report,
                market=sub.market,
                prepare=self.derivative_rows.prepare(sub.reads, spec.endpoint, report),
            ):
                yield fills.kept(page, self.unreached) if fills is not None else page
            await keep_gaps_of_use(sub, self.derivative_rows, self.client, spec.endpoint, report, known_gaps)
            if sub.feed.method == BILLS_ARCHIVE:  # what its three months miss: OKX's quarterly files (archive.py)
                older = cursors.get(archive_market(sub))
                async for page in fill_from_archive(
                    self.archive_files, spec, sub, parse, report=report, first_gap=known_gaps, cursor=older, until=until
                ):
                    yield page
        # Each list reports its own reach; lists of one reach say the same thing once.
        unique = {(g.endpoint, g.start, g.end, repr(g.reason)): g for g in report.gaps}
        report.gaps[:] = list(unique.values())

    # -- the walk down ----------------------------------------------------------------------------------------

    async def walk(
        self,
        spec: EndpointSpec,
        feed: Feed,
        parse: Callable[[Mapping[str, Any]], Parsed],
        *,
        since: datetime | None,
        until: datetime,
        cursor: Cursor | None,
        report: FetchReport,
        market: str = "",
        prepare: Callable[[list[Mapping[str, Any]]], Awaitable[None]] | None = None,
    ) -> AsyncIterator[Page]:
        """Walks one list down from its newest record to the floor; `prepare` (derivatives: the contract sizes of
        the instruments on a page) runs before a page's rows are read."""
        stored = dict(cursor or {})
        if stored and stored.get("key", _LEGACY_KEYS.get(spec.endpoint, feed.key)) != feed.key:
            stored = {}
        walk = stored.pop("walk", None)
        floor = _Mark.load(stored)
        requested = int(stored["ms"]) if stored.get("ms") is not None else None
        if requested is None and since is not None:
            requested = to_ms(since)
        start = history_start(spec, requested_ms=requested, exchange_name="OKX", opened=OKX_OPENED)
        if feed.method == "privateGetAssetBillsHistory":
            start = since_bills_history(spec, start)
        # What this list cannot give any more (its reach), reported or not: derivatives fills' is kept (_walks).
        self.unreached = (to_ms(start.gap.start), to_ms(start.gap.end)) if start.gap is not None else None
        # A resumed walk's gap was reported by the sync that began it; a bills list's is reported again, as the
        # quarterly archive (archive.py) that takes it over may not have run before that sync stopped.
        if start.gap is not None and (walk is None or feed.method == BILLS_ARCHIVE):
            report.gaps.append(start.gap)
        until_ms = to_ms(until)
        top = _Mark.load(walk.get("top")) if walk else None
        after: int | None = int(walk["after"]) if walk else None
        seen: set[str] = set(walk.get("seen", ())) if walk else set()
        hold: int | None = walk.get("hold") if walk else None
        covered = ms_to_utc(floor.ms) if floor is not None else EPOCH
        depth = Depth.begin(spec, start.ms, floor.ms if floor is not None else None, walk)
        while True:
            params: dict[str, Any] = {**feed.params, "limit": spec.page_size}
            if after is not None:
                params["after"] = after
            if feed.time_filter:
                params["begin"], params["end"] = start.ms, until_ms
            body = await call(self.client, feed.method, params, endpoint=spec.endpoint, report=report)
            rows = body.get("data") or []
            records: list[NormalizedRecord] = []
            positions = [feed.position(row) for row in rows]
            # Committed by an earlier sync, or older than asked for: the walk has reached its end.
            old = [(floor is not None and floor.covers(at)) or at.ms < start.ms for at in positions]
            reached = any(old)
            fresh = [
                (row, at)
                for row, at, below in zip(rows, positions, old, strict=True)
                # Not at the page boundary, already taken from the page before; nor newer than this sync's end
                # (the next sync takes it: the settled cursor stays below it).
                if not below and not (after is not None and at.ident in seen) and at.ms <= until_ms
            ]
            if prepare is not None and fresh:  # only what the walk reads costs a lookup
                await prepare([row for row, _ in fresh])
            for row, at in fresh:
                depth.saw(at.ms)
                if top is None:
                    top = _Mark(at.p, {at.ident}, at.ms)
                else:
                    top.raise_to(at)
                record, pending = parse(row)
                if record is not None:
                    records.append(record)
                if pending is not None and (hold is None or pending < hold):
                    hold = pending
            done = reached or len(rows) < spec.page_size
            if not done:
                lowest = min(at.p for at in positions)
                at_lowest = {at.ident for at in positions if at.p == lowest}
                # `after` returns what is older than it; on lists where it includes its own time (feed.inclusive)
                # the next page starts at the lowest time itself.
                step = 0 if feed.inclusive else 1
                if feed.unique:
                    after, seen = lowest, set()
                elif after is not None and lowest + step == after:
                    # A whole page within one millisecond: `after` cannot get below it, nor to what is older.
                    report.gaps.append(crowded_gap(spec, floor.ms if floor is not None else start.ms, lowest))
                    done = True
                else:
                    after, seen = lowest + step, at_lowest
            if done:
                report.gaps += depth.unsure()
                late = spec.endpoint in SETTLING  # deposits and withdrawals: OKX may list them late
                reread = max(until_ms - SETTLE_REREAD_MS, start.ms) if late else until_ms
                settled = {**_settle(floor, top, hold, until_ms, reread), "key": feed.key}
                yield Page(spec.endpoint, tuple(records), settled, until, market)
                return
            progress: Cursor = {
                "top": top.dump() if top is not None else None,
                "after": after,
                "seen": sorted(seen),
                "hold": hold,
                **depth.dump(),
            }
            yield Page(spec.endpoint, tuple(records), {**stored, "key": feed.key, "walk": progress}, covered, market)

    def _parser(self, endpoint: Endpoint) -> Callable[[Mapping[str, Any]], Parsed]:
        return {
            Endpoint.SPOT_TRADES: self.rows.fill,
            Endpoint.DEPOSITS: self.rows.deposit,
            Endpoint.WITHDRAWALS: self.rows.withdrawal,
            Endpoint.CONVERT: self.rows.convert,
            Endpoint.TRANSFERS: self.convert_bills.transfer,
        }[endpoint]


def _settle(floor: _Mark | None, top: _Mark | None, hold: int | None, until_ms: int, reread_ms: int) -> Cursor:
    """The cursor once a walk is complete: its top, held below a record still settling, and for deposits and
    withdrawals (`reread_ms` < `until_ms`, timestamp-keyed lists) no higher than the trailing day the next sync
    reads again for records OKX lists late (windows.settling_start)."""
    if hold is not None or reread_ms < until_ms:
        below = min(hold if hold is not None else reread_ms, reread_ms)
        mark = top or floor
        if mark is not None and mark.p < below:
            return mark.dump()
        # Everything from here up is new again; the records already stored are known by their keys.
        return {"p": below - 1, "ids": [], "ms": below - 1}
    if top is not None:
        return top.dump()
    if floor is not None:
        return floor.dump()
    return {"p": None, "ids": [], "ms": until_ms}  # nothing there yet: the next sync starts here


__all__ = ["OkxFetcher"]
