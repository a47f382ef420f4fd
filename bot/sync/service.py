"""SyncService: bring an integration's history up to date, endpoint by endpoint, page by page.

For each enabled endpoint the exchange's fetcher pages from the stored cursors (else from the integration's
sync-from date, else as far back as the exchange allows). Pages are fetched outside any transaction; each page's
records and its cursor are then committed together in one short write transaction, which also renews (and
checks) the sync's lease. A crash between pages therefore loses nothing and fetches nothing committed again;
records are inserted on their natural key, so overlaps with earlier syncs or file uploads never duplicate.

How an endpoint ends: ok; partial (rate limited, timed out, or history out of the API's reach — with the
missing range); failed (with the diagnosis); skipped (not offered, or not fetched by Tallybot). A refused key
stops the whole integration and marks it failed. Transient network errors are retried with bounded exponential
backoff that honours Retry-After.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import PurePath
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.imports import known_from_files
from bot.integrations import IntegrationService
from bot.sync import texts
from bot.sync.atomic import uninterrupted
from bot.sync.lease import Lease
from bot.sync.progress import ProgressCallback, ProgressTracker
from bot.sync.results import (
    EndpointResult,
    EndpointStatus,
    ProgressEvent,
    SyncAlreadyRunning,
    SyncGap,
    SyncResult,
    SyncStatus,
)
from bot.sync.retry import AUTH_CODES, RetryPolicy, is_timeout, is_transient, retry_after
from bot.sync.stages import concurrent_endpoints, run_together, stages
from connectors.clients import ClientPool
from connectors.diagnosis import Diagnosis, DiagnosisCode, attach_response_facts, diagnose, diagnosis_for, safe_summary
from connectors.fetchers.base import Cursor, Fetcher, FetchReport, Page, RateLimited, UnsupportedEndpoint
from connectors.fetchers.registry import fetcher_for, sync_order
from connectors.profiles import ENDPOINT_LABELS, Endpoint, ExchangeProfile, KeyType, UnknownKeyType, get_profile
from db.engine import Database
from db.models import TransactionSource
from db.repositories import SyncRepository, TransactionRepository
from db.repositories.sync import LeaseGrant
from db.types import utcnow

log = logging.getLogger(__name__)

D = DiagnosisCode
DEFAULT_LEASE_TTL = timedelta(minutes=2)
# A fetcher's discovery page (the evidence of a per-market endpoint) says "complete up to the epoch".
_NOT_A_TIME = datetime(1970, 1, 2, tzinfo=UTC)
# Pages without records carry only a cursor. Their cursors are committed with the next page that has records,
# with the endpoint's outcome, before any wait, or after this many: a first sync walks hundreds of empty windows,
# and a crash costs at most this many empty windows asked again — never a record.
EMPTY_PAGES_PER_COMMIT = 25

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class _Target:
    """The integration being synced, as the sync needs it."""

    telegram_user_id: int
    integration_id: int
    account_name: str
    exchange_id: str
    profile: ExchangeProfile
    kind: KeyType
    sync_from: date | None
    endpoints: tuple[str, ...]

    @property
    def since(self) -> datetime | None:
        day = self.sync_from
        return datetime(day.year, day.month, day.day, tzinfo=UTC) if day is not None else None


@dataclass(frozen=True, slots=True)
class _Planned:
    endpoint: Endpoint
    label: str
    skip_note: str = ""
    skip_diagnosis: Diagnosis | None = None


@dataclass(slots=True)
class _Context:
    """One sync in progress: what it works with and the cursors as committed so far."""

    target: _Target
    lease: Lease
    tracker: ProgressTracker
    until: datetime
    cursors: dict[Endpoint, dict[str, Cursor]]
    covered: dict[tuple[Endpoint, str], datetime | None]
    client: Any = None


@dataclass(slots=True)
class _EndpointRun:
    """Counts and outcome of one endpoint while it runs."""

    planned: _Planned
    started: float = field(default_factory=time.monotonic)
    report: FetchReport = field(default_factory=FetchReport)
    fetched: int = 0
    new: int = 0
    known: int = 0
    pages: int = 0
    failures: int = 0  # transient failures in a row
    waits: int = 0  # rate limits waited out
    market: str = ""  # market of the last page
    pending: dict[str, tuple[Cursor, datetime]] = field(default_factory=dict)  # empty pages' cursors, by market
    pending_pages: int = 0


class _ClientUnavailable(Exception):
    def __init__(self, diagnosis: Diagnosis) -> None:
        self.diagnosis = diagnosis
        super().__init__(str(diagnosis.code))


class SyncService:
    """Runs syncs; usable from handlers, the CLI and tests alike (no Telegram inside)."""

    def __init__(
        self,
        database: Database,
        integrations: IntegrationService,
        pool: ClientPool,
        *,
        max_concurrent: int = 4,
        lease_ttl: timedelta = DEFAULT_LEASE_TTL,
        retry: RetryPolicy | None = None,
        sleep: Sleep = asyncio.sleep,
        clock: Callable[[], datetime] = utcnow,
        profiles: Callable[[str], ExchangeProfile] = get_profile,
        fetcher_options: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        """`sleep` waits out backoffs and rate limits (tests pass a fake); `fetcher_options` go to the fetcher
        per ccxt id (e.g. {"binance": {"probe_budget": 200}}); `profiles` looks up exchange profiles."""
        self.database = database
        self.integrations = integrations
        self.pool = pool
        self.lease_ttl = lease_ttl
        self.retry = retry or RetryPolicy()
        self.sleep = sleep
        self.clock = clock
        self.profiles = profiles
        self.fetcher_options = {k: dict(v) for k, v in (fetcher_options or {}).items()}
        self._slots = asyncio.Semaphore(max_concurrent)
        self._running: dict[int, ProgressTracker] = {}

    # -- public -----------------------------------------------------------------------------------------------

    async def run(
        self, telegram_user_id: int, integration_id: int, *, on_progress: ProgressCallback | None = None
    ) -> SyncResult:
        """Sync one of this user's integrations and say how it went.

        Raises IntegrationNotFound (not theirs, or gone), IntegrationError (no key any more), SyncAlreadyRunning
        (another sync of it holds the lease: show `error.progress` instead) and SyncLeaseLost (rare: this sync
        stalled past its lease and another took over). Exchange errors never raise: they are in the result.
        """
        target = await self._target(telegram_user_id, integration_id)
        lease = Lease(self.database, integration_id, ttl=self.lease_ttl, clock=self.clock)
        acquiring = asyncio.ensure_future(lease.acquire())
        try:
            grant = await asyncio.shield(acquiring)
        except asyncio.CancelledError:
            # Cancelled while the lease was being taken: the insert may have committed, and nobody would
            # release it until it expires. Let it finish, give it back, then stop.
            with contextlib.suppress(Exception):
                if await acquiring is not None:
                    await lease.release()
            raise
        if grant is None:
            running = self._running.get(integration_id)
            raise SyncAlreadyRunning(
                integration_id,
                progress=running.latest if running is not None else None,
                expires_at=await lease.current_expiry(),
            )
        if grant is LeaseGrant.TAKEN_OVER:
            log.info("sync of integration %d takes over an expired lease", integration_id)
        tracker = ProgressTracker(
            integration_id=integration_id,
            account_name=target.account_name,
            exchange_name=target.profile.name,
            callback=on_progress,
        )
        self._running[integration_id] = tracker
        try:
            async with lease.kept_alive():
                if self._slots.locked():
                    await tracker.queued()
                async with self._slots:
                    return await self._sync(target, lease, tracker)
        finally:
            if self._running.get(integration_id) is tracker:
                del self._running[integration_id]
            try:
                await lease.release()
            except Exception as error:  # it lapses by itself after lease_ttl
                log.warning("releasing the lease of integration %d failed: %s", integration_id, type(error).__name__)

    def progress(self, integration_id: int) -> ProgressEvent | None:
        """The latest progress of a sync of this integration running in this process."""
        tracker = self._running.get(integration_id)
        return tracker.latest if tracker is not None else None

    async def running(self, integration_ids: Sequence[int]) -> set[int]:
        """Which of these integrations a sync is running for right now, in any process (for /status)."""
        async with self.database.reader() as session:
            return await SyncRepository(session).leased(integration_ids, now=self.clock())

    # -- one sync ---------------------------------------------------------------------------------------------

    async def _target(self, telegram_user_id: int, integration_id: int) -> _Target:
        summary = await self.integrations.get(telegram_user_id, integration_id)  # raises IntegrationNotFound
        profile = self.profiles(summary.exchange_id)
        try:
            kind = profile.key_type(summary.key_type)
        except UnknownKeyType:
            kind = profile.default_key_type
        return _Target(
            telegram_user_id=telegram_user_id,
            integration_id=integration_id,
            account_name=summary.account_name,
            exchange_id=summary.exchange_id,
            profile=profile,
            kind=kind,
            sync_from=summary.options.sync_from,
            endpoints=summary.options.endpoints,
        )

    async def _sync(self, target: _Target, lease: Lease, tracker: ProgressTracker) -> SyncResult:
        iid = target.integration_id
        secrets = await self.integrations.credentials(target.telegram_user_id, iid)  # raises IntegrationError
        values: dict[str, str] = {name: secrets[name].reveal() for name in target.kind.field_names if name in secrets}
        started_at = self.clock()

        async def start() -> int:
            async with self.database.writer() as session:
                await lease.fence(session)
                repo = SyncRepository(session)
                # We hold the lease, so a run still open was left by a holder that died.
                await repo.interrupt_stale_runs(iid, now=started_at)
                return (await repo.start_run(iid, now=started_at)).id

        run_id = await uninterrupted(start())
        async with self.database.reader() as session:
            repo = SyncRepository(session)
            credential_id = await repo.credential_id(iid) or f"integration-{iid}"
            states = await repo.endpoint_states(iid)
            assets = await repo.stored_assets(iid)

        plan = self._plan(target)
        tracker.plan([(p.endpoint, p.label) for p in plan])
        ctx = _Context(target=target, lease=lease, tracker=tracker, until=self.clock(), cursors={}, covered={})
        for state in states:
            with contextlib.suppress(ValueError):
                endpoint = Endpoint(state.endpoint)
                if state.cursor is not None:
                    ctx.cursors.setdefault(endpoint, {})[state.market] = state.cursor
                ctx.covered[(endpoint, state.market)] = state.covered_until

        results: list[EndpointResult] = []
        stop: Diagnosis | None = None
        try:
            async with contextlib.AsyncExitStack() as stack:
                ctx.client = await self._open_client(stack, target, credential_id, values)
                del values
                options = self.fetcher_options.get(target.profile.ccxt_id, {})
                fetcher = fetcher_for(target.profile, ctx.client, key_type=target.kind.id, **options)
                fetcher.learn_assets(assets)
                for stage in stages(plan, concurrent_endpoints(fetcher)):
                    if stop is not None:
                        results.extend([await self._not_reached(ctx, planned) for planned in stage])
                        continue
                    outcomes = await run_together(stage, lambda planned: self._sync_endpoint(ctx, fetcher, planned))
                    for result in outcomes:
                        results.append(result)
                        failure = result.diagnosis if result.status is EndpointStatus.FAILED else None
                        if failure is not None and failure.code in AUTH_CODES:
                            stop = failure
        except _ClientUnavailable as unavailable:
            stop = unavailable.diagnosis
            done = {r.endpoint for r in results}
            for planned in plan:
                if planned.endpoint not in done:
                    results.append(await self._client_failed(ctx, planned, unavailable.diagnosis))

        finished_at = self.clock()
        status, detail = _overall(results, stop)
        outcome = SyncResult(
            integration_id=iid,
            account_name=target.account_name,
            exchange_id=target.exchange_id,
            exchange_name=target.profile.name,
            run_id=run_id,
            status=status,
            status_detail=detail,
            diagnosis=stop,
            endpoints=tuple(results),
            started_at=started_at,
            finished_at=finished_at,
            sync_from=target.sync_from,
        )

        async def finish() -> None:
            async with self.database.writer() as session:
                await lease.fence(session)
                repo = SyncRepository(session)
                synced_at = finished_at if status is not SyncStatus.FAILED else None
                await repo.mark_integration(iid, status=str(status), detail=detail, synced_at=synced_at)
                await repo.finish_run(run_id, status=str(status), summary=outcome.to_json(), now=finished_at)

        await uninterrupted(finish())
        log.info(
            "sync of integration %d (%s) ended %s: %d fetched, %d new, %d requests in %.1f s",
            iid,
            target.profile.id,
            status,
            outcome.fetched,
            outcome.new,
            outcome.requests,
            outcome.duration,
        )
        await tracker.finished(EndpointStatus(str(status)))
        return outcome

    def _plan(self, target: _Target) -> list[_Planned]:
        profile, key_type = target.profile, target.kind.id
        names = target.endpoints or tuple(str(s.endpoint) for s in profile.default_endpoints(key_type))
        wanted: list[Endpoint] = []
        for name in names:
            try:
                wanted.append(Endpoint(name))
            except ValueError:
                log.warning("integration %d names an unknown endpoint; left out", target.integration_id)
        plan: list[_Planned] = []
        for endpoint in sync_order(wanted):
            spec = profile.endpoint(endpoint, key_type)
            if spec is not None:
                plan.append(_Planned(endpoint, spec.label))
                continue
            other = next((s for s in profile.endpoints if s.endpoint is endpoint), None)
            label = other.label if other is not None else _default_label(endpoint)
            template = texts.NOT_FOR_KEY_TYPE if other is not None else texts.NOT_OFFERED
            note = template.format(name=profile.name, label=label if other else label.lower())
            plan.append(_Planned(endpoint, label, note, diagnosis_for(D.ENDPOINT_NOT_OFFERED, profile)))
        return plan

    async def _open_client(
        self, stack: contextlib.AsyncExitStack, target: _Target, credential_id: str, values: Mapping[str, str]
    ) -> Any:
        """The pool's client for this credential (loading the exchange's markets the first time), with retries."""
        profile = target.profile
        failures = 0
        while True:
            try:
                return await stack.enter_async_context(
                    self.pool.client(profile.ccxt_id, credential_id, values, key_fields=target.kind.field_names)
                )
            except Exception as error:
                diagnosis = diagnose(error, profile, key_type=target.kind.id)
                failures += 1
                delay = self.retry.backoff(failures, retry_after(error)) if is_transient(error, diagnosis) else None
                log.warning(
                    "sync of integration %d could not open a %s client: %s",
                    target.integration_id,
                    profile.id,
                    safe_summary(error),
                )
                if delay is None:
                    raise _ClientUnavailable(diagnosis) from None
                await self.sleep(delay)

    # -- one endpoint -----------------------------------------------------------------------------------------

    async def _sync_endpoint(self, ctx: _Context, fetcher: Fetcher, planned: _Planned) -> EndpointResult:
        profile, endpoint = ctx.target.profile, planned.endpoint
        if planned.skip_note:
            return await self._skipped(ctx, planned, planned.skip_note, planned.skip_diagnosis)
        not_fetched = texts.NOT_FETCHED_YET.format(name=profile.name, label=planned.label.lower())
        if not fetcher.supports(endpoint):
            return await self._skipped(ctx, planned, not_fetched, None)
        run = _EndpointRun(planned)
        previous = _a_time(ctx.covered.get((endpoint, "")))
        await ctx.tracker.started(endpoint)
        stored = ctx.cursors.setdefault(endpoint, {})
        while True:
            try:
                pages = fetcher.fetch(
                    endpoint, since=ctx.target.since, until=ctx.until, cursors=dict(stored), report=run.report
                )
            except UnsupportedEndpoint:
                return await self._skipped(ctx, planned, not_fetched, None)
            error = await self._drain(ctx, run, pages)
            if error is None:
                return await self._ended(ctx, run, previous, completed=True)
            if isinstance(error, RateLimited):
                behind = self._refusal_behind(error, ctx.target)
                if behind is not None:
                    return await self._ended(ctx, run, previous, diagnosis=behind, failed=True)
                wait = self.retry.rate_limit_wait(run.waits, error.retry_after)
                if wait is not None:
                    run.waits += 1
                    log.info("sync of integration %d waits %.0f s for %s", ctx.target.integration_id, wait, profile.id)
                    await self._flush(ctx, run)
                    await self.sleep(wait)
                    continue
                diagnosis = diagnosis_for(D.RATE_LIMITED, profile, retry_after=error.retry_after)
                reason = texts.GAP_RATE_LIMITED.format(name=profile.name)
                return await self._ended(ctx, run, previous, diagnosis=diagnosis, market=error.market, reason=reason)
            spec = profile.endpoint(endpoint, ctx.target.kind.id)  # named where the fault is Tallybot's
            diagnosis = diagnose(error, profile, key_type=ctx.target.kind.id, endpoint=spec)
            if is_transient(error, diagnosis):
                run.failures += 1
                delay = self.retry.backoff(run.failures, retry_after(error))
                if delay is not None:
                    log.info(
                        "sync of integration %d retries %s in %.1f s after %s",
                        ctx.target.integration_id,
                        endpoint,
                        delay,
                        safe_summary(error),
                    )
                    await self._flush(ctx, run)
                    await self.sleep(delay)
                    continue
            log.warning(
                "sync of integration %d: %s on %s stopped: %s%s",
                ctx.target.integration_id,
                endpoint,
                profile.id,
                safe_summary(error),
                _where(error),
            )
            if is_timeout(error, diagnosis):
                reason = texts.GAP_TIMEOUT.format(name=profile.name)
                return await self._ended(ctx, run, previous, diagnosis=diagnosis, market=run.market, reason=reason)
            return await self._ended(ctx, run, previous, diagnosis=diagnosis, failed=True, market=run.market)

    async def _drain(self, ctx: _Context, run: _EndpointRun, pages: AsyncIterator[Page]) -> Exception | None:
        """Commit pages until the fetcher is done (None) or fails (the error; everything before it is kept)."""
        iterator = aiter(pages)
        try:
            while True:
                try:
                    page = await anext(iterator)
                except StopAsyncIteration:
                    return None
                except RateLimited as stop:
                    return stop
                except Exception as error:
                    # ccxt keeps the failed response on the client, not the exception: take its code and
                    # Retry-After now, before the client makes another request.
                    attach_response_facts(error, ctx.client)
                    return error
                await self._commit(ctx, run, page)
        finally:
            close = getattr(iterator, "aclose", None)
            if close is not None:
                await close()

    async def _commit(self, ctx: _Context, run: _EndpointRun, page: Page) -> None:
        """The page's records and its cursor, in one short transaction that also checks the lease (a page without
        records only queues its cursor, see EMPTY_PAGES_PER_COMMIT)."""
        iid, endpoint = ctx.target.integration_id, run.planned.endpoint
        rows = [record.to_row(iid, str(TransactionSource.API)) for record in page.records]
        cursor = json.loads(json.dumps(page.cursor))  # as the database hands it back
        run.pending[page.market] = (cursor, page.covered_until)
        run.pending_pages += 1
        new = 0
        if rows:

            async def write() -> int:
                async with self.database.writer() as session:
                    await ctx.lease.fence(session)
                    # An export uploaded before the sync got here holds these records under content keys
                    # (Binance's files carry no trade ids): they are known, not new.
                    from_files = await known_from_files(session, iid, page.records)
                    fresh = [row for row in rows if row["natural_key"] not in from_files] if from_files else rows
                    stored = await TransactionRepository(session).insert_missing(fresh)
                    await self._save_cursors(session, ctx, run)
                    return stored

            new = await uninterrupted(write())
            run.pending.clear()
            run.pending_pages = 0
        elif run.pending_pages >= EMPTY_PAGES_PER_COMMIT:
            await self._flush(ctx, run)
        ctx.cursors[endpoint][page.market] = cursor
        ctx.covered[(endpoint, page.market)] = page.covered_until
        run.fetched += len(rows)
        run.new += new
        run.known += len(rows) - new
        run.pages += 1
        run.failures = 0
        run.market = page.market
        await ctx.tracker.page(endpoint, page.market, fetched=len(rows), new=new, covered_until=page.covered_until)

    async def _save_cursors(self, session: AsyncSession, ctx: _Context, run: _EndpointRun) -> None:
        repo, now = SyncRepository(session), self.clock()
        for market, (cursor, covered_until) in run.pending.items():
            await repo.save_cursor(
                ctx.target.integration_id,
                str(run.planned.endpoint),
                market,
                cursor=cursor,
                covered_until=covered_until,
                now=now,
            )

    async def _flush(self, ctx: _Context, run: _EndpointRun) -> None:
        """Commit the cursors of pages without records still queued (before a wait, say)."""
        if not run.pending:
            return

        async def write() -> None:
            async with self.database.writer() as session:
                await ctx.lease.fence(session)
                await self._save_cursors(session, ctx, run)

        await uninterrupted(write())
        run.pending.clear()
        run.pending_pages = 0

    def _refusal_behind(self, stop: RateLimited, target: _Target) -> Diagnosis | None:
        """A refused key the fetcher reported as a rate limit (ccxt raises Binance's -2015 after an earlier
        success as DDoSProtection, which fetchers treat as "not now"): the error it replaced says which."""
        original = stop.__context__
        if not isinstance(original, Exception):
            return None
        diagnosis = diagnose(original, target.profile, key_type=target.kind.id)
        return diagnosis if diagnosis.code in AUTH_CODES else None

    # -- how endpoints end ------------------------------------------------------------------------------------

    async def _ended(
        self,
        ctx: _Context,
        run: _EndpointRun,
        previous: datetime | None,
        *,
        completed: bool = False,
        failed: bool = False,
        diagnosis: Diagnosis | None = None,
        market: str = "",
        reason: str = "",
    ) -> EndpointResult:
        profile, endpoint = ctx.target.profile, run.planned.endpoint
        gaps = [
            SyncGap(endpoint, gap.start, gap.end, gap.reason) for gap in dict.fromkeys(run.report.gaps)
        ]  # a retried fetch may report the same gap again
        covered_from = previous or (max(g.end for g in gaps if g.end) if gaps else None) or ctx.target.since
        if completed:
            covered_until: datetime | None = ctx.until
            if gaps:
                diagnosis = diagnosis_for(D.LOOKBACK_LIMIT, profile)
            status = EndpointStatus.PARTIAL if gaps else EndpointStatus.OK
        else:
            covered_until = _a_time(ctx.covered.get((endpoint, market))) or previous
            gaps.append(
                SyncGap(endpoint, covered_until, ctx.until, reason or texts.GAP_FAILED, market),
            )
            status = EndpointStatus.FAILED if failed else EndpointStatus.PARTIAL
        report = run.report
        result = EndpointResult(
            endpoint=endpoint,
            label=run.planned.label,
            status=status,
            fetched=run.fetched,
            new=run.new,
            known=run.known,
            covered_from=covered_from,
            covered_until=covered_until,
            duration=time.monotonic() - run.started,
            requests=report.requests,
            pages=run.pages,
            diagnosis=diagnosis,
            gaps=tuple(gaps),
            markets_scanned=tuple(dict.fromkeys(report.markets_scanned)),
            markets_not_scanned=dict(report.markets_not_scanned),
        )
        await self._save_outcome(ctx, result, succeeded=completed, run=run)
        return result

    async def _skipped(
        self, ctx: _Context, planned: _Planned, note: str, diagnosis: Diagnosis | None
    ) -> EndpointResult:
        result = EndpointResult(planned.endpoint, planned.label, EndpointStatus.SKIPPED, diagnosis=diagnosis, note=note)
        await self._save_outcome(ctx, result, succeeded=False)
        return result

    async def _client_failed(self, ctx: _Context, planned: _Planned, diagnosis: Diagnosis) -> EndpointResult:
        if planned.skip_note:
            return await self._skipped(ctx, planned, planned.skip_note, planned.skip_diagnosis)
        result = EndpointResult(planned.endpoint, planned.label, EndpointStatus.FAILED, diagnosis=diagnosis)
        await self._save_outcome(ctx, result, succeeded=False)
        return result

    async def _not_reached(self, ctx: _Context, planned: _Planned) -> EndpointResult:
        """An endpoint after the key was refused: not tried, its stored state left as it was."""
        note = texts.STOPPED_BY_KEY.format(name=ctx.target.profile.name)
        await ctx.tracker.ended(planned.endpoint, EndpointStatus.SKIPPED, None)
        return EndpointResult(planned.endpoint, planned.label, EndpointStatus.SKIPPED, note=note)

    async def _save_outcome(
        self, ctx: _Context, result: EndpointResult, *, succeeded: bool, run: _EndpointRun | None = None
    ) -> None:
        """How the endpoint ended, with the cursors of its last pages without records."""
        diagnosis = result.diagnosis

        async def write() -> None:
            async with self.database.writer() as session:
                await ctx.lease.fence(session)
                if run is not None:
                    await self._save_cursors(session, ctx, run)
                await SyncRepository(session).save_outcome(
                    ctx.target.integration_id,
                    str(result.endpoint),
                    status=str(result.status),
                    now=self.clock(),
                    succeeded=succeeded,
                    error_code=str(diagnosis.code) if diagnosis is not None else None,
                    # Our own title (or skip note), never the exchange's text.
                    error_message=diagnosis.title if diagnosis is not None else (result.note or None),
                    covered_until=result.covered_until if succeeded else None,
                )

        await uninterrupted(write())
        await ctx.tracker.ended(result.endpoint, result.status, diagnosis)


def _overall(results: Sequence[EndpointResult], stop: Diagnosis | None) -> tuple[SyncStatus, str | None]:
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


def _a_time(moment: datetime | None) -> datetime | None:
    return moment if moment is not None and moment >= _NOT_A_TIME else None


def _default_label(endpoint: Endpoint) -> str:
    return ENDPOINT_LABELS[endpoint]


def _where(error: BaseException) -> str:
    """For an error that is not the exchange's (a bug in parsing, say): the file and line it came from. Never
    the message, which may quote a response."""
    if type(error).__module__.startswith("ccxt"):
        return ""
    trace = error.__traceback__
    while trace is not None and trace.tb_next is not None:
        trace = trace.tb_next
    if trace is None:
        return ""
    return f" at {PurePath(trace.tb_frame.f_code.co_filename).name}:{trace.tb_lineno}"
