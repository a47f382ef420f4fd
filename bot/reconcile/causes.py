"""The most likely cause of a difference between the exchange's balance and the history's, from the coverage the
syncs recorded: an endpoint that failed, history before the API's reach, before the chosen sync-from date, a kind
the user switched off, the key may not read or Tallybot does not fetch, or, for an asset that quotes markets, trades
in a market not found.

A cause is a code with arguments (endpoint codes, ISO dates): never English, rendered by the views.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

EPOCH_YEAR = 1990  # a gap starting before this is open-ended: "from the account's start"


class Cause(StrEnum):
    ENDPOINT_FAILED = "endpoint_failed"
    BEFORE_REACH = "before_reach"
    BEFORE_SYNC_FROM = "before_sync_from"
    KIND_OFF = "kind_off"
    KEY_DENIED = "key_denied"  # the key may not read a kind (Bybit's Earn unticked): give it the permission
    NOT_FETCHED = "not_fetched"
    QUOTE_MARKETS = "quote_markets"
    QUOTE_SCANNING = "quote_scanning"  # QUOTE_MARKETS while a scan of that quote's markets runs (scan.py)
    UNKNOWN = "unknown"


# Which kinds of history can bring an asset in (the exchange holds more than the history explains) or take it out.
INFLOW_KINDS = ("deposits", "spot_trades", "convert", "earn_rewards", "funding", "futures_trades", "ledger")
OUTFLOW_KINDS = ("withdrawals", "spot_trades", "convert", "funding", "futures_trades", "ledger")


@dataclass(frozen=True, slots=True)
class Gap:
    endpoint: str
    start: date | None  # None: from the account's start
    end: date
    market: str = ""  # "BASE/QUOTE" when the gap is one market's ("": every asset's)

    def concerns(self, asset: str) -> bool:
        # Only a unified symbol names its assets; an exchange's own id (BTCUSDT) cannot be split, so it concerns all.
        if "/" not in self.market:
            return True
        return asset in self.market.split(":")[0].split("/")


@dataclass(slots=True)
class Coverage:
    """What the syncs recorded about the history they could not bring."""

    failed: list[str] = field(default_factory=list)  # endpoints whose last sync failed
    gaps: list[Gap] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # endpoints the last sync did not fetch
    unused: list[str] = field(default_factory=list)  # of those, kinds the account showed no sign of using
    denied: list[str] = field(default_factory=list)  # of those, kinds the key may not read
    switched_off: list[str] = field(default_factory=list)  # endpoints the user turned off
    off_by_default: list[str] = field(default_factory=list)  # offered, off for a new account, not switched on
    sync_from: date | None = None


def coverage_from(
    summaries: Iterable[Mapping[str, Any]],
    *,
    offered: Iterable[str],
    enabled: Iterable[str],
    sync_from: date | None,
    defaults: Iterable[str] | None = None,
) -> Coverage:
    """`summaries`: the syncs' run summaries, newest first; `offered` (every endpoint the profile offers the key),
    `enabled` and `defaults` (on for a new account; None: every offered one): endpoint codes."""
    coverage = Coverage(sync_from=sync_from)
    wanted = set(enabled)
    usual = set(offered if defaults is None else defaults)
    unsynced = [endpoint for endpoint in offered if endpoint not in wanted]
    coverage.switched_off = [endpoint for endpoint in unsynced if endpoint in usual]
    coverage.off_by_default = [endpoint for endpoint in unsynced if endpoint not in usual]
    newest = True
    for summary in summaries:
        endpoints: Mapping[str, Any] = summary.get("endpoints") or {}
        for endpoint, result in endpoints.items():
            if newest and result.get("status") == "failed":
                coverage.failed.append(endpoint)
            if newest and result.get("status") == "skipped":
                (coverage.unused if result.get("unused") else coverage.skipped).append(endpoint)
                if result.get("denied"):
                    coverage.denied.append(endpoint)
            for gap in result.get("gaps") or ():
                if gap.get("end"):
                    start = _day(gap.get("start"))
                    begins = start if start is not None and start.year >= EPOCH_YEAR else None
                    end = _day(gap["end"]) or date.min
                    coverage.gaps.append(Gap(endpoint, begins, end, str(gap.get("market") or "")))
        newest = False
    return coverage


def likely_cause(
    asset: str,
    difference: Decimal,
    coverage: Coverage,
    quotes: frozenset[str],
    scanned: frozenset[str] = frozenset(),
) -> tuple[Cause, dict[str, Any]]:
    """`difference` is the exchange's balance minus the history's; `quotes`: the assets that quote markets;
    `scanned`: those whose markets a scan already searched to the end."""
    kinds = INFLOW_KINDS if difference > 0 else OUTFLOW_KINDS
    if coverage.failed:
        return Cause.ENDPOINT_FAILED, {"endpoints": coverage.failed}
    gaps = sorted(
        # A market's gap explains only its two assets: it must not hide another asset's cause.
        (gap for gap in coverage.gaps if gap.endpoint in kinds and gap.end != date.min and gap.concerns(asset)),
        key=lambda gap: (kinds.index(gap.endpoint), gap.end),
    )
    if gaps:
        gap = gaps[0]
        return Cause.BEFORE_REACH, {
            "endpoint": gap.endpoint,
            "until": gap.end.isoformat(),
            "from_year": gap.start.year if gap.start else None,
        }
    # A kind switched off or not fetched is certain to be missing; history before the sync-from date only may be.
    if coverage.switched_off:
        return Cause.KIND_OFF, {"endpoints": coverage.switched_off}
    # Denied before not fetched: Tallybot does fetch that kind; this key cannot read it, and a new key is the fix.
    if coverage.denied:
        return Cause.KEY_DENIED, {"endpoints": coverage.denied}
    if coverage.skipped:
        return Cause.NOT_FETCHED, {"endpoints": coverage.skipped}
    if coverage.sync_from is not None:
        return Cause.BEFORE_SYNC_FROM, {"date": coverage.sync_from.isoformat()}
    if asset in quotes - scanned:
        return Cause.QUOTE_MARKETS, {"asset": asset}
    # A kind skipped because the account shows no sign of using it (no futures wallet, say) or off by default that
    # can move this asset was never read: the cause of a difference no market scan can find (its quote's markets
    # already scanned, or the asset quotes none), never "unknown".
    unused = [endpoint for endpoint in coverage.unused if endpoint in kinds]
    if unused:
        return Cause.NOT_FETCHED, {"endpoints": unused}
    unread = [endpoint for endpoint in coverage.off_by_default if endpoint in kinds]
    if unread:
        return Cause.KIND_OFF, {"endpoints": unread}
    if asset in quotes:
        return Cause.QUOTE_MARKETS, {"asset": asset}  # scanned, still unexplained: a market since delisted, say
    return Cause.UNKNOWN, {}


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text[:10]) if text else None
