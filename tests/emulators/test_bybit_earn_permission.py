"""Bybit's balances read with a key made without ticking Earn: the two Earn position reads are refused (10005, every
Earn page: "API key needs \"Earn\" permission") and reported as not readable with this key, neither empty nor failed,
while the unified and funding wallets are read as with any key. The totals lack exactly what is still staked in
Flexible Saving: by hand from sandbox/exchanges/bybit_earn.py's script, two stakes (half, then a quarter of the USDT
the account holds, to the cent) less a redemption of a fifth of the first.
"""

from __future__ import annotations

from decimal import Decimal

from connectors.balances import read_balances
from connectors.profiles import get_profile
from sandbox.exchanges import BybitEmulator
from tests.emulators.conftest import BYBIT_CONFIG, BYBIT_OPTIONS, ccxt_client
from tests.test_reconcile_e2e import RECENT


async def test_the_earn_wallets_are_not_readable_without_earn_and_the_others_are_read_in_full() -> None:
    async with BybitEmulator(seed=83, profile=RECENT, listed_symbols=20, earn=True) as bybit:
        keys = bybit.create_demo_keys()
        usdt = bybit.book.wallet_totals("UNIFIED")[0]["USDT"] - bybit.book.earn_change["USDT"]
        snapshots = []
        for key in (keys.read_only, keys.no_earn):
            async with ccxt_client("bybit", bybit, key, options=BYBIT_OPTIONS, config=BYBIT_CONFIG) as client:
                snapshots.append(await read_balances(client, get_profile("bybit")))
    full, without = snapshots

    # The crypto loans' position (Spot trade, not Earn) is read by both keys.
    assert full.wallets_read == ["unified", "funding", "savings", "earn", "crypto_loan"]
    assert full.wallets_unreadable == []
    assert without.wallets_read == ["unified", "funding", "crypto_loan"]
    assert without.wallets_unreadable == ["savings", "earn"]
    assert without.wallets_failed == {} and without.complete
    first, second = (usdt / 2).quantize(Decimal("0.01")), (usdt / 4).quantize(Decimal("0.01"))
    assert full.totals["USDT"] - without.totals["USDT"] == first + second - first / 5
    assert {a: v for a, v in full.totals.items() if a != "USDT"} == {
        a: v for a, v in without.totals.items() if a != "USDT"
    }
