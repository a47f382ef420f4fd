"""A user pastes a key; Tallybot checks it against the exchange (real ccxt, emulators on 127.0.0.1) and says why not.

Exchanges without an emulator are covered by their documented permission payloads (the `parse_*` functions) and
by small fake clients that replay those payloads through `check_key`.
"""

from __future__ import annotations

import copy
import json
import logging
import re
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.logs import configure_logging
from bot.secret import Secret
from connectors.clients import READ_ONLY_CONFIG, ClientPool
from connectors.diagnosis import DiagnosisCode
from connectors.diagnosis import texts as t
from connectors.keycheck import (
    KeyCheck,
    KeyFacts,
    PermissionsUnreadable,
    check_key,
    judge,
    parse_binance,
    parse_bitget,
    parse_bybit,
    parse_coinbase,
    parse_gate,
    parse_htx,
    parse_kraken,
    parse_kucoin,
    parse_okx,
)
from connectors.profiles import ExchangeProfile, get_profile
from i18n import render
from sandbox.exchanges import (
    AccountProfile,
    BinanceEmulator,
    BitgetDemoKeys,
    BitgetEmulator,
    BitgetLimits,
    BybitEmulator,
    BybitLimits,
    Credentials,
    DemoKeys,
    ExchangeEmulator,
    OkxEmulator,
    OkxLimits,
)
from sandbox.exchanges.base import respond

D = DiagnosisCode
SMALL = AccountProfile(
    years=1.0, traded_markets=6, trades=30, deposits=3, withdrawals=2, converts=2, transfers=2, rewards=2
)


def relaxed(exchange: str) -> dict[str, Any]:
    """Rate limits out of the way (Bitget allows one account-info call per second), except where a test wants them."""
    if exchange == "bybit":
        return {"limits": BybitLimits(per_second={}, default_per_second=1000)}
    if exchange == "okx":
        return {"limits": OkxLimits(rules={}, default_rule=(1000, 1000))}
    if exchange == "bitget":
        return {"limits": BitgetLimits(per_second={}, default_per_second=1000)}
    return {}


EMULATORS: dict[str, type[ExchangeEmulator]] = {
    "binance": BinanceEmulator,
    "bybit": BybitEmulator,
    "okx": OkxEmulator,
    "bitget": BitgetEmulator,
}

# What load_markets needs so that it makes only calls the emulators serve (as tests/emulators/conftest.py does).
# connectors.clients.READ_ONLY_CONFIG has these for Binance and Bybit; OKX and Bitget are added here until it does.
MARKETS_CONFIG: dict[str, dict[str, Any]] = {
    "okx": {"has": {"fetchCurrencies": False}, "options": {"fetchMarkets": {"types": ["spot"]}}},
    "bitget": {"has": {"fetchCurrencies": False}, "options": {"fetchMarkets": {"types": ["spot"]}, "uta": False}},
}

# What each exchange can tell apart. Binance answers -2015 for an expired, an IP-restricted and an unreadable key
# alike (only /sapi's -2008 singles out unknown and deleted keys); OKX and Bitget forget expired keys, so those
# look deleted; Bybit has a code for each.
FAILURES: dict[str, dict[str, DiagnosisCode]] = {
    "binance": {
        "bad_secret": D.INVALID_KEY,  # -1022
        "unknown_key": D.INVALID_KEY,  # -2008
        "revoked": D.INVALID_KEY,  # -2008
        "expired": D.KEY_REFUSED,  # -2015
        "ip_restricted": D.KEY_REFUSED,  # -2015
    },
    "bybit": {
        "bad_secret": D.INVALID_KEY,  # 10004
        "unknown_key": D.INVALID_KEY,  # 10003
        "revoked": D.INVALID_KEY,  # 10003
        "expired": D.KEY_EXPIRED,  # 33004
        "ip_restricted": D.IP_NOT_ALLOWED,  # 10010
    },
    "okx": {
        "bad_secret": D.INVALID_KEY,  # 50113
        "unknown_key": D.INVALID_KEY,  # 50119
        "revoked": D.INVALID_KEY,  # 50119
        "expired": D.INVALID_KEY,  # 50119: OKX deletes lapsed keys
        "ip_restricted": D.IP_NOT_ALLOWED,  # 50110
        "bad_passphrase": D.WRONG_PASSPHRASE,  # 50105
    },
    "bitget": {
        "bad_secret": D.INVALID_KEY,  # 40009
        "unknown_key": D.INVALID_KEY,  # 40006
        "revoked": D.INVALID_KEY,  # 40037
        "expired": D.INVALID_KEY,  # 40037
        "ip_restricted": D.IP_NOT_ALLOWED,  # 40018
        "bad_passphrase": D.WRONG_PASSPHRASE,  # 40012
    },
}


@pytest.fixture(autouse=True)
def _markets_config(monkeypatch: pytest.MonkeyPatch) -> None:
    for exchange, config in MARKETS_CONFIG.items():
        if exchange not in READ_ONLY_CONFIG:
            monkeypatch.setitem(READ_ONLY_CONFIG, exchange, config)


@dataclass
class Venue:
    exchange: str
    emulator: ExchangeEmulator
    keys: DemoKeys
    pool: ClientPool

    @property
    def profile(self) -> ExchangeProfile:
        return get_profile(self.exchange)

    def credentials(self, case: str) -> Credentials:
        read_only = self.keys.read_only
        if case == "bad_secret":
            return read_only._replace(secret="0" * len(read_only.secret))
        if case == "unknown_key":
            return read_only._replace(api_key=self.emulator.unknown_key())
        if case == "bad_passphrase":
            return read_only._replace(passphrase="not-the-passphrase")
        credentials: Credentials = getattr(self.keys, case)
        return credentials

    async def check(self, case: str, **options: Any) -> KeyCheck:
        return await check_key(
            self.profile, as_secrets(self.credentials(case)), pool=self.pool, credential_id="new", **options
        )


def as_secrets(credentials: Credentials) -> dict[str, Secret]:
    secrets = {"apiKey": Secret(credentials.api_key), "secret": Secret(credentials.secret)}
    if credentials.passphrase:
        secrets["password"] = Secret(credentials.passphrase)
    return secrets


@asynccontextmanager
async def running(exchange: str, **kwargs: Any) -> AsyncIterator[Venue]:
    options = {"seed": 7, "profile": SMALL, "listed_symbols": 20, **relaxed(exchange), **kwargs}
    async with EMULATORS[exchange](**options) as emulator:
        pool = ClientPool({exchange: emulator.base_url})
        try:
            yield Venue(exchange, emulator, emulator.create_demo_keys(), pool)
        finally:
            await pool.close()


@pytest.fixture(params=sorted(EMULATORS))
async def venue(request: pytest.FixtureRequest) -> AsyncIterator[Venue]:
    async with running(request.param) as venue:
        yield venue


# ---------------------------------------------------------------------------------------------- live checks


async def test_a_read_only_key_passes_with_one_request(venue: Venue) -> None:
    result = await venue.check("read_only")

    assert result.ok and result.diagnosis is None
    assert (result.can_read, result.can_trade, result.can_withdraw) == (True, False, False)
    assert result.permissions_verified is True
    assert result.ip_restricted is False
    assert result.requests == 1
    assert venue.emulator.requests.unexpected == []
    assert venue.pool.open_clients == 0, "the throwaway client is closed after the check"


async def test_a_trading_key_is_refused_unless_the_operator_allows_it(venue: Venue) -> None:
    refused = await venue.check("trading")
    allowed = await venue.check("trading", allow_trading=True)

    assert not refused.ok
    assert refused.diagnosis is not None and refused.diagnosis.code is D.TOO_MANY_PERMISSIONS
    assert refused.can_trade is True and refused.can_withdraw is False
    assert "read" in " ".join(refused.diagnosis.tips)
    assert allowed.ok and allowed.diagnosis is None
    assert t.WARN_TRADING_ALLOWED in allowed.warnings


async def test_a_withdrawal_key_is_refused_even_when_trading_keys_are_allowed(venue: Venue) -> None:
    result = await venue.check("withdrawal", allow_trading=True)

    assert not result.ok
    assert result.can_withdraw is True
    assert result.diagnosis is not None and result.diagnosis.code is D.TOO_MANY_PERMISSIONS
    assert "withdraw" in result.diagnosis.explanation
    assert any("read" in tip for tip in result.diagnosis.tips), "tells them to create a read-only key"
    # The demo withdrawal key is bound to 127.0.0.1 (and a foreign address): it works, and says so.
    assert result.ip_restricted is True
    assert t.WARN_IP_RESTRICTED in result.warnings


@pytest.mark.parametrize(
    ("venue", "case"),
    [(exchange, case) for exchange, cases in sorted(FAILURES.items()) for case in cases],
    indirect=["venue"],
)
async def test_a_broken_key_gets_a_diagnosis_of_its_cause(venue: Venue, case: str) -> None:
    result = await venue.check(case)

    assert not result.ok
    assert result.diagnosis is not None
    assert result.diagnosis.code is FAILURES[venue.exchange][case]
    assert result.diagnosis.tips, "there is always something to try"
    assert result.requests == 1
    assert (result.can_read, result.can_trade, result.can_withdraw) == (None, None, None)
    assert venue.pool.open_clients == 0


async def test_an_ip_restricted_key_is_told_to_choose_no_ip_restriction(venue: Venue) -> None:
    result = await venue.check("ip_restricted")

    assert result.diagnosis is not None
    assert any("IP restriction" in tip for tip in result.diagnosis.tips)


async def test_a_skewed_clock_is_diagnosed_as_clock_skew(venue: Venue) -> None:
    venue.emulator.clock.advance(120_000)  # the exchange is two minutes ahead of us

    result = await venue.check("read_only")

    assert result.diagnosis is not None and result.diagnosis.code is D.CLOCK_SKEW
    assert result.diagnosis.retryable


async def test_bybit_reports_when_the_key_expires() -> None:
    async with running("bybit") as bybit:
        stored = bybit.emulator.keys.lookup(bybit.keys.read_only.api_key)
        result = await bybit.check("read_only")

    assert stored is not None and stored.expires_at is not None  # Bybit lets keys without an IP binding lapse
    expected = datetime.fromtimestamp(stored.expires_at // 1000, UTC)
    assert result.ok and result.expires_at == expected
    assert any(f"{expected:%B} {expected.day}, {expected.year}" in warning for warning in result.warnings)


@pytest.mark.parametrize("exchange", ["binance", "okx", "bitget"])
async def test_exchanges_without_key_expiry_report_none(exchange: str) -> None:
    async with running(exchange) as venue:
        result = await venue.check("read_only")

    assert result.ok and result.expires_at is None and result.warnings == ()


async def test_a_bitget_tax_key_passes_without_a_passphrase() -> None:
    async with running("bitget") as bitget:
        keys = bitget.keys
        assert isinstance(keys, BitgetDemoKeys) and not keys.tax.passphrase
        result = await check_key(
            bitget.profile, as_secrets(keys.tax), pool=bitget.pool, credential_id="new", key_type="tax"
        )
        unexpected = list(bitget.emulator.requests.unexpected)

    assert result.ok and result.diagnosis is None
    assert result.permissions_verified is False, "Bitget cannot be asked about a Tax API key"
    assert result.warnings == (t.WARN_TAX_KEY.format(name="Bitget"),)
    assert result.requests == 1 and unexpected == []


async def test_a_normal_bitget_key_entered_as_a_tax_key_is_the_wrong_kind() -> None:
    async with running("bitget") as bitget:
        normal = bitget.keys.read_only
        result = await check_key(
            bitget.profile,
            {"apiKey": Secret(normal.api_key), "secret": Secret(normal.secret)},
            pool=bitget.pool,
            credential_id="new",
            key_type="tax",
        )

    assert result.diagnosis is not None and result.diagnosis.code is D.WRONG_KEY_TYPE  # 40011: passphrase missing


async def test_a_bitget_tax_key_entered_as_a_normal_key_hints_at_the_key_kinds() -> None:
    async with running("bitget") as bitget:
        keys = bitget.keys
        assert isinstance(keys, BitgetDemoKeys)
        # The user typed something into the passphrase field; a Tax API key cannot open the spot account (40014).
        result = await check_key(
            bitget.profile,
            as_secrets(keys.tax._replace(passphrase="whatever")),
            pool=bitget.pool,
            credential_id="new",
            key_type="normal",
        )

    assert result.diagnosis is not None and result.diagnosis.code is D.MISSING_PERMISSION
    assert any("Tax API" in tip for tip in result.diagnosis.tips)


# ---------------------------------------------------------------------------------------------- no secrets leak

CANARY_SECRET = "CanarySecretNeverLogMe0123456789abcdefghijklmnopqrstuvwxyzABCDEF"  # 64 characters
CANARY_KEY = "CanaryKeyNeverLogMe0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHI"  # 64 characters
CANARY_PASSPHRASE = "CanaryPassphraseNeverLogMe"


@pytest.fixture
def captured_logs() -> Iterator[list[logging.LogRecord]]:
    """Every record of every logger at DEBUG, ccxt and aiohttp included, with the app's redaction installed."""
    root = logging.getLogger()
    saved_factory = logging.getLogRecordFactory()
    saved_levels = {name: logging.getLogger(name).level for name in ("", "ccxt", "aiohttp", "asyncio")}
    records: list[logging.LogRecord] = []

    class Capture(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = Capture(logging.DEBUG)
    configure_logging("DEBUG")
    for name in ("ccxt", "aiohttp", "asyncio"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    root.addHandler(handler)
    try:
        yield records
    finally:
        root.removeHandler(handler)
        logging.setLogRecordFactory(saved_factory)
        for name, level in saved_levels.items():
            logging.getLogger(name).setLevel(level)


def everything_logged(records: list[logging.LogRecord]) -> str:
    return "\n".join(f"{r.getMessage()}\n{r.exc_text or ''}\n{r.stack_info or ''}" for r in records)


def diagnosis_text(result: KeyCheck) -> str:
    assert result.diagnosis is not None
    d = result.diagnosis
    return "\n".join((d.title, d.explanation, *d.tips, *result.warnings))


async def test_no_key_secret_or_signature_reaches_a_log_record_or_a_diagnosis(
    captured_logs: list[logging.LogRecord],
) -> None:
    async with running("binance") as binance:
        real_key = binance.keys.read_only.api_key
        # A real key signed with the wrong (canary) secret: Binance answers -1022, bad signature.
        bad_signature = await check_key(
            binance.profile,
            {"apiKey": Secret(real_key), "secret": Secret(CANARY_SECRET)},
            pool=binance.pool,
            credential_id="canary",
        )
        # A key Binance never issued: -2008; the key itself is in the request headers.
        unknown_key = await check_key(
            binance.profile,
            {"apiKey": Secret(CANARY_KEY), "secret": Secret(CANARY_SECRET)},
            pool=binance.pool,
            credential_id="canary",
        )

    assert bad_signature.diagnosis is not None and bad_signature.diagnosis.code is D.INVALID_KEY
    assert unknown_key.diagnosis is not None and unknown_key.diagnosis.code is D.INVALID_KEY
    logged = everything_logged(captured_logs)
    assert "signature=" in logged, "the test must see ccxt's signed request lines to mean anything"
    assert "key check on binance failed" in logged
    for text in (logged, diagnosis_text(bad_signature), diagnosis_text(unknown_key)):
        assert CANARY_SECRET not in text
        assert CANARY_KEY not in text
        assert real_key not in text
        assert re.search(r"signature=(?!\[REDACTED\])", text) is None


@pytest.mark.parametrize("exchange", ["bybit", "okx", "bitget"])
async def test_header_signed_checks_leak_neither_key_secret_nor_passphrase(
    captured_logs: list[logging.LogRecord], exchange: str
) -> None:
    async with running(exchange) as venue:
        real = venue.keys.read_only
        credentials = real._replace(secret=CANARY_SECRET, passphrase=CANARY_PASSPHRASE if real.passphrase else "")
        result = await check_key(venue.profile, as_secrets(credentials), pool=venue.pool, credential_id="canary")

    assert result.diagnosis is not None
    assert result.diagnosis.code in (D.INVALID_KEY, D.WRONG_PASSPHRASE)  # bad signature or passphrase
    logged = everything_logged(captured_logs)
    assert "Request: {" in logged, "the test must see ccxt's request headers to mean anything"
    for text in (logged, diagnosis_text(result)):
        assert CANARY_SECRET not in text
        assert CANARY_PASSPHRASE not in text
        assert real.api_key not in text


async def test_signature_headers_are_struck_from_ccxt_debug_logs(captured_logs: list[logging.LogRecord]) -> None:
    async with running("bybit") as bybit:
        await bybit.check("read_only")

    logged = everything_logged(captured_logs)
    assert "X-BAPI-SIGN" in logged
    assert re.search(r"'X-BAPI-SIGN': '[0-9a-f]{16,}'", logged) is None


# ---------------------------------------------------------------------------------------------- offline paths


class RecordedClient:
    """A stand-in ccxt client answering implicit-API calls with recorded payloads, through `fetch` like ccxt."""

    def __init__(self, answers: Mapping[str, Any]) -> None:
        self.answers = dict(answers)
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.requiredCredentials = {"apiKey": True, "secret": True, "password": True}
        self.password: str | None = None

    async def fetch(self, method: str) -> Any:
        return self.answers[method]

    def __getattr__(self, method: str) -> Any:
        if method not in self.__dict__.get("answers", {}) and method != "fetch_balance":
            raise AttributeError(method)

        async def call(params: dict[str, Any] | None = None) -> Any:
            self.calls.append((method, dict(params or {})))
            return await self.fetch(method)

        return call


class RecordedPool:
    """Hands out one RecordedClient and remembers what the check asked of it."""

    def __init__(self, answers: Mapping[str, Any]) -> None:
        self.client_ = RecordedClient(answers)
        self.given: dict[str, str] = {}
        self.forgotten: list[tuple[str, str]] = []

    @asynccontextmanager
    async def client(self, exchange_id: str, credential_id: str, credentials: Mapping[str, str]) -> AsyncIterator[Any]:
        self.given = dict(credentials)
        yield self.client_

    async def forget(self, exchange_id: str, credential_id: str) -> None:
        self.forgotten.append((exchange_id, credential_id))


KEY = "a" * 24


async def recorded_check(exchange: str, answers: Mapping[str, Any], **kwargs: Any) -> tuple[KeyCheck, RecordedPool]:
    pool = RecordedPool(answers)
    credentials = {"apiKey": Secret(KEY), "secret": Secret("s" * 32), "password": Secret("pass-phrase")}
    result = await check_key(
        get_profile(exchange),
        credentials,
        pool=pool,  # type: ignore[arg-type]
        credential_id="new",
        **kwargs,
    )
    return result, pool


async def test_mexc_has_no_permission_endpoint_so_the_key_passes_unverified_and_the_user_is_told() -> None:
    result, pool = await recorded_check("mexc", {"fetch_balance": {"info": {}}})

    assert result.ok and result.permissions_verified is False
    assert (result.can_read, result.can_trade, result.can_withdraw) == (True, None, None)
    assert result.warnings == (render(get_profile("mexc").permission_check.user_note or ""),)
    assert result.requests == 1
    assert pool.client_.calls == [("fetch_balance", {})]
    assert pool.forgotten and pool.forgotten[0][1].startswith("keycheck:new:"), "a throwaway client, forgotten"


async def test_bigone_passes_unverified_too() -> None:
    empty = {"code": 0, "data": []}  # one row of each wallet list asked: the view scopes are there
    answers = {"fetch_balance": {"info": {}}, "privateGetDeposits": empty, "privateGetWithdrawals": empty}
    result, _ = await recorded_check("bigone", answers)

    assert result.ok and not result.permissions_verified
    assert result.warnings == (render(get_profile("bigone").permission_check.user_note or ""),)


async def test_htx_asks_for_the_uid_then_for_this_key() -> None:
    answers = {
        "v2PrivateGetUserUid": {"code": 200, "data": 63628520},
        "v2PrivateGetUserApiKey": {
            "code": 200,
            "message": "success",
            "data": [
                {
                    "accessKey": KEY,
                    "note": "tallybot",
                    "permission": "readOnly",
                    "ipAddresses": "",
                    "validDays": 90,
                    "status": "normal",
                    "createTime": 1_700_000_000_000,
                    "updateTime": 1_700_000_000_000,
                }
            ],
        },
    }
    result, pool = await recorded_check("htx", answers)

    assert result.ok and result.permissions_verified
    assert result.requests == 2
    assert pool.client_.calls[1] == ("v2PrivateGetUserApiKey", {"uid": 63628520, "accessKey": KEY})
    left = (result.expires_at - datetime.now(UTC)).total_seconds() if result.expires_at else 0
    assert 90 * 86_400 - 60 < left <= 90 * 86_400  # validDays 90: the days left when asked, not since createTime
    assert "password" not in pool.given, "only the key type's own fields reach ccxt"


async def test_a_bitget_tax_key_signs_without_a_passphrase_and_is_accepted_as_read_only_by_design() -> None:
    answers = {"privateTaxGetV2TaxSpotRecord": {"code": "00000", "msg": "success", "data": []}}
    result, pool = await recorded_check("bitget", answers, key_type="tax")

    assert result.ok and not result.permissions_verified
    assert result.warnings == (t.WARN_TAX_KEY.format(name="Bitget"),)
    assert "password" not in pool.given
    assert pool.client_.requiredCredentials["password"] is False and pool.client_.password == ""
    ((method, params),) = pool.client_.calls
    assert method == "privateTaxGetV2TaxSpotRecord" and params["limit"] == "1"


async def test_a_missing_passphrase_is_diagnosed_without_asking_the_exchange() -> None:
    pool = RecordedPool({})
    result = await check_key(
        get_profile("okx"),
        {"apiKey": Secret("x" * 36), "secret": Secret("y" * 32)},
        pool=pool,  # type: ignore[arg-type]
        credential_id="new",
    )

    assert result.diagnosis is not None and result.diagnosis.code is D.WRONG_PASSPHRASE
    assert result.requests == 0 and pool.client_.calls == []


async def test_a_check_that_cannot_load_markets_is_diagnosed_too() -> None:
    pool = ClientPool({"binance": "http://127.0.0.1:9"})  # nothing listens on the discard port
    try:
        result = await check_key(
            get_profile("binance"), as_secrets(Credentials("k" * 64, "s" * 64)), pool=pool, credential_id="n"
        )
    finally:
        await pool.close()

    assert result.diagnosis is not None and result.diagnosis.code is D.NETWORK_ERROR
    assert result.diagnosis.retryable


# ---------------------------------------------------------------------------------------------- payload shapes


def test_binance_restrictions() -> None:
    facts = parse_binance(
        {
            "ipRestrict": False,
            "createTime": 1623840271000,
            "enableReading": True,
            "enableWithdrawals": False,
            "enableInternalTransfer": False,
            "enableMargin": False,
            "enableFutures": False,
            "permitsUniversalTransfer": False,
            "enableVanillaOptions": False,
            "enableFixApiTrade": False,
            "enableFixReadOnly": True,
            "enableSpotAndMarginTrading": False,
            "enablePortfolioMarginTrading": False,
        }
    )
    assert facts == KeyFacts(can_read=True, can_trade=False, can_withdraw=False, ip_restricted=False)
    with pytest.raises(PermissionsUnreadable):
        parse_binance({"enableReading": True, "permitsUniversalTransfer": True})
    assert parse_binance({"enableReading": True, "enableWithdrawals": False, "enableSpotAndMarginTrading": False,
                          "permitsUniversalTransfer": True}).can_trade is True  # fmt: skip


def test_bybit_query_api() -> None:
    result = {
        "readOnly": 1,
        "permissions": {"ContractTrade": [], "Spot": ["SpotTrade"], "Wallet": ["AccountTransfer"], "Exchange": []},
        "ips": ["*"],
        "expiredAt": "2026-03-01T08:00:00Z",
    }
    facts = parse_bybit({"retCode": 0, "result": result})
    assert facts.can_read and not facts.can_trade and not facts.can_withdraw
    assert facts.ip_restricted is False
    assert facts.expires_at == datetime(2026, 3, 1, 8, tzinfo=UTC)
    writable = {**result, "readOnly": 0, "permissions": {"Wallet": ["Withdraw"]}, "ips": ["1.2.3.4"], "expiredAt": ""}
    facts = parse_bybit({"retCode": 0, "result": writable})
    assert facts.can_trade and facts.can_withdraw and facts.ip_restricted and facts.expires_at is None


def test_okx_account_config() -> None:
    row = {"uid": "44705892343619584", "acctLv": "2", "perm": "read_only", "ip": "", "label": "tallybot"}
    assert parse_okx({"code": "0", "data": [row], "msg": ""}) == KeyFacts(
        can_read=True, can_trade=False, can_withdraw=False, ip_restricted=False
    )
    facts = parse_okx({"code": "0", "data": [{**row, "perm": "read_only,withdraw,trade", "ip": "1.2.3.4"}]})
    assert facts.can_trade and facts.can_withdraw and facts.ip_restricted
    assert parse_okx({"code": "0", "data": [{**row, "perm": "read_only,lend"}]}).unknown_permissions == ("lend",)
    with pytest.raises(PermissionsUnreadable):
        parse_okx({"code": "0", "data": []})


def test_bitget_authorities() -> None:
    info = {"userId": "1", "ips": "", "authorities": ["coor", "stor", "wtor", "taxr"], "parentId": 1}
    assert parse_bitget({"code": "00000", "data": info}) == KeyFacts(
        can_read=True, can_trade=False, can_withdraw=False, ip_restricted=False
    )
    ok = {"code": "00000", "msg": "success"}
    trading = parse_bitget({**ok, "data": {**info, "authorities": ["stow", "stor"], "ips": "127.0.0.1"}})
    assert trading.can_trade and not trading.can_withdraw and trading.ip_restricted
    assert parse_bitget({**ok, "data": {**info, "authorities": ["trade", "readonly"]}}).can_trade
    assert parse_bitget({**ok, "data": {**info, "authorities": ["wwow", "stor"]}}).can_withdraw
    assert parse_bitget({**ok, "data": {**info, "authorities": ["stor", "zzzz"]}}).unknown_permissions == ("zzzz",)


def test_kucoin_api_key_info() -> None:
    data = {"remark": "tallybot", "apiKey": KEY, "apiVersion": 3, "permission": "General", "ipWhitelist": ""}
    assert parse_kucoin({"code": "200000", "data": data}) == KeyFacts(
        can_read=True, can_trade=False, can_withdraw=False, ip_restricted=False
    )
    facts = parse_kucoin({"data": {**data, "permission": "General,Spot,InnerTransfer", "ipWhitelist": "203.0.113.7"}})
    assert facts.can_trade and not facts.can_withdraw and facts.ip_restricted
    assert parse_kucoin({"data": {**data, "permission": "General,Withdrawal"}}).can_withdraw


def test_kraken_api_key_info() -> None:
    result = {
        "api_key_name": "tallybot",
        "permissions": ["query-funds", "query-open-trades", "query-closed-trades", "query-ledger", "export-data"],
        "valid_until": "0",
        "query_from": "0",
        "query_to": "0",
        "ip_allowlist": [""],
    }
    assert parse_kraken({"error": [], "result": result}) == KeyFacts(
        can_read=True, can_trade=False, can_withdraw=False, ip_restricted=False
    )
    risky = {**result, "permissions": ["query-funds", "withdraw-funds", "modify-trades"], "valid_until": "1893456000"}
    facts = parse_kraken({"error": [], "result": {**risky, "ip_allowlist": ["203.0.113.7"]}})
    assert facts.can_withdraw and facts.can_trade and facts.ip_restricted
    assert facts.expires_at == datetime(2030, 1, 1, tzinfo=UTC)


def test_coinbase_key_permissions() -> None:
    payload = {"can_view": True, "can_trade": False, "can_transfer": False, "portfolio_uuid": "x"}
    assert parse_coinbase(payload) == KeyFacts(can_read=True, can_trade=False, can_withdraw=False)
    assert parse_coinbase({**payload, "can_transfer": True}).can_withdraw
    with pytest.raises(PermissionsUnreadable):
        parse_coinbase({"can_view": True})


def test_htx_picks_this_key_among_several() -> None:
    rows = [
        {"accessKey": "other", "permission": "readOnly,trade,withdraw", "ipAddresses": "", "validDays": -1},
        {"accessKey": KEY, "permission": "readOnly", "ipAddresses": "1.2.3.4", "validDays": -1, "status": "normal"},
    ]
    facts = parse_htx({"code": 200, "data": rows}, KEY)
    assert facts.can_read and not facts.can_trade and not facts.can_withdraw
    assert facts.ip_restricted and facts.expires_at is None


def test_gate_main_keys() -> None:
    key = {
        "state": 1,
        "mode": 1,
        "name": "tallybot",
        "key": KEY,
        "ip_whitelist": [],
        "perms": [{"name": "spot", "read_only": True}, {"name": "wallet", "read_only": True}],
    }
    assert parse_gate(key, KEY) == KeyFacts(can_read=True, can_trade=False, can_withdraw=False, ip_restricted=False)
    writable = {**key, "perms": [{"name": "wallet", "read_only": False}], "ip_whitelist": ["1.2.3.4"]}
    facts = parse_gate([writable], KEY)
    assert facts.can_withdraw and facts.can_trade and facts.ip_restricted


def test_unknown_permissions_count_as_trading_rights() -> None:
    facts = KeyFacts(can_read=True, can_trade=False, can_withdraw=False, unknown_permissions=("zzzz",))
    refused = judge(get_profile("okx"), facts, allow_trading=False)
    allowed = judge(get_profile("okx"), facts, allow_trading=True)

    assert not refused.ok and refused.can_trade is True
    assert allowed.ok and t.WARN_UNKNOWN_PERMISSIONS.format(name="OKX") in allowed.warnings


def test_a_key_without_read_permission_is_refused() -> None:
    result = judge(
        get_profile("binance"), KeyFacts(can_read=False, can_trade=False, can_withdraw=False), allow_trading=False
    )

    assert result.diagnosis is not None and result.diagnosis.code is D.MISSING_PERMISSION


def test_every_profile_with_a_permission_endpoint_names_a_real_ccxt_method() -> None:
    import ccxt.async_support as ccxt_async

    from connectors.profiles import popular_profiles

    for profile in popular_profiles():
        method = profile.permission_check.method
        if method is not None:
            assert hasattr(getattr(ccxt_async, profile.ccxt_id), method), (profile.id, method)


# ---------------------------------------------------------------------------------------------- unexpected shapes
#
# Issue 12, finding 4: a permission answer without its permission fields was read as "nothing granted", so keys that
# can withdraw were accepted. Every payload below can withdraw; whatever is deleted from it or replaced by a value of
# another JSON type, the key is never accepted: refused for withdrawing, or refused as unreadable.

WITHDRAW_CAPABLE: dict[str, Any] = {
    # Documented answers (tests/conformance corpus) made withdraw-capable by hand, and the documented shapes of the
    # exchanges without an emulator.
    "binance": lambda: {**corpus_response("binance", "apiRestrictions"), "enableWithdrawals": True},
    "bybit": lambda: bybit_withdrawing(corpus_response("bybit", "query_api")),
    "okx": lambda: corpus_response("okx", "account_config"),  # its perm is "read_only,withdraw,trade"
    "bitget": lambda: bitget_withdrawing(corpus_response("bitget", "account_info")),
    "kucoin": lambda: {"code": "200000", "data": {"apiKey": KEY, "permission": "General,Withdrawal"}},
    "kraken": lambda: {  # the fields of Kraken's documented GetApiKeyInfo example, whose key may withdraw
        "error": [],
        "result": {"permissions": ["withdraw-funds"], "validUntil": "0", "queryFrom": "0", "queryTo": "0"},
    },
    "coinbase": lambda: {"can_view": True, "can_trade": False, "can_transfer": True},
    "htx": lambda: {"code": 200, "data": [{"accessKey": KEY, "permission": "readOnly,withdraw", "status": "normal"}]},
    "gate": lambda: [{"key": KEY, "perms": [{"name": "wallet", "read_only": False}], "ip_whitelist": []}],
}
PARSERS: dict[str, Any] = {
    "binance": parse_binance,
    "bybit": parse_bybit,
    "okx": parse_okx,
    "bitget": parse_bitget,
    "kucoin": parse_kucoin,
    "kraken": parse_kraken,
    "coinbase": parse_coinbase,
    "htx": lambda payload: parse_htx(payload, KEY),
    "gate": lambda payload: parse_gate(payload, KEY),
}
# Answers with HTTP 200 that are not permission answers: empty, null, another type, error envelopes.
NOT_ANSWERS: tuple[Any, ...] = (
    {},
    None,
    [],
    "",
    {"code": -1022, "msg": "Signature for this request is not valid."},
    {"retCode": 10003, "retMsg": "API key is invalid.", "result": {}},
    {"code": "50113", "msg": "Invalid Sign", "data": []},
    {"code": "40037", "msg": "Apikey does not exist", "data": None},
    {"data": None},
    {"result": None},
)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)


def corpus_response(exchange: str, topic: str) -> Any:
    from tests.conformance.corpus import examples

    found = [example for example in examples(exchange, topic) if "recorded" not in example.path.parts]
    assert found, f"the corpus has no documented {exchange} {topic} answer"
    return json.loads(json.dumps(found[0].response, default=str))  # a fresh copy, Decimals as strings


def bybit_withdrawing(payload: dict[str, Any]) -> dict[str, Any]:
    result = payload["result"]
    result["readOnly"] = 0
    result["permissions"]["Wallet"] = [*result["permissions"]["Wallet"], "Withdraw"]
    return payload


def bitget_withdrawing(payload: dict[str, Any]) -> dict[str, Any]:
    payload["data"]["authorities"] = [*payload["data"]["authorities"], "wwow"]
    return payload


def json_kind(value: Any) -> str:
    return "null" if value is None else "bool" if isinstance(value, bool) else type(value).__name__


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every node of a JSON tree, as the keys and indices leading to it."""
    found = [prefix]
    if isinstance(value, dict):
        for key, child in value.items():
            found += paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += paths(child, (*prefix, index))
    return found


def differs_in_type(kind: str) -> Callable[[Any], bool]:
    return lambda value: json_kind(value) != kind


@st.composite
def mutated(draw: st.DrawFn, exchange: str) -> Any:
    """The withdraw-capable answer with one to three of its nodes deleted or replaced by a value of another JSON
    type (never a node inside one already changed: that could put back a value of the original type)."""
    payload = WITHDRAW_CAPABLE[exchange]()
    chosen = draw(st.lists(st.sampled_from(paths(payload)), min_size=1, max_size=3, unique=True))
    changed: list[tuple[Any, ...]] = []
    for where in chosen:
        if not where:
            return draw(st.sampled_from(NOT_ANSWERS))
        if any(where[: len(done)] == done for done in changed):
            continue
        parent = payload
        for step in where[:-1]:
            parent = parent[step]
        kind = json_kind(parent[where[-1]])
        if isinstance(parent, dict) and draw(st.booleans()):
            del parent[where[-1]]
        else:
            parent[where[-1]] = draw(JSON_VALUES.filter(differs_in_type(kind)))
        changed.append(where)
    return payload


@pytest.mark.parametrize("exchange", sorted(PARSERS))
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_withdrawing_key_is_never_accepted_whatever_the_answer_s_shape(exchange: str, data: st.DataObject) -> None:
    payload = data.draw(mutated(exchange))
    profile = get_profile(exchange)
    try:
        facts = PARSERS[exchange](payload)
    except PermissionsUnreadable:
        return
    result = judge(profile, facts, allow_trading=True)
    assert not result.ok, f"{exchange} accepted a withdrawing key from {payload!r}"


@pytest.mark.parametrize("exchange", sorted(PARSERS))
@pytest.mark.parametrize("answer", NOT_ANSWERS, ids=lambda answer: json.dumps(answer)[:30])
def test_an_answer_that_is_not_a_permission_answer_is_refused(exchange: str, answer: Any) -> None:
    with pytest.raises(PermissionsUnreadable):
        PARSERS[exchange](copy.deepcopy(answer))


REQUIRED: dict[str, list[tuple[str | int, ...]]] = {
    "binance": [("enableReading",), ("enableWithdrawals",), ("enableSpotAndMarginTrading",)],
    "bybit": [
        ("retCode",),
        ("result",),
        ("result", "readOnly"),
        ("result", "permissions"),
        ("result", "ips"),
        ("result", "permissions", "Wallet"),
    ],
    "okx": [("code",), ("data",), ("data", 0), ("data", 0, "perm")],
    "bitget": [("code",), ("data",), ("data", "authorities")],
}


@pytest.mark.parametrize("exchange", sorted(REQUIRED))
def test_a_documented_answer_missing_a_permission_field_or_with_another_type_is_refused(exchange: str) -> None:
    topic = {"binance": "apiRestrictions", "bybit": "query_api", "okx": "account_config", "bitget": "account_info"}
    assert isinstance(PARSERS[exchange](corpus_response(exchange, topic[exchange])), KeyFacts)
    replacements: tuple[Any, ...] = ("deleted", None, {}, [], "true", 1, True)
    for where in REQUIRED[exchange]:
        for replacement in replacements:
            payload = corpus_response(exchange, topic[exchange])
            parent = payload
            for step in where[:-1]:
                parent = parent[step]
            if replacement == "deleted":
                if isinstance(parent, list):
                    parent.pop(int(where[-1]))
                else:
                    del parent[where[-1]]
            elif json_kind(replacement) == json_kind(parent[where[-1]]):
                continue
            else:
                parent[where[-1]] = replacement
            with pytest.raises(PermissionsUnreadable):
                PARSERS[exchange](payload)


async def test_an_unreadable_answer_is_refused_with_a_message_that_claims_no_check() -> None:
    async with running("binance") as venue:
        venue.emulator.faults.inject(respond(200, "{}"), path="/sapi/v1/account/apiRestrictions")
        result = await venue.check("read_only")

    assert not result.ok and result.diagnosis is not None
    assert result.diagnosis.title == "Tallybot could not confirm that this key is read-only"
    words = f"{result.diagnosis.explanation} {' '.join(result.diagnosis.tips)} {' '.join(result.warnings)}"
    assert "Tallybot checks" not in words and "cannot trade or withdraw" not in words


def test_a_note_describing_a_check_is_never_shown_for_a_check_that_did_not_happen() -> None:
    unverified = KeyFacts(can_read=True, can_trade=None, can_withdraw=None, verified=False)
    for exchange in ("binance", "bybit", "okx", "bitget", "kucoin", "kraken", "coinbase", "htx", "gate"):
        result = judge(get_profile(exchange), unverified, allow_trading=False)
        assert not any("Tallybot checks" in warning for warning in result.warnings), exchange
