"""A /sync that meets work already holding the account, in the bot's own process (bot/jobs/in_process.py), as the user
sees it: one answer at once, and never a "⏸ waiting" progress message left behind.

1. Right after a summary that leaves a quote balance unexplained, the quote scan it announces holds the account: a
   /sync sent on reading the summary (before the scan has even taken the account's lease) and one sent while the
   scan's own sync runs are both answered "already running", and nothing else; once the scan has reported, /sync
   syncs again.
2. A press whose account another process (an automatic sync, another replica) took between the press's look and its
   task: its progress message becomes that answer, with no second message beside it.
3. A press whose task shutdown cancels before its first step: its progress message says the sync was interrupted.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

from bot.context import SERVICES_KEY, Services
from bot.jobs.order import SyncOrder
from bot.sync.lease import Lease
from db.types import utcnow
from sandbox.botapi import BotApiEmulator
from tests.assistant_story import Walker
from tests.bot_harness import running_bot, settings_for
from tests.test_quote_scan_e2e import connect, emulator, held_for

INTERRUPTED = (
    "⚠️ This sync was interrupted: the bot stopped before it finished. Everything fetched so far is kept; run /sync to "
    "continue."
)


async def test_a_sync_pressed_right_after_the_summary_is_told_the_scan_runs_and_opens_no_waiting_message(
    telegram: BotApiEmulator, ada: Walker, tmp_path: Path
) -> None:
    async with emulator() as binance:
        # The scan reaches AAVEUSDT first of the USDT markets (tests/test_quote_scan_e2e.py): held there until let go.
        reached, release = asyncio.Event(), asyncio.Event()
        binance.faults.inject(held_for("AAVEUSDT", reached, release), path="/api/v3/myTrades", times=None)
        settings = settings_for(telegram, tmp_path, exchange_url_overrides={"binance": binance.base_url})
        async with running_bot(settings) as app:
            services: Services = app.bot_data[SERVICES_KEY]
            services.sync.fetcher_options["binance"] = {"uid_weight_per_minute": 10**8}
            await connect(services, binance)
            first = await ada.send("/sync")
            summary = (await ada.reply_to(first, "Sync finished", timeout=150)).text or ""
            on_reading = await ada.send("/sync")  # at once: the scan has not taken the lease yet
            told_first = (await ada.reply_to(on_reading, "already running")).text or ""
            await asyncio.wait_for(reached.wait(), timeout=60)
            during_scan = await ada.send("/sync")  # the scan's own sync holds the lease now
            told_during = (await ada.reply_to(during_scan, "already running")).text or ""
            release.set()
            await ada.reply_to(first, "the USDT scan asked", timeout=150)
            after_scan = await ada.send("/sync")
            synced_again = (await ada.reply_to(after_scan, "Sync finished", timeout=150)).text or ""
            between = [
                m.text or ""
                for m in telegram.bot_messages(ada.chat_id)
                if on_reading.message_id < m.message_id < after_scan.message_id
            ]

    assert "⚠️ Binance-1: 1 balance the history does not explain" in summary, summary
    # Each press got one answer, and only the scan's own messages (🔎) came besides them.
    assert [text for text in between if not text.startswith("🔎")] == [told_first, told_during], between
    assert told_first.startswith("⏳ A sync of Binance-1 is already running"), told_first
    assert told_during.startswith("⏳ A sync of Binance-1 is already running"), told_during
    assert not [text for text in between if "⏸" in text], between
    assert "Sync finished" in synced_again


async def test_a_press_whose_account_another_process_took_first_is_answered_in_its_own_message(
    telegram: BotApiEmulator, ada: Walker, tmp_path: Path
) -> None:
    settings = settings_for(telegram, tmp_path)
    async with running_bot(settings) as app:
        services: Services = app.bot_data[SERVICES_KEY]
        jobs = services.sync_presses
        assert jobs is not None
        account = await services.integrations.add_file_only(1001, exchange_id="binance", account_name="Binance-1")
        # Taken after the press looked (the lease was free then) and before its task runs the sync.
        elsewhere = Lease(services.database, account.id, ttl=timedelta(minutes=5), clock=utcnow, holder="other:1:x")
        assert await elsewhere.acquire() is not None
        shown = await app.bot.send_message(ada.chat_id, "🔄 Syncing…\n\nBinance-1\n  ⏸ waiting")
        order = SyncOrder(1001, account.id, "Binance-1", ada.chat_id, shown.message_id, "en", "st:show")
        await jobs.defer_press([order])
        await telegram.wait_until(lambda: "already" in (telegram.message(ada.chat_id, shown.message_id).text or ""))
        await asyncio.sleep(0.5)  # anything the press would still send
        left = telegram.message(ada.chat_id, shown.message_id).text
        after = [m.text for m in telegram.bot_messages(ada.chat_id) if m.message_id > shown.message_id]

    assert left == "⏳ A sync of Binance-1 is already running. Check /status in a minute."
    assert after == []


async def test_a_press_cancelled_at_shutdown_before_its_task_starts_says_the_sync_was_interrupted(
    telegram: BotApiEmulator, ada: Walker, tmp_path: Path
) -> None:
    settings = settings_for(telegram, tmp_path)
    async with running_bot(settings) as app:
        services: Services = app.bot_data[SERVICES_KEY]
        jobs = services.sync_presses
        assert jobs is not None, "the embedded deployment builds its queue at start-up"
        account = await services.integrations.add_file_only(1001, exchange_id="binance", account_name="Binance-1")
        # The message a press opens before handing its accounts over (handlers/sync.py `_hand_over`).
        shown = await app.bot.send_message(ada.chat_id, "🔄 Syncing…\n\nBinance-1\n  ⏸ waiting")
        order = SyncOrder(1001, account.id, "Binance-1", ada.chat_id, shown.message_id, "en", "st:show")
        refused = await jobs.defer_press([order])
        # Shutdown comes before the press's task has taken its first step (nothing awaited in between).
        await services.background.cancel_all()
        left = telegram.message(ada.chat_id, shown.message_id).text
        still_claimed = await jobs.in_queue([account.id])

    assert refused == {}
    assert left == INTERRUPTED
    assert still_claimed == {}
