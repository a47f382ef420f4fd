"""Gate through the real bot: connect in the Assistant, /sync against the Gate emulator, /status, /export.

The first sync must store exactly the scripted account: every fill of every market (one list for all pairs: Gate's
`currency_pair` is optional, so nothing is discovered and nothing asked of the user), every deposit, withdrawal,
flash swap and Simple Earn dividend, every move between the user's own Gate accounts and to or from a sub-account
(read from the spot account book), exact amounts, nothing twice. Gate's ranges are whole seconds: trades, deposits,
withdrawals and the account book are walked in 30-day windows from the sync-from date, dividends in one range,
flash swaps (no range) page by page; a second sync asks each list once, for what is new.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.context import SERVICES_KEY, Services
from db.models import Transaction
from sandbox.botapi import BotApiEmulator
from sandbox.exchanges import AccountProfile, GateEmulator
from sandbox.exchanges.gate_account_book import SubAccountMove
from sandbox.exchanges.gate_book import FeeDeduction
from tests.assistant_story import Walker
from tests.bot_harness import running_bot, settings_for

SEVEN_MONTHS = AccountProfile(
    years=0.6, traded_markets=4, trades=300, deposits=8, withdrawals=5, converts=6, transfers=6, rewards=5
)
DAYS_BACK = 230  # the sync-from date: before the account's first record
TRADES = "/api/v4/spot/my_trades"
DEPOSITS = "/api/v4/wallet/deposits"
WITHDRAWALS = "/api/v4/wallet/withdrawals"
CONVERTS = "/api/v4/flash_swap/orders"
DIVIDENDS = "/api/v4/earn/uni/interest_records"
BOOK = "/api/v4/spot/account_book"
SPOT_BALANCES, FUTURES_ACCOUNT = "/api/v4/spot/accounts", "/api/v4/futures/{}/accounts"


@pytest.fixture
async def gate() -> AsyncIterator[GateEmulator]:
    async with GateEmulator(seed=44, profile=SEVEN_MONTHS, listed_symbols=20) as emulator:
        yield emulator


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
        elif row.kind == "transfer":
            values = (row.asset, row.amount, row.side, ms)
        else:
            values = (row.asset, row.amount, ms)
        by_kind.setdefault(row.kind, set()).add(values)
    return by_kind


async def connect_in_the_assistant(ada: Walker, api_key: str, secret: str) -> None:
    sent = await ada.send("/connect")
    await ada.reply_to(sent, "Connect your exchanges")
    await ada.press("Gate")
    await ada.emulator.wait_until(lambda: "✅ Gate" in " ".join(b.text for b in ada.last_menu("Confirm").buttons))
    await ada.press_for("Confirm exchanges", "paste your")
    typed = await ada.send(api_key)
    await ada.reply_to(typed, "paste your")
    typed = await ada.send(secret)
    await ada.reply_to(typed, "Check the key")
    await ada.connect_from(days_back=DAYS_BACK)


async def test_gate_from_the_assistant_to_the_export_stores_exactly_the_account_and_resyncs_only_new_data(
    telegram: BotApiEmulator, gate: GateEmulator, tmp_path: Path
) -> None:
    ada = Walker(telegram, telegram.add_user(user_id=1001, first_name="Ada", started=True))
    key = gate.create_demo_keys().read_only
    # One fill's fee paid with GT and points (Trade.md's gt_fee, point_fee), none in its fee currency.
    paid = gate.account.trades[10]
    gate.book.deductions[paid.id] = FeeDeduction(gt_fee=Decimal("0.0012"), point_fee=Decimal("0.5"))
    # Another's fee split: half in its fee currency, the rest deducted as 0.0007 GT (a second fee coin).
    split = next(t for t in gate.account.trades[11:] if t.fee)
    gate.book.deductions[split.id] = FeeDeduction(gt_fee=Decimal("0.0007"), fee=split.fee / 2)
    # USDT sent in from a sub-account, a day after the first deposit.
    from_sub = gate.account.deposits[0].timestamp + 86_400_000
    gate.account_book.sub_account_moves.append(SubAccountMove(from_sub, "USDT", Decimal("75.25")))
    settings = settings_for(telegram, tmp_path, exchange_url_overrides={"gate": gate.base_url})
    async with running_bot(settings) as app:
        services: Services = app.bot_data[SERVICES_KEY]
        await connect_in_the_assistant(ada, key.api_key, key.secret)
        first = (await ada.sync_now(timeout=120)).text or ""
        synced_at = datetime.now(UTC)
        first_requests = dict(gate.requests.by_path)
        gate.requests.reset()
        second = await ada.sync_again()
        again = dict(gate.requests.by_path)
        sent = await ada.send("/status")
        status = (await ada.reply_to(sent, "Gate")).text or ""
        sent = await ada.send("/export")
        await ada.reply_to(sent, "Which format")
        await ada.press_for("Tallybot CSV", "Export which account")
        before = ada.newest_id()
        await ada.press("All accounts")
        exported = await telegram.wait_for_bot_message(
            ada.chat_id, after_message_id=before, predicate=lambda m: m.document is not None
        )
        async with services.database.reader() as session:
            rows = list((await session.scalars(select(Transaction))).all())

    account = gate.account
    # Hand-written from the scripted records: what Gate's rows say, read as records. A trade row has no quote
    # amount (Trade: amount, price), so it is amount × price; deposit and withdrawal times are whole seconds.
    truth = {
        "trade": {
            (
                f"{t.base}/{t.quote}",
                t.side,
                t.amount,
                t.price,
                t.amount * t.price,
                t.fee_asset if t.fee else None,  # a fill too small to be charged (fee 0) has no fee at all
                t.fee or None,
                t.timestamp,
            )
            for t in account.trades
            if t not in (paid, split)
        }
        | {
            (
                f"{paid.base}/{paid.quote}",
                paid.side,
                paid.amount,
                paid.price,
                paid.amount * paid.price,
                "GT",
                Decimal("0.0012"),
                paid.timestamp,
            )
        }
        | {
            (
                f"{split.base}/{split.quote}",
                split.side,
                split.amount,
                split.price,
                split.amount * split.price,
                split.fee_asset,
                split.fee / 2,
                split.timestamp,
            )
        },
        # The points fee, on a line of its own: points are no spot currency, so the balance check leaves it out.
        "ledger": {("POINT", Decimal("-0.5"), paid.timestamp)},
        # The split fill's GT part: a fee of its own, which the balance check counts (GT reconciles below).
        "fee": {("GT", Decimal("-0.0007"), split.timestamp)},
        # Deposits, and the money a sub-account sent in (the account book's sub_account_transfer).
        "deposit": {(d.asset, d.amount, d.timestamp // 1000 * 1000) for d in account.deposits}
        | {("USDT", Decimal("75.25"), from_sub)},
        "withdrawal": {(w.asset, w.amount, w.fee, w.timestamp // 1000 * 1000) for w in account.withdrawals},
        # A flash swap is a buy of buy_currency paid with sell_currency, its time in ms.
        "convert": {(c.to_asset, c.to_amount, c.timestamp) for c in account.converts},
        # A Simple Earn dividend: `interest` of `currency` at `create_time` (ms).
        "reward": {(r.asset, r.amount, r.timestamp) for r in account.rewards},
        # A move between spot and another Gate account of the user: out of spot when scripted FUND -> UNIFIED.
        "transfer": {
            (x.asset, x.amount, "out" if x.from_account == "FUND" else "in", x.timestamp) for x in account.transfers
        },
    }
    assert stored(rows) == truth
    kinds: tuple[tuple[object, ...], ...] = (account.trades, account.deposits, account.withdrawals, account.converts)
    kinds += (account.rewards, account.transfers)
    # Nothing twice; the points fee line, the GT fee and the sub-account deposit beside the scripted records.
    assert len(rows) == sum(len(records) for records in kinds) + 3
    assert all(isinstance(r.amount, Decimal) for r in rows)
    assert "✅" in first and "❌" not in first, first
    # Spot holds every scripted balance, the GT paid (by both fills) and the sub-account's USDT: the history
    # explains each, GT too (-0.0012 - 0.0007), only because the split fill's GT fee is counted.
    assert "✅ Gate-1: the history explains every balance." in first, first
    # What the trade list gave: every fill and the two fee records beside them.
    assert f"spot trades {len(account.trades) + 2}" in first, first
    # Every list is walked in 30-day windows from the sync-from date, one request each (no 30 days of this account
    # hold a full page), trades of all pairs together.
    start = datetime.combine(date.today() - timedelta(days=DAYS_BACK), time(), UTC)
    windows = math.ceil((synced_at - start) / timedelta(days=30))
    assert first_requests[TRADES] == first_requests[DEPOSITS] == first_requests[WITHDRAWALS] == windows, first_requests
    # The account book lists every balance change (about 2.7 rows a fill here): some windows hold more than a page.
    # A fill moves its base and quote and, when charged, pays a fee (the GT-paid one pays GT and points); a deposit,
    # a withdrawal, a dividend, a transfer and the sub-account move are one row each, a flash swap two.
    changes = [t.timestamp for t in account.trades for _ in range(3 if t.fee and t is not paid else 2)]
    changes += [paid.timestamp] * 2 + [from_sub]
    changes += [d.timestamp for d in account.deposits] + [w.timestamp for w in account.withdrawals]
    changes += [r.timestamp for r in account.rewards]
    changes += [x.timestamp for x in account.transfers]
    changes += [c.timestamp for c in account.converts for _ in range(2)]
    per_window = [0] * windows
    for ms in changes:
        per_window[int((ms / 1000 - start.timestamp()) // (30 * 86_400))] += 1
    assert first_requests[BOOK] == sum(n // 100 + 1 for n in per_window) > windows, first_requests
    assert first_requests[CONVERTS] == 1  # one page of flash swaps, oldest first
    assert first_requests[DIVIDENDS] == 1  # no range limit documented: one range, one page
    assert not gate.requests.unexpected
    # The second sync starts where the first ended: one request per list, nothing else.
    # The perpetual and delivery futures accounts are asked whether they hold history (USER_NOT_FOUND: none was
    # opened), once by the fetcher and once by the balance read, which also reads spot.
    lists = {DEPOSITS: 1, WITHDRAWALS: 1, TRADES: 1, CONVERTS: 1, DIVIDENDS: 1, BOOK: 1, SPOT_BALANCES: 1}
    futures_accounts = {FUTURES_ACCOUNT.format(settle): 2 for settle in ("usdt", "btc")}
    options = {"/api/v4/options/accounts": 1}  # by the fetcher: whether options show use (they are not read)
    assert again == lists | futures_accounts | {"/api/v4/delivery/usdt/accounts": 2} | options, again
    assert "✅ Gate-1: 0 new" in second, second
    assert "Gate" in status
    # The account book's kind: its moves counted in the summary (the sub-account one too) and listed in /status.
    assert f"internal transfers {len(account.transfers) + 1}" in first, first
    assert "✅ Internal transfers" in status, status
    assert exported.document is not None
    exported_rows = list(csv.DictReader(io.StringIO(exported.document.content.decode())))
    assert len(exported_rows) == len(rows)
