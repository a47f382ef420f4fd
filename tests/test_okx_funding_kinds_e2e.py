"""An OKX user whose funding account holds more than deposits, transfers and staking rewards: fiat paid in and a fiat
order cancelled, euros converted, ETH bought and staked for BETH, SOL received as a gift and staked for OKSOL, Dual
Investment settled in BTC, a crypto loan on that BTC, an institutional loan with interest, Shark Fin, a gift sent,
commissions, rebates and copy-trading rewards (sandbox/exchanges/okx_funding_kinds.py has the script). Before, the
reader kept three sets of bill types and dropped the rest: the history could not explain the funding account's EUR,
USDT, BTC, BETH, SOL and OKSOL. Now every bill is stored as what it is and the history explains every balance.

Expected records are written by hand from the script and the bill-type list (Asset_Bills_Details.md)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from bot.context import SERVICES_KEY
from connectors.fetchers.base import Cursor
from connectors.profiles import Endpoint
from connectors.records import NormalizedRecord
from sandbox.botapi import BotApiEmulator
from sandbox.exchanges import OkxEmulator
from tests.assistant_story import Walker
from tests.bot_harness import running_bot, settings_for
from tests.conformance.corpus import API_EXAMPLES, shape_differences
from tests.connectors.test_fetch_okx import okx_client
from tests.test_okx_derivatives_e2e import DOCUMENTED, FAST, _walk
from tests.test_reconcile_e2e import RECENT, connect

D = Decimal
# Bill types of the generated account's own transfers and rewards (okx_book.py), not the script's.
GENERATED_TYPES = {"130", "131", "83", "89", "229"}

# (bill type, kind, asset, amount, side) of each scripted bill, oldest first.
TRANSFERS_WALK = [
    ("117", "deposit", "EUR", D("600"), None),  # [Fiat] Fulfill an order
    ("272", "convert", "EUR", D("500"), "out"),  # [Convert] Buy Crypto/Fiat: both legs, no shared id
    ("272", "convert", "USDT", D("540.25"), "in"),
    ("116", "withdrawal", "EUR", D("100"), None),  # [Fiat] Place an order
    ("118", "deposit", "EUR", D("100"), None),  # [Fiat] Cancel an order: the money back
    ("200", "convert", "ETH", D("1.5"), "in"),  # Buy
    ("160", "convert", "USDT", D("200"), "out"),  # Dual Investment subscribe
    ("137", "convert", "ETH", D("1.5"), "out"),  # [ETH Staking] Subscription
    ("138", "convert", "BETH", D("1.5"), "in"),  # [ETH Staking] Swapping
    ("314", "deposit", "SOL", D("12"), None),  # Received from gift
    ("329", "convert", "SOL", D("10"), "out"),  # [SOL staking] Subscribe
    ("330", "convert", "OKSOL", D("9.6432"), "in"),  # [SOL staking] Mint
    ("161", "convert", "BTC", D("0.003"), "in"),  # Dual Investment collection, in the other currency
    ("175", "transfer", "BTC", D("0.003"), "out"),  # Locked collateral: still the user's
    ("176", "borrow", "USDT", D("300"), None),  # Loan
    ("351", "borrow", "USDT", D("1000"), None),  # [Institutional Loan] Loan disbursement
    ("225", "convert", "USDT", D("100"), "out"),  # Shark Fin subscribe
    ("179", "repay", "USDT", D("300"), None),  # Repayment
    ("180", "transfer", "BTC", D("0.003"), "in"),  # Unlocked collateral
    ("331", "convert", "OKSOL", D("4"), "out"),  # [SOL staking] Redeem
    ("332", "convert", "SOL", D("4.1502"), "in"),  # [SOL staking] Settle
    ("345", "repay", "USDT", D("1000"), None),  # [Institutional Loan] Principal repayment
    ("346", "interest", "USDT", D("-1.25"), None),  # [Institutional Loan] Interest repayment: paid, negative
    ("226", "convert", "USDT", D("100"), "in"),  # Shark Fin collection
    ("313", "withdrawal", "USDT", D("10"), None),  # Sent by gift
]
REWARDS_WALK = [
    ("150", "reward", "USDT", D("3.5"), None),  # Affiliate commission
    ("151", "reward", "USDT", D("1.2"), None),  # Referral reward
    ("173", "reward", "USDT", D("0.75"), None),  # [Affiliate] Fee rebate (by trading fee)
    ("162", "reward", "BTC", D("0.00002"), None),  # Dual Investment profit
    ("328", "reward", "OKSOL", D("0.0123"), None),  # [SOL staking] reward
    ("227", "reward", "USDT", D("0.85"), None),  # Shark Fin profit
    ("300", "reward", "USDT", D("0.33"), None),  # Fee discount rebate
    ("354", "reward", "USDT", D("2.1"), None),  # Copy and bot rewards
]


def scripted(records: list[NormalizedRecord]) -> list[tuple[str, str, str, Decimal, str | None]]:
    rows = [r for r in records if str(r.raw.get("type")) not in GENERATED_TYPES]
    rows.sort(key=lambda r: int(r.raw["billId"]))
    return [(str(r.raw["type"]), str(r.kind), r.asset, r.amount, r.side) for r in rows]


async def test_every_funding_bill_is_stored_as_what_it_is_and_the_history_explains_every_balance(
    telegram: BotApiEmulator, ada: Walker, tmp_path: Path
) -> None:
    """The same trader also holds the derivatives, savings and sub-account script (okx_savings.py), whose funding
    bills share USDT with these."""
    emulator = OkxEmulator(seed=83, profile=RECENT, listed_symbols=20, derivatives=True, funding_kinds=True)
    async with emulator as okx:
        settings = settings_for(telegram, tmp_path, exchange_url_overrides={"okx": okx.base_url})
        async with running_bot(settings) as app:
            await connect(app.bot_data[SERVICES_KEY], "okx", okx, date.today() - timedelta(days=70))
            sent = await ada.send("/sync")
            summary = (await ada.reply_to(sent, "Sync finished", timeout=90)).text or ""
            status = (await ada.reply_to(await ada.send("/status"), "Your accounts")).text or ""

    # The funding bills' walk (named so in the summary and /status) stores the account's own transfers, the savings
    # script's six bills and the 25 scripted bills above; the rewards' walk the account's rewards, three savings
    # interest payments and the 8 scripted income bills.
    assert f"funding account bills {len(okx.account.transfers) + 6 + 25}" in summary, summary
    assert f"earn and staking rewards {len(okx.account.rewards) + 3 + 8}" in summary, summary
    assert "✅ OKX-1: the history explains every balance." in summary, summary
    assert "🟢 OKX-1" in status and "✅ The history explains every balance." in status, status
    assert "Funding account bills" in status and "Internal transfers" not in status, status
    assert okx.requests.unexpected == []


async def test_the_records_are_the_bills_read_by_hand_and_a_second_sync_stores_none_again() -> None:
    # The walks here are back to back (bills-history allows one request a second); the bot story above keeps the
    # documented limits.
    emulator = OkxEmulator(seed=83, profile=RECENT, listed_symbols=20, funding_kinds=True, limits=FAST)
    async with emulator as okx, okx_client(okx) as client:
        transfer_cursors: dict[str, Cursor] = {}
        reward_cursors: dict[str, Cursor] = {}
        transfers = await _walk(client, Endpoint.TRANSFERS, transfer_cursors)
        rewards = await _walk(client, Endpoint.EARN_REWARDS, reward_cursors)
        again = await _walk(client, Endpoint.TRANSFERS, transfer_cursors)
        again += await _walk(client, Endpoint.EARN_REWARDS, reward_cursors)

    assert scripted(transfers) == TRANSFERS_WALK
    assert scripted(rewards) == REWARDS_WALK
    bills_doc = json.loads((API_EXAMPLES / "okx" / "asset_bills.docs.json").read_text())["response"]
    assert shape_differences(bills_doc, {"code": "0", "msg": "", "data": [dict(r.raw) for r in transfers]}) == []
    keys = [r.natural_key for r in transfers + rewards]
    assert len(keys) == len(set(keys))
    assert again == []


async def test_the_funding_balance_holds_what_the_bills_leave() -> None:
    """GET /api/v5/asset/balances, by hand from the script: EUR 600 - 500 - 100 + 100; USDT 540.25 - 200 + 300 +
    1000 - 100 - 300 - 1000 - 1.25 + 100 + 0.85 - 10 and 3.5 + 1.2 + 0.75 + 0.33 + 2.1 of income; BTC 0.003 +
    0.00002 - 0.003 + 0.003; BETH 1.5; SOL 12 - 10 + 4.1502; OKSOL 9.6432 + 0.0123 - 4. ETH (1.5 - 1.5) is not
    listed: the list holds "a currency with a balance greater than 0" only."""
    async with (
        OkxEmulator(seed=83, profile=RECENT, listed_symbols=20, funding_kinds=True) as okx,
        okx_client(okx) as client,
    ):
        body: Any = await client.privateGetAssetBalances()
        narrowed: Any = await client.privateGetAssetBalances({"ccy": "SOL,ETH"})

    balances_doc = json.loads((DOCUMENTED / "asset_balances.docs.json").read_text())["response"]
    assert shape_differences(balances_doc, body) == []
    held = {row["ccy"]: (row["bal"], row["availBal"], row["frozenBal"]) for row in body["data"]}
    assert held == {
        "BETH": ("1.5", "1.5", "0"),
        "BTC": ("0.00302", "0.00302", "0"),
        "EUR": ("100", "100", "0"),
        "OKSOL": ("5.6555", "5.6555", "0"),
        "SOL": ("6.1502", "6.1502", "0"),
        "USDT": ("337.73", "337.73", "0"),
    }
    assert [row["ccy"] for row in narrowed["data"]] == ["SOL"]
