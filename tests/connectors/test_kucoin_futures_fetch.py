"""KuCoin's futures ledger read with small pages: each currency newest first ("sorted in descending order by createdAt
and id"), the page turned by its smallest offset, down to the newest offset stored by the last sync; a line still
Pending (an open position's current period) is passed over and read once Completed; a sync stopped between
currencies resumes with the next. Expected values are written by hand from the scripted lines.
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
from connectors.records import NormalizedRecord, ms_to_utc
from sandbox.exchanges import AccountProfile
from sandbox.exchanges.base import HOUR_MS as HOUR
from sandbox.exchanges.kucoin import KucoinEmulator
from sandbox.exchanges.kucoin_futures import FuturesScript, KucoinFutures, Line
from sandbox.exchanges.protocol import Call

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


async def test_the_ledger_pages_newest_first_by_the_smallest_offset_and_a_stopped_sync_resumes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(kucoin_futures, "LEDGER_PAGE", PAGE)  # small pages, so the ledger takes several
    async with KucoinEmulator(seed=7, profile=ACCOUNT, listed_symbols=12, derivatives=True) as kc, fetcher(kc) as f:
        whole, report = await walk(f, {})
        cursors: dict[str, Cursor] = {}
        cut, _ = await walk(f, cursors, stop_after=1)  # stopped after the first page: the whole USDT ledger
        rest, _ = await walk(f, cursors)
    script = kc.futures_script
    assert script is not None
    usdt = [line for line in script.lines if line.currency == "USDT"]
    xbt = [line for line in script.lines if line.currency == "XBT"]
    pnl = sum(1 for line in script.lines if line.type == "RealisedPNL")
    assert len(whole) == len({r.natural_key for r in whole}) == pnl + len(script.fills)
    # Each currency's ledger in pages of 10 (`hasMore` says whether another follows); the fills a request per 7 days
    # of the 65 asked for: 10 windows; before them the account's mode (classic here), once.
    pages = -(-len(usdt) // PAGE) + -(-len(xbt) // PAGE)
    assert report.requests == 1 + pages + 10
    # The cursor holds the newest line's offset: the script's last USDT line (its lines are in time order).
    assert cursors[kucoin_futures.ledger_key("USDT")]["offset"] == usdt[-1].offset
    # The stopped walk stored the USDT ledger's P&L lines; the next read USDT's newest page only (nothing newer than
    # its cursor) and everything else: nothing twice, nothing missed.
    assert len(cut) == sum(1 for line in usdt if line.type == "RealisedPNL")
    keys = [r.natural_key for r in cut + rest]
    assert len(keys) == len(set(keys)) and set(keys) == {r.natural_key for r in whole}


class PendingLedger:
    """A client whose USDT ledger starts with the current period's Pending line (the 2022 docs' example shows one:
    "If there are open positions, the status of the first page returned will be Pending")."""

    def __init__(self) -> None:
        self.asked: list[dict[str, object]] = []

    def safe_currency_code(self, currency: str) -> str:
        return "BTC" if currency == "XBT" else currency

    async def utaPrivateGetAccountMode(self, params: dict[str, object]) -> dict[str, object]:
        return {"code": "200000", "data": {"selfAccountMode": "CLASSIC"}}  # docs-new "Get Account Mode"

    async def futuresPrivateGetTransactionHistory(self, params: dict[str, object]) -> dict[str, object]:
        self.asked.append(params)
        rows: list[dict[str, object]] = []
        if params["currency"] == "USDT" and "offset" not in params:
            line = {"type": "RealisedPNL", "fee": 0, "accountEquity": 20.0, "remark": "XBTUSDTM", "currency": "USDT"}
            rows = [  # newest first: the current period's Pending line heads the first page
                {**line, "time": 1558596284040, "amount": 0, "status": "Pending", "offset": -1},
                {**line, "time": 1557997200000, "amount": -0.000017105, "status": "Completed", "offset": 1},
            ]
        return {"code": "200000", "data": {"dataList": rows, "hasMore": False}}

    async def futuresPrivateGetFills(self, params: dict[str, object]) -> dict[str, object]:
        return {
            "code": "200000",
            "data": {"currentPage": 1, "pageSize": 1000, "totalNum": 0, "totalPage": 0, "items": []},
        }


async def test_a_pending_line_is_passed_over_and_the_cursor_stays_at_the_newest_completed_one() -> None:
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
    # Complete up to just before the Pending line: the next sync reads down to offset 1 and meets it settled.
    assert usdt.covered_until == datetime.fromtimestamp(1558596284.039, tz=UTC)


class EmulatedLedger:
    """A client asking the futures emulator's own handlers (sandbox/exchanges/kucoin_futures.py) for a script the
    test writes line by line, and swaps between syncs as the account moves on."""

    def __init__(self, script: FuturesScript, now_ms: int) -> None:
        self.served = KucoinFutures(script)
        self.now_ms = now_ms
        self.offsets_asked: list[object] = []

    def safe_currency_code(self, currency: str) -> str:
        return "BTC" if currency == "XBT" else currency

    def _call(self, params: dict[str, object]) -> Call:
        return Call({name: str(value) for name, value in params.items()}, None, self.now_ms)

    async def utaPrivateGetAccountMode(self, params: dict[str, object]) -> dict[str, object]:
        return {"code": "200000", "data": {"selfAccountMode": "CLASSIC"}}  # docs-new "Get Account Mode"

    async def futuresPrivateGetTransactionHistory(self, params: dict[str, object]) -> dict[str, object]:
        if params["currency"] == "USDT":
            self.offsets_asked.append(params.get("offset"))
        return {"code": "200000", "data": self.served.ledger(self._call(params))}

    async def futuresPrivateGetFills(self, params: dict[str, object]) -> dict[str, object]:
        return {"code": "200000", "data": self.served.fills(self._call(params))}


T0 = 1_700_000_000_000  # 2023-11-14 22:13:20 UTC
MOVED_IN = Line(T0, "TransferIn", Decimal(100), "USDT", "Transferred from Trading Account", 11)
XBT_PNL = Line(T0 + 6 * HOUR, "RealisedPNL", Decimal("1.5"), "USDT", "XBTUSDTM", 12)


async def test_an_open_position_is_read_once_settled_and_a_resync_reads_the_new_lines_down_to_the_stored_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(kucoin_futures, "LEDGER_PAGE", 2)
    spec = get_profile("kucoin").endpoint(Endpoint.FUTURES_TRADES)
    assert spec is not None
    eth_open = Line(T0 + 9 * HOUR, "RealisedPNL", Decimal("-0.25"), "USDT", "ETHUSDTM")
    client = EmulatedLedger(FuturesScript((), (MOVED_IN, XBT_PNL), (eth_open,)), T0 + 10 * HOUR)
    futures = kucoin_futures.KucoinFutures(client, PoolPacer(), "kucoin", "KuCoin", date(2017, 9, 15))
    key = kucoin_futures.ledger_key("USDT")

    async def sync(cursors: dict[str, Cursor]) -> list[tuple[str, Decimal, str | None]]:
        stored = []
        report = FetchReport()
        async for page in futures.fetch(
            spec, since=None, until=ms_to_utc(client.now_ms), cursors=cursors, report=report
        ):
            cursors[page.market] = page.cursor
            stored += [(r.natural_key, r.amount, r.market) for r in page.records if page.market == key]
        return stored

    cursors: dict[str, Cursor] = {}
    # With the ETH position open, its period's line (first, Pending) waits; the XBT line is stored, the move into
    # futures is the spot ledger's.
    assert await sync(cursors) == [("realized_pnl:USDT:12", Decimal("1.5"), "BTC/USDT:USDT")]
    assert cursors[key] == {"offset": 12}
    # Later: the ETH period settled at -0.3 (offset 13) and XBT booked 2.75 (offset 14). The re-sync reads the newest
    # page (14, 13), turns it by 13, meets 12 (stored) and stops: only the two new lines.
    eth_settled = Line(T0 + 16 * HOUR, "RealisedPNL", Decimal("-0.3"), "USDT", "ETHUSDTM", 13)
    xbt_later = Line(T0 + 24 * HOUR, "RealisedPNL", Decimal("2.75"), "USDT", "XBTUSDTM", 14)
    client.served = KucoinFutures(FuturesScript((), (MOVED_IN, XBT_PNL, eth_settled, xbt_later)))
    client.now_ms, client.offsets_asked = T0 + 30 * HOUR, []
    assert await sync(cursors) == [
        ("realized_pnl:USDT:14", Decimal("2.75"), "BTC/USDT:USDT"),
        ("realized_pnl:USDT:13", Decimal("-0.3"), "ETH/USDT:USDT"),
    ]
    assert client.offsets_asked == [None, 13] and cursors[key] == {"offset": 14}
