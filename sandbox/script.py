"""Scripted sandbox sessions: `tallybot sandbox --script FILE` plays a user, line by line, and prints the chat.

One user action per line (surrounding spaces are ignored)::

    # a comment                 ignored, as are blank lines
    /connect                    send a message: any line that is not one of the forms below
    > [not a button]            send a message, verbatim after "> " (for a text starting with [, ?, # or /send)
    [Confirm exchanges]         press the button with this label on the newest bot message that has one (exact
                                label first, else a label containing it; case-insensitive), once it is there,
                                and wait until the bot answers the press
    /send exports/trades.csv    upload a file (a relative path is relative to the script's folder)
    ? is connected              wait until the chat shows, since your last action, something containing this
                                text: a bot message, an edit, a button's toast, "your message was deleted", a
                                file saved (case-sensitive)
    ?120 Sync finished          the same, waiting up to 120 s instead of the default (``--wait-timeout``)

In messages, ``{days_ago:365}`` stands for the date that many days ago (YYYY-MM-DD), and
``{exchange.key.field}`` for a demo credential of the emulated exchanges, e.g.
``{binance.read_only.api_key}``, ``{okx.withdrawal.passphrase}``, ``{bitget.tax.secret}`` (see
``sandbox.runner.KEY_KINDS``); the transcript shows the placeholder, never the value.

The session fails (exit status 1) when a wait or a button times out, when anything logs at ERROR or above, or when
the Bot API emulator itself fails; a script that cannot be read fails before anything starts (exit status 2).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import TypeVar

from bot.settings import Settings
from sandbox.runner import (
    CREDENTIAL_FIELDS,
    EXCHANGE_NAMES,
    LOG_FILE_NAME,
    ErrorRecorder,
    Sandbox,
    key_kinds,
    open_sandbox,
    placeholders_text,
    write_credentials_file,
)
from sandbox.terminal import YOU, ChatView, print_line

DEMO_SCRIPT = Path(__file__).parent / "scripts" / "demo.tally"
PLACEHOLDER = re.compile(r"\{([a-z_]+)\.([a-z0-9_]+)\.([a-z_]+)\}")  # kinds such as binance's "ed25519"
# {days_ago:365}: the date that many days before today (YYYY-MM-DD), for "sync from" steps.
DAYS_AGO = re.compile(r"\{days_ago:(\d{1,5})\}")
PASSPHRASE_EXCHANGES = frozenset({"okx", "bitget", "kucoin"})
_WAIT = re.compile(r"\?(\d+(?:\.\d+)?)?(?:\s+|$)(.*)")
# After the last line: how long the bot must stay quiet, at most how long to wait for that.
SETTLE_QUIET_SECONDS = 0.5
SETTLE_LIMIT_SECONDS = 5.0

T = TypeVar("T")


class ScriptError(Exception):
    """The script cannot be run as written; the message names the line."""


class ScriptFailure(Exception):
    """The session went wrong: the bot did not answer, or something logged an error."""


@dataclass(frozen=True)
class Say:
    line: int
    text: str  # placeholders still in: they are resolved when sent, and shown as written


@dataclass(frozen=True)
class Press:
    line: int
    label: str


@dataclass(frozen=True)
class Upload:
    line: int
    path: Path


@dataclass(frozen=True)
class Wait:
    line: int
    text: str
    timeout: float | None  # None: the session's default


Step = Say | Press | Upload | Wait


def _check_placeholders(text: str, line: int) -> None:
    for match in PLACEHOLDER.finditer(text):
        exchange, kind, field = match.groups()
        where = f"line {line}: {match.group(0)}"
        if exchange not in EXCHANGE_NAMES:
            raise ScriptError(f"{where}: no emulated exchange {exchange!r} (one of {', '.join(EXCHANGE_NAMES)})")
        if kind not in key_kinds(exchange):
            raise ScriptError(f"{where}: no demo key {kind!r} (one of {', '.join(key_kinds(exchange))})")
        if field not in CREDENTIAL_FIELDS:
            raise ScriptError(f"{where}: no field {field!r} (one of {', '.join(CREDENTIAL_FIELDS)})")
        if field == "passphrase" and (exchange not in PASSPHRASE_EXCHANGES or kind == "tax"):
            raise ScriptError(f"{where}: this key has no passphrase")


def parse_script(text: str, *, base_dir: Path) -> list[Step]:
    """The steps of a script, checked: unknown placeholders, missing files and empty actions are refused."""
    steps: list[Step] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith(">"):
            message = line[2:] if line.startswith("> ") else line[1:]
            if not message.strip():
                raise ScriptError(f"line {number}: a message cannot be empty")
            _check_placeholders(message, number)
            steps.append(Say(number, message))
        elif line.startswith("[") and line.endswith("]"):
            label = line[1:-1].strip()
            if not label:
                raise ScriptError(f"line {number}: name the button to press, e.g. [Confirm exchanges]")
            steps.append(Press(number, label))
        elif line == "/send" or line.startswith("/send "):
            typed = line[len("/send") :].strip()
            if not typed:
                raise ScriptError(f"line {number}: /send needs the path of a file")
            path = (base_dir / Path(typed).expanduser()).resolve()
            if not path.is_file():
                raise ScriptError(f"line {number}: no file {path}")
            steps.append(Upload(number, path))
        elif line.startswith("?"):
            wait = _WAIT.fullmatch(line)
            if wait is None or not wait.group(2).strip():
                raise ScriptError(f"line {number}: write the text to wait for, e.g. `? is connected` or `?60 done`")
            seconds = float(wait.group(1)) if wait.group(1) else None
            steps.append(Wait(number, wait.group(2).strip(), seconds))
        else:
            _check_placeholders(line, number)
            steps.append(Say(number, line))
    return steps


def load_script(path: Path) -> list[Step]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScriptError(f"cannot read the script {path}: {exc}") from None
    return parse_script(text, base_dir=path.parent)


class ScriptSession:
    """Plays the steps against a running sandbox, printing each action between the bot's replies."""

    def __init__(self, sandbox: Sandbox, view: ChatView, wait_timeout: float) -> None:
        self.sandbox = sandbox
        self.view = view
        self.wait_timeout = wait_timeout
        self._mark = 0  # entries of the view shown before the last user action

    async def run(self, steps: list[Step]) -> None:
        """Every step in order; raises ScriptFailure naming the line that failed."""
        for step in steps:
            try:
                await self._do(step)
            except ScriptFailure as failure:
                raise ScriptFailure(f"line {step.line}: {failure}") from None
            except (ValueError, LookupError, OSError) as exc:  # the emulator refused the action
                raise ScriptFailure(f"line {step.line}: {exc}") from None
        # Let the bot finish what the last line started: late replies and errors belong in the transcript.
        await self.view.settle(SETTLE_QUIET_SECONDS, SETTLE_LIMIT_SECONDS)
        self._check_errors()

    async def _do(self, step: Step) -> None:
        match step:
            case Say(text=text):
                self._before_action()
                resolved = PLACEHOLDER.sub(lambda m: self.sandbox.credential(*m.groups()), text)
                resolved = DAYS_AGO.sub(
                    lambda m: (date.today() - timedelta(days=int(m.group(1)))).isoformat(), resolved
                )
                await self.view.send_text(resolved)
                # Dates are no secret: show them as sent; credentials stay placeholders.
                print_line(
                    YOU + DAYS_AGO.sub(lambda m: (date.today() - timedelta(days=int(m.group(1)))).isoformat(), text)
                )
            case Press(label=label):
                message, button = await self._until(
                    lambda: self.view.find_button(label), self.wait_timeout, f"no button “{label}” appeared"
                )
                self._before_action()
                query = await self.view.press(message, button)
                print_line(f"{YOU}[{button.text}]")
                if query is not None:
                    await self._until(
                        lambda: self.sandbox.telegram.callback_answer(query),
                        self.wait_timeout,
                        f"the bot did not answer the press of [{button.text}]",
                    )
            case Upload(path=path):
                self._before_action()
                await self.view.send_file(path)
                print_line(f"{YOU}/send {path.name}")
            case Wait(text=text, timeout=timeout):
                seconds = timeout if timeout is not None else self.wait_timeout
                await self._until(
                    lambda: any(text in entry for entry in self.view.entries[self._mark :]),
                    seconds,
                    f"the bot showed nothing containing “{text}” within {seconds:g} s",
                )

    def _before_action(self) -> None:
        # Show what arrived so far, so the transcript and the waits both start from this action.
        self.view.refresh()
        self._mark = len(self.view.entries)

    async def _until(self, predicate: Callable[[], T | None], seconds: float, failure: str) -> T:
        """Wait for a truthy ``predicate()``, showing the chat meanwhile; fail early on a logged error."""
        found: list[T] = []

        def check() -> bool:
            self.view.refresh()
            if self._problems():
                return True
            value = predicate()
            if value:
                found.append(value)
            return bool(value)

        try:
            await self.sandbox.telegram.wait_until(check, seconds, recheck_every=0.2)
        except TimeoutError:
            raise ScriptFailure(failure) from None
        self._check_errors()
        return found[0]

    def _problems(self) -> list[str]:
        emulator = [f"the Bot API emulator failed: {error!r}" for error in self.sandbox.telegram.internal_errors]
        return self.sandbox.errors.messages + emulator

    def _check_errors(self) -> None:
        problems = self._problems()
        if problems:
            raise ScriptFailure(f"an error was logged: {problems[0]}")


def _print_log_tail(path: Path, lines: int = 30) -> None:
    """The end of the bot's log on stderr: the data directory may be a temporary one, gone in a moment."""
    with contextlib.suppress(OSError):
        tail = path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:]
        print(f"--- last lines of {path.name} ---", *tail, sep="\n", file=sys.stderr)


async def run_script(
    settings: Settings,
    steps: list[Step],
    script: Path,
    data_dir: Path,
    errors: ErrorRecorder,
    seed: int,
    wait_timeout: float,
) -> int:
    """Run a parsed script in a fresh sandbox and print the transcript; 0 when every step went through."""
    names = ", ".join(EXCHANGE_NAMES.values())
    print_line(f"Tallybot sandbox: {script.name} (seed {seed}), the real bot with emulated Telegram and {names}.")
    print_line(placeholders_text())
    print_line("")
    errors.on_error = lambda message: print_line(f"‼️ {message}")
    failure: str | None = None
    async with open_sandbox(settings, data_dir=data_dir, seed=seed, errors=errors) as sandbox:
        write_credentials_file(sandbox)  # the values, for whoever keeps the data directory; never printed here
        view = ChatView(sandbox)
        follower = asyncio.create_task(view.follow())
        try:
            await ScriptSession(sandbox, view, wait_timeout).run(steps)
        except ScriptFailure as exc:
            failure = str(exc)
        finally:
            follower.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await follower
    if failure is None and errors.messages:
        failure = f"an error was logged while stopping: {errors.messages[0]}"
    print_line("")
    if failure is not None:
        print_line(f"❌ {script.name} failed at {failure}" if failure.startswith("line ") else f"❌ {failure}")
        _print_log_tail(data_dir / LOG_FILE_NAME)
        return 1
    print_line(f"✅ {script.name}: all {len(steps)} steps went through.")
    return 0
