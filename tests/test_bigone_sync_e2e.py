"""BigONE through the real bot: connect in the Assistant, /sync against the BigONE emulator, /status, /export.

The first sync must store exactly the scripted account: every trade of every traded asset pair (found without
asking the user for pairs), every deposit and withdrawal, exact amounts, nothing twice. BigONE's lists take no time
range, so each is read newest first, page by page, down to its oldest row. A second sync must ask only for what is
new: the first page of each list (and of each pair that had trades), which already holds the newest row read before.
"""

from __future__ import annotations

import csv
import io
import math
from collections import Counter
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.context import SERVICES_KEY, Services
from db.models import Transaction
from sandbox.botapi import BotApiEmulator
from sandbox.exchanges import AccountProfile, BigoneEmulator
from tests.assistant_story import Walker
from tests.bot_harness import running_bot, settings_for
from tests.reconcile_story import unexplained

# Several years, deposits beyond one page of 50, and pairs with more trades than one page of 200.
TWO_YEARS = AccountProfile(
    years=2.0, traded_markets=4, trades=600, deposits=60, withdrawals=12, converts=0, transfers=0, rewards=0
)
DAYS_BACK = 760  # the sync-from date: before the account's first record
TRADES = "/api/v3/viewer/trades"
DEPOSITS = "/api/v3/viewer/deposits"
WITHDRAWALS = "/api/v3/viewer/withdrawals"
ACCOUNTS = "/api/v3/viewer/accounts"


@pytest.fixture
async def bigone() -> AsyncIterator[BigoneEmulator]:
    async with BigoneEmulator(seed=31, profile=TWO_YEARS, listed_pairs=20) as emulator:
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
            values = (row.asset, row.amount, row.fee_asset, row.fee_amount, ms)
        else:
            values = (row.asset, row.amount, ms)
        by_kind.setdefault(row.kind, set()).add(values)
    return by_kind


async def connect_in_the_assistant(ada: Walker, api_key: str, secret: str) -> None:
    sent = await ada.send("/connect")
    await ada.reply_to(sent, "Connect your exchanges")
    await ada.press("BigONE")
    await ada.emulator.wait_until(lambda: "✅ BigONE" in " ".join(b.text for b in ada.last_menu("Confirm").buttons))
    await ada.press_for("Confirm exchanges", "paste your")
    typed = await ada.send(api_key)
    await ada.reply_to(typed, "paste your")
    typed = await ada.send(secret)
    await ada.reply_to(typed, "Check the key")
    await ada.connect_from(days_back=DAYS_BACK)


async def test_bigone_from_the_assistant_to_the_export_stores_every_record_and_resyncs_only_new_data(
    telegram: BotApiEmulator, bigone: BigoneEmulator, tmp_path: Path
) -> None:
    ada = Walker(telegram, telegram.add_user(user_id=1001, first_name="Ada", started=True))
    key = bigone.create_demo_keys().read_only
    settings = settings_for(telegram, tmp_path, exchange_url_overrides={"bigone": bigone.base_url})
    async with running_bot(settings) as app:
        services: Services = app.bot_data[SERVICES_KEY]
        await connect_in_the_assistant(ada, key.api_key, key.secret)
        bigone.requests.reset()
        first = (await ada.sync_now(timeout=120)).text or ""
        first_requests = dict(bigone.requests.by_path)
        bigone.requests.reset()
        second = await ada.sync_again()
        again = dict(bigone.requests.by_path)
        sent = await ada.send("/status")
        status = (await ada.reply_to(sent, "BigONE")).text or ""
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

    account = bigone.account
    per_pair = Counter(t.symbol for t in account.trades)
    assert len(per_pair) > 1 and max(per_pair.values()) > 200, "several pairs, one of them beyond a page"
    assert len(account.deposits) > 50, "deposits beyond one page"
    # Hand-written from the scripted records: what BigONE's rows say, read as records. A trade row has no quote
    # amount, so it is price × amount; its time is whole seconds; the fee is in the asset received (the base when
    # buying, the quote when selling); a fill too small to be charged (fee 0) has no fee at all.
    truth = {
        "trade": {
            (
                f"{t.base}/{t.quote}",
                t.side,
                t.amount,
                t.price,
                t.price * t.amount,
                (t.base if t.side == "buy" else t.quote) if t.fee else None,
                t.fee or None,
                t.timestamp // 1000 * 1000,
            )
            for t in account.trades
        },
        "deposit": {(d.asset, d.amount, d.timestamp) for d in account.deposits},
        "withdrawal": {
            (w.asset, w.amount, w.asset if w.fee else None, w.fee or None, w.timestamp) for w in account.withdrawals
        },
    }
    assert stored(rows) == truth
    assert len(rows) == len(account.trades) + len(account.deposits) + len(account.withdrawals)  # nothing twice
    # The balances BigONE shows are what the stored history explains, to the last digit: a fill moves exactly price
    # × amount (its row has no quote amount), and so do the balances.
    assert unexplained(rows, {b.asset: b.total for b in account.balances}) == {}
    assert all(isinstance(r.amount, Decimal) for r in rows)
    assert f"spot trades {len(account.trades)}" in first, first
    # Each list newest first down to its oldest row: 50 deposits and withdrawals a page, 200 trades a page per pair
    # with trades (pairs probed and found empty cost one request each on top).
    assert first_requests[DEPOSITS] == math.ceil(len(account.deposits) / 50), first_requests
    assert first_requests[WITHDRAWALS] == math.ceil(len(account.withdrawals) / 50), first_requests
    assert first_requests[TRADES] >= sum(math.ceil(n / 200) for n in per_pair.values()), first_requests
    # The second sync: the balances once (market discovery), one page of each wallet list and of each pair that
    # had trades; pairs probed empty are not asked again (their balances did not move).
    assert again == {ACCOUNTS: 1, DEPOSITS: 1, WITHDRAWALS: 1, TRADES: len(per_pair)}, again
    assert "✅ BigONE-1: 0 new" in second, second
    assert "BigONE" in status
    assert exported.document is not None
    exported_rows = list(csv.DictReader(io.StringIO(exported.document.content.decode())))
    assert len(exported_rows) == len(rows)
