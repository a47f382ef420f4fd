"""The emulator's world: the bot, its users and groups, per-chat message logs, files, updates and calls.

Shared by the HTTP method handlers and the test API; everything runs on one event loop, so plain mutation
followed by ``signal.notify()`` is enough to keep waiters consistent.
"""

from __future__ import annotations

import mimetypes
import secrets
import time
from collections import deque
from dataclasses import dataclass, field

from sandbox.botapi.errors import BOT_BLOCKED, CANT_INITIATE, CHAT_NOT_FOUND, ApiError, bad_request
from sandbox.botapi.flood import FloodLimits
from sandbox.botapi.models import (
    AnsweredCallback,
    ApiCall,
    BotIdentity,
    CallbackQueryRecord,
    ChatMessage,
    GroupHandle,
    StoredFile,
    UserHandle,
)
from sandbox.botapi.types import JSONDict
from sandbox.botapi.updates import ChangeSignal, UpdateQueue
from sandbox.botapi.webhook import WebhookDelivery


@dataclass
class UserRecord:
    handle: UserHandle
    opened: bool = False  # the user has written to the bot, so the bot may write to them
    blocked: bool = False


@dataclass
class GroupRecord:
    handle: GroupHandle
    members: set[int] = field(default_factory=set)
    bot_is_admin: bool = False


@dataclass
class ChatLog:
    messages: dict[int, ChatMessage] = field(default_factory=dict)
    next_message_id: int = 1


def now() -> int:
    """Bot API dates are unix seconds."""
    return int(time.time())


class EmulatorState:
    """Everything the Bot API emulator knows, plus the helpers that turn it into Bot API JSON."""

    def __init__(self, bot: BotIdentity, *, privacy_mode: bool) -> None:
        self.bot = bot
        self.privacy_mode = privacy_mode
        self.signal = ChangeSignal()
        self.updates = UpdateQueue(self.signal, first_update_id=10_000)
        self.users: dict[int, UserRecord] = {}
        self.groups: dict[int, GroupRecord] = {}
        self.chats: dict[int, ChatLog] = {}
        self.files: dict[str, StoredFile] = {}
        self.files_by_path: dict[str, StoredFile] = {}
        self.callback_queries: dict[str, CallbackQueryRecord] = {}
        self.answered_callbacks: list[AnsweredCallback] = []
        self.commands: dict[tuple[str, str], list[JSONDict]] = {}
        self.calls: list[ApiCall] = []
        # update_id -> index in ``calls`` of the first call made after the update was handed to the bot
        self.delivered_at: dict[int, int] = {}
        self.failures: dict[str, deque[ApiError]] = {}
        self.flood = FloodLimits()
        self.internal_errors: list[BaseException] = []
        self.webhook = WebhookDelivery(self.updates, self.delivered_at, lambda: len(self.calls))

    # -- calls and injected failures -------------------------------------------------------------

    def record_call(self, method: str, params: dict[str, object]) -> None:
        self.calls.append(ApiCall(method, params))
        self.signal.notify()

    def take_failure(self, method: str) -> ApiError | None:
        queue = self.failures.get(method)
        if not queue:
            return None
        return queue.popleft()

    # -- chats -----------------------------------------------------------------------------------

    def chat_api(self, chat_id: int) -> JSONDict:
        """The Bot API ``Chat`` object of a known chat."""
        if chat_id in self.users:
            user = self.users[chat_id].handle
            chat: JSONDict = {"id": user.user_id, "type": "private", "first_name": user.first_name}
            if user.last_name is not None:
                chat["last_name"] = user.last_name
            if user.username is not None:
                chat["username"] = user.username
            return chat
        return self.groups[chat_id].handle.to_api()

    def known_chat(self, chat_id: int | None) -> int:
        """A chat the bot knows about, else Telegram's 400."""
        if chat_id is None:
            raise bad_request("Bad Request: chat_id is empty")
        if chat_id in self.groups or (chat_id in self.users and self.users[chat_id].opened):
            return chat_id
        raise bad_request(CHAT_NOT_FOUND)

    def writable_chat(self, chat_id: int | None) -> int:
        """A chat the bot may post to: a private chat must have been opened by the user and not blocked."""
        if chat_id is not None and chat_id in self.users:
            record = self.users[chat_id]
            if record.blocked:
                raise ApiError(403, BOT_BLOCKED)
            if not record.opened:
                raise ApiError(403, CANT_INITIATE)
        return self.known_chat(chat_id)

    def log(self, chat_id: int) -> ChatLog:
        return self.chats.setdefault(chat_id, ChatLog())

    def find_message(self, chat_id: int, message_id: int | None) -> ChatMessage | None:
        """A visible message, or None when it never existed or was deleted."""
        if message_id is None:
            return None
        message = self.log(chat_id).messages.get(message_id)
        return message if message is not None and not message.deleted else None

    def new_message(self, chat_id: int, sender: UserHandle | BotIdentity, **fields: object) -> ChatMessage:
        """Append a message to a chat; ids increase per chat like Telegram's."""
        chat_log = self.log(chat_id)
        message = ChatMessage(
            chat_id=chat_id,
            message_id=chat_log.next_message_id,
            sender=sender,
            date=now(),
            **fields,  # type: ignore[arg-type]  # keyword fields of ChatMessage, checked by the callers
        )
        chat_log.next_message_id += 1
        chat_log.messages[message.message_id] = message
        self.signal.notify()
        return message

    # -- files -----------------------------------------------------------------------------------

    def store_file(self, content: bytes, file_name: str | None, mime_type: str | None) -> StoredFile:
        """Keep uploaded bytes under a fresh file_id, like Telegram's file storage."""
        if mime_type is None and file_name:
            mime_type = mimetypes.guess_type(file_name, strict=False)[0]
        suffix = file_name.rsplit(".", 1)[-1] if file_name and "." in file_name else ""
        number = len(self.files)
        stored = StoredFile(
            # Shaped like real document ids ("BQACAgIAAxkB…", "AgAD…"); the content is random.
            file_id="BQACAgIAAxkBAAI" + secrets.token_urlsafe(48)[:56],
            file_unique_id="AgAD" + secrets.token_urlsafe(9)[:12],
            file_name=file_name,
            mime_type=mime_type,
            file_path=f"documents/file_{number}" + (f".{suffix}" if suffix else ""),
            content=content,
        )
        self.files[stored.file_id] = stored
        self.files_by_path[stored.file_path] = stored
        return stored

    # -- Bot API JSON ----------------------------------------------------------------------------

    def message_api(self, message: ChatMessage, *, with_reply: bool = True) -> JSONDict:
        """The Bot API ``Message`` object as the chat shows it now."""
        data: JSONDict = {
            "message_id": message.message_id,
            "from": message.sender.to_api(),
            "chat": self.chat_api(message.chat_id),
            "date": message.date,
        }
        if message.edit_date is not None:
            data["edit_date"] = message.edit_date
        if message.forward_origin is not None:
            data["forward_origin"] = message.forward_origin
        if with_reply and message.reply_to_message_id is not None:
            replied = self.log(message.chat_id).messages.get(message.reply_to_message_id)
            if replied is not None and not replied.deleted:
                # Telegram nests the replied-to message one level deep only.
                data["reply_to_message"] = self.message_api(replied, with_reply=False)
        if message.text is not None:
            data["text"] = message.text
            if message.entities:
                data["entities"] = message.entities
        if message.document is not None:
            data["document"] = message.document.document_api()
        if message.caption:
            data["caption"] = message.caption
            if message.caption_entities:
                data["caption_entities"] = message.caption_entities
        if message.reply_markup is not None:
            data["reply_markup"] = message.reply_markup
        return data

    def chat_full_info_api(self, chat_id: int) -> JSONDict:
        """``getChat``'s ``ChatFullInfo``: the chat plus the fields Telegram always sends."""
        info = self.chat_api(chat_id)
        info.update(
            accent_color_id=0,
            max_reaction_count=11,
            accepted_gift_types={
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        )
        return info
