"""One message kept up to date while work advances: edited at most once a second, never with the same text."""

from __future__ import annotations

import asyncio
import logging
import time

from telegram import Bot, InlineKeyboardMarkup
from telegram.error import RetryAfter, TelegramError

from handlers import outbound

log = logging.getLogger(__name__)


FINAL_ATTEMPTS = 4
MAX_FINAL_WAIT = 30.0


class LiveMessage:
    def __init__(self, bot: Bot, chat_id: int, message_id: int, text: str, *, min_interval: float = 1.0) -> None:
        self.bot = bot
        self.chat_id = chat_id
        self.message_id = message_id
        self.min_interval = min_interval
        self._shown = text
        self._wanted = text
        self._last_edit = time.monotonic()
        self._dirty = asyncio.Event()
        self._closed = False
        self._task = asyncio.get_running_loop().create_task(self._run())

    def show(self, text: str) -> None:
        """Ask for `text` to be shown; cheap, callable from any progress callback."""
        self._wanted = text
        if text != self._shown:
            self._dirty.set()

    async def _run(self) -> None:
        while not self._closed:
            await self._dirty.wait()
            self._dirty.clear()
            wait = self.min_interval - (time.monotonic() - self._last_edit)
            if wait > 0:
                await asyncio.sleep(wait)
            await self._edit(self._wanted, None)

    async def _edit(self, text: str, keyboard: InlineKeyboardMarkup | None) -> None:
        if text == self._shown and keyboard is None:
            return
        try:
            # A progress message stays one message: edited each second, a tail over Telegram's limit would come
            # as a new message each time. Cut at a line break instead; the summary after it is sent in full.
            await outbound.edit(self.bot, self.chat_id, self.message_id, outbound.split_text(text)[0], keyboard)
            self._shown = text  # shown now, or already ("message is not modified")
        except RetryAfter as flood:
            # Telegram asked us to slow down: the next edit carries the newest state anyway.
            self._last_edit = time.monotonic() + float(
                flood.retry_after if isinstance(flood.retry_after, int | float) else flood.retry_after.total_seconds()
            )
            return
        except TelegramError as problem:
            log.warning("could not update a progress message: %s", type(problem).__name__)
        self._last_edit = time.monotonic()

    async def close(self, text: str, keyboard: InlineKeyboardMarkup | None = None) -> None:
        """The final state, shown once the pace allows. It must not be lost to a flood wait or a passing server
        error (the message would show a sync as still running), so it is tried a few times."""
        self._closed = True
        self._dirty.set()
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        for _ in range(FINAL_ATTEMPTS):
            wait = self.min_interval - (time.monotonic() - self._last_edit)
            if wait > 0:
                await asyncio.sleep(min(wait, MAX_FINAL_WAIT))
            await self._edit(text, keyboard)
            if self._shown == text:
                return
