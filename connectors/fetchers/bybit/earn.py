"""Bybit v5 Earn history: the yield paid (REWARD) and Flexible Saving's stakes and redemptions (TRANSFER between the
account's own wallets). Rules and their sources: docs/exchange-apis/bybit.md, "Earn".

| endpoint | what | window | page | reach |
| --- | --- | --- | --- | --- |
| `GET /v5/earn/position?category=FlexibleSaving|OnChain` | whether the account uses Earn | none | none | now |
| `GET /v5/earn/yield?category=…` | yield paid: REWARD | 7 days | 100, `nextPageCursor` | 3 months |
| `GET /v5/earn/order?category=FlexibleSaving` | stakes and redemptions: TRANSFER | 7 days | 100 | not stated |

The positions decide what is asked: Flexible Saving lists a position "fully redeemed" too, so no Flexible Saving
position means the account never used it; OnChain lists active positions only. With no position of either kind (and
no walk begun before) the endpoint is skipped and /status says why; so it is, with its fix, when the key lacks the
"Earn" permission, which the key check warned of. Sources (docs/exchange-apis/bybit.md, "Earn", has the table):
every Earn page says "API key needs \"Earn\" permission" (bybit-exchange/docs docs/v5/earn/position.mdx and the
others) and lists no code of its own; Bybit's error page answers a permission the key lacks with retCode 10005
"Permission denied, please check your API key permissions." (docs/v5/error.mdx, table "UMA & UTA & Futures of
Classic Account"), in the common envelope (docs/v5/guide.mdx); ccxt maps 10005 to PermissionDenied.

A `Pending` yield paid `Manual`ly is "Distributed when the user redeems" (earn/yield-history.mdx): pending for months,
not the days a deposit settles in, so it does not hold the walk back (that would re-read every window since, and let
go after `HOLD_MAX_AGE_MS`). Its time rides in the yield cursor (`MANUAL_PENDING`) and each sync re-reads only its
7-day window first, until the row is final (then stored, once: its natural key) or out of the list's 3-month reach
(then let go, noted as a gap). OnChain orders can be asked only by their id
("For category = OnChain, either orderId or orderLinkId is required"): not listed. Stakes and redemptions count zero
in reconciliation either way (money between the account's own wallets, every one of them read).
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Callable, Mapping
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

import ccxt

from connectors.fetchers.base import CoverageGap, Cursor, FetchReport, Page, UnsupportedEndpoint
from connectors.fetchers.bybit.derivatives import Route, Walk
from connectors.fetchers.bybit.rows import Parsed
from connectors.fetchers.windows import call, cursor_start, hold_if_recent, span_ms, to_ms
from connectors.profiles import Endpoint, EndpointSpec
from connectors.profiles.model import ENDPOINT_PHRASE_IDS
from connectors.records import NormalizedRecord, RecordKind, exact, ms_to_utc, natural_key
from i18n import Text, msgid

FLEXIBLE, ON_CHAIN = "FlexibleSaving", "OnChain"
CATEGORIES = (FLEXIBLE, ON_CHAIN)
POSITIONS = "privateGetV5EarnPosition"
NO_EARN = Text.of("profile.bybit.skip.no_earn")
EARN_DENIED = Text.of("profile.bybit.skip.earn_denied")
ORDERS_KEY = "earn_orders"  # the cursor key of Flexible Saving's order walk; yields use "yield_<category>"
# Order and yield status (`Success`, `Fail`, `Pending`): Bybit's words, matched.
STATUS_WORDS = ("Success", "Pending")
DONE, PENDING = STATUS_WORDS
# distributionMode `Manual`: "Distributed when the user redeems" (Bybit's word, matched)
DISTRIBUTION_WORDS = ("Manual",)
(MANUAL,) = DISTRIBUTION_WORDS
MANUAL_PENDING = "manual_pending"  # yield cursor field: createdAt (ms) of each Manual yield still pending
WEEK = timedelta(days=7)  # the yield list's window ("less than or equal to 7 days"), should the profile lack one


class EarnCode(StrEnum):
    """Codes of the Earn walks: the yield page's rows key (its example's), and an order's natural-key prefix."""

    YIELD_ROWS = "yield"
    ORDER = "earn"


def yield_key(category: str) -> str:
    return f"yield_{category}"


class EarnRows:
    """Reads Earn rows; `code` turns Bybit's coin names into ccxt's."""

    def __init__(self, code: Callable[[str], str]) -> None:
        self.code = code

    def reward(self, category: str, manual: set[int]) -> Callable[[Mapping[str, Any], int], Parsed]:
        """`manual` gathers the times of the Manual yields still pending (they do not hold the cursor)."""

        def parse(row: Mapping[str, Any], window_start: int) -> Parsed:
            when, status = int(row["createdAt"]), str(row.get("status", ""))
            if status == PENDING and str(row.get("distributionMode", "")) == MANUAL:
                manual.add(when)  # paid when the user redeems: re-read alone until then
                return None, None
            if status == PENDING:
                return None, hold_if_recent(when)
            if status != DONE:
                return None, None
            ident = f"{category}:{row['id']}"  # "unique only under the same user": the category keeps lists apart
            record = NormalizedRecord(
                kind=RecordKind.REWARD,
                occurred_at=ms_to_utc(when),
                natural_key=natural_key(RecordKind.REWARD, ident),
                asset=self.code(str(row["coin"])),
                amount=exact(row["amount"]),
                exchange_tx_id=str(row["id"]),
                raw={**row, "category": category},
            )
            return record, None

        return parse

    def order(self, row: Mapping[str, Any], window_start: int) -> Parsed:
        """A stake moves coins into the Earn position, a redemption back: `orderType` and `category` say which way."""
        when, status = int(row["createdAt"]), str(row.get("status", ""))
        if status == PENDING:
            return None, hold_if_recent(when)
        if status != DONE:
            return None, None
        ident = str(row["orderId"])
        record = NormalizedRecord(
            kind=RecordKind.TRANSFER,
            occurred_at=ms_to_utc(when),
            natural_key=natural_key(RecordKind.TRANSFER, f"{EarnCode.ORDER}:{ident}"),
            asset=self.code(str(row["coin"])),
            amount=exact(row["orderValue"]),
            exchange_tx_id=ident,
            raw={**row, "category": FLEXIBLE},
        )
        return record, None


class EarnFetch:
    """The Earn endpoint of one Bybit fetcher; `walk` is its windowed cursor walk."""

    def __init__(self, client: Any, rows: EarnRows, walk: Walk, profile_id: str = "bybit") -> None:
        self.client = client
        self.rows = rows
        self.walk = walk
        self.profile_id = profile_id

    async def held(self, spec: EndpointSpec, report: FetchReport) -> set[str]:
        """The categories the account holds a position in (2 requests)."""
        found: set[str] = set()
        for category in CATEGORIES:
            try:
                body = await call(self.client, POSITIONS, {"category": category}, endpoint=spec.endpoint, report=report)
            # 10005 "Permission denied, please check your API key permissions." (bybit-exchange/docs
            # docs/v5/error.mdx) for a key without "Earn" ("API key needs \"Earn\" permission", every Earn page):
            # skipped, not failed; the history may well hold Earn.
            except ccxt.PermissionDenied:
                raise UnsupportedEndpoint(self.profile_id, Endpoint.EARN_REWARDS, EARN_DENIED, unused=False) from None
            if (body.get("result") or {}).get("list"):
                found.add(category)
        return found

    async def fetch(
        self,
        spec: EndpointSpec,
        *,
        since: datetime | None,
        until: datetime,
        cursors: Mapping[str, Cursor],
        report: FetchReport,
    ) -> AsyncIterator[Page]:
        held = await self.held(spec, report)
        categories = [c for c in CATEGORIES if c in held or cursors.get(yield_key(c))]
        if not categories:
            raise UnsupportedEndpoint(self.profile_id, Endpoint.EARN_REWARDS, NO_EARN)
        for category in categories:
            async for page in self._yields(spec, category, since, until, cursors.get(yield_key(category)), report):
                yield page
        if FLEXIBLE in categories:
            # The orders' page states no reach: walked from the sync's start (or Bybit's opening), not 3 months.
            orders = dataclasses.replace(spec, lookback=None)
            route = Route.listed("privateGetV5EarnOrder", {"category": FLEXIBLE})
            async for page in self.walk(
                orders,
                route,
                self.rows.order,
                since=since,
                until=until,
                cursor=cursors.get(ORDERS_KEY),
                report=report,
                market=ORDERS_KEY,
            ):
                yield page

    async def _yields(
        self,
        spec: EndpointSpec,
        category: str,
        since: datetime | None,
        until: datetime,
        cursor: Cursor | None,
        report: FetchReport,
    ) -> AsyncIterator[Page]:
        """The windows of the Manual yields still pending, each alone, then the walk on from the cursor."""
        route = Route("privateGetV5EarnYield", EarnCode.YIELD_ROWS, {"category": category})
        key = yield_key(category)
        remembered = sorted({int(ms) for ms in (cursor or {}).get(MANUAL_PENDING, ())})
        pending: set[int] = set()
        parse = self.rows.reward(category, pending)
        ahead = cursor_start(cursor)  # a time at or after it the walk reads anyway
        behind = [ms for ms in remembered if ahead is None or ms < ahead]
        for start in self._rereads(spec, behind, until, report):
            # Pages keep the walk's own cursor and every time remembered: an interrupted re-read loses none.
            kept = {**(cursor or {}), MANUAL_PENDING: sorted(pending | set(remembered))}
            end = ms_to_utc(min(start + span_ms(spec.window or WEEK) - 1, to_ms(until)))
            window = {"window_start_ms": start}
            async for page in self.walk(
                spec, route, parse, since=since, until=end, cursor=window, report=report, market=key
            ):
                yield dataclasses.replace(page, cursor=kept)
        async for page in self.walk(
            spec, route, parse, since=since, until=until, cursor=cursor, report=report, market=key
        ):
            yield (
                dataclasses.replace(page, cursor={**page.cursor, MANUAL_PENDING: sorted(pending)}) if pending else page
            )

    @staticmethod
    def _rereads(spec: EndpointSpec, remembered: list[int], until: datetime, report: FetchReport) -> list[int]:
        """Where each re-read window starts (one window covers every pending yield inside it); a yield gone past the
        list's reach can no longer be read: let go, and the sync says so."""
        reach = to_ms(until) - span_ms(spec.lookback) if spec.lookback is not None else None
        span = span_ms(spec.window or WEEK)
        starts: list[int] = []
        for ms in remembered:
            if reach is not None and ms < reach:
                report.gaps.append(_released(ms, reach_days=(spec.lookback or WEEK).days))
            elif not starts or ms >= starts[-1] + span:
                starts.append(ms)
        return starts


def _released(ms: int, *, reach_days: int) -> CoverageGap:
    """A Manual yield still pending when its time left the list's reach: no sync can see it settle."""
    moment = ms_to_utc(ms)
    reason = Text.of(
        msgid("sync.gap.pending_released"),
        phrase=Text.of(ENDPOINT_PHRASE_IDS[Endpoint.EARN_REWARDS]),
        when=moment.strftime("%Y-%m-%d %H:%M:%S UTC"),
        days=reach_days,
    )
    return CoverageGap(Endpoint.EARN_REWARDS, moment, moment, reason)
