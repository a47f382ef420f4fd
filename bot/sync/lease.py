"""One sync per integration across processes: a lease row with an expiry, renewed while the sync runs.

The lease is taken in one short transaction (a new row, or a row whose holder let it expire — a crashed or hung
process), renewed in the background every third of its lifetime, renewed again by every page's commit — which
also checks that this holder still has it, so a sync that stalled past the expiry and was taken over stops
writing at once — and deleted when the sync ends. Expiry times come from this process's clock; machines that
share a database need clocks within a small fraction of the lease's lifetime.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.process_identity import new_holder_id
from bot.sync.atomic import uninterrupted
from bot.sync.results import SyncLeaseLost
from db.engine import Database
from db.repositories.sync import LeaseGrant, SyncRepository

log = logging.getLogger(__name__)


def new_holder() -> str:
    """An id naming this process (bot/process_identity.py) and this sync, for the lease row."""
    return new_holder_id()


class Lease:
    """The lease of one sync on one integration."""

    def __init__(
        self,
        database: Database,
        integration_id: int,
        *,
        ttl: timedelta,
        clock: Callable[[], datetime],
        holder: str | None = None,
    ) -> None:
        self.database = database
        self.integration_id = integration_id
        self.ttl = ttl
        self.clock = clock
        self.holder = holder or new_holder()
        self.lost = False

    async def acquire(self) -> LeaseGrant | None:
        """Take the lease; None when another holder's lease is still valid."""
        now = self.clock()
        async with self.database.writer() as session:
            return await SyncRepository(session).take_lease(
                self.integration_id, self.holder, now=now, expires_at=now + self.ttl
            )

    async def current_expiry(self) -> datetime | None:
        async with self.database.reader() as session:
            lease = await SyncRepository(session).lease(self.integration_id)
            return lease.expires_at if lease is not None else None

    async def fence(self, session: AsyncSession) -> None:
        """Inside a write transaction: renew the lease, or raise SyncLeaseLost (rolling the transaction back)
        when another holder has it."""
        renewed = await SyncRepository(session).renew_lease(
            self.integration_id, self.holder, expires_at=self.clock() + self.ttl
        )
        if not renewed:
            self.lost = True
            raise SyncLeaseLost(self.integration_id)

    async def renew(self) -> None:
        await uninterrupted(self._renew())

    async def _renew(self) -> None:
        async with self.database.writer() as session:
            await self.fence(session)

    async def release(self) -> None:
        await uninterrupted(self._release())

    async def _release(self) -> None:
        async with self.database.writer() as session:
            await SyncRepository(session).release_lease(self.integration_id, self.holder)

    @contextlib.asynccontextmanager
    async def kept_alive(self) -> AsyncIterator[None]:
        """Renew the lease in the background while the block runs."""
        task = asyncio.create_task(self._renew_forever(), name=f"sync-lease-{self.integration_id}")
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _renew_forever(self) -> None:
        interval = max(self.ttl.total_seconds() / 3, 0.05)
        while not self.lost:
            await asyncio.sleep(interval)
            try:
                await self.renew()
            except SyncLeaseLost:
                log.warning("sync of integration %d lost its lease to another holder", self.integration_id)
                return
            except Exception as error:  # a busy database: the next renewal or page commit tries again
                log.warning(
                    "renewing the sync lease of integration %d failed: %s", self.integration_id, type(error).__name__
                )
