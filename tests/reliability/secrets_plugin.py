"""A pytest plugin that runs any tests with every logger at DEBUG and looks for secrets where they must not be.

    .venv/bin/pytest -p tests.reliability.secrets_plugin tests/test_assistant_e2e.py tests/test_keys_e2e.py ...

Canaries: every API key, secret and passphrase any exchange emulator issues during the run, every Bot API emulator's
token, the `settings` fixture's token and the token in every OKX bill archive download link the emulator hands out
(the link alone authorises the download, like a presigned storage link) and the webhook secret of every bot process
a test starts (TALLYBOT_WEBHOOK_SECRET). After each test it scans, for each canary:
- every log record of every logger (message, arguments, exception text),
- every parameter of every Bot API call the bot made and every file it sent (setWebhook's secret_token excepted:
  that is where the webhook secret goes),
- the raw bytes of every file under the test's tmp_path (the SQLite database with -wal/-shm, logs, downloads; the
  log files of the worker and replica processes a test starts, which run at LOG_LEVEL=DEBUG under this plugin),
- a `pg_dump` of every PostgreSQL database a test made with tests.postgres.fresh_database, taken before it is dropped,
and checks that each user message holding an emulator-issued secret got its deleteMessage (refused or not) from the
bot before any exchange emulator saw a request made after the message arrived.

The results go to `$TALLYBOT_SECRETS_REPORT` (JSON). A value that is not key-shaped (a passphrase the user chose,
Bybit's 18-character API keys) in python-telegram-bot's DEBUG records of incoming updates is a leak like any other:
bot/logs.py strikes every user text from those records.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import os
import shutil
import subprocess
import weakref
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import make_url

import tests.postgres
from sandbox.botapi import BotApiEmulator
from sandbox.botapi.state import EmulatorState
from sandbox.exchanges.base import KeyRegistry, RequestCounter
from sandbox.exchanges.okx_archive import OkxArchive
from sandbox.exchanges.okx_protocol import Call, Json

SETTINGS_FIXTURE_TOKEN = "123456789:TEST-token-not-real-0123456789abcdef"

_counter = itertools.count()
_canaries: dict[str, str] = {"settings fixture token": SETTINGS_FIXTURE_TOKEN}
_states: weakref.WeakSet[EmulatorState] = weakref.WeakSet()
_call_seq: weakref.WeakKeyDictionary[EmulatorState, list[int]] = weakref.WeakKeyDictionary()
_exchange_seq: list[int] = []
_database_dumps: list[tuple[str, bytes]] = []  # (database name, pg_dump), taken since the last test's scan
_report: dict[str, Any] = {
    "tests": 0,
    "canaries": 0,
    "log_records_scanned": 0,
    "bot_api_calls_scanned": 0,
    "files_scanned": 0,
    "database_dumps_scanned": 0,
    "bytes_scanned": 0,
    "secret_messages": 0,
    "deleted_first": 0,
    "leaks": [],
    "late_deletions": [],
}


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.texts: list[tuple[str, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage() + "\n" + (record.exc_text or "")
        if record.exc_info and record.exc_info[1] is not None:
            text += logging.Formatter().formatException(record.exc_info)
        self.texts.append((record.name, text))


_records = _Records()


def _everything_at_debug() -> None:
    for name in ("", *logging.root.manager.loggerDict):
        logging.getLogger(name).setLevel(logging.DEBUG)


def _is_secret(name: str) -> bool:
    return "token" not in name


def pytest_configure(config: pytest.Config) -> None:
    add = KeyRegistry.add

    def issuing(self: KeyRegistry, **kwargs: Any) -> Any:
        key = add(self, **kwargs)
        number = len(_canaries)
        _canaries[f"key {number}"] = key.api_key
        _canaries[f"secret {number}"] = key.secret
        if key.passphrase:
            _canaries[f"passphrase {number}"] = key.passphrase
        return key

    KeyRegistry.add = issuing  # type: ignore[method-assign]

    link = OkxArchive.link

    def linking(self: OkxArchive, call: Call) -> list[Json]:
        answer = link(self, call)
        for entry in answer:
            href = str(entry.get("fileHref") or "")
            if href:  # the token is the link's last path segment: …/archive-files/<token>.zip
                _canaries[f"archive link {len(_canaries)}"] = href.rsplit("/", 1)[-1].removesuffix(".zip")
        return answer

    OkxArchive.link = linking  # type: ignore[method-assign]

    init = BotApiEmulator.__init__

    def emulating(self: BotApiEmulator, **kwargs: Any) -> None:
        init(self, **kwargs)
        _canaries[f"bot token {len(_canaries)}"] = self.token
        state = self._state
        _states.add(state)
        _call_seq[state] = []
        record_call = state.record_call

        def recorded(method: str, params: dict[str, object]) -> None:
            _call_seq[state].append(next(_counter))
            record_call(method, params)

        state.record_call = recorded  # type: ignore[method-assign]

    BotApiEmulator.__init__ = emulating  # type: ignore[method-assign]

    record = RequestCounter.record

    def counting(self: RequestCounter, path: str) -> None:
        _exchange_seq.append(next(_counter))
        record(self, path)

    RequestCounter.record = counting  # type: ignore[method-assign]
    _start_bot_processes_at_debug()
    _dump_each_database_before_it_is_dropped()
    logging.getLogger().addHandler(_records)
    _everything_at_debug()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Iterator[None]:
    _everything_at_debug()  # a test may have called configure_logging, which quiets the libraries again
    yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    _everything_at_debug()
    yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    yield
    _report["tests"] += 1
    canaries = dict(_canaries)
    for logger, text in _records.texts:
        for name, value in canaries.items():
            if value in text:
                _report["leaks"].append([item.nodeid, "log", logger, name])
    _report["log_records_scanned"] += len(_records.texts)
    _records.texts.clear()
    for state in list(_states):
        _scan_state(item.nodeid, state, canaries)
        _states.discard(state)
    _scan_dumps(item.nodeid, canaries)
    folder = getattr(item, "funcargs", {}).get("tmp_path")
    if isinstance(folder, Path) and folder.exists():
        for path in folder.rglob("*"):
            if path.is_file():
                blob = path.read_bytes()
                _report["files_scanned"] += 1
                _report["bytes_scanned"] += len(blob)
                for name, value in canaries.items():
                    if value.encode() in blob:
                        _report["leaks"].append([item.nodeid, "file", path.name, name])


def _start_bot_processes_at_debug() -> None:
    """Worker, replica and CLI processes (`python -m bot …`) log at DEBUG into the files the tests give them, and
    their webhook secret is a canary. The tests choose INFO for their own runs; under this plugin DEBUG is what is
    scanned."""
    spawn = asyncio.create_subprocess_exec

    async def spawning(program: str, *args: str, env: dict[str, str] | None = None, **kwargs: Any) -> Any:
        if env is not None and "bot" in args[:2]:
            env = {**env, "LOG_LEVEL": "DEBUG"}
            secret = env.get("TALLYBOT_WEBHOOK_SECRET")
            if secret and secret not in _canaries.values():
                _canaries[f"webhook secret {len(_canaries)}"] = secret
        return await spawn(program, *args, env=env, **kwargs)

    asyncio.create_subprocess_exec = spawning  # type: ignore[assignment]


def _dump_each_database_before_it_is_dropped() -> None:
    fresh = tests.postgres.fresh_database

    @asynccontextmanager
    async def dumped() -> AsyncIterator[str]:
        async with fresh() as url:
            try:
                yield url
            finally:
                _database_dumps.append(((make_url(url).database or ""), await asyncio.to_thread(_pg_dump, url)))

    tests.postgres.fresh_database = dumped  # the test modules import it by name after this plugin is configured


def _pg_dump(url: str) -> bytes:
    parsed = make_url(url)
    program = shutil.which("pg_dump")
    if program is None:
        raise RuntimeError("pg_dump is needed to scan the PostgreSQL databases for secrets")
    command = [program, "-h", parsed.host or "127.0.0.1", "-p", str(parsed.port or 5432)]
    command += ["-U", parsed.username or "postgres", "--no-owner", parsed.database or ""]
    env = {**os.environ, "PGPASSWORD": parsed.password or ""}
    # A fixed program and our own test database's name.
    return subprocess.run(command, capture_output=True, check=True, timeout=120, env=env).stdout  # noqa: S603


def _scan_dumps(nodeid: str, canaries: dict[str, str]) -> None:
    for name, dump in _database_dumps:
        _report["database_dumps_scanned"] += 1
        _report["bytes_scanned"] += len(dump)
        for canary, value in canaries.items():
            if value.encode() in dump:
                _report["leaks"].append([nodeid, "postgresql", name, canary])
    _database_dumps.clear()


def _scan_state(nodeid: str, state: EmulatorState, canaries: dict[str, str]) -> None:
    calls = state.calls
    seqs = _call_seq.get(state, [])
    for call in calls:
        params = dict(call.params)
        if call.method == "setWebhook":
            params.pop("secret_token", None)  # the one place the webhook secret must go
        payload = json.dumps(params, default=str, ensure_ascii=False)
        _report["bot_api_calls_scanned"] += 1
        for name, value in canaries.items():
            if value in payload:
                _report["leaks"].append([nodeid, "bot api call", call.method, name])
    secrets = [value for name, value in canaries.items() if _is_secret(name)]
    for chat_id in list(state.users):
        for message in state.log(chat_id).messages.values():
            if message.from_bot and message.document is not None:
                for name, value in canaries.items():
                    if value.encode() in message.document.content:
                        _report["leaks"].append([nodeid, "file sent", message.document.file_name, name])
            if message.from_bot or message.text is None or message.update_id is None:
                continue
            if not any(value in message.text for value in secrets):
                continue
            first = state.delivered_at.get(message.update_id)
            if first is None:
                continue  # never handed to the bot (the test ended first)
            _report["secret_messages"] += 1
            deletion = next(
                (
                    index
                    for index, call in enumerate(calls)
                    if index >= first
                    and call.method == "deleteMessage"
                    and str(call.params.get("message_id")) == str(message.message_id)
                    and str(call.params.get("chat_id")) == str(chat_id)
                ),
                None,
            )
            ok = deletion is not None
            if deletion is not None and first >= 1 and len(seqs) > deletion:
                delivered, deleting = seqs[first - 1], seqs[deletion]
                exchange = next((seq for seq in _exchange_seq if seq > delivered), None)
                ok = exchange is None or deleting < exchange
            if ok:
                _report["deleted_first"] += 1
            else:
                _report["late_deletions"].append([nodeid, message.message_id])


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    _report["canaries"] = len(_canaries)
    target = os.environ.get("TALLYBOT_SECRETS_REPORT")
    if target:
        Path(target).write_text(json.dumps(_report, indent=2) + "\n")
    if _report["leaks"] or _report["late_deletions"]:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
