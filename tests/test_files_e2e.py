"""Uploading exchange exports and exporting for tax tools, as a user does it in the chat."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from bot.context import SERVICES_KEY, Services
from i18n import tn
from sandbox.botapi import BotApiEmulator
from sandbox.botapi.models import ChatMessage
from sandbox.exchanges import AccountProfile
from sandbox.exchanges.scripted import generate_account
from tests.assistant_story import Walker
from tests.bot_harness import running_bot, settings_for
from tests.files import samples

ACCOUNT = generate_account(
    7,
    1_790_000_000_000,
    profile=AccountProfile(years=1.0, traded_markets=4, trades=30, deposits=3, withdrawals=2, converts=0),
)


async def upload(walker: Walker, name: str, content: bytes) -> ChatMessage:
    return await walker.emulator.send_document(walker.user, filename=name, content=content, mime_type="text/csv")


async def wait_for_document(walker: Walker, after: int) -> ChatMessage:
    return await walker.emulator.wait_for_bot_message(
        walker.chat_id, after_message_id=after, predicate=lambda m: m.document is not None
    )


async def test_a_binance_export_fills_a_file_only_account_and_a_second_upload_adds_nothing(
    telegram: BotApiEmulator, ada: Walker, tmp_path: Path
) -> None:
    trades = samples.binance_trade_export(ACCOUNT.trades)
    async with running_bot(settings_for(telegram, tmp_path)) as app:
        services: Services = app.bot_data[SERVICES_KEY]
        sent = await upload(ada, "Binance-trades.csv", trades)
        await ada.reply_to(sent, "Which account")
        await ada.press_for("New file-only account", "Which exchange")
        first = await ada.press_for("Binance", "imported into")
        first_text = first.text or ""
        again = await upload(ada, "Binance-trades.csv", trades)
        await ada.reply_to(again, "Which account")
        second = await ada.press_for("Binance-1", "imported into")
        accounts = await services.integrations.list(1001)
        stored = await services.integrations.transaction_count(1001, accounts[0].id)

    assert f"New: {len(ACCOUNT.trades)}" in first_text
    assert "New: 0" in (
        second.text or ""
    ) and f"Already known (from the API or an earlier file): {len(ACCOUNT.trades)}" in (second.text or "")
    assert [(a.account_name, a.fingerprint) for a in accounts] == [("Binance-1", None)]
    assert stored == len(ACCOUNT.trades)
    # Binance's trade export has no trade id: the report says the rows met the stored ones by content.
    assert tn("upload.matched.content", len(ACCOUNT.trades)) in (second.text or "")
    assert "upload.matched" not in (first.text or "") and "🔗" not in (first.text or ""), "nothing was matched at first"


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("photo.png", b"\x89PNG\r\n\x1a\n" + bytes(200), "CSV"),
        ("empty.csv", b"", "empty"),
        ("notes.csv", b"what,is,this\n1,2,3\n", "Binance"),
        ("broken.csv", b"\xff\xfe\x00\xd8\x00" * 50, "not UTF-8"),
    ],
    ids=["wrong type", "empty", "unknown format", "broken encoding"],
)
async def test_a_bad_file_gets_a_specific_answer_and_changes_nothing(
    telegram: BotApiEmulator, ada: Walker, tmp_path: Path, name: str, content: bytes, expected: str
) -> None:
    async with running_bot(settings_for(telegram, tmp_path)) as app:
        services: Services = app.bot_data[SERVICES_KEY]
        sent = await upload(ada, name, content)
        await ada.reply_to(sent, "Which account")
        await ada.press_for("New file-only account", "Which exchange")
        answer = await ada.press_for("Binance", "❌")
        accounts = await services.integrations.list(1001)

    assert expected in (answer.text or "")
    assert accounts == [], "the file-only account made for a file that failed is removed again"


async def test_template_then_export_round_trip(telegram: BotApiEmulator, ada: Walker, tmp_path: Path) -> None:
    async with running_bot(settings_for(telegram, tmp_path)) as app:
        services: Services = app.bot_data[SERVICES_KEY]
        sent = await ada.send("/upload template")
        template = await wait_for_document(ada, sent.message_id)
        assert template.document is not None
        header = template.document.content.decode().splitlines()[0]

        sent = await upload(ada, "Binance-trades.csv", samples.binance_trade_export(ACCOUNT.trades))
        await ada.reply_to(sent, "Which account")
        await ada.press_for("New file-only account", "Which exchange")
        await ada.press_for("Binance", "imported into")

        sent = await ada.send("/export")
        await ada.reply_to(sent, "Which format")
        await ada.press_for("Tallybot CSV", "Export which account")
        before = ada.newest_id()
        await ada.press("All accounts")
        exported = await wait_for_document(ada, before)
        assert exported.document is not None
        exported_bytes = exported.document.content

        sent = await upload(ada, "tallybot-export.csv", exported_bytes)
        await ada.reply_to(sent, "Which account")
        await ada.press_for("New file-only account", "Which exchange")
        back = await ada.press_for("Binance", "imported into")
        accounts = await services.integrations.list(1001)
        counts = [await services.integrations.transaction_count(1001, a.id) for a in accounts]

        sent = await ada.send("/export 2099-01-01 2000-01-01")
        wrong_dates = await ada.reply_to(sent, "YYYY-MM-DD")

    rows = list(csv.DictReader(io.StringIO(exported_bytes.decode())))
    assert "occurred_at" in header or "time" in header.lower()
    assert len(rows) == len(ACCOUNT.trades)
    assert f"{len(ACCOUNT.trades)} transactions" in (exported.caption or "")
    assert f"New: {len(ACCOUNT.trades)}" in (back.text or "")
    assert counts == [len(ACCOUNT.trades), len(ACCOUNT.trades)]
    assert "YYYY-MM-DD" in (wrong_dates.text or "")


@pytest.mark.parametrize("fmt", ["Koinly", "Cryptact"])
async def test_export_for_tax_tools(telegram: BotApiEmulator, ada: Walker, tmp_path: Path, fmt: str) -> None:
    async with running_bot(settings_for(telegram, tmp_path)):
        sent = await upload(ada, "Binance-trades.csv", samples.binance_trade_export(ACCOUNT.trades))
        await ada.reply_to(sent, "Which account")
        await ada.press_for("New file-only account", "Which exchange")
        await ada.press_for("Binance", "imported into")
        sent = await ada.send("/export")
        await ada.reply_to(sent, "Which format")
        await ada.press_for(fmt, "Export which account")
        before = ada.newest_id()
        await ada.press("Binance-1")
        exported = await wait_for_document(ada, before)

    assert exported.document is not None
    rows = list(csv.reader(io.StringIO(exported.document.content.decode())))
    assert len(rows) == len(ACCOUNT.trades) + 1
