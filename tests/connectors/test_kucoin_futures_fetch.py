"""KuCoin's futures ledger read with small pages: each currency forward from the offset of its last line, page after
page while `hasMore`, and a walk stopped between pages resumes at the next offset, nothing stored twice.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from connectors.clients import ClientPool
from connectors.fetchers.base import Cursor, FetchReport
from connectors.fetchers.kucoin import KucoinFetcher
from connectors.fetchers.kucoin import futures as kucoin_futures
from connectors.fetchers.kucoin.pacing import PoolPacer
from connectors.profiles import Endpoint, get_profile
from connectors.records import NormalizedRecord
from sandbox.exchanges import AccountProfile
from sandbox.exchanges.kucoin import KucoinEmulator

ACCOUNT = AccountProfile(
    years=0.2, traded_markets=2, trades=20, deposits=2, withdrawals=1, converts=1, transfers=0, rewards=1
)
PAGE = 10


@asynccontextmanager
async def fetcher(emulator: KucoinEmulator) -> AsyncIterator[KucoinFetcher]:
    key = emulator.create_demo_keys().read_only
    pool = ClientPool({"kucoin": emulator.base_url})
    fields = {"apiKey": key.api_key, "secret": key.secret, "password": key.passphrase or ""}
    try:
        async with pool.client("kucoin", "fetch", fields) as client:
            client.throttler.config["refillRate"] = 1e6
            yield KucoinFetcher(get_profile("kucoin"), client)
    finally:
        await pool.close()


async def walk(
    f: KucoinFetcher, cursors: dict[str, Cursor], stop_after: int | None = None
) -> tuple[list[NormalizedRecord], FetchReport]:
    records: list[NormalizedRecord] = []
    report = FetchReport()
    since = datetime.now(UTC) - timedelta(days=65)
    async for page in f.fetch(
        Endpoint.FUTURES_TRADES, since=since, until=datetime.now(UTC), cursors=dict(cursors), report=report
    ):
        records += page.records
        cursors[page.market] = page.cursor
        if stop_after is not None and report.requests >= stop_after:
            break
    return records, report


async def test_the_ledger_pages_forward_by_offset_and_a_stopped_walk_resumes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(kucoin_futures, "LEDGER_PAGE", PAGE)  # small pages, so the ledger takes several
    async with KucoinEmulator(seed=7, profile=ACCOUNT, listed_symbols=12, derivatives=True) as kc, fetcher(kc) as f:
        whole, report = await walk(f, {})
        cursors: dict[str, Cursor] = {}
        first, _ = await walk(f, cursors, stop_after=3)  # both currencies' first pages, then the USDT ledger's 2nd
        rest, _ = await walk(f, cursors)
    script = kc.futures_script
    assert script is not None
    usdt = [line for line in script.lines if line.currency == "USDT"]
    xbt = [line for line in script.lines if line.currency == "XBT"]
    pnl = sum(1 for line in script.lines if line.type == "RealisedPNL")
    assert len(whole) == len({r.natural_key for r in whole}) == pnl + len(script.fills)
    # Each currency's ledger in pages of 10 (`hasMore` says whether another follows), and the fills in one page.
    pages = -(-len(usdt) // PAGE) + -(-len(xbt) // PAGE)
    assert report.requests == pages + 1
    assert cursors[kucoin_futures.ledger_key("USDT")]["offset"] == usdt[-1].offset
    keys = [r.natural_key for r in first + rest]
    assert len(keys) == len(set(keys)) == len(whole)


class PendingLedger:
    """A client whose USDT ledger ends with the current period's Pending line (the 2022 docs' example shows one:
    "If there are open positions, the status of the first page returned will be Pending")."""

    def __init__(self) -> None:
        self.asked: list[dict[str, object]] = []

    def safe_currency_code(self, currency: str) -> str:
        return "BTC" if currency == "XBT" else currency

    async def futuresPrivateGetTransactionHistory(self, params: dict[str, object]) -> dict[str, object]:
        self.asked.append(params)
        rows: list[dict[str, object]] = []
        if params["currency"] == "USDT" and "offset" not in params:
            line = {"type": "RealisedPNL", "fee": 0, "accountEquity": 20.0, "remark": "XBTUSDTM", "currency": "USDT"}
            rows = [
                {**line, "time": 1557997200000, "amount": -0.000017105, "status": "Completed", "offset": 1},
                {**line, "time": 1558596284040, "amount": 0, "status": "Pending", "offset": -1},
            ]
        return {"code": "200000", "data": {"dataList": rows, "hasMore": False}}

    async def futuresPrivateGetFills(self, params: dict[str, object]) -> dict[str, object]:
        return {
            "code": "200000",
            "data": {"currentPage": 1, "pageSize": 1000, "totalNum": 0, "totalPage": 0, "items": []},
        }


async def test_a_pending_line_ends_the_walk_before_it_and_the_cursor_stays_at_the_last_completed_one() -> None:
    client = PendingLedger()
    futures = kucoin_futures.KucoinFutures(client, PoolPacer(), "kucoin", "KuCoin", date(2017, 9, 15))
    spec = get_profile("kucoin").endpoint(Endpoint.FUTURES_TRADES)
    assert spec is not None
    pages = [
        page
        async for page in futures.fetch(spec, since=None, until=datetime.now(UTC), cursors={}, report=FetchReport())
    ]
    usdt = next(page for page in pages if page.market == kucoin_futures.ledger_key("USDT"))
    assert [(r.amount, r.market) for r in usdt.records] == [(Decimal("-0.000017105"), "BTC/USDT:USDT")]
    assert usdt.cursor == {"offset": 1}
    # Complete up to just before the Pending line: the next sync asks forward from offset 1 and meets it settled.
    assert usdt.covered_until == datetime.fromtimestamp(1558596284.039, tz=UTC)
