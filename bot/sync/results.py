"""What a sync reports: per endpoint and in total, plus the progress events sent while it runs. Plain data."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from connectors.diagnosis import Diagnosis
from connectors.profiles import Endpoint
from i18n import Text, render


class EndpointStatus(StrEnum):
    """How an endpoint's sync ended (ok, partial, failed, skipped) or, in progress events, where it is."""

    QUEUED = "queued"  # progress only: waiting for a free sync slot or for its turn
    RUNNING = "running"  # progress only
    OK = "ok"
    PARTIAL = "partial"  # rate limited, timed out or cut off by a lookback limit: see `gaps`
    FAILED = "failed"  # see `diagnosis`
    SKIPPED = "skipped"  # not offered by the exchange or for this key type, or not fetched by Tallybot

    @property
    def finished(self) -> bool:
        return self not in (EndpointStatus.QUEUED, EndpointStatus.RUNNING)


class SyncStatus(StrEnum):
    """How a whole sync ended; the values are `IntegrationStatus` values."""

    OK = "ok"
    PARTIAL = "partial"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class SyncGap:
    """History this sync could not bring: the range (None: open-ended) and why.

    `why` is a catalogue text; a `str` only where a fetcher not migrated yet still words its reason itself.
    `not_read`: the range holds a product the account shows that Tallybot does not read yet (CoverageGap.not_read):
    certainly missing, not out of the API's reach, and no file Tallybot reads fills it.
    """

    endpoint: Endpoint
    start: datetime | None
    end: datetime | None
    why: Text | str
    market: str = ""
    not_read: bool = False

    @property
    def reason(self) -> str:
        """The reason in English, for views that do not render per locale yet."""
        return render(self.why)

    def to_json(self) -> dict[str, Any]:
        return {
            "start": _iso(self.start),
            "end": _iso(self.end),
            "reason": stored(self.why),
            "market": self.market,
            # Only when set: a summary stored before the flag (or without it) reads as an ordinary gap.
            **({"not_read": True} if self.not_read else {}),
        }


@dataclass(frozen=True, slots=True)
class EndpointResult:
    """One endpoint of one sync."""

    endpoint: Endpoint
    label: str
    status: EndpointStatus
    fetched: int = 0  # records the exchange returned
    new: int = 0  # of those, stored for the first time
    known: int = 0  # of those, already stored (an earlier sync or a file upload)
    covered_from: datetime | None = None  # None: from the start of the exchange's history
    covered_until: datetime | None = None  # complete up to here
    duration: float = 0.0  # seconds
    requests: int = 0
    pages: int = 0
    diagnosis: Diagnosis | None = None  # why it failed, is partial, or is not offered
    gaps: tuple[SyncGap, ...] = ()
    notice: Text | None = None  # why it was skipped
    unused: bool = False  # skipped as a kind the account shows no sign of using: no history of it is missing
    denied: bool = False  # skipped because the key may not read this kind: its history is missing
    # Skipped because the account holds a product of this kind that Tallybot does not read yet (KuCoin's unified
    # futures, Gate's options alone): neither unused nor denied, its history is certainly missing.
    not_read: bool = False
    markets_scanned: tuple[str, ...] = ()
    markets_not_scanned: Mapping[str, str] = field(default_factory=dict)  # market -> why not
    label_text: Text | str = ""  # the label as a catalogue text (`label` is its English), for views per locale
    phrase: Text | str = ""  # the kind of history inside a sentence ("deposits 4"), for views per locale

    @property
    def note(self) -> str:
        """Why it was skipped, in English ("" when it was not), for views that do not render per locale yet."""
        return render(self.notice) if self.notice is not None else ""

    def to_json(self) -> dict[str, Any]:
        return {
            "status": str(self.status),
            "fetched": self.fetched,
            "new": self.new,
            "known": self.known,
            "covered_from": _iso(self.covered_from),
            "covered_until": _iso(self.covered_until),
            "duration": round(self.duration, 3),
            "requests": self.requests,
            "pages": self.pages,
            "diagnosis": str(self.diagnosis.code) if self.diagnosis else None,
            "gaps": [gap.to_json() for gap in self.gaps],
            "note": stored(self.notice),
            **({"unused": True} if self.unused else {}),
            **({"denied": True} if self.denied else {}),
            **({"not_read": True} if self.not_read else {}),
            "markets_scanned": len(self.markets_scanned),
            "markets_not_scanned": len(self.markets_not_scanned),
        }


@dataclass(frozen=True, slots=True)
class SyncResult:
    """One sync of one integration. Totals are sums over `endpoints`."""

    integration_id: int
    account_name: str
    exchange_id: str
    exchange_name: str
    run_id: int
    status: SyncStatus
    status_detail: str | None  # a DiagnosisCode value when not ok
    diagnosis: Diagnosis | None  # what stopped the whole integration (authentication), if anything
    endpoints: tuple[EndpointResult, ...]
    started_at: datetime
    finished_at: datetime
    sync_from: date | None = None

    @property
    def fetched(self) -> int:
        return sum(e.fetched for e in self.endpoints)

    @property
    def new(self) -> int:
        return sum(e.new for e in self.endpoints)

    @property
    def known(self) -> int:
        return sum(e.known for e in self.endpoints)

    @property
    def requests(self) -> int:
        return sum(e.requests for e in self.endpoints)

    @property
    def duration(self) -> float:
        return (self.finished_at - self.started_at).total_seconds()

    @property
    def gaps(self) -> tuple[SyncGap, ...]:
        return tuple(gap for e in self.endpoints for gap in e.gaps)

    @property
    def fillable_gaps(self) -> tuple[SyncGap, ...]:
        """The gaps an uploaded file could fill: not a product Tallybot does not read yet, for none of those has a
        file reader either (bot/reconcile/causes.py, Product.file_reader)."""
        return tuple(gap for gap in self.gaps if not gap.not_read)

    @property
    def markets_scanned(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(m for e in self.endpoints for m in e.markets_scanned))

    def endpoint(self, endpoint: Endpoint) -> EndpointResult | None:
        return next((e for e in self.endpoints if e.endpoint is endpoint), None)

    def to_json(self) -> dict[str, Any]:
        """The SyncRun summary."""
        return {
            "status": str(self.status),
            "detail": self.status_detail,
            "fetched": self.fetched,
            "new": self.new,
            "known": self.known,
            "requests": self.requests,
            "duration": round(self.duration, 3),
            "sync_from": self.sync_from.isoformat() if self.sync_from else None,
            "endpoints": {str(e.endpoint): e.to_json() for e in self.endpoints},
        }


@dataclass(frozen=True, slots=True)
class EndpointProgress:
    """One endpoint's line in a progress message."""

    endpoint: Endpoint
    label: Text | str  # a catalogue text, rendered in the reader's locale
    state: EndpointStatus
    fetched: int = 0
    new: int = 0
    known: int = 0
    market: str = ""  # the market being fetched now (per-market endpoints)
    covered_until: datetime | None = None
    diagnosis: Diagnosis | None = None


@dataclass(frozen=True, slots=True)
class ProgressEvent:
    """Sent as a sync advances: when it waits for a slot, as each endpoint starts, after every committed page,
    as each endpoint ends, and once at the end (`endpoint` None, `state` the sync's outcome).

    `endpoint`, `market`, `state` and the counts describe what just happened; `endpoints` is every endpoint's
    line as of now, in sync order, so a handler can redraw one message from the latest event alone.
    """

    integration_id: int
    account_name: str
    exchange_name: str
    endpoint: Endpoint | None
    market: str
    state: EndpointStatus
    fetched: int
    new: int
    known: int
    endpoints: tuple[EndpointProgress, ...]

    @property
    def total_fetched(self) -> int:
        return sum(e.fetched for e in self.endpoints)

    @property
    def total_new(self) -> int:
        return sum(e.new for e in self.endpoints)

    @property
    def total_known(self) -> int:
        return sum(e.known for e in self.endpoints)


class SyncError(Exception):
    """A sync that could not run or could not finish. `text` says why, for the user; `str()` is its English, for
    views that do not render per locale yet."""

    def __init__(self, text: Text) -> None:
        super().__init__(render(text))
        self.text = text


class SyncAlreadyRunning(SyncError):
    """Another sync of this integration holds its lease (in this process or another one).

    `progress` is that sync's latest event when it runs in this process (None otherwise); `expires_at` is when
    its lease lapses unless renewed.
    """

    def __init__(self, integration_id: int, *, progress: ProgressEvent | None, expires_at: datetime | None) -> None:
        self.integration_id = integration_id
        self.progress = progress
        self.expires_at = expires_at
        super().__init__(Text.of("sync.refused.already_running"))


class SyncLeaseLost(SyncError):
    """The lease went to another holder while this sync ran (it stalled past the lease's expiry): this sync
    stopped writing at once. What it committed before stays; the other sync carries on from there."""

    def __init__(self, integration_id: int) -> None:
        self.integration_id = integration_id
        super().__init__(Text.of("sync.refused.taken_over"))


def stored(text: Text | str | None) -> dict[str, Any] | str | None:
    """A text as the database keeps it: a `Text` as its id and arguments (read back with i18n.from_stored); a
    fetcher's own words, not in the catalogue yet, as they are."""
    return text.to_json() if isinstance(text, Text) else text


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None
