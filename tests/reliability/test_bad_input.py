"""Bad input: whatever a user sends, in whatever state, the bot answers it and nothing raises.

A hypothesis state machine drives one fresh user per example through the real bot (Bot API emulator, Binance and
Bitget emulators). Navigation rules put the user in each state: no flow, the exchange picker, Bitget's key-type
choice, each key field, the review, the advanced options and each of their prompts, a failed key check, renaming
and options from /keys, and a pending file upload. Input rules then send, in that state, what users really send
and what they should not: generated text (any Unicode, control characters, right-to-left marks, zero-width joiners,
combining marks, emoji sequences), messages of Telegram's full 4,096 characters, commands out of order and with odd
arguments, key-like strings, forwarded messages, edits of old messages, presses of every old button still in the
chat, presses of forged callback_data, and random files.

After every input the bot is let finish (its update queue and background work): the input must have been answered
(a message, an edit, a deletion in the chat, or the button's callback answered) — edits of ordinary messages are
the documented exception (no answer needed) — and no record at ERROR (the error handler's "update failed" line
included) may have been logged, nor any emulator error.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import string
from collections import Counter
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.ext import Application

from bot.context import SERVICES_KEY, Services
from bot.integrations import AdvancedOptions
from bot.secret import Secret
from sandbox.botapi import BotApiEmulator
from sandbox.botapi.models import ChatMessage, UserHandle
from sandbox.exchanges import AccountProfile, BinanceEmulator, BitgetEmulator, DemoKeys
from tests.assistant_story import Walker
from tests.bot_harness import running_bot, settings_for
from tests.sync.conftest import UNLIMITED

T = TypeVar("T")
INPUTS = 300  # normal run
LONG_INPUTS = 3_000
STEPS_PER_EXAMPLE = 20
ACCOUNT = AccountProfile(
    years=0.1, traded_markets=1, trades=4, deposits=3, withdrawals=2, converts=0, transfers=0, rewards=0
)
STATES = (
    "no flow",
    "picker",
    "key type",
    "api key field",
    "secret field",
    "review",
    "advanced",
    "name prompt",
    "subaccount prompt",
    "date prompt",
    "failed check",
    "rename",
    "options",
    "upload",
)
COMMANDS = (
    "/start",
    "/connect",
    "/cancel",
    "/keys",
    "/sync",
    "/status",
    "/help",
    "/help troubleshooting",
    "/troubleshoot",
    "/settings",
    "/upload",
    "/upload template",
    "/export",
    "/export 2024-01-01 2024-12-31",
    "/export 2024-13-45",
    "/export 2025-01-01 2024-01-01",
    "/nonsense",
    "/start@tallybot_test_bot",
    "/sync Nobody-9",
)
ODD = (
    "\u202e",  # right-to-left override
    "\u200d",  # zero-width joiner
    "\u200b",  # zero-width space
    "\ufeff",  # byte-order mark
    "\u0301\u0301\u0301",  # combining marks on nothing
    "👩‍👩‍👧‍👦",  # an emoji ZWJ sequence
    "🏳️‍🌈",
    "ﷺ",
    "𝕿𝖆𝖑𝖑𝖞",
    "<b>bold</b> &amp; <a href='x'>",
    "*_`[link](http://x)`_*",
    "\t\r\n",
    "\x00\x01\x1b[31m",
    "Ω" * 50,
    "💥" * 100,
)
# Callback data shaped like the bot's own, with the user's real flow token and account id and a generated argument.
REAL_TEMPLATES = (
    *(f"as:{{token}}:{action}:{{arg}}" for action in ("t", "p", "ok", "kt", "chk", "adv", "nm", "sub", "dt", "cd")),
    *(f"as:{{token}}:{action}:{{arg}}" for action in ("ep", "bk", "rf", "skip", "x", "zz")),
    *(f"k:{action}:{{own}}:{{arg}}" for action in ("open", "ren", "rep", "opt", "del", "delx", "keep", "zz")),
    "k:open:{arg}:",
    "sy:{arg}",
    "sy:{own},{arg}",
    "tb:{arg}",
    "st:{arg}",
    "ts:{arg}",
    "tz:{arg}",
    "up:{arg}:{own}",
    "upn:{arg}:binance",
    *(f"ex:{fmt}:{{arg}}:" for fmt in ("tallybot", "koinly", "cryptact")),
    *(f"ex:{fmt}:all:{{arg}}" for fmt in ("tallybot", "koinly", "cryptact")),
    "ex:tallybot:{own}:{arg}",
)
PREFIXES = ("as", "k", "sy", "tb", "st", "ts", "tz", "up", "upn", "upf", "ex")
WRITES = ("sendMessage", "sendDocument", "editMessageText", "deleteMessage", "editMessageReplyMarkup")
FILE_NAMES = ("history.csv", "trades.xlsx", "x", "файл.csv", "../../etc/passwd", "a" * 200 + ".csv", ".csv", "e.pdf")


# ------------------------------------------------------------------------------------------------ known bugs


# ------------------------------------------------------------------------------------------------ the world


class ErrorLog(logging.Handler):
    """Every record at ERROR and above, from any logger (the bot's error handler writes one per failed update)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@dataclass
class World:
    loop: asyncio.AbstractEventLoop
    telegram: BotApiEmulator
    binance: BinanceEmulator
    bitget: BitgetEmulator
    app: Application  # type: ignore[type-arg]
    binance_keys: DemoKeys
    errors: ErrorLog
    next_user: int = 3_000_001
    examples: int = 0
    inputs: int = 0
    answered: int = 0
    by_kind: Counter[str] = field(default_factory=Counter)
    by_state: Counter[str] = field(default_factory=Counter)

    @property
    def services(self) -> Services:
        found: Services = self.app.bot_data[SERVICES_KEY]
        return found

    def run(self, work: Coroutine[Any, Any, T]) -> T:
        return self.loop.run_until_complete(asyncio.wait_for(work, timeout=120))

    async def settle(self) -> None:
        """Until the bot has handled every update sent so far, and the background work they started (syncs)."""
        await self.telegram.wait_until(lambda: not self.telegram.pending_updates, timeout=30)
        await asyncio.wait_for(self.app.update_queue.join(), timeout=60)
        background = self.services.background
        while background._tasks:  # no public "idle" for the bot's background work
            await asyncio.wait(list(background._tasks), timeout=60)


@contextlib.asynccontextmanager
async def world_running(loop: asyncio.AbstractEventLoop, folder: Path) -> AsyncIterator[World]:
    errors = ErrorLog()
    logging.getLogger().addHandler(errors)
    limits = UNLIMITED  # no real waits for Binance's weight limits: this emulator serves the whole test
    try:
        async with (
            BotApiEmulator() as telegram,
            BinanceEmulator(seed=71, profile=ACCOUNT, listed_symbols=8, limits=limits) as binance,
            BitgetEmulator(seed=72, profile=ACCOUNT, listed_symbols=8) as bitget,
        ):
            overrides = {"binance": binance.base_url, "bitget": bitget.base_url}
            settings = settings_for(telegram, folder / "data", exchange_url_overrides=overrides)
            async with running_bot(settings) as app:
                yield World(loop, telegram, binance, bitget, app, binance.create_demo_keys(), errors)
            assert telegram.internal_errors == []
    finally:
        logging.getLogger().removeHandler(errors)


def answered_in(world: World, chat_id: int, update_id: int) -> bool:
    """Whether the bot wrote into this chat (or deleted there) after the update was handed to it."""
    for call in world.telegram.calls_after_update(update_id):
        if call.method in WRITES and call.params.get("chat_id") in (chat_id, str(chat_id)):
            return True
    return False


# ------------------------------------------------------------------------------------------------ the machine


class BadInput(RuleBasedStateMachine):
    world: ClassVar[World]

    def __init__(self) -> None:
        super().__init__()
        world = self.world
        self.telegram_id = world.next_user
        world.next_user += 1
        self.handle: UserHandle = world.telegram.add_user(self.telegram_id, "Tester", started=True)
        self.walker = Walker(world.telegram, self.handle)
        self.state = "no flow"
        self.account: int | None = None
        self.step = 0

    # -- navigation ------------------------------------------------------------------------------------------

    @initialize()
    def start_somewhere(self) -> None:
        """Each example starts in the next state of the list, so a run visits them all."""
        where = STATES[self.world.examples % len(STATES)]
        self.world.examples += 1
        self.world.run(self.navigate(where))
        self.state = where

    @invariant()
    def count_the_step(self) -> None:
        # Preconditions read this counter: it must depend on nothing but the steps taken (hypothesis replays).
        self.step += 1

    @precondition(lambda self: self.step % 5 == 0)
    @rule(where=st.sampled_from(STATES))
    def go_to(self, where: str) -> None:
        """Put the user in a state the way a user gets there (each step of the way checked like any input)."""
        self.world.run(self.navigate(where))
        self.state = where

    async def navigate(self, target: str) -> None:
        world, walker = self.world, self.walker
        await self.expect_answer(await walker.send("/cancel"), "navigation")
        if target == "no flow":
            return
        if target in ("rename", "options"):
            await self.ensure_account()
            await self.expect_answer(await walker.send("/keys"), "navigation")
            await self.press_label("›")
            await self.press_label("Rename" if target == "rename" else "Options")
            return
        if target == "upload":
            await self.ensure_account()
            sent = await world.telegram.send_document(self.handle, filename="history.csv", content=b"a,b\n1,2\n")
            await self.expect_answer(sent, "navigation")
            return
        await self.expect_answer(await walker.send("/connect"), "navigation")
        if target == "picker":
            return
        exchange = "Bitget" if target == "key type" else "Binance"
        await self.press_label(exchange)
        await self.press_label("Confirm exchanges")
        if target == "key type":
            return
        keys = world.binance_keys.revoked if target == "failed check" else world.binance_keys.read_only
        if target == "api key field":
            return
        await self.expect_answer(await walker.send(keys.api_key), "navigation")
        if target == "secret field":
            return
        await self.expect_answer(await walker.send(keys.secret), "navigation")
        if target == "review":
            return
        if target == "failed check":
            await self.press_label("Check and connect")
            return
        await self.press_label("Advanced options")
        prompts = {"name prompt": "Account name", "subaccount prompt": "Subaccount", "date prompt": "Sync from date"}
        if target in prompts:
            await self.press_label(prompts[target])

    async def ensure_account(self) -> None:
        if self.account is not None:
            return
        keys = self.world.binance_keys.read_only
        summary = await self.world.services.integrations.connect(
            self.telegram_id,
            exchange_id="binance",
            key_type="default",
            account_name="Binance-1",
            fields={"apiKey": Secret(keys.api_key), "secret": Secret(keys.secret)},
            options=AdvancedOptions(sync_from=date.today() - timedelta(days=40)),
        )
        self.account = summary.id

    async def press_label(self, label: str) -> None:
        menu = self.walker.last_menu(label)
        exact = next(button.text for button in menu.buttons if label in button.text)
        query = await self.world.telegram.press_button(self.handle, menu, exact)
        await self.expect_callback(query, "navigation")

    # -- checking one input ----------------------------------------------------------------------------------

    async def expect_answer(self, sent: ChatMessage, kind: str, *, required: bool = True) -> None:
        world = self.world
        before = len(world.errors.records)
        await world.settle()
        assert sent.update_id is not None
        answered = answered_in(world, self.telegram_id, sent.update_id)
        self.count(kind, answered)
        assert answered or not required, f"{kind} in state {self.state!r} got no answer"
        self.no_new_errors(before)

    async def expect_callback(self, query_id: str, kind: str) -> None:
        world = self.world
        before = len(world.errors.records)
        await world.settle()
        answered = world.telegram.callback_answer(query_id) is not None
        self.count(kind, answered)
        assert answered, f"{kind} in state {self.state!r} was not answered"
        self.no_new_errors(before)

    def no_new_errors(self, before: int) -> None:
        """No ERROR record since `before`. (The bugs this suite found, e.g. a second answer to a button, a forged
        export period, an edit to identical content, each showed as one; each is pinned in
        test_stale_and_forged_buttons.py.)"""
        errors = [record.getMessage() for record in self.world.errors.records[before:]]
        assert errors == [], f"in state {self.state!r}: {errors}"

    def count(self, kind: str, answered: bool) -> None:
        if kind == "navigation":
            return
        world = self.world
        world.inputs += 1
        world.answered += int(answered)
        world.by_kind[kind] += 1
        world.by_state[self.state] += 1

    def input(self, work: Coroutine[Any, Any, None]) -> None:
        self.world.run(work)
        # A stale or forged press may have moved the user on (a fresh menu, a new flow): the state is now whatever
        # the bot made of it, which the next navigation resets.
        self.state = f"after {self.state}" if not self.state.startswith("after") else self.state

    # -- inputs ----------------------------------------------------------------------------------------------

    @rule(text=st.text(min_size=1, max_size=300).filter(lambda t: t.strip() != ""))
    def generated_text(self, text: str) -> None:
        async def work() -> None:
            await self.expect_answer(await self.walker.send(text), "generated text")

        self.input(work())

    @rule(odd=st.sampled_from(ODD), text=st.text(max_size=40))
    def odd_unicode(self, odd: str, text: str) -> None:
        message = f"{text}{odd}{text}"
        if not message.strip():
            message = f"x{odd}"

        async def work() -> None:
            await self.expect_answer(await self.walker.send(message), "odd unicode")

        self.input(work())

    @precondition(lambda self: self.step % 4 == 1)
    @rule(unit=st.sampled_from(["a", "я", "🔑", "A1b2C3d4E5", " \n"]), seed=st.integers(0, 1000))
    def giant_message(self, unit: str, seed: int) -> None:
        text = (str(seed) + unit * 4096)[:4096]

        async def work() -> None:
            await self.expect_answer(await self.walker.send(text), "giant message")

        self.input(work())

    @rule(command=st.sampled_from(COMMANDS), arguments=st.text(max_size=60))
    def command(self, command: str, arguments: str) -> None:
        text = f"{command} {arguments}".rstrip() if arguments.strip() else command

        async def work() -> None:
            await self.expect_answer(await self.walker.send(text), "command")

        self.input(work())

    @rule(length=st.sampled_from([20, 36, 64, 100]), seed=st.integers(0, 2**32))
    def key_like(self, length: int, seed: int) -> None:
        """Something that looks like a key, pasted wherever the user is: deleted and never echoed."""
        draw = random.Random(seed)
        text = "".join(draw.choice(string.ascii_letters + string.digits) for _ in range(length)) + "9z"

        async def work() -> None:
            sent = await self.walker.send(text)
            await self.expect_answer(sent, "key-like text")
            assert text not in self.walker.all_bot_texts()

        self.input(work())

    @rule(text=st.text(min_size=1, max_size=100).filter(lambda t: t.strip() != ""))
    def forwarded(self, text: str) -> None:
        async def work() -> None:
            sent = await self.world.telegram.forward_message(self.handle, text, from_user="Someone else")
            await self.expect_answer(sent, "forwarded message")

        self.input(work())

    @rule(pick=st.integers(0, 10**6), text=st.text(min_size=1, max_size=100).filter(lambda t: t.strip() != ""))
    def edit_an_old_message(self, pick: int, text: str) -> None:
        mine = [
            m
            for m in self.world.telegram.messages(self.telegram_id)
            if not m.from_bot and not m.deleted and m.text is not None and m.text != text
        ]
        if not mine:
            return
        old = mine[pick % len(mine)]

        async def work() -> None:
            try:
                edited = await self.world.telegram.edit_user_message(old, text)
            except ValueError:  # the same text after Telegram's formatting: a client sends no edit
                return
            # An edit of an ordinary message needs no answer (documented); a key in it does, and no error ever.
            await self.expect_answer(edited, "edit of an old message", required=False)

        self.input(work())

    @rule(pick=st.integers(0, 10**6))
    def press_an_old_button(self, pick: int) -> None:
        buttons = [
            (message, button.text)
            for message in self.world.telegram.bot_messages(self.telegram_id)
            for button in message.buttons
            if button.callback_data is not None
        ]
        if not buttons:
            return
        message, label = buttons[pick % len(buttons)]

        async def work() -> None:
            query = await self.world.telegram.press_button(self.handle, message, label)
            await self.expect_callback(query, "old or current button")

        self.input(work())

    @rule(
        data=st.one_of(
            st.text(min_size=1, max_size=40),
            st.builds(
                lambda prefix, *parts: ":".join((prefix, *parts)),
                st.sampled_from(PREFIXES),
                st.text(max_size=10),
                st.text(max_size=10),
                st.text(max_size=10),
            ),
            st.builds(
                lambda prefix, number: f"{prefix}:{number}",
                st.sampled_from(PREFIXES),
                st.integers(-(2**70), 2**70),
            ),
        ).filter(lambda d: 1 <= len(d.encode()) <= 64)
    )
    def forged_button(self, data: str) -> None:
        async def work() -> None:
            world = self.world
            markup = InlineKeyboardMarkup([[InlineKeyboardButton("forged", callback_data=data)]])
            sent = await world.app.bot.send_message(self.telegram_id, "forged by the test", reply_markup=markup)
            carrier = world.telegram.message(self.telegram_id, sent.message_id)
            query = await world.telegram.press_button(self.handle, carrier, "forged")
            await self.expect_callback(query, "forged callback_data")

        self.input(work())

    @rule(
        template=st.sampled_from(REAL_TEMPLATES),
        argument=st.one_of(
            st.sampled_from(["", "0", "-1", "99999999999999999999", "binance", "nosuchexchange", "all", "2024"]),
            st.text(max_size=12).filter(lambda t: ":" not in t),
        ),
    )
    def forged_button_with_real_ids(self, template: str, argument: str) -> None:
        """Forged callback_data that passes the first checks: the user's own flow token and account id, a known
        format, with a generated argument."""
        world = self.world

        async def work() -> None:
            draft = await world.services.drafts.load(self.telegram_id)
            token = draft.token if draft is not None else "nodraft1"
            data = template.format(token=token, own=self.account or 1, arg=argument)
            if not 1 <= len(data.encode()) <= 64:
                return
            markup = InlineKeyboardMarkup([[InlineKeyboardButton("forged", callback_data=data)]])
            sent = await world.app.bot.send_message(self.telegram_id, "forged by the test", reply_markup=markup)
            carrier = world.telegram.message(self.telegram_id, sent.message_id)
            query = await world.telegram.press_button(self.handle, carrier, "forged")
            await self.expect_callback(query, "forged callback_data (real ids)")

        self.input(work())

    @rule(
        content=st.binary(max_size=3000),
        name=st.one_of(st.sampled_from(FILE_NAMES), st.text(min_size=1, max_size=30)),
        mime=st.sampled_from([None, "text/csv", "application/octet-stream", "application/pdf", "image/png"]),
    )
    def random_file(self, content: bytes, name: str, mime: str | None) -> None:
        async def work() -> None:
            sent = await self.world.telegram.send_document(self.handle, filename=name, content=content, mime_type=mime)
            await self.expect_answer(sent, "random file")

        self.input(work())


# ------------------------------------------------------------------------------------------------ the test


def test_every_input_in_every_state_is_answered_without_an_error(
    tmp_path: Path, long_run: bool, measured: Callable[..., None]
) -> None:
    wanted = LONG_INPUTS if long_run else INPUTS
    loop = asyncio.new_event_loop()
    try:
        manager = world_running(loop, tmp_path)
        world = loop.run_until_complete(manager.__aenter__())
        try:
            BadInput.world = world
            while world.inputs < wanted:
                run_state_machine_as_test(
                    BadInput,
                    settings=settings(
                        max_examples=max(1, (wanted - world.inputs) // STEPS_PER_EXAMPLE + 1),
                        stateful_step_count=STEPS_PER_EXAMPLE,
                        deadline=None,
                        derandomize=not long_run,
                        database=None,
                        suppress_health_check=list(HealthCheck),
                        phases=(Phase.generate,),
                    ),
                )
        finally:
            loop.run_until_complete(manager.__aexit__(None, None, None))
    finally:
        loop.close()
    assert world.inputs >= wanted
    visited = {state for state in world.by_state if not state.startswith("after")}
    assert visited == set(STATES), set(STATES) - visited
    measured(
        inputs=world.inputs,
        answered=world.answered,
        unhandled_exceptions=0,
        error_records=0,
        by_kind=dict(sorted(world.by_kind.items())),
        by_state=dict(sorted(world.by_state.items())),
    )
