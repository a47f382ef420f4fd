"""The C allocator's settings for a long-running bot process.

glibc gives each thread that allocates its own malloc arena (up to 8 per core) and keeps what is freed in an
arena for that arena's reuse. The bot's threads are the database driver's (aiosqlite runs one per connection) and
asyncio's resolver and file threads: with an arena each, the memory a sync freed in one stayed reserved there while
the next sync grew another. Measured with 1,000 users and 20 concurrent syncs (docs/BENCHMARKS.md §4): peak RSS
396 MiB with glibc's default, 322 MiB with two arenas, for the same work.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging

log = logging.getLogger(__name__)

M_ARENA_MAX = -8  # from glibc's malloc.h
ARENAS = 2


def limit_malloc_arenas(arenas: int = ARENAS) -> bool:
    """Cap glibc's malloc arenas for threads started from now on; False where the C library is not glibc."""
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to tune
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    done = bool(mallopt(M_ARENA_MAX, arenas))
    if not done:
        log.debug("mallopt(M_ARENA_MAX) was refused; keeping the C library's default")
    return done
