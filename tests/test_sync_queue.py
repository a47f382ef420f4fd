"""The sync job queue on PostgreSQL (bot/jobs/queue.py), without workers: what waits for an account, and a /sync
press taking the place of an automatic sync that still waits (the user watches a /sync's progress; an automatic run
shows none)."""

from __future__ import annotations

from sqlalchemy import text

from bot.jobs.auto import AutoSyncOrder
from bot.jobs.order import JobInQueue, QueuedSync, SyncOrder
from bot.jobs.queue import QueuedJobs, SyncQueue
from bot.settings import Settings
from db.engine import Database
from db.migrate import apply_job_schema
from tests.postgres import fresh_database


async def test_a_sync_press_replaces_a_waiting_automatic_sync_and_one_job_at_most_waits_per_account() -> None:
    async with fresh_database() as url:
        await apply_job_schema(url)
        automatic = AutoSyncOrder(1001, 7, "Bybit-1", "en")
        pressed = SyncOrder(1001, 7, "Bybit-1", 1001, 55, "en", "st:show")
        async with SyncQueue(Settings(database_url=url)) as queue:
            auto_first = await queue.defer_auto(automatic)
            auto_again = await queue.defer_auto(automatic)
            press = await queue.defer(pressed)
            press_again = await queue.defer(pressed)
            auto_behind_press = await queue.defer_auto(automatic)
            other_account = await queue.defer_auto(AutoSyncOrder(1001, 8, "Bybit-2", "en"))
            waiting = await queue.in_queue([7, 8])
            spread = QueuedJobs(queue.app, spread_seconds=60)  # as the workers' due pass defers
            spread_deferred = await spread.defer_auto(AutoSyncOrder(1001, 9, "Bybit-3", "en"))
        database = Database(url)
        try:
            async with database.reader() as session:
                jobs = [
                    (str(row[0]), str(row[1]), str(row[2]))
                    for row in await session.execute(
                        text("SELECT task_name, lock, status::text FROM procrastinate_jobs ORDER BY id")
                    )
                ]
                waits = {
                    str(row[0]): row[1]
                    for row in await session.execute(
                        text(
                            "SELECT lock, extract(epoch FROM scheduled_at - now()) FROM procrastinate_jobs "
                            "WHERE status = 'todo'"
                        )
                    )
                }
        finally:
            await database.dispose()

    assert (auto_first, auto_again) == (True, False), "one automatic sync waits per account"
    assert (press, press_again) == (True, False), "the press took the automatic sync's place, once"
    assert auto_behind_press is False, "no automatic sync queued behind a waiting /sync"
    assert other_account is True
    assert jobs == [
        ("tallybot.auto_sync_account", "integration:7", "cancelled"),
        ("tallybot.sync_account", "integration:7", "todo"),
        ("tallybot.auto_sync_account", "integration:8", "todo"),
        ("tallybot.auto_sync_account", "integration:9", "todo"),
    ]
    assert spread_deferred is True
    # Deferred by the bot (no spread): due at once. By the due pass: at a random moment within the next minute.
    assert waits["integration:7"] is None and waits["integration:8"] is None
    assert 0 < float(waits["integration:9"]) <= 60
    # Only /sync jobs have a progress message to answer in reply to.
    assert waiting == {7: JobInQueue(QueuedSync.WAITING, 1001, 55)}
