"""Binance cross and isolated margin: trades, borrowing and repayments, and interest (docs/exchange-apis/binance.md).

| request | paging | window | weight (IP) |
| --- | --- | --- | --- |
| `GET /sapi/v1/margin/myTrades` | `fromId` + `limit` 1000, per symbol | 24 hours (not with fromId) | 10 |
| `GET /sapi/v1/margin/borrow-repay` | `current` + `size` 100, per `type` and `asset` | 30 days with an asset | 10 |
| `GET /sapi/v1/margin/interestHistory` | `current` + `size` 100 | 30 days | 1 |

Interest older than six months is asked with `archived=true` (the editions that list the flag: "Set to true for
archived data from 6 months ago"); the current page lists no such flag, so an answer that Binance did not read it
(-1103 / -1104) drops it for the rest of the sync (`Archive`; transfers.py's isolated-pair list has its own).

Cross margin is read without a symbol; each isolated pair (listed by `GET /sapi/v1/margin/isolated/account`) with
`isolatedSymbol`. Cross-margin trades need a symbol: Tallybot asks the listed spot markets whose two assets the
cross account holds or owes now, or borrowed or paid interest in (MARGIN_LOANS, fetched first), or traded before;
an isolated pair is asked as itself. Every walk resumes from its cursor, so a re-sync asks only for what is new.

Borrowing and repaying count zero (the wallets are read net of debt); interest is a negative INTEREST record when
charged; a repayment's interest part repays what those records already charged. An account without a margin
account (`-3003`) is skipped, saying why. A borrowing or repayment still PENDING holds its coin's cursor at its time
(as a pending deposit does, windows.py), so the sync after it is CONFIRMED stores it; FAILED moved nothing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from datetime import date, datetime, timedelta
from typing import Any

from connectors.fetchers.base import Cursor, FetchReport, Page, UnsupportedEndpoint
from connectors.fetchers.discovery import listed_spot_markets
from connectors.fetchers.windows import (
    FetchWindowPage,
    WindowPage,
    WindowWalk,
    call,
    cursor_start,
    now_ms,
    since_ms,
    span_ms,
    to_ms,
    walk_begin,
)
from connectors.profiles import Endpoint, EndpointSpec
from connectors.profiles.catalog.binance import NAME
from connectors.records import NormalizedRecord, RecordKind, exact, ms_to_utc, natural_key
from i18n import Text

LOANS_ASSET_WINDOW = timedelta(days=30)  # "If an asset is sent, data within 30 days before endTime" (7 without)
LENT_SLACK = timedelta(days=1)  # interest times may be hour marks (the example's 1672160400000): start a day early
INTEREST_WINDOW = timedelta(days=30)  # "The max interval between startTime and endTime is 30 days"
NO_MARGIN_ACCOUNT = "-3003"
CROSS, ISOLATED = "cross", "isolated"  # the margin wallets' names in cursors, keys and market keys
WALLETS = {False: CROSS, True: ISOLATED}  # by isIsolated
SIDES = {True: "buy", False: "sell"}  # by isBuyer
DONE, PENDING = "CONFIRMED", "PENDING"  # a borrowing's or repayment's `status` (and FAILED)
# "archived: Default: false. Set to true for archived data from 6 months ago" (Get Interest History and Get Cross
# Margin Transfer History as binance-docs.github.io listed them, and the generated SDKs since; "6 months" read as 180
# days). The current developers.binance.com pages list no such flag: docs/exchange-apis/binance.md weighs the editions.
ARCHIVE_AGE = timedelta(days=180)
# Where "6 months ago" falls is Binance's to say (181 to 184 days, by its clock): a window within this of 180 days is
# asked both ways, so a row on either side of Binance's boundary is found (natural keys store a row seen twice once).
ARCHIVE_SLACK = timedelta(days=10)
ARCHIVED = "archived-page:"  # a window's token while its archived pages are read: "archived-page:<n>"
NOT_READ = ("-1103", "-1104")  # UNKNOWN_PARAM, UNREAD_PARAMETERS (spot errors.md): Binance no longer reads the flag

AskPage = Callable[[int, int, int, bool], Awaitable[WindowPage]]  # (begin, end, page, archived) -> the page


class Archive:
    """Whether this sync still sends `archived`: true until Binance answers that it did not read it."""

    def __init__(self, clock: Callable[[], int] = now_ms) -> None:
        self.refused = False
        self.clock = clock

    def pages(self, ask: AskPage) -> FetchWindowPage:
        """A window's pages: the archive's first (`archived=true`) when the window starts more than six months ago,
        then the recent ones when it ends within them (either give or take ARCHIVE_SLACK). Both editions are served:
        a list that keeps older rows only in its archive, and one that no longer reads the flag (asked without it from
        then on)."""

        async def fetch_page(begin: int, end: int, token: Any) -> WindowPage:
            now = self.clock()
            archived = str(token).startswith(ARCHIVED) if token else begin < now - span_ms(ARCHIVE_AGE - ARCHIVE_SLACK)
            current = int(str(token).removeprefix(ARCHIVED)) if token else 1
            if archived and self.refused:
                archived, current = False, 1
            if not archived:
                return await ask(begin, end, current, False)
            try:
                page = await ask(begin, end, current, True)
            except Exception as error:
                if not any(code in str(error) for code in NOT_READ):
                    raise
                self.refused = True
                return await ask(begin, end, 1, False)
            if page.token is not None:
                page.token = f"{ARCHIVED}{page.token}"
            elif end >= now - span_ms(ARCHIVE_AGE + ARCHIVE_SLACK):
                page.token = 1  # the window's recent part: its first page without the flag
            return page

        return fetch_page


class BinanceMargin:
    """Both margin endpoints of one account; MARGIN_LOANS tells MARGIN_TRADES the assets it saw."""

    def __init__(self, client: Any, profile_id: str, opened: date) -> None:
        self.client = client
        self.profile_id = profile_id
        self.opened = opened
        self.assets: set[str] = set()  # exchange asset ids the margin wallets touched
        self._account: tuple[dict[str, Any], list[str]] | None = None
        self._absent = False
        self.scan_quotes: frozenset[str] = frozenset()  # quotes (ccxt codes) whose margin markets a scan probes
        self._isolated_debts: dict[str, dict[str, bool]] = {}  # isolated pair -> its coins -> owed now
        self.archive = Archive()  # the interest list's: does it still read `archived`?

    async def account(self, endpoint: Endpoint, report: FetchReport) -> tuple[dict[str, Any], list[str]]:
        """The cross account and the isolated pairs; UnsupportedEndpoint (skipped) without a margin account."""
        if self._absent:  # the other margin endpoint of this sync already heard -3003
            raise UnsupportedEndpoint(self.profile_id, endpoint, Text.of("profile.binance.skip.no_margin"))
        if self._account is None:
            try:
                cross = await call(self.client, "sapiGetMarginAccount", {}, endpoint=endpoint, report=report)
            except Exception as error:
                if NO_MARGIN_ACCOUNT in str(error):
                    self._absent = True
                    notice = Text.of("profile.binance.skip.no_margin")
                    raise UnsupportedEndpoint(self.profile_id, endpoint, notice) from None
                raise
            isolated = await call(self.client, "sapiGetMarginIsolatedAccount", {}, endpoint=endpoint, report=report)
            pairs = sorted(str(row["symbol"]) for row in isolated.get("assets") or [])
            for row in isolated.get("assets") or []:
                sides = [row.get("baseAsset") or {}, row.get("quoteAsset") or {}]
                self._isolated_debts[str(row["symbol"])] = {
                    str(side["asset"]): bool(exact(side.get("borrowed") or "0") or exact(side.get("interest") or "0"))
                    for side in sides
                    if side.get("asset")
                }
            for row in cross.get("userAssets") or []:
                if any(exact(row.get(f) or "0") for f in ("free", "locked", "borrowed", "interest", "netAsset")):
                    self.assets.add(str(row["asset"]))
            self._account = (cross, pairs)
        return self._account

    async def isolated_pairs(self, report: FetchReport) -> list[str]:
        """The isolated pairs for the transfers list (transfers.py); none without a margin account, which the margin
        endpoints name themselves."""
        try:
            return list((await self.account(Endpoint.TRANSFERS, report))[1])
        except UnsupportedEndpoint:
            return []

    # -- loans and interest -----------------------------------------------------------------------------------

    async def fetch_loans(
        self, spec: EndpointSpec, *, since: datetime | None, until: datetime, cursors: Mapping[str, Cursor],
        report: FetchReport,
    ) -> AsyncIterator[Page]:  # fmt: skip
        """Per wallet (cross, then each isolated pair): its interest first, then borrowings and repayments coin by
        coin. Every borrowing is charged interest at once ("ON_BORROW: first interest charged on borrow", Get
        Interest History), so the interest list, which needs no asset, names each coin lent and when it was first
        lent; that coin's borrow-repay walk starts a day before then and, once started, goes on at every sync (a
        repayment can come long after). With an asset one request covers 30 days, without one 7 (Query Borrow
        Repay): a full history costs a few coins' 30-day windows from their first loan, not 7-day ones from 2019."""
        cross, pairs = await self.account(spec.endpoint, report)
        state: Cursor = dict(cursors.get("") or {})
        floor = since_ms(since)
        for scope in ("", *pairs):
            wallet = scope or CROSS
            lent: dict[str, int | None] = {}
            key = f"{wallet}:INTEREST"
            start = walk_begin(spec, state.get(key), since, report, exchange_name=NAME, opened=self.opened)
            interest = self.archive.pages(self._loan_page(spec, report, scope, "", lent))
            walk = WindowWalk(spec.endpoint, span_ms(INTEREST_WINDOW), interest, report=report)
            async for page in walk.pages(start_ms=start, until_ms=to_ms(until), cursor=state.get(key), floor_ms=floor):
                state[key] = page.cursor
                yield Page(spec.endpoint, page.records, dict(state), page.covered_until)
            walked = (k.split(":")[2] for k in state if k.count(":") == 2 and k.startswith(f"{wallet}:"))
            for asset in (*self._owed(cross, scope), *walked):
                lent.setdefault(asset, None)
            # A sync before coins were walked one by one read every coin at once up to its cursor: every coin of the
            # wallet goes on from there (a loan open then may have been repaid since without a charge in between).
            everyone = {what: cursor_start(state.pop(f"{wallet}:{what}", None)) for what in ("BORROW", "REPAY")}
            if any(start is not None for start in everyone.values()):
                for asset in self._coins(scope):
                    lent.setdefault(asset, None)
            for asset, first in sorted(lent.items()):
                for what in ("BORROW", "REPAY"):
                    starts = [t for t in (first, everyone[what]) if t is not None]
                    begin = min(starts) if starts else None
                    async for page in self._loans_of(spec, report, state, scope, what, asset, begin, since, until):
                        yield page

    async def _loans_of(
        self, spec: EndpointSpec, report: FetchReport, state: Cursor, scope: str, what: str, asset: str,
        first: int | None, since: datetime | None, until: datetime,
    ) -> AsyncIterator[Page]:  # fmt: skip
        """One coin's borrowings or repayments, from its cursor; a first walk from a day before `first` (when the
        coin was first lent, or where an older walk of every coin at once had read)."""
        key = f"{scope or CROSS}:{what}:{asset}"
        cursor = state.get(key)
        begin = since
        if cursor is None and first is not None:
            begin = max(since or ms_to_utc(0), ms_to_utc(first) - LENT_SLACK)
        start = walk_begin(spec, cursor, begin, report, exchange_name=NAME, opened=self.opened)
        ask = self._loan_page(spec, report, scope, what, None, asset)

        async def fetch_page(begin: int, end: int, token: Any) -> WindowPage:
            return await ask(begin, end, int(token or 1), False)  # Query Borrow Repay has no `archived` flag

        walk = WindowWalk(spec.endpoint, span_ms(LOANS_ASSET_WINDOW), fetch_page, report=report)
        async for page in walk.pages(start_ms=start, until_ms=to_ms(until), cursor=cursor, floor_ms=since_ms(since)):
            state[key] = page.cursor
            yield Page(spec.endpoint, page.records, dict(state), page.covered_until)

    def _coins(self, scope: str) -> list[str]:
        """Every coin of the wallet: the cross account's (held, owed, lent or charged), or the pair's two."""
        return sorted(self._isolated_debts.get(scope, {})) if scope else sorted(self.assets)

    def _owed(self, cross: Mapping[str, Any], scope: str) -> list[str]:
        """Coins the wallet owes now: lent, so walked even if their first interest is out of the list's reach."""
        if scope:
            return [a for a, owed in self._isolated_debts.get(scope, {}).items() if owed]
        rows = cross.get("userAssets") or []
        return [str(r["asset"]) for r in rows if exact(r.get("borrowed") or "0") or exact(r.get("interest") or "0")]

    def _loan_page(
        self, spec: EndpointSpec, report: FetchReport, scope: str, what: str, lent: dict[str, int | None] | None,
        asset: str = "",
    ) -> AskPage:  # fmt: skip
        """A page of interest (`what` "", noting each coin lent in `lent`) or of one coin's BORROW or REPAY; a PENDING
        borrowing or repayment holds the walk's cursor at its time (the walk lets go of one pending for weeks)."""

        async def fetch_page(begin: int, end: int, current: int, archived: bool) -> WindowPage:
            params: dict[str, Any] = {"startTime": begin, "endTime": end, "current": current, "size": spec.page_size}
            if scope:
                params["isolatedSymbol"] = scope
            if archived:
                params.update(archived="true")
            if not what:
                method = "sapiGetMarginInterestHistory"
            else:
                method, params["type"], params["asset"] = "sapiGetMarginBorrowRepay", what, asset
            body = await call(self.client, method, params, endpoint=spec.endpoint, report=report)
            rows = body.get("rows") or []
            if lent is not None:
                for row in rows:
                    for coin in self._lent_coins(scope, row):
                        when, known = int(row["interestAccuredTime"]), lent.get(coin)
                        lent[coin] = when if known is None else min(known, when)
            more = current * spec.page_size < int(body.get("total") or 0)
            page = WindowPage([], current + 1 if more and rows else None)
            for row in rows:
                pending = bool(what) and str(row.get("status", DONE)) == PENDING
                # The raw time, not hold_if_recent's: the walk (given the report) names one pending for weeks.
                page.pending.extend([int(row["timestamp"])] if pending else [])
                page.records.extend([r] if (r := self._loan(what or "INTEREST", scope, row)) is not None else [])
            return page

        return fetch_page

    def _lent_coins(self, scope: str, row: Mapping[str, Any]) -> tuple[str, ...]:
        """The coin an interest row was charged for: `rawAsset` in cross margin; in an isolated pair `asset`, unless
        the charge was converted into BNB (types *_CONVERTED), when it may be either of the pair's coins."""
        if row.get("rawAsset"):
            return (str(row["rawAsset"]),)
        if scope and str(row.get("type", "")).endswith("_CONVERTED"):
            market = listed_spot_markets(self.client).get(scope)
            if market is not None:
                return (market.base_id, market.quote_id)
        return (str(row["asset"]),)

    def _loan(self, what: str, scope: str, row: Mapping[str, Any]) -> NormalizedRecord | None:
        asset = str(row["asset"])
        self.assets.add(asset)
        if what == "INTEREST":
            # `asset` is the coin charged: BNB for PERIODIC_CONVERTED / ON_BORROW_CONVERTED ("converted into BNB",
            # zh-CN "用BNB抵扣"), the loan's coin otherwise; `rawAsset` names the loan's coin (cross margin only), which
            # is evidence of a cross pair as much as the charge.
            if row.get("rawAsset"):
                self.assets.add(str(row["rawAsset"]))
            kind, amount, when = RecordKind.INTEREST, -exact(row["interest"]), row["interestAccuredTime"]
        else:
            if str(row.get("status", DONE)) != DONE:
                return None  # PENDING holds the cursor (fetch_page); FAILED changed nothing
            kind, when = RecordKind(what.lower()), row["timestamp"]
            amount = exact(row.get("principal") or row["amount"])
        return NormalizedRecord(
            kind=kind,
            occurred_at=ms_to_utc(when),
            natural_key=natural_key(kind, f"{scope or CROSS}:{row['txId']}"),
            asset=self.code(asset),
            amount=amount,
            exchange_tx_id=str(row["txId"]),
            market=self._spot_symbol(scope) if scope else None,
            raw=dict(row),
        )

    # -- trades -----------------------------------------------------------------------------------------------

    async def fetch_trades(
        self, spec: EndpointSpec, *, since: datetime | None, until: datetime, cursors: Mapping[str, Cursor],
        report: FetchReport,
    ) -> AsyncIterator[Page]:  # fmt: skip
        _, pairs = await self.account(spec.endpoint, report)
        stored = cursors.get("") or {}
        self.assets |= set(stored.get("assets", []))
        listed = listed_spot_markets(self.client)
        cross = sorted(m for m, market in listed.items() if {market.base_id, market.quote_id} <= self.assets)
        probes = self._scan_markets(set(cross))
        yield Page(spec.endpoint, (), {"assets": sorted(self.assets)}, ms_to_utc(0))
        plan = [(symbol, False) for symbol in (*cross, *probes)] + [(symbol, True) for symbol in pairs]
        for symbol, isolated in plan:
            market = f"{WALLETS[isolated]}:{symbol}"
            report.markets_scanned.append(market)
            found = False
            async for page in self._trade_pages(spec, symbol, isolated, cursors.get(market), since, until, report):
                found = found or bool(page.records)
                yield page
            if found and symbol in probes:
                # A market the scan found traded: its coins join the evidence, so every later sync asks it.
                self.assets |= {listed[symbol].base_id, listed[symbol].quote_id}
                yield Page(spec.endpoint, (), {"assets": sorted(self.assets)}, ms_to_utc(0))

    def _scan_markets(self, asked: set[str]) -> list[str]:
        """A quote scan's cross-margin probes (bot/reconcile/scan.py): every listed market of a scanned quote open to
        margin (exchangeInfo's `isMarginTradingAllowed`, ccxt's `margin`) that the evidence did not already name.
        Each costs one myTrades request of weight 10 (IP) when it holds no trades; isolated pairs are all asked."""
        return sorted(
            str(market["id"])
            for market in (self.client.markets or {}).values()
            if market.get("spot") and market.get("margin") and market.get("quote") in self.scan_quotes
            and str(market["id"]) not in asked
        )  # fmt: skip

    async def _trade_pages(
        self,
        spec: EndpointSpec,
        symbol: str,
        isolated: bool,
        cursor: Cursor | None,
        since: datetime | None,
        until: datetime,
        report: FetchReport,
    ) -> AsyncIterator[Page]:
        market = f"{WALLETS[isolated]}:{symbol}"
        from_id = int((cursor or {}).get("from_id", 0))
        size, until_ms, floor = spec.page_size, to_ms(until), since_ms(since)
        while True:
            params = {"symbol": symbol, "isIsolated": "TRUE" if isolated else "FALSE", "fromId": from_id, "limit": size}
            rows = await call(self.client, "sapiGetMarginMyTrades", params, endpoint=spec.endpoint, report=report)
            records: list[NormalizedRecord] = []
            beyond = False
            for row in rows:
                if int(row["time"]) > until_ms:
                    beyond = True
                    break
                from_id = int(row["id"]) + 1
                if floor is None or int(row["time"]) >= floor:
                    records.append(self._trade(market, symbol, row))
            done = beyond or len(rows) < size
            covered = until_ms if done else int(rows[-1]["time"])
            yield Page(spec.endpoint, tuple(records), {"from_id": from_id}, ms_to_utc(covered), market)
            if done:
                return

    def _trade(self, wallet_market: str, symbol: str, row: Mapping[str, Any]) -> NormalizedRecord:
        spot = listed_spot_markets(self.client).get(symbol)
        if spot is None:
            raise ValueError(f"margin trade in an unlisted market {symbol}")
        price, qty = exact(row["price"]), exact(row["qty"])
        return NormalizedRecord(
            kind=RecordKind.TRADE,
            occurred_at=ms_to_utc(row["time"]),
            natural_key=natural_key(RecordKind.TRADE, f"{wallet_market}:{row['id']}"),
            asset=spot.base,
            amount=qty,
            exchange_tx_id=str(row["id"]),
            market=spot.symbol,
            side=SIDES[bool(row["isBuyer"])],
            quote_asset=spot.quote,
            quote_amount=price * qty,  # a margin trade carries no quoteQty
            price=price,
            fee_asset=self.code(str(row["commissionAsset"])),
            fee_amount=exact(row["commission"]),
            raw={**row, "wallet": wallet_market.split(":")[0] + "_margin"},
        )

    def code(self, asset: str) -> str:
        return str(self.client.safe_currency_code(asset))

    def _spot_symbol(self, symbol: str) -> str:
        spot = listed_spot_markets(self.client).get(symbol)
        return spot.symbol if spot is not None else symbol
