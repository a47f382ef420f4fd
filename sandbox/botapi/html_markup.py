"""Bot API HTML (``parse_mode="HTML"``) parsed as Telegram does, with Telegram's error texts.

Follows the behaviour of TDLib's ``parse_html``: only the documented tags, only ``&lt; &gt; &amp; &quot;`` and
numeric character references (any other ``&`` stays literal), and every tag must be closed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sandbox.botapi.markup import TextBuilder, parse_error
from sandbox.botapi.types import JSONDict

_CHAR_REFERENCE = re.compile(r"&(?:(lt|gt|amp|quot)|#([0-9]{1,7})|#[xX]([0-9a-fA-F]{1,6}));")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_TAG_TYPES = {
    "b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline", "ins": "underline",
    "s": "strikethrough", "strike": "strikethrough", "del": "strikethrough", "tg-spoiler": "spoiler",
    "span": "spoiler", "code": "code", "pre": "pre", "blockquote": "blockquote", "a": "text_link",
    "tg-emoji": "custom_emoji",
}  # fmt: skip
_UNQUOTED_VALUE = re.compile(r"[A-Za-z0-9.\-]*")


@dataclass
class _OpenTag:
    name: str
    offset: int  # UTF-16 offset where the entity starts
    out_index: int  # where its text starts in the output chunks
    attributes: dict[str, str]


def _char_reference(source: str, index: int) -> tuple[str, int] | None:
    match = _CHAR_REFERENCE.match(source, index)
    if match is None:
        return None
    named, decimal, hexadecimal = match.groups()
    if named:
        return _NAMED[named], match.end()
    code = int(decimal, 10) if decimal else int(hexadecimal, 16)
    return (chr(code) if code <= 0x10FFFF else "\ufffd"), match.end()


class _HtmlParser(TextBuilder):
    def __init__(self, source: str) -> None:
        super().__init__(source)
        self.stack: list[_OpenTag] = []

    def run(self) -> tuple[str, list[JSONDict]]:
        while self.index < len(self.source):
            char = self.source[self.index]
            if char == "&" and (decoded := _char_reference(self.source, self.index)):
                self.emit(decoded[0])
                self.index = decoded[1]
            elif char == "<":
                tag_start = self.index
                self.index += 1
                if self.at() == "/":
                    self.end_tag(tag_start)
                else:
                    self.start_tag(tag_start)
            else:
                self.emit(char)
                self.index += 1
        if self.stack:
            raise parse_error(f'Can\'t find end tag corresponding to start tag "{self.stack[-1].name}"')
        return self.result()

    def skip_spaces(self) -> None:
        while self.at() and self.at().isspace():
            self.index += 1

    def start_tag(self, tag_start: int) -> None:
        begin = self.index
        while self.at() and not self.at().isspace() and self.at() != ">":
            self.index += 1
        if not self.at():
            raise parse_error(f"Unclosed start tag at byte offset {self.byte_offset(tag_start)}")
        name = self.source[begin : self.index].lower()
        if name not in _TAG_TYPES:
            raise parse_error(f'Unsupported start tag "{name}" at byte offset {self.byte_offset(tag_start)}')
        attributes = self.attributes(name, tag_start)
        self.index += 1  # the '>'
        if name == "span" and attributes.get("class") != "tg-spoiler":
            raise parse_error(f'Tag "span" must have class "tg-spoiler" at byte offset {self.byte_offset(tag_start)}')
        self.stack.append(_OpenTag(name, self.offset, len(self.out), attributes))

    def attributes(self, name: str, tag_start: int) -> dict[str, str]:
        attributes: dict[str, str] = {}
        while True:
            self.skip_spaces()
            if not self.at():
                raise parse_error(f"Unclosed start tag at byte offset {self.byte_offset(tag_start)}")
            if self.at() == ">":
                return attributes
            begin = self.index
            while self.at() and not self.at().isspace() and self.at() not in "=>":
                self.index += 1
            key = self.source[begin : self.index].lower()
            if not key:
                raise parse_error(
                    f'Empty attribute name in the tag "{name}" at byte offset {self.byte_offset(tag_start)}'
                )
            self.skip_spaces()
            if self.at() != "=":
                attributes[key] = ""  # a bare attribute, e.g. <blockquote expandable>
                continue
            self.index += 1
            self.skip_spaces()
            attributes[key] = self.attribute_value(tag_start)

    def attribute_value(self, tag_start: int) -> str:
        quote = self.at()
        if not quote:
            raise parse_error(f"Unclosed start tag at byte offset {self.byte_offset(tag_start)}")
        if quote not in "\"'":
            match = _UNQUOTED_VALUE.match(self.source, self.index)
            value = match.group() if match else ""
            self.index += len(value)
            if self.at() and not self.at().isspace() and self.at() != ">":
                raise parse_error(f"Unexpected end of name token at byte offset {self.byte_offset(self.index)}")
            return value.lower()
        self.index += 1
        parts: list[str] = []
        while self.at() and self.at() != quote:
            if self.at() == "&" and (decoded := _char_reference(self.source, self.index)):
                parts.append(decoded[0])
                self.index = decoded[1]
            else:
                parts.append(self.at())
                self.index += 1
        if not self.at():
            raise parse_error(f"Unclosed start tag at byte offset {self.byte_offset(tag_start)}")
        self.index += 1
        return "".join(parts)

    def end_tag(self, tag_start: int) -> None:
        begin = self.index + 1
        while self.at() and not self.at().isspace() and self.at() != ">":
            self.index += 1
        name = self.source[begin : self.index].lower()
        self.skip_spaces()
        if self.at() != ">":
            raise parse_error(f"Unclosed end tag at byte offset {self.byte_offset(tag_start)}")
        self.index += 1
        if not self.stack:
            raise parse_error(f"Unexpected end tag at byte offset {self.byte_offset(tag_start)}")
        opened = self.stack.pop()
        if name and name != opened.name:
            raise parse_error(
                f"Unmatched end tag at byte offset {self.byte_offset(tag_start)}, "
                f'expected "</{opened.name}>", found "</{name}>"'
            )
        self.close(opened)

    def close(self, opened: _OpenTag) -> None:
        attributes = opened.attributes
        last = self.entities[-1] if self.entities else None
        if (
            opened.name == "pre"
            and last is not None
            and last["type"] == "code"
            and (last["offset"], last["length"]) == (opened.offset, self.offset - opened.offset)
        ):
            # <pre><code class="language-x">…</code></pre> is one pre entity with a language.
            last["type"] = "pre"
            return
        extra: dict[str, str] = {}
        kind = _TAG_TYPES[opened.name]
        if opened.name == "a":
            extra["url"] = attributes.get("href") or self.text_since(opened.out_index)
        elif opened.name == "code" and attributes.get("class", "").startswith("language-"):
            extra["language"] = attributes["class"].removeprefix("language-")
        elif opened.name == "blockquote" and "expandable" in attributes:
            kind = "expandable_blockquote"
        elif opened.name == "tg-emoji":
            if not attributes.get("emoji-id", "").isdigit():
                raise parse_error("Invalid custom emoji identifier specified")
            extra["custom_emoji_id"] = attributes["emoji-id"]
        self.add(kind, opened.offset, **extra)


def parse_html(source: str) -> tuple[str, list[JSONDict]]:
    """Parse Bot API HTML into text and entities, raising Telegram's 400 for malformed markup."""
    return _HtmlParser(source).run()
