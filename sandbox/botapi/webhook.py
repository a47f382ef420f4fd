"""Webhook delivery: setWebhook, getWebhookInfo and deleteWebhook, and the POSTs that carry each update.

What follows Telegram's documentation (setWebhook, getWebhookInfo, WebhookInfo, Getting updates):
- each update is POSTed as a JSON-serialized Update to the URL, with the header "X-Telegram-Bot-Api-Secret-Token"
  carrying `secret_token` when one was set;
- a request answered with a status other than 2XY is repeated, and given up "after a reasonable number of attempts"
  (the docs give no number: MAX_ATTEMPTS here, with a doubling pause from FIRST_RETRY_PAUSE);
- at most `max_connections` requests at once (1-100, default 40);
- `allowed_updates` filters as for getUpdates, `drop_pending_updates` drops what waits;
- getUpdates is refused while a webhook is set, with Telegram's 409 text;
- getWebhookInfo reports the url (empty when none), pending_update_count, last_error_date and last_error_message,
  max_connections and allowed_updates.

What is how Telegram is known to deliver, not written in the docs: one request in flight per chat (a chat's next
update waits until the previous one is answered), chats delivered concurrently. What differs on purpose: the URL may
be plain http on 127.0.0.1 (the sandbox has no TLS); Telegram requires https on ports 443, 80, 88 or 8443.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import aiohttp

from sandbox.botapi.errors import ApiError
from sandbox.botapi.types import JSONDict
from sandbox.botapi.updates import PendingUpdate, UpdateQueue

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105  # the header's name
DEFAULT_MAX_CONNECTIONS = 40
MAX_ATTEMPTS = 8
FIRST_RETRY_PAUSE = 0.05
REQUEST_TIMEOUT = 60.0
WEBHOOK_ACTIVE = (
    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"
)


def chat_of(update: PendingUpdate) -> object:
    """The chat an update belongs to (its delivery waits for the chat's previous one); unique when it has none."""
    payload = update.payload
    chat = payload.get("chat")
    if chat is None and isinstance(payload.get("message"), dict):
        chat = payload["message"].get("chat")
    if isinstance(chat, dict) and "id" in chat:
        return ("chat", chat["id"])
    sender = payload.get("from")
    if isinstance(sender, dict) and "id" in sender:
        return ("chat", sender["id"])
    return ("update", update.update_id)


@dataclass
class WebhookSetting:
    url: str
    secret_token: str | None
    max_connections: int
    allowed_updates: list[str] | None


@dataclass
class Attempt:
    failures: int = 0
    not_before: float = 0.0


@dataclass
class WebhookDelivery:
    """Delivers the queue's updates to the webhook while one is set."""

    updates: UpdateQueue
    delivered_at: dict[int, int]
    calls_count: Callable[[], int]  # Bot API calls so far: where each update reached the bot (calls_after_update)
    setting: WebhookSetting | None = None
    last_error_date: int | None = None
    last_error_message: str | None = None
    attempts: dict[int, Attempt] = field(default_factory=dict)
    # Every delivery made, in order: (update_id, HTTP status or None for a connection failure).
    deliveries: list[tuple[int, int | None]] = field(default_factory=list)
    _in_flight: dict[int, object] = field(default_factory=dict)
    _task: asyncio.Task[None] | None = None
    _session: aiohttp.ClientSession | None = None

    # -- the methods ---------------------------------------------------------------------------------------------

    def set(self, setting: WebhookSetting, *, drop_pending: bool) -> None:
        if drop_pending:
            self.updates.drop_pending()
        self.setting = setting
        self.updates.set_allowed(setting.allowed_updates)
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._deliver_forever(), name="webhook-delivery")
        self.updates.wake()

    async def delete(self, *, drop_pending: bool) -> None:
        if drop_pending:
            self.updates.drop_pending()
        self.setting = None
        await self.close()

    def info(self) -> JSONDict:
        setting = self.setting
        body: JSONDict = {
            "url": setting.url if setting else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self.updates.pending),
        }
        if self.last_error_date is not None:
            body["last_error_date"] = self.last_error_date
            body["last_error_message"] = self.last_error_message
        if setting is not None:
            body["max_connections"] = setting.max_connections
            if setting.allowed_updates is not None:
                body["allowed_updates"] = setting.allowed_updates
        return body

    def refuse_polling(self) -> None:
        if self.setting is not None:
            raise ApiError(409, WEBHOOK_ACTIVE)

    async def close(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            # The loop also ends by itself once it is no longer the current task: a cancellation that lands just as
            # its wait ends can be lost in asyncio.wait_for (Python 3.11).
            self.updates.wake()
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    # -- delivery ------------------------------------------------------------------------------------------------

    def _next_batch(self, room: int) -> list[PendingUpdate]:
        now = time.monotonic()
        busy = set(self._in_flight.values())
        chosen: list[PendingUpdate] = []
        for update in self.updates.deliverable():
            if len(chosen) >= room:
                break
            chat = chat_of(update)
            if update.update_id in self._in_flight or chat in busy:
                continue
            busy.add(chat)  # a chat's later updates wait behind this one, delivered or retrying
            attempt = self.attempts.get(update.update_id)
            if attempt is not None and attempt.not_before > now:
                continue
            chosen.append(update)
        return chosen

    async def _deliver_forever(self) -> None:
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT))
        running: set[asyncio.Task[None]] = set()
        while self.setting is not None and self._task is asyncio.current_task():
            setting = self.setting
            for update in self._next_batch(setting.max_connections - len(self._in_flight)):
                self._in_flight[update.update_id] = chat_of(update)
                task = asyncio.get_running_loop().create_task(self._deliver(setting, update))
                running.add(task)
                task.add_done_callback(running.discard)
            await self.updates.wait_for_change(FIRST_RETRY_PAUSE)

    async def _deliver(self, setting: WebhookSetting, update: PendingUpdate) -> None:
        headers = {SECRET_HEADER: setting.secret_token} if setting.secret_token else {}
        self.delivered_at.setdefault(update.update_id, self.calls_count())
        status: int | None = None
        error = ""
        try:
            assert self._session is not None  # noqa: S101  # opened before the first delivery
            async with self._session.post(setting.url, json=update.to_api(), headers=headers) as response:
                status = response.status
                await response.read()
            error = f"Wrong response from the webhook: {status} {response.reason}"
        except (aiohttp.ClientError, TimeoutError) as problem:
            error = f"Connection failed: {type(problem).__name__}"
        finally:
            self._in_flight.pop(update.update_id, None)
        self.deliveries.append((update.update_id, status))
        if status is not None and 200 <= status < 300:
            self.attempts.pop(update.update_id, None)
            self.updates.confirm_one(update.update_id)
            return
        self.last_error_date, self.last_error_message = int(time.time()), error
        attempt = self.attempts.setdefault(update.update_id, Attempt())
        attempt.failures += 1
        if attempt.failures >= MAX_ATTEMPTS:  # given up, as Telegram does after "a reasonable number of attempts"
            self.attempts.pop(update.update_id, None)
            self.updates.confirm_one(update.update_id)
            return
        attempt.not_before = time.monotonic() + FIRST_RETRY_PAUSE * 2 ** (attempt.failures - 1)
        self.updates.wake()
