"""Bot throughput and latency: simulated users through the Bot API emulator, idle and while syncs run.

    python -m benchmarks.bot_load [--quick] [--json PATH] [--diagnostics] [--profile-dir DIR]

Three processes, as in production: this one plays Telegram (the Bot API emulator) and the users; the bot runs in
its own (`benchmarks.serve`), so its event loop holds only the bot; the four exchange emulators run in a third,
with one scripted account each and their limits lifted (the bot's own pacing — ccxt's shared throttlers, the
Binance UID budget — paces the syncs, as it would against the real exchanges). Each bot process is fresh, with a
fresh database, and runs on an event loop that logs every callback holding it longer than 20 ms (asyncio debug
mode's slow-callback log, without the rest of debug mode: see `benchmarks.serve.SlowCallbackLoop`).

The main run:

1. **Echo baselines**: a bare python-telegram-bot echo bot (default builder: no rate limiter, one update at a
   time), then an echo bot with Tallybot's PTB configuration (AIORateLimiter and Tallybot's update processor).
   Each walker sends four texts and waits for each echo.
2. **Tallybot** (the real `Application`): a warm-up; paced ``/status`` probes on an idle bot (open loop: latency is
   service time, not queueing); users send ``/sync`` (20 in full: 5 accounts per exchange; SyncService runs 4 at
   a time, the product's limit, and queues the rest); the same probes while the syncs run; then N walkers (1,000
   in full) at once walk the Assistant's first steps — ``/connect``, pick Binance, confirm (the bot asks for the
   key) — and ask ``/status``, while the syncs still run. Updates per second are the walkers' four updates each,
   over the time from the first sent to the last answered.

``--diagnostics`` runs instead the bare echo bot and an idle Tallybot without its rate limiter, with its
own update processing and with every update in turn, to show what bounds the throughput.

A reply's latency is from the user's update to the bot's first Bot API call answering it in that chat
(sendMessage, or the edit of the pressed menu), as the emulator receives it.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from benchmarks.common import Child, Report, command_line, percentile, prepare_accounts, progress, ratio, rounded
from bot import texts
from sandbox.botapi import BotApiEmulator, ChatMessage, UserHandle
from sandbox.exchanges import Credentials

EXCHANGES = ("binance", "bybit", "okx", "bitget")
EXCHANGE_NAMES = {"binance": "Binance", "bybit": "Bybit", "okx": "OKX", "bitget": "Bitget"}
SEND = frozenset({"sendMessage"})
SHOW = frozenset({"sendMessage", "editMessageText", "editMessageReplyMarkup"})


@dataclass(frozen=True)
class Sizes:
    walkers: int
    baseline_walkers: int
    limited_walkers: int  # the rate-limited echo bot answers 30 a second whatever the number of users
    diagnostic_walkers: int
    probe_users: int
    probe_rate: float  # probes a second
    probe_seconds: float
    sync_users: int
    account: dict[str, Any]
    listed: dict[str, int]
    step_timeout: float


FULL = Sizes(
    walkers=1000,
    baseline_walkers=1000,
    limited_walkers=300,
    diagnostic_walkers=300,
    probe_users=50,
    probe_rate=10.0,
    probe_seconds=40.0,
    sync_users=20,
    account={
        "years": 1.0,
        "traded_markets": 12,
        "trades": 40_000,
        "deposits": 150,
        "withdrawals": 60,
        "converts": 40,
        "transfers": 40,
        "rewards": 60,
    },
    listed={"binance": 2000, "bybit": 600, "okx": 600, "bitget": 600},
    step_timeout=300.0,
)
QUICK = Sizes(
    walkers=25,
    baseline_walkers=25,
    limited_walkers=25,
    diagnostic_walkers=25,
    probe_users=5,
    probe_rate=5.0,
    probe_seconds=3.0,
    sync_users=4,
    account={
        "years": 0.25,
        "traded_markets": 4,
        "trades": 3_000,
        "deposits": 10,
        "withdrawals": 5,
        "converts": 5,
        "transfers": 5,
        "rewards": 5,
    },
    listed={"binance": 300, "bybit": 100, "okx": 100, "bitget": 100},
    step_timeout=60.0,
)

WALKER_BASE = 2_000_000
PROBE_BASE = 3_000_000
SYNC_BASE = 4_000_000


# ------------------------------------------------------------------------------------------------ watching replies


@dataclass
class Watch:
    methods: frozenset[str]
    first: float | None = None
    changed: asyncio.Event = field(default_factory=asyncio.Event)


class Observer:
    """Sees every Bot API call as the emulator receives it, and wakes only the user whose chat it concerns.

    (The emulator's own waiters re-check every waiting user on every change: with 1,000 users waiting, that costs
    more than the bot being measured.)"""

    def __init__(self, telegram: BotApiEmulator) -> None:
        self.loop = asyncio.get_running_loop()
        self.watches: dict[int, Watch] = {}
        self.queries: dict[str, int] = {}
        self.calls: Counter[str] = Counter()
        state = telegram._state
        original = state.record_call

        def record(method: str, params: dict[str, object]) -> None:
            original(method, params)
            self.saw(method, params)

        state.record_call = record  # type: ignore[method-assign]

    def saw(self, method: str, params: dict[str, object]) -> None:
        self.calls[method] += 1
        chat = params.get("chat_id")
        if chat is None and "callback_query_id" in params:
            chat = self.queries.pop(str(params["callback_query_id"]), None)
        if not isinstance(chat, int | str):
            return
        try:
            watch = self.watches.get(int(chat))
        except ValueError:
            return
        if watch is None:
            return
        if watch.first is None and method in watch.methods:
            watch.first = time.perf_counter()
        # After the emulator has applied the call (it does so before it next yields).
        self.loop.call_soon(watch.changed.set)


Done = Callable[[list[ChatMessage], int], bool]


@dataclass(frozen=True)
class Step:
    name: str
    press: bool  # a button press (else a message)
    value: str  # the text sent, or the label of the button pressed
    methods: frozenset[str]  # the Bot API calls that answer it
    done: Done  # (the chat's visible bot messages, newest message id before the step) -> finished


def new_message(containing: str = "") -> Done:
    return lambda messages, before: any(m.message_id > before and containing in (m.text or "") for m in messages)


def any_message(containing: str) -> Done:
    return lambda messages, _before: any(containing in (m.text or "") for m in messages)


def a_button(containing: str) -> Done:
    return lambda messages, _before: any(containing in b.text for m in messages for b in m.buttons)


ASSISTANT_WALK = (
    Step("/connect", False, "/connect", SEND, lambda ms, before: any(m.message_id > before for m in ms if m.buttons)),
    Step("pick Binance", True, "Binance", SHOW, a_button("✅ Binance")),
    Step("confirm", True, "Confirm exchanges", SHOW, any_message("paste your")),
    Step("/status", False, "/status", SEND, new_message()),
)
ECHO_WALK = tuple(Step(f"text {n}", False, f"hello {n}", SEND, new_message(f"hello {n}")) for n in range(1, 5))
STATUS = Step("/status", False, "/status", SEND, new_message())
STATUS_WALK = (STATUS, STATUS, STATUS, STATUS)
SYNC = Step("/sync", False, "/sync", SEND, new_message("Sync"))


@dataclass
class Outcome:
    step: str
    latency: float | None  # None: no answer within the timeout
    finished: float
    apology: bool = False  # the bot answered with its error message instead


APOLOGY = texts.INTERNAL_ERROR[:40]


class Users:
    def __init__(self, telegram: BotApiEmulator, observer: Observer, timeout: float) -> None:
        self.telegram = telegram
        self.observer = observer
        self.timeout = timeout

    def newest_id(self, chat_id: int) -> int:
        messages = self.telegram.messages(chat_id)
        return messages[-1].message_id if messages else 0

    async def step(self, user: UserHandle, step: Step) -> Outcome:
        chat = user.chat_id
        watch = Watch(step.methods)
        self.observer.watches[chat] = watch
        before = self.newest_id(chat)
        started = time.perf_counter()
        if step.press:
            menu = next(
                m for m in reversed(self.telegram.bot_messages(chat)) if any(step.value in b.text for b in m.buttons)
            )
            label = next(b.text for b in menu.buttons if step.value in b.text)
            query = await self.telegram.press_button(user, menu, label)
            self.observer.queries[query] = chat
        else:
            await self.telegram.send_message(user, step.value)
        deadline = started + self.timeout
        while True:
            messages = self.telegram.bot_messages(chat)
            if step.done(messages, before):
                break
            if any(m.message_id > before and APOLOGY in (m.text or "") for m in messages):
                return Outcome(step.name, (watch.first or time.perf_counter()) - started, time.perf_counter(), True)
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                return Outcome(step.name, None, time.perf_counter())
            watch.changed.clear()
            try:
                await asyncio.wait_for(watch.changed.wait(), min(remaining, 5.0))
            except TimeoutError:
                continue
        finished = time.perf_counter()
        return Outcome(step.name, (watch.first or finished) - started, finished)

    async def walk(self, user: UserHandle, steps: Sequence[Step]) -> list[Outcome]:
        outcomes = []
        for step in steps:
            outcome = await self.step(user, step)
            outcomes.append(outcome)
            if outcome.latency is None or outcome.apology:
                break
        return outcomes


@dataclass
class Walk:
    updates: int
    answered: int
    seconds: float
    latencies: dict[str, list[float]]
    apologies: int = 0
    unanswered: int = 0

    @property
    def rate(self) -> float:
        return self.answered / self.seconds if self.seconds else 0.0

    def figures(self) -> dict[str, Any]:
        every = [v for values in self.latencies.values() for v in values]
        return {
            "updates": self.updates,
            "answered": self.answered,
            "apologies": self.apologies,
            "unanswered": self.unanswered,
            "seconds": rounded(self.seconds, 2),
            "updates_per_second": rounded(self.rate, 2),
            "latency_p50_ms": rounded(percentile(every, 0.5) * 1000, 1),
            "latency_p99_ms": rounded(percentile(every, 0.99) * 1000, 1),
            "by_step": {
                name: {
                    "p50_ms": rounded(percentile(v, 0.5) * 1000, 1),
                    "p99_ms": rounded(percentile(v, 0.99) * 1000, 1),
                }
                for name, v in self.latencies.items()
            },
        }


async def walk_all(users: Users, handles: Sequence[UserHandle], steps: Sequence[Step]) -> Walk:
    started = time.perf_counter()
    results = await asyncio.gather(*(users.walk(user, steps) for user in handles))
    outcomes = [o for result in results for o in result]
    answered = [o for o in outcomes if o.latency is not None]
    ended = max((o.finished for o in answered), default=time.perf_counter())
    latencies: dict[str, list[float]] = {step.name: [] for step in steps}
    for o in answered:
        if o.latency is not None:
            latencies[o.step].append(o.latency)
    apologies = sum(1 for o in outcomes if o.apology)
    unanswered = sum(1 for o in outcomes if o.latency is None)
    return Walk(len(handles) * len(steps), len(answered), ended - started, latencies, apologies, unanswered)


async def probe(users: Users, handles: Sequence[UserHandle], rate: float, seconds: float) -> Walk:
    """Open loop: one /status every 1/rate s, round-robin over the users, whatever the answers take."""
    count = max(1, int(rate * seconds))
    started = time.perf_counter()
    tasks: list[asyncio.Task[Outcome]] = []
    for n in range(count):
        delay = started + n / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(users.step(handles[n % len(handles)], STATUS)))
    outcomes = await asyncio.gather(*tasks)
    answered = [o.latency for o in outcomes if o.latency is not None]
    apologies = sum(1 for o in outcomes if o.apology)
    unanswered = count - len(answered)
    return Walk(count, len(answered), time.perf_counter() - started, {"/status": answered}, apologies, unanswered)


# ------------------------------------------------------------------------------------------------ the runs


@dataclass
class World:
    telegram: BotApiEmulator
    observer: Observer
    users: Users
    exchanges: Child
    urls: dict[str, str]
    keys: dict[str, list[Credentials]]
    sizes: Sizes
    workdir: Path
    runs: int = 0
    next_user: int = 0
    profile_dir: Path | None = None

    def new_users(self, base: int, count: int, name: str) -> list[UserHandle]:
        self.next_user += 1
        first = base + self.next_user * 10_000
        return [self.telegram.add_user(first + n, f"{name}{n}") for n in range(count)]

    def fresh_dir(self, label: str) -> Path:
        self.runs += 1
        directory = self.workdir / f"{self.runs:02d}-{label}"
        directory.mkdir(parents=True)
        return directory


async def bot_child(world: World, directory: Path, **config: Any) -> Child:
    progress(f"starting {config.get('kind')} bot in {directory.name}")
    if world.profile_dir is not None:
        config["profile"] = str(world.profile_dir / f"{directory.name}.prof")
    child = Child(
        {
            "token": world.telegram.token,
            "base_url": world.telegram.base_url,
            "data_dir": str(directory),
            "overrides": world.urls,
            **config,
        },
        directory / "child.log",
    )
    await child.start()
    return child


async def echo_run(world: World, *, limited: bool) -> dict[str, Any]:
    directory = world.fresh_dir("echo-limited" if limited else "echo")
    child = await bot_child(world, directory, kind="echo", rate_limiter=limited, product_updates=limited)
    try:
        warm = world.new_users(WALKER_BASE, 3, "warm")
        await walk_all(world.users, warm, ECHO_WALK)
        before = await child.ask({"cmd": "stats", "reset": True})
        count = world.sizes.limited_walkers if limited else world.sizes.baseline_walkers
        walkers = world.new_users(WALKER_BASE, count, "echo")
        progress(f"echo walk of {len(walkers)} users")
        walk = await walk_all(world.users, walkers, ECHO_WALK)
        stats = await child.ask({"cmd": "stats", "reset": True})
    finally:
        await child.stop()
    return {"walk": walk.figures() | {"cpu_ms_per_update": cpu_per_update(before, stats, walk)}, "bot": stats}


async def start_syncs(world: World, handles: Sequence[UserHandle]) -> list[Outcome]:
    return list(await asyncio.gather(*(world.users.step(user, SYNC) for user in handles)))


async def activity(child: Child, exchanges: Child) -> dict[str, Any]:
    stats = await child.ask({"cmd": "stats", "reset": True})
    served = await exchanges.ask({"cmd": "stats"})
    stats["exchange_requests"] = sum(served["requests"].values())
    return stats


def between(before: dict[str, Any], after: dict[str, Any], seconds: float) -> dict[str, Any]:
    """Sync work done between two stats readings."""
    records = after["syncs"].get("records", 0) - before["syncs"].get("records", 0)
    requests = after["exchange_requests"] - before["exchange_requests"]
    return {
        "records_stored": records,
        "records_per_second": rounded(records / seconds, 1) if seconds else 0.0,
        "exchange_requests": requests,
        "exchange_requests_per_second": rounded(requests / seconds, 1) if seconds else 0.0,
        "syncs_leased_at_end": after["syncs"].get("leased", 0),
    }


async def tallybot_run(world: World) -> dict[str, Any]:
    sizes = world.sizes
    directory = world.fresh_dir("tallybot")
    probes = world.new_users(PROBE_BASE, sizes.probe_users, "probe")
    syncers = world.new_users(SYNC_BASE, sizes.sync_users, "sync")
    sync_from = (datetime.now(UTC) - timedelta(days=int(sizes.account["years"] * 365) + 5)).date()
    accounts: list[tuple[int, str, Credentials, str, date | None]] = []
    for user in probes:
        accounts.append((user.user_id, "binance", Credentials("0" * 64, "0" * 64), "Binance-1", sync_from))
    for n, user in enumerate(syncers):
        exchange_id = EXCHANGES[n % len(EXCHANGES)]
        keys = world.keys[exchange_id]
        accounts.append((user.user_id, exchange_id, keys[n // len(EXCHANGES) % len(keys)], "Main", sync_from))
    await prepare_accounts(directory, accounts)
    child = await bot_child(world, directory, kind="tallybot")
    figures: dict[str, Any] = {}
    try:
        warm = world.new_users(WALKER_BASE, 3, "warm")
        await walk_all(world.users, warm, ASSISTANT_WALK)
        await probe(world.users, probes, sizes.probe_rate, min(3.0, sizes.probe_seconds))
        before = await activity(child, world.exchanges)
        progress("idle probes")
        idle = await probe(world.users, probes, sizes.probe_rate, sizes.probe_seconds)
        after_idle = await activity(child, world.exchanges)
        figures["idle_probes"] = idle.figures() | {"bot": after_idle}
        progress("starting syncs")
        started = await start_syncs(world, syncers)
        figures["syncs_started"] = sum(1 for o in started if o.latency is not None)
        await asyncio.sleep(2.0)
        before = await activity(child, world.exchanges)
        t0 = time.perf_counter()
        progress("probes while syncing")
        loaded = await probe(world.users, probes, sizes.probe_rate, sizes.probe_seconds)
        after = await activity(child, world.exchanges)
        figures["loaded_probes"] = loaded.figures() | {
            "bot": after,
            "sync_load": between(before, after, time.perf_counter() - t0),
        }
        walkers = world.new_users(WALKER_BASE, sizes.walkers, "walker")
        progress(f"assistant walk of {len(walkers)} users while syncing")
        t0 = time.perf_counter()
        walk = await walk_all(world.users, walkers, ASSISTANT_WALK)
        after_walk = await activity(child, world.exchanges)
        figures["walk"] = walk.figures() | {
            "bot": after_walk,
            "sync_load": between(after, after_walk, time.perf_counter() - t0),
            "cpu_ms_per_update": cpu_per_update(after, after_walk, walk),
        }
    finally:
        final = await child.stop()
    figures["final"] = final
    return figures


async def diagnostic_run(world: World, *, one_at_a_time: bool) -> dict[str, Any]:
    """An idle Tallybot without its rate limiter, with its own update processing or with every update in turn
    (PTB's ``concurrent_updates(False)``): the Assistant walk and a walk of four /status."""
    directory = world.fresh_dir("diag-one-at-a-time" if one_at_a_time else "diag-product")
    await prepare_accounts(directory, [])
    options: dict[str, Any] = {"concurrent_updates": False} if one_at_a_time else {}
    child = await bot_child(world, directory, kind="tallybot", rate_limiter=False, **options)
    figures: dict[str, Any] = {}
    try:
        warm = world.new_users(WALKER_BASE, 3, "warm")
        await walk_all(world.users, warm, ASSISTANT_WALK)
        await child.ask({"cmd": "stats", "reset": True})
        progress("diagnostic walks")
        for name, steps in (("assistant_walk", ASSISTANT_WALK), ("status_walk", STATUS_WALK)):
            before = await child.ask({"cmd": "stats", "reset": True})
            walkers = world.new_users(WALKER_BASE, world.sizes.diagnostic_walkers, "diag")
            walk = await walk_all(world.users, walkers, steps)
            after = await child.ask({"cmd": "stats", "reset": True})
            figures[name] = walk.figures() | {"bot": after, "cpu_ms_per_update": cpu_per_update(before, after, walk)}
    finally:
        await child.stop()
    return figures


def cpu_per_update(before: dict[str, Any], after: dict[str, Any], walk: Walk) -> float:
    """The bot process's CPU time (all threads) per update answered, in ms."""
    return rounded((after["cpu_seconds"] - before["cpu_seconds"]) * 1000 / max(1, walk.answered), 2)


async def measure(sizes: Sizes, mode: str, workdir: Path, profile_dir: Path | None = None) -> dict[str, Any]:
    """mode: "main" (baselines, then Tallybot idle and under sync load) or "diagnostics" (the bare echo bot, then an
    idle Tallybot without its rate limiter, with and without its own update processing)."""
    exchanges = Child(
        {"kind": "exchanges", "seed": 8, "keys": 8, "account": sizes.account, "listed": sizes.listed},
        workdir / "exchanges.log",
    )
    progress("starting the exchange emulators")
    ready = await exchanges.start(within=600)
    keys = {e: [Credentials(*k) for k in values] for e, values in ready["keys"].items()}
    data: dict[str, Any] = {"accounts": ready["accounts"], "mode": mode}
    try:
        async with BotApiEmulator(bot_username="tallybot_bench_bot") as telegram:
            observer = Observer(telegram)
            users = Users(telegram, observer, timeout=sizes.step_timeout)
            world = World(telegram, observer, users, exchanges, ready["urls"], keys, sizes, workdir)
            world.profile_dir = profile_dir
            data["echo"] = await echo_run(world, limited=False)
            if mode == "diagnostics":
                data["diag_product"] = await diagnostic_run(world, one_at_a_time=False)
                data["diag_one_at_a_time"] = await diagnostic_run(world, one_at_a_time=True)
            else:
                data["echo_limited"] = await echo_run(world, limited=True)
                data["tallybot"] = await tallybot_run(world)
            data["bot_api_calls"] = dict(observer.calls)
    finally:
        await exchanges.stop()
    return data


# ------------------------------------------------------------------------------------------------ the report


def stall_line(stats: dict[str, Any]) -> str:
    slow = stats["slow_callbacks"]
    lag = stats["lag"]
    return (
        f"longest callback {slow['max_ms']:.0f} ms ({slow['over_100ms']} over 100 ms, {slow['over_50ms']} over "
        f"50 ms, {slow['count']} over 20 ms); heartbeat lag max {lag['max_ms']:.0f} ms, p99 {lag['p99_ms']:.1f} ms"
    )


def walk_line(name: str, walk: dict[str, Any]) -> str:
    extra = ""
    if walk.get("apologies") or walk.get("unanswered"):
        extra = f"; {walk['apologies']} answered with the error apology, {walk['unanswered']} unanswered"
    return (
        f"  {name}: {walk['updates_per_second']:.1f}/s ({walk['answered']:,} of {walk['updates']:,} in "
        f"{walk['seconds']:.0f} s; bot CPU {walk.get('cpu_ms_per_update', 0):.1f} ms per update{extra})"
    )


def errors_line(stats: dict[str, Any]) -> str:
    seen = stats.get("handler_errors") or {}
    return ", ".join(f"{n} × {what}" for what, n in sorted(seen.items(), key=lambda i: -i[1])) or "none"


def diagnostics_report(sizes: Sizes, data: dict[str, Any], command: str, quick: bool) -> Report:
    report = Report("Bot throughput diagnostics: an idle Tallybot without its rate limiter", command, quick)
    echo = data["echo"]["walk"]
    product, single = data["diag_product"], data["diag_one_at_a_time"]
    report.section("Updates answered per second, and the bot's CPU time per update")
    report.say(walk_line(f"bare PTB echo bot, {sizes.baseline_walkers} users × 4 texts", echo))
    n = sizes.diagnostic_walkers
    report.say(walk_line(f"Assistant walk, {n} users, Tallybot's update processing", product["assistant_walk"]))
    report.say(walk_line(f"Assistant walk, {n} users, every update in turn", single["assistant_walk"]))
    report.say(walk_line(f"four /status, {n} users, Tallybot's update processing", product["status_walk"]))
    report.say(walk_line(f"four /status, {n} users, every update in turn", single["status_walk"]))
    for name, walk in (("assistant", product["assistant_walk"]), ("status", product["status_walk"])):
        report.say(
            f"  ratio to the bare echo bot ({name}): "
            f"{ratio(walk['updates_per_second'], echo['updates_per_second']):.2f}"
            f"; CPU per update {ratio(walk['cpu_ms_per_update'], echo['cpu_ms_per_update']):.1f}× the echo bot's"
        )
    report.section("Stalls")
    for name, walk in (("assistant", product["assistant_walk"]), ("status", product["status_walk"])):
        report.say(f"  {name} walk: {stall_line(walk['bot'])}")
    report.figures.update(
        {
            "echo_bare": echo,
            "product": {k: {x: y for x, y in v.items() if x != "bot"} for k, v in product.items()},
            "one_at_a_time": {k: {x: y for x, y in v.items() if x != "bot"} for k, v in single.items()},
            "raw": data,
        }
    )
    report.target(
        "diagnostic_assistant_ratio",
        ratio(product["assistant_walk"]["updates_per_second"], echo["updates_per_second"]) >= 0.5,
        "(diagnostic) an idle Tallybot without rate limiter ≥ 0.5 of the bare echo bot on the Assistant walk",
    )
    return report


def build_report(sizes: Sizes, data: dict[str, Any], command: str, quick: bool) -> Report:
    title = "Bot throughput and latency under load"
    report = Report(title, command, quick)
    echo, limited, tally = data["echo"]["walk"], data["echo_limited"]["walk"], data["tallybot"]
    walk = tally["walk"]
    report.section("Throughput: updates answered per second")
    report.say(
        walk_line(f"bare PTB echo bot (no rate limiter, one update at a time), {sizes.baseline_walkers} users", echo)
    )
    report.say(
        walk_line(
            f"PTB echo bot with Tallybot's AIORateLimiter and update processing, {sizes.limited_walkers} users", limited
        )
    )
    report.say(
        walk_line(
            f"Tallybot, {sizes.walkers} users × (/connect, pick, confirm, /status) while {sizes.sync_users} syncs run",
            walk,
        )
    )
    vs_bare = ratio(walk["updates_per_second"], echo["updates_per_second"])
    vs_limited = ratio(walk["updates_per_second"], limited["updates_per_second"])
    report.say(
        f"  ratio to the bare echo bot: {vs_bare:.2f}; "
        f"to the echo bot with the same PTB configuration: {vs_limited:.2f}"
    )
    calls = data.get("bot_api_calls", {})
    top = sorted(calls.items(), key=lambda i: -i[1])[:8]
    report.say(f"  Bot API calls received over the whole run: {', '.join(f'{k} {v:,}' for k, v in top)}")
    report.section("Reply latency: paced /status probes (open loop, so latency is service time, not queueing)")
    idle, loaded = tally["idle_probes"], tally["loaded_probes"]
    rate = f"{sizes.probe_rate:g}/s for {sizes.probe_seconds:g} s over {sizes.probe_users} users"
    report.say(f"  idle ({rate}): p50 {idle['latency_p50_ms']:.0f} ms, p99 {idle['latency_p99_ms']:.0f} ms")
    load = loaded["sync_load"]
    report.say(
        f"  while syncs run: p50 {loaded['latency_p50_ms']:.0f} ms, p99 {loaded['latency_p99_ms']:.0f} ms; the syncs "
        f"stored {load['records_per_second']:,.0f} records/s and made {load['exchange_requests_per_second']:,.1f} "
        f"exchange requests/s meanwhile ({load['syncs_leased_at_end']} still leased at the end)"
    )
    p99_ratio = ratio(loaded["latency_p99_ms"], idle["latency_p99_ms"])
    report.say(f"  p99 under sync load / idle: {p99_ratio:.2f}")
    report.say(
        f"  the walk (closed loop, {sizes.walkers} users at once: queueing): p50 {walk['latency_p50_ms']:.0f} ms, "
        f"p99 {walk['latency_p99_ms']:.0f} ms; the syncs stored {walk['sync_load']['records_per_second']:,.0f} "
        f"records/s meanwhile, {walk['sync_load']['syncs_leased_at_end']} still leased at its end"
    )
    report.say(f"  syncs started: {tally['syncs_started']} of {sizes.sync_users}")
    report.section("Event-loop stalls in the bot process (asyncio slow-callback log, threshold 20 ms)")
    phases = {"idle probes": idle["bot"], "probes while syncing": loaded["bot"], "walk while syncing": walk["bot"]}
    for name, stats in phases.items():
        report.say(f"  {name}: {stall_line(stats)}")
    worst = max(phases.values(), key=lambda stats: stats["slow_callbacks"]["max_ms"])
    for entry in worst["slow_callbacks"]["worst"][:3]:
        report.say(f"    {entry['ms']:.0f} ms: {entry['callback'][:400]}")
    longest = max(stats["slow_callbacks"]["max_ms"] for stats in phases.values())
    report.section("Errors")
    for name, stats in phases.items():
        report.say(f"  {name}: {errors_line(stats)}")
    report.say(f"  error records logged by the bot over the run: {tally['final'].get('errors', 0)}")
    report.section("Targets")
    report.target("throughput_ratio", vs_bare >= 0.5, f"≥ 0.5 of the bare echo bot's updates/s: {vs_bare:.2f}")
    report.target("latency_p99_ratio", p99_ratio <= 2.0, f"p99 under sync load ≤ 2× idle: {p99_ratio:.2f}")
    report.target("longest_stall", longest < 100, f"longest event-loop stall < 100 ms: {longest:.0f} ms")
    report.figures.update(
        {
            "throughput": {
                "echo_bare": echo["updates_per_second"],
                "echo_same_configuration": limited["updates_per_second"],
                "tallybot_under_sync_load": walk["updates_per_second"],
                "ratio_vs_echo_bare": rounded(vs_bare, 3),
                "ratio_vs_echo_same_configuration": rounded(vs_limited, 3),
            },
            "latency": {
                "idle_p50_ms": idle["latency_p50_ms"],
                "idle_p99_ms": idle["latency_p99_ms"],
                "loaded_p50_ms": loaded["latency_p50_ms"],
                "loaded_p99_ms": loaded["latency_p99_ms"],
                "p99_ratio": rounded(p99_ratio, 3),
            },
            "longest_stall_ms": longest,
            "raw": data,
        }
    )
    return report


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Bot throughput and latency through the Bot API emulator.")
    parser.add_argument("--quick", action="store_true", help="a few users and small syncs (seconds, not minutes)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the figures to PATH as JSON")
    modes = parser.add_mutually_exclusive_group()
    modes.add_argument(
        "--diagnostics",
        action="store_true",
        help="instead: an idle Tallybot without its rate limiter, with and without its own update processing",
    )
    parser.add_argument("--profile-dir", type=Path, metavar="DIR", help="cProfile every bot process into DIR")
    options = parser.parse_args(argv)
    sizes = QUICK if options.quick else FULL
    mode = "diagnostics" if options.diagnostics else "main"
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="tallybot-bench-") as workdir:
        logging.basicConfig(filename=Path(workdir) / "driver.log", level=logging.WARNING)
        if options.profile_dir is not None:
            options.profile_dir.mkdir(parents=True, exist_ok=True)
        data = asyncio.run(measure(sizes, mode, Path(workdir), options.profile_dir))
    command = command_line("benchmarks.bot_load", argv)
    build = diagnostics_report if mode == "diagnostics" else build_report
    report = build(sizes, data, command, options.quick)
    report.figures["wall_seconds"] = rounded(time.monotonic() - started, 1)
    report.emit(options.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
