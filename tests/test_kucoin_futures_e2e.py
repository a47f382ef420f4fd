"""A KuCoin user who traded futures connects, syncs, and sees them through the bot.

The account moved USDT and XBT into its futures account and traded XBTUSDTM, ETHUSDTM and the inverse XBTUSDM
(sandbox/exchanges/kucoin_futures.py). After /sync the stored futures records are exactly the ledger's realised
profit and loss lines and the fills, /status lists futures trades as synced, and a second sync asks each currency's
ledger and the fills once. A user who never used futures sees the kind skipped in /status, saying why.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from bot.context import SERVICES_KEY, Services
from bot.integrations import AdvancedOptions
from bot.secret import Secret
from db.models import Transaction
from sandbox.botapi import BotApiEmulator
from sandbox.exchanges import AccountProfile
from sandbox.exchanges.kucoin import KucoinEmulator
from tests.assistant_story import Walker
from tests.bot_harness import running_bot, settings_for

RECENT = AccountProfile(
    years=0.15, traded_markets=3, trades=30, deposits=3, withdrawals=2, converts=2, transfers=2, rewards=2
)
SYNC_FROM_DAYS = 65  # before the futures money moved in (60 days ago)
LEDGER, FILLS = "/api/v1/transaction-history", "/api/v1/fills"


async def connect(services: Services, kucoin: KucoinEmulator) -> None:
    key = kucoin.create_demo_keys().read_only
    assert key.passphrase is not None
    await services.integrations.connect(
        1001,
        exchange_id="kucoin",
        key_type="default",
        account_name="KuCoin-1",
        fields={"apiKey": Secret(key.api_key), "secret": Secret(key.secret), "password": Secret(key.passphrase)},
        options=AdvancedOptions(sync_from=date.today() - timedelta(days=SYNC_FROM_DAYS)),
    )


def futures_rows(rows: Iterable[Transaction]) -> dict[str, set[tuple[object, ...]]]:
    by_kind: dict[str, set[tuple[object, ...]]] = {}
    for row in rows:
        if row.kind in ("futures_trade", "realized_pnl"):
            ms = int(row.occurred_at.timestamp() * 1000)
            values = (row.market, row.side, row.asset, row.amount, row.quote_amount, row.price, row.fee_amount, ms)
            by_kind.setdefault(row.kind, set()).add(values)
    return by_kind


async def test_a_kucoin_futures_trader_syncs_realised_pnl_and_fills_and_resyncs_only_new_lines(
    telegram: BotApiEmulator, ada: Walker, tmp_path: Path
) -> None:
    async with KucoinEmulator(seed=62, profile=RECENT, listed_symbols=20, derivatives=True) as kucoin:
        settings = settings_for(telegram, tmp_path, exchange_url_overrides={"kucoin": kucoin.base_url})
        async with running_bot(settings) as app:
            services: Services = app.bot_data[SERVICES_KEY]
            await connect(services, kucoin)
            summary = (await ada.reply_to(await ada.send("/sync"), "Sync finished", timeout=120)).text or ""
            synced_at = datetime.now(UTC)
            first = dict(kucoin.requests.by_path)
            kucoin.requests.reset()
            again = (await ada.reply_to(await ada.send("/sync"), "Sync finished", timeout=120)).text or ""
            second = dict(kucoin.requests.by_path)
            status = (await ada.reply_to(await ada.send("/status"), "Your accounts")).text or ""
            async with services.database.reader() as session:
                rows = list((await session.scalars(select(Transaction))).all())

    script = kucoin.futures_script
    assert script is not None
    # Written from the script: a USDT-margined fill of n lots is n × multiplier of the base (0.001 XBT, 0.01 ETH),
    # its `value` that × price in USDT; an inverse XBTUSDM fill's `value` is already in XBT (BTC), the base. No fee
    # is counted on a fill: the period's RealisedPNL line took it. Each Completed RealisedPNL line is a record.
    symbol = {"XBTUSDTM": "BTC/USDT:USDT", "ETHUSDTM": "ETH/USDT:USDT", "XBTUSDM": "BTC/USD:BTC"}
    base = {"XBTUSDTM": "BTC", "ETHUSDTM": "ETH", "XBTUSDM": "BTC"}
    settle = {"USDT": "USDT", "XBT": "BTC"}
    trades = set()
    for f in script.fills:
        inverse = f.contract.multiplier == 0
        quantity = f.value if inverse else f.size * f.contract.multiplier
        trades.add((symbol[f.contract.symbol], f.side, base[f.contract.symbol], quantity, f.value, f.price, None,
                    f.time_ms))  # fmt: skip
    pnl = {
        (symbol[line.remark], None, settle[line.currency], line.amount, None, None, None, line.time_ms)
        for line in script.lines
        if line.type == "RealisedPNL"
    }
    assert futures_rows(rows) == {"futures_trade": trades, "realized_pnl": pnl}
    # The moves into and out of futures are the spot ledger's (its trading-account leg), not the futures ledger's.
    moves = {(r.asset, r.amount, r.side, int(r.occurred_at.timestamp() * 1000)) for r in rows if r.kind == "transfer"}
    assert {
        ("USDT", Decimal(3000), "out", script.lines[0].time_ms),
        ("BTC", Decimal("0.05"), "out", script.lines[1].time_ms),
        ("USDT", Decimal(1000), "in", next(x.time_ms for x in script.lines if x.type == "TransferOut")),
    } <= moves, moves
    # 6 XBTUSDTM, 4 ETHUSDTM and 2 XBTUSDM round trips: 24 fills. Each trip books in the period it opened in, each
    # 8-hour mark it paid funding at and the period it closed in.
    assert len(trades) == 24 and all(isinstance(v[3], Decimal) for v in trades)
    assert f"futures trades {24 + len(pnl)}" in summary, summary
    assert "  ✅ Futures trades" in status.splitlines(), status
    # Spot (less what moved into futures) and both futures currencies' margin balances: the history explains each.
    assert "✅ KuCoin-1: the history explains every balance." in summary, status
    # The first sync: each currency's ledger (fewer than 50 lines each: one page); the futures fills and, on the same
    # path, the classic spot fills, each one request per 7-day window from the sync-from date ("each individual
    # query is limited to a time range of 7 × 24 hours").
    start = datetime.combine(date.today() - timedelta(days=SYNC_FROM_DAYS), time(), UTC)
    weeks = math.ceil((synced_at - start) / timedelta(days=7))
    assert (first[LEDGER], first[FILLS]) == (2, weeks + weeks), first
    # The second: each ledger's newest page (down to its stored offset), the fills since the first sync's end.
    assert (second[LEDGER], second[FILLS]) == (2, 1 + 1), second
    assert "✅ KuCoin-1: 0 new" in again, again
    assert not kucoin.requests.unexpected


async def test_a_kucoin_account_without_futures_shows_the_kind_skipped_with_the_reason(
    telegram: BotApiEmulator, ada: Walker, tmp_path: Path
) -> None:
    async with KucoinEmulator(seed=63, profile=RECENT, listed_symbols=20) as kucoin:
        settings = settings_for(telegram, tmp_path, exchange_url_overrides={"kucoin": kucoin.base_url})
        async with running_bot(settings) as app:
            await connect(app.bot_data[SERVICES_KEY], kucoin)
            await ada.reply_to(await ada.send("/sync"), "Sync finished", timeout=120)
            status = (await ada.reply_to(await ada.send("/status"), "Your accounts")).text or ""
        served = dict(kucoin.requests.by_path)

    reason = "KuCoin shows no line in this account's futures ledger: it has never used futures."
    assert f"  ⏭ Futures trades — {reason}" in status, status
    assert served[LEDGER] == 2, served  # the first page in each currency
