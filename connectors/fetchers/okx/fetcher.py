"""OKX v5: spot fills, deposits, withdrawals, converts and funding-account transfers, each walked newest first
with OKX's `after` cursor down to what an earlier sync committed. Rules and their sources: docs/exchange-apis/okx.md.

| endpoint | page | paging key (`after`) | reach |
| --- | --- | --- | --- |
| `GET /api/v5/trade/fills-history?instType=SPOT` | 100 | `billId`; `begin`/`end` on `ts` | 1 year (or 3 months*) |
| `GET /api/v5/asset/deposit-history` | 100 | `ts` (ms) | not documented |
| `GET /api/v5/asset/withdrawal-history` | 100 | `ts` (ms) | not documented |
| `GET /api/v5/asset/convert/history` | 100 | `ts` (ms) | not documented |
| `GET /api/v5/asset/bills-history?pagingType=2` (transfers; rewards) | 100 | `billId` | since 2021-02-01 |

*Two editions of OKX's docs disagree; reach.py says how a sync tells the user which months it cannot vouch for.

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

from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from connectors.fetchers.base import Cursor, FetchReport, Page, served_spec
from connectors.fetchers.okx.reach import OKX_OPENED, Depth, crowded_gap, since_bills_history
from connectors.fetchers.okx.rows import Parsed, RowReader
from connectors.fetchers.windows import EPOCH, SETTLE_REREAD_MS, SETTLING, call, history_start, to_ms
from connectors.profiles import Endpoint, EndpointSpec, ExchangeProfile
from connectors.records import NormalizedRecord, ms_to_utc


@dataclass(frozen=True, slots=True)
class _Row:
    """Where a row sits in its list: the paging key, its own id (unique per list) and its time."""

    p: int
    ident: str
    ms: int


@dataclass(frozen=True, slots=True)
class _Feed:
    method: str
    params: Mapping[str, Any]
    position: Callable[[Mapping[str, Any]], _Row]
    unique: bool  # the paging key is unique (billId); else records can share it (a timestamp)
    time_filter: bool = False  # the endpoint takes `begin`/`end` on `ts`
    # What `p` of a stored cursor counts. Transfers were once paged by `ts` on /asset/bills; a cursor without this
    # key names the old list, so it is dropped (the walk starts again, and upserts what it finds twice).
    key: str = "ts"


def _by_bill(row: Mapping[str, Any]) -> _Row:
    return _Row(int(row["billId"]), str(row["billId"]), int(row["ts"]))


def _by_time(id_field: str) -> Callable[[Mapping[str, Any]], _Row]:
    def position(row: Mapping[str, Any]) -> _Row:
        return _Row(int(row["ts"]), str(row[id_field]), int(row["ts"]))

    return position


FEEDS: Mapping[Endpoint, _Feed] = {
    Endpoint.SPOT_TRADES: _Feed(
        "privateGetTradeFillsHistory", {"instType": "SPOT"}, _by_bill, True, time_filter=True, key="billId"
    ),
    Endpoint.DEPOSITS: _Feed("privateGetAssetDepositHistory", {}, _by_time("depId"), False),
    Endpoint.WITHDRAWALS: _Feed("privateGetAssetWithdrawalHistory", {}, _by_time("wdId"), False),
    Endpoint.CONVERT: _Feed("privateGetAssetConvertHistory", {}, _by_time("tradeId"), False),
    Endpoint.TRANSFERS: _Feed("privateGetAssetBillsHistory", {"pagingType": "2"}, _by_bill, True, key="billId"),
    Endpoint.EARN_REWARDS: _Feed("privateGetAssetBillsHistory", {"pagingType": "2"}, _by_bill, True, key="billId"),
}
SUPPORTED = frozenset(FEEDS)
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

    def covers(self, row: _Row) -> bool:
        """Whether the row is at or below this mark (committed, when the mark is a floor)."""
        return row.p < self.p or (row.p == self.p and row.ident in self.ids)

    def raise_to(self, row: _Row) -> None:
        if row.p > self.p:
            self.p, self.ids, self.ms = row.p, {row.ident}, row.ms
        elif row.p == self.p:
            self.ids.add(row.ident)


class OkxFetcher:
    """Fetches OKX v5 history through ccxt's implicit API methods, reading OKX's raw strings."""

    def __init__(self, profile: ExchangeProfile, client: Any, *, key_type: str | None = None) -> None:
        self.profile = profile
        self.client = client
        self.key_type = key_type
        self.rows = RowReader(client)

    def learn_assets(self, assets: Iterable[str]) -> None:
        """OKX's fill history needs no market: nothing to learn."""

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
        return self._walk(spec, since=since, until=until, cursor=cursors.get(""), report=report)

    # -- the walk down ----------------------------------------------------------------------------------------

    async def _walk(
        self, spec: EndpointSpec, *, since: datetime | None, until: datetime, cursor: Cursor | None, report: FetchReport
    ) -> AsyncIterator[Page]:
        feed = FEEDS[spec.endpoint]
        parse = self._parser(spec.endpoint)
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
        if start.gap is not None and walk is None:
            report.gaps.append(start.gap)  # a resumed walk was reported by the sync that began it
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
            reached = False
            positions = [feed.position(row) for row in rows]
            for row, at in zip(rows, positions, strict=True):
                if (floor is not None and floor.covers(at)) or at.ms < start.ms:
                    reached = True  # committed by an earlier sync, or older than asked for
                    continue
                if after is not None and at.ident in seen:
                    continue  # at the page boundary, already taken from the page before
                if at.ms > until_ms:
                    continue  # the next sync takes it: the settled cursor stays below it
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
                if feed.unique:
                    after, seen = lowest, set()
                elif after is not None and lowest == after - 1:
                    # A whole page within one millisecond: `after` cannot get below it, nor to what is older.
                    report.gaps.append(crowded_gap(spec, floor.ms if floor is not None else start.ms, lowest))
                    done = True
                else:
                    after, seen = lowest + 1, at_lowest
            if done:
                report.gaps += depth.unsure()
                late = spec.endpoint in SETTLING  # deposits and withdrawals: OKX may list them late
                reread = max(until_ms - SETTLE_REREAD_MS, start.ms) if late else until_ms
                settled = {**_settle(floor, top, hold, until_ms, reread), "key": feed.key}
                yield Page(spec.endpoint, tuple(records), settled, until)
                return
            progress: Cursor = {
                "top": top.dump() if top is not None else None,
                "after": after,
                "seen": sorted(seen),
                "hold": hold,
                **depth.dump(),
            }
            yield Page(spec.endpoint, tuple(records), {**stored, "key": feed.key, "walk": progress}, covered)

    def _parser(self, endpoint: Endpoint) -> Callable[[Mapping[str, Any]], Parsed]:
        return {
            Endpoint.SPOT_TRADES: self.rows.fill,
            Endpoint.DEPOSITS: self.rows.deposit,
            Endpoint.WITHDRAWALS: self.rows.withdrawal,
            Endpoint.CONVERT: self.rows.convert,
            Endpoint.TRANSFERS: self.rows.transfer,
            Endpoint.EARN_REWARDS: self.rows.reward,
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
