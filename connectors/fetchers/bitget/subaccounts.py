"""Money moved between a Bitget main account and its sub-accounts: a deposit or a withdrawal of the account the key
reads (read with the TRANSFERS kind).

`GET /api/v2/spot/account/sub-main-trans-record` ("Get MainSub Transfer Record", spot/account/
Get-SubAccount-TransferRecords, docs/exchange-apis/bitget.md): `role` ("Transfer out type": `initiator`, the default,
or `receiver`), `subUid` ("If empty, it only query the records that transfer from main account"), `startTime`..
`endTime` at most 90 days apart, `limit` at most 100, `idLessThan=<transferId>`; rows name `fromUserId` and
`toUserId`. Only the main account's key moves money between the accounts, either way (spot/account/Sub-Transfer), so
who started a move says nothing of its direction: the user ids do. ccxt 4.5.90 lists no implicit method for the
path, so it is asked through ccxt's `request` (signed as every private v2 call).

Each role is a walk of its own (cursor key `main_sub:<role>`), no `subUid`, 90-day windows over two years (no reach
is stated: the other v2 wallet lists' [help]). A row is this account's when it names the key's own user id (`userId`
of `GET /api/v2/spot/account/info`, asked once) as receiver (a deposit) or sender (a withdrawal); a move between two
other accounts is not its money. Stored as deposits and withdrawals, as Binance's and OKX's sub-account moves: a
key reads one account, and to it such a move is money in or out; the other account holds the matching record.
Moves within the account (`transferRecords`) are TRANSFER records and count zero, so a move both lists showed would
still not be counted twice.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from datetime import datetime, timedelta
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
KEY_PREFIX = "main_sub"  # cursor keys `main_sub:<role>` inside the TRANSFERS cursor
ROLES = ("initiator", "receiver")
WINDOW = timedelta(days=90)  # "The interval between startTime and endTime must not exceed 90 days."
LIMIT = 100  # "Default: 100, maximum 100"
DONE, FAILED = "successful", "failed"  # status: Successful, Failed, Processing


def is_main_sub_key(key: str) -> bool:
    return key.split(":")[0] == KEY_PREFIX


class BitgetMainSub:
    """The main-sub transfer walks of one sync."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.uid: str | None = None

    async def fetch(
        self,
        spec: EndpointSpec,
        *,
        since: datetime | None,
        until: datetime,
        cursors: Mapping[str, Cursor],
        report: FetchReport,
    ) -> AsyncIterator[Page]:
        if self.uid is None:
            info = await call(self.client, "privateSpotGetV2SpotAccountInfo", {}, endpoint=spec.endpoint, report=report)
            self.uid = str((info.get("data") or {}).get("userId") or "")
        for role in ROLES:
            key = f"{KEY_PREFIX}:{role}"
            cursor = cursors.get(key)
            start_ms = walk_start(spec, cursor, since, report)
            walk = WindowWalk(spec.endpoint, span_ms(WINDOW), self._pages(spec, report, role, key), key)
            async for page in walk.pages(
                start_ms=start_ms, until_ms=to_ms(until), cursor=cursor, floor_ms=since_ms(since)
            ):
                yield page

    def _pages(self, spec: EndpointSpec, report: FetchReport, role: str, key: str) -> Any:
        async def page(start: int, end: int, token: Any) -> WindowPage:
            params: dict[str, Any] = {"role": role, "startTime": start, "endTime": end, "limit": LIMIT}
            if token:
                params["idLessThan"] = token
            body = await call_unified(
                self.client, "request", PATH, API, "GET", params, endpoint=spec.endpoint, report=report, market=key
            )
            rows: list[Mapping[str, Any]] = body.get("data") or []
            found = WindowPage([])
            if len(rows) >= LIMIT:
                found.token = str(min(int(row["transferId"]) for row in rows))
            for row in rows:
                found.keep(*self._move(row))
            return found

        return page

    def _move(self, row: Mapping[str, Any]) -> tuple[NormalizedRecord | None, int | None]:
        sender, receiver = str(row.get("fromUserId") or ""), str(row.get("toUserId") or "")
        if not self.uid or self.uid not in (sender, receiver) or sender == receiver:
            return None, None  # between two other accounts of the main account's: not this account's money
        when, status = int(row["ts"]), str(row.get("status", "")).lower()
        if status == FAILED:
            return None, None
        if status != DONE:
            return None, hold_if_recent(when)
        kind = RecordKind.DEPOSIT if receiver == self.uid else RecordKind.WITHDRAWAL
        ident = str(row["transferId"])
        record = NormalizedRecord(
            kind=kind,
            occurred_at=ms_to_utc(when),
            natural_key=natural_key(kind, f"{KEY_PREFIX}:{ident}"),
            asset=str(self.client.safe_currency_code(str(row["coin"]))),
            amount=exact(row["size"]),
            exchange_tx_id=ident,
            raw=dict(row),
        )
        return record, None
