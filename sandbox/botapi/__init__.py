"""A local Telegram Bot API server for tests and the sandbox: the real python-telegram-bot runs against it.

See :class:`BotApiEmulator`.
"""

from sandbox.botapi.emulator import BotApiEmulator, generate_token
from sandbox.botapi.errors import ApiError
from sandbox.botapi.models import (
    AnsweredCallback,
    ApiCall,
    BotIdentity,
    ChatMessage,
    GroupHandle,
    InlineButton,
    MessageVersion,
    StoredFile,
    UserHandle,
)

__all__ = [
    "AnsweredCallback",
    "ApiCall",
    "ApiError",
    "BotApiEmulator",
    "BotIdentity",
    "ChatMessage",
    "GroupHandle",
    "InlineButton",
    "MessageVersion",
    "StoredFile",
    "UserHandle",
    "generate_token",
]
