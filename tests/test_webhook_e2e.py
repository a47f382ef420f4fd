"""Two bot replicas in webhook mode, as separate processes on one PostgreSQL database, behind a load balancer that
alternates between them; Telegram is the Bot API emulator delivering through setWebhook (sandbox/botapi/webhook.py).

Each user sends bursts of commands without waiting: the replies must come back one per command and in the order
sent, though consecutive updates of a chat reach different replicas. The Assistant's flow moves between replicas
(its draft lives in the database). A request without the secret gets 403, an update sent twice (to both replicas)
is answered once, /healthz answers, and a long-polling start beside the replicas is refused without touching the
webhook.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import os
import socket
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from bot.imports import template_csv
from bot.vault import generate_key
from sandbox.botapi import BotApiEmulator, UserHandle
from tests.assistant_story import Walker
from tests.postgres import fresh_database

REPO = Path(__file__).resolve().parent.parent
SECRET = "webhook-secret_for-the-test-0123456789"
HEADER = "X-Telegram-Bot-Api-Secret-Token"
# Texts from i18n/locales/en/LC_MESSAGES/tallybot.po, written out by hand.
NO_ACCOUNTS = "You have no connected accounts yet. Send /connect to add one."
HELP_START = "Tallybot syncs your exchange history through read-only API keys."
CANCELLED = "Cancelled. Everything you entered in this flow was wiped; nothing was stored."
WELCOME = "Welcome to Tallybot"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Balancer:
    """Round robin over the replicas, as a load balancer in front of them would do; remembers who got what."""

    replicas: list[str]
    served_by: dict[int, str] = field(default_factory=dict)
    _turn: itertools.cycle[str] | None = None

    async def forward(self, request: web.Request) -> web.Response:
        if self._turn is None:
            self._turn = itertools.cycle(self.replicas)
        target = next(self._turn)
        body = await request.read()
        headers = {
            name: value for name, value in request.headers.items() if name.lower() in ("content-type", HEADER.lower())
        }
        async with (
            aiohttp.ClientSession() as session,
            session.post(target + request.path, data=body, headers=headers) as answer,
        ):
            status = answer.status
        if status == 200:
            self.served_by[int((await request.json())["update_id"])] = target
        return web.Response(status=status)


def replica_env(
    emulator: BotApiEmulator, database_url: str, master_key: str, data_dir: Path, port: int
) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("TALLYBOT_", "TELEGRAM_"))}
    env.update(
        TELEGRAM_BOT_TOKEN=emulator.token,
        TELEGRAM_API_BASE_URL=emulator.base_url,
        DATABASE_URL=database_url,
        TALLYBOT_MASTER_KEY=master_key,
        TALLYBOT_WEBHOOK_SECRET=SECRET,
        TALLYBOT_WEBHOOK_LISTEN_PORT=str(port),
        TALLYBOT_DATA_DIR=str(data_dir),
        LOG_LEVEL="INFO",
    )
    return env


async def run_cli(env: dict[str, str], *args: str) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        cwd=REPO,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), 60)
    return process.returncode or 0, output.decode()


async def healthy(url: str, within: float = 30.0) -> dict[str, object]:
    deadline = time.monotonic() + within
    async with aiohttp.ClientSession() as session:
        while True:
            try:
                async with session.get(url + "/healthz") as answer:
                    if answer.status == 200:
                        body: dict[str, object] = await answer.json()
                        return body
            except aiohttp.ClientConnectionError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"{url} never became healthy")
            await asyncio.sleep(0.1)


@dataclass
class Deployment:
    emulator: BotApiEmulator
    balancer: Balancer
    replicas: list[str]
    env: dict[str, str]
    logs: list[Path]


@pytest.fixture
async def deployment(tmp_path: Path) -> AsyncIterator[Deployment]:
    async with fresh_database() as database_url, BotApiEmulator() as emulator:
        master_key = base64.b64encode(generate_key()).decode()
        ports = [free_port(), free_port()]
        replicas = [f"http://127.0.0.1:{port}" for port in ports]
        balancer = Balancer(replicas)
        app = web.Application()
        app.router.add_post("/telegram", balancer.forward)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        lb_port = free_port()
        await web.TCPSite(runner, "127.0.0.1", lb_port).start()
        public_url = f"http://127.0.0.1:{lb_port}/telegram"
        env = replica_env(emulator, database_url, master_key, tmp_path / "cli", ports[0])
        code, output = await run_cli(env, "migrate")  # once, before the replicas (docs/DEPLOY.md)
        assert code == 0, output
        code, output = await run_cli(env, "set-webhook", public_url)
        assert code == 0, output
        assert SECRET not in output
        processes = []
        logs = []
        for index, port in enumerate(ports):
            log_path = tmp_path / f"replica-{index}.log"
            logs.append(log_path)
            with log_path.open("wb") as log_file:
                processes.append(
                    await asyncio.create_subprocess_exec(
                        sys.executable,
                        "-m",
                        "bot",
                        "run",
                        "--webhook",
                        public_url,
                        cwd=REPO,
                        env=replica_env(emulator, database_url, master_key, tmp_path / f"r{index}", port),
                        stdout=log_file,
                        stderr=asyncio.subprocess.STDOUT,
                    )
                )
        try:
            for replica in replicas:
                assert await healthy(replica) == {"ok": True, "database": "ok"}
            yield Deployment(emulator, balancer, replicas, env, logs)
        finally:
            for process in processes:
                if process.returncode is None:
                    process.terminate()
            for process in processes:
                await asyncio.wait_for(process.wait(), 30)
            await runner.cleanup()
        for log_path in logs:
            text = log_path.read_text()
            assert SECRET not in text
            assert "Traceback" not in text, text


async def burst(walker: Walker, commands: list[str], expected: list[str]) -> None:
    """Send the commands at once; the bot's replies must be one per command, in the order sent."""
    before = walker.newest_id()
    for command in commands:
        await walker.send(command)

    def replies() -> list[str]:
        return [m.text or "" for m in walker.emulator.bot_messages(walker.chat_id) if m.message_id > before]

    await walker.emulator.wait_until(lambda: len(replies()) >= len(expected), timeout=20)
    await asyncio.sleep(0.3)  # a duplicate reply, if any, would arrive now
    got = replies()
    assert len(got) == len(expected), got
    for text, start in zip(got, expected, strict=True):
        assert start in text, (start, text)


async def test_two_webhook_replicas_behind_one_url(deployment: Deployment) -> None:
    """One deployment (starting it is most of the time) for the three stories below."""
    await every_update_answered_once_and_in_order(deployment)
    await wrong_secret_refused_and_repeated_update_processed_once(deployment)
    await an_upload_is_finished_on_the_other_replica(deployment)
    await long_polling_beside_the_replicas_refused(deployment)


async def every_update_answered_once_and_in_order(deployment: Deployment) -> None:
    emulator = deployment.emulator
    users = [emulator.add_user(5100 + n, f"User{n}") for n in range(4)]
    walkers = [Walker(emulator, user) for user in users]

    # Every user at once: bursts of fast commands alternating between two kinds of reply.
    commands = ["/status", "/help"] * 3
    expected = [NO_ACCOUNTS, HELP_START] * 3
    await asyncio.gather(*(burst(walker, commands, expected) for walker in walkers))

    # The Assistant's flow moves between the replicas: /start on one, the presses on the other and back.
    for walker in walkers[:2]:
        sent = await walker.send("/start")
        await walker.reply_to(sent, WELCOME)
        await walker.reply_to(sent, "Connect your exchanges")
        await walker.press("Binance")
        await emulator.wait_until(
            lambda w=walker: "✅ Binance" in " ".join(b.text for b in w.last_menu("Confirm").buttons)
        )
        await walker.press_for("Confirm exchanges", "paste your")
        cancel = await walker.send("/cancel")
        await walker.reply_to(cancel, CANCELLED)

    # Every update delivered once, answered 200 (after its replies: the last answer may still be on its way), and
    # both replicas took a share.
    await emulator.wait_until(lambda: emulator.pending_updates == [])
    deliveries = emulator.webhook_deliveries
    ids = [update_id for update_id, _status in deliveries]
    assert len(ids) == len(set(ids)), "an update was delivered twice"
    assert {status for _update_id, status in deliveries} == {200}
    assert set(deployment.balancer.served_by.values()) == set(deployment.replicas)


async def wrong_secret_refused_and_repeated_update_processed_once(deployment: Deployment) -> None:
    emulator = deployment.emulator
    ada: UserHandle = emulator.add_user(5200, "Ada", started=True)
    update = {
        "update_id": 777_001,
        "message": {
            "message_id": 1,
            "date": int(time.time()),
            "chat": {"id": ada.user_id, "type": "private", "first_name": "Ada"},
            "from": {"id": ada.user_id, "is_bot": False, "first_name": "Ada", "language_code": "en"},
            "text": "/status",
            "entities": [{"type": "bot_command", "offset": 0, "length": 7}],
        },
    }
    first, second = deployment.replicas
    async with aiohttp.ClientSession() as session:
        for headers in ({}, {HEADER: "not-the-secret"}, {HEADER: SECRET[:-1]}):
            async with session.post(first + "/telegram", json=update, headers=headers) as answer:
                assert answer.status == 403
        await asyncio.sleep(0.3)
        assert emulator.bot_messages(ada) == [], "a refused request was processed"

        for replica in (first, second, first):  # Telegram repeating it, to whichever replica
            async with session.post(replica + "/telegram", json=update, headers={HEADER: SECRET}) as answer:
                assert answer.status == 200
        await emulator.wait_until(lambda: len(emulator.bot_messages(ada)) >= 1)
        await asyncio.sleep(0.5)
        assert [m.text for m in emulator.bot_messages(ada)] == [NO_ACCOUNTS]

        async with session.get(second + "/healthz") as answer:
            assert answer.status == 200
            assert await answer.json() == {"ok": True, "database": "ok"}


async def an_upload_is_finished_on_the_other_replica(deployment: Deployment) -> None:
    """A file sent to one replica, its account buttons pressed on the other and back: the upload waits in the
    database (pending_uploads), not in the memory of the replica that received it."""
    emulator = deployment.emulator
    walker = Walker(emulator, emulator.add_user(5300, "Uma", started=True))
    served = set(deployment.balancer.served_by)
    sent = await emulator.send_document(walker.user, filename="history.csv", content=template_csv())
    await walker.reply_to(sent, "Which account")
    await walker.press_for("New file-only account", "Which exchange")
    done = await walker.press_for("Binance", "imported", timeout=30)
    # A replica answers Telegram after its replies: the last press's answer may still be on its way.
    await emulator.wait_until(lambda: len(set(deployment.balancer.served_by) - served) >= 3)
    ours = sorted(set(deployment.balancer.served_by) - served)  # the file, then the two presses

    assert len(ours) == 3
    replicas = [deployment.balancer.served_by[update_id] for update_id in ours]
    assert replicas[0] != replicas[1] != replicas[2], "the presses reached the replica the file did not"
    assert "New: 2" in (done.text or ""), done.text  # the template's two rows
    assert not any("stale" in (m.text or "") for m in emulator.bot_messages(walker.chat_id))


async def long_polling_beside_the_replicas_refused(deployment: Deployment) -> None:
    code, output = await run_cli(deployment.env, "run")
    assert code == 2, output
    assert "this bot runs in webhook mode on this database" in output
    # Refused before PTB's polling start, which would have deleted the webhook.
    assert deployment.emulator.calls_to("deleteWebhook") == []
