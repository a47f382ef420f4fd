"""Progress messages that are always closed with the outcome (issue 12, findings 6 and 11).

A sync or an upload keeps one message up to date (handlers/live.py). Whatever ends the work, the message says
so: finished (the caller closes it), cancelled at shutdown (SIGTERM: the work is crash-safe, so it is cancelled, not
waited for), or stopped by an unexpected error (a full disk: with an apology). The message is also recorded in the
database while open: if the process dies without a word (SIGKILL), the next instance closes it at start-up
(bot/open_messages.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable

from telegram.ext import ContextTypes

from bot.context import services
from bot.open_messages import SYNC, UPLOAD
from handlers.live import LiveMessage
from i18n import msgid, t

log = logging.getLogger(__name__)

# What the closed message says, by kind of work (catalogue ids).
STOPPED: dict[str, str] = {SYNC: msgid("closing.sync.stopped"), UPLOAD: msgid("closing.upload.stopped")}
FAILED: dict[str, str] = {SYNC: msgid("closing.sync.failed"), UPLOAD: msgid("closing.upload.failed")}


@contextlib.asynccontextmanager
async def always_closed(
    context: ContextTypes.DEFAULT_TYPE,
    live: LiveMessage,
    kind: str,
    locale: str,
    shown: Callable[[], str] | None = None,
) -> AsyncIterator[None]:
    """Run the block that ends by closing `live`; if it is cancelled or fails instead, close `live` with what was
    `shown` last and the reason, in the user's `locale`. The running task is cancelled at shutdown like a
    background job."""
    svc = services(context)
    task = asyncio.current_task()
    adopted = task is not None and not svc.background.holds(task)
    if adopted and task is not None:
        svc.background.adopt(task)
    recorded = await _record(context, live, kind)
    try:
        yield
    except asyncio.CancelledError:
        await _close(live, shown, t(STOPPED[kind], locale=locale))
        raise
    except Exception:
        await _close(live, shown, t(FAILED[kind], locale=locale))
        raise
    finally:
        if adopted and task is not None:
            svc.background.forget(task)
        if recorded:
            with contextlib.suppress(Exception):  # the row only matters after a crash; a restart closes it anyway
                await svc.open_messages.closed(live.chat_id, live.message_id)


async def _record(context: ContextTypes.DEFAULT_TYPE, live: LiveMessage, kind: str) -> bool:
    try:
        await services(context).open_messages.opened(live.chat_id, live.message_id, kind)
    except Exception as error:  # the work matters more than its crash record
        log.warning("could not record an open progress message: %s", type(error).__name__)
        return False
    return True


async def _close(live: LiveMessage, shown: Callable[[], str] | None, reason: str) -> None:
    text = f"{reason}\n\n{shown()}" if shown is not None else reason
    try:
        await live.close(text)
    except Exception as error:  # Telegram unreachable: the next start closes it from the database row
        log.warning("could not close a progress message: %s", type(error).__name__)
