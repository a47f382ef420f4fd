"""The sync engine: `SyncService.run(telegram_user_id, integration_id)` brings an integration's history up to date
and returns a `SyncResult`; progress events let a handler show it live. No Telegram in here."""

from bot.sync.progress import ProgressCallback
from bot.sync.results import (
    EndpointProgress,
    EndpointResult,
    EndpointStatus,
    ProgressEvent,
    SyncAlreadyRunning,
    SyncError,
    SyncGap,
    SyncLeaseLost,
    SyncResult,
    SyncStatus,
)
from bot.sync.retry import AUTH_CODES, RetryPolicy
from bot.sync.service import DEFAULT_LEASE_TTL, SyncService

__all__ = [
    "AUTH_CODES",
    "DEFAULT_LEASE_TTL",
    "EndpointProgress",
    "EndpointResult",
    "EndpointStatus",
    "ProgressCallback",
    "ProgressEvent",
    "RetryPolicy",
    "SyncAlreadyRunning",
    "SyncError",
    "SyncGap",
    "SyncLeaseLost",
    "SyncResult",
    "SyncService",
    "SyncStatus",
]
