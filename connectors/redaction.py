"""Values the connectors learn mid-sync that work as credentials on their own, for the log redaction to strike.

OKX's bill archive links (fetchers/okx/archive_files.py) are presigned: whoever holds one downloads the user's
bills until it expires (5.5 hours). `connectors` may not import `bot` (tests/test_architecture.py), so the link is
registered here and bot/secret.py's registry reads these values with its own.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

# Enough for every link of many syncs at once (a sync asks for at most a few quarters); the oldest, long expired,
# go first, so memory stays bounded in a process that runs for months.
MAX_REMEMBERED = 4096


class CredentialValues:
    """The most recent `MAX_REMEMBERED` values, oldest forgotten first."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: OrderedDict[str, None] = OrderedDict()

    def remember(self, value: str) -> None:
        with self._lock:
            self._values[value] = None
            self._values.move_to_end(value)
            while len(self._values) > MAX_REMEMBERED:
                self._values.popitem(last=False)

    def values(self) -> list[str]:
        with self._lock:
            return list(self._values)

    def clear(self) -> None:
        with self._lock:
            self._values.clear()


credential_values = CredentialValues()
