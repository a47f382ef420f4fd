"""/settings → "Delete all my data", as a user sees it, on SQLite and PostgreSQL.

Ada syncs Binance, uploads a file, sets her time zone and leaves /connect unfinished; Bob, another user, has his own
account. Ada asks to delete everything: the bot lists what it holds, she confirms, every row of hers is gone (counted
here with plain SQL, table by table, from the migrated database's own list of tables), the sealed key's ciphertext is
gone from the database's bytes, Bob keeps everything, and /start greets her as a new user.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import AsyncIterator, Collection
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.typedefs import Handler
from sqlalchemy import inspect, text
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.context import SERVICES_KEY, Services
from bot.integrations import AdvancedOptions
from bot.secret import Secret
from bot.vault import generate_key
from connectors.files.tallybot import template_csv
from db.engine import Database
from handlers.callbacks import ERASE
from i18n import t, tn
from sandbox.botapi import BotApiEmulator
from sandbox.exchanges import AccountProfile, BinanceEmulator, BinanceLimits, Credentials
from sandbox.exchanges.base import FaultAction
from sandbox.runner import ErrorRecorder
from tests.assistant_story import Walker
from tests.bot_harness import running_bot, settings_for
from tests.reliability.test_secrets import database_bytes

SMALL = AccountProfile(
    years=0.5, traded_markets=3, trades=30, deposits=4, withdrawals=3, converts=2, transfers=2, rewards=2
)
ADA, BOB = 1001, 2002
# Tables with nobody's data: the test's own list, kept apart from the product's on purpose.
NOBODYS = {
    "instance_leases",
    "alembic_version",
    "webhook_updates",
    "telegram_budget",
    "procrastinate_workers",
    "procrastinate_periodic_defers",
}


# -- whose rows a table holds, told apart with plain SQL ---------------------------------------------------------


async def table_columns(database: Database) -> dict[str, set[str]]:
    """Every table of the migrated database with its columns (what the migrations made, not only the models)."""

    def read(connection: Any) -> dict[str, set[str]]:
        inspector = inspect(connection)
        return {table: {c["name"] for c in inspector.get_columns(table)} for table in inspector.get_table_names()}

    async with database.engine.connect() as connection:
        return dict(await connection.run_sync(read))


def _listed(values: Collection[int]) -> str:
    return "(" + ",".join(str(int(v)) for v in values) + ")" if values else "(NULL)"


def owner_condition(
    table: str, columns: set[str], user_ids: Collection[int], integration_ids: Collection[int], telegram_user_id: int
) -> str:
    """SQL selecting the rows of `table` that belong to one user. A table the test cannot attribute fails: say whose
    rows it holds here, and delete them in db/repositories/erase.py."""
    if table == "users":
        return f"telegram_user_id = {int(telegram_user_id)} OR id IN {_listed(user_ids)}"
    if table == "procrastinate_jobs":  # a sync job: the user's id in its arguments, or their account's lock
        locks = ",".join(f"'integration:{int(i)}'" for i in integration_ids) or "NULL"
        return f"args->>'telegram_user_id' = '{int(telegram_user_id)}' OR lock IN ({locks})"
    if table == "procrastinate_events":  # what happened to a job, by the job's id
        jobs = owner_condition("procrastinate_jobs", set(), user_ids, integration_ids, telegram_user_id)
        return f"job_id IN (SELECT id FROM procrastinate_jobs WHERE {jobs})"  # noqa: S608 - ints only
    if "integration_id" in columns:
        return f"integration_id IN {_listed(integration_ids)}"
    if "user_id" in columns:
        return f"user_id IN {_listed(user_ids)}"
    if "telegram_user_id" in columns:
        return f"telegram_user_id = {int(telegram_user_id)}"
    if "chat_id" in columns:  # a private chat's id is the user's id
        return f"chat_id = {int(telegram_user_id)}"
    raise AssertionError(f"table {table}: the test cannot tell whose rows it holds")


async def ids_of(database: Database, telegram_user_id: int) -> tuple[int | None, list[int]]:
    """The user's users row id and integration ids."""
    async with database.reader() as session:
        user = (
            await session.execute(text("SELECT id FROM users WHERE telegram_user_id = :t"), {"t": telegram_user_id})
        ).scalar()
        if user is None:
            return None, []
        found = await session.execute(text("SELECT id FROM integrations WHERE user_id = :u ORDER BY id"), {"u": user})
        return int(user), [int(v) for v in found.scalars()]


async def rows_of(
    database: Database, telegram_user_id: int, user_ids: Collection[int] = (), integration_ids: Collection[int] = ()
) -> dict[str, int]:
    """How many rows of each table belong to the user: by their rows as they are now, plus the ids given (of rows
    deleted since, so that orphans left behind are counted too)."""
    user, integrations = await ids_of(database, telegram_user_id)
    users = set(user_ids) | ({user} if user is not None else set())
    owned = set(integration_ids) | set(integrations)
    counts = {}
    async with database.reader() as session:
        for table, columns in sorted((await table_columns(database)).items()):
            if table in NOBODYS:
                continue
            condition = owner_condition(table, columns, users, owned, telegram_user_id)
            sql = f'SELECT count(*) FROM "{table}" WHERE {condition}'  # noqa: S608 - our own table names and ints
            counts[table] = int((await session.execute(text(sql))).scalar_one())
    return counts


async def sealed_values(database: Database, integration_ids: Collection[int]) -> list[str]:
    """The base64 ciphertexts of the keys of these integrations, as stored."""
    async with database.reader() as session:
        rows = await session.execute(
            text(f"SELECT sealed FROM credentials WHERE integration_id IN {_listed(integration_ids)}")  # noqa: S608
        )
        found = []
        for (sealed,) in rows:
            envelopes = json.loads(sealed) if isinstance(sealed, str) else sealed
            found += [envelope["c"] for envelope in envelopes.values()]
        return found


async def file_rows(database: Database, integration_ids: Collection[int]) -> int:
    mine = f"integration_id IN {_listed(integration_ids)}"
    sql = f"SELECT count(*) FROM transactions WHERE source = 'file' AND {mine}"  # noqa: S608 - ints only
    async with database.reader() as session:
        return int((await session.execute(text(sql))).scalar_one())


# -- the story ---------------------------------------------------------------------------------------------------


@pytest.fixture
async def binance() -> AsyncIterator[BinanceEmulator]:
    limits = BinanceLimits(sapi_uid_weight_per_minute=100_000_000)  # the story is about the bot, not waiting
    async with BinanceEmulator(seed=41, profile=SMALL, listed_symbols=12, limits=limits) as emulator:
        yield emulator


async def connect(services: Services, telegram_user_id: int, key: Credentials, name: str = "Binance-1") -> int:
    """An account as the Assistant leaves it (the Assistant itself is tested in test_assistant_e2e)."""
    summary = await services.integrations.connect(
        telegram_user_id,
        exchange_id="binance",
        key_type="default",
        account_name=name,
        fields={"apiKey": Secret(key.api_key), "secret": Secret(key.secret)},
        options=AdvancedOptions(sync_from=date.today() - timedelta(days=200)),
    )
    return summary.id


def bot_settings(telegram: BotApiEmulator, binance: BinanceEmulator, tmp_path: Path, database_url: str) -> Any:
    return settings_for(
        telegram,
        tmp_path / "data",
        exchange_url_overrides={"binance": binance.base_url},
        database_url=None if database_url.startswith("sqlite") else database_url,
        master_key=base64.b64encode(generate_key()).decode(),
    )


async def test_ada_deletes_everything_bob_keeps_his_and_start_greets_her_as_new(
    telegram: BotApiEmulator,
    binance: BinanceEmulator,
    ada: Walker,
    recorder: ErrorRecorder,
    database_url: str,
    tmp_path: Path,
) -> None:
    bob = Walker(telegram, telegram.add_user(user_id=BOB, first_name="Bob", started=True))
    ada_key, bob_key = binance.add_key(label="ada"), binance.add_key(label="bob")
    async with running_bot(bot_settings(telegram, binance, tmp_path, database_url)) as app:
        services: Services = app.bot_data[SERVICES_KEY]
        database = services.database
        await connect(services, ADA, ada_key)
        await connect(services, BOB, bob_key)
        await ada.sync_now()
        await bob.sync_now()
        upload = await telegram.send_document(ada.user, filename="history.csv", content=template_csv())
        await ada.reply_to(upload, "Which account")
        await ada.press_for("Binance-1", "imported", timeout=30)
        zone = await ada.send("/settings")
        await ada.reply_to(zone, "Time zone")
        await ada.press_for("Asia/Tokyo", "Time zone set")
        unfinished = await ada.send("/connect")
        await ada.reply_to(unfinished, "")
        await services.open_messages.opened(ADA, 999_999, "sync")  # one a crashed instance would have left open
        # A file sent but not assigned to an account yet: its Telegram file id and name wait in the database (any
        # replica answers its buttons) until she picks one; the file she imported above left no such row.
        unassigned = await telegram.send_document(ada.user, filename="later.csv", content=template_csv())
        pending = await ada.reply_to(unassigned, "Which account")
        clients = services.pool.open_clients
        ada_user, ada_integrations = await ids_of(database, ADA)
        held = await rows_of(database, ADA)
        bobs = await rows_of(database, BOB)
        ciphertexts = await sealed_values(database, ada_integrations)
        before_bytes = await database_bytes(services, tmp_path / "data")
        from_files = await file_rows(database, ada_integrations)

        settings_menu = await ada.send("/settings")
        await ada.reply_to(settings_menu, "Time zone")
        question = await ada.press_for("Delete all my data", "Delete everything Tallybot holds about you?")
        question_text = question.text or ""
        done = await ada.press_for("Yes, delete everything", "Deleted.")
        done_text = done.text or ""
        left = await rows_of(database, ADA, user_ids=[ada_user or 0], integration_ids=ada_integrations)
        bob_after = await rows_of(database, BOB)
        after_bytes = await database_bytes(services, tmp_path / "data")
        clients_after = services.pool.open_clients
        answered = len(telegram.answered_callbacks)
        await telegram.press_button(ada.user, pending, t("upload.button.new_account"))
        await telegram.wait_until(lambda: len(telegram.answered_callbacks) > answered)
        after_old_upload = await ids_of(database, ADA)

        again = await ada.send("/start")
        welcome = await ada.reply_to(again, "Welcome to Tallybot")
        # /start goes on with the Assistant's picker; on PostgreSQL the shared Telegram budget paces a chat at one
        # message a second after a short burst, so wait for it before /keys or it would be taken as /keys' answer.
        await ada.reply_to(again, "Connect your exchanges")
        new_user, new_integrations = await ids_of(database, ADA)
        profile = await services.users.register(ADA)
        keys = await ada.send("/keys")
        no_keys = await ada.reply_to(keys, "")

    # What she had, counted with plain SQL: every table that holds a user's rows had some of hers.
    assert held["integrations"] == 1 and held["credentials"] == 1 and held["users"] == 1
    assert held["transactions"] > from_files == 2  # the template's two rows
    assert held["pending_uploads"] == 1, "only the file not assigned yet waits"
    assert (
        min(held["sync_runs"], held["endpoint_states"], held["assistant_drafts"], held["open_progress_messages"]) >= 1
    )
    # What the question and the answer list, from those counts.
    for shown in (question_text, done_text):
        assert tn("erase.count.accounts", 1) in shown and tn("erase.count.keys", 1) in shown
        assert tn("erase.count.synced_transactions", held["transactions"] - 2) in shown
        assert tn("erase.count.file_transactions", 2) in shown
        assert tn("erase.count.sync_runs", held["sync_runs"]) in shown
        assert tn("erase.count.sync_positions", held["endpoint_states"]) in shown
        assert tn("erase.count.drafts", 1) in shown and tn("erase.count.progress_records", 1) in shown
        assert t("erase.item.settings") in shown
    assert done.message_id == question.message_id and not done.buttons, "the confirmation became the answer"
    # Nothing of hers is left, not even rows that point at her deleted account or user row.
    assert left == dict.fromkeys(left, 0), left
    assert bob_after == bobs and bobs["transactions"] > 0 and bobs["credentials"] == 1
    # Her sealed key: in the database's bytes before, nowhere after (SQLite file and its log, or a dump).
    assert ciphertexts and all(any(c.encode() in blob for blob in before_bytes.values()) for c in ciphertexts)
    for value in [*ciphertexts, ada_key.api_key, ada_key.secret]:
        assert not any(value.encode() in blob for blob in after_bytes.values()), "deleted key material left on disk"
    for value in ciphertexts:
        raw = base64.b64decode(value)
        assert not any(raw in blob for blob in after_bytes.values())
    # Her exchange client (which holds her opened key) is closed at once; Bob's stays.
    assert clients == 2 and clients_after == 1
    # The file she had not assigned yet is forgotten too: its button creates no account (nor a user row).
    assert telegram.answered_callbacks[-1].text == t("button.stale") and after_old_upload == (None, [])
    # A new user: a new row with the default time zone and no accounts.
    assert welcome.text and new_user is not None and new_user != ada_user and new_integrations == []
    assert profile.timezone == "UTC"
    assert no_keys.text == t("assistant.keys.empty")
    assert recorder.messages == []


async def test_a_kept_forged_expired_malformed_or_older_confirmation_deletes_nothing(
    telegram: BotApiEmulator, binance: BinanceEmulator, ada: Walker, recorder: ErrorRecorder, tmp_path: Path
) -> None:
    eve = Walker(telegram, telegram.add_user(user_id=6666, first_name="Eve", started=True))
    async with running_bot(settings_for(telegram, tmp_path / "data")) as app:
        services: Services = app.bot_data[SERVICES_KEY]
        database = services.database
        await connect(services, ADA, binance.add_key(label="ada"))
        await connect(services, eve.user.user_id, binance.add_key(label="eve"))
        ada_user, _ = await ids_of(database, ADA)
        assert ada_user is not None
        menus = []
        for _ in range(3):
            sent = await ada.send("/settings")
            menus.append(await ada.reply_to(sent, "Time zone"))

        async def ask(menu: Any) -> Any:
            await telegram.press_button(ada.user, menu, t("erase.button.open"))
            await telegram.wait_until(
                lambda: "Delete everything" in (telegram.message(ada.chat_id, menu.message_id).text or "")
            )
            return telegram.message(ada.chat_id, menu.message_id)

        older, kept, final = [await ask(menu) for menu in menus]
        answered = len(telegram.answered_callbacks)
        await telegram.press_button(ada.user, kept, t("erase.button.keep"))
        await telegram.wait_until(lambda: len(telegram.answered_callbacks) > answered)
        after_keep = await rows_of(database, ADA)

        # Eve presses a confirmation naming Ada's row; Ada one past its deadline, one without and one out of shape.
        def button(data: str) -> InlineKeyboardMarkup:
            return InlineKeyboardMarkup([[InlineKeyboardButton("Yes", callback_data=data)]])

        future, past = int(time.time()) + 300, int(time.time()) - 1
        await app.bot.send_message(eve.chat_id, "x", reply_markup=button(ERASE.data("yes", ada_user, future)))
        await eve.press("Yes")
        await app.bot.send_message(ada.chat_id, "x", reply_markup=button(ERASE.data("yes", ada_user, past)))
        await ada.press("Yes")
        await app.bot.send_message(ada.chat_id, "x", reply_markup=button(f"er:yes:{ada_user}:"))
        await ada.press("Yes")
        await app.bot.send_message(ada.chat_id, "x", reply_markup=button(f"er:yes:x{ada_user}:{future}"))
        await ada.press("Yes")
        after_forgeries = await rows_of(database, ADA), await rows_of(database, eve.user.user_id)

        await telegram.press_button(ada.user, final, t("erase.button.confirm"))
        await telegram.wait_until(lambda: "Deleted." in (telegram.message(ada.chat_id, final.message_id).text or ""))
        await connect(services, ADA, binance.add_key(label="ada again"), name="Binance-2")
        again = await rows_of(database, ADA)
        answered = len(telegram.answered_callbacks)
        await telegram.press_button(ada.user, older, t("erase.button.confirm"))  # within its 10 minutes
        await telegram.wait_until(lambda: len(telegram.answered_callbacks) > answered)
        after_older = await rows_of(database, ADA)

    alerts = [(a.user_id, a.text) for a in telegram.answered_callbacks if a.show_alert]
    assert telegram.message(ada.chat_id, kept.message_id).text == t("erase.kept")
    assert after_keep["integrations"] == 1 and after_keep["credentials"] == 1 and after_keep["users"] == 1
    assert after_forgeries[0] == after_keep and after_forgeries[1]["credentials"] == 1
    assert alerts == [
        (6666, t("erase.expired")),  # Eve: the row named is not hers
        (ADA, t("erase.expired")),  # past its deadline
        (ADA, t("erase.expired")),  # no deadline at all
        (ADA, t("button.stale")),  # not the codec's shape
        (ADA, t("erase.expired")),  # made for the Ada whose data is gone
    ]
    assert again["integrations"] == 1 and after_older == again
    assert recorder.messages == []


def held_until(reached: asyncio.Event, release: asyncio.Event) -> FaultAction:
    """Answer normally, once `release` is set; `reached` says the request is being held."""

    async def act(request: web.Request, handler: Handler) -> web.StreamResponse:
        reached.set()
        await release.wait()
        return await handler(request)

    return act


async def test_a_sync_running_when_ada_deletes_everything_stops_and_stores_nothing_more(
    telegram: BotApiEmulator,
    binance: BinanceEmulator,
    ada: Walker,
    recorder: ErrorRecorder,
    database_url: str,
    tmp_path: Path,
) -> None:
    """The deletion takes the sync's lease with everything else; the sync's next write finds no lease (the fence)
    and stops, so nothing of Ada's comes back, in this process or any other."""
    reached, release = asyncio.Event(), asyncio.Event()
    binance.faults.inject(held_until(reached, release), path="/api/v3/myTrades", after=2)
    settings = bot_settings(telegram, binance, tmp_path, database_url)
    async with running_bot(settings) as app:
        services: Services = app.bot_data[SERVICES_KEY]
        database = services.database
        await connect(services, ADA, binance.add_key(label="ada"))
        user_id, integration_ids = await ids_of(database, ADA)
        sync = await ada.send("/sync")
        await asyncio.wait_for(reached.wait(), timeout=60)
        during = await rows_of(database, ADA)
        menu = await ada.send("/settings")
        await ada.reply_to(menu, "Time zone")
        await ada.press_for("Delete all my data", "Delete everything")
        done = await ada.press_for("Yes, delete everything", "Deleted.")
        release.set()
        stopped = await ada.reply_to(sync, t("sync.refused.taken_over"), timeout=60)
        finished = [m for m in telegram.bot_messages(ada.chat_id) if "Sync finished" in (m.text or "")]
    # The bot has stopped: whatever the sync still had to do is done. Counted afresh.
    afterwards = Database(settings.effective_database_url)
    try:
        left = await rows_of(afterwards, ADA, user_ids=[user_id or 0], integration_ids=integration_ids)
    finally:
        await afterwards.dispose()

    assert during["sync_leases"] == 1 and during["sync_runs"] == 1, "the sync was running"
    assert tn("erase.count.running_syncs", 1) in (done.text or "")
    assert stopped.text and finished == []
    assert left == dict.fromkeys(left, 0), left
    assert recorder.messages == []
