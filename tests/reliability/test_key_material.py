"""Issue 12, finding 8: key material is deleted first and never echoed, in every message shape, chat and state.

Generated inputs (seeded): a key of each kind users really paste — long ones (Binance 64 characters, Bybit 36, OKX
32) and short ones (Bybit's 18-character API key, OKX and Bitget passphrases of 8–19 characters) — put into a
message shape — plain text, text with words around it, after any command (`/sync <key>`, `/settings <key>`, …),
after a command addressed to the bot (`/sync@bot <key>`), a document's caption, an older message edited to hold
it, a forwarded message — and sent in a chat: a private chat with an allowed user (with no flow open, or at the
exchange search), a group where the bot is admin, or a private chat with a stranger while the allow-list is on.

After each input: the message is deleted, deleteMessage was the bot's first call for it (new messages), and no text
the bot ever sent (edits included) holds the key or its first 8 characters; at the end no account name holds it.
Short keys in a group are only looked for in commands (group chatter is not the bot's to delete); every other
combination is generated.
"""

from __future__ import annotations

import random
import string
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from zoneinfo import available_timezones

from hypothesis import assume, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bot import names
from bot.context import SERVICES_KEY, Services
from bot.names import is_ordinary_word
from bot.secret import holds_key_material
from db.models import Integration
from sandbox.botapi import BotApiEmulator
from sandbox.botapi.models import ChatMessage, GroupHandle, UserHandle
from tests.bot_harness import running_bot, settings_for

INPUTS = 120
LONG_INPUTS = 1_200
ADA, BOB, MALLORY = 1001, 1002, 3003  # Ada and Bob are allowed; Mallory is not
COMMANDS = (
    "/sync",
    "/settings",
    "/settings timezone",
    "/start",
    "/connect",
    "/keys",
    "/status",
    "/help",
    "/export",
    "/upload",
    "/cancel",
    "/troubleshoot",
    "/nonsense",
)
SHAPES = ("text", "words", "command", "command@bot", "caption", "edited", "forwarded")
CHATS = ("private", "private at search", "group", "stranger")
ALNUM = string.ascii_letters + string.digits


def key_of(kind: str, rng: random.Random) -> str:
    """A key of the given kind with at least one letter and one digit, as real ones have."""
    if kind == "exchange-named passphrase":  # "okx20240101": a user's easy passphrase, not a name the bot suggests
        exchange = rng.choice(("okx", "OKX", "Bitget", "bitget", "Binance", "Bybit"))
        digits = rng.randint(max(8 - len(exchange), 4), 19 - len(exchange))  # 8 to 19 characters in all
        return exchange + "".join(rng.choice(string.digits) for _ in range(digits))
    length, alphabet = {
        "binance secret": (64, ALNUM),
        "bybit secret": (36, ALNUM),
        "okx secret": (32, "0123456789ABCDEF"),
        "bybit api key": (18, ALNUM),
        "okx passphrase": (rng.randint(8, 19), ALNUM + "!@#$%^&*"),
        "bitget passphrase": (rng.randint(8, 19), ALNUM),
    }[kind]
    while True:
        value = "".join(rng.choice(alphabet) for _ in range(length))
        if any(c.isdigit() for c in value) and any(c.isalpha() for c in value):
            return value


KINDS = (
    "binance secret",
    "bybit secret",
    "okx secret",
    "bybit api key",
    "okx passphrase",
    "bitget passphrase",
    "exchange-named passphrase",
)
SHORT = {"bybit api key", "okx passphrase", "bitget passphrase", "exchange-named passphrase"}


@dataclass
class Input:
    chat: str
    shape: str
    kind: str
    key: str

    def message(self, rng: random.Random, bot_username: str) -> str:
        if self.shape == "words":
            return f"here is my key {self.key} thanks"
        if self.shape.startswith("command"):
            command = rng.choice(COMMANDS)
            if self.shape == "command@bot":
                name, _, rest = command.partition(" ")
                command = f"{name}@{bot_username} {rest}".strip()
            return f"{command} {self.key}"
        return self.key


def generate(rng: random.Random) -> Input:
    while True:
        chat, shape, kind = rng.choice(CHATS), rng.choice(SHAPES), rng.choice(KINDS)
        if chat == "group" and kind in SHORT and not shape.startswith("command"):
            continue  # short tokens in group chatter are not deleted, by design
        if chat == "stranger" and shape == "edited":
            continue  # a stranger has no older message the bot answered
        return Input(chat, shape, kind, key_of(kind, rng))


async def test_key_material_is_deleted_first_and_never_echoed_in_any_shape_or_chat(
    long_run: bool, tmp_path: Path, measured: Callable[..., None]
) -> None:
    wanted = LONG_INPUTS if long_run else INPUTS
    rng = random.Random(20261205)
    counts: Counter[str] = Counter()
    keys: list[str] = []
    async with BotApiEmulator() as telegram:
        ada = telegram.add_user(ADA, "Ada", started=True)
        bob = telegram.add_user(BOB, "Bob", started=True)
        mallory = telegram.add_user(MALLORY, "Mallory", started=True)
        group = telegram.add_group(-100777, "Traders", members=[ada, bob, mallory], bot_is_admin=True)
        settings = settings_for(telegram, tmp_path, allowed_users=frozenset({ADA, BOB}))
        async with running_bot(settings) as app:
            services: Services = app.bot_data[SERVICES_KEY]
            for _ in range(wanted):
                item = generate(rng)
                keys.append(item.key)
                sent, baseline = await deliver(telegram, item, rng, ada=ada, mallory=mallory, group=group)
                await telegram.wait_until(partial(answered, telegram, sent, baseline), timeout=10)
                first = telegram.calls_after_update(sent)[0]
                assert first.method == "deleteMessage", (item, first.method)
                counts[item.chat.replace(" ", "_")] += 1
                counts[item.shape.replace("@", "_at_")] += 1
                counts["short_keys" if item.kind in SHORT else "long_keys"] += 1
            async with services.database.reader() as session:
                names = list(await session.scalars(select(Integration.account_name)))
        everything = "\n".join(
            version
            for chat in (ada.chat_id, mallory.chat_id, group.chat_id)
            for message in telegram.messages(chat)
            if message.from_bot
            for version in (message.text or "", message.caption or "", *(v.text or "" for v in message.history))
        )
        errors = telegram.internal_errors

    measured(inputs=wanted, **dict(sorted(counts.items())))
    leaked = [key for key in keys if key in everything or key[:8] in everything]
    assert leaked == [], f"{len(leaked)} keys were echoed"
    assert not any(key in name for key in keys for name in names)
    assert errors == []


def newest_id(telegram: BotApiEmulator, chat_id: int) -> int:
    return max((m.message_id for m in telegram.messages(chat_id)), default=0)


def answered(telegram: BotApiEmulator, sent: ChatMessage, baseline: int) -> bool:
    """The message is deleted and the bot has said something since the key was sent."""
    deleted = telegram.message(sent.chat_id, sent.message_id).deleted
    return deleted and newest_id(telegram, sent.chat_id) > baseline and telegram.messages(sent.chat_id)[-1].from_bot


async def deliver(
    telegram: BotApiEmulator,
    item: Input,
    rng: random.Random,
    *,
    ada: UserHandle,
    mallory: UserHandle,
    group: GroupHandle,
) -> tuple[ChatMessage, int]:
    """Send one input; return the message that holds the key (for an edit: the edited message) and the newest
    message id of the chat just before it."""
    user = mallory if item.chat == "stranger" else ada
    chat = group if item.chat == "group" else None
    chat_id = group.chat_id if chat is not None else user.chat_id
    if item.chat == "private at search":
        opened = await telegram.send_message(user, "/connect")
        await telegram.wait_for_bot_message(
            user.chat_id, after_message_id=opened.message_id, predicate=lambda m: "Connect your" in (m.text or "")
        )
    if item.shape == "caption":
        text = item.message(rng, telegram.bot.username)
        baseline = newest_id(telegram, chat_id)
        return await telegram.send_document(
            user, filename="history.csv", content=b"a,b\n1,2\n", caption=text, chat=chat
        ), baseline
    text = item.message(rng, telegram.bot.username)
    if item.shape == "forwarded":
        baseline = newest_id(telegram, chat_id)
        return await telegram.forward_message(user, text, from_user="a friend", chat=chat), baseline
    if item.shape == "edited":
        older = await telegram.send_message(user, "hello there", chat=chat)
        if chat is None:  # in private the bot answers it; wait so the edit comes after that answer
            await telegram.wait_for_bot_message(user.chat_id, after_message_id=older.message_id)
        baseline = newest_id(telegram, chat_id)
        return await telegram.edit_user_message(older, text), baseline
    baseline = newest_id(telegram, chat_id)
    return await telegram.send_message(user, text, chat=chat), baseline


KEY_TOKENS = st.text(alphabet=ALNUM + "!@#$%^&*_-+=", min_size=8, max_size=64).filter(
    lambda value: any(c.isdigit() for c in value) and any(c.isalpha() and c.isascii() for c in value)
)


@settings(max_examples=500, deadline=None)
@given(key=KEY_TOKENS, before=st.sampled_from(("", "/sync ", "/settings ", "my key is ", "/start@bot ")))
def test_every_key_shaped_token_is_key_material_wherever_it_stands(key: str, before: str) -> None:
    assume(not is_ordinary_word(key))
    assert holds_key_material(f"{before}{key}", is_ordinary_word)
    assert names.refusal(names.normalised(key)) is not None


@settings(max_examples=300, deadline=None)
@given(
    exchange=st.sampled_from(("okx", "OKX", "Bitget", "Binance", "bybit")),
    separator=st.sampled_from(("", "-", "_", "#")),
    digits=st.integers(1000, 10**15).map(str),
    before=st.sampled_from(("", "/sync ", "/settings ")),
)
def test_an_exchange_name_with_more_than_three_digits_is_key_material(
    exchange: str, separator: str, digits: str, before: str
) -> None:
    """Only the names the bot suggests ("Binance-1" to "Binance-999") pass; "okx20240101" is a passphrase."""
    token = f"{exchange}{separator}{digits}"
    assume(len(token) >= 8)
    assert not is_ordinary_word(token)
    assert holds_key_material(f"{before}{token}", is_ordinary_word)
    assert names.refusal(names.normalised(token)) == names.NAME_LOOKS_LIKE_A_KEY


def test_the_names_the_bot_suggests_are_ordinary() -> None:
    for token in ("Binance-1", "Bitget_12", "OKX#999", "bybit-7", "Binance 3"):
        assert is_ordinary_word(token), token
    for token in ("okx20240101", "Bitget1234567", "Binance-1000", "Binance123"):
        assert not is_ordinary_word(token), token


EXCHANGE_WITH_NUMBER = st.builds(
    lambda name, number: f"{name}-{number}", st.sampled_from(("Binance", "Bybit", "OKX", "Bitget")), st.integers(1, 999)
)
FILE_NAME = st.builds(
    lambda stem, year: f"{stem}{year}.csv", st.sampled_from(("trades", "history")), st.integers(2017, 2026)
)


@settings(max_examples=300, deadline=None)
@given(
    ordinary=st.one_of(
        EXCHANGE_WITH_NUMBER,
        st.dates().map(lambda day: day.isoformat()),
        st.sampled_from(sorted(available_timezones())),
        FILE_NAME,
        st.text(alphabet=string.ascii_letters + " ", max_size=40),
    )
)
def test_names_dates_time_zones_file_names_and_words_are_not_key_material(ordinary: str) -> None:
    assert not holds_key_material(ordinary, is_ordinary_word)
