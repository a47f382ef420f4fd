"""An OKX user who trades perpetual swaps, expiry futures, options and margin, keeps savings in Simple Earn Flexible
and receives money from a sub-account: the first /sync brings every kind, /status lists them, and the history
explains every balance (trading account without unrealized profit and loss, funding account, savings). Before,
these kinds were off ("skipped"), sub-account money counted as a move between the account's own wallets, and the
savings balance was not read."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from bot.context import SERVICES_KEY
from connectors.fetchers.base import Cursor, FetchReport
from connectors.fetchers.registry import fetcher_for
from connectors.profiles import Endpoint, get_profile
from connectors.records import NormalizedRecord, RecordKind
from sandbox.botapi import BotApiEmulator
from sandbox.exchanges import AccountProfile, OkxEmulator
from sandbox.exchanges.okx import OkxLimits
from tests.assistant_story import Walker
from tests.bot_harness import running_bot, settings_for
from tests.conformance.corpus import API_EXAMPLES, shape_differences
from tests.connectors.test_fetch_okx import okx_client
from tests.test_reconcile_e2e import RECENT, connect

# RECENT: two months of spot history (the account test_reconcile_e2e reconciles); the derivatives script lies within
# the last 45 days.


async def test_a_derivatives_trader_gets_every_kind_and_a_history_that_explains_every_balance(
    telegram: BotApiEmulator, ada: Walker, tmp_path: Path
) -> None:
    async with OkxEmulator(seed=83, profile=RECENT, listed_symbols=20, derivatives=True) as okx:
        settings = settings_for(telegram, tmp_path, exchange_url_overrides={"okx": okx.base_url})
        async with running_bot(settings) as app:
            await connect(app.bot_data[SERVICES_KEY], "okx", okx, date.today() - timedelta(days=70))
            sent = await ada.send("/sync")
            summary = (await ada.reply_to(sent, "Sync finished", timeout=90)).text or ""
            status = (await ada.reply_to(await ada.send("/status"), "Your accounts")).text or ""

    # Seven derivatives fills and four realized P&L bills; two margin fills; two funding fees; one interest charge.
    assert "futures trades 11" in summary, summary
    assert "margin trades 2" in summary and "funding fees 2" in summary, summary
    assert "margin loans and interest 3" in summary, summary  # a borrow, its repayment and interest
    # Three savings interest payments besides the account's rewards. The funding bills add six to the internal
    # transfers list: 50 USDT from a sub-account (stored as a deposit: it reconciles only as one), on to the trading
    # account; 100 USDT from the trading account into savings; 20 USDT into an on-chain earn order.
    assert f"earn and staking rewards {len(okx.account.rewards) + 3}" in summary, summary
    assert f"funding account bills {len(okx.account.transfers) + 6}" in summary, summary
    assert "✅ OKX-1: the history explains every balance." in summary, status
    assert "🟢 OKX-1" in status and "✅ The history explains every balance." in status, status
    for label in ("Futures trades", "Funding fees", "Margin trades", "Margin loans and interest"):
        assert label in status, status
    assert okx.requests.unexpected == []


async def test_positions_opened_and_closed_off_the_order_book_reconcile_too(
    telegram: BotApiEmulator, ada: Walker, tmp_path: Path
) -> None:
    """The same trader also opens and closes positions by block trade, spread trade and a moved position
    (OFF_BOOK_FILLS), and OKX hedged for it once (a DDH bill, OFF_BOOK_BILLS). Their bills are types 14, 24, 32 and
    13, not 2: read, the profit they realized is stored and the history still explains every balance."""
    async with OkxEmulator(seed=83, profile=RECENT, listed_symbols=20, derivatives=True) as okx:
        okx.book.derivatives.trade_off_the_book()
        settings = settings_for(telegram, tmp_path, exchange_url_overrides={"okx": okx.base_url})
        async with running_bot(settings) as app:
            await connect(app.bot_data[SERVICES_KEY], "okx", okx, date.today() - timedelta(days=70))
            sent = await ada.send("/sync")
            summary = (await ada.reply_to(sent, "Sync finished", timeout=90)).text or ""
            status = (await ada.reply_to(await ada.send("/status"), "Your accounts")).text or ""

    # The eleven of the story above, six off-book fills and four bills that realized something: +400 USDT (the
    # spread closing the block-opened swap long), +40 USDT (the block trade closing the spread's future short),
    # +0.005 BTC (the moved-out inverse swap), -0.35 USDT (the hedge: +0.25 less its 0.6 fee). Left out, 439.65 USDT
    # and 0.005 BTC would be unexplained.
    assert "futures trades 21" in summary, summary
    assert "✅ OKX-1: the history explains every balance." in summary, summary
    assert "🟢 OKX-1" in status and "✅ The history explains every balance." in status, status
    assert okx.requests.unexpected == []


async def test_an_open_isolated_position_and_a_closed_one_reconcile_exactly(
    telegram: BotApiEmulator, ada: Walker, tmp_path: Path
) -> None:
    """The same trader also holds isolated positions (ISOLATED_FILLS, ISOLATED_BILLS): a USDT swap long opened with
    300 USDT of margin, charged 0.6 and paid 0.2 funding inside the position and closed at +100; a USDT swap long of
    60 USDT margin that OKX liquidated (-54, a 5.73 fee on the fill and on its type 5 bill); and an inverse swap
    long still open, 0.008 BTC of margin less 0.000003 BTC funding, 0.0015 BTC unrealized. OKX's balance shows the
    open position's margin beside cashBal (isoEq 0.009497, isoUpl 0.0015), and the history explains it: the BTC
    fill's fee 0.00002 and the funding 0.000003 are all the account lost. Read by balChg alone, the opening bills
    would be realized losses of their margin (three more records) and the BTC wallet 0.007997 unexplained; with
    the liquidation bill's own fee counted besides its fill's, USDT would be 5.73 short."""
    async with OkxEmulator(seed=83, profile=RECENT, listed_symbols=20, derivatives=True) as okx:
        okx.book.derivatives.trade_isolated()
        settings = settings_for(telegram, tmp_path, exchange_url_overrides={"okx": okx.base_url})
        async with running_bot(settings) as app:
            await connect(app.bot_data[SERVICES_KEY], "okx", okx, date.today() - timedelta(days=70))
            sent = await ada.send("/sync")
            summary = (await ada.reply_to(sent, "Sync finished", timeout=90)).text or ""
            status = (await ada.reply_to(await ada.send("/status"), "Your accounts")).text or ""

    # The eleven of the first story, five isolated fills and two bills that realized something (the close, +100
    # USDT: balChg 398.05 + posBalChg -299.6 less the fill's fee -1.55; the liquidation, -54 USDT: balChg 0.27 +
    # posBalChg -60 less the fill's fee -5.73); the opening bills realized nothing.
    assert "futures trades 18" in summary, summary
    assert "funding fees 5" in summary, summary  # two cross, -0.6 and +0.2 USDT and -0.000003 BTC isolated
    assert "✅ OKX-1: the history explains every balance." in summary, summary
    assert "🟢 OKX-1" in status and "✅ The history explains every balance." in status, status
    assert okx.requests.unexpected == []


async def test_isolated_bills_are_read_from_bills_archive_and_from_the_quarterly_files() -> None:
    """The records themselves, by hand from ISOLATED_* and OLD_ISOLATED_* (the latter 130-140 days back, in the
    quarterly files only, whose CSV carries posBalChg and mgnMode): fills with their fees, realized profit of the
    closing bills only, funding fees as moved inside the positions."""
    async with OkxEmulator(
        seed=15, profile=ARCHIVE_PROFILE, listed_symbols=12, limits=FAST, derivatives=True, bill_history=True
    ) as okx:
        okx.book.derivatives.trade_isolated()
        isolated_ids = {r.bill["billId"] for r in okx.book.derivatives.rows if r.bill["mgnMode"] == "isolated"}
        async with okx_client(okx) as client:
            cursors: dict[Endpoint, dict[str, Cursor]] = {Endpoint.FUTURES_TRADES: {}, Endpoint.FUNDING: {}}
            records = [r for e in cursors for r in await _walk(client, e, cursors[e])]  # applies for the quarters
            okx.book.archive.ready_after_ms = 0  # two hours later
            records += [r for e in cursors for r in await _walk(client, e, cursors[e])]
            assert [await _walk(client, e, cursors[e]) for e in cursors] == [[], []]

    isolated = [r for r in records if r.raw.get("billId") in isolated_ids]
    fills = [r for r in isolated if r.kind is RecordKind.FUTURES_TRADE]
    assert sorted((r.side, r.market, r.amount, r.quote_amount, r.fee_amount) for r in fills) == sorted(
        [
            # 5 contracts of 0.01 BTC at 60000 and 62000 (fees 1.5, 1.55); 140 and 130 days back at 53000 and 52000.
            ("buy", "BTC/USDT:USDT", Decimal("0.05"), Decimal(3000), Decimal("1.5")),
            ("sell", "BTC/USDT:USDT", Decimal("0.05"), Decimal(3100), Decimal("1.55")),
            ("buy", "BTC/USDT:USDT", Decimal("0.05"), Decimal(2650), Decimal("1.325")),
            ("sell", "BTC/USDT:USDT", Decimal("0.05"), Decimal(2600), Decimal("1.3")),
            # 20 inverse contracts of 100 USD at 50000: 0.04 BTC, fee 0.00002 BTC.
            ("buy", "BTC/USD:BTC", Decimal("0.04"), Decimal("0.04"), Decimal("0.00002")),
            # 2 contracts at 60000 (fee 0.6), liquidated at 57300 (fee 5.73).
            ("buy", "BTC/USDT:USDT", Decimal("0.02"), Decimal(1200), Decimal("0.6")),
            ("sell", "BTC/USDT:USDT", Decimal("0.02"), Decimal(1146), Decimal("5.73")),
        ]
    )
    # The liquidation fill's tradeId is negative: its billId is added to name it.
    (liquidated,) = [r for r in fills if r.raw["subType"] == "104"]
    trade_id, bill_id = liquidated.raw["tradeId"], liquidated.raw["billId"]
    assert trade_id.startswith("-") and liquidated.natural_key.endswith(f"BTC-USDT-SWAP:{trade_id}:{bill_id}")
    realized = [r for r in isolated if r.kind is RecordKind.REALIZED_PNL]
    assert sorted((r.asset, r.amount, r.fee_amount) for r in realized) == [
        ("USDT", Decimal(-54), None),  # the liquidation: balChg 0.27 + posBalChg -60 less the fill's fee -5.73
        ("USDT", Decimal(-50), None),  # from the file: balChg 213.3 + posBalChg -264.6 less the fill's fee -1.3
        ("USDT", Decimal(100), None),  # balChg 398.05 + posBalChg -299.6 less -1.55
    ]
    funding = [r for r in isolated if r.kind is RecordKind.FUNDING]
    assert sorted((r.asset, r.amount) for r in funding) == [
        ("BTC", Decimal("-0.000003")),
        ("USDT", Decimal("-0.6")),
        ("USDT", Decimal("-0.4")),  # from the file
        ("USDT", Decimal("0.2")),
    ]


async def test_off_book_bills_are_read_once_from_bills_archive_and_from_the_quarterly_files() -> None:
    """The records themselves, by hand from OFF_BOOK_FILLS and OLD_OFF_BOOK_FILLS: each off-book fill with its fee,
    each bill that realized profit with `balChg - fee` and no fee of its own (the fill has it), whether the bill came
    from bills-archive (`type` 14, 24, 32) or, older than three months, from a quarterly file (no `type` column:
    subTypes 204-209, 270-275, 324-329)."""
    async with OkxEmulator(
        seed=15, profile=ARCHIVE_PROFILE, listed_symbols=12, limits=FAST, derivatives=True, bill_history=True
    ) as okx:
        okx.book.derivatives.trade_off_the_book()
        expiry = okx.book.derivatives.expiry
        future = f"ETH/USDT:USDT-{expiry}"
        async with okx_client(okx) as client:
            cursors: dict[str, Cursor] = {}
            records = await _futures(client, cursors)  # and applies for the quarters; OKX prepares them
            okx.book.archive.ready_after_ms = 0  # two hours later
            records += await _futures(client, cursors)
            assert await _futures(client, cursors) == []  # nothing new, nothing twice

    by_hand = [
        # Block trade: 20 swap contracts of 0.01 BTC, open long at 61000, fee 6.1 USDT.
        ("buy", "BTC/USDT:USDT", "BTC", Decimal("0.2"), Decimal(12200), Decimal("6.1")),
        # Spread trade: the swap long closed at 63000 (fee 1.26), the future short opened: 4 x 0.1 ETH at 3100.
        ("sell", "BTC/USDT:USDT", "BTC", Decimal("0.2"), Decimal(12600), Decimal("1.26")),
        ("sell", future, "ETH", Decimal("0.4"), Decimal(1240), Decimal("0.124")),
        # Block trade closing the short at 3000.
        ("buy", future, "ETH", Decimal("0.4"), Decimal(1200), Decimal("0.12")),
        # Moved in and out: 10 inverse contracts of 100 USD, at 40000 (0.025 BTC) and 50000 (0.02 BTC), no fee.
        ("buy", "BTC/USD:BTC", "BTC", Decimal("0.025"), Decimal("0.025"), Decimal(0)),
        ("sell", "BTC/USD:BTC", "BTC", Decimal("0.02"), Decimal("0.02"), Decimal(0)),
        # 190 and 150 days back: a spread opens 5 swap contracts long at 52000 (fee 0.52), a block trade closes
        # them at 54000 (fee 1.35).
        ("buy", "BTC/USDT:USDT", "BTC", Decimal("0.05"), Decimal(2600), Decimal("0.52")),
        ("sell", "BTC/USDT:USDT", "BTC", Decimal("0.05"), Decimal(2700), Decimal("1.35")),
    ]
    off_book = {"13", "14", "24", "32"}
    fills = [r for r in records if r.kind is RecordKind.FUTURES_TRADE and r.raw["subType"] not in ("1", "2")]
    read = [(r.side, r.market, r.asset, r.amount, r.quote_amount, r.fee_amount) for r in fills]
    assert sorted(read, key=str) == sorted(by_hand, key=str)
    realized = [r for r in records if r.kind is RecordKind.REALIZED_PNL and r.raw.get("type", "") in off_book]
    assert sorted((r.market, r.asset, r.amount, r.fee_amount) for r in realized) == sorted(
        [
            ("BTC/USDT:USDT", "USDT", Decimal(400), None),  # balChg 398.74 less the fill's fee -1.26
            (future, "USDT", Decimal(40), None),  # balChg 39.88 less -0.12
            ("BTC/USD:BTC", "BTC", Decimal("0.005"), None),  # balChg 0.005, no fee
            # The DDH bill has no fill: balChg -0.35 is 0.25 realized and its own fee of 0.6.
            ("BTC/USDT:USDT", "USDT", Decimal("0.25"), Decimal("0.6")),
            # From a quarterly file, its type read from subType 208: balChg 98.65 less -1.35.
            ("BTC/USDT:USDT", "USDT", Decimal(100), None),
        ],
        key=str,
    )


async def test_off_book_fills_and_bills_are_served_in_the_documented_shapes() -> None:
    """The emulator's block, spread and move-position rows have the documented fields of a fill (fills-history's
    example) and of a bill (bills-archive's), with the subtypes and bill types the docs list for them."""
    async with OkxEmulator(seed=15, profile=ARCHIVE_PROFILE, listed_symbols=12, derivatives=True) as okx:
        okx.book.derivatives.trade_off_the_book()
        rows = [r for r in okx.book.derivatives.rows if r.bill["type"] in ("14", "24", "32")]
    fills_doc = json.loads((API_EXAMPLES / "okx" / "fills_history.docs.json").read_text())["response"]
    bills_doc = json.loads((DOCUMENTED / "bills_archive.docs.json").read_text())["response"]
    assert shape_differences(fills_doc, {"code": "0", "msg": "", "data": [r.fill for r in rows]}) == []
    assert shape_differences(bills_doc, {"code": "0", "msg": "", "data": [r.bill for r in rows]}) == []
    documented = {"14": set(map(str, range(204, 210))), "24": set(map(str, range(270, 276)))}
    documented["32"] = set(map(str, range(324, 330)))
    assert len(rows) == 6 and all(r.bill["subType"] in documented[r.bill["type"]] for r in rows)
    assert all(r.fill is not None and r.fill["subType"] == r.bill["subType"] for r in rows)
    # "ordId: Order ID, always "" for block trading"
    assert [r.fill["ordId"] for r in rows if r.fill is not None and r.bill["type"] == "14"] == ["", ""]


DOCUMENTED = Path(__file__).resolve().parent / "conformance" / "documented" / "okx"
ARCHIVE_PROFILE = AccountProfile(years=0.2, traded_markets=3, trades=20, deposits=3, withdrawals=1, converts=1)
FAST = OkxLimits(rules={}, default_rule=(100_000, 1_000))


async def _futures(client: Any, cursors: dict[str, Cursor]) -> list[NormalizedRecord]:
    """One sync of the futures trades (fills and the bills of what they realized) from 300 days back."""
    return await _walk(client, Endpoint.FUTURES_TRADES, cursors)


async def _walk(client: Any, endpoint: Endpoint, cursors: dict[str, Cursor]) -> list[NormalizedRecord]:
    """One sync of an endpoint from 300 days back."""
    records: list[NormalizedRecord] = []
    fetcher = fetcher_for(get_profile("okx"), client)
    since, until = datetime.now(UTC) - timedelta(days=300), datetime.now(UTC)
    async for page in fetcher.fetch(endpoint, since=since, until=until, cursors=dict(cursors), report=FetchReport()):
        cursors[page.market] = json.loads(json.dumps(page.cursor))
        records.extend(page.records)
    return records
