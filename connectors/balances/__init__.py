"""The exchange's current balances, wallet by wallet, exact from the raw strings (for reconciliation).

Each deep exchange documents one read per wallet a read-only key can see; docs/exchange-apis/<exchange>.md names the
page and fields of each. A wallet whose read fails is reported with its diagnosis code and left out of the totals:
the caller must not compare an asset it could not read in full.

The reads go through ccxt's implicit methods (the raw answer) rather than `fetch_balance`, whose unified amounts are
floats and which reads one wallet only.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from connectors.balances import binance, bitget, bybit, gate, htx, kucoin, mexc, okx
from connectors.balances.model import BalanceSnapshot, WalletRead
from connectors.diagnosis import diagnose, safe_summary
from connectors.profiles import ExchangeProfile

__all__ = ["BalanceSnapshot", "WalletRead", "read_balances", "reads_balances"]

log = logging.getLogger(__name__)

WALLET_READS: dict[str, tuple[WalletRead, ...]] = {
    "binance": binance.READS,
    "bybit": bybit.READS,
    "okx": okx.READS,
    "bitget": bitget.READS,
    "gate": gate.READS,
    "mexc": mexc.READS,
    "htx": htx.READS,
    "kucoin": kucoin.READS,
}

# Key types that read no wallet: a Bitget Tax API key reads the tax records only (docs/exchange-apis/bitget.md).
NO_BALANCES: frozenset[tuple[str, str]] = frozenset({("bitget", "tax")})


FALLBACK_READS: dict[str, tuple[WalletRead, ...]] = {"bitget": bitget.FALLBACK_READS}

# Exchanges whose wallets depend on the kind of account: asked first, then read (Bybit: classic or unified).
CHOSEN_READS: dict[str, Callable[[Any], Awaitable[tuple[WalletRead, ...]]]] = {"bybit": bybit.reads_for}


def reads_balances(profile: ExchangeProfile, key_type: str | None = None) -> bool:
    """Whether Tallybot reads this exchange's balances with this kind of key (None: the exchange's usual key)."""
    return profile.ccxt_id in WALLET_READS and (profile.ccxt_id, key_type or "") not in NO_BALANCES


async def read_balances(client: Any, profile: ExchangeProfile, *, key_type: str | None = None) -> BalanceSnapshot:
    """Every wallet's balances this exchange documents, summed per asset (ccxt codes); failures kept per wallet."""
    reads = WALLET_READS.get(profile.ccxt_id, ())
    choose, asked = CHOSEN_READS.get(profile.ccxt_id), 0
    if choose is not None:
        try:
            reads, asked = await choose(client), 1
        except Exception as error:  # diagnosed, never shown raw
            failed = BalanceSnapshot(requests=1)
            failed.wallets_failed["account"] = str(diagnose(error, profile, key_type=key_type).code)
            log.warning("%s account kind could not be read: %s", profile.id, safe_summary(error))
            return failed
    snapshot = await _read_all(client, profile, reads, key_type)
    snapshot.requests += asked
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
            asked = read.ask(client, read.params) if read.ask else getattr(client, read.method)(dict(read.params))
            body = await asked
            rows = list(read.rows(body))
        except Exception as error:  # diagnosed, never shown raw: ccxt's texts carry signed URLs
            if isinstance(error, read.denied_errors):
                snapshot.wallets_unreadable.append(read.wallet)  # not readable with this key: warned at the key check
                continue
            absent = isinstance(error, read.absent_errors)
            if absent or any(f'"code":{code},' in str(error).replace(" ", "") for code in read.absent_codes):
                snapshot.wallets_read.append(read.wallet)  # the account has no such wallet: nothing in it
                continue
            code = diagnose(error, profile, key_type=key_type).code
            log.warning("%s balance read of the %s wallet failed: %s", profile.id, read.wallet, safe_summary(error))
            snapshot.wallets_failed[read.wallet] = str(code)
            continue
        snapshot.wallets_read.append(read.wallet)
        for coin, amount in rows:
            snapshot.add(str(client.safe_currency_code(coin)), amount)
    return snapshot
