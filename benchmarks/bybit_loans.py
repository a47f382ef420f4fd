"""The request cost of Bybit's crypto loans (connectors/fetchers/bybit/loans.py: borrowings, repayments, collateral
moves, and the position read the interest is worked out from; the kind "Crypto loans") on the heavy benchmark
account.

    .venv/bin/python -m benchmarks.bybit_loans             # the heavy account (bot_load's: 40,000 trades a year)
    .venv/bin/python -m benchmarks.bybit_loans --quick     # a small account

The real fetcher pages the emulator through a real ccxt client, every limit and pacing lifted, with and without the
scripted flexible loan (``crypto_loans=True``): requests per path on a first sync with no stored cursor and on the next
sync at once ("again").
"""

from __future__ import annotations

import argparse
import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from benchmarks.unified_and_earn import HEAVY, QUICK, runs
from connectors.profiles import Endpoint
from sandbox.exchanges import BybitEmulator
from sandbox.exchanges.bybit import BybitLimits
from sandbox.exchanges.records import AccountProfile

LOAN_PATHS = (
    "/v5/crypto-loan-flexible/borrow-history",
    "/v5/crypto-loan-flexible/repayment-history",
    "/v5/crypto-loan-common/adjustment-history",
    # Read by the fetcher for the interest once the lists name a loan (the balance check's read is not this run's).
    "/v5/crypto-loan-common/position",
)


async def bybit_loans(profile: AccountProfile, days_back: int | None, loans: bool) -> dict[str, Any]:
    limits = BybitLimits(per_second={}, default_per_second=10**9, ip_requests_per_5s=10**9)
    since = None if days_back is None else datetime.now(UTC) - timedelta(days=days_back)
    async with BybitEmulator(seed=11, profile=profile, listed_symbols=600, limits=limits, crypto_loans=loans) as bybit:
        key = bybit.create_demo_keys().read_only
        credentials = {"apiKey": key.api_key, "secret": key.secret}
        measured = await runs("bybit", bybit, credentials, (Endpoint.CRYPTO_LOANS,), since, LOAN_PATHS)
    return {"exchange": "bybit loans", "crypto_loan": loans, "sync_from_days": days_back, **measured}


async def main(quick: bool) -> None:
    for loans in (False, True):
        for days_back in (70, 730, None):
            print(json.dumps(await bybit_loans(QUICK if quick else HEAVY, days_back, loans)))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true")
    asyncio.run(main(parser.parse_args().quick))
