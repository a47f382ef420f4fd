"""The long-lived resources of a running bot, created in post_init and closed in post_shutdown."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from telegram.ext import CallbackContext

from bot.assistant.drafts import DraftStore
from bot.integrations import IntegrationService
from bot.settings import Settings
from bot.users import UserService
from bot.vault import Vault
from connectors.clients import ClientPool
from db.engine import Database

SERVICES_KEY = "tallybot.services"
SETTINGS_KEY = "tallybot.settings"


@dataclass(slots=True)
class Services:
    settings: Settings
    database: Database
    vault: Vault
    users: UserService
    integrations: IntegrationService
    drafts: DraftStore
    pool: ClientPool


def services(context: CallbackContext[Any, Any, Any, Any]) -> Services:
    found = context.application.bot_data.get(SERVICES_KEY)
    if not isinstance(found, Services):
        raise RuntimeError("Tallybot services are not initialised (post_init has not run)")
    return found
