"""Bybit's unified transaction log: the range it answers when fewer than two ends are given.

https://bybit-exchange.github.io/docs/v5/account/transaction-log (the published page; the repository's older copy
said 7 days): "startTime and endTime are not passed, return 24 hours by default", "Only startTime is passed, return
range between startTime and startTime+24 hours", "Only endTime is passed, return range between endTime-24 hours and
endTime", "If both are passed, the rule is endTime - startTime <= 7 days".
"""

from __future__ import annotations

from typing import Any

from sandbox.exchanges import BybitEmulator
from sandbox.exchanges.base import DAY_MS
from tests.conformance.test_bybit import PROFILE, bybit_client


def times(answer: Any) -> list[int]:
    return sorted(int(line["transactionTime"]) for line in answer["result"]["list"])


async def test_the_unified_log_answers_24_hours_unless_both_ends_are_given() -> None:
    async with (
        BybitEmulator(seed=8, profile=PROFILE, listed_symbols=20, derivatives=True) as emulator,
        bybit_client(emulator) as client,
    ):
        log = client.privateGetV5AccountTransactionLog
        line = min(emulator.derivatives.script.cash, key=lambda x: x.time).time  # a scripted line's time
        hour = DAY_MS // 24

        async def found(**ends: int) -> bool:
            return line in times(await log({**ends, "limit": 50}))

        # Both ends: up to 7 days apart, so a line 3 days in is answered.
        assert await found(startTime=line - 3 * DAY_MS, endTime=line + 3 * DAY_MS)
        # One end: 24 hours from it. A line 12 hours away is answered, one 3 days away is not.
        assert await found(startTime=line - 12 * hour)
        assert not await found(startTime=line - 3 * DAY_MS)
        assert await found(endTime=line + 12 * hour)
        assert not await found(endTime=line + 3 * DAY_MS)
        # None: the last 24 hours.
        now = emulator.clock.now_ms()
        assert all(now - DAY_MS <= t <= now for t in times(await log({"limit": 50})))
