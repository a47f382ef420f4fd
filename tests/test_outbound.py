"""One way out to Telegram and one callback-data codec (issue 14, item 2).

- No module of handlers/ or bot/ calls a Bot API method that sends or edits a message except handlers/outbound.py
  (and the exceptions named below, each with its reason); deleting a pasted key happens in one place.
- Every CallbackQueryHandler of the real application routes by a pattern of the codec (handlers/callbacks.py),
  and every family of buttons has exactly one handler.
- The outbound path, run by python-telegram-bot against the Bot API emulator: a long text is split on line breaks
  under 4,096 characters with the buttons under the last part, link previews are off, and an edit to the text a
  message already shows ("message is not modified") is not an error.
"""

from __future__ import annotations

import ast
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from telegram import Bot, CallbackQuery, Chat, InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.error import BadRequest
from telegram.ext import ApplicationBuilder, CallbackQueryHandler

from handlers import callbacks, fallbacks, outbound, registry
from handlers.live import LiveMessage
from sandbox.botapi import BotApiEmulator

ROOT = Path(__file__).resolve().parents[1]
SCANNED = ("handlers", "bot")
OUTBOUND = "handlers/outbound.py"


def _message_methods() -> frozenset[str]:
    """Every python-telegram-bot method that sends or edits a message, on the Bot and its shortcuts."""
    names = {n for n in dir(Bot) if n.startswith(("send_", "edit_", "copy_", "forward_"))}
    names |= {n for n in dir(Message) if n.startswith(("reply_", "edit_", "copy", "forward"))}
    names |= {n for n in dir(Chat) if n.startswith(("send_", "copy_", "forward_"))}
    names |= {n for n in dir(CallbackQuery) if n.startswith(("edit_", "copy_"))}
    return frozenset(names)


SEND_OR_EDIT = _message_methods()
# Where a direct call is right, and why.
EXCEPTIONS = {
    # At start-up, before any handler runs, the application layer closes progress messages a killed process left
    # open; bot/ may not import handlers/ (the import-graph rule), and the text is one fixed line.
    ("bot/open_messages.py", "edit_message_text"),
    # A sync worker (`tallybot worker`, bot/jobs/) edits the progress message and sends the summary and automatic
    # sync's notices itself, in its own process: bot/ may not import handlers/; it keeps the same rules (HTML, no
    # preview, split by bot/message_parts.py). The embedded bot's notices go the same way (one task function).
    ("bot/jobs/progress_message.py", "edit_message_text"),
    ("bot/jobs/auto.py", "send_message"),
}
# Deleting a pasted key must stay the first Bot API call for that message: one function does it, and its callers
# (the key guard, the Assistant's field step) call it before anything else.
DELETERS = {"handlers/assistant/secrets.py"}


def direct_calls(root: Path) -> list[tuple[str, int, str]]:
    """(module, line, method) of every call of a send/edit method outside the one way out and its exceptions."""
    found = []
    for package in SCANNED:
        for path in sorted((root / package).rglob("*.py")):
            module = path.relative_to(root).as_posix()
            if module == OUTBOUND:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                    continue
                receiver, method = node.func.value, node.func.attr
                if isinstance(receiver, ast.Name) and receiver.id == "outbound":
                    continue  # outbound.send_document(…) is the one way out itself
                if method in SEND_OR_EDIT and (module, method) not in EXCEPTIONS:
                    found.append((module, node.lineno, method))
    return found


def deletions(root: Path) -> set[str]:
    """Modules that delete a message (`message.delete()` or `bot.delete_message(…)`)."""
    found = set()
    for package in SCANNED:
        for path in (root / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                    zero_argument_delete = node.func.attr == "delete" and not node.args and not node.keywords
                    if zero_argument_delete or node.func.attr in {"delete_message", "delete_messages"}:
                        found.add(path.relative_to(ROOT).as_posix())
    return found


def test_the_scan_knows_the_methods_it_looks_for() -> None:
    # Written from python-telegram-bot's API: if a name moved, the scan below would silently find nothing.
    assert {"send_message", "edit_message_text", "send_document", "reply_text", "reply_html", "edit_text"} <= (
        SEND_OR_EDIT
    )


def test_every_message_is_sent_and_edited_through_the_one_way_out() -> None:
    assert direct_calls(ROOT) == []


def test_only_the_key_deleter_deletes_messages() -> None:
    assert deletions(ROOT) == DELETERS


# -- the callback codec ----------------------------------------------------------------------------------------


def _callback_handlers() -> list[CallbackQueryHandler]:  # type: ignore[type-arg]
    # No job queue: the handlers are only listed here, never run (their time-out jobs need the services).
    application = ApplicationBuilder().token("123456789:TEST-token-not-real-0123456789abcdef").job_queue(None).build()
    registry.register(application)
    return [
        handler
        for group in application.handlers.values()
        for handler in group
        if isinstance(handler, CallbackQueryHandler)
    ]


@pytest.mark.filterwarnings("ignore:No `JobQueue` set up")
def test_every_button_handler_routes_by_a_pattern_of_the_codec() -> None:
    prefixes = {family.prefix for family in callbacks.families()}
    routed: dict[str, int] = dict.fromkeys(prefixes, 0)
    for handler in _callback_handlers():
        if handler.pattern is None:
            # The one catch-all: a press no family claims is answered "this button is from an older menu".
            assert handler.callback is fallbacks.stale_button
            continue
        assert isinstance(handler.pattern, re.Pattern)
        source = handler.pattern.pattern
        single = re.fullmatch(r"\^([a-z]+):", source)
        several = re.fullmatch(r"\^\(\?:([a-z|]+)\):", source)
        chosen = [single.group(1)] if single else several.group(1).split("|") if several else []
        assert chosen, f"{handler.callback.__qualname__} routes by {source!r}, not by the codec"
        assert set(chosen) <= prefixes, f"{source!r} names a prefix the codec does not know"
        for prefix in chosen:
            routed[prefix] += 1
    assert routed == dict.fromkeys(prefixes, 1), "every family of buttons has exactly one handler"


def test_the_codec_builds_and_reads_back_what_the_handlers_expect() -> None:
    assert callbacks.sync_data([3, 4, 7]) == "sy:3,4,7"
    assert callbacks.sync_data(None) == "sy:all"
    assert callbacks.KEYS.data("delx", 12, "all") == "k:delx:12:all"
    assert callbacks.KEYS.parse("k:open:12:") == ("open", "12", "")
    assert callbacks.EXPORT.parse("ex:koinly::20240101-20240630") == ("koinly", "", "20240101-20240630")


@pytest.mark.parametrize(
    "forged",
    [
        "sy:1;DROP",
        "sy:",
        "sy:all:extra",
        "k:open:１２:",  # full-width digits are digits to str.isdigit, not to the database
        "k:open:1234567890123456789:",  # over a 64-bit id
        "k:open:12",  # a field missing
        "tb:-1",
        "up:tok:../../etc",
        "ex:koinly:all:2024<b>",
        "as:tok:t:" + "x" * 60,  # over 64 bytes
        "zz:1",
        "",
    ],
)
def test_forged_or_stale_data_parses_to_nothing(forged: str) -> None:
    assert all(family.parse(forged) is None for family in callbacks.families())


def test_a_button_over_64_bytes_or_out_of_shape_fails_when_built() -> None:
    with pytest.raises(ValueError, match="64 bytes"):
        callbacks.SYNC.data(",".join(str(n) for n in range(1000, 1020)))
    with pytest.raises(ValueError, match="shape"):
        callbacks.KEYS.data("open", "twelve", "")
    assert not callbacks.SYNC.fits(",".join(str(n) for n in range(1000, 1020)))


def test_a_prefix_is_taken_once() -> None:
    with pytest.raises(ValueError, match="already taken"):
        callbacks.Family("sy", callbacks.Field("target", callbacks.ID))


# -- the way out, against the Bot API emulator -----------------------------------------------------------------


@pytest.fixture
async def bot(telegram: BotApiEmulator) -> AsyncIterator[Bot]:
    async with Bot(telegram.token, base_url=telegram.base_url) as client:
        yield client


CHAT = 4242


def _line(number: int) -> str:
    return f"<b>Account {number:03d}</b>: a failure explained at some length, so the text grows quickly.\n"


async def test_a_long_text_is_split_on_line_breaks_with_the_buttons_under_the_last_part(
    telegram: BotApiEmulator, bot: Bot
) -> None:
    telegram.add_user(CHAT, "Ada", started=True)
    text = "".join(_line(n) for n in range(120))  # 120 lines of 83 characters (18 + 64 + newline): 9,960
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("📊 Status", callback_data="st:show")]])

    last = await outbound.send(bot, CHAT, text, keyboard)

    shown = telegram.bot_messages(CHAT)
    # 49 lines of 83 characters fit in 4,096 (4,067); a 50th would not (4,150): 49 + 49 + 22 lines.
    assert [len((m.source_text or "").splitlines()) for m in shown] == [49, 49, 22]
    assert all(len(m.source_text or "") <= 4096 for m in shown)
    assert "".join(m.source_text or "" for m in shown) == text  # nothing lost or repeated at the cuts
    assert shown[0].text is not None and shown[0].text.startswith("Account 000: a failure")  # HTML was parsed
    assert [m.reply_markup is not None for m in shown] == [False, False, True]
    assert last.message_id == shown[-1].message_id
    previews = [call["link_preview_options"] for call in telegram.calls_to("sendMessage")]
    assert previews == [{"is_disabled": True}] * 3


async def test_an_edit_to_the_text_already_shown_is_not_an_error(telegram: BotApiEmulator, bot: Bot) -> None:
    telegram.add_user(CHAT, "Ada", started=True)
    sent = await outbound.send(bot, CHAT, "🛟 <b>Troubleshooting</b>")
    # What the emulator answers, as Telegram does: the raw call fails.
    with pytest.raises(BadRequest, match="not modified"):
        await bot.edit_message_text("🛟 <b>Troubleshooting</b>", CHAT, sent.message_id, parse_mode="HTML")

    assert await outbound.edit(bot, CHAT, sent.message_id, "🛟 <b>Troubleshooting</b>") is False
    assert await outbound.edit(bot, CHAT, sent.message_id, "🛟 <b>Invalid key</b>") is True
    assert telegram.message(CHAT, sent.message_id).text == "🛟 Invalid key"


async def test_an_edit_over_the_limit_keeps_the_first_part_and_sends_the_rest(
    telegram: BotApiEmulator, bot: Bot
) -> None:
    telegram.add_user(CHAT, "Ada", started=True)
    sent = await outbound.send(bot, CHAT, "⏳ Checking the key…")
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("🔄 Sync now", callback_data="sy:1")]])

    await outbound.edit(bot, CHAT, sent.message_id, "".join(_line(n) for n in range(60)), keyboard)

    edited, rest = telegram.bot_messages(CHAT)
    assert edited.message_id == sent.message_id
    assert len((edited.source_text or "").splitlines()) == 49
    assert len((rest.source_text or "").splitlines()) == 11
    assert edited.reply_markup is None and rest.reply_markup is not None


async def test_a_progress_message_over_the_limit_stays_one_message(telegram: BotApiEmulator, bot: Bot) -> None:
    telegram.add_user(CHAT, "Ada", started=True)
    sent = await outbound.send(bot, CHAT, "🔄 Syncing…")
    live = LiveMessage(bot, CHAT, sent.message_id, "🔄 Syncing…", min_interval=0)

    await live.close("".join(_line(n) for n in range(60)))

    (only,) = telegram.bot_messages(CHAT)
    assert len((only.source_text or "").splitlines()) == 49  # cut at the last line break that fits
