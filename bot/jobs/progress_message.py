"""The progress message a worker keeps up to date itself, through the Bot API.

Edited at most once every `interval` seconds and only when the text changed; a flood wait (RetryAfter) pushes the
next edit past it. The last state is shown by `close`, which tries a few times: a message left at "Syncing…" would
say a finished sync still runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from telegram import Bot, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import BadRequest, RetryAfter, TelegramError

from bot.message_parts import split_text

log = logging.getLogger(__name__)

FINAL_ATTEMPTS = 4
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
MAX_FINAL_WAIT = 30.0


def _seconds(flood: RetryAfter) -> float:
    wait = flood.retry_after
    return float(wait) if isinstance(wait, int | float) else wait.total_seconds()


class ProgressMessage:
    def __init__(self, bot: Bot, chat_id: int, message_id: int, *, interval: float) -> None:
        self.bot = bot
        self.chat_id = chat_id
        self.message_id = message_id
        self.interval = interval
        self.edits = 0
        self._shown: str | None = None
        self._wanted: str | None = None
        self._next_edit = time.monotonic()
        self._changed = asyncio.Event()
        self._task = asyncio.get_running_loop().create_task(self._run())

    def show(self, text: str) -> None:
        """Ask for `text` to be shown; cheap, called from the sync's progress callback."""
        self._wanted = text
        if text != self._shown:
            self._changed.set()

    async def _run(self) -> None:
        while True:
            await self._changed.wait()
            await asyncio.sleep(max(0.0, self._next_edit - time.monotonic()))
            self._changed.clear()
            if self._wanted is not None:
                await self._edit(self._wanted)

    async def _edit(self, text: str) -> None:
        if text == self._shown:
            return
        try:
            # One message stays one message: a progress text over Telegram's limit shows its first part.
            await self.bot.edit_message_text(
                split_text(text)[0],
                self.chat_id,
                self.message_id,
                parse_mode=ParseMode.HTML,
                link_preview_options=NO_PREVIEW,
            )
            self.edits += 1
            self._shown = text
        except RetryAfter as flood:
            self._next_edit = time.monotonic() + _seconds(flood)
            return
        except BadRequest as problem:
            if "not modified" in str(problem).lower():
                self._shown = text
            else:
                log.warning("could not update a sync's progress message: %s", type(problem).__name__)
        except TelegramError as problem:
            log.warning("could not update a sync's progress message: %s", type(problem).__name__)
        self._next_edit = time.monotonic() + self.interval

    def stop(self) -> None:
        """Stop editing, leaving the message as it is (its job is handed to another worker)."""
        self._task.cancel()

    async def close(self, text: str) -> None:
        """Show the final `text` once the pace allows, and stop."""
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        for _ in range(FINAL_ATTEMPTS):
            await asyncio.sleep(min(MAX_FINAL_WAIT, max(0.0, self._next_edit - time.monotonic())))
            await self._edit(text)
            if self._shown == text:
                return
