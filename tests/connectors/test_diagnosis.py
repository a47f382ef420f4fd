"""Something fails at an exchange; the user reads what happened and what to do — never the exchange's own text."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from decimal import InvalidOperation
from pathlib import Path
from typing import Any

import aiohttp
import ccxt
import pytest

from bot.integrations import AdvancedOptions, IntegrationService
from bot.secret import Secret
from bot.status import StatusService
from bot.sync import SyncService
from bot.vault import KeyRing, Vault, generate_key
from connectors.clients import ClientPool
from connectors.diagnosis import (
    DiagnosisCode,
    EndpointNotOffered,
    LookbackLimitReached,
    attach_response_facts,
    diagnose,
    diagnosis_for,
    error_facts,
    safe_summary,
)
from connectors.diagnosis.codes import EXCHANGE_CODES
from connectors.diagnosis.texts import TEMPLATES, humanize_seconds
from connectors.keycheck import check_key
from connectors.profiles import Endpoint, TipCode, get_profile, popular_profiles
from db.engine import Database
from db.migrate import upgrade_to_head
from handlers import sync_views
from i18n import render
from sandbox.exchanges import AccountProfile, BinanceEmulator, BinanceLimits, BybitEmulator, BybitLimits

D = DiagnosisCode
CANARY = "CanaryTextFromTheExchange-apiKey=LEAKME-signature=deadbeef"
SMALL = AccountProfile(
    years=1.0, traded_markets=6, trades=30, deposits=3, withdrawals=2, converts=2, transfers=2, rewards=2
)


def body_for(exchange: str, code: str) -> dict[str, Any]:
    """An error body shaped as each exchange sends it, with a message that must never be shown."""
    number = int(code) if code.lstrip("-").isdigit() else None
    match exchange:
        case "binance" | "mexc":
            return {"code": number, "msg": CANARY}
        case "bybit":
            return {"retCode": number, "retMsg": CANARY, "result": {}, "retExtInfo": {}, "time": 1}
        case "okx":
            return {"code": code, "msg": CANARY, "data": []}
        case "bitget":
            return {"code": code, "msg": CANARY, "requestTime": 1, "data": None}
        case "kucoin":
            return {"code": code, "msg": CANARY}
        case "kraken":
            return {"error": [code]}
        case "coinbase":
            return {"error": code.upper(), "error_details": CANARY, "message": CANARY}
        case "htx":
            if number is not None:
                return {"code": number, "message": CANARY}
            return {"status": "error", "err-code": code, "err-msg": CANARY, "data": None}
        case "gate":
            return {"label": code.upper(), "message": CANARY}
        case "bigone":
            return {"code": number, "message": CANARY}
        case "bitflyer":
            return {"status": number, "error_message": CANARY, "data": None}
        case "bitbank":  # the envelope carries no message: ccxt raises its own English for the known codes
            return {"success": 0, "data": {"code": number}}
        case "gmocoin":  # Tallybot's own client raises with GMO Coin's envelope (docs/exchange-apis/gmocoin.md)
            messages = [{"message_code": code, "message_string": CANARY}]
            return {"status": 5, "messages": messages, "responsetime": "2019-03-19T02:15:06.086Z"}
    raise AssertionError(exchange)


def exchange_error(exchange: str, body: dict[str, Any], kind: type[Exception] = ccxt.ExchangeError) -> Exception:
    """What ccxt raises: the exchange id, then the response body (ccxt's own wording)."""
    return kind(f"{exchange} {json.dumps(body, separators=(',', ':'))}")


def every_exchange_code() -> Iterator[tuple[str, str, DiagnosisCode]]:
    for exchange, table in EXCHANGE_CODES.items():
        for code, cause in table.items():
            yield exchange, code, cause


def shown(diagnosis: Any) -> str:
    return "\n".join((diagnosis.title, diagnosis.explanation, *diagnosis.tips))


# ---------------------------------------------------------------------------------------------- exchange codes


@pytest.mark.parametrize(("exchange", "code", "cause"), list(every_exchange_code()))
def test_each_exchange_code_maps_to_its_cause_and_none_of_the_exchange_text_is_shown(
    exchange: str, code: str, cause: DiagnosisCode
) -> None:
    error = exchange_error(exchange, body_for(exchange, code))

    diagnosis = diagnose(error, get_profile(exchange))

    assert diagnosis.code is cause
    assert "Canary" not in shown(diagnosis) and "LEAKME" not in shown(diagnosis)
    assert diagnosis.tips


@pytest.mark.parametrize(
    ("exchange", "code", "cause"),
    [
        # OKX and Bitget: mapped from their docs and ccxt's tables before their emulators exist.
        ("okx", "50111", D.INVALID_KEY),
        ("okx", "50113", D.INVALID_KEY),
        ("okx", "50105", D.WRONG_PASSPHRASE),
        ("okx", "50110", D.IP_NOT_ALLOWED),
        ("okx", "50119", D.INVALID_KEY),
        ("okx", "50102", D.CLOCK_SKEW),
        ("okx", "50100", D.KEY_EXPIRED),
        ("okx", "50011", D.RATE_LIMITED),
        ("bitget", "40006", D.INVALID_KEY),
        ("bitget", "40009", D.INVALID_KEY),
        ("bitget", "40012", D.WRONG_PASSPHRASE),
        ("bitget", "40018", D.IP_NOT_ALLOWED),
        ("bitget", "40014", D.MISSING_PERMISSION),
        ("bitget", "40037", D.INVALID_KEY),
        ("bitget", "40704", D.LOOKBACK_LIMIT),
        ("bitget", "40200", D.MAINTENANCE),
        ("binance", "-2015", D.KEY_REFUSED),
        ("bybit", "33004", D.KEY_EXPIRED),
    ],
)
def test_the_codes_the_brief_names(exchange: str, code: str, cause: DiagnosisCode) -> None:
    assert diagnose(exchange_error(exchange, body_for(exchange, code)), get_profile(exchange)).code is cause


def test_okx_puts_the_real_code_in_the_data_items() -> None:
    body = {"code": "1", "msg": "", "data": [{"sCode": "50113", "sMsg": CANARY}]}

    assert diagnose(exchange_error("okx", body), get_profile("okx")).code is D.INVALID_KEY


def test_a_passphrase_error_on_a_bitget_tax_key_means_it_is_a_normal_key() -> None:
    error = exchange_error("bitget", body_for("bitget", "40012"), ccxt.AuthenticationError)
    bitget = get_profile("bitget")

    as_tax = diagnose(error, bitget, key_type="tax")
    as_normal = diagnose(error, bitget, key_type="normal")

    assert as_tax.code is D.WRONG_KEY_TYPE
    assert as_normal.code is D.WRONG_PASSPHRASE
    key_type_tip = bitget.tip(TipCode.WRONG_KEY_TYPE)
    assert key_type_tip is not None
    fixes = {render(fix) for fix in key_type_tip.fixes}
    assert fixes <= set(as_tax.tips)
    assert fixes <= set(as_normal.tips), "a normal key's passphrase error hints at key types too"


def test_binance_2015_after_an_earlier_success_may_be_a_temporary_ban() -> None:
    # ccxt raises DDoSProtection for -2015 once the client has authenticated successfully.
    error = exchange_error("binance", body_for("binance", "-2015"), ccxt.DDoSProtection)

    diagnosis = diagnose(error, get_profile("binance"))

    assert diagnosis.code is D.KEY_REFUSED
    assert diagnosis.retryable
    assert "paused" in diagnosis.explanation


def test_binance_2008_behind_a_url_override_is_still_an_invalid_key() -> None:
    error = exchange_error("binance", {"code": -2008, "msg": "Invalid Api-Key ID."})  # plain ExchangeError

    assert diagnose(error, get_profile("binance")).code is D.INVALID_KEY


# ---------------------------------------------------------------------------------------------- ccxt types


@pytest.mark.parametrize(
    ("error", "cause", "retryable"),
    [
        (ccxt.InvalidNonce("binance timestamp"), D.CLOCK_SKEW, True),
        (ccxt.RateLimitExceeded("kraken slow down"), D.RATE_LIMITED, True),
        (ccxt.DDoSProtection("binance 418 I'm a teapot"), D.RATE_LIMITED, True),
        (ccxt.OnMaintenance("okx upgrading"), D.MAINTENANCE, True),
        (ccxt.RequestTimeout("binance GET https://api.binance.com/api/v3/account?signature=x"), D.NETWORK_ERROR, True),
        (ccxt.ExchangeNotAvailable("binance GET https://x/y 503 Service Unavailable "), D.EXCHANGE_DOWN, True),
        (ccxt.ExchangeNotAvailable("binance GET https://x/y 404 Not Found nope"), D.REQUEST_NOT_FOUND, False),
        (ccxt.ExchangeNotAvailable("binance GET https://x/y 400 Bad Request <html>"), D.UNKNOWN, False),
        (ccxt.ExchangeNotAvailable("binance"), D.EXCHANGE_DOWN, True),
        (ccxt.NotSupported("mexc fetchConvertTradeHistory() is not supported yet"), D.ENDPOINT_NOT_OFFERED, False),
        (ccxt.AccountSuspended("kucoin frozen"), D.ACCOUNT_RESTRICTED, False),
        (ccxt.PermissionDenied("gate no"), D.MISSING_PERMISSION, False),
        (ccxt.AuthenticationError('okx requires "password" credential'), D.INVALID_KEY, False),
        (ccxt.BadSymbol('binance {"code":-1121,"msg":"Invalid symbol."}'), D.UNKNOWN, False),
        (ccxt.NetworkError("something"), D.NETWORK_ERROR, True),
        (TimeoutError(), D.NETWORK_ERROR, True),
        (ValueError("not an exchange error"), D.UNREADABLE_RECORD, False),
        (LookbackLimitReached("older than two years"), D.LOOKBACK_LIMIT, False),
        (EndpointNotOffered("convert"), D.ENDPOINT_NOT_OFFERED, False),
    ],
)
def test_ccxt_error_types_map_to_causes(error: Exception, cause: DiagnosisCode, retryable: bool) -> None:
    diagnosis = diagnose(error, get_profile("binance"))

    assert diagnosis.code is cause
    assert diagnosis.retryable is retryable


def test_a_refused_connection_is_network_trouble_not_an_exchange_outage() -> None:
    try:
        try:
            raise aiohttp.ClientConnectionError("connection refused")
        except aiohttp.ClientConnectionError as cause:
            raise ccxt.ExchangeNotAvailable("binance GET https://api.binance.com/api/v3/ping") from cause
    except ccxt.ExchangeNotAvailable as error:
        diagnosis = diagnose(error, get_profile("binance"))
        facts = error_facts(error)

    assert diagnosis.code is D.NETWORK_ERROR and diagnosis.retryable
    assert facts.network


def test_maintenance_says_so_and_can_be_retried() -> None:
    diagnosis = diagnose(exchange_error("okx", body_for("okx", "50001")), get_profile("okx"))

    assert diagnosis.code is D.MAINTENANCE
    assert diagnosis.retryable
    assert "maintain" in diagnosis.explanation


# ---------------------------------------------------------------------------------------------- rate limits


def test_rate_limit_with_the_wait_the_exchange_asked_for() -> None:
    class Client:
        def __init__(self) -> None:
            self.last_http_response = '{"code":-1003,"msg":"Too much request weight used"}'
            self.last_response_headers = {"Retry-After": "42", "Content-Type": "application/json"}

    error = ccxt.DDoSProtection("binance 429 Too Many Requests")
    attach_response_facts(error, Client())

    diagnosis = diagnose(error, get_profile("binance"))

    assert diagnosis.code is D.RATE_LIMITED and diagnosis.retryable
    assert diagnosis.retry_after == 42
    assert "42 seconds" in diagnosis.explanation
    assert "partial" in diagnosis.explanation, "a sync that stops here is partial and carries on later"
    assert error_facts(error).code == "-1003"


def test_a_binance_ban_says_until_when() -> None:
    until = int((time.time() + 600) * 1000)
    error = ccxt.DDoSProtection(
        f'binance 418 I\'m a teapot {{"code":-1003,"msg":"Way too much request weight used; IP banned until {until}."}}'
    )

    diagnosis = diagnose(error, get_profile("binance"))

    assert diagnosis.code is D.RATE_LIMITED
    assert diagnosis.retry_after is not None and 590 < diagnosis.retry_after <= 600
    assert "10 minutes" in diagnosis.explanation


def test_rate_limit_without_a_wait_says_try_later() -> None:
    diagnosis = diagnose(ccxt.RateLimitExceeded("okx"), get_profile("okx"))

    assert diagnosis.retry_after is None
    assert any("later" in tip for tip in diagnosis.tips)


async def test_binance_429_through_a_key_check_carries_retry_after() -> None:
    limits = BinanceLimits(sapi_ip_weight_per_minute=1)
    async with BinanceEmulator(seed=3, profile=SMALL, listed_symbols=20, limits=limits) as binance:
        keys = binance.create_demo_keys().read_only
        credentials = {"apiKey": Secret(keys.api_key), "secret": Secret(keys.secret)}
        pool = ClientPool({"binance": binance.base_url})
        try:
            first = await check_key(get_profile("binance"), credentials, pool=pool, credential_id="a")
            second = await check_key(get_profile("binance"), credentials, pool=pool, credential_id="a")
        finally:
            await pool.close()

    assert first.ok
    assert second.diagnosis is not None and second.diagnosis.code is D.RATE_LIMITED
    assert second.diagnosis.retry_after is not None and 0 < second.diagnosis.retry_after <= 60


async def test_bybit_10006_through_a_key_check_carries_retry_after() -> None:
    limits = BybitLimits(per_second={"/v5/user/query-api": 1})
    async with BybitEmulator(seed=3, profile=SMALL, listed_symbols=20, limits=limits) as bybit:
        keys = bybit.create_demo_keys().read_only
        credentials = {"apiKey": Secret(keys.api_key), "secret": Secret(keys.secret)}
        pool = ClientPool({"bybit": bybit.base_url})
        try:
            first = await check_key(get_profile("bybit"), credentials, pool=pool, credential_id="a")
            second = await check_key(get_profile("bybit"), credentials, pool=pool, credential_id="a")
        finally:
            await pool.close()

    assert first.ok
    assert second.diagnosis is not None and second.diagnosis.code is D.RATE_LIMITED
    assert second.diagnosis.retry_after is not None and second.diagnosis.retry_after <= 1


# ---------------------------------------------------------------------------------------------- safe texts


def test_safe_summary_keeps_type_exchange_status_and_code_only() -> None:
    error = ccxt.ExchangeNotAvailable(
        "binance GET http://127.0.0.1:1234/sapi/v1/account/apiRestrictions?timestamp=1&signature=abc123def 403 "
        'Forbidden {"code":-2015,"msg":"apiKey=LEAKME"}'
    )

    summary = safe_summary(error)

    assert summary == "ExchangeNotAvailable (binance, HTTP 403, code -2015)"


def test_safe_summary_of_an_error_without_facts_is_its_type() -> None:
    assert safe_summary(ValueError("apiKey=LEAKME")) == "ValueError"
    assert safe_summary(ccxt.ExchangeError("notanexchange LEAKME")) == "ExchangeError"


@pytest.mark.parametrize(
    "body",
    [
        {"code": "https://api.example.com/?apiKey=LEAKME"},
        {"error": "Invalid key LEAKME for this request, please check"},
        {"label": "x" * 80},
        {"code": True},
    ],
)
def test_anything_that_is_not_shaped_like_a_code_is_dropped(body: dict[str, Any]) -> None:
    facts = error_facts(exchange_error("binance", body))

    assert facts.code is None
    assert "LEAKME" not in safe_summary(exchange_error("binance", body))


def test_a_secret_in_the_error_never_reaches_the_diagnosis() -> None:
    secret = "s3cr3t-Value-That-Must-Stay-Hidden"
    error = ccxt.AuthenticationError(
        f'bybit GET https://api.bybit.com/v5/user/query-api?sign={secret} {{"retCode":10003,"retMsg":"{secret}"}}'
    )

    diagnosis = diagnose(error, get_profile("bybit"))

    assert diagnosis.code is D.INVALID_KEY
    assert secret not in shown(diagnosis)
    assert secret not in safe_summary(error)


# ---------------------------------------------------------------------------------------------- templates


@pytest.mark.parametrize("code", list(DiagnosisCode))
def test_every_cause_reads_well_for_every_hand_written_exchange(code: DiagnosisCode) -> None:
    assert code in TEMPLATES
    for profile in popular_profiles():
        diagnosis = diagnosis_for(code, profile)
        text = shown(diagnosis)
        assert "{" not in text and "}" not in text, (profile.id, code)
        assert diagnosis.title and diagnosis.explanation and diagnosis.tips
        assert len(diagnosis.tips) == len(set(diagnosis.tips))


def test_tips_come_from_the_profile_first_then_generic_ones() -> None:
    binance = get_profile("binance")
    ip_tip = binance.tip(TipCode.IP_NOT_ALLOWED)
    assert ip_tip is not None

    diagnosis = diagnosis_for(D.IP_NOT_ALLOWED, binance)

    assert diagnosis.tips[: len(ip_tip.fixes)] == tuple(render(fix) for fix in ip_tip.fixes)
    assert any('"no IP restriction"' in tip for tip in diagnosis.tips)
    assert "no IP restriction" in diagnosis.explanation or "no IP" in " ".join(diagnosis.tips)


def test_a_refused_binance_key_lists_every_possible_cause_briefly() -> None:
    diagnosis = diagnosis_for(D.KEY_REFUSED, get_profile("binance"))

    text = shown(diagnosis)
    for word in ("IP", "expired", "read", "secret"):
        assert word in text
    assert len(diagnosis.tips) <= 10


def test_too_many_permissions_variants() -> None:
    binance = get_profile("binance")

    withdraw = diagnosis_for(D.TOO_MANY_PERMISSIONS, binance, variant="withdraw")
    trade = diagnosis_for(D.TOO_MANY_PERMISSIONS, binance, variant="trade")

    assert "withdraw" in withdraw.explanation
    assert any(tip.startswith("Delete this key") for tip in withdraw.tips)
    assert "trade" in trade.explanation
    assert not withdraw.retryable and not trade.retryable


def test_lookback_limit_points_to_file_upload() -> None:
    diagnosis = diagnose(LookbackLimitReached(), get_profile("bitget"))

    assert any("file upload" in tip for tip in diagnosis.tips)


def test_unknown_errors_are_honest() -> None:
    diagnosis = diagnose(ccxt.ExchangeError("binance {}"), get_profile("binance"))

    assert diagnosis.code is D.UNKNOWN
    assert "could not tell" in diagnosis.explanation


@pytest.mark.parametrize(
    ("seconds", "text"), [(1, "1 second"), (42, "42 seconds"), (600, "10 minutes"), (7200, "2 hours")]
)
def test_waits_are_said_in_human_units(seconds: float, text: str) -> None:
    assert humanize_seconds(seconds) == text


# ---------------------------------------------------------------------------------------------- whose fault


def test_a_record_tallybot_cannot_read_is_tallybots_failure_named_by_endpoint() -> None:
    profile = get_profile("bybit")
    spec = profile.endpoint(Endpoint.SPOT_TRADES)
    for error in (KeyError("fillSz"), ValueError("invalid literal for int(): 'LEAK-123'"), InvalidOperation()):
        diagnosis = diagnose(error, profile, endpoint=spec)
        assert diagnosis.code is D.UNREADABLE_RECORD and not diagnosis.retryable
        assert diagnosis.title == "Tallybot could not read a record from Bybit"
        assert "spot trades (GET /v5/execution/list?category=spot)" in diagnosis.explanation
        assert "Tallybot's failure" in diagnosis.explanation
        assert "LEAK" not in diagnosis.explanation + "".join(diagnosis.tips)
        assert "does not recognise" not in diagnosis.explanation


def test_an_address_the_docs_list_answering_404_is_not_the_exchange_not_offering_it() -> None:
    profile = get_profile("bybit")
    spec = profile.endpoint(Endpoint.CONVERT)
    for error in (
        ccxt.ExchangeNotAvailable("bybit GET https://x/v5/asset/exchange/query-convert-history 404 Not Found nope"),
        exchange_error("bybit", body_for("bybit", "10017")),  # "Route not found" (docs/v5/error.mdx)
    ):
        diagnosis = diagnose(error, profile, endpoint=spec)
        assert diagnosis.code is D.REQUEST_NOT_FOUND
        assert "does not offer" not in diagnosis.title
        assert "GET /v5/asset/exchange/query-convert-history" in diagnosis.explanation
    # Where the exchange's docs do say it (Bitget 40085: unified accounts get no classic API), it still is.
    assert diagnose(exchange_error("bitget", body_for("bitget", "40085")), get_profile("bitget")).code is (
        D.ENDPOINT_NOT_OFFERED
    )


class BybitWithoutConvertHistory(BybitEmulator):
    """A Bybit whose convert history answers 404 (an address that moved), and whose deposit answer carries a row
    without the amount Bybit documents: what Tallybot meets when Bybit changes under it."""

    def add_routes(self, app: Any) -> None:
        self.endpoints = tuple(e for e in self.endpoints if e.path != "/v5/asset/exchange/query-convert-history")
        super().add_routes(app)


async def test_the_user_reads_tallybots_own_failures_as_tallybots_in_the_summary_and_in_status(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'blame.sqlite3'}")
    await upgrade_to_head(database)
    limits = BybitLimits(per_second={}, default_per_second=10_000, ip_requests_per_5s=100_000)
    async with BybitWithoutConvertHistory(seed=21, profile=SMALL, listed_symbols=20, limits=limits) as bybit:
        original = bybit.assets._deposit

        def deposit_without_amount(record: Any, status: int | None = None) -> dict[str, Any]:
            row = original(record, status)
            del row["amount"]
            return row

        monkeypatch.setattr(bybit.assets, "_deposit", deposit_without_amount)
        pool = ClientPool({"bybit": bybit.base_url})
        integrations = IntegrationService(database, Vault(KeyRing([generate_key()])))
        keys = bybit.add_key(label="tallybot")
        summary = await integrations.connect(
            77,
            exchange_id="bybit",
            key_type="normal",
            account_name="Bybit-1",
            fields={"apiKey": Secret(keys.api_key), "secret": Secret(keys.secret)},
            options=AdvancedOptions(endpoints=("deposits", "convert")),
        )
        try:
            result = await SyncService(database, integrations, pool).run(77, summary.id)
            status = await StatusService(database, integrations).overview(77)
        finally:
            await pool.close()
            await database.dispose()

    deposits, converts = result.endpoint(Endpoint.DEPOSITS), result.endpoint(Endpoint.CONVERT)
    assert deposits is not None and deposits.diagnosis is not None
    assert deposits.diagnosis.code is D.UNREADABLE_RECORD
    assert "GET /v5/asset/deposit/query-record" in deposits.diagnosis.explanation
    assert converts is not None and converts.diagnosis is not None
    assert converts.diagnosis.code is D.REQUEST_NOT_FOUND
    text = sync_views.summary([result], 1.0, "en")
    assert "could not read a record from Bybit" in text and "address it did not know" in text
    assert "does not recognise" not in text and "does not offer" not in text
    assert all(
        row_value not in text for row_value in (bybit.account.deposits[0].tx_id, bybit.account.deposits[0].address)
    )
    (account,) = status
    messages = {line.endpoint: line.error_message for line in account.endpoints}
    assert messages["deposits"] == "Tallybot could not read a record from Bybit"
    assert messages["convert"] == "Tallybot asked Bybit at an address it did not know"
