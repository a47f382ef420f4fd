"""HTX futures, USDT-margined (cross and isolated margin) and coin-margined swaps: fills with their closing profit,
and the accounts' money lines (funding, rewards, moves to other accounts). Rules and their sources:
docs/exchange-apis/htx.md, "USDT-margined futures" and "Isolated margin and coin-margined futures".

| request (POST, JSON body) | paging | window | reach |
| --- | --- | --- | --- |
| `/linear-swap-api/v3/swap_financial_record_exact` (`mar_acct` USDT or a contract) | by `from_id` | 48 h | 90 d |
| `/linear-swap-api/v3/swap_cross_matchresults_exact` (per `contract`) | the same | 48 h | 90 days |
| `/linear-swap-api/v3/swap_matchresults_exact` (isolated, per `contract`) | the same | 48 h | 90 days |
| `/linear-swap-api/v1/swap_cross_account_info`, `…/v1/swap_account_info` (isolated) | — | — | — |
| `/swap-api/v3/swap_financial_record_exact`, `…/v3/swap_matchresults_exact` (per `contract`) | the same | 48 h | 90 d |
| `/swap-api/v1/swap_account_info`, `/api/v1/contract_account_info` (coin-margined accounts) | — | — | — |

A page's size is not stated, so a window is read until a page comes back empty. ccxt 4.5.90 lists none of these paths
(it reads USDT-margined contracts through the v5 unified-account API, whose fill list keeps three days): they are
sent through ccxt's generic `request` for the contract API, which signs them as HTX's Authentication page says.

Cross fills need a contract. The contracts asked are those the financial records name (every fill charges a fee there):
FUNDING (fetched first) notes them as it walks; FUTURES_TRADES takes what it saw, or walks the records itself when
FUNDING did not run this sync; found contracts are kept in the discovery cursor (market ""). Each contract's fills
are walked from its own cursor ({"window_start_ms": …}, market = the contract code). An account that never opened
contract trading (code 1220, "you have not opened contracts trading") skips both, saying why.

Isolated margin: each contract has its own account. The isolated account list names every contract, held or not, so
the accounts walked are those holding money, those a cross line moved money with (`face_margin_account` of types 38
and 39) and those walked before (a cursor under "isolated:<contract>"): each one's records and fills. An isolated
account emptied before the first sync and funded straight from spot leaves no such sign (htx.md says so).

Coin-margined swaps (`/swap-api/…`): each contract account holding money, or walked before (a cursor under
"coin-swap:BTC-USD"), has its records and fills walked like an isolated account's, asked by `contract`. Delivery
futures are not read yet: when their account list shows an account, both kinds get a gap naming the product, so the
missing history is never silent (so do swaps when their list cannot be read).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any

from connectors.fetchers.base import CoverageGap, Cursor, FetchReport, Page, RateLimited, UnsupportedEndpoint
from connectors.fetchers.htx.futures_rows import ContractRows
from connectors.fetchers.windows import (
    WindowPage,
    WindowWalk,
    call,
    cursor_start,
    rate_limited,
    since_ms,
    span_ms,
    to_ms,
    walk_begin,
)
from connectors.profiles import Endpoint, EndpointSpec
from connectors.records import NormalizedRecord, exact, ms_to_utc
from i18n import Text, msgid

NAME = "HTX"
RECORDS = "linear-swap-api/v3/swap_financial_record_exact"
FILLS = "linear-swap-api/v3/swap_cross_matchresults_exact"
ACCOUNT = "linear-swap-api/v1/swap_cross_account_info"
ISOLATED_FILLS = "linear-swap-api/v3/swap_matchresults_exact"
ISOLATED_ACCOUNTS = "linear-swap-api/v1/swap_account_info"
CROSS = "USDT"  # the cross account's mar_acct
MARGIN_MOVES = frozenset({38, 39})  # "transfer from/to other margin account": face_margin_account names the other
COIN_SWAP_FILLS = "swap-api/v3/swap_matchresults_exact"
COIN_SWAP_RECORDS = "swap-api/v3/swap_financial_record_exact"
COIN_SWAP_ACCOUNTS = "swap-api/v1/swap_account_info"
DELIVERY_ACCOUNTS = "api/v1/contract_account_info"
# The coin-margined account lists and the gap naming each product: delivery futures are not read yet (a listed account
# is a gap); swaps are, and get the gap only when their list cannot be read.
COIN_MARGINED: Mapping[str, str] = {
    COIN_SWAP_ACCOUNTS: msgid("sync.gap.htx.coin_margined_swaps"),
    DELIVERY_ACCOUNTS: msgid("sync.gap.htx.coin_margined_futures"),
}
NOT_OPENED = '"err_code":1220,'  # "You don't have access permission as you have not opened contracts trading."
REACH = timedelta(days=90)


class CursorMarket(StrEnum):
    """The prefix of an account's cursors (a code): market "isolated:BTC-USDT" holds its lists' walk."""

    ISOLATED = "isolated:"
    COIN_SWAP = "coin-swap:"


ISOLATED, COIN_SWAP = CursorMarket.ISOLATED, CursorMarket.COIN_SWAP


class ContractApi:
    """The contract API's POSTs as named methods, for `windows.call`: ccxt's generic request, signed by ccxt."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)

    async def post(self, path: str, params: Mapping[str, Any]) -> Any:
        return await self.client.request(path, ["contract", "private"], "POST", dict(params))

    async def records(self, params: Mapping[str, Any]) -> Any:
        return await self.post(RECORDS, params)

    async def fills(self, params: Mapping[str, Any]) -> Any:
        return await self.post(FILLS, params)

    async def account(self, params: Mapping[str, Any]) -> Any:
        return await self.post(ACCOUNT, params)

    async def isolated_fills(self, params: Mapping[str, Any]) -> Any:
        return await self.post(ISOLATED_FILLS, params)

    async def isolated_accounts(self, params: Mapping[str, Any]) -> Any:
        return await self.post(ISOLATED_ACCOUNTS, params)

    async def coin_fills(self, params: Mapping[str, Any]) -> Any:
        return await self.post(COIN_SWAP_FILLS, params)

    async def coin_records(self, params: Mapping[str, Any]) -> Any:
        return await self.post(COIN_SWAP_RECORDS, params)

    async def coin_accounts(self, params: Mapping[str, Any]) -> Any:
        return await self.post(str(params["path"]), {})


def not_opened(error: BaseException) -> bool:
    return NOT_OPENED in str(error).replace(" ", "")


class HtxFutures:
    """The cross-margin futures history of one HTX account, for FUTURES_TRADES and FUNDING."""

    def __init__(self, client: Any, profile_id: str, opened: date) -> None:
        self.api = ContractApi(client)
        self.client = client
        self.profile_id = profile_id
        self.opened = opened
        self.rows = ContractRows(client)
        self._opened: bool | None = None
        # What FUNDING's walk saw in this sync: where it began, where it ended and the contracts it met.
        self.walked: tuple[int | None, Cursor, set[str]] | None = None
        self._held_isolated: set[str] | None = None
        self._moved_with: set[str] = set()  # isolated accounts a cross line moved money with
        self._coin_swaps: set[str] | None = None  # coin-margined swap accounts holding money
        self._coin_gaps: list[str] = []  # the gap texts of the coin-margined products held and not read

    async def readable(self, endpoint: Endpoint, report: FetchReport) -> None:
        """UnsupportedEndpoint (skipped, with the reason) when the account never opened contract trading."""
        if self._opened is None:
            report.requests += 1
            try:
                await self.api.account({"margin_account": "USDT"})
                self._opened = True
            except Exception as error:
                if not not_opened(error):
                    stop = rate_limited(error, self.client, endpoint=endpoint)
                    if stop is not None:
                        raise stop from None
                    raise
                self._opened = False
        if not self._opened:
            raise UnsupportedEndpoint(self.profile_id, endpoint, Text.of("profile.htx.skip.no_futures"))

    def _walk(
        self,
        spec: EndpointSpec,
        method: str,
        params: Mapping[str, Any],
        cursor: Cursor | None,
        since: datetime | None,
        until: datetime,
        report: FetchReport,
        read: Callable[[Mapping[str, Any]], list[NormalizedRecord]],
        market: str = "",
    ) -> AsyncIterator[Page]:
        """A list walked in 48-hour windows over its 90 days, each window paged by `from_id` to an empty page."""
        start = walk_begin(replace(spec, lookback=REACH), cursor, since, report, exchange_name=NAME, opened=self.opened)
        if spec.window is None:
            raise ValueError("HTX futures lists need a window in their profile")

        async def page(window_start: int, window_end: int, token: Any) -> WindowPage:
            request = {**params, "start_time": window_start, "end_time": window_end, "direct": "next"}
            if token is not None:
                request["from_id"] = token
            body = await call(self.api, method, request, endpoint=spec.endpoint, report=report, market=market)
            rows = body.get("data") or []
            records = [record for row in rows for record in read(row)]
            return WindowPage(records, max(int(r["query_id"]) for r in rows) if rows else None)

        walk = WindowWalk(spec.endpoint, span_ms(spec.window), page, market)
        return walk.pages(start_ms=start, until_ms=to_ms(until), cursor=cursor, floor_ms=since_ms(since))

    # -- the financial records (FUNDING) -----------------------------------------------------------------------

    async def fetch_lines(
        self,
        spec: EndpointSpec,
        *,
        since: datetime | None,
        until: datetime,
        cursors: Mapping[str, Cursor],
        report: FetchReport,
    ) -> AsyncIterator[Page]:
        await self.readable(spec.endpoint, report)
        seen: set[str] = set()

        def read(row: Mapping[str, Any]) -> list[NormalizedRecord]:
            self._note(row, seen)
            record = self.rows.line(row)
            return [record] if record is not None else []

        cursor = cursors.get("")
        began, last = cursor_start(cursor), dict(cursor or {})
        async for page in self._walk(spec, "records", {"mar_acct": CROSS}, cursor, since, until, report, read):
            last = page.cursor
            yield page
        self.walked = (began, last, seen)

        def read_isolated(row: Mapping[str, Any]) -> list[NormalizedRecord]:
            record = self.rows.line(row)  # its contract's fills are the isolated list's, not the cross one's
            return [record] if record is not None else []

        for account in await self._isolated(spec.endpoint, report, cursors):
            market = ISOLATED + account
            params = {"mar_acct": account}
            async for page in self._walk(
                spec, "records", params, cursors.get(market), since, until, report, read_isolated, market
            ):
                yield page
        for contract in await self._coin_swap_contracts(spec.endpoint, report, cursors):
            market = COIN_SWAP + contract
            params = {"contract": contract}
            async for page in self._walk(
                spec, "coin_records", params, cursors.get(market), since, until, report, read_isolated, market
            ):
                yield page
        self._coin_margined_gaps(spec.endpoint, since, until, report)

    def _note(self, row: Mapping[str, Any], contracts: set[str]) -> None:
        """The contract a cross line names, and the isolated account it moved money with."""
        if row.get("contract_code"):
            contracts.add(str(row["contract_code"]))
        if int(row.get("type") or 0) in MARGIN_MOVES and str(row.get("face_margin_account") or CROSS) != CROSS:
            self._moved_with.add(str(row["face_margin_account"]).upper())

    # -- isolated accounts and the coin-margined products -----------------------------------------------------

    async def _isolated(self, endpoint: Endpoint, report: FetchReport, cursors: Mapping[str, Cursor]) -> list[str]:
        """The isolated accounts to walk: holding money, moved with by a cross line, or walked before."""
        if self._held_isolated is None:
            body = await call(self.api, "isolated_accounts", {}, endpoint=endpoint, report=report)
            self._held_isolated = {
                str(row["margin_account"]).upper()
                for row in (body or {}).get("data") or []
                if exact(row.get("margin_balance") or 0) != 0
            }
        walked = {market.removeprefix(ISOLATED) for market in cursors if market.startswith(ISOLATED)}
        return sorted(self._held_isolated | self._moved_with | walked)

    async def _coin_swap_contracts(
        self, endpoint: Endpoint, report: FetchReport, cursors: Mapping[str, Cursor]
    ) -> list[str]:
        """The coin-margined swap accounts to walk: holding money or walked before. Reads both coin-margined account
        lists once a sync, noting the gap of a product held but not read."""
        if self._coin_swaps is None:
            self._coin_swaps = set()
            for path, text in COIN_MARGINED.items():
                try:
                    body = await call(self.api, "coin_accounts", {"path": path}, endpoint=endpoint, report=report)
                except RateLimited:
                    raise
                except Exception as error:
                    if not not_opened(error):
                        self._coin_gaps.append(text)  # unreadable: it may be held, and the user is told so
                    continue
                rows = (body or {}).get("data") or []
                if path == COIN_SWAP_ACCOUNTS:
                    held = (row for row in rows if exact(row.get("margin_balance") or 0) != 0)
                    self._coin_swaps = {str(row["contract_code"]).upper() for row in held}
                elif rows:
                    self._coin_gaps.append(text)
        walked = {market.removeprefix(COIN_SWAP) for market in cursors if market.startswith(COIN_SWAP)}
        return sorted(self._coin_swaps | walked)

    def _coin_margined_gaps(
        self, endpoint: Endpoint, since: datetime | None, until: datetime, report: FetchReport
    ) -> None:
        """A gap naming each coin-margined product the account holds whose history is not read."""
        start = since or datetime.combine(self.opened, datetime.min.time(), UTC)
        for text in self._coin_gaps:
            # Delivery futures are not read yet; swaps are, and their gap only says their list could not be read.
            not_read = text == COIN_MARGINED[DELIVERY_ACCOUNTS]
            report.gaps.append(CoverageGap(endpoint, start, until, Text.of(text), not_read=not_read))

    # -- fills --------------------------------------------------------------------------------------------------

    async def fetch_fills(
        self,
        spec: EndpointSpec,
        *,
        since: datetime | None,
        until: datetime,
        cursors: Mapping[str, Cursor],
        report: FetchReport,
    ) -> AsyncIterator[Page]:
        await self.readable(spec.endpoint, report)
        state: Cursor = dict(cursors.get("") or {})
        found = set(state.get("contracts") or [])
        walked = state.get("walk")
        if self.walked is not None and (self.walked[0] is None or (cursor_start(walked) or 0) >= self.walked[0]):
            found |= self.walked[2]  # FUNDING read these lines in this sync: take the contracts it met
            state = {"walk": self.walked[1], "contracts": sorted(found)}
            yield Page(spec.endpoint, (), dict(state), ms_to_utc(0))
        else:

            def note(row: Mapping[str, Any]) -> list[NormalizedRecord]:
                self._note(row, found)
                return []

            discovery = self._walk(spec, "records", {"mar_acct": CROSS}, walked, since, until, report, note)
            async for page in discovery:
                state = {"walk": page.cursor, "contracts": sorted(found)}
                yield Page(spec.endpoint, (), dict(state), ms_to_utc(0))
        # (fill list, contract, the cursor's market key): cross contracts, isolated accounts, coin-margined swaps.
        walks = [("fills", contract, contract) for contract in sorted(found)]
        walks += [
            ("isolated_fills", account, ISOLATED + account)
            for account in await self._isolated(spec.endpoint, report, cursors)
        ]
        walks += [
            ("coin_fills", contract, COIN_SWAP + contract)
            for contract in await self._coin_swap_contracts(spec.endpoint, report, cursors)
        ]
        for path, contract, market in walks:
            report.markets_scanned.append(market)
            params = {"contract": contract, "trade_type": 0}
            async for page in self._walk(
                spec, path, params, cursors.get(market), since, until, report, self.rows.fill, market
            ):
                yield page
        self._coin_margined_gaps(spec.endpoint, since, until, report)
