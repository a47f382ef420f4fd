"""Bot API MarkdownV2 and legacy Markdown, parsed closely enough to fail where Telegram fails.

The errors bots hit in production are the point: an unescaped ``.``, ``-`` or ``!`` in MarkdownV2 ("Character
'.' is reserved and must be escaped with the preceding '\\'") and an unpaired ``_`` in legacy Markdown, e.g. in a
username ("Can't find end of the entity starting at byte offset N"). Not emulated: ``**>`` expandable
blockquotes and ``tg://user`` mentions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sandbox.botapi.markup import TextBuilder, parse_error
from sandbox.botapi.types import JSONDict

_RESERVED = frozenset("_*[]()~`>#+-=|{}.!")
_PAIRED = {"*": "bold", "_": "italic", "__": "underline", "~": "strikethrough", "||": "spoiler"}
_LANGUAGE = re.compile(r"[A-Za-z0-9_+#\-]*\n")
_EMOJI_URL = re.compile(r"tg://emoji\?id=([0-9]+)")


@dataclass
class _Open:
    marker: str
    offset: int  # UTF-16 offset of the entity start
    source_index: int  # where the opening marker starts in the source, for error positions
    language: str = ""


def _unterminated(parser: TextBuilder, source_index: int) -> Exception:
    return parse_error(f"Can't find end of the entity starting at byte offset {parser.byte_offset(source_index)}")


class _MarkdownV2Parser(TextBuilder):
    def __init__(self, source: str) -> None:
        super().__init__(source)
        self.stack: list[_Open] = []
        self.quote_start: int | None = None

    def run(self) -> tuple[str, list[JSONDict]]:
        while self.index < len(self.source):
            char = self.at()
            top = self.stack[-1] if self.stack else None
            if char == "\\" and self.at(1) and 0 < ord(self.at(1)) <= 126:
                self.emit(self.at(1))
                self.index += 2
            elif top is not None and top.marker in {"`", "```"}:
                self.inside_code(top)
            elif char == "\n" and self.quote_start is not None and self.at(1) != ">":
                self.add("blockquote", self.quote_start)
                self.quote_start = None
                self.emit(char)
                self.index += 1
            elif char not in _RESERVED:
                self.emit(char)
                self.index += 1
            else:
                self.reserved(char, top)
        if self.stack:
            raise _unterminated(self, self.stack[-1].source_index)
        if self.quote_start is not None:
            self.add("blockquote", self.quote_start)
        return self.result()

    def inside_code(self, top: _Open) -> None:
        if top.marker == "```" and self.source.startswith("```", self.index):
            self.stack.pop()
            self.index += 3
            extra = {"language": top.language} if top.language else {}
            self.add("pre", top.offset, **extra)
        elif top.marker == "`" and self.at() == "`":
            self.stack.pop()
            self.index += 1
            self.add("code", top.offset)
        else:
            self.emit(self.at())
            self.index += 1

    def reserved(self, char: str, top: _Open | None) -> None:
        if char == ">" and (self.index == 0 or self.source[self.index - 1] == "\n"):
            if self.quote_start is None:
                self.quote_start = self.offset
            self.index += 1
            return
        marker = char
        for longer in ("```", "__", "||"):
            if self.source.startswith(longer, self.index):
                marker = longer
                break
        if marker == "]" and top is not None and top.marker in {"[", "!["}:
            self.close_link(top)
        elif top is not None and marker == top.marker and marker in _PAIRED:
            self.stack.pop()
            self.index += len(marker)
            self.add(_PAIRED[marker], top.offset)
        elif marker in _PAIRED or marker in {"`", "["}:
            self.stack.append(_Open(marker, self.offset, self.index))
            self.index += len(marker)
        elif marker == "```":
            opened = _Open(marker, self.offset, self.index)
            self.index += 3
            language = _LANGUAGE.match(self.source, self.index)
            if language is not None:
                opened.language = language.group()[:-1]
                self.index = language.end()
            self.stack.append(opened)
        elif marker == "!" and self.at(1) == "[":
            self.stack.append(_Open("![", self.offset, self.index))
            self.index += 2
        else:
            raise parse_error(f"Character '{char}' is reserved and must be escaped with the preceding '\\'")

    def close_link(self, top: _Open) -> None:
        self.stack.pop()
        self.index += 1
        if self.at() != "(":
            return  # "[text]" without a URL is plain text
        self.index += 1
        url: list[str] = []
        while self.at() and self.at() != ")":
            if self.at() == "\\" and self.at(1):
                self.index += 1
            url.append(self.at())
            self.index += 1
        if not self.at():
            raise _unterminated(self, top.source_index)
        self.index += 1
        target = "".join(url)
        if top.marker == "![":
            emoji = _EMOJI_URL.fullmatch(target)
            if emoji is None:
                raise parse_error("Custom emoji entity must contain a tg://emoji URL")
            self.add("custom_emoji", top.offset, custom_emoji_id=emoji.group(1))
        else:
            self.add("text_link", top.offset, url=target)


class _MarkdownParser(TextBuilder):
    """Legacy Markdown: no nesting, no escaping inside entities, only ``* _ ` ``` [](…)``."""

    def run(self) -> tuple[str, list[JSONDict]]:
        while self.index < len(self.source):
            char = self.at()
            if char == "\\" and self.at(1) in {"_", "*", "`", "["}:
                self.emit(self.at(1))
                self.index += 2
            elif char not in {"_", "*", "`", "["}:
                self.emit(char)
                self.index += 1
            elif char == "[":
                self.link()
            elif self.source.startswith("```", self.index):
                self.pre()
            else:
                end = self.source.find(char, self.index + 1)
                if end < 0:
                    raise _unterminated(self, self.index)
                start = self.offset
                self.emit(self.source[self.index + 1 : end])
                self.add({"*": "bold", "_": "italic", "`": "code"}[char], start)
                self.index = end + 1
        return self.result()

    def link(self) -> None:
        close = self.source.find("]", self.index + 1)
        if close < 0 or not self.source.startswith("(", close + 1):
            raise _unterminated(self, self.index)
        end = self.source.find(")", close + 2)
        if end < 0:
            raise _unterminated(self, self.index)
        start = self.offset
        self.emit(self.source[self.index + 1 : close])
        self.add("text_link", start, url=self.source[close + 2 : end])
        self.index = end + 1

    def pre(self) -> None:
        end = self.source.find("```", self.index + 3)
        if end < 0:
            raise _unterminated(self, self.index)
        body = self.source[self.index + 3 : end]
        language = ""
        first_line, newline, rest = body.partition("\n")
        if newline and _LANGUAGE.fullmatch(first_line + "\n"):
            language, body = first_line, rest
        start = self.offset
        self.emit(body)
        extra = {"language": language} if language else {}
        self.add("pre", start, **extra)
        self.index = end + 3


def parse_markdown_v2(source: str) -> tuple[str, list[JSONDict]]:
    """Parse ``parse_mode="MarkdownV2"`` text into text and entities."""
    return _MarkdownV2Parser(source).run()


def parse_markdown(source: str) -> tuple[str, list[JSONDict]]:
    """Parse legacy ``parse_mode="Markdown"`` text into text and entities."""
    return _MarkdownParser(source).run()
