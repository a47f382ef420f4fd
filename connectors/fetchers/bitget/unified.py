"""Bitget unified trading accounts (UTA): history through API v3, for keys whose v2 calls answer 40085.

| endpoint | Bitget list | range per request | reach | paging |
| --- | --- | --- | --- | --- |
| spot trades | `GET /api/v3/trade/fills`, `category` SPOT and MARGIN | 30 days | 90 days | `cursor` |
| deposits | `GET /api/v3/account/deposit-records` | none stated | none stated | `cursor` = smallest `orderId` |
| withdrawals | `GET /api/v3/account/withdrawal-records` | none stated | none stated | `cursor` = smallest `orderId` |
| futures, funding, loans | fills, `GET /api/v3/account/financial-records` | 30 days | 90 days | `cursor` |
| transfers: main, sub-accounts, own | `GET /api/v3/account/sub-transfer-record` | 90 days | none stated | `cursor` |

Pages of at most 100 (docs: uta/trade/Get-Order-Fills, uta/account/deposit/Get-Deposit-Records,
uta/account/withdrawal/Get-Withdrawal-Records; futures and loans: see `unified_derivatives`). Deposits and
withdrawals are walked in the classic lists' 90-day windows and two-year reach (what the profile says for v2; the
v3 pages state neither). Transfers: `unified_transfers`. Converts (`/api/v3/account/convert-records` needs both
coins named) are not read: reported as a gap with the reason, never as an empty success. Fills
carry `feeDetail` as a list of {feeCoin, fee}; the docs' example fee is positive, read as the amount charged; a fill
that paid in two coins is its trade with the first and a fee record for the second (`unified_fees`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from connectors.fetchers.base import CoverageGap, Cursor, FetchReport, Page
from connectors.fetchers.bitget.pages import BITGET_OPENED, Parsed, note_gap, walk_start
from connectors.fetchers.bitget.streams import stream_key
from connectors.fetchers.bitget.trades import market_of
from connectors.fetchers.bitget.unified_derivatives import ENDPOINTS as DERIVATIVES
from connectors.fetchers.bitget.unified_derivatives import Stream, UnifiedDerivatives, derivatives_spec, one
from connectors.fetchers.bitget.unified_fees import FeeParts, fee_parts, first_fee, further_fees
from connectors.fetchers.bitget.unified_transfers import BitgetUnifiedMainSub
from connectors.fetchers.bitget.wallet import DONE, FAILED
from connectors.fetchers.windows import (
    WindowPage,
    WindowWalk,
    call,
    cursor_window_request,
    hold_if_recent,
    since_ms,
    span_ms,
    to_ms,
)
from connectors.profiles import Endpoint, EndpointSpec
from connectors.records import NormalizedRecord, RecordKind, exact, ms_to_utc, natural_key
from i18n import Text, msgid

UNIFIED_REFUSAL = "40085"  # "You are in Unified Account mode, and the Classic Account API is not supported"
FILL_CATEGORIES = ("SPOT", "MARGIN")
FILLS = "privateUtaGetV3TradeFills"
DEPOSITS = "privateUtaGetV3AccountDepositRecords"
WITHDRAWALS = "privateUtaGetV3AccountWithdrawalRecords"
NOT_READ = {
    Endpoint.CONVERT: msgid("sync.gap.bitget.unified_converts"),
    # Earn's savings records: no v3 list, and the emulator's v2 one answers a unified key 40085 as every v2 path.
    # Bitget's deposits-and-withdrawals export lists earn yield, so a file fills it (a gap of its own, like converts').
    Endpoint.EARN_REWARDS: msgid("sync.gap.bitget.unified_earn"),
    # Crypto loans: the v2 earn/loan lists answer a unified key 40085 (as every v2 path in the emulator) and the
    # unified pages document no crypto loan history (uta/loan/* is the institutional loan's).
    Endpoint.CRYPTO_LOANS: msgid("sync.gap.not_read_yet"),
}
# Read with the spot trades (fills of category MARGIN): nothing of their own to ask.
WITH_SPOT_TRADES = frozenset({Endpoint.MARGIN_TRADES})


def unified_spec(spec: EndpointSpec) -> EndpointSpec:
    """The v3 list's rules in place of the v2 one's."""
    if spec.endpoint in DERIVATIVES:
        return derivatives_spec(spec)
    if spec.endpoint is Endpoint.SPOT_TRADES:
        return replace(spec, window=timedelta(days=30), lookback=timedelta(days=90), api_path="GET /api/v3/trade/fills")
    path = {Endpoint.DEPOSITS: "deposit-records", Endpoint.WITHDRAWALS: "withdrawal-records"}[spec.endpoint]
    return replace(spec, page_size=min(spec.page_size, 100), api_path=f"GET /api/v3/account/{path}")


class BitgetUnified:
    def __init__(self, client: Any) -> None:
        self.client = client
        self.derivatives = UnifiedDerivatives(client)
        self.transfers = BitgetUnifiedMainSub(client)

    def code(self, coin: str) -> str:
        return str(self.client.safe_currency_code(coin.upper()))

    async def fetch(
        self,
        spec: EndpointSpec,
        *,
        since: datetime | None,
        until: datetime,
        cursors: Mapping[str, Cursor],
        report: FetchReport,
    ) -> AsyncIterator[Page]:
        if spec.endpoint in NOT_READ:
            note_gap(
                report,
                CoverageGap(
                    spec.endpoint,
                    datetime.combine(BITGET_OPENED, time(), tzinfo=UTC),
                    until,
                    Text.of(NOT_READ[spec.endpoint]),
                ),
            )
            return
        if spec.endpoint in WITH_SPOT_TRADES:
            return
        if spec.endpoint is Endpoint.TRANSFERS:
            async for page in self.transfers.fetch(spec, since=since, until=until, cursors=cursors, report=report):
                yield page
            return
        v3 = unified_spec(spec)
        if v3.window is None:
            raise ValueError(f"Bitget {spec.endpoint} needs a window in its profile")
        for stream in self._streams(spec.endpoint):
            cursor = cursors.get(stream.key)
            start_ms = walk_start(v3, cursor, since, report)
            walk = WindowWalk(
                spec.endpoint,
                span_ms(v3.window),
                self._pages(v3, stream, report),
                stream.key,
                rereads_late_listings=True,
            )
            async for page in walk.pages(
                start_ms=start_ms, until_ms=to_ms(until), cursor=cursor, floor_ms=since_ms(since)
            ):
                yield page

    def _streams(self, endpoint: Endpoint) -> list[Stream]:
        if endpoint is Endpoint.SPOT_TRADES:
            return [Stream(stream_key("uta", c), FILLS, {"category": c}, self._fill_of(c)) for c in FILL_CATEGORIES]
        if endpoint is Endpoint.DEPOSITS:
            return [Stream(stream_key("uta"), DEPOSITS, {}, one(self._deposit))]
        if endpoint is Endpoint.WITHDRAWALS:
            return [Stream(stream_key("uta"), WITHDRAWALS, {}, one(self._withdrawal))]
        return self.derivatives.streams(endpoint)

    def _pages(self, spec: EndpointSpec, stream: Stream, report: FetchReport) -> Any:
        method, params, parse, key = stream.method, stream.params, stream.parse, stream.key

        async def page(window_start: int, window_end: int, token: Any) -> WindowPage:
            request = cursor_window_request(params, window_start, window_end, spec.page_size, token)
            body = await call(self.client, method, request, endpoint=spec.endpoint, report=report, market=key)
            data = body.get("data")
            rows = (data.get("list") if isinstance(data, Mapping) else data) or []
            result = WindowPage([])
            if len(rows) >= spec.page_size:
                if isinstance(data, Mapping) and data.get("cursor"):
                    result.token = str(data["cursor"])
                else:  # deposit and withdrawal records: the smallest orderId of the page
                    result.token = str(min(int(row["orderId"]) for row in rows))
            for row in rows:
                for record, hold in parse(row):
                    result.keep(record, hold)
            return result

        return page

    # -- records ----------------------------------------------------------------------------------------------

    def _fill_of(self, category: str) -> Callable[[Mapping[str, Any]], list[Parsed]]:
        def parse(row: Mapping[str, Any]) -> list[Parsed]:
            trade, parts = self._fill(row)
            return [(record, None) for record in (trade, *further_fees(trade, category, parts))]

        return parse

    def _fill(self, row: Mapping[str, Any]) -> tuple[NormalizedRecord, FeeParts]:
        market = market_of(self.client, str(row["symbol"]))
        parts = fee_parts(row, self.code)
        fee_asset, fee_amount = first_fee(parts)
        ident = str(row["execId"])
        record = NormalizedRecord(
            kind=RecordKind.TRADE,
            occurred_at=ms_to_utc(row["createdTime"]),
            natural_key=natural_key(RecordKind.TRADE, f"{row['symbol']}:{ident}"),
            asset=str(market["base"]),
            amount=exact(row["execQty"]),
            exchange_tx_id=ident,
            market=str(market["symbol"]),
            side=str(row["side"]).lower(),
            quote_asset=str(market["quote"]),
            quote_amount=exact(row["execValue"]),
            price=exact(row["execPrice"]),
            fee_asset=fee_asset,
            fee_amount=fee_amount,
            raw=dict(row),
        )
        return record, parts

    def _deposit(self, row: Mapping[str, Any]) -> Parsed:
        return self._movement(RecordKind.DEPOSIT, row, fee=None)

    def _withdrawal(self, row: Mapping[str, Any]) -> Parsed:
        fee = row.get("fee")
        return self._movement(RecordKind.WITHDRAWAL, row, fee=abs(exact(fee)) if fee not in (None, "") else None)

    def _movement(self, kind: RecordKind, row: Mapping[str, Any], *, fee: Decimal | None) -> Parsed:
        when, status = int(row["createdTime"]), str(row.get("status", "")).lower()
        if status in FAILED:
            return None, None
        if status not in DONE:
            return None, hold_if_recent(when)
        ident, coin = str(row["orderId"]), self.code(str(row["coin"]))
        record = NormalizedRecord(
            kind=kind,
            occurred_at=ms_to_utc(when),
            natural_key=natural_key(kind, ident, coin, row.get("recordId"), row["size"], when),
            asset=coin,
            amount=exact(row["size"]),
            exchange_tx_id=ident,
            fee_asset=coin if fee is not None else None,
            fee_amount=fee,
            raw=dict(row),
        )
        return record, None
