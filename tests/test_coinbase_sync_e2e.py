"""Coinbase through the real bot: connect in the Assistant, /sync against the Coinbase emulator, /status, /export.

The first sync must store exactly the scripted account: every Advanced Trade fill of every product (one list, no
pairs asked), and from every Coinbase App account its receives, sends (what arrived, the network fee apart),
converts (one leg per account), transfers and staking rewards, exact amounts, nothing twice, and none of the
`advanced_trade_fill` rows that repeat the fills. A second sync must ask only for what is new: one request for
fills, the account list, and one request per account.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.context import SERVICES_KEY, Services
from db.models import Transaction
from sandbox.botapi import BotApiEmulator
from sandbox.exchanges import AccountProfile, CoinbaseEmulator
from sandbox.exchanges.coinbase import ACCOUNTS, FILLS
from tests.assistant_story import Walker
from tests.bot_harness import running_bot, settings_for
from tests.reconcile_story import unexplained

TWO_YEARS = AccountProfile(
    years=2.0, traded_markets=6, trades=260, deposits=9, withdrawals=6, converts=5, transfers=4, rewards=12
)
DAYS_BACK = 800  # the sync-from date: before the account's first record


@pytest.fixture
async def coinbase() -> AsyncIterator[CoinbaseEmulator]:
    async with CoinbaseEmulator(seed=81, profile=TWO_YEARS, listed_symbols=40) as emulator:
        yield emulator


def second(ms: int) -> int:
    """Coinbase App times are whole seconds."""
    return ms - ms % 1000


def stored(rows: list[Transaction]) -> dict[str, set[tuple[object, ...]]]:
    by_kind: dict[str, set[tuple[object, ...]]] = {}
    for row in rows:
        ms = int(row.occurred_at.timestamp() * 1000)
        if row.kind == "trade":
            values: tuple[object, ...] = (
                row.market,
                row.side,
                row.amount,
                row.price,
                row.quote_amount,
                row.fee_asset,
                row.fee_amount,
                ms,
            )
        elif row.kind == "withdrawal":
            values = (row.asset, row.amount, row.fee_amount, ms)
        elif row.kind in ("convert", "transfer"):
            values = (row.asset, row.amount, row.side, ms)
        else:
            values = (row.asset, row.amount, ms)
        by_kind.setdefault(row.kind, set()).add(values)
    return by_kind


async def connect_in_the_assistant(ada: Walker, key_name: str, private_key: str) -> None:
    sent = await ada.send("/connect")
    await ada.reply_to(sent, "Connect your exchanges")
    await ada.press("Coinbase")
    await ada.emulator.wait_until(lambda: "✅ Coinbase" in " ".join(b.text for b in ada.last_menu("Confirm").buttons))
    await ada.press_for("Confirm exchanges", "paste your")
    typed = await ada.send(key_name)
    await ada.reply_to(typed, "paste your")
    typed = await ada.send(private_key)
    await ada.reply_to(typed, "Check the key")
    await ada.connect_from(days_back=DAYS_BACK)


async def test_coinbase_from_the_assistant_to_the_export_stores_exactly_the_account_and_resyncs_only_what_is_new(
    telegram: BotApiEmulator, coinbase: CoinbaseEmulator, tmp_path: Path
) -> None:
    ada = Walker(telegram, telegram.add_user(user_id=1001, first_name="Ada", started=True))
    key = coinbase.create_demo_keys().read_only
    settings = settings_for(telegram, tmp_path, exchange_url_overrides={"coinbase": coinbase.base_url})
    async with running_bot(settings) as app:
        services: Services = app.bot_data[SERVICES_KEY]
        await connect_in_the_assistant(ada, key.api_key, key.secret)
        first = (await ada.sync_now(timeout=120)).text or ""
        first_requests = dict(coinbase.requests.by_path)
        coinbase.requests.reset()
        again = (await ada.sync_now(timeout=120)).text or ""
        second_requests = dict(coinbase.requests.by_path)
        sent = await ada.send("/status")
        status = (await ada.reply_to(sent, "Coinbase")).text or ""
        sent = await ada.send("/export")
        await ada.reply_to(sent, "Which format")
        await ada.press_for("Tallybot CSV", "Export which account")
        before = ada.newest_id()
        await ada.press("All accounts")
        await telegram.wait_until(
            lambda: any(m.document and m.message_id > before for m in telegram.bot_messages(ada.chat_id))
        )
        exported = next(m for m in telegram.bot_messages(ada.chat_id) if m.document and m.message_id > before)
        async with services.database.reader() as session:
            rows = list((await session.scalars(select(Transaction))).all())

    account, book = coinbase.account, coinbase.book
    assert "✅" in first and "❌" not in first, first
    assert f"spot trades {len(account.trades)}" in first, first
    assert book.app_trades and book.fiat_deposits
    # Hand-written from the scripted records and Coinbase's rules: the fee of a fill is 0.1 % of its value in the
    # quote currency; a send debits amount + fee; a convert is a leg out of one account and a leg into another.
    fee = Decimal("0.001")
    truth = {
        "trade": {
            (
                f"{t.base}/{t.quote}",
                t.side,
                t.amount,
                t.price,
                t.amount * t.price,
                t.quote,
                (t.amount * t.price * fee).quantize(Decimal("0.00000001"), rounding="ROUND_DOWN"),
                t.timestamp,
            )
            for t in account.trades
        }
        # Simple buys and sells in the Coinbase app: the crypto for its US dollar value, no fee in the row.
        | {(f"{t.asset}/USD", t.side, t.amount, t.usd / t.amount, t.usd, None, None, t.ms) for t in book.app_trades},
        "deposit": {(d.asset, d.amount, second(d.timestamp)) for d in account.deposits}
        | {("USD", amount, ms) for amount, ms in book.fiat_deposits},
        "withdrawal": {(w.asset, w.amount, w.fee, second(w.timestamp)) for w in account.withdrawals},
        "convert": {(c.from_asset, c.from_amount, "out", second(c.timestamp)) for c in account.converts}
        | {(c.to_asset, c.to_amount, "in", second(c.timestamp)) for c in account.converts},
        "transfer": {(t.asset, t.amount, "out", second(t.timestamp)) for t in account.transfers},
        "reward": {(r.asset, r.amount, second(r.timestamp)) for r in account.rewards},
    }
    assert stored(rows) == truth
    expected = (
        len(account.trades)
        + len(account.deposits)
        + len(account.withdrawals)
        + 2 * len(account.converts)
        + len(account.transfers)
        + len(account.rewards)
        + len(book.app_trades)
        + len(book.fiat_deposits)
    )
    assert len(rows) == expected  # nothing twice, and no advanced_trade_fill row stored as a second trade
    # The balances Coinbase's accounts show are what the stored history explains, to the last digit: a fill moves
    # exactly price x size and its commission, a convert leg goes out of one account and into another, a transfer
    # to another of the user's portfolios changes no total.
    assert unexplained(rows, book.balances) == {}
    assert all(isinstance(r.amount, Decimal) for r in rows)
    accounts = len(book.account_ids)
    # First sync: fills in pages of 100, the account list, and each account's transactions in pages of 100.
    pages = sum(-(-len(listed) // 100) or 1 for listed in book.transactions.values())
    assert first_requests[FILLS] == -(-len(account.trades) // 100)
    assert first_requests[ACCOUNTS] == 1
    assert sum(n for path, n in first_requests.items() if path.endswith("/transactions")) == pages
    # Second sync: nothing new, so one request for fills, one for the account list and one per account.
    assert second_requests[FILLS] == 1
    assert second_requests[ACCOUNTS] == 1
    assert sum(n for path, n in second_requests.items() if path.endswith("/transactions")) == accounts
    assert "✅" in again and "❌" not in again, again
    assert "Coinbase" in status
    assert exported.document is not None
    exported_rows = list(csv.DictReader(io.StringIO(exported.document.content.decode())))
    assert len(exported_rows) == len(rows)
