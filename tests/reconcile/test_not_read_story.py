"""Stories: an account holding a product Tallybot does not read yet is told, under every balance the history does
not explain, that this history is certainly missing and what to do, not "maybe your sync-from date".

Two shapes of the same fact, as the fetchers report it: KuCoin's unified account skips futures with a notice
(connectors/fetchers/kucoin/futures.py); Gate walks the futures accounts and notes the options account as a gap
(connectors/fetchers/gate/futures.py). Both accounts have a sync-from date, which before this cause was named first.
Gate's options move USDT only, so there the other assets keep the sync-from date as their cause.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from bot.context import SERVICES_KEY, Services
from bot.integrations import AdvancedOptions
from bot.secret import Secret
from db.models import SyncRun
from sandbox.botapi import BotApiEmulator
from sandbox.exchanges.gate import GateEmulator
from sandbox.exchanges.kucoin import KucoinEmulator
from tests.assistant_story import Walker
from tests.bot_harness import running_bot, settings_for
from tests.test_gate_futures_e2e import RECENT as GATE_RECENT
from tests.test_kucoin_futures_e2e import RECENT as KUCOIN_RECENT
from tests.test_kucoin_futures_e2e import connect as connect_kucoin

# The catalogue's English (reconcile.cause.not_read_yet with its products), written out by hand.
KUCOIN_CAUSE = (
    "Certainly missing: the account shows futures in KuCoin's unified trading account, which Tallybot does not read "
    "from KuCoin yet. Tallybot cannot read KuCoin's export of them either: take them from that export and add them "
    "with Tallybot's template (/upload template)."
)
GATE_CAUSE = (
    "Certainly missing: the account shows Gate options trades, which Tallybot does not read from Gate yet. Tallybot "
    "cannot read Gate's export of them either: take them from that export and add them with Tallybot's template "
    "(/upload template)."
)
SYNC_FROM_WORDS = "was not synced (the account's sync-from date)"
DIFFERENCE = re.compile(r"^  ⚠️ (\w+): (KuCoin|Gate) says ")


def causes_by_asset(status: str) -> dict[str, str]:
    """Each difference line's asset and the cause line under it."""
    lines = status.splitlines()
    return {
        found.group(1): lines[i + 1].strip()
        for i, line in enumerate(lines)
        if (found := DIFFERENCE.match(line)) is not None
    }


async def test_a_unified_kucoin_account_s_differences_are_put_down_to_futures_not_read(
    telegram: BotApiEmulator, ada: Walker, tmp_path: Path
) -> None:
    async with KucoinEmulator(seed=61, profile=KUCOIN_RECENT, listed_symbols=20, derivatives=True, unified=True) as ex:
        settings = settings_for(telegram, tmp_path, exchange_url_overrides={"kucoin": ex.base_url})
        async with running_bot(settings) as app:
            services = app.bot_data[SERVICES_KEY]
            await connect_kucoin(services, ex)  # sync-from 65 days ago
            summary = (await ada.reply_to(await ada.send("/sync"), "Sync finished", timeout=120)).text or ""
            status = (await ada.reply_to(await ada.send("/status"), "Your accounts")).text or ""
            async with services.database.reader() as session:
                run = await session.scalar(select(SyncRun).where(SyncRun.finished_at.is_not(None)))

    # The skip is stored flagged as a product not read yet: neither a kind unused nor one the key may not read.
    assert run is not None
    skip = run.summary["endpoints"]["futures_trades"]
    assert skip["status"] == "skipped" and skip["not_read"] is True, skip
    assert "unused" not in skip and "denied" not in skip, skip
    causes = causes_by_asset(status)
    assert "USDT" in causes, status
    assert set(causes.values()) == {KUCOIN_CAUSE}, status
    assert SYNC_FROM_WORDS not in status, status
    assert "🟡 KuCoin-1 (KuCoin)" in status, status
    assert re.search(rf"⚠️ KuCoin-1: {len(causes)} balances? the history does not explain: see /status\.", summary)


async def test_a_gate_account_with_options_beside_its_futures_is_told_options_are_missing(
    telegram: BotApiEmulator, ada: Walker, tmp_path: Path
) -> None:
    gate = GateEmulator(
        seed=91, profile=GATE_RECENT, listed_symbols=20, derivatives=True, options_total=Decimal("350.5")
    )
    async with gate as ex:
        settings = settings_for(telegram, tmp_path, exchange_url_overrides={"gate": ex.base_url})
        async with running_bot(settings) as app:
            services: Services = app.bot_data[SERVICES_KEY]
            key = ex.create_demo_keys().read_only
            await services.integrations.connect(
                1001,
                exchange_id="gate",
                key_type="default",
                account_name="Gate-1",
                fields={"apiKey": Secret(key.api_key), "secret": Secret(key.secret)},
                # Inside the account's history: the older records are not synced, and options still come first.
                options=AdvancedOptions(sync_from=date.today() - timedelta(days=20)),
            )
            summary = (await ada.reply_to(await ada.send("/sync"), "Sync finished", timeout=120)).text or ""
            status = (await ada.reply_to(await ada.send("/status"), "Your accounts")).text or ""

    causes = causes_by_asset(status)
    # Options move USDT only (Gate's one USDT options account): the other assets' differences are the sync-from
    # date's, the likelier cause for them.
    assert causes.pop("USDT") == GATE_CAUSE, status
    since = (date.today() - timedelta(days=20)).isoformat()
    others = f"History before {since} was not synced (the account's sync-from date): choose an earlier date, or "
    assert causes and all(line.startswith(others) for line in causes.values()), status
    assert "out of the API's reach:" not in status, status
    # The futures kinds' only missing history is the options: "not read yet", never "out of the API's reach".
    assert "⚠️ Futures trades — Part of this history is not read by Tallybot yet" in status, status
    assert "⚠️ Funding fees — Part of this history is not read by Tallybot yet" in status, status
    assert "Older history is out of the API's reach" not in status, status
    assert "🟡 Gate-1 (Gate)" in status, status
    assert re.search(rf"⚠️ Gate-1: {len(causes) + 1} balances? the history does not explain: see /status\.", summary)
