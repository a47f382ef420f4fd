"""Bills older than bills-archive's three months, read from OKX's quarterly files (archive_files.py) into the same
records as the bills-archive walk that precedes it (derivatives.py): realized P&L, funding fees, interest.

After a bills list's walk, the range it could not reach (its lookback gap, kept by signs.py only when the account
shows use before it) is taken over here: for each past quarter since 2021-02-01 that holds some of it, the file is
applied for, its link asked for and the file read. A quarter OKX is still preparing stays a gap that says so ("sync
again later") and stays in this list's cursor, so the next sync, which no longer meets the gap, picks it up.

Cursor (market key "<list>:ARCHIVE", "ARCHIVE" for a list keyed ""):

    {"need": [[from_ms, to_ms], ...], "done": ["2025Q3", ...], "applied": {"2025Q4": ms}, "failures": {"2025Q4": 1}}

`need` is what is still to be read; `done` the quarters read (never downloaded again for this list); `applied` when
OKX received the application of a quarter not read yet (it holds for 30 days).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from connectors.fetchers.base import CoverageGap, Cursor, FetchReport, Page
from connectors.fetchers.okx.archive_files import ArchiveFiles, FileState, Quarter, quarters_over
from connectors.fetchers.okx.derivatives import SubWalk
from connectors.fetchers.okx.reach import BILLS_HISTORY_SINCE, OKX_OPENED
from connectors.fetchers.okx.rows import Parsed
from connectors.fetchers.windows import date_ms, now_ms, to_ms
from connectors.profiles import EndpointSpec
from connectors.records import NormalizedRecord, ms_to_utc
from i18n import Text, msgid

LOOKBACK_GAP = msgid("sync.gap.lookback")
Span = tuple[int, int]


def archive_market(sub: SubWalk) -> str:
    return f"{sub.market}:ARCHIVE" if sub.market else "ARCHIVE"


@dataclass(slots=True)
class ArchiveCursor:
    need: list[Span] = field(default_factory=list)
    done: set[str] = field(default_factory=set)
    applied: dict[str, int] = field(default_factory=dict)
    failures: dict[str, int] = field(default_factory=dict)

    @classmethod
    def load(cls, stored: Mapping[str, Any] | None) -> ArchiveCursor:
        stored = stored or {}
        return cls(
            [(int(a), int(b)) for a, b in stored.get("need", ())],
            {str(q) for q in stored.get("done", ())},
            {str(q): int(ms) for q, ms in (stored.get("applied") or {}).items()},
            {str(q): int(n) for q, n in (stored.get("failures") or {}).items()},
        )

    def dump(self) -> Cursor:
        return {
            "need": [list(span) for span in self.need],
            "done": sorted(self.done),
            "applied": dict(sorted(self.applied.items())),
            "failures": dict(sorted(self.failures.items())),
        }

    def add(self, span: Span) -> None:
        pieces = [span]
        for name in self.done:  # a quarter read is never downloaded again
            quarter = Quarter.parse(name)
            pieces = [piece for have in pieces for piece in _minus(have, (quarter.start_ms, quarter.end_ms))]
        self.need = _merged([*self.need, *pieces])

    def remove(self, span: Span) -> None:
        self.need = [piece for have in self.need for piece in _minus(have, span)]


async def fill_from_archive(
    files: ArchiveFiles,
    spec: EndpointSpec,
    sub: SubWalk,
    parse: Callable[[Mapping[str, Any]], Parsed],
    *,
    report: FetchReport,
    first_gap: int,
    cursor: Cursor | None,
    until: datetime,
) -> AsyncIterator[Page]:
    """Reads the quarters the list's lookback gaps (report.gaps[first_gap:]) and its cursor's `need` hold."""
    state = ArchiveCursor.load(cursor)
    fresh = [g for g in report.gaps[first_gap:] if g.reason.id == LOOKBACK_GAP]
    if not fresh and not state.need:
        return
    report.gaps[first_gap:] = [g for g in report.gaps[first_gap:] if g.reason.id != LOOKBACK_GAP]
    for gap in fresh:
        state.add((max(to_ms(gap.start), date_ms(OKX_OPENED)), to_ms(gap.end)))
    market = archive_market(sub)
    if fresh:  # committed before any request: a sync stopped below still leaves the range to the next one
        yield Page(spec.endpoint, (), state.dump(), until, market)
    since_ms, current_ms = date_ms(BILLS_HISTORY_SINCE), Quarter.of(now_ms()).start_ms
    for start, end in list(state.need):
        if start < since_ms:  # before any quarter OKX archives: said once, not kept
            before = Text.of("sync.gap.okx.bills_since", phrase=spec.phrase, date=BILLS_HISTORY_SINCE.isoformat())
            _gap(report, spec, (start, min(end, since_ms)), before)
            state.remove((start, since_ms))
        if end > current_ms:  # the current quarter is archived once it has ended: kept for a later sync
            days = sub.lookback.days if sub.lookback else 0
            reason = Text.of(LOOKBACK_GAP, name="OKX", days=days, phrase=spec.phrase)
            _gap(report, spec, (max(start, current_ms), end), reason)
    spans = [(max(s, since_ms), min(e, current_ms)) for s, e in state.need]
    quarters = sorted({q for s, e in spans for q in quarters_over(s, e)}, reverse=True)
    waiting: dict[bool, list[tuple[Quarter, Span]]] = {}  # failed twice or not: the quarters still to come
    for quarter in quarters:
        span = (quarter.start_ms, quarter.end_ms)
        wanted = [piece for have in state.need if (piece := _within(have, span)) is not None]
        got = await files.quarter(
            quarter, state.applied.get(quarter.name), state.failures.get(quarter.name, 0), spec.endpoint, report
        )
        if got.state is not FileState.FINISHED:
            _note(state, quarter, got.applied_ms, got.failures)
            waiting.setdefault(got.state is FileState.FAILED, []).extend((quarter, piece) for piece in wanted)
            yield Page(spec.endpoint, (), state.dump(), until, market)  # the application, kept at once
            continue
        records = _records(got.rows, sub, parse, wanted)
        state.done.add(quarter.name)
        state.applied.pop(quarter.name, None)
        state.failures.pop(quarter.name, None)
        state.remove(span)
        yield Page(spec.endpoint, tuple(records), state.dump(), until, market)
    for failed, pieces in waiting.items():
        # One gap per cause over the quarters it holds, so /status says it once, not once per quarter.
        first, last = min(q for q, _ in pieces), max(q for q, _ in pieces)
        label = _label(first) if first == last else f"{_label(first)} – {_label(last)}"
        msg = msgid("sync.gap.okx.archive_failed") if failed else msgid("sync.gap.okx.archive_preparing")
        span = (min(p[0] for _, p in pieces), max(p[1] for _, p in pieces))
        _gap(report, spec, span, Text.of(msg, phrase=spec.phrase, quarter=label))
    yield Page(spec.endpoint, (), state.dump(), until, market)


def _records(
    rows: list[dict[str, str]], sub: SubWalk, parse: Callable[[Mapping[str, Any]], Parsed], wanted: list[Span]
) -> list[NormalizedRecord]:
    """The file's rows of this list (its fixed filters: instType or type) within the wanted ranges, read as the
    list's own rows are."""
    records = []
    for row in rows:
        if any(str(row.get(name, "")) != str(value) for name, value in sub.feed.params.items()):
            continue
        ts = int(row.get("ts") or 0)
        if not any(start <= ts < end for start, end in wanted):
            continue
        record, _ = parse(row)
        if record is not None:
            records.append(record)
    return records


def _note(state: ArchiveCursor, quarter: Quarter, applied_ms: int | None, failures: int) -> None:
    if applied_ms is not None:
        state.applied[quarter.name] = applied_ms
    else:
        state.applied.pop(quarter.name, None)
    if failures:
        state.failures[quarter.name] = failures


def _label(quarter: Quarter) -> str:
    return f"{quarter.year} Q{quarter.number}"


def _gap(report: FetchReport, spec: EndpointSpec, span: Span, reason: Text) -> None:
    if span[1] > span[0]:
        report.gaps.append(CoverageGap(spec.endpoint, ms_to_utc(span[0]), ms_to_utc(span[1]), reason))


def _within(span: Span, bounds: Span) -> Span | None:
    start, end = max(span[0], bounds[0]), min(span[1], bounds[1])
    return (start, end) if end > start else None


def _minus(span: Span, cut: Span) -> list[Span]:
    pieces = [(span[0], min(span[1], cut[0])), (max(span[0], cut[1]), span[1])]
    return [piece for piece in pieces if piece[1] > piece[0]]


def _merged(spans: list[Span]) -> list[Span]:
    merged: list[Span] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged
