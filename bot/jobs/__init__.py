"""Sync jobs: what `/sync` and automatic sync ask for, handed to a queue that `tallybot worker` processes run
(PostgreSQL, procrastinate).

With TALLYBOT_SYNC_WORKERS off — always on the embedded SQLite database — the bot runs syncs itself, as asyncio tasks:
a /sync press through its in-process queue (in_process.py `InProcessJobs`, behind the same interface as
procrastinate's, interface.py `SyncJobs`), automatic syncs one after another (auto.py `InProcessAutoSyncs`). Both
ways use the same pieces a worker runs: one account's sync task with its balance check (step.py), the quote scan
after the summary (quote_scan.py; a follow-up job on workers, scan_tasks.py), automatic sync's task function, due pass
and notices (auto.py); both run `SyncService.run` under the same lease, so a sync of one account never runs twice at
once whoever starts it."""

from bot.jobs.order import QueuedSync, SyncOrder

__all__ = ["QueuedSync", "SyncOrder"]
