"""Sync jobs: what `/sync` asks for, handed to a queue that `tallybot worker` processes run (PostgreSQL, procrastinate).

With TALLYBOT_SYNC_WORKERS off — always on the embedded SQLite database — the bot keeps running syncs itself, as
asyncio tasks (handlers/sync.py); both ways run `SyncService.run` under the same lease, so a sync of one account
never runs twice at once whoever starts it."""

from bot.jobs.order import QueuedSync, SyncOrder

__all__ = ["QueuedSync", "SyncOrder"]
