"""Isolation: several users doing random things to their own accounts and trying everyone else's, through the
services and through the real bot. Nothing of one user is ever read by or written for another.

A hypothesis state machine plays three users per example (fresh Telegram ids each time) against one running bot, its
database, a Binance emulator and the export and import services. Every step is one user's action:

- on their own accounts: connect, rename, change options, replace the key, delete (key only, or everything), upload a
  file, sync (service and "Sync" button), list (/keys, /status, services), export and summarize;
- on someone else's: the same service calls naming another user's integration id (and ids that do not exist), and
  buttons with forged callback_data naming others' integrations or another user's Assistant flow.

After every step, for every user of the example other than the one who acted, a snapshot of everything stored for
them (user row, integrations, credentials, cursors, runs' count, transactions, Assistant draft) is unchanged: 0
cross-user writes. Every forged call raises IntegrationNotFound; every forged button is answered as expired; and
no text, button or callback_data the bot ever sent into a user's chat names another user's account (their names
carry the owner's id), and every listing or export holds exactly the user's own: 0 cross-user reads.

`test_ciphertexts_swapped_between_rows_do_not_decrypt` covers the vault's side: a sealed secret copied to another
row, user, field or draft fails to open.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import itertools
import random
import sqlite3
from collections import Counter
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import pytest
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
from sqlalchemy import select, update
from sqlalchemy.engine import make_url
from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.ext import Application

from bot import texts as common_texts
from bot.assistant.drafts import DraftStore
from bot.assistant.state import DraftState
from bot.context import SERVICES_KEY, Services
from bot.exports import ExportService
from bot.imports import ImportService
from bot.integrations import AdvancedOptions, IntegrationError, IntegrationNotFound, IntegrationService
from bot.secret import Secret
from bot.vault import KeyRing, Vault, VaultError, generate_key
from connectors.files.tallybot import template_csv
from db.engine import Database
from db.models import AssistantDraft, Credential, Integration
from i18n import t
from sandbox.botapi import BotApiEmulator
from sandbox.botapi.models import UserHandle
from sandbox.exchanges import AccountProfile, BinanceEmulator
from tests.assistant_story import Walker
from tests.bot_harness import running_bot, settings_for
from tests.sync.conftest import UNLIMITED

T = TypeVar("T")
USERS = 3
STEPS = 2_000  # normal run
LONG_STEPS = 10_000
STEPS_PER_EXAMPLE = 50
ACCOUNT = AccountProfile(
    years=0.1, traded_markets=1, trades=4, deposits=3, withdrawals=2, converts=0, transfers=0, rewards=0
)
ENDPOINTS = ("deposits", "withdrawals", "spot_trades")
FORGED = "forged by the test"  # the text of the messages that carry forged buttons (not the bot's own words)
# Service calls naming an integration: each must raise IntegrationNotFound for anyone but its owner.
SERVICE_CALLS = (
    "get",
    "rename",
    "replace_key",
    "update_options",
    "delete_key",
    "delete_all",
    "transaction_count",
    "credentials",
    "sync",
    "export",
    "summary",
    "import",
)
# Buttons a user could forge: (callback_data template, what they try).
BUTTONS = (
    "k:open:{id}:",
    "k:ren:{id}:",
    "k:rep:{id}:",
    "k:opt:{id}:",
    "k:del:{id}:",
    "k:delx:{id}:all",
    "k:delx:{id}:key",
    "k:keep:{id}:",
    "sy:{id}",
    "sy:{own},{id}",
    "tb:{id}",
)


# ------------------------------------------------------------------------------------------------ the world


@dataclass
class World:
    """What every example shares: the event loop, the running bot and emulators, counters."""

    loop: asyncio.AbstractEventLoop
    telegram: BotApiEmulator
    binance: BinanceEmulator
    app: Application  # type: ignore[type-arg]
    exports: ExportService
    imports: ImportService
    folder: Path
    user_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(2_000_001))
    steps: int = 0
    actions: Counter[str] = field(default_factory=Counter)
    forged_calls: int = 0
    forged_presses: int = 0
    reads_checked: int = 0
    snapshots_compared: int = 0
    messages_scanned: int = 0
    reused_ids: int = 0

    @property
    def services(self) -> Services:
        found: Services = self.app.bot_data[SERVICES_KEY]
        return found

    @property
    def database_file(self) -> str:
        path = make_url(self.services.database.url).database
        assert path is not None
        return path

    def run(self, work: Coroutine[Any, Any, T]) -> T:
        return self.loop.run_until_complete(asyncio.wait_for(work, timeout=120))


@contextlib.asynccontextmanager
async def world_running(loop: asyncio.AbstractEventLoop, folder: Path) -> AsyncIterator[World]:
    limits = UNLIMITED  # no real waits for Binance's weight limits: this emulator serves the whole test
    async with (
        BotApiEmulator() as telegram,
        BinanceEmulator(seed=61, profile=ACCOUNT, listed_symbols=8, limits=limits) as binance,
    ):
        settings = settings_for(telegram, folder / "data", exchange_url_overrides={"binance": binance.base_url})
        async with running_bot(settings) as app:
            services: Services = app.bot_data[SERVICES_KEY]
            # Requests go out at once: counts, not the exchange's pace, are under test here.
            async with services.pool.client("binance", "warm-up", {}) as client:
                client.throttler.config["refillRate"] = 1e6
            yield World(
                loop=loop,
                telegram=telegram,
                binance=binance,
                app=app,
                exports=ExportService(services.database),
                imports=ImportService(services.database),
                folder=folder,
            )
        assert telegram.internal_errors == []


@dataclass
class Person:
    telegram_id: int
    handle: UserHandle
    walker: Walker
    names: int = 0

    @property
    def tag(self) -> str:
        """Every account name of this person starts with it, so a leak names its owner. Words, not one token like
        "U2000001x1": a name of 8+ characters mixing letters and digits is refused as a possible key (issue 12)."""
        return f"User {self.telegram_id} n"

    def new_name(self) -> str:
        self.names += 1
        return f"{self.tag}{self.names}"


Snapshot = dict[str, Any]


def snapshots(path: str, telegram_ids: list[int]) -> dict[int, Snapshot]:
    """Everything stored for each of these users, as plain comparable values. Read with the standard library's
    sqlite3 straight from the bot's database file (WAL: readers never block the bot): a few milliseconds."""
    found: dict[int, Snapshot] = {tid: {"user": None, "integrations": {}, "draft": None} for tid in telegram_ids}

    def rows(query: str, values: list[int]) -> list[tuple[Any, ...]]:
        # `query` has one "{}" where the list of placeholders goes: only "?" marks are formatted into it.
        return raw.execute(query.format(",".join("?" * len(values))), values).fetchall()

    with contextlib.closing(sqlite3.connect(path)) as raw:
        owner: dict[int, int] = {}
        for user_id, telegram_id, timezone in rows(
            "SELECT id, telegram_user_id, timezone FROM users WHERE telegram_user_id IN ({})", telegram_ids
        ):
            owner[user_id] = telegram_id
            found[telegram_id]["user"] = (user_id, timezone)
        by_id: dict[int, dict[str, Any]] = {}
        for integration_id, user_id, *row in rows(
            "SELECT id, user_id, account_name, exchange_id, subaccount, options, key_type, status, status_detail, "
            "last_synced_at FROM integrations WHERE user_id IN ({})",
            list(owner),
        ):
            by_id[integration_id] = {"row": row, "credential": None, "transactions": [], "states": [], "runs": 0}
            found[owner[user_id]]["integrations"][integration_id] = by_id[integration_id]
        ids = list(by_id)
        for integration_id, *row in rows(
            "SELECT integration_id, id, key_type, sealed, api_key_fingerprint, expires_at FROM credentials "
            "WHERE integration_id IN ({})",
            ids,
        ):
            by_id[integration_id]["credential"] = row
        for integration_id, *row in rows(
            "SELECT integration_id, natural_key, kind, occurred_at, asset, amount, source FROM transactions "
            "WHERE integration_id IN ({}) ORDER BY integration_id, natural_key",
            ids,
        ):
            by_id[integration_id]["transactions"].append(row)
        for integration_id, *row in rows(
            "SELECT integration_id, endpoint, market, cursor, covered_until, last_status, last_error_code "
            "FROM endpoint_states WHERE integration_id IN ({}) ORDER BY id",
            ids,
        ):
            by_id[integration_id]["states"].append(row)
        for integration_id, count in rows(
            "SELECT integration_id, count(*) FROM sync_runs WHERE integration_id IN ({}) GROUP BY integration_id", ids
        ):
            by_id[integration_id]["runs"] = count
        for telegram_id, *row in rows(
            "SELECT telegram_user_id, token, state, sealed, chat_id FROM assistant_drafts "
            "WHERE telegram_user_id IN ({})",
            telegram_ids,
        ):
            found[telegram_id]["draft"] = row
    return found


# ------------------------------------------------------------------------------------------------ the machine


class Isolation(RuleBasedStateMachine):
    world: ClassVar[World]

    def __init__(self) -> None:
        super().__init__()
        world = self.world
        self.people: list[Person] = []
        for _ in range(USERS):
            telegram_id = next(world.user_ids)
            handle = world.telegram.add_user(user_id=telegram_id, first_name=f"User{telegram_id}", started=True)
            self.people.append(Person(telegram_id, handle, Walker(world.telegram, handle)))
        self.owner: dict[int, int] = {}  # integration id -> index of its owner in people
        self.live: dict[int, bool] = {}  # integration id -> still has a key (False: kept history only)
        self.gone_owner: dict[int, int] = {}  # deleted with their history -> index of the owner they had
        self.step_number = 0
        self.last: dict[int, Snapshot] | None = None  # the stored data after the previous step
        self.checked: dict[tuple[int, int], int] = {}  # (chat, message) -> versions already checked

    # -- helpers ---------------------------------------------------------------------------------------------

    @property
    def services(self) -> Services:
        return self.world.services

    def own(self, person: int, pick: int, *, live_only: bool = False) -> int | None:
        mine = sorted(i for i, p in self.owner.items() if p == person and (self.live[i] or not live_only))
        return mine[pick % len(mine)] if mine else None

    def foreign(self, person: int, pick: int) -> int | None:
        theirs = sorted(i for i, p in self.owner.items() if p != person)
        return theirs[pick % len(theirs)] if theirs else None

    def act(self, person: int, name: str, work: Callable[[], Coroutine[Any, Any, None]]) -> None:
        """Run one action of `person`; every other user's stored data must come out unchanged."""
        world = self.world
        world.steps += 1
        world.actions[name] += 1
        ids = [p.telegram_id for p in self.people]
        # Nothing writes between steps (syncs started from buttons are waited for), so the snapshot taken after
        # the previous step is the one before this step.
        before = self.last if self.last is not None else snapshots(world.database_file, ids)
        world.run(work())
        after = self.last = snapshots(world.database_file, ids)
        for index, telegram_id in enumerate(ids):
            if index != person:
                world.snapshots_compared += 1
                assert after[telegram_id] == before[telegram_id], f"{name} by user {person} changed user {index}"
        self.check_reads()

    def check_reads(self) -> None:
        """No bot message that appeared (or changed) in anyone's chat during this step names another user's account
        or an integration that is not theirs right now. (Older messages were checked when they appeared: a stale
        button may name an id SQLite has since handed to someone else, which the ownership check refuses.)"""
        world = self.world
        for index, person in enumerate(self.people):
            others = [p.tag for i, p in enumerate(self.people) if i != index]
            mine = {i for i, p in (*self.owner.items(), *self.gone_owner.items()) if p == index}
            for message in world.telegram.messages(person.telegram_id):
                if not message.from_bot or message.text == FORGED:
                    continue
                key = (person.telegram_id, message.message_id)
                if self.checked.get(key) == len(message.history):
                    continue
                self.checked[key] = len(message.history)
                world.messages_scanned += 1
                texts = [message.text or "", *(version.text or "" for version in message.history)]
                texts += [button.text for button in message.buttons]
                for text in texts:
                    assert not any(tag in text for tag in others), f"user {index} was shown: {text}"
                for button in message.buttons:
                    assert referenced_ids(button.callback_data or "") <= mine, (button.callback_data, mine)

    async def press_forged(self, person: Person, data: str) -> str:
        """The bot's chat gets a message with a button carrying `data`; the person presses it. The answer."""
        world = self.world
        markup = InlineKeyboardMarkup([[InlineKeyboardButton("press", callback_data=data)]])
        sent = await world.app.bot.send_message(person.telegram_id, FORGED, reply_markup=markup)
        carrier = world.telegram.message(person.telegram_id, sent.message_id)
        query = await world.telegram.press_button(person.handle, carrier, "press")
        await world.telegram.wait_until(lambda: world.telegram.callback_answer(query) is not None, timeout=30)
        answer = world.telegram.callback_answer(query)
        assert answer is not None
        await settle(world, person)
        return answer.text or ""

    @invariant()
    def count_the_step(self) -> None:
        # Preconditions read this counter: it must depend on nothing but the steps taken (hypothesis replays).
        self.step_number += 1

    # -- own accounts ----------------------------------------------------------------------------------------

    @initialize()
    def everyone_starts_with_an_account(self) -> None:
        for person in range(USERS):
            self.connect_account(person)

    @precondition(lambda self: len(self.owner) < 2 * USERS)
    @rule(person=st.integers(0, USERS - 1))
    def connect(self, person: int) -> None:
        self.connect_account(person)

    def connect_account(self, person: int) -> None:
        someone = self.people[person]

        async def work() -> None:
            keys = self.world.binance.add_key(label=someone.tag)
            summary = await self.services.integrations.connect(
                someone.telegram_id,
                exchange_id="binance",
                key_type="default",
                account_name=someone.new_name(),
                fields={"apiKey": Secret(keys.api_key), "secret": Secret(keys.secret)},
                options=AdvancedOptions(sync_from=self.sync_from, endpoints=ENDPOINTS),
            )
            if summary.id in self.gone_owner:
                # Never since migration 0005 (AUTOINCREMENT on SQLite); counted, so a regression shows in the report.
                del self.gone_owner[summary.id]
                self.world.reused_ids += 1
            self.owner[summary.id] = person
            self.live[summary.id] = True

        self.act(person, "connect", work)

    @property
    def sync_from(self) -> date:
        account = self.world.binance.account
        first = min(r.timestamp for rs in (account.trades, account.deposits, account.withdrawals) for r in rs)
        return (datetime.fromtimestamp(first / 1000, UTC) - timedelta(days=1)).date()

    @rule(person=st.integers(0, USERS - 1), pick=st.integers(0, 9))
    def rename(self, person: int, pick: int) -> None:
        target = self.own(person, pick)
        if target is None:
            return
        someone = self.people[person]

        async def work() -> None:
            renamed = await self.services.integrations.rename(someone.telegram_id, target, someone.new_name())
            assert renamed.id == target

        self.act(person, "rename", work)

    @rule(person=st.integers(0, USERS - 1), pick=st.integers(0, 9), days=st.integers(0, 3), sub=st.booleans())
    def change_options(self, person: int, pick: int, days: int, sub: bool) -> None:
        target = self.own(person, pick)
        if target is None:
            return
        someone = self.people[person]
        options = AdvancedOptions(
            subaccount=f"{someone.tag}sub" if sub else None,
            sync_from=self.sync_from - timedelta(days=days),  # a sync stays a few windows long
            endpoints=ENDPOINTS,
        )

        async def work() -> None:
            await self.services.integrations.update_options(someone.telegram_id, target, options)

        self.act(person, "change options", work)

    @rule(person=st.integers(0, USERS - 1), pick=st.integers(0, 9))
    def replace_key(self, person: int, pick: int) -> None:
        target = self.own(person, pick)
        if target is None:
            return
        someone = self.people[person]

        async def work() -> None:
            keys = self.world.binance.add_key(label=someone.tag)
            fields = {"apiKey": Secret(keys.api_key), "secret": Secret(keys.secret)}
            await self.services.integrations.replace_key(someone.telegram_id, target, key_type="default", fields=fields)
            self.live[target] = True

        self.act(person, "replace key", work)

    @rule(person=st.integers(0, USERS - 1), pick=st.integers(0, 9), keep=st.booleans())
    def delete(self, person: int, pick: int, keep: bool) -> None:
        target = self.own(person, pick)
        if target is None:
            return
        someone = self.people[person]

        async def work() -> None:
            await self.services.integrations.delete(someone.telegram_id, target, keep_history=keep)
            if keep:
                self.live[target] = False
            else:
                del self.live[target]
                self.gone_owner[target] = self.owner.pop(target)

        self.act(person, "delete (key only)" if keep else "delete (everything)", work)

    @precondition(lambda self: self.step_number % 2 == 1)
    @rule(person=st.integers(0, USERS - 1), pick=st.integers(0, 9))
    def upload(self, person: int, pick: int) -> None:
        target = self.own(person, pick)
        if target is None:
            return
        someone = self.people[person]

        async def work() -> None:
            report = await self.world.imports.import_file(someone.telegram_id, target, "history.csv", template_csv())
            assert report.written and report.rejected_total == 0

        self.act(person, "upload", work)

    @precondition(lambda self: self.step_number % 20 == 0)
    @rule(person=st.integers(0, USERS - 1), pick=st.integers(0, 9))
    def sync(self, person: int, pick: int) -> None:
        target = self.own(person, pick, live_only=True)
        if target is None:
            return
        someone = self.people[person]

        async def work() -> None:
            result = await self.services.sync.run(someone.telegram_id, target)
            assert str(result.status) == "ok", result.to_json()

        self.act(person, "sync", work)

    @precondition(lambda self: self.step_number % 16 == 2)
    @rule(person=st.integers(0, USERS - 1))
    def read_own(self, person: int) -> None:
        """Listings, /status data, the export and the summary hold exactly the user's own accounts."""
        someone = self.people[person]
        mine = {i for i, p in self.owner.items() if p == person}

        async def work() -> None:
            world = self.world
            listed = await self.services.integrations.list(someone.telegram_id)
            assert {s.id for s in listed} == mine
            assert all(s.account_name.startswith(someone.tag) for s in listed)
            overview = await self.services.status.overview(someone.telegram_id)
            assert {a.summary.id for a in overview} == mine
            target = world.folder / f"export-{someone.telegram_id}.csv"
            report = await world.exports.export(someone.telegram_id, fmt="tallybot", path=target)
            with target.open(newline="", encoding="utf-8") as handle:
                accounts = {row["account"] for row in csv.DictReader(handle)}
            assert accounts <= {s.account_name for s in listed}
            summary = await world.exports.summary(someone.telegram_id)
            stored = 0
            for integration_id in mine:
                stored += await self.services.integrations.transaction_count(someone.telegram_id, integration_id)
            assert report.records == summary.records == stored
            world.reads_checked += 1

        self.act(person, "read own", work)

    # -- someone else's --------------------------------------------------------------------------------------

    @rule(person=st.integers(0, USERS - 1), pick=st.integers(0, 99), call=st.sampled_from(SERVICE_CALLS))
    def forge_a_service_call(self, person: int, pick: int, call: str) -> None:
        victim = self.foreign(person, pick)
        if victim is None:
            victim = 10**9 + pick  # an id nobody has
        self.forge(person, victim, call)

    @rule(
        person=st.integers(0, USERS - 1),
        victim=st.sampled_from([0, -1, 10**12, 2**63 - 1]),
        call=st.sampled_from(SERVICE_CALLS),
    )
    def forge_an_impossible_id(self, person: int, victim: int, call: str) -> None:
        self.forge(person, victim, call)

    @rule(person=st.integers(0, USERS - 1), pick=st.integers(0, 99), call=st.sampled_from(SERVICE_CALLS))
    def use_a_deleted_account(self, person: int, pick: int, call: str) -> None:
        gone = sorted(self.gone_owner)
        if gone:
            self.forge(person, gone[pick % len(gone)], call)

    def forge(self, person: int, victim: int, call: str) -> None:
        someone = self.people[person]
        world = self.world
        services = self.services

        async def attempt() -> None:
            tid = someone.telegram_id
            keys = Secret("A" * 40 + "1234567890abcdef1234"), Secret("B" * 40 + "1234567890abcdef1234")
            fields = {"apiKey": keys[0], "secret": keys[1]}
            if call == "get":
                await services.integrations.get(tid, victim)
            elif call == "rename":
                await services.integrations.rename(tid, victim, someone.new_name())
            elif call == "replace_key":
                await services.integrations.replace_key(tid, victim, key_type="default", fields=fields)
            elif call == "update_options":
                await services.integrations.update_options(tid, victim, AdvancedOptions(subaccount="mine now"))
            elif call == "delete_key":
                await services.integrations.delete(tid, victim, keep_history=True)
            elif call == "delete_all":
                await services.integrations.delete(tid, victim, keep_history=False)
            elif call == "transaction_count":
                await services.integrations.transaction_count(tid, victim)
            elif call == "credentials":
                await services.integrations.credentials(tid, victim)
            elif call == "sync":
                await services.sync.run(tid, victim)
            elif call == "export":
                await world.exports.export(tid, fmt="tallybot", integration_id=victim, path=world.folder / "x.csv")
            elif call == "summary":
                await world.exports.summary(tid, victim)
            else:
                await world.imports.import_file(tid, victim, "history.csv", template_csv())

        async def work() -> None:
            with pytest.raises(IntegrationNotFound):
                await attempt()
            world.forged_calls += 1

        self.act(person, f"forged {call}", work)

    @precondition(lambda self: self.step_number % 3 == 0)
    @rule(person=st.integers(0, USERS - 1), pick=st.integers(0, 99), template=st.sampled_from(BUTTONS))
    def forge_a_button(self, person: int, pick: int, template: str) -> None:
        victim = self.foreign(person, pick)
        if victim is None:
            return
        someone = self.people[person]
        own = self.own(person, pick, live_only=True) or victim

        async def work() -> None:
            answer = await self.press_forged(someone, template.format(id=victim, own=own))
            if template == "sy:{own},{id}" and own != victim:
                # The user's own account in the list is synced; the other one is not touched.
                await settle_sync(self.world, someone)
            else:
                assert answer in (t("assistant.alert.expired_menu"), common_texts.STALE_BUTTON), answer
            self.world.forged_presses += 1

        self.act(person, "forged button", work)

    @precondition(lambda self: self.step_number % 5 == 3)
    @rule(person=st.integers(0, USERS - 1), victim=st.integers(0, USERS - 1), action=st.sampled_from(["t", "ok", "x"]))
    def press_inside_someone_elses_flow(self, person: int, victim: int, action: str) -> None:
        """The victim has an Assistant flow open; the person presses a button carrying the victim's flow token."""
        if victim == person:
            return
        world = self.world
        someone, other = self.people[person], self.people[victim]

        async def open_flow() -> None:
            await world.services.drafts.begin(other.telegram_id, other.telegram_id, DraftState())

        self.act(victim, "open a flow", open_flow)
        token = world.run(world.services.drafts.load(other.telegram_id))
        assert token is not None

        async def work() -> None:
            answer = await self.press_forged(someone, f"as:{token.token}:{action}:binance")
            assert answer == t("assistant.alert.expired_menu"), answer
            world.forged_presses += 1

        self.act(person, "forged Assistant button", work)

    @precondition(lambda self: self.step_number % 4 == 1)
    @rule(person=st.integers(0, USERS - 1), command=st.sampled_from(["/keys", "/status"]))
    def list_in_the_bot(self, person: int, command: str) -> None:
        someone = self.people[person]
        mine = [i for i, p in self.owner.items() if p == person]

        async def work() -> None:
            sent = await someone.walker.send(command)
            answer = await someone.walker.reply_to(sent, "", timeout=30)
            await settle(self.world, someone)
            text = answer.text or ""
            if mine:
                async with self.services.database.reader() as session:
                    names = (
                        await session.scalars(select(Integration.account_name).where(Integration.id.in_(mine)))
                    ).all()
                assert all(name in text for name in names), (names, text)

        self.act(person, command, work)

    @precondition(lambda self: self.step_number % 20 == 10)
    @rule(person=st.integers(0, USERS - 1), pick=st.integers(0, 9))
    def sync_button(self, person: int, pick: int) -> None:
        target = self.own(person, pick, live_only=True)
        if target is None:
            return
        someone = self.people[person]

        async def work() -> None:
            answer = await self.press_forged(someone, f"sy:{target}")
            assert answer == "", answer  # a plain acknowledgement: the sync starts
            await settle_sync(self.world, someone)

        self.act(person, "sync button", work)


def referenced_ids(data: str) -> set[int]:
    """Integration ids a button's callback_data names (k:<action>:<id>:…, sy:<id>[,<id>…], tb:<id>)."""
    parts = data.split(":")
    if parts[0] == "k" and len(parts) >= 3 and parts[2].isdigit():
        return {int(parts[2])}
    if parts[0] in ("sy", "tb") and len(parts) == 2:
        return {int(part) for part in parts[1].split(",") if part.isdigit()}
    return set()


async def settle(world: World, person: Person) -> None:
    """Wait until the bot has handled every update sent so far: the emulator has none left to hand out (so PTB has
    queued them all) and PTB's update queue has none unfinished (each is marked done after its handlers ran)."""
    await world.telegram.wait_until(lambda: not world.telegram.pending_updates, timeout=30)
    await asyncio.wait_for(world.app.update_queue.join(), timeout=30)


async def settle_sync(world: World, person: Person) -> None:
    """Wait for the summary of a sync started from a button, so it cannot write during another user's step."""
    before = len([m for m in world.telegram.bot_messages(person.telegram_id) if "Sync finished" in (m.text or "")])

    def finished() -> bool:
        done = [m for m in world.telegram.bot_messages(person.telegram_id) if "Sync finished" in (m.text or "")]
        return len(done) > before and not world.services.background._tasks

    await world.telegram.wait_until(finished, timeout=60, recheck_every=0.05)


# ------------------------------------------------------------------------------------------------ the tests


def test_no_user_reads_or_writes_anything_of_another(
    tmp_path: Path, long_run: bool, measured: Callable[..., None]
) -> None:
    wanted = LONG_STEPS if long_run else STEPS
    loop = asyncio.new_event_loop()
    try:
        manager = world_running(loop, tmp_path)
        world = loop.run_until_complete(manager.__aenter__())
        try:
            Isolation.world = world
            examples = 0
            while world.steps < wanted:
                examples += 1
                run_state_machine_as_test(
                    Isolation,
                    settings=settings(
                        max_examples=max(1, (wanted - world.steps) // STEPS_PER_EXAMPLE + 1),
                        stateful_step_count=STEPS_PER_EXAMPLE,
                        deadline=None,
                        derandomize=not long_run,
                        database=None,
                        suppress_health_check=list(HealthCheck),
                        # The world outlives an example (new users each time): a replay is not the same run, so
                        # a failure is reported as found, not shrunk.
                        phases=(Phase.generate,),
                    ),
                )
        finally:
            loop.run_until_complete(manager.__aexit__(None, None, None))
    finally:
        loop.close()
    assert world.steps >= wanted
    assert world.forged_calls > 0 and world.forged_presses > 0 and world.reads_checked > 0
    measured(
        steps=world.steps,
        forged_service_calls=world.forged_calls,
        forged_button_presses=world.forged_presses,
        own_reads_checked=world.reads_checked,
        snapshots_compared=world.snapshots_compared,
        bot_messages_scanned=world.messages_scanned,
        integration_ids_reused=world.reused_ids,
        cross_user_reads=0,
        cross_user_writes=0,
        actions=dict(sorted(world.actions.items())),
    )


async def test_ciphertexts_swapped_between_rows_do_not_decrypt(database: Database) -> None:
    integrations = IntegrationService(database, Vault(KeyRing([generate_key()])))
    rng = random.Random(7)

    def key() -> Secret:
        return Secret("".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(64)))

    ada = await integrations.connect(
        1,
        exchange_id="binance",
        key_type="default",
        account_name="Ada",
        fields={"apiKey": key(), "secret": key()},
        options=AdvancedOptions(),
    )
    eve = await integrations.connect(
        2,
        exchange_id="binance",
        key_type="default",
        account_name="Eve",
        fields={"apiKey": key(), "secret": key()},
        options=AdvancedOptions(),
    )
    ada_second = await integrations.connect(
        1,
        exchange_id="binance",
        key_type="default",
        account_name="Ada-2",
        fields={"apiKey": key(), "secret": key()},
        options=AdvancedOptions(),
    )
    async with database.reader() as session:
        sealed = {row.integration_id: dict(row.sealed) for row in (await session.scalars(select(Credential))).all()}

    async def store(integration_id: int, value: dict[str, Any]) -> None:
        async with database.writer() as session:
            await session.execute(
                update(Credential).where(Credential.integration_id == integration_id).values(sealed=value)
            )

    async def refused(telegram_user_id: int, integration_id: int) -> None:
        with pytest.raises(VaultError):
            await integrations.credentials(telegram_user_id, integration_id)

    # Another user's ciphertext in this row, both ways.
    await store(ada.id, sealed[eve.id])
    await store(eve.id, sealed[ada.id])
    await refused(1, ada.id)
    await refused(2, eve.id)
    # The same user's other credential in this row.
    await store(ada.id, sealed[ada_second.id])
    await refused(1, ada.id)
    # The fields of one row swapped (the secret in the API key's slot).
    await store(ada.id, {"apiKey": sealed[ada.id]["secret"], "secret": sealed[ada.id]["apiKey"]})
    await refused(1, ada.id)
    # Put back as sealed: it opens again, so the refusals above came from the swaps alone.
    await store(ada.id, sealed[ada.id])
    await store(eve.id, sealed[eve.id])
    assert set(await integrations.credentials(1, ada.id)) == {"apiKey", "secret"}
    assert set(await integrations.credentials(2, eve.id)) == {"apiKey", "secret"}

    # A sealed secret of one Assistant flow copied into another's draft.
    drafts = DraftStore(database, integrations.vault)
    first = await drafts.begin(1, 1, DraftState())
    second = await drafts.begin(2, 2, DraftState())
    await drafts.put_secret(first, "binance", "apiKey", key())
    async with database.writer() as session:
        row = await session.get(AssistantDraft, first.id)
        assert row is not None
        stolen = dict(row.sealed)
        other = await session.get(AssistantDraft, second.id)
        assert other is not None
        other.sealed = stolen
    with pytest.raises(VaultError):
        await drafts.secrets(second, "binance")
    with pytest.raises(IntegrationError):
        await integrations.credentials(2, ada.id)  # and of course nobody opens another user's row by id
