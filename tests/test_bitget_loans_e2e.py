"""A Bitget user who took three crypto loans against BTC (sandbox/exchanges/bitget_loans.py): one repaid in two parts
after adding and withdrawing collateral, one liquidated, one still open with a part repaid, and a borrowing that
failed. They connect a read-only key and /sync: the loans' history is stored (on by default), the open loans are read
as a wallet beside spot, and the history explains every balance. The liquidation is still in progress (`WAIT`) at the
first sync: it is not stored, and it holds its list's cursor; once complete, the next sync stores it, once, asking
each list one request.

Ground truth by hand from the script (`add_crypto_loans`; days before the account's clock, loan ids `LOAN_IDS`):
loan 1: 40 days ago 0.05 BTC pledged for 1500 USDT; 35 days ago 0.01 BTC added, 33 days ago 0.005 BTC withdrawn;
30 days ago 500 USDT principal and 0.0625 interest repaid; 26 days ago 1000 and 0.25 repaid, 0.055 BTC released.
Loan 2: 24 days ago 0.02 BTC for 900 USDT; 9 days ago liquidated: 0.0155 BTC sold for the 900 USDT owed, a fee of
0.0002 BTC, 0.0043 BTC released. Loan 3: 10 days ago 0.03 BTC for 1200 USDT; 5 days ago 200 and 0.04 repaid. The
failed borrowing (8 days ago) moved nothing.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bot.context import SERVICES_KEY
from bot.integrations import AdvancedOptions
from bot.reconcile.results import Outcome
from bot.reconcile.service import ReconcileReader
from bot.secret import Secret
from db.models import Transaction
from sandbox.botapi import BotApiEmulator
from sandbox.exchanges import BitgetEmulator
from sandbox.exchanges.bitget_loans import LOAN_IDS, PATHS, add_crypto_loans, finish_liquidation
from tests.assistant_story import Walker
from tests.bot_harness import running_bot, settings_for
from tests.test_reconcile_e2e import RECENT

DAY_MS = 86_400_000
D = Decimal
FIRST, SECOND, THIRD, _FAILED = LOAN_IDS


def _loan_rows(rows: list[Transaction]) -> list[tuple[Any, ...]]:
    fields = ("kind", "asset", "amount", "side", "quote_asset", "quote_amount", "fee_asset", "fee_amount")
    return sorted(
        (*(getattr(r, name) for name in fields), int(r.occurred_at.timestamp() * 1000), r.exchange_tx_id)
        for r in rows
        if r.natural_key.split(":")[1] == "loan"
    )


def _first_sync_truth(now: int) -> list[tuple[Any, ...]]:
    def at(days: int) -> int:
        return now - days * DAY_MS

    def plain(kind: str, coin: str, amount: str, side: str | None, days: int, order: str) -> tuple[Any, ...]:
        return (kind, coin, D(amount), side, None, None, None, None, at(days), order)

    return [
        plain("borrow", "USDT", "1500", None, 40, FIRST),
        plain("transfer", "BTC", "0.05", "out", 40, FIRST),
        plain("transfer", "BTC", "0.01", "out", 35, FIRST),
        plain("transfer", "BTC", "0.005", "in", 33, FIRST),
        plain("repay", "USDT", "500", None, 30, FIRST),
        plain("interest", "USDT", "-0.0625", None, 30, FIRST),
        plain("repay", "USDT", "1000", None, 26, FIRST),
        plain("interest", "USDT", "-0.25", None, 26, FIRST),
        plain("transfer", "BTC", "0.055", "in", 26, FIRST),
        plain("borrow", "USDT", "900", None, 24, SECOND),
        plain("transfer", "BTC", "0.02", "out", 24, SECOND),
        plain("borrow", "USDT", "1200", None, 10, THIRD),
        plain("transfer", "BTC", "0.03", "out", 10, THIRD),
        plain("repay", "USDT", "200", None, 5, THIRD),
        plain("interest", "USDT", "-0.04", None, 5, THIRD),
    ]


def _liquidation_truth(now: int) -> list[tuple[Any, ...]]:
    when = now - 9 * DAY_MS
    return [
        ("convert", "USDT", D("900"), "buy", "BTC", D("0.0155"), "BTC", D("0.0002"), when, SECOND),
        ("repay", "USDT", D("900"), None, None, None, None, None, when, SECOND),
        ("transfer", "BTC", D("0.0043"), "in", None, None, None, None, when, SECOND),
    ]


def _asked(bitget: BitgetEmulator) -> dict[str, int]:
    return {name: bitget.requests.count(path) for name, path in PATHS.items()}


async def test_crypto_loans_are_stored_once_a_liquidation_waits_for_its_end_and_the_balances_reconcile(
    telegram: BotApiEmulator, ada: Walker, tmp_path: Path
) -> None:
    async with BitgetEmulator(seed=87, profile=RECENT, listed_symbols=20) as bitget:
        now = bitget.book.account.now_ms
        # The account holds the BTC it pledges (0.914) and the USDT its interest takes.
        held = {b.asset: b.total for b in bitget.account.balances}
        assert held["BTC"] > D("0.1") and held["USDT"] > D(1)
        add_crypto_loans(bitget.book.loans, now)
        settings = settings_for(telegram, tmp_path, exchange_url_overrides={"bitget": bitget.base_url})
        async with running_bot(settings) as app:
            services = app.bot_data[SERVICES_KEY]
            key = bitget.create_demo_keys().read_only
            await services.integrations.connect(
                1001,
                exchange_id="bitget",
                key_type="normal",
                account_name="Bitget-1",
                fields={
                    "apiKey": Secret(key.api_key),
                    "secret": Secret(key.secret),
                    "password": Secret(key.passphrase or ""),
                },
                options=AdvancedOptions(sync_from=date.today() - timedelta(days=70)),
            )
            summary = (await ada.reply_to(await ada.send("/sync"), "Sync finished", timeout=120)).text or ""
            first_asked = _asked(bitget)
            async with services.database.reader() as session:
                first_rows = list((await session.scalars(select(Transaction))).all())

            finish_liquidation(bitget.book.loans)
            again = (await ada.reply_to(await ada.send("/sync"), "Sync finished", timeout=120)).text or ""
            second_asked = {name: n - first_asked[name] for name, n in _asked(bitget).items()}
            status = (await ada.reply_to(await ada.send("/status"), "Your accounts")).text or ""
            async with services.database.reader() as session:
                rows = list((await session.scalars(select(Transaction))).all())
            [account] = await ReconcileReader(services.database).of_user(1001)
        unexpected = list(bitget.requests.unexpected)

    assert _loan_rows(first_rows) == sorted(_first_sync_truth(now))
    assert "✅ Bitget-1: the history explains every balance." in summary, summary
    assert "crypto loans 15" in summary, summary
    # One request a list (the range from the sync-from date fits the lists' reach); the open loans once for the two
    # borrowings of no documented status (loans 2 and 3), once for the balance check.
    assert first_asked == {"borrow": 1, "repay": 1, "revise": 1, "reduce": 1, "ongoing": 2}, first_asked

    assert _loan_rows(rows) == sorted(_first_sync_truth(now) + _liquidation_truth(now))
    assert "✅ Bitget-1: the history explains every balance." in again, again
    assert "crypto loans 3" in again, again
    # The re-sync: each list from its cursor (the liquidation list's held at the `WAIT` row), one request each; the
    # open loans for the balance check only.
    assert second_asked == {"borrow": 1, "repay": 1, "revise": 1, "reduce": 1, "ongoing": 1}, second_asked
    assert account.outcome is Outcome.BALANCED
    assert "🟢 Bitget-1" in status and "✅ Crypto loans" in status, status
    assert unexpected == []
