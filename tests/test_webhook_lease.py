"""Webhook replicas and the instance lease (bot/instance.py): replicas side by side, never beside a poller, and a
dead replica's lease cleared by the next one to start."""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import timedelta

import pytest

from bot.instance import InstanceBusy, InstanceLock
from bot.lifecycle import refusal
from db.engine import Database
from db.models import InstanceLease
from db.repositories.instances import InstanceRepository
from db.types import utcnow
from tests.test_instance_lease import ME, gone_pid, other_namespace

BOT = 42


async def lease_names(database: Database) -> list[str]:
    async with database.reader() as session:
        return [row.name for row in await InstanceRepository(session).all()]


async def held_elsewhere(database: Database, name: str) -> None:
    """A live holder in another container (its heartbeat fresh): only its lapse could free it. A lease held by this
    very process would count as an earlier run of it, so the other side of each story is written this way."""
    twin = other_namespace(os.getpid())
    now = utcnow()
    async with database.writer() as session:
        await InstanceRepository(session).add(
            InstanceLease(
                name=name,
                holder=f"{twin.token()}:elsewhere:0123456789abcdef",
                host="elsewhere",
                pid=os.getpid(),
                started_at=now,
                expires_at=now + timedelta(seconds=30),
            )
        )


async def test_replicas_run_side_by_side_and_a_poller_is_refused_beside_them(database: Database) -> None:
    await held_elsewhere(database, f"webhook:{BOT}:0123456789abcdef0123456789abcdef")
    replica = InstanceLock.for_webhook_replica(database, BOT)
    await replica.acquire()
    assert replica.live_peers == 1  # so it does not resume everybody's flows: the first one did
    assert len(await lease_names(database)) == 2

    with pytest.raises(InstanceBusy) as refused:
        await InstanceLock.for_bot(database, BOT).acquire()
    assert "this bot runs in webhook mode on this database" in refusal(refused.value)
    # Another bot's poller on the same database is not concerned.
    other = InstanceLock.for_bot(database, BOT + 1)
    await other.acquire()
    await other.release()
    await replica.release()


async def test_a_replica_is_refused_beside_a_poller(database: Database) -> None:
    await held_elsewhere(database, f"bot:{BOT}")
    with pytest.raises(InstanceBusy) as refused:
        await InstanceLock.for_webhook_replica(database, BOT).acquire()
    assert "this bot runs with long polling on this database" in refusal(refused.value)


async def test_a_dead_replicas_lease_is_removed_by_the_next_replica(database: Database) -> None:
    crashed = replace(ME, pid=gone_pid())
    now = utcnow()
    async with database.writer() as session:
        await InstanceRepository(session).add(
            InstanceLease(
                name=f"webhook:{BOT}:deadbeef",
                holder=f"{crashed.token()}:host:0123456789abcdef",
                host="host",
                pid=crashed.pid,
                started_at=now,
                expires_at=now + timedelta(seconds=30),
            )
        )
    replica = InstanceLock.for_webhook_replica(database, BOT)
    replaced = await replica.acquire()
    assert [info.pid for info in replaced] == [crashed.pid]
    assert replica.live_peers == 0
    assert await lease_names(database) == [replica.name]
    await replica.release()
