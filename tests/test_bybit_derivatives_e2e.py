"""A Bybit user who trades perpetuals (USDT and inverse), options and borrows on spot margin: the first /sync brings
every kind, /status lists them, and the history explains every balance. A unified account's wallet is read net of its
spot-margin loan; a classic account's derivatives live in its CONTRACT wallet, next to its SPOT one, and its contract
log writes funding with the opposite sign. Before, these kinds were off ("skipped"), every account was read as
unified, and the balances the derivatives moved could not be explained."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from bot.context import SERVICES_KEY
from sandbox.botapi import BotApiEmulator
from sandbox.exchanges import BybitEmulator
from tests.assistant_story import Walker
from tests.bot_harness import running_bot, settings_for
from tests.test_reconcile_e2e import RECENT, connect

# RECENT: two months of spot history (the account test_reconcile_e2e reconciles); the derivatives script lies within it.
# What each kind of account holds (sandbox/exchanges/bybit_derivatives_script.py), counted by hand:
# unified: 8 fills (2 BTCUSDT, 2 ETHUSDT, 2 BTCUSD, an option bought and delivered) and 5 realized P&L lines (three
# closes, the option's premium and its delivery); 5 funding settlements (2 + 2 + 1); 3 interest charges; a fee
# refund (a log line with no fill behind it, its money in `fee`), stored with the realized P&L lines.
# classic: no option and no unified loan: 6 fills and 3 closes; the same 5 funding settlements and the fee refund.
EXPECTED = {
    False: ("futures trades 14", "funding fees 5", "margin loans and interest 3"),
    True: ("futures trades 10", "funding fees 5"),
}


@pytest.mark.parametrize("classic", [False, True], ids=["unified", "classic"])
async def test_a_derivatives_trader_gets_every_kind_and_a_history_that_explains_every_balance(
    telegram: BotApiEmulator, ada: Walker, tmp_path: Path, classic: bool
) -> None:
    async with BybitEmulator(seed=82, profile=RECENT, listed_symbols=20, classic=classic, derivatives=True) as bybit:
        settings = settings_for(telegram, tmp_path, exchange_url_overrides={"bybit": bybit.base_url})
        async with running_bot(settings) as app:
            await connect(app.bot_data[SERVICES_KEY], "bybit", bybit, date.today() - timedelta(days=70))
            sent = await ada.send("/sync")
            summary = (await ada.reply_to(sent, "Sync finished", timeout=90)).text or ""
            status = (await ada.reply_to(await ada.send("/status"), "Your accounts")).text or ""

    for count in EXPECTED[classic]:
        assert count in summary, summary
    assert "✅ Bybit-1: the history explains every balance." in summary, status
    assert "🟢 Bybit-1" in status and "✅ The history explains every balance." in status, status
    for label in ("Futures trades", "Funding fees", "Margin loans and interest"):
        assert label in status, status
    served = bybit.requests.by_path
    if classic:  # its own lists and wallets, never the unified ones; /status says why loans were not asked
        assert "spot-margin interest is listed for unified trading accounts only" in status, status
        assert served["/v5/crypto-loan-flexible/borrow-history"] == 1  # crypto loans: any account's (funding wallet)
        assert served["/v5/account/contract-transaction-log"] > 0
        assert "/v5/account/transaction-log" not in served and "/v5/account/borrow-history" not in served
    else:
        assert served["/v5/account/transaction-log"] > 0 and served["/v5/account/borrow-history"] > 0
        assert "/v5/account/contract-transaction-log" not in served
    assert bybit.requests.unexpected == []
