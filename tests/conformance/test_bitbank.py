"""bitbank against its documentation: the documented answers in tests/conformance/documented/bitbank/ and the rules
of docs/exchange-apis/bitbank.md.

Two checks per documented answer: the emulator answers in its shape (never the other way round), and the fetcher
reads off rows of that shape what a person reads (bitbank's examples hold placeholders, "string" and 0, so the values
below are chosen by hand in the documented fields and types). Then the rules: the documented signature samples, both
signing methods and the time window, the `count` maxima, the 10-a-second budget, and the key check.
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
from connectors.fetchers.bitbank.rows import RowReader
from connectors.keycheck import check_key
from connectors.profiles import get_profile
from sandbox.exchanges import READ_ONLY, BitbankEmulator, BitbankLimits, Credentials
from sandbox.exchanges.keys import ApiKey
from tests.conformance.corpus import shape_differences

DOCUMENTED = Path(__file__).resolve().parent / "documented" / "bitbank"
# Fields the response tables list that the examples leave out (each named in its fixture's _source note).
TABLE_ONLY = {
    "trade_history": frozenset({"$.data.trades[].fee_occurred_amount_quote"}),
    "deposit_history": frozenset({"$.data.deposits[].address"}),
    "spot_pairs": frozenset({"$.data.pairs[].quote_asset"}),
}


def documented(name: str) -> Any:
    return json.loads((DOCUMENTED / f"{name}.docs.json").read_text(encoding="utf-8"))["response"]


class Codes:
    """ccxt's codes for bitbank's asset ids: upper case."""

    def safe_currency_code(self, currency: str) -> str:
        return currency.upper()


@pytest.fixture
async def bitbank() -> AsyncIterator[BitbankEmulator]:
    async with BitbankEmulator(seed=4, years=1.0, trades=40) as emulator:
        yield emulator


def sign(secret: str, text: str) -> str:
    return hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest()


async def signed_get(
    emulator: BitbankEmulator,
    key: Credentials,
    path_qs: str,
    *,
    secret: str | None = None,
    request_time: int | None = None,
    window: str = "5000",
    nonce: int | None = None,
) -> tuple[int, Any]:
    """One GET signed by hand as "Authorization" shows: the time-window method, or the nonce method when given."""
    headers = {"ACCESS-KEY": key.api_key}
    if nonce is not None:
        headers |= {"ACCESS-NONCE": str(nonce), "ACCESS-SIGNATURE": sign(secret or key.secret, f"{nonce}{path_qs}")}
    else:
        stamp = str(request_time if request_time is not None else int(time.time() * 1000))
        payload = stamp + window + path_qs
        headers |= {
            "ACCESS-REQUEST-TIME": stamp,
            "ACCESS-TIME-WINDOW": window,
            "ACCESS-SIGNATURE": sign(secret or key.secret, payload),
        }
    async with aiohttp.ClientSession() as http, http.get(emulator.base_url + path_qs, headers=headers) as answer:
        text = await answer.text()
        return answer.status, json.loads(text) if answer.content_type == "application/json" else text


# -- the documented shapes --------------------------------------------------------------------------------------


async def test_the_emulator_answers_the_documented_examples_in_their_shape(bitbank: BitbankEmulator) -> None:
    key = bitbank.create_demo_keys().read_only
    async with aiohttp.ClientSession() as http, http.get(bitbank.base_url + "/v1/spot/pairs") as answer:
        pairs = await answer.json()
    assert shape_differences(documented("spot_pairs"), pairs, extra_allowed=TABLE_ONLY["spot_pairs"]) == []
    status, assets = await signed_get(bitbank, key, "/v1/user/assets")
    assert status == 200
    crypto = [a for a in assets["data"]["assets"] if a["asset"] != "jpy"]
    jpy = [a for a in assets["data"]["assets"] if a["asset"] == "jpy"]
    assert crypto and len(jpy) == 1
    assert shape_differences(documented("assets"), {**assets, "data": {"assets": crypto}}) == []
    assert shape_differences(documented("assets_jpy"), {**assets, "data": {"assets": jpy}}) == []
    for name, path in (
        ("trade_history", "/v1/user/spot/trade_history"),
        ("deposit_history", "/v1/user/deposit_history?asset=btc"),
        ("withdrawal_history_crypto", "/v1/user/withdrawal_history?asset=btc"),
        ("withdrawal_history_jpy", "/v1/user/withdrawal_history?asset=jpy"),
    ):
        status, body = await signed_get(bitbank, key, path)
        assert status == 200, (path, body)
        rows = next(iter(body["data"].values()))
        assert rows, path
        allowed = TABLE_ONLY.get(name, frozenset())
        if name == "deposit_history":
            # confirmed_at "exists only for confirmed one": a deposit only FOUND lacks it and nothing else.
            found = [r for r in rows if r["status"] == "FOUND"]
            body = {**body, "data": {"deposits": [r for r in rows if r["status"] != "FOUND"]}}
            assert found and all(
                shape_differences(
                    documented(name)["data"]["deposits"][0], r, path="$", extra_allowed=frozenset({"$.address"})
                )
                == ["$.confirmed_at: documented, missing from the emulator"]
                for r in found
            )
        assert shape_differences(documented(name), body, extra_allowed=allowed) == [], path
    status, refused = await signed_get(bitbank, key, "/v1/user/assets", secret="0" * 64)
    assert shape_differences(documented("error"), refused) == []


def test_the_fetcher_reads_rows_of_the_documented_shape_as_a_person_does() -> None:
    reader = RowReader(Codes())
    trade = reader.trade(
        {
            "trade_id": 1143247037,
            "pair": "btc_jpy",
            "order_id": 31823410,
            "side": "buy",
            "type": "limit",
            "amount": "0.0005",
            "price": "3836025",
            "maker_taker": "taker",
            "fee_amount_base": "0",
            "fee_amount_quote": "2.3016",
            "fee_occurred_amount_quote": "2.3016",
            "executed_at": 1694249441593,
        }
    )
    # 0.0005 BTC bought at 3,836,025 JPY: 1,918.0125 JPY paid, the fee in the quote currency.
    assert (trade.market, trade.side, trade.amount, trade.price, trade.quote_amount) == (
        "BTC/JPY",
        "buy",
        Decimal("0.0005"),
        Decimal(3836025),
        Decimal("1918.0125"),
    )
    assert (trade.fee_asset, trade.fee_amount) == ("JPY", Decimal("2.3016"))
    assert trade.occurred_at == datetime(2023, 9, 9, 8, 50, 41, 593_000, tzinfo=UTC)
    # A maker rebate: a negative quote fee, kept as stated.
    rebate = reader.trade({**trade.raw, "maker_taker": "maker", "fee_amount_quote": "-0.3836"})
    assert (rebate.fee_asset, rebate.fee_amount) == ("JPY", Decimal("-0.3836"))

    deposit_row = {
        "uuid": "6a2f0f1c-1d6d-4e0d-9f3e-3f1e2d0c9b8a",
        "asset": "btc",
        "network": "bitcoin",
        "amount": "0.25",
        "txid": "a" * 64,
        "status": "DONE",
        "found_at": 1700000000000,
        "confirmed_at": 1700000600000,
    }
    deposit, hold = reader.deposit(deposit_row)
    assert deposit is not None and hold is None
    # Credited at confirmed_at, ten minutes after it was found.
    assert (deposit.asset, deposit.amount, deposit.exchange_tx_id) == ("BTC", Decimal("0.25"), "a" * 64)
    assert deposit.occurred_at == datetime(2023, 11, 14, 22, 23, 20, tzinfo=UTC)
    found, hold = reader.deposit({**deposit_row, "status": "FOUND", "found_at": int(time.time() * 1000)})
    assert found is None and hold is not None, "a deposit only found holds the cursor"

    withdrawal_row = {
        "uuid": "0b7c4a55-9c1e-4f0c-8a59-1f2e3d4c5b6a",
        "asset": "jpy",
        "account_uuid": "0b7c4a55-9c1e-4f0c-8a59-000000000000",
        "amount": "30000",
        "fee": "550",
        "bank_name": "Example Bank",
        "branch_name": "Main",
        "account_type": "ordinary",
        "account_number": "1234567",
        "account_owner": "TALLY TARO",
        "status": "DONE",
        "requested_at": 1700000000000,
    }
    withdrawal, _ = reader.withdrawal(withdrawal_row)
    assert withdrawal is not None
    # 30,000 JPY sent to the bank and 550 JPY charged on top.
    assert (withdrawal.asset, withdrawal.amount, withdrawal.fee_asset, withdrawal.fee_amount) == (
        "JPY",
        Decimal(30000),
        "JPY",
        Decimal(550),
    )
    for refused in ("REJECTED", "CANCELED", "CONFIRM_TIMEOUT"):
        assert reader.withdrawal({**withdrawal_row, "status": refused}) == (None, None)


# -- the rules --------------------------------------------------------------------------------------------------


def test_the_documented_signature_samples_are_what_the_emulator_expects() -> None:
    key = ApiKey(api_key="k", secret="hoge", permissions=READ_ONLY, created_at=0)
    # "ACCESS-TIME-WINDOW" and "ACCESS-NONCE" samples, GET /v1/user/assets with the secret "hoge".
    time_window = "9ec5745960d05573c8fb047cdd9191bd0c6ede26f07700bb40ecf1a3920abae8"
    nonce = "f957817b95c3af6cf5e2e9dfe1503ea8088f46879d4ab73051467fd7b94f1aba"
    assert key.signature_matches("1721121776490" + "1000" + "/v1/user/assets", time_window)
    assert key.signature_matches("1721121776490" + "/v1/user/assets", nonce)


async def test_both_signing_methods_and_the_time_window_as_documented(bitbank: BitbankEmulator) -> None:
    key = bitbank.create_demo_keys().read_only
    path = "/v1/user/deposit_history?asset=btc&count=2"
    now = int(time.time() * 1000)
    assert (await signed_get(bitbank, key, path))[0] == 200
    assert (await signed_get(bitbank, key, path, nonce=now))[0] == 200
    # A nonce not above the last one: 20004; a wrong secret: 20005.
    assert (await signed_get(bitbank, key, path, nonce=now))[1]["data"]["code"] == 20004
    assert (await signed_get(bitbank, key, path, secret="0" * 64))[1]["data"]["code"] == 20005
    # The time window: "ACCESS-REQUEST-TIME < serverTime + 1000 and serverTime - ACCESS-REQUEST-TIME <= WINDOW".
    assert (await signed_get(bitbank, key, path, request_time=now - 3_000, window="5000"))[0] == 200
    assert (await signed_get(bitbank, key, path, request_time=now - 8_000, window="5000"))[1]["data"]["code"] == 20001
    assert (await signed_get(bitbank, key, path, request_time=now + 5_000))[1]["data"]["code"] == 20001
    assert (await signed_get(bitbank, key, path, window="60001"))[1]["data"]["code"] == 20001
    # An unknown key: 20003 "Api key not found".
    unknown = Credentials(bitbank.unknown_key(), key.secret, "")
    assert (await signed_get(bitbank, unknown, path))[1] == {"success": 0, "data": {"code": 20003}}


async def test_count_is_at_most_1000_trades_and_100_deposits_or_withdrawals(bitbank: BitbankEmulator) -> None:
    key = bitbank.create_demo_keys().read_only
    for path, code in (
        ("/v1/user/spot/trade_history?count=1000", None),
        ("/v1/user/spot/trade_history?count=1001", 40006),
        ("/v1/user/deposit_history?asset=btc&count=100", None),
        ("/v1/user/withdrawal_history?asset=btc&count=101", 40006),
        ("/v1/user/deposit_history", 30016),  # "asset: YES"
    ):
        _, body = await signed_get(bitbank, key, path)
        assert (body["success"], body["data"].get("code")) == ((1, None) if code is None else (0, code)), path
    # The trade list in the order asked: oldest first with order=asc, newest first by default.
    _, asc = await signed_get(bitbank, key, "/v1/user/spot/trade_history?order=asc&count=5")
    _, desc = await signed_get(bitbank, key, "/v1/user/spot/trade_history?count=5")
    times = [t.ms for t in sorted(bitbank.account.trades, key=lambda t: t.ms)]
    assert [t["executed_at"] for t in asc["data"]["trades"]] == times[:5]
    assert [t["executed_at"] for t in desc["data"]["trades"]] == times[::-1][:5]


async def test_past_10_queries_a_second_the_api_answers_429_until_the_second_moves() -> None:
    limits = BitbankLimits()
    assert (limits.query, limits.window_ms) == (10, 1_000)
    async with BitbankEmulator(seed=4, years=0.2, trades=5, limits=BitbankLimits(query=3)) as emulator:
        key = emulator.create_demo_keys().read_only
        statuses = [(await signed_get(emulator, key, "/v1/user/assets"))[0] for _ in range(4)]
        emulator.clock.advance(1_001)
        statuses.append((await signed_get(emulator, key, "/v1/user/assets"))[0])
    assert statuses == [200, 200, 200, 429, 200]


async def test_the_key_check_reads_the_asset_list_and_cannot_tell_permissions() -> None:
    async with BitbankEmulator(seed=4, years=0.2, trades=5) as emulator:
        keys = emulator.create_demo_keys()
        pool = ClientPool({"bitbank": emulator.base_url})
        outcomes: dict[str, tuple[bool, bool, DiagnosisCode | None]] = {}
        try:
            for name in ("read_only", "withdrawal", "expired", "revoked"):
                key = getattr(keys, name)
                fields = {"apiKey": Secret(key.api_key), "secret": Secret(key.secret)}
                checked = await check_key(get_profile("bitbank"), fields, pool=pool, credential_id=f"demo:{name}")
                code = checked.diagnosis.code if checked.diagnosis else None
                outcomes[name] = (checked.ok, checked.permissions_verified, code)
        finally:
            await pool.close()
        asked = emulator.requests.count("/v1/user/assets")
    assert outcomes["read_only"] == (True, False, None)
    assert outcomes["withdrawal"] == (True, False, None), "bitbank cannot tell: connected, with the warning"
    assert outcomes["expired"][0] is False and outcomes["expired"][2] is DiagnosisCode.INVALID_KEY
    assert outcomes["revoked"][0] is False and outcomes["revoked"][2] is DiagnosisCode.INVALID_KEY
    assert asked == 4
