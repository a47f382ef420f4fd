"""A master's moves between its futures wallets and its sub-accounts': deposits and withdrawals of the master.

`GET /sapi/v1/sub-account/futures/internalTransfer` (Query Sub-account Futures Asset Transfer History, For Master
Account; weight 1 IP): `email` (a sub-account's) and `futuresType` (1 USDⓈ-M, 2 COIN-M) are mandatory; `startTime`
"Cannot be earlier than 1 month ago" (the zh-CN page: "只能查询近一个月内历史纪录"), no longest range stated;
`page` (default 1), `limit` (default 50, max 500); `{"success", "futuresType", "transfers": [{from, to, asset, qty,
tranId, time}]}` with no status (each row a move made). docs/exchange-apis/binance.md, "Sub-accounts", names the page.

Whose money: the list of one sub-account holds its moves both ways (the page's example lists bbb@test.com once as
receiver, once as sender). A row whose other side is not among the master's sub-accounts is the master's futures
wallet: money to it is a DEPOSIT, from it a WITHDRAWAL; a row between two sub-accounts is not this account's money.
Each is keyed `subaccount:<tranId>`, as the other sub-account lists. The list is the history of one mechanism,
`POST /sapi/v1/sub-account/futures/internalTransfer` (Sub-account Futures Asset Transfer), as the universal history
is of `POST /sapi/v1/sub-account/universalTransfer`; no page says either lists the other's moves. Unknown: whether a
universal transfer between futures wallets (`USDT_FUTURE`, `COIN_FUTURE`) shows here too, and with which id. Were it
listed in both with one `tranId`, the key keeps one row; with two ids, it would count twice and the master's
reconciliation would show the difference on that asset.

Reach: "1 month" is asked as 28 days (the shortest month, an hour inside for the request's signing); a walk (one per
sub-account and futures type, from the sub-account's creation as the other master walks) is one window and asks
nothing before the reach: one request a walk and a sync (another a full page of 500). The history before the reach is
a gap of this account (`sync.gap.lookback`) once the sync sees a futures move of its own: a master who never moves
futures money with its sub-accounts is not marked partial for a list that holds nothing of its.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from connectors.fetchers.base import CoverageGap, FetchReport
from connectors.fetchers.windows import LOOKBACK_MARGIN_MS, FetchWindowPage, WindowPage, now_ms, span_ms
from connectors.profiles import EndpointSpec
from connectors.profiles.catalog.binance import NAME
from connectors.records import NormalizedRecord, ms_to_utc
from i18n import Text, msgid

FUTURES_TYPES = {1: "usdm", 2: "coinm"}  # "1:USDT-margined Futures, 2: Coin-margined Futures"
REACH = timedelta(days=28)  # "Cannot be earlier than 1 month ago": no month is shorter
# No longest range is stated and the reach bounds what is asked: a walk is one window, whatever its start (one request
# a walk and a sync, where windows of the reach's length would walk empty ones from a sub-account's creation).
ONE_WINDOW = timedelta(days=100 * 365)
FUTURES_LIMIT = 500  # "Default value: 50, Max value: 500"
SENDER, RECEIVER = "from", "to"

Ask = Callable[[str, Mapping[str, Any]], Any]  # an implicit ccxt method's name and its params -> the answer
Move = Callable[[Mapping[str, Any], bool, object, object], tuple[NormalizedRecord | None, int | None]]
Walk = tuple[str, int, FetchWindowPage, date | None]


@dataclass(slots=True)
class FuturesReach:
    """The history before the list's reach that this sync's walks wanted: one gap, noted once a move is seen."""

    spec: EndpointSpec
    report: FetchReport
    reach_ms: int
    wanted_ms: int | None = None
    seen: bool = False
    noted: list[CoverageGap] = field(default_factory=list)

    def wanted(self, start_ms: int) -> None:
        if start_ms < self.reach_ms and (self.wanted_ms is None or start_ms < self.wanted_ms):
            self.wanted_ms = start_ms
            self._note()

    def saw(self) -> None:
        if not self.seen:
            self.seen = True
            self._note()

    def _note(self) -> None:
        if not self.seen or self.wanted_ms is None:
            return
        reason = Text.of(msgid("sync.gap.lookback"), name=NAME, days=REACH.days, phrase=self.spec.phrase)
        gap = CoverageGap(self.spec.endpoint, ms_to_utc(self.wanted_ms), ms_to_utc(self.reach_ms), reason)
        for old in self.noted:  # an earlier start replaces the gap noted before
            if old in self.report.gaps:
                self.report.gaps.remove(old)
        self.noted = [gap]
        self.report.gaps.append(gap)


def futures_walks(
    spec: EndpointSpec,
    report: FetchReport,
    created: Mapping[str, date],
    ask: Ask,
    move: Move,
    current_ms: int | None = None,
) -> list[Walk]:
    """One walk per sub-account and futures type, each under `sub:futures:<type>:<email>` in the TRANSFERS cursor."""
    now = now_ms() if current_ms is None else current_ms
    reach = FuturesReach(spec, report, now - span_ms(REACH) + LOOKBACK_MARGIN_MS)
    subs = frozenset(created)
    return [
        (
            ":".join(("sub", "futures", name, sub)),
            span_ms(ONE_WINDOW),
            _page(sub, kind, subs, reach, ask, move),
            day,
        )
        for sub, day in sorted(created.items())
        for kind, name in FUTURES_TYPES.items()
    ]


def _page(sub: str, kind: int, subs: frozenset[str], reach: FuturesReach, ask: Ask, move: Move) -> FetchWindowPage:
    """A window before the reach asks nothing; one across it asks from the reach; a full page asks the next."""

    async def fetch_page(start: int, end: int, token: Any) -> WindowPage:
        reach.wanted(start)
        low = max(start, reach.reach_ms)
        if end < low:
            return WindowPage([])
        number = int(token or 1)
        params = {"email": sub, "futuresType": kind, "startTime": low, "endTime": end}
        body = await ask("sapiGetSubAccountFuturesInternalTransfer", {**params, "page": number, "limit": FUTURES_LIMIT})
        rows = body.get("transfers") or []
        page = WindowPage([], number + 1 if len(rows) >= FUTURES_LIMIT else None)
        for row in rows:
            sender, receiver = str(row[SENDER]), str(row[RECEIVER])
            if (sender in subs) == (receiver in subs):
                continue  # between two sub-accounts: not the master's money
            record, hold = move(row, receiver not in subs, row["qty"], row["time"])
            page.keep(record, hold)
            reach.saw()
        return page

    return fetch_page
