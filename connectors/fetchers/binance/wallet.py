"""Binance wallet history: deposits, withdrawals, converts and reward distributions, walked in time windows.

| endpoint | window | paging inside a window | weight |
| --- | --- | --- | --- |
| `GET /sapi/v1/capital/deposit/hisrec` | < 90 days | `offset` + `limit` 1000, newest first | 1 (IP) |
| `GET /sapi/v1/capital/withdraw/history` | < 90 days | `offset` + `limit` 1000, newest first | 18,000 (UID) |
| `GET /sapi/v1/convert/tradeFlow` | 30 days | none: `moreData`, so the end moves back | 3,000 (UID) |
| `GET /sapi/v1/asset/assetDividend` | 180 days | none: `total`, so the end moves back | 10 (IP) |

Each endpoint has its own budget (12,000 a minute per IP, or 180,000 per account: ten withdrawal-history calls,
sixty convert-history calls); `SapiPacing` (budgets.py) paces each call by its endpoint's budget, up to `max_pause`
seconds, or stops the walk with RateLimited before the exchange answers 429.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from datetime import UTC, date, datetime
from typing import Any

from connectors.clients import last_response_headers
from connectors.fetchers.base import CoverageGap, Cursor, FetchReport, Page
from connectors.fetchers.binance.budgets import SapiPacing
from connectors.fetchers.discovery import AssetEvidence
from connectors.fetchers.windows import (
    FetchWindowPage,
    WindowPage,
    WindowWalk,
    call,
    hold_if_recent,
    since_ms,
    span_ms,
    to_ms,
    walk_begin,
)
from connectors.profiles import Endpoint, EndpointSpec
from connectors.profiles.catalog.binance import NAME
from connectors.records import Flow, NormalizedRecord, RecordKind, Side, exact, ms_to_utc, natural_key
from i18n import Text

# Status codes from Binance's docs. Deposits: 0 pending, 6 credited but cannot withdraw, 7 wrong deposit,
# 8 waiting user confirm, 1 success, 2 rejected. Withdrawals: 0 email sent, 2 awaiting approval, 3 rejected,
# 4 processing, 6 completed, 1 cancelled, 5 failure.
DEPOSIT_DONE = frozenset({1, 6})
DEPOSIT_PENDING = frozenset({0, 8})
WITHDRAWAL_DONE = frozenset({6})
WITHDRAWAL_PENDING = frozenset({0, 2, 4})
CONVERT_PENDING = frozenset({"PROCESS", "ACCEPT_SUCCESS"})
DIVIDEND_DEBIT = -1  # an asset dividend row's `direction` when the asset left the account


class BinanceWallet:
    """The windowed wallet endpoints; every page also tells `evidence` which assets the account touched."""

    def __init__(self, client: Any, evidence: AssetEvidence, pacing: SapiPacing, *, opened: date | None) -> None:
        self.client = client
        self.evidence = evidence
        self.pacing = pacing
        self.opened = opened

    def code(self, asset: str) -> str:
        return str(self.client.safe_currency_code(asset))

    async def fetch(
        self,
        spec: EndpointSpec,
        *,
        since: datetime | None,
        until: datetime,
        cursors: Mapping[str, Cursor],
        report: FetchReport,
    ) -> AsyncIterator[Page]:
        cursor = cursors.get("")
        start_ms = walk_begin(spec, cursor, since, report, exchange_name=NAME, opened=self.opened)
        if spec.window is None:
            raise ValueError(f"Binance {spec.endpoint} needs a window in its profile")
        fetch_page = self._page_function(spec, report)
        walk = WindowWalk(spec.endpoint, span_ms(spec.window), fetch_page, rereads_late_listings=True)
        async for page in walk.pages(start_ms=start_ms, until_ms=to_ms(until), cursor=cursor, floor_ms=since_ms(since)):
            yield page

    def _page_function(self, spec: EndpointSpec, report: FetchReport) -> FetchWindowPage:
        endpoint = spec.endpoint
        if endpoint is Endpoint.DEPOSITS:
            return lambda start, end, token: self._offset_page(
                spec, report, "sapiGetCapitalDepositHisrec", self._deposit, start, end, token
            )
        if endpoint is Endpoint.WITHDRAWALS:
            return lambda start, end, token: self._offset_page(
                spec, report, "sapiGetCapitalWithdrawHistory", self._withdrawal, start, end, token
            )
        if endpoint is Endpoint.CONVERT:
            return lambda start, end, token: self._shrinking_page(
                spec, report, "sapiGetConvertTradeFlow", "list", self._convert, start, end, token
            )
        if endpoint is Endpoint.EARN_REWARDS:
            return lambda start, end, token: self._shrinking_page(
                spec, report, "sapiGetAssetAssetDividend", "rows", self._reward, start, end, token
            )
        raise ValueError(f"no Binance wallet endpoint for {endpoint}")

    async def _request(self, spec: EndpointSpec, report: FetchReport, method: str, params: dict[str, Any]) -> Any:
        await self.pacing.spend(spec.endpoint)
        body = await call(self.client, method, params, endpoint=spec.endpoint, report=report)
        self.pacing.observe(spec.endpoint, last_response_headers())
        return body

    async def _offset_page(
        self,
        spec: EndpointSpec,
        report: FetchReport,
        method: str,
        parse: Callable[[Mapping[str, Any]], tuple[NormalizedRecord | None, int | None]],
        start: int,
        end: int,
        token: Any,
    ) -> WindowPage:
        offset = int(token or 0)
        params = {"startTime": start, "endTime": end, "offset": offset, "limit": spec.page_size}
        rows = await self._request(spec, report, method, params)
        page = WindowPage([], offset + len(rows) if len(rows) >= spec.page_size else None)
        for row in rows:
            record, hold = parse(row)
            if record is not None:
                page.records.append(record)
            if hold is not None and (page.hold_ms is None or hold < page.hold_ms):
                page.hold_ms = hold
        return page

    async def _shrinking_page(
        self,
        spec: EndpointSpec,
        report: FetchReport,
        method: str,
        key: str,
        parse: Callable[[Mapping[str, Any]], tuple[NormalizedRecord | None, int | None]],
        start: int,
        end: int,
        token: Any,
    ) -> WindowPage:
        """No offset on these endpoints: when a window holds more than a page, ask again for [start, oldest]
        and skip the records of that oldest millisecond already seen (their ids ride in the token)."""
        upper = int(token["end"]) if token else end
        seen = set(token["ids"]) if token else set()
        params = {"startTime": start, "endTime": upper, "limit": spec.page_size}
        body = await self._request(spec, report, method, params)
        rows = body.get(key) or []
        page = WindowPage([])
        times: list[tuple[int, str]] = []
        for row in rows:
            record, hold = parse(row)
            ident, when = self._ident_time(spec.endpoint, row)
            times.append((when, ident))
            if ident in seen:
                continue
            if record is not None:
                page.records.append(record)
            if hold is not None and (page.hold_ms is None or hold < page.hold_ms):
                page.hold_ms = hold
        more = bool(body.get("moreData")) if key == "list" else int(body.get("total", 0)) > len(rows)
        if more and rows and len(rows) >= spec.page_size:
            oldest = min(when for when, _ in times)
            ids = sorted({ident for when, ident in times if when == oldest} | (seen if oldest == upper else set()))
            if oldest == upper and not any(ident not in seen for _, ident in times):
                # A whole page within one millisecond already seen: no way to go further back in this window.
                report.gaps.append(_stuck_gap(spec, upper))
                return page
            page.token = {"end": oldest, "ids": ids}
        return page

    @staticmethod
    def _ident_time(endpoint: Endpoint, row: Mapping[str, Any]) -> tuple[str, int]:
        if endpoint is Endpoint.CONVERT:
            return str(row["orderId"]), int(row["createTime"])
        return str(row["id"]), int(row["divTime"])

    # -- records ----------------------------------------------------------------------------------------------

    def _deposit(self, row: Mapping[str, Any]) -> tuple[NormalizedRecord | None, int | None]:
        when, status = int(row["insertTime"]), int(row.get("status", 1))
        coin = str(row["coin"])
        self.evidence.note(coin, "deposits")
        if status in DEPOSIT_PENDING:
            return None, hold_if_recent(when)
        if status not in DEPOSIT_DONE:
            return None, None
        # Older answers carry no `id` (ccxt's 2021 sample): then the documented fields that name the movement
        # make the key — the same on every sync, and different for two deposits of one transaction.
        ident = str(row.get("id") or "")
        identity = (coin, row.get("network"), row.get("address"), row.get("addressTag"), row.get("txId"))
        record = NormalizedRecord(
            kind=RecordKind.DEPOSIT,
            occurred_at=ms_to_utc(when),
            natural_key=natural_key(RecordKind.DEPOSIT, ident, *identity, row["amount"], when),
            asset=self.code(coin),
            amount=exact(row["amount"]),
            exchange_tx_id=ident or None,
            raw=dict(row),
        )
        return record, None

    def _withdrawal(self, row: Mapping[str, Any]) -> tuple[NormalizedRecord | None, int | None]:
        when, status = _utc_text_ms(str(row["applyTime"])), int(row.get("status", 6))
        coin = str(row["coin"])
        self.evidence.note(coin, "withdrawals")
        if status in WITHDRAWAL_PENDING:
            return None, hold_if_recent(when)
        if status not in WITHDRAWAL_DONE:
            return None, None
        ident = str(row["id"])
        fee = row.get("transactionFee")
        record = NormalizedRecord(
            kind=RecordKind.WITHDRAWAL,
            occurred_at=ms_to_utc(when),
            natural_key=natural_key(RecordKind.WITHDRAWAL, ident, coin, row.get("txId"), row["amount"], when),
            asset=self.code(coin),
            amount=exact(row["amount"]),
            exchange_tx_id=ident or None,
            fee_asset=self.code(coin) if fee is not None else None,
            fee_amount=exact(fee) if fee is not None else None,
            raw=dict(row),
        )
        return record, None

    def _convert(self, row: Mapping[str, Any]) -> tuple[NormalizedRecord | None, int | None]:
        """A convert is a buy of `toAsset` paid with `fromAsset`."""
        when, status = int(row["createTime"]), str(row.get("orderStatus", "SUCCESS"))
        source, target = str(row["fromAsset"]), str(row["toAsset"])
        self.evidence.note(source, "converts")
        self.evidence.note(target, "converts")
        if status in CONVERT_PENDING:
            return None, hold_if_recent(when)
        if status != "SUCCESS":
            return None, None
        ident = str(row["orderId"])
        inverse = row.get("inverseRatio")
        record = NormalizedRecord(
            kind=RecordKind.CONVERT,
            occurred_at=ms_to_utc(when),
            natural_key=natural_key(RecordKind.CONVERT, ident),
            asset=self.code(target),
            amount=exact(row["toAmount"]),
            exchange_tx_id=ident,
            side=Side.BUY,
            quote_asset=self.code(source),
            quote_amount=exact(row["fromAmount"]),
            price=exact(inverse) if inverse not in (None, "") else None,
            raw=dict(row),
        )
        return record, None

    def _reward(self, row: Mapping[str, Any]) -> tuple[NormalizedRecord | None, int | None]:
        """`direction` is 1 for "Asset credited (inflow)" and -1 for "Asset debited (outflow)" (Asset Dividend
        Record, developers.binance.com/docs/wallet/asset/assets-divided-record); `amount` is written unsigned
        either way. A debit is stored with a negative amount and side `out`, which the balance check counts as
        leaving. Older answers (ccxt's sample) carry no direction: those rows were credits."""
        asset = str(row["asset"])
        self.evidence.note(asset, "rewards")
        ident = str(row["id"])
        debited = int(row.get("direction", 1)) == DIVIDEND_DEBIT
        amount = exact(row["amount"])
        record = NormalizedRecord(
            kind=RecordKind.REWARD,
            occurred_at=ms_to_utc(row["divTime"]),
            natural_key=natural_key(RecordKind.REWARD, ident),
            asset=self.code(asset),
            amount=-abs(amount) if debited else amount,
            exchange_tx_id=ident,
            side=Flow.OUT if debited else None,
            raw=dict(row),
        )
        return record, None


def _utc_text_ms(text: str) -> int:
    """Binance writes withdrawal times as "YYYY-MM-DD HH:MM:SS" in UTC."""
    return to_ms(datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC))


def _stuck_gap(spec: EndpointSpec, at_ms: int) -> CoverageGap:
    moment = ms_to_utc(at_ms)
    return CoverageGap(
        spec.endpoint,
        moment,
        moment,
        Text.of("sync.gap.binance.crowded", size=spec.page_size, phrase=spec.phrase),
    )
