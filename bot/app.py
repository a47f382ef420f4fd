"""The one factory for the python-telegram-bot Application."""

from __future__ import annotations

import asyncio
import gc
import importlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from telegram import Update
from telegram.ext import Application, ApplicationBuilder

from bot.allocator import limit_malloc_arenas
from bot.assistant.drafts import DraftStore
from bot.commands import publish_command_menus
from bot.context import SERVICES_KEY, SETTINGS_KEY, Services
from bot.instance import InstanceBusy, InstanceLock
from bot.integrations import IntegrationService
from bot.jobs.in_process import PRESS_TASK_KEY, InProcessJobs
from bot.lifecycle import (
    HANDLE_SIGNALS_KEY,
    TAKEN_OVER,
    handle_stop_signals,
    refusal,
    release_leftovers,
    stop_on_conflict,
    stop_with,
)
from bot.logs import install_redaction
from bot.open_messages import OpenMessages
from bot.secret import registry
from bot.settings import Settings
from bot.startup import StartupError, checked_key_ring, open_database
from bot.status import StatusService
from bot.sync import SyncService
from bot.telegram_budget import rate_limiter_for
from bot.updates import PerUserOrder
from bot.users import UserService
from bot.vault import Vault
from connectors.clients import ClientPool
from connectors.exchange_budget import exchange_budget_for

# The one arrow up from the application to its Telegram adapters: this factory builds the Application, so it is the
# composition root that hands the handlers to it; `handlers.registry` decides which and in what order.
from handlers.registry import register as register_handlers

log = logging.getLogger(__name__)

ALLOWED_UPDATES = Update.ALL_TYPES


async def open_services(settings: Settings, bot_id: int) -> Services:
    """Everything a handler needs, ready to use: migrated database held by this instance of the bot, vault with a
    key ring proved to open the stored credentials. Raises StartupError (one line) when any of it cannot be."""
    database = await open_database(settings)
    # Webhook replicas share the bot (docs/DEPLOY.md); a long-polling instance holds it alone.
    lease = InstanceLock.for_webhook_replica if settings.webhook_url else InstanceLock.for_bot
    instance = lease(database, bot_id)
    try:
        try:
            dead = await instance.acquire()
        except InstanceBusy as busy:
            raise StartupError(refusal(busy)) from None
        try:
            vault = Vault(await checked_key_ring(settings, database))
            await release_leftovers(database, dead)
        except BaseException:
            await instance.release()
            raise
    except BaseException:
        await database.dispose()
        raise
    integrations = IntegrationService(database, vault)
    # Workers and replicas on one IP spend each exchange's per-IP budget together (connectors/exchange_budget.py).
    pool = ClientPool(settings.exchange_url_overrides, shared_budget=exchange_budget_for(settings.database_url))
    return Services(
        settings=settings,
        database=database,
        vault=vault,
        users=UserService(database),
        integrations=integrations,
        drafts=DraftStore(database, vault, timeout=timedelta(seconds=settings.assistant_timeout_seconds)),
        pool=pool,
        sync=SyncService(database, integrations, pool),
        status=StatusService(database, integrations),
        open_messages=OpenMessages(database, bot_id, instance.holder),
        instance=instance,
    )


async def _post_init(application: Application) -> None:  # type: ignore[type-arg]
    settings: Settings = application.bot_data[SETTINGS_KEY]
    found = await open_services(settings, application.bot.id)
    application.bot_data[SERVICES_KEY] = found
    press_task = application.bot_data.get(PRESS_TASK_KEY)  # what /sync's handlers run for a press
    if not settings.sync_workers and press_task is not None:  # /sync's queue in this process, for its whole life
        found.sync_presses = InProcessJobs(
            found.sync, found.background, press_task, bot=application.bot, open_messages=found.open_messages
        )
    if found.instance is not None:
        found.instance.keep_alive(on_lost=lambda: stop_with(application, TAKEN_OVER))
        log.info(
            "this instance holds the database for bot %d (host %s, pid %d): %s",
            application.bot.id,
            found.instance.host,
            found.instance.pid,
            # Webhook replicas share the bot; a poller holds it alone (bot/instance.py).
            "a long-polling instance will be refused" if settings.webhook_url else "another instance will be refused",
        )
    closed = await found.open_messages.close_left_open(application.bot)
    if closed:
        log.info("closed %d progress message(s) an earlier instance left open", closed)
    if application.bot_data.get(HANDLE_SIGNALS_KEY):
        handle_stop_signals(application)
    # ccxt takes about a second to import; do it now, off the event loop, not in the first user's request.
    await asyncio.to_thread(importlib.import_module, "ccxt.async_support")
    # What exists now lives as long as the bot (ccxt's modules alone are about 100 MB of objects): frozen, full
    # collections no longer walk it (each took 0.4-0.5 s with it, docs/BENCHMARKS.md §3).
    gc.collect()
    gc.freeze()
    await publish_command_menus(application.bot)
    log.info("Tallybot is up as @%s", application.bot.username)


async def _post_shutdown(application: Application) -> None:  # type: ignore[type-arg]
    found = application.bot_data.pop(SERVICES_KEY, None)
    if isinstance(found, Services):
        await found.background.cancel_all()
        await found.pool.close()
        if found.instance is not None:
            await found.instance.release()
        await found.database.dispose()


def build_application(settings: Settings, **builder_options: Any) -> Application:  # type: ignore[type-arg]
    """The real bot. `builder_options` are for embedding (e.g. `updater=None`), never for tests to swap logic."""
    token = settings.require_token()
    # However the bot is embedded (CLI, sandbox, tests), no record may carry a secret.
    install_redaction()
    registry.pin(token)
    # Before the database driver starts its threads: each would otherwise get a malloc arena of its own.
    limit_malloc_arenas()
    builder = (
        ApplicationBuilder()
        .token(token)
        .base_url(settings.telegram_api_base_url)
        .base_file_url(settings.telegram_file_base_url)
        # Telegram's limits, shared with the other replicas and the workers on PostgreSQL; 429s waited out.
        .rate_limiter(rate_limiter_for(settings))
        # Users are served concurrently; each user's own updates stay in order (the Assistant relies on it).
        .concurrent_updates(PerUserOrder())
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
    )
    for option, value in builder_options.items():
        builder = getattr(builder, option)(value)
    application = builder.build()
    application.bot_data[SETTINGS_KEY] = settings
    register_handlers(application)
    application.add_error_handler(stop_on_conflict)
    return application


@asynccontextmanager
async def serving(application: Application) -> AsyncIterator[Application]:  # type: ignore[type-arg]
    """Run the bot inside an existing event loop (the sandbox, tests), the way `run_polling` does."""
    await application.initialize()
    try:
        if application.post_init is not None:
            await application.post_init(application)
        if application.updater is None:
            raise RuntimeError("serving() needs an Application with an updater")
        await application.updater.start_polling(allowed_updates=ALLOWED_UPDATES)
        await application.start()
        try:
            yield application
        finally:
            found = application.bot_data.get(SERVICES_KEY)
            if isinstance(found, Services):  # while the bot can still say so in their progress messages
                await found.background.cancel_all()
            await application.updater.stop()
            await application.stop()
    finally:
        await application.shutdown()
        if application.post_shutdown is not None:
            await application.post_shutdown(application)
