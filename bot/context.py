"""The long-lived resources of a running bot, created in post_init and closed in post_shutdown."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any

from telegram.ext import CallbackContext

from bot.assistant.drafts import DraftStore
from bot.instance import InstanceLock
from bot.integrations import IntegrationService
from bot.open_messages import OpenMessages
from bot.settings import Settings
from bot.status import StatusService
from bot.sync import SyncService
from bot.users import UserService
from bot.vault import Vault
from connectors.clients import ClientPool
from db.engine import Database

log = logging.getLogger(__name__)

SERVICES_KEY = "tallybot.services"
SETTINGS_KEY = "tallybot.settings"
# How long shutdown waits for cancelled jobs to say so in their progress messages.
CLOSING_TIMEOUT = 15.0


class BackgroundWork:
    """Long jobs (syncs) started by a handler. Unlike PTB's create_task, shutdown does not wait minutes for
    them: they are cancelled, which is safe because a sync commits each page with its cursor."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()

    def start(self, work: Coroutine[Any, Any, None], name: str) -> asyncio.Task[None]:
        task = asyncio.get_running_loop().create_task(self._logged(work, name), name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    @staticmethod
    async def _logged(work: Coroutine[Any, Any, None], name: str) -> None:
        try:
            await work
        except asyncio.CancelledError:
            raise
        except Exception as problem:  # a background job has no error handler of PTB's to go to
            while isinstance(problem, ExceptionGroup) and problem.exceptions:  # name what failed, not the group
                problem = problem.exceptions[0]
            log.error("background job %s failed: %s", name, type(problem).__name__)

    def adopt(self, task: asyncio.Task[Any]) -> None:
        """Cancel this task too at shutdown (a handler doing long work itself, such as a file import)."""
        self._tasks.add(task)

    def holds(self, task: asyncio.Task[Any]) -> bool:
        return task in self._tasks

    def forget(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)

    async def cancel_all(self, grace_seconds: float = CLOSING_TIMEOUT) -> None:
        """Cancel every job and wait, at most `grace_seconds`, for them to close their progress messages."""
        tasks = [task for task in self._tasks if task is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=grace_seconds)


@dataclass(slots=True)
class Services:
    settings: Settings
    database: Database
    vault: Vault
    users: UserService
    integrations: IntegrationService
    drafts: DraftStore
    pool: ClientPool
    sync: SyncService
    status: StatusService
    open_messages: OpenMessages
    instance: InstanceLock | None = None
    background: BackgroundWork = field(default_factory=lambda: BackgroundWork())


def services(context: CallbackContext[Any, Any, Any, Any]) -> Services:
    found = context.application.bot_data.get(SERVICES_KEY)
    if not isinstance(found, Services):
        raise RuntimeError("Tallybot services are not initialised (post_init has not run)")
    return found
