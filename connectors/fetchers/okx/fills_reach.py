"""Where a derivatives fills list could not reach: a trade bill there keeps its own fee.

A trade bill's fee is its fill's (derivatives.py, "Counting each amount once"): the fill carries it and the bill's
realized profit and loss leaves it out. But fills-history reaches one year, while bills older than three months come
from OKX's quarterly files back to 2021-02-01 (archive.py): a bill whose fill lay beyond the fills walk's reach when
that walk ran has no fill stored, and only the bill holds the fee (review finding 4).

So each fills walk keeps, in its own cursor, the ranges it could not give (its lookback gap: from what was asked for,
or from what an earlier sync committed, up to the reach), reported or not:

    {"p": ..., "ids": [...], "ms": ..., "key": "billId", "unreached": [[from_ms, to_ms], ...]}

A later sync reading a quarter still finds them. A bill of the same instType whose `ts` falls in one keeps its fee;
every other trade bill's fee stays its fill's. The line is the walk's own start, so a fill is either stored or its
bill keeps the fee, never both and never neither (a fill and its bill share `billId` and, in the documented
examples, `ts`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from connectors.fetchers.base import Cursor, Page

if TYPE_CHECKING:
    from connectors.fetchers.okx.derivatives import DerivativeRows, SubWalk

Span = tuple[int, int]


class FillsReach:
    """The unreached ranges of one fills walk (a FILL sub-walk, keyed by its instType), shared with the bill reader."""

    def __init__(self, sub: SubWalk, rows: DerivativeRows, stored: Cursor | None) -> None:
        self.inst_type = sub.market
        self.rows = rows
        self.ranges = merged(_load(stored))
        rows.no_fills[self.inst_type] = self.ranges

    def kept(self, page: Page, unreached: Span | None) -> Page:
        """The page with the walk's unreached range added to its cursor (and told to the bill reader)."""
        if unreached is not None and unreached[1] > unreached[0]:
            self.ranges = merged([*self.ranges, unreached])
            self.rows.no_fills[self.inst_type] = self.ranges
        if not self.ranges:
            return page
        return replace(page, cursor={**page.cursor, "unreached": [list(span) for span in self.ranges]})


def _load(stored: Mapping[str, Any] | None) -> list[Span]:
    return [(int(a), int(b)) for a, b in (stored or {}).get("unreached", ())]


def merged(spans: list[Span]) -> list[Span]:
    result: list[Span] = []
    for start, end in sorted(spans):
        if result and start <= result[-1][1]:
            result[-1] = (result[-1][0], max(result[-1][1], end))
        else:
            result.append((start, end))
    return result
