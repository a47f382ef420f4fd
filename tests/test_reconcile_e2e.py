"""Reconciliation as a user meets it: after /sync, the exchange's balances against the balances the history explains.

On each of the four deep exchanges, an account whose whole history is within the API's reach ends its sync with
"the history explains every balance" and is green in /status. A Bitget account with a deposit older than the two
years Bitget's deposit list reaches shows exactly that asset and difference, names the cause (deposits out of the
API's reach: upload a statement), is not green, and reconciles once the user uploads a file with that deposit.
"""

from __future__ import annotations

import csv
import dataclasses
import io
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from bot.context import SERVICES_KEY, Services
from bot.integrations import AdvancedOptions
from bot.secret import Secret
from connectors.files.tallybot import COLUMNS
from sandbox.botapi import BotApiEmulator
from sandbox.exchanges import AccountProfile, BinanceEmulator, BinanceLimits, BitgetEmulator, BybitEmulator, OkxEmulator
from sandbox.exchanges.base import DAY_MS, ExchangeEmulator
from sandbox.exchanges.records import BalanceRecord, DepositRecord
from tests.assistant_story import Walker
from tests.bot_harness import running_bot, settings_for

# Two months of history: within every reach of the four exchanges (Bitget's spot fills: 90 days).
RECENT = AccountProfile(
    years=0.15, traded_markets=3, trades=40, deposits=4, withdrawals=2, converts=3, transfers=2, rewards=3
)
EMULATORS: dict[str, Callable[[], Any]] = {
    # Binance's withdrawal list costs 18,000 of a 180,000-a-minute budget, and its walk from 2017 takes ~40 windows:
    # the story is the balance check, not waiting out the budget.
    "binance": lambda: BinanceEmulator(
        seed=81, profile=RECENT, listed_symbols=20, limits=BinanceLimits(sapi_uid_weight_per_minute=100_000_000)
    ),
    "bybit": lambda: BybitEmulator(seed=82, profile=RECENT, listed_symbols=20),
    "okx": lambda: OkxEmulator(seed=83, profile=RECENT, listed_symbols=20),
    # Bitget's rewards are served as Earn flexible savings interest (earn/savings/Savings-Records, `pay_interest`),
    # which Tallybot reads: the account's 3 rewards must be explained like everything else.
    "bitget": lambda: BitgetEmulator(seed=84, profile=RECENT, listed_symbols=20),
}
NAMES = {"binance": "Binance", "bybit": "Bybit", "okx": "OKX", "bitget": "Bitget"}


async def connect(
    services: Services, exchange_id: str, emulator: ExchangeEmulator, sync_from: date | None = None
) -> int:
    key = emulator.create_demo_keys().read_only
    fields = {"apiKey": Secret(key.api_key), "secret": Secret(key.secret)}
    if key.passphrase:
        fields["password"] = Secret(key.passphrase)
    connected = await services.integrations.connect(
        1001,
        exchange_id=exchange_id,
        key_type="default",
        account_name=f"{NAMES[exchange_id]}-1",
        fields=fields,
        options=AdvancedOptions(sync_from=sync_from),
    )
    return connected.id


@pytest.mark.parametrize("exchange_id", list(EMULATORS))
async def test_an_account_whose_history_is_within_reach_reconciles_to_zero_and_is_green(
    telegram: BotApiEmulator, ada: Walker, tmp_path: Path, exchange_id: str
) -> None:
    async with EMULATORS[exchange_id]() as emulator:
        settings = settings_for(telegram, tmp_path, exchange_url_overrides={exchange_id: emulator.base_url})
        async with running_bot(settings) as app:
            # From before the account's first record: the whole history, without walking back to 2017.
            await connect(app.bot_data[SERVICES_KEY], exchange_id, emulator, date.today() - timedelta(days=70))
            sent = await ada.send("/sync")
            summary = (await ada.reply_to(sent, "Sync finished", timeout=90)).text or ""
            status = (await ada.reply_to(await ada.send("/status"), "Your accounts")).text or ""

    name = f"{NAMES[exchange_id]}-1"
    assert f"✅ {name}: the history explains every balance." in summary, summary
    assert f"🟢 {name}" in status and "✅ The history explains every balance." in status, status


SOL_BEFORE_REACH = Decimal("12.5")


def with_old_deposit(emulator: BitgetEmulator) -> DepositRecord:
    """A deposit of 12.5 SOL 800 days ago, beyond the deposit list's two-year reach, which the balance still holds."""
    account = emulator.account
    old = DepositRecord("900001", "ab" * 32, "SOL", "SOL", SOL_BEFORE_REACH, "0xold", account.now_ms - 800 * DAY_MS)
    held = {b.asset: b for b in account.balances}
    before = held.get("SOL", BalanceRecord("SOL", Decimal(0), Decimal(0))).total
    held["SOL"] = BalanceRecord("SOL", before + SOL_BEFORE_REACH, Decimal(0))
    grown = dataclasses.replace(
        account, deposits=(old, *account.deposits), balances=tuple(sorted(held.values(), key=lambda b: b.asset))
    )
    emulator.account = emulator.book.account = emulator.book.tax.account = grown
    return old


def statement(deposit: DepositRecord) -> bytes:
    """The deposit as a row of Tallybot's CSV, as a user fills the template from Bitget's statement."""
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    when = datetime.fromtimestamp(deposit.timestamp / 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    writer.writerow({"time_utc": when, "kind": "deposit", "asset": "SOL", "amount": "12.5"})
    return buffer.getvalue().encode()


async def test_a_deposit_older_than_the_api_reach_is_named_and_a_matching_upload_reconciles_it(
    telegram: BotApiEmulator, ada: Walker, tmp_path: Path
) -> None:
    async with BitgetEmulator(seed=85, profile=dataclasses.replace(RECENT, rewards=0), listed_symbols=20) as bitget:
        old = with_old_deposit(bitget)
        held = next(b.total for b in bitget.account.balances if b.asset == "SOL")
        reach = date.today() - timedelta(days=730)
        settings = settings_for(telegram, tmp_path, exchange_url_overrides={"bitget": bitget.base_url})
        async with running_bot(settings) as app:
            await connect(app.bot_data[SERVICES_KEY], "bitget", bitget)
            sent = await ada.send("/sync")
            summary = (await ada.reply_to(sent, "Sync finished", timeout=120)).text or ""
            before = (await ada.reply_to(await ada.send("/status"), "Your accounts")).text or ""
            await ada.reply_to(await ada.send("/export"), "Which format")
            await ada.press_for("Tallybot CSV", "Export which account")
            pressed = ada.newest_id()
            await ada.press("Bitget-1")
            sheet = await telegram.wait_for_bot_message(
                ada.chat_id,
                after_message_id=pressed,
                predicate=lambda m: m.document is not None and "reconciliation" in (m.document.file_name or ""),
            )
            upload = await ada.emulator.send_document(
                ada.user, filename="bitget-deposits.csv", content=statement(old), mime_type="text/csv"
            )
            await ada.reply_to(upload, "Which account")
            await ada.press_for("Bitget-1", "imported into")
            after = (await ada.reply_to(await ada.send("/status"), "Your accounts")).text or ""

    assert "⚠️ Bitget-1: 1 balance the history does not explain: see /status." in summary, summary
    assert "🟡 Bitget-1" in before, before
    explained = held - SOL_BEFORE_REACH
    assert f"SOL: Bitget says {held.normalize():f}, the history explains {explained.normalize():f} (+12.5)." in before
    # Bitget's history starts with the exchange's opening (2018): the statement to upload covers 2018 to the reach.
    assert f"are out of the API's reach: upload Bitget's statement for 2018–{reach.year}." in before
    assert before.count(" says ") == 1, "exactly one asset differs"
    assert abs((date.fromisoformat(before.split("Deposits before ")[1][:10]) - reach).days) <= 2
    assert "🟢 Bitget-1" in after and "✅ The history explains every balance." in after, after
    assert sheet.document is not None
    rows = {row["asset"]: row for row in csv.DictReader(io.StringIO(sheet.document.content.decode()))}
    assert rows["SOL"]["exchange_balance"] == f"{held.normalize():f}" and rows["SOL"]["difference"] == "12.5"
    assert rows["SOL"]["cause"] == "before_reach" and "out of the API's reach" in rows["SOL"]["explanation"]
    assert rows["SOL"]["exchange"] == "Bitget" and "upload Bitget's statement" in rows["SOL"]["explanation"]
    assert {row["difference"] for asset, row in rows.items() if asset != "SOL"} == {"0"}


async def test_a_kind_the_user_switched_off_is_named_as_the_cause_of_exactly_its_assets(
    telegram: BotApiEmulator, ada: Walker, tmp_path: Path
) -> None:
    """Converts switched off: every asset a convert moved differs by exactly what the converts moved."""
    async with EMULATORS["binance"]() as binance:
        account = binance.account
        moved: dict[str, Decimal] = {}
        for convert in account.converts:
            moved[convert.from_asset] = moved.get(convert.from_asset, Decimal(0)) - convert.from_amount
            moved[convert.to_asset] = moved.get(convert.to_asset, Decimal(0)) + convert.to_amount
        settings = settings_for(telegram, tmp_path, exchange_url_overrides={"binance": binance.base_url})
        async with running_bot(settings) as app:
            services: Services = app.bot_data[SERVICES_KEY]
            key = binance.create_demo_keys().read_only
            await services.integrations.connect(
                1001,
                exchange_id="binance",
                key_type="default",
                account_name="Binance-1",
                fields={"apiKey": Secret(key.api_key), "secret": Secret(key.secret)},
                options=AdvancedOptions(
                    sync_from=date.today() - timedelta(days=70),
                    endpoints=(
                        *("spot_trades", "deposits", "withdrawals", "earn_rewards", "dust", "p2p", "pay", "fiat"),
                        *("futures_trades", "funding", "margin_trades", "margin_loans", "crypto_loans", "transfers"),
                    ),
                ),
            )
            sent = await ada.send("/sync")
            await ada.reply_to(sent, "Sync finished", timeout=90)
            status = (await ada.reply_to(await ada.send("/status"), "Your accounts")).text or ""

    differing = {asset: amount for asset, amount in moved.items() if amount != 0}
    assert differing, "the scripted converts move some balance"
    # One difference line per asset (the skipped futures and margin kinds say "Binance says" too, for their reason).
    assert status.count("⚠️ ") == len(differing), status
    for asset, amount in differing.items():
        sign = "+" if amount > 0 else "−"
        assert f"⚠️ {asset}: Binance says " in status and f"({sign}{abs(amount).normalize():f})." in status, asset
    assert status.count("Switched off for this account: convert history.") == len(differing)
    assert "🟡 Binance-1" in status
