"""Telegram's input limits for message content: text and caption length, keyboards, replies.

These are the limits a bot trips over in production (a 4097-character report, a 65-byte callback_data), so
they fail here with Telegram's own descriptions.
"""

from __future__ import annotations

from sandbox.botapi.errors import (
    BUTTON_DATA_INVALID,
    CAPTION_TOO_LONG,
    REPLY_NOT_FOUND,
    TEXT_EMPTY,
    TEXT_TOO_LONG,
    bad_request,
)
from sandbox.botapi.formatting import FormattedText, format_text
from sandbox.botapi.params import Params
from sandbox.botapi.state import EmulatorState
from sandbox.botapi.types import JSONDict

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
# An inline button needs exactly one of these besides its text.
_BUTTON_ACTIONS = frozenset(
    {
        "url", "callback_data", "web_app", "login_url", "switch_inline_query",
        "switch_inline_query_current_chat", "switch_inline_query_chosen_chat", "copy_text", "callback_game",
        "pay",
    }
)  # fmt: skip
_MARKUP_ERROR = "Bad Request: can't parse reply keyboard markup JSON object"


def message_text(params: Params) -> FormattedText:
    """``text`` + ``parse_mode``/``entities`` of sendMessage and editMessageText, checked like Telegram."""
    source = params.text("text") or ""
    formatted = format_text(source, params.text("parse_mode"), params.json_list("entities"))
    # Telegram counts characters after markup parsing and trimming, so "<b> </b>" is empty text.
    if not formatted.text:
        raise bad_request(TEXT_EMPTY)
    if len(formatted.text) > MAX_TEXT_LENGTH:
        raise bad_request(TEXT_TOO_LONG)
    return formatted


def caption_text(params: Params) -> FormattedText | None:
    """``caption`` + ``parse_mode``/``caption_entities`` of a media message."""
    source = params.text("caption")
    if not source:
        return None
    formatted = format_text(source, params.text("parse_mode"), params.json_list("caption_entities"))
    if len(formatted.text) > MAX_CAPTION_LENGTH:
        raise bad_request(CAPTION_TOO_LONG)
    return formatted


def reply_markup(params: Params) -> tuple[JSONDict | None, JSONDict | None]:
    """Split ``reply_markup`` into (inline keyboard, other chat markup), validating the inline keyboard."""
    markup = params.json_object("reply_markup", error=_MARKUP_ERROR)
    if markup is None:
        return None, None
    if "inline_keyboard" not in markup:
        if not {"keyboard", "remove_keyboard", "force_reply"} & markup.keys():
            raise bad_request(_MARKUP_ERROR)
        return None, markup
    rows = markup["inline_keyboard"]
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request(_MARKUP_ERROR)
    for row in rows:
        for button in row:
            _check_button(button)
    return markup, None


def _check_button(button: object) -> None:
    if not isinstance(button, dict) or not isinstance(button.get("text"), str):
        raise bad_request(_MARKUP_ERROR)
    actions = _BUTTON_ACTIONS & button.keys()
    if not actions:
        raise bad_request(
            "Bad Request: can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )
    if "callback_data" in button:
        data = button["callback_data"]
        if not isinstance(data, str) or not 1 <= len(data.encode()) <= MAX_CALLBACK_DATA_BYTES:
            raise bad_request(BUTTON_DATA_INVALID)


def reply_target(state: EmulatorState, chat_id: int, params: Params) -> int | None:
    """The message being replied to (``reply_parameters`` or the older ``reply_to_message_id``)."""
    reply = params.json_object("reply_parameters")
    if reply is not None:
        message_id = reply.get("message_id")
        allow_missing = bool(reply.get("allow_sending_without_reply", False))
    else:
        message_id = params.integer("reply_to_message_id")
        allow_missing = params.boolean("allow_sending_without_reply")
    if message_id is None:
        return None
    if not isinstance(message_id, int) or state.find_message(chat_id, message_id) is None:
        if allow_missing:
            return None
        raise bad_request(REPLY_NOT_FOUND)
    return message_id
