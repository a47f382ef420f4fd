"""How a running bot starts after a dead predecessor, and how it stops: on SIGTERM/SIGINT, on 409 Conflict, or when
its instance lease is taken over (issue 12, findings 7 and 11)."""

from __future__ import annotations

import asyncio
import logging
import signal
from typing import Any

from telegram.error import Conflict
from telegram.ext import Application, ContextTypes

from bot.context import SERVICES_KEY, Services
from bot.instance import HolderInfo, InstanceBusy, is_webhook_lease
from bot.process_identity import Liveness, identity_of, liveness, process_prefix, this_process
from db.engine import Database
from db.repositories.instances import InstanceRepository
from db.types import utcnow

log = logging.getLogger(__name__)

# Set by `tallybot run` (run_polling): the bot handles SIGTERM/SIGINT and stops itself (embedded, the host does).
HANDLE_SIGNALS_KEY = "tallybot.handle_signals"
# Why the bot stopped by itself: one line for the CLI to print, and a non-zero exit.
FATAL_KEY = "tallybot.fatal"
_STOPPING_KEY = "tallybot.stopping"

CONFLICT = (
    "Telegram answered 409 Conflict: another program is polling updates with this bot token (perhaps on another "
    "machine or database); stop it, only one instance may run per token"
)
TAKEN_OVER = "another Tallybot instance took over this bot's database lease: this one stopped"


def refusal(busy: InstanceBusy) -> str:
    if busy.holder.is_rotation:
        return (
            f"a master-key rotation is running on this database ({busy.holder.describe()}): "
            "wait for it to finish, then start the bot"
        )
    if busy.holder.is_webhook_replica:
        return (
            f"this bot runs in webhook mode on this database (a replica on {busy.holder.describe()}): long polling "
            "beside it would delete the webhook; run this one with --webhook too, or stop every replica and run "
            "`tallybot delete-webhook` first"
        )
    if is_webhook_lease(busy.wanted):
        return (
            f"this bot runs with long polling on this database ({busy.holder.describe()}): stop it, then start the "
            "webhook replicas (docs/DEPLOY.md)"
        )
    return (
        f"another Tallybot instance is already running this bot on this database ({busy.holder.describe()}): "
        "stop it first; two instances would split users' messages between them"
    )


async def release_leftovers(database: Database, dead: list[HolderInfo]) -> list[int]:
    """Free at once the sync leases of processes known dead: the instances this start replaced, and any sync whose
    process shares this one's process table and is gone. A sync of another machine or container (even one with
    this hostname and pid) is left to its lease lapsing. Returns the integrations freed (their open runs are
    marked interrupted)."""
    prefixes = {process_prefix(holder.holder) for holder in dead}
    me = this_process()
    async with database.writer() as session:
        repo = InstanceRepository(session)
        for holder in await repo.sync_lease_holders():
            identity = identity_of(holder)
            if identity is not None and liveness(identity, me) is Liveness.DEAD:
                prefixes.add(process_prefix(holder))
        freed: list[int] = []
        for prefix in sorted(prefixes):
            freed += await repo.release_sync_leases(prefix, now=utcnow())
    if freed:
        log.info("released the sync leases of %d integration(s) held by a process that is gone", len(freed))
    return freed


def stop_with(application: Application, reason: str) -> None:  # type: ignore[type-arg]
    """Stop the bot by itself, for `reason` (the CLI prints it and exits non-zero), closing running work first."""
    application.bot_data.setdefault(FATAL_KEY, reason)
    request_stop(application)


async def stop_on_conflict(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """An error handler: a 409 from getUpdates means another poller on this token; taking turns with it would
    split users' messages, so this instance stops."""
    if update is None and isinstance(context.error, Conflict):
        log.error("getUpdates answered 409 Conflict: another instance polls this token; stopping")
        stop_with(context.application, CONFLICT)


def handle_stop_signals(application: Application) -> None:  # type: ignore[type-arg]
    """SIGTERM and SIGINT cancel running syncs and imports (crash-safe: each page is committed with its cursor),
    which say so in their progress messages, and then stop the bot. PTB's own handling would first wait for every
    running update, a large import included."""
    loop = asyncio.get_running_loop()
    for number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(number, request_stop, application)


def request_stop(application: Application) -> None:  # type: ignore[type-arg]
    """Cancel running syncs and uploads (they close their progress messages while the bot can still send), then
    stop. PTB's shutdown would first wait for running updates, and only later, with its HTTP client closed,
    cancel our jobs, whose progress messages could then no longer be edited."""
    if application.bot_data.get(_STOPPING_KEY) is not None:
        return
    # Kept in bot_data: a task nobody references may be collected before it finishes.
    application.bot_data[_STOPPING_KEY] = asyncio.get_running_loop().create_task(_stop(application))


async def _stop(application: Application) -> None:  # type: ignore[type-arg]
    log.info("stop signal received: cancelling running syncs and uploads")
    found: Any = application.bot_data.get(SERVICES_KEY)
    if isinstance(found, Services):
        await found.background.cancel_all()
    # Only under run_polling: embedded (serving(): tests, the sandbox), stop_running() would stop the host's loop.
    if application.bot_data.get(HANDLE_SIGNALS_KEY):
        application.stop_running()


class _BootstrapFailures(logging.Filter):
    """PTB logs a failed start (getMe refused or unreachable) with a full traceback; `tallybot run` says it in one
    line instead (bot/cli.py), so those records are dropped."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "(Bootstrap Initialize Application)" not in record.getMessage()


def quiet_bootstrap_failures() -> None:
    logging.getLogger("telegram.ext").addFilter(_BootstrapFailures())
