"""The one factory for the python-telegram-bot Application."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from telegram import BotCommand, Update
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder

from bot import texts
from bot.context import SERVICES_KEY, Services
from bot.secret import registry
from bot.settings import Settings
from bot.users import UserService
from bot.vault import Vault, load_key_ring
from db.engine import Database
from db.migrate import upgrade_to_head
from handlers import errors, fallbacks, gate, start

log = logging.getLogger(__name__)

SETTINGS_KEY = "tallybot.settings"
ALLOWED_UPDATES = Update.ALL_TYPES


async def open_services(settings: Settings) -> Services:
    """Everything a handler needs, ready to use: migrated database, vault with its key ring."""
    vault = Vault(load_key_ring(settings))
    database = Database(settings.effective_database_url)
    try:
        await upgrade_to_head(database)
    except BaseException:
        await database.dispose()
        raise
    return Services(settings=settings, database=database, vault=vault, users=UserService(database))


async def _post_init(application: Application) -> None:  # type: ignore[type-arg]
    settings: Settings = application.bot_data[SETTINGS_KEY]
    application.bot_data[SERVICES_KEY] = await open_services(settings)
    await application.bot.set_my_commands([BotCommand(name, description) for name, description in texts.BOT_COMMANDS])
    log.info("Tallybot is up as @%s", application.bot.username)


async def _post_shutdown(application: Application) -> None:  # type: ignore[type-arg]
    found = application.bot_data.pop(SERVICES_KEY, None)
    if isinstance(found, Services):
        await found.database.dispose()


def build_application(settings: Settings, **builder_options: Any) -> Application:  # type: ignore[type-arg]
    """The real bot. `builder_options` are for embedding (e.g. `updater=None`), never for tests to swap logic."""
    token = settings.require_token()
    registry.pin(token)
    builder = (
        ApplicationBuilder()
        .token(token)
        .base_url(settings.telegram_api_base_url)
        .base_file_url(settings.telegram_file_base_url)
        .rate_limiter(AIORateLimiter())
        # A ConversationHandler needs one user's updates in order.
        .concurrent_updates(False)
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
    )
    for option, value in builder_options.items():
        builder = getattr(builder, option)(value)
    application = builder.build()
    application.bot_data[SETTINGS_KEY] = settings
    gate.register(application)
    start.register(application)
    # Fallbacks last: within a handler group the first match wins.
    fallbacks.register(application)
    errors.register(application)
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
            await application.updater.stop()
            await application.stop()
    finally:
        await application.shutdown()
        if application.post_shutdown is not None:
            await application.post_shutdown(application)
