"""Faults of the Telegram Bot API (through `BotApiEmulator.fail`): deleteMessage refused, 429 flood waits, 5xx.

Documented states (README "Security model", handlers/errors.py, handlers/live.py):
- a message holding a secret that Telegram will not delete: the user is told to delete it and to replace the key;
- any other failed call while handling an update: one redacted ERROR line and a plain apology; the bot carries on;
- a failed edit of the live progress message: the sync goes on and the next edit shows the newest state;
- a flood wait (429 with retry_after) is Telegram saying "not now": the call should go through after the wait.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
from telegram.ext import Application

from bot import texts as common_texts
from bot.context import SERVICES_KEY, Services
from bot.integrations import AdvancedOptions
from bot.secret import Secret
from sandbox.botapi import BotApiEmulator
from sandbox.botapi.models import ChatMessage
from sandbox.exchanges import AccountProfile, BinanceEmulator, Credentials
from sandbox.exchanges.base import delay
from tests.assistant_story import Walker
from tests.bot_harness import running_bot, settings_for
from tests.sync.conftest import UNLIMITED

ACCOUNT = AccountProfile(
    years=0.3, traded_markets=2, trades=30, deposits=5, withdrawals=3, converts=2, transfers=0, rewards=2
)
FLOOD_WAIT_FIX = (
    "bot/app.py builds AIORateLimiter() with max_retries=0: a 429 flood wait is raised at once instead of being "
    "waited out (python-telegram-bot retries after retry_after when max_retries > 0)"
)
STALE_PROGRESS = (
    "handlers/live.py LiveMessage.close makes one last edit and gives up on any error: after a failed final edit "
    "(a flood wait or a 5xx) the progress message keeps showing '⏸ waiting' while the summary says finished"
)


@dataclass
class Story:
    """One user of the shared bot (a fresh Telegram id per test)."""

    telegram: BotApiEmulator
    binance: BinanceEmulator
    app: Application  # type: ignore[type-arg]
    ada: Walker
    keys: Credentials

    @property
    def services(self) -> Services:
        services: Services = self.app.bot_data[SERVICES_KEY]
        return services

    async def connect(self) -> int:
        summary = await self.services.integrations.connect(
            self.ada.user.user_id,
            exchange_id="binance",
            key_type="default",
            account_name="Binance-1",
            fields={"apiKey": Secret(self.keys.api_key), "secret": Secret(self.keys.secret)},
            options=AdvancedOptions(sync_from=date.today() - timedelta(days=120)),
        )
        return summary.id

    async def open_binance_flow(self) -> None:
        sent = await self.ada.send("/connect")
        await self.ada.reply_to(sent, "Connect your exchanges")
        await self.ada.press("Binance")
        await self.ada.press_for("Confirm exchanges", "paste your")


@pytest.fixture
async def story(tmp_path: Path) -> AsyncIterator[Story]:
    limits = UNLIMITED  # no real waits for Binance's weight limits
    async with (
        BotApiEmulator() as telegram,
        BinanceEmulator(seed=41, profile=ACCOUNT, listed_symbols=10, limits=limits) as binance,
    ):
        ada = Walker(telegram, telegram.add_user(user_id=1001, first_name="Ada", started=True))
        settings = settings_for(telegram, tmp_path / "data", exchange_url_overrides={"binance": binance.base_url})
        async with running_bot(settings) as app:
            yield Story(telegram, binance, app, ada, binance.create_demo_keys().read_only)
        assert telegram.internal_errors == []


def errors(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.levelno >= logging.ERROR]


def progress_message(story: Story, after: ChatMessage) -> ChatMessage:
    return next(m for m in story.telegram.bot_messages(story.ada.chat_id) if m.message_id > after.message_id)


# ------------------------------------------------------------------------------------------------ deleteMessage


@pytest.mark.parametrize(
    ("code", "description"),
    [(400, "Bad Request: message can't be deleted"), (500, None)],
    ids=["refused", "500"],
)
async def test_a_secret_telegram_will_not_delete_is_flagged_to_the_user_and_the_flow_goes_on(
    story: Story, caplog: pytest.LogCaptureFixture, code: int, description: str | None
) -> None:
    await story.open_binance_flow()
    story.telegram.fail("deleteMessage", error_code=code, description=description)
    pasted = await story.ada.send(story.keys.api_key)
    warning = await story.ada.reply_to(pasted, "received")
    await story.ada.reply_to(pasted, "paste your Secret")  # the flow goes on

    assert not story.telegram.message(story.ada.chat_id, pasted.message_id).deleted
    assert "could not delete" in (warning.text or "") and "delete it yourself" in (warning.text or "")
    assert story.keys.api_key not in story.ada.all_bot_texts()
    assert errors(caplog) == []


async def test_a_stray_secret_telegram_will_not_delete_is_flagged_too(
    story: Story, caplog: pytest.LogCaptureFixture
) -> None:
    story.telegram.fail("deleteMessage", error_code=400, description="Bad Request: message can't be deleted")
    pasted = await story.ada.send(story.keys.secret)
    warning = await story.ada.reply_to(pasted, "")

    assert warning.text == common_texts.KEY_NOT_DELETED  # the key guard's warning, before any other handler
    assert errors(caplog) == []


async def test_a_flood_wait_on_deleting_a_secret_is_waited_out_and_the_message_deleted(story: Story) -> None:
    await story.open_binance_flow()
    story.telegram.fail("deleteMessage", error_code=429, retry_after=1)
    pasted = await story.ada.send(story.keys.api_key)
    answer = await story.ada.reply_to(pasted, "received")

    assert story.telegram.message(story.ada.chat_id, pasted.message_id).deleted
    assert "message deleted" in (answer.text or "")


# ------------------------------------------------------------------------------------------------ replies


async def test_a_flood_wait_on_a_reply_delays_the_reply_instead_of_losing_it(
    story: Story, caplog: pytest.LogCaptureFixture
) -> None:
    await story.connect()
    story.telegram.fail("sendMessage", error_code=429, retry_after=1)
    asked = await story.ada.send("/status")
    answer = await story.ada.reply_to(asked, "")

    assert "Binance-1" in (answer.text or "")
    assert errors(caplog) == []


@pytest.mark.parametrize("code", [500, 503])
async def test_a_telegram_5xx_on_a_reply_ends_in_the_apology_and_the_bot_carries_on(
    story: Story, caplog: pytest.LogCaptureFixture, code: int
) -> None:
    await story.connect()
    story.telegram.fail("sendMessage", error_code=code)
    asked = await story.ada.send("/status")
    apology = await story.ada.reply_to(asked, "")
    again = await story.ada.send("/status")
    answer = await story.ada.reply_to(again, "Your accounts")

    assert apology.text == common_texts.INTERNAL_ERROR
    assert "Binance-1" in (answer.text or "")
    (logged,) = errors(caplog)
    assert logged.name == "tallybot.errors" and "NetworkError" in logged.getMessage()
    assert story.telegram.token not in logged.getMessage() and "/status" not in logged.getMessage()


async def test_a_5xx_on_answering_a_button_ends_in_the_apology_and_a_second_press_works(
    story: Story, caplog: pytest.LogCaptureFixture
) -> None:
    await story.connect()
    asked = await story.ada.send("/status")
    await story.ada.reply_to(asked, "Your accounts")
    story.telegram.fail("answerCallbackQuery", error_code=500)
    before = story.ada.newest_id()
    await story.telegram.press_button(story.ada.user, story.ada.last_menu("Sync Binance-1"), "🔄 Sync Binance-1")
    apology = await story.telegram.wait_for_bot_message(story.ada.chat_id, after_message_id=before)
    summary = await story.ada.press_for("Sync Binance-1", "Sync finished", timeout=60)

    assert apology.text == common_texts.INTERNAL_ERROR
    assert "✅ Binance-1" in (summary.text or "")
    assert [record.name for record in errors(caplog)] == ["tallybot.errors"]


# ------------------------------------------------------------------------------------------------ the progress message


@pytest.mark.parametrize("code", [429, 500])
async def test_a_failed_progress_edit_mid_sync_is_made_good_by_the_next_edit(story: Story, code: int) -> None:
    await story.connect()
    # A slow exchange keeps the sync going for a while, so the progress message is edited before the end.
    story.binance.faults.inject(delay(1.5), path="/sapi/v1/capital/deposit/hisrec")
    story.telegram.fail("editMessageText", error_code=code, retry_after=1 if code == 429 else None)
    sent = await story.ada.send("/sync")
    summary = await story.ada.reply_to(sent, "Sync finished", timeout=60)
    progress = progress_message(story, sent)

    assert "Binance-1" in (summary.text or "")
    assert "✅" in (progress.text or "") and "⏸" not in (progress.text or "")


@pytest.mark.parametrize("code", [429, 500])
async def test_a_failed_final_progress_edit_does_not_leave_the_progress_message_stale(story: Story, code: int) -> None:
    await story.connect()
    first = await story.ada.send("/sync")
    await story.ada.reply_to(first, "Sync finished", timeout=60)
    # A re-sync with nothing new takes well under the one second between edits: its only edit is the final one.
    story.telegram.fail("editMessageText", error_code=code, retry_after=1 if code == 429 else None)
    sent = await story.ada.send("/sync")
    await story.ada.reply_to(sent, "Sync finished", timeout=60)
    progress = progress_message(story, sent)

    assert "⏸" not in (progress.text or ""), progress.text
