"""A Binance user with crypto loans (flexible rate), as they meet Tallybot: they deposited BTC and ETH, borrowed USDC
against ETH (liquidated since), borrowed USDT against BTC, added and took back collateral, repaid part, and still owe
the rest with the interest Binance added to the debt. They connect a read-only key and /sync with no sync-from date.

Every row is stored once as what it moved (loans.py, loan_rows.py), the interest Binance added to each loan is stored
as the interest it is, and the balances Binance reports (spot, and the open loan read as a wallet: its collateral
less its debt) are explained by the history: the account is green. A later repayment still REPAYING at the next sync
holds its list there and is stored by the sync after Binance completed it, with the interest charged since; each
re-sync asks each list once, from where the last one ended. Without the loan lists BTC, ETH, USDT and USDC would not
reconcile."""

from __future__ import annotations

import dataclasses
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bot.context import SERVICES_KEY, Services
from db.models import Transaction
from sandbox.botapi import BotApiEmulator
from sandbox.exchanges import BinanceEmulator, BinanceLimits
from tests.assistant_story import Walker
from tests.bot_harness import running_bot, settings_for
from tests.test_reconcile_e2e import RECENT, connect

RECONCILED = "✅ Binance-1: the history explains every balance."
QUIET = dataclasses.replace(RECENT, traded_markets=2, trades=12)
D = Decimal
V2 = "/sapi/v2/loan/flexible/"

# By hand from sandbox/exchanges/binance_loans.py: (kind, asset, amount, side, quote, quote amount). The failed borrow
# moved nothing; collateral moves between spot and the loan are transfers (out into the loan, in back from it).
ROWS = Counter(
    {
        ("borrow", "USDC", D("300"), None, None, None): 1,
        ("transfer", "ETH", D("0.2"), "out", None, None): 1,  # pledged with it
        ("convert", "ETH", D("0.15"), "sell", "USDC", D("301.2")): 1,  # liquidated: collateral sold for the debt
        ("transfer", "ETH", D("0.05"), "in", None, None): 1,  # and the rest returned
        ("borrow", "USDT", D("1000"), None, None, None): 1,
        ("transfer", "BTC", D("0.05"), "out", None, None): 1,
        ("transfer", "BTC", D("0.01"), "out", None, None): 1,  # LTV adjustment: ADDITIONAL
        ("repay", "USDT", D("400.5"), None, None, None): 1,
        ("transfer", "BTC", D("0.02"), "in", None, None): 1,  # collateral returned with the repayment
        ("transfer", "BTC", D("0.005"), "in", None, None): 1,  # LTV adjustment: REDUCED
        # Interest: the liquidated loan's debt was 1.2 USDC over its borrow; the open one owes 600.12345678 USDT of
        # which 1000 - 400.5 = 599.5 is principal.
        ("interest", "USDC", D("-1.2"), None, None, None): 1,
        ("interest", "USDT", D("-0.62345678"), None, None, None): 1,
    }
)
# After the later repayment completed: 100 USDT repaid (no collateral returned), and 0.001 USDT of interest since.
LATER = Counter(
    {("repay", "USDT", D("100"), None, None, None): 1, ("interest", "USDT", D("-0.001"), None, None, None): 1}
)
# What a re-sync asks: each v2 list once (the v1 lists hold nothing after 2024-02-27), and the open loans twice: for
# the interest (loans.py) and as the balance check's wallet (connectors/balances/binance.py).
RESYNC_PATHS = sorted(
    f"{V2}{tail}"
    for tail in (
        "borrow/history",
        "repay/history",
        "ltv/adjustment/history",
        "liquidation/history",
        "ongoing/orders",
        "ongoing/orders",
    )
)


async def _stored(services: Services) -> Counter[tuple[Any, ...]]:
    """The records the loan lists stored: their rows carry `loanCoin`, the interest its `pair`."""
    async with services.database.reader() as session:
        rows = (await session.scalars(select(Transaction))).all()
    return Counter(
        (t.kind, t.asset, t.amount, t.side, t.quote_asset, t.quote_amount)
        for t in rows
        if {"loanCoin", "pair"} & set(t.raw or {})
    )


async def test_crypto_loans_sync_once_reconcile_and_a_pending_repayment_is_stored_once_it_completes(
    telegram: BotApiEmulator, ada: Walker, tmp_path: Path
) -> None:
    limits = BinanceLimits(sapi_uid_weight_per_minute=100_000_000)
    async with BinanceEmulator(seed=90, profile=QUIET, listed_symbols=20, limits=limits, crypto_loans=True) as bn:
        settings = settings_for(telegram, tmp_path, exchange_url_overrides={"binance": bn.base_url})
        async with running_bot(settings) as app:
            services: Services = app.bot_data[SERVICES_KEY]
            # The withdrawal list costs 18,000 of a 180,000-a-minute budget and its walk from 2017 takes ~40
            # windows: the story is the loans, not waiting out that budget (raised here and in the emulator).
            services.sync.fetcher_options["binance"] = {"uid_weight_per_minute": 10**8}
            await connect(services, "binance", bn)  # the whole history: the debt beyond it is interest
            sent = await ada.send("/sync")
            summary = (await ada.reply_to(sent, "Sync finished", timeout=180)).text or ""
            status = (await ada.reply_to(await ada.send("/status"), "Your accounts")).text or ""
            first = await _stored(services)
            first_asks = list(bn.loans.asked)

            repaid_at = bn.clock.now_ms()
            bn.loans.repay_pending(repaid_at)  # just now, after the first sync: still being processed
            pending = await ada.sync_again(timeout=180)
            while_pending = await _stored(services)
            pending_asks = bn.loans.asked[len(first_asks) :]

            bn.loans.settle()
            settled = await ada.sync_again(timeout=180)
            last = await _stored(services)
            settled_asks = bn.loans.asked[len(first_asks) + len(pending_asks) :]

    assert RECONCILED in summary, summary
    assert "🟢 Binance-1" in status and "✅ The history explains every balance." in status, status
    assert first == ROWS
    # The first sync walked each v1 list up to 2024-02-27 08:00 and each v2 list from then, 180 days a request.
    assert all(end - start < 180 * 86_400_000 for _, start, end, _ in first_asks if start), first_asks
    assert {path for path, *_ in first_asks} == {
        *(f"/sapi/{v}/loan/flexible/{tail}" for v in ("v1", "v2") for tail in ("borrow/history", "repay/history")),
        *(f"/sapi/{v}/loan/flexible/ltv/adjustment/history" for v in ("v1", "v2")),
        f"{V2}liquidation/history",
        f"{V2}ongoing/orders",
    }
    # The repayment still REPAYING moved nothing yet and stores nothing; the account stays green. The re-sync asked
    # each v2 list once (the v1 lists hold nothing after 2024-02-27) and the open loans once.
    assert RECONCILED in pending, pending
    assert while_pending == ROWS
    assert sorted(path for path, *_ in pending_asks) == RESYNC_PATHS, pending_asks
    assert all(current == 1 for *_, current in pending_asks), pending_asks
    # Completed since: stored once, with the interest charged since; still green, each list asked once again.
    assert RECONCILED in settled, settled
    assert last == ROWS + LATER
    assert sorted(path for path, *_ in settled_asks) == RESYNC_PATHS, settled_asks
    assert all(current == 1 for *_, current in settled_asks), settled_asks
    # The repayment list was asked again from the pending row's time, which held its cursor there.
    (repay_ask,) = [ask for ask in settled_asks if ask[0] == f"{V2}repay/history"]
    assert repay_ask[1] == repaid_at, (repay_ask, repaid_at)
