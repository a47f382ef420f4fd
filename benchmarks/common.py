"""What the benchmarks share: the command line, the report, percentiles, memory readings, databases and accounts.

A benchmark builds a `Report`: sections of plain lines for people, and `figures` (nested JSON) for the smoke test
and for anyone comparing runs. `emit` prints the lines and, with ``--json PATH``, writes the figures there.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import resource
import shlex
import sys
import time
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from bot.integrations import AdvancedOptions, IntegrationService, IntegrationSummary
from bot.secret import Secret
from bot.settings import Settings
from sandbox.exchanges import Credentials

DEFAULT_POSTGRES_ADMIN_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


# ------------------------------------------------------------------------------------------------ the command line


def command_line(module: str, argv: Sequence[str] | None) -> str:
    """The command that reproduces this run, as a person would type it."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    return " ".join([".venv/bin/python", "-m", module, *(shlex.quote(a) for a in arguments if a)])


# ------------------------------------------------------------------------------------------------ the report


@dataclass
class Report:
    """Lines for people and figures for machines, from one run."""

    title: str
    command: str
    quick: bool
    lines: list[str] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)
    targets: dict[str, bool] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.figures["benchmark"] = self.title
        self.figures["command"] = self.command
        self.figures["quick"] = self.quick
        self.figures["machine"] = machine()

    def section(self, title: str) -> None:
        self.lines.append("")
        self.lines.append(f"## {title}")

    def say(self, text: str = "") -> None:
        self.lines.append(text)

    def target(self, name: str, met: bool, text: str) -> None:
        """A target from issue 8 and whether this run met it."""
        self.targets[name] = met
        self.lines.append(f"  target {'MET   ' if met else 'MISSED'} {text}")

    def render(self) -> str:
        head = [
            f"# {self.title}{' (quick)' if self.quick else ''}",
            f"command: {self.command}",
            f"machine: {self.figures['machine']['summary']}",
        ]
        return "\n".join(head + self.lines) + "\n"

    def emit(self, json_path: Path | None) -> None:
        self.figures["targets"] = dict(self.targets)
        sys.stdout.write(self.render())
        sys.stdout.flush()
        if json_path is not None:
            json_path.parent.mkdir(parents=True, exist_ok=True)
            json_path.write_text(json.dumps(self.figures, indent=2, default=str) + "\n", encoding="utf-8")


_STARTED = time.monotonic()


def progress(text: str) -> None:
    """A line on stderr about where a long run is (the report itself goes to stdout)."""
    sys.stderr.write(f"[{time.monotonic() - _STARTED:7.1f} s] {text}\n")
    sys.stderr.flush()


def machine() -> dict[str, Any]:
    cores = os.cpu_count() or 0
    now = datetime.now(UTC)
    summary = f"{cores} cores, Python {platform.python_version()}, {platform.system()} {platform.release()}"
    return {"cores": cores, "python": platform.python_version(), "date": now.date().isoformat(), "summary": summary}


def percentile(values: Sequence[float], share: float) -> float:
    """The `share` (0..1) percentile by nearest rank; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(share * len(ordered) + 0.5)))
    return ordered[rank - 1]


def ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else float("inf")


def rounded(value: float, digits: int = 3) -> float:
    return round(value, digits)


# ------------------------------------------------------------------------------------------------ memory


def rss_mb() -> float:
    """This process's resident set size now, in MiB (Linux /proc)."""
    with open("/proc/self/statm", encoding="ascii") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_rss_mb() -> float:
    """This process's peak resident set size so far, in MiB: VmHWM, the high-water mark of its own memory map.

    Not ``ru_maxrss``: Linux carries that across fork and exec, so a child started by a large parent reports the
    parent's size as its own peak."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ------------------------------------------------------------------------------------------------ databases


def postgres_admin_url() -> str:
    return os.environ.get("TALLYBOT_TEST_POSTGRES_URL", DEFAULT_POSTGRES_ADMIN_URL)


def asyncpg_dsn(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@asynccontextmanager
async def postgres_database() -> AsyncIterator[str | None]:
    """The SQLAlchemy URL of a new empty PostgreSQL database, dropped afterwards; None when no server answers."""
    import asyncpg  # type: ignore[import-untyped]
    from sqlalchemy.engine import make_url

    url = postgres_admin_url()
    try:
        admin = await asyncpg.connect(asyncpg_dsn(url), timeout=5)
    except (OSError, asyncpg.PostgresError):
        yield None
        return
    name = f"tallybot_bench_{uuid.uuid4().hex[:12]}"
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


# ------------------------------------------------------------------------------------------------ accounts


async def connect_account(
    integrations: IntegrationService,
    telegram_user_id: int,
    exchange_id: str,
    credentials: Credentials,
    *,
    name: str,
    key_type: str = "normal",
    sync_from: date | None = None,
) -> IntegrationSummary:
    """Store a key the way the Assistant does after checking it (the benchmarks skip the check's requests)."""
    fields = {"apiKey": Secret(credentials.api_key), "secret": Secret(credentials.secret)}
    if credentials.passphrase:
        fields["password"] = Secret(credentials.passphrase)
    return await integrations.connect(
        telegram_user_id,
        exchange_id=exchange_id,
        key_type=key_type,
        account_name=name,
        fields=fields,
        options=AdvancedOptions(sync_from=sync_from),
    )


def bot_settings(data_dir: Path, **overrides: Any) -> Settings:
    """Settings for a benchmark's bot: its own data directory and embedded database, whatever the environment
    says (a DATABASE_URL or allow-list of the developer's must not leak in)."""
    return Settings(
        telegram_bot_token=overrides.pop("telegram_bot_token", None),
        data_dir=data_dir,
        database_url=None,
        master_key=None,
        allowed_users=frozenset(),
        log_level="WARNING",
        **overrides,
    )


async def prepare_accounts(data_dir: Path, accounts: Sequence[tuple[int, str, Credentials, str, date | None]]) -> None:
    """The bot's database and key file in `data_dir`, holding these (user, exchange, key, name, sync-from) accounts,
    sealed with the master key the bot will load from the same directory."""
    from bot.vault import Vault, load_key_ring
    from db.engine import Database
    from db.migrate import upgrade_to_head

    settings = bot_settings(data_dir)
    ring = load_key_ring(settings)
    database = Database(settings.effective_database_url)
    try:
        await upgrade_to_head(database)
        integrations = IntegrationService(database, Vault(ring))
        for telegram_user_id, exchange_id, credentials, name, sync_from in accounts:
            await connect_account(
                integrations, telegram_user_id, exchange_id, credentials, name=name, sync_from=sync_from
            )
    finally:
        await database.dispose()


def counts(mapping: Mapping[str, int]) -> str:
    return ", ".join(f"{key} {value:,}" for key, value in sorted(mapping.items(), key=lambda item: -item[1]))


# ------------------------------------------------------------------------------------------------ child processes


class Child:
    """A ``python -m benchmarks.serve CONFIG`` process and its JSON-line channel (see benchmarks/serve.py)."""

    def __init__(self, config: Mapping[str, Any], log_path: Path) -> None:
        self.config = dict(config)
        self.log_path = log_path
        self.process: asyncio.subprocess.Process | None = None
        self.ready: dict[str, Any] = {}

    async def start(self, within: float = 180.0) -> dict[str, Any]:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:  # once per child, before it runs
            self.process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "benchmarks.serve",
                json.dumps(self.config),
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=log,
                cwd=REPOSITORY,
                limit=2**24,
            )
        self.ready = await asyncio.wait_for(self._event("ready"), within)
        return self.ready

    @property
    def pid(self) -> int:
        return self.process.pid if self.process is not None else 0

    async def _event(self, name: str) -> dict[str, Any]:
        if self.process is None or self.process.stdout is None:
            raise RuntimeError("the child is not running")
        while True:
            line = await self.process.stdout.readline()
            if not line:
                raise RuntimeError(f"the child exited before {name!r}; see {self.log_path}")
            message: dict[str, Any] = json.loads(line)
            if message.get("event") == name:
                return message

    async def ask(self, command: Mapping[str, Any], answer: str = "stats") -> dict[str, Any]:
        if self.process is None or self.process.stdin is None:
            raise RuntimeError("the child is not running")
        self.process.stdin.write(json.dumps(command).encode() + b"\n")
        await self.process.stdin.drain()
        return await asyncio.wait_for(self._event(answer), 120)

    async def stop(self) -> dict[str, Any]:
        if self.process is None:
            return {}
        try:
            final = await self.ask({"cmd": "stop"}, "stopped")
        finally:
            try:
                await asyncio.wait_for(self.process.wait(), 60)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
            self.process = None
        return final


REPOSITORY = Path(__file__).resolve().parents[1]
