"""Binance spot trades: find the markets a user traded, then page each one upward by trade id.

Binance has no query for "all my trades": `GET /api/v3/myTrades` needs a symbol, so Tallybot asks only the markets
the account's own records point at (connectors/fetchers/discovery.py): assets held now (`GET /api/v3/account`),
deposited, withdrawn, converted or paid as a reward (the wallet endpoints fetched earlier in the same sync by the
same fetcher), or seen in an earlier sync. A market with trades is always asked (1 request when nothing is new).

Cursors: market "" holds the evidence ({"assets": {"SOL": "deposits,withdrawals", …}}), the quotes scanned to the end
({"scanned": ["USDT"]}) and, while a quote scan runs, its markets ({"scan": {"USDT": ["AAVEUSDT", …]}}); each
market {"from_id": next trade id} or, while empty, {"from_id": 0, "balances": {"SOL": "0", "BTC": "0.5"}} (a
scanned market keeps only its base).

What evidence cannot see: a coin bought and sold back in full without ever being deposited, withdrawn, converted or
rewarded (no record of the coin exists anywhere but in that market). Reconciliation notices the quote's balance
is unexplained and asks for a quote scan (`scan_quotes`): every listed market of that quote is probed once, paced by
ccxt on the shared `/api` weight (myTrades 20 of 6,000 a minute). The scan is written into the discovery cursor
before its first probe and taken out after its last, so a sync cut short in between (killed, rate limited) resumes
it at the next sync, asking only the markets not probed yet.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from connectors.fetchers.base import Cursor, FetchReport, Page
from connectors.fetchers.discovery import (
    DEFAULT_PROBE_BUDGET,
    AssetEvidence,
    SpotMarket,
    listed_spot_markets,
    plan_markets,
    quote_markets,
)
from connectors.fetchers.windows import EPOCH, call, to_ms
from connectors.profiles import Endpoint, EndpointSpec
from connectors.profiles.catalog.binance import NAME
from connectors.records import NormalizedRecord, RecordKind, Side, exact, ms_to_utc, natural_key


class BinanceTrades:
    """`GET /api/v3/myTrades` per market, from {"from_id": n}; discovery state under market key ""."""

    def __init__(
        self,
        client: Any,
        spec: EndpointSpec,
        evidence: AssetEvidence,
        *,
        probe_budget: int = DEFAULT_PROBE_BUDGET,
        scan_quotes: frozenset[str] = frozenset(),
    ) -> None:
        self.client = client
        self.spec = spec
        self.evidence = evidence
        self.probe_budget = probe_budget
        self.scan_quotes = scan_quotes

    # -- discovery --------------------------------------------------------------------------------------------

    async def balances(self, report: FetchReport) -> dict[str, Decimal]:
        """Assets held now (free + locked > 0), from the raw strings."""
        body = await call(
            self.client,
            "privateGetAccount",
            {"omitZeroBalances": "true"},
            endpoint=Endpoint.SPOT_TRADES,
            report=report,
        )
        held: dict[str, Decimal] = {}
        for row in body.get("balances", []):
            total = exact(row.get("free", "0")) + exact(row.get("locked", "0"))
            if total > 0:
                held[str(row["asset"])] = total
        return held

    def plan(
        self,
        cursors: Mapping[str, Cursor],
        held: Mapping[str, Decimal],
        report: FetchReport,
        scan: Mapping[str, list[str]] | None = None,
    ) -> list[tuple[SpotMarket, list[str]]]:
        """The markets to ask this sync, each with why (connectors/fetchers/discovery.py)."""
        listed = listed_spot_markets(self.client)
        return plan_markets(
            listed,
            self.evidence,
            cursors,
            held,
            report,
            exchange_name=NAME,
            probe_budget=self.probe_budget,
            scan=scan,
        )

    def scan_of(self, stored: Cursor) -> dict[str, list[str]]:
        """The quote scan this sync runs: the one a cut-short sync left in the cursor, and the quotes asked now."""
        scan: dict[str, list[str]] = {str(q): list(ids) for q, ids in (stored.get("scan") or {}).items()}
        listed = listed_spot_markets(self.client) if self.scan_quotes - scan.keys() else {}
        for quote in sorted(self.scan_quotes - scan.keys()):
            scan[quote] = quote_markets(listed, quote)
        return scan

    # -- paging -----------------------------------------------------------------------------------------------

    async def fetch(
        self, *, since: datetime | None, until: datetime, cursors: Mapping[str, Cursor], report: FetchReport
    ) -> AsyncIterator[Page]:
        stored = cursors.get("") or {}
        self.evidence.load(stored.get("assets", {}))
        held = await self.balances(report)
        self.evidence.note_all(held, "balance")
        scan = self.scan_of(stored)
        plan = self.plan(cursors, held, report, scan)
        # The evidence only grows: commit it before paging, so later syncs know what this one saw; a scan is
        # committed with it, so that a sync cut short resumes it.
        scanned = sorted(stored.get("scanned") or ())
        opened: Cursor = {"assets": self.evidence.dump(), "scanned": scanned, **({"scan": scan} if scan else {})}
        yield Page(Endpoint.SPOT_TRADES, (), opened, EPOCH, "")
        since_ms = to_ms(since) if since is not None else None
        until_ms = to_ms(until)
        in_scan = {market_id for ids in scan.values() for market_id in ids}
        for market, reasons in plan:
            report.markets_scanned.append(market.id)
            report.market_sources[market.id] = reasons
            sides = (market.base_id,) if market.id in in_scan else (market.base_id, market.quote_id)
            snapshot = {a: format(held.get(a, Decimal(0)), "f") for a in sides}
            pages = self.market_pages(market, cursors.get(market.id), since_ms, until_ms, snapshot, report)
            async for page in pages:
                yield page
        if scan:
            # Every market of the scan asked: it is over, and its quotes are not scanned again.
            done = sorted(set(scanned) | scan.keys())
            yield Page(Endpoint.SPOT_TRADES, (), {"assets": self.evidence.dump(), "scanned": done}, EPOCH, "")

    async def market_pages(
        self,
        market: SpotMarket,
        cursor: Cursor | None,
        since_ms: int | None,
        until_ms: int,
        snapshot: Mapping[str, str],
        report: FetchReport,
    ) -> AsyncIterator[Page]:
        """Pages of one market from its cursor. A market still without trades keeps the balances of its two
        assets at this sync's start in its cursor: the evidence for re-asking it later."""
        from_id = int((cursor or {}).get("from_id", 0))
        size = self.spec.page_size
        while True:
            rows = await call(
                self.client,
                "privateGetMyTrades",
                {"symbol": market.id, "fromId": from_id, "limit": size},
                endpoint=Endpoint.SPOT_TRADES,
                report=report,
                market=market.id,
            )
            records: list[NormalizedRecord] = []
            next_from, beyond = from_id, False
            for row in rows:
                when = int(row["time"])
                if when > until_ms:
                    beyond = True  # left for the next sync: the cursor stays before it
                    break
                next_from = int(row["id"]) + 1
                if since_ms is None or when >= since_ms:
                    records.append(trade_record(market, row, self.client.safe_currency_code))
            done = beyond or len(rows) < size
            covered = until_ms if done else int(rows[-1]["time"])
            stored: Cursor = {"from_id": next_from} if next_from > 0 else {"from_id": 0, "balances": dict(snapshot)}
            yield Page(Endpoint.SPOT_TRADES, tuple(records), stored, ms_to_utc(covered), market.id)
            if done:
                return
            from_id = next_from


def trade_record(market: SpotMarket, row: Mapping[str, Any], code: Callable[[str], str]) -> NormalizedRecord:
    trade_id = str(row["id"])
    return NormalizedRecord(
        kind=RecordKind.TRADE,
        occurred_at=ms_to_utc(row["time"]),
        # Binance numbers trades per symbol: the same id exists in other markets.
        natural_key=natural_key(RecordKind.TRADE, f"{market.id}:{trade_id}"),
        asset=market.base,
        amount=exact(row["qty"]),
        exchange_tx_id=trade_id,
        market=market.symbol,
        side=Side.BUY if row["isBuyer"] else Side.SELL,
        quote_asset=market.quote,
        quote_amount=exact(row["quoteQty"]),
        price=exact(row["price"]),
        fee_asset=code(str(row["commissionAsset"])),
        fee_amount=exact(row["commission"]),
        raw=dict(row),
    )
