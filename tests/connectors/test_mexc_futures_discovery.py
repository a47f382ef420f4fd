"""MEXC futures discovery reads every page of closed positions (100 a page) whatever their order, which MEXC does not
state; FUNDING, which needs only the account's signs of futures, reads the first page alone."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from connectors.fetchers.base import Cursor, FetchReport
from connectors.fetchers.mexc.futures import MexcFutures
from connectors.profiles import Endpoint, get_profile
from connectors.records import ms_to_utc
from sandbox.exchanges.mexc_futures import MexcFuturesBook
from sandbox.exchanges.mexc_futures_script import MexcFuturesScript, Position
from sandbox.exchanges.protocol import Call

DAY = 86_400_000
NOW = 1_800_000_000_000


class Client:
    """Three pages of closed positions, one a day backwards from NOW (250 in all), in contracts C0…C249."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, int]] = []
        rows = [{"symbol": f"C{n}_USDT", "updateTime": NOW - n * DAY} for n in range(250)]
        self.pages = [rows[:100], rows[100:200], rows[200:]]

    async def contractPrivateGetAccountAssets(self, params: dict[str, Any]) -> Any:
        self.asked.append(("assets", 0))
        return {"success": True, "code": 0, "data": [{"currency": "USDT", "equity": 0, "unrealized": 0}]}

    async def contractPrivateGetPositionOpenPositions(self, params: dict[str, Any]) -> Any:
        self.asked.append(("open", 0))
        return {"success": True, "code": 0, "data": []}

    async def contractPrivateGetPositionListHistoryPositions(self, params: dict[str, Any]) -> Any:
        number = int(params["page_num"])
        self.asked.append(("closed", number))
        return {"success": True, "code": 0, "data": self.pages[number - 1] if number <= 3 else []}


async def test_every_sync_reads_every_page_of_closed_positions() -> None:
    first = Client()
    found = await MexcFutures(first, "mexc", date(2018, 4, 1)).every_closed(Endpoint.FUTURES_TRADES, FetchReport())
    # 250 positions: two full pages and a short third, which ends the list.
    assert [a for a in first.asked if a[0] == "closed"] == [("closed", 1), ("closed", 2), ("closed", 3)]
    assert len(found.symbols) == 250
    # FUNDING needs only the signs: the first page.
    signs = Client()
    await MexcFutures(signs, "mexc", date(2018, 4, 1)).evidence(Endpoint.FUNDING, FetchReport())
    assert signs.asked == [("assets", 0), ("open", 0), ("closed", 1)]


class EmulatedContract:
    """A client asking the contract emulator's own handlers (sandbox/exchanges/mexc_futures.py) for a script the test
    writes position by position."""

    def __init__(self, book: MexcFuturesBook) -> None:
        self.book = book
        self.pages_asked: list[int] = []

    def _call(self, params: dict[str, Any]) -> Call:
        return Call({name: str(value) for name, value in params.items()}, None, NOW)

    async def contractPrivateGetAccountAssets(self, params: dict[str, Any]) -> Any:
        return self.book.assets(self._call(params))

    async def contractPrivateGetPositionOpenPositions(self, params: dict[str, Any]) -> Any:
        return self.book.open_positions(self._call(params))

    async def contractPrivateGetPositionListHistoryPositions(self, params: dict[str, Any]) -> Any:
        self.pages_asked.append(int(params["page_num"]))
        return self.book.history_positions(self._call(params))


def closed(n: int, symbol: str, updated: int) -> Position:
    price = Decimal(60000)
    return Position(n, symbol, 1, 1, price, price, Decimal(0), Decimal(0), updated - DAY, updated, True)


async def test_a_new_contract_is_found_when_closed_positions_are_listed_oldest_first() -> None:
    # 120 closed BTC positions an hour apart, then one in SOL, the newest. An earlier sync knew BTC_USDT and saw
    # positions up to the 120th (its cursor, in the former shape, kept that time).
    hour = DAY // 24
    positions = [closed(n, "BTC_USDT", NOW - 300 * hour + n * hour) for n in range(120)]
    positions.append(closed(500, "SOL_USDT", NOW - hour))
    script = MexcFuturesScript((), (), tuple(positions), {"USDT": Decimal(0)}, Decimal(0), Decimal(0), (), ())
    client = EmulatedContract(MexcFuturesBook(script, positions_newest_first=False))
    spec = get_profile("mexc").endpoint(Endpoint.FUTURES_TRADES)
    assert spec is not None
    cursors: dict[str, Cursor] = {"": {"symbols": ["BTC_USDT"], "positions_ms": NOW - 181 * hour}}
    walk = MexcFutures(client, "mexc", date(2018, 4, 1)).fills(
        spec, since=None, until=ms_to_utc(NOW), cursors=cursors, report=FetchReport()
    )
    discovery = await anext(aiter(walk))  # the discovery page comes first; the contracts' fills are not asked
    # Oldest first, the first page holds BTC positions 0-99, all older than the earlier sync's newest: a stop at
    # that mark would have missed SOL on page 2. Both pages are read.
    assert client.pages_asked == [1, 2]
    assert discovery.cursor == {"symbols": ["BTC_USDT", "SOL_USDT"]}
