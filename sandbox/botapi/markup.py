"""Shared pieces of the markup parsers: UTF-16 offsets, Telegram's parse error, an output builder."""

from __future__ import annotations

from sandbox.botapi.errors import ApiError, bad_request
from sandbox.botapi.types import JSONDict

PARSE_ERROR_PREFIX = "Bad Request: can't parse entities: "


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of Bot API entity offsets."""
    return len(text.encode("utf-16-le")) // 2


def parse_error(message: str) -> ApiError:
    """The 400 Telegram returns for malformed markup."""
    return bad_request(PARSE_ERROR_PREFIX + message)


class TextBuilder:
    """Walks a marked-up source and collects the plain text and entities."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.index = 0
        self.out: list[str] = []
        self.offset = 0  # UTF-16 length of the output so far
        self.entities: list[JSONDict] = []

    def at(self, ahead: int = 0) -> str:
        """The source character ``ahead`` of the cursor, or "" past the end."""
        position = self.index + ahead
        return self.source[position] if position < len(self.source) else ""

    def byte_offset(self, index: int) -> int:
        """Telegram reports positions in UTF-8 bytes of the source."""
        return len(self.source[:index].encode())

    def emit(self, text: str) -> None:
        self.out.append(text)
        self.offset += utf16_len(text)

    def text_since(self, out_index: int) -> str:
        return "".join(self.out[out_index:])

    def add(self, kind: str, start: int, **extra: str) -> None:
        """Add an entity from UTF-16 offset ``start`` to here; Telegram drops empty ones."""
        if self.offset > start:
            self.entities.append({"type": kind, "offset": start, "length": self.offset - start, **extra})

    def result(self) -> tuple[str, list[JSONDict]]:
        return "".join(self.out), self.entities
