"""A Bybit user who got an airdrop and a bonus and borrowed USDT on spot margin, paid interest, repaid part of it and
had part of the loan liquidated: the first /sync stores each once, and the history explains every balance. Before,
Tallybot kept only the derivatives lines of the unified transaction log and did not offer the rest ("Account ledger"
off, and not implemented): the airdropped MNT and the bonus were in no history, so the account could not reconcile.

Ground truth, written by hand from sandbox/exchanges/bybit_log_kinds.py's script: an `AIRDROP` of 12.5 MNT and a
`BONUS` of 5 USDT (rewards), a `MANUAL_LOANS_BORROW` of 100 USDT and a `MANUAL_LOANS_REPAY` of 40 USDT (a borrow and
a repayment), a one-click repayment (`SPOT_REPAYMENT_SELL` of 2.5 MNT and `SPOT_REPAYMENT_BUY` of 1.75 USDT: two
convert legs, sharing their order, then a repayment of 1.75 USDT), and two interest charges of 100 × 0.000001216904 =
0.0001216904, to 8 decimals 0.00012169 USDT each, listed by the borrow history and again as `INTEREST` lines of the
log: stored once each, from the borrow history. The liquidation: `CURRENCY_SELL` of 4 MNT and `CURRENCY_BUY` of 2.8
USDT (two convert legs sharing their order, in no other list: before, Tallybot left every `CURRENCY_*` line to the
convert history, so MNT and USDT could not reconcile), then a `REPAY` of 2.8 USDT. The account's three converts made
from the unified wallet (seed 85's script) are in the convert history and write their two `CURRENCY_*` legs too: each
stored once, from the convert history (carrying both coins), and none of their legs.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from bot.context import SERVICES_KEY
from db.models import Transaction
from sandbox.botapi import BotApiEmulator
from sandbox.exchanges import BybitEmulator
from tests.assistant_story import Walker
from tests.bot_harness import running_bot, settings_for
from tests.test_reconcile_e2e import RECENT, connect

INTEREST_EACH = Decimal("-0.00012169")
EXPECTED = {
    ("reward", "MNT", Decimal("12.5"), None),
    ("reward", "USDT", Decimal("5"), None),
    ("borrow", "USDT", Decimal("100"), None),
    ("repay", "USDT", Decimal("40"), None),
    ("interest", "USDT", INTEREST_EACH, None),
    ("convert", "MNT", Decimal("2.5"), "out"),
    ("convert", "USDT", Decimal("1.75"), "in"),
    ("repay", "USDT", Decimal("1.75"), None),
    ("convert", "MNT", Decimal("4"), "out"),
    ("convert", "USDT", Decimal("2.8"), "in"),
    ("repay", "USDT", Decimal("2.8"), None),
}
LOG_KINDS = ("reward", "borrow", "repay", "interest", "convert", "ledger")


async def test_an_airdrop_a_bonus_and_a_spot_margin_loan_are_stored_once_and_the_balances_reconcile(
    telegram: BotApiEmulator, ada: Walker, tmp_path: Path
) -> None:
    async with BybitEmulator(seed=85, profile=RECENT, listed_symbols=20, log_kinds=True) as bybit:
        settings = settings_for(telegram, tmp_path, exchange_url_overrides={"bybit": bybit.base_url})
        async with running_bot(settings) as app:
            services = app.bot_data[SERVICES_KEY]
            await connect(services, "bybit", bybit, date.today() - timedelta(days=70))
            summary = (await ada.reply_to(await ada.send("/sync"), "Sync finished", timeout=90)).text or ""
            status = (await ada.reply_to(await ada.send("/status"), "Your accounts")).text or ""
            second = (await ada.reply_to(await ada.send("/sync"), "Sync finished", timeout=90)).text or ""
            async with services.database.reader() as session:
                rows = list((await session.scalars(select(Transaction))).all())

    from_log = [r for r in rows if r.kind in LOG_KINDS and not (r.kind == "convert" and r.quote_asset)]
    stored = [(r.kind, r.asset, r.amount, r.side) for r in from_log]
    # Each once: the two interest charges are two rows, everything else one; the second sync added none.
    assert sorted(stored, key=str) == sorted([*EXPECTED, ("interest", "USDT", INTEREST_EACH, None)], key=str)
    assert set(stored) == EXPECTED
    # The airdrop, the bonus, the borrow, three repayments, the one-click repayment's and the liquidation's two legs.
    assert "account ledger 10" in summary, summary
    converts = [(r.asset, r.quote_asset) for r in rows if r.kind == "convert" and r.quote_asset]
    assert sorted(converts) == [("DOGE", "BTC"), ("USDC", "BNB"), ("USDC", "BTC")]  # the convert history's, once
    assert "margin loans and interest 2" in summary, summary
    assert "✅ Bybit-1: the history explains every balance." in summary, summary
    assert "✅ Bybit-1: the history explains every balance." in second, second
    assert "🟢 Bybit-1" in status and "Account ledger" in status, status
    # The wallet really holds what the lines moved: the airdropped MNT is a balance only the log explains.
    held, owed = bybit.book.wallet_totals("UNIFIED")
    assert held["MNT"] == Decimal(6) and owed["USDT"] == Decimal("55.45")
    legs = {(r.asset, r.exchange_tx_id) for r in from_log if r.kind == "convert"}
    one_click, liquidation = "one-click-repay-1", "uta-loan-liquidation-1"  # linked by their order
    assert legs == {("MNT", one_click), ("USDT", one_click), ("MNT", liquidation), ("USDT", liquidation)}
    assert bybit.requests.unexpected == []
