"""The documented examples that closed gaps of test_coverage.KNOWN_GAPS (issue 17): both checks for each.

A path a sync calls whose documented example was found later is checked here twice: the emulator answers it in the
example's shape (the schema is the example's, never the emulator's), and ccxt, configured as Tallybot configures it,
reads off the example what Tallybot relies on (the expected values written by hand from the example).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import ccxt.async_support as ccxt_async
import pytest

from connectors.clients import READ_ONLY_CONFIG
from tests.conformance.corpus import Example, load, shape_differences
from tests.conformance.test_coverage import DOCUMENTED, emulated_client, essentials

# Each example, with ccxt's implicit method that asks its endpoint and the parameters it sends.
QUERIES: dict[str, tuple[str, dict[str, str]]] = {
    # ccxt's htx.fetch_markets for spot alone (READ_ONLY_CONFIG) asks GET /v1/common/symbols with no parameter.
    "htx/common_symbols.docs.json": ("spotPublicGetV1CommonSymbols", {}),
    # ccxt's kucoin.fetch_markets for spot (READ_ONLY_CONFIG) asks GET /api/v2/symbols ("symbols" is a v2 path).
    "kucoin/symbols.docs.json": ("publicGetSymbols", {}),
}


def example(name: str) -> Example:
    return load(DOCUMENTED / Path(name))


async def markets_off(exchange: str, method: str, name: str) -> list[dict[str, Any]]:
    """ccxt's markets as Tallybot loads them (its configuration, no key: ClientPool loads markets keyless), with the
    implicit method that asks the list answering the documented example."""
    client = getattr(ccxt_async, exchange)(dict(READ_ONLY_CONFIG[exchange]))

    async def answer(params: Any = None, context: Any = None) -> Any:
        return example(name).response

    setattr(client, method, answer)
    try:
        markets: list[dict[str, Any]] = await client.fetch_markets()
    finally:
        await client.close()
    return markets


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_each_example_names_its_endpoint_and_source(name: str) -> None:
    documented = example(name)
    assert documented.endpoint and documented.endpoint.startswith("/") and documented.source, name


@pytest.mark.parametrize("name", sorted(QUERIES))
async def test_the_emulator_answers_the_example_in_its_shape(name: str) -> None:
    documented = example(name)
    method, params = QUERIES[name]
    async with emulated_client(documented.exchange) as client:
        answer: Any = await getattr(client, method)(dict(params))
    assert shape_differences(documented.response, answer) == []


async def test_htx_spot_markets_read_off_the_documented_symbol_list() -> None:
    markets = await markets_off("htx", "spotPublicGetV1CommonSymbols", "htx/common_symbols.docs.json")
    # btcusdt online, api-trading enabled: BTC/USDT, spot, active.
    assert [essentials(m) for m in markets] == [("btcusdt", "BTC/USDT", "BTC", "USDT", True, True)]
    market = markets[0]
    # amount-precision 6 and price-precision 2 decimals; value-precision 8 for the cost.
    assert (market["precision"]["amount"], market["precision"]["price"], market["precision"]["cost"]) == (
        1e-06,
        0.01,
        1e-08,
    )
    # max-order-amt 1000 BTC, min-order-value 5 USDT. min-order-amt 0.0001 is lost: Tallybot's HTX client parses JSON
    # fractions as Decimal (READ_ONLY_CONFIG's on_json_response), and ccxt's safe_number reads no Decimal. No order is
    # ever placed, so no limit is relied on; whole numbers stay ints and are read.
    assert (market["limits"]["amount"]["min"], market["limits"]["amount"]["max"]) == (None, 1000)
    assert market["limits"]["cost"]["min"] == 5


async def test_kucoin_spot_markets_read_off_the_documented_symbol_list() -> None:
    markets = await markets_off("kucoin", "publicGetSymbols", "kucoin/symbols.docs.json")
    # Both rows enableTrading true; the id is `symbol` (GALAX-USDT) even where the name (GALA-USDT) was renamed.
    assert [essentials(m) for m in markets] == [
        ("GALAX-USDT", "GALAX/USDT", "GALAX", "USDT", True, True),
        ("XLM-USDT", "XLM/USDT", "XLM", "USDT", True, True),
    ]
    galax = markets[0]
    # baseIncrement 0.0001, priceIncrement 0.00001; baseMinSize 10 GALAX, quoteMinSize 0.001 USDT.
    assert (galax["precision"]["amount"], galax["precision"]["price"]) == (0.0001, 0.00001)
    assert (galax["limits"]["amount"]["min"], galax["limits"]["cost"]["min"]) == (10, 0.001)
