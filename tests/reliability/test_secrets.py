"""Secrets: with every logger at DEBUG, the credentials a user pastes and the bot token are nowhere they should not be.

One story through the real bot, on SQLite and on PostgreSQL: a user connects Binance and OKX with the Assistant (key,
secret, passphrase), pastes a secret where none is asked for, syncs, looks at /status and /keys, replaces the
Binance key (once with Telegram refusing to delete the pasted secret), syncs after the key was revoked on the
exchange (ccxt errors quoting signed requests), exports and uploads a file. The canaries are every value of every
key the emulators issued for it, the OKX passphrase the user chose, the bot token and the master key.

Afterwards none of them may appear in:
- any log record of any logger (root and every library at DEBUG, SQLAlchemy's SQL and parameters included),
  message, arguments or exception text;
- the database's raw bytes: the SQLite file with its -wal and -shm, or a `pg_dump` of the PostgreSQL database;
- the text of any exception that reached the bot's error handler;
- any Bot API call the bot made (every parameter of every method) or file it sent.

And every user message holding a secret was deleted (or its deletion attempted, where Telegram refused and the user
was told) as the bot's first Bot API call after receiving it, before the exchange saw any request after it.

`test_the_end_to_end_suite_leaks_nothing_at_debug` (--long) runs the project's whole end-to-end suite under
`secrets_plugin.py`, which applies the same scans to every story in it.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import logging
import os
import shutil
import subprocess
import sys
import traceback
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from telegram.ext import Application, ContextTypes

import bot.sync.endpoint
import bot.sync.service
import connectors.keycheck
from bot.context import SERVICES_KEY, Services
from bot.vault import generate_key
from connectors.files.tallybot import template_csv
from sandbox.botapi import BotApiEmulator
from sandbox.botapi.models import ChatMessage
from sandbox.exchanges import (
    READ_ONLY,
    AccountProfile,
    BinanceEmulator,
    BybitEmulator,
    BybitLimits,
    Credentials,
    OkxEmulator,
    OkxLimits,
)
from sandbox.exchanges.base import ExchangeEmulator, before
from tests.assistant_story import Walker
from tests.bot_harness import running_bot, settings_for
from tests.reliability.conftest import REPO_ROOT
from tests.sync.conftest import UNLIMITED

ACCOUNT = AccountProfile(
    years=0.2, traded_markets=2, trades=12, deposits=4, withdrawals=3, converts=2, transfers=0, rewards=2
)
PASSPHRASE = "Canary-Passphrase#7f3a9c1e"
E2E_SUITE = (
    "tests/test_assistant_e2e.py",
    "tests/test_keys_e2e.py",
    "tests/test_sync_e2e.py",
    "tests/test_bot_e2e.py",
    "tests/test_help_and_settings_e2e.py",
    # The paths added since, each by its shortest story (worker, replica and CLI processes at LOG_LEVEL=DEBUG, their
    # log files and the PostgreSQL databases scanned by secrets_plugin.py):
    "tests/test_workers_e2e.py::test_two_workers_run_the_queued_syncs_and_edit_the_chat_themselves",
    "tests/test_autosync_workers_e2e.py",
    "tests/test_webhook_e2e.py",
    "tests/test_okx_bill_archive_e2e.py",
    "tests/test_exchange_ip_budget.py::test_two_workers_on_one_ip_stay_within_the_exchanges_ip_limit",
    "tests/test_telegram_budget.py::test_four_processes_sending_at_once_stay_within_one_bots_budget",
)


# ------------------------------------------------------------------------------------------------ what is watched


class Everything(logging.Handler):
    """Every record of every logger, as the text a log file would hold (message and exception)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.texts: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        parts = [record.name, record.getMessage(), record.exc_text or "", record.stack_info or ""]
        if record.exc_info and record.exc_info[1] is not None:
            parts.append(logging.Formatter().formatException(record.exc_info))
        self.texts.append("\n".join(parts))


@contextmanager
def every_logger_at_debug() -> Iterator[Everything]:
    """Every logger at DEBUG — the root, and each library that was set quieter (configure_logging does that) —
    recorded by one handler; the levels are put back afterwards."""
    everything = Everything()
    root = logging.getLogger()
    levels = {name: logging.getLogger(name).level for name in ("", *logging.root.manager.loggerDict)}
    root.addHandler(everything)
    try:
        for name in levels:
            logging.getLogger(name).setLevel(logging.DEBUG)
        yield everything
    finally:
        root.removeHandler(everything)
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


@dataclass
class Timeline:
    """One order over the bot's Bot API calls and the exchanges' requests (both are served in this process)."""

    counter: itertools.count[int] = field(default_factory=itertools.count)
    call_seq: list[int] = field(default_factory=list)  # parallel to the emulator's calls
    exchange_seq: list[int] = field(default_factory=list)

    def watch(self, telegram: BotApiEmulator, *exchanges: ExchangeEmulator) -> None:
        state = telegram._state  # the emulator keeps calls there; we only add a sequence number
        record_call = state.record_call

        def recorded(method: str, params: dict[str, object]) -> None:
            self.call_seq.append(next(self.counter))
            record_call(method, params)

        state.record_call = recorded  # type: ignore[method-assign]
        for exchange in exchanges:
            exchange.faults.inject(before(lambda _: self.exchange_seq.append(next(self.counter))), times=None)


def error_texts(application: Application) -> list[str]:  # type: ignore[type-arg]
    """A second error handler that keeps the full text and traceback of every exception the bot's handlers raised."""
    seen: list[str] = []

    async def keep(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        error = context.error
        if error is not None:
            seen.append(f"{error!r}\n{error}\n" + "".join(traceback.format_exception(error)))

    application.add_error_handler(keep)
    return seen


def leaks(canaries: dict[str, str], texts: Iterable[str]) -> list[tuple[str, str]]:
    """(canary name, where) for each canary found in the texts."""
    found = []
    for content in texts:
        for name, value in canaries.items():
            if value in content:
                where = content.find(value)
                found.append((name, f"{content.split(chr(10), 1)[0]}: …{content[max(0, where - 60) : where + 20]}"))
    return found


def byte_leaks(canaries: dict[str, str], blobs: dict[str, bytes]) -> list[tuple[str, str]]:
    return [
        (name, where) for where, blob in blobs.items() for name, value in canaries.items() if value.encode() in blob
    ]


async def database_bytes(services: Services, data_dir: Path) -> dict[str, bytes]:
    """The raw bytes of the database: the SQLite files (with the WAL), or a pg_dump of the PostgreSQL database."""
    database = services.database
    if database.is_sqlite:
        path = make_url(database.url).database
        assert path is not None
        return await asyncio.to_thread(sqlite_files, Path(path), data_dir)
    url = make_url(database.url)
    dump = shutil.which("pg_dump")
    if dump is not None:
        command = [dump, "-h", url.host or "127.0.0.1", "-p", str(url.port or 5432), "-U", url.username or "postgres"]
        command += ["--no-owner", url.database or ""]
        env = {**os.environ, "PGPASSWORD": url.password or ""}
        result = await asyncio.to_thread(
            subprocess.run,  # a fixed program and our own test database's name
            command,
            capture_output=True,
            check=True,
            timeout=60,
            env=env,
        )
        return {"pg_dump": result.stdout}
    # No pg_dump on this machine: every table as text instead.
    blobs: dict[str, bytes] = {}
    async with database.reader() as session:
        tables = (await session.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'"))).all()
        for (table,) in tables:
            rows = (await session.execute(text(f'SELECT * FROM "{table}"'))).all()  # noqa: S608
            blobs[table] = "\n".join(repr(tuple(row)) for row in rows).encode()
    return blobs


def sqlite_files(database: Path, data_dir: Path) -> dict[str, bytes]:
    files = [database, Path(f"{database}-wal"), Path(f"{database}-shm"), *sorted(data_dir.glob("*"))]
    return {str(f): f.read_bytes() for f in dict.fromkeys(files) if f.is_file()}


def exceptions_diagnosed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The text of every exchange error the sync engine and the key check diagnosed (ccxt's texts quote the
    requests): they stay in the process, but must not carry a key either."""
    seen: list[str] = []

    def watching(original: Callable[..., Any]) -> Callable[..., Any]:
        def diagnose(error: BaseException, *args: Any, **kwargs: Any) -> Any:
            seen.append(f"{error!r}\n{error}\n" + "".join(traceback.format_exception(error)))
            return original(error, *args, **kwargs)

        return diagnose

    for module in (bot.sync.service, bot.sync.endpoint, connectors.keycheck):
        monkeypatch.setattr(module, "diagnose", watching(module.diagnose))
    return seen


# ------------------------------------------------------------------------------------------------ the story


@dataclass
class Story:
    telegram: BotApiEmulator
    binance: BinanceEmulator
    okx: OkxEmulator
    app: Application  # type: ignore[type-arg]
    ada: Walker
    canaries: dict[str, str] = field(default_factory=dict)

    def issue(self, exchange: ExchangeEmulator, label: str, *, passphrase: str | None = None) -> Credentials:
        keys = exchange.add_key(READ_ONLY, label=label, passphrase=passphrase)
        self.canaries[f"{label} key"] = keys.api_key
        self.canaries[f"{label} secret"] = keys.secret
        if keys.passphrase:
            self.canaries[f"{label} passphrase"] = keys.passphrase
        return keys

    async def paste(self, value: str, expect: str) -> ChatMessage:
        sent = await self.ada.send(value)
        await self.ada.reply_to(sent, expect, timeout=30)
        return sent

    async def settle(self) -> None:
        await self.telegram.wait_until(lambda: not self.telegram.pending_updates, timeout=30)
        await asyncio.wait_for(self.app.update_queue.join(), timeout=60)

    async def play(self) -> None:
        ada = self.ada
        binance_keys = self.issue(self.binance, "binance")
        okx_keys = self.issue(self.okx, "okx", passphrase=PASSPHRASE)
        since = (date.today() - timedelta(days=80)).isoformat()

        # The Assistant: Binance then OKX, every field pasted and deleted.
        sent = await ada.send("/start")
        await ada.reply_to(sent, "Connect your exchanges")
        for name in ("Binance", "OKX"):
            await ada.press(name)
        await ada.press_for("Confirm exchanges", "paste your")
        await self.paste(binance_keys.api_key, "paste your Secret")
        await self.paste(binance_keys.secret, "Check the key")
        await ada.press_for("Advanced options", "Advanced options")
        await ada.press_for("Sync from date", "YYYY-MM-DD")
        await self.paste(since, "Advanced options")
        await ada.press_for("Back", "Check the key")
        await ada.press_for("Check and connect", "paste your")  # Binance connected; OKX asks for its key
        await self.paste(okx_keys.api_key, "paste your")
        await self.paste(okx_keys.secret, "paste your")
        await self.paste(okx_keys.passphrase, "Check the key")
        await ada.press_for("Check and connect", "All done")

        # A secret where none is asked for.
        await self.paste(binance_keys.secret, "deleted it")

        # Sync, status, keys.
        await self.paste("/sync", "Sync finished")
        await self.paste("/status", "Your accounts")

        # Replace the Binance key; Telegram refuses to delete the pasted secret once.
        fresh = self.issue(self.binance, "binance replacement")
        await self.paste("/keys", "Your accounts")
        await ada.press_for("Binance-1 ›", "API key")
        await ada.press_for("Replace key", "paste your")
        await self.paste(fresh.api_key, "paste your Secret")
        self.telegram.fail("deleteMessage", error_code=400, description="Bad Request: message can't be deleted")
        await self.paste(fresh.secret, "Check the key")
        await ada.press_for("Check and connect", "is connected")

        # The key is revoked on the exchange: the next sync fails with ccxt errors quoting the signed requests.
        self.binance.revoke_key(fresh.api_key)
        await self.paste("/sync", "Sync finished")

        # Export and upload.
        await self.paste("/export", "Which format?")
        await ada.press_for("Tallybot CSV", "Export which account?")
        before = len(self.telegram.calls_to("sendDocument"))
        await ada.press("All accounts")
        await self.telegram.wait_until(lambda: len(self.telegram.calls_to("sendDocument")) > before, timeout=30)
        upload = await self.telegram.send_document(ada.user, filename="history.csv", content=template_csv())
        await ada.reply_to(upload, "Which account")
        await ada.press_for("Binance-1", "imported", timeout=30)
        await self.settle()


@pytest.fixture
async def story(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[Story, Services, Path]]:
    limits = UNLIMITED  # no real waits for Binance's weight limits: this emulator serves the whole test
    okx_limits = OkxLimits(rules={}, default_rule=(100_000, 1_000))
    master_key = base64.b64encode(generate_key()).decode()
    data_dir = tmp_path / "data"
    with every_logger_at_debug() as everything:
        async with (
            BotApiEmulator() as telegram,
            BinanceEmulator(seed=91, profile=ACCOUNT, listed_symbols=10, limits=limits) as binance,
            OkxEmulator(seed=92, profile=ACCOUNT, listed_symbols=10, limits=okx_limits) as okx,
        ):
            settings = settings_for(
                telegram,
                data_dir,
                exchange_url_overrides={"binance": binance.base_url, "okx": okx.base_url},
                database_url=None if database_url.startswith("sqlite") else database_url,
                master_key=master_key,
            )
            ada = Walker(telegram, telegram.add_user(user_id=1001, first_name="Ada", started=True))
            timeline = Timeline()
            timeline.watch(telegram, binance, okx)
            async with running_bot(settings) as app:
                played = Story(telegram, binance, okx, app, ada)
                played.canaries.update({"bot token": telegram.token, "master key": master_key})
                exceptions = error_texts(app)
                diagnosed = exceptions_diagnosed(monkeypatch)
                await played.play()
                exceptions.extend(diagnosed)
                services: Services = app.bot_data[SERVICES_KEY]
                blobs = await database_bytes(services, data_dir)
                app.bot_data["reliability.scans"] = (everything, exceptions, blobs, timeline)
                yield played, services, data_dir


async def test_no_canary_and_no_bot_token_anywhere_and_every_secret_deleted_first(
    story: tuple[Story, Services, Path], measured: Callable[..., None]
) -> None:
    played, services, _ = story
    everything, exceptions, blobs, timeline = played.app.bot_data["reliability.scans"]
    canaries = dict(played.canaries)
    telegram = played.telegram

    logged = leaks(canaries, everything.texts)
    raised = leaks(canaries, exceptions)
    stored = byte_leaks(canaries, blobs)
    calls = telegram.calls
    payloads = [json.dumps(call.params, default=str, ensure_ascii=False) for call in calls]
    files = [m.document.content for m in telegram.messages(played.ada.chat_id) if m.from_bot and m.document]
    sent = leaks(canaries, payloads) + byte_leaks(canaries, {f"file {i}": f for i, f in enumerate(files)})

    # Every user message holding a secret: its deletion was the bot's first call after receiving it, and came
    # before the exchanges saw any request made after it arrived.
    secrets = [value for name, value in canaries.items() if name not in ("bot token", "master key")]
    holding = [
        m
        for m in telegram.messages(played.ada.chat_id)
        if not m.from_bot and m.text is not None and any(value in m.text for value in secrets)
    ]
    delivered_at = telegram._state.delivered_at
    late: list[str] = []
    deleted = refused = 0
    for message in holding:
        assert message.update_id is not None
        first = delivered_at[message.update_id]
        delivered = timeline.call_seq[first - 1]
        after = [call for call in calls[first:] if call.method != "getUpdates"]
        first_call = after[0]
        is_delete = first_call.method == "deleteMessage" and str(first_call.params["message_id"]) == str(
            message.message_id
        )
        deleting = timeline.call_seq[calls.index(first_call)] if is_delete else None
        exchange_after = next((seq for seq in timeline.exchange_seq if seq > delivered), None)
        if deleting is None or (exchange_after is not None and exchange_after < deleting):
            late.append(f"message {message.message_id}: first call {first_call.method}")
        if message.deleted:
            deleted += 1
        else:
            refused += 1

    assert (logged, raised, stored, sent, late) == ([], [], [], [], []), (logged[:5], raised, stored, sent, late)
    assert refused == 1 and deleted == len(holding) - 1  # the one Telegram refused to delete, as scripted
    assert len(holding) == 8  # Binance key and secret, OKX key, secret and passphrase, the stray one, the new pair
    measured(
        backend=services.database.engine.dialect.name,
        canaries=len(canaries),
        log_records_scanned=len(everything.texts),
        exception_texts_scanned=len(exceptions),
        database_bytes_scanned=sum(len(blob) for blob in blobs.values()),
        bot_api_calls_scanned=len(payloads),
        files_scanned=len(files),
        secret_messages=len(holding),
        deleted_first=deleted,
        deletion_refused_and_user_told=refused,
        leaks=0,
    )


@pytest.mark.parametrize("pasted", ["okx passphrase", "bybit api key"])
async def test_a_credential_pasted_into_the_bot_never_reaches_a_log_record_at_debug(
    tmp_path: Path, pasted: str
) -> None:
    with every_logger_at_debug() as everything:
        okx_limits = OkxLimits(rules={}, default_rule=(100_000, 1_000))
        bybit_limits = BybitLimits(per_second={}, default_per_second=10_000, ip_requests_per_5s=100_000)
        async with (
            BotApiEmulator() as telegram,
            OkxEmulator(seed=93, profile=ACCOUNT, limits=okx_limits) as okx,
            BybitEmulator(seed=94, profile=ACCOUNT, limits=bybit_limits) as bybit,
        ):
            ada = Walker(telegram, telegram.add_user(user_id=1001, first_name="Ada", started=True))
            overrides = {"okx": okx.base_url, "bybit": bybit.base_url}
            settings = settings_for(telegram, tmp_path / "data", exchange_url_overrides=overrides)
            if pasted == "okx passphrase":
                keys = okx.add_key(READ_ONLY, passphrase=PASSPHRASE)
                exchange, values, canary = "OKX", [keys.api_key, keys.secret, PASSPHRASE], PASSPHRASE
            else:
                keys = bybit.add_key(READ_ONLY)
                exchange, values, canary = "Bybit", [keys.api_key, keys.secret], keys.api_key
            async with running_bot(settings):
                sent = await ada.send("/connect")
                await ada.reply_to(sent, "Connect your exchanges")
                await ada.press(exchange)
                await ada.press_for("Confirm exchanges", "paste your")
                for value in values:
                    message = await ada.send(value)
                    await ada.reply_to(message, "received")
                    assert telegram.message(ada.chat_id, message.message_id).deleted

    assert leaks({pasted: canary}, everything.texts) == []


def test_the_end_to_end_suite_leaks_nothing_at_debug(
    long_run: bool, tmp_path: Path, measured: Callable[..., None]
) -> None:
    """The project's whole end-to-end suite under secrets_plugin.py (every logger at DEBUG, every key any emulator
    issues a canary). About five minutes: part of the long run only."""
    if not long_run:
        pytest.skip("the whole end-to-end suite at DEBUG runs with --long (TALLYBOT_LONG=1)")
    report = tmp_path / "secrets-report.json"
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "TALLYBOT_SECRETS_REPORT": str(report)}
    env.pop("TALLYBOT_LONG", None)
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "tests.reliability.secrets_plugin"]
    command += E2E_SUITE
    result = subprocess.run(  # noqa: S603  # our own interpreter running our own tests
        command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=1800
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    figures = json.loads(report.read_text())
    assert figures["leaks"] == [] and figures["late_deletions"] == []
    measured(**{key: value for key, value in figures.items() if key not in ("leaks", "late_deletions")}, leaks=0)
