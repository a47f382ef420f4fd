"""Reconciliation drives discovery: a quote scan for an account whose quote balance the history does not explain.

On exchanges whose trades are asked market by market (Binance), a coin bought with USDT and sold back in full, never
deposited or withdrawn, leaves no evidence of its market: its trades are missed, and what shows is a USDT balance
the history does not explain (cause `quote_markets`; on an account with a sync-from date `before_sync_from`, marked
`quote` while that quote is not scanned: `scans`). A quote scan then asks every listed market of that quote once
(connectors/fetchers/binance/trades.py), in a sync of spot (and margin) trades only, and reconciles again.

Margin markets too, where the account syncs margin trades: the scan's sync runs them beside spot trades, and Binance's
margin fetcher probes every listed market of the quote open to margin (`isMarginTradingAllowed`) that its evidence did
not name, in cross margin (connectors/fetchers/binance/margin.py). `GET /sapi/v1/margin/myTrades` takes one `symbol`
(mandatory), `isIsolated`, and `fromId`, weight 10 from the `/sapi` IP budget
(developers.binance.com/docs/margin_trading/trade/Query-Margin-Account-Trade-List): n margin pairs of a quote cost
10 n of that budget's 12,000 a minute. Isolated pairs are listed by the isolated account and always asked. A futures
market is not probed: the cause `reconcile.cause.quote_markets` says so. The margin probes keep their cursors but not
a list of their own: a scan cut short asks them all again at its next run (each from its cursor).

The scan's markets are kept in the spot-trades discovery cursor while it runs, and every market probed keeps its own
cursor: so its progress ("n of m") is read from the stored cursors, by any process, and a scan cut short resumes at
the next sync without asking again what it already asked.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from bot.reconcile.causes import Cause
from bot.reconcile.results import AccountReconciliation, AssetBalance
from bot.sync.results import SyncResult
from bot.sync.service import SyncService
from connectors.fetchers.discovery import QUOTE_SCAN_EXCHANGES
from connectors.profiles import Endpoint
from db.engine import Database
from db.repositories.sync import SyncRepository


class ReconcileLike(Protocol):
    """What a scan needs of ReconcileService (which imports this module: named by its shape, not its class)."""

    async def after_sync(self, telegram_user_id: int, integration_id: int) -> AccountReconciliation | None: ...


@dataclass(frozen=True, slots=True)
class ScanProgress:
    quote: str
    done: int  # markets of the scan probed so far
    total: int


def scans(balance: AssetBalance) -> bool:
    """Whether this difference asks for a scan of its asset's markets: markets not found (QUOTE_MARKETS), or a quote
    not scanned yet whose difference is put down to the sync-from date (causes.py marks it `quote`). A market traded
    and emptied after that date is inside the range the user chose, and only a scan finds it: it probes from that
    date (the scan's sync keeps only trades from it, as every sync of the account does)."""
    if balance.cause == Cause.QUOTE_MARKETS:
        return True
    return balance.cause == Cause.BEFORE_SYNC_FROM and bool((balance.cause_args or {}).get("quote"))


def quotes_to_scan(result: AccountReconciliation, ccxt_id: str) -> frozenset[str]:
    """The quotes whose unexplained balance points at markets not found, where a scan can find them."""
    if ccxt_id not in QUOTE_SCAN_EXCHANGES:
        return frozenset()
    return frozenset(b.asset for b in result.differences if scans(b))


async def scanned_quotes(database: Database, integration_id: int) -> frozenset[str]:
    """The quotes whose scan ran to its end (once is enough: what it asked keeps its cursor)."""
    async with database.reader() as session:
        states = await SyncRepository(session).endpoint_states(integration_id)
    opened = next((s.cursor for s in states if s.endpoint == str(Endpoint.SPOT_TRADES) and s.market == ""), None)
    return frozenset((opened or {}).get("scanned") or ())


async def scan_progress(database: Database, integration_id: int) -> dict[str, ScanProgress]:
    """The quote scan running (or cut short) for this account, per quote; empty when none is."""
    async with database.reader() as session:
        states = await SyncRepository(session).endpoint_states(integration_id)
    trades = {s.market: s.cursor for s in states if s.endpoint == str(Endpoint.SPOT_TRADES)}
    scan: Mapping[str, list[str]] = (trades.get("") or {}).get("scan") or {}
    return {
        quote: ScanProgress(quote, sum(1 for m in ids if trades.get(m) is not None), len(ids))
        for quote, ids in scan.items()
    }


def with_progress(result: AccountReconciliation, progress: Mapping[str, ScanProgress]) -> AccountReconciliation:
    """The reconciliation as /status says it while a scan runs: "scanning USDT markets (n of m)"."""
    if not progress:
        return result
    balances = []
    for balance in result.balances:
        found = progress.get(balance.asset)
        if found is not None and scans(balance):
            args = {"asset": balance.asset, "done": found.done, "total": found.total}
            balance = AssetBalance(balance.asset, balance.reported, balance.explained, str(Cause.QUOTE_SCANNING), args)
        balances.append(balance)
    return dataclasses.replace(result, balances=tuple(balances))


@dataclass(frozen=True, slots=True)
class ScanOutcome:
    sync: SyncResult
    reconciliation: AccountReconciliation | None
    markets: int  # markets the scan asked (spot, and cross margin where synced)


class QuoteScan:
    """Runs a quote scan of one account and reconciles again. Usable from handlers, the CLI and tests."""

    def __init__(self, sync: SyncService, reconciler: ReconcileLike) -> None:
        self.sync = sync
        self.reconciler = reconciler

    async def wanted(self, integration_id: int, quotes: frozenset[str]) -> frozenset[str]:
        """Of these quotes, those not scanned to the end before: a quote still unexplained after its scan (trades in
        a market since delisted, say) is not scanned at every sync."""
        return quotes - await scanned_quotes(self.sync.database, integration_id)

    async def run(self, telegram_user_id: int, integration_id: int, quotes: frozenset[str]) -> ScanOutcome:
        """Raises what SyncService.run raises (SyncAlreadyRunning: another sync holds the account)."""
        database = self.sync.database
        result = await self.sync.run(telegram_user_id, integration_id, scan_quotes=quotes)
        # The scan's list of markets is gone once it ended; what it asked is in the run's reports (a market asked in
        # spot and in cross margin counts twice: two lists asked).
        scanned = (Endpoint.SPOT_TRADES, Endpoint.MARGIN_TRADES)
        markets = sum(len(e.markets_scanned) for e in result.endpoints if e.endpoint in scanned)
        left = await scan_progress(database, integration_id)
        reconciliation = await self.reconciler.after_sync(telegram_user_id, integration_id)
        if reconciliation is not None:
            reconciliation = with_progress(reconciliation, left)
        return ScanOutcome(result, reconciliation, markets)
