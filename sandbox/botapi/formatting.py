"""Message text as Telegram stores it: markup parsed into entities, trimmed, commands and links detected.

A bot that sends ``parse_mode="HTML"`` gets back plain text plus entities, and a malformed tag (an unescaped
``<`` in user input, say) is a 400 "can't parse entities" — so the emulator parses like Telegram instead of
storing the markup, and a formatting bug fails in tests as it would in production. Entity offsets and lengths
are in UTF-16 code units, as in the Bot API.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sandbox.botapi.errors import bad_request
from sandbox.botapi.html_markup import parse_html
from sandbox.botapi.markdown import parse_markdown, parse_markdown_v2
from sandbox.botapi.markup import utf16_len
from sandbox.botapi.types import JSONDict


@dataclass(frozen=True)
class FormattedText:
    """Text as Telegram stores it, with its entities (offsets in UTF-16 code units)."""

    text: str
    entities: list[JSONDict] = field(default_factory=list)


def format_text(source: str, parse_mode: str | None, entities: list[object] | None) -> FormattedText:
    """Parse ``source`` like the Bot API: explicit entities win over ``parse_mode``; the result is trimmed."""
    if entities is not None:
        text, parsed = source, _checked_entities(entities)
    elif parse_mode:
        mode = parse_mode.lower()
        if mode == "html":
            text, parsed = parse_html(source)
        elif mode == "markdownv2":
            text, parsed = parse_markdown_v2(source)
        elif mode == "markdown":
            text, parsed = parse_markdown(source)
        else:
            raise bad_request("Bad Request: unsupported parse_mode")
    else:
        text, parsed = source, []
    text, parsed = _trim(text, parsed)
    parsed.extend(detect_entities(text, parsed))
    parsed.sort(key=lambda entity: (entity["offset"], -entity["length"]))
    return FormattedText(text, parsed)


def _checked_entities(entities: list[object]) -> list[JSONDict]:
    checked: list[JSONDict] = []
    for entity in entities:
        if (
            not isinstance(entity, dict)
            or not isinstance(entity.get("type"), str)
            or not isinstance(entity.get("offset"), int)
            or not isinstance(entity.get("length"), int)
        ):
            raise bad_request("Bad Request: can't parse entities JSON object")
        checked.append(dict(entity))
    return checked


def _trim(text: str, entities: list[JSONDict]) -> tuple[str, list[JSONDict]]:
    """Telegram drops leading and trailing whitespace and clips the entities to what is left."""
    stripped = text.strip()
    if stripped == text:
        return text, entities
    lead = utf16_len(text[: len(text) - len(text.lstrip())])
    total = utf16_len(stripped)
    clipped: list[JSONDict] = []
    for entity in entities:
        start = max(0, entity["offset"] - lead)
        end = min(total, entity["offset"] + entity["length"] - lead)
        if end > start:
            clipped.append({**entity, "offset": start, "length": end - start})
    return stripped, clipped


# Telegram detects these itself in every message, which is what makes "/start" a bot_command for
# CommandHandler even though the client sent plain text.
_DETECTORS = (
    ("bot_command", re.compile(r"(?<![^\s(])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![A-Za-z0-9_@/])")),
    ("mention", re.compile(r"(?<![^\s(])@[A-Za-z0-9_]{5,32}(?![A-Za-z0-9_])")),
    ("url", re.compile(r"(?<![^\s(])https?://[^\s<>\"]*[^\s<>\".,;:!?)'\]]")),
)
# No detection inside these: Telegram leaves code and link texts alone.
_OPAQUE = frozenset({"code", "pre", "text_link", "custom_emoji", "url", "bot_command", "mention"})


def detect_entities(text: str, existing: list[JSONDict]) -> list[JSONDict]:
    """The bot_command, mention and url entities Telegram adds on its own."""
    taken = [(e["offset"], e["offset"] + e["length"]) for e in existing if e["type"] in _OPAQUE]
    found: list[JSONDict] = []
    for kind, pattern in _DETECTORS:
        for match in pattern.finditer(text):
            start = utf16_len(text[: match.start()])
            end = start + utf16_len(match.group())
            if any(start < stop and begin < end for begin, stop in taken):
                continue
            taken.append((start, end))
            found.append({"type": kind, "offset": start, "length": end - start})
    return found
