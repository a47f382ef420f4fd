"""Which process holds a lease, told apart from every other process that could share its host name and pid.

"Same host name" is not "same process table": two containers with a fixed hostname (or network_mode host), each
running the bot as PID 1, have the same name and pid, and neither can see the other's processes. A process is
therefore named by the machine's boot id (/proc/sys/kernel/random/boot_id), its PID namespace (the inode of
/proc/self/ns/pid), its pid and its start time (/proc/<pid>/stat field 22, clock ticks since boot). Only a holder
on this machine and in this PID namespace can be looked up; a holder whose pid is gone, or now belongs to a process
that started at another time (the pid was reused), is known dead. Anything else is known only by its lease lapsing.

A holder id is `<identity>:<host>:<random>`: the identity has no colon, the random part is hex, and the host name
is kept whole in between.
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

_UNKNOWN = "?"
_PROC = Path("/proc")


class Liveness(Enum):
    ALIVE = "alive"
    DEAD = "dead"
    UNKNOWN = "unknown"  # another machine or PID namespace, or no /proc: only a lapsed lease tells


@dataclass(frozen=True, slots=True)
class ProcessIdentity:
    boot_id: str | None
    pid_namespace: int | None
    pid: int
    start_time: int | None

    def token(self) -> str:
        parts = (self.boot_id, self.pid_namespace, self.pid, self.start_time)
        return "/".join(_UNKNOWN if part is None else str(part) for part in parts)

    @classmethod
    def parse(cls, token: str) -> ProcessIdentity | None:
        parts = token.split("/")
        if len(parts) != 4 or not parts[2].isdigit():
            return None
        boot, namespace, pid, start = parts
        if not all(part == _UNKNOWN or part.isdigit() for part in (namespace, start)):
            return None
        return cls(
            None if boot == _UNKNOWN else boot,
            None if namespace == _UNKNOWN else int(namespace),
            int(pid),
            None if start == _UNKNOWN else int(start),
        )

    def shares_process_table(self, other: ProcessIdentity) -> bool:
        """Both on one running kernel and in one PID namespace: a pid means the same process to both."""
        return (
            self.boot_id is not None
            and self.pid_namespace is not None
            and (self.boot_id, self.pid_namespace) == (other.boot_id, other.pid_namespace)
        )


def _read(path: Path) -> str | None:
    try:
        return path.read_text().strip()
    except OSError:
        return None


def start_time_of(pid: int, proc: Path = _PROC) -> int | None:
    """Field 22 of /proc/<pid>/stat; None when the process is gone or /proc cannot tell."""
    stat = _read(proc.joinpath(str(pid), "stat"))
    if stat is None:
        return None
    # The command name (field 2) is in parentheses and may itself hold spaces or parentheses.
    fields = stat.rpartition(")")[2].split()
    return int(fields[19]) if len(fields) > 19 and fields[19].isdigit() else None


def this_process(proc: Path = _PROC) -> ProcessIdentity:
    pid = os.getpid()
    try:
        namespace: int | None = os.stat(proc.joinpath("self", "ns", "pid")).st_ino
    except OSError:
        namespace = None
    return ProcessIdentity(
        _read(proc.joinpath("sys", "kernel", "random", "boot_id")), namespace, pid, start_time_of(pid, proc)
    )


def this_host() -> str:
    return socket.gethostname()


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def liveness(holder: ProcessIdentity, me: ProcessIdentity, proc: Path = _PROC) -> Liveness:
    """What this process can prove about `holder` from its own process table."""
    if holder == me:
        return Liveness.ALIVE
    if not me.shares_process_table(holder):
        return Liveness.UNKNOWN
    if not pid_alive(holder.pid):
        return Liveness.DEAD
    if holder.start_time is None:
        return Liveness.UNKNOWN
    now_started = start_time_of(holder.pid, proc)
    if now_started is None:
        return Liveness.DEAD if not pid_alive(holder.pid) else Liveness.UNKNOWN
    return Liveness.ALIVE if now_started == holder.start_time else Liveness.DEAD


def new_holder_id(me: ProcessIdentity | None = None, host: str | None = None) -> str:
    """A lease holder id naming this process (a new random part each call)."""
    identity = me or this_process()
    return f"{identity.token()}:{host or this_host()}:{uuid.uuid4().hex[:16]}"


def process_prefix(holder_id: str) -> str:
    """Everything but the random part: the same for every holder id one process makes. Older ids
    ("host30:pid:random") yield their "host30:pid:"."""
    return holder_id.rpartition(":")[0] + ":"


def identity_of(holder_id: str) -> ProcessIdentity | None:
    """The process a holder id names; None for an id made before identities (its lease lapsing is all we know)."""
    return ProcessIdentity.parse(holder_id.partition(":")[0])
