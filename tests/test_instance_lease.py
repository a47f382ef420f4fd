"""When a holder of the instance lease is known dead (bot/instance.py, bot/process_identity.py): the rule, case by
case, written by hand, and the lease taken through InstanceLock as `tallybot run` takes it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.instance import HolderInfo, InstanceBusy, InstanceLock, provably_dead
from bot.lifecycle import release_leftovers
from bot.process_identity import ProcessIdentity, identity_of, process_prefix, start_time_of, this_host, this_process
from db.engine import Database
from db.models import InstanceLease, Integration, SyncLease, User
from db.repositories.instances import InstanceRepository
from db.types import utcnow

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
HOST = "bot-host-a"
ME = this_process()
FRESH = timedelta(seconds=25)


def gone_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def parent() -> ProcessIdentity:
    """A live process in this PID namespace (pytest's parent), with the start time /proc gives for it."""
    started = start_time_of(os.getppid())
    assert started is not None
    return replace(ME, pid=os.getppid(), start_time=started)


def holder(process: ProcessIdentity | str, expires_in: timedelta, host: str = HOST) -> HolderInfo:
    holder_id = process if isinstance(process, str) else f"{process.token()}:{host}:0123456789abcdef"
    pid = int(holder_id.split(":")[1]) if isinstance(process, str) else process.pid
    return HolderInfo("bot:1", holder_id, host, pid, NOW - timedelta(hours=1), NOW + expires_in)


def other_namespace(pid: int) -> ProcessIdentity:
    """Another container on this machine: same kernel, its own PID namespace (so `pid` means nothing here)."""
    assert ME.pid_namespace is not None
    return ProcessIdentity(ME.boot_id, ME.pid_namespace + 1, pid, 1)


def reused() -> ProcessIdentity:
    """The parent's pid, but recorded with another start time: the holder died and the pid went to it."""
    alive = parent()
    assert alive.start_time is not None
    return replace(alive, start_time=alive.start_time + 1)


CASES: dict[str, tuple[Callable[[], ProcessIdentity | str], timedelta, bool]] = {
    # name: (the holder, its lease expires in, known dead)
    "crashed in this namespace, lease fresh": (lambda: replace(ME, pid=gone_pid()), FRESH, True),
    "pid reused by a process started later": (reused, FRESH, True),
    "running": (parent, FRESH, False),
    "running, heartbeat stalled for 11 minutes": (parent, -timedelta(minutes=11), False),
    "a twin container: same hostname, pid 1 like us": (lambda: other_namespace(ME.pid), FRESH, False),
    "another namespace, a pid not alive here": (lambda: other_namespace(gone_pid()), FRESH, False),
    "another namespace, lease lapsed": (lambda: other_namespace(ME.pid), -timedelta(seconds=1), True),
    "another machine (boot id), fresh": (lambda: replace(ME, boot_id="another-boot"), FRESH, False),
    "another machine (boot id), lapsed": (lambda: replace(ME, boot_id="another-boot"), -timedelta(seconds=1), True),
    "no /proc there, fresh": (lambda: ProcessIdentity(None, None, 7, None), FRESH, False),
    "an id from before identities, fresh": (lambda: f"{HOST}:{gone_pid()}:0123456789abcdef", FRESH, False),
    "an id from before identities, lapsed": (lambda: f"{HOST}:1:0123456789abcdef", -timedelta(seconds=1), True),
    "this very process (an earlier run in it)": (lambda: ME, FRESH, True),
}


@pytest.mark.parametrize("case", list(CASES))
def test_when_a_holder_is_known_dead(case: str) -> None:
    make, expires_in, dead = CASES[case]
    assert provably_dead(holder(make(), expires_in), now=NOW, me=ME) is dead


def test_a_holder_id_keeps_the_whole_host_name_and_names_the_process() -> None:
    long_host = "h" * 40 + "-replica-1"
    twin_host = "h" * 40 + "-replica-2"  # the first 30 characters alike
    ours = f"{ME.token()}:{long_host}:0123456789abcdef"
    assert identity_of(ours) == ME
    assert process_prefix(ours) == f"{ME.token()}:{long_host}:"
    assert not f"{ME.token()}:{twin_host}:0123456789abcdef".startswith(process_prefix(ours))


async def test_a_twin_container_with_our_hostname_and_pid_keeps_its_lease(database: Database) -> None:
    """Two containers with one hostname, each running the bot as PID 1: the second start is refused while the
    first's heartbeat is fresh (it used to take the lease over at once, and they took turns for ever)."""
    twin = other_namespace(os.getpid())
    now = utcnow()
    async with database.writer() as session:
        await InstanceRepository(session).add(
            InstanceLease(
                name="bot:42",
                holder=f"{twin.token()}:{this_host()}:0123456789abcdef",
                host=this_host(),
                pid=os.getpid(),
                started_at=now,
                expires_at=now + timedelta(seconds=30),
            )
        )
    with pytest.raises(InstanceBusy) as refused:
        await InstanceLock.for_bot(database, 42).acquire()
    assert refused.value.holder.pid == os.getpid()


async def test_a_crashed_holder_in_this_namespace_is_replaced_at_once(database: Database) -> None:
    crashed = replace(ME, pid=gone_pid())
    now = utcnow()
    async with database.writer() as session:
        await InstanceRepository(session).add(
            InstanceLease(
                name="bot:42",
                holder=f"{crashed.token()}:{this_host()}:0123456789abcdef",
                host=this_host(),
                pid=crashed.pid,
                started_at=now,
                expires_at=now + timedelta(seconds=30),
            )
        )
    lock = InstanceLock.for_bot(database, 42)
    replaced = await lock.acquire()
    assert [info.pid for info in replaced] == [crashed.pid]
    await lock.release()


async def sync_leases(database: Database, holders: list[str]) -> list[int]:
    """One integration per holder, its sync lease held by that holder (fresh); their ids, in order."""
    now = utcnow()
    async with database.writer() as session:
        user = User(telegram_user_id=7001)
        session.add(user)
        await session.flush()
        ids: list[int] = []
        for number, holder_id in enumerate(holders):
            integration = Integration(user_id=user.id, exchange_id="binance", account_name=f"a{number}")
            session.add(integration)
            await session.flush()
            session.add(
                SyncLease(
                    integration_id=integration.id,
                    holder=holder_id,
                    acquired_at=now,
                    expires_at=now + timedelta(seconds=30),
                )
            )
            ids.append(integration.id)
        await session.flush()
    return ids


async def test_a_new_start_frees_only_the_syncs_of_processes_it_can_prove_dead(database: Database) -> None:
    """A sync of a twin container (our hostname, its own PID namespace), or of a host whose name only begins like
    ours, keeps its lease; a sync of a crashed process in our namespace is freed at once."""
    crashed = replace(ME, pid=gone_pid())
    long_host = this_host() + "-" + "x" * 40
    holders = [
        f"{crashed.token()}:{this_host()}:0123456789abcdef",
        f"{other_namespace(gone_pid()).token()}:{this_host()}:0123456789abcdef",
        f"{replace(ME, boot_id='another-boot', pid=gone_pid()).token()}:{long_host}:0123456789abcdef",
        # A twin's id as made before identities ("host30:pid:random"): its pid means nothing in our namespace.
        f"{this_host()[:30]}:{gone_pid()}:0123456789abcdef",
    ]
    crashed_sync, *kept = await sync_leases(database, holders)
    assert await release_leftovers(database, []) == [crashed_sync]
    async with database.reader() as session:
        held = set((await session.scalars(select(SyncLease.integration_id))).all())
    assert held == set(kept)
