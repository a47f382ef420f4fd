"""bitbank (private REST API v1): spot trades of every pair in one list, deposits and withdrawals per asset. Rules and
their sources: docs/exchange-apis/bitbank.md.

| endpoint | list | page | paging |
| --- | --- | --- | --- |
| spot trades | `GET /user/spot/trade_history` (no `pair`: every pair), `order=asc` | 1000 | `since` moves up |
| deposits | `GET /user/deposit_history?asset=…` per asset of `GET /user/assets` | 100 | `end` moves down |
| withdrawals | `GET /user/withdrawal_history?asset=…` as deposits | 100 | as deposits |

No list has a cursor or a page number: a full page is followed by the same request with its time bound moved to the
page's last row, skipping the rows of that millisecond already read. The trade list is asked oldest first (`order`
is documented); the wallet lists take no `order` and are read newest first (bitbank.md says why). No window and no
reach are documented: each list is one range from its cursor (or the sync-from date) to the sync's end.

ccxt's unified `fetchMyTrades` sends `since` in seconds and `fetchDeposits`/`fetchWithdrawals` do not exist for
bitbank, so the implicit methods are called with the documented millisecond bounds.

Cursors: trades `{"window_start_ms": …}` (windows.WindowWalk); deposits and withdrawals one cursor holding each
asset's (`{"assets": {"btc": {…}, …}}`), with the trailing-day re-read of windows.SETTLING and a pending row holding
its asset's cursor until it settles.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import replace
from datetime import date, datetime
from typing import Any

from connectors.fetchers.base import CoverageGap, Cursor, FetchReport, Page, served_spec
from connectors.fetchers.bitbank.rows import Parsed, RowReader
from connectors.fetchers.handwritten import HandwrittenFetcher
from connectors.fetchers.windows import SETTLING, WindowPage, WindowWalk, call, since_ms, to_ms, walk_begin
from connectors.profiles import Endpoint, EndpointSpec, ExchangeProfile
from connectors.records import ms_to_utc
from i18n import Text, msgid

# A floor for a walk without a sync-from date, before bitbank's exchange opened: nothing is older.
BITBANK_OPENED = date(2014, 1, 1)
TRADES_METHOD = "privateGetUserSpotTradeHistory"
WALLET: Mapping[Endpoint, tuple[str, str, str]] = {  # ccxt method, list name in `data`, time field paged on
    Endpoint.DEPOSITS: ("privateGetUserDepositHistory", "deposits", "found_at"),
    Endpoint.WITHDRAWALS: ("privateGetUserWithdrawalHistory", "withdrawals", "requested_at"),
}
LISTS = {Endpoint.SPOT_TRADES: "trades", **{endpoint: names[1] for endpoint, names in WALLET.items()}}  # in `data`
MARGIN_GAP = msgid("sync.gap.bitbank.margin")
Token = list[Any]  # [time bound of the next request, [ids of the rows read at that time]]
Read = Callable[[Mapping[str, Any]], tuple[str, int, Parsed]]


class BitbankFetcher(HandwrittenFetcher):
    """Fetches bitbank history through ccxt's implicit API methods, reading bitbank's raw strings."""

    SUPPORTED = frozenset(LISTS)

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
            return self._trades(spec, since, until, cursors.get(""), report)
        return self._wallet(spec, since, until, cursors.get("") or {}, report)

    async def _page(
        self,
        spec: EndpointSpec,
        method: str,
        params: Mapping[str, Any],
        bounds: tuple[int, int],
        token: Token | None,
        read: Read,
        report: FetchReport,
        *,
        newest_first: bool,
    ) -> WindowPage:
        """One request: the rows inside `bounds` past `token`, and the token of the next request if the page was
        full. Oldest first the start moves up to the last row; newest first the end moves down to it."""
        start, end = bounds
        if token:
            start, end = (start, int(token[0])) if newest_first else (int(token[0]), end)
        seen = set(token[1]) if token else set()
        request = {**params, "since": start, "end": end, "count": spec.page_size}
        body = await call(self.client, method, request, endpoint=spec.endpoint, report=report)
        rows = list((body.get("data") or {}).get(self._list_name(spec)) or [])
        found = WindowPage([])
        edge = end if newest_first else start
        last_ms, at_last = edge, list(seen)
        for row in rows:
            ident, when, parsed = read(row)
            if when == edge and ident in seen:
                continue  # read by the page before, which ended at this millisecond
            found.keep(*parsed)
            if when != last_ms:
                last_ms, at_last = when, []
            at_last.append(ident)
        if len(rows) >= spec.page_size:
            if last_ms == edge and len(at_last) == len(seen):
                # A whole page of one millisecond already read: bitbank offers no way past it.
                reason = Text.of(msgid("sync.gap.bitbank.crowded"), size=spec.page_size, phrase=spec.phrase)
                report.gaps.append(CoverageGap(spec.endpoint, ms_to_utc(edge), ms_to_utc(edge), reason))
            else:
                found.token = [last_ms, at_last]
        return found

    @staticmethod
    def _list_name(spec: EndpointSpec) -> str:
        return LISTS[spec.endpoint]

    # -- spot trades ------------------------------------------------------------------------------------------

    async def _trades(
        self, spec: EndpointSpec, since: datetime | None, until: datetime, cursor: Cursor | None, report: FetchReport
    ) -> AsyncIterator[Page]:
        start_ms = walk_begin(spec, cursor, since, report, exchange_name=self.profile.name, opened=BITBANK_OPENED)
        until_ms = to_ms(until)

        def read(row: Mapping[str, Any]) -> tuple[str, int, Parsed]:
            if row.get("position_side"):
                # A margin fill (position_side long/short) is not a spot trade: told once, not stored.
                when = ms_to_utc(row["executed_at"])
                if not any(g.endpoint is spec.endpoint and g.reason.id == MARGIN_GAP for g in report.gaps):
                    report.gaps.append(CoverageGap(spec.endpoint, when, when, Text.of(MARGIN_GAP)))
                return str(row["trade_id"]), int(row["executed_at"]), (None, None)
            return str(row["trade_id"]), int(row["executed_at"]), (self.rows.trade(row), None)

        async def page(window_start: int, window_end: int, token: Any) -> WindowPage:
            params = {"order": "asc"}
            return await self._page(
                spec, TRADES_METHOD, params, (window_start, window_end), token, read, report, newest_first=False
            )

        walk = WindowWalk(spec.endpoint, _one_range(until_ms), page)
        async for item in walk.pages(start_ms=start_ms, until_ms=until_ms, cursor=cursor):
            yield item

    # -- deposits and withdrawals -----------------------------------------------------------------------------

    async def _assets(self, spec: EndpointSpec, report: FetchReport) -> list[str]:
        body = await call(self.client, "privateGetUserAssets", {}, endpoint=spec.endpoint, report=report)
        return [str(row["asset"]) for row in (body.get("data") or {}).get("assets") or []]

    async def _wallet(
        self, spec: EndpointSpec, since: datetime | None, until: datetime, cursor: Cursor, report: FetchReport
    ) -> AsyncIterator[Page]:
        method, _, time_field = WALLET[spec.endpoint]
        parse = self.rows.deposit if spec.endpoint is Endpoint.DEPOSITS else self.rows.withdrawal
        states: dict[str, Cursor] = dict(cursor.get("assets") or {})
        assets = await self._assets(spec, report)
        until_ms = to_ms(until)
        for position, asset in enumerate(assets):
            state = states.get(asset)
            start_ms = walk_begin(spec, state, since, report, exchange_name=self.profile.name, opened=BITBANK_OPENED)

            def read(row: Mapping[str, Any]) -> tuple[str, int, Parsed]:
                return str(row["uuid"]), int(row[time_field]), parse(row)

            async def page(window_start: int, window_end: int, token: Any, asset: str = asset) -> WindowPage:
                bounds = (window_start, window_end)
                params = {"asset": asset}
                return await self._page(spec, method, params, bounds, token, read, report, newest_first=True)

            walk = WindowWalk(
                spec.endpoint, _one_range(until_ms), page, rereads_late_listings=spec.endpoint in SETTLING
            )
            async for item in walk.pages(start_ms=start_ms, until_ms=until_ms, cursor=state, floor_ms=since_ms(since)):
                states[asset] = item.cursor
                last = position == len(assets) - 1
                covered = item.covered_until if last else ms_to_utc(start_ms)
                yield replace(item, cursor={"assets": dict(states)}, covered_until=covered, market="")


def _one_range(until_ms: int) -> int:
    """A window span that reaches from any start (the trailing-day re-read included) to `until` in one range: no
    list has a documented window. A walk resumed inside a range keeps that range's own end (WindowWalk)."""
    return until_ms + 1
