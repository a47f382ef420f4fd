"""The Bot API emulator's webhook (sandbox/botapi/webhook.py) against a small receiver: the secret header, retries
after a failed answer, what getWebhookInfo reports, getUpdates refused while a webhook is set, deleteWebhook."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from sandbox.botapi import BotApiEmulator

HEADER = "X-Telegram-Bot-Api-Secret-Token"


@dataclass
class Receiver:
    failures_left: int = 0
    hold: asyncio.Event = field(default_factory=asyncio.Event)
    seen: list[tuple[int, str | None]] = field(default_factory=list)
    in_flight: int = 0
    most_in_flight: int = 0

    async def on_post(self, request: web.Request) -> web.Response:
        body: dict[str, Any] = await request.json()
        self.seen.append((body["update_id"], request.headers.get(HEADER)))
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            await self.hold.wait()
        finally:
            self.in_flight -= 1
        if self.failures_left:
            self.failures_left -= 1
            return web.Response(status=502)
        return web.Response(status=200)


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[Receiver, str]]:
    found = Receiver()
    app = web.Application()
    app.router.add_post("/hook", found.on_post)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    yield found, f"http://{host}:{port}/hook"
    found.hold.set()
    await runner.cleanup()


async def call(emulator: BotApiEmulator, method: str, **params: object) -> dict[str, Any]:
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{emulator.base_url}{emulator.token}/{method}", json=params) as answer,
    ):
        body: dict[str, Any] = await answer.json()
        return body


async def test_webhook_delivery_one_per_chat_with_secret_and_retries(receiver: tuple[Receiver, str]) -> None:
    found, url = receiver
    async with BotApiEmulator() as emulator:
        ada, bob = emulator.add_user(1, "Ada"), emulator.add_user(2, "Bob")
        assert (await call(emulator, "setWebhook", url=url, secret_token="s3cret", max_connections=5))["ok"]
        assert (await call(emulator, "getUpdates"))["error_code"] == 409

        found.failures_left = 1
        first = await emulator.send_message(ada, "one")
        second = await emulator.send_message(ada, "two")
        other = await emulator.send_message(bob, "hello")
        await emulator.wait_until(lambda: len(found.seen) >= 2, timeout=5, recheck_every=0.05)
        await asyncio.sleep(0.2)
        # Ada's second message waits for her first; Bob's goes at once.
        assert sorted(update_id for update_id, _ in found.seen) == sorted([first.update_id, other.update_id])
        assert found.most_in_flight == 2
        found.hold.set()
        await emulator.wait_until(lambda: emulator.pending_updates == [], timeout=5)

        ids = [update_id for update_id, _ in found.seen]
        assert {secret for _, secret in found.seen} == {"s3cret"}
        assert ids.count(first.update_id) + ids.count(other.update_id) == 3  # the one that got 502 came again
        assert ids.index(second.update_id) > max(i for i, u in enumerate(ids) if u == first.update_id)
        info = (await call(emulator, "getWebhookInfo"))["result"]
        assert info["url"] == url
        assert info["pending_update_count"] == 0
        assert info["max_connections"] == 5
        assert info["last_error_message"] == "Wrong response from the webhook: 502 Bad Gateway"

        assert (await call(emulator, "deleteWebhook"))["ok"]
        assert (await call(emulator, "getWebhookInfo"))["result"]["url"] == ""
        assert (await call(emulator, "getUpdates"))["ok"]
