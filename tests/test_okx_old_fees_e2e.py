"""An OKX swap trader who closed a position over a year ago syncs from further back (review finding 4).

fills-history reaches one year ("the last 1 year", Get_Transaction_Details_Last_1_Year.md): the position's fills are
gone from it, and only OKX's quarterly bill files hold its bills. A trade bill's fee was left to its fill, so these
fees were lost (1.64 USDT here) and the history could not explain the USDT balance. Now a bill whose fill lay beyond
the fills walk's reach keeps its own fee, and a bill whose fill was read does not (it would be counted twice).

Expected values by hand from sandbox/exchanges/okx_long_ago.py and okx_derivatives.py OLD_FILLS."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from bot.context import SERVICES_KEY
from connectors.fetchers.base import Cursor, FetchReport
from connectors.fetchers.okx.derivatives import DerivativeRows, Reads
from connectors.fetchers.registry import fetcher_for
from connectors.profiles import Endpoint, get_profile
from connectors.records import NormalizedRecord, RecordKind
from sandbox.botapi import BotApiEmulator
from sandbox.exchanges import OkxEmulator
from tests.assistant_story import Walker
from tests.bot_harness import running_bot, settings_for
from tests.connectors.test_fetch_okx import okx_client
from tests.test_okx_derivatives_e2e import ARCHIVE_PROFILE, FAST
from tests.test_reconcile_e2e import RECENT, connect

D = Decimal
SINCE_DAYS = 460

# Get bills details (last 3 months), Response Example (the stored copy, okx.md "bills-archive"): a trade bill of
# 0.021955779 BTC bought with a fee of -0.000021955779 BTC, `balChg` 0.021933823221.
DOCUMENTED_TRADE_BILL = {
    "bal": "8694.2179403378290202",
    "balChg": "0.0219338232210000",
    "billId": "623950854533513219",
    "ccy": "USDT",
    "fee": "-0.000021955779",
    "instId": "BTC-USDT-SWAP",
    "instType": "SWAP",
    "mgnMode": "cross",
    "pnl": "0",
    "posBalChg": "0",
    "subType": "1",
    "sz": "0.021955779",
    "ts": "1695033476167",
    "type": "2",
}


class _Codes:
    def safe_currency_code(self, code: str) -> str:
        return code


def test_a_trade_bill_keeps_its_fee_only_where_its_fill_was_beyond_reach() -> None:
    rows = DerivativeRows(_Codes())
    read = rows.parser(Reads.PNL)
    ts = int(DOCUMENTED_TRADE_BILL["ts"])

    within, _ = read(DOCUMENTED_TRADE_BILL)  # no unreached range: the fill was read and carries the fee
    rows.no_fills["SWAP"] = [(ts - 1000, ts + 1)]
    beyond, _ = read(DOCUMENTED_TRADE_BILL)
    rows.no_fills["SWAP"] = [(ts - 1000, ts)]  # ends at the bill (an end is not in its range)
    edge, _ = read(DOCUMENTED_TRADE_BILL)
    rows.no_fills = {"FUTURES": [(0, ts + 1)]}  # another instType's range
    other, _ = read(DOCUMENTED_TRADE_BILL)

    assert within is not None and beyond is not None and edge is not None and other is not None
    # balChg 0.021933823221 less the fee -0.000021955779.
    assert (within.amount, within.fee_amount) == (D("0.021955779"), None)
    assert (beyond.amount, beyond.fee_asset, beyond.fee_amount) == (D("0.021955779"), "USDT", D("0.000021955779"))
    assert (edge.amount, edge.fee_amount) == (D("0.021955779"), None)
    assert (other.amount, other.fee_amount) == (D("0.021955779"), None)


async def _sync(client: Any, cursors: dict[str, Cursor]) -> list[NormalizedRecord]:
    """One sync of the swap and futures endpoint from SINCE_DAYS back, with a fetcher of its own (as a sync has)."""
    records: list[NormalizedRecord] = []
    fetcher = fetcher_for(get_profile("okx"), client)
    since, until = datetime.now(UTC) - timedelta(days=SINCE_DAYS), datetime.now(UTC)
    report = FetchReport()
    async for page in fetcher.fetch(
        Endpoint.FUTURES_TRADES, since=since, until=until, cursors=dict(cursors), report=report
    ):
        cursors[page.market] = json.loads(json.dumps(page.cursor))
        records.extend(page.records)
    return records


async def test_bills_from_the_quarterly_files_keep_the_fee_only_of_fills_beyond_the_year() -> None:
    async with OkxEmulator(
        seed=15, profile=ARCHIVE_PROFILE, listed_symbols=12, limits=FAST, derivatives=True, bill_history=True
    ) as okx:
        okx.book.derivatives.trade_long_ago()
        async with okx_client(okx) as client:
            cursors: dict[str, Cursor] = {}
            first = await _sync(client, cursors)  # applies for the quarters
            okx.book.archive.ready_after_ms = 0  # two hours later: a second sync, whose fills walk reaches nothing new
            second = await _sync(client, cursors)
            third = await _sync(client, cursors)

    swap_fills = [r for r in first + second if r.kind is RecordKind.FUTURES_TRADE and r.market == "BTC/USDT:USDT"]
    realized = [r for r in second if r.kind is RecordKind.REALIZED_PNL and r.market == "BTC/USDT:USDT"]
    assert sorted((r.side, r.amount, r.fee_amount) for r in swap_fills if r.occurred_at < _days_ago(180)) == [
        # OLD_FILLS, 260 and 200 days back: within fills-history's year, so read with their fees.
        ("buy", D("0.05"), D("1.25")),
        ("sell", D("0.05"), D("1.375")),
    ]
    assert not [r for r in swap_fills if r.occurred_at < _days_ago(365)]  # LONG_AGO_FILLS: beyond the year
    assert sorted((r.amount, r.fee_amount) for r in realized if r.occurred_at < _days_ago(180)) == [
        # LONG_AGO_FILLS' bills, 430 and 400 days back: balChg -0.8 less the fee -0.8, and 79.16 less -0.84.
        (D(0), D("0.8")),
        (D(80), D("0.84")),
        # OLD_FILLS' closing bill, 200 days back: balChg 248.625 less -1.375; its fee is the fill's.
        (D(250), None),
    ]
    assert third == []
    assert cursors["SWAP"]["unreached"]  # kept for any later sync that reads a quarter


def _days_ago(days: int) -> datetime:
    return datetime.now(UTC) - timedelta(days=days)


async def test_a_trader_of_long_ago_reconciles_once_okx_prepared_its_files(
    telegram: BotApiEmulator, ada: Walker, tmp_path: Path
) -> None:
    async with OkxEmulator(seed=83, profile=RECENT, listed_symbols=20, derivatives=True, bill_history=True) as okx:
        okx.book.derivatives.trade_long_ago()
        settings = settings_for(telegram, tmp_path, exchange_url_overrides={"okx": okx.base_url})
        async with running_bot(settings) as app:
            await connect(app.bot_data[SERVICES_KEY], "okx", okx, date.today() - timedelta(days=SINCE_DAYS))
            first = (await ada.reply_to(await ada.send("/sync"), "Sync finished", timeout=120)).text or ""
            okx.book.archive.ready_after_ms = 0  # two hours later
            second = (await ada.reply_to(await ada.send("/sync"), "Sync finished", timeout=120)).text or ""

    assert "✅ OKX-1: the history explains every balance." not in first, first
    # Without the two fees of the bills whose fills fills-history no longer lists, USDT would be 1.64 short.
    assert "✅ OKX-1: the history explains every balance." in second, second
    assert okx.requests.unexpected == []
