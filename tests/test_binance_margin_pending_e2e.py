"""A Binance margin repayment still PENDING at a sync is stored by the next one, once (issue 15, item 4; reviewer's
finding 7).

The futures and margin trader of tests/test_binance_derivatives_e2e.py, whose cross-margin BTC repayment was made two
days ago and is still PENDING when they first /sync (Query Borrow Repay: `status` CONFIRMED, PENDING or FAILED). The
first summary counts the two borrowings and seven interest charges without it, and the history explains every
balance (a repayment counts zero: margin is read net of debt). Once Binance confirms it, the next /sync stores that
repayment and nothing else again.
"""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import select

from bot.context import SERVICES_KEY, Services
from db.models import Transaction
from sandbox.botapi import BotApiEmulator
from sandbox.exchanges import BinanceEmulator
from sandbox.exchanges.base import DAY_MS
from tests.assistant_story import Walker
from tests.bot_harness import running_bot, settings_for
from tests.test_binance_derivatives_e2e import LIMITS, SYNC_FROM_DAYS
from tests.test_reconcile_e2e import RECENT, connect

RECONCILED = "✅ Binance-1: the history explains every balance."


async def test_a_pending_margin_repayment_is_stored_by_the_sync_after_it_is_confirmed(
    telegram: BotApiEmulator, ada: Walker, tmp_path: Path
) -> None:
    async with BinanceEmulator(seed=91, profile=RECENT, listed_symbols=20, limits=LIMITS, derivatives=True) as binance:
        script = binance.margin.script
        assert script is not None
        (repay,) = [loan for loan in script.loans if loan.kind == "REPAY"]
        pending = dataclasses.replace(repay, time=binance.clock.now_ms() - 2 * DAY_MS, status="PENDING")
        others = tuple(loan for loan in script.loans if loan.kind != "REPAY")
        binance.margin.script = dataclasses.replace(script, loans=(*others, pending))
        settings = settings_for(telegram, tmp_path, exchange_url_overrides={"binance": binance.base_url})
        async with running_bot(settings) as app:
            services: Services = app.bot_data[SERVICES_KEY]
            since = date.today() - timedelta(days=SYNC_FROM_DAYS)
            integration_id = await connect(services, "binance", binance, since)
            first = (await ada.reply_to(await ada.send("/sync"), "Sync finished", timeout=120)).text or ""

            binance.margin.script = dataclasses.replace(
                binance.margin.script, loans=(*others, dataclasses.replace(pending, status="CONFIRMED"))
            )
            second = await ada.sync_again(timeout=120)
            third = await ada.sync_again(timeout=120)
            async with services.database.reader() as session:
                rows = await session.execute(
                    select(Transaction.asset, Transaction.amount).where(
                        Transaction.integration_id == integration_id, Transaction.kind == "repay"
                    )
                )
                repaid = [(str(asset), str(amount)) for asset, amount in rows.all()]

    # 2 borrowings and 7 interest charges (the derivatives story's 10, less the pending repayment); still explained.
    assert "margin loans and interest 9" in first, first
    assert RECONCILED in first, first
    # Confirmed: the next sync stores the 0.01 BTC repaid, the one after it nothing; stored once.
    assert "margin loans and interest 1" in second, second
    assert "margin loans and interest" not in third, third
    assert RECONCILED in second and RECONCILED in third, (second, third)
    assert [(asset, amount.rstrip("0").rstrip(".")) for asset, amount in repaid] == [("BTC", "0.01")]
