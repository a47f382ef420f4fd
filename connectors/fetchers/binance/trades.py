"""Binance spot trades: find the markets a user traded, then page each one upward by trade id.

Binance has no query for "all my trades": `GET /api/v3/myTrades` needs a symbol, so Tallybot asks only the markets
the account's own records point at (connectors/fetchers/discovery.py): assets held now (`GET /api/v3/account`),
deposited, withdrawn, converted or paid as a reward (the wallet endpoints fetched earlier in the same sync by the
same fetcher), or seen in an earlier sync. A market with trades is always asked (1 request when nothing is new).

Cursors: market "" holds the evidence ({"assets": {"SOL": "deposits,withdrawals", …}}); each market
{"from_id": next trade id} or, while empty, {"from_id": 0, "balances": {"SOL": "0", "BTC": "0.5"}}.

What this cannot see: a coin bought and sold back in full without ever being deposited, withdrawn, converted or
rewarded (no record of the coin exists anywhere but in that market). The Binance profile's alert tells users so.
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
)
from connectors.fetchers.windows import EPOCH, call, to_ms
from connectors.profiles import Endpoint, EndpointSpec
from connectors.records import NormalizedRecord, RecordKind, exact, ms_to_utc, natural_key


class BinanceTrades:
    """`GET /api/v3/myTrades` per market, from {"from_id": n}; discovery state under market key ""."""

    def __init__(
        self,
        client: Any,
        spec: EndpointSpec,
        evidence: AssetEvidence,
        *,
        probe_budget: int = DEFAULT_PROBE_BUDGET,
    ) -> None:
        self.client = client
        self.spec = spec
        self.evidence = evidence
        self.probe_budget = probe_budget

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
        self, cursors: Mapping[str, Cursor], held: Mapping[str, Decimal], report: FetchReport
    ) -> list[tuple[SpotMarket, list[str]]]:
        """The markets to ask this sync, each with why (connectors/fetchers/discovery.py)."""
        listed = listed_spot_markets(self.client)
        return plan_markets(
            listed, self.evidence, cursors, held, report, exchange_name="Binance", probe_budget=self.probe_budget
        )

    # -- paging -----------------------------------------------------------------------------------------------

    async def fetch(
        self, *, since: datetime | None, until: datetime, cursors: Mapping[str, Cursor], report: FetchReport
    ) -> AsyncIterator[Page]:
        self.evidence.load((cursors.get("") or {}).get("assets", {}))
        held = await self.balances(report)
        self.evidence.note_all(held, "balance")
        plan = self.plan(cursors, held, report)
        # The evidence only grows: commit it before paging, so later syncs know what this one saw.
        yield Page(Endpoint.SPOT_TRADES, (), {"assets": self.evidence.dump()}, EPOCH, "")
        since_ms = to_ms(since) if since is not None else None
        until_ms = to_ms(until)
        for market, reasons in plan:
            report.markets_scanned.append(market.id)
            report.market_sources[market.id] = reasons
            snapshot = {a: format(held.get(a, Decimal(0)), "f") for a in (market.base_id, market.quote_id)}
            pages = self.market_pages(market, cursors.get(market.id), since_ms, until_ms, snapshot, report)
            async for page in pages:
                yield page

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
        side="buy" if row["isBuyer"] else "sell",
        quote_asset=market.quote,
        quote_amount=exact(row["quoteQty"]),
        price=exact(row["price"]),
        fee_asset=code(str(row["commissionAsset"])),
        fee_amount=exact(row["commission"]),
        raw=dict(row),
    )
