"""ReconcileService: after a sync, read the exchange's balances and compare them with the history's, exactly.

The exchange's balances are read once per sync and stored with the time they were read. The comparison itself is
made again whenever it is asked for (from the stored balances and the history up to that time), so a file upload
that fills a gap shows in /status and the export at once, without another request to the exchange.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.integrations import IntegrationService, IntegrationSummary
from bot.reconcile.causes import coverage_from, likely_cause
from bot.reconcile.ledger import TYPED_KINDS, explained_balances, unplaced_lines
from bot.reconcile.results import AccountReconciliation, AssetBalance, Outcome
from bot.reconcile.scan import quotes_to_scan, scan_progress, scanned_quotes, with_progress
from connectors.balances import BalanceSnapshot, read_balances, reads_balances
from connectors.clients import ClientPool
from connectors.diagnosis import DiagnosisCode, diagnose, diagnosis_for, safe_summary
from connectors.profiles import ExchangeProfile, UnknownExchange, UnknownKeyType, get_profile
from db.engine import Database
from db.repositories.integrations import IntegrationRepository
from db.repositories.reconcile import ReconcileRepository, StoredBalance, StoredReconciliation
from db.repositories.sync import SyncRepository
from db.repositories.users import UserRepository
from db.types import utcnow

log = logging.getLogger(__name__)

CODES = frozenset(str(code) for code in DiagnosisCode)


class ReconcileReader:
    """The stored reconciliations, compared anew with the history as stored now (no request to the exchange)."""

    def __init__(self, database: Database, *, profiles: Callable[[str], ExchangeProfile] = get_profile) -> None:
        self.database = database
        self.profiles = profiles

    async def current(
        self,
        summaries: Sequence[IntegrationSummary],
        *,
        session: AsyncSession | None = None,
        stored_since: Mapping[int, datetime] | None = None,
    ) -> dict[int, AccountReconciliation]:
        """The latest reconciliation of each account that has one, compared anew with the history as stored now.
        /status passes its own session and the newest record times it read already (fewer round trips per reply)."""
        async with contextlib.AsyncExitStack() as stack:
            if session is None:
                session = await stack.enter_async_context(self.database.reader())
            repo = ReconcileRepository(session)
            stored = await repo.latest([s.id for s in summaries])
            if stored_since is None:
                stored_since = await repo.newest_record_times(list(stored))
        found = {}
        for summary in summaries:
            profile = self._profile(summary)
            if summary.id not in stored or profile is None:
                continue
            kept = stored[summary.id]
            newest = stored_since.get(summary.id)
            if kept.outcome != Outcome.UNREAD and (newest is None or newest <= kept.checked_at):
                # Nothing stored since the comparison (no file uploaded): it stands, and reading every record of
                # a large account again would cost /status a second.
                found[summary.id] = self._restore(summary, kept)
            else:
                found[summary.id] = await self._compare(summary, profile, kept)
            if quotes_to_scan(found[summary.id], profile.ccxt_id):
                progress = await scan_progress(self.database, summary.id)
                found[summary.id] = with_progress(found[summary.id], progress)
        return found

    @staticmethod
    def _restore(summary: IntegrationSummary, stored: StoredReconciliation) -> AccountReconciliation:
        return AccountReconciliation(
            integration_id=summary.id,
            exchange_id=summary.exchange_id,
            checked_at=stored.checked_at,
            outcome=Outcome(stored.outcome),
            error_code=stored.error_code,
            wallets_read=tuple(stored.wallets.get("read") or ()),
            wallets_failed=dict(stored.wallets.get("failed") or {}),
            balances=tuple(
                AssetBalance(b.asset, b.reported, b.explained, b.cause, b.cause_args) for b in stored.balances
            ),
        )

    async def of_user(self, telegram_user_id: int, integration_id: int | None = None) -> list[AccountReconciliation]:
        """This user's reconciliations (one account's, or all), for the export."""
        async with self.database.reader() as session:
            user = await UserRepository(session).by_telegram_id(telegram_user_id)
            owned = await IntegrationRepository(session).for_user(user.id) if user is not None else []
            summaries = [IntegrationSummary.of(i) for i in owned if integration_id in (None, i.id)]
        found = await self.current(summaries)
        return [found[s.id] for s in summaries if s.id in found]

    def _profile(self, summary: IntegrationSummary) -> ExchangeProfile | None:
        try:
            return self.profiles(summary.exchange_id)
        except UnknownExchange:
            return None

    async def _compare(
        self, summary: IntegrationSummary, profile: ExchangeProfile, stored: StoredReconciliation
    ) -> AccountReconciliation:
        failed: dict[str, str] = dict(stored.wallets.get("failed") or {})
        read: tuple[str, ...] = tuple(stored.wallets.get("read") or ())
        base: dict[str, Any] = {
            "integration_id": summary.id,
            "exchange_id": summary.exchange_id,
            "checked_at": stored.checked_at,
            "wallets_read": read,
            "wallets_failed": failed,
        }
        if failed or not read:
            # A wallet not read leaves every asset's total unknown: no comparison rather than a false one.
            code = next(iter(failed.values()), None)
            reason = diagnosis_for(DiagnosisCode(code), profile).title if code in CODES else None
            return AccountReconciliation(
                **base, outcome=Outcome.UNREAD, error_code=code, balances=(), error_reason=reason
            )
        async with self.database.reader() as session:
            repo = ReconcileRepository(session)
            movements = await repo.movements(summary.id, until=stored.checked_at, entry_types_of=TYPED_KINDS)
            runs = await repo.run_summaries(summary.id)
        explained = explained_balances(movements)
        unplaced = unplaced_lines(summary.exchange_id, movements)
        reported = {b.asset: b.reported for b in stored.balances}
        # Every kind the profile offers this key that the account does not sync is history not read: switched off by
        # the user, or off by default and never switched on.
        offered = [str(spec.endpoint) for spec in profile.endpoints_for(summary.key_type)]
        defaults = [str(spec.endpoint) for spec in profile.default_endpoints(summary.key_type)]
        enabled = list(summary.options.endpoints) or defaults
        coverage = coverage_from(
            runs, offered=offered, enabled=enabled, sync_from=summary.options.sync_from, defaults=defaults
        )
        quotes = frozenset(stored.wallets.get("quotes") or ())
        in_positions = frozenset(stored.wallets.get("in_positions") or ())
        # A quote whose markets were scanned to their end: a kind never read is the likelier cause now.
        scanned = await scanned_quotes(self.database, summary.id)
        balances = []
        for asset in sorted(reported.keys() | explained.keys()):
            has, says = reported.get(asset, Decimal(0)), explained.get(asset, Decimal(0))
            if has == says:
                balances.append(AssetBalance(asset, has, says))
                continue
            cause, args = likely_cause(
                asset, has - says, coverage, quotes, scanned, in_positions=in_positions, unplaced=unplaced.get(asset)
            )
            balances.append(AssetBalance(asset, has, says, str(cause), args))
        outcome = Outcome.UNEXPLAINED if any(b.cause for b in balances) else Outcome.BALANCED
        return AccountReconciliation(**base, outcome=outcome, error_code=None, balances=tuple(balances))


class ReconcileService(ReconcileReader):
    """After a sync: read the balances, compare, store. Usable from handlers, the CLI and tests (no Telegram)."""

    def __init__(
        self,
        database: Database,
        integrations: IntegrationService,
        pool: ClientPool | None = None,  # None: compare only (what /status needs), never read
        *,
        clock: Callable[[], datetime] = utcnow,
        profiles: Callable[[str], ExchangeProfile] = get_profile,
    ) -> None:
        super().__init__(database, profiles=profiles)
        self.integrations = integrations
        self.pool = pool
        self.clock = clock

    async def after_sync(self, telegram_user_id: int, integration_id: int) -> AccountReconciliation | None:
        """Read the balances, compare, store; None for an exchange whose balances Tallybot does not read."""
        summary = await self.integrations.get(telegram_user_id, integration_id)
        profile = self._profile(summary)
        if profile is None or not reads_balances(profile, summary.key_type) or self.pool is None:
            return None
        snapshot, quotes = await self._read(self.pool, telegram_user_id, summary, profile)
        checked_at = self.clock()
        wallets = {
            "read": list(snapshot.wallets_read),
            "failed": dict(snapshot.wallets_failed),
            "quotes": sorted(quotes),
            "in_positions": sorted(snapshot.in_positions),
        }
        stored = StoredReconciliation(
            integration_id=integration_id,
            checked_at=checked_at,
            outcome=str(Outcome.UNREAD),
            error_code=next(iter(snapshot.wallets_failed.values()), None),
            wallets=wallets,
            balances=tuple(StoredBalance(a, amount, Decimal(0), None, None) for a, amount in snapshot.totals.items()),
        )
        result = await self._compare(summary, profile, stored)
        async with self.database.writer() as session:
            await ReconcileRepository(session).save(
                integration_id,
                checked_at=checked_at,
                outcome=str(result.outcome),
                error_code=result.error_code,
                wallets=wallets,
                balances=[
                    StoredBalance(b.asset, b.reported, b.explained, b.cause, b.cause_args) for b in result.balances
                ],
            )
        log.info(
            "reconciliation of integration %d: %s, %d of %d assets differ",
            integration_id,
            result.outcome,
            len(result.differences),
            len(result.balances),
        )
        return result

    # -- the parts ------------------------------------------------------------------------------------------

    async def _read(
        self, pool: ClientPool, telegram_user_id: int, summary: IntegrationSummary, profile: ExchangeProfile
    ) -> tuple[BalanceSnapshot, frozenset[str]]:
        try:
            kind = profile.key_type(summary.key_type)
        except UnknownKeyType:
            kind = profile.default_key_type
        secrets = await self.integrations.credentials(telegram_user_id, summary.id)
        values: dict[str, str] = {name: secrets[name].reveal() for name in kind.field_names if name in secrets}
        async with self.database.reader() as session:
            credential_id = await SyncRepository(session).credential_id(summary.id) or f"integration-{summary.id}"
        try:
            async with contextlib.AsyncExitStack() as stack:
                client = await stack.enter_async_context(
                    pool.client(profile.ccxt_id, credential_id, values, key_fields=kind.field_names)
                )
                del values
                snapshot = await read_balances(client, profile, key_type=kind.id)
                quotes = frozenset(str(m.get("quote")) for m in (client.markets or {}).values() if m.get("quote"))
                return snapshot, quotes
        except Exception as error:  # the client could not be opened: diagnosed, never shown raw
            code = diagnose(error, profile, key_type=kind.id).code
            log.warning("balance read of integration %d failed: %s", summary.id, safe_summary(error))
            return BalanceSnapshot(wallets_failed={"client": str(code)}), frozenset()
