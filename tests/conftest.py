from __future__ import annotations

import json
import logging
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.secret import registry
from bot.settings import Settings
from db.engine import Database
from db.migrate import upgrade_to_head
from sandbox.botapi import BotApiEmulator
from sandbox.runner import ErrorRecorder
from tests.assistant_story import Walker
from tests.postgres import fresh_database
from tests.reliability import conftest as reliability


def pytest_addoption(parser: pytest.Parser) -> None:
    # Registered here, at the root of the tests, so `pytest --long` works from the repository root too (a
    # sub-folder's conftest is loaded too late for options given on the command line).
    parser.addoption(
        "--long",
        action="store_true",
        default=False,
        help="reliability suite: run the big counts (crash trials, state-machine steps, generated inputs)",
    )


# Plugins that gather across the whole session in one process (their report is one file, their verdict the session's
# exit status): a run that loads one stays in one process whatever `-n` says.
SESSION_WIDE_PLUGINS = ("tests.reliability.secrets_plugin",)


WORKERS_PER_CPU = 2


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """`-n auto` (pyproject.toml's addopts): the whole suite (`pytest` naming no tests) runs on two workers per CPU
    this process may use (xdist's own default counts physical cores when psutil is installed: one on a 2-vCPU
    machine). Two, because most of a story's time is spent waiting, not computing: the fetchers pace themselves to
    each exchange's documented limits in real time (Bybit's transfer lists: one request a second) and the bot keeps
    Telegram's one message a second per chat. Measured on 2 CPUs: one worker per CPU used 9% of a CPU in the Bybit
    stories and 40.8 min for the suite, two per CPU 21.6 min with the CPUs 39% busy (docs/RELIABILITY.md, "Test
    run"). A run that names its tests stays in one process, where starting workers would cost more than it saves;
    `-n 2` asks for workers anyway. A session-wide plugin keeps any run in one process."""
    if any(config.pluginmanager.has_plugin(name) for name in SESSION_WIDE_PLUGINS):
        return 0
    if config.args_source is not pytest.Config.ArgsSource.TESTPATHS:
        return 0
    return WORKERS_PER_CPU * len(os.sched_getaffinity(0))


# The figures each pytest-xdist worker measured (`measured`), handed to the controller as JSON.
FIGURES_OUTPUT = "tallybot_reliability_figures"


def pytest_sessionfinish(session: pytest.Session) -> None:
    output = getattr(session.config, "workeroutput", None)
    if output is not None:
        output[FIGURES_OUTPUT] = json.dumps(reliability._figures, default=str)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    reliability._figures.update(json.loads(node.workeroutput.get(FIGURES_OUTPUT, "{}")))


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    """The reliability figures of the whole run (the source of docs/RELIABILITY.md), once, by the controller."""
    figures_by_test = reliability._figures
    if hasattr(config, "workerinput") or not figures_by_test:
        return
    terminalreporter.section("reliability figures" + (" (long run)" if reliability.is_long(config) else ""))
    for name, figures in sorted(figures_by_test.items()):
        shown = ", ".join(f"{key}={value}" for key, value in figures.items())
        terminalreporter.write_line(f"{name}: {shown}")
    target = os.environ.get(reliability.REPORT_ENV)
    if target:
        Path(target).write_text(json.dumps(figures_by_test, indent=2, sort_keys=True, default=str) + "\n")


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
