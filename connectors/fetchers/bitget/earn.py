"""Bitget Earn with a normal key: the interest savings products paid, and the penalty interest fixed terms took.

`GET /api/v2/earn/savings/records` (earn/savings/Savings-Records, docs/exchange-apis/bitget.md): `periodType`
**required**, `flexible` or `fixed`, so each is a stream of its own (cursor keys `savings:flexible`, `savings:fixed`);
`orderType` left out (every record); "The maximum time span supported is three months": 89-day windows (any three
calendar months hold 89 days; 90 would overrun one that spans February); `limit` at most 100; `idLessThan` the
answer's `endId` ("the end ID of the last request": the example's `endId` 456456456456 is not its row's `orderId`
123123123123, so the smallest `orderId` is not it), newest first; no reach stated: two years, as the other v2 lists
[help]. 10 requests a second per UID.

| `orderType` | stored |
| --- | --- |
| `pay_interest` "interest payment" | REWARD of `amount`, in `settleCoinName` ("Settled coin"; `coinName` if empty) |
| `deduction` "penalty interest (only supports regular periods)" | REWARD going out, in the same coin |
| `subscribe`, `redeem` | nothing: a move between the spot and earn accounts, both read by the balance check |
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from datetime import datetime
from typing import Any

from connectors.fetchers.base import Cursor, FetchReport, Page
from connectors.fetchers.bitget.streams import listing, stream_key, walk
from connectors.fetchers.discovery import AssetEvidence
from connectors.profiles import EndpointSpec
from connectors.records import Flow, NormalizedRecord, RecordKind, exact, ms_to_utc, natural_key

SAVINGS = listing("privateEarnGetV2EarnSavingsRecords", "resultList", "orderId", 89, 100)
PERIOD_TYPES = ("flexible", "fixed")
INTEREST, PENALTY = "pay_interest", "deduction"


class BitgetEarn:
    def __init__(self, client: Any, evidence: AssetEvidence) -> None:
        self.client = client
        self.evidence = evidence

    async def fetch(
        self,
        spec: EndpointSpec,
        *,
        since: datetime | None,
        until: datetime,
        cursors: Mapping[str, Cursor],
        report: FetchReport,
    ) -> AsyncIterator[Page]:
        for period in PERIOD_TYPES:
            key = stream_key("savings", period)
            async for page in walk(
                self.client,
                spec,
                SAVINGS,
                self._record,
                key=key,
                params={"periodType": period},
                since=since,
                until=until,
                cursor=cursors.get(key),
                report=report,
            ):
                yield page

    def _record(self, row: Mapping[str, Any]) -> NormalizedRecord | None:
        kind = str(row.get("orderType") or "")
        coin = str(row.get("settleCoinName") or row["coinName"])
        self.evidence.note(coin, "earn")
        if kind not in (INTEREST, PENALTY):
            return None
        ident = str(row["orderId"])
        return NormalizedRecord(
            kind=RecordKind.REWARD,
            occurred_at=ms_to_utc(row["ts"]),
            natural_key=natural_key(RecordKind.REWARD, stream_key("savings", ident)),
            asset=str(self.client.safe_currency_code(coin)),
            amount=abs(exact(row["amount"])),
            exchange_tx_id=ident,
            side=Flow.OUT if kind == PENALTY else None,
            raw=dict(row),
        )
