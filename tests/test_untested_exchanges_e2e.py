"""Through the real bot: an exchange Tallybot has no guide for is offered only as untested, with that word shown where
it is offered (the picker, the Assistant's intro; in English and in Japanese); the account is named after the exchange
alone, since that name is what /status, /keys, exports and every note show later. Synced, an untested exchange stores
what ccxt can page and never calls a list complete that it could not page: two real ccxt exchanges with different
capabilities side by side."""

from __future__ import annotations

from contextlib import AsyncExitStack
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import select

from bot.context import SERVICES_KEY, Services
from bot.integrations import AdvancedOptions
from bot.secret import Secret
from connectors.profiles import Endpoint, get_profile
from db.models import Integration, Transaction
from sandbox.botapi import BotApiEmulator
from sandbox.exchanges import AccountProfile, BinanceEmulator, BinanceLimits
from tests.assistant_story import Walker
from tests.bot_harness import running_bot, settings_for
from tests.connectors.test_generic_ranges import BithumbStub, scripted_deposits
from tests.test_japanese_e2e import line, part, template

# A year of deposits (with withdrawals and trades the script needs), no weight limits: the request counts are the story.
FEW_DEPOSITS = AccountProfile(
    years=0.9, traded_markets=2, trades=20, deposits=15, withdrawals=3, converts=0, transfers=0, rewards=0
)
UNLIMITED = BinanceLimits(
    request_weight_per_minute=10**9, sapi_ip_weight_per_minute=10**9, sapi_uid_weight_per_minute=10**9
)


async def test_an_exchange_without_a_guide_is_offered_and_introduced_as_untested(
    telegram: BotApiEmulator, ada: Walker, tmp_path: Path
) -> None:
    async with running_bot(settings_for(telegram, tmp_path / "data")):
        sent = await ada.send("/connect")
        await ada.reply_to(sent, "Connect your exchanges")
        typed = await ada.send("bitstamp")
        results = await ada.reply_to(typed, "Connect your exchanges")
        offered = [button.text for button in results.buttons]
        await ada.press_for("Bitstamp", "Selected")
        intro = await ada.press_for("Confirm exchanges", "Alerts")
        key = await ada.send("a1b2c3d4e5f6a7b8c9d0")
        asked = await ada.reply_to(key, "step 2 of 2")
        secret = await ada.send("f0e1d2c3b4a59687786950")
        review = await ada.reply_to(secret, "Check the key")

    assert "Bitstamp (untested)" in offered
    assert "Bitstamp (untested)" in (intro.text or "")
    assert "Untested: Tallybot has never synced Bitstamp" in (intro.text or "")
    # Past the offer, the exchange is Bitstamp: the field prompts and the suggested account name.
    assert (asked.text or "").startswith("🔑 Bitstamp — step 2 of 2")
    assert "Account name: Bitstamp-1" in (review.text or "")
    assert "untested" not in (asked.text or "") + (review.text or "")


async def test_a_japanese_user_sees_the_untested_word_in_japanese_where_it_is_offered(
    telegram: BotApiEmulator, tmp_path: Path
) -> None:
    # The Japanese catalogue's entries, read here rather than copied: "{name}（未検証）" and the alert "未検証: …".
    untested_name = template("profile.generic.untested_name", "ja").format(name="Bitstamp")
    alert = template("profile.generic.alert.untested", "ja").format(name="Bitstamp")
    untested_mark = template("profile.generic.untested_name", "ja").format(name="")
    confirm = line("assistant.button.confirm")
    controls = {
        line(key) for key in ("assistant.button.back_page", "assistant.button.more", "assistant.button.confirm")
    } | {line("assistant.button.cancel")}
    ken = Walker(telegram, telegram.add_user(user_id=1702, first_name="Ken", language_code="ja", started=True))
    async with running_bot(settings_for(telegram, tmp_path / "data")):
        await telegram.wait_until(lambda: bool(telegram.commands(language_code="ja")))
        sent = await ken.send("/connect")
        await ken.reply_to(sent, part("assistant.pick.title"))
        # "More exchanges ›": the page after the popular ones lists ccxt's other exchanges, each offered as untested.
        await ken.press(line("assistant.button.more"))
        await telegram.wait_until(lambda: untested_mark in " ".join(b.text for b in ken.last_menu(confirm).buttons))
        more = [b.text for b in ken.last_menu(confirm).buttons if b.text not in controls]
        typed = await ken.send("bitstamp")
        results = await ken.reply_to(typed, part("assistant.pick.title"))
        offered = [button.text for button in results.buttons]
        await ken.press_for(untested_name, part("assistant.pick.selected"))
        intro = await ken.press_for(line("assistant.button.confirm"), part("assistant.intro.alerts"))

    assert untested_name == "Bitstamp（未検証）"  # the word is in the offer itself, in Japanese
    assert untested_mark == "（未検証）"
    assert more and all(name.endswith(untested_mark) for name in more), more
    assert untested_name in offered
    assert untested_name in (intro.text or "")
    assert alert.startswith("未検証: Tallybot は Bitstamp の API") and alert in (intro.text or "")
    assert "untested" not in " ".join(offered) + (intro.text or "")


async def test_two_untested_exchanges_sync_as_far_as_ccxt_can_page_them_and_say_what_it_could_not(
    telegram: BotApiEmulator, ada: Walker, tmp_path: Path
) -> None:
    """Binance US (ccxt sends startTime and endTime for its deposits: every window is asked, the list ends ok) and
    Bithumb (ccxt's fetch_deposits sends no start time: the newest page only, the list ends partial with the
    reason), through the bot: /sync's summary and /status."""
    async with AsyncExitStack() as stack:
        binance = await stack.enter_async_context(
            BinanceEmulator(seed=17, profile=FEW_DEPOSITS, listed_symbols=10, limits=UNLIMITED)
        )
        bithumb = await stack.enter_async_context(BithumbStub(scripted_deposits(60)))
        overrides = {"binanceus": binance.base_url, "bithumb": bithumb.base_url}
        settings = settings_for(telegram, tmp_path / "data", exchange_url_overrides=overrides)
        app = await stack.enter_async_context(running_bot(settings))
        services: Services = app.bot_data[SERVICES_KEY]
        key = binance.create_demo_keys().read_only
        for exchange_id, name, fields in (
            ("binanceus", "Binance US", {"apiKey": Secret(key.api_key), "secret": Secret(key.secret)}),
            ("bithumb", "Bithumb", {"apiKey": Secret("3e97926e9b75a6aeb637d2c1"), "secret": Secret("c0ffee12" * 8)}),
        ):
            assert get_profile(exchange_id).best_effort  # both untested: no guide, emulator or fetcher of our own
            await services.integrations.connect(
                ada.user.user_id,
                exchange_id=exchange_id,
                key_type="normal",
                account_name=name,
                fields=fields,
                options=AdvancedOptions(
                    sync_from=date.today() - timedelta(days=365), endpoints=(str(Endpoint.DEPOSITS),)
                ),
            )
        sent = await ada.send("/sync")
        summary = (await ada.reply_to(sent, "Sync finished", timeout=120)).text or ""
        sent = await ada.send("/status")
        status = (await ada.reply_to(sent, "Your accounts")).text or ""
        async with services.database.reader() as session:
            stored = {
                (exchange_id, str(tx_id))
                for exchange_id, tx_id in (
                    await session.execute(
                        select(Integration.exchange_id, Transaction.exchange_tx_id).join(
                            Integration, Integration.id == Transaction.integration_id
                        )
                    )
                ).all()
            }

    # Binance US: a year in 30-day windows of startTime/endTime, every deposit of the script stored, nothing missing.
    assert {tx for exchange, tx in stored if exchange == "binanceus"} == {d.id for d in binance.account.deposits}
    assert binance.requests.count("/sapi/v1/capital/deposit/hisrec") == 13  # 365 days ÷ 30, rounded up
    # Bithumb: one request with nothing but the page size; its newest 50 of 60 stored, and the rest said missing.
    assert bithumb.asked == [{"limit": "50"}]
    assert {tx for exchange, tx in stored if exchange == "bithumb"} == {str(n) for n in range(11, 61)}
    reason = (
        "Untested exchange: ccxt cannot ask Bithumb for deposits from a start time (fetchDeposits), so only the "
        "newest the exchange sends could be read; add older ones by file upload."
    )
    assert reason in summary and reason in status
    assert status.count("Untested exchange:") == 1
    # Each account's deposits as /status shows them: complete for Binance US, partial for Bithumb.
    binance_us, bithumb_status = status.split("\n\n")[1:3]
    assert binance_us.startswith("🟢 Binance US") and "  ✅ Deposits" in binance_us
    assert bithumb_status.startswith("🟡 Bithumb") and "  ⚠️ Deposits" in bithumb_status and reason in bithumb_status
    assert "✅ Binance US: 15 new (deposits 15)" in summary and "⚠️ Bithumb: 50 new (deposits 50)" in summary
