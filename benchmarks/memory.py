"""Memory: the bot's peak RSS with 1,000 users × 3 accounts and 20 concurrent syncs, and shared vs unshared markets.

    python -m benchmarks.memory [--quick] [--json PATH] [--syncs-at-once N] [--trace-memory]

The bot runs in its own process (`benchmarks.serve`, the real `Application`, asyncio debug mode off), the Bot API
emulator and the users in this one, the four exchange emulators in a third. Before the bot starts, its database
holds 1,000 users with 3 connected accounts each (on three of the four exchanges, keys sealed as the Assistant
seals them). Then:

1. every user asks ``/status`` (the bot loads their three accounts);
2. 20 users each sync one account — 5 per exchange — all at once: the benchmark raises SyncService's concurrency
   limit from the product's 4 to 20 so that all 20 are in memory together (the product would queue 16);
3. the bot's RSS is sampled every second until the syncs end; the peak is the kernel's high-water mark
   (VmHWM) of the bot process.

Markets: in this process, with tracemalloc, N clients for N Binance keys (2,000 listed markets) from one
`ClientPool` (markets loaded once and shared by reference) against N clients that each load their own markets;
the retained Python memory of each set, per client.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import tempfile
import time
import tracemalloc
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import ccxt.async_support as ccxt_async

from benchmarks.bot_load import EXCHANGE_NAMES, EXCHANGES, SEND, Observer, Step, Users, new_message
from benchmarks.common import Child, Report, command_line, prepare_accounts, rounded, rss_mb
from connectors.clients import READ_ONLY_CONFIG, ClientPool
from connectors.urls import apply_url_override
from sandbox.botapi import BotApiEmulator, UserHandle
from sandbox.exchanges import Credentials

USER_BASE = 5_000_000


@dataclass(frozen=True)
class Sizes:
    users: int
    syncs: int
    market_clients: int
    account: dict[str, Any]
    listed: dict[str, int]
    at_once: int | None = None  # SyncService's limit in the bot; None: as many as there are syncs
    trace: bool = False  # tracemalloc in the bot from ready on (slows it): where its Python memory goes


FULL = Sizes(
    users=1000,
    syncs=20,
    market_clients=20,
    account={
        "years": 1.0,
        "traded_markets": 12,
        "trades": 20_000,
        "deposits": 150,
        "withdrawals": 60,
        "converts": 40,
        "transfers": 40,
        "rewards": 60,
    },
    listed={"binance": 2000, "bybit": 600, "okx": 600, "bitget": 600},
)
QUICK = Sizes(
    users=30,
    syncs=4,
    market_clients=3,
    account={
        "years": 0.25,
        "traded_markets": 4,
        "trades": 1_500,
        "deposits": 10,
        "withdrawals": 5,
        "converts": 5,
        "transfers": 5,
        "rewards": 5,
    },
    listed={"binance": 300, "bybit": 100, "okx": 100, "bitget": 100},
)

STATUS = Step("/status", False, "/status", SEND, new_message())


def their_exchanges(n: int) -> list[str]:
    """User n's three accounts: three of the four exchanges, in turn."""
    return [EXCHANGES[(n + k) % len(EXCHANGES)] for k in range(3)]


async def bot_memory(
    sizes: Sizes, workdir: Path, exchanges: Child, keys: dict[str, list[Credentials]]
) -> dict[str, Any]:
    sync_from: date = (datetime.now(UTC) - timedelta(days=int(sizes.account["years"] * 365) + 5)).date()
    accounts: list[tuple[int, str, Credentials, str, date | None]] = []
    fake = Credentials("0" * 64, "0" * 64, "fake-passphrase")
    for n in range(sizes.users):
        for exchange_id in their_exchanges(n):
            syncing = n < sizes.syncs and exchange_id == EXCHANGES[n % len(EXCHANGES)]
            real = keys[exchange_id][n // len(EXCHANGES) % len(keys[exchange_id])]
            accounts.append(
                (USER_BASE + n, exchange_id, real if syncing else fake, EXCHANGE_NAMES[exchange_id], sync_from)
            )
    data_dir = workdir / "bot"
    started = time.monotonic()
    await prepare_accounts(data_dir, accounts)
    figures: dict[str, Any] = {
        "users": sizes.users,
        "accounts": len(accounts),
        "prepare_seconds": rounded(time.monotonic() - started, 1),
    }
    async with BotApiEmulator(bot_username="tallybot_bench_bot") as telegram:
        observer = Observer(telegram)
        users = Users(telegram, observer, timeout=300)
        handles: list[UserHandle] = [telegram.add_user(USER_BASE + n, f"user{n}") for n in range(sizes.users)]
        child = Child(
            {
                "kind": "tallybot",
                "token": telegram.token,
                "base_url": telegram.base_url,
                "data_dir": str(data_dir),
                "overrides": exchanges.ready["urls"],
                "max_concurrent_syncs": sizes.at_once or sizes.syncs,
                "trace_memory": sizes.trace,
            },
            data_dir / "child.log",
        )
        ready = await child.start()
        figures["rss_ready_mb"] = ready["rss_mb"]
        try:
            status = await asyncio.gather(*(users.step(user, STATUS) for user in handles))
            figures["status_answered"] = sum(1 for o in status if o.latency is not None)
            after_status = await child.ask({"cmd": "stats"})
            figures["rss_after_status_mb"] = after_status["rss_mb"]
            syncers = handles[: sizes.syncs]
            commands = [
                Step(
                    "/sync", False, f"/sync {EXCHANGE_NAMES[EXCHANGES[n % len(EXCHANGES)]]}", SEND, new_message("Sync")
                )
                for n in range(len(syncers))
            ]
            began = time.monotonic()
            await asyncio.gather(*(users.step(user, command) for user, command in zip(syncers, commands, strict=True)))
            samples: list[dict[str, Any]] = []
            while True:
                await asyncio.sleep(1.0)
                sample = await child.ask({"cmd": "stats"})
                samples.append(sample)
                if sample["syncs"].get("leased", 0) == 0 or time.monotonic() - began > 480:
                    break
            figures["sync_seconds"] = rounded(time.monotonic() - began, 1)
            figures["max_leased"] = max(s["syncs"].get("leased", 0) for s in samples)
            figures["max_open_clients"] = max(s["syncs"].get("open_clients", 0) for s in samples)
            figures["records_stored"] = samples[-1]["syncs"].get("records", 0)
            figures["rss_samples_mb"] = [s["rss_mb"] for s in samples]
            figures["peak_rss_after_syncs_mb"] = samples[-1]["peak_rss_mb"]
            figures["python_blocks"] = {
                "ready": ready.get("python_blocks"),
                "after_status": after_status["python_blocks"],
            }
            figures["python_blocks"]["after_syncs"] = samples[-1]["python_blocks"]
            figures["finished_in_time"] = samples[-1]["syncs"].get("leased", 0) == 0
            if sizes.trace:
                figures["traced"] = (await child.ask({"cmd": "stats", "trace": True})).get("traced")
        finally:
            final = await child.stop()
        figures["peak_rss_mb"] = final["peak_rss_mb"]
        figures["rss_end_mb"] = final["rss_mb"]
        figures["bot_errors"] = final["errors"]
        figures["last_errors"] = final["last_errors"]
    return figures


# ------------------------------------------------------------------------------------------------ markets


def traced() -> int:
    gc.collect()
    return tracemalloc.get_traced_memory()[0]


async def markets_memory(url: str, keys: Sequence[Credentials], count: int) -> dict[str, Any]:
    """Retained memory of `count` Binance clients with shared markets (ClientPool) and with their own."""
    tracemalloc.start()
    try:
        base = traced()
        pool = ClientPool({"binance": url})
        shared: list[Any] = []
        rss_before = rss_mb()
        for n in range(count):
            key = keys[n % len(keys)]
            async with pool.client(
                "binance", f"credential-{n}", {"apiKey": key.api_key, "secret": key.secret}
            ) as client:
                shared.append(client)
        shared_bytes = traced() - base
        shared_rss = rss_mb() - rss_before
        markets = len(shared[0].markets)
        del shared
        await pool.close()
        del pool
        base = traced()
        rss_before = rss_mb()
        own: list[Any] = []
        for n in range(count):
            key = keys[n % len(keys)]
            config = {**READ_ONLY_CONFIG["binance"], "apiKey": key.api_key, "secret": key.secret}
            client = ccxt_async.binance(config)
            apply_url_override(client, url)
            await client.load_markets()
            own.append(client)
        own_bytes = traced() - base
        own_rss = rss_mb() - rss_before
        for client in own:
            await client.close()
    finally:
        tracemalloc.stop()
    return {
        "clients": count,
        "markets": markets,
        "shared_mb": rounded(shared_bytes / 2**20, 2),
        "shared_per_client_mb": rounded(shared_bytes / count / 2**20, 3),
        "unshared_mb": rounded(own_bytes / 2**20, 2),
        "unshared_per_client_mb": rounded(own_bytes / count / 2**20, 3),
        "shared_rss_growth_mb": rounded(shared_rss, 1),
        "unshared_rss_growth_mb": rounded(own_rss, 1),
    }


async def measure(sizes: Sizes, workdir: Path) -> dict[str, Any]:
    exchanges = Child(
        {"kind": "exchanges", "seed": 21, "keys": 8, "account": sizes.account, "listed": sizes.listed},
        workdir / "exchanges.log",
    )
    ready = await exchanges.start(within=600)
    keys = {e: [Credentials(*k) for k in values] for e, values in ready["keys"].items()}
    try:
        data = {"accounts": ready["accounts"]}
        data["bot"] = await bot_memory(sizes, workdir, exchanges, keys)
        data["markets"] = await markets_memory(ready["urls"]["binance"], keys["binance"], sizes.market_clients)
    finally:
        await exchanges.stop()
    return data


def build_report(sizes: Sizes, data: dict[str, Any], command: str, quick: bool) -> Report:
    report = Report("Memory: the bot process, and shared markets", command, quick)
    bot = data["bot"]
    at_once = sizes.at_once or sizes.syncs
    report.section(f"The bot with {sizes.users:,} users × 3 accounts and {sizes.syncs} syncs, {at_once} at once")
    report.say(
        f"  RSS when ready: {bot['rss_ready_mb']:.0f} MiB; after every user's /status: "
        f"{bot['rss_after_status_mb']:.0f} MiB ({bot['status_answered']:,} of {sizes.users:,} answered)"
    )
    report.say(
        f"  syncs: {bot['max_leased']} at once at most, {bot['max_open_clients']} exchange clients open, "
        f"{bot['records_stored']:,} records stored in {bot['sync_seconds']:.0f} s "
        f"({'all finished' if bot['finished_in_time'] else 'still running when sampling stopped'})"
    )
    samples = bot["rss_samples_mb"]
    report.say(
        f"  RSS while syncing: max sampled {max(samples, default=0):.0f} MiB; at the end {bot['rss_end_mb']:.0f} MiB"
    )
    report.say(
        f"  peak RSS (VmHWM of the bot process): {bot['peak_rss_mb']:.0f} MiB; bot errors logged: {bot['bot_errors']}"
    )
    traced = bot.get("traced")
    if traced:
        report.say(
            f"  Python memory allocated since ready (tracemalloc): peak {traced['peak_mb']:.1f} MiB, held at the end "
            f"{traced['current_mb']:.1f} MiB, by file: "
            + ", ".join(f"{name} {size:.1f}" for name, size in traced["top"])
        )
    markets = data["markets"]
    report.section(f"Markets: {markets['clients']} Binance clients, {markets['markets']:,} markets each (tracemalloc)")
    report.say(
        f"  shared through ClientPool: {markets['shared_mb']:.1f} MiB retained "
        f"({markets['shared_per_client_mb']:.2f} MiB per client, the one markets source included); "
        f"RSS growth {markets['shared_rss_growth_mb']:.0f} MiB"
    )
    report.say(
        f"  each loading its own: {markets['unshared_mb']:.1f} MiB ({markets['unshared_per_client_mb']:.2f} MiB "
        f"per client); RSS growth {markets['unshared_rss_growth_mb']:.0f} MiB"
    )
    saved = markets["unshared_mb"] - markets["shared_mb"]
    report.say(f"  sharing saves {saved:.1f} MiB for {markets['clients']} clients")
    report.section("Targets")
    peak = bot["peak_rss_mb"]
    report.target("peak_rss", peak * 1.048576 < 300, f"peak RSS < 300 MB: {peak:.0f} MiB ({peak * 1.048576:.0f} MB)")
    report.figures.update({"bot": bot, "markets": markets, "accounts": data["accounts"], "syncs_at_once": at_once})
    return report


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Memory: the bot's peak RSS, and shared vs unshared markets.")
    parser.add_argument("--quick", action="store_true", help="a few users and small syncs (seconds, not minutes)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the figures to PATH as JSON")
    parser.add_argument(
        "--syncs-at-once",
        type=int,
        metavar="N",
        help="SyncService's concurrency limit in the bot (default: as many as syncs start, 20; the product's is 4)",
    )
    parser.add_argument(
        "--trace-memory", action="store_true", help="tracemalloc in the bot: its Python memory by file (slower)"
    )
    options = parser.parse_args(argv)
    sizes = QUICK if options.quick else FULL
    if options.trace_memory:
        sizes = replace(sizes, trace=True)
    if options.syncs_at_once is not None:
        sizes = replace(sizes, at_once=options.syncs_at_once)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="tallybot-bench-") as workdir:
        logging.basicConfig(filename=Path(workdir) / "driver.log", level=logging.WARNING)
        data = asyncio.run(measure(sizes, Path(workdir)))
    report = build_report(sizes, data, command_line("benchmarks.memory", argv), options.quick)
    report.figures["wall_seconds"] = rounded(time.monotonic() - started, 1)
    report.emit(options.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
