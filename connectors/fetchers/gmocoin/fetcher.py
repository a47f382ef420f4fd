"""GMO Coin (REST API v1, its own client): spot fills of the last day per symbol, crypto deposits and withdrawals per
symbol and JPY deposits and withdrawals, each wallet list in 30-minute ranges. Rules and sources:
docs/exchange-apis/gmocoin.md.

| endpoint | list (per spot symbol of `GET /public/v1/symbols`, and JPY) | page | window, reach |
| --- | --- | --- | --- |
| spot trades | `GET /v1/latestExecutions?symbol=` | 100, `page` | the last day only |
| deposits | `GET /v1/account/deposit/history?symbol=`, `GET /v1/account/fiatDeposit/history` | - | 30 min |
| withdrawals | `GET /v1/account/withdrawal/history?symbol=`, `GET /v1/account/fiatWithdrawal/history` | - | 30 min |

Trades: latestExecutions takes no time bounds and "returns the last day", so every sync reads each spot symbol's
pages (page 1 on, until a page holds fewer than 100) and keeps the fills from its start on; the profile's one-day
lookback makes the history before the last day a gap with its reason (history_start). Cursor `{"window_start_ms":
…}`: where the next sync's fills begin. Leverage symbols ("BTC_JPY") are not read (the profile says so).

Deposits and withdrawals: one WindowWalk per list over 30-minute windows (a window is one request: no page size is
documented), cursors `{"lists": {"BTC": {…}, "JPY": {…}}}`. No trailing-day re-read (windows.SETTLING): only
EXECUTED rows are documented, listed with the time they were executed, and re-reading a day costs 48 requests
per list; a row of another status holds its list's cursor until it settles.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

from connectors.fetchers.base import Cursor, FetchReport, Page, served_spec
from connectors.fetchers.gmocoin import rows
from connectors.fetchers.handwritten import HandwrittenFetcher
from connectors.fetchers.windows import WindowPage, WindowWalk, call, since_ms, to_ms, walk_begin
from connectors.profiles import Endpoint, EndpointSpec, ExchangeProfile
from connectors.records import NormalizedRecord, RecordKind, ms_to_utc

# A floor for a walk without a sync-from date: GMO Coin's exchange opened in 2017; nothing is older.
GMOCOIN_OPENED = date(2017, 5, 31)
PAGE_MAX = 100  # latestExecutions `count`: "100 (maximum value)"
RANGE_MS = 30 * 60_000  # wallet lists: "The maximum difference between fromTimestamp and toTimestamp is 30 minutes"
FIAT = "JPY"
# The wallet lists' reach is not documented and each 30-minute range is a request: without a sync-from date a first
# walk asks for the last year (a tax year) and reports the time before it as a gap (sync.gap.unknown_history).
WALLET_DEFAULT_HISTORY = timedelta(days=366)
WALLET: Mapping[Endpoint, tuple[str, str, RecordKind]] = {  # crypto method, JPY method, record kind
    Endpoint.DEPOSITS: ("privateGetAccountDepositHistory", "privateGetAccountFiatDepositHistory", RecordKind.DEPOSIT),
    Endpoint.WITHDRAWALS: (
        "privateGetAccountWithdrawalHistory",
        "privateGetAccountFiatWithdrawalHistory",
        RecordKind.WITHDRAWAL,
    ),
}


class GmoCoinFetcher(HandwrittenFetcher):
    """Fetches GMO Coin history through GmoCoinClient, reading GMO Coin's raw strings."""

    SUPPORTED = frozenset({Endpoint.SPOT_TRADES, *WALLET})

    def __init__(self, profile: ExchangeProfile, client: Any, *, key_type: str | None = None) -> None:
        super().__init__(profile, client, key_type=key_type)
        self._symbols: list[str] | None = None

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

    async def _spot_symbols(self, spec: EndpointSpec, report: FetchReport) -> list[str]:
        """The spot symbols of the trade rules ("BTC"); a leverage symbol is "BTC_JPY"."""
        if self._symbols is None:
            body = await call(self.client, "publicGetSymbols", {}, endpoint=spec.endpoint, report=report)
            self._symbols = [str(r["symbol"]) for r in body or [] if "_" not in str(r["symbol"])]
        return self._symbols

    # -- spot trades ------------------------------------------------------------------------------------------

    async def _trades(
        self, spec: EndpointSpec, since: datetime | None, until: datetime, cursor: Cursor | None, report: FetchReport
    ) -> AsyncIterator[Page]:
        start_ms = walk_begin(spec, cursor, since, report, exchange_name=self.profile.name, opened=GMOCOIN_OPENED)
        until_ms = to_ms(until)
        symbols = await self._spot_symbols(spec, report)
        for position, symbol in enumerate(symbols):
            found: list[NormalizedRecord] = []
            page = 1
            while True:
                params = {"symbol": symbol, "page": page, "count": PAGE_MAX}
                body = await call(
                    self.client, "privateGetLatestExecutions", params, endpoint=spec.endpoint, report=report
                )
                listed = list((body or {}).get("list") or [])
                found.extend(rows.trade(r) for r in listed if start_ms <= rows.row_ms(r) <= until_ms)
                if len(listed) < PAGE_MAX:
                    break
                page += 1
            last = position == len(symbols) - 1
            stored = {"window_start_ms": until_ms + 1 if last else start_ms}
            covered = until if last else ms_to_utc(max(start_ms - 1, 0))
            yield Page(spec.endpoint, tuple(found), stored, covered)

    # -- deposits and withdrawals -----------------------------------------------------------------------------

    async def _wallet(
        self, spec: EndpointSpec, since: datetime | None, until: datetime, cursor: Cursor, report: FetchReport
    ) -> AsyncIterator[Page]:
        crypto_method, fiat_method, kind = WALLET[spec.endpoint]
        lists = [(s, crypto_method) for s in await self._spot_symbols(spec, report)] + [(FIAT, fiat_method)]
        states: dict[str, Cursor] = dict(cursor.get("lists") or {})
        until_ms = to_ms(until)
        for position, (symbol, method) in enumerate(lists):
            state = states.get(symbol)
            start_ms = walk_begin(
                spec, state, since, report, exchange_name=self.profile.name, default_history=WALLET_DEFAULT_HISTORY
            )

            async def page(
                window_start: int, window_end: int, token: Any, symbol: str = symbol, method: str = method
            ) -> WindowPage:
                params = {"fromTimestamp": rows_iso(window_start), "toTimestamp": rows_iso(window_end)}
                if symbol != FIAT:
                    params["symbol"] = symbol
                body = await call(self.client, method, params, endpoint=spec.endpoint, report=report)
                found = WindowPage([])
                for row in body or []:
                    found.keep(*rows.transfer(row, kind))
                return found

            walk = WindowWalk(spec.endpoint, RANGE_MS, page, report=report)
            async for item in walk.pages(start_ms=start_ms, until_ms=until_ms, cursor=state, floor_ms=since_ms(since)):
                states[symbol] = item.cursor
                last = position == len(lists) - 1
                covered = item.covered_until if last else ms_to_utc(start_ms)
                yield replace(item, cursor={"lists": dict(states)}, covered_until=covered, market="")


def rows_iso(ms: int) -> str:
    """`YYYY-MM-DDTHH:MM:SS.SSSZ`, the documented request format."""
    return ms_to_utc(ms).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"
