"""Binance (binance.com): spot trades per discovered market, and the windowed wallet history.

Use one `BinanceFetcher` per sync and fetch the wallet endpoints before spot trades (`registry.sync_order`): the
assets they mention are the evidence market discovery works from. That evidence is kept in the spot-trades
discovery cursor (market key ""), so later syncs still know every asset earlier ones saw; what an interrupted
sync stored before reaching spot trades, the caller hands over with `learn_assets` (distinct assets of the
integration's stored records).

The four wallet endpoints each draw on their own `/sapi` budget (budgets.py) and none needs another's records, so a
sync may run them at the same time (`concurrent_endpoints`); spot trades come after them, as discovery needs them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Mapping
from datetime import date, datetime
from typing import Any

from connectors.clients import shared_by_exchange
from connectors.fetchers.base import Cursor, FetchReport, Page, served_spec
from connectors.fetchers.binance.auto_invest import AutoInvestRows
from connectors.fetchers.binance.budgets import IP_WEIGHT_PER_MINUTE, UID_WEIGHT_PER_MINUTE, SapiPacing
from connectors.fetchers.binance.eth_staking import EthStakingRows
from connectors.fetchers.binance.futures import BinanceFutures
from connectors.fetchers.binance.loan_rows import LoanRows
from connectors.fetchers.binance.loans import BinanceCryptoLoans
from connectors.fetchers.binance.margin import BinanceMargin
from connectors.fetchers.binance.rebates import BinanceRebates
from connectors.fetchers.binance.sapi_lists import SapiLists
from connectors.fetchers.binance.simple_earn import BinanceSimpleEarn
from connectors.fetchers.binance.subaccounts import BinanceSubAccountMoves
from connectors.fetchers.binance.trades import BinanceTrades
from connectors.fetchers.binance.transfers import BinanceTransfers
from connectors.fetchers.binance.wallet import BinanceWallet
from connectors.fetchers.binance.wallet_kinds import KIND_ENDPOINTS, BinanceWalletKinds
from connectors.fetchers.discovery import DEFAULT_PROBE_BUDGET, AssetEvidence, Evidence
from connectors.profiles import Endpoint, ExchangeProfile

# Binance opened in July 2017: where a walk starts for endpoints whose profile gives no earlier limit.
BINANCE_OPENED = date(2017, 7, 14)
# Binance opened margin trading in July 2019 ("Binance Launches Margin Trading", 2019-07-11): no loan is older.
MARGIN_OPENED = date(2019, 7, 11)
WALLET_ENDPOINTS = frozenset({Endpoint.DEPOSITS, Endpoint.WITHDRAWALS, Endpoint.CONVERT, Endpoint.EARN_REWARDS})
# Futures and margin (futures.py, margin.py): fetched one after the other, as each needs what the one before saw.
DERIVATIVES = frozenset({Endpoint.FUTURES_TRADES, Endpoint.FUNDING, Endpoint.MARGIN_TRADES, Endpoint.MARGIN_LOANS})
# Transfers (transfers.py) run with the wallet endpoints, a stage before margin trades, which take the coins moved
# into cross margin as evidence.
SUPPORTED = WALLET_ENDPOINTS | KIND_ENDPOINTS | DERIVATIVES | {Endpoint.SPOT_TRADES, Endpoint.TRANSFERS}
SUPPORTED |= {Endpoint.CRYPTO_LOANS}  # loans.py: no margin account needed, each list paced on its own IP budget

__all__ = ["BINANCE_OPENED", "AssetEvidence", "BinanceFetcher", "SapiPacing"]


class BinanceFetcher:
    """Fetches Binance history through ccxt's implicit API methods, reading Binance's raw strings."""

    def __init__(
        self,
        profile: ExchangeProfile,
        client: Any,
        *,
        key_type: str | None = None,
        probe_budget: int = DEFAULT_PROBE_BUDGET,
        uid_weight_per_minute: int = UID_WEIGHT_PER_MINUTE,
        ip_weight_per_minute: int = IP_WEIGHT_PER_MINUTE,
        max_pause: float = 65.0,
        scan_quotes: frozenset[str] = frozenset(),
    ) -> None:
        """`scan_quotes`: quotes (ccxt codes) whose every listed market this sync probes (trades.py)."""
        self.profile = profile
        self.client = client
        self.key_type = key_type
        self.evidence = AssetEvidence()
        self.pacing = SapiPacing(
            shared_by_exchange(client),
            uid_weight_per_minute=uid_weight_per_minute,
            ip_weight_per_minute=ip_weight_per_minute,
            max_pause=max_pause,
        )
        self.wallet = BinanceWallet(client, self.evidence, self.pacing, opened=BINANCE_OPENED)
        self.wallet_kinds = BinanceWalletKinds(client, self.evidence, self.pacing, profile.name)
        kinds = self.wallet_kinds
        self.simple_earn = BinanceSimpleEarn(kinds.request, kinds.code, self.evidence.note, profile.name)
        # Auto-Invest purchases follow the convert history, ETH staking the reward lists (sapi_lists.py).
        auto_invest = AutoInvestRows(kinds.code, self.evidence.note).sapi_list(BINANCE_OPENED)
        self.auto_invest = SapiLists(client, self.pacing, profile.name, [auto_invest])
        staking = EthStakingRows(kinds.code, self.evidence.note).lists()
        self.eth_staking = SapiLists(client, self.pacing, profile.name, staking)
        # Spot rebates (commission rebates, referral kickbacks) follow them: income too (rebates.py).
        self.rebates = BinanceRebates(client, self.pacing, kinds.code, self.evidence.note)
        self.futures = BinanceFutures(client, profile.id, BINANCE_OPENED)
        self.margin = BinanceMargin(client, profile.id, MARGIN_OPENED)
        # Crypto loans (flexible rate): their own lists and the open loans (loans.py); no margin account needed.
        loan_rows = LoanRows(kinds.code, self.evidence.note)
        self.crypto_loans = BinanceCryptoLoans(client, self.pacing, loan_rows, profile.name)
        moves = BinanceSubAccountMoves(client, self.evidence.note)
        opened = (BINANCE_OPENED, MARGIN_OPENED)
        self.transfers = BinanceTransfers(client, self.margin.assets.add, self.margin.isolated_pairs, moves, opened)
        self.probe_budget = probe_budget
        self.scan_quotes = scan_quotes
        self.margin.scan_quotes = scan_quotes

    # Endpoints a sync may fetch at the same time: independent, and each paced by its own budgets.
    # Transfers too: weight 1 on the IP's /sapi budget, and their stage ends before margin trades, which read them.
    concurrent_endpoints = WALLET_ENDPOINTS | KIND_ENDPOINTS | {Endpoint.TRANSFERS}

    def scan(self, quotes: frozenset[str]) -> None:
        """Probe every listed market of these quotes in this sync's spot and margin trades (a reconciliation asked)."""
        self.scan_quotes = self.scan_quotes | quotes
        self.margin.scan_quotes = self.scan_quotes  # and its cross-margin markets in margin trades (margin.py)

    def learn_assets(self, assets: Iterable[str]) -> None:
        for code in assets:
            self.evidence.note(str(self.client.currency_id(code)), Evidence.STORED)

    def supports(self, endpoint: Endpoint) -> bool:
        return endpoint in SUPPORTED and self.profile.offers(endpoint, self.key_type)

    def fetch(
        self,
        endpoint: Endpoint,
        *,
        since: datetime | None,
        until: datetime,
        cursors: Mapping[str, Cursor],
        report: FetchReport,
    ) -> AsyncIterator[Page]:
        spec = served_spec(self.profile, endpoint, self.key_type, endpoint in SUPPORTED)
        if endpoint is Endpoint.SPOT_TRADES:
            trades = BinanceTrades(
                self.client, spec, self.evidence, probe_budget=self.probe_budget, scan_quotes=self.scan_quotes
            )
            return trades.fetch(since=since, until=until, cursors=cursors, report=report)
        if endpoint is Endpoint.FUTURES_TRADES:
            return self.futures.fetch_trades(spec, since=since, until=until, cursors=cursors, report=report)
        if endpoint is Endpoint.FUNDING:
            return self.futures.fetch_income(spec, since=since, until=until, cursors=cursors, report=report)
        if endpoint is Endpoint.MARGIN_LOANS:
            return self.margin.fetch_loans(spec, since=since, until=until, cursors=cursors, report=report)
        if endpoint is Endpoint.CRYPTO_LOANS:
            return self.crypto_loans.fetch(spec, since=since, until=until, cursors=cursors, report=report)
        if endpoint is Endpoint.TRANSFERS:
            return self.transfers.fetch(spec, since=since, until=until, cursors=cursors, report=report)
        if endpoint is Endpoint.MARGIN_TRADES:
            return self.margin.fetch_trades(spec, since=since, until=until, cursors=cursors, report=report)
        if endpoint in KIND_ENDPOINTS:
            return self.wallet_kinds.fetch(spec, since=since, until=until, cursors=cursors, report=report)
        if endpoint is Endpoint.EARN_REWARDS:
            dividends = self.wallet.fetch(spec, since=since, until=until, cursors=cursors, report=report)
            earn = self.simple_earn.after_dividends(
                dividends, spec, since=since, until=until, cursors=cursors, report=report
            )
            staking = self.eth_staking.after(earn, spec, since=since, until=until, cursors=cursors, report=report)
            return self.rebates.after(
                staking, spec, since=since, until=until, cursors=cursors, report=report, exchange_name=self.profile.name
            )
        if endpoint is Endpoint.CONVERT:
            converts = self.wallet.fetch(spec, since=since, until=until, cursors=cursors, report=report)
            return self.auto_invest.after(converts, spec, since=since, until=until, cursors=cursors, report=report)
        return self.wallet.fetch(spec, since=since, until=until, cursors=cursors, report=report)
