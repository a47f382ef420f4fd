"""Bot API methods that create, change or remove messages and files."""

from __future__ import annotations

from http import HTTPStatus

from sandbox.botapi.errors import (
    FILE_TOO_BIG,
    INVALID_FILE_ID,
    MESSAGE_CANT_BE_DELETED,
    MESSAGE_CANT_BE_EDITED,
    MESSAGE_TO_DELETE_NOT_FOUND,
    MESSAGE_TO_EDIT_NOT_FOUND,
    NO_TEXT_TO_EDIT,
    NOT_MODIFIED,
    QUERY_TOO_OLD,
    ApiError,
    bad_request,
)
from sandbox.botapi.models import AnsweredCallback, ChatMessage, MessageVersion, StoredFile
from sandbox.botapi.params import Params, UploadedFile
from sandbox.botapi.state import EmulatorState, now
from sandbox.botapi.validation import caption_text, message_text, reply_markup, reply_target

MAX_UPLOAD_BYTES = 50 * 1024 * 1024
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024
CHAT_ACTIONS = frozenset(
    {
        "typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
        "upload_document", "choose_sticker", "find_location", "record_video_note", "upload_video_note",
    }
)  # fmt: skip


async def send_message(state: EmulatorState, params: Params) -> object:
    chat_id = state.writable_chat(params.chat_id())
    formatted = message_text(params)
    inline, other = reply_markup(params)
    message = state.new_message(
        chat_id,
        state.bot,
        text=formatted.text,
        entities=formatted.entities,
        reply_markup=inline,
        chat_markup=other,
        reply_to_message_id=reply_target(state, chat_id, params),
        source_text=params.text("text"),
        parse_mode=params.text("parse_mode"),
    )
    return state.message_api(message)


def _message_to_edit(state: EmulatorState, params: Params) -> ChatMessage:
    if params.has("inline_message_id"):
        raise bad_request("Bad Request: inline messages are not supported by the Bot API emulator")
    chat_id = state.known_chat(params.chat_id())
    message = state.find_message(chat_id, params.integer("message_id"))
    if message is None:
        raise bad_request(MESSAGE_TO_EDIT_NOT_FOUND)
    if not message.from_bot:
        raise bad_request(MESSAGE_CANT_BE_EDITED)
    return message


def _remember_version(message: ChatMessage) -> None:
    edit_time = now()
    message.history.append(
        MessageVersion(
            text=message.text,
            entities=message.entities,
            caption=message.caption,
            reply_markup=message.reply_markup,
            replaced_at=edit_time,
        )
    )
    message.edit_date = edit_time


async def edit_message_text(state: EmulatorState, params: Params) -> object:
    message = _message_to_edit(state, params)
    if message.text is None:
        raise bad_request(NO_TEXT_TO_EDIT)
    formatted = message_text(params)
    # Omitting reply_markup removes the inline keyboard, as on Telegram.
    inline, _ = reply_markup(params)
    if (formatted.text, formatted.entities, inline) == (message.text, message.entities, message.reply_markup):
        raise bad_request(NOT_MODIFIED)
    _remember_version(message)
    message.text, message.entities, message.reply_markup = formatted.text, formatted.entities, inline
    message.source_text, message.parse_mode = params.text("text"), params.text("parse_mode")
    state.signal.notify()
    return state.message_api(message)


async def edit_message_reply_markup(state: EmulatorState, params: Params) -> object:
    message = _message_to_edit(state, params)
    inline, _ = reply_markup(params)
    if inline == message.reply_markup:
        raise bad_request(NOT_MODIFIED)
    _remember_version(message)
    message.reply_markup = inline
    state.signal.notify()
    return state.message_api(message)


def _delete(state: EmulatorState, chat_id: int, message_id: int | None) -> None:
    message = state.find_message(chat_id, message_id)
    if message is None:
        raise bad_request(MESSAGE_TO_DELETE_NOT_FOUND)
    group = state.groups.get(chat_id)
    # In groups a bot deletes other people's messages only as an admin; in private chats it always may.
    if not message.from_bot and group is not None and not group.bot_is_admin:
        raise bad_request(MESSAGE_CANT_BE_DELETED)
    message.deleted = True
    state.signal.notify()


async def delete_message(state: EmulatorState, params: Params) -> object:
    _delete(state, state.known_chat(params.chat_id()), params.integer("message_id"))
    return True


async def delete_messages(state: EmulatorState, params: Params) -> object:
    chat_id = state.known_chat(params.chat_id())
    message_ids = params.json_list("message_ids") or []
    if not 1 <= len(message_ids) <= 100:
        raise bad_request("Bad Request: message_ids must contain 1-100 message identifiers")
    for message_id in message_ids:
        # The Bot API skips the messages it cannot find or delete.
        if isinstance(message_id, int):
            try:
                _delete(state, chat_id, message_id)
            except ApiError:
                continue
    return True


async def answer_callback_query(state: EmulatorState, params: Params) -> object:
    query = state.callback_queries.get(params.text("callback_query_id") or "")
    if query is None or query.answered:
        raise bad_request(QUERY_TOO_OLD)
    query.answered = True
    state.answered_callbacks.append(
        AnsweredCallback(
            callback_query_id=query.callback_query_id,
            text=params.text("text"),
            show_alert=params.boolean("show_alert"),
            url=params.text("url"),
            cache_time=params.integer("cache_time") or 0,
            user_id=query.user_id,
            chat_id=query.chat_id,
            message_id=query.message_id,
            data=query.data,
        )
    )
    state.signal.notify()
    return True


def _document(state: EmulatorState, value: UploadedFile | str | None) -> StoredFile:
    if value is None or value == "":
        raise bad_request("Bad Request: there is no document in the request")
    if isinstance(value, UploadedFile):
        if not value.content:
            raise bad_request("Bad Request: file must be non-empty")
        if len(value.content) > MAX_UPLOAD_BYTES:
            raise ApiError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "Request Entity Too Large")
        return state.store_file(value.content, value.filename, value.content_type)
    if value.startswith(("http://", "https://")):
        raise bad_request("Bad Request: failed to get HTTP URL content")
    stored = state.files.get(value)
    if stored is None:
        raise bad_request("Bad Request: wrong file identifier/HTTP URL specified")
    return stored


async def send_document(state: EmulatorState, params: Params) -> object:
    chat_id = state.writable_chat(params.chat_id())
    document = _document(state, params.file("document"))
    caption = caption_text(params)
    inline, other = reply_markup(params)
    message = state.new_message(
        chat_id,
        state.bot,
        document=document,
        caption=caption.text if caption else None,
        caption_entities=caption.entities if caption else [],
        reply_markup=inline,
        chat_markup=other,
        reply_to_message_id=reply_target(state, chat_id, params),
        source_text=params.text("caption"),
        parse_mode=params.text("parse_mode"),
    )
    return state.message_api(message)


async def get_file(state: EmulatorState, params: Params) -> object:
    stored = state.files.get(params.text("file_id") or "")
    if stored is None:
        raise bad_request(INVALID_FILE_ID)
    if stored.file_size > MAX_DOWNLOAD_BYTES:
        raise bad_request(FILE_TOO_BIG)
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": stored.file_size,
        "file_path": stored.file_path,
    }


async def send_chat_action(state: EmulatorState, params: Params) -> object:
    state.writable_chat(params.chat_id())
    if params.text("action") not in CHAT_ACTIONS:
        raise bad_request("Bad Request: wrong parameter action in request")
    return True
