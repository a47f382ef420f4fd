"""Decode Bot API request parameters the way Telegram does.

python-telegram-bot sends ``application/x-www-form-urlencoded`` bodies in which strings travel as they are and
every other value is JSON-encoded (``"123"``, ``"true"``, a reply markup as a JSON string), and
``multipart/form-data`` when a file is uploaded. Other clients send a JSON body or a query string. A form value
is ambiguous on its own (``text=123`` is a string, ``chat_id=123`` an integer), so values are kept as received
and each method reads them through a typed accessor, exactly like the Bot API server does.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sandbox.botapi.errors import CHAT_NOT_FOUND, ApiError, bad_request

if TYPE_CHECKING:
    from aiohttp import web

# Parameters that are strings by definition: never JSON-decoded for the call log, so ``text=123`` stays "123".
STRING_PARAMS = frozenset(
    {
        "text", "caption", "parse_mode", "callback_query_id", "file_id", "title", "description", "url",
        "action", "language_code", "inline_message_id", "business_connection_id", "message_effect_id",
        "emoji", "query", "name", "short_name", "question", "explanation", "secret_token", "ip_address",
        "document", "photo", "audio", "video", "animation", "voice", "video_note", "sticker", "thumbnail",
        "custom_title", "invite_link", "payload", "currency",
    }
)  # fmt: skip


@dataclass(frozen=True)
class UploadedFile:
    """A file part of a multipart request."""

    filename: str
    content: bytes
    content_type: str | None

    def __repr__(self) -> str:
        # Keeps the call log readable: the bytes can be large.
        return f"UploadedFile({self.filename!r}, {len(self.content)} bytes, {self.content_type!r})"


@dataclass
class Params:
    """The parameters of one request, with typed accessors that fail like Telegram does."""

    values: dict[str, object] = field(default_factory=dict)

    def has(self, name: str) -> bool:
        """Whether the parameter was sent (an empty form value counts as absent, as in the Bot API)."""
        value = self.values.get(name)
        return value is not None and value != ""

    def text(self, name: str) -> str | None:
        """A string parameter; numbers sent in a JSON body are accepted as their text."""
        value = self.values.get(name)
        if value is None:
            return None
        if isinstance(value, str):
            return value
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int | float):
            return str(value)
        raise bad_request(f"Bad Request: {name} must be a string")

    def integer(self, name: str) -> int | None:
        """An integer parameter: a JSON number or its decimal text."""
        value = self.values.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, bool):
            raise bad_request(f"Bad Request: {name} must be an integer")
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str):
            try:
                return int(value.strip())
            except ValueError:
                pass
        raise bad_request(f"Bad Request: {name} must be an integer")

    def chat_id(self) -> int | None:
        """``chat_id``: an integer id; a ``@username`` names no chat the emulator knows, as for most bots."""
        try:
            return self.integer("chat_id")
        except ApiError:
            raise bad_request(CHAT_NOT_FOUND) from None

    def number(self, name: str) -> float | None:
        """A numeric parameter such as a long-poll timeout."""
        value = self.values.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):
            try:
                return float(value.strip())
            except ValueError:
                pass
        raise bad_request(f"Bad Request: {name} must be a number")

    def boolean(self, name: str, default: bool = False) -> bool:
        """A boolean parameter: JSON true/false, or the texts the Bot API accepts."""
        value = self.values.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            return value
        if isinstance(value, int):
            return value != 0
        if isinstance(value, str) and value.strip().lower() in {"true", "1", "false", "0"}:
            return value.strip().lower() in {"true", "1"}
        raise bad_request(f"Bad Request: {name} must be a boolean")

    def json(self, name: str, *, error: str | None = None) -> object:
        """A structured parameter (object or array), JSON-encoded in forms, native in JSON bodies."""
        value = self.values.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                raise bad_request(error or f"Bad Request: can't parse {name} JSON object") from None
        return value

    def json_object(self, name: str, *, error: str | None = None) -> dict[str, object] | None:
        """A parameter that must be a JSON object."""
        value = self.json(name, error=error)
        if value is None:
            return None
        if not isinstance(value, dict):
            raise bad_request(error or f"Bad Request: {name} must be an object")
        return value

    def json_list(self, name: str) -> list[object] | None:
        """A parameter that must be a JSON array."""
        value = self.json(name)
        if value is None:
            return None
        if not isinstance(value, list):
            raise bad_request(f"Bad Request: {name} must be an array")
        return value

    def file(self, name: str) -> UploadedFile | str | None:
        """An InputFile parameter: an uploaded part, ``attach://<part>``, or a file_id / URL string."""
        value = self.values.get(name)
        if isinstance(value, UploadedFile) or value is None:
            return value
        if isinstance(value, str):
            if value.startswith("attach://"):
                attached = self.values.get(value.removeprefix("attach://"))
                if isinstance(attached, UploadedFile):
                    return attached
                raise bad_request(f"Bad Request: can't find attached file {value.removeprefix('attach://')}")
            return value
        raise bad_request(f"Bad Request: wrong {name} specified")

    def for_log(self) -> dict[str, object]:
        """The parameters with JSON-encoded form values decoded, so tests can compare ``chat_id == 1001``."""
        decoded: dict[str, object] = {}
        for key, value in self.values.items():
            if isinstance(value, str) and key not in STRING_PARAMS:
                try:
                    decoded[key] = json.loads(value)
                except ValueError:
                    decoded[key] = value
            else:
                decoded[key] = value
        return decoded


async def read_params(request: web.Request) -> Params:
    """Collect query-string, form, multipart and JSON parameters (the body wins over the query string)."""
    values: dict[str, object] = dict(request.query)
    content_type = request.content_type
    if request.can_read_body:
        if content_type == "application/json":
            try:
                body = await request.json()
            except ValueError:
                raise bad_request("Bad Request: can't parse JSON object") from None
            if not isinstance(body, dict):
                raise bad_request("Bad Request: can't parse JSON object")
            values.update(body)
        elif content_type in {"application/x-www-form-urlencoded", "multipart/form-data"}:
            form = await request.post()
            for key, item in form.items():
                if isinstance(item, str):
                    values[key] = item
                elif isinstance(item, bytes | bytearray):
                    values[key] = bytes(item).decode("utf-8", "replace")
                else:
                    values[key] = UploadedFile(
                        filename=item.filename,
                        content=item.file.read(),
                        content_type=item.content_type or None,
                    )
    return Params(values)
