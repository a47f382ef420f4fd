"""bitFlyer against its documentation: the documented answers in tests/conformance/documented/bitflyer/ and the rules
of docs/exchange-apis/bitflyer.md.

Two checks per documented answer: the emulator answers in its shape (never the other way round), and the fetcher
reads off it what a person reads (the expected records are written by hand from the payload). Then the rules: the
signature, the newest-first count/before/after paging, the per-path key permissions, the 500-per-5-minutes budget
and the key check.
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
from connectors.fetchers.bitflyer import parse_bitflyer
from connectors.fetchers.bitflyer.rows import RowReader
from connectors.keycheck import check_key
from connectors.profiles import get_profile
from connectors.records import RecordKind
from sandbox.exchanges import BitflyerEmulator, BitflyerLimits, Credentials
from tests.conformance.corpus import shape_differences

DOCUMENTED = Path(__file__).resolve().parent / "documented" / "bitflyer"


def documented(name: str) -> Any:
    """The payload as the client reads it: JSON numbers as Decimal (connectors/clients.py)."""
    return json.loads((DOCUMENTED / name).read_text(encoding="utf-8"), parse_float=Decimal)["response"]


class Codes:
    """ccxt's currency codes for the ids in these payloads are the ids themselves."""

    def safe_currency_code(self, currency: str) -> str:
        return currency


@pytest.fixture
async def bitflyer() -> AsyncIterator[BitflyerEmulator]:
    async with BitflyerEmulator(seed=4, years=1.0, executions=80) as emulator:
        yield emulator


def sign(secret: str, text: str) -> str:
    return hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest()


async def signed_get(
    emulator: BitflyerEmulator, key: Credentials, path_qs: str, *, secret: str | None = None
) -> tuple[int, Any]:
    """One GET signed as the docs' "Authentication" shows, by hand: HMAC-SHA256 of timestamp + method + path."""
    stamp = str(int(time.time()))
    headers = {
        "ACCESS-KEY": key.api_key,
        "ACCESS-TIMESTAMP": stamp,
        "ACCESS-SIGN": sign(secret or key.secret, stamp + "GET" + path_qs),
    }
    async with aiohttp.ClientSession() as http, http.get(emulator.base_url + path_qs, headers=headers) as answer:
        return answer.status, json.loads(await answer.text(), parse_float=Decimal)


async def public_get(emulator: BitflyerEmulator, path: str) -> Any:
    async with aiohttp.ClientSession() as http, http.get(emulator.base_url + path) as answer:
        return json.loads(await answer.text(), parse_float=Decimal)


# -- the documented shapes --------------------------------------------------------------------------------------


async def test_the_emulator_answers_the_documented_examples_in_their_shape(bitflyer: BitflyerEmulator) -> None:
    key = bitflyer.create_demo_keys().read_only
    markets = await public_get(bitflyer, "/v1/getmarkets")
    assert shape_differences(documented("getmarkets.docs.json"), markets) == []
    for name, path in (
        ("getpermissions", "/v1/me/getpermissions"),
        ("getbalance", "/v1/me/getbalance"),
        ("getexecutions", "/v1/me/getexecutions?product_code=BTC_JPY"),
        ("getcoinins", "/v1/me/getcoinins"),
        ("getcoinouts", "/v1/me/getcoinouts"),
        ("getdeposits", "/v1/me/getdeposits"),
        ("getwithdrawals", "/v1/me/getwithdrawals"),
    ):
        status, body = await signed_get(bitflyer, key, path)
        assert status == 200, (path, body)
        assert body, path
        assert shape_differences(documented(f"{name}.docs.json"), body) == [], path


def test_the_fetcher_reads_the_documented_rows_as_a_person_does() -> None:
    reader = RowReader(Codes())
    execution = reader.execution("BTC_JPY", documented("getexecutions.docs.json")[0])
    # 0.01 BTC bought at 33470 JPY: 334.7 JPY paid; a commission of 0 is no fee.
    assert (execution.market, execution.side, execution.amount, execution.price, execution.quote_amount) == (
        "BTC/JPY",
        "buy",
        Decimal("0.01"),
        Decimal(33470),
        Decimal("334.70"),
    )
    assert (execution.fee_asset, execution.fee_amount) == (None, None)
    assert execution.occurred_at == datetime(2015, 7, 7, 9, 57, 40, 397_000, tzinfo=UTC)

    coin_in, _ = reader.move(RecordKind.DEPOSIT, "coinin", documented("getcoinins.docs.json")[0])
    assert coin_in is not None
    assert (coin_in.asset, coin_in.amount, coin_in.fee_amount) == ("BTC", Decimal("0.00002"), None)
    assert coin_in.exchange_tx_id == "9f92ee65a176bb9545f7becb8706c50d07d4cee5ffca34d8be3ef11d411405ae"
    assert coin_in.occurred_at == datetime(2015, 11, 27, 8, 59, 20, 301_000, tzinfo=UTC)

    # 0.1234 BTC sent; fee 0.0005 and additional fee 0.0001 charged besides.
    coin_out, _ = reader.move(RecordKind.WITHDRAWAL, "coinout", documented("getcoinouts.docs.json")[0])
    assert coin_out is not None
    assert (coin_out.asset, coin_out.amount, coin_out.fee_asset, coin_out.fee_amount) == (
        "BTC",
        Decimal("0.1234"),
        "BTC",
        Decimal("0.0006"),
    )

    cash_in, _ = reader.move(RecordKind.DEPOSIT, "deposit", documented("getdeposits.docs.json")[0])
    cash_out, _ = reader.move(RecordKind.WITHDRAWAL, "withdrawal", documented("getwithdrawals.docs.json")[0])
    assert cash_in is not None and cash_out is not None
    assert (cash_in.asset, cash_in.amount, cash_in.occurred_at) == (
        "JPY",
        Decimal(10000),
        datetime(2015, 10, 14, 10, 10, 10, 1_000, tzinfo=UTC),
    )
    # The JPY withdrawal fee is not in the row ("Additional fees apply for withdrawals").
    assert (cash_out.asset, cash_out.amount, cash_out.fee_amount) == ("JPY", Decimal(12000), None)


def test_a_pending_row_is_not_stored_and_is_read_as_pending() -> None:
    row = {**documented("getcoinins.docs.json")[0], "status": "PENDING", "event_date": _recent()}
    record, pending = RowReader(Codes()).move(RecordKind.DEPOSIT, "coinin", row)
    assert record is None and pending


def _recent() -> str:
    return datetime.now(UTC).replace(tzinfo=None).isoformat(timespec="milliseconds")


def test_the_documented_permission_list_reads_as_a_key_that_cannot_read_the_wallet_lists() -> None:
    # The docs' example lists executions but none of the deposit and withdrawal lists, and no order or withdraw path.
    facts = parse_bitflyer(documented("getpermissions.docs.json"))
    assert (facts.can_read, facts.can_trade, facts.can_withdraw) == (False, False, False)
    with_wallets = [*documented("getpermissions.docs.json"), "/v1/me/getcoinins", "/v1/me/getcoinouts"]
    with_wallets += ["/v1/me/getdeposits", "/v1/me/getwithdrawals", "/v1/me/sendchildorder"]
    facts = parse_bitflyer(with_wallets)
    assert (facts.can_read, facts.can_trade, facts.can_withdraw) == (True, True, False)


# -- the rules --------------------------------------------------------------------------------------------------


async def test_the_signature_is_the_hmac_of_timestamp_method_and_path_with_its_query(
    bitflyer: BitflyerEmulator,
) -> None:
    key = bitflyer.create_demo_keys().read_only
    path = "/v1/me/getexecutions?product_code=ETH_BTC&count=2"
    assert (await signed_get(bitflyer, key, path))[0] == 200
    status, body = await signed_get(bitflyer, key, path, secret=key.secret[::-1])
    assert status == 401 and body["status"] < 0 and "error_message" in body


async def test_lists_are_newest_first_count_rows_below_before_and_above_after(bitflyer: BitflyerEmulator) -> None:
    key = bitflyer.create_demo_keys().read_only
    ids = sorted((e.id for e in bitflyer.account.executions if e.product_code == "BTC_JPY"), reverse=True)
    _, default = await signed_get(bitflyer, key, "/v1/me/getexecutions?product_code=BTC_JPY")
    _, two = await signed_get(bitflyer, key, f"/v1/me/getexecutions?product_code=BTC_JPY&count=2&before={ids[0]}")
    _, above = await signed_get(bitflyer, key, f"/v1/me/getexecutions?product_code=BTC_JPY&after={ids[3]}")
    assert [r["id"] for r in default] == ids[:100]
    assert [r["id"] for r in two] == ids[1:3]
    assert [r["id"] for r in above] == ids[:3]


async def test_a_key_may_call_only_the_paths_it_was_given(bitflyer: BitflyerEmulator) -> None:
    keys = bitflyer.create_demo_keys()
    _, read_only = await signed_get(bitflyer, keys.read_only, "/v1/me/getpermissions")
    _, withdrawal = await signed_get(bitflyer, keys.withdrawal, "/v1/me/getpermissions")
    assert "/v1/me/getexecutions" in read_only and "/v1/me/sendchildorder" not in read_only
    assert {"/v1/me/sendchildorder", "/v1/me/withdraw"} <= set(withdrawal)


async def test_past_500_private_queries_in_5_minutes_the_api_refuses_until_the_window_moves() -> None:
    limits = BitflyerLimits()
    assert (limits.private, limits.per_ip, limits.window_ms) == (500, 500, 300_000)
    async with BitflyerEmulator(seed=4, years=0.2, executions=5, limits=BitflyerLimits(private=3)) as emulator:
        key = emulator.create_demo_keys().read_only
        statuses = [(await signed_get(emulator, key, "/v1/me/getcoinins"))[0] for _ in range(4)]
        emulator.clock.advance(300_001)
        statuses.append((await signed_get(emulator, key, "/v1/me/getcoinins"))[0])
    assert statuses == [200, 200, 200, 429, 200]


async def test_the_key_check_reads_the_permission_list_and_refuses_trading_and_withdrawing_keys() -> None:
    async with BitflyerEmulator(seed=4, years=0.2, executions=5) as emulator:
        keys = emulator.create_demo_keys()
        pool = ClientPool({"bitflyer": emulator.base_url})
        outcomes: dict[str, tuple[bool, DiagnosisCode | None]] = {}
        try:
            for name in ("read_only", "trading", "withdrawal", "revoked"):
                key = getattr(keys, name)
                fields = {"apiKey": Secret(key.api_key), "secret": Secret(key.secret)}
                checked = await check_key(get_profile("bitflyer"), fields, pool=pool, credential_id=f"demo:{name}")
                outcomes[name] = (checked.ok, checked.diagnosis.code if checked.diagnosis else None)
        finally:
            await pool.close()
        asked = emulator.requests.count("/v1/me/getpermissions")
    assert outcomes["read_only"] == (True, None)
    assert not outcomes["trading"][0] and not outcomes["withdrawal"][0]
    assert outcomes["revoked"] == (False, DiagnosisCode.INVALID_KEY)  # HTTP 401
    assert asked == 4
