"""Bitget (API v2): a normal key's spot fills per discovered market and windowed wallet history, or a Tax API
key's transaction records.

| key type | endpoint | module |
| --- | --- | --- |
| normal | deposits, withdrawals, convert history, internal transfers, BGB dust conversions | `wallet` |
| normal | transfers between the main account and its sub-accounts (with the TRANSFERS kind) | `subaccounts` |
| normal | earn: savings interest and penalty interest | `earn` |
| normal | spot trades (every market in one walk, 90 days back) | `trades` |
| tax | ledger (spot, margin and P2P tax records), futures trades (futures tax records) | `tax` |
| normal, unified account (v2 answers 40085) | spot and margin trades, deposits, withdrawals via API v3 | `unified` |
| tax, unified account (v2 answers 40085) | ledger and futures trades from `/api/v3/tax/records` | `unified_tax` |
| normal | futures fills and realized profit (USDT-M, coin-M, USDC-M), funding fees | `derivatives` |
| normal | cross and isolated margin fills, borrowings, repayments, interest | `margin` |
| normal | crypto loans: borrowings, repayments, collateral adjustments, liquidations | `loans` |

Use one `BitgetFetcher` per sync: transfers are asked per coin, and the coins the other wallet lists mention (or
that a caller hands over with `learn_assets`) are added to the balances' coins. Spot fills reach 90 days back, the
other lists two years; older history is reported as a gap.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from connectors.diagnosis import error_facts
from connectors.fetchers.base import Cursor, FetchReport, Page, served_spec
from connectors.fetchers.bitget.derivatives import BitgetFutures
from connectors.fetchers.bitget.earn import BitgetEarn
from connectors.fetchers.bitget.loans import BitgetLoans
from connectors.fetchers.bitget.margin import BitgetMargin
from connectors.fetchers.bitget.pages import BITGET_OPENED
from connectors.fetchers.bitget.subaccounts import BitgetMainSub, is_main_sub_key
from connectors.fetchers.bitget.tax import STREAMS as TAX_STREAMS
from connectors.fetchers.bitget.tax import BitgetTax
from connectors.fetchers.bitget.trades import BitgetTrades
from connectors.fetchers.bitget.unified import UNIFIED_REFUSAL, BitgetUnified
from connectors.fetchers.bitget.unified_tax import BitgetUnifiedTax
from connectors.fetchers.bitget.wallet import ROUTES as WALLET_ROUTES
from connectors.fetchers.bitget.wallet import TRANSFER_FROM_TYPES, BitgetWallet, held_coins
from connectors.fetchers.discovery import AssetEvidence, Evidence
from connectors.fetchers.handwritten import HandwrittenFetcher
from connectors.profiles import Endpoint, EndpointSpec, ExchangeProfile
from connectors.profiles.catalog.bitget import TAX as TAX_KEY_TYPE

TAX_KEY = TAX_KEY_TYPE.id
FUTURES = frozenset({Endpoint.FUTURES_TRADES, Endpoint.FUNDING})
MARGIN = frozenset({Endpoint.MARGIN_TRADES, Endpoint.MARGIN_LOANS})

__all__ = ["BITGET_OPENED", "TRANSFER_FROM_TYPES", "BitgetFetcher"]


class BitgetFetcher(HandwrittenFetcher):
    """Fetches Bitget history through ccxt's implicit API methods, reading Bitget's raw strings."""

    # A tax key: TAX_STREAMS.
    SUPPORTED = frozenset(
        {*WALLET_ROUTES, *FUTURES, *MARGIN, Endpoint.SPOT_TRADES, Endpoint.EARN_REWARDS, Endpoint.CRYPTO_LOANS}
    )

    def __init__(
        self,
        profile: ExchangeProfile,
        client: Any,
        *,
        key_type: str | None = None,
        transfer_from_types: Sequence[str] = TRANSFER_FROM_TYPES,
    ) -> None:
        super().__init__(profile, client, key_type=key_type)
        self.evidence = AssetEvidence()
        self._held: dict[str, Decimal] | None = None
        self.wallet = BitgetWallet(client, self.evidence, self._balances, transfer_from_types=transfer_from_types)
        self.tax = BitgetTax(client)
        self.uta = BitgetUnified(client)
        self.uta_tax = BitgetUnifiedTax(client)
        self.futures = BitgetFutures(client)
        self.margin = BitgetMargin(client)
        self.main_sub = BitgetMainSub(client)
        self.earn = BitgetEarn(client, self.evidence)
        self.loans = BitgetLoans(client)
        self.unified = False  # learnt from the first 40085 of a sync

    @property
    def is_tax_key(self) -> bool:
        return self.key_type == TAX_KEY

    def learn_assets(self, assets: Iterable[str]) -> None:
        for code in assets:
            self.evidence.note(str(self.client.currency_id(code)), Evidence.STORED)

    def implements(self, endpoint: Endpoint) -> bool:
        """A tax key reads Bitget's tax record lists and nothing else."""
        return endpoint in TAX_STREAMS if self.is_tax_key else super().implements(endpoint)

    def fetch(
        self,
        endpoint: Endpoint,
        *,
        since: datetime | None,
        until: datetime,
        cursors: Mapping[str, Cursor],
        report: FetchReport,
    ) -> AsyncIterator[Page]:
        spec = served_spec(self.profile, endpoint, self.key_type, self.implements(endpoint))
        return self._fetch(spec, since=since, until=until, cursors=cursors, report=report)

    async def _fetch(
        self,
        spec: EndpointSpec,
        *,
        since: datetime | None,
        until: datetime,
        cursors: Mapping[str, Cursor],
        report: FetchReport,
    ) -> AsyncIterator[Page]:
        if self.unified:
            pages = self._unified(spec, since=since, until=until, cursors=cursors, report=report)
        elif self.is_tax_key:
            pages = self.tax.fetch(spec, since=since, until=until, cursors=cursors, report=report)
        elif spec.endpoint is Endpoint.SPOT_TRADES:
            pages = BitgetTrades(self.client, spec).fetch(since=since, until=until, cursors=cursors, report=report)
        elif spec.endpoint in FUTURES:
            pages = self.futures.fetch(spec, since=since, until=until, cursors=cursors, report=report)
        elif spec.endpoint in MARGIN:
            pages = self.margin.fetch(spec, since=since, until=until, cursors=cursors, report=report)
        elif spec.endpoint is Endpoint.EARN_REWARDS:
            pages = self.earn.fetch(spec, since=since, until=until, cursors=cursors, report=report)
        elif spec.endpoint is Endpoint.CRYPTO_LOANS:
            pages = self.loans.fetch(spec, since=since, until=until, cursors=cursors, report=report)
        elif spec.endpoint is Endpoint.TRANSFERS:
            pages = self._transfers(spec, since=since, until=until, cursors=cursors, report=report)
        else:
            pages = self.wallet.fetch(spec, since=since, until=until, cursors=cursors, report=report)
        gaps_before = list(report.gaps)
        try:
            async for page in pages:
                yield page
        except Exception as error:
            # A unified account refuses every v2 list with 40085 before any page: learn it once per sync and
            # read this endpoint (and the rest) through v3.
            if self.unified or error_facts(error).code != UNIFIED_REFUSAL:
                raise
            self.unified = True
            report.gaps[:] = gaps_before  # what the v2 walk said of its reach does not hold for v3
            async for page in self._unified(spec, since=since, until=until, cursors=cursors, report=report):
                yield page

    async def _transfers(
        self,
        spec: EndpointSpec,
        *,
        since: datetime | None,
        until: datetime,
        cursors: Mapping[str, Cursor],
        report: FetchReport,
    ) -> AsyncIterator[Page]:
        """Moves between the account's own wallets (per coin), then with its main account or sub-accounts."""
        own = {key: cursor for key, cursor in cursors.items() if not is_main_sub_key(key)}
        async for page in self.wallet.fetch(spec, since=since, until=until, cursors=own, report=report):
            yield page
        async for page in self.main_sub.fetch(spec, since=since, until=until, cursors=cursors, report=report):
            yield page

    def _unified(
        self,
        spec: EndpointSpec,
        *,
        since: datetime | None,
        until: datetime,
        cursors: Mapping[str, Cursor],
        report: FetchReport,
    ) -> AsyncIterator[Page]:
        if self.is_tax_key:
            return self.uta_tax.fetch(spec, since=since, until=until, cursors=cursors, report=report)
        return self.uta.fetch(spec, since=since, until=until, cursors=cursors, report=report)

    async def _balances(self, report: FetchReport, endpoint: Endpoint) -> Mapping[str, Decimal]:
        """The spot balances, asked once per sync: their coins are the transfer streams asked."""
        if self._held is None:
            self._held = await held_coins(self.client, report, endpoint)
        return self._held
