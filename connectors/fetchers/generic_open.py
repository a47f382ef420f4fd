"""The generic walk inside one window when the exchange is told where the range starts but not where it ends.

ccxt_ranges.py found that the method sends `since` and never reads `until`, so the exchange chooses the end itself:
the rest of the history, its default period, or a cap of its own after the start (ccxt's LBank `fetch_my_trades`
asks `end_date = since + 1 day`). A short answer therefore proves nothing past its newest row: the walk asks again
from that row (its ids there already seen) until an answer brings nothing new or reaches past the window's end.

A full first page has a second doubt: filled from the new end, it hides what lies between the start and its
oldest row, and without an end to send, the range below it cannot be asked for. An answer from its newest row that
brings anything newer proves the exchange fills from the old end (newest-first, the first page would have held it);
an answer that brings nothing leaves the range below the first page as a gap with the reason.

A short answer followed by one that brings newer rows proves the exchange cut the range itself: from then on an
empty answer cannot end a window (an empty stretch under the cap hides what follows it), so the rest of that window
is a gap with the reason.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping, Sequence
from typing import Any

from connectors.fetchers.unified_records import ident
from connectors.profiles import Endpoint
from i18n import msgid

IGNORED_END = msgid("sync.gap.untested_ignored_end")
CROWDED = msgid("sync.gap.untested_crowded")
UNPROVEN = msgid("sync.gap.untested_unproven_order")
CAPPED = msgid("sync.gap.untested_capped")

GapRange = tuple[int, int, str]  # start ms, end ms, the message id saying why


def start_only_page(
    order: MutableMapping[Endpoint, str],
    capped: set[Endpoint],
    endpoint: Endpoint,
    token: Mapping[str, Any] | None,
    *,
    rows: Sequence[Mapping[str, Any]],
    fresh: Sequence[Mapping[str, Any]],
    seen: set[str],
    page_full: bool,
    beyond: bool,
    low: int,
    high: int,
) -> tuple[list[GapRange], dict[str, Any] | None]:
    """The gaps one answer leaves and the token of the next call (None: the window is done).

    `rows` are the answer's rows inside [low, high] sorted by time, `fresh` those not seen before, `beyond` whether
    any row lies past `high`. `capped` holds the endpoints proven to cut a range short.
    Tokens: {"mode": "up", "since": ms, "seen": [...], "unproven": [start, end] | None, "short": bool}."""
    unproven: list[int] | None = list(token["unproven"]) if token and token.get("unproven") else None
    if unproven is not None and (fresh or beyond):
        order[endpoint] = "up"  # something newer than a full page's newest row: the exchange fills from the old end
        unproven = None
    if token and token.get("short") and fresh:
        capped.add(endpoint)  # a short answer was not all there was after its start
    gaps: list[GapRange] = []
    filled_from_old_end = order.get(endpoint) == "up"
    if not fresh:
        if page_full and rows and not beyond:
            gaps.append((low, high, CROWDED))  # a whole page at one millisecond, all of it seen: no way past it
        elif page_full and beyond and not rows and not filled_from_old_end:
            gaps.append((low, high, IGNORED_END))  # a full page past the window: this window's rows hidden below
        if unproven is not None:
            gaps.append((unproven[0], unproven[1], UNPROVEN))
        if endpoint in capped and not beyond and low < high:
            gaps.append((low, high, CAPPED))  # nothing under this cap says nothing about the rest of the window
        return gaps, None
    oldest, newest = rows[0]["timestamp"], rows[-1]["timestamp"]
    if beyond:
        # The answer ran past the window's end: from the old end, everything in the window was in it.
        if page_full and not filled_from_old_end:
            gaps.append((low, oldest, IGNORED_END))
        return gaps, None
    if page_full and not filled_from_old_end and unproven is None:
        unproven = [low, oldest]
    at_newest = {ident(r) for r in rows if r["timestamp"] == newest} | (seen if newest == low else set())
    short = not page_full
    return gaps, {"mode": "up", "since": newest, "seen": sorted(at_newest), "unproven": unproven, "short": short}
