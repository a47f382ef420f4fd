"""A sync job's arguments and what the queue says of an account's job (no procrastinate in here)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

from bot.sync import ProgressEvent


@dataclass(frozen=True)
class SyncOrder:
    """One account's sync, as /sync asked for it: whose, which, the message that shows its progress, and the callback
    data of the Status button under its summary (the bot's button format is the handlers' to write)."""

    telegram_user_id: int
    integration_id: int
    account_name: str
    chat_id: int
    message_id: int
    locale: str
    status_button: str

    def as_job_args(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ScanOrder:
    """One account's quote scan: whose, which, the chat its messages go to, in which language, which quotes."""

    telegram_user_id: int
    integration_id: int
    account_name: str
    chat_id: int
    locale: str
    quotes: list[str]

    def as_job_args(self) -> dict[str, Any]:
        return asdict(self)


class QueuedSync(StrEnum):
    """Where an account's sync job stands."""

    WAITING = "waiting"  # deferred, not started yet
    RUNNING = "running"  # a worker, or the bot's own process, runs it


@dataclass(frozen=True)
class JobInQueue:
    """An account's sync already waiting or running, and what the queue knows to show of it: the progress message a
    worker's job edits (to point at), or the latest progress of a sync this process runs (to show in the answer)."""

    state: QueuedSync
    chat_id: int | None
    message_id: int | None
    progress: ProgressEvent | None = None
