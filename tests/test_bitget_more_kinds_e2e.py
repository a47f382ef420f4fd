"""A Bitget user with two sub-accounts: they sent the main account USDT and ROOT and it sent one some USDT, the
ROOT was converted to BGB as dust, USDT sits in the funding account, a flexible savings product and a spot grid bot,
and savings paid interest and took a fixed term's penalty (sandbox/exchanges/bitget_wallets.py). They connect a
read-only key and /sync: the main-sub transfers, the BGB conversion and the savings records are brought in (all on by
default), the funding, earn and bot wallets are read beside spot, and the history explains every balance. With dust
conversions switched off, exactly BGB and ROOT differ, by what the conversion moved, and the switched-off kind is
named. A unified account's small-asset conversion is read from its SPOT financial records and explains its balances
too, and so do a unified account's moves with its sub-accounts and between its own wallets."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from pathlib import Path

from bot.context import SERVICES_KEY
from bot.integrations import AdvancedOptions
from bot.secret import Secret
from connectors.profiles import get_profile
from sandbox.botapi import BotApiEmulator
from sandbox.exchanges import BitgetEmulator
from sandbox.exchanges.bitget_wallets import add_more_kinds, add_unified_dust, add_unified_main_sub
from tests.assistant_story import Walker
from tests.bot_harness import running_bot, settings_for
from tests.test_reconcile_e2e import RECENT

PROFILE = RECENT  # its rewards are served as flexible savings interest
SUB_MAIN, DUST = "/api/v2/spot/account/sub-main-trans-record", "/api/v2/convert/bgb-convert-records"
SAVINGS = "/api/v2/earn/savings/records"
WALLETS = ("/api/v2/account/funding-assets", "/api/v2/earn/account/assets", "/api/v2/account/bot-assets")


async def sync_story(
    bitget: BitgetEmulator, telegram: BotApiEmulator, ada: Walker, tmp_path: Path, endpoints: tuple[str, ...] = ()
) -> tuple[str, str]:
    add_more_kinds(bitget.book.wallets, bitget.book.account.now_ms)
    settings = settings_for(telegram, tmp_path, exchange_url_overrides={"bitget": bitget.base_url})
    async with running_bot(settings) as app:
        key = bitget.create_demo_keys().read_only
        await app.bot_data[SERVICES_KEY].integrations.connect(
            1001,
            exchange_id="bitget",
            key_type="normal",
            account_name="Bitget-1",
            fields={
                "apiKey": Secret(key.api_key),
                "secret": Secret(key.secret),
                "password": Secret(key.passphrase or ""),
            },
            options=AdvancedOptions(sync_from=date.today() - timedelta(days=70), endpoints=endpoints),
        )
        sent = await ada.send("/sync")
        summary = (await ada.reply_to(sent, "Sync finished", timeout=120)).text or ""
        status = (await ada.reply_to(await ada.send("/status"), "Your accounts")).text or ""
    return summary, status


# A unified account's converts and earn cannot be read (gaps with their reasons): none scripted.
UNIFIED = dataclasses.replace(PROFILE, converts=0, transfers=0, rewards=0)


async def unified_sync(
    bitget: BitgetEmulator, telegram: BotApiEmulator, ada: Walker, tmp_path: Path
) -> tuple[str, str]:
    settings = settings_for(telegram, tmp_path, exchange_url_overrides={"bitget": bitget.base_url})
    async with running_bot(settings) as app:
        key = bitget.add_uta_key()
        await app.bot_data[SERVICES_KEY].integrations.connect(
            1001,
            exchange_id="bitget",
            key_type="normal",
            account_name="Bitget-UTA",
            fields={
                "apiKey": Secret(key.api_key),
                "secret": Secret(key.secret),
                "password": Secret(key.passphrase or ""),
            },
            options=AdvancedOptions(sync_from=date.today() - timedelta(days=70)),
        )
        sent = await ada.send("/sync")
        summary = (await ada.reply_to(sent, "Sync finished", timeout=120)).text or ""
        status = (await ada.reply_to(await ada.send("/status"), "Your accounts")).text or ""
    return summary, status


async def test_main_sub_transfers_dust_and_every_wallet_reconcile_to_zero(
    telegram: BotApiEmulator, ada: Walker, tmp_path: Path
) -> None:
    async with BitgetEmulator(seed=87, profile=PROFILE, listed_symbols=20) as bitget:
        summary, status = await sync_story(bitget, telegram, ada, tmp_path)
        asked = {path: bitget.requests.count(path) for path in (SUB_MAIN, DUST, SAVINGS, *WALLETS)}

    assert "✅ Bitget-1: the history explains every balance." in summary, summary
    assert "🟢 Bitget-1" in status and "✅ The history explains every balance." in status, status
    # The one BGB conversion; the scripted account's own deposits and withdrawals plus the main account's 400 USDT
    # and ROOT in, 25 USDT out (counted with them); the 150 USDT moved to funding with the internal transfers.
    assert "dust conversions 1" in summary, summary
    # The account's 3 rewards (flexible savings interest), the scripted 0.35 USDT interest and 0.02 USDT penalty.
    assert len(bitget.account.rewards) == 3 and "earn and staking rewards 5" in summary, summary
    assert "✅ Dust conversions" in status, status
    # Every list asked, and the funding, earn and both bot wallets read (bot-assets once per accountType).
    assert all(asked[path] > 0 for path in (SUB_MAIN, DUST, SAVINGS, *WALLETS[:2])), asked
    assert asked[WALLETS[2]] >= 2, asked


async def test_dust_switched_off_leaves_exactly_what_the_conversion_moved_unexplained(
    telegram: BotApiEmulator, ada: Walker, tmp_path: Path
) -> None:
    others = tuple(s.endpoint.value for s in get_profile("bitget").default_endpoints("normal") if s.endpoint != "dust")
    async with BitgetEmulator(seed=87, profile=PROFILE, listed_symbols=20) as bitget:
        _, status = await sync_story(bitget, telegram, ada, tmp_path, endpoints=others)

    # 64.99837 ROOT left for 3.55072001 BGB less the 0.07101441 BGB fee: the history does not know it.
    assert status.count("⚠️ ") == 2, status
    assert "⚠️ ROOT: Bitget says " in status and "(−64.99837)." in status, status
    assert "⚠️ BGB: Bitget says " in status and "(+3.4797056)." in status, status
    assert status.count("Switched off for this account: dust conversions.") == 2, status
    assert "🟢 Bitget-1" not in status, status


async def test_a_unified_accounts_small_asset_conversion_is_synced_and_reconciles(
    telegram: BotApiEmulator, ada: Walker, tmp_path: Path
) -> None:
    async with BitgetEmulator(seed=88, profile=UNIFIED, listed_symbols=20, derivatives=True) as bitget:
        held = {b.asset: b.total for b in bitget.account.balances if b.total > 0 and b.asset not in ("BGB", "USDT")}
        coin = sorted(held)[0]
        add_unified_dust(bitget.book.wallets, coin, held[coin], bitget.book.account.now_ms)
        summary, status = await unified_sync(bitget, telegram, ada, tmp_path)

    assert "✅ Bitget-UTA: the history explains every balance." in summary, summary
    # The conversion's two legs, read from the SPOT financial records (the fills' legs there are the fills').
    assert "dust conversions 2" in summary, summary
    assert "✅ Dust conversions" in status and "✅ The history explains every balance." in status, status


async def test_a_unified_accounts_moves_with_its_sub_accounts_are_synced_and_reconcile(
    telegram: BotApiEmulator, ada: Walker, tmp_path: Path
) -> None:
    async with BitgetEmulator(seed=89, profile=UNIFIED, listed_symbols=20, derivatives=True) as bitget:
        add_unified_main_sub(bitget.book.wallets, bitget.book.account.now_ms)
        summary, status = await unified_sync(bitget, telegram, ada, tmp_path)
        asked = bitget.requests.count("/api/v3/account/sub-transfer-record")

    # 300 USDT in from a sub-account, 40 USDT out to the other, 120 USDT from funding to the unified account (counts
    # zero): the history explains the 180 USDT in funding and the 80 more in the unified account.
    assert "✅ Bitget-UTA: the history explains every balance." in summary, summary
    assert "✅ Internal transfers" in status and "✅ The history explains every balance." in status, status
    # The Internal transfers list's three: the deposit, the withdrawal and the own move.
    assert "internal transfers 3" in summary, summary
    assert "no list of transfers" not in summary + status, status
    assert asked == 2, asked  # both roles of the main account, one 90-day window each (synced from 70 days back)
