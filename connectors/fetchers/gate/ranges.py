"""Gate's ranges: whole Unix seconds, both ends asked inclusively (docs/exchange-apis/gate.md, "range ends").

A window [a, b] in milliseconds asks for the seconds ceil(a) … floor(b), so consecutive windows ask for every second
once. A walk ends just before the second `until` falls in: Gate can only be asked for that second whole, and more
may happen in it after the sync asked, so the cursor stops at its start and the next sync asks for it.
"""

from __future__ import annotations

from datetime import date, datetime

from connectors.fetchers.windows import to_ms

# A floor for walks whose profile entry names no `earliest`: Gate (then Bter) opened in 2013 (unsourced: its own
# "About" page was not read), so nothing is older.
GATE_OPENED = date(2013, 1, 1)
# A list with no documented range limit is asked for its whole range at once (one "window" up to `until`).
WHOLE_RANGE_MS = 100 * 365 * 86_400_000


def last_whole_second_ms(until: datetime) -> int:
    """The last millisecond before the second `until` falls in: the end of the range a walk may ask Gate for."""
    return to_ms(until) // 1000 * 1000 - 1


def seconds_range(window_start_ms: int, window_end_ms: int) -> tuple[int, int]:
    """The whole seconds a millisecond window covers: ceil(start) … floor(end)."""
    return -(-window_start_ms // 1000), window_end_ms // 1000
