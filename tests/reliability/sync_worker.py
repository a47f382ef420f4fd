"""The process the crash-safety test kills: a fork server that runs one real sync per child process.

Starting Python with ccxt, SQLAlchemy and the bot imported costs seconds; a trial must cost far less. So this
program imports everything once and then, for each `sync` command read from standard input, forks a child that runs
one `SyncService.run` against the exchange emulator (in the test's process) and the database (a SQLite file or a
PostgreSQL database the test also reads). The test kills that child with SIGKILL wherever it likes; the child is an
ordinary process, with its own connections, event loop and lease holder id, exactly as a bot process would be.

Protocol, one JSON object per line:
  stdin   {"cmd": "sync", "config": {...}}   fork a child running one sync   -> {"child": pid}
          {"cmd": "wait", "pid": pid}        reap it                         -> {"reaped": pid, "signal": n|null,
                                                                                 "code": n|null}
          {"cmd": "quit"}
  stdout  children add {"pid": pid, "event": "done", ...counts} when their sync ended, or
          {"pid": pid, "event": "error", "type": name} when it raised.

Run as `python -m tests.reliability.sync_worker` from the repository root.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import json
import os
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

import ccxt.async_support  # noqa: F401  # imported once here, before any fork: that is the point

from bot.integrations import IntegrationService
from bot.sync import RetryPolicy, SyncAlreadyRunning, SyncService
from bot.vault import KeyRing, Vault
from connectors.clients import ClientPool
from connectors.profiles import ExchangeProfile, get_profile
from db.engine import Database


def say(message: dict[str, Any]) -> None:
    """One line on stdout, written with a single write: lines of the server and its children never interleave."""
    os.write(sys.stdout.fileno(), (json.dumps(message) + "\n").encode())


def small_pages(exchange_id: str, size: int) -> ExchangeProfile:
    """The exchange's profile with tiny pages: a sync makes many pages, so kills land between and inside them."""
    profile = get_profile(exchange_id)
    return dataclasses.replace(
        profile, endpoints=tuple(dataclasses.replace(spec, page_size=size) for spec in profile.endpoints)
    )


async def one_sync(config: dict[str, Any]) -> dict[str, Any]:
    exchange_id: str = config["exchange_id"]
    database = Database(config["database_url"])
    vault = Vault(KeyRing([base64.b64decode(config["master_key"])]))
    pool = ClientPool({exchange_id: config["base_url"]})
    profile = small_pages(exchange_id, int(config["page_size"]))
    try:
        # Requests go out at once (counts are under test, not the exchange's real pace).
        async with pool.client(exchange_id, "warm-up", {}) as client:
            client.throttler.config["refillRate"] = 1e6
        service = SyncService(
            database,
            IntegrationService(database, vault),
            pool,
            lease_ttl=timedelta(seconds=float(config["lease_ttl"])),
            retry=RetryPolicy(),
            profiles=lambda _: profile,
            fetcher_options={"binance": {"uid_weight_per_minute": 10**9}},
        )
        waited = 0.0
        while True:
            try:
                result = await service.run(int(config["telegram_user_id"]), int(config["integration_id"]))
                break
            except SyncAlreadyRunning as running:
                # The lease of a killed predecessor: it lapses by itself, then this sync takes it over.
                expires = running.expires_at or datetime.now(UTC)
                pause = max(0.01, (expires - datetime.now(UTC)).total_seconds() + 0.01)
                waited += pause
                await asyncio.sleep(pause)
        return {
            "event": "done",
            "status": str(result.status),
            "fetched": result.fetched,
            "new": result.new,
            "known": result.known,
            "requests": result.requests,
            "lease_wait": round(waited, 3),
            "endpoints": {str(e.endpoint): str(e.status) for e in result.endpoints},
        }
    finally:
        await pool.close()
        await database.dispose()


def child(config: dict[str, Any]) -> None:
    """The forked child: run the sync, report, and leave without running the server's clean-up."""
    code = 0
    try:
        outcome = asyncio.run(one_sync(config))
        say({"pid": os.getpid(), **outcome})
    except BaseException as error:  # reported to the test, which fails on it
        say({"pid": os.getpid(), "event": "error", "type": type(error).__name__})
        code = 1
    finally:
        os._exit(code)


def serve() -> None:
    say({"ready": True})
    for line in sys.stdin:
        command = json.loads(line)
        if command["cmd"] == "sync":
            pid = os.fork()
            if pid == 0:
                child(command["config"])
            say({"child": pid})
        elif command["cmd"] == "wait":
            _, status = os.waitpid(int(command["pid"]), 0)
            signal = os.WTERMSIG(status) if os.WIFSIGNALED(status) else None
            code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else None
            say({"reaped": command["pid"], "signal": signal, "code": code})
        elif command["cmd"] == "quit":
            break


if __name__ == "__main__":
    serve()
