"""windows.WindowWalk and a record pending too long (HOLD_MAX_AGE_MS, 14 days): it stops holding the cursor, and a
walk given the fetch's report notes it there as a gap at the record's time, so the sync does not look complete."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from connectors.fetchers.base import FetchReport, Page
from connectors.fetchers.windows import WindowPage, WindowWalk
from connectors.profiles import Endpoint
from i18n import render

DAY_MS = 86_400_000
NOW = 1_760_000_000_000  # 2025-10-09 08:53:20 UTC
STUCK = NOW - 15 * DAY_MS  # 2025-09-24 08:53:20 UTC: pending one day past the 14
SETTLING = NOW - 13 * DAY_MS


async def walk(pending: list[int], report: FetchReport | None) -> list[Page]:
    async def page(start: int, end: int, token: Any) -> WindowPage:
        return WindowPage([], pending=pending if start <= STUCK <= end else [])

    walker = WindowWalk(Endpoint.WITHDRAWALS, 30 * DAY_MS, page, report=report, clock=lambda: NOW)
    return [p async for p in walker.pages(start_ms=NOW - 20 * DAY_MS, until_ms=NOW, cursor=None)]


async def test_a_record_pending_past_14_days_is_let_go_with_a_gap_naming_its_time() -> None:
    report = FetchReport()
    pages = await walk([STUCK], report)
    assert pages[-1].cursor == {"window_start_ms": NOW + 1}
    when = datetime(2025, 9, 24, 8, 53, 20, tzinfo=UTC)
    [gap] = report.gaps
    assert (gap.endpoint, gap.start, gap.end) == (Endpoint.WITHDRAWALS, when, when)
    assert render(gap.reason) == (
        "One of your withdrawals from 2025-09-24 08:53:20 UTC was still pending after 14 days, so later syncs stop "
        "looking for it. If it completes after all, add it by file upload."
    )


async def test_one_pending_13_days_still_holds_the_cursor_beside_one_let_go() -> None:
    report = FetchReport()
    pages = await walk([STUCK, SETTLING], report)
    assert pages[-1].cursor == {"window_start_ms": SETTLING}
    assert [gap.start for gap in report.gaps] == [datetime(2025, 9, 24, 8, 53, 20, tzinfo=UTC)]
