"""The long-lived resources of a running bot, created in post_init and closed in post_shutdown."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:  # bot/jobs/in_process.py builds on BackgroundWork below
    from bot.jobs.in_process import InProcessJobs

log = logging.getLogger(__name__)

Closer = Callable[[], Awaitable[None]]

SERVICES_KEY = "tallybot.services"
SETTINGS_KEY = "tallybot.settings"
# How long shutdown waits for cancelled jobs to say so in their progress messages.
CLOSING_TIMEOUT = 15.0


class BackgroundWork:
    """Long jobs (syncs) started by a handler. Unlike PTB's create_task, shutdown does not wait minutes for
    them: they are cancelled, which is safe because a sync commits each page with its cursor."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()
        # Jobs not started yet: their work, and what closes it if it never runs (`start`'s `unstarted`).
        self._pending: dict[asyncio.Task[Any], tuple[Coroutine[Any, Any, None], Closer | None]] = {}
        self._closing = False

    def start(
        self,
        work: Coroutine[Any, Any, None],
        name: str,
        *,
        unstarted: Closer | None = None,
    ) -> asyncio.Task[None]:
        """Run `work` as a task cancelled at shutdown. A task cancelled before its first step runs none of its code,
        not even its `finally`: `unstarted` is then awaited instead, once shutdown has cancelled the jobs (a sync's
        progress message, sent before the task was started, would otherwise say "waiting" for ever). Started while
        shutting down, `work` is not run at all: `unstarted` is."""
        if self._closing:
            work.close()
            return asyncio.get_running_loop().create_task(self._instead(unstarted, name), name=name)
        task = asyncio.get_running_loop().create_task(self._logged(work, name), name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        self._pending[task] = (work, unstarted)
        return task

    async def _instead(self, unstarted: Closer | None, name: str) -> None:
        if unstarted is not None:
            try:
                await unstarted()
            except Exception as problem:
                log.warning("background job %s could not be closed: %s", name, type(problem).__name__)

    async def _logged(self, work: Coroutine[Any, Any, None], name: str) -> None:
        task = asyncio.current_task()
        if task is not None:  # it runs: its own code closes what it opened
            self._pending.pop(task, None)
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
        self._closing = True
        tasks = [task for task in self._tasks if task is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=grace_seconds)
        never_started = [(task, self._pending.pop(task)) for task in tasks if task in self._pending]
        for task, (work, close) in never_started:
            work.close()  # never run: closed, rather than collected with a "never awaited" warning
            await self._instead(close, task.get_name())


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
    # /sync's queue in the bot's process (bot/jobs/in_process.py), built at start-up (bot/app.py); None with sync
    # workers, whose queue a press opens itself.
    sync_presses: InProcessJobs | None = None


def services(context: CallbackContext[Any, Any, Any, Any]) -> Services:
    found = context.application.bot_data.get(SERVICES_KEY)
    if not isinstance(found, Services):
        raise RuntimeError("Tallybot services are not initialised (post_init has not run)")
    return found
