"""BigONE against its documentation: the documented answers in tests/conformance/documented/bigone/ and the rules of
docs/exchange-apis/bigone.md.

Two checks per documented answer: the emulator answers in its shape (never the other way round), and the fetcher
reads off it what a person reads (the expected records are written by hand from the payload). Then the rules: the
documented JWT, the key errors of the "Error Codes" page, page sizes, the per-IP limit and the key check per demo key.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import ccxt
import pytest

from bot.secret import Secret
from connectors.clients import ClientPool
from connectors.diagnosis.model import DiagnosisCode
from connectors.fetchers.bigone.rows import RowReader
from connectors.fetchers.discovery import SpotMarket
from connectors.keycheck import check_key
from connectors.profiles import get_profile
from connectors.records import RecordKind
from sandbox.exchanges import AccountProfile, BigoneEmulator, BigoneLimits, Credentials
from sandbox.exchanges.bigone import jwt_token, signed_with, token_parts
from sandbox.runner import KEY_OUTCOMES, OUTCOME_OVERRIDES
from tests.conformance.corpus import move, readable, shape_differences

DOCUMENTED = Path(__file__).resolve().parent / "documented" / "bigone"
SMALL = AccountProfile(
    years=1.0, traded_markets=3, trades=300, deposits=60, withdrawals=10, converts=0, transfers=0, rewards=0
)
XIN_USDT = SpotMarket("XIN-USDT", "XIN", "USDT", "XIN/USDT", "XIN", "USDT")
# The example token of BigONE's "Authentication" page, signed with "testsecret".
DOCUMENTED_TOKEN = (
    "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.eyJ0eXBlIjoiT3BlbkFQSVYyIiwic3ViIjoiY2VlODhhYjBiYzY5NDM1Nzg0YjdkYjA1NDVl"
    "ODU2NDciLCJub25jZSI6MTUyNzY2NTI2MjE2ODM5MTAwMH0.cJ_uPmDeIxEPbKb_Xi0YuCflt_kgok5lryPwDG-jrsM"
)


def documented(name: str) -> Any:
    return json.loads((DOCUMENTED / name).read_text(encoding="utf-8"))


@pytest.fixture
async def bigone() -> AsyncIterator[BigoneEmulator]:
    async with BigoneEmulator(seed=91, profile=SMALL, listed_pairs=20) as emulator:
        yield emulator


async def signed_get(
    emulator: BigoneEmulator,
    key: Credentials,
    path: str,
    query: str = "",
    *,
    skew_s: float = 0,
    recv_window: str | None = None,
    secret: str | None = None,
    header: str | None = None,
) -> tuple[int, Any]:
    """One GET signed as BigONE's "Authentication" page shows, by hand, not by ccxt."""
    claims = {"type": "OpenAPIV2", "sub": key.api_key, "nonce": str(int((time.time() + skew_s) * 1e9))}
    if recv_window is not None:
        claims["recv_window"] = recv_window
    token = jwt_token(claims, secret if secret is not None else key.secret)
    headers = {"Authorization": header if header is not None else f"Bearer {token}"}
    url = f"{emulator.base_url}/api/v3{path}" + (f"?{query}" if query else "")
    async with aiohttp.ClientSession() as http, http.get(url, headers=headers) as answer:
        return answer.status, await answer.json()


# -- the documented answers ----------------------------------------------------------------------------------


async def test_the_emulator_answers_the_documented_examples_in_their_shape(bigone: BigoneEmulator) -> None:
    key = bigone.create_demo_keys().read_only
    pair = max(bigone.account.traded_symbols, key=lambda s: len(bigone.account.trades_for(s)))
    _, trades = await signed_get(bigone, key, "/viewer/trades", f"asset_pair_name={pair}&limit=50")
    _, deposits = await signed_get(bigone, key, "/viewer/deposits")
    _, withdrawals = await signed_get(bigone, key, "/viewer/withdrawals", "limit=2")
    async with aiohttp.ClientSession() as http, http.get(f"{bigone.base_url}/api/v3/asset_pairs") as answer:
        pairs = await answer.json()
    assert "page_token" in trades and "page_token" in deposits and "page_token" in withdrawals, "lists that page"
    # The documented trades are a self-trade and a trade the user took; rows the user took are compared with the
    # second (where the other side, the maker, is null). A row the user made (null taker side) has no example.
    taken = {**trades, "data": [r for r in trades["data"] if r["side"] == r["taker_side"]]}
    example = documented("trades.docs.json")["response"]
    assert taken["data"] and shape_differences({**example, "data": example["data"][1:]}, taken) == []
    assert shape_differences(documented("deposits.docs.json")["response"], deposits) == []
    # The withdrawal example has no "code" (the "General Information" page gives every answer one) and no "fee",
    # "kind", "memo" (ccxt's recorded withdraw answer has them).
    allowed = frozenset({"$.code", "$.data[].fee", "$.data[].kind", "$.data[].memo"})
    assert shape_differences(documented("withdrawals.docs.json")["response"], withdrawals, extra_allowed=allowed) == []
    assert shape_differences(documented("asset_pairs.docs.json")["response"], pairs) == []
    # The balances page shows its rows bare ("Response is Spot Account Array"); the answer carries them in `data`.
    _, balances = await signed_get(bigone, key, "/viewer/accounts")
    assert balances["data"] and shape_differences(documented("accounts.docs.json")["response"], balances["data"]) == []


def test_the_fetcher_reads_the_documented_trades_as_a_person_does() -> None:
    self_trade, taken = documented("trades.docs.json")["response"]["data"]
    reader = RowReader(ccxt.bigone())
    (record,) = reader.trades(XIN_USDT, taken)
    assert record.natural_key == "trade:XIN-USDT:10854263"
    assert readable(record) == {
        "kind": RecordKind.TRADE,
        "occurred_at": datetime(2019, 4, 15, 6, 20, 57, tzinfo=UTC),
        "asset": "XIN",
        "amount": Decimal("12.743149"),
        "exchange_tx_id": "10854263",
        "market": "XIN/USDT",
        "side": "buy",
        "quote_asset": "USDT",
        "quote_amount": Decimal("964.6563793"),  # 75.7 × 12.743149: the row has no quote amount
        "price": Decimal("75.7"),
        "fee_asset": "XIN",  # 0.0025486298 is 0.02 % of 12.743149: the fee is in the base the buyer received
        "fee_amount": Decimal("0.0025486298"),
    }
    # A self-trade is both sides: the taker sold (taker_side ASK), paying 0.07 USDT (0.1 % of 70); the maker bought,
    # paying 0.0008 XIN.
    bought, sold = reader.trades(XIN_USDT, self_trade)
    assert (bought.side, bought.fee_asset, bought.fee_amount) == ("buy", "XIN", Decimal("0.0008"))
    assert (sold.side, sold.fee_asset, sold.fee_amount) == ("sell", "USDT", Decimal("0.07"))
    assert bought.amount == sold.amount == Decimal("1") and bought.quote_amount == sold.quote_amount == Decimal("70")
    assert bought.natural_key != sold.natural_key


def test_the_fetcher_reads_the_documented_deposit_and_withdrawal_as_a_person_does() -> None:
    reader = RowReader(ccxt.bigone())
    withheld = documented("deposits.docs.json")["response"]["data"][0]
    assert reader.deposit(withheld) == (None, True)  # WITHHOLD: not credited yet, read again later
    deposit, pending = reader.deposit({**withheld, "state": "COMPLETED"})
    assert not pending and deposit is not None
    assert readable(deposit) == move(
        RecordKind.DEPOSIT, "2018-02-14T11:23:54", "513b80e5619155b24fbf0412d59f6256f86b0d69", "BTS", "14.0"
    )
    assert reader.deposit({**withheld, "state": "CANCELLED"}) == (None, False)
    withdrawal, _ = reader.withdrawal(documented("withdrawals.docs.json")["response"]["data"][0])
    assert withdrawal is not None
    assert readable(withdrawal) == move(
        RecordKind.WITHDRAWAL,
        "2018-03-15T16:13:45.610463",
        "0x4643bb6b393ac20a6175c713175734a72517c63d6f73a3ca90a15356f2e967da0",
        "ETH",
        "5",
    )
    row = documented("withdrawals.docs.json")["response"]["data"][0]
    assert reader.withdrawal({**row, "state": "PENDING"}) == (None, True)
    assert reader.withdrawal({**row, "state": "FAILED"}) == (None, False)


# -- the rules -----------------------------------------------------------------------------------------------


def test_the_documented_token_is_signed_with_the_documented_secret() -> None:
    parts = token_parts(DOCUMENTED_TOKEN)
    assert parts is not None
    head, claims = parts
    assert head == {"typ": "JWT", "alg": "HS256"}
    assert claims == {"type": "OpenAPIV2", "sub": "cee88ab0bc69435784b7db0545e85647", "nonce": 1527665262168391000}
    assert signed_with(DOCUMENTED_TOKEN, "testsecret")
    assert not signed_with(DOCUMENTED_TOKEN, "dGVzdHNlY3JldA==")  # the secret Base64-encoded: "invalid"


async def test_key_errors_are_bigones_documented_codes(bigone: BigoneEmulator) -> None:
    keys = bigone.create_demo_keys()
    key = keys.read_only
    assert (await signed_get(bigone, key, "/viewer/accounts"))[0] == 200
    answers = [
        await signed_get(bigone, key, "/viewer/accounts", header="Token abc"),
        await signed_get(bigone, Credentials(bigone.unknown_key(), key.secret), "/viewer/accounts"),
        await signed_get(bigone, keys.revoked, "/viewer/accounts"),
        await signed_get(bigone, key, "/viewer/accounts", secret="not-the-secret"),
        await signed_get(bigone, key, "/viewer/accounts", skew_s=-31),  # beyond the default recv_window of 30 s
        await signed_get(bigone, keys.ip_restricted, "/viewer/accounts"),
    ]
    assert [(status, body["code"]) for status, body in answers] == [
        (400, 40107),
        (401, 40004),
        (401, 40004),
        (401, 40106),
        (401, 40106),
        (403, 10403),
    ]
    assert (await signed_get(bigone, key, "/viewer/accounts", skew_s=-28))[0] == 200
    assert (await signed_get(bigone, key, "/viewer/accounts", skew_s=-45, recv_window="60"))[0] == 200


async def test_page_sizes_and_paging_follow_the_docs(bigone: BigoneEmulator) -> None:
    key = bigone.create_demo_keys().read_only
    pair = max(bigone.account.traded_symbols, key=lambda s: len(bigone.account.trades_for(s)))
    _, default = await signed_get(bigone, key, "/viewer/deposits")
    assert len(default["data"]) == 50  # "defalut 50"
    _, twenty = await signed_get(bigone, key, "/viewer/trades", f"asset_pair_name={pair}")
    assert len(twenty["data"]) == 20  # ccxt: "default 20, max 200"
    assert (await signed_get(bigone, key, "/viewer/trades", f"asset_pair_name={pair}&limit=200"))[0] == 200
    status, body = await signed_get(bigone, key, "/viewer/trades", f"asset_pair_name={pair}&limit=201")
    assert (status, body["code"]) == (400, 10007)
    status, body = await signed_get(bigone, key, "/viewer/trades")
    assert (status, body["code"]) == (400, 10007)  # asset_pair_name is required
    # Newest first (descending ids), each page after the token of the one before.
    _, first = await signed_get(bigone, key, "/viewer/deposits", "limit=3")
    _, second = await signed_get(bigone, key, "/viewer/deposits", f"limit=3&page_token={first['page_token']}")
    _, both = await signed_get(bigone, key, "/viewer/deposits", "limit=6")
    ids = [d["id"] for d in first["data"] + second["data"]]
    assert ids == [d["id"] for d in both["data"]] and ids == sorted(ids, reverse=True)


async def test_past_500_requests_in_10_seconds_an_ip_gets_429() -> None:
    async with BigoneEmulator(seed=92, profile=SMALL, listed_pairs=20, limits=BigoneLimits(requests=3)) as bigone:
        key = bigone.create_demo_keys().read_only
        statuses = [(await signed_get(bigone, key, "/viewer/deposits"))[0] for _ in range(3)]
        status, body = await signed_get(bigone, key, "/viewer/withdrawals")  # per IP: every path shares it
    assert statuses == [200, 200, 200]
    assert (status, body["code"]) == (429, 10429)


async def test_each_demo_key_gets_the_key_checks_outcome_from_bigones_answer(bigone: BigoneEmulator) -> None:
    keys = bigone.create_demo_keys()
    pool = ClientPool({"bigone": bigone.base_url})
    outcomes: dict[str, tuple[bool, DiagnosisCode | None]] = {}
    try:
        for name in ("read_only", "trading", "withdrawal", "ip_restricted", "expired", "revoked"):
            key = getattr(keys, name)
            fields = {"apiKey": Secret(key.api_key), "secret": Secret(key.secret)}
            checked = await check_key(get_profile("bigone"), fields, pool=pool, credential_id=f"demo:{name}")
            outcomes[name] = (checked.ok, checked.diagnosis.code if checked.diagnosis else None)
    finally:
        await pool.close()
    # BigONE has no endpoint that tells a key's scopes: any key that may read balances connects (with the warning
    # that its permissions could not be checked); refusals follow BigONE's codes.
    assert outcomes == {
        "read_only": (True, None),
        "trading": (True, None),
        "withdrawal": (True, None),
        "ip_restricted": (False, DiagnosisCode.KEY_REFUSED),  # 10403: scopes or IP, BigONE does not say which
        "expired": (False, DiagnosisCode.INVALID_KEY),
        "revoked": (False, DiagnosisCode.INVALID_KEY),
    }
    # `tallybot sandbox` tells the user the same of each demo key.
    banner = {kind: OUTCOME_OVERRIDES["bigone"].get(kind, KEY_OUTCOMES[kind]) for kind in outcomes}
    assert [kind for kind, line in banner.items() if ": connects" in line] == ["read_only", "trading", "withdrawal"]
    assert all("refused" in banner[kind] for kind in ("ip_restricted", "expired", "revoked"))


async def test_each_list_needs_its_own_view_scope_and_the_key_check_names_a_missing_one() -> None:
    # "API Key Setup": View Deposit History for deposit records, View Withdrawal History for withdrawal records, …;
    # "If your API key lacks the required scope for an endpoint, you will receive a 403 Permission denied error
    # with code 10403."
    async with BigoneEmulator(seed=93, profile=SMALL, listed_pairs=20) as bigone:
        keys = bigone.create_demo_keys()
        key = keys.read_only
        bigone.scopes[key.api_key] = frozenset({"View Account Balance Information", "View Trade Information"})
        assert (await signed_get(bigone, key, "/viewer/accounts"))[0] == 200
        status, body = await signed_get(bigone, key, "/viewer/deposits")
        assert (status, body["code"]) == (403, 10403)
        status, body = await signed_get(bigone, key, "/viewer/withdrawals")
        assert (status, body["code"]) == (403, 10403)
        pool = ClientPool({"bigone": bigone.base_url})
        try:
            fields = {"apiKey": Secret(key.api_key), "secret": Secret(key.secret)}
            lacking = await check_key(get_profile("bigone"), fields, pool=pool, credential_id="demo:no-deposits")
            whole = keys.trading  # the four view scopes (and Create Orders, which no check can see)
            fields = {"apiKey": Secret(whole.api_key), "secret": Secret(whole.secret)}
            viewing = await check_key(get_profile("bigone"), fields, pool=pool, credential_id="demo:viewing")
        finally:
            await pool.close()
    # The balance read passes, the deposit list answers 10403: the key lacks a view scope, said when it connects.
    assert (lacking.ok, lacking.can_read) == (False, False)
    assert lacking.diagnosis is not None and lacking.diagnosis.code is DiagnosisCode.MISSING_PERMISSION
    assert lacking.requests == 2
    # A key with every view scope: the balance, one deposit and one withdrawal row.
    assert (viewing.ok, viewing.can_read, viewing.requests) == (True, True, 3)
