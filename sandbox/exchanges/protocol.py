"""What every emulator's endpoints share: the authenticated call they answer, and the exception for a request the
exchange would serve but this emulator does not (each server answers it the same way it always has)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sandbox.exchanges.keys import ApiKey


class NotEmulated(Exception):
    """The request is valid on the exchange but outside what this emulator serves."""


@dataclass(frozen=True)
class Call:
    """One request as an endpoint sees it, after authentication."""

    params: Mapping[str, str]
    key: ApiKey | None
    now_ms: int
