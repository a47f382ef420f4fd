"""How Coinbase's Advanced Trade fills are read (docs/exchange-apis/coinbase.md, "historical/fills"): only a regular
fill (`trade_type` FILL) is a trade, an adjusted one (REVERSAL, CORRECTION, SYNTHETIC) ends the sync partial with the
reason; a fill posted late (its `sequence_timestamp` long after its `trade_time`) is still found by the next sync;
the mark is floored to the millisecond and asked again from 1 ms before it, so a fill posted later in the same
millisecond is not skipped; a fill sized in the quote currency keeps that size exactly and says its base is derived.
Expected values are written by hand from the payloads."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import ccxt.async_support as ccxt

from bot.context import SERVICES_KEY, Services
from connectors.fetchers.base import Cursor, FetchReport
from connectors.fetchers.coinbase import CoinbaseFetcher
from connectors.fetchers.coinbase.rows import rfc3339_ms
from connectors.profiles import Endpoint, get_profile
from connectors.records import NormalizedRecord
from i18n import render
from sandbox.botapi import BotApiEmulator
from sandbox.exchanges import AccountProfile, CoinbaseEmulator
from tests.assistant_story import Walker
from tests.bot_harness import running_bot, settings_for
from tests.test_coinbase_fetch import FAST, PROFILE, fetcher_for, sync
from tests.test_coinbase_sync_e2e import connect_in_the_assistant

FILLS_METHOD = "v3PrivateGetBrokerageOrdersHistoricalFills"


def at_ms(ms: int) -> datetime:
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=ms)


def fill_row(entry_id: str, sequenced: str, **changes: Any) -> dict[str, Any]:
    """The documented fill (historical_fills.docs.json) with its ids and posting time changed."""
    row: dict[str, Any] = {
        "entry_id": entry_id,
        "trade_id": f"trade-{entry_id}",
        "order_id": "0000-000000-000000",
        "trade_time": "2021-05-31T09:59:59Z",
        "trade_type": "FILL",
        "price": "10000.00",
        "size": "0.001",
        "commission": "1.25",
        "product_id": "BTC-USD",
        "sequence_timestamp": sequenced,
        "liquidity_indicator": "UNKNOWN_LIQUIDITY_INDICATOR",
        "size_in_quote": False,
        "user_id": "3333-333333-3333333",
        "side": "BUY",
        "retail_portfolio_id": "4444-444444-4444444",
    }
    return {**row, **changes}


class FillsClient:
    """Lists its fills as Coinbase would: those posted between the start and end asked for, at full precision."""

    def __init__(self, fills: list[dict[str, Any]]) -> None:
        self.fills = fills
        self.asked: list[dict[str, Any]] = []
        self.rules = ccxt.coinbase()  # no network: only its currency and market-id rules are used

    def safe_currency_code(self, code: str) -> str:
        return str(self.rules.safe_currency_code(code))

    def safe_market(self, *args: Any) -> Any:
        return self.rules.safe_market(*args)

    def __getattr__(self, name: str) -> Any:
        if name != FILLS_METHOD:
            raise AssertionError(f"the fetcher called {name}")

        async def answer(params: dict[str, Any]) -> Any:
            self.asked.append(params)
            start, end = params.get("start_sequence_timestamp"), params["end_sequence_timestamp"]

            def posted(row: dict[str, Any]) -> datetime:
                return datetime.fromisoformat(str(row["sequence_timestamp"]).replace("Z", "+00:00"))

            low = datetime.fromisoformat(start.replace("Z", "+00:00")) if start else None
            high = datetime.fromisoformat(end.replace("Z", "+00:00"))
            chosen = [row for row in self.fills if (low is None or posted(row) >= low) and posted(row) <= high]
            return {"fills": chosen, "cursor": ""}

        return answer


async def read_fills(client: FillsClient, cursor: Cursor | None, until: str) -> tuple[list[NormalizedRecord], Cursor]:
    fetcher = CoinbaseFetcher(get_profile("coinbase"), client)
    records: list[NormalizedRecord] = []
    stored: Cursor = cursor or {}
    end = datetime.fromisoformat(until)
    cursors = {"": cursor} if cursor else {}
    async for page in fetcher.fetch(Endpoint.SPOT_TRADES, since=None, until=end, cursors=cursors, report=FetchReport()):
        records += page.records
        stored = page.cursor
    return records, stored


def test_a_sub_millisecond_time_is_floored_to_its_millisecond() -> None:
    # 2023-01-18T00:00:00Z is 1674000000 s; 01:37:38 adds 5858 s; .0919 s is millisecond 91, not 92.
    assert rfc3339_ms("2023-01-18T01:37:38.0919Z") == 1_674_005_858_091
    assert rfc3339_ms("2023-01-18T01:37:38.091999999Z") == 1_674_005_858_091


async def test_a_fill_posted_later_in_the_same_millisecond_as_the_mark_is_found_by_the_next_sync() -> None:
    first = fill_row("a", "2023-01-18T01:37:38.091900Z")
    client = FillsClient([first])
    try:
        taken, cursor = await read_fills(client, None, "2023-01-18T02:00:00+00:00")
        # Posted 60 microseconds after the first, still inside millisecond 091: after the first sync read it.
        client.fills = [fill_row("b", "2023-01-18T01:37:38.091960Z"), first]
        again, cursor = await read_fills(client, cursor, "2023-01-18T03:00:00+00:00")
        last, _ = await read_fills(client, cursor, "2023-01-18T04:00:00+00:00")
    finally:
        await client.rules.close()
    assert [r.natural_key for r in taken] == ["trade:a"]
    assert client.asked[1]["start_sequence_timestamp"] == "2023-01-18T01:37:38.090Z"  # the mark, 091, minus 1 ms
    assert [r.exchange_tx_id for r in again] == ["trade-b"]
    assert last == []


async def test_a_fill_sized_in_the_quote_keeps_the_quote_exactly_and_says_its_base_is_derived() -> None:
    even = fill_row("q1", "2021-05-31T09:58:59Z", size="10.00", commission="0.06", size_in_quote=True)
    # 100 USD at 30000: the base is 1/300 BTC, a quotient with no end, given to Decimal's 28 digits.
    endless = fill_row("q2", "2021-05-31T09:58:58Z", size="100", price="30000", size_in_quote=True)
    client = FillsClient([even, endless])
    try:
        records, _ = await read_fills(client, None, "2021-06-01T00:00:00+00:00")
    finally:
        await client.rules.close()
    by_id = {r.exchange_tx_id: r for r in records}
    one, two = by_id["trade-q1"], by_id["trade-q2"]
    assert (one.amount, one.quote_amount, one.price, one.fee_amount) == (
        Decimal("0.001"),
        Decimal("10.00"),
        Decimal("10000.00"),
        Decimal("0.06"),
    )
    assert (two.amount, two.quote_amount) == (Decimal("0.00" + "3" * 28), Decimal("100"))
    assert one.raw["tallybot_derived"] == two.raw["tallybot_derived"] == {"amount": "size/price"}
    assert one.raw["size"] == "10.00"  # Coinbase's own row is kept as it came
    # A fill sized in the base states every amount: nothing is marked derived.
    plain = FillsClient([fill_row("p", "2021-05-31T09:58:59Z")])
    try:
        (base_sized,), _ = await read_fills(plain, None, "2021-06-01T00:00:00+00:00")
    finally:
        await plain.rules.close()
    assert base_sized.amount == Decimal("0.001") and "tallybot_derived" not in base_sized.raw


async def test_an_adjusted_fill_is_not_a_trade_and_the_sync_names_it() -> None:
    async with (
        CoinbaseEmulator(seed=33, profile=PROFILE, listed_symbols=20, limits=FAST) as emulator,
        fetcher_for(emulator) as fetcher,
    ):
        adjusted = emulator.account.trades[0]
        posted = emulator.clock.now_ms() - 3_600_000
        reversal = emulator.book.add_fill(adjusted, posted, trade_type="REVERSAL")
        report = FetchReport()
        records: list[NormalizedRecord] = []
        until = datetime.now(UTC)
        async for page in fetcher.fetch(Endpoint.SPOT_TRADES, since=None, until=until, cursors={}, report=report):
            records += page.records
    trades = emulator.account.trades
    assert sorted(r.natural_key for r in records) == sorted(f"trade:{t.id}-{t.order_id[:8]}" for t in trades)
    assert f"trade:{reversal}" not in {r.natural_key for r in records}
    [gap] = report.gaps
    when = at_ms(adjusted.timestamp)
    assert (gap.endpoint, gap.start, gap.end) == (Endpoint.SPOT_TRADES, when, when)
    reason = render(gap.reason)
    assert "REVERSAL" in reason and adjusted.id in reason and adjusted.symbol in reason


async def test_a_fill_posted_long_after_its_trade_time_is_taken_by_the_next_sync() -> None:
    async with (
        CoinbaseEmulator(seed=34, profile=PROFILE, listed_symbols=20, limits=FAST) as emulator,
        fetcher_for(emulator) as fetcher,
    ):
        cursors: dict[Endpoint, Cursor] = {}
        first = await sync(fetcher, Endpoint.SPOT_TRADES, cursors)
        newest_posted = emulator.book.fills[0].sequence_ms
        traded = emulator.clock.now_ms() - 2 * 86_400_000  # two days ago: before every fill the first sync took
        late = replace(emulator.account.trades[0], id="late-trade-1", order_id="late-order-1", timestamp=traded)
        emulator.book.add_fill(late, newest_posted + 500)  # posted after the newest fill the first sync took
        assert newest_posted + 500 < emulator.clock.now_ms()
        second = await sync(fetcher, Endpoint.SPOT_TRADES, cursors)
        third = await sync(fetcher, Endpoint.SPOT_TRADES, cursors)
    assert len(first) == len(emulator.account.trades)
    assert [(r.exchange_tx_id, r.occurred_at) for r in second] == [("late-trade-1", at_ms(traded))]
    assert third == []


async def test_a_sync_meeting_an_adjusted_fill_says_so_and_is_partial(telegram: BotApiEmulator, tmp_path: Path) -> None:
    small = AccountProfile(years=0.5, traded_markets=2, trades=12, deposits=2, withdrawals=1, converts=1, rewards=1)
    async with CoinbaseEmulator(seed=35, profile=small, listed_symbols=10) as coinbase:
        corrected = coinbase.account.trades[0]
        coinbase.book.add_fill(corrected, coinbase.clock.now_ms() - 600_000, trade_type="CORRECTION")
        ada = Walker(telegram, telegram.add_user(user_id=1003, first_name="Ada", started=True))
        key = coinbase.create_demo_keys().read_only
        settings = settings_for(telegram, tmp_path, exchange_url_overrides={"coinbase": coinbase.base_url})
        async with running_bot(settings) as app:
            services: Services = app.bot_data[SERVICES_KEY]
            assert services is not None
            await connect_in_the_assistant(ada, key.api_key, key.secret)
            summary = (await ada.sync_now(timeout=120)).text or ""
    assert "Coinbase adjusted a trade" in summary, summary
    assert f"CORRECTION of trade {corrected.id}" in summary
