"""What /status shows: per account and per endpoint, how the last sync went and why anything failed."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.integrations import IntegrationService, IntegrationSummary
from bot.reconcile import AccountReconciliation, ReconcileService
from bot.reconcile.causes import fillable_by_file
from bot.sync.stored import endpoint_reason, gap_reason
from connectors.balances import reads_balances
from connectors.diagnosis import Diagnosis, DiagnosisCode, diagnosis_for
from connectors.profiles import Endpoint, ExchangeProfile, UnknownExchange, endpoint_label, get_profile
from db.engine import Database
from db.models import EndpointState, IntegrationStatus, SyncRun
from db.repositories.status import StatusRepository
from db.types import utcnow
from i18n import SOURCE_LOCALE, Text

EXPIRY_WARNING = timedelta(days=14)


def kind_label(profile: ExchangeProfile | None, code: str, key_type: str) -> Text | str:
    """A kind's label as the sync summary names it: the profile's own where it has one (OKX's funding account bills,
    Coinbase's account transactions), else the kind's standard label."""
    spec = profile.endpoint(Endpoint(code), key_type) if profile and code in Endpoint.__members__.values() else None
    return spec.label_text if spec is not None else endpoint_label(code)


@dataclass(frozen=True, slots=True)
class EndpointLine:
    endpoint: str
    label: Text | str  # a catalogue text; the code itself for a kind of history this version does not know
    status: str | None  # ok, partial, failed or skipped; None: not synced yet
    last_success_at: datetime | None
    error_code: str | None
    error_message: str | None  # our own diagnosis title or skip note (worded from codes), never an exchange's text
    covered_until: datetime | None


@dataclass(frozen=True, slots=True)
class AccountStatus:
    summary: IntegrationSummary
    exchange_name: str
    running: bool
    transactions: int
    endpoints: tuple[EndpointLine, ...]
    missing_ranges: tuple[str, ...]  # plain-words reasons of the last sync's gaps
    expires_soon: bool
    reconciliation: AccountReconciliation | None = None
    checks_balances: bool = False  # the exchange's balances are read after every sync
    # The last sync's gaps an uploaded file could fill (start, end); start None: from the account's start.
    gaps: tuple[tuple[datetime | None, datetime], ...] = ()
    gaps_filed: bool = False  # every such gap holds records from an uploaded file
    # The last sync has a gap no file Tallybot reads can fill: a product it does not read yet (Gate's options, HTX's
    # delivery futures), whose history is certainly missing whatever was uploaded.
    unfillable: bool = False
    # Of `missing_ranges`, the reasons of those gaps (a product not read yet): not history a file upload brings.
    not_read_ranges: tuple[str, ...] = ()

    @property
    def state(self) -> str:
        """running, ok, partial, failed, disconnected or never_synced. An account whose balances Tallybot reads
        is ok (green) only when the history explains every balance; until then it is partial."""
        if self.running:
            return IntegrationStatus.RUNNING
        status = self.summary.status
        proven = self.reconciliation is not None and self.reconciliation.balanced
        if status == IntegrationStatus.OK and self.checks_balances and not proven:
            return IntegrationStatus.PARTIAL
        # History out of the API's reach is no gap once an uploaded file fills it and the balances then match. Equal
        # balances alone prove nothing: a deposit, trades and a withdrawal all out of reach add up to zero.
        only_out_of_reach = all(
            line.status != "partial" or line.error_code == DiagnosisCode.LOOKBACK_LIMIT for line in self.endpoints
        ) and not any(line.status == "failed" for line in self.endpoints)
        # A product not read yet is no such gap: no upload Tallybot reads brings its history.
        filled = not self.unfillable and (self.gaps_filed or not self.gaps)
        if status == IntegrationStatus.PARTIAL and proven and only_out_of_reach and filled:
            return IntegrationStatus.OK
        return status

    def problems(self) -> list[Diagnosis]:
        """The diagnosis of every failing endpoint (and of the account itself), for the Troubleshoot button."""
        try:
            profile = get_profile(self.summary.exchange_id)
        except UnknownExchange:
            return []
        codes = [self.summary.status_detail] if self.summary.status == IntegrationStatus.FAILED else []
        codes += [line.error_code for line in self.endpoints if line.status in ("failed", "partial")]
        found: dict[str, Diagnosis] = {}
        for code in codes:
            if code and code not in found and code in DiagnosisCode.__members__.values():
                found[code] = diagnosis_for(DiagnosisCode(code), profile)
        return list(found.values())


def enabled_endpoints(summary: IntegrationSummary, profile: ExchangeProfile) -> list[str]:
    if summary.options.endpoints:
        return list(summary.options.endpoints)
    return [str(spec.endpoint) for spec in profile.default_endpoints(summary.key_type)]


class StatusService:
    def __init__(self, database: Database, integrations: IntegrationService) -> None:
        self.database = database
        self.integrations = integrations
        self.reconcile = ReconcileService(database, integrations)

    async def timezone(self, telegram_user_id: int) -> str:
        async with self.database.reads() as session:
            zone = await StatusRepository(session).timezone(telegram_user_id)
        return zone or "UTC"

    async def overview(self, telegram_user_id: int, locale: str = SOURCE_LOCALE) -> list[AccountStatus]:
        """Every account of the user; reasons stored as codes and catalogue texts are worded in `locale`."""
        accounts, _zone = await self.read(telegram_user_id, locale)
        return accounts

    async def read(self, telegram_user_id: int, locale: str = SOURCE_LOCALE) -> tuple[list[AccountStatus], str]:
        """Every account of the user and the user's time zone, in one session and few statements: each a round trip
        on the database that a deployment's replicas and workers share, which is what a reply waits for under
        load (docs/BENCHMARKS.md §3)."""
        now = utcnow()
        async with self.database.reads() as session:
            reads = StatusRepository(session)
            rows = await reads.accounts(telegram_user_id, now)
            if not rows:
                return [], "UTC"
            summaries = [IntegrationSummary.of(row.integration) for row in rows]
            ids = [summary.id for summary in summaries]
            states = await reads.endpoint_states(ids)
            latest_runs = await reads.latest_finished_runs(ids)
            newest = {row.integration.id: row.newest_record_at for row in rows if row.newest_record_at is not None}
            reconciled = await self.reconcile.current(summaries, session=session, stored_since=newest)
            filed = await self._gaps_filed(reads, latest_runs)
        by_integration: dict[int, dict[str, EndpointState]] = {}
        for state in states:
            by_integration.setdefault(state.integration_id, {})[state.endpoint] = state
        counts = {row.integration.id: row.transactions for row in rows}
        leased = {row.integration.id for row in rows if row.running}
        accounts = [
            self._account(
                summary, by_integration.get(summary.id, {}), counts, leased, latest_runs.get(summary.id), now, locale
            )
            for summary in summaries
        ]
        return [
            replace(
                account,
                reconciliation=reconciled.get(account.summary.id),
                checks_balances=self._checks_balances(account.summary),
                gaps_filed=filed.get(account.summary.id, False),
            )
            for account in accounts
        ], rows[0].timezone or "UTC"

    @staticmethod
    async def _gaps_filed(reads: StatusRepository, latest_runs: dict[int, SyncRun]) -> dict[int, bool]:
        """Per account, whether every gap of its last sync holds records from an uploaded file: never while one is a
        product no file Tallybot reads holds (any file's record falls inside its range, and fills none of it). One
        statement for every gap of every account."""
        spans: dict[int, tuple[tuple[datetime | None, datetime], ...]] = {
            integration_id: _gaps_of(latest) for integration_id, latest in latest_runs.items()
        }
        asked = [
            (integration_id, start, end)
            for integration_id, gaps in spans.items()
            if gaps and not _unfillable(latest_runs[integration_id])
            for start, end in gaps
        ]
        found = iter(await reads.files_in(asked))
        holding: dict[int, bool] = {integration_id: True for integration_id, _start, _end in asked}
        for integration_id, _start, _end in asked:
            holding[integration_id] = next(found) and holding[integration_id]
        return {integration_id: holding.get(integration_id, False) for integration_id in spans}

    @staticmethod
    def _checks_balances(summary: IntegrationSummary) -> bool:
        try:
            return reads_balances(get_profile(summary.exchange_id), summary.key_type)
        except UnknownExchange:
            return False

    def _account(
        self,
        summary: IntegrationSummary,
        states: dict[str, EndpointState],
        counts: dict[int, int],
        leased: set[int],
        latest: SyncRun | None,
        now: datetime,
        locale: str,
    ) -> AccountStatus:
        try:
            profile: ExchangeProfile | None = get_profile(summary.exchange_id)
        except UnknownExchange:
            profile = None
        exchange_name = profile.name if profile else summary.exchange_id
        wanted = enabled_endpoints(summary, profile) if profile else list(states)
        lines = []
        for endpoint in wanted:
            state = states.get(endpoint)
            lines.append(
                EndpointLine(
                    endpoint=endpoint,
                    label=kind_label(profile, endpoint, summary.key_type),
                    status=state.last_status if state else None,
                    last_success_at=state.last_success_at if state else None,
                    error_code=state.last_error_code if state else None,
                    error_message=(
                        endpoint_reason(state.last_error_code, state.last_note, exchange_name, locale)
                        if state
                        else None
                    ),
                    covered_until=state.covered_until if state else None,
                )
            )
        gaps: list[str] = []
        unfilled: list[str] = []  # of those, a product not read yet that no file Tallybot reads fills
        for gap in _stored_gaps(latest):
            if reason := gap_reason(gap.get("reason"), locale):
                gaps.append(reason)
                if not fillable_by_file(gap):
                    unfilled.append(reason)
        expires_soon = summary.expires_at is not None and summary.expires_at - now <= EXPIRY_WARNING
        return AccountStatus(
            summary=summary,
            exchange_name=exchange_name,
            running=summary.id in leased,
            transactions=counts.get(summary.id, 0),
            endpoints=tuple(lines),
            missing_ranges=tuple(dict.fromkeys(gaps)),
            not_read_ranges=tuple(dict.fromkeys(unfilled)),
            expires_soon=expires_soon,
            gaps=_gaps_of(latest),
            unfillable=_unfillable(latest),
        )


def _stored_gaps(latest: SyncRun | None) -> list[dict[str, Any]]:
    if latest is None:
        return []
    return [gap for result in (latest.summary.get("endpoints") or {}).values() for gap in result.get("gaps") or ()]


def _unfillable(latest: SyncRun | None) -> bool:
    return any(not fillable_by_file(gap) for gap in _stored_gaps(latest))


def _gaps_of(latest: SyncRun | None) -> tuple[tuple[datetime | None, datetime], ...]:
    """The last sync's gaps an uploaded file could fill (history out of the API's reach, a failed range)."""
    spans: list[tuple[datetime | None, datetime]] = []
    for gap in _stored_gaps(latest):
        if fillable_by_file(gap) and gap.get("end"):
            start = _moment(gap["start"]) if gap.get("start") else None
            spans.append((start if start is not None and start.year >= 1990 else None, _moment(gap["end"])))
    return tuple(spans)


def _moment(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
