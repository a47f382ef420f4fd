"""A text in the parts Telegram accepts: at most 4,096 characters each, cut at line breaks so a line's HTML tags stay
together. Used by the handlers' one way out (handlers/outbound.py) and by the sync workers, which send by themselves."""

from __future__ import annotations

from telegram.constants import MessageLimit

LIMIT = MessageLimit.MAX_TEXT_LENGTH


def split_text(text: str, limit: int = LIMIT) -> list[str]:
    """`text` in parts of at most `limit` characters, cut at line breaks (a single longer line is cut hard)."""
    chunks: list[str] = []
    current = ""
    for line in text.splitlines(keepends=True):
        while len(line) > limit:
            if current:
                chunks.append(current)
                current = ""
            chunks.append(line[:limit])
            line = line[limit:]
        if len(current) + len(line) > limit:
            chunks.append(current)
            current = ""
        current += line
    if current:
        chunks.append(current)
    return chunks or [text]
