"""What one sync will do: the integration as the sync sees it, and its endpoints in order, each with a label and,
for one Tallybot will not fetch, why (the note and diagnosis the result will carry).

Also how the endpoints' outcomes add up to the sync's own status. No I/O in here.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from bot.sync.results import EndpointResult, EndpointStatus, SyncStatus
from connectors.diagnosis import Diagnosis, DiagnosisCode, diagnosis_for
from connectors.fetchers.registry import sync_order
from connectors.profiles import Endpoint, ExchangeProfile, KeyType
from connectors.profiles.model import ENDPOINT_LABEL_IDS, ENDPOINT_PHRASE_IDS
from i18n import Text, render

log = logging.getLogger(__name__)

# A fetcher's discovery page (the evidence of a per-market endpoint) says "complete up to the epoch".
_NOT_A_TIME = datetime(1970, 1, 2, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class SyncTarget:
    """The integration being synced, as the sync needs it."""

    telegram_user_id: int
    integration_id: int
    account_name: str
    exchange_id: str
    profile: ExchangeProfile
    kind: KeyType
    sync_from: date | None
    endpoints: tuple[str, ...]
    scan_quotes: frozenset[str] = frozenset()  # a quote scan's quotes (bot/reconcile/scan.py)

    @property
    def since(self) -> datetime | None:
        day = self.sync_from
        return datetime(day.year, day.month, day.day, tzinfo=UTC) if day is not None else None


@dataclass(frozen=True, slots=True)
class PlannedEndpoint:
    endpoint: Endpoint
    label: str  # English, for views that do not render per locale yet
    phrase: Text | str  # the kind of history inside a sentence
    label_text: Text | str  # the label, for a line of its own (rendered per locale)
    skip_notice: Text | None = None
    skip_diagnosis: Diagnosis | None = None


def plan_endpoints(target: SyncTarget) -> list[PlannedEndpoint]:
    """The integration's chosen endpoints (else the key type's defaults) in sync order; those the exchange does not
    offer, or not to this kind of key, planned as skipped with the reason."""
    profile, key_type = target.profile, target.kind.id
    names = target.endpoints or tuple(str(s.endpoint) for s in profile.default_endpoints(key_type))
    wanted: list[Endpoint] = []
    for name in names:
        try:
            wanted.append(Endpoint(name))
        except ValueError:
            log.warning("integration %d names an unknown endpoint; left out", target.integration_id)
    plan: list[PlannedEndpoint] = []
    for endpoint in sync_order(wanted):
        spec = profile.endpoint(endpoint, key_type)
        if spec is not None:
            plan.append(PlannedEndpoint(endpoint, render(spec.label_text), spec.phrase, spec.label_text))
            continue
        other = next((s for s in profile.endpoints if s.endpoint is endpoint), None)
        not_offered = diagnosis_for(DiagnosisCode.ENDPOINT_NOT_OFFERED, profile)
        if other is not None:
            notice = Text.of("sync.skip.not_for_key_type", name=profile.name, label=other.label_text)
            plan.append(
                PlannedEndpoint(endpoint, render(other.label_text), other.phrase, other.label_text, notice, not_offered)
            )
            continue
        phrase, label = Text.of(ENDPOINT_PHRASE_IDS[endpoint]), Text.of(ENDPOINT_LABEL_IDS[endpoint])
        notice = Text.of("sync.skip.not_offered", name=profile.name, label=phrase)
        plan.append(PlannedEndpoint(endpoint, render(label), phrase, label, notice, not_offered))
    return plan


def overall(results: Sequence[EndpointResult], stop: Diagnosis | None) -> tuple[SyncStatus, str | None]:
    """The sync's status and the code that explains it: failed when the key was refused or every attempted endpoint
    failed, partial when any had trouble."""
    if stop is not None:
        return SyncStatus.FAILED, str(stop.code)
    attempted = [r for r in results if r.status is not EndpointStatus.SKIPPED]
    troubled = [r for r in attempted if r.status in (EndpointStatus.PARTIAL, EndpointStatus.FAILED)]
    first = next((r.diagnosis for r in troubled if r.diagnosis is not None), None)
    detail = str(first.code) if first is not None else None
    if attempted and all(r.status is EndpointStatus.FAILED for r in attempted):
        return SyncStatus.FAILED, detail
    if troubled:
        return SyncStatus.PARTIAL, detail
    return SyncStatus.OK, None


def a_time(moment: datetime | None) -> datetime | None:
    """A stored "covered until", unless it is a discovery page's epoch placeholder."""
    return moment if moment is not None and moment >= _NOT_A_TIME else None
