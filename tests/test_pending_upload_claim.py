"""Claiming a pending upload (bot/pending_uploads.py): one claim wins, only the sender's, only while fresh; given
back, it keeps its age. On SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from bot.pending_uploads import PENDING_TTL, PendingUploads
from db.engine import Database

ADA, BOB = 1001, 1002
SENT_AT = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = SENT_AT

    def __call__(self) -> datetime:
        return self.now


async def test_of_five_claims_at_once_one_gets_the_upload(database: Database) -> None:
    uploads = PendingUploads(database, clock=Clock())
    sent = await uploads.add(ADA, "file-1", "Binance-trades.csv")

    claims = await asyncio.gather(*(PendingUploads(database, clock=Clock()).claim(ADA, sent.token) for _ in range(5)))

    assert [c.name for c in claims if c is not None] == ["Binance-trades.csv"]
    assert await uploads.get(ADA, sent.token) is None


async def test_another_users_claim_or_a_stale_one_takes_nothing(database: Database) -> None:
    clock = Clock()
    uploads = PendingUploads(database, clock=clock)
    sent = await uploads.add(ADA, "file-1", "Binance-trades.csv")

    by_bob = await uploads.claim(BOB, sent.token)
    still_there = await uploads.get(ADA, sent.token)
    clock.now = SENT_AT + PENDING_TTL
    a_day_later = await uploads.claim(ADA, sent.token)

    assert by_bob is None and still_there is not None
    assert a_day_later is None, "a day old, the buttons are stale"


async def test_a_claim_given_back_keeps_its_age(database: Database) -> None:
    clock = Clock()
    uploads = PendingUploads(database, clock=clock)
    sent = await uploads.add(ADA, "file-1", "Binance-trades.csv")
    clock.now = SENT_AT + timedelta(hours=23)
    claimed = await uploads.claim(ADA, sent.token)
    assert claimed is not None

    await uploads.restore(ADA, claimed)
    back = await uploads.get(ADA, sent.token)
    clock.now = SENT_AT + PENDING_TTL
    expired = await uploads.get(ADA, sent.token)

    assert back is not None and (back.file_id, back.name, back.created_at) == ("file-1", "Binance-trades.csv", SENT_AT)
    assert expired is None, "given back an hour before its day ends, it ends with its day"
