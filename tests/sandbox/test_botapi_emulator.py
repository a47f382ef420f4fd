"""The Bot API emulator, driven by the real python-telegram-bot over HTTP on 127.0.0.1.

Each test is a small story: a user does something in Telegram, the real PTB bot reacts, the test looks at what
the chat shows and at the Bot API calls the bot made.
"""

from __future__ import annotations

import asyncio
import datetime as dtm
import io
from collections.abc import AsyncIterator
from typing import Any, TypeAlias

import httpx
import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message, MessageOriginUser, Update
from telegram.error import BadRequest, Conflict, Forbidden, InvalidToken, NetworkError, RetryAfter
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from sandbox.botapi import BotApiEmulator, ChatMessage
from sandbox.botapi.errors import ApiError
from sandbox.botapi.formatting import format_text

App: TypeAlias = Application[Any, Any, Any, Any, Any, Any]


@pytest.fixture
async def emu() -> AsyncIterator[BotApiEmulator]:
    async with BotApiEmulator(bot_username="tallybot_test_bot") as emulator:
        yield emulator
    assert not emulator.internal_errors
    # A clean shutdown (bot first, then the server) leaves no task behind, the abandoned long poll included.
    leftovers = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
    assert not leftovers


@pytest.fixture
async def bot(emu: BotApiEmulator) -> AsyncIterator[Bot]:
    async with Bot(emu.token, base_url=emu.base_url, base_file_url=emu.base_file_url) as telegram_bot:
        yield telegram_bot


# -- a tiny bot with one handler per kind of update ---------------------------------------------


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Binance", callback_data="pick:binance")]])
    await update.effective_message.reply_text("Welcome! Pick an exchange:", reply_markup=keyboard)


async def picked(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None and query.data is not None
    await query.answer("Noted")
    await query.edit_message_text(f"You picked <b>{query.data.removeprefix('pick:')}</b>", parse_mode="HTML")


async def pasted_key(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    assert message is not None
    await message.delete()  # before anything else: the text is a secret
    await context.bot.send_message(message.chat_id, "I deleted your key from the chat.")


async def edited(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.edited_message is not None
    await update.edited_message.reply_text(f"Edited to: {update.edited_message.text}")


async def uploaded(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    assert message is not None and message.document is not None
    telegram_file = await message.document.get_file()
    buffer = io.BytesIO()
    await telegram_file.download_to_memory(buffer)
    await message.reply_document(buffer.getvalue()[::-1], filename="reversed.csv")


@pytest.fixture
async def app(emu: BotApiEmulator) -> AsyncIterator[App]:
    application = ApplicationBuilder().token(emu.token).base_url(emu.base_url).base_file_url(emu.base_file_url).build()
    application.add_handler(CommandHandler("start", start))
    application.add_handler(CallbackQueryHandler(picked, pattern=r"^pick:"))
    application.add_handler(MessageHandler(filters.UpdateType.EDITED_MESSAGE, edited))
    application.add_handler(MessageHandler(filters.Regex(r"^key:"), pasted_key))
    application.add_handler(MessageHandler(filters.Document.ALL, uploaded))
    async with application:
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling()  # the default 10 s long poll, as in production
        yield application
        await application.updater.stop()
        await application.stop()


# -- the real Application against the emulator --------------------------------------------------


async def test_start_command_is_answered_with_an_inline_keyboard(emu: BotApiEmulator, app: App) -> None:
    ada = emu.add_user(user_id=1001, first_name="Ada", username="ada")

    hello = await emu.send_message(ada, "/start")
    reply = await emu.wait_for_bot_message(ada.chat_id, after_message_id=hello.message_id)

    assert hello.entities == [{"type": "bot_command", "offset": 0, "length": 6}]
    assert reply.text == "Welcome! Pick an exchange:"
    assert [(b.text, b.callback_data) for b in reply.buttons] == [("Binance", "pick:binance")]
    assert reply.message_id == hello.message_id + 1
    assert [call.method for call in emu.calls][:3] == ["getMe", "deleteWebhook", "getUpdates"]


async def test_pressing_a_button_reaches_the_callback_handler(emu: BotApiEmulator, app: App) -> None:
    ada = emu.add_user(user_id=1001, first_name="Ada")
    await emu.send_message(ada, "/start")
    menu = await emu.wait_for_bot_message(ada.chat_id)

    query_id = await emu.press_button(ada, menu, "Binance")
    await emu.wait_until(lambda: menu.edit_date is not None)

    answer = emu.callback_answer(query_id)
    assert answer is not None and answer.text == "Noted" and answer.data == "pick:binance"
    assert menu.text == "You picked binance"
    assert menu.entities == [{"type": "bold", "offset": 11, "length": 7}]
    assert menu.buttons == []  # editMessageText without reply_markup removes the keyboard, as on Telegram
    assert [version.text for version in menu.history] == ["Welcome! Pick an exchange:"]
    with pytest.raises(LookupError, match=r"no button 'Kraken'"):
        await emu.press_button(ada, menu, "Kraken")


async def test_a_pasted_key_is_deleted_before_anything_else(emu: BotApiEmulator, app: App) -> None:
    ada = emu.add_user(user_id=1001, first_name="Ada")

    paste = await emu.send_message(ada, "key: abc123")
    await emu.wait_for_bot_message(ada.chat_id, predicate=lambda m: "deleted" in (m.text or ""))

    assert paste.deleted
    assert emu.calls_after_update(paste)[0] == ("deleteMessage", {"chat_id": 1001, "message_id": paste.message_id})


async def test_an_edited_message_arrives_as_edited_message(emu: BotApiEmulator, app: App) -> None:
    ada = emu.add_user(user_id=1001, first_name="Ada")
    note = await emu.send_message(ada, "hello")

    await emu.edit_user_message(note, "hello again")
    reply = await emu.wait_for_bot_message(ada.chat_id)

    assert reply.text == "Edited to: hello again"
    assert note.text == "hello again" and [v.text for v in note.history] == ["hello"]
    assert emu.calls_after_update(note)[0].method == "sendMessage"  # update_id now names the edit


async def test_documents_travel_both_ways(emu: BotApiEmulator, app: App, bot: Bot) -> None:
    ada = emu.add_user(user_id=1001, first_name="Ada")

    upload = await emu.send_document(ada, filename="trades.csv", content=b"a,b\n1,2\n", mime_type="text/csv")
    reply = await emu.wait_for_bot_message(ada.chat_id, after_message_id=upload.message_id)

    assert reply.document is not None
    assert reply.document.content == b"a,b\n1,2\n"[::-1]
    assert reply.document.file_name == "reversed.csv" and reply.document.mime_type == "text/csv"
    telegram_file = await bot.get_file(reply.document.file_id)
    assert telegram_file.file_size == 8
    assert bytes(await telegram_file.download_as_bytearray()) == b"a,b\n1,2\n"[::-1]


# -- Bot API semantics, through a plain telegram.Bot --------------------------------------------


async def test_delete_then_delete_again_is_telegrams_400(emu: BotApiEmulator, bot: Bot) -> None:
    ada = emu.add_user(user_id=1001, first_name="Ada", started=True)
    sent = await bot.send_message(ada.chat_id, "temporary")

    assert await bot.delete_message(ada.chat_id, sent.message_id)
    assert emu.messages(ada)[0].deleted and emu.bot_messages(ada) == []
    with pytest.raises(BadRequest, match=r"^Message to delete not found$"):
        await bot.delete_message(ada.chat_id, sent.message_id)
    assert await bot.delete_messages(ada.chat_id, [sent.message_id, 99])  # skips what it cannot find


async def test_editing_to_the_same_content_is_not_modified(emu: BotApiEmulator, bot: Bot) -> None:
    ada = emu.add_user(user_id=1001, first_name="Ada", started=True)
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Sync", callback_data="sync")]])
    sent = await bot.send_message(ada.chat_id, "Status", reply_markup=keyboard)

    with pytest.raises(BadRequest, match=r"^Message is not modified: specified new message content"):
        await bot.edit_message_text("Status", ada.chat_id, sent.message_id, reply_markup=keyboard)
    with pytest.raises(BadRequest, match=r"^Message is not modified"):
        await bot.edit_message_reply_markup(ada.chat_id, sent.message_id, reply_markup=keyboard)
    edited = await bot.edit_message_text("Status", ada.chat_id, sent.message_id)  # drops the keyboard
    assert isinstance(edited, Message) and edited.reply_markup is None and edited.edit_date is not None
    with pytest.raises(BadRequest, match=r"^Message to edit not found$"):
        await bot.edit_message_text("x", ada.chat_id, 999)


async def test_injected_failures_surface_as_ptb_exceptions(
    emu: BotApiEmulator, bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "1")  # PTB 22 warns when RetryAfter.retry_after is read as int
    ada = emu.add_user(user_id=1001, first_name="Ada", started=True)
    sent = await bot.send_message(ada.chat_id, "hi")

    emu.fail("deletemessage", description="Bad Request: message can't be deleted")
    with pytest.raises(BadRequest, match=r"^Message can't be deleted$"):
        await bot.delete_message(ada.chat_id, sent.message_id)
    assert not emu.messages(ada)[0].deleted  # the failed call did not run

    emu.fail("sendMessage", error_code=429, retry_after=5)
    with pytest.raises(RetryAfter) as flood:
        await bot.send_message(ada.chat_id, "again")
    assert flood.value.retry_after == dtm.timedelta(seconds=5)

    emu.fail("sendMessage", error_code=502, times=2)
    for _ in range(2):
        with pytest.raises(NetworkError, match=r"Bad Gateway"):
            await bot.send_message(ada.chat_id, "again")
    assert (await bot.send_message(ada.chat_id, "finally")).text == "finally"


async def test_telegrams_limits_are_enforced(emu: BotApiEmulator, bot: Bot) -> None:
    ada = emu.add_user(user_id=1001, first_name="Ada", started=True)
    stranger = emu.add_user(user_id=1002, first_name="Bob")

    with pytest.raises(Forbidden, match=r"bot can't initiate conversation with a user"):
        await bot.send_message(stranger.chat_id, "hello?")
    with pytest.raises(BadRequest, match=r"^Message is too long$"):
        await bot.send_message(ada.chat_id, "x" * 4097)
    assert (await bot.send_message(ada.chat_id, "x" * 4096)).text == "x" * 4096
    with pytest.raises(BadRequest, match=r"^Message text is empty$"):
        await bot.send_message(ada.chat_id, "<b> </b>", parse_mode="HTML")
    too_long = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="d" * 65)]])
    with pytest.raises(BadRequest, match=r"(?i)^button_data_invalid$"):
        await bot.send_message(ada.chat_id, "menu", reply_markup=too_long)
    with pytest.raises(BadRequest, match=r'unsupported start tag "secret" at byte offset 4'):
        await bot.send_message(ada.chat_id, "use <secret> here", parse_mode="HTML")
    emu.block_bot(ada)
    with pytest.raises(Forbidden, match=r"bot was blocked by the user"):
        await bot.send_message(ada.chat_id, "still there?")
    with pytest.raises(BadRequest, match=r"^Chat not found$"):
        await bot.get_chat(-42)


async def test_long_poll_wakes_at_once_and_offset_confirms(emu: BotApiEmulator, bot: Bot) -> None:
    ada = emu.add_user(user_id=1001, first_name="Ada")
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await emu.wait_until(lambda: any(call.method == "getUpdates" for call in emu.calls))

    await emu.send_message(ada, "ping")
    updates = await asyncio.wait_for(poll, 1.0)

    assert [u.message.text for u in updates if u.message] == ["ping"]
    assert len(emu.pending_updates) == 1  # delivered but not yet confirmed
    assert await bot.get_updates(offset=updates[-1].update_id + 1, timeout=0) == ()
    assert emu.pending_updates == []


async def test_a_second_instance_terminates_the_first_poll_with_conflict(emu: BotApiEmulator, bot: Bot) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=5))
    await emu.wait_until(lambda: len(emu.calls_to("getUpdates")) == 1)

    # PTB gives getUpdates a one-connection pool, so a second poller has to be a second Bot (a second instance).
    async with Bot(emu.token, base_url=emu.base_url) as second_instance:
        assert await second_instance.get_updates(timeout=0) == ()
    with pytest.raises(Conflict, match=r"terminated by other getUpdates request"):
        await first


async def test_groups_follow_privacy_mode_and_admin_rights(emu: BotApiEmulator, bot: Bot) -> None:
    ada = emu.add_user(user_id=1001, first_name="Ada")
    group = emu.add_group(chat_id=-100123, title="Friends", members=[ada])

    chatter = await emu.send_message(ada, "my key is abc", chat=group)
    command = await emu.send_message(ada, "/status@tallybot_test_bot", chat=group)
    updates = await bot.get_updates(timeout=0)

    assert chatter.update_id is None  # a bot in privacy mode never sees ordinary group messages
    assert [u.update_id for u in updates] == [command.update_id]
    assert updates[0].effective_chat is not None and updates[0].effective_chat.type == "supergroup"
    with pytest.raises(BadRequest, match=r"^Message can't be deleted$"):
        await bot.delete_message(group.chat_id, chatter.message_id)


async def test_forwarded_messages_carry_their_origin(emu: BotApiEmulator, bot: Bot) -> None:
    ada = emu.add_user(user_id=1001, first_name="Ada")
    bob = emu.add_user(user_id=1002, first_name="Bob", username="bob")

    await emu.forward_message(ada, "apiKey=XYZ", from_user=bob)
    (update,) = await bot.get_updates(timeout=0)

    assert update.message is not None
    assert isinstance(update.message.forward_origin, MessageOriginUser)
    assert update.message.forward_origin.sender_user.username == "bob"


async def test_bot_commands_are_kept_per_scope(emu: BotApiEmulator, bot: Bot) -> None:
    await bot.set_my_commands([("start", "Begin"), ("sync", "Sync now")])

    assert [(c.command, c.description) for c in await bot.get_my_commands()] == [
        ("start", "Begin"),
        ("sync", "Sync now"),
    ]
    assert emu.commands() == [
        {"command": "start", "description": "Begin"},
        {"command": "sync", "description": "Sync now"},
    ]
    with pytest.raises(BadRequest, match=r"(?i)bot_command_invalid"):
        await bot.set_my_commands([("Start!", "Begin")])
    assert await bot.delete_my_commands()
    assert await bot.get_my_commands() == ()


async def test_get_chat_and_chat_actions(emu: BotApiEmulator, bot: Bot) -> None:
    ada = emu.add_user(user_id=1001, first_name="Ada", username="ada", started=True)

    chat = await bot.get_chat(ada.chat_id)
    assert (chat.id, chat.type, chat.username) == (1001, "private", "ada")
    assert await bot.send_chat_action(ada.chat_id, "typing")
    assert await bot.close() and await bot.log_out()


# -- the wire: encodings, tokens, unknown methods ------------------------------------------------


async def test_wire_encodings_and_errors(emu: BotApiEmulator) -> None:
    emu.add_user(user_id=1001, first_name="Ada", started=True)
    async with httpx.AsyncClient(base_url=emu.url) as client:
        as_json = await client.post(f"/bot{emu.token}/sendMessage", json={"chat_id": 1001, "text": "123"})
        as_form = await client.post(f"/bot{emu.token}/SENDMESSAGE", data={"chat_id": "1001", "text": "456"})
        as_query = await client.get(f"/bot{emu.token}/sendmessage", params={"chat_id": "1001", "text": "789"})
        unknown = await client.post(f"/bot{emu.token}/sendRocket")
        bad_token = await client.post("/bot123456:wrong/getMe")
        missing_file = await client.get(f"/file/bot{emu.token}/documents/nothing.csv")

    assert [r.json()["result"]["text"] for r in (as_json, as_form, as_query)] == ["123", "456", "789"]
    assert emu.calls_to("sendMessage")[1] == {"chat_id": 1001, "text": "456"}
    assert (unknown.status_code, unknown.json()) == (
        404,
        {"ok": False, "error_code": 404, "description": "Not Found"},
    )
    assert (bad_token.status_code, bad_token.json()["description"]) == (401, "Unauthorized")
    assert missing_file.status_code == 404


async def test_a_wrong_token_is_invalid_for_ptb(emu: BotApiEmulator) -> None:
    with pytest.raises(InvalidToken):
        async with Bot("123456:" + "x" * 35, base_url=emu.base_url):
            pass


# -- markup parsing, as Telegram does it ---------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "mode", "text", "entities"),
    [
        ("<b>bold</b> &lt;tag&gt; &amp; &#128512;", "HTML", "bold <tag> & 😀", [("bold", 0, 4)]),
        ('<a href="https://x.io">x</a> 😀<i>y</i>', "HTML", "x 😀y", [("text_link", 0, 1), ("italic", 4, 1)]),
        ('<pre><code class="language-py">x = 1</code></pre>', "HTML", "x = 1", [("pre", 0, 5)]),
        ("*bold* \\. _it_", "MarkdownV2", "bold . it", [("bold", 0, 4), ("italic", 7, 2)]),
        ("  /sync now  ", None, "/sync now", [("bot_command", 0, 5)]),
    ],
)
def test_markup_becomes_text_and_entities(
    source: str, mode: str | None, text: str, entities: list[tuple[str, int, int]]
) -> None:
    formatted = format_text(source, mode, None)

    assert formatted.text == text
    assert [(e["type"], e["offset"], e["length"]) for e in formatted.entities] == entities


@pytest.mark.parametrize(
    ("source", "mode", "error"),
    [
        ("a < b", "HTML", 'Unsupported start tag "" at byte offset 2'),
        ("<b>open", "HTML", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b><i>x</b></i>", "HTML", 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"'),
        ("Done.", "MarkdownV2", "Character '.' is reserved and must be escaped with the preceding '\\'"),
        ("user_name", "Markdown", "Can't find end of the entity starting at byte offset 4"),
    ],
)
def test_malformed_markup_is_telegrams_400(source: str, mode: str, error: str) -> None:
    with pytest.raises(ApiError) as failure:
        format_text(source, mode, None)

    assert failure.value.error_code == 400
    assert failure.value.description == "Bad Request: can't parse entities: " + error


def test_chat_message_helpers() -> None:
    emulator = BotApiEmulator()
    ada = emulator.add_user(user_id=1001, first_name="Ada")
    with pytest.raises(ValueError, match=r"does not implement"):
        emulator.fail("sendRocket")
    with pytest.raises(RuntimeError):
        _ = emulator.base_url
    assert emulator.token.split(":")[0] == str(emulator.bot.user_id) and len(emulator.token.split(":")[1]) == 35
    assert isinstance(ada.to_api(), dict) and ChatMessage.__doc__
