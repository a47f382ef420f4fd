"""A Gate user who traded perpetual futures connects, syncs, and sees it all through the bot.

The account moved USDT and BTC into its USDT- and BTC-settled futures accounts and traded BTC_USDT, ETH_USDT and
the inverse BTC_USD (sandbox/exchanges/gate_futures.py). After /sync the stored futures records are exactly the
scripted fills, profit and loss and funding, the history explains every balance (spot and both futures accounts
together), /status lists futures trades and funding fees as synced, and a second sync asks each list once. A user
who never opened futures sees both kinds skipped in /status, saying why; so does one whose key may not read futures,
told how to fix the key.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from bot.context import SERVICES_KEY, Services
from bot.integrations import AdvancedOptions
from bot.secret import Secret
from db.models import Transaction
from sandbox.botapi import BotApiEmulator
from sandbox.exchanges import AccountProfile, GateEmulator
from tests.assistant_story import Walker
from tests.bot_harness import running_bot, settings_for

# Seeds 91 and 99 script spot balances under 28 significant digits: Gate's quotes are exact products (amount ×
# price), and a sum past Decimal's 28 digits would round on one side of the comparison only.
RECENT = AccountProfile(
    years=0.15, traded_markets=3, trades=40, deposits=4, withdrawals=2, converts=3, transfers=2, rewards=3
)
SYNC_FROM_DAYS = 80  # before the futures money was deposited (75 days ago) and the account's first record
BOOK, FILLS = "/api/v4/futures/{}/account_book", "/api/v4/futures/{}/my_trades_timerange"
ACCOUNTS, CONTRACTS = "/api/v4/futures/{}/accounts", "/api/v4/futures/{}/contracts"


async def connect(services: Services, gate: GateEmulator) -> None:
    key = gate.create_demo_keys().read_only
    await services.integrations.connect(
        1001,
        exchange_id="gate",
        key_type="default",
        account_name="Gate-1",
        fields={"apiKey": Secret(key.api_key), "secret": Secret(key.secret)},
        options=AdvancedOptions(sync_from=date.today() - timedelta(days=SYNC_FROM_DAYS)),
    )


def futures_rows(rows: Iterable[Transaction]) -> dict[str, set[tuple[object, ...]]]:
    by_kind: dict[str, set[tuple[object, ...]]] = {}
    for row in rows:
        if row.kind not in ("futures_trade", "realized_pnl", "funding"):
            continue
        ms = int(row.occurred_at.timestamp() * 1000)
        values = (row.market, row.side, row.asset, row.amount, row.quote_amount, row.price, row.fee_amount, ms)
        by_kind.setdefault(row.kind, set()).add(values)
    return by_kind


async def test_a_gate_futures_trader_syncs_fills_pnl_and_funding_and_the_account_reconciles(
    telegram: BotApiEmulator, ada: Walker, tmp_path: Path
) -> None:
    async with GateEmulator(seed=91, profile=RECENT, listed_symbols=20, derivatives=True) as gate:
        settings = settings_for(telegram, tmp_path, exchange_url_overrides={"gate": gate.base_url})
        async with running_bot(settings) as app:
            services: Services = app.bot_data[SERVICES_KEY]
            await connect(services, gate)
            summary = (await ada.reply_to(await ada.send("/sync"), "Sync finished", timeout=90)).text or ""
            first = dict(gate.requests.by_path)
            gate.requests.reset()
            again = (await ada.reply_to(await ada.send("/sync"), "Sync finished", timeout=90)).text or ""
            second = dict(gate.requests.by_path)
            status = (await ada.reply_to(await ada.send("/status"), "Your accounts")).text or ""
            async with services.database.reader() as session:
                rows = list((await session.scalars(select(Transaction))).all())

    script = gate.futures_script
    assert script is not None
    # Written from the script: a BTC_USDT contract is 0.0001 BTC and an ETH_USDT one 0.01 ETH (the contracts' list),
    # so a fill of n contracts at p is n × multiplier of the base, worth that × p USDT; a BTC_USD contract is 1 USD,
    # so n of them at p are n ÷ p BTC. Each fill's fee is its `fee`; `pnl` and `fund` lines are signed as booked.
    multiplier = {"BTC_USDT": Decimal("0.0001"), "ETH_USDT": Decimal("0.01")}
    symbol = {"BTC_USDT": "BTC/USDT:USDT", "ETH_USDT": "ETH/USDT:USDT", "BTC_USD": "BTC/USD:BTC"}
    trades = set()
    for f in script.fills:
        if f.contract in multiplier:
            quantity = abs(f.size) * multiplier[f.contract]
            value = quantity * f.price
        else:
            quantity = value = Decimal(abs(f.size)) / f.price
        side = "buy" if f.size > 0 else "sell"
        trades.add(
            (
                symbol[f.contract],
                side,
                "BTC" if f.contract != "ETH_USDT" else "ETH",
                quantity,
                value,
                f.price,
                f.fee,
                f.time_ms,
            )
        )
    lines = {
        kind: {
            (symbol[line.contract], None, line.settle.upper(), line.change, None, None, None, line.time_ms)
            for line in script.lines
            if line.type == name
        }
        for kind, name in (("realized_pnl", "pnl"), ("funding", "fund"))
    }
    assert futures_rows(rows) == {"futures_trade": trades, **lines}
    # Counted by hand: 8 BTC_USDT, 6 ETH_USDT and 3 BTC_USD round trips are 34 fills and 17 closing P&L lines. Each
    # holding lasts 20 hours from 03:00:17 (BTC_USDT: the 08:00 and 16:00 marks), 09:00:41 (ETH_USDT: 16:00, 00:00)
    # or 14:00:05 (BTC_USD: 16:00, 00:00, 08:00): 16 + 12 + 9 = 37 funding lines.
    assert (len(trades), len(lines["realized_pnl"]), len(lines["funding"])) == (34, 17, 37)
    assert "futures trades 34" in summary and "funding fees 54" in summary, summary
    assert "✅ Gate-1: the history explains every balance." in summary, summary
    assert "🟢 Gate-1" in status and "✅ The history explains every balance." in status, status
    for kind in ("Futures trades", "Funding fees"):
        assert f"  ✅ {kind}\n" in status, status
    # The USDT account has 2 moves, 28 fees, 14 P&L and 28 funding lines, the BTC one 1 + 6 + 3 + 9: one page of
    # 100 each; the contracts are read once a settle.
    for settle in ("usdt", "btc"):
        assert first[BOOK.format(settle)] == first[FILLS.format(settle)] == first[CONTRACTS.format(settle)] == 1
        # The second sync asks each list once, from where the first ended: nothing new.
        assert second[BOOK.format(settle)] == second[FILLS.format(settle)] == 1, second
    assert "✅ Gate-1: 0 new" in again, again
    assert not gate.requests.unexpected


async def test_a_gate_account_without_futures_shows_both_kinds_skipped_with_the_reason(
    telegram: BotApiEmulator, ada: Walker, tmp_path: Path
) -> None:
    async with GateEmulator(seed=99, profile=RECENT, listed_symbols=20) as gate:
        settings = settings_for(telegram, tmp_path, exchange_url_overrides={"gate": gate.base_url})
        async with running_bot(settings) as app:
            await connect(app.bot_data[SERVICES_KEY], gate)
            summary = (await ada.reply_to(await ada.send("/sync"), "Sync finished", timeout=90)).text or ""
            status = (await ada.reply_to(await ada.send("/status"), "Your accounts")).text or ""
        served = dict(gate.requests.by_path)

    reason = "Gate says this account has no futures history: no USDT- or BTC-settled futures account"
    for kind in ("Futures trades", "Funding fees"):
        assert f"  ⏭ {kind} — {reason}" in status, status
    # Each account was asked once (USER_NOT_FOUND), by the first kind; no list was walked.
    assert served[ACCOUNTS.format("usdt")] == served[ACCOUNTS.format("btc")] >= 1, served
    assert not any(path.startswith("/api/v4/futures/") and not path.endswith("/accounts") for path in served), served
    assert "✅ Gate-1: the history explains every balance." in summary, summary


async def test_a_gate_key_without_futures_rights_syncs_spot_and_shows_the_fix_for_futures(
    telegram: BotApiEmulator, ada: Walker, tmp_path: Path
) -> None:
    async with GateEmulator(seed=91, profile=RECENT, listed_symbols=20, derivatives=True) as gate:
        key = gate.create_demo_keys().no_futures
        settings = settings_for(telegram, tmp_path, exchange_url_overrides={"gate": gate.base_url})
        async with running_bot(settings) as app:
            services: Services = app.bot_data[SERVICES_KEY]
            await services.integrations.connect(
                1001,
                exchange_id="gate",
                key_type="default",
                account_name="Gate-1",
                fields={"apiKey": Secret(key.api_key), "secret": Secret(key.secret)},
                options=AdvancedOptions(sync_from=date.today() - timedelta(days=SYNC_FROM_DAYS)),
            )
            summary = (await ada.reply_to(await ada.send("/sync"), "Sync finished", timeout=90)).text or ""
            status = (await ada.reply_to(await ada.send("/status"), "Your accounts")).text or ""
            async with services.database.reader() as session:
                rows = list((await session.scalars(select(Transaction))).all())
        served = dict(gate.requests.by_path)

    reason = (
        "Gate says this key cannot read futures (FORBIDDEN): on Gate's API key page, tick Perpetual Futures → "
        "Read Only (and Delivery Futures → Read Only if you trade them) for this key, then sync again."
    )
    for kind in ("Futures trades", "Funding fees"):
        assert f"  ⏭ {kind} — {reason}" in status, status
    assert "Spot trades" in status and "❌" not in status, status
    # The spot history was stored; nothing of futures was (the key may not read it).
    assert any(row.kind == "trade" for row in rows)
    assert not [row for row in rows if row.kind in ("futures_trade", "realized_pnl", "funding")]
    # The fetcher asked the first settle's account once (FORBIDDEN) and stopped; the balance read asked each
    # account once more. No futures list was asked.
    assert (served[ACCOUNTS.format("usdt")], served[ACCOUNTS.format("btc")]) == (2, 1), served
    accounts = {ACCOUNTS.format(settle) for settle in ("usdt", "btc")}
    assert not any(p.startswith("/api/v4/futures/") and p not in accounts for p in served), served
    assert "Sync finished" in summary


async def test_a_gate_delivery_futures_trader_syncs_fills_and_pnl_and_the_account_reconciles(
    telegram: BotApiEmulator, ada: Walker, tmp_path: Path
) -> None:
    async with GateEmulator(seed=91, profile=RECENT, listed_symbols=20, delivery=True) as gate:
        settings = settings_for(telegram, tmp_path, exchange_url_overrides={"gate": gate.base_url})
        async with running_bot(settings) as app:
            services: Services = app.bot_data[SERVICES_KEY]
            await connect(services, gate)
            summary = (await ada.reply_to(await ada.send("/sync"), "Sync finished", timeout=90)).text or ""
            first = dict(gate.requests.by_path)
            gate.requests.reset()
            again = (await ada.reply_to(await ada.send("/sync"), "Sync finished", timeout=90)).text or ""
            second = dict(gate.requests.by_path)
            status = (await ada.reply_to(await ada.send("/status"), "Your accounts")).text or ""
            async with services.database.reader() as session:
                rows = list((await session.scalars(select(Transaction))).all())

    script = gate.delivery_script
    assert script is not None
    (contract,) = script.contracts
    # Written from the script: the quarter's contract is BTC_USDT_<yyyymmdd>, 0.0001 BTC a contract, shown by ccxt
    # as BTC/USDT:USDT-<yymmdd>; n contracts at p are n × 0.0001 BTC worth that × p USDT. No funding: delivery
    # futures pay none.
    symbol = f"BTC/USDT:USDT-{contract.name[-6:]}"
    trades = {
        (
            symbol,
            "buy" if f.size > 0 else "sell",
            "BTC",
            abs(f.size) * Decimal("0.0001"),
            abs(f.size) * Decimal("0.0001") * f.price,
            f.price,
            f.fee,
            f.time_ms,
        )
        for f in script.fills
    }
    pnl = {
        (symbol, None, "USDT", line.change, None, None, None, line.time_ms)
        for line in script.lines
        if line.type == "pnl"
    }
    assert futures_rows(rows) == {"futures_trade": trades, "realized_pnl": pnl}
    # Counted by hand: five round trips are 10 fills and 5 closing P&L lines.
    assert (len(trades), len(pnl)) == (10, 5)
    # The scripted moves into and out of the delivery account (the spot book's delivery_out, delivery_in).
    moved = [row for row in rows if row.kind == "transfer" and (row.raw or {}).get("text") == "delivery transfer"]
    moves = sorted((row.amount, row.side) for row in moved)
    assert moves == [(Decimal(800), "in"), (Decimal(2000), "out")], moves
    assert "✅ Gate-1: the history explains every balance." in summary, status
    assert "  ✅ Futures trades\n" in status and "  ✅ Funding fees\n" in status, status
    book, fills = "/api/v4/delivery/usdt/account_book", "/api/v4/delivery/usdt/my_trades"
    # One page each (10 fills; 2 moves, 10 fees and 5 P&L lines in the book); the contracts once.
    assert (first[book], first[fills], first["/api/v4/delivery/usdt/contracts"]) == (1, 1, 1), first
    # The re-sync asks each list once: the book from where the first sync ended, the fills down to the stored id.
    assert (second[book], second[fills]) == (1, 1), second
    assert "✅ Gate-1: 0 new" in again, again
    assert not gate.requests.unexpected


async def test_a_gate_account_with_options_shows_them_as_a_gap_not_silently_absent(
    telegram: BotApiEmulator, ada: Walker, tmp_path: Path
) -> None:
    async with GateEmulator(seed=91, profile=RECENT, listed_symbols=20, options_total=Decimal("350.5")) as gate:
        settings = settings_for(telegram, tmp_path, exchange_url_overrides={"gate": gate.base_url})
        async with running_bot(settings) as app:
            await connect(app.bot_data[SERVICES_KEY], gate)
            await ada.reply_to(await ada.send("/sync"), "Sync finished", timeout=90)
            status = (await ada.reply_to(await ada.send("/status"), "Your accounts")).text or ""

    # No futures account was opened, but the options account holds 350.5 USDT: both kinds say options are not read.
    reason = (
        "Gate shows a balance or a position in this account's options account: Tallybot does not read options "
        "trades yet, so they are missing here."
    )
    for kind in ("Futures trades", "Funding fees"):
        assert f"  ⏭ {kind} — {reason}" in status, status
