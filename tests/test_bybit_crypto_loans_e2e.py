"""A Bybit user took a flexible crypto loan of BTC against USDT, added collateral, repaid part of the loan and took
some collateral back; the loan is still open. Synced through the bot, the loan, the repayment and the two collateral
moves are stored once each, the open loan's debt and collateral are read as a wallet, and the interest, which no list
Bybit offers a key names, is worked out from the debt (debt now + repaid − borrowed, connectors/fetchers/bybit/
loans.py): stored as one INTEREST record, and every balance is explained. A second sync, after the loan accrued more
interest, asks each loan list one page and stores only the interest charged since.

Ground truth by hand from sandbox/exchanges/bybit_loans.py's script (`script_loans`): 20 days ago 500 USDT moved
from the unified wallet to the funding wallet (an internal transfer); 19 days ago loan order 1363 borrowed 0.01 BTC
with 400 USDT of collateral (into and out of the funding wallet); 18 days ago order 1364 (0.5 BTC) failed; 15 days
ago adjustment 27491 added 50 USDT of collateral; 10 days ago repayment 1771 paid 0.004 BTC, of which 0.0000012 BTC
interest; 5 days ago adjustment 27511 took 30 USDT of collateral back. Now: funding wallet 80 USDT and 0.006 BTC;
the loan's collateral 420 USDT; its debt 0.01 − (0.004 − 0.0000012) = 0.0060012 BTC of principal and 0.00000045 BTC
of interest accrued since, 0.00600165 BTC. USDT: −500 + 80 + 420 = 0, explained (the transfer and the collateral moves
count zero). BTC: 0.006 − 0.00600165 = −0.00000165, the interest (0.0000012 + 0.00000045): the debt 0.00600165 +
repaid 0.004 − borrowed 0.01 = 0.00000165, stored. Between the syncs the test lets the loan accrue 0.0000003 BTC more
(its script's `interest_since` 0.00000075): the second sync stores that, and BTC is explained again.
"""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from bot.context import SERVICES_KEY
from bot.reconcile.service import ReconcileReader
from db.models import Transaction
from sandbox.botapi import BotApiEmulator
from sandbox.exchanges import BybitEmulator
from tests.assistant_story import Walker
from tests.bot_harness import running_bot, settings_for
from tests.test_reconcile_e2e import RECENT, connect

LISTS = (
    "/v5/crypto-loan-flexible/borrow-history",
    "/v5/crypto-loan-flexible/repayment-history",
    "/v5/crypto-loan-common/adjustment-history",
)
POSITION = "/v5/crypto-loan-common/position"
DAY_MS = 86_400_000
RECONCILED = "✅ Bybit-1: the history explains every balance."
# The gap a sync notes when the lists hold loans older than the sync-from date (gaps.po): not this account's.
INTEREST_GAP = "Bybit lists no interest of crypto loans"


async def test_a_crypto_loan_is_stored_once_with_its_interest_and_the_account_reconciles(
    telegram: BotApiEmulator, ada: Walker, tmp_path: Path
) -> None:
    async with BybitEmulator(seed=85, profile=RECENT, listed_symbols=20, crypto_loans=True) as bybit:
        now = bybit.loans.script.borrows[0].time + 19 * DAY_MS  # the script's clock when it was made
        settings = settings_for(telegram, tmp_path, exchange_url_overrides={"bybit": bybit.base_url})
        async with running_bot(settings) as app:
            services = app.bot_data[SERVICES_KEY]
            # A sync-from date before the account's first record: the loan lists are read to their end, every row
            # newer than the date, so the interest can be worked out.
            await connect(services, "bybit", bybit, date.today() - timedelta(days=70))
            summary = (await ada.reply_to(await ada.send("/sync"), "Sync finished", timeout=90)).text or ""
            first = {path: bybit.requests.by_path.get(path, 0) for path in (*LISTS, POSITION)}
            async with services.database.reader() as session:
                after_first = list((await session.scalars(select(Transaction))).all())
            [reconciled] = await ReconcileReader(services.database).of_user(1001)

            # The loan accrues 0.0000003 BTC more before the next sync (the debt grows; nothing else moves).
            bybit.loans.script = dataclasses.replace(bybit.loans.script, interest_since=Decimal("0.00000075"))
            again = (await ada.reply_to(await ada.send("/sync"), "Sync finished", timeout=90)).text or ""
            second = {path: bybit.requests.by_path.get(path, 0) - first[path] for path in (*LISTS, POSITION)}
            async with services.database.reader() as session:
                rows = list((await session.scalars(select(Transaction))).all())
            status = (await ada.reply_to(await ada.send("/status"), "Your accounts")).text or ""
            [account] = await ReconcileReader(services.database).of_user(1001)

    def loans(stored: list[Transaction]) -> list[tuple[object, ...]]:
        return sorted(
            (
                r.kind,
                r.asset,
                r.amount,
                r.side,
                None if r.kind == "interest" else int(r.occurred_at.timestamp() * 1000),
                r.exchange_tx_id,
            )
            for r in stored
            if r.natural_key.split(":")[1] == "cryptoloan"
        )

    stored_first = [
        ("borrow", "BTC", Decimal("0.01"), None, now - 19 * DAY_MS, "1363"),
        ("transfer", "USDT", Decimal("50"), "out", now - 15 * DAY_MS, "27491"),
        ("repay", "BTC", Decimal("0.004"), None, now - 10 * DAY_MS, "1771"),
        ("transfer", "USDT", Decimal("30"), "in", now - 5 * DAY_MS, "27511"),
        # 0.00600165 owed + 0.004 repaid − 0.01 borrowed: the interest paid with the repayment and accrued since.
        ("interest", "BTC", Decimal("-0.00000165"), None, None, None),
    ]
    assert loans(after_first) == sorted(stored_first)
    # The second sync stores only what the debt grew by: 0.00600195 + 0.004 − 0.01 − 0.00000165 stored before.
    assert loans(rows) == sorted([*stored_first, ("interest", "BTC", Decimal("-0.0000003"), None, None, None)])
    assert len(rows) == len(after_first) + 1
    # The move of the collateral's USDT into the funding wallet is the internal transfer list's.
    funded = [r for r in rows if r.exchange_tx_id == "selfTransfer_c0ffee00-0000-4000-8000-000000000001"]
    assert [(r.kind, r.asset, r.amount) for r in funded] == [("transfer", "USDT", Decimal("500"))]
    # Every balance is explained after each sync, and no sync notes the interest as missing.
    for each in (reconciled, account):
        differing = {b.asset: b.reported - b.explained for b in each.balances if b.reported != b.explained}
        assert differing == {}, differing
    assert RECONCILED in summary and RECONCILED in again, (summary, again)
    assert INTEREST_GAP not in summary and INTEREST_GAP not in again, summary
    assert "🟢 Bybit-1" in status and "✅ The history explains every balance." in status, status
    # Each list fits one page of 100: one request a sync; the position is read twice a sync: for the interest
    # (loans.py) and as the balance check's wallet (connectors/balances/bybit.py).
    assert [first[path] for path in LISTS] == [1, 1, 1], first
    assert [second[path] for path in LISTS] == [1, 1, 1], second
    assert first[POSITION] == 2 and second[POSITION] == 2, (first, second)
    assert bybit.requests.unexpected == []


# The gap's reason, as the catalogue words it (gaps.po).
BEFORE_DATE = "Your crypto loans began before the sync-from date, so the interest is not worked out"


async def test_a_sync_from_date_after_the_loan_leaves_its_interest_to_a_gap_that_says_so(
    telegram: BotApiEmulator, ada: Walker, tmp_path: Path
) -> None:
    async with BybitEmulator(seed=85, profile=RECENT, listed_symbols=20, crypto_loans=True) as bybit:
        settings = settings_for(telegram, tmp_path, exchange_url_overrides={"bybit": bybit.base_url})
        async with running_bot(settings) as app:
            services = app.bot_data[SERVICES_KEY]
            # 12 days back: after loan 1363 (19 days ago), before repayment 1771 (10 days ago).
            await connect(services, "bybit", bybit, date.today() - timedelta(days=12))
            summary = (await ada.reply_to(await ada.send("/sync"), "Sync finished", timeout=90)).text or ""
            again = (await ada.reply_to(await ada.send("/sync"), "Sync finished", timeout=90)).text or ""
            status = (await ada.reply_to(await ada.send("/status"), "Your accounts")).text or ""
            async with services.database.reader() as session:
                rows = list((await session.scalars(select(Transaction))).all())

    loans = sorted((r.kind, r.asset, r.amount) for r in rows if r.natural_key.split(":")[1] == "cryptoloan")
    # The loan is before the date: not stored, so debt + repaid − borrowed would read its 0.01 BTC as interest.
    # Only the rows after the date are stored, and no interest: the position is read by the balance check alone.
    assert loans == [("repay", "BTC", Decimal("0.004")), ("transfer", "USDT", Decimal("30"))], loans
    assert bybit.requests.by_path[POSITION] == 2  # one reconciliation a sync
    # Each sync says why, and so does /status, under the kind (BTC is over here: deposits before the date, which
    # that cause names; a shortfall would name the interest, reconcile.product.bybit_crypto_loan_interest).
    assert BEFORE_DATE in summary and BEFORE_DATE in again, summary
    assert "⚠️ Crypto loans" in status and BEFORE_DATE in status, status


# The refusal's reason, as the catalogue words it (i18n/locales/en/LC_MESSAGES/gaps.po).
DENIED = "This Bybit key may not read crypto loans. Edit the key on Bybit's API page, tick Trade under SPOT"


async def test_a_key_without_spot_trade_skips_the_loan_lists_and_the_sync_goes_on(
    telegram: BotApiEmulator, ada: Walker, tmp_path: Path
) -> None:
    async with BybitEmulator(seed=85, profile=RECENT, listed_symbols=20, crypto_loans=True) as bybit:
        key = bybit.create_demo_keys().no_spot_trade
        settings = settings_for(telegram, tmp_path, exchange_url_overrides={"bybit": bybit.base_url})
        async with running_bot(settings) as app:
            services = app.bot_data[SERVICES_KEY]
            connected = (await ada.connect_exchange("Bybit", key.api_key, key.secret, days_back=70)).text or ""
            summary = (await ada.sync_now()).text or ""
            status = (await ada.reply_to(await ada.send("/status"), "Your accounts")).text or ""
            async with services.database.reader() as session:
                rows = list((await session.scalars(select(Transaction))).all())
            [account] = await ReconcileReader(services.database).of_user(1001)

    assert "is connected" in connected, connected
    # Every crypto-loan page needs "Spot trade" (10005 without it): the first list is refused, nothing is asked after
    # it, the rest of the sync goes on, and the summary and /status say which permission to tick.
    assert DENIED in summary and DENIED in status, summary
    assert bybit.requests.by_path[LISTS[0]] == 1 and LISTS[1] not in bybit.requests.by_path
    assert not [r for r in rows if r.natural_key.split(":")[1] == "cryptoloan"]
    # The loan's wallet is not readable with this key: the funding wallet holds 80 USDT and 0.006 BTC, the unified
    # wallet sent 500 USDT to it (a transfer, counting zero), so USDT is short by the 420 pledged and BTC over by
    # the 0.006 borrowed and not yet repaid.
    differing = {b.asset: b.reported - b.explained for b in account.balances if b.reported != b.explained}
    assert differing == {"USDT": Decimal(-420), "BTC": Decimal("0.006")}, differing
