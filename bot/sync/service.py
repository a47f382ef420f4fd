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

The seams: `bot.sync.plan` (what a sync will do), `bot.sync.endpoint` (one endpoint, page by page, to its
result), `bot.sync.commit` (the write transactions); this module holds the sync as a whole (lease, client, stages).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from bot.integrations import IntegrationService
from bot.sync.atomic import uninterrupted
from bot.sync.commit import SyncContext, SyncWriter
from bot.sync.endpoint import EndpointSync, Sleep
from bot.sync.lease import Lease
from bot.sync.plan import SyncTarget, overall, plan_endpoints
from bot.sync.progress import ProgressCallback, ProgressTracker
from bot.sync.results import EndpointResult, EndpointStatus, ProgressEvent, SyncAlreadyRunning, SyncResult, SyncStatus
from bot.sync.retry import AUTH_CODES, RetryPolicy, is_transient, retry_after
from bot.sync.stages import concurrent_endpoints, run_together, stages
from connectors.clients import ClientPool
from connectors.diagnosis import Diagnosis, diagnose, safe_summary
from connectors.fetchers.discovery import ScansQuotes
from connectors.fetchers.registry import fetcher_for
from connectors.profiles import Endpoint, ExchangeProfile, UnknownKeyType, get_profile
from db.engine import Database
from db.repositories import SyncRepository
from db.repositories.sync import LeaseGrant
from db.types import utcnow

log = logging.getLogger(__name__)

DEFAULT_LEASE_TTL = timedelta(minutes=2)


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
        self._endpoints = EndpointSync(SyncWriter(database, clock), self.retry, sleep)

    # -- public -----------------------------------------------------------------------------------------------

    async def run(
        self,
        telegram_user_id: int,
        integration_id: int,
        *,
        on_progress: ProgressCallback | None = None,
        scan_quotes: frozenset[str] = frozenset(),
    ) -> SyncResult:
        """Sync one of this user's integrations and say how it went.

        `scan_quotes`: a quote scan (bot/reconcile/scan.py): spot trades, and margin trades where the account syncs
        them, probing every listed (margin) market of these quotes; for an exchange whose fetcher cannot scan,
        nothing is fetched.

        Raises IntegrationNotFound (not theirs, or gone), IntegrationError (no key any more), SyncAlreadyRunning
        (another sync of it holds the lease: show `error.progress` instead) and SyncLeaseLost (rare: this sync
        stalled past its lease and another took over). Exchange errors never raise: they are in the result.
        """
        target = await self._target(telegram_user_id, integration_id)
        if scan_quotes:
            chosen = target.endpoints or tuple(
                str(s.endpoint) for s in target.profile.default_endpoints(target.kind.id)
            )
            scanned = (str(Endpoint.SPOT_TRADES), *[e for e in chosen if e == str(Endpoint.MARGIN_TRADES)])
            target = dataclasses.replace(target, endpoints=scanned, scan_quotes=scan_quotes)
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

    async def _target(self, telegram_user_id: int, integration_id: int) -> SyncTarget:
        summary = await self.integrations.get(telegram_user_id, integration_id)  # raises IntegrationNotFound
        profile = self.profiles(summary.exchange_id)
        try:
            kind = profile.key_type(summary.key_type)
        except UnknownKeyType:
            kind = profile.default_key_type
        return SyncTarget(
            telegram_user_id=telegram_user_id,
            integration_id=integration_id,
            account_name=summary.account_name,
            exchange_id=summary.exchange_id,
            profile=profile,
            kind=kind,
            sync_from=summary.options.sync_from,
            endpoints=summary.options.endpoints,
        )

    async def _sync(self, target: SyncTarget, lease: Lease, tracker: ProgressTracker) -> SyncResult:
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

        plan = plan_endpoints(target)
        tracker.plan([(p.endpoint, p.label_text) for p in plan])
        ctx = SyncContext(target=target, lease=lease, tracker=tracker, until=self.clock(), cursors={}, covered={})
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
                if target.scan_quotes and isinstance(fetcher, ScansQuotes):
                    fetcher.scan(target.scan_quotes)
                for stage in stages(plan, concurrent_endpoints(fetcher)):
                    if stop is not None:
                        results.extend([await self._endpoints.not_reached(ctx, planned) for planned in stage])
                        continue
                    outcomes = await run_together(stage, lambda planned: self._endpoints.sync(ctx, fetcher, planned))
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
                    results.append(await self._endpoints.client_failed(ctx, planned, unavailable.diagnosis))

        finished_at = self.clock()
        status, detail = overall(results, stop)
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

    async def _open_client(
        self, stack: contextlib.AsyncExitStack, target: SyncTarget, credential_id: str, values: Mapping[str, str]
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
