"""Money moved between a Bitget main account and its sub-accounts: a deposit or a withdrawal of the account the key
reads (read with the TRANSFERS kind). `MainSubWalk` walks such a list; `BitgetMainSub` is a classic account's (API
v2), `unified_transfers.BitgetUnifiedMainSub` a unified account's (API v3).

`GET /api/v2/spot/account/sub-main-trans-record` ("Get MainSub Transfer Record", spot/account/
Get-SubAccount-TransferRecords, docs/exchange-apis/bitget.md): `role` ("Transfer out type": `initiator`, the default,
or `receiver`), `subUid` ("If empty, it only query the records that transfer from main account"), `startTime`..
`endTime` at most 90 days apart, `limit` at most 100, `idLessThan=<transferId>`; rows name `fromUserId` and
`toUserId`. Only the main account's key moves money between the accounts, either way (spot/account/Sub-Transfer), so
who started a move says nothing of its direction: the user ids do. ccxt 4.5.90 lists no implicit method for the
path, so it is asked through ccxt's `request` (signed as every private v2 call).

Without `subUid` the list holds only what left the main account, so a sub-account's moves to it are asked per
sub-account (`subUid`, role `initiator`: the sub-account sent them). The sub-accounts are those an earlier sync
asked (their cursor keys), those the main account sent money to, and those `GET /api/v2/spot/account/subaccount-assets`
lists ("only return the sub-accounts which assets > 0", spot/account/Get-Subaccount-Assets; `limit` at most 50,
`idLessThan` the last `id`). A sub-account that holds nothing, never received money from the main account and was
never asked before is not found: its moves to the main account stay out, and the balance check shows them.

Each query is a walk of its own (cursor keys `main_sub:initiator`, `main_sub:initiator:<subUid>`), 90-day windows over
two years (no reach is stated: the other v2 wallet lists' [help]). A row is this account's when it names the key's own
user id (`userId` of `GET /api/v2/spot/account/info`, asked once) as receiver (a deposit) or sender (a withdrawal); a
move between two other accounts (sub-account to sub-account) is not its money. Stored as deposits and withdrawals, as
Binance's and OKX's sub-account moves: a key reads one account, and to it such a move is money in or out; the other
account holds the matching record. Moves within the account are `transferRecords`' TRANSFER records (v2) and count
zero, so a move both lists showed would still not be counted twice.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from connectors.fetchers.base import Cursor, FetchReport, Page
from connectors.fetchers.bitget.pages import walk_start
from connectors.fetchers.windows import (
    WindowPage,
    WindowWalk,
    call,
    call_unified,
    hold_if_recent,
    since_ms,
    span_ms,
    to_ms,
)
from connectors.profiles import EndpointSpec
from connectors.records import NormalizedRecord, RecordKind, exact, ms_to_utc, natural_key

PATH, API = "v2/spot/account/sub-main-trans-record", ["private", "spot"]
SUB_ASSETS = "privateSpotGetV2SpotAccountSubaccountAssets"
SUB_ASSETS_LIMIT = 50  # "The default value is 10, and the maximum value is 50."
KEY_PREFIX = "main_sub"  # cursor keys `main_sub:…` inside the TRANSFERS cursor
INITIATOR, RECEIVER = "initiator", "receiver"
WINDOW = timedelta(days=90)  # "The interval between startTime and endTime must not exceed 90 days."
LIMIT = 100  # "Default: 100, maximum 100"
DONE, FAILED = "successful", "failed"  # status: Successful, Failed, Processing


class NextPage(StrEnum):
    """The parameter that asks a list's next page: v2's, and v3's ("use the cursor returned from the previous
    query")."""

    ID_LESS_THAN = "idLessThan"
    CURSOR = "cursor"


def is_main_sub_key(key: str) -> bool:
    return key.split(":")[0] == KEY_PREFIX


@dataclass(frozen=True, slots=True)
class Query:
    """One walk: a role, of the main account (no `subUid`) or of one sub-account."""

    key: str
    role: str
    sub_uid: str | None = None


@dataclass(slots=True)
class Rows:
    """One answer: its rows and the token of the next page (None: the last)."""

    rows: Sequence[Mapping[str, Any]]
    token: str | None


class MainSubWalk:
    """Walks one main-sub transfer list of one sync: its queries, each in 90-day windows, rows kept by user id."""

    SIZE, TIME = "size", "ts"  # a row's amount and time fields
    NEXT_PARAM = NextPage.ID_LESS_THAN
    OWN_MOVES = False  # whether a move between the account's own wallets (sender = receiver) is a TRANSFER record
    RECORD_PREFIX = KEY_PREFIX  # the natural key's prefix

    def __init__(self, client: Any) -> None:
        self.client = client
        self.uid: str | None = None
        self.receivers: set[str] = set()  # the other accounts this account sent money to

    async def own_uid(self, spec: EndpointSpec, report: FetchReport) -> str:
        raise NotImplementedError

    async def ask(self, spec: EndpointSpec, report: FetchReport, query: Query, params: dict[str, Any]) -> Rows:
        raise NotImplementedError

    async def walk(
        self,
        spec: EndpointSpec,
        query: Query,
        *,
        since: datetime | None,
        until: datetime,
        cursor: Cursor | None,
        report: FetchReport,
    ) -> AsyncIterator[Page]:
        if self.uid is None:
            self.uid = await self.own_uid(spec, report)
        start_ms = walk_start(spec, cursor, since, report)

        async def page(start: int, end: int, token: Any) -> WindowPage:
            params: dict[str, Any] = {"role": query.role, "startTime": start, "endTime": end, "limit": LIMIT}
            if query.sub_uid:
                params["subUid"] = query.sub_uid
            answer = await self.ask(spec, report, query, {**params, **({self.NEXT_PARAM: token} if token else {})})
            found = WindowPage([], token=answer.token if len(answer.rows) >= LIMIT else None)
            for row in answer.rows:
                found.keep(*self.read_row(row, query.role))
            return found

        window = WindowWalk(spec.endpoint, span_ms(WINDOW), page, query.key)
        async for item in window.pages(
            start_ms=start_ms, until_ms=to_ms(until), cursor=cursor, floor_ms=since_ms(since)
        ):
            yield item

    def read_row(self, row: Mapping[str, Any], role: str) -> tuple[NormalizedRecord | None, int | None]:
        """One row as the walk of `role` reads it: its record, if it is this account's and final, and the time it
        holds the cursor at, if it is still in progress."""
        sender, receiver = str(row.get("fromUserId") or ""), str(row.get("toUserId") or "")
        own = sender == receiver
        if not self.uid or self.uid not in (sender, receiver) or (own and not self.OWN_MOVES):
            return None, None  # between two other accounts, or (v2) a move transferRecords lists
        if own and role == RECEIVER:
            return None, None  # an own move is listed to both roles: read once, as its sender's
        if sender == self.uid and not own:
            self.receivers.add(receiver)
        when, status = int(row[self.TIME]), str(row.get("status", "")).lower()
        if status == FAILED:
            return None, None
        if status != DONE:
            return None, hold_if_recent(when)
        kind = RecordKind.TRANSFER if own else RecordKind.DEPOSIT if receiver == self.uid else RecordKind.WITHDRAWAL
        ident = str(row["transferId"])
        record = NormalizedRecord(
            kind=kind,
            occurred_at=ms_to_utc(when),
            natural_key=natural_key(kind, f"{self.RECORD_PREFIX}:{ident}"),
            asset=str(self.client.safe_currency_code(str(row["coin"]))),
            amount=exact(row[self.SIZE]),
            exchange_tx_id=ident,
            raw=dict(row),  # fromType / toType say which wallets
        )
        return record, None


class BitgetMainSub(MainSubWalk):
    """A classic account's main-sub transfers (API v2)."""

    async def own_uid(self, spec: EndpointSpec, report: FetchReport) -> str:
        info = await call(self.client, "privateSpotGetV2SpotAccountInfo", {}, endpoint=spec.endpoint, report=report)
        return str((info.get("data") or {}).get("userId") or "")

    async def ask(self, spec: EndpointSpec, report: FetchReport, query: Query, params: dict[str, Any]) -> Rows:
        body = await call_unified(
            self.client, "request", PATH, API, "GET", params, endpoint=spec.endpoint, report=report, market=query.key
        )
        rows: list[Mapping[str, Any]] = body.get("data") or []
        return Rows(rows, str(min(int(row["transferId"]) for row in rows)) if rows else None)

    async def fetch(
        self,
        spec: EndpointSpec,
        *,
        since: datetime | None,
        until: datetime,
        cursors: Mapping[str, Cursor],
        report: FetchReport,
    ) -> AsyncIterator[Page]:
        main = Query(f"{KEY_PREFIX}:{INITIATOR}", INITIATOR)
        async for page in self.walk(spec, main, since=since, until=until, cursor=cursors.get(main.key), report=report):
            yield page
        asked_before = {key.split(":")[2] for key in cursors if key.startswith(f"{main.key}:")}
        subs = asked_before | self.receivers | await self._sub_accounts(spec, report)
        for sub in sorted(subs - {self.uid}):
            query = Query(f"{main.key}:{sub}", INITIATOR, sub)
            cursor = cursors.get(query.key)
            async for page in self.walk(spec, query, since=since, until=until, cursor=cursor, report=report):
                yield page

    async def _sub_accounts(self, spec: EndpointSpec, report: FetchReport) -> set[str]:
        """The user ids of the sub-accounts holding assets now (every page of the list)."""
        found: set[str] = set()
        params: dict[str, Any] = {"limit": SUB_ASSETS_LIMIT}
        while True:
            body = await call(self.client, SUB_ASSETS, params, endpoint=spec.endpoint, report=report)
            rows: list[Mapping[str, Any]] = body.get("data") or []
            found |= {str(row["userId"]) for row in rows}
            if len(rows) < SUB_ASSETS_LIMIT:
                return found
            params = {**params, "idLessThan": str(rows[-1]["id"])}  # "pass the last ID returned previously"
