"""KuCoin futures fills reach three months back (docs-new futures Get Trade History: "The data is retained in the
system for up to three months"), a reach the profile states on its FUTURES_TRADES spec, not the fetcher: the fills'
walk starts there and reports the range before it as a gap, while the ledger is read from the sync-from date (its
RealisedPNL lines keep the older profit and loss). Expected values are written by hand from the docs and the script.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from connectors.fetchers.base import FetchReport
from connectors.fetchers.kucoin import futures as kucoin_futures
from connectors.fetchers.kucoin.pacing import PoolPacer
from connectors.fetchers.windows import to_ms
from connectors.profiles import Endpoint, get_profile
from sandbox.exchanges.kucoin_futures import FuturesScript, KucoinFutures, Line
from sandbox.exchanges.protocol import Call

DAY_MS = 86_400_000


class RecordingClient:
    """Answers with the futures emulator's own handlers and keeps every request's parameters."""

    def __init__(self, script: FuturesScript) -> None:
        self.served = KucoinFutures(script)
        self.ledger_asked: list[dict[str, object]] = []
        self.fills_asked: list[dict[str, object]] = []

    def safe_currency_code(self, currency: str) -> str:
        return "BTC" if currency == "XBT" else currency

    @staticmethod
    def _call(params: dict[str, object]) -> Call:
        return Call({name: str(value) for name, value in params.items()}, None, to_ms(datetime.now(UTC)))

    async def utaPrivateGetAccountMode(self, params: dict[str, object]) -> dict[str, object]:
        return {"code": "200000", "data": {"selfAccountMode": "CLASSIC"}}  # docs-new "Get Account Mode"

    async def futuresPrivateGetTransactionHistory(self, params: dict[str, object]) -> dict[str, object]:
        self.ledger_asked.append(dict(params))
        return {"code": "200000", "data": self.served.ledger(self._call(params))}

    async def futuresPrivateGetFills(self, params: dict[str, object]) -> dict[str, object]:
        self.fills_asked.append(dict(params))
        return {"code": "200000", "data": self.served.fills(self._call(params))}


def test_the_profile_states_the_three_months_the_futures_fills_are_kept() -> None:
    spec = get_profile("kucoin").endpoint(Endpoint.FUTURES_TRADES)
    assert spec is not None and spec.lookback == timedelta(days=90)


async def test_fills_start_at_the_profiles_reach_with_a_gap_while_the_ledger_reads_from_the_sync_from_date() -> None:
    now = datetime.now(UTC)
    now_ms = to_ms(now)
    moved_in = Line(now_ms - 200 * DAY_MS, "TransferIn", Decimal(500), "USDT", "Transferred from Trading Account", 1)
    old_pnl = Line(now_ms - 150 * DAY_MS, "RealisedPNL", Decimal("12.5"), "USDT", "XBTUSDTM", 2)
    new_pnl = Line(now_ms - 10 * DAY_MS, "RealisedPNL", Decimal("-3.25"), "USDT", "XBTUSDTM", 3)
    client = RecordingClient(FuturesScript((), (moved_in, old_pnl, new_pnl)))
    futures = kucoin_futures.KucoinFutures(client, PoolPacer(), "kucoin", "KuCoin", date(2017, 9, 15))
    spec = get_profile("kucoin").endpoint(Endpoint.FUTURES_TRADES)
    assert spec is not None
    since = now - timedelta(days=200)
    report = FetchReport()
    amounts = [
        record.amount
        async for page in futures.fetch(spec, since=since, until=now, cursors={}, report=report)
        for record in page.records
    ]
    after_ms = to_ms(datetime.now(UTC))

    # The ledger: both RealisedPNL lines, the one from 150 days ago too, asked from the sync-from date.
    assert amounts == [Decimal("-3.25"), Decimal("12.5")]
    assert {int(str(p["startAt"])) for p in client.ledger_asked} == {to_ms(since)}
    # The fills: from the reach (90 days back from the fetch's own clock, plus the hour's margin the walk keeps), a
    # week a request up to now: 90 days less an hour is 13 weeks begun; nothing before the reach is asked.
    starts = [int(str(p["startAt"])) for p in client.fills_asked]
    margin_ms = 3_600_000
    assert len(starts) == 13, starts
    assert now_ms - 90 * DAY_MS + margin_ms <= min(starts) <= after_ms - 90 * DAY_MS + margin_ms, starts
    assert [(gap.reason.id, gap.reason.args.get("days")) for gap in report.gaps] == [("sync.gap.lookback", 90)]
    assert report.gaps[0].start <= since + timedelta(seconds=1)
