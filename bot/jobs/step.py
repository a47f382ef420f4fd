"""One account's sync as every path runs it — a /sync in the bot's process, a /sync job in a worker: `SyncService.run`,
then, unless the sync failed (a refused key reads no balance either), the balance check. A failing balance check
never hides the sync's own report: it is logged and the summary goes out without its line.

`sync_account_task` is that step as one account's task, the same function a worker's /sync job and the bot's own
/sync run; only where it shows (`AccountView`) differs."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from bot.integrations import IntegrationError
from bot.reconcile import AccountReconciliation, ReconcileService
from bot.sync import ProgressEvent, SyncError, SyncResult, SyncService, SyncStatus

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


class AccountView(Protocol):
    """Where one account's sync shows: a worker's own progress message, or its line in the bot's shared one."""

    def show(self, event: ProgressEvent) -> None:
        """A progress event of the running sync (drawn at most every few seconds)."""

    async def key_gone(self) -> None:
        """The account or its key was removed since the press: nothing to sync."""

    async def not_run(self, problem: SyncError) -> None:
        """Its lease is held by another sync, or was lost. A worker re-raises `problem` here, so that its job is
        retried; the bot's process tells the user, who is watching."""


async def sync_account_task(
    sync: SyncService, reconciler: ReconcileService, telegram_user_id: int, integration_id: int, view: AccountView
) -> Synced | None:
    """One account's sync task, the same in a worker's job and in the bot's process: the sync and its balance check,
    its progress and the ways it does not run shown by `view`. None when it did not run."""
    try:
        return await sync_and_check(sync, reconciler, telegram_user_id, integration_id, view.show)
    except IntegrationError:
        await view.key_gone()
    except SyncError as problem:
        await view.not_run(problem)
    return None
