"""An OKX derivatives trader syncs from 300 days back: bills older than bills-archive's three months (a swap's
realized profit, a funding fee, margin interest) are only in OKX's quarterly files, which OKX prepares on request in
about two hours. The first /sync brings everything else, says OKX is preparing the older bills and is not green; the
/sync after OKX finished the files stores them and the history explains every balance."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from bot.context import SERVICES_KEY
from i18n import t
from sandbox.botapi import BotApiEmulator
from sandbox.exchanges import OkxEmulator
from tests.assistant_story import Walker
from tests.bot_harness import running_bot, settings_for
from tests.test_reconcile_e2e import RECENT, connect


async def test_older_bills_arrive_with_the_sync_after_okx_prepared_its_quarterly_files(
    telegram: BotApiEmulator, ada: Walker, tmp_path: Path
) -> None:
    async with OkxEmulator(seed=83, profile=RECENT, listed_symbols=20, derivatives=True, bill_history=True) as okx:
        settings = settings_for(telegram, tmp_path, exchange_url_overrides={"okx": okx.base_url})
        async with running_bot(settings) as app:
            await connect(app.bot_data[SERVICES_KEY], "okx", okx, date.today() - timedelta(days=300))
            first = (await ada.reply_to(await ada.send("/sync"), "Sync finished", timeout=120)).text or ""
            status_before = (await ada.reply_to(await ada.send("/status"), "Your accounts")).text or ""
            applied = set(okx.book.archive.applications)

            okx.book.archive.ready_after_ms = 0  # two hours later
            second = (await ada.reply_to(await ada.send("/sync"), "Sync finished", timeout=120)).text or ""
            status_after = (await ada.reply_to(await ada.send("/status"), "Your accounts")).text or ""

    # "Tallybot is collecting the files for …": the catalogue's sentence, whatever the quarters' names.
    preparing = t("sync.gap.okx.archive_preparing", phrase="\0", quarter="\0").split("\0")[-1].strip()
    assert preparing and preparing in status_before, status_before
    assert "🟢 OKX-1" not in status_before, status_before
    assert "✅ OKX-1: the history explains every balance." not in first, first
    assert len(applied) >= 2  # 300 to 90 days back span two or three quarters, each applied for once
    assert okx.book.archive.downloads == len(applied)  # one file per quarter for the three endpoints
    # With the older bills (a realized profit, a funding fee, an interest charge: OLD_FILLS, OLD_BILLS) stored:
    assert "✅ OKX-1: the history explains every balance." in second, second
    assert "🟢 OKX-1" in status_after and preparing not in status_after, status_after
    assert okx.requests.unexpected == []
