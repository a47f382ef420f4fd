"""What users do in Telegram clients, turned into stored messages and updates for the bot.

Delivery follows Telegram's privacy mode: in a group, a bot that is not an admin only receives commands meant
for it and replies to its own messages — so a test where someone pastes a key into a group sees exactly what the
real bot would (nothing, unless the bot is an admin or privacy mode is off).
"""

from __future__ import annotations

import secrets
from typing import TypeAlias

from sandbox.botapi.formatting import format_text
from sandbox.botapi.models import (
    CallbackQueryRecord,
    ChatMessage,
    GroupHandle,
    MessageVersion,
    UserHandle,
)
from sandbox.botapi.state import EmulatorState, now
from sandbox.botapi.types import JSONDict

# Who a forwarded message comes from: a user, a hidden user's name, or any MessageOrigin object.
ForwardSource: TypeAlias = UserHandle | str | JSONDict


def enter_chat(state: EmulatorState, user: UserHandle, chat: GroupHandle | None) -> int:
    """The chat ``user`` writes in; writing to the bot in private opens (and unblocks) that chat."""
    record = state.users.get(user.user_id)
    if record is None or record.handle != user:
        raise ValueError(f"user {user.user_id} was not added with add_user()")
    if chat is None:
        record.opened, record.blocked = True, False
        return user.user_id
    group = state.groups.get(chat.chat_id)
    if group is None:
        raise ValueError(f"group {chat.chat_id} was not added with add_group()")
    if user.user_id not in group.members:
        raise ValueError(f"user {user.user_id} is not a member of group {chat.chat_id}")
    return chat.chat_id


def bot_receives(state: EmulatorState, message: ChatMessage) -> bool:
    """Whether Telegram hands this user message to the bot (privacy mode rules for groups)."""
    group = state.groups.get(message.chat_id)
    if group is None or not state.privacy_mode or group.bot_is_admin:
        return True
    if message.reply_to_message_id is not None:
        replied = state.log(message.chat_id).messages.get(message.reply_to_message_id)
        if replied is not None and replied.from_bot:
            return True
    text = message.text if message.text is not None else message.caption or ""
    entities = message.entities if message.text is not None else message.caption_entities
    first = entities[0] if entities else None
    if first is None or first["type"] != "bot_command" or first["offset"] != 0:
        return False
    command = text[: first["length"]]
    return "@" not in command or command.split("@", 1)[1].lower() == state.bot.username.lower()


def deliver(state: EmulatorState, message: ChatMessage, kind: str = "message") -> None:
    """Queue the update for a user's message if the bot would receive it."""
    if bot_receives(state, message):
        message.update_id = state.updates.push(kind, state.message_api(message))


def user_message(
    state: EmulatorState,
    user: UserHandle,
    text: str,
    *,
    chat: GroupHandle | None = None,
    reply_to: ChatMessage | None = None,
    entities: list[JSONDict] | None = None,
    forward_origin: JSONDict | None = None,
) -> ChatMessage:
    """A text message typed (or forwarded) by ``user``."""
    chat_id = enter_chat(state, user, chat)
    if reply_to is not None and reply_to.chat_id != chat_id:
        raise ValueError(f"message {reply_to.message_id} is in chat {reply_to.chat_id}, not in chat {chat_id}")
    formatted = format_text(text, None, list(entities) if entities is not None else None)
    if not formatted.text:
        raise ValueError("Telegram clients do not send empty messages")
    message = state.new_message(
        chat_id,
        user,
        text=formatted.text,
        entities=formatted.entities,
        reply_to_message_id=reply_to.message_id if reply_to is not None else None,
        forward_origin=forward_origin,
        source_text=text,
    )
    deliver(state, message)
    return message


def forward_origin(source: ForwardSource) -> JSONDict:
    """The ``forward_origin`` Telegram attaches to a forwarded message."""
    if isinstance(source, UserHandle):
        return {"type": "user", "date": now(), "sender_user": source.to_api()}
    if isinstance(source, str):
        return {"type": "hidden_user", "date": now(), "sender_user_name": source}
    return dict(source)


def edit_user_message(state: EmulatorState, message: ChatMessage, text: str) -> ChatMessage:
    """The user edits their own message: the chat shows the new text, the bot gets ``edited_message``."""
    if message.from_bot:
        raise ValueError("users can only edit their own messages; the bot edits through the Bot API")
    if message.deleted:
        raise ValueError(f"message {message.message_id} was deleted")
    formatted = format_text(text, None, None)
    if (formatted.text, formatted.entities) == (message.text, message.entities):
        raise ValueError("the new text is the same as the current one; a Telegram client sends no edit")
    edit_time = now()
    message.history.append(
        MessageVersion(message.text, message.entities, message.caption, message.reply_markup, edit_time)
    )
    message.text, message.entities, message.source_text = formatted.text, formatted.entities, text
    message.edit_date = edit_time
    state.signal.notify()
    deliver(state, message, kind="edited_message")
    return message


def press_button(state: EmulatorState, user: UserHandle, message: ChatMessage, label_or_data: str) -> str:
    """The user taps an inline callback button of a bot message; returns the callback query id."""
    group = state.groups.get(message.chat_id)
    chat_id = enter_chat(state, user, group.handle if group is not None else None)
    current = state.find_message(message.chat_id, message.message_id)
    if current is None or chat_id != message.chat_id:
        raise ValueError(f"user {user.user_id} cannot see message {message.message_id} in chat {message.chat_id}")
    button = current.find_button(label_or_data)
    if button is None:
        labels = [(b.text, b.callback_data) for b in current.buttons]
        raise LookupError(f"message {current.message_id} has no button {label_or_data!r}; buttons: {labels}")
    if button.callback_data is None:
        raise ValueError(f"button {button.text!r} is not a callback button: {button.raw}")
    # Telegram's callback query ids are large decimal numbers in a string.
    query_id = str(secrets.randbits(62))
    state.callback_queries[query_id] = CallbackQueryRecord(
        query_id, user.user_id, current.chat_id, current.message_id, button.callback_data
    )
    state.updates.push(
        "callback_query",
        {
            "id": query_id,
            "from": user.to_api(),
            "message": state.message_api(current),
            "chat_instance": str(abs(hash((state.bot.user_id, current.chat_id)))),
            "data": button.callback_data,
        },
    )
    return query_id


def user_document(
    state: EmulatorState,
    user: UserHandle,
    *,
    filename: str,
    content: bytes,
    mime_type: str | None = None,
    caption: str | None = None,
    chat: GroupHandle | None = None,
) -> ChatMessage:
    """The user sends a file as a document."""
    chat_id = enter_chat(state, user, chat)
    stored = state.store_file(content, filename, mime_type)
    formatted = format_text(caption, None, None) if caption else None
    message = state.new_message(
        chat_id,
        user,
        document=stored,
        caption=formatted.text if formatted else None,
        caption_entities=formatted.entities if formatted else [],
    )
    deliver(state, message)
    return message
