"""The Bot API methods the emulator implements, by Telegram's spelling.

Anything not listed answers 404 "Not Found" (as Telegram does for an unknown method), so a method the bot
starts using shows up as a failing test instead of passing silently.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sandbox.botapi import methods_bot, methods_messages
from sandbox.botapi.params import Params
from sandbox.botapi.state import EmulatorState

MethodHandler = Callable[[EmulatorState, Params], Awaitable[object]]

METHODS: dict[str, MethodHandler] = {
    "getMe": methods_bot.get_me,
    "getUpdates": methods_bot.get_updates,
    "deleteWebhook": methods_bot.delete_webhook,
    "setWebhook": methods_bot.set_webhook,
    "getWebhookInfo": methods_bot.get_webhook_info,
    "setMyCommands": methods_bot.set_my_commands,
    "getMyCommands": methods_bot.get_my_commands,
    "deleteMyCommands": methods_bot.delete_my_commands,
    "getChat": methods_bot.get_chat,
    "close": methods_bot.close,
    "logOut": methods_bot.log_out,
    "sendMessage": methods_messages.send_message,
    "editMessageText": methods_messages.edit_message_text,
    "editMessageReplyMarkup": methods_messages.edit_message_reply_markup,
    "deleteMessage": methods_messages.delete_message,
    "deleteMessages": methods_messages.delete_messages,
    "answerCallbackQuery": methods_messages.answer_callback_query,
    "sendDocument": methods_messages.send_document,
    "getFile": methods_messages.get_file,
    "sendChatAction": methods_messages.send_chat_action,
}

# Telegram matches method names case-insensitively ("sendmessage" works); calls are logged by canonical name.
CANONICAL_NAMES: dict[str, str] = {name.lower(): name for name in METHODS}


def canonical_name(method: str) -> str | None:
    """Telegram's spelling of ``method``, or None if the emulator does not implement it."""
    return CANONICAL_NAMES.get(method.lower())
