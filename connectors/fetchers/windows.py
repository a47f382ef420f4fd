"""What the fetchers share: where a history starts, walking it in time windows, and calling ccxt.

A windowed endpoint (Binance deposits: 90 days; Bybit executions: 7 days) is walked oldest window first. Inside a
window the exchange pages its own way (offset, cursor, moving the end back); the stored cursor names the window
and, in the middle of one, the exchange's token, so a resumed walk asks for exactly the page after the last one
committed:

    {"window_start_ms": 1700000000000}                                          next window starts here
    {"window_start_ms": 1700000000000, "window_end_ms": …, "token": …}          inside a window

Deposits and withdrawals are not final when first seen, so two rules keep a later sync looking back for them:
- a record listed but not final yet (a deposit still confirming) holds the stored start back at its time, so the
  next sync sees it again once it settles, while this walk goes on (`WindowPage.hold_ms`); one pending longer than
  `HOLD_MAX_AGE_MS` is let go, and a walk given the fetch's report notes it there as a gap at the record's time
  (`sync.gap.pending_released`), so the sync says so instead of looking complete (`hold_if_recent` lets go silently:
  a fetcher that returns raw times lets the walk decide and note it);
- a record not listed yet when the sync asked (an exchange lists a deposit once it has seen it on chain, stamped
  with the time it did, which can be before the sync's `until`) is found because a walk that resumes from a stored
  cursor starts again `SETTLE_REREAD_MS` before `until` (`settling_start`). Records already stored are known by
  their natural keys, so the re-read stores nothing twice; it costs no extra request while the trailing span fits
  in the window the walk asks for anyway.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from connectors.diagnosis import RATE_LIMIT_STATUSES, error_facts
from connectors.diagnosis.facts import last_answer
from connectors.fetchers.base import CoverageGap, Cursor, FetchReport, Page, RateLimited
from connectors.profiles import Endpoint, EndpointSpec
from connectors.profiles.model import ENDPOINT_PHRASE_IDS
from connectors.records import NormalizedRecord, ms_to_utc
from i18n import Text, msgid

SECOND_MS = 1000
DAY_MS = 86_400_000
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Requests are signed a moment after the start is computed; stay this far inside a rolling lookback limit.
LOOKBACK_MARGIN_MS = 3_600_000
# A record still pending after this long is stuck, not settling: it no longer holds the cursor back, or one
# forgotten deposit would make every later sync walk again from it.
HOLD_MAX_AGE_MS = 14 * 86_400_000
# Deposits and withdrawals: how far before `until` a resumed walk reads again, for records the exchange listed late
# (not one of the four exchanges documents a listing delay; a deposit is stamped when the exchange sees it, so a
# late listing is a matter of minutes: a day is ample and still inside every window those endpoints have).
SETTLE_REREAD_MS = 86_400_000
SETTLING = frozenset({Endpoint.DEPOSITS, Endpoint.WITHDRAWALS})


def to_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def since_ms(since: datetime | None) -> int | None:
    return to_ms(since) if since is not None else None


def date_ms(day: date) -> int:
    return to_ms(datetime(day.year, day.month, day.day, tzinfo=UTC))


def span_ms(span: timedelta) -> int:
    return int(span.total_seconds() * 1000)


def now_ms() -> int:
    return time.time_ns() // 1_000_000


@dataclass(frozen=True, slots=True)
class Start:
    """Where to begin asking, and the history before it that the exchange cannot give (if any)."""

    ms: int
    gap: CoverageGap | None = None


def history_start(
    spec: EndpointSpec,
    *,
    requested_ms: int | None,
    exchange_name: str,
    opened: date | None = None,
    current_ms: int | None = None,
    default_history: timedelta | None = None,
) -> Start:
    """The first millisecond worth asking for.

    `requested_ms` is the cursor's or the caller's start (None: as far back as possible). Nothing exists before
    the exchange opened (`spec.earliest`, else `opened`), so starting there loses nothing. A rolling lookback
    limit (`spec.lookback`) does lose history: the range is returned as a gap with the reason. `default_history`
    bounds best-effort fetchers that know no limit at all; that bound is a gap too.
    """
    now = now_ms() if current_ms is None else current_ms
    earliest = spec.earliest or opened
    floor_ms = date_ms(earliest) if earliest is not None else None
    start = requested_ms
    if floor_ms is not None:
        start = floor_ms if start is None else max(start, floor_ms)
    reach_ms: int | None = None
    reason: Text | None = None
    if spec.lookback is not None:
        reach_ms = now - span_ms(spec.lookback) + LOOKBACK_MARGIN_MS
        reason = Text.of(msgid("sync.gap.lookback"), name=exchange_name, days=spec.lookback.days, phrase=spec.phrase)
    elif start is None and default_history is not None:
        reach_ms = now - span_ms(default_history)
        reason = Text.of(
            msgid("sync.gap.unknown_history"), name=exchange_name, days=default_history.days, phrase=spec.phrase
        )
    if reach_ms is None or reason is None:
        return Start(start if start is not None else 0)
    if start is not None and start >= reach_ms:
        return Start(start)
    gap_start = ms_to_utc(start) if start is not None else EPOCH
    gap = CoverageGap(spec.endpoint, gap_start, ms_to_utc(reach_ms), reason)
    return Start(reach_ms, gap)


# -------------------------------------------------------------------------------------------------- ccxt calls


def is_rate_limit(error: BaseException) -> bool:
    """Whether a ccxt error means "not now": a rate-limit error type, or an HTTP 429/418 answer of any body.

    ccxt's type alone is not enough: each exchange maps statuses its own way, and OKX maps 429 to
    ExchangeNotAvailable (a gateway's or CDN's 429 carries no OKX body), which would be retried as an outage.
    The status comes from `error_facts`: ccxt's generic HTTP handler writes it into the message
    ("okx GET <url> 429 Too Many Requests …"), and the client pool notes it on errors an exchange's own handler
    raised first (connectors.clients.keep_rate_limit_status).
    """
    # ccxt is already loaded when a client exists; importing lazily keeps `import connectors.fetchers` cheap.
    # In ccxt 4.5 RateLimitExceeded is a NetworkError, not a DDoSProtection (418 bans): both mean "not now".
    errors = importlib.import_module("ccxt.base.errors")
    if isinstance(error, errors.DDoSProtection | errors.RateLimitExceeded):
        return True
    return isinstance(error, errors.BaseError) and error_facts(error).status in RATE_LIMIT_STATUSES


def rate_limited(error: BaseException, client: Any, *, endpoint: Endpoint, market: str = "") -> RateLimited | None:
    """The RateLimited a ccxt error stands for (None: not a rate limit), honouring the answer's Retry-After.

    Call it right after the failed call: the failed answer's headers are this task's last answer (another task's
    request on the same client overwrites ccxt's copy). Nothing of ccxt's text is kept (it holds the signed URL
    and the exchange's words)."""
    if not is_rate_limit(error):
        return None
    answer = last_answer(client)
    return RateLimited(endpoint, retry_after_seconds(answer.headers if answer else None), market)


def header(headers: Mapping[str, Any] | None, name: str) -> str | None:
    for key, value in (headers or {}).items():
        if key.lower() == name.lower():
            return str(value)
    return None


def retry_after_seconds(headers: Mapping[str, Any] | None, current_ms: int | None = None) -> float | None:
    """Seconds to wait from a 429/418 answer: `Retry-After` (Binance and most), else Bybit's reset timestamp."""
    text = header(headers, "Retry-After")
    if text is not None:
        try:
            return max(0.0, float(text))
        except ValueError:
            return None
    reset = header(headers, "X-Bapi-Limit-Reset-Timestamp")
    if reset is not None and reset.isdigit():
        now = now_ms() if current_ms is None else current_ms
        return max(0.0, (int(reset) - now) / 1000)
    return None


async def call(
    client: Any,
    method: str,
    params: Mapping[str, Any],
    *,
    endpoint: Endpoint,
    report: FetchReport,
    market: str = "",
) -> Any:
    """One ccxt implicit-API call, counted; a rate-limit answer becomes RateLimited (without ccxt's text, which
    holds the signed URL). Other ccxt errors propagate for the diagnosis."""
    report.requests += 1
    try:
        return await getattr(client, method)(dict(params))
    except Exception as exc:
        stop = rate_limited(exc, client, endpoint=endpoint, market=market)
        if stop is not None:
            raise stop from None
        raise


async def call_unified(
    client: Any,
    method: str,
    *args: Any,
    endpoint: Endpoint,
    report: FetchReport,
    market: str = "",
) -> Any:
    """Like `call` for ccxt's unified methods (`fetch_my_trades(symbol, since, limit, params)`)."""
    report.requests += 1
    try:
        return await getattr(client, method)(*args)
    except Exception as exc:
        stop = rate_limited(exc, client, endpoint=endpoint, market=market)
        if stop is not None:
            raise stop from None
        raise


# -------------------------------------------------------------------------------------------------- windows


@dataclass(slots=True)
class WindowPage:
    """One exchange page inside a window: its records, the token of the next page (None: the window is done)
    and the time of the earliest record that is not final yet (the stored cursor must not pass it), or the times of
    every such record (`pending`: each one too old to hold the cursor is noted by a walk given the report)."""

    records: list[NormalizedRecord]
    token: Any = None
    hold_ms: int | None = None
    pending: list[int] = field(default_factory=list)

    def keep(self, record: NormalizedRecord | None, hold_ms: int | None) -> None:
        """One row as a parser read it: its record, if it is one, and the time it holds the cursor at, the earliest
        of the page kept."""
        if record is not None:
            self.records.append(record)
        if hold_ms is not None and (self.hold_ms is None or hold_ms < self.hold_ms):
            self.hold_ms = hold_ms


FetchWindowPage = Callable[[int, int, Any], Awaitable[WindowPage]]


@dataclass(slots=True)
class _Hold:
    ms: int | None = None

    def add(self, ms: int | None) -> None:
        if ms is not None and (self.ms is None or ms < self.ms):
            self.ms = ms


def released_gap(endpoint: Endpoint, ms: int) -> CoverageGap:
    """The note that a record pending past `HOLD_MAX_AGE_MS` no longer holds the cursor: should it settle later, no
    sync looks for it again, so the user is told its time and to add it by file upload."""
    moment = ms_to_utc(ms)
    reason = Text.of(
        msgid("sync.gap.pending_released"),
        phrase=Text.of(ENDPOINT_PHRASE_IDS[endpoint]),
        when=moment.strftime("%Y-%m-%d %H:%M:%S UTC"),
        days=HOLD_MAX_AGE_MS // DAY_MS,
    )
    return CoverageGap(endpoint, moment, moment, reason)


@dataclass(slots=True)
class WindowWalk:
    """Walks [start, until] in windows of `span` ms, oldest first, one Page per exchange page."""

    endpoint: Endpoint
    span: int
    fetch_page: FetchWindowPage
    market: str = ""
    # Deposits and withdrawals of the four deep exchanges: a resumed walk re-reads the trailing day (settling_start).
    # ccxt's unified lists (generic.py) page by their own tokens, whose order probe this would disturb: off there.
    rereads_late_listings: bool = False
    # Where a pending record let go (older than HOLD_MAX_AGE_MS) is noted; None: the fetcher ages its holds itself.
    report: FetchReport | None = None
    clock: Callable[[], int] = now_ms
    _hold: _Hold = field(default_factory=_Hold)

    async def pages(
        self, *, start_ms: int, until_ms: int, cursor: Cursor | None, floor_ms: int | None = None
    ) -> AsyncIterator[Page]:
        """`floor_ms`: the earliest time asked for (the user's sync-from date), which a re-read never passes."""
        if self.rereads_late_listings:
            start_ms = settling_start(self.endpoint, start_ms, until_ms=until_ms, cursor=cursor, floor_ms=floor_ms)
        window_start = start_ms
        fixed_end: int | None = None
        token: Any = None
        if cursor and cursor.get("window_end_ms") is not None and int(cursor["window_start_ms"]) == start_ms:
            # Resume inside the window the last committed page left unfinished, with its own end.
            fixed_end, token = int(cursor["window_end_ms"]), cursor.get("token")
        while window_start <= until_ms:
            window_end = fixed_end if fixed_end is not None else min(window_start + self.span - 1, until_ms)
            page = await self.fetch_page(window_start, window_end, token)
            for held in (page.hold_ms, *page.pending):
                self._hold.add(self._settling(held))
            if page.token is None:
                next_start = window_end + 1
                stored: Cursor = {"window_start_ms": next_start}
                covered = window_end
            else:
                next_start = window_start
                stored = {"window_start_ms": window_start, "window_end_ms": window_end, "token": page.token}
                covered = window_start - 1
            if self._hold.ms is not None and self._hold.ms < int(stored["window_start_ms"]):
                stored = {"window_start_ms": self._hold.ms}  # see the unfinished record again next sync
            yield Page(self.endpoint, tuple(page.records), stored, ms_to_utc(max(covered, 0)), self.market)
            if page.token is None:
                window_start, fixed_end, token = next_start, None, None
            else:
                fixed_end, token = window_end, page.token

    def _settling(self, hold_ms: int | None) -> int | None:
        """The hold a page's pending record keeps, or None when it is too old to be settling (noted as a gap)."""
        if hold_ms is None or self.report is None or hold_if_recent(hold_ms, self.clock()) is not None:
            return hold_ms
        gap = released_gap(self.endpoint, hold_ms)
        if gap not in self.report.gaps:
            self.report.gaps.append(gap)
        return None


def settling_start(
    endpoint: Endpoint, start_ms: int, *, until_ms: int, cursor: Cursor | None, floor_ms: int | None = None
) -> int:
    """Where a walk resumed from a settled cursor starts: for deposits and withdrawals no later than
    `SETTLE_REREAD_MS` before `until` (see the module's docstring), never before `floor_ms`. A first walk (no
    cursor) and a walk interrupted inside a window start where they are."""
    if endpoint not in SETTLING or not cursor or cursor.get("window_end_ms") is not None:
        return start_ms
    return max(min(start_ms, until_ms - SETTLE_REREAD_MS), floor_ms if floor_ms is not None else 0)


def hold_if_recent(ms: int, current_ms: int | None = None) -> int | None:
    """The time a not-yet-final record holds the cursor at, or None if it is too old to be settling."""
    now = now_ms() if current_ms is None else current_ms
    return ms if now - ms <= HOLD_MAX_AGE_MS else None


def cursor_start(cursor: Cursor | None) -> int | None:
    """The start a windowed cursor names, if any."""
    if not cursor or cursor.get("window_start_ms") is None:
        return None
    return int(cursor["window_start_ms"])


def walk_begin(
    spec: EndpointSpec,
    cursor: Cursor | None,
    since: datetime | None,
    report: FetchReport,
    *,
    exchange_name: str,
    opened: date | None = None,
    default_history: timedelta | None = None,
) -> int:
    """Where a windowed walk starts: the cursor's window, else `since`, else as far back as the list reaches
    (`history_start`); the history out of reach is noted in the report once."""
    requested = cursor_start(cursor)
    if requested is None and since is not None:
        requested = to_ms(since)
    start = history_start(
        spec, requested_ms=requested, exchange_name=exchange_name, opened=opened, default_history=default_history
    )
    if start.gap is not None and start.gap not in report.gaps:
        report.gaps.append(start.gap)
    return start.ms


def cursor_window_request(
    params: Mapping[str, Any], window_start: int, window_end: int, limit: int, token: Any
) -> dict[str, Any]:
    """One page's request of a time-windowed list that pages on with ``cursor=<token>`` (none on the first page)."""
    request: dict[str, Any] = {**params, "startTime": window_start, "endTime": window_end, "limit": limit}
    if token:
        request["cursor"] = token
    return request
