"""Coincheck against its document: the documented answers in tests/conformance/documented/coincheck/ and the rules of
docs/exchange-apis/coincheck.md.

Two checks per documented answer: the emulator answers in its shape (never the other way round), and the fetcher
reads off it what a person reads (the expected records written by hand from the payload). Then the rules: the
signature over nonce and URL, the growing nonce, the BTC-only crypto lists, the pagination parameters, and the key
check.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.secret import Secret
from connectors.clients import ClientPool
from connectors.diagnosis.model import DiagnosisCode
from connectors.fetchers.coincheck.rows import RowReader
from connectors.keycheck import check_key
from connectors.profiles import get_profile
from sandbox.exchanges import CoincheckEmulator, Credentials
from tests.conformance.corpus import shape_differences

DOCUMENTED = Path(__file__).resolve().parent / "documented" / "coincheck"


def documented(name: str) -> Any:
    return json.loads((DOCUMENTED / name).read_text(encoding="utf-8"))["response"]


class Codes:
    """ccxt's currency codes for the ids in these payloads are the ids in capitals."""

    def safe_currency_code(self, currency: str) -> str:
        return currency.upper()


@pytest.fixture
async def coincheck() -> AsyncIterator[CoincheckEmulator]:
    async with CoincheckEmulator(seed=9, years=1.0, trades=60) as emulator:
        yield emulator


class Signer:
    """Signs as the document's samples do: hex HMAC-SHA256 of nonce + URL (+ body), the nonce growing each call."""

    def __init__(self, emulator: CoincheckEmulator, key: Credentials) -> None:
        self.emulator, self.key = emulator, key
        self.nonce = int(time.time() * 1000)

    async def get(self, path_qs: str, *, nonce: int | None = None, secret: str | None = None) -> tuple[int, Any]:
        if nonce is None:
            self.nonce += 1
            nonce = self.nonce
        url = self.emulator.base_url + path_qs
        signature = hmac.new((secret or self.key.secret).encode(), f"{nonce}{url}".encode(), hashlib.sha256)
        headers = {
            "ACCESS-KEY": self.key.api_key,
            "ACCESS-NONCE": str(nonce),
            "ACCESS-SIGNATURE": signature.hexdigest(),
        }
        async with aiohttp.ClientSession() as http, http.get(url, headers=headers) as answer:
            return answer.status, json.loads(await answer.text())


# -- the documented shapes --------------------------------------------------------------------------------------


async def test_the_emulator_answers_the_documented_examples_in_their_shape(coincheck: CoincheckEmulator) -> None:
    signer = Signer(coincheck, coincheck.create_demo_keys().read_only)
    _, trades = await signer.get("/api/exchange/orders/transactions_pagination?limit=100")
    # Each pair's `funds` names its own two currencies: the btc_jpy rows are compared with the btc_jpy example.
    btc_rows = {**trades, "data": [row for row in trades["data"] if row["pair"] == "btc_jpy"]}
    assert btc_rows["data"]
    assert shape_differences(documented("transactions_pagination.docs.json"), btc_rows) == []
    _, balance = await signer.get("/api/accounts/balance")
    # "This API dynamically returns balances for all currencies of the authenticated account": the example shows
    # JPY and BTC; the account's other currencies come with the same seven fields.
    others = frozenset(f"$.{name}" for name in balance if not name.startswith(("jpy", "btc", "success")))
    assert shape_differences(documented("balance.docs.json"), balance, extra_allowed=others) == []
    for name, path in (
        ("send_money", "/api/send_money?currency=BTC"),
        ("deposit_money", "/api/deposit_money?currency=BTC"),
        ("withdraws", "/api/withdraws"),
    ):
        status, body = await signer.get(path)
        assert status == 200, (path, body)
        assert shape_differences(documented(f"{name}.docs.json"), body) == [], path


def test_the_fetcher_reads_the_documented_rows_as_a_person_does() -> None:
    reader = RowReader(Codes())
    buy, sell = (reader.trade(row) for row in documented("transactions_pagination.docs.json")["data"])
    # 0.1 BTC bought at 40900 (4090 JPY) with a 6.135 JPY fee: -4096.135 JPY in all.
    assert (buy.market, buy.side, buy.amount, buy.price, buy.quote_amount, buy.fee_asset, buy.fee_amount) == (
        "BTC/JPY",
        "buy",
        Decimal("0.1"),
        Decimal("40900.0"),
        Decimal("4090.00"),
        "JPY",
        Decimal("6.135"),
    )
    # 0.1 BTC sold at 40900 as a maker: a rebate of 4.09 JPY, +4094.09 JPY in all.
    assert (sell.side, sell.amount, sell.quote_amount, sell.fee_amount) == (
        "sell",
        Decimal("0.1"),
        Decimal("4090.00"),
        Decimal("-4.09"),
    )
    assert buy.occurred_at == datetime(2015, 11, 18, 7, 2, 21, tzinfo=UTC)

    newer, older = (reader.send(row) for row in documented("send_money.docs.json")["sends"])
    assert (older.asset, older.amount, older.fee_amount) == ("BTC", Decimal("0.05"), Decimal("0.0001"))
    assert (newer.amount, newer.fee_amount) == (Decimal("0.05"), None)  # a fee of 0.0 is no fee
    deposits = [reader.deposit(row) for row in documented("deposit_money.docs.json")["deposits"]]
    assert [(d.asset, d.amount, d.occurred_at) for d in deposits] == [
        ("BTC", Decimal("0.05"), datetime(2015, 6, 13, 8, 22, 18, tzinfo=UTC)),
        ("BTC", Decimal("0.01"), datetime(2015, 6, 13, 8, 21, 18, tzinfo=UTC)),
    ]
    withdrawal, pending = reader.withdrawal(documented("withdraws.docs.json")["data"][0])
    assert withdrawal is not None and not pending
    assert (withdrawal.asset, withdrawal.amount, withdrawal.fee_amount) == (
        "JPY",
        Decimal("242742.0"),
        Decimal("400.0"),
    )


# -- the rules --------------------------------------------------------------------------------------------------


async def test_the_signature_covers_nonce_and_url_and_the_nonce_must_grow(coincheck: CoincheckEmulator) -> None:
    signer = Signer(coincheck, coincheck.create_demo_keys().read_only)
    assert (await signer.get("/api/accounts/balance"))[0] == 200
    status, body = await signer.get("/api/accounts/balance", nonce=signer.nonce)  # the same nonce again
    assert (status, body) == (401, {"success": False, "error": "invalid authentication"})
    status, _ = await signer.get("/api/accounts/balance", secret="not-the-secret")
    assert status == 401


async def test_the_crypto_lists_answer_for_btc_alone(coincheck: CoincheckEmulator) -> None:
    signer = Signer(coincheck, coincheck.create_demo_keys().read_only)
    assert (await signer.get("/api/send_money?currency=BTC"))[0] == 200
    status, body = await signer.get("/api/deposit_money?currency=ETH")
    assert status == 400 and body["success"] is False


async def test_asc_with_starting_after_lists_the_next_ids_oldest_first(coincheck: CoincheckEmulator) -> None:
    signer = Signer(coincheck, coincheck.create_demo_keys().read_only)
    ids = sorted(t.id for t in coincheck.account.trades)
    path = "/api/exchange/orders/transactions_pagination"
    _, first = await signer.get(f"{path}?order=asc&limit=3")
    _, next_page = await signer.get(f"{path}?order=asc&limit=3&starting_after={ids[2]}")
    _, newest = await signer.get(f"{path}?limit=2")
    assert [r["id"] for r in first["data"]] == ids[:3]
    assert [r["id"] for r in next_page["data"]] == ids[3:6]
    assert [r["id"] for r in newest["data"]] == ids[::-1][:2]  # "desc" when no order is given (the examples)


async def test_the_key_check_reads_the_balance_and_says_it_cannot_see_permissions() -> None:
    async with CoincheckEmulator(seed=9, years=0.2, trades=5) as emulator:
        keys = emulator.create_demo_keys()
        pool = ClientPool({"coincheck": emulator.base_url})
        outcomes: dict[str, tuple[bool, DiagnosisCode | None]] = {}
        try:
            for name in ("read_only", "ip_restricted", "revoked"):
                key = getattr(keys, name)
                fields = {"apiKey": Secret(key.api_key), "secret": Secret(key.secret)}
                checked = await check_key(get_profile("coincheck"), fields, pool=pool, credential_id=f"demo:{name}")
                outcomes[name] = (checked.ok, checked.diagnosis.code if checked.diagnosis else None)
                if name == "read_only":
                    assert checked.warnings, "the user is told Coincheck cannot show a key's permissions"
        finally:
            await pool.close()
    assert outcomes == {
        "read_only": (True, None),
        "ip_restricted": (False, DiagnosisCode.INVALID_KEY),  # "invalid authentication" (unsourced for an IP)
        "revoked": (False, DiagnosisCode.INVALID_KEY),
    }
