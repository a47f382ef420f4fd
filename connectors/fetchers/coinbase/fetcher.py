"""Coinbase: Advanced Trade fills of every product, and the Coinbase App transactions of every account.

| endpoint | page | paging | from where |
| --- | --- | --- | --- |
| `GET /api/v3/brokerage/orders/historical/fills` | 100 | opaque `cursor` | `start_sequence_timestamp`: newest taken |
| `GET /v2/accounts` | 100 | `starting_after` (id) | the whole list, every sync |
| `GET /v2/accounts/{id}/transactions` | 100 | `starting_after` (id), newest first | down to the newest committed |

Fills need no product: one list holds them all. Transactions are listed per account, so the accounts are listed
first (discovery without asking the user); each account is walked newest first until a row the last sync committed.
Rules and sources: docs/exchange-apis/coinbase.md.

Cursors (market key ""):

    fills:         {"ms": 1717000000123, "ids": ["<entry_id>"]}        the newest fill committed and the ids at it
                   {..., "walk": {"cursor": "…", "start": …, "end": …, "top": {...}}}   a walk, interrupted
    transactions:  {"accounts": {"<account id>": {"ms": …, "ids": [...]}}}             newest committed per account
                   {..., "walk": {"done": [...], "account": "…", "after": "<id>", "top": {...}, "hold": …}}

A transaction not yet final (`pending`, a vault withdrawal `waiting_for_signature` or `waiting_for_clearing`) holds
its account's mark below it, so the next sync reads it again once it is final. An adjusted fill (`trade_type`
REVERSAL, CORRECTION, SYNTHETIC) is not stored: the endpoint ends partial, naming it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from connectors.fetchers.base import CoverageGap, Cursor, FetchReport, Page, served_spec
from connectors.fetchers.coinbase.rows import RowReader, adjusted_fill, rfc3339_ms
from connectors.fetchers.handwritten import HandwrittenFetcher
from connectors.fetchers.windows import EPOCH, call, hold_if_recent, released_gap, to_ms
from connectors.profiles import Endpoint, EndpointSpec, ExchangeProfile
from connectors.records import NormalizedRecord, ms_to_utc
from i18n import Text, msgid

FILLS_METHOD = "v3PrivateGetBrokerageOrdersHistoricalFills"
ACCOUNTS_METHOD = "v2PrivateGetAccounts"
TRANSACTIONS_METHOD = "v2PrivateGetAccountsAccountIdTransactions"
V2_PAGE = 100  # "values up to 100 are permitted"


def _iso(ms: int) -> str:
    moment = datetime.fromtimestamp(ms / 1000, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


@dataclass(slots=True)
class _Mark:
    """A position in a newest-first list: the time of the newest row taken and the ids of the rows at it."""

    ms: int
    ids: set[str]

    @classmethod
    def load(cls, stored: Mapping[str, Any] | None) -> _Mark | None:
        if not stored or stored.get("ms") is None:
            return None
        return cls(int(stored["ms"]), {str(i) for i in stored.get("ids", ())})

    def dump(self) -> Cursor:
        return {"ms": self.ms, "ids": sorted(self.ids)}

    def covers(self, ms: int, ident: str) -> bool:
        return ms < self.ms or (ms == self.ms and ident in self.ids)

    def raise_to(self, ms: int, ident: str) -> None:
        if ms > self.ms:
            self.ms, self.ids = ms, {ident}
        elif ms == self.ms:
            self.ids.add(ident)


def _copy(floor: _Mark | None) -> _Mark | None:
    """Where a walk's newest row starts: at the mark, so rows found in its millisecond join the ids already there
    (a mark holding only the new ones would let the next sync take the old ones again)."""
    return _Mark(floor.ms, set(floor.ids)) if floor is not None else None


def _raised(top: _Mark | None, ms: int, ident: str) -> _Mark:
    if top is None:
        return _Mark(ms, {ident})
    top.raise_to(ms, ident)
    return top


class CoinbaseFetcher(HandwrittenFetcher):
    """Fetches Coinbase history through ccxt's implicit API methods, reading Coinbase's raw strings."""

    SUPPORTED = frozenset({Endpoint.SPOT_TRADES, Endpoint.LEDGER})

    def __init__(self, profile: ExchangeProfile, client: Any, *, key_type: str | None = None) -> None:
        super().__init__(profile, client, key_type=key_type)
        self.rows = RowReader(client)

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
        if endpoint is Endpoint.SPOT_TRADES:
            return self._fills(spec, since=since, until=until, cursor=cursors.get(""), report=report)
        return self._transactions(spec, since=since, until=until, cursor=cursors.get(""), report=report)

    # -- Advanced Trade fills -------------------------------------------------------------------------------

    async def _fills(
        self, spec: EndpointSpec, *, since: datetime | None, until: datetime, cursor: Cursor | None, report: FetchReport
    ) -> AsyncIterator[Page]:
        stored = dict(cursor or {})
        walk = stored.pop("walk", None)
        floor = _Mark.load(stored)
        if walk:
            start, end, token, top = walk.get("start"), int(walk["end"]), walk.get("cursor"), _Mark.load(walk["top"])
        else:
            # From 1 ms before the newest fill committed: the mark is floored to the millisecond and whether the
            # start is inclusive is not documented, so fills in the mark's millisecond are asked again and the ones
            # already taken are known by id.
            start = floor.ms - 1 if floor is not None else (to_ms(since) if since is not None else None)
            end, token, top = to_ms(until), None, _copy(floor)
        while True:
            params: dict[str, Any] = {"limit": spec.page_size, "end_sequence_timestamp": _iso(end)}
            if start is not None:
                params["start_sequence_timestamp"] = _iso(int(start))
            if token:
                params["cursor"] = token
            body = await call(self.client, FILLS_METHOD, params, endpoint=spec.endpoint, report=report)
            rows = body.get("fills") or []
            records: list[NormalizedRecord] = []
            for row in rows:
                ms = rfc3339_ms(str(row.get("sequence_timestamp") or row["trade_time"]))
                ident = str(row.get("entry_id") or row["trade_id"])
                if (floor is not None and floor.covers(ms, ident)) or ms > end:
                    continue
                top = _raised(top, ms, ident)
                adjusted = adjusted_fill(row)
                if adjusted is not None:
                    report.gaps.append(_adjusted_gap(spec, row, adjusted))
                    continue
                records.append(self.rows.fill(row))
            token = str(body.get("cursor") or "")
            if not token or not rows:
                settled = top or floor or _Mark(end, set())
                yield Page(spec.endpoint, tuple(records), settled.dump(), until)
                return
            progress = {"cursor": token, "start": start, "end": end, "top": top.dump() if top else None}
            yield Page(spec.endpoint, tuple(records), {**stored, "walk": progress}, EPOCH)

    # -- Coinbase App transactions --------------------------------------------------------------------------

    async def _accounts(self, spec: EndpointSpec, report: FetchReport) -> list[tuple[str, str]]:
        """Every account of the key's user: (id, currency), the whole list, newest first as Coinbase gives it."""
        found: list[tuple[str, str]] = []
        after: str | None = None
        while True:
            params: dict[str, Any] = {"limit": V2_PAGE}
            if after:
                params["starting_after"] = after
            body = await call(self.client, ACCOUNTS_METHOD, params, endpoint=spec.endpoint, report=report)
            rows = body.get("data") or []
            for row in rows:
                currency = row.get("currency")
                code = currency.get("code") if isinstance(currency, Mapping) else currency
                found.append((str(row["id"]), str(code or "")))
            pagination = body.get("pagination") or {}
            if not rows or not pagination.get("next_uri"):
                return found
            after = str(rows[-1]["id"])

    async def _transactions(
        self, spec: EndpointSpec, *, since: datetime | None, until: datetime, cursor: Cursor | None, report: FetchReport
    ) -> AsyncIterator[Page]:
        stored = dict(cursor or {})
        walk: dict[str, Any] = dict(stored.pop("walk", None) or {})
        floors: dict[str, Any] = dict(stored.get("accounts") or {})
        done: set[str] = set(walk.get("done", ()))
        since_ms, until_ms = (to_ms(since) if since is not None else None), to_ms(until)
        accounts = await self._accounts(spec, report)
        for account_id, code in accounts:
            if account_id in done:
                continue
            resume = walk.get("account") == account_id
            floor = _Mark.load(floors.get(account_id))
            after: str | None = walk.get("after") if resume else None
            top = _Mark.load(walk.get("top")) if resume else _copy(floor)
            hold: int | None = walk.get("hold") if resume else None
            while True:
                params: dict[str, Any] = {"account_id": account_id, "limit": V2_PAGE}
                if after:
                    params["starting_after"] = after
                body = await call(
                    self.client, TRANSACTIONS_METHOD, params, endpoint=spec.endpoint, report=report, market=code
                )
                rows = body.get("data") or []
                records: list[NormalizedRecord] = []
                reached = False
                for row in rows:
                    ms, ident = rfc3339_ms(str(row["created_at"])), str(row["id"])
                    if (floor is not None and floor.covers(ms, ident)) or (since_ms is not None and ms < since_ms):
                        reached = True  # committed by an earlier sync, or older than asked for
                        continue
                    if ms > until_ms:
                        continue  # the next sync takes it: the mark stays below it
                    top = _raised(top, ms, ident)
                    record, pending = self.rows.transaction(row)
                    if record is not None:
                        records.append(record)
                    held = hold_if_recent(pending) if pending is not None else None
                    if pending is not None and held is None:
                        report.gaps.append(released_gap(spec.endpoint, pending))  # not final after 14 days
                    if held is not None and (hold is None or held < hold):
                        hold = held
                pagination = body.get("pagination") or {}
                if reached or not rows or not pagination.get("next_uri"):
                    floors[account_id] = _settle(floor, top, hold, until_ms)
                    done.add(account_id)
                    walk = {"done": sorted(done)}
                    yield Page(spec.endpoint, tuple(records), {"accounts": dict(floors), "walk": walk}, EPOCH)
                    break
                after = str(rows[-1]["id"])
                progress: dict[str, Any] = {"done": sorted(done), "account": account_id, "after": after, "hold": hold}
                progress["top"] = top.dump() if top is not None else None
                yield Page(spec.endpoint, tuple(records), {"accounts": dict(floors), "walk": progress}, EPOCH)
        # Every account walked: the walk is over, and its state with it.
        yield Page(spec.endpoint, (), {"accounts": floors}, until)


def _adjusted_gap(spec: EndpointSpec, row: Mapping[str, Any], trade_type: str) -> CoverageGap:
    """An adjusted fill is not stored: the docs name REVERSAL, CORRECTION and SYNTHETIC but not what each does to
    the amounts, so a trade or an adjustment read from one could be wrong. The sync says so instead."""
    when = ms_to_utc(rfc3339_ms(str(row["trade_time"])))
    reason = Text.of(
        msgid("sync.gap.coinbase_adjusted_fill"),
        market=str(row.get("product_id")),
        trade_type=trade_type,
        trade_id=str(row.get("trade_id")),
        when=when.strftime("%Y-%m-%d %H:%M:%S UTC"),
    )
    return CoverageGap(spec.endpoint, when, when, reason)


def _settle(floor: _Mark | None, top: _Mark | None, hold: int | None, until_ms: int) -> Cursor:
    """An account's mark once walked: its newest row, held below a transaction still pending."""
    if hold is not None:
        mark = top or floor
        if mark is not None and mark.ms < hold:
            return mark.dump()
        return {"ms": hold - 1, "ids": []}  # from the pending row up is read again; stored rows are known by key
    if top is not None:
        return top.dump()
    if floor is not None:
        return floor.dump()
    return {"ms": until_ms, "ids": []}  # nothing there yet: the next sync starts here


__all__ = ["CoinbaseFetcher"]
