"""A scripted Binance emulator and a real ccxt client on a read-only key of it, unthrottled: what the conformance
tests of Binance's wallet lists ask their documented examples of."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from connectors.clients import ClientPool
from sandbox.exchanges import BinanceEmulator


@dataclass
class Rig:
    emulator: BinanceEmulator
    client: Any


@asynccontextmanager
async def binance_rig(emulator: BinanceEmulator) -> AsyncIterator[Rig]:
    async with emulator:
        key = emulator.add_key(label="read-only")
        pool = ClientPool({"binance": emulator.base_url})
        try:
            async with pool.client("binance", "conformance", {"apiKey": key.api_key, "secret": key.secret}) as client:
                client.throttler.config["refillRate"] = 1e9
                yield Rig(emulator, client)
        finally:
            await pool.close()
