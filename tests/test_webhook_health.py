"""A webhook replica's /healthz, for the load balancer: 200 while its database answers, 503 while it does not, and
200 again once it is back — the replica itself keeps running.

The replica (bot/webhook.py `serve_webhook`, as `tallybot run --webhook` runs it) reaches PostgreSQL through a TCP
relay the test owns; closing the relay (its listener and every connection through it) is the database becoming
unreachable from that replica, as a network cut or a stopped server would be."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
from pydantic import SecretStr
from sqlalchemy.engine import make_url

from bot.vault import generate_key
from bot.webhook import serve_webhook
from sandbox.botapi import BotApiEmulator
from tests.bot_harness import settings_for
from tests.postgres import fresh_database

SECRET = "health-check-secret_0123456789"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Relay:
    """Forwards TCP connections from its own port to the database server's, until cut."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = free_port()
        self.server: asyncio.Server | None = None
        self.writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._relay, "127.0.0.1", self.port)

    async def cut(self) -> None:
        """No new connection is accepted and every open one is closed."""
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()
            self.server = None
        for writer in list(self.writers):
            writer.close()
        self.writers.clear()

    async def _relay(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        server_reader, server_writer = await asyncio.open_connection(*self.target)
        self.writers |= {client_writer, server_writer}
        await asyncio.gather(
            self._pipe(client_reader, server_writer), self._pipe(server_reader, client_writer), return_exceptions=True
        )

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while chunk := await reader.read(65536):
                writer.write(chunk)
                await writer.drain()
        finally:
            writer.close()
            self.writers.discard(writer)


async def health(url: str) -> tuple[int, object]:
    async with aiohttp.ClientSession() as session, session.get(url, timeout=aiohttp.ClientTimeout(total=30)) as answer:
        return answer.status, await answer.json()


@contextlib.asynccontextmanager
async def replica_behind(
    relay: Relay, database_url: str, telegram: BotApiEmulator, data_dir: Path
) -> AsyncIterator[str]:
    """A replica whose DATABASE_URL goes through the relay; yields its health URL once it serves."""
    through_relay = make_url(database_url).set(host="127.0.0.1", port=relay.port).render_as_string(hide_password=False)
    port = free_port()
    settings = settings_for(
        telegram,
        data_dir,
        database_url=through_relay,
        master_key=SecretStr(base64.b64encode(generate_key()).decode()),
        webhook_url="https://bot.example/telegram",
        webhook_secret=SecretStr(SECRET),
        webhook_listen_port=port,
    )
    stop = asyncio.Event()
    serving = asyncio.create_task(serve_webhook(settings, stop))
    url = f"http://127.0.0.1:{port}/healthz"
    try:
        for _ in range(300):
            with contextlib.suppress(aiohttp.ClientConnectionError):
                await health(url)
                break
            if serving.done():
                serving.result()  # raises what stopped it
            await asyncio.sleep(0.1)
        yield url
    finally:
        stop.set()
        await asyncio.wait_for(serving, 60)


async def test_healthz_answers_503_while_the_database_is_unreachable_and_200_around_it(
    telegram: BotApiEmulator, tmp_path: Path
) -> None:
    async with fresh_database() as database_url:
        server = make_url(database_url)
        relay = Relay(server.host or "127.0.0.1", server.port or 5432)
        await relay.start()
        async with replica_behind(relay, database_url, telegram, tmp_path) as url:
            before = await health(url)
            await relay.cut()
            during = [await health(url) for _ in range(2)]  # pooled connections broken, then none can be opened
            await relay.start()
            after = await health(url)
        await relay.cut()

    assert before == (200, {"ok": True, "database": "ok"})
    assert during == [(503, {"ok": False, "database": "unreachable"})] * 2
    assert after == (200, {"ok": True, "database": "ok"}), "the replica recovers with its database"
