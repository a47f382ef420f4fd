"""The Gate fetcher's ranges on a fixed clock: which whole seconds each request asks for, where the cursor stops, and
what the next sync asks. The window edges are written by hand from Gate's rules (docs/exchange-apis/gate.md: `from`
and `to` are whole seconds, at most 30 days apart).

ccxt's own Gate client is used with its network call replaced by a fake Gate that serves rows by `from`/`to` (only
what these tests need: one list of fills, filtered by second, one page).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import ccxt.async_support as ccxt_async

from connectors.fetchers.base import Cursor, FetchReport
from connectors.fetchers.gate import GateFetcher
from connectors.profiles import Endpoint, get_profile
from connectors.records import NormalizedRecord
from i18n import render

SINCE = datetime(2026, 1, 1, tzinfo=UTC)
UNTIL = datetime(2026, 3, 5, 12, 34, 56, 789000, tzinfo=UTC)  # the first sync's "now"
LATER = datetime(2026, 3, 5, 12, 40, 0, 250000, tzinfo=UTC)  # the second sync's


def s(moment: datetime) -> int:
    return int(moment.timestamp())


class FakeGate:
    """Answers `privateSpotGetMyTrades`/`privateEarnGetUniInterestRecords` with the rows whose second lies in
    [from, to], and records every request."""

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []
        self.requests: list[dict[str, Any]] = []

    async def answer(self, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        self.requests.append(dict(params))
        return [r for r in self.rows if int(params["from"]) <= int(r["create_time"]) <= int(params["to"])]

    async def deposits(self, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        self.requests.append(dict(params))
        return [r for r in self.rows if int(params["from"]) <= int(r["timestamp"]) <= int(params["to"])]


def gate_client(fake: FakeGate) -> Any:
    client = ccxt_async.gate()
    client.privateSpotGetMyTrades = fake.answer
    client.privateEarnGetUniInterestRecords = fake.answer
    client.privateWalletGetDeposits = fake.deposits
    client.markets_by_id = {}  # no markets loaded: a pair is read as its parts ("BTC_USDT" -> BTC/USDT)
    return client


async def sync(
    fetcher: GateFetcher, endpoint: Endpoint, until: datetime, cursor: Cursor | None, report: FetchReport | None = None
) -> tuple[list[NormalizedRecord], Cursor | None]:
    records: list[NormalizedRecord] = []
    cursors = {"": cursor} if cursor else {}
    report = report or FetchReport()
    async for page in fetcher.fetch(endpoint, since=SINCE, until=until, cursors=cursors, report=report):
        records += page.records
        cursor = page.cursor
    return records, cursor


def fill(trade_id: str, at: datetime) -> dict[str, Any]:
    """A row in Trade.md's fields."""
    return {
        "id": trade_id,
        "create_time": str(s(at)),
        "create_time_ms": f"{int(at.timestamp() * 1000)}.000",
        "currency_pair": "BTC_USDT",
        "side": "buy",
        "role": "taker",
        "amount": "0.001",
        "price": "90000",
        "order_id": "7" + trade_id,
        "fee": "0.000002",
        "fee_currency": "BTC",
        "point_fee": "0",
        "gt_fee": "0",
    }


async def test_trades_are_asked_in_30_day_windows_of_whole_seconds_up_to_the_second_before_now() -> None:
    fake = FakeGate()
    client = gate_client(fake)
    try:
        _, cursor = await sync(GateFetcher(get_profile("gate"), client), Endpoint.SPOT_TRADES, UNTIL, None)
    finally:
        await client.close()
    assert [(r["from"], r["to"], r["page"]) for r in fake.requests] == [
        (s(datetime(2026, 1, 1, tzinfo=UTC)), s(datetime(2026, 1, 30, 23, 59, 59, tzinfo=UTC)), 1),
        (s(datetime(2026, 1, 31, tzinfo=UTC)), s(datetime(2026, 3, 1, 23, 59, 59, tzinfo=UTC)), 1),
        # the second of "now" (12:34:56) is left whole for the next sync
        (s(datetime(2026, 3, 2, tzinfo=UTC)), s(datetime(2026, 3, 5, 12, 34, 55, tzinfo=UTC)), 1),
    ]
    assert cursor == {"window_start_ms": s(datetime(2026, 3, 5, 12, 34, 56, tzinfo=UTC)) * 1000}


async def test_a_fill_later_in_the_second_a_sync_ran_is_fetched_by_the_next_sync() -> None:
    fake = FakeGate()
    client = gate_client(fake)
    fetcher = GateFetcher(get_profile("gate"), client)
    try:
        fake.rows = [fill("1", datetime(2026, 3, 5, 12, 34, 55, 500000, tzinfo=UTC))]
        first, cursor = await sync(fetcher, Endpoint.SPOT_TRADES, UNTIL, None)
        # Filled at 12:34:56.900, after the first sync asked (at 12:34:56.789): Gate lists it in second 12:34:56.
        fake.rows.append(fill("2", datetime(2026, 3, 5, 12, 34, 56, 900000, tzinfo=UTC)))
        fake.requests.clear()
        second, _ = await sync(fetcher, Endpoint.SPOT_TRADES, LATER, cursor)
    finally:
        await client.close()
    assert [r.exchange_tx_id for r in first] == ["1"]
    assert [(r["from"], r["to"]) for r in fake.requests] == [
        (s(datetime(2026, 3, 5, 12, 34, 56, tzinfo=UTC)), s(datetime(2026, 3, 5, 12, 39, 59, tzinfo=UTC)))
    ]
    assert [(r.exchange_tx_id, r.amount) for r in second] == [("2", Decimal("0.001"))]


async def test_dividends_are_one_range_up_to_the_second_before_now_and_the_next_sync_starts_there() -> None:
    fake = FakeGate()
    client = gate_client(fake)
    fetcher = GateFetcher(get_profile("gate"), client)
    try:
        _, cursor = await sync(fetcher, Endpoint.EARN_REWARDS, UNTIL, None)
        await sync(fetcher, Endpoint.EARN_REWARDS, LATER, cursor)
    finally:
        await client.close()
    assert [(r["from"], r["to"]) for r in fake.requests] == [
        (s(datetime(2026, 1, 1, tzinfo=UTC)), s(datetime(2026, 3, 5, 12, 34, 55, tzinfo=UTC))),
        (s(datetime(2026, 3, 5, 12, 34, 56, tzinfo=UTC)), s(datetime(2026, 3, 5, 12, 39, 59, tzinfo=UTC))),
    ]


def deposit(ident: str, at: datetime, status: str) -> dict[str, Any]:
    """A row in DepositRecord.md's fields."""
    return {
        "id": ident,
        "txid": "0x" + ident,
        "timestamp": str(s(at)),
        "amount": "150",
        "currency": "USDT",
        "address": "0xabc",
        "status": status,
        "chain": "ETH",
    }


async def test_a_deposit_pending_past_14_days_is_let_go_with_a_note_and_a_recent_one_holds_the_cursor() -> None:
    fake = FakeGate()
    client = gate_client(fake)
    stuck = datetime(2026, 2, 18, 9, 0, tzinfo=UTC)  # 15 days before UNTIL
    settling = datetime(2026, 2, 20, 9, 0, tzinfo=UTC)  # 13 days before
    fake.rows = [deposit("1", stuck, "PEND"), deposit("2", settling, "TRACK"), deposit("3", stuck, "DONE")]
    report = FetchReport()
    try:
        records, cursor = await sync(GateFetcher(get_profile("gate"), client), Endpoint.DEPOSITS, UNTIL, None, report)
        fake.rows = [deposit("1", stuck, "PEND")]  # the other one settled (and is stored next time)
        released = FetchReport()
        _, after = await sync(GateFetcher(get_profile("gate"), client), Endpoint.DEPOSITS, UNTIL, None, released)
    finally:
        await client.close()
    assert [r.natural_key for r in records] == ["deposit:3"]
    assert cursor == {"window_start_ms": s(settling) * 1000}  # held at the one still settling
    [gap] = report.gaps
    assert (gap.endpoint, gap.start, gap.end) == (Endpoint.DEPOSITS, stuck, stuck)
    assert "2026-02-18 09:00:00 UTC was still pending after 14 days" in render(gap.reason)
    # With only the stuck one left, nothing holds the cursor: it goes on to the second the sync ran in.
    assert after == {"window_start_ms": s(datetime(2026, 3, 5, 12, 34, 56, tzinfo=UTC)) * 1000}
    assert [g.start for g in released.gaps] == [stuck]


async def test_a_fill_paid_with_gt_and_points_keeps_each_fee() -> None:
    fake = FakeGate()
    client = gate_client(fake)
    at = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    fake.rows = [
        {**fill("10", at), "fee": "0", "gt_fee": "0.0042"},  # GT paid it all: `fee` is "0"
        {**fill("11", at), "fee": "0.000001", "point_fee": "0.18"},  # part in BTC, part in points
        {**fill("12", at), "fee": "0"},  # charged nothing
    ]
    try:
        records, _ = await sync(GateFetcher(get_profile("gate"), client), Endpoint.SPOT_TRADES, UNTIL, None)
    finally:
        await client.close()
    assert [(r.kind, r.natural_key, r.asset, r.amount, r.fee_asset, r.fee_amount) for r in records] == [
        ("trade", "trade:BTC_USDT:10", "BTC", Decimal("0.001"), "GT", Decimal("0.0042")),
        ("trade", "trade:BTC_USDT:11", "BTC", Decimal("0.001"), "BTC", Decimal("0.000001")),
        ("ledger", "ledger:fee:BTC_USDT:11:POINT", "POINT", Decimal("-0.18"), None, None),
        ("trade", "trade:BTC_USDT:12", "BTC", Decimal("0.001"), None, None),
    ]
    points = records[2]
    assert (points.exchange_tx_id, points.market, points.side, points.occurred_at) == ("11", "BTC/USDT", "out", at)
