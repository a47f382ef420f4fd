"""One bot instance per token and database, and no master-key rotation while a bot runs.

Two `tallybot run` on one token take turns on Telegram's getUpdates (each sees 409 Conflict half the time) and
split one user's messages between them: a secret typed at the key step reached the instance that was not waiting
for it and was stored as an API key (issue 12, findings 1 and 7). A rotation while a bot runs leaves the bot with
the old key ring.

Why a lease row in the database (`instance_leases`), not a PostgreSQL advisory lock plus a file lock: the database
is what the instances share, whichever it is and on however many machines; one mechanism serves SQLite and
PostgreSQL alike, and the row says who holds it (host, pid, since) for the refusal to name. Its cost is a heartbeat:
the holder renews `expires_at` every third of INSTANCE_TTL. A holder that shares this process's machine and PID
namespace (bot/process_identity.py: boot id, namespace, pid, start time) is known dead, and its lease taken over at
once, when its pid is gone or now belongs to a process started at another time; any other holder (another machine,
another container with the same hostname and pid, an id made before identities) only when its lease lapsed. A
host name proves nothing: two containers with one hostname, each running the bot as PID 1, would each take the
other's lease. Otherwise the start is refused, naming the holder.

Webhook replicas (`tallybot run --webhook`, docs/DEPLOY.md) each hold a lease of their own, "webhook:<bot id>:<id>":
replicas behind one URL are safe side by side (Telegram hands each update to one request, and everything a handler
needs lives in the database), so they never refuse each other. Long polling and a webhook on one bot are not: the
poller's start deletes the webhook (getUpdates is refused while one is set), so a polling instance and a webhook
replica refuse each other, and a rotation refuses all of them. A replica starting removes the leases of replicas
known dead, like any holder's, and frees what they left.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from bot.process_identity import (
    Liveness,
    ProcessIdentity,
    identity_of,
    liveness,
    new_holder_id,
    this_host,
    this_process,
)
from db.engine import Database
from db.models import InstanceLease
from db.repositories.instances import InstanceRepository
from db.types import utcnow

log = logging.getLogger(__name__)

INSTANCE_TTL = timedelta(seconds=30)


class LeaseKind(StrEnum):
    """The kinds of lease, the first part of a lease's name: codes, never shown to anyone."""

    BOT = "bot"  # "bot:<bot id>": the one long-polling instance of a bot
    WEBHOOK = "webhook"  # "webhook:<bot id>:<replica>": one of a bot's webhook replicas
    ROTATION = "rotation"  # the whole name: a master-key rotation, alone on the database


ROTATION = LeaseKind.ROTATION


def bot_lease_name(bot_id: int) -> str:
    return f"{LeaseKind.BOT}:{bot_id}"


def webhook_lease_prefix(bot_id: int) -> str:
    return f"{LeaseKind.WEBHOOK}:{bot_id}:"


def is_webhook_lease(name: str) -> bool:
    return name.split(":", 1)[0] == LeaseKind.WEBHOOK


@dataclass(frozen=True, slots=True)
class HolderInfo:
    name: str
    holder: str
    host: str
    pid: int
    started_at: datetime
    expires_at: datetime

    @property
    def process(self) -> ProcessIdentity | None:
        return identity_of(self.holder)

    def describe(self) -> str:
        return f"host {self.host}, pid {self.pid}, since {self.started_at:%Y-%m-%d %H:%M:%S} UTC"

    @property
    def is_rotation(self) -> bool:
        return self.name == ROTATION

    @property
    def is_webhook_replica(self) -> bool:
        return is_webhook_lease(self.name)


class InstanceBusy(Exception):
    """Another live holder has the lease this process needs."""

    def __init__(self, holder: HolderInfo, *, wanted: str = "") -> None:
        self.holder = holder
        self.wanted = wanted  # the lease refused: says whether this process meant to poll or serve a webhook
        super().__init__(holder.describe())


def _info(row: InstanceLease) -> HolderInfo:
    return HolderInfo(row.name, row.holder, row.host, row.pid, row.started_at, row.expires_at)


def provably_dead(row: HolderInfo, *, now: datetime, me: ProcessIdentity) -> bool:
    """Where this process shares the holder's process table, the table decides: a live holder may only be stalled
    (a long SQLite write delays its heartbeat) and keeps its lease. Elsewhere only the lapsed lease can tell.
    A lease this very process holds is an earlier run in it that never released (an embedded bot restarted)."""
    holder = row.process
    if holder is not None:
        if holder == me:
            return True
        seen = liveness(holder, me)
        if seen is not Liveness.UNKNOWN:
            return seen is Liveness.DEAD
    return row.expires_at < now


class InstanceLock:
    """The lease `name`, held with a heartbeat until released. `conflicts(other_name)` says which other leases
    must not be held at the same time (a bot: its own name and the rotation; a rotation: every lease)."""

    def __init__(
        self,
        database: Database,
        name: str,
        *,
        conflicts: Callable[[str], bool],
        peers: Callable[[str], bool] = lambda _other: False,
        ttl: timedelta = INSTANCE_TTL,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.database = database
        self.name = name
        self.conflicts = conflicts
        self.peers = peers
        # Live peers (other webhook replicas of this bot) seen when the lease was taken.
        self.live_peers = 0
        self.ttl = ttl
        self.clock = clock
        self.process = this_process()
        self.host = this_host()
        self.holder = new_holder_id(self.process, self.host)
        self.pid = self.process.pid
        self._on_lost: Callable[[], None] | None = None
        self._heartbeat: asyncio.Task[None] | None = None

    @classmethod
    def for_bot(cls, database: Database, bot_id: int, **options: object) -> InstanceLock:
        """The one long-polling instance of the bot: refused beside another, a webhook replica or a rotation."""
        name = bot_lease_name(bot_id)
        replicas = webhook_lease_prefix(bot_id)

        def conflicts(other: str) -> bool:
            return other in (name, ROTATION) or other.startswith(replicas)

        return cls(database, name, conflicts=conflicts, **options)  # type: ignore[arg-type]

    @classmethod
    def for_webhook_replica(cls, database: Database, bot_id: int, **options: object) -> InstanceLock:
        """One of any number of webhook replicas of the bot: refused only beside a poller or a rotation."""
        replicas = webhook_lease_prefix(bot_id)
        lock = cls(
            database,
            replicas,
            conflicts=lambda other: other in (bot_lease_name(bot_id), ROTATION),
            peers=lambda other: other.startswith(replicas),
            **options,  # type: ignore[arg-type]
        )
        # Unique per replica (the holder id is too long for the name column): 8 + 20 + 32 characters at most.
        lock.name = replicas + uuid.uuid4().hex
        return lock

    @classmethod
    def for_rotation(cls, database: Database, **options: object) -> InstanceLock:
        return cls(database, ROTATION, conflicts=lambda _other: True, **options)  # type: ignore[arg-type]

    async def acquire(self) -> list[HolderInfo]:
        """Take the lease; the dead holders it replaced (their leftovers are the caller's to clean up). Raises
        InstanceBusy naming a live holder of a conflicting lease."""
        now = self.clock()
        dead: list[HolderInfo] = []
        self.live_peers = 0
        async with self.database.writer() as session:
            repo = InstanceRepository(session)
            await repo.lock_table()
            for row in await repo.all():
                info = _info(row)
                if self.peers(row.name):
                    if not provably_dead(info, now=now, me=self.process):
                        self.live_peers += 1
                        continue
                elif not self.conflicts(row.name):
                    continue
                elif not provably_dead(info, now=now, me=self.process):
                    raise InstanceBusy(info, wanted=self.name)
                dead.append(info)
                await repo.remove(row.name, row.holder)
            await repo.add(
                InstanceLease(
                    name=self.name,
                    holder=self.holder,
                    host=self.host[:255],
                    pid=self.pid,
                    started_at=now,
                    expires_at=now + self.ttl,
                )
            )
        return dead

    def keep_alive(self, on_lost: Callable[[], None] | None = None) -> None:
        """Renew the lease in the background until release(); `on_lost` is called if another holder took it."""
        self._on_lost = on_lost
        self._heartbeat = asyncio.get_running_loop().create_task(self._beat(), name=f"instance-lease:{self.name}")

    async def _beat(self) -> None:
        interval = max(self.ttl.total_seconds() / 3, 0.05)
        while True:
            await asyncio.sleep(interval)
            try:
                async with self.database.writer() as session:
                    renewed = await InstanceRepository(session).renew(
                        self.name, self.holder, expires_at=self.clock() + self.ttl
                    )
            except Exception as error:  # a passing database problem: the next beat tries again
                log.warning("renewing the instance lease failed: %s", type(error).__name__)
                continue
            if not renewed:
                log.error("the instance lease %s was taken over by another process", self.name)
                if self._on_lost is not None:
                    self._on_lost()
                return

    async def release(self) -> None:
        if self._heartbeat is not None:
            self._heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._heartbeat
            self._heartbeat = None
        try:
            async with self.database.writer() as session:
                await InstanceRepository(session).remove(self.name, self.holder)
        except Exception as error:  # it lapses by itself after the TTL
            log.warning("releasing the instance lease failed: %s", type(error).__name__)
