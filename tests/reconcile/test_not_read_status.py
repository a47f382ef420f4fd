"""/status tells a product Tallybot does not read yet apart from history out of the API's reach: an HTX account
holding a coin-margined delivery account (not read yet: the fetcher's gap is marked not_read) shows its futures kinds
as "not read yet", never "Older history is out of the API's reach", with the gap naming the product below."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from bot.context import SERVICES_KEY
from db.models import SyncRun
from sandbox.botapi import BotApiEmulator
from sandbox.exchanges import HtxEmulator
from tests.assistant_story import Walker
from tests.bot_harness import running_bot, settings_for
from tests.test_htx_futures_e2e import THREE_WEEKS, connect

NOT_READ_LINE = "Part of this history is not read by Tallybot yet"


async def test_htx_delivery_futures_held_are_not_read_yet_not_out_of_reach(
    telegram: BotApiEmulator, ada: Walker, tmp_path: Path
) -> None:
    held = {"ETH": Decimal(3)}  # an ETH delivery account
    async with HtxEmulator(seed=44, profile=THREE_WEEKS, listed_symbols=20, futures=True, coin_held=held) as htx:
        settings = settings_for(telegram, tmp_path, exchange_url_overrides={"htx": htx.base_url})
        async with running_bot(settings) as app:
            services = app.bot_data[SERVICES_KEY]
            await connect(services, htx)
            await ada.reply_to(await ada.send("/sync"), "Sync finished", timeout=180)
            status = (await ada.reply_to(await ada.send("/status"), "Your accounts")).text or ""
            async with services.database.reader() as session:
                run = await session.scalar(select(SyncRun).where(SyncRun.finished_at.is_not(None)))
    # The sync stored the fetcher's flag with the gap, which the reconciliation and /status read.
    assert run is not None
    for kind in ("futures_trades", "funding"):
        (gap,) = run.summary["endpoints"][kind]["gaps"]
        assert gap["not_read"] is True and gap["reason"]["id"] == "sync.gap.htx.coin_margined_futures", gap
    assert f"⚠️ Futures trades — {NOT_READ_LINE}" in status, status
    assert f"⚠️ Funding fees — {NOT_READ_LINE}" in status, status
    assert "Older history is out of the API's reach" not in status, status
    assert "Your HTX account holds coin-margined delivery futures, whose history Tallybot does not fetch" in status
