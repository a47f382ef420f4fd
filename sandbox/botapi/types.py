"""Shared type aliases for the Bot API emulator."""

from typing import Any, TypeAlias

# Bot API objects are JSON objects; their values are heterogeneous by nature.
JSONDict: TypeAlias = dict[str, Any]
