from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.secret import registry
from bot.settings import Settings
from db.engine import Database
from db.migrate import upgrade_to_head
from sandbox.botapi import BotApiEmulator
from sandbox.runner import ErrorRecorder
from tests.assistant_story import Walker
from tests.postgres import fresh_database


def pytest_addoption(parser: pytest.Parser) -> None:
    # Registered here, at the root of the tests, so `pytest --long` works from the repository root too (a
    # sub-folder's conftest is loaded too late for options given on the command line).
    parser.addoption(
        "--long",
        action="store_true",
        default=False,
        help="reliability suite: run the big counts (crash trials, state-machine steps, generated inputs)",
    )


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Tests never read the developer's .env or environment, and start with no pinned secrets."""
    for name in (
        "TELEGRAM_BOT_TOKEN",
        "TELEGRAM_API_BASE_URL",
        "DATABASE_URL",
        "TALLYBOT_DATA_DIR",
        "TALLYBOT_MASTER_KEY",
        "EXCHANGE_URL_OVERRIDES",
        "TALLYBOT_ALLOWED_USERS",
        "LOG_LEVEL",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    yield
    registry.clear()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(telegram_bot_token="123456789:TEST-token-not-real-0123456789abcdef", data_dir=tmp_path / "data")


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'tallybot.sqlite3'}"
    else:
        async with fresh_database() as url:
            yield url


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    db = Database(database_url)
    await upgrade_to_head(db)
    yield db
    await db.dispose()


# -- the chat side of end-to-end stories (a module may override a fixture with its own variant) ------------------


@pytest.fixture
async def telegram() -> AsyncIterator[BotApiEmulator]:
    """The Bot API emulator the real bot under test talks to."""
    async with BotApiEmulator() as emulator:
        yield emulator


@pytest.fixture
def ada(telegram: BotApiEmulator) -> Walker:
    """The user of most stories: she has opened the private chat, so the bot may write to her first."""
    return Walker(telegram, telegram.add_user(user_id=1001, first_name="Ada", started=True))


@pytest.fixture
def recorder() -> Iterator[ErrorRecorder]:
    """Every record at ERROR or above while a sandbox session runs: a session that logs one has failed."""
    errors = ErrorRecorder()
    logging.getLogger().addHandler(errors)
    yield errors
    logging.getLogger().removeHandler(errors)
