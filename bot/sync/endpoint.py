"""One endpoint of a sync, from its stored cursors to its result: page through the fetcher, commit each page, wait
out rate limits and retry transient failures within bounds, and say how it ended (ok; partial with the missing
range; failed with the diagnosis; skipped with the reason).
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from pathlib import PurePath

from bot.sync.commit import EndpointRun, SyncContext, SyncWriter
from bot.sync.plan import PlannedEndpoint, SyncTarget, a_time
from bot.sync.results import EndpointResult, EndpointStatus, SyncGap
from bot.sync.retry import AUTH_CODES, RetryPolicy, is_timeout, is_transient, retry_after
from connectors.diagnosis import Diagnosis, DiagnosisCode, attach_response_facts, diagnose, diagnosis_for, safe_summary
from connectors.fetchers.base import Fetcher, Page, RateLimited, UnsupportedEndpoint
from i18n import Text

log = logging.getLogger(__name__)

D = DiagnosisCode
Sleep = Callable[[float], Awaitable[None]]


class EndpointSync:
    """Runs the endpoints of syncs; `sleep` waits out backoffs and rate limits (tests pass a fake)."""

    def __init__(self, writer: SyncWriter, retry: RetryPolicy, sleep: Sleep) -> None:
        self.writer = writer
        self.retry = retry
        self.sleep = sleep

    async def sync(self, ctx: SyncContext, fetcher: Fetcher, planned: PlannedEndpoint) -> EndpointResult:
        profile, endpoint = ctx.target.profile, planned.endpoint
        if planned.skip_notice is not None:
            return await self.skipped(ctx, planned, planned.skip_notice, planned.skip_diagnosis)
        not_fetched = Text.of("sync.skip.not_fetched_yet", name=profile.name, label=planned.phrase)
        if not fetcher.supports(endpoint):
            return await self.skipped(ctx, planned, not_fetched, None)
        run = EndpointRun(planned)
        previous = a_time(ctx.covered.get((endpoint, "")))
        await ctx.tracker.started(endpoint)
        stored = ctx.cursors.setdefault(endpoint, {})
        while True:
            try:
                pages = fetcher.fetch(
                    endpoint, since=ctx.target.since, until=ctx.until, cursors=dict(stored), report=run.report
                )
            except UnsupportedEndpoint:
                return await self.skipped(ctx, planned, not_fetched, None)
            error = await self._drain(ctx, run, pages)
            if error is None:
                return await self._ended(ctx, run, previous, completed=True)
            if isinstance(error, UnsupportedEndpoint):  # the account shows no sign of this kind (base.py)
                # The look that found no sign of it was a request too (the sync's request count is every one).
                unused = error.notice is not None and error.unused
                # base.py: the key may not read it; a product not read yet is neither (its notice names it)
                denied = error.notice is not None and not error.unused and not error.not_read
                notice = error.notice or not_fetched
                return await self.skipped(
                    ctx,
                    planned,
                    notice,
                    None,
                    requests=run.report.requests,
                    unused=unused,
                    denied=denied,
                    not_read=error.not_read,
                )
            if isinstance(error, RateLimited):
                behind = _refusal_behind(error, ctx.target)
                if behind is not None:
                    return await self._ended(ctx, run, previous, diagnosis=behind, failed=True)
                wait = self.retry.rate_limit_wait(run.waits, error.retry_after)
                if wait is not None:
                    run.waits += 1
                    log.info("sync of integration %d waits %.0f s for %s", ctx.target.integration_id, wait, profile.id)
                    await self.writer.flush(ctx, run)
                    await self.sleep(wait)
                    continue
                diagnosis = diagnosis_for(D.RATE_LIMITED, profile, retry_after=error.retry_after)
                reason = Text.of("sync.gap.rate_limited", name=profile.name)
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
                    await self.writer.flush(ctx, run)
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
                reason = Text.of("sync.gap.timeout", name=profile.name)
                return await self._ended(ctx, run, previous, diagnosis=diagnosis, market=run.market, reason=reason)
            return await self._ended(ctx, run, previous, diagnosis=diagnosis, failed=True, market=run.market)

    async def _drain(self, ctx: SyncContext, run: EndpointRun, pages: AsyncIterator[Page]) -> Exception | None:
        """Commit pages until the fetcher is done (None) or fails (the error; everything before it is kept)."""
        iterator = aiter(pages)
        try:
            while True:
                try:
                    page = await anext(iterator)
                except StopAsyncIteration:
                    return None
                except (RateLimited, UnsupportedEndpoint) as stop:
                    return stop
                except Exception as error:
                    # ccxt keeps the failed response on the client, not the exception: take its code and
                    # Retry-After now from this task's own last answer, before this task makes another request.
                    attach_response_facts(error, ctx.client)
                    return error
                await self.writer.commit(ctx, run, page)
                if page.market == "" and "scan" in page.cursor:
                    # A quote scan's list of markets, committed before its first probe: /status reads its progress
                    # from it, and a sync cut short resumes it.
                    await self.writer.flush(ctx, run)
        finally:
            close = getattr(iterator, "aclose", None)
            if close is not None:
                await close()

    # -- how endpoints end ------------------------------------------------------------------------------------

    async def _ended(
        self,
        ctx: SyncContext,
        run: EndpointRun,
        previous: datetime | None,
        *,
        completed: bool = False,
        failed: bool = False,
        diagnosis: Diagnosis | None = None,
        market: str = "",
        reason: Text | None = None,
    ) -> EndpointResult:
        profile, endpoint = ctx.target.profile, run.planned.endpoint
        gaps = [
            SyncGap(endpoint, gap.start, gap.end, gap.reason, not_read=gap.not_read)
            for gap in dict.fromkeys(run.report.gaps)
        ]  # a retried fetch may report the same gap again
        covered_from = previous or (max(g.end for g in gaps if g.end) if gaps else None) or ctx.target.since
        notice: Text | None = None
        if completed:
            covered_until: datetime | None = ctx.until
            # A product the account holds and Tallybot does not read yet (a gap marked not_read) is not history out
            # of the API's reach: when it is all that is missing, /status says so (the note) instead.
            if any(not gap.not_read for gap in run.report.gaps):
                diagnosis = diagnosis_for(D.LOOKBACK_LIMIT, profile)
            elif gaps:
                notice = Text.of("sync.gap.not_read_yet")
            status = EndpointStatus.PARTIAL if gaps else EndpointStatus.OK
        else:
            covered_until = a_time(ctx.covered.get((endpoint, market))) or previous
            gaps.append(
                SyncGap(endpoint, covered_until, ctx.until, reason or Text.of("sync.gap.failed"), market),
            )
            status = EndpointStatus.FAILED if failed else EndpointStatus.PARTIAL
        report = run.report
        result = EndpointResult(
            endpoint=endpoint,
            label=run.planned.label,
            label_text=run.planned.label_text,
            phrase=run.planned.phrase,
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
            notice=notice,
            markets_scanned=tuple(dict.fromkeys(report.markets_scanned)),
            markets_not_scanned=dict(report.markets_not_scanned),
        )
        await self.writer.save_outcome(ctx, result, succeeded=completed, run=run)
        return result

    async def skipped(
        self,
        ctx: SyncContext,
        planned: PlannedEndpoint,
        notice: Text,
        diagnosis: Diagnosis | None,
        *,
        requests: int = 0,
        unused: bool = False,
        denied: bool = False,
        not_read: bool = False,
    ) -> EndpointResult:
        result = EndpointResult(
            planned.endpoint,
            planned.label,
            EndpointStatus.SKIPPED,
            requests=requests,
            unused=unused,
            denied=denied,
            not_read=not_read,
            diagnosis=diagnosis,
            notice=notice,
            label_text=planned.label_text,
            phrase=planned.phrase,
        )
        await self.writer.save_outcome(ctx, result, succeeded=False)
        return result

    async def client_failed(self, ctx: SyncContext, planned: PlannedEndpoint, diagnosis: Diagnosis) -> EndpointResult:
        if planned.skip_notice is not None:
            return await self.skipped(ctx, planned, planned.skip_notice, planned.skip_diagnosis)
        result = EndpointResult(
            planned.endpoint,
            planned.label,
            EndpointStatus.FAILED,
            diagnosis=diagnosis,
            label_text=planned.label_text,
            phrase=planned.phrase,
        )
        await self.writer.save_outcome(ctx, result, succeeded=False)
        return result

    async def not_reached(self, ctx: SyncContext, planned: PlannedEndpoint) -> EndpointResult:
        """An endpoint after the key was refused: not tried, its stored state left as it was."""
        notice = Text.of("sync.skip.stopped_by_key", name=ctx.target.profile.name)
        await ctx.tracker.ended(planned.endpoint, EndpointStatus.SKIPPED, None)
        return EndpointResult(
            planned.endpoint,
            planned.label,
            EndpointStatus.SKIPPED,
            notice=notice,
            label_text=planned.label_text,
            phrase=planned.phrase,
        )


def _refusal_behind(stop: RateLimited, target: SyncTarget) -> Diagnosis | None:
    """A refused key the fetcher reported as a rate limit (ccxt raises Binance's -2015 after an earlier
    success as DDoSProtection, which fetchers treat as "not now"): the error it replaced says which."""
    original = stop.__context__
    if not isinstance(original, Exception):
        return None
    diagnosis = diagnose(original, target.profile, key_type=target.kind.id)
    return diagnosis if diagnosis.code in AUTH_CODES else None


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
