"""Coincheck (exchange API): trades, BTC deposits and sends, JPY withdrawals. Rules and their sources:
docs/exchange-apis/coincheck.md.

| endpoint | list | paging |
| --- | --- | --- |
| spot trades | `GET /api/exchange/orders/transactions_pagination` (every pair) | `order=asc`, `starting_after` |
| deposits | `GET /api/deposit_money?currency=BTC` ("Only BTC") | none documented: the whole list |
| withdrawals | `GET /api/send_money?currency=BTC` and `GET /api/withdraws` (JPY) | none; as trades |

The paginated lists are read oldest first (`order=asc`) from the id after the last one read (`starting_after`),
`limit` 25 a page (the only limit a documented answer shows); a page shorter than that ends the walk. Cursor:
`{"after": id}`, and a JPY withdrawal still pending or processing holds it just below its id (`"hold"`), so the next
sync reads it again once it is finished (one pending past `windows.HOLD_MAX_AGE_MS` is let go and noted as a gap).
The two BTC lists take no paging parameter: each sync asks them once and the records already stored are known by
their keys. Coincheck's API lists no JPY deposits (the profile says so).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from connectors.fetchers.base import Cursor, FetchReport, Page, served_spec
from connectors.fetchers.coincheck.rows import Parsed, RowReader, utc
from connectors.fetchers.handwritten import HandwrittenFetcher
from connectors.fetchers.windows import call, hold_if_recent, released_gap, to_ms
from connectors.profiles import Endpoint, EndpointSpec, ExchangeProfile
from connectors.records import NormalizedRecord

TRADES = "privateGetExchangeOrdersTransactionsPagination"
DEPOSITS = "privateGetDepositMoney"
SENDS = "privateGetSendMoney"
JPY_WITHDRAWALS = "privateGetWithdraws"
# Coincheck opened in August 2014: a walk stopped mid-way is complete up to nothing later than that.
OPENED = datetime(2014, 8, 1, tzinfo=UTC)
CRYPTO = "BTC"  # the crypto lists' only documented currency
Read = Callable[[Mapping[str, Any]], Parsed]


class CoincheckFetcher(HandwrittenFetcher):
    """Fetches Coincheck history through ccxt's implicit API methods, reading Coincheck's raw strings."""

    SUPPORTED = frozenset({Endpoint.SPOT_TRADES, Endpoint.DEPOSITS, Endpoint.WITHDRAWALS})

    def __init__(self, profile: ExchangeProfile, client: Any, *, key_type: str | None = None) -> None:
        super().__init__(profile, client, key_type=key_type)
        self.rows = RowReader(client)

    def fetch(
        self,
        endpoint: Endpoint,
        *,
        since: datetime | None,
        until: datetime,
        cursors: Mapping[str, Cursor],
        report: FetchReport,
    ) -> AsyncIterator[Page]:
        spec = served_spec(self.profile, endpoint, self.key_type, self.implements(endpoint))
        if endpoint is Endpoint.SPOT_TRADES:
            return self._paged(spec, TRADES, "", cursors, since, until, report, lambda r: (self.rows.trade(r), False))
        if endpoint is Endpoint.DEPOSITS:
            return self._whole(spec, DEPOSITS, "deposits", since, until, report, self.rows.deposit)
        return self._withdrawals(spec, cursors, since, until, report)

    async def _withdrawals(
        self,
        spec: EndpointSpec,
        cursors: Mapping[str, Cursor],
        since: datetime | None,
        until: datetime,
        report: FetchReport,
    ) -> AsyncIterator[Page]:
        async for page in self._whole(spec, SENDS, "sends", since, until, report, self.rows.send, market=CRYPTO):
            yield page
        async for page in self._paged(
            spec, JPY_WITHDRAWALS, "JPY", cursors, since, until, report, self.rows.withdrawal
        ):
            yield page

    async def _whole(
        self,
        spec: EndpointSpec,
        method: str,
        field: str,
        since: datetime | None,
        until: datetime,
        report: FetchReport,
        read: Callable[[Mapping[str, Any]], NormalizedRecord],
        market: str = "",
    ) -> AsyncIterator[Page]:
        body = await call(self.client, method, {"currency": CRYPTO}, endpoint=spec.endpoint, report=report)
        records = [read(row) for row in body.get(field) or []]
        kept = tuple(r for r in records if since is None or r.occurred_at >= since)
        yield Page(spec.endpoint, kept, {"asked": True}, until, market)

    async def _paged(
        self,
        spec: EndpointSpec,
        method: str,
        market: str,
        cursors: Mapping[str, Cursor],
        since: datetime | None,
        until: datetime,
        report: FetchReport,
        read: Read,
    ) -> AsyncIterator[Page]:
        """Oldest first from after the cursor's id, a page at a time; the walk's cursor after each page."""
        state = cursors.get(market) or {}
        after, hold = state.get("after"), state.get("hold")
        floor_ms = to_ms(since) if since is not None else None
        while True:
            params: dict[str, Any] = {"order": "asc", "limit": spec.page_size}
            if after is not None:
                params["starting_after"] = after
            body = await call(self.client, method, params, endpoint=spec.endpoint, report=report, market=market)
            rows = body.get("data") or []
            records: list[NormalizedRecord] = []
            for row in rows:
                record, pending = read(row)
                when = to_ms(utc(row["created_at"]))
                if pending and hold_if_recent(when) is None:
                    report.gaps.append(released_gap(spec.endpoint, when))  # pending too long: no longer waited for
                elif pending:
                    hold = int(row["id"]) if hold is None else min(int(hold), int(row["id"]))
                elif record is not None and (floor_ms is None or when >= floor_ms):
                    records.append(record)
            if rows:
                after = int(rows[-1]["id"])
            if len(rows) < spec.page_size:
                settled = after if hold is None else int(hold) - 1
                yield Page(spec.endpoint, tuple(records), {"after": settled}, until, market)
                return
            yield Page(spec.endpoint, tuple(records), {"after": after, "hold": hold}, since or OPENED, market)
