"""Money moved between this Bybit account and its master or sub-accounts: a deposit or a withdrawal of this account.

| request | window | page | reach | budget |
| --- | --- | --- | --- | --- |
| `GET /v5/user/query-api` (this key's `userID`) | – | – | – | 10/s |
| `GET /v5/asset/transfer/query-universal-transfer-list` | 7 days | 50, `nextPageCursor` | not documented | 60/min |

Sources (docs/exchange-apis/bybit.md, "Sub-account transfers"): bybit-exchange/docs
`docs/v5/asset/transfer/unitransfer-list.mdx` ("Main acct api key or Sub acct api key are both supported"; a master's
key needs "SubMemberTransfer", a sub-account's "SubMemberTransferList"; at most 7 days between `startTime` and
`endTime`; `limit` [1, 50]; rows `transferId`, `coin`, `amount`, `fromMemberId`, `toMemberId`, `fromAccountType`,
`toAccountType`, `timestamp` (ms string), `status` SUCCESS / PENDING / FAILED).

Why deposits and withdrawals (as Binance's, connectors/fetchers/binance/subaccounts.py): a key reads one UID, so a
move to or from another UID of the same person changes this account's total exactly as a deposit or a withdrawal
does, and the other UID, synced with its own key, holds the matching record. Whose money a row is comes from the
member ids against this key's own `userID` (key-info, `docs/v5/user/apikey-info.mdx`): sent by it, a withdrawal;
received, a deposit; neither (a master's key sees moves between two of its sub-accounts), not this account's money.
The list is not Bybit's internal transfer list (`query-inter-transfer-list`: "between different account types under
the same UID", `selfTransfer_` ids) nor, as far as any page says, its internal deposit list (deposits from another
user by email or phone, keyed by their own `id`/`txID`); records are keyed `subaccount:<transferId>`.

A key refused the list (10005 "Permission denied", ccxt's PermissionDenied: the permission unticked) skips it: the
walk stops and the transfers' other list is kept, not a failure; /status says which permission to tick (a gap over the
whole range asked, as the refusal says nothing of which moves exist).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any

import ccxt.async_support as ccxt

from connectors.fetchers.base import CoverageGap, Cursor, FetchReport, Page
from connectors.fetchers.bybit.derivatives import Route, Walk
from connectors.fetchers.bybit.rows import BYBIT_OPENED, TRANSFER_DONE, TRANSFER_PENDING, Parsed, epoch_ms
from connectors.fetchers.windows import call, date_ms, hold_if_recent
from connectors.profiles import EndpointSpec
from connectors.records import NormalizedRecord, RecordKind, exact, ms_to_utc, natural_key
from i18n import Text, msgid


class Stored(StrEnum):
    """Names this walk stores (kept as they are: the database holds them)."""

    CURSOR = "subaccounts"  # the transfers' cursor key of this walk
    RECORD = "subaccount"  # its records' natural-key prefix


SUB_ACCOUNTS = Stored.CURSOR
UNIVERSAL_LIST = Route.listed("privateGetV5AssetTransferQueryUniversalTransferList", {})
KEY_INFO = "privateGetV5UserQueryApi"
KEY_PREFIX = Stored.RECORD
DENIED_GAP = Text.of(msgid("sync.gap.bybit.sub_transfers_denied"))


def move(row: Mapping[str, Any], me: str, code: Callable[[str], str], window_start: int) -> Parsed:
    """One universal-transfer row as this UID's deposit or withdrawal; None when it is neither's or not final."""
    sender, receiver = str(row.get("fromMemberId") or ""), str(row.get("toMemberId") or "")
    if (sender == me) == (receiver == me):
        return None, None  # between two other UIDs (or a UID with itself): not this account's money
    when = epoch_ms(row.get("timestamp") or 0) or window_start
    status = str(row.get("status", ""))
    if status in TRANSFER_PENDING:
        return None, hold_if_recent(when)
    if status not in TRANSFER_DONE:
        return None, None  # FAILED: no money moved
    ident = str(row["transferId"])
    kind = RecordKind.DEPOSIT if receiver == me else RecordKind.WITHDRAWAL
    record = NormalizedRecord(
        kind=kind,
        occurred_at=ms_to_utc(when),
        natural_key=natural_key(kind, f"{KEY_PREFIX}:{ident}"),
        asset=code(str(row["coin"])),
        amount=exact(row["amount"]),
        exchange_tx_id=ident,
        raw=dict(row),  # the member ids say which UID was the other side
    )
    return record, None


class SubAccountMoves:
    """The universal transfer list of one Bybit key, walked in the transfers' 7-day windows."""

    def __init__(self, client: Any, code: Callable[[str], str], walk: Walk) -> None:
        self.client, self.code, self.walk = client, code, walk

    async def fetch(
        self, spec: EndpointSpec, *, since: datetime | None, until: datetime, cursor: Cursor | None, report: FetchReport
    ) -> AsyncIterator[Page]:
        info = await call(self.client, KEY_INFO, {}, endpoint=spec.endpoint, report=report)
        key = info.get("result") or {}
        me = str(key.get("userID") or "")
        try:

            def parse(row: Mapping[str, Any], window_start: int) -> Parsed:
                return move(row, me, self.code, window_start)

            pages = self.walk(
                spec, UNIVERSAL_LIST, parse, since=since, until=until, cursor=cursor, report=report, market=SUB_ACCOUNTS
            )
            async for page in pages:
                yield page
        except ccxt.PermissionDenied:
            # 10005 for a key without SubMemberTransfer(List): the list is skipped and the sync goes on. A
            # sub-account's key (apikey-info `parentUid` not "0") certainly has a master to move money with, so
            # /status says which permission to tick. A master's key cannot tell whether sub-accounts exist (listing
            # them needs a permission of its own), and most read-only keys leave this one unticked: a gap on every
            # such account would be noise, so none is noted (docs/exchange-apis/bybit.md, sub-account transfers).
            if str(key.get("parentUid") or "0") == "0":
                return
            start = since or ms_to_utc(date_ms(BYBIT_OPENED))
            report.gaps.append(CoverageGap(spec.endpoint, start, until, DENIED_GAP))
