"""A KuCoin user whose account is in unified mode syncs and is told, in /status, that futures are not read.

KuCoin's unified account keeps futures under `/api/ua/v1/…`, which Tallybot does not read
(docs/exchange-apis/kucoin.md, "Futures"). The emulator's unified account still answers the classic futures ledger
and fills with its scripted futures history, so a fetcher that never asked the account's mode would store them and
call futures synced; Tallybot asks `GET /api/ua/v1/account/mode` first and, on UNIFIED, shows the kind as not read.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from bot.context import SERVICES_KEY
from db.models import Transaction
from sandbox.botapi import BotApiEmulator
from sandbox.exchanges.kucoin import KucoinEmulator
from tests.assistant_story import Walker
from tests.bot_harness import running_bot, settings_for
from tests.test_kucoin_futures_e2e import LEDGER, RECENT, connect

MODE = "/api/ua/v1/account/mode"
# The catalogue's English (profile.kucoin.skip.unified_futures), written out by hand.
UNIFIED_WORDS = (
    "KuCoin says this account is in unified trading mode: its futures trades and ledger are in the unified account,"
    " which Tallybot does not read yet."
)


async def test_a_unified_kucoin_account_is_told_futures_are_not_read_and_none_are_stored(
    telegram: BotApiEmulator, ada: Walker, tmp_path: Path
) -> None:
    async with KucoinEmulator(seed=61, profile=RECENT, listed_symbols=20, derivatives=True, unified=True) as kucoin:
        assert kucoin.futures_script is not None and kucoin.futures_script.fills  # classic futures would answer
        settings = settings_for(telegram, tmp_path, exchange_url_overrides={"kucoin": kucoin.base_url})
        async with running_bot(settings) as app:
            services = app.bot_data[SERVICES_KEY]
            await connect(services, kucoin)
            await ada.reply_to(await ada.send("/sync"), "Sync finished", timeout=120)
            status = (await ada.reply_to(await ada.send("/status"), "Your accounts")).text or ""
            async with services.database.reader() as session:
                kinds = set((await session.scalars(select(Transaction.kind))).all())
        served = dict(kucoin.requests.by_path)

    futures_line = next(line for line in status.splitlines() if "Futures trades" in line)
    assert UNIFIED_WORDS in futures_line, status
    assert futures_line.startswith("  ⏭ Futures trades — "), status
    assert "🟡 KuCoin-1 (KuCoin)" in status, status  # not green while futures are not read
    assert "may not read futures trades" not in status, status  # no key permission would fix it
    assert not kinds & {"futures_trade", "realized_pnl"}, kinds
    assert served[MODE] == 1, served
    assert LEDGER not in served, served  # the classic futures ledger is not asked once the mode says UNIFIED
    assert not kucoin.requests.unexpected
