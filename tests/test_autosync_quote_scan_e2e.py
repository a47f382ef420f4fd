"""An automatic sync finds emptied markets too (issue 15 on auto-sync): the Binance account of
tests/test_quote_scan_e2e.py (AAVE bought with USDT and sold back, never deposited) is put on daily auto-sync in /keys
and never synced by hand. When due, the bot syncs it, its USDT balance is left unexplained, the quote scan follows in
the same background pass, and the user hears one message only: what the scan found and that the balances now
reconcile. A user who muted notices hears nothing, and the scan still runs."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from bot.autosync import AutoSyncStore, Cadence
from bot.context import SERVICES_KEY, Services
from sandbox.botapi import BotApiEmulator
from tests.assistant_story import Walker
from tests.bot_harness import running_bot, settings_for
from tests.reliability.conftest import is_long
from tests.test_quote_scan_e2e import connect, emulator, stored_trades


@pytest.fixture(autouse=True)
def _short_hours(monkeypatch: pytest.MonkeyPatch) -> None:
    # "Daily" comes due 24 minutes after a run (never within the story); the bot looks for due accounts every 0.25 s.
    monkeypatch.setenv("TALLYBOT_AUTOSYNC_HOUR_SECONDS", "60")
    monkeypatch.setenv("TALLYBOT_AUTOSYNC_CHECK_SECONDS", "0.25")


def has_button(walker: Walker, label: str) -> bool:
    try:
        walker.last_menu(label)
    except AssertionError:
        return False
    return True


async def until(check: Callable[[], Awaitable[bool]], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        await asyncio.sleep(0.2)


async def test_an_auto_synced_account_with_an_emptied_market_is_scanned_and_turns_green_with_one_message(
    telegram: BotApiEmulator, ada: Walker, tmp_path: Path
) -> None:
    async with emulator() as binance:
        every_trade = {(f"{t.base}/{t.quote}", t.id) for t in binance.account.trades}
        aave = {("AAVE/USDT", t.id) for t in binance.account.trades_for("AAVEUSDT")}
        settings = settings_for(telegram, tmp_path, exchange_url_overrides={"binance": binance.base_url})
        async with running_bot(settings) as app:
            services: Services = app.bot_data[SERVICES_KEY]
            services.sync.fetcher_options["binance"] = {"uid_weight_per_minute": 10**8}
            integration_id = await connect(services, binance)
            before = len(telegram.bot_messages(ada.chat_id))
            await ada.reply_to(await ada.send("/keys"), "Binance-1")
            await ada.press("Binance-1 ›")
            await telegram.wait_until(lambda: has_button(ada, "Daily"))
            await ada.press("Daily")  # never synced: due at once

            async def scan_told() -> bool:
                return "the USDT scan asked" in ada.all_bot_texts()

            await until(scan_told, timeout=240)
            await asyncio.sleep(0.5)  # time for a further message, were one sent
            told = [m.text or "" for m in telegram.bot_messages(ada.chat_id)[before:]]
            status = (await ada.reply_to(await ada.send("/status"), "Your accounts")).text or ""
            stored = await stored_trades(services, integration_id)

    # Nothing about the sync (it went well), no "scanning" announcement: only the scan's outcome, once.
    scan_texts = [text for text in told if "🔎" in text]
    assert len(scan_texts) == 1, told
    assert "Scanning every USDT market" not in "\n".join(told), told
    assert "automatic sync" not in "\n".join(told), told
    assert "5 trades found and stored" in scan_texts[0], scan_texts
    assert "✅ Binance-1: the history explains every balance." in scan_texts[0], scan_texts
    assert "🟢 Binance-1" in status and "✅ The history explains every balance." in status, status
    assert aave <= stored
    assert stored == every_trade


async def test_a_muted_user_hears_nothing_of_the_scan_and_the_account_still_turns_green(
    telegram: BotApiEmulator, ada: Walker, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    # Muted notices are kept quiet in the default suite by test_autosync_e2e.py; this scan variant costs 45 s.
    if not is_long(request.config):
        pytest.skip("the muted variant of the scan after an automatic sync: pytest --long")
    async with emulator() as binance:
        every_trade = {(f"{t.base}/{t.quote}", t.id) for t in binance.account.trades}
        settings = settings_for(telegram, tmp_path, exchange_url_overrides={"binance": binance.base_url})
        async with running_bot(settings) as app:
            services: Services = app.bot_data[SERVICES_KEY]
            services.sync.fetcher_options["binance"] = {"uid_weight_per_minute": 10**8}
            integration_id = await connect(services, binance)
            store = AutoSyncStore(services.database, hour_seconds=60)
            await store.mute(1001, True)
            before = len(telegram.bot_messages(ada.chat_id))
            await store.choose(integration_id, Cadence.DAILY, None)  # due at once

            async def all_stored() -> bool:
                return await stored_trades(services, integration_id) == every_trade

            await until(all_stored, timeout=240)
            statuses: list[str] = []

            async def green() -> bool:  # the scan ends, then reconciles again
                statuses.append((await ada.reply_to(await ada.send("/status"), "Your accounts")).text or "")
                return "🟢 Binance-1" in statuses[-1]

            await until(green, timeout=60)
            await asyncio.sleep(0.5)  # time for a message the scan would send after its reconciliation
            told = [m.text or "" for m in telegram.bot_messages(ada.chat_id)[before:]]

    assert [text for text in told if text not in statuses] == [], told
    assert "✅ The history explains every balance." in statuses[-1], statuses[-1]
