"""Bot API errors with Telegram's exact wire shape.

Telegram answers every failure with ``{"ok": false, "error_code": N, "description": "..."}``; python-telegram-bot
picks its exception class from the HTTP status and its message from ``description`` (and raises ``RetryAfter``
when ``parameters.retry_after`` is present), so both must match what Telegram sends.
"""

from __future__ import annotations

from http import HTTPStatus

from sandbox.botapi.types import JSONDict

# Telegram's own wording, copied from real responses: bots (and our tests) match on these texts.
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
MESSAGE_TO_EDIT_NOT_FOUND = "Bad Request: message to edit not found"
MESSAGE_TO_DELETE_NOT_FOUND = "Bad Request: message to delete not found"
MESSAGE_CANT_BE_EDITED = "Bad Request: message can't be edited"
MESSAGE_CANT_BE_DELETED = "Bad Request: message can't be deleted"
NO_TEXT_TO_EDIT = "Bad Request: there is no text in the message to edit"
TEXT_EMPTY = "Bad Request: message text is empty"
TEXT_TOO_LONG = "Bad Request: message is too long"
CAPTION_TOO_LONG = "Bad Request: message caption is too long"
BUTTON_DATA_INVALID = "Bad Request: BUTTON_DATA_INVALID"
CHAT_NOT_FOUND = "Bad Request: chat not found"
CANT_INITIATE = "Forbidden: bot can't initiate conversation with a user"
BOT_BLOCKED = "Forbidden: bot was blocked by the user"
REPLY_NOT_FOUND = "Bad Request: message to be replied not found"
QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"
INVALID_FILE_ID = "Bad Request: invalid file_id"
FILE_TOO_BIG = "Bad Request: file is too big"
GET_UPDATES_CONFLICT = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"
)


class ApiError(Exception):
    """A Bot API failure, rendered as Telegram's error JSON with ``error_code`` as the HTTP status."""

    def __init__(self, error_code: int, description: str, *, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.retry_after = retry_after

    def to_api(self) -> JSONDict:
        """The response body Telegram sends for this error."""
        body: JSONDict = {"ok": False, "error_code": self.error_code, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(description: str) -> ApiError:
    """A 400 whose description already carries Telegram's ``Bad Request: `` prefix."""
    return ApiError(HTTPStatus.BAD_REQUEST, description)


def default_description(error_code: int, retry_after: int | None) -> str:
    """What Telegram says for a status when the caller did not choose a text."""
    if error_code == HTTPStatus.TOO_MANY_REQUESTS:
        return f"Too Many Requests: retry after {retry_after if retry_after is not None else 1}"
    try:
        return HTTPStatus(error_code).phrase
    except ValueError:
        return "Unknown Error"
