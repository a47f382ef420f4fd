"""Kraken through the real bot: connect in the Assistant, /sync against the Kraken emulator, /status, /export.

The Kraken client paces itself as ccxt does (a history request every 6 s), and the emulator keeps Kraken's Starter
call counter: the first sync must store exactly the scripted account (every trade of every pair from
TradesHistory, with its fee in the quote currency; from the ledger every deposit, withdrawal with its fee, transfer,
staking reward and both lines of each Buy Crypto convert), nothing twice and no trade twice from its ledger lines. A
second sync asks one request per list.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator
from decimal import ROUND_DOWN, Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.context import SERVICES_KEY, Services
from db.models import Transaction
from sandbox.botapi import BotApiEmulator
from sandbox.exchanges import AccountProfile, KrakenEmulator
from tests.assistant_story import Walker
from tests.bot_harness import running_bot, settings_for
from tests.reconcile_story import unexplained

# One page of trades and two of ledger lines (two per trade, plus the rest): small, because the real pacing applies.
YEAR = AccountProfile(
    years=1.0, traded_markets=5, trades=40, deposits=4, withdrawals=3, converts=2, transfers=2, rewards=4
)
DAYS_BACK = 400  # the sync-from date: before the account's first record
TRADES, LEDGERS = "/0/private/TradesHistory", "/0/private/Ledgers"
DOCUMENTED = Path(__file__).resolve().parent / "conformance" / "documented" / "kraken"
RULES = Path(__file__).resolve().parents[1] / "docs" / "exchange-apis" / "kraken.md"


@pytest.fixture
async def kraken() -> AsyncIterator[KrakenEmulator]:
    async with KrakenEmulator(seed=2013, profile=YEAR, listed_symbols=30) as emulator:
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


async def connect_in_the_assistant(ada: Walker, api_key: str, private_key: str) -> None:
    sent = await ada.send("/connect")
    await ada.reply_to(sent, "Connect your exchanges")
    await ada.press("Kraken")
    await ada.emulator.wait_until(lambda: "✅ Kraken" in " ".join(b.text for b in ada.last_menu("Confirm").buttons))
    await ada.press_for("Confirm exchanges", "paste your")
    typed = await ada.send(api_key)
    await ada.reply_to(typed, "paste your")
    typed = await ada.send(private_key)
    await ada.reply_to(typed, "Check the key")
    await ada.connect_from(days_back=DAYS_BACK)


async def test_kraken_from_the_assistant_to_the_export_stores_exactly_the_account_and_resyncs_one_request_a_list(
    telegram: BotApiEmulator, kraken: KrakenEmulator, tmp_path: Path
) -> None:
    ada = Walker(telegram, telegram.add_user(user_id=1001, first_name="Ada", started=True))
    key = kraken.create_demo_keys().read_only
    settings = settings_for(telegram, tmp_path, exchange_url_overrides={"kraken": kraken.base_url})
    async with running_bot(settings) as app:
        services: Services = app.bot_data[SERVICES_KEY]
        await connect_in_the_assistant(ada, key.api_key, key.secret)
        served = set(kraken.requests.by_path)  # the key check and the markets
        kraken.requests.reset()
        first = (await ada.sync_now(timeout=120)).text or ""
        first_requests = dict(kraken.requests.by_path)
        kraken.requests.reset()
        again = (await ada.sync_now(timeout=120)).text or ""
        second_requests = dict(kraken.requests.by_path)
        sent = await ada.send("/status")
        status = (await ada.reply_to(sent, "Kraken")).text or ""
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

    account = kraken.account
    assert "✅" in first and "❌" not in first, first
    assert f"spot trades {len(account.trades)}" in first, first
    eight = Decimal("0.00000001")
    # Hand-written from the scripted records and Kraken's rules: a trade's fee is in the quote currency ("Total fee
    # (quote currency)"), so a fee the script charged in the base is worth fee x price there; a withdrawal is the
    # amount sent with its fee apart; a Buy Crypto convert is a spend line and a receive line of the ledger.
    truth = {
        "trade": {
            (
                f"{t.base}/{t.quote}",
                t.side,
                t.amount,
                t.price,
                t.cost,
                t.quote,
                t.fee if t.fee_asset == t.quote else (t.fee * t.price).quantize(eight, rounding=ROUND_DOWN),
                t.timestamp,
            )
            for t in account.trades
        },
        "deposit": {(d.asset, d.amount, d.timestamp) for d in account.deposits},
        "withdrawal": {(w.asset, w.amount, w.fee, w.timestamp) for w in account.withdrawals},
        "transfer": {
            (x.asset, x.amount, "out" if x.from_account == "FUND" else "in", x.timestamp) for x in account.transfers
        },
        "reward": {(r.asset, r.amount, r.timestamp) for r in account.rewards},
        # Each leg a convert record of its own: what was spent, and what was received.
        "convert": {(c.from_asset, c.from_amount, c.timestamp) for c in account.converts}
        | {(c.to_asset, c.to_amount, c.timestamp) for c in account.converts},
    }
    assert stored(rows) == truth
    expected = (
        len(account.trades)
        + len(account.deposits)
        + len(account.withdrawals)
        + len(account.transfers)
        + len(account.rewards)
        + 2 * len(account.converts)
    )
    assert len(rows) == expected  # nothing twice, and no trade stored again from its two ledger lines
    # The balances Kraken shows are what the stored history explains, to the last digit.
    assert unexplained(rows, {b.asset: b.total for b in account.balances}) == {}
    # First sync: the minimum, 50 a page; second: one request per list.
    assert first_requests[TRADES] == -(-len(account.trades) // 50)
    assert first_requests[LEDGERS] == -(-len(kraken.book.ledger) // 50)
    assert (second_requests[TRADES], second_requests[LEDGERS]) == (1, 1)
    assert "✅" in again and "❌" not in again, again
    assert kraken.requests.unexpected == []
    # Every path Tallybot called has a documented payload in the conformance folder and a section in kraken.md.
    served |= set(first_requests) | set(second_requests)
    fixtures = {json.loads(p.read_text())["endpoint"] for p in DOCUMENTED.glob("*.json")}
    assert served == fixtures, served ^ fixtures
    rules = RULES.read_text(encoding="utf-8")
    assert all(f"/0/{path.split('/0/', 1)[1]}" in rules for path in served)
    assert "Kraken" in status and "🟢" in status, status
    assert exported.document is not None
    exported_rows = list(csv.DictReader(io.StringIO(exported.document.content.decode())))
    assert len(exported_rows) == len(rows)
    assert key.secret not in ada.all_bot_texts()
