"""Money moved between this Binance account and its sub-accounts or master: a deposit or a withdrawal of this account.

| key | request (`/sapi/v1/sub-account/...`) | paging | range a request | weight |
| --- | --- | --- | --- | --- |
| a sub-account's | `transfer/subUserHistory`, `type` 1 in, 2 out | none: `limit` 500 | not stated: 30 days | 1 IP |
| a master's | `list` | `page`, `limit` 200 | – | 1 IP |
| a master's | `universalTransfer`, no email or `fromEmail` each sub | `page`, `limit` 500 | under 7 days | 1 IP |
| a master's | `sub/transfer/history`, `fromEmail`, `toEmail` each sub | `page`, `limit` 500 | not stated: 30 d | 1 IP |
| a master's | `futures/internalTransfer`, `email` x `futuresType` 1, 2 | `page`, `limit` 500 | 1 month reach | 1 IP |

Why deposits and withdrawals, not TRANSFER records nor a kind of their own: a key reads one account (its balances,
its history), so a move to or from another account of the same person changes this account's total exactly as a
deposit or a withdrawal does, and the other account, synced with its own key, holds the matching record. Tax tools
treat a deposit and a withdrawal between one person's wallets as such (a transfer, no gain), which is what this is;
the key prefix `subaccount:` and the raw row (`counterParty`, emails) say where it came from. OKX's sub-account bills
are stored the same way (connectors/fetchers/okx/rows.py).

Which lists apply is learnt from Binance's own answers, as a live mainnet log recorded them: a key that is not a
sub-account's is refused the sub-account list with -12022 ("This endpoint is allowed to request from sub account
only"); an account without sub-account function is refused the master lists with -8012 ("Sub-account function is not
enabled."). So every sync asks the sub-account list once (a sub-account's key: its walks follow), then, refused,
the master's list of sub-accounts (refused: no sub-account moves; listed: the master's walks follow).

A master's transfers: the universal history without an email lists those sent by the master (kept when they go to a
sub-account: withdrawals); with `fromEmail` of each sub-account, those it sent (kept when they go to the master, the
one receiver not among the sub-accounts: deposits). Moves between two sub-accounts are not this account's money.
The older spot transfer history is walked too, with each sub-account's `fromEmail` (to the master: deposits) and
`toEmail` (from the master: withdrawals): no page says which moves (a sub-account's own `subToMaster`, the older spot
transfer) the universal history lists, so both are read and a move both show is one record, keyed by its `tranId`
alike (the store keeps one row a natural key).
The master's futures wallets' moves with its sub-accounts are read per sub-account and futures type
(subaccount_futures.py: who is whose, and the list's one-month reach, a gap of its own).
Each list is a walk under `sub:<name>` in the TRANSFERS cursor. No reach is stated: a master's walks start on the day
its sub-accounts were created (the list's `createTime`: no transfer with one is older), a sub-account's at Binance's
opening (its key cannot learn its own creation).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from connectors.fetchers.base import FetchReport
from connectors.fetchers.binance.subaccount_futures import futures_walks
from connectors.fetchers.windows import FetchWindowPage, WindowPage, call, hold_if_recent, span_ms
from connectors.profiles import Endpoint, EndpointSpec
from connectors.records import NormalizedRecord, RecordKind, exact, ms_to_utc, natural_key

NOT_A_SUB_ACCOUNT, NO_SUB_ACCOUNT_FUNCTION = "-12022", "-8012"
SUB_HISTORY_SPAN = span_ms(timedelta(days=30))  # the page states no longest range; its default is 30 days
SPOT_SPAN = span_ms(timedelta(days=30))  # sub/transfer/history states no range: asked as its sibling list
UNIVERSAL_SPAN = span_ms(timedelta(days=7))  # "must be less than 7 days": windows end 1 ms short of it
LIMIT = 500
SPOT_PARTY_COLUMNS = ("from", "to")  # sub/transfer/history's sender and receiver fields
IN, OUT = 1, 2  # subUserHistory `type`
DONE, IN_PROGRESS = "SUCCESS", "PROCESS"  # "status: PROCESS / SUCCESS / FAILURE"
Walk = tuple[str, int, FetchWindowPage, date | None]  # cursor name, window span (ms), page function, first day


class BinanceSubAccountMoves:
    """The walks this key's account has (none, a sub-account's two, or a master's one plus one per sub-account)."""

    def __init__(self, client: Any, note: Callable[[str, str], None]) -> None:
        self.client, self.note = client, note

    async def walks(self, spec: EndpointSpec, report: FetchReport) -> list[Walk]:
        try:
            await self._ask(spec, report, "sapiGetSubAccountTransferSubUserHistory", {"type": IN, "limit": 1})
        except Exception as error:
            if NOT_A_SUB_ACCOUNT not in str(error):
                raise
        else:
            lists = (("in", IN), ("out", OUT))
            # A sub-account's key cannot learn when it was created: its lists start at Binance's opening (None).
            return [(":".join(("sub", n)), SUB_HISTORY_SPAN, self._sub_page(spec, report, k), None) for n, k in lists]
        try:
            body = await self._ask(spec, report, "sapiGetSubAccountList", {"limit": 200})
        except Exception as error:
            if NO_SUB_ACCOUNT_FUNCTION not in str(error):
                raise
            return []
        # No transfer with a sub-account is older than it: each walk starts on its `createTime`'s day, the master's
        # own list on the oldest one's.
        created = {str(row["email"]): ms_to_utc(int(row["createTime"])).date() for row in body.get("subAccounts") or []}
        if not created:
            return []
        subs = frozenset(created)
        walks: list[Walk] = [
            ("sub:sent", UNIVERSAL_SPAN, self._universal_page(spec, report, None, subs), min(created.values()))
        ]
        walks += [
            (":".join(("sub", "from", sub)), UNIVERSAL_SPAN, self._universal_page(spec, report, sub, subs), day)
            for sub, day in sorted(created.items())
        ]
        for sub, day in sorted(created.items()):
            for way in ("from", "to"):
                name = ":".join(("sub", "spot", way, sub))
                walks.append((name, SPOT_SPAN, self._spot_page(spec, report, {f"{way}Email": sub}, subs), day))

        def ask(method: str, params: Mapping[str, Any]) -> Any:
            return self._ask(spec, report, method, params)

        return walks + futures_walks(spec, report, created, ask, self._move)

    async def _ask(self, spec: EndpointSpec, report: FetchReport, method: str, params: Mapping[str, Any]) -> Any:
        return await call(self.client, method, params, endpoint=spec.endpoint, report=report)

    def _sub_page(self, spec: EndpointSpec, report: FetchReport, kind: int) -> FetchWindowPage:
        """No paging: a full answer asks again for [start, its oldest], skipping the ids of that millisecond seen."""

        async def fetch_page(start: int, end: int, token: Any) -> WindowPage:
            upper, seen = (int(token["end"]), set(token["ids"])) if token else (end, set())
            params = {"type": kind, "startTime": start, "endTime": upper, "limit": LIMIT}
            rows = await self._ask(spec, report, "sapiGetSubAccountTransferSubUserHistory", params)
            fresh = [row for row in rows if str(row["tranId"]) not in seen]
            page = _page(fresh, lambda row: self._move(row, int(row["type"]) == IN, row["qty"], row["time"]))
            if len(rows) >= LIMIT:
                oldest = min(int(row["time"]) for row in rows)
                at_oldest = {str(row["tranId"]) for row in rows if int(row["time"]) == oldest}
                if fresh or oldest < upper:
                    page.token = {"end": oldest, "ids": sorted(at_oldest | (seen if oldest == upper else set()))}
            return page

        return fetch_page

    def _universal_page(
        self, spec: EndpointSpec, report: FetchReport, sender: str | None, subs: frozenset[str]
    ) -> FetchWindowPage:
        async def fetch_page(start: int, end: int, token: Any) -> WindowPage:
            number = int(token or 1)
            params: dict[str, Any] = {"startTime": start, "endTime": end, "page": number, "limit": LIMIT}
            if sender is not None:
                params["fromEmail"] = sender
            body = await self._ask(spec, report, "sapiGetSubAccountUniversalTransfer", params)
            rows = body.get("result") or []
            # Sent by the master: this account's when it went to a sub-account. Sent by a sub-account: when it went
            # to the master (the one receiver not among the sub-accounts).
            mine = [r for r in rows if (str(r["toEmail"]) in subs) == (sender is None)]
            page = _page(mine, lambda r: self._move(r, sender is not None, r["amount"], r["createTimeStamp"]))
            more = rows and number * LIMIT < int(body.get("totalCount") or 0)
            page.token = number + 1 if more else None
            return page

        return fetch_page

    def _spot_page(
        self, spec: EndpointSpec, report: FetchReport, email: Mapping[str, str], subs: frozenset[str]
    ) -> FetchWindowPage:
        """A bare list paged by `page`: a full page asks the next."""
        incoming = "fromEmail" in email  # sent by the sub-account: kept when it went to the master, a deposit
        sender, receiver = SPOT_PARTY_COLUMNS
        other = receiver if incoming else sender

        async def fetch_page(start: int, end: int, token: Any) -> WindowPage:
            number = int(token or 1)
            params = {**email, "startTime": start, "endTime": end, "page": number, "limit": LIMIT}
            rows = await self._ask(spec, report, "sapiGetSubAccountSubTransferHistory", params)
            mine = [row for row in rows if str(row[other]) not in subs]
            page = _page(mine, lambda row: self._move(row, incoming, row["qty"], row["time"]))
            page.token = number + 1 if len(rows) >= LIMIT else None
            return page

        return fetch_page

    def _move(
        self, row: Mapping[str, Any], incoming: bool, amount: object, when: object
    ) -> tuple[NormalizedRecord | None, int | None]:
        status = str(row.get("status", DONE))
        if status == IN_PROGRESS:
            return None, hold_if_recent(int(str(when)))
        if status != DONE:
            return None, None
        asset, ident = str(row["asset"]), str(row["tranId"])
        self.note(asset, Endpoint.TRANSFERS)
        kind = RecordKind.DEPOSIT if incoming else RecordKind.WITHDRAWAL
        record = NormalizedRecord(
            kind=kind,
            occurred_at=ms_to_utc(int(str(when))),
            natural_key=natural_key(kind, ":".join(("subaccount", ident))),
            asset=str(self.client.safe_currency_code(asset)),
            amount=exact(amount),
            exchange_tx_id=ident,
            raw=dict(row),
        )
        return record, None


def _page(
    rows: Sequence[Mapping[str, Any]],
    parse: Callable[[Mapping[str, Any]], tuple[NormalizedRecord | None, int | None]],
) -> WindowPage:
    page = WindowPage([])
    for row in rows:
        record, hold = parse(row)
        if record is not None:
            page.records.append(record)
        if hold is not None and (page.hold_ms is None or hold < page.hold_ms):
            page.hold_ms = hold
    return page
