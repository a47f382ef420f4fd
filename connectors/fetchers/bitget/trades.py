"""Bitget spot fills with a normal key: find the markets a user traded, then walk each in 90-day windows.

`GET /api/v2/spot/trade/fills` needs a symbol, a range of at most 90 days and pages newest first with
`idLessThan=<tradeId>`. As on Binance there is no "all my trades" query, so the markets asked are those the
account's own records point at (see `connectors.fetchers.binance.trades`): coins in the spot account's asset list,
held now or with a zero balance (`GET /api/v2/spot/account/assets?assetType=all`); coins deposited, withdrawn,
converted or transferred (the wallet endpoints this fetcher walked earlier in the sync); coins seen by an earlier
sync (the evidence kept in the discovery cursor, market key "").
A first look at a market walks every 90-day window within the two-year reach (nine requests).

Cursors: market "" holds the evidence ({"assets": {"SOL": "deposits,withdrawals", …}}); each market the windowed
cursor of `windows.WindowWalk` plus {"traded": true} once a fill was found, or, after a complete walk that found
none, {"balances": {"SOL": "0", "USDT": "12.5"}}: such a market is asked again only when one of the two
balances changed since (a trade moves both).

Bitget's help pages say fills reach two years back; one version of its API docs says 90 days, and some accounts
see that. When Bitget refuses an older window as out of range (43111), the walk restarts 90 days back, the older
range is reported as a gap, and the other markets of the sync start there at once.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from connectors.diagnosis import error_facts
from connectors.fetchers.base import CoverageGap, Cursor, FetchReport, Page
from connectors.fetchers.binance.trades import AssetEvidence, SpotMarket
from connectors.fetchers.bitget.pages import BITGET_OPENED, Parsed, Route, id_page, note_gap
from connectors.fetchers.windows import (
    EPOCH,
    LOOKBACK_MARGIN_MS,
    WindowPage,
    WindowWalk,
    cursor_start,
    history_start,
    now_ms,
    span_ms,
    to_ms,
)
from connectors.profiles import Endpoint, EndpointSpec
from connectors.records import NormalizedRecord, RecordKind, exact, ms_to_utc, natural_key

FILLS = Route("privateSpotGetV2SpotTradeFills", "tradeId")
# Quote coins people pass through without leaving a deposit or withdrawal behind.
BRIDGE_QUOTES = frozenset({"USDT", "USDC", "BTC", "ETH", "BGB", "EUR"})
DEFAULT_PROBE_BUDGET = 100  # new markets probed per sync at most (nine requests each); the rest by the next sync
SHORT_REACH = timedelta(days=90)  # what some accounts get instead of two years
OUT_OF_RANGE = "43111"  # "param error time range illegal"

Balances = Callable[[FetchReport, Endpoint], Awaitable[Mapping[str, Decimal]]]


class _OutOfReach(Exception):
    def __init__(self, window_start: int) -> None:
        self.window_start = window_start
        super().__init__(window_start)


@dataclass(frozen=True, slots=True)
class _Probe:
    market: SpotMarket
    reasons: list[str]
    score: int


class BitgetTrades:
    """Spot fills per market; discovery state under market key ""."""

    def __init__(
        self,
        client: Any,
        spec: EndpointSpec,
        evidence: AssetEvidence,
        balances: Balances,
        *,
        probe_budget: int = DEFAULT_PROBE_BUDGET,
    ) -> None:
        self.client = client
        self.spec = spec
        self.evidence = evidence
        self.balances = balances
        self.probe_budget = probe_budget
        self.reach_ms: int | None = None  # learnt from a 43111: where Bitget's fills really begin

    # -- discovery --------------------------------------------------------------------------------------------

    def listed(self) -> dict[str, SpotMarket]:
        markets: dict[str, SpotMarket] = {}
        for market in (self.client.markets or {}).values():
            if market.get("spot"):
                markets[market["id"]] = SpotMarket(
                    market["id"], market["baseId"], market["quoteId"], market["symbol"], market["base"], market["quote"]
                )
        return markets

    def plan(
        self, cursors: Mapping[str, Cursor], held: Mapping[str, Decimal], report: FetchReport
    ) -> list[tuple[SpotMarket, list[str]]]:
        """The markets to ask this sync, each with why; candidates over the probe budget are reported."""
        listed = self.listed()
        known: list[tuple[SpotMarket, list[str]]] = []
        probes: list[_Probe] = []
        for market_id, cursor in cursors.items():
            if not market_id:
                continue
            market = listed.get(market_id)
            if market is None:
                report.markets_not_scanned[market_id] = "no longer listed by Bitget"
                continue
            snapshot = cursor.get("balances")
            if snapshot is None:
                why = "traded: continues from its cursor" if cursor.get("traded") else "first look unfinished"
                known.append((market, [why]))
                continue
            moved = [
                a for a in (market.base_id, market.quote_id) if held.get(a, Decimal(0)) != Decimal(snapshot.get(a, "0"))
            ]
            if moved:
                probes.append(_Probe(market, [f"probed empty before; {a} balance changed since" for a in moved], 100))
        for market_id, market in listed.items():
            if market_id not in cursors:
                probe = self._candidate(market)
                if probe is not None:
                    probes.append(probe)
        probes.sort(key=lambda p: (-p.score, p.market.id))
        for probe in probes[self.probe_budget :]:
            report.markets_not_scanned[probe.market.id] = (
                f"probe budget of {self.probe_budget} markets per sync reached; asked by the next sync"
            )
        return known + [(p.market, p.reasons) for p in probes[: self.probe_budget]]

    def _candidate(self, market: SpotMarket) -> _Probe | None:
        reasons: list[str] = []
        score = 0
        if market.base_id not in self.evidence and market.quote_id not in self.evidence:
            return None
        for asset in (market.base_id, market.quote_id):
            if asset in self.evidence:
                reasons.append(self.evidence.why(asset))
                score += 1 + len(self.evidence.sources[asset])
            elif asset in BRIDGE_QUOTES:
                reasons.append(f"{asset}: common quote currency")
            else:
                return None
        return _Probe(market, reasons, score)

    # -- paging -----------------------------------------------------------------------------------------------

    async def fetch(
        self, *, since: datetime | None, until: datetime, cursors: Mapping[str, Cursor], report: FetchReport
    ) -> AsyncIterator[Page]:
        self.evidence.load((cursors.get("") or {}).get("assets", {}))
        held = await self.balances(report, Endpoint.SPOT_TRADES)
        self.evidence.note_all((coin for coin, total in held.items() if total), "balance")
        self.evidence.note_all((coin for coin, total in held.items() if not total), "held before (zero balance now)")
        plan = self.plan(cursors, held, report)
        # The evidence only grows: commit it before paging, so later syncs know what this one saw.
        yield Page(Endpoint.SPOT_TRADES, (), {"assets": self.evidence.dump()}, EPOCH, "")
        for market, reasons in plan:
            report.markets_scanned.append(market.id)
            report.market_sources[market.id] = reasons
            snapshot = {a: format(held.get(a, Decimal(0)), "f") for a in (market.base_id, market.quote_id)}
            async for page in self.market_pages(market, cursors.get(market.id), since, until, snapshot, report):
                yield page

    async def market_pages(
        self,
        market: SpotMarket,
        cursor: Cursor | None,
        since: datetime | None,
        until: datetime,
        snapshot: Mapping[str, str],
        report: FetchReport,
    ) -> AsyncIterator[Page]:
        spec = self.spec
        if spec.window is None:
            raise ValueError("Bitget spot trades need a window in the profile")
        requested = cursor_start(cursor)
        if requested is None and since is not None:
            requested = to_ms(since)
        start = history_start(spec, requested_ms=requested, exchange_name="Bitget", opened=BITGET_OPENED)
        start_ms = start.ms
        if start.gap is not None:
            note_gap(report, start.gap)
        if self.reach_ms is not None and start_ms < self.reach_ms:
            note_gap(report, self._short_reach_gap(start_ms, self.reach_ms))
            start_ms, cursor = self.reach_ms, None
        until_ms = to_ms(until)
        traded = bool((cursor or {}).get("traded"))

        async def page(window_start: int, window_end: int, token: Any) -> WindowPage:
            try:
                return await id_page(
                    self.client, spec, report, FILLS, self._parse(market), window_start, window_end, token,
                    extra={"symbol": market.id}, market=market.id,
                )  # fmt: skip
            except Exception as error:
                if error_facts(error).code == OUT_OF_RANGE and window_start < now_ms() - span_ms(SHORT_REACH):
                    raise _OutOfReach(window_start) from None
                raise

        while True:
            walk = WindowWalk(Endpoint.SPOT_TRADES, span_ms(spec.window), page, market.id)
            try:
                async for item in walk.pages(start_ms=start_ms, until_ms=until_ms, cursor=cursor):
                    traded = traded or bool(item.records)
                    stored = dict(item.cursor)
                    if traded:
                        stored["traded"] = True
                    elif to_ms(item.covered_until) >= until_ms:
                        stored["balances"] = dict(snapshot)  # looked everywhere, found nothing
                    yield replace(item, cursor=stored)
                return
            except _OutOfReach as refused:
                self.reach_ms = now_ms() - span_ms(SHORT_REACH) + LOOKBACK_MARGIN_MS
                note_gap(report, self._short_reach_gap(refused.window_start, self.reach_ms))
                start_ms, cursor = self.reach_ms, None

    def _short_reach_gap(self, start_ms: int, end_ms: int) -> CoverageGap:
        return CoverageGap(
            Endpoint.SPOT_TRADES,
            ms_to_utc(start_ms),
            ms_to_utc(end_ms),
            f"Bitget only returned the last {SHORT_REACH.days} days of spot trades for this account; "
            "add older history by file upload (or connect a Tax API key, whose records reach further).",
        )

    def _parse(self, market: SpotMarket) -> Callable[[Mapping[str, Any]], Parsed]:
        def parse(row: Mapping[str, Any]) -> Parsed:
            return fill_record(market, row, self.client.safe_currency_code), None

        return parse


def fill_record(market: SpotMarket, row: Mapping[str, Any], code: Callable[[str], str]) -> NormalizedRecord:
    trade_id = str(row["tradeId"])
    fee = row.get("feeDetail") or {}
    fee_coin, total_fee = fee.get("feeCoin"), fee.get("totalFee")
    return NormalizedRecord(
        kind=RecordKind.TRADE,
        occurred_at=ms_to_utc(row["cTime"]),
        # Bitget's trade ids are per symbol, as Binance's are: the key carries the market.
        natural_key=natural_key(RecordKind.TRADE, f"{market.id}:{trade_id}"),
        asset=market.base,
        amount=exact(row["size"]),
        exchange_tx_id=trade_id,
        market=market.symbol,
        side=str(row["side"]).lower(),
        quote_asset=market.quote,
        quote_amount=exact(row["amount"]),
        price=exact(row["priceAvg"]),
        # Bitget signs fees as balance changes: negative when charged.
        fee_asset=code(str(fee_coin)) if fee_coin else None,
        fee_amount=0 - exact(total_fee) if total_fee not in (None, "") else None,
        raw=dict(row),
    )
