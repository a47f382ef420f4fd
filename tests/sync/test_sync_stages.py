"""A Binance sync runs its four wallet endpoints at the same time (each has its own /sapi budget, none needs another's
records) and spot trades after them (market discovery needs their assets); the result is the same ground truth."""

from __future__ import annotations

import time

from bot.sync import SyncStatus
from sandbox.exchanges.base import RequestCounter
from tests.sync.conftest import WALLET_PATHS, Bench, assert_ground_truth


class ArrivalLog(RequestCounter):
    """The emulator's counter, also keeping each request's path in arrival order."""

    def __init__(self) -> None:
        super().__init__()
        self.order: list[tuple[float, str]] = []

    def record(self, path: str) -> None:
        super().record(path)
        self.order.append((time.monotonic(), path))


async def test_the_wallet_endpoints_run_together_and_spot_trades_after_them(sqlite_bench: Bench) -> None:
    bench = sqlite_bench
    log = ArrivalLog()
    bench.emulator.requests = log

    result = await bench.sync()

    assert result.status is SyncStatus.OK
    paths = [path for _, path in log.order]
    first = {path: paths.index(path) for path in WALLET_PATHS}
    last = {path: len(paths) - 1 - paths[::-1].index(path) for path in WALLET_PATHS}
    # Every wallet endpoint asked its first window before any of them asked its last: they overlapped.
    assert max(first.values()) < min(last.values())
    # Spot trades start once every wallet endpoint is done.
    assert paths.index("/api/v3/myTrades") > max(last.values())
    await assert_ground_truth(bench)
