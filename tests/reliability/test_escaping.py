"""Issue 12, finding 10: every value a user controls is escaped in every HTML message.

A subaccount holding HTML was put unescaped into the Assistant's review screen: Telegram refused the message and
every "« Back" ended in the apology. The Bot API emulator parses HTML as Telegram does and refuses what Telegram
refuses, so an unescaped value shows up here as that apology (or an error record). This story sends markup values
through each input a user controls — exchange search, key fields, account name, subaccount, sync-from date, file
name, caption, and the arguments of every command — and checks each is answered without the apology, and that the
values the bot does show back (subaccount, file name) appear literally.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from bot import texts
from sandbox.botapi import BotApiEmulator
from sandbox.exchanges import BinanceEmulator
from tests.assistant_story import Walker
from tests.bot_harness import running_bot, settings_for
from tests.test_assistant_e2e import paste, pick_and_confirm

MARKUP = "<b>&amp;</b> & <i>"  # unbalanced, an entity and a bare ampersand: any of them breaks unescaped HTML
COMMANDS = ("/sync", "/settings", "/settings timezone", "/export", "/help", "/upload", "/keys", "/status", "/start")


@pytest.fixture
async def binance() -> AsyncIterator[BinanceEmulator]:
    async with BinanceEmulator(seed=61, listed_symbols=20) as emulator:
        yield emulator


async def answered(walker: Walker, action: Callable[[], object], expect: str = "") -> str:
    """Do something and return the text of the bot's next new message (or the edited menu's)."""
    before = walker.newest_id()
    await action()  # type: ignore[misc]
    message = await walker.emulator.wait_for_bot_message(
        walker.chat_id, after_message_id=before, predicate=lambda m: expect in (m.text or ""), timeout=15
    )
    return message.text or ""


async def test_markup_in_every_user_value_is_shown_literally_and_never_breaks_a_message(
    telegram: BotApiEmulator,
    binance: BinanceEmulator,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    measured: Callable[..., None],
) -> None:
    caplog.set_level(logging.ERROR)
    ada = Walker(telegram, telegram.add_user(user_id=1001, first_name="Ada", started=True))
    key = binance.create_demo_keys().read_only
    settings = settings_for(telegram, tmp_path, exchange_url_overrides={"binance": binance.base_url})
    inputs = 0
    async with running_bot(settings):
        # The exchange search.
        await ada.reply_to(await ada.send("/connect"), "Connect your exchanges")
        await answered(ada, lambda: ada.send(MARKUP))
        inputs += 1
        await ada.reply_to(await ada.send("/cancel"), "Cancelled")
        # Key fields: a value ending in markup is refused, and what is shown of it is escaped.
        await pick_and_confirm(ada, "Binance")
        await answered(ada, lambda: ada.send("a" * 60 + "<b>&"))
        await paste(ada, key.api_key, "received")
        await paste(ada, key.secret, "Check the key")
        inputs += 1
        # Account name, subaccount and date in the advanced options, then back to the review screen.
        await ada.press_for("Advanced options", "Advanced options")
        await ada.press_for("Account name", "Send the name")
        refused_name = await answered(ada, lambda: ada.send(MARKUP))
        await ada.press_for("« Back", "Advanced options")
        await ada.press_for("Subaccount", "subaccount name")
        advanced = await answered(ada, lambda: ada.send(MARKUP), "Advanced options")
        await ada.press_for("Sync from date", "YYYY-MM-DD")
        await answered(ada, lambda: ada.send(MARKUP))
        await ada.press_for("« Back", "Advanced options")
        review = await ada.press_for("« Back", "Check the key")
        inputs += 4
        # Connected with that subaccount, the account's screens show it too.
        await ada.press_for("Check and connect", "All done")
        await ada.reply_to(await ada.send("/keys"), "Binance-1")
        detail = await ada.press_for("Binance-1 ›", "API key")
        # A file name and a caption.
        upload = await answered(
            ada,
            lambda: telegram.send_document(
                ada.user, filename=f"{MARKUP}.csv", content=b"a,b\n1,2\n", mime_type="text/csv", caption=MARKUP
            ),
        )
        inputs += 2
        # Every command with markup as its argument.
        for command in COMMANDS:
            await answered(ada, lambda c=command: ada.send(f"{c} {MARKUP}"))  # type: ignore[misc]
            inputs += 1
        everything = ada.all_bot_texts()

    measured(inputs=inputs, apologies=everything.count(texts.INTERNAL_ERROR))
    assert texts.INTERNAL_ERROR not in everything, "a message with a user's value was refused by Telegram"
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], "an update failed"
    assert telegram.internal_errors == []
    assert f"Subaccount: {MARKUP}" in advanced and f"Subaccount: {MARKUP}" in (review.text or "")
    assert f"Subaccount: {MARKUP}" in (detail.text or "")
    assert "A name is" in refused_name
    assert f"{MARKUP}.csv" in upload
