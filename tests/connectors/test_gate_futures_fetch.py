"""Gate's futures walks with small pages (10 fills, 15 book lines a page): each settle pages its one range by offset to
the end, a walk stopped inside a page run resumes from its cursor with the next offset, and nothing is stored twice.

The script (sandbox/exchanges/gate_futures_script.py) books 72 lines in the USDT-settled account (2 moves, 28 fees,
14 P&L, 28 funding) and 19 in the BTC-settled one (1, 6, 3, 9); 28 and 6 fills.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from connectors.fetchers.base import Cursor, FetchReport
from connectors.fetchers.gate import GateFetcher
from connectors.profiles import Endpoint
from connectors.records import NormalizedRecord
from sandbox.exchanges import AccountProfile, GateEmulator
from tests.connectors.test_gate_fetch import fetcher

ACCOUNT = AccountProfile(
    years=0.2, traded_markets=2, trades=20, deposits=2, withdrawals=1, converts=1, transfers=0, rewards=1
)
SINCE_DAYS = 80


async def walk(
    f: GateFetcher, endpoint: Endpoint, cursors: dict[str, Cursor], *, stop_after: int | None = None
) -> tuple[list[NormalizedRecord], FetchReport]:
    """One fetch, keeping each page's cursor per settle as the sync engine commits it; `stop_after` pages at most."""
    records: list[NormalizedRecord] = []
    report = FetchReport()
    since = datetime.now(UTC) - timedelta(days=SINCE_DAYS)
    pages = f.fetch(endpoint, since=since, until=datetime.now(UTC), cursors=dict(cursors), report=report)
    async for page in pages:
        records += page.records
        cursors[page.market] = page.cursor
        if stop_after is not None and report.requests >= stop_after:
            break
    return records, report


async def test_each_settle_pages_its_range_by_offset_and_stores_each_record_once() -> None:
    async with GateEmulator(seed=6, profile=ACCOUNT, listed_symbols=12, derivatives=True) as gate, fetcher(gate) as f:
        fills, fill_report = await walk(f, Endpoint.FUTURES_TRADES, {})
        lines, line_report = await walk(f, Endpoint.FUNDING, {})
    script = gate.futures_script
    assert script is not None
    assert len(fills) == len({r.natural_key for r in fills}) == len(script.fills) == 34
    # P&L and funding lines are stored; fees (the fills hold them) and moves (the spot book) are not.
    assert len(lines) == len({r.natural_key for r in lines}) == 17 + 37
    # The four accounts once (the first kind asks them: two perpetual, the delivery one, never opened here, and the
    # options one), then USDT: 28 fills in 3 pages of 10, BTC: 6 in one, and each settle's contracts once:
    # 4 + 3 + 1 + 2. The book (the
    # accounts already read by this fetcher): USDT 72 lines in 5 pages of 15, BTC 19 in 2.
    assert fill_report.requests == 10
    assert line_report.requests == 7


async def test_a_walk_stopped_between_pages_resumes_at_the_next_offset() -> None:
    async with GateEmulator(seed=6, profile=ACCOUNT, listed_symbols=12, derivatives=True) as gate, fetcher(gate) as f:
        cursors: dict[str, Cursor] = {}
        first, _ = await walk(f, Endpoint.FUNDING, cursors, stop_after=6)  # 4 accounts, 2 pages of the USDT book
        assert "token" in cursors["usdt"] and cursors["usdt"]["token"] == 30, cursors
        rest, report = await walk(f, Endpoint.FUNDING, cursors)
    keys = [r.natural_key for r in first + rest]
    assert len(keys) == len(set(keys)) == 17 + 37
    assert report.requests == 3 + 2  # the USDT book's pages 3 to 5 (offsets 30, 45, 60), the BTC book's 2


async def test_delivery_fills_page_newest_first_to_the_stored_id_and_its_book_by_the_range_end() -> None:
    async with GateEmulator(seed=6, profile=ACCOUNT, listed_symbols=12, delivery=True) as gate, fetcher(gate) as f:
        cursors: dict[str, Cursor] = {}  # the fills' cursors (the sync engine keeps each endpoint's apart)
        fills, fill_report = await walk(f, Endpoint.FUTURES_TRADES, cursors)
        lines, line_report = await walk(f, Endpoint.FUNDING, {})
        again, again_report = await walk(f, Endpoint.FUTURES_TRADES, cursors)
    script = gate.delivery_script
    assert script is not None
    # Five round trips: 10 fills, each once; the book's 17 lines (2 moves, 10 fees, 5 P&L) keep the 5 P&L lines.
    assert sorted(str(r.exchange_tx_id) for r in fills) == sorted(str(x.trade_id) for x in script.fills)
    assert len({r.natural_key for r in fills}) == 10
    assert sorted(r.amount for r in lines) == sorted(x.change for x in script.lines if x.type == "pnl")
    assert len({r.natural_key for r in lines}) == 5
    # The four accounts (only the delivery one opened), 10 fills: a full page of 10 and an empty one, the contracts
    # once: 4 + 2 + 1. The book, 17 lines newest first: a full page of 15, then the range ending at its oldest second
    # (2 more, and that second's lines again, read past).
    assert (fill_report.requests, line_report.requests) == (7, 2)
    assert cursors["delivery:usdt"] == {"last_id": max(x.trade_id for x in script.fills)}
    # A re-sync reads the newest page only, up to the stored id: nothing new.
    assert again == [] and again_report.requests == 1
