"""The bot steps a futures story takes after connecting an account: /sync, /sync again with the emulator's request
log reset (what a re-sync asks), /status, and the stored rows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from bot.context import Services
from db.models import Transaction
from tests.assistant_story import Walker


@dataclass(frozen=True)
class TwoSyncs:
    summary: str  # the first /sync's summary
    again: str  # the second /sync's summary
    second: dict[str, int]  # requests per path of the second /sync
    status: str
    rows: list[Transaction]


async def sync_twice(ada: Walker, services: Services, emulator: Any, first_timeout: float = 120) -> TwoSyncs:
    summary = (await ada.reply_to(await ada.send("/sync"), "Sync finished", timeout=first_timeout)).text or ""
    emulator.requests.reset()
    again = (await ada.reply_to(await ada.send("/sync"), "Sync finished", timeout=60)).text or ""
    second = dict(emulator.requests.by_path)
    status = (await ada.reply_to(await ada.send("/status"), "Your accounts")).text or ""
    async with services.database.reader() as session:
        rows = list((await session.scalars(select(Transaction))).all())
    return TwoSyncs(summary, again, second, status, rows)
