"""One worker-like process spending an exchange's IP budget, for tests/test_exchange_ip_budget.py.

`python -m tests.ip_budget_requester MODE EXCHANGE BASE_URL START COUNT`: at the agreed wall-clock second START,
makes COUNT public time requests through a `ClientPool` client (ccxt's own pacing), with the deployment's shared
budget on DATABASE_URL (`shared`) or with the process's bucket alone (`local`). Prints one JSON line: how many
answers came back, how many were refused and the names of the errors, and the shared budget's round trips.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time

import ccxt.async_support as ccxt

from connectors.clients import ClientPool
from connectors.exchange_budget import SharedExchangeBudget


async def main(mode: str, exchange_id: str, base_url: str, start: float, count: int) -> dict[str, object]:
    budget = SharedExchangeBudget(os.environ["DATABASE_URL"]) if mode == "shared" else None
    pool = ClientPool({exchange_id: base_url}, shared_budget=budget)
    answered, refused = 0, []
    try:
        async with pool.client(exchange_id, "worker", {}) as client:
            if budget is not None:
                await budget.initialize()  # connected before the measured run
            await asyncio.sleep(max(0.0, start - time.time()))
            for _ in range(count):
                try:
                    await client.fetch_time()
                    answered += 1
                except ccxt.BaseError as error:
                    refused.append(type(error).__name__)
    finally:
        await pool.close()
    return {"answered": answered, "refused": refused, "round_trips": budget.round_trips if budget else 0}


if __name__ == "__main__":
    mode, exchange_id, base_url, start, count = sys.argv[1:6]
    print(json.dumps(asyncio.run(main(mode, exchange_id, base_url, float(start), int(count)))))
