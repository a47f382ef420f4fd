"""Webhook mode: `tallybot run --webhook URL` serves Telegram's webhook; any number of replicas behind one URL.

What each request does, and why:
- The `X-Telegram-Bot-Api-Secret-Token` header must equal TALLYBOT_WEBHOOK_SECRET (setWebhook's `secret_token`:
  "the request will contain a header ... with the secret token as content"), compared in constant time; anything
  else is answered 403 and never processed. The secret is never logged, nor is the request line (access log off).
- The update is processed inside its request, and answered when its handlers are done. Telegram's documentation
  promises no order across webhook requests (Update: `update_id` "allows you to ignore repeated updates or to restore
  the correct update sequence, should they get out of order"); what keeps one chat's updates in order is that a
  chat's next update is not sent while its previous request is unanswered, which is how Telegram delivers (one
  request in flight per chat, `max_connections` requests at once) and what the sandbox emulator does. Answering only
  after processing makes that hold across replicas: the next update of the chat cannot reach another replica while
  this one still works on the previous. Within a replica, PerUserOrder (bot/updates.py) keeps the order as well.
- A repeated `update_id` is dropped (bot/webhook_updates.py), whichever replica saw it first.
- Long work never holds the request: syncs run as background work already; an update still running after
  ANSWER_WITHIN goes on in the background and the request is answered, so Telegram does not count it failed and
  send it again. The Bot API documents no number for its timeout; ANSWER_WITHIN is well below the tens of seconds
  Telegram is known to wait.
- GET /healthz answers 200 when the database answers, 503 otherwise (for the load balancer).

Replicas never call setWebhook: `tallybot set-webhook` sets it once (bot/webhook_setup.py). A replica says at start
when Telegram's webhook is not the URL it serves.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import signal
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from sqlalchemy import text
from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application

from bot.app import build_application
from bot.context import SERVICES_KEY, Services
from bot.lifecycle import FATAL_KEY
from bot.secret import registry
from bot.settings import Settings
from bot.webhook_updates import SeenUpdates

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105  # the header's name, not a secret
HEALTH_PATH = "/healthz"
# How long a request may process its update before it is answered and the update goes on in the background.
ANSWER_WITHIN = 20.0
# How often each replica deletes the update ids Telegram can no longer send (idempotent across replicas).
FORGET_EVERY = 3600.0
# The flows a restart left open are resumed by the first replica only (handlers/assistant/router.py's job): a
# replica joining live ones would tell every user mid-flow "where they were" though nothing stopped.
RESUME_JOB = "resume_after_restart"


def webhook_path(url: str) -> str:
    """The path this replica serves: the path of the public URL (a proxy forwards it unchanged)."""
    return urlsplit(url).path or "/"


class WebhookReceiver:
    """The aiohttp side of one replica: the webhook route and the health check."""

    def __init__(self, application: Application, services: Services, secret: str, path: str) -> None:  # type: ignore[type-arg]
        self.application = application
        self.services = services
        self.secret = secret.encode()
        self.path = path
        self.seen = SeenUpdates(services.database, application.bot.id)

    def build_app(self) -> web.Application:
        app = web.Application()
        app.router.add_post(self.path, self.on_update)
        app.router.add_get(HEALTH_PATH, self.on_health)
        return app

    async def on_update(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self.secret):
            log.warning("refused a webhook request without the right secret token (from %s)", request.remote)
            return web.Response(status=HTTPStatus.FORBIDDEN)
        try:
            data: Any = await request.json()
        except ValueError:
            return web.Response(status=HTTPStatus.BAD_REQUEST)
        if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
            return web.Response(status=HTTPStatus.BAD_REQUEST)
        update = Update.de_json(data, self.application.bot)
        # A database that cannot record it answers 500 (aiohttp's default): Telegram sends the update again later.
        if not await self.seen.claim(update.update_id):
            log.info("dropped update %d: already taken", update.update_id)
            return web.Response(status=HTTPStatus.OK)
        await self._process(update)
        return web.Response(status=HTTPStatus.OK)

    async def _process(self, update: Update) -> None:
        processor = self.application.update_processor
        work = processor.process_update(update, self.application.process_update(update))
        task = asyncio.get_running_loop().create_task(work, name=f"update-{update.update_id}")
        done, _ = await asyncio.wait({task}, timeout=ANSWER_WITHIN)
        if not done:
            # Cancelled at shutdown like any background work; its user's next update may now run beside it.
            self.services.background.adopt(task)
            task.add_done_callback(self.services.background.forget)
            log.warning(
                "update %d still running after %.0f s: answered, finishing in the background",
                update.update_id,
                ANSWER_WITHIN,
            )

    async def on_health(self, _request: web.Request) -> web.Response:
        try:
            async with self.services.database.reader() as session:
                await session.execute(text("SELECT 1"))
        except Exception as problem:  # any failure to answer is "not healthy", named by type only
            log.warning("health check: the database did not answer (%s)", type(problem).__name__)
            return web.json_response({"ok": False, "database": "unreachable"}, status=HTTPStatus.SERVICE_UNAVAILABLE)
        return web.json_response({"ok": True, "database": "ok"})

    async def forget_expired_forever(self) -> None:
        while True:
            try:
                forgotten = await self.seen.forget_expired()
                if forgotten:
                    log.info("forgot %d update id(s) Telegram can no longer send", forgotten)
            except Exception as problem:  # a passing database problem: the next round tries again
                log.warning("forgetting old update ids failed: %s", type(problem).__name__)
            await asyncio.sleep(FORGET_EVERY)


def _skip_resume_beside_live_replicas(application: Application, services: Services) -> None:  # type: ignore[type-arg]
    if services.instance is None or not services.instance.live_peers or application.job_queue is None:
        return
    for job in application.job_queue.get_jobs_by_name(RESUME_JOB):
        job.schedule_removal()


async def _say_if_webhook_elsewhere(application: Application, url: str) -> None:  # type: ignore[type-arg]
    try:
        info = await application.bot.get_webhook_info()
    except TelegramError as problem:
        log.warning("could not read the webhook Telegram has for this bot: %s", type(problem).__name__)
        return
    if info.url != url:
        log.warning(
            "Telegram's webhook for this bot is %s, not TALLYBOT_WEBHOOK_URL: run `tallybot set-webhook` once",
            "not set" if not info.url else "another URL",
        )


async def _wait_for_stop(application: Application, stop: asyncio.Event) -> None:  # type: ignore[type-arg]
    """Until SIGTERM/SIGINT, or the bot stopped itself (its lease was taken over: bot/lifecycle.py stop_with)."""
    while not stop.is_set() and application.bot_data.get(FATAL_KEY) is None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.5)


async def serve_webhook(settings: Settings, stop: asyncio.Event | None = None) -> str | None:
    """Run one replica until `stop` (or SIGTERM/SIGINT when not given); the reason it stopped by itself, if any."""
    if settings.webhook_url is None:
        raise ValueError("serve_webhook needs settings.webhook_url")
    secret = settings.require_webhook_secret()
    # Every request carries it (X-Telegram-Bot-Api-Secret-Token): the one thing that tells Telegram from a forger.
    registry.pin(secret)
    application = build_application(settings, updater=None)
    loop = asyncio.get_running_loop()
    if stop is None:
        stop = asyncio.Event()
        for number in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(number, stop.set)
    await application.initialize()
    runner: web.AppRunner | None = None
    forgetting: asyncio.Task[None] | None = None
    try:
        if application.post_init is not None:
            await application.post_init(application)
        services: Services = application.bot_data[SERVICES_KEY]
        _skip_resume_beside_live_replicas(application, services)
        await _say_if_webhook_elsewhere(application, settings.webhook_url)
        await application.start()
        receiver = WebhookReceiver(application, services, secret, webhook_path(settings.webhook_url))
        runner = web.AppRunner(receiver.build_app(), access_log=None, shutdown_timeout=ANSWER_WITHIN)
        await runner.setup()
        await web.TCPSite(runner, settings.webhook_listen_host, settings.webhook_listen_port).start()
        forgetting = loop.create_task(receiver.forget_expired_forever(), name="forget-update-ids")
        log.info(
            "serving the webhook on %s:%d (path %s, health %s)",
            settings.webhook_listen_host,
            settings.webhook_listen_port,
            receiver.path,
            HEALTH_PATH,
        )
        await _wait_for_stop(application, stop)
    finally:
        if forgetting is not None:
            forgetting.cancel()
        if runner is not None:
            await runner.cleanup()  # no new requests; those in flight finish (up to ANSWER_WITHIN)
        found = application.bot_data.get(SERVICES_KEY)
        if isinstance(found, Services):  # while the bot can still say so in their progress messages
            await found.background.cancel_all()
        if application.running:
            await application.stop()
        await application.shutdown()
        if application.post_shutdown is not None:
            await application.post_shutdown(application)
    fatal = application.bot_data.get(FATAL_KEY)
    return fatal if isinstance(fatal, str) else None
