"""The processes of the bot-load and memory benchmarks. The bot runs in a process of its own as in production
(Telegram and the exchanges are elsewhere), so that what is measured there — event-loop stalls, memory — is the
bot's alone; the exchange emulators run in another, so that serving syncs does not slow the Bot API emulator.

    python -m benchmarks.serve '{"kind": "tallybot", "token": "...", "base_url": "...", "data_dir": "..."}'

``kind`` is ``tallybot`` (the real `Application` from `bot.app.build_application`, served with `bot.app.serving`),
``echo`` (a bare python-telegram-bot echo bot) or ``exchanges`` (the four exchange emulators with one scripted
account each, their rate limits lifted: the bot's own pacing — ccxt's throttlers, the Binance UID budget — is what
paces the syncs, and several users' keys on one emulator must not share one account's limits).

Options: ``overrides`` (EXCHANGE_URL_OVERRIDES); ``rate_limiter`` (false: no AIORateLimiter; the echo bot has
none unless true); ``product_updates`` (echo: Tallybot's update processor); ``concurrent_updates`` (Tallybot:
false runs every update in turn, true is PTB's plain concurrency; absent keeps the product's); ``slow_callback_ms``
(the threshold of the slow-callback log, 20 ms: see `SlowCallbackLoop`); ``max_concurrent_syncs`` (SyncService's
limit, 4 in the product); ``profile`` (a path: cProfile the whole bot process and dump the stats there).

The parent speaks JSON lines: it reads ``{"event": "ready"}``, then sends ``{"cmd": "stats", "reset": true}``
(stalls and lags since the last reset, memory, sync activity; with ``"trace": true`` and the ``trace_memory`` option,
the Python memory allocated since ready and still held, by file) and finally ``{"cmd": "stop"}``.
"""

from __future__ import annotations

import asyncio
import cProfile
import gc
import json
import logging
import re
import resource
import sys
import time
import tracemalloc
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from sqlalchemy import func, select
from telegram import Update
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, CallbackQueryHandler, MessageHandler, filters

from benchmarks.common import REPOSITORY, peak_rss_mb, percentile, rss_mb

HEARTBEAT_SECONDS = 0.005
SLOW_CALLBACK = re.compile(r"Executing (.*) took ([0-9.]+) seconds", re.DOTALL)


class SlowCallbackLoop(asyncio.SelectorEventLoop):
    """An event loop with asyncio debug mode's slow-callback log and without the rest of debug mode.

    With ``set_debug(True)`` the loop times every callback and logs those that took longer than
    ``slow_callback_duration`` ("Executing <Handle …> took 0.123 seconds"). Full debug mode also captures a stack
    for every callback, future and task it creates and tracks every coroutine's origin, which slows a busy bot
    severalfold; here `get_debug()` answers False to those checks, so only the timing remains.
    """

    def get_debug(self) -> bool:
        return False

    def _set_coroutine_origin_tracking(self, enabled: bool) -> None:
        return None


def where_now() -> str:
    """Where the task whose step was slow is suspended now, innermost last: names the handler that ran.

    asyncio logs the slow callback while it is still the loop's current handle; for a task step, the task's
    coroutine chain shows the awaits it stopped at after the slow stretch."""
    try:
        handle = asyncio.get_running_loop()._current_handle  # type: ignore[attr-defined]
    except RuntimeError:
        return "?"
    task = getattr(getattr(handle, "_callback", None), "__self__", None)
    if not isinstance(task, asyncio.Task):
        return "not a task"
    frames: list[str] = []
    awaited: Any = task.get_coro()
    while awaited is not None and len(frames) < 40:
        frame = (
            getattr(awaited, "cr_frame", None)
            or getattr(awaited, "gi_frame", None)
            or getattr(awaited, "ag_frame", None)
        )
        if frame is None:
            break
        path = frame.f_code.co_filename
        frames.append(f"{frame.f_code.co_name}({Path(path).name}:{frame.f_lineno})")
        awaited = (
            getattr(awaited, "cr_await", None)
            or getattr(awaited, "gi_yieldfrom", None)
            or getattr(awaited, "ag_await", None)
        )
    return " > ".join(frames[-8:]) or "?"


class SlowCallbacks(logging.Handler):
    """asyncio's debug-mode log of callbacks that held the loop longer than ``slow_callback_duration``."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.durations: list[float] = []
        self.worst: list[tuple[float, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        # The bot's record factory formats messages early (to redact them), so parse the text, not the args.
        found = SLOW_CALLBACK.match(record.getMessage())
        if found is None:
            return
        seconds = float(found.group(2))
        self.durations.append(seconds)
        self.worst.append((seconds, f"{found.group(1)[:160]} | now at: {where_now()}"))
        self.worst.sort(key=lambda item: -item[0])
        del self.worst[5:]

    def reset(self) -> None:
        self.durations.clear()
        self.worst.clear()

    def summary(self) -> dict[str, Any]:
        return {
            "max_ms": round(max(self.durations, default=0.0) * 1000, 1),
            "count": len(self.durations),
            "over_50ms": sum(1 for d in self.durations if d >= 0.05),
            "over_100ms": sum(1 for d in self.durations if d >= 0.1),
            "worst": [{"ms": round(s * 1000, 1), "callback": what} for s, what in self.worst],
        }


class Heartbeat:
    """A task that sleeps 5 ms at a time and records how late it wakes: the loop's lag, debug mode or not."""

    def __init__(self) -> None:
        self.lags: list[float] = []
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            before = loop.time()
            await asyncio.sleep(HEARTBEAT_SECONDS)
            self.lags.append(max(0.0, loop.time() - before - HEARTBEAT_SECONDS))

    def reset(self) -> None:
        self.lags.clear()

    def summary(self) -> dict[str, Any]:
        return {
            "max_ms": round(max(self.lags, default=0.0) * 1000, 1),
            "p99_ms": round(percentile(self.lags, 0.99) * 1000, 2),
            "samples": len(self.lags),
        }

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)


class HandlerErrors:
    """What the bot's own error handler logs only by type: the exception's first line, counted (benchmark keys and
    emulator URLs only, so the text is safe to keep)."""

    def __init__(self) -> None:
        self.seen: Counter[str] = Counter()

    async def __call__(self, _update: object, context: Any) -> None:
        error = context.error
        if error is not None:
            self.seen[f"{type(error).__name__}: {str(error).splitlines()[0][:120] if str(error) else ''}"] += 1


class Collections:
    """The garbage collector's pauses (gc.callbacks), by generation: a full collection of a heap holding several
    exchanges' markets can hold the loop as long as any callback."""

    def __init__(self) -> None:
        self.pauses: dict[int, list[float]] = {0: [], 1: [], 2: []}
        self._started = 0.0
        gc.callbacks.append(self._observe)

    def _observe(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.pauses[info["generation"]].append(time.perf_counter() - self._started)

    def reset(self) -> None:
        for pauses in self.pauses.values():
            pauses.clear()

    def summary(self) -> dict[str, Any]:
        return {
            f"gen{generation}": {"count": len(pauses), "max_ms": round(max(pauses, default=0.0) * 1000, 1)}
            for generation, pauses in self.pauses.items()
        }


class ErrorCount(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.count = 0
        self.last: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1
        self.last = [*self.last[-4:], f"{record.name}: {record.getMessage()[:200]}"]


# ------------------------------------------------------------------------------------------------ the bots


async def echo(update: Update, _context: Any) -> None:
    message = update.effective_message
    if message is not None and message.text:
        await message.reply_text(message.text)


async def answer(update: Update, _context: Any) -> None:
    if update.callback_query is not None:
        await update.callback_query.answer()


def echo_application(config: dict[str, Any]) -> Application:  # type: ignore[type-arg]
    builder: Any = ApplicationBuilder().token(config["token"]).base_url(config["base_url"])
    if config.get("rate_limiter"):
        builder = builder.rate_limiter(AIORateLimiter())
    if config.get("product_updates"):
        from bot.updates import PerUserOrder  # Tallybot's own update processing: concurrent, in order per user

        builder = builder.concurrent_updates(PerUserOrder())
    else:
        builder = builder.concurrent_updates(bool(config.get("concurrent_updates", False)))
    application: Application = builder.build()  # type: ignore[type-arg]
    application.add_handler(MessageHandler(filters.TEXT, echo))
    application.add_handler(CallbackQueryHandler(answer))
    return application


def traced_memory(top: int = 15) -> dict[str, Any]:
    """Python memory allocated since tracing began and still held, by the file that allocated it."""
    current, peak = tracemalloc.get_traced_memory()
    by_file = tracemalloc.take_snapshot().statistics("filename")
    return {
        "current_mb": round(current / 2**20, 1),
        "peak_mb": round(peak / 2**20, 1),
        "top": [[short_path(str(stat.traceback[0].filename)), round(stat.size / 2**20, 2)] for stat in by_file[:top]],
    }


def short_path(path: str) -> str:
    marker = "site-packages/"
    return path.split(marker, 1)[1] if marker in path else path.replace(str(REPOSITORY) + "/", "")


def tallybot_application(config: dict[str, Any]) -> Application:  # type: ignore[type-arg]
    from benchmarks.common import bot_settings
    from bot.app import build_application

    settings = bot_settings(
        Path(config["data_dir"]),
        telegram_bot_token=SecretStr(config["token"]),
        telegram_api_base_url=config["base_url"],
        exchange_url_overrides=dict(config.get("overrides", {})),
    )
    options: dict[str, Any] = {}
    if config.get("concurrent_updates") is not None:
        # Diagnostics only: False runs every update in turn, True is PTB's plain concurrency; None keeps the
        # product's own update processing.
        options["concurrent_updates"] = bool(config["concurrent_updates"])
    if config.get("rate_limiter", True) is False:
        options["rate_limiter"] = None  # diagnostics only: the product always has AIORateLimiter
    return build_application(settings, **options)


@asynccontextmanager
async def echo_serving(application: Application) -> AsyncIterator[Application]:  # type: ignore[type-arg]
    """`bot.app.serving` for the baseline: the echo bot's process must not import the product (handlers,
    SQLAlchemy, the services) it is measured against."""
    await application.initialize()
    try:
        if application.updater is None:
            raise RuntimeError("no updater")
        await application.updater.start_polling(allowed_updates=Update.ALL_TYPES)
        await application.start()
        try:
            yield application
        finally:
            await application.updater.stop()
            await application.stop()
    finally:
        await application.shutdown()


# ------------------------------------------------------------------------------------------------ the process


class Host:
    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config
        self.slow = SlowCallbacks()
        self.heartbeat = Heartbeat()
        self.errors = ErrorCount()
        self.handler_errors = HandlerErrors()
        self.collections = Collections()
        self.application: Application | None = None  # type: ignore[type-arg]
        self.started = time.monotonic()

    def install_logging(self) -> None:
        data_dir = Path(self.config["data_dir"])
        data_dir.mkdir(parents=True, exist_ok=True)
        root = logging.getLogger()
        root.setLevel(logging.WARNING)
        handler = logging.FileHandler(data_dir / "bot.log", encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
        root.addHandler(self.errors)
        logging.getLogger("asyncio").addHandler(self.slow)

    async def sync_activity(self) -> dict[str, Any]:
        """Syncs holding a lease (running or queued) and records stored so far (Tallybot only)."""
        from bot.context import SERVICES_KEY, Services
        from db.models import SyncLease, Transaction

        if self.application is None:
            return {}
        services = self.application.bot_data.get(SERVICES_KEY)
        if not isinstance(services, Services):
            return {}
        async with services.database.reader() as session:
            leases = await session.scalar(select(func.count()).select_from(SyncLease))
            records = await session.scalar(select(func.count()).select_from(Transaction))
        return {"leased": int(leases or 0), "records": int(records or 0), "open_clients": services.pool.open_clients}

    async def stats(self, reset: bool, trace: bool = False) -> dict[str, Any]:
        figures = {
            "event": "stats",
            "rss_mb": round(rss_mb(), 1),
            "peak_rss_mb": round(peak_rss_mb(), 1),
            "cpu_seconds": round(cpu_seconds(), 3),
            "python_blocks": sys.getallocatedblocks(),
            "slow_callbacks": self.slow.summary(),
            "lag": self.heartbeat.summary(),
            "gc": self.collections.summary(),
            "errors": self.errors.count,
            "handler_errors": dict(self.handler_errors.seen),
            "last_errors": self.errors.last,
            "syncs": await self.sync_activity(),
            "uptime": round(time.monotonic() - self.started, 1),
        }
        if trace and tracemalloc.is_tracing():
            figures["traced"] = traced_memory()
        if reset:
            self.slow.reset()
            self.heartbeat.reset()
            self.collections.reset()
        return figures

    def tune_services(self) -> None:
        """Benchmark-only: a different SyncService concurrency limit, to hold N syncs in memory at once."""
        limit = self.config.get("max_concurrent_syncs")
        if limit is None or self.application is None:
            return
        from bot.context import SERVICES_KEY, Services
        from bot.sync import SyncService

        services = self.application.bot_data[SERVICES_KEY]
        if isinstance(services, Services):
            services.sync = SyncService(services.database, services.integrations, services.pool, max_concurrent=limit)

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader()
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
        if self.config["kind"] == "echo":
            application = echo_application(self.config)
            serving = echo_serving(application)
        else:
            from bot.app import serving as product_serving

            application = tallybot_application(self.config)
            serving = product_serving(application)
        self.application = application
        application.add_error_handler(self.handler_errors)
        async with serving:
            self.tune_services()
            self.heartbeat.start()
            if self.config.get("trace_memory"):
                tracemalloc.start()  # from here on: what the bot allocates while it serves
            say({"event": "ready", "rss_mb": round(rss_mb(), 1), "python_blocks": sys.getallocatedblocks()})
            while True:
                line = await reader.readline()
                if not line:
                    break
                command = json.loads(line)
                if command.get("cmd") == "stats":
                    say(await self.stats(bool(command.get("reset")), bool(command.get("trace"))))
                elif command.get("cmd") == "stop":
                    break
            final = await self.stats(False)
            await self.heartbeat.stop()
        final["event"] = "stopped"
        final["peak_rss_mb"] = round(peak_rss_mb(), 1)
        say(final)


# ------------------------------------------------------------------------------------------------ the exchanges


def lifted_emulators(config: dict[str, Any]) -> dict[str, Any]:
    from sandbox.exchanges import (
        AccountProfile,
        BinanceEmulator,
        BinanceLimits,
        BitgetEmulator,
        BitgetLimits,
        BybitEmulator,
        BybitLimits,
        OkxEmulator,
        OkxLimits,
    )

    seed = int(config.get("seed", 1))
    profile = AccountProfile(**config.get("account", {}))
    listed = {"binance": 2000, "bybit": 600, "okx": 600, "bitget": 600} | dict(config.get("listed", {}))
    many = 10**12
    return {
        "binance": BinanceEmulator(
            seed=seed,
            profile=profile,
            listed_symbols=listed["binance"],
            limits=BinanceLimits(many, many, many),
        ),
        "bybit": BybitEmulator(
            seed=seed + 1,
            profile=profile,
            listed_symbols=listed["bybit"],
            limits=BybitLimits(per_second={}, default_per_second=many, ip_requests_per_5s=many),
        ),
        "okx": OkxEmulator(
            seed=seed + 2,
            profile=profile,
            listed_symbols=listed["okx"],
            limits=OkxLimits(rules={}, default_rule=(many, 1000)),
        ),
        "bitget": BitgetEmulator(
            seed=seed + 3,
            profile=profile,
            listed_symbols=listed["bitget"],
            limits=BitgetLimits(per_second={}, default_per_second=many, ip_requests_per_minute=many),
        ),
    }


async def serve_exchanges(config: dict[str, Any]) -> None:
    from contextlib import AsyncExitStack

    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    emulators = lifted_emulators(config)
    async with AsyncExitStack() as stack:
        for emulator in emulators.values():
            await stack.enter_async_context(emulator)
        keys = {
            exchange_id: [list(emulator.add_key(label=f"user-{n}")) for n in range(int(config.get("keys", 5)))]
            for exchange_id, emulator in emulators.items()
        }
        say(
            {
                "event": "ready",
                "urls": {exchange_id: emulator.base_url for exchange_id, emulator in emulators.items()},
                "keys": keys,
                "accounts": {
                    exchange_id: {"trades": len(emulator.account.trades), "markets": len(emulator.account.markets)}
                    for exchange_id, emulator in emulators.items()
                },
            }
        )
        while True:
            line = await reader.readline()
            if not line:
                break
            command = json.loads(line)
            if command.get("cmd") == "stats":
                requests = {exchange_id: emulator.requests.total for exchange_id, emulator in emulators.items()}
                say({"event": "stats", "requests": requests, "rss_mb": round(rss_mb(), 1)})
            elif command.get("cmd") == "stop":
                break
    say({"event": "stopped"})


def cpu_seconds() -> float:
    """CPU time of this process so far, every thread (the database driver's included)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def say(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message, default=str) + "\n")
    sys.stdout.flush()


def main() -> int:
    config = json.loads(sys.argv[1])
    if config["kind"] == "exchanges":
        asyncio.run(serve_exchanges(config))
        return 0
    host = Host(config)
    host.install_logging()
    profiler = cProfile.Profile() if config.get("profile") else None
    with asyncio.Runner(loop_factory=SlowCallbackLoop) as runner:
        loop = runner.get_loop()
        loop.set_debug(True)
        loop.slow_callback_duration = float(config.get("slow_callback_ms", 20)) / 1000
        if profiler is not None:
            profiler.enable()
        runner.run(host.run())
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(config["profile"])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
