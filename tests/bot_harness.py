"""The real Tallybot Application, served against the Bot API emulator on 127.0.0.1."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from telegram.ext import Application

from bot.app import build_application, serving
from bot.settings import Settings
from sandbox.botapi import BotApiEmulator


def settings_for(emulator: BotApiEmulator, data_dir: Path, **overrides: Any) -> Settings:
    return Settings(
        telegram_bot_token=SecretStr(emulator.token),
        telegram_api_base_url=emulator.base_url,
        data_dir=data_dir,
        **overrides,
    )


@asynccontextmanager
async def running_bot(settings: Settings) -> AsyncIterator[Application]:  # type: ignore[type-arg]
    async with serving(build_application(settings)) as application:
        yield application
