"""Gate against its documentation: the documented answers in tests/conformance/documented/gate/ and the rules of
docs/exchange-apis/gate.md.

Two checks per documented answer: the emulator answers in its shape (never the other way round), and the fetcher
reads off it what a person reads (the expected records are written by hand from the payload). Then the rules: the
signing and key errors, the parameter rules, the per-endpoint limit and the key check's outcome per demo key.
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
import ccxt
import pytest

from bot.secret import Secret
from connectors.clients import ClientPool
from connectors.diagnosis.model import DiagnosisCode
from connectors.fetchers.gate.rows import RowReader
from connectors.key_permissions import KeyFacts, PermissionsUnreadable, parse_gate
from connectors.keycheck import check_key, judge
from connectors.profiles import get_profile
from connectors.records import RecordKind
from sandbox.exchanges import AccountProfile, ApiKey, Credentials, GateEmulator, GateLimits, Permissions
from sandbox.exchanges.gate import signature_matches
from tests.conformance.corpus import move, readable, shape_differences

DOCUMENTED = Path(__file__).resolve().parent / "documented" / "gate"
SMALL = AccountProfile(
    years=1.0, traded_markets=3, trades=200, deposits=20, withdrawals=10, converts=5, transfers=0, rewards=8
)


def documented(name: str) -> Any:
    return json.loads((DOCUMENTED / name).read_text(encoding="utf-8"))


@pytest.fixture
async def gate() -> AsyncIterator[GateEmulator]:
    async with GateEmulator(seed=81, profile=SMALL, listed_symbols=20) as emulator:
        yield emulator


async def signed_get(
    emulator: GateEmulator,
    key: Credentials,
    path: str,
    query: str = "",
    *,
    skew_s: int = 0,
    drop: str = "",
    signed_path: str | None = None,
) -> tuple[int, Any]:
    """One GET signed as Gate's "Authentication" section shows, by hand, not by ccxt:
    HMAC-SHA512 of METHOD, path, query, SHA512 of the (empty) body and the timestamp, joined by newlines."""
    stamp = str(int(time.time()) + skew_s)
    body_hash = hashlib.sha512(b"").hexdigest()
    text = "\n".join(("GET", signed_path or f"/api/v4{path}", query, body_hash, stamp))
    headers = {
        "KEY": key.api_key,
        "Timestamp": stamp,
        "SIGN": hmac.new(key.secret.encode(), text.encode(), hashlib.sha512).hexdigest(),
    }
    headers.pop(drop, None)
    url = f"{emulator.base_url}/api/v4{path}" + (f"?{query}" if query else "")
    async with aiohttp.ClientSession() as http, http.get(url, headers=headers) as answer:
        return answer.status, await answer.json()


# -- the documented answers ----------------------------------------------------------------------------------


async def test_the_emulator_answers_the_documented_examples_in_their_shape(gate: GateEmulator) -> None:
    key = gate.create_demo_keys().read_only
    now = int(time.time())
    recent = f"from={now - 30 * 86_400}&to={now}"
    _, trades = await signed_get(gate, key, "/spot/my_trades", recent)
    _, deposits = await signed_get(gate, key, "/wallet/deposits", recent)
    newest = gate.account.withdrawals[-1].timestamp // 1000
    _, withdrawals = await signed_get(gate, key, "/wallet/withdrawals", f"from={newest - 86_400}&to={newest}")
    _, detail = await signed_get(gate, key, "/account/detail")
    assert trades and deposits and withdrawals, "each list has rows to compare"
    # Trade.md lists currency_pair; the documented example leaves it out (its call names a pair).
    assert (
        shape_differences(
            documented("my_trades.docs.json")["response"], trades, extra_allowed=frozenset({"$[].currency_pair"})
        )
        == []
    )
    assert shape_differences(documented("deposits.docs.json")["response"], deposits) == []
    # WithdrawalRecord.md lists block_number, which the documented example leaves out.
    allowed = frozenset({"$[].block_number"})
    assert shape_differences(documented("withdrawals.docs.json")["response"], withdrawals, extra_allowed=allowed) == []
    assert shape_differences(documented("account_detail.docs.json")["response"], detail) == []
    _, swaps = await signed_get(gate, key, "/flash_swap/orders")
    assert swaps and shape_differences(documented("flash_swap_orders.docs.json")["response"], swaps) == []
    _, dividends = await signed_get(gate, key, "/earn/uni/interest_records")
    assert dividends and shape_differences(documented("uni_interest_records.docs.json")["response"], dividends) == []
    _, book = await signed_get(gate, key, "/spot/account_book", recent)
    assert book and shape_differences(documented("account_book.docs.json")["response"], book) == []
    _, pairs = await signed_get(gate, key, "/spot/currency_pairs")
    # The response schema lists `type` (normal, premarket), which the example leaves out.
    allowed = frozenset({"$[].type"})
    assert shape_differences(documented("currency_pairs.docs.json")["response"], pairs, extra_allowed=allowed) == []
    _, listed = await signed_get(gate, key, "/account/main_keys")
    assert shape_differences(documented("main_keys.docs.json")["response"], listed) == []


def test_the_key_check_finds_a_key_in_the_documented_list_by_its_visible_start() -> None:
    keys = documented("main_keys.docs.json")["response"]  # two keys, each shown as 12 characters and *****
    first = parse_gate(keys, "c5dcfbf1f3a7" + "0" * 20)
    assert first == KeyFacts(can_read=True, can_trade=True, can_withdraw=False, ip_restricted=False)  # spot: write
    with pytest.raises(PermissionsUnreadable):
        parse_gate(keys, "0123456789ab" + "0" * 20)  # a key the list does not show
    with pytest.raises(PermissionsUnreadable):
        parse_gate(keys[:1], "52fd0035f665" + "0" * 20)  # the one key listed is another


def test_a_writable_right_gate_does_not_document_counts_as_trading_and_one_named_withdraw_as_withdrawing() -> None:
    row = {**documented("main_keys.docs.json")["response"][0], "key": "c5dcfbf1f3a7*****"}
    key = "c5dcfbf1f3a7" + "0" * 20

    def facts(*perms: tuple[str, bool]) -> KeyFacts:
        return parse_gate([{**row, "perms": [{"name": n, "read_only": ro} for n, ro in perms]}], key)

    read_only = facts(("spot", True), ("wallet", True), ("withdrawal", True))  # an unknown right, read-only
    assert read_only == KeyFacts(can_read=True, can_trade=False, can_withdraw=False, ip_restricted=False)
    odd = facts(("spot", True), ("zeta", False))
    assert (odd.can_trade, odd.can_withdraw, odd.unknown_permissions) == (True, False, ("zeta",))
    withdraw = facts(("spot", True), ("Withdrawal", False))
    assert (withdraw.can_withdraw, withdraw.unknown_permissions) == (False, ("withdrawal",))
    verdict = judge(get_profile("gate"), withdraw, allow_trading=True)  # trading allowed: withdrawing never is
    assert (verdict.ok, verdict.can_withdraw) == (False, True)
    assert verdict.diagnosis is not None and verdict.diagnosis.code is DiagnosisCode.TOO_MANY_PERMISSIONS
    documented_rights = facts(("earn", False), ("options", False), ("crossx", False))
    assert (documented_rights.can_trade, documented_rights.unknown_permissions) == (True, ())


def test_the_emulator_checks_the_documented_signature_example() -> None:
    # Gate's "API Signature string generation", example 1: key "key", secret "secret".
    key = ApiKey("key", "secret", Permissions(), created_at=0)
    empty = (  # the documented SHA512 of an empty body
        "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"
        "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e"
    )
    signed = "\n".join(
        ("GET", "/api/v4/futures/orders", "contract=BTC_USD&status=finished&limit=50", empty, "1541993715")
    )
    documented_sign = (
        "55f84ea195d6fe57ce62464daaa7c3c02fa9d1dde954e4c898289c9a2407a3d6"
        "fb3faf24deff16790d726b66ac9f74526668b13bd01029199cc4fcc522418b8a"
    )
    assert signature_matches(key, signed, documented_sign)
    assert not signature_matches(key, signed.replace("limit=50", "limit=51"), documented_sign)


def test_the_fetcher_reads_the_documented_trade_as_a_person_does() -> None:
    # The documented row with its pair (Trade.md's currency_pair: the example's ETH fee says the base is ETH).
    row = {**documented("my_trades.docs.json")["response"][0], "currency_pair": "ETH_BTC"}
    record = RowReader(ccxt.gate()).trade(row)
    assert record.natural_key == "trade:ETH_BTC:1232893232"
    assert readable(record) == {
        "kind": RecordKind.TRADE,
        "occurred_at": datetime(2019, 1, 20, 16, 0, 0, 123000, tzinfo=UTC),  # create_time_ms 1548000000123.456
        "asset": "ETH",
        "amount": Decimal("0.15"),
        "exchange_tx_id": "1232893232",
        "market": "ETH/BTC",
        "side": "buy",
        "quote_asset": "BTC",
        "quote_amount": Decimal("0.0045"),  # 0.15 × 0.03: Gate gives no quote amount
        "price": Decimal("0.03"),
        "fee_asset": "ETH",
        "fee_amount": Decimal("0.0005"),
    }


def test_the_fetcher_reads_the_documented_deposit_and_withdrawal_as_a_person_does() -> None:
    reader = RowReader(ccxt.gate())
    deposit, held = reader.deposit(documented("deposits.docs.json")["response"][0])
    withdrawal, _ = reader.withdrawal(documented("withdrawals.docs.json")["response"][0])
    assert held is None and deposit is not None and withdrawal is not None
    assert readable(deposit) == move(
        RecordKind.DEPOSIT, "2018-11-12T05:20:00", "128988928203223323290", "USDT", "222.61"
    )
    assert readable(withdrawal) == move(
        RecordKind.WITHDRAWAL, "2018-11-12T05:20:00", "210496", "USDT", "222.61", "0.01"
    )


def test_the_fetcher_reads_the_documented_flash_swap_as_a_person_does() -> None:
    row = documented("flash_swap_orders.docs.json")["response"][0]
    record, _ = RowReader(ccxt.gate()).convert(row)
    assert record is not None and record.natural_key == "convert:54646"
    assert readable(record) == {
        "kind": RecordKind.CONVERT,
        "occurred_at": datetime(2022, 4, 28, 3, 34, 36, 378000, tzinfo=UTC),  # create_time 1651116876378 ms
        "asset": "USDT",
        "amount": Decimal("10"),
        "exchange_tx_id": "54646",
        "market": None,
        "side": "buy",
        "quote_asset": "BTC",
        "quote_amount": Decimal("0.01"),
        "price": None,  # the example's price (100) is not buy ÷ sell (1000): its meaning is not documented
        "fee_asset": None,
        "fee_amount": None,
    }
    assert RowReader(ccxt.gate()).convert({**row, "status": 2}) == (None, None)  # failed: nothing moved


def test_the_fetcher_reads_the_documented_dividend_as_a_person_does() -> None:
    row = documented("uni_interest_records.docs.json")["response"][0]
    record, _ = RowReader(ccxt.gate()).interest(row)
    assert record is not None
    assert readable(record) == {
        "kind": RecordKind.REWARD,
        "occurred_at": datetime(2023, 1, 9, 6, 50, 54, tzinfo=UTC),  # create_time 1673247054000 ms
        "asset": "AE",
        "amount": Decimal("0.05"),
        "exchange_tx_id": None,
        "market": None,
        "side": None,
        "quote_asset": None,
        "quote_amount": None,
        "price": None,
        "fee_asset": None,
        "fee_amount": None,
    }
    assert RowReader(ccxt.gate()).interest({**row, "status": 0}) == (None, None)  # "0 - fail": nothing paid


def test_the_fetcher_reads_the_documented_book_row_as_a_move_between_own_accounts() -> None:
    row = documented("account_book.docs.json")["response"][0]
    reader = RowReader(ccxt.gate())
    record, _ = reader.book_move(row)
    assert record is not None and record.natural_key == "transfer:123456"
    assert readable(record) == {
        "kind": RecordKind.TRANSFER,
        "occurred_at": datetime(2019, 1, 16, 10, 15, 26, 123000, tzinfo=UTC),  # time 1547633726123 ms
        "asset": "BTC",
        "amount": Decimal("1.03"),
        "exchange_tx_id": "123456",
        "market": None,
        "side": "in",  # change positive: "transferring in"
        "quote_asset": None,
        "quote_amount": None,
        "price": None,
        "fee_asset": None,
        "fee_amount": None,
    }
    out, _ = reader.book_move({**row, "type": "futures_out", "change": "-0.5"})
    assert out is not None and (out.kind, out.amount, out.side) == (RecordKind.TRANSFER, Decimal("0.5"), "out")
    # To and from a sub-account the money leaves or enters this account: a withdrawal or a deposit of it.
    sub, _ = reader.book_move({**row, "type": "sub_account_transfer", "change": "-2"})
    assert sub is not None and (sub.kind, sub.amount, sub.natural_key) == (
        RecordKind.WITHDRAWAL,
        Decimal("2"),
        "withdrawal:book:123456",
    )
    # A fill, a fee or a deposit in the book is what the other lists already hold: not read here.
    for kind in ("order_fill", "order_fee", "deposit", "withdraw", "flash_swap_buy", "interest"):
        assert reader.book_move({**row, "type": kind}) == (None, None), kind


def test_rows_not_final_are_held_or_dropped_by_their_documented_status() -> None:
    reader = RowReader(ccxt.gate())
    now_s = int(time.time())
    row = {**documented("deposits.docs.json")["response"][0], "timestamp": str(now_s)}
    assert reader.deposit({**row, "status": "TRACK"}) == (None, now_s * 1000)  # counting confirmations
    assert reader.deposit({**row, "status": "BLOCKED"}) == (None, None)  # rejected: never credited
    assert reader.deposit({**row, "status": "DEP_CREDITED"})[0] is not None  # credited, withdrawal locked
    wrow = {**documented("withdrawals.docs.json")["response"][0], "timestamp": str(now_s)}
    assert reader.withdrawal({**wrow, "status": "PEND"}) == (None, now_s * 1000)
    assert reader.withdrawal({**wrow, "status": "CANCEL"}) == (None, None)


# -- the rules -----------------------------------------------------------------------------------------------


async def test_key_errors_are_gates_documented_labels(gate: GateEmulator) -> None:
    keys = gate.create_demo_keys()
    key = keys.read_only
    path = "/account/detail"
    ok_status, ok = await signed_get(gate, key, path)
    assert (ok_status, ok["ip_whitelist"], ok["key"]) == (200, [], {"mode": 1})
    answers = [
        await signed_get(gate, key, path, drop="SIGN"),
        await signed_get(gate, Credentials(gate.unknown_key(), key.secret), path),
        await signed_get(gate, keys.revoked, path),
        await signed_get(gate, key, path, skew_s=-61),  # more than 60 seconds off
        await signed_get(gate, key, path, signed_path="/api/v4/spot/my_trades"),
        await signed_get(gate, keys.ip_restricted, path),
    ]
    assert [(status, body["label"]) for status, body in answers] == [
        (401, "MISSING_REQUIRED_HEADER"),
        (401, "INVALID_KEY"),
        (401, "INVALID_KEY"),
        (401, "REQUEST_EXPIRED"),
        (401, "INVALID_SIGNATURE"),
        (403, "IP_FORBIDDEN"),
    ]
    assert (await signed_get(gate, key, path, skew_s=-59))[0] == 200


async def test_ranges_and_limits_follow_the_docs(gate: GateEmulator) -> None:
    key = gate.create_demo_keys().read_only
    now = int(time.time())
    thirty_days, longer = f"from={now - 30 * 86_400}&to={now}", f"from={now - 30 * 86_400 - 1}&to={now}"
    assert (await signed_get(gate, key, "/spot/my_trades", thirty_days))[0] == 200
    for path in ("/spot/my_trades", "/wallet/deposits", "/wallet/withdrawals", "/spot/account_book"):
        status, body = await signed_get(gate, key, path, longer)
        assert (status, body["label"]) == (400, "INVALID_PARAM_VALUE"), path
    assert (await signed_get(gate, key, "/spot/my_trades", "limit=1000"))[0] == 200
    assert (await signed_get(gate, key, "/spot/my_trades", "limit=1001"))[0] == 400
    assert (await signed_get(gate, key, "/wallet/deposits", "limit=500"))[0] == 200
    assert (await signed_get(gate, key, "/wallet/deposits", "limit=501"))[0] == 400
    # The book: "limit * (page - 1) <= 100,000".
    assert (await signed_get(gate, key, "/spot/account_book", "limit=1000&page=101"))[0] == 200
    assert (await signed_get(gate, key, "/spot/account_book", "limit=1000&page=102"))[0] == 400
    # Without a range: the last 7 days only.
    _, week = await signed_get(gate, key, "/spot/my_trades", "limit=1000")
    expected = sum(1 for t in gate.account.trades if t.timestamp // 1000 >= now - 7 * 86_400)
    assert len(week) == expected
    # Paging inside a range: page numbers for trades, offsets for the wallet lists, newest first.
    _, first = await signed_get(gate, key, "/spot/my_trades", f"{thirty_days}&limit=2&page=1")
    _, second = await signed_get(gate, key, "/spot/my_trades", f"{thirty_days}&limit=2&page=2")
    _, both = await signed_get(gate, key, "/spot/my_trades", f"{thirty_days}&limit=4")
    assert [t["id"] for t in first + second] == [t["id"] for t in both]


async def test_each_endpoint_has_its_own_budget_and_a_spent_one_answers_429() -> None:
    async with GateEmulator(seed=82, profile=SMALL, listed_symbols=20, limits=GateLimits(requests=3)) as gate:
        key = gate.create_demo_keys().read_only
        statuses = [(await signed_get(gate, key, "/wallet/deposits"))[0] for _ in range(4)]
        other, _ = await signed_get(gate, key, "/wallet/withdrawals")
        _, body = await signed_get(gate, key, "/wallet/deposits")
    assert statuses == [200, 200, 200, 429]
    assert other == 200
    assert body["label"] == "TOO_MANY_REQUESTS"


async def test_each_demo_key_gets_the_key_checks_outcome_from_gates_answer(gate: GateEmulator) -> None:
    keys = gate.create_demo_keys()
    pool = ClientPool({"gate": gate.base_url})
    outcomes: dict[str, tuple[bool, DiagnosisCode | None]] = {}
    try:
        for name, key in (
            ("read_only", keys.read_only),
            ("trading", keys.trading),
            ("withdrawal", keys.withdrawal),
            ("ip_restricted", keys.ip_restricted),
            ("expired", keys.expired),
            ("revoked", keys.revoked),
        ):
            fields = {"apiKey": Secret(key.api_key), "secret": Secret(key.secret)}
            checked = await check_key(get_profile("gate"), fields, pool=pool, credential_id=f"demo:{name}")
            outcomes[name] = (checked.ok, checked.diagnosis.code if checked.diagnosis else None)
    finally:
        await pool.close()
    D = DiagnosisCode
    assert outcomes == {
        "read_only": (True, None),
        "trading": (False, D.TOO_MANY_PERMISSIONS),  # spot not read-only
        "withdrawal": (False, D.TOO_MANY_PERMISSIONS),  # spot and wallet not read-only
        "ip_restricted": (False, D.IP_NOT_ALLOWED),  # IP_FORBIDDEN
        "expired": (False, D.INVALID_KEY),  # Gate keys do not expire; a lapsed key is an unknown one
        "revoked": (False, D.INVALID_KEY),
    }
