"""Binance Simple Earn's own lists, read after the asset dividend pages under the EARN_REWARDS cursor.

| cursor key | path (`/sapi/v1/simple-earn/...`) | range a request | paging | from | weight |
| --- | --- | --- | --- | --- | --- |
| realtime | `flexible/history/rewardsRecord`, `type` REALTIME | 89 days | `current`, `size` 100 | 2017-07-14 | 150 IP |
| locked | `locked/history/rewardsRecord` | 89 days | `current`, `size` 100 | 2022-09-22 | 150 IP |
| redeemed | `locked/history/redemptionRecord` | 89 days | `current`, `size` 100 | 2022-09-22 | 150 IP |

What each moves (docs/exchange-apis/binance.md, "Simple Earn", names the pages):
- A flexible real-time reward: paid to the spot wallet. The asset dividend list has the bonus (tiered APR) rewards
  but not these (ccxt issue #25793), so only REALTIME is asked for (ALL would count the bonus twice).
- A locked reward ("Locked Rewards", "Boost Rewards"): paid to the spot wallet (Binance's statement books it as
  account "Spot", operation "Simple Earn Locked Rewards"), never into the position, whose `amount` is the principal.
  Counted once, as a REWARD.
- A locked redemption returns the principal; between the account's own wallets, it moves no total. Early
  (`type` AHEAD), Binance takes back the rewards already paid: `lossAmount` of the asset leaves the account
  ("you will receive the full balance of your locked assets, minus any rewards you have received"), a negative
  INTEREST. A redemption still CREATED holds the list's cursor, so the sync after it is PAID reads it.
Locked products began with Simple Earn on 2022-09-22 (Locked Savings and Staking were moved into it that day); the
older locked rewards are the asset dividend list's, so the locked lists start there.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import replace
from datetime import date, datetime
from typing import Any

from connectors.fetchers.base import Cursor, FetchReport, Page
from connectors.fetchers.windows import (
    FetchWindowPage,
    WindowPage,
    WindowWalk,
    hold_if_recent,
    since_ms,
    to_ms,
    walk_begin,
)
from connectors.profiles import EndpointSpec
from connectors.records import NormalizedRecord, RecordKind, exact, ms_to_utc, natural_key

FLEXIBLE_REWARDS = "/sapi/v1/simple-earn/flexible/history/rewardsRecord"
LOCKED_REWARDS = "/sapi/v1/simple-earn/locked/history/rewardsRecord"
LOCKED_REDEMPTIONS = "/sapi/v1/simple-earn/locked/history/redemptionRecord"
LOCKED_REDEMPTION_METHOD = "sapiGetSimpleEarnLockedHistoryRedemptionRecord"
# ccxt implicit method -> (Binance path, documented weight, UID budget?): each "Request Weight(IP) 150".
RULES: Mapping[str, tuple[str, int, bool]] = {
    "sapiGetSimpleEarnFlexibleHistoryRewardsRecord": (FLEXIBLE_REWARDS, 150, False),  # Get-Flexible-Rewards-History
    "sapiGetSimpleEarnLockedHistoryRewardsRecord": (LOCKED_REWARDS, 150, False),  # Get-Locked-Rewards-History
    LOCKED_REDEMPTION_METHOD: (LOCKED_REDEMPTIONS, 150, False),  # Get-Locked-Redemption-Record
}
# "The time between startTime and endTime cannot be longer than 3 months": 89 days fit any three. `size` at most 100.
WINDOW_MS = 89 * 86_400_000
PAGE_SIZE = 100
BINANCE_OPENED = date(2017, 7, 14)
SIMPLE_EARN_LAUNCHED = date(2022, 9, 22)
EARLY = "AHEAD"  # the redemption `type` of an early redemption (MATURE: at term, NEW_TRANSFERRED: into flexible)
PAID, REDEEMING = "PAID", "CREATED"

Request = Callable[[EndpointSpec, FetchReport, str, dict[str, Any]], Awaitable[Any]]
Parse = Callable[[Mapping[str, Any]], tuple[list[NormalizedRecord], int | None]]


class BinanceSimpleEarn:
    """The three lists above, each a windowed walk with its own cursor; `request` paces each by its budget."""

    def __init__(self, request: Request, code: Callable[[str], str], note: Callable[[str, str], None], name: str):
        self.request, self.code, self.note, self.name = request, code, note, name

    async def after_dividends(
        self,
        dividends: AsyncIterator[Page],
        spec: EndpointSpec,
        *,
        since: datetime | None,
        until: datetime,
        cursors: Mapping[str, Cursor],
        report: FetchReport,
    ) -> AsyncIterator[Page]:
        """The asset dividend pages (wallet.py), then the three lists. All share the endpoint's cursor: the
        dividends' own keys, and each list's walk cursor under "lists"."""
        stored = dict(cursors.get("") or {})
        lists: dict[str, Cursor] = dict(stored.pop("lists", None) or {})
        last: Cursor = stored
        async for page in dividends:
            last = dict(page.cursor)
            yield replace(page, cursor={**last, "lists": lists})
        walks = (
            ("realtime", BINANCE_OPENED, self._page(spec, report, "sapiGetSimpleEarnFlexibleHistoryRewardsRecord")),
            ("locked", SIMPLE_EARN_LAUNCHED, self._page(spec, report, "sapiGetSimpleEarnLockedHistoryRewardsRecord")),
            ("redeemed", SIMPLE_EARN_LAUNCHED, self._page(spec, report, LOCKED_REDEMPTION_METHOD)),
        )
        for name, opened, fetch_page in walks:
            own = lists.get(name)
            start = walk_begin(spec, own, since, report, exchange_name=self.name, opened=opened)
            walk = WindowWalk(spec.endpoint, WINDOW_MS, fetch_page, report=report)
            async for page in walk.pages(start_ms=start, until_ms=to_ms(until), cursor=own, floor_ms=since_ms(since)):
                lists = {**lists, name: page.cursor}
                yield Page(spec.endpoint, page.records, {**last, "lists": lists}, page.covered_until)

    def _page(self, spec: EndpointSpec, report: FetchReport, method: str) -> FetchWindowPage:
        parse: Parse = {
            "sapiGetSimpleEarnFlexibleHistoryRewardsRecord": self._flexible_reward,
            "sapiGetSimpleEarnLockedHistoryRewardsRecord": self._locked_reward,
            LOCKED_REDEMPTION_METHOD: self._redemption,
        }[method]
        fixed = {"type": "REALTIME"} if method == "sapiGetSimpleEarnFlexibleHistoryRewardsRecord" else {}

        async def fetch_page(start: int, end: int, token: Any) -> WindowPage:
            number = int(token or 1)
            params = {**fixed, "startTime": start, "endTime": end, "current": number, "size": PAGE_SIZE}
            body = await self.request(spec, report, method, params)
            rows = body.get("rows") or []
            more = number * PAGE_SIZE < int(body.get("total") or 0)
            page = WindowPage([], number + 1 if more and rows else None)
            for row in rows:
                records, hold = parse(row)
                page.records.extend(records)
                if hold is not None and (page.hold_ms is None or hold < page.hold_ms):
                    page.hold_ms = hold
            return page

        return fetch_page

    def _flexible_reward(self, row: Mapping[str, Any]) -> tuple[list[NormalizedRecord], int | None]:
        """A real-time reward of a flexible product. The rows carry no id: the key is every field that tells two
        apart (asset, product, type, time, amount)."""
        asset, when = str(row["asset"]), int(row["time"])
        if row.get("type", "REALTIME") != "REALTIME":
            return [], None  # asked for REALTIME only: a bonus row is the distribution list's
        canonical = ("simple-earn", asset, row.get("projectId"), row.get("type"), when, row["rewards"])
        return [self._reward(asset, when, row["rewards"], canonical, row)], None

    def _locked_reward(self, row: Mapping[str, Any]) -> tuple[list[NormalizedRecord], int | None]:
        """A locked product's reward, or its boost (extra) reward, paid to spot. No id either: the position, asset,
        type, time and amount tell two apart (the position id is a number or a string on the page)."""
        asset, when = str(row["asset"]), int(row["time"])
        canonical = ("simple-earn-locked", str(row.get("positionId")), asset, row.get("type"), when, row["amount"])
        return [self._reward(asset, when, row["amount"], canonical, row)], None

    def _reward(
        self, asset: str, when: int, amount: object, canonical: tuple[object, ...], row: Mapping[str, Any]
    ) -> NormalizedRecord:
        self.note(asset, "rewards")
        return NormalizedRecord(
            kind=RecordKind.REWARD,
            occurred_at=ms_to_utc(when),
            natural_key=natural_key(RecordKind.REWARD, None, *canonical),
            asset=self.code(asset),
            amount=exact(amount),
            raw=dict(row),
        )

    def _redemption(self, row: Mapping[str, Any]) -> tuple[list[NormalizedRecord], int | None]:
        """An early redemption's `lossAmount`: the rewards Binance took back from the principal it returned."""
        when = int(row["time"])
        if str(row.get("type")) != EARLY:
            return [], None  # at term or into a flexible product: the principal only moves between own wallets
        if str(row.get("status")) == REDEEMING:
            return [], hold_if_recent(when)
        loss = exact(row.get("lossAmount") or "0")
        if str(row.get("status")) != PAID or not loss:
            return [], None
        asset, ident = str(row["asset"]), str(row["redeemId"])
        self.note(asset, "rewards")
        record = NormalizedRecord(
            kind=RecordKind.INTEREST,
            occurred_at=ms_to_utc(when),
            natural_key=natural_key(RecordKind.INTEREST, f"simple-earn-locked-redeem:{ident}"),
            asset=self.code(asset),
            amount=-loss,
            exchange_tx_id=ident,
            raw=dict(row),
        )
        return [record], None
