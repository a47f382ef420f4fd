"""The scaled-out deployment (issue 18): webhook replicas and a sync worker on PostgreSQL.

    python -m benchmarks.scale_out [--quick] [--json PATH]

Processes, as an operator runs them: this one plays Telegram (the Bot API emulator, delivering by webhook through a
small round-robin balancer) and the users; two `tallybot run --webhook` replicas and one `tallybot worker` (4 syncs at
once, the default) run as separate processes on a fresh PostgreSQL database; the four exchange emulators run in
another (benchmarks.serve, the accounts of benchmarks.bot_load, limits lifted: the product's own pacing paces).

Measured, in order:
1. **Echo baseline**: benchmarks.bot_load's echo bot with PTB's AIORateLimiter and Tallybot's update processor
   (long polling), W walkers of four texts each: updates per second.
2. **Updates per second through 1, then 2 replicas**: W walkers of the Assistant's first steps and /status (four
   updates each), the balancer sending to one replica, then to both. Replies go through the shared Telegram budget
   (bot/telegram_budget.py: 25 messages a second), so that bounds the rate as 30 a second bounds the echo bot's.
3. **Reply latency**: paced /status probes on the idle deployment, then the same while the users' /sync runs their
   syncs (20 in full, 5 per exchange) in the worker; p99 loaded ÷ p99 idle (issue 18's goal: ≤ 1.3).
4. **The replica's memory**: VmRSS and VmHWM (peak) of a replica after the syncs, which never ran in it.

Placement: a worker exists so that syncs run on other cores (or another machine) than the replicas. On a machine
with two or more cores the run pins its processes as such a deployment places them: the replicas and this process
(Telegram and the users) on the first half of the cores; the worker, the exchange emulators and PostgreSQL's
processes on the other half (the kernel's CPU affinity, inherited by each child; PostgreSQL's are given back their
cores at the end). PostgreSQL goes with the worker because in a deployment it is a server of its own, which the
replicas reach over the network: what they share with the syncs is its time, which they still wait for here, not
their own cores. `--no-pin` lets every process run on every core, as a single machine shared by everything runs
them.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import itertools
import os
import secrets
import socket
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager, contextmanager, suppress
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from pydantic import SecretStr

from benchmarks.bot_load import (
    ASSISTANT_WALK,
    EXCHANGES,
    QUICK,
    SYNC,
    Observer,
    Sizes,
    Users,
    World,
    echo_run,
    probe,
    walk_all,
)
from benchmarks.common import Child, Report, command_line, connect_account, progress, ratio, rounded
from bot.integrations import IntegrationService
from bot.settings import Settings
from bot.vault import Vault, generate_key, load_key_ring
from db.engine import Database
from db.migrate import upgrade_to_head
from sandbox.botapi import BotApiEmulator
from sandbox.exchanges import Credentials

REPO = Path(__file__).resolve().parent.parent
SECRET = secrets.token_urlsafe(24)  # the replicas' webhook secret, new each run
HEADER = "X-Telegram-Bot-Api-Secret-Token"
ADMIN_URL = os.environ.get("TALLYBOT_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
# Issue 18's 20 syncs (5 per exchange) on bot_load's quick accounts (3,000 trades each; four at a time in the
# worker, about a minute each: the 20 run for about five minutes), 10 probes a second for 60 s (600 replies: a p99
# of six, not two), 100 walkers per replica count.
STANDARD = replace(QUICK, sync_users=20, probe_users=20, probe_rate=10.0, probe_seconds=60.0, limited_walkers=100)
PROBE_BASE = 5_000_000
SYNC_BASE = 6_000_000


Cores = frozenset[int] | None  # None: not pinned


def split_cores(pin: bool) -> tuple[Cores, Cores]:
    """The replicas' cores and the syncs' cores: the two halves of what this process may use, or no pinning."""
    available = sorted(os.sched_getaffinity(0))
    if not pin or len(available) < 2:
        return None, None
    half = len(available) // 2
    return frozenset(available[:half]), frozenset(available[half:])


@contextmanager
def placed(cores: Cores) -> Iterator[None]:
    """Children started inside run on `cores`: a child inherits the affinity of the thread that starts it."""
    if cores is None:
        yield
        return
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, cores)
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)


def postgres_pids() -> list[int]:
    """The local PostgreSQL server's processes (the postmaster and its backends), by their command name."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "postgres":
                    found.append(int(entry.name))
            except OSError:
                continue  # gone meanwhile
    return found


@contextmanager
def postgres_on(cores: Cores) -> Iterator[bool]:
    """PostgreSQL's processes on `cores` (new backends inherit the postmaster's), given back their own at the end.
    Yields False when they could not be moved (not ours to move: run as their owner or root)."""
    if cores is None:
        yield False
        return
    moved: dict[int, set[int]] = {}
    try:
        for pid in postgres_pids():
            try:
                before = os.sched_getaffinity(pid)
                os.sched_setaffinity(pid, cores)
                moved[pid] = before
            except (PermissionError, ProcessLookupError):
                continue
        yield bool(moved)
    finally:
        for pid, before in moved.items():
            with suppress(ProcessLookupError):
                os.sched_setaffinity(pid, before)
        everything = frozenset(range(os.cpu_count() or 1))
        for pid in set(postgres_pids()) - set(moved):  # backends started during the run inherited `cores`
            with suppress(ProcessLookupError, PermissionError, OSError):
                os.sched_setaffinity(pid, everything)


def free_port() -> int:
    with socket.socket() as probe_socket:
        probe_socket.bind(("127.0.0.1", 0))
        port: int = probe_socket.getsockname()[1]
        return port


class Balancer:
    """Round robin over the replicas it is given (one, then both), as a load balancer in front of them."""

    def __init__(self) -> None:
        self.targets: list[str] = []
        self._turn: itertools.cycle[str] = itertools.cycle([])
        self._session: aiohttp.ClientSession | None = None

    def send_to(self, targets: list[str]) -> None:
        self.targets = targets
        self._turn = itertools.cycle(targets)

    async def forward(self, request: web.Request) -> web.Response:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120))
        headers = {
            name: value for name, value in request.headers.items() if name.lower() in ("content-type", HEADER.lower())
        }
        async with self._session.post(
            next(self._turn) + request.path, data=await request.read(), headers=headers
        ) as answer:
            return web.Response(status=answer.status)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()


@asynccontextmanager
async def fresh_postgres() -> AsyncIterator[str]:
    import asyncpg  # type: ignore[import-untyped]
    from sqlalchemy.engine import make_url

    admin = await asyncpg.connect(
        make_url(ADMIN_URL).set(drivername="postgresql").render_as_string(hide_password=False)
    )
    name = f"tallybot_bench_{os.getpid()}"
    await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


EXCHANGES_NICENESS = 19


def memory_of(pid: int) -> dict[str, float]:
    """VmRSS and VmHWM of a process, in MB (Linux)."""
    found: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            found[name] = rounded(int(value.split()[0]) / 1024, 1)
    return found


async def started(env: dict[str, str], log: Path, *args: str) -> asyncio.subprocess.Process:
    with log.open("wb") as sink:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", *args, cwd=REPO, env=env, stdout=sink, stderr=asyncio.subprocess.STDOUT
        )


async def until_healthy(url: str, within: float = 180.0) -> None:
    deadline = time.monotonic() + within
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            try:
                async with session.get(url + "/healthz") as answer:
                    if answer.status == 200:
                        return
            except aiohttp.ClientConnectionError:
                pass
            await asyncio.sleep(0.2)
    raise TimeoutError(f"{url} never became healthy")


async def connect_accounts(
    url: str, master_key: str, accounts: Sequence[tuple[int, str, Credentials, str]], sync_from: Any
) -> None:
    database = Database(url)
    try:
        await upgrade_to_head(database)
        ring = load_key_ring(Settings(database_url=url, master_key=SecretStr(master_key)))
        integrations = IntegrationService(database, Vault(ring))
        for user_id, exchange_id, credentials, name in accounts:
            await connect_account(integrations, user_id, exchange_id, credentials, name=name, sync_from=sync_from)
    finally:
        await database.dispose()


async def measure(sizes: Sizes, workdir: Path, front: Cores, back: Cores) -> dict[str, Any]:
    data: dict[str, Any] = {
        "load_before": os.getloadavg(),
        "cores": {"replicas": sorted(front or ()), "worker": sorted(back or ())},
    }
    async with AsyncExitStack() as stack:
        data["postgres_pinned"] = stack.enter_context(postgres_on(back))
        exchanges = Child(
            {"kind": "exchanges", "seed": 8, "keys": 8, "account": sizes.account, "listed": sizes.listed},
            workdir / "exchanges.log",
        )
        progress("starting the exchange emulators")
        with placed(back):
            ready = await exchanges.start(within=600)
        stack.push_async_callback(exchanges.stop)
        # The emulators stand in for exchanges on machines of their own: they get the core's time only when the
        # deployment's processes (worker, PostgreSQL) do not want it, as remote servers would cost none of it.
        os.setpriority(os.PRIO_PROCESS, exchanges.pid, EXCHANGES_NICENESS)
        data["exchanges_niceness"] = EXCHANGES_NICENESS
        keys = {e: [Credentials(*k) for k in values] for e, values in ready["keys"].items()}
        telegram = await stack.enter_async_context(BotApiEmulator(bot_username="tallybot_bench_bot"))
        observer = Observer(telegram)
        users = Users(telegram, observer, timeout=sizes.step_timeout)
        world = World(telegram, observer, users, exchanges, ready["urls"], keys, sizes, workdir)

        progress("echo baseline (long polling, AIORateLimiter)")
        data["echo_limited"] = await echo_run(world, limited=True)

        url = await stack.enter_async_context(fresh_postgres())
        master_key = base64.b64encode(generate_key()).decode()
        probes = world.new_users(PROBE_BASE, sizes.probe_users, "probe")
        syncers = world.new_users(SYNC_BASE, sizes.sync_users, "sync")
        sync_from = (datetime.now(UTC) - timedelta(days=int(sizes.account["years"] * 365) + 5)).date()
        accounts = [(u.user_id, "binance", Credentials("0" * 64, "0" * 64), "Binance-1") for u in probes]
        for n, user in enumerate(syncers):
            exchange_id = EXCHANGES[n % len(EXCHANGES)]
            credentials = keys[exchange_id][n // len(EXCHANGES) % len(keys[exchange_id])]
            accounts.append((user.user_id, exchange_id, credentials, "Main"))
        await connect_accounts(url, master_key, accounts, sync_from)

        balancer = Balancer()
        app = web.Application()
        app.router.add_post("/telegram", balancer.forward)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        stack.push_async_callback(runner.cleanup)
        stack.push_async_callback(balancer.close)
        lb_port = free_port()
        await web.TCPSite(runner, "127.0.0.1", lb_port).start()
        public_url = f"http://127.0.0.1:{lb_port}/telegram"
        ports = [free_port(), free_port()]
        replicas = [f"http://127.0.0.1:{port}" for port in ports]
        base_env = {key: value for key, value in os.environ.items() if not key.startswith(("TALLYBOT_", "TELEGRAM_"))}
        base_env.update(
            TELEGRAM_BOT_TOKEN=telegram.token,
            TELEGRAM_API_BASE_URL=telegram.base_url,
            DATABASE_URL=url,
            TALLYBOT_MASTER_KEY=master_key,
            TALLYBOT_WEBHOOK_SECRET=SECRET,
            TALLYBOT_SYNC_WORKERS="1",
            EXCHANGE_URL_OVERRIDES=",".join(f"{e}={u}" for e, u in ready["urls"].items()),
            LOG_LEVEL="WARNING",
        )
        cli = await started(base_env | {"TALLYBOT_DATA_DIR": str(workdir / "cli")}, workdir / "cli.log", "migrate")
        await cli.wait()
        cli = await started(
            base_env | {"TALLYBOT_DATA_DIR": str(workdir / "cli")}, workdir / "cli.log", "set-webhook", public_url
        )
        await cli.wait()
        processes = []
        for index, port in enumerate(ports):
            env = base_env | {
                "TALLYBOT_DATA_DIR": str(workdir / f"r{index}"),
                "TALLYBOT_WEBHOOK_LISTEN_PORT": str(port),
            }
            processes.append(await started(env, workdir / f"replica-{index}.log", "run", "--webhook", public_url))
        worker_env = base_env | {"TALLYBOT_DATA_DIR": str(workdir / "w"), "LOG_LEVEL": "INFO"}
        with placed(back):
            processes.append(await started(worker_env, workdir / "worker.log", "worker"))

        async def stop_all() -> None:
            for process in processes:
                if process.returncode is None:
                    process.terminate()
            for process in processes:
                await asyncio.wait_for(process.wait(), 60)

        stack.push_async_callback(stop_all)
        for replica in replicas:
            await until_healthy(replica)
        progress("replicas up")

        balancer.send_to(replicas[:1])
        await walk_all(users, world.new_users(7_000_000, 3, "warm"), ASSISTANT_WALK)
        for count, targets in ((1, replicas[:1]), (2, replicas)):
            balancer.send_to(targets)
            walkers = world.new_users(7_000_000, sizes.limited_walkers, f"walker{count}")
            progress(f"assistant walk of {len(walkers)} users through {count} replica(s)")
            data[f"walk_{count}_replicas"] = (await walk_all(users, walkers, ASSISTANT_WALK)).figures()

        progress("idle probes")
        await probe(users, probes, sizes.probe_rate, min(3.0, sizes.probe_seconds))
        data["idle_probes"] = (await probe(users, probes, sizes.probe_rate, sizes.probe_seconds)).figures()
        progress("starting syncs")
        outcomes = await asyncio.gather(*(users.step(user, SYNC) for user in syncers))
        data["syncs_started"] = sum(1 for o in outcomes if o.latency is not None)
        await asyncio.sleep(2.0)
        progress("probes while the worker syncs")
        data["load_during"] = os.getloadavg()
        data["loaded_probes"] = (await probe(users, probes, sizes.probe_rate, sizes.probe_seconds)).figures()
        progress("waiting for the syncs to end")
        deadline = time.monotonic() + sizes.step_timeout * 4
        while time.monotonic() < deadline:
            finished = sum(
                1
                for user in syncers
                if any("Sync finished" in (m.text or "") for m in telegram.bot_messages(user.chat_id))
            )
            if finished == len(syncers):
                break
            await asyncio.sleep(1.0)
        data["syncs_finished"] = finished
        data["replica_memory_mb"] = memory_of(processes[0].pid)
        data["worker_memory_mb"] = memory_of(processes[2].pid)
    return data


def build_report(data: dict[str, Any], command: str, quick: bool) -> Report:
    report = Report("Scaled out: webhook replicas and a sync worker on PostgreSQL", command, quick)
    report.figures["raw"] = data
    idle, loaded = data["idle_probes"], data["loaded_probes"]
    echo = data["echo_limited"]["walk"]
    one, two = data["walk_1_replicas"], data["walk_2_replicas"]
    p99_ratio = rounded(ratio(loaded["latency_p99_ms"], idle["latency_p99_ms"]), 2)
    report.figures["p99_ratio"] = p99_ratio
    cores = data["cores"]
    report.say(
        f"cores: replicas and Telegram {cores['replicas']}, worker and exchanges {cores['worker']}"
        f" (PostgreSQL {'with the worker' if data.get('postgres_pinned') else 'not pinned'};"
        f" exchange emulators at niceness {data.get('exchanges_niceness', 0)})"
        if cores["replicas"]
        else "cores: not pinned (every process on every core)"
    )
    report.say(
        f"load average before: {', '.join(f'{v:.1f}' for v in data['load_before'])}; "
        f"during the loaded probes: {', '.join(f'{v:.1f}' for v in data['load_during'])}"
    )
    report.section("Updates per second")
    report.say(f"echo bot (AIORateLimiter): {echo['updates_per_second']} updates/s, p99 {echo['latency_p99_ms']} ms")
    for count, walk in ((1, one), (2, two)):
        report.say(
            f"{count} replica(s): {walk['updates_per_second']} updates/s, p99 {walk['latency_p99_ms']} ms "
            f"({walk['answered']}/{walk['updates']} answered)"
        )
    report.section("Reply latency with the syncs in a worker")
    report.say(f"/status idle: p50 {idle['latency_p50_ms']} ms, p99 {idle['latency_p99_ms']} ms")
    report.say(
        f"/status with {data['syncs_started']} syncs in the worker: p50 {loaded['latency_p50_ms']} ms, "
        f"p99 {loaded['latency_p99_ms']} ms ({data['syncs_finished']} of them finished)"
    )
    report.target("reply_p99_ratio", p99_ratio <= 1.3, f"p99 loaded / idle {p99_ratio} <= 1.3")
    report.section("Memory")
    report.say(f"replica after the syncs (MB): {data['replica_memory_mb']}; worker: {data['worker_memory_mb']}")
    return report


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scale_out", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--json", type=Path, help="write the figures here")
    parser.add_argument(
        "--no-pin", action="store_true", help="run every process on every core (default: replicas and worker apart)"
    )
    arguments = parser.parse_args(argv)
    sizes = QUICK if arguments.quick else STANDARD
    front, back = split_cores(not arguments.no_pin)
    if front is not None:
        os.sched_setaffinity(0, front)  # this process (Telegram, the users, the balancer) and the replicas it starts
    with tempfile.TemporaryDirectory(prefix="tallybot-scale-out-") as workdir:
        data = asyncio.run(measure(sizes, Path(workdir), front, back))
    build_report(data, command_line("benchmarks.scale_out", argv), arguments.quick).emit(arguments.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
