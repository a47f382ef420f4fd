"""Bybit v5: executions, deposits, withdrawals and internal transfers in time windows with Bybit's cursor; converts
by page number.

| endpoint | window | page | reach |
| --- | --- | --- | --- |
| `GET /v5/execution/list?category=spot` | 7 days | 100, `nextPageCursor` | 730 days |
| `GET /v5/asset/deposit/query-record` | 30 days | 50, `nextPageCursor` | not documented |
| `GET /v5/asset/withdraw/query-record` | 30 days | 50, `nextPageCursor` | not documented |
| `GET /v5/asset/transfer/query-inter-transfer-list` | 7 days | 50, `nextPageCursor` | not documented |
| `GET /v5/asset/exchange/query-convert-history` | none | 100, `index` (newest first) | not documented |

Bybit's cursor names the last record served, so resuming inside a window with the stored token asks for exactly
the next page. Executions need no market: one walk covers the whole account.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from connectors.fetchers.base import Cursor, FetchReport, Page, UnsupportedEndpoint
from connectors.fetchers.windows import (
    WindowPage,
    WindowWalk,
    call,
    cursor_start,
    history_start,
    hold_if_recent,
    span_ms,
    to_ms,
)
from connectors.profiles import Endpoint, EndpointSpec, ExchangeProfile
from connectors.records import NormalizedRecord, RecordKind, exact, ms_to_utc, natural_key

# Bybit opened in March 2018: where a walk starts for endpoints whose reach Bybit does not document.
BYBIT_OPENED = date(2018, 3, 1)

DEPOSIT_DONE = frozenset({"3", "10012"})  # success; credited to the funding pool
DEPOSIT_PENDING = frozenset({"1", "2", "10011"})  # to be confirmed; processing; pending to be credited
WITHDRAWAL_DONE = frozenset({"success", "BlockchainConfirmed"})
WITHDRAWAL_SKIPPED = frozenset({"CancelByUser", "Reject", "Fail"})
TRANSFER_DONE = frozenset({"SUCCESS"})
TRANSFER_PENDING = frozenset({"PENDING"})
CONVERT_DONE = frozenset({"success"})
CONVERT_PENDING = frozenset({"init", "processing"})

Parsed = tuple[NormalizedRecord | None, int | None]  # (record if final, time it holds the cursor at if pending)


@dataclass(frozen=True, slots=True)
class _Route:
    method: str
    rows_key: str
    params: Mapping[str, Any]


ROUTES: Mapping[Endpoint, _Route] = {
    Endpoint.SPOT_TRADES: _Route("privateGetV5ExecutionList", "list", {"category": "spot"}),
    Endpoint.DEPOSITS: _Route("privateGetV5AssetDepositQueryRecord", "rows", {}),
    # withdrawType 2: on-chain and off-chain (to another Bybit user); Bybit's default is on-chain only.
    Endpoint.WITHDRAWALS: _Route("privateGetV5AssetWithdrawQueryRecord", "rows", {"withdrawType": 2}),
    Endpoint.TRANSFERS: _Route("privateGetV5AssetTransferQueryInterTransferList", "list", {}),
}
SUPPORTED = frozenset(ROUTES) | {Endpoint.CONVERT}


class BybitFetcher:
    """Fetches Bybit v5 history through ccxt's implicit API methods, reading Bybit's raw strings."""

    def __init__(self, profile: ExchangeProfile, client: Any, *, key_type: str | None = None) -> None:
        self.profile = profile
        self.client = client
        self.key_type = key_type

    def learn_assets(self, assets: Iterable[str]) -> None:
        """Bybit's execution list needs no market: nothing to learn."""

    def supports(self, endpoint: Endpoint) -> bool:
        return endpoint in SUPPORTED and self.profile.offers(endpoint, self.key_type)

    def fetch(
        self,
        endpoint: Endpoint,
        *,
        since: datetime | None,
        until: datetime,
        cursors: Mapping[str, Cursor],
        report: FetchReport,
    ) -> AsyncIterator[Page]:
        spec = self.profile.endpoint(endpoint, self.key_type)
        if spec is None or endpoint not in SUPPORTED:
            raise UnsupportedEndpoint(self.profile.id, endpoint)
        if endpoint is Endpoint.CONVERT:
            return self._converts(spec, since=since, until=until, cursor=cursors.get(""), report=report)
        return self._windowed(spec, since=since, until=until, cursor=cursors.get(""), report=report)

    def code(self, asset: str) -> str:
        return str(self.client.safe_currency_code(asset))

    # -- windowed endpoints -----------------------------------------------------------------------------------

    async def _windowed(
        self, spec: EndpointSpec, *, since: datetime | None, until: datetime, cursor: Cursor | None, report: FetchReport
    ) -> AsyncIterator[Page]:
        if spec.window is None:
            raise ValueError(f"Bybit {spec.endpoint} needs a window in its profile")
        requested = cursor_start(cursor)
        if requested is None and since is not None:
            requested = to_ms(since)
        start = history_start(spec, requested_ms=requested, exchange_name="Bybit", opened=BYBIT_OPENED)
        if start.gap is not None:
            report.gaps.append(start.gap)
        route = ROUTES[spec.endpoint]
        parse = self._parser(spec.endpoint)

        async def page(window_start: int, window_end: int, token: Any) -> WindowPage:
            params: dict[str, Any] = {
                **route.params,
                "startTime": window_start,
                "endTime": window_end,
                "limit": spec.page_size,
            }
            if token:
                params["cursor"] = token
            body = await call(self.client, route.method, params, endpoint=spec.endpoint, report=report)
            result = body.get("result") or {}
            rows = result.get(route.rows_key) or []
            next_cursor = result.get("nextPageCursor") or None
            # Bybit sometimes hands out a cursor to an empty page; a short page is the last one anyway.
            found = WindowPage([], next_cursor if len(rows) >= spec.page_size else None)
            for row in rows:
                record, hold = parse(row, window_start)
                if record is not None:
                    found.records.append(record)
                if hold is not None and (found.hold_ms is None or hold < found.hold_ms):
                    found.hold_ms = hold
            return found

        walk = WindowWalk(spec.endpoint, span_ms(spec.window), page)
        async for item in walk.pages(start_ms=start.ms, until_ms=to_ms(until), cursor=cursor):
            yield item

    def _parser(self, endpoint: Endpoint) -> Callable[[Mapping[str, Any], int], Parsed]:
        return {
            Endpoint.SPOT_TRADES: self._execution,
            Endpoint.DEPOSITS: self._deposit,
            Endpoint.WITHDRAWALS: self._withdrawal,
            Endpoint.TRANSFERS: self._transfer,
        }[endpoint]

    def _execution(self, row: Mapping[str, Any], window_start: int) -> Parsed:
        if row.get("execType", "Trade") != "Trade":
            return None, None  # funding, settlement and liquidation rows are other endpoints' business
        market = self.client.safe_market(row["symbol"], None, None, "spot")
        ident = str(row["execId"])
        fee_currency = row.get("feeCurrency")
        record = NormalizedRecord(
            kind=RecordKind.TRADE,
            occurred_at=ms_to_utc(row["execTime"]),
            natural_key=natural_key(RecordKind.TRADE, ident),
            asset=str(market.get("base") or row["symbol"]),
            amount=exact(row["execQty"]),
            exchange_tx_id=ident,
            market=str(market.get("symbol") or row["symbol"]),
            side=str(row["side"]).lower(),
            quote_asset=market.get("quote"),
            quote_amount=exact(row["execValue"]),
            price=exact(row["execPrice"]),
            fee_asset=self.code(fee_currency) if fee_currency else None,
            fee_amount=exact(row["execFee"]) if row.get("execFee") not in (None, "") else None,
            raw=dict(row),
        )
        return record, None

    def _deposit(self, row: Mapping[str, Any], window_start: int) -> Parsed:
        when = int(row.get("successAt") or 0) or window_start
        status = str(row.get("status", ""))
        if status in DEPOSIT_PENDING:
            return None, hold_if_recent(when)
        if status not in DEPOSIT_DONE:
            return None, None
        ident = str(row.get("id") or "")
        coin = str(row["coin"])
        key = natural_key(RecordKind.DEPOSIT, ident, coin, row.get("txID"), row["amount"], when)
        fee = row.get("depositFee")
        record = NormalizedRecord(
            kind=RecordKind.DEPOSIT,
            occurred_at=ms_to_utc(when),
            natural_key=key,
            asset=self.code(coin),
            amount=exact(row["amount"]),
            exchange_tx_id=ident or None,
            fee_asset=self.code(coin) if fee else None,
            fee_amount=exact(fee) if fee else None,
            raw=dict(row),
        )
        return record, None

    def _withdrawal(self, row: Mapping[str, Any], window_start: int) -> Parsed:
        when = int(row.get("createTime") or 0) or window_start
        status = str(row.get("status", ""))
        if status in WITHDRAWAL_SKIPPED:
            return None, None
        if status not in WITHDRAWAL_DONE:
            return None, hold_if_recent(when)
        ident = str(row.get("withdrawId") or "")
        coin = str(row["coin"])
        fee = row.get("withdrawFee")
        record = NormalizedRecord(
            kind=RecordKind.WITHDRAWAL,
            occurred_at=ms_to_utc(when),
            natural_key=natural_key(RecordKind.WITHDRAWAL, ident, coin, row.get("txID"), row["amount"], when),
            asset=self.code(coin),
            amount=exact(row["amount"]),
            exchange_tx_id=ident or None,
            fee_asset=self.code(coin) if fee not in (None, "") else None,
            fee_amount=exact(fee) if fee not in (None, "") else None,
            raw=dict(row),
        )
        return record, None

    def _transfer(self, row: Mapping[str, Any], window_start: int) -> Parsed:
        when = int(row.get("timestamp") or 0) or window_start
        status = str(row.get("status", ""))
        if status in TRANSFER_PENDING:
            return None, hold_if_recent(when)
        if status not in TRANSFER_DONE:
            return None, None
        ident = str(row["transferId"])
        record = NormalizedRecord(
            kind=RecordKind.TRANSFER,
            occurred_at=ms_to_utc(when),
            natural_key=natural_key(RecordKind.TRANSFER, ident),
            asset=self.code(str(row["coin"])),
            amount=exact(row["amount"]),
            exchange_tx_id=ident,
            raw=dict(row),  # fromAccountType / toAccountType say which way
        )
        return record, None

    # -- converts ---------------------------------------------------------------------------------------------

    async def _converts(
        self, spec: EndpointSpec, *, since: datetime | None, until: datetime, cursor: Cursor | None, report: FetchReport
    ) -> AsyncIterator[Page]:
        """Newest first by page number, so new converts shift the pages: walk from page 1 down to the newest
        convert already committed. Pages before the last keep the old cursor (a resumed walk starts again at
        page 1; the records it repeats are already stored); the last page moves it to the newest convert."""
        after = (cursor or {}).get("after_ms")
        after_ids = set((cursor or {}).get("ids", ()))
        floor = to_ms(since) if since is not None else None
        until_ms = to_ms(until)
        newest: int | None = None
        newest_ids: set[str] = set()
        hold: int | None = None
        index = 1
        while True:
            body = await call(
                self.client,
                "privateGetV5AssetExchangeQueryConvertHistory",
                {"index": index, "limit": spec.page_size},
                endpoint=spec.endpoint,
                report=report,
            )
            rows = (body.get("result") or {}).get("list") or []
            records: list[NormalizedRecord] = []
            reached = False
            for row in rows:
                when, ident = int(row["createdAt"]), str(row["exchangeTxId"])
                if (after is not None and (when < after or (when == after and ident in after_ids))) or (
                    floor is not None and when < floor
                ):
                    reached = True
                    continue
                if when > until_ms:
                    continue  # the next sync takes it: the cursor stays before it
                if newest is None or when > newest:
                    newest, newest_ids = when, {ident}
                elif when == newest:
                    newest_ids.add(ident)
                status = str(row.get("exchangeStatus", "success"))
                if status in CONVERT_PENDING:
                    recent = hold_if_recent(when)
                    hold = recent if hold is None or (recent is not None and recent < hold) else hold
                elif status in CONVERT_DONE:
                    records.append(self._convert(row, when, ident))
            done = reached or len(rows) < spec.page_size
            stored: Cursor = dict(cursor or {})
            if done:
                if hold is not None:
                    stored = {"after_ms": hold - 1, "ids": []}
                elif newest is not None:
                    stored = {"after_ms": newest, "ids": sorted(newest_ids)}
            covered = until if done else ms_to_utc(0)
            yield Page(spec.endpoint, tuple(records), stored, covered)
            if done:
                return
            index += 1

    def _convert(self, row: Mapping[str, Any], when: int, ident: str) -> NormalizedRecord:
        """A convert is a buy of `toCoin` paid with `fromCoin`; the price is what one `toCoin` cost."""
        to_amount = exact(row["toAmount"])
        from_amount = exact(row["fromAmount"])
        return NormalizedRecord(
            kind=RecordKind.CONVERT,
            occurred_at=ms_to_utc(when),
            natural_key=natural_key(RecordKind.CONVERT, ident),
            asset=self.code(str(row["toCoin"])),
            amount=to_amount,
            exchange_tx_id=ident,
            side="buy",
            quote_asset=self.code(str(row["fromCoin"])),
            quote_amount=from_amount,
            raw=dict(row),
        )
