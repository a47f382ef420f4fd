"""An upload's buttons are claimed before the import: a double press served at once (two webhook replicas) imports
the file once into one account, and a press whose import fails leaves the upload to be pressed again, with no
empty account behind. On SQLite and on PostgreSQL.

Two presses at once: the bot stops polling, the user taps the same button twice, and both updates are handed to the
Application together, as two replicas would each serve one (in one process PerUserOrder would serialise them).
"""

from __future__ import annotations

import asyncio
import base64
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from telegram import Update
from telegram.ext import Application

from bot.app import ALLOWED_UPDATES
from bot.context import SERVICES_KEY, Services
from bot.pending_uploads import PendingUploads
from bot.settings import Settings
from bot.vault import generate_key
from db.engine import Database
from db.repositories import TransactionRepository
from i18n import t
from sandbox.botapi import BotApiEmulator
from sandbox.exchanges import AccountProfile
from sandbox.exchanges.scripted import generate_account
from tests.assistant_story import Walker
from tests.bot_harness import running_bot, settings_for
from tests.files import samples

ACCOUNT = generate_account(
    11,
    1_790_000_000_000,
    profile=AccountProfile(years=1.0, traded_markets=3, trades=12, deposits=0, withdrawals=0, converts=0),
)
ADA = 1001


def bot_settings(telegram: BotApiEmulator, tmp_path: Path, database_url: str) -> Settings:
    """The bot on the test's database (migrated by the `database` fixture), with a master key as DATABASE_URL asks."""
    return settings_for(
        telegram, tmp_path / "data", database_url=database_url, master_key=base64.b64encode(generate_key()).decode()
    )


@asynccontextmanager
async def paused(app: Application) -> AsyncIterator[None]:  # type: ignore[type-arg]
    """The bot stops fetching updates meanwhile; on leaving it fetches again, dropping the taps the test handed over
    itself (Telegram would otherwise deliver them once more)."""
    assert app.updater is not None
    await app.updater.stop()
    try:
        yield
    finally:
        await app.updater.start_polling(allowed_updates=ALLOWED_UPDATES, drop_pending_updates=True)


async def tap_twice_on_exchange(walker: Walker, exchange: str) -> list[dict[str, Any]]:
    """The user taps the exchange button twice while the bot is paused: the two callback updates Telegram holds."""
    menu = walker.last_menu(exchange)
    before = len(walker.emulator.pending_updates)
    for _ in range(2):
        await walker.emulator.press_button(walker.user, menu, exchange)
    taps = walker.emulator.pending_updates[before:]
    assert len(taps) == 2 and all(tap["callback_query"]["data"].startswith("upn:") for tap in taps), taps
    return taps


async def served(app: Application, *raw: dict[str, Any]) -> None:  # type: ignore[type-arg]
    """Each update served at the same time, as by a replica of its own."""
    await asyncio.gather(*(app.process_update(Update.de_json(update, app.bot)) for update in raw))


async def answers_of(emulator: BotApiEmulator, taps: list[dict[str, Any]]) -> list[str | None]:
    ids = [tap["callback_query"]["id"] for tap in taps]
    await emulator.wait_until(lambda: all(emulator.callback_answer(i) is not None for i in ids))
    return [answer.text for i in ids if (answer := emulator.callback_answer(i)) is not None]


async def upload_to_new_binance_account(
    walker: Walker, name: str = "Binance-trades.csv", content: bytes = samples.binance_trade_export(ACCOUNT.trades)
) -> str:
    """Sends a file (Binance's trade export unless told) and picks "new account"; the token its buttons carry."""
    sent = await walker.emulator.send_document(walker.user, filename=name, content=content, mime_type="text/csv")
    await walker.reply_to(sent, "Which account")
    await walker.press_for("New file-only account", "Which exchange")
    data = walker.last_menu("Binance").buttons[0].callback_data or ""
    return data.split(":")[1]


async def test_two_presses_at_once_make_one_account_with_the_file_once(
    telegram: BotApiEmulator, ada: Walker, tmp_path: Path, database_url: str, database: Database
) -> None:
    async with running_bot(bot_settings(telegram, tmp_path, database_url)) as app:
        services: Services = app.bot_data[SERVICES_KEY]
        await upload_to_new_binance_account(ada)
        async with paused(app):
            taps = await tap_twice_on_exchange(ada, "Binance")
            await served(app, *taps)
        await telegram.wait_until(lambda: telegram.pending_updates == [])
        answers = await answers_of(telegram, taps)
        accounts = await services.integrations.list(ADA)
        stored = [await services.integrations.transaction_count(ADA, a.id) for a in accounts]
        texts = ada.all_bot_texts()

    assert [a.account_name for a in accounts] == ["Binance-1"], "one press made the account, the other none"
    assert stored == [len(ACCOUNT.trades)], "the file's trades stored once"
    assert sorted(answers, key=str) == sorted([None, t("button.stale")], key=str), answers
    assert f"New: {len(ACCOUNT.trades)}" in texts
    assert "Binance-2" not in texts


async def test_a_failed_write_leaves_no_account_and_the_upload_pressable(
    telegram: BotApiEmulator,
    ada: Walker,
    tmp_path: Path,
    database_url: str,
    database: Database,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    original = TransactionRepository.insert_missing

    async def failing_write(self: TransactionRepository, rows: object) -> int:
        # The account row is flushed in the same transaction just before: the write stopping here is the process
        # dying between "account created" and "file imported".
        raise ConnectionResetError("the database went away mid-import")

    async with running_bot(bot_settings(telegram, tmp_path, database_url)) as app:
        services: Services = app.bot_data[SERVICES_KEY]
        token = await upload_to_new_binance_account(ada)
        async with paused(app):
            first, second = await tap_twice_on_exchange(ada, "Binance")
            menu_id = first["callback_query"]["message"]["message_id"]
            monkeypatch.setattr(TransactionRepository, "insert_missing", failing_write)
            await served(app, first)
            after_failure = [a.account_name for a in await services.integrations.list(ADA)]
            waiting = await PendingUploads(database).get(ADA, token)
            failure_text = next(m.text for m in ada.emulator.bot_messages(ada.chat_id) if m.message_id == menu_id)
            monkeypatch.setattr(TransactionRepository, "insert_missing", original)
            await served(app, second)  # the user taps again
        await telegram.wait_until(lambda: telegram.pending_updates == [])
        accounts = await services.integrations.list(ADA)
        stored = [await services.integrations.transaction_count(ADA, a.id) for a in accounts]
        finished = await PendingUploads(database).get(ADA, token)
        # The menu message, edited by each press (the apology for the failure came as a message of its own).
        report = next(m.text for m in ada.emulator.bot_messages(ada.chat_id) if m.message_id == menu_id) or ""

    assert after_failure == [], "no empty account is left by the failed import"
    assert waiting is not None and waiting.name == "Binance-trades.csv", "the upload is pressable again"
    assert (failure_text or "").startswith(re.sub("<[^>]+>", "", t("closing.upload.failed"))), failure_text
    assert [a.account_name for a in accounts] == ["Binance-1"], "pressed again: Binance-1, not Binance-2"
    assert stored == [len(ACCOUNT.trades)]
    assert f"New: {len(ACCOUNT.trades)}" in report
    assert finished is None, "imported: the upload's buttons are stale from now on"


# Binance's older wallet layout: deposits and withdrawals had the same columns, told apart only by the file's name.
V1_WALLET = [
    ["Date(UTC)", "Coin", "Network", "Amount", "TransactionFee", "Address", "TXID", "SourceAddress", "PaymentID",
     "Status"],
    ["2020-08-01 10:00:00", "BNB", "BSC", "3", "0.0005", "bnb1", "tx1", "", "", "Completed"],
]  # fmt: skip


async def test_a_format_question_and_a_refused_file_give_the_upload_back(
    telegram: BotApiEmulator, ada: Walker, tmp_path: Path, database_url: str, database: Database
) -> None:
    async with running_bot(bot_settings(telegram, tmp_path, database_url)) as app:
        services: Services = app.bot_data[SERVICES_KEY]
        pending = PendingUploads(database)
        # A file no format reads: refused, nothing created, and its upload waits as it did.
        refused = await upload_to_new_binance_account(ada, "notes.csv", b"what,is,this\n1,2,3\n")
        await ada.press_for("Binance", "❌")
        after_refusal = [a.account_name for a in await services.integrations.list(ADA)]
        refused_waits = await pending.get(ADA, refused)
        # A file two formats read: the question is asked with the upload given back, then answered.
        asked = await upload_to_new_binance_account(ada, "export.csv", samples.csv_bytes(V1_WALLET))
        await ada.press_for("Binance", "Which one is it?")
        asked_waits = await pending.get(ADA, asked)
        await ada.press_for("binance-withdrawals-v1", "imported into")
        accounts = await services.integrations.list(ADA)
        stored = [await services.integrations.transaction_count(ADA, a.id) for a in accounts]
        answered = await pending.get(ADA, asked)

    assert after_refusal == []
    assert refused_waits is not None and refused_waits.name == "notes.csv"
    assert asked_waits is not None and asked_waits.name == "export.csv", "the format buttons work: the upload waits"
    # The question names the account, so it is made when the question is asked (one withdrawal row imported into it).
    assert [(a.account_name, n) for a, n in zip(accounts, stored, strict=True)] == [("Binance-1", 1)]
    assert answered is None
