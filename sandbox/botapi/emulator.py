"""``BotApiEmulator``: a local Telegram Bot API server plus the handles a test uses to play the users.

Example::

    emu = BotApiEmulator(bot_username="tallybot_test_bot")
    await emu.start()
    app = ApplicationBuilder().token(emu.token).base_url(emu.base_url).base_file_url(emu.base_file_url).build()
    ada = emu.add_user(user_id=1001, first_name="Ada", username="ada")
    hello = await emu.send_message(ada, "/start")
    reply = await emu.wait_for_bot_message(ada.chat_id, after_message_id=hello.message_id)
"""

from __future__ import annotations

import secrets
import string
from collections import deque
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Literal, Self

from aiohttp import web

from sandbox.botapi import actions
from sandbox.botapi.errors import ApiError, default_description
from sandbox.botapi.flood import FloodLimits
from sandbox.botapi.methods import canonical_name
from sandbox.botapi.methods_bot import commands_key
from sandbox.botapi.models import (
    AnsweredCallback,
    ApiCall,
    BotIdentity,
    ChatMessage,
    GroupHandle,
    StoredFile,
    UserHandle,
)
from sandbox.botapi.server import BotApiServer
from sandbox.botapi.state import EmulatorState, GroupRecord, UserRecord
from sandbox.botapi.types import JSONDict

ChatRef = int | UserHandle | GroupHandle
_TOKEN_ALPHABET = string.ascii_letters + string.digits + "_-"


def _chat_id(chat: ChatRef) -> int:
    return chat if isinstance(chat, int) else chat.chat_id


def generate_token() -> str:
    """A token shaped like BotFather's: ``<bot id>:<35 characters>``."""
    bot_id = 1_000_000_000 + secrets.randbelow(8_999_999_999)
    return f"{bot_id}:" + "".join(secrets.choice(_TOKEN_ALPHABET) for _ in range(35))


class BotApiEmulator:
    """A Telegram Bot API server on 127.0.0.1 that the real python-telegram-bot runs against unchanged.

    ``privacy_mode`` is Telegram's default for bots: in groups where the bot is not an admin it only receives
    commands and replies to its own messages.
    """

    def __init__(
        self,
        *,
        bot_username: str = "tallybot_test_bot",
        bot_first_name: str = "Tallybot",
        token: str | None = None,
        privacy_mode: bool = True,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.token = token or generate_token()
        bot = BotIdentity(int(self.token.split(":", 1)[0]), bot_first_name, bot_username)
        self._state = EmulatorState(bot, privacy_mode=privacy_mode)
        self._host, self._port = host, port
        self._runner: web.AppRunner | None = None
        self._url: str | None = None

    # -- lifecycle -------------------------------------------------------------------------------

    async def start(self) -> None:
        """Listen on ``host`` (a free port when ``port`` is 0)."""
        self._state.updates.closing = False
        app = BotApiServer(self._state, self.token).build_app()
        # handler_cancellation: a client that gives up a long poll must not keep shutdown waiting.
        # access_log=None: request paths carry the bot token.
        self._runner = web.AppRunner(app, handler_cancellation=True, access_log=None, shutdown_timeout=2.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._host, self._port)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self._url = f"http://{host}:{port}"

    async def stop(self) -> None:
        """Answer waiting long polls and shut the server down."""
        self._state.updates.close()
        await self._state.webhook.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        if self._url is None:
            raise RuntimeError("BotApiEmulator.start() has not been awaited")
        return self._url

    @property
    def base_url(self) -> str:
        """For ``ApplicationBuilder.base_url`` / ``TELEGRAM_API_BASE_URL`` (PTB appends the token)."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        """For ``ApplicationBuilder.base_file_url`` (PTB appends the token)."""
        return f"{self.url}/file/bot"

    @property
    def bot(self) -> BotIdentity:
        return self._state.bot

    # -- the world -------------------------------------------------------------------------------

    def add_user(
        self,
        user_id: int,
        first_name: str,
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "en",
        started: bool = False,
    ) -> UserHandle:
        """A Telegram user. ``started``: they already opened the private chat, so the bot may write first."""
        if user_id <= 0 or user_id in self._state.users:
            raise ValueError(f"user id {user_id} must be positive and unused")
        handle = UserHandle(user_id, first_name, last_name, username, language_code)
        self._state.users[user_id] = UserRecord(handle, opened=started)
        return handle

    def add_group(
        self,
        chat_id: int,
        title: str,
        *,
        members: Iterable[UserHandle] = (),
        type: Literal["group", "supergroup"] = "supergroup",  # Telegram's field name
        bot_is_admin: bool = False,
    ) -> GroupHandle:
        """A group the bot is in. Only an admin bot may delete other members' messages (and, in privacy
        mode, only an admin bot receives every message)."""
        if chat_id >= 0 or chat_id in self._state.groups:
            raise ValueError(f"group chat id {chat_id} must be negative and unused")
        handle = GroupHandle(chat_id, title, type)
        self._state.groups[chat_id] = GroupRecord(handle, {user.user_id for user in members}, bot_is_admin)
        return handle

    def block_bot(self, user: UserHandle, *, blocked: bool = True) -> None:
        """The user blocks the bot: sends now fail with 403 "Forbidden: bot was blocked by the user"."""
        self._state.users[user.user_id].blocked = blocked

    # -- what users do ---------------------------------------------------------------------------

    async def send_message(
        self,
        user: UserHandle,
        text: str,
        *,
        chat: GroupHandle | None = None,
        reply_to: ChatMessage | None = None,
        entities: list[JSONDict] | None = None,
    ) -> ChatMessage:
        """``user`` sends ``text`` to the bot (private chat) or to ``chat``; "/cmd" gets a bot_command entity."""
        return actions.user_message(self._state, user, text, chat=chat, reply_to=reply_to, entities=entities)

    async def edit_user_message(self, message: ChatMessage, text: str) -> ChatMessage:
        """The author edits ``message``; the bot receives an ``edited_message`` update."""
        return actions.edit_user_message(self._state, message, text)

    async def forward_message(
        self, user: UserHandle, text: str, *, from_user: actions.ForwardSource, chat: GroupHandle | None = None
    ) -> ChatMessage:
        """``user`` forwards a text written by ``from_user`` (a user, a hidden user's name, or an origin)."""
        origin = actions.forward_origin(from_user)
        return actions.user_message(self._state, user, text, chat=chat, forward_origin=origin)

    async def press_button(self, user: UserHandle, bot_message: ChatMessage, button: str) -> str:
        """``user`` taps the inline button labelled (or with callback_data) ``button``; returns the query id."""
        return actions.press_button(self._state, user, bot_message, button)

    async def send_document(
        self,
        user: UserHandle,
        *,
        filename: str,
        content: bytes,
        mime_type: str | None = None,
        caption: str | None = None,
        chat: GroupHandle | None = None,
    ) -> ChatMessage:
        """``user`` sends a file; the bot can fetch it with getFile and the file URL."""
        return actions.user_document(
            self._state, user, filename=filename, content=content, mime_type=mime_type, caption=caption, chat=chat
        )

    # -- failure injection -----------------------------------------------------------------------

    def fail(
        self,
        method: str,
        *,
        error_code: int = 400,
        description: str | None = None,
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        """Make the next ``times`` calls of ``method`` fail with this error instead of running.

        A 429 gets ``parameters.retry_after`` (default 1) and "Too Many Requests: retry after N" unless a
        description is given; 5xx codes surface in PTB as ``NetworkError``.
        """
        name = canonical_name(method)
        if name is None:
            raise ValueError(f"the emulator does not implement {method!r}")
        if error_code == 429 and retry_after is None:
            retry_after = 1
        text = description or default_description(error_code, retry_after)
        queue = self._state.failures.setdefault(name, deque())
        queue.extend(ApiError(error_code, text, retry_after=retry_after) for _ in range(times))

    def enforce_flood_limits(self, enforced: bool = True) -> None:
        """Answer 429 with ``retry_after`` to messages over Telegram's documented limits (sandbox/botapi/flood.py)."""
        self._state.flood.enforced = enforced

    @property
    def flood(self) -> FloodLimits:
        """The messages accepted (when, to which chat) and the 429s answered while the limits were enforced."""
        return self._state.flood

    # -- what the test observes ------------------------------------------------------------------

    def messages(self, chat: ChatRef) -> list[ChatMessage]:
        """The whole chat log in order, deleted messages included (``deleted=True``)."""
        return list(self._state.log(_chat_id(chat)).messages.values())

    def bot_messages(self, chat: ChatRef) -> list[ChatMessage]:
        """The bot's messages the chat still shows."""
        return [message for message in self.messages(chat) if message.from_bot and not message.deleted]

    def message(self, chat: ChatRef, message_id: int) -> ChatMessage:
        """One message of a chat log (deleted or not)."""
        return self._state.log(_chat_id(chat)).messages[message_id]

    async def wait_for_bot_message(
        self,
        chat: ChatRef,
        *,
        after_message_id: int | None = None,
        predicate: Callable[[ChatMessage], bool] | None = None,
        timeout: float = 10.0,  # noqa: ASYNC109  # the test-facing API reads best with a plain timeout
    ) -> ChatMessage:
        """The first visible bot message in ``chat`` newer than ``after_message_id`` that fits ``predicate``.

        Without ``after_message_id`` a bot message already in the chat counts. Raises ``TimeoutError``
        listing the chat log.
        """
        chat_id = _chat_id(chat)

        def find() -> ChatMessage | None:
            for message in self.bot_messages(chat_id):
                if after_message_id is not None and message.message_id <= after_message_id:
                    continue
                if predicate is None or predicate(message):
                    return message
            return None

        if not await self._state.signal.wait_for(lambda: find() is not None, timeout):
            log = [(m.message_id, m.sender.first_name, m.text or m.caption, m.deleted) for m in self.messages(chat_id)]
            raise TimeoutError(f"no matching bot message in chat {chat_id} after {timeout}s; chat log: {log}")
        found = find()
        assert found is not None  # noqa: S101  # wait_for returned True on this very predicate
        return found

    async def wait_until(
        self,
        predicate: Callable[[], object],
        timeout: float = 10.0,  # noqa: ASYNC109  # the test-facing API reads best with a plain timeout
        *,
        recheck_every: float | None = None,
    ) -> None:
        """Wait until ``predicate()`` is truthy; it is re-checked on every emulator change (every API call).

        For a condition outside the emulator (a database row), pass ``recheck_every`` seconds as well.
        """
        if not await self._state.signal.wait_for(predicate, timeout, recheck_every=recheck_every):
            raise TimeoutError(f"condition not met after {timeout}s")

    @property
    def calls(self) -> list[ApiCall]:
        """Every Bot API request received, in order, as ``(method, params)``."""
        return list(self._state.calls)

    def calls_to(self, method: str) -> list[dict[str, object]]:
        """The params of every call of one method."""
        name = canonical_name(method) or method
        return [call.params for call in self._state.calls if call.method == name]

    def calls_after_update(self, update: ChatMessage | int) -> list[ApiCall]:
        """The calls the bot made after the update (or the update of this user message) was handed to it,
        getUpdates excluded — e.g. to check that ``deleteMessage`` came first."""
        update_id = update.update_id if isinstance(update, ChatMessage) else update
        if update_id is None or update_id not in self._state.delivered_at:
            raise ValueError(f"update {update_id} has not been delivered to the bot")
        start = self._state.delivered_at[update_id]
        return [call for call in self._state.calls[start:] if call.method != "getUpdates"]

    @property
    def answered_callbacks(self) -> list[AnsweredCallback]:
        """Every answerCallbackQuery, in order."""
        return list(self._state.answered_callbacks)

    def callback_answer(self, callback_query_id: str) -> AnsweredCallback | None:
        """The answer to one button press, if the bot answered it."""
        return next((a for a in self._state.answered_callbacks if a.callback_query_id == callback_query_id), None)

    def file(self, file_id: str) -> StoredFile:
        """A stored file (sent by a user or by the bot) with its bytes."""
        return self._state.files[file_id]

    def commands(self, scope: JSONDict | None = None, language_code: str = "") -> list[JSONDict]:
        """The command list set with setMyCommands for a scope (default scope when None)."""
        return list(self._state.commands.get(commands_key(scope, language_code), []))

    @property
    def webhook_deliveries(self) -> list[tuple[int, int | None]]:
        """Every webhook request made, in order: (update_id, the HTTP status answered, None if none came)."""
        return list(self._state.webhook.deliveries)

    @property
    def pending_updates(self) -> list[JSONDict]:
        """Updates the bot has not confirmed yet."""
        return [update.to_api() for update in self._state.updates.pending]

    @property
    def internal_errors(self) -> list[BaseException]:
        """Exceptions raised inside the emulator's handlers (emulator bugs; answered as 500)."""
        return list(self._state.internal_errors)
