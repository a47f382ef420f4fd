"""A unified account's transfers with its main account or sub-accounts, and between its own wallets (API v3, read
with the TRANSFERS kind), walked as `subaccounts.MainSubWalk` walks v2's list.

`GET /api/v3/account/sub-transfer-record` ("Get the transfer records of Main-Sub account", uta/account/transfer/
SubAccount-Transfer-Get, docs/exchange-apis/bitget.md): `subUid` ("If not provided, transfer records of the main
account will be retrieved"), `role` (`initiator`, the default, or `receiver`), `startTime`..`endTime` at most 90 days
apart, `limit` at most 100, `cursor` from the previous answer (`data.list`, `data.cursor`); rows `transferId`,
`fromType`, `toType`, `amount`, `coin`, `fromUserId`, `toUserId`, `status` (Successful, Failed, Processing),
`createdTime`; 5 requests a second per UID, "Unified account management read permissions".

Two walks without `subUid` (cursor keys `main_sub:uta:initiator`, `main_sub:uta:receiver`): what the account sent and
what it received, in 90-day windows over two years (no reach is stated: the v2 lists' [help]). As in v2, the user ids
say the direction: a row naming the key's own `uid` (`GET /api/v3/account/info`) as receiver is a deposit, as sender a
withdrawal; a move between two other accounts is skipped. The page's example also lists the account's own moves
(`fromUserId` = `toUserId`, spot to `uta` or `isolated_margin`): v3 has no other list of them, so they are TRANSFER
records, which count zero (the balance check reads both the unified and the funding account).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from datetime import datetime
from typing import Any

from connectors.fetchers.base import Cursor, FetchReport, Page
from connectors.fetchers.bitget.streams import stream_key
from connectors.fetchers.bitget.subaccounts import (
    INITIATOR,
    KEY_PREFIX,
    RECEIVER,
    MainSubWalk,
    NextPage,
    Query,
    Rows,
)
from connectors.fetchers.windows import call
from connectors.profiles import EndpointSpec

RECORDS = "privateUtaGetV3AccountSubTransferRecord"
INFO = "privateUtaGetV3AccountInfo"


def unified_key(*parts: str) -> str:
    """A cursor key (`main_sub:uta:<role>`) or a natural key's prefix (`main_sub:uta`) of this list."""
    return stream_key(KEY_PREFIX, "uta", *parts)


class BitgetUnifiedMainSub(MainSubWalk):
    SIZE, TIME = "amount", "createdTime"
    NEXT_PARAM = NextPage.CURSOR
    OWN_MOVES = True
    RECORD_PREFIX = unified_key()

    async def own_uid(self, spec: EndpointSpec, report: FetchReport) -> str:
        info = await call(self.client, INFO, {}, endpoint=spec.endpoint, report=report)
        return str((info.get("data") or {}).get("uid") or "")

    async def ask(self, spec: EndpointSpec, report: FetchReport, query: Query, params: dict[str, Any]) -> Rows:
        body = await call(self.client, RECORDS, params, endpoint=spec.endpoint, report=report, market=query.key)
        data: Mapping[str, Any] = body.get("data") or {}
        return Rows(data.get("list") or [], str(data["cursor"]) if data.get("cursor") else None)

    async def fetch(
        self,
        spec: EndpointSpec,
        *,
        since: datetime | None,
        until: datetime,
        cursors: Mapping[str, Cursor],
        report: FetchReport,
    ) -> AsyncIterator[Page]:
        for role in (INITIATOR, RECEIVER):
            query = Query(unified_key(role), role)
            cursor = cursors.get(query.key)
            async for page in self.walk(spec, query, since=since, until=until, cursor=cursor, report=report):
                yield page
