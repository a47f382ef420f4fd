"""The terminal chat of `tallybot sandbox`: type as in Telegram, see the bot's replies as they arrive.

`ChatView` turns the emulator's chat log into what a Telegram client shows, one entry per event: a new bot
message (its inline keyboard as numbered buttons), an edit ("✏️ edited: …"), a deletion ("🗑 your message was
deleted"), a button's toast, a file the bot sent (saved under the data directory). The scripted runner uses the
same view, so a script waits on exactly what a person would see.

Typing: plain text is a message; ``#N`` presses button N of the latest menu shown and ``#Label`` presses a button
by its label (a pasted key or an ordinary sentence never starts with ``#``; ``##text`` sends "#text"); ``/send
PATH`` uploads a file. Ctrl-D or Ctrl-C quits.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import json
import os
import signal
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bot.settings import Settings
from sandbox.botapi import ChatMessage, InlineButton
from sandbox.key_registration import REGISTER_COMMANDS, register_shown_public_key, registered_text
from sandbox.runner import (
    EXCHANGE_NAMES,
    ErrorRecorder,
    Sandbox,
    credentials_text,
    open_sandbox,
    write_credentials_file,
)

HELP_LINE = (
    "Type messages as in Telegram. #N presses button N of the latest menu, #Label presses a button by its label; "
    "/send PATH uploads a file; ##text sends a message starting with #. After “Let Tallybot make the key”, "
    "/binance-register-key or /bybit-register-key registers the public key on the emulated exchange. "
    "Ctrl-D or Ctrl-C quits."
)
BOT = "bot> "
YOU = "you> "
INDENT = " " * len(BOT)
# How long the view sleeps between checks when nothing changes; every emulator change wakes it at once.
_IDLE_RECHECK = 3600.0

Write = Callable[[str], None]


def print_line(text: str) -> None:
    """Write a line to stdout at once: the chat is read live, and by pexpect in the tests."""
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def message_text(message: ChatMessage) -> str:
    """The plain text a client shows (the emulator already parsed the bot's HTML)."""
    return message.text if message.text is not None else message.caption or ""


def keyboard_lines(rows: list[list[InlineButton]]) -> list[str]:
    """``[1] Binance  [2] Bybit`` row by row, numbered across the whole keyboard."""
    lines, number = [], 0
    for row in rows:
        cells = []
        for button in row:
            number += 1
            cells.append(f"[{number}] {button.text}" + (" ↗" if button.url else ""))
        lines.append("  ".join(cells))
    return lines


def block(first: str, body: str, extra: list[str] | None = None) -> str:
    """A chat entry: ``first`` then the body's lines and any extra lines, indented under the speaker."""
    lines = [*body.splitlines(), *(extra or [])] or [""]
    return "\n".join([f"{first}{lines[0]}", *(f"{INDENT}{line}" if line else "" for line in lines[1:])])


def _markup_key(message_markup: object) -> str:
    return json.dumps(message_markup, sort_keys=True, ensure_ascii=False)


@dataclass(frozen=True)
class Menu:
    """The latest inline keyboard shown: what ``#N`` presses."""

    message_id: int
    buttons: tuple[InlineButton, ...]


@dataclass
class _Seen:
    """What the view last showed of one message."""

    versions: int
    deleted: bool
    text: str
    markup: str


class ChatView:
    """The sandbox user's private chat with the bot, as a Telegram client would show it, event by event."""

    def __init__(self, sandbox: Sandbox, write: Write = print_line) -> None:
        self.sandbox = sandbox
        self.telegram = sandbox.telegram
        self.write = write
        self.entries: list[str] = []  # every bot-side event shown, in order (what script waits match)
        self.menu: Menu | None = None
        self._seen: dict[int, _Seen] = {}
        self._answers_seen = 0

    # -- showing what changed -----------------------------------------------------------------------------------

    def refresh(self) -> bool:
        """Show everything that happened since the last call; True when anything did."""
        before = len(self.entries)
        for message in self.telegram.messages(self.sandbox.chat_id):
            self._check(message)
        answers = self.telegram.answered_callbacks
        for answer in answers[self._answers_seen :]:
            if answer.user_id == self.sandbox.user.user_id and answer.text:
                self._show(block(BOT, f"🔔 {answer.text}"))
        self._answers_seen = len(answers)
        return len(self.entries) > before

    async def follow(self) -> None:
        """Show every change as it happens, until cancelled."""
        while True:
            with contextlib.suppress(TimeoutError):
                await self.telegram.wait_until(lambda: self.refresh() and False, timeout=_IDLE_RECHECK)

    async def settle(self, quiet: float = 0.5, limit: float = 5.0) -> None:
        """Wait until the bot has made no Bot API call for ``quiet`` seconds (at most ``limit``), then show all."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + limit
        last = self._activity()
        while loop.time() < deadline:
            await asyncio.sleep(quiet)
            now = self._activity()
            if now == last:
                break
            last = now
        self.refresh()

    def _activity(self) -> int:
        return sum(1 for call in self.telegram.calls if call.method != "getUpdates")

    def _check(self, message: ChatMessage) -> None:
        seen = self._seen.get(message.message_id)
        now = _Seen(len(message.history), message.deleted, message_text(message), _markup_key(message.reply_markup))
        self._seen[message.message_id] = now
        if seen is None:
            if message.deleted:
                if not message.from_bot:
                    self._show(block(BOT, "🗑 your message was deleted"))
            elif message.from_bot:
                self._show_message(message, "")
            return
        if message.deleted:
            if not seen.deleted:
                self._show_deleted(message)
            return
        if now.versions > seen.versions or (now.text, now.markup) != (seen.text, seen.markup):
            self._show_edit(message, seen)

    def _show(self, entry: str) -> None:
        self.entries.append(entry)
        self.write(entry)

    def _show_message(self, message: ChatMessage, label: str) -> None:
        rows = message.button_rows
        extra = keyboard_lines(rows)
        if message.document is not None:
            extra.insert(0, self._save_document(message))
        self._show(block(BOT + label, message_text(message), extra))
        if rows:
            self.menu = Menu(message.message_id, tuple(message.buttons))

    def _show_edit(self, message: ChatMessage, seen: _Seen) -> None:
        # Edits that came and went between two looks are still shown, oldest first.
        missed = message.history[seen.versions + 1 :]
        for version in missed:
            self._show(block(BOT + "✏️ edited: ", version.text if version.text is not None else version.caption or ""))
        if not missed and message_text(message) == seen.text:
            rows = message.button_rows  # only the keyboard changed
            if rows:
                self._show(block(BOT, "✏️ buttons now:", keyboard_lines(rows)))
                self.menu = Menu(message.message_id, tuple(message.buttons))
            else:
                self._show(block(BOT, "✏️ buttons removed"))
            return
        self._show_message(message, "✏️ edited: ")

    def _show_deleted(self, message: ChatMessage) -> None:
        if not message.from_bot:
            self._show(block(BOT, "🗑 your message was deleted"))
            return
        first_line = (message_text(message).splitlines() or [""])[0]
        self._show(block(BOT, f"🗑 the bot deleted its message “{first_line}”"))

    def _save_document(self, message: ChatMessage) -> str:
        document = message.document
        assert document is not None  # noqa: S101  # only called for messages with a document
        folder = self.sandbox.downloads
        folder.mkdir(parents=True, exist_ok=True)
        name = Path(document.file_name or Path(document.file_path).name).name or "file"
        path, number = folder / name, 1
        while path.exists():
            path = folder / f"{Path(name).stem}-{number}{Path(name).suffix}"
            number += 1
        path.write_bytes(document.content)
        return f"📎 {name} ({document.file_size} bytes) saved to {path}"

    # -- acting as the user -------------------------------------------------------------------------------------

    def find_button(self, label: str) -> tuple[ChatMessage, InlineButton] | None:
        """The newest visible bot message with a button labelled ``label`` (exactly, else containing it)."""
        wanted = label.strip().casefold()
        for message in reversed(self.telegram.bot_messages(self.sandbox.chat_id)):
            buttons = message.buttons
            exact = next((b for b in buttons if b.text.strip().casefold() == wanted), None)
            found = exact or next((b for b in buttons if wanted in b.text.casefold()), None)
            if found is not None:
                return message, found
        return None

    def menu_button(self, number: int) -> tuple[ChatMessage, InlineButton] | str:
        """Button ``number`` of the latest menu shown, or why there is none."""
        if self.menu is None:
            return "There is no menu to press yet."
        if not 1 <= number <= len(self.menu.buttons):
            return f"The latest menu has buttons 1 to {len(self.menu.buttons)}."
        message = self.telegram.message(self.sandbox.chat_id, self.menu.message_id)
        wanted = self.menu.buttons[number - 1]
        current = next((b for b in message.buttons if b.raw == wanted.raw), None)
        if message.deleted or current is None:
            return "That menu has changed since: press a button of the latest one."
        return message, current

    async def press(self, message: ChatMessage, button: InlineButton) -> str | None:
        """Tap ``button``; the callback query id, or None for a link button (its address is shown)."""
        if button.callback_data is None:
            self.write(block(INDENT, f"🔗 {button.text}: {button.url or 'not a button the bot can receive'}"))
            return None
        return await self.telegram.press_button(self.sandbox.user, message, button.callback_data)

    async def send_text(self, text: str) -> ChatMessage:
        return await self.telegram.send_message(self.sandbox.user, text)

    async def send_file(self, path: Path) -> ChatMessage:
        content = await asyncio.to_thread(path.read_bytes)
        return await self.telegram.send_document(self.sandbox.user, filename=path.name, content=content)


# -- reading the keyboard -----------------------------------------------------------------------------------------


class StdinLines:
    """Lines typed on stdin, read without blocking the event loop; None at end of input (Ctrl-D).

    The loop watches the file descriptor and reads what is there: a terminal in canonical mode hands over whole
    lines, so nothing ever blocks. Where stdin cannot be watched (a regular file), a daemon thread reads it.
    """

    def __init__(self, queue: asyncio.Queue[str | None]) -> None:
        self._queue = queue
        self._loop = asyncio.get_running_loop()
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._pending = ""
        self._fd = sys.stdin.fileno()
        self._watching = False

    def start(self) -> None:
        try:
            self._loop.add_reader(self._fd, self._readable)
            self._watching = True
        except (OSError, ValueError, NotImplementedError):
            threading.Thread(target=self._read_blocking, name="sandbox-stdin", daemon=True).start()

    def close(self) -> None:
        if self._watching:
            self._loop.remove_reader(self._fd)
            self._watching = False

    def _readable(self) -> None:
        try:
            chunk = os.read(self._fd, 65536)
        except BlockingIOError:
            return
        except OSError:
            chunk = b""
        self._feed(chunk)

    def _feed(self, chunk: bytes) -> None:
        if not chunk:
            self.close()
            tail = self._pending + self._decoder.decode(b"", final=True)
            if tail:
                self._queue.put_nowait(tail)
            self._queue.put_nowait(None)
            return
        self._pending += self._decoder.decode(chunk)
        *lines, self._pending = self._pending.split("\n")
        for line in lines:
            self._queue.put_nowait(line.rstrip("\r"))

    def _read_blocking(self) -> None:
        while True:
            chunk = sys.stdin.buffer.readline()
            self._loop.call_soon_threadsafe(self._feed, chunk)
            if not chunk:
                return


# -- the chat -----------------------------------------------------------------------------------------------------


async def handle_line(view: ChatView, line: str) -> None:
    """Do what one typed line asks: press, upload or send."""
    if not line.strip():
        return
    try:
        if line.startswith("##"):
            await view.send_text(line[1:])
        elif line.startswith("#"):
            await _press_typed(view, line[1:].strip())
        elif line == "/send" or line.startswith("/send "):
            await _upload_typed(view, line[len("/send") :].strip())
        elif line.strip() in REGISTER_COMMANDS:
            exchange_id = REGISTER_COMMANDS[line.strip()]
            api_key = register_shown_public_key(view.sandbox, exchange_id)
            view.write(block(INDENT, registered_text(exchange_id, api_key)))
        else:
            await view.send_text(line)
    except (ValueError, LookupError, OSError) as exc:
        view.write(block(INDENT, f"⚠️ {exc}"))


async def _press_typed(view: ChatView, choice: str) -> None:
    if not choice:
        view.write(block(INDENT, "⚠️ Type #1 for the first button of the latest menu, or #Label."))
        return
    found = view.menu_button(int(choice)) if choice.isdigit() else view.find_button(choice)
    if found is None:
        view.write(block(INDENT, f"⚠️ No button “{choice}” in the chat."))
    elif isinstance(found, str):
        view.write(block(INDENT, f"⚠️ {found}"))
    else:
        message, button = found
        view.write(block(INDENT, f"👆 {button.text}"))
        await view.press(message, button)


async def _upload_typed(view: ChatView, typed: str) -> None:
    if not typed:
        view.write(block(INDENT, "⚠️ Type /send followed by the path of a file, e.g. /send trades.csv"))
        return
    path = await asyncio.to_thread(Path(typed).expanduser)
    sent = await view.send_file(path)
    size = sent.document.file_size if sent.document is not None else 0
    view.write(block(INDENT, f"📤 sent {path.name} ({size} bytes)"))


def banner(sandbox: Sandbox, credentials_file: Path, *, keep_data: bool) -> str:
    where = "kept" if keep_data else "removed at exit; keep it with --data-dir DIR"
    names = ", ".join(EXCHANGE_NAMES.values())
    return "\n".join(
        [
            f"Tallybot sandbox: the real bot, a Telegram Bot API emulator and emulated {names}, on 127.0.0.1.",
            f"Data directory: {sandbox.data_dir} ({where}); log: {sandbox.log_file}",
            "",
            f"Demo API keys (also in {credentials_file}):",
            credentials_text(sandbox),
            "",
            "Send /start to begin.",
            HELP_LINE,
            "",
        ]
    )


async def chat(settings: Settings, data_dir: Path, errors: ErrorRecorder, seed: int, *, keep_data: bool) -> int:
    """The interactive session: until Ctrl-D, Ctrl-C or SIGTERM."""
    print_line("Starting the sandbox…")
    errors.on_error = lambda message: print_line(block(INDENT, f"‼️ {message}"))
    async with open_sandbox(settings, data_dir=data_dir, seed=seed, errors=errors) as sandbox:
        print_line(banner(sandbox, write_credentials_file(sandbox), keep_data=keep_data))
        view = ChatView(sandbox)
        queue: asyncio.Queue[str | None] = asyncio.Queue()
        interrupted = asyncio.Event()

        def interrupt() -> None:
            interrupted.set()
            queue.put_nowait(None)

        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):  # Windows: Ctrl-C then ends the chat as KeyboardInterrupt
                loop.add_signal_handler(signum, interrupt)
        reader = StdinLines(queue)
        reader.start()
        follower = asyncio.create_task(view.follow())
        try:
            while (line := await queue.get()) is not None:
                await handle_line(view, line)
            if not interrupted.is_set():
                # End of input: piped lines should still get their replies before the bot stops.
                await view.settle()
        finally:
            reader.close()
            for signum in (signal.SIGINT, signal.SIGTERM):
                with contextlib.suppress(NotImplementedError):
                    loop.remove_signal_handler(signum)
            follower.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await follower
        print_line("Stopping the sandbox…")
    print_line("Bye.")
    return 0
