"""GMO Coin through the real bot: connect in the Assistant (the key check reads the asset list: GMO Coin cannot tell a
key's permissions), /sync against the GMO Coin emulator, /status, /export.

GMO Coin's API gives the last day of fills only: the first sync must store exactly those (every spot symbol of the
trade rules, no symbol asked of the user), every executed crypto and JPY deposit and withdrawal, exact amounts,
nothing twice, and say that older trades are out of reach. A second sync must ask only for what is new: each spot
symbol's page of the last day (latestExecutions takes no time bounds) and one 30-minute range per wallet list.

The client's 20-requests-a-second pacing and the emulator's limit are raised here: a first sync walks every wallet
list in 30-minute ranges over two days (hundreds of requests), and the pacing has its own test
(tests/conformance/test_gmocoin.py).
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.context import SERVICES_KEY, Services
from db.models import Transaction
from sandbox.botapi import BotApiEmulator
from sandbox.exchanges import GmoCoinEmulator
from tests.assistant_story import Walker
from tests.bot_harness import running_bot, settings_for
from tests.reconcile_story import unexplained

DAYS_BACK = 2  # the sync-from date: before the account's first record (a day and a half back)
DAY_MS = 86_400_000
SYMBOLS = ("BTC", "ETH", "XRP")  # the emulator's spot symbols
PRIVATE = "/private/v1"


@pytest.fixture
async def gmocoin(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[GmoCoinEmulator]:
    monkeypatch.setattr("connectors.fetchers.gmocoin.client.REQUESTS_PER_SECOND", 100_000)
    async with GmoCoinEmulator(seed=11, days=1.5, fills=24) as emulator:
        emulator.limits = replace(emulator.limits, per_second=100_000)
        yield emulator


def stored(rows: list[Transaction]) -> dict[str, set[tuple[object, ...]]]:
    by_kind: dict[str, set[tuple[object, ...]]] = {}
    for row in rows:
        ms = int(row.occurred_at.timestamp() * 1000)
        values: tuple[object, ...]
        if row.kind == "trade":
            values = (row.market, row.side, row.amount, row.price, row.quote_amount, row.fee_asset, row.fee_amount, ms)
        else:
            values = (row.asset, row.amount, ms)
        by_kind.setdefault(row.kind, set()).add(values)
    return by_kind


async def test_gmocoin_from_the_assistant_to_the_export_stores_the_reachable_history_and_resyncs_only_new_data(
    telegram: BotApiEmulator, gmocoin: GmoCoinEmulator, tmp_path: Path
) -> None:
    ada = Walker(telegram, telegram.add_user(user_id=1001, first_name="Ada", started=True))
    key = gmocoin.create_demo_keys().read_only
    settings = settings_for(telegram, tmp_path, exchange_url_overrides={"gmocoin": gmocoin.base_url})
    async with running_bot(settings) as app:
        services: Services = app.bot_data[SERVICES_KEY]
        await ada.connect_exchange("GMO Coin", key.api_key, key.secret, days_back=DAYS_BACK)
        checked = gmocoin.requests.count(f"{PRIVATE}/account/assets")
        first = (await ada.sync_now(timeout=120)).text or ""
        now_ms = gmocoin.clock.now_ms()
        gmocoin.requests.reset()
        second = await ada.sync_again()
        again = dict(gmocoin.requests.by_path)
        sent = await ada.send("/status")
        status = (await ada.reply_to(sent, "GMO Coin")).text or ""
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

    account = gmocoin.account
    # Hand-written from the scripted rows: symbol "BTC" is BTC/JPY, the fee is JPY (negative for a maker, none when
    # "0"); only fills of the last day are within the API's reach (the account has none near that edge).
    recent = [f for f in account.fills if now_ms - f.ms < DAY_MS]
    truth: dict[str, set[tuple[object, ...]]] = {
        "trade": {
            (f"{f.symbol}/JPY", f.side.lower(), f.size, f.price, f.size * f.price)
            + (("JPY", f.fee) if f.fee else (None, None))
            + (f.ms,)
            for f in recent
        },
        "deposit": {(d.symbol, d.amount, d.ms) for d in account.deposits},
        "withdrawal": {(w.symbol, w.amount, w.ms) for w in account.withdrawals},
    }
    assert 0 < len(recent) < len(account.fills)
    assert stored(rows) == truth
    assert len(rows) == sum(len(v) for v in truth.values())  # nothing twice
    # The balances GMO Coin shows less what the stored history explains are, to the last digit, the fills out of
    # the API's reach: each moved its size in the coin and size × price plus its fee in JPY.
    out_of_reach: dict[str, Decimal] = {}
    for f in account.fills:
        if f not in recent:
            sign = 1 if f.side == "BUY" else -1
            out_of_reach[f.symbol] = out_of_reach.get(f.symbol, Decimal(0)) + sign * f.size
            out_of_reach["JPY"] = out_of_reach.get("JPY", Decimal(0)) - sign * f.size * f.price - f.fee
    assert unexplained(rows, account.balances()) == {a: v for a, v in sorted(out_of_reach.items()) if v}
    assert checked == 1, "the key check read the asset list"
    assert f"spot trades {len(recent)}" in first, first
    assert "GMO Coin" in first and "1 day" in first, first  # the trades before the last day: out of reach, said
    assert again == {
        "/public/v1/symbols": 1,
        f"{PRIVATE}/latestExecutions": len(SYMBOLS),
        f"{PRIVATE}/account/deposit/history": len(SYMBOLS),
        f"{PRIVATE}/account/withdrawal/history": len(SYMBOLS),
        f"{PRIVATE}/account/fiatDeposit/history": 1,
        f"{PRIVATE}/account/fiatWithdrawal/history": 1,
    }, again
    assert "0 new" in second, second
    assert "GMO Coin" in status
    assert exported.document is not None
    exported_rows = list(csv.DictReader(io.StringIO(exported.document.content.decode())))
    assert len(exported_rows) == len(rows)
