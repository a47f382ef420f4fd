"""Crash safety: a sync in another process, killed with SIGKILL at seeded random points, then resumed.

The exchange emulator runs here, in the test's process; the sync runs in a child of `sync_worker.py` (a fork server,
so a trial costs a fork, not a Python start-up) on a database this test shares: a SQLite file, or a PostgreSQL
database. A trial is one killed child. Children are killed:

- "request": the moment the emulator receives the k-th request of the child (the child waits for that answer),
- "response": a few milliseconds after the k-th answer went out (the child is parsing the page or committing it),
- "time": after a random share of a whole sync's duration (anywhere: a commit, the lease's renewal, start-up),
- "early": within the first quarter second (taking the lease, opening the run, loading markets).

After each kill: the database is intact (`PRAGMA integrity_check`, `foreign_key_check`) and holds a subset of the
exchange's records, each once, with exact values. The next child waits for the dead one's lease to lapse and
resumes; a round ends when a child finishes its sync: then the integration holds exactly the ground truth, the
finishing sync fetched nothing that was already stored, and no run is left open. Each round starts a new
integration from nothing, so every round crashes a first sync.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import random
import signal
import sqlite3
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from bot.integrations import AdvancedOptions, IntegrationService
from bot.secret import Secret
from bot.vault import KeyRing, Vault, generate_key
from db.engine import Database
from db.migrate import upgrade_to_head
from db.models import SyncLease, SyncRun, Transaction
from sandbox.exchanges import AccountProfile, BinanceEmulator, Credentials
from sandbox.exchanges.base import before
from tests.postgres import fresh_database
from tests.reliability.conftest import REPO_ROOT
from tests.sync.conftest import UNLIMITED, account_start, stored, truth

SEED = 20261121
TRIALS = 50  # kills per database in the normal run
LONG_TRIALS = 500
PAGE_SIZE = 4
LEASE_TTL = 0.25  # seconds: how long a killed child's lease blocks the next one
TELEGRAM_USER = 515151
ACCOUNT = AccountProfile(
    years=1.0, traded_markets=3, trades=48, deposits=10, withdrawals=6, converts=6, transfers=0, rewards=8
)
MODES = ("request", "request", "response", "response", "time", "early")


# ------------------------------------------------------------------------------------------------ the worker


@dataclass
class Worker:
    """The fork server and what it said."""

    process: asyncio.subprocess.Process
    replies: asyncio.Queue[dict[str, Any]] = field(default_factory=asyncio.Queue)
    events: dict[int, dict[str, Any]] = field(default_factory=dict)
    ended: dict[int, asyncio.Event] = field(default_factory=dict)
    reader: asyncio.Task[None] | None = None

    async def read(self) -> None:
        assert self.process.stdout is not None
        async for raw in self.process.stdout:
            message = json.loads(raw)
            if "event" in message:
                self.events[message["pid"]] = message
                self.ended.setdefault(message["pid"], asyncio.Event()).set()
            else:
                await self.replies.put(message)

    async def ask(self, command: dict[str, Any]) -> dict[str, Any]:
        assert self.process.stdin is not None
        self.process.stdin.write((json.dumps(command) + "\n").encode())
        await self.process.stdin.drain()
        return await asyncio.wait_for(self.replies.get(), timeout=60)

    async def spawn(self, config: dict[str, Any]) -> int:
        pid = int((await self.ask({"cmd": "sync", "config": config}))["child"])
        self.ended.setdefault(pid, asyncio.Event())
        return pid

    async def reap(self, pid: int) -> dict[str, Any]:
        return await self.ask({"cmd": "wait", "pid": pid})


@asynccontextmanager
async def fork_server() -> AsyncIterator[Worker]:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.reliability.sync_worker",
        cwd=REPO_ROOT,
        env=env,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    worker = Worker(process)
    worker.reader = asyncio.create_task(worker.read())
    try:
        ready = await asyncio.wait_for(worker.replies.get(), timeout=120)
        assert ready == {"ready": True}
        yield worker
    finally:
        if process.returncode is None and process.stdin is not None:
            with contextlib.suppress(OSError):
                process.stdin.write(b'{"cmd": "quit"}\n')
                process.stdin.close()
            try:
                await asyncio.wait_for(process.wait(), timeout=10)
            except TimeoutError:
                process.kill()
                await process.wait()
        worker.reader.cancel()


# ------------------------------------------------------------------------------------------------ the bench


@dataclass
class CrashBench:
    database: Database
    database_url: str
    emulator: BinanceEmulator
    worker: Worker
    integrations: IntegrationService
    master_key: bytes
    keys: Credentials
    rng: random.Random
    full_requests: int = 0  # requests of one whole first sync (calibration)
    full_seconds: float = 0.0
    kills: dict[str, int] = field(default_factory=dict)
    completions: int = 0
    rounds: int = 0
    lease_waits: float = 0.0
    checks: int = 0

    def config(self, integration_id: int) -> dict[str, Any]:
        return {
            "database_url": self.database_url,
            "master_key": base64.b64encode(self.master_key).decode(),
            "exchange_id": "binance",
            "base_url": self.emulator.base_url,
            "telegram_user_id": TELEGRAM_USER,
            "integration_id": integration_id,
            "page_size": PAGE_SIZE,
            "lease_ttl": LEASE_TTL,
        }

    async def new_integration(self) -> int:
        self.rounds += 1
        summary = await self.integrations.connect(
            TELEGRAM_USER,
            exchange_id="binance",
            key_type="normal",
            account_name=f"Binance-{self.rounds}",
            fields={"apiKey": Secret(self.keys.api_key), "secret": Secret(self.keys.secret)},
            options=AdvancedOptions(sync_from=self.sync_from),
        )
        return summary.id

    @property
    def sync_from(self) -> date:
        return account_start(self.emulator)

    async def run_child(self, integration_id: int, mode: str | None) -> dict[str, Any] | None:
        """One child; killed as `mode` says (None: left to finish). Its final event, or None when killed."""
        loop = asyncio.get_running_loop()
        killed = asyncio.Event()
        pid = 0

        def kill() -> None:
            if not killed.is_set():
                os.kill(pid, signal.SIGKILL)
                killed.set()

        fault = None
        timer: asyncio.TimerHandle | None = None
        started = time.monotonic()
        pid = await self.worker.spawn(self.config(integration_id))
        if mode in ("request", "response"):
            k = self.rng.randint(1, max(1, self.full_requests))
            pause = self.rng.uniform(0.0, 0.02)
            hook: Callable[[object], object] = (
                (lambda _request: kill()) if mode == "request" else (lambda _request: loop.call_later(pause, kill))
            )
            fault = self.emulator.faults.inject(before(hook), after=k - 1, times=1)
        elif mode == "time":
            timer = loop.call_later(self.rng.uniform(0.0, self.full_seconds), kill)
        elif mode == "early":
            timer = loop.call_later(self.rng.uniform(0.0, 0.25), kill)
        ended = self.worker.ended[pid]
        waiters = [asyncio.create_task(ended.wait()), asyncio.create_task(killed.wait())]
        await asyncio.wait(waiters, timeout=120, return_when=asyncio.FIRST_COMPLETED)
        for waiter in waiters:
            waiter.cancel()
        if timer is not None:
            timer.cancel()
        if fault is not None:
            self.emulator.faults.clear()
        reaped = await self.worker.reap(pid)
        self.worker.ended.pop(pid, None)
        event = self.worker.events.pop(pid, None)
        if reaped["signal"] == signal.SIGKILL:
            assert mode is not None
            self.kills[mode] = self.kills.get(mode, 0) + 1
            return None
        assert event is not None and event["event"] == "done", (reaped, event)
        assert reaped["code"] == 0, reaped
        self.lease_waits += float(event["lease_wait"])
        if mode is None:
            self.full_seconds = time.monotonic() - started
        return event

    # -- what must hold -------------------------------------------------------------------------------------

    async def assert_intact(self, integration_id: int) -> None:
        """After any kill: storage intact, and what is stored is a subset of the truth, each record once."""
        self.checks += 1
        if self.database.is_sqlite:
            path = make_url(self.database_url).database
            assert path is not None
            with sqlite3.connect(path) as raw:
                assert raw.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
                assert raw.execute("PRAGMA foreign_key_check").fetchall() == []
        rows = await self.rows(integration_id)
        kept = stored(rows)  # raises on a natural key stored twice
        expected = truth(self.emulator)
        assert kept.items() <= expected.items(), "a stored record differs from the exchange's"
        async with self.database.reader() as session:
            total = await session.scalar(
                select(func.count()).select_from(Transaction).where(Transaction.integration_id == integration_id)
            )
        assert total == len(kept)

    async def assert_complete(self, integration_id: int, final: dict[str, Any]) -> None:
        """After the sync that finished: exactly the ground truth, nothing fetched twice, no run left open."""
        await self.assert_intact(integration_id)
        assert final["status"] == "ok", final
        assert stored(await self.rows(integration_id)) == truth(self.emulator)
        assert final["known"] == 0, f"the resumed sync fetched {final['known']} records it had already stored"
        async with self.database.reader() as session:
            open_runs = await session.scalar(
                select(func.count())
                .select_from(SyncRun)
                .where(SyncRun.integration_id == integration_id, SyncRun.finished_at.is_(None))
            )
            lease = await session.get(SyncLease, integration_id)
        assert open_runs == 0 and lease is None

    async def rows(self, integration_id: int) -> list[Transaction]:
        async with self.database.reader() as session:
            result = await session.scalars(select(Transaction).where(Transaction.integration_id == integration_id))
            return list(result.all())


async def crash_trials(database: Database, database_url: str, wanted: int) -> dict[str, Any]:
    """Kill syncs on this database until `wanted` kills; every round resumed to the ground truth. Its figures."""
    backend = database.engine.dialect.name
    master_key = generate_key()
    integrations = IntegrationService(database, Vault(KeyRing([master_key])))
    started = time.monotonic()
    async with (
        BinanceEmulator(seed=SEED, profile=ACCOUNT, listed_symbols=30, limits=UNLIMITED) as emulator,
        fork_server() as worker,
    ):
        bench = CrashBench(
            database=database,
            database_url=database_url,
            emulator=emulator,
            worker=worker,
            integrations=integrations,
            master_key=master_key,
            keys=emulator.add_key(label="crash"),
            rng=random.Random(f"{SEED}:{backend}"),
        )
        # Calibration, unkilled: how many requests and how long one whole first sync takes.
        first = await bench.new_integration()
        before_requests = emulator.requests.total
        final = await bench.run_child(first, None)
        assert final is not None
        bench.full_requests = emulator.requests.total - before_requests
        await bench.assert_complete(first, final)

        while sum(bench.kills.values()) < wanted:
            integration_id = await bench.new_integration()
            while True:
                outcome = await bench.run_child(integration_id, bench.rng.choice(MODES))
                if outcome is None:
                    await bench.assert_intact(integration_id)
                    continue
                bench.completions += 1
                await bench.assert_complete(integration_id, outcome)
                break
        records = len(truth(emulator))

    trials = sum(bench.kills.values())
    assert trials >= wanted
    assert all(bench.kills.get(mode, 0) > 0 for mode in set(MODES)), bench.kills
    return {
        "trials": trials,
        "kills_by_mode": dict(sorted(bench.kills.items())),
        "rounds": bench.rounds - 1,
        "resumed_to_ground_truth": bench.completions,
        "records_per_round": records,
        "requests_per_full_sync": bench.full_requests,
        "checks": bench.checks,
        "lost": 0,
        "duplicated": 0,
        "seconds": round(time.monotonic() - started, 1),
    }


async def test_a_sync_killed_at_random_points_resumes_to_exactly_the_ground_truth(
    tmp_path: Path, long_run: bool, measured: Callable[..., None]
) -> None:
    """On SQLite and PostgreSQL at once: each has its own emulator and fork server, so the two machines' worth of
    waiting (leases lapsing, connections) overlaps on the two cores."""
    wanted = LONG_TRIALS if long_run else TRIALS
    async with contextlib.AsyncExitStack() as stack:
        urls = [f"sqlite+aiosqlite:///{tmp_path / 'crash.sqlite3'}"]
        try:
            urls.append(await stack.enter_async_context(fresh_database()))
        except pytest.skip.Exception as skipped:  # no server here: SQLite alone, and say so
            measured(postgresql=f"skipped: {skipped}")
        databases = []
        for url in urls:
            database = Database(url)
            stack.push_async_callback(database.dispose)
            await upgrade_to_head(database)
            databases.append(database)
        figures = await asyncio.gather(
            *(crash_trials(db, url, wanted) for db, url in zip(databases, urls, strict=True))
        )
    measured(**{db.engine.dialect.name: found for db, found in zip(databases, figures, strict=True)})
