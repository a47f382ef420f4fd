"""One account's sync as every path runs it — a /sync in the bot's process, a /sync job in a worker: `SyncService.run`,
then, unless the sync failed (a refused key reads no balance either), the balance check. A failing balance check
never hides the sync's own report: it is logged and the summary goes out without its line."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from bot.reconcile import AccountReconciliation, ReconcileService
from bot.sync import ProgressEvent, SyncResult, SyncService, SyncStatus

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Synced:
    result: SyncResult
    checked: AccountReconciliation | None  # None: the sync failed, or the balance check could not be made


async def sync_and_check(
    sync: SyncService,
    reconciler: ReconcileService,
    telegram_user_id: int,
    integration_id: int,
    on_progress: Callable[[ProgressEvent], None] | None = None,
) -> Synced:
    """Raises what `SyncService.run` raises (IntegrationError, SyncError): the caller words those."""
    result = await sync.run(telegram_user_id, integration_id, on_progress=on_progress)
    if result.status is SyncStatus.FAILED:
        return Synced(result, None)
    try:
        return Synced(result, await reconciler.after_sync(telegram_user_id, integration_id))
    except Exception as error:
        log.warning("reconciliation of integration %d failed: %s", integration_id, type(error).__name__)
        return Synced(result, None)
