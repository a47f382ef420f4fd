"""MEXC futures discovery reads closed positions (newest first, 100 a page) only down to the newest one an earlier
sync saw; FUNDING, which needs only the account's signs of futures, reads the first page alone."""

from __future__ import annotations

from datetime import date
from typing import Any

from connectors.fetchers.base import FetchReport
from connectors.fetchers.mexc.futures import MexcFutures
from connectors.profiles import Endpoint

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


async def test_a_first_discovery_reads_every_page_and_a_later_one_stops_at_the_mark() -> None:
    first = Client()
    found = await MexcFutures(first, "mexc", date(2018, 4, 1)).closed_since(
        Endpoint.FUTURES_TRADES, None, FetchReport()
    )
    assert [a for a in first.asked if a[0] == "closed"] == [("closed", 1), ("closed", 2), ("closed", 3)]
    assert len(found.symbols) == 250 and found.newest_position_ms == NOW
    # An earlier sync saw up to the position of 150 days ago: pages 1 and 2 (down to 199 days ago) reach it.
    later = Client()
    found = await MexcFutures(later, "mexc", date(2018, 4, 1)).closed_since(
        Endpoint.FUTURES_TRADES, NOW - 150 * DAY, FetchReport()
    )
    assert [a for a in later.asked if a[0] == "closed"] == [("closed", 1), ("closed", 2)]
    # FUNDING needs only the signs: the first page.
    signs = Client()
    await MexcFutures(signs, "mexc", date(2018, 4, 1)).evidence(Endpoint.FUNDING, FetchReport())
    assert signs.asked == [("assets", 0), ("open", 0), ("closed", 1)]
