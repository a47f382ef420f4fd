"""What the emulator remembers: people, chats, messages, files, calls — as plain typed records.

Tests read these directly (``emu.messages(chat_id)``), so they describe what a user would see in the chat,
not how the Bot API encodes it; ``state.py`` turns them into Bot API JSON.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, NamedTuple

from sandbox.botapi.types import JSONDict


@dataclass(frozen=True)
class UserHandle:
    """A Telegram user the test controls. The private chat with the bot has ``chat_id == user_id``."""

    user_id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = "en"

    @property
    def chat_id(self) -> int:
        return self.user_id

    def to_api(self) -> JSONDict:
        """The Bot API ``User`` object."""
        user: JSONDict = {"id": self.user_id, "is_bot": False, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code"):
            if (value := getattr(self, key)) is not None:
                user[key] = value
        return user


@dataclass(frozen=True)
class BotIdentity:
    """The bot under test, as ``getMe`` describes it."""

    user_id: int
    first_name: str
    username: str

    def to_api(self) -> JSONDict:
        """The short ``User`` object Telegram puts in ``from`` of the bot's messages."""
        return {"id": self.user_id, "is_bot": True, "first_name": self.first_name, "username": self.username}


@dataclass(frozen=True)
class GroupHandle:
    """A group or supergroup the bot is a member of."""

    chat_id: int
    title: str
    type: Literal["group", "supergroup"] = "supergroup"

    def to_api(self) -> JSONDict:
        """The Bot API ``Chat`` object."""
        return {"id": self.chat_id, "title": self.title, "type": self.type}


@dataclass(frozen=True)
class StoredFile:
    """A file Telegram holds: uploaded by a user or by the bot, downloadable through ``getFile``."""

    file_id: str
    file_unique_id: str
    file_name: str | None
    mime_type: str | None
    file_path: str
    content: bytes = field(repr=False)

    @property
    def file_size(self) -> int:
        return len(self.content)

    def document_api(self) -> JSONDict:
        """The Bot API ``Document`` object."""
        document: JSONDict = {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.file_size,
        }
        if self.file_name is not None:
            document["file_name"] = self.file_name
        if self.mime_type is not None:
            document["mime_type"] = self.mime_type
        return document


@dataclass(frozen=True)
class InlineButton:
    """One button of an inline keyboard."""

    text: str
    callback_data: str | None
    url: str | None
    raw: JSONDict


@dataclass(frozen=True)
class MessageVersion:
    """An earlier version of an edited message."""

    text: str | None
    entities: list[JSONDict]
    caption: str | None
    reply_markup: JSONDict | None
    replaced_at: int  # unix time of the edit that replaced this version


@dataclass(eq=False)
class ChatMessage:
    """One message of a chat log, as the chat shows it now (``history`` holds the earlier versions).

    ``text`` and ``entities`` are what Telegram stores after parsing ``parse_mode`` markup; ``source_text``
    and ``parse_mode`` are what the bot sent. ``reply_markup`` is the inline keyboard (the only markup that is
    part of a message); a reply keyboard, ForceReply or ReplyKeyboardRemove is kept in ``chat_markup``.
    ``update_id`` is the latest update that delivered a user's message to the bot — the ``message`` update, or
    the ``edited_message`` update after an edit (``None`` for the bot's own messages, and for group messages the
    bot does not receive in privacy mode).
    """

    chat_id: int
    message_id: int
    sender: UserHandle | BotIdentity
    date: int
    text: str | None = None
    entities: list[JSONDict] = field(default_factory=list)
    caption: str | None = None
    caption_entities: list[JSONDict] = field(default_factory=list)
    document: StoredFile | None = None
    reply_markup: JSONDict | None = None
    chat_markup: JSONDict | None = None
    reply_to_message_id: int | None = None
    forward_origin: JSONDict | None = None
    source_text: str | None = None
    parse_mode: str | None = None
    edit_date: int | None = None
    history: list[MessageVersion] = field(default_factory=list)
    deleted: bool = False
    update_id: int | None = None

    @property
    def from_bot(self) -> bool:
        return isinstance(self.sender, BotIdentity)

    @property
    def visible(self) -> bool:
        return not self.deleted

    @property
    def button_rows(self) -> list[list[InlineButton]]:
        """The inline keyboard, row by row."""
        if not self.reply_markup:
            return []
        return [
            [
                InlineButton(
                    text=str(button.get("text", "")),
                    callback_data=button.get("callback_data"),
                    url=button.get("url"),
                    raw=button,
                )
                for button in row
            ]
            for row in self.reply_markup.get("inline_keyboard", [])
        ]

    @property
    def buttons(self) -> list[InlineButton]:
        """All inline buttons, left to right, top to bottom."""
        return [button for row in self.button_rows for button in row]

    def find_button(self, label_or_data: str) -> InlineButton | None:
        """The button whose text or callback_data is ``label_or_data`` (text wins)."""
        for button in self.buttons:
            if button.text == label_or_data:
                return button
        return next((button for button in self.buttons if button.callback_data == label_or_data), None)


class ApiCall(NamedTuple):
    """One Bot API request the emulator received; ``params`` has form values JSON-decoded."""

    method: str
    params: dict[str, object]


@dataclass(frozen=True)
class AnsweredCallback:
    """An ``answerCallbackQuery`` the bot made, with the press it answered."""

    callback_query_id: str
    text: str | None
    show_alert: bool
    url: str | None
    cache_time: int
    user_id: int
    chat_id: int
    message_id: int
    data: str | None


@dataclass
class CallbackQueryRecord:
    """A button press waiting for (or having received) its ``answerCallbackQuery``."""

    callback_query_id: str
    user_id: int
    chat_id: int
    message_id: int
    data: str | None
    answered: bool = False
