"""KuCoin against its documentation: the documented answers in tests/conformance/documented/kucoin/ and the tables of
docs/exchange-apis/kucoin.md.

Two checks per documented answer: the emulator answers in its shape (never the other way round), and the fetcher
reads off it what a person reads (the expected records are written by hand from the payload). Then the rules: the
signing and key errors, the parameter rules and paging, the resource pools.
"""

from __future__ import annotations

import base64
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
from connectors.fetchers.base import FetchReport
from connectors.fetchers.discovery import SpotMarket
from connectors.fetchers.kucoin import KucoinFetcher
from connectors.fetchers.kucoin.rows import RowReader
from connectors.key_permissions import KeyFacts, parse_kucoin
from connectors.keycheck import check_key
from connectors.profiles import get_profile
from connectors.records import RecordKind
from sandbox.exchanges import AccountProfile, Credentials
from sandbox.exchanges.kucoin import DEFAULT_POOLS, KucoinEmulator, KucoinLimits
from tests.conformance.corpus import move, readable, shape_differences

DOCUMENTED = Path(__file__).resolve().parent / "documented" / "kucoin"
SMALL = AccountProfile(
    years=1.0, traded_markets=3, trades=420, deposits=30, withdrawals=12, converts=0, transfers=6, rewards=6
)


def documented(name: str) -> Any:
    return json.loads((DOCUMENTED / name).read_text(encoding="utf-8"))


class Codes:
    """ccxt's currency codes for the ids in these payloads are the ids themselves."""

    def safe_currency_code(self, currency: str) -> str:
        return currency


@pytest.fixture
async def kucoin() -> AsyncIterator[KucoinEmulator]:
    async with KucoinEmulator(seed=81, profile=SMALL, listed_symbols=20) as emulator:
        yield emulator


async def signed_get(
    emulator: KucoinEmulator,
    key: Credentials,
    path: str,
    *,
    passphrase: str | None = None,
    version: str = "2",
    skew_ms: int = 0,
    drop: str = "",
    signed_path: str | None = None,
) -> tuple[int, Any]:
    """One GET signed as KuCoin's docs show (timestamp + method + path with query), by hand, not by ccxt."""
    timestamp = str(int(time.time() * 1000) + skew_ms)
    digest = hmac.new(key.secret.encode(), f"{timestamp}GET{signed_path or path}".encode(), hashlib.sha256).digest()
    chosen = key.passphrase if passphrase is None else passphrase
    sent = chosen
    if version != "1":
        sent = base64.b64encode(hmac.new(key.secret.encode(), chosen.encode(), hashlib.sha256).digest()).decode()
    headers = {
        "KC-API-KEY": key.api_key,
        "KC-API-SIGN": base64.b64encode(digest).decode(),
        "KC-API-TIMESTAMP": timestamp,
        "KC-API-PASSPHRASE": sent,
        "KC-API-KEY-VERSION": version,
    }
    headers.pop(drop, None)
    async with aiohttp.ClientSession() as http, http.get(emulator.base_url + path, headers=headers) as answer:
        return answer.status, await answer.json()


# -- the documented answers ----------------------------------------------------------------------------------


async def test_the_emulator_answers_the_documented_examples_in_their_shape(kucoin: KucoinEmulator) -> None:
    key = kucoin.create_demo_keys().read_only
    symbol = kucoin.account.traded_symbols[0]
    _, fills = await signed_get(kucoin, key, f"/api/v1/hf/fills?symbol={symbol}")
    _, deposits = await signed_get(kucoin, key, "/api/v1/deposits")
    assert fills["data"]["items"] and deposits["data"]["items"]
    assert shape_differences(documented("hf_fills.docs.json")["response"], fills) == []
    # The documented deposits are internal ones (walletTxId null, which admits any type); ours are on-chain.
    assert shape_differences(documented("deposits.docs.json")["response"], deposits) == []
    for name, path in (
        ("api_key.docs.json", "/api/v1/user/api-key"),
        ("accounts.docs.json", "/api/v1/accounts"),
        ("hf_accounts_opened.docs.json", "/api/v1/hf/accounts/opened"),
        ("accounts_ledgers.docs.json", "/api/v1/accounts/ledgers?bizType=TRANSFER"),
        ("accounts_ledgers.docs.json", "/api/v1/accounts/ledgers?bizType=KUCOIN_BONUS"),
    ):
        _, answer = await signed_get(kucoin, key, path)
        assert shape_differences(documented(name)["response"], answer) == [], name


def test_the_key_check_reads_the_documented_key_info() -> None:
    # "Transfer" moves funds out, withdrawals included; Spot, Margin, Futures, Earn and InnerTransfer are writes.
    facts = parse_kucoin(documented("api_key.docs.json")["response"])
    assert facts == KeyFacts(can_read=True, can_trade=True, can_withdraw=True, ip_restricted=True)


async def test_market_discovery_adds_up_every_account_type_of_the_documented_balances() -> None:
    class Accounts(Codes):
        async def privateGetAccounts(self, params: Any) -> Any:
            return documented("accounts.docs.json")["response"]

    fetcher = KucoinFetcher(get_profile("kucoin"), Accounts())
    held = await fetcher._balances(FetchReport())
    assert held == {"USDT": Decimal("26.67759503")}  # 26.66759503 in the trade account + 0.01 in the main one


def test_the_fetcher_reads_the_documented_fill_as_a_person_does() -> None:
    row = documented("hf_fills.docs.json")["response"]["data"]["items"][0]
    market = SpotMarket("BTC-ETC", "BTC", "ETC", "BTC/ETC", "BTC", "ETC")
    record = RowReader(Codes()).fill(market, row)
    assert record.natural_key == "trade:BTC-ETC:616179312641"
    assert readable(record) == {
        "kind": RecordKind.TRADE,
        "occurred_at": datetime(2022, 8, 25, 1, 25, 2, 919000, tzinfo=UTC),
        "asset": "BTC",
        "amount": Decimal("1"),
        "exchange_tx_id": "616179312641",
        "market": "BTC/ETC",
        "side": "buy",
        "quote_asset": "ETC",
        "quote_amount": Decimal("1"),
        "price": Decimal("1"),
        "fee_asset": "USDT",
        "fee_amount": Decimal("0.00021"),
    }


def test_the_fetcher_reads_the_documented_deposits_as_a_person_does() -> None:
    rows = documented("deposits.docs.json")["response"]["data"]["items"]
    reader = RowReader(Codes())
    parsed = [reader.deposit(row) for row in rows]
    assert [hold for _, hold in parsed] == [None, None]
    records = [record for record, _ in parsed if record is not None]
    # 1728555875000 ms = 2024-10-10T10:24:35Z, 1721730920000 ms = 2024-07-23T10:35:20Z; no fee charged, no chain hash.
    assert [readable(r) for r in records] == [
        move(RecordKind.DEPOSIT, "2024-10-10T10:24:35", None, "USDT", "1"),
        move(RecordKind.DEPOSIT, "2024-07-23T10:35:20", None, "USDT", "6"),
    ]
    assert len({r.natural_key for r in records}) == 2  # no id of their own, told apart all the same


def test_the_fetcher_reads_the_documented_ledger_row_as_a_person_does() -> None:
    row = documented("accounts_ledgers.docs.json")["response"]["data"]["items"][0]
    transfer, hold = RowReader(Codes()).transfer(row)
    assert hold is None and transfer is not None
    assert transfer.natural_key == "transfer:265329987780896"
    # 1728658481484 ms = 2024-10-11T14:54:41.484Z; 0.01 USDT out of the trade account, no fee.
    assert readable(transfer) == {
        **move(RecordKind.TRANSFER, "2024-10-11T14:54:41.484", "265329987780896", "USDT", "0.01"),
        "side": "out",
    }


def test_pending_and_failed_rows_follow_the_documented_statuses() -> None:
    row = documented("deposits.docs.json")["response"]["data"]["items"][0]
    reader = RowReader(Codes())
    now_ms = int(time.time() * 1000)
    assert reader.deposit({**row, "status": "FAILURE"}) == (None, None)
    assert reader.deposit({**row, "status": "PROCESSING", "createdAt": now_ms}) == (None, now_ms)
    withdrawal = {**row, "id": "5c2dc64e03aa675aa263f1ac", "fee": "0.5", "status": "WALLET_PROCESSING"}
    assert reader.withdrawal({**withdrawal, "createdAt": now_ms}) == (None, now_ms)
    done, _ = reader.withdrawal({**withdrawal, "status": "SUCCESS"})
    assert done is not None and done.fee_amount == Decimal("0.5") and done.exchange_tx_id == withdrawal["id"]


# -- signing and keys ---------------------------------------------------------------------------------------


async def test_key_errors_are_kucoins_documented_codes(kucoin: KucoinEmulator) -> None:
    keys = kucoin.create_demo_keys()
    key = keys.read_only
    path = "/api/v1/user/api-key"
    ok_status, ok = await signed_get(kucoin, key, path)
    v1_status, _ = await signed_get(kucoin, key, path, version="1")
    assert (ok_status, ok["data"]["permission"], ok["data"]["ipWhitelist"]) == (200, "General", "")
    assert v1_status == 200, "version 1 keys send the passphrase as chosen"
    wrong = await signed_get(kucoin, key, path, passphrase="not-it")
    late = await signed_get(kucoin, key, path, skew_ms=-5_000)  # "must be less than 5 seconds"
    missing = await signed_get(kucoin, key, path, drop="KC-API-SIGN")
    unknown = await signed_get(kucoin, Credentials(kucoin.unknown_key(), key.secret, key.passphrase), path)
    bad_sign = await signed_get(kucoin, key, path, signed_path="/api/v1/accounts")
    foreign = await signed_get(kucoin, keys.ip_restricted, path)
    assert [answer["code"] for _, answer in (wrong, late, missing, unknown, bad_sign, foreign)] == [
        "400004",
        "400002",
        "400001",
        "400003",
        "400005",
        "400006",
    ]
    _, trading = await signed_get(kucoin, keys.trading, path)
    _, withdrawal = await signed_get(kucoin, keys.withdrawal, path)
    assert trading["data"]["permission"] == "General,Spot"
    assert withdrawal["data"]["permission"] == "General,Spot,Transfer"
    assert withdrawal["data"]["ipWhitelist"] == "203.0.113.7,127.0.0.1"


# -- parameters, paging, pools -------------------------------------------------------------------------------


async def test_fill_and_deposit_parameters_follow_the_docs(kucoin: KucoinEmulator) -> None:
    key = kucoin.create_demo_keys().read_only
    symbol = max(kucoin.account.traded_symbols, key=lambda s: len(kucoin.account.trades_for(s)))
    no_symbol = await signed_get(kucoin, key, "/api/v1/hf/fills")
    too_many = await signed_get(kucoin, key, f"/api/v1/hf/fills?symbol={symbol}&limit=101")
    too_small = await signed_get(kucoin, key, "/api/v1/deposits?pageSize=9")
    assert [a["code"] for _, a in (no_symbol, too_many, too_small)] == ["400100"] * 3
    # lastId walks down by fill id, newest first, 100 at a time (the default and the maximum), without a gap.
    seen: list[int] = []
    query = f"/api/v1/hf/fills?symbol={symbol}"
    while True:
        _, page = await signed_get(kucoin, key, query)
        items = page["data"]["items"]
        assert len(items) <= 100
        seen += [row["id"] for row in items]
        if len(items) < 100:
            break
        query = f"/api/v1/hf/fills?symbol={symbol}&lastId={page['data']['lastId']}"
    assert len(seen) == len(kucoin.account.trades_for(symbol)) > 100
    assert seen == sorted(seen, reverse=True) and len(set(seen)) == len(seen)
    _, deposits = await signed_get(kucoin, key, "/api/v1/deposits?pageSize=10&currentPage=2")
    data = deposits["data"]
    assert (data["pageSize"], data["currentPage"], data["totalNum"]) == (10, 2, len(kucoin.account.deposits))
    assert data["totalPage"] == -(-len(kucoin.account.deposits) // 10)


def test_the_pools_and_weights_are_kucoins_documented_ones() -> None:
    emulator = KucoinEmulator(seed=1, profile=SMALL, listed_symbols=5)
    assert dict(DEFAULT_POOLS) == {"spot": 4000, "futures": 2000, "management": 2000, "public": 2000}  # VIP0, 30 s
    weights = {e.path: (e.pool, e.weight) for e in emulator.endpoints}
    assert weights["/api/v1/hf/fills"] == ("spot", 2)
    assert weights["/api/v1/fills"] == ("spot", 10)
    assert weights["/api/v1/deposits"] == ("management", 5)
    assert weights["/api/v1/withdrawals"] == ("management", 20)
    assert weights["/api/v1/user/api-key"] == ("management", 20)
    assert weights["/api/v1/accounts"] == ("management", 5)
    assert weights["/api/v1/hf/accounts/opened"] == ("spot", 30)
    assert weights["/api/v1/accounts/ledgers"] == ("management", 2)
    assert weights["/api/v1/convert/order/history"] == ("spot", 5)
    assert weights["/api/v1/convert/limit/orders"] == ("spot", 5)
    # The futures host's (kucoin_futures.py): the ledger "Manage weight: 2", the overview and fills 5 in Futures.
    assert weights["/api/v1/transaction-history"] == ("management", 2)
    assert weights["/api/v1/account-overview"] == ("futures", 5)
    assert (emulator.futures_fills.pool, emulator.futures_fills.weight) == ("futures", 5)


# The convert history's row fields as the docs-new page lists them (docs/exchange-apis/kucoin.md, "converts"); no
# response example of the page was found, so the row is checked against the field list, not a payload.
CONVERT_FIELDS = {
    "clientOrderId",
    "orderId",
    "price",
    "fromCurrency",
    "toCurrency",
    "fromCurrencySize",
    "toCurrencySize",
    "accountType",
    "orderTime",
    "status",
}


# The limit orders' row fields as the docs-new page lists them ("Get Convert Limit Orders", same caveat).
LIMIT_CONVERT_FIELDS = CONVERT_FIELDS | {
    "expiryTime",
    "cancelTime",
    "filledTime",
    "cancelType",
}


async def test_the_convert_history_answers_its_documented_fields_and_follows_its_page_rules() -> None:
    # 45 scripted converts: every third (15) is served as a limit order, the other 30 as market orders.
    profile = AccountProfile(years=0.5, traded_markets=2, trades=10, deposits=2, withdrawals=1, converts=45)
    async with KucoinEmulator(seed=83, profile=profile, listed_symbols=5) as kucoin:
        key = kucoin.create_demo_keys().read_only
        path, limit = "/api/v1/convert/order/history", "/api/v1/convert/limit/orders"
        too_small = await signed_get(kucoin, key, f"{path}?pageSize=19")
        too_large = await signed_get(kucoin, key, f"{path}?pageSize=101")
        unknown = await signed_get(kucoin, key, f"{path}?status=CANCELLED")  # a limit order's status only
        _, first = await signed_get(kucoin, key, f"{path}?pageSize=20&page=1")
        _, second = await signed_get(kucoin, key, f"{path}?pageSize=20&page=2")
        _, succeeded = await signed_get(kucoin, key, f"{path}?pageSize=100&status=SUCCESS")
        _, limits = await signed_get(kucoin, key, f"{limit}?pageSize=100")
        _, cancelled = await signed_get(kucoin, key, f"{limit}?pageSize=100&status=CANCELLED")
    assert [a["code"] for _, a in (too_small, too_large, unknown)] == ["400100"] * 3
    data = first["data"]
    assert (data["currentPage"], data["pageSize"], data["totalNum"], data["totalPage"]) == (1, 20, 30, 2)
    assert {frozenset(row) for row in data["items"]} == {frozenset(CONVERT_FIELDS)}
    assert len(second["data"]["items"]) == 10  # 30 orders: 20, 10
    assert all(isinstance(row["orderId"], int) and isinstance(row["orderTime"], int) for row in data["items"])
    assert len(succeeded["data"]["items"]) == 30
    assert limits["data"]["totalNum"] == 15
    assert {frozenset(row) for row in limits["data"]["items"]} == {frozenset(LIMIT_CONVERT_FIELDS)}
    assert all(isinstance(row["orderId"], str) for row in limits["data"]["items"])
    assert cancelled["data"]["items"] == []


async def test_a_spent_pool_answers_429000_with_http_429() -> None:
    limits = KucoinLimits(pools={"spot": 4000, "management": 40, "public": 2000})
    async with KucoinEmulator(seed=2, profile=SMALL, listed_symbols=5, limits=limits) as emulator:
        key = emulator.create_demo_keys().read_only
        answers = [await signed_get(emulator, key, "/api/v1/withdrawals") for _ in range(3)]
        _, fills = await signed_get(emulator, key, f"/api/v1/hf/fills?symbol={emulator.account.traded_symbols[0]}")
    assert [status for status, _ in answers] == [200, 200, 429]  # weight 20 each, 40 a pool
    assert answers[2][1] == {"code": "429000", "msg": "Too Many Requests"}
    assert fills["code"] == "200000", "the Spot pool is separate from Management"


async def test_the_client_tallybot_builds_loads_markets_in_one_public_call(kucoin: KucoinEmulator) -> None:
    key = kucoin.create_demo_keys().read_only
    pool = ClientPool({"kucoin": kucoin.base_url})
    try:
        async with pool.client("kucoin", "conformance", key.ccxt_config()) as client:
            assert len(client.markets) == len(kucoin.account.markets)
    finally:
        await pool.close()
    assert dict(kucoin.requests.by_path) == {"/api/v2/symbols": 1}
    assert not kucoin.requests.unexpected


async def test_each_demo_key_gets_the_key_checks_outcome_from_kucoins_answer(kucoin: KucoinEmulator) -> None:
    keys = kucoin.create_demo_keys()
    wrong_passphrase = Credentials(keys.read_only.api_key, keys.read_only.secret, "not-the-passphrase")
    pool = ClientPool({"kucoin": kucoin.base_url})
    outcomes: dict[str, tuple[bool, DiagnosisCode | None]] = {}
    try:
        for name, key in (
            ("read_only", keys.read_only),
            ("trading", keys.trading),
            ("withdrawal", keys.withdrawal),
            ("ip_restricted", keys.ip_restricted),
            ("expired", keys.expired),
            ("revoked", keys.revoked),
            ("wrong_passphrase", wrong_passphrase),
        ):
            fields = {"apiKey": Secret(key.api_key), "secret": Secret(key.secret), "password": Secret(key.passphrase)}
            checked = await check_key(get_profile("kucoin"), fields, pool=pool, credential_id=f"demo:{name}")
            outcomes[name] = (checked.ok, checked.diagnosis.code if checked.diagnosis else None)
    finally:
        await pool.close()
    D = DiagnosisCode
    assert outcomes == {
        "read_only": (True, None),
        "trading": (False, D.TOO_MANY_PERMISSIONS),  # Spot
        "withdrawal": (False, D.TOO_MANY_PERMISSIONS),  # Spot, Transfer
        "ip_restricted": (False, D.IP_NOT_ALLOWED),  # 400006
        "expired": (False, D.INVALID_KEY),  # 400003: KuCoin has no key expiry; a lapsed key is a deleted one
        "revoked": (False, D.INVALID_KEY),  # 400003
        "wrong_passphrase": (False, D.WRONG_PASSPHRASE),  # 400004
    }


# -- classic fills (GET /api/v1/fills): an account's fills from before its high-frequency upgrade -------------------


def test_the_fetcher_reads_the_documented_classic_fill_as_a_person_does() -> None:
    row = documented("fills.docs.json")["response"]["data"]["items"][0]
    market = SpotMarket("BTC-USDT", "BTC", "USDT", "BTC/USDT", "BTC", "USDT")
    record = RowReader(Codes()).fill(market, row)
    assert record.natural_key == "trade:BTC-USDT:5c35c02709e4f67d5266954e"
    # 1547026472000 ms = 2019-01-09T09:34:32Z; bought 0.8424304 BTC at 0.083 for 0.0699217232 USDT, no fee.
    assert readable(record) == {
        "kind": RecordKind.TRADE,
        "occurred_at": datetime(2019, 1, 9, 9, 34, 32, tzinfo=UTC),
        "asset": "BTC",
        "amount": Decimal("0.8424304"),
        "exchange_tx_id": "5c35c02709e4f67d5266954e",
        "market": "BTC/USDT",
        "side": "buy",
        "quote_asset": "USDT",
        "quote_amount": Decimal("0.0699217232"),
        "price": Decimal("0.083"),
        "fee_asset": "USDT",
        "fee_amount": Decimal("0"),
    }


async def test_classic_fills_answer_in_the_documented_shape_and_follow_the_documented_range_rules() -> None:
    async with KucoinEmulator(seed=82, profile=SMALL, listed_symbols=20) as probe:
        now = probe.clock.now_ms()
    week = 7 * 86_400_000
    # Upgraded 30 days ago: the classic list holds the fills before then, the HF list the rest.
    async with KucoinEmulator(seed=82, profile=SMALL, listed_symbols=20, hf_upgrade_ms=now - 30 * 86_400_000) as emu:
        key = emu.create_demo_keys().read_only
        classic = [t for t in emu.account.trades if t.timestamp < now - 30 * 86_400_000]
        busiest = max(
            range(0, 52), key=lambda n: sum(now - (n + 1) * week <= t.timestamp < now - n * week for t in classic)
        )
        start = now - (busiest + 1) * week
        _, answer = await signed_get(emu, key, f"/api/v1/fills?startAt={start}&endAt={start + week}&pageSize=10")
        assert answer["data"]["items"]
        assert shape_differences(documented("fills.docs.json")["response"], answer) == []
        in_week = [t for t in classic if start <= t.timestamp <= start + week]
        assert answer["data"]["totalNum"] == len(in_week)
        assert answer["data"]["totalPage"] == -(-len(in_week) // 10)
        times = [row["createdAt"] for row in answer["data"]["items"]]
        assert times == sorted(times, reverse=True) == sorted((t.timestamp for t in in_week), reverse=True)[:10]
        # More than 7 × 24 h apart is refused; only startAt means the week after it.
        _, too_long = await signed_get(emu, key, f"/api/v1/fills?startAt={start}&endAt={start + week + 1}")
        _, from_start = await signed_get(emu, key, f"/api/v1/fills?startAt={start}&pageSize=500")
        _, small_page = await signed_get(emu, key, "/api/v1/fills?pageSize=9")
        _, hf = await signed_get(
            emu, key, f"/api/v1/hf/fills?symbol={classic[-1].symbol}&endAt={classic[-1].timestamp}"
        )
    assert too_long["code"] == small_page["code"] == "400100"
    assert from_start["data"]["totalNum"] == len(in_week)
    assert hf["data"]["items"] == [], "a fill from before the upgrade is not on the HF list"
