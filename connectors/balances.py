"""The exchange's current balances, wallet by wallet, exact from the raw strings (for reconciliation).

Each deep exchange documents one read per wallet a read-only key can see; docs/exchange-apis/<exchange>.md names the
page and fields of each. A wallet whose read fails is reported with its diagnosis code and left out of the totals:
the caller must not compare an asset it could not read in full.

The reads go through ccxt's implicit methods (the raw answer) rather than `fetch_balance`, whose unified amounts are
floats and which reads one wallet only.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from connectors.diagnosis import diagnose, safe_summary
from connectors.profiles import ExchangeProfile
from connectors.records import exact

log = logging.getLogger(__name__)

Rows = Callable[[Any], Iterable[tuple[str, Decimal]]]


@dataclass(frozen=True, slots=True)
class WalletRead:
    """One documented balance read: the wallet it covers, ccxt's implicit method, its parameters and the reader
    that turns the raw answer into (exchange coin, total) pairs."""

    wallet: str
    method: str
    params: Mapping[str, str]
    rows: Rows


@dataclass(slots=True)
class BalanceSnapshot:
    """What the exchange says the account holds now: totals per asset (ccxt codes) over the wallets read."""

    totals: dict[str, Decimal] = field(default_factory=dict)
    wallets_read: list[str] = field(default_factory=list)
    wallets_failed: dict[str, str] = field(default_factory=dict)  # wallet -> diagnosis code
    requests: int = 0

    @property
    def complete(self) -> bool:
        return bool(self.wallets_read) and not self.wallets_failed

    def add(self, asset: str, amount: Decimal) -> None:
        self.totals[asset] = self.totals.get(asset, Decimal(0)) + amount


def _sum(row: Mapping[str, Any], *names: str) -> Decimal:
    """The sum of the named amount fields; a field the exchange leaves empty ("") counts as zero."""
    return sum((exact(row[name]) for name in names if row.get(name) not in (None, "")), Decimal(0))


def _binance_spot(body: Any) -> Iterable[tuple[str, Decimal]]:
    # GET /api/v3/account: balances[] of asset, free, locked.
    return ((row["asset"], _sum(row, "free", "locked")) for row in body.get("balances", []))


def _binance_funding(body: Any) -> Iterable[tuple[str, Decimal]]:
    # POST /sapi/v1/asset/get-funding-asset: a list of asset, free, locked, freeze, withdrawing.
    return ((row["asset"], _sum(row, "free", "locked", "freeze", "withdrawing")) for row in body)


def _bybit_unified(body: Any) -> Iterable[tuple[str, Decimal]]:
    # GET /v5/account/wallet-balance: result.list[].coin[] of coin, walletBalance.
    for account in body["result"]["list"]:
        for row in account.get("coin", []):
            yield row["coin"], _sum(row, "walletBalance")


def _bybit_fund(body: Any) -> Iterable[tuple[str, Decimal]]:
    # GET /v5/asset/transfer/query-account-coins-balance: result.balance[] of coin, walletBalance.
    return ((row["coin"], _sum(row, "walletBalance")) for row in body["result"].get("balance", []))


def _okx_trading(body: Any) -> Iterable[tuple[str, Decimal]]:
    # GET /api/v5/account/balance: data[].details[] of ccy, cashBal (eq adds unrealized profit and loss).
    for account in body["data"]:
        for row in account.get("details", []):
            yield row["ccy"], _sum(row, "cashBal")


def _okx_funding(body: Any) -> Iterable[tuple[str, Decimal]]:
    # GET /api/v5/asset/balances: data[] of ccy, bal.
    return ((row["ccy"], _sum(row, "bal")) for row in body["data"])


def _bitget_unified(body: Any) -> Iterable[tuple[str, Decimal]]:
    # GET /api/v3/account/assets: data.assets[] of coin, balance (equity adds unrealized profit and loss).
    return ((row["coin"], _sum(row, "balance")) for row in body["data"].get("assets") or [])


def _bitget_unified_funding(body: Any) -> Iterable[tuple[str, Decimal]]:
    # GET /api/v3/account/funding-assets: data[] of coin, balance.
    return ((row["coin"], _sum(row, "balance")) for row in body["data"] or [])


def _bitget_spot(body: Any) -> Iterable[tuple[str, Decimal]]:
    # GET /api/v2/spot/account/assets: data[] of coin, available, frozen, locked.
    return ((row["coin"], _sum(row, "available", "frozen", "locked")) for row in body["data"])


WALLET_READS: dict[str, tuple[WalletRead, ...]] = {
    "binance": (
        WalletRead("spot", "privateGetAccount", {"omitZeroBalances": "true"}, _binance_spot),
        WalletRead("funding", "sapiPostAssetGetFundingAsset", {}, _binance_funding),
    ),
    "bybit": (
        WalletRead("unified", "privateGetV5AccountWalletBalance", {"accountType": "UNIFIED"}, _bybit_unified),
        WalletRead(
            "funding", "privateGetV5AssetTransferQueryAccountCoinsBalance", {"accountType": "FUND"}, _bybit_fund
        ),
    ),
    "okx": (
        WalletRead("trading", "privateGetAccountBalance", {}, _okx_trading),
        WalletRead("funding", "privateGetAssetBalances", {}, _okx_funding),
    ),
    "bitget": (WalletRead("spot", "privateSpotGetV2SpotAccountAssets", {}, _bitget_spot),),
}


# Key types that read no wallet: a Bitget Tax API key reads the tax records only (docs/exchange-apis/bitget.md).
NO_BALANCES: frozenset[tuple[str, str]] = frozenset({("bitget", "tax")})


# Read when every usual read failed: a unified (UTA) Bitget account refuses every v2 call (40085) and is read
# through v3 instead.
FALLBACK_READS: dict[str, tuple[WalletRead, ...]] = {
    "bitget": (
        WalletRead("unified", "privateUtaGetV3AccountAssets", {}, _bitget_unified),
        WalletRead("funding", "privateUtaGetV3AccountFundingAssets", {}, _bitget_unified_funding),
    ),
}


def reads_balances(profile: ExchangeProfile, key_type: str | None = None) -> bool:
    """Whether Tallybot reads this exchange's balances with this kind of key (None: the exchange's usual key)."""
    return profile.ccxt_id in WALLET_READS and (profile.ccxt_id, key_type or "") not in NO_BALANCES


async def read_balances(client: Any, profile: ExchangeProfile, *, key_type: str | None = None) -> BalanceSnapshot:
    """Every wallet's balances this exchange documents, summed per asset (ccxt codes); failures kept per wallet."""
    snapshot = await _read_all(client, profile, WALLET_READS.get(profile.ccxt_id, ()), key_type)
    fallback = FALLBACK_READS.get(profile.ccxt_id, ())
    if fallback and not snapshot.wallets_read:
        other = await _read_all(client, profile, fallback, key_type)
        other.requests += snapshot.requests
        if other.wallets_read:
            return other
    return snapshot


async def _read_all(
    client: Any, profile: ExchangeProfile, reads: Iterable[WalletRead], key_type: str | None
) -> BalanceSnapshot:
    snapshot = BalanceSnapshot()
    for read in reads:
        snapshot.requests += 1
        try:
            body = await getattr(client, read.method)(dict(read.params))
            rows = list(read.rows(body))
        except Exception as error:  # diagnosed, never shown raw: ccxt's texts carry signed URLs
            code = diagnose(error, profile, key_type=key_type).code
            log.warning("%s balance read of the %s wallet failed: %s", profile.id, read.wallet, safe_summary(error))
            snapshot.wallets_failed[read.wallet] = str(code)
            continue
        snapshot.wallets_read.append(read.wallet)
        for coin, amount in rows:
            snapshot.add(str(client.safe_currency_code(coin)), amount)
    return snapshot
