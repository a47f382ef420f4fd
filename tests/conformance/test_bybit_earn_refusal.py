"""A key without Bybit's "Earn" permission, refused as Bybit's own pages say (docs/exchange-apis/bybit.md, "Earn"):
every Earn page needs "Earn" (bybit-exchange/docs docs/v5/earn/position.mdx), and a permission the key lacks is
retCode 10005 "Permission denied, please check your API key permissions." (docs/v5/error.mdx) in the common envelope
(docs/v5/guide.mdx), `result` an empty object as in a live answer a client library quotes. Through the real ccxt
client: what it raises is what the fetcher reads as "this key may not read Earn". Expected values by hand."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import ccxt
import pytest

from connectors.clients import ClientPool
from sandbox.exchanges import BybitEmulator

EARN_PAGES = {
    "privateGetV5EarnPosition": {"category": "FlexibleSaving"},
    "privateGetV5EarnYield": {"category": "FlexibleSaving"},
    "privateGetV5EarnOrder": {"category": "FlexibleSaving"},
}


@asynccontextmanager
async def client_without_earn(emulator: BybitEmulator) -> AsyncIterator[Any]:
    key = emulator.create_demo_keys().no_earn
    pool = ClientPool({"bybit": emulator.base_url})
    try:
        async with pool.client("bybit", "refusal", {"apiKey": key.api_key, "secret": key.secret}) as client:
            yield client
    finally:
        await pool.close()


@pytest.mark.parametrize("method", sorted(EARN_PAGES))
async def test_each_earn_page_refuses_a_key_without_earn_with_error_mdx_s_10005(method: str) -> None:
    async with BybitEmulator(seed=5, earn=True) as bybit, client_without_earn(bybit) as client:
        with pytest.raises(ccxt.PermissionDenied):
            await getattr(client, method)(EARN_PAGES[method])
        answer = json.loads(client.last_http_response)
    assert set(answer) == {"retCode", "retMsg", "result", "retExtInfo", "time"}
    assert (answer["retCode"], answer["retMsg"], answer["result"], answer["retExtInfo"]) == (
        10005,
        "Permission denied, please check your API key permissions.",
        {},
        {},
    )
