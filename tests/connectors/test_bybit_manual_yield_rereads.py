"""Which windows a sync re-reads for the Manual yields still pending (connectors/fetchers/bybit/earn.py): one 7-day
window covers every pending yield inside it, and a yield past the list's reach ("You can get the past 3 months
data", earn/yield-history.mdx; the profile's 90 days) is let go with a gap that says so."""

from __future__ import annotations

from datetime import UTC, datetime

from connectors.fetchers.base import FetchReport
from connectors.fetchers.bybit.earn import EarnFetch
from connectors.profiles import Endpoint, get_profile

DAY_MS = 86_400_000
UNTIL = datetime(2026, 6, 1, tzinfo=UTC)
UNTIL_MS = int(UNTIL.timestamp() * 1000)


def test_pending_yields_in_one_week_share_a_window_and_one_past_the_reach_is_let_go_with_its_time() -> None:
    spec = get_profile("bybit").endpoint(Endpoint.EARN_REWARDS, None)
    assert spec is not None
    lost = UNTIL_MS - 91 * DAY_MS  # 2026-03-02: one day past 90
    week = [UNTIL_MS - 40 * DAY_MS, UNTIL_MS - 36 * DAY_MS, UNTIL_MS - 33 * DAY_MS - 1]  # inside 7 days of the first
    later = UNTIL_MS - 33 * DAY_MS  # exactly 7 days after the first: a window of its own
    report = FetchReport()

    starts = EarnFetch._rereads(spec, [lost, *week, later], UNTIL, report)

    assert starts == [week[0], later]
    [gap] = report.gaps
    assert (gap.endpoint, gap.start, gap.end) == (Endpoint.EARN_REWARDS, datetime(2026, 3, 2, tzinfo=UTC), gap.start)
    assert gap.reason.id == "sync.gap.pending_released" and gap.reason.args["days"] == 90
