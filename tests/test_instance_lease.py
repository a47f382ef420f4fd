"""When a holder of the instance lease is known dead (bot/instance.py): the rule, case by case, written by hand."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from bot.instance import HolderInfo, provably_dead

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
HERE = "bot-host-a"


def gone_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def holder(host: str, pid: int, expires_in: timedelta) -> HolderInfo:
    return HolderInfo("bot:1", host, pid, NOW - timedelta(hours=1), NOW + expires_in)


@pytest.mark.parametrize(
    ("host", "pid", "expires_in", "dead"),
    [
        (HERE, "gone", timedelta(seconds=25), True),  # crashed on this host: at once, lease fresh or not
        (HERE, "mine", timedelta(seconds=25), True),  # a restarted container: same hostname, same pid
        (HERE, "alive", timedelta(seconds=25), False),  # running
        (HERE, "alive", -timedelta(minutes=1), False),  # stalled (a long write delayed its heartbeat): not dead
        (HERE, "alive", -timedelta(minutes=11), True),  # lapsed for 11 minutes: the pid was reused
        ("bot-host-b", "alive", timedelta(seconds=25), False),  # another host, heartbeat fresh
        ("bot-host-b", "alive", -timedelta(seconds=1), True),  # another host, lease lapsed
    ],
)
def test_when_a_holder_is_known_dead(host: str, pid: str, expires_in: timedelta, dead: bool) -> None:
    number = {"gone": gone_pid(), "mine": os.getpid(), "alive": os.getppid()}[pid]
    assert provably_dead(holder(host, number, expires_in), now=NOW, host=HERE, pid=os.getpid()) is dead
