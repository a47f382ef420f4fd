"""Exchange profiles, told as what a user connecting an exchange would notice."""

from __future__ import annotations

import dataclasses
import os
import string
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import ccxt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.clients import OWN_CLIENTS
from connectors.profiles import (
    CredentialField,
    Endpoint,
    EndpointSpec,
    ExchangeProfile,
    TipCode,
    UnknownExchange,
    UnknownKeyType,
    UnsupportedExchange,
    all_exchange_ids,
    get_profile,
    popular_profiles,
    search_exchanges,
)
from i18n import Text, render

HAND_WRITTEN = ["binance", "bybit", "okx", "bitget", "kucoin", "kraken", "coinbase", "gate", "mexc", "htx", "bigone"]
HAND_WRITTEN += ["bitflyer", "bitbank", "coincheck", "gmocoin"]  # the Japanese exchanges (issue 19)
DAY = timedelta(days=1)
REPO = Path(__file__).resolve().parents[2]


def required_by_ccxt(exchange_id: str) -> set[str]:
    exchange = getattr(ccxt, exchange_id)()
    return {name for name, needed in exchange.requiredCredentials.items() if needed}


def texts_of(profile: ExchangeProfile) -> list[str]:
    """Every text of the profile as the English catalogue words it."""
    texts: list[Text | None] = [*profile.alerts, *profile.integration_steps, *profile.important_notes]
    texts += [profile.permission_check.user_note, profile.ip_restriction_check.user_note]
    for tip in profile.troubleshooting:
        texts += [tip.problem, *tip.fixes]
    for key_type in profile.key_types:
        texts += [key_type.label, key_type.description, *(f.label for f in key_type.fields)]
    return [render(text) for text in texts if text is not None]


def english(texts: tuple[Text, ...]) -> list[str]:
    return [render(text) for text in texts]


# --------------------------------------------------------------------------- the exchanges we know by hand


def test_the_picker_opens_with_our_eleven_exchanges_most_popular_first() -> None:
    profiles = popular_profiles()
    assert sorted(p.id for p in profiles) == sorted(HAND_WRITTEN)
    assert profiles[0].id == "binance"
    assert [p.popularity for p in profiles] == sorted((p.popularity for p in profiles), reverse=True)
    assert not any(p.best_effort for p in profiles)


@pytest.mark.parametrize("exchange_id", HAND_WRITTEN)
def test_the_fields_we_ask_for_are_the_ones_ccxt_needs(exchange_id: str) -> None:
    """A profile that forgot OKX's passphrase would let users paste a key that can never work."""
    profile = get_profile(exchange_id)
    if profile.ccxt_id in OWN_CLIENTS:  # ccxt lacks it: Tallybot's own client (GMO Coin) signs with key and secret
        assert profile.default_key_type.field_names == {"apiKey", "secret"}
        return
    assert profile.ccxt_id in ccxt.exchanges
    required = required_by_ccxt(profile.ccxt_id)
    assert set(profile.default_key_type.field_names) == required
    for key_type in profile.key_types[1:]:  # other key types may need less (Bitget's Tax key), never more
        assert key_type.field_names <= required


@pytest.mark.parametrize("exchange_id", ["okx", "kucoin", "bitget"])
def test_exchanges_with_a_passphrase_ask_for_it_and_explain_when_it_is_wrong(exchange_id: str) -> None:
    profile = get_profile(exchange_id)
    passphrase = profile.default_key_type.field("password")
    assert passphrase is not None and passphrase.is_secret
    assert profile.tip(TipCode.WRONG_PASSPHRASE) is not None


def test_bitget_offers_a_normal_key_and_a_tax_key_without_passphrase() -> None:
    bitget = get_profile("bitget")
    assert [k.id for k in bitget.key_types] == ["normal", "tax"]
    assert "password" in bitget.key_type("normal").field_names
    assert bitget.key_type("tax").field_names == {"apiKey", "secret"}
    tax_defaults = bitget.default_endpoints("tax")
    assert tax_defaults and all(s.allows("tax") for s in tax_defaults)
    assert {s.api_path for s in tax_defaults}.isdisjoint(s.api_path for s in bitget.default_endpoints("normal"))
    assert bitget.tip(TipCode.WRONG_KEY_TYPE) is not None
    assert any("strategy" in alert.lower() for alert in english(bitget.alerts))


@pytest.mark.parametrize("exchange_id", HAND_WRITTEN)
def test_every_profile_guides_the_user_to_a_read_only_key(exchange_id: str) -> None:
    profile = get_profile(exchange_id)
    assert profile.api_management_url.startswith("https://")
    assert len(profile.integration_steps) >= 4
    assert any("read" in step.lower() for step in english(profile.integration_steps))
    assert any("ip" in text.lower() for text in english((*profile.integration_steps, *profile.important_notes)))
    assert profile.default_endpoints(), "a new integration must sync something"
    assert {TipCode.INVALID_KEY, TipCode.IP_NOT_ALLOWED} <= {t.code for t in profile.troubleshooting}
    for text in texts_of(profile):
        assert text.strip() and "<" not in text and ">" not in text, f"no HTML in texts: {text!r}"


@pytest.mark.parametrize("exchange_id", HAND_WRITTEN)
def test_the_permission_check_is_a_real_ccxt_method_or_says_it_cannot_check(exchange_id: str) -> None:
    profile = get_profile(exchange_id)
    exchange = getattr(ccxt, profile.ccxt_id)() if profile.ccxt_id not in OWN_CLIENTS else None
    for check in (profile.permission_check, profile.ip_restriction_check):
        if check.available:
            assert callable(getattr(exchange, str(check.method), None)), check.method
        else:
            assert check.user_note
    if not profile.permission_check.available:
        assert "read-only" in render(profile.permission_check.user_note or "")
        assert any("permission" in alert for alert in english(profile.alerts))


def test_mexc_and_bigone_say_plainly_that_permissions_cannot_be_checked() -> None:
    for exchange_id in ("mexc", "bigone"):
        assert not get_profile(exchange_id).permission_check.available
    assert render(get_profile("mexc").permission_check.user_note or "").startswith("MEXC has no way to check")


def test_bybit_and_htx_report_when_a_key_expires() -> None:
    assert {p.id for p in popular_profiles() if p.reports_expiry} == {"bybit", "htx", "kraken"}


# --------------------------------------------------------------------------- limits the sync must respect


def spec(exchange_id: str, endpoint: Endpoint, key_type: str | None = None) -> EndpointSpec:
    found = get_profile(exchange_id).endpoint(endpoint, key_type)
    assert found is not None, f"{exchange_id} should offer {endpoint}"
    return found


def test_binance_trades_are_per_market_in_24_hour_windows() -> None:
    trades = spec("binance", Endpoint.SPOT_TRADES)
    assert (trades.per_market, trades.page_size, trades.window) == (True, 1000, DAY)


def test_binance_deposits_withdrawals_and_converts_have_their_windows() -> None:
    assert spec("binance", Endpoint.DEPOSITS).window == 90 * DAY
    assert spec("binance", Endpoint.WITHDRAWALS).window == 90 * DAY
    assert spec("binance", Endpoint.DEPOSITS).page_size == 1000
    assert spec("binance", Endpoint.CONVERT).window == 30 * DAY
    assert get_profile("binance").endpoint(Endpoint.LEDGER) is None  # Binance has no spot ledger


def test_bybit_reaches_two_years_back_in_weekly_and_monthly_windows() -> None:
    trades = spec("bybit", Endpoint.SPOT_TRADES)
    assert (trades.window, trades.lookback, trades.per_market) == (7 * DAY, 730 * DAY, False)
    assert spec("bybit", Endpoint.DEPOSITS).window == 30 * DAY
    assert spec("bybit", Endpoint.WITHDRAWALS).window == 30 * DAY


def test_okx_fills_reach_one_year_and_users_are_told_so() -> None:
    # docs/exchange-apis/okx.md: fills-history returns "the last 1 year since July 1, 2024".
    assert spec("okx", Endpoint.SPOT_TRADES).lookback == 365 * DAY
    assert "fills-history" in spec("okx", Endpoint.SPOT_TRADES).api_path
    okx = get_profile("okx")
    told = " ".join(english((*okx.alerts, *(fix for tip in okx.troubleshooting for fix in tip.fixes))))
    assert "last year of trades" in told and "3 months" not in told
    assert spec("okx", Endpoint.TRANSFERS).api_path == "GET /api/v5/asset/bills-history"


def test_bitget_fills_reach_90_days_as_documented_and_the_tax_ledger_comes_in_30_day_windows() -> None:
    trades = spec("bitget", Endpoint.SPOT_TRADES)  # spot/trade/Get-Fills: "only supports … data within 90days"
    assert (trades.window, trades.lookback) == (90 * DAY, 90 * DAY)
    assert get_profile("bitget").endpoint(Endpoint.SPOT_TRADES, "tax") is None
    tax = spec("bitget", Endpoint.LEDGER, "tax")
    assert (tax.window, tax.page_size, tax.default_enabled) == (30 * DAY, 500, True)


def test_kucoin_fills_come_in_weeks_and_nothing_before_2019_02_18() -> None:
    trades = spec("kucoin", Endpoint.SPOT_TRADES)
    assert (trades.window, trades.earliest) == (7 * DAY, date(2019, 2, 18))


@pytest.mark.parametrize("exchange_id", HAND_WRITTEN)
def test_every_endpoint_says_how_it_pages_and_where_it_is_documented(exchange_id: str) -> None:
    for endpoint in get_profile(exchange_id).endpoints:
        assert endpoint.page_size > 0 and endpoint.api_path and endpoint.notes and render(endpoint.label_text)


def test_lookback_limits_are_announced_with_a_pointer_to_file_upload() -> None:
    for profile in popular_profiles():
        if any(s.lookback is not None and s.default_enabled for s in profile.endpoints):
            assert any("file upload" in alert for alert in english(profile.alerts)), profile.id


# --------------------------------------------------------------------------- every other ccxt exchange


@pytest.mark.parametrize("exchange_id", ["bitstamp", "krakenfutures", "kucoinfutures"])
def test_an_exchange_without_a_guide_gets_a_best_effort_profile_from_ccxt(exchange_id: str) -> None:
    profile = get_profile(exchange_id)
    assert profile.best_effort and profile.id == profile.ccxt_id == exchange_id
    assert set(profile.default_key_type.field_names) == required_by_ccxt(exchange_id)
    assert any("best effort" in alert.lower() for alert in english(profile.alerts))
    assert not profile.permission_check.available and profile.permission_check.user_note
    assert profile.default_endpoints()
    assert profile.api_management_url.startswith("http")
    exchange = getattr(ccxt, exchange_id)()
    if exchange.has.get("fetchMyTrades"):
        assert profile.offers(Endpoint.SPOT_TRADES)


def test_every_listed_exchange_has_a_working_profile() -> None:
    ids = all_exchange_ids()
    assert list(ids[: len(HAND_WRITTEN)]) == [p.id for p in popular_profiles()]
    assert len(set(ids)) == len(ids)
    for exchange_id in ids:
        profile = get_profile(exchange_id)
        assert profile.default_endpoints() and profile.integration_steps and profile.key_types


def test_wallet_signing_exchanges_are_refused_with_a_reason() -> None:
    with pytest.raises(UnsupportedExchange, match="file upload"):
        get_profile("hyperliquid")
    assert "hyperliquid" not in all_exchange_ids()


def test_an_unknown_exchange_is_refused_clearly_with_suggestions() -> None:
    with pytest.raises(UnknownExchange) as caught:
        get_profile("binancee")
    assert "binancee" in str(caught.value) and "'binance'" in str(caught.value)
    assert caught.value.exchange_id == "binancee"
    with pytest.raises(UnknownExchange, match="does not know"):
        get_profile("no-such-exchange")


def test_old_ids_and_odd_casing_still_find_the_exchange() -> None:
    assert get_profile(" OKX ").id == "okx"
    assert get_profile("okex").id == "okx"
    assert get_profile("huobi").id == "htx"
    assert get_profile("gateio").id == "gate"


def test_hand_written_profiles_never_load_ccxt() -> None:
    code = (
        "import sys\n"
        "from connectors.profiles import get_profile, popular_profiles, search_exchanges\n"
        "assert get_profile('bitget').key_type('tax')\n"
        "assert popular_profiles()\n"
        "assert search_exchanges('bybt', include_generic=False)[0].id == 'bybit'\n"
        "assert search_exchanges('')\n"
        "assert 'ccxt' not in sys.modules, 'ccxt was imported'\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True)  # noqa: S603
    assert result.returncode == 0, result.stderr


# --------------------------------------------------------------------------- finding an exchange by name


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("bybt", "bybit"),
        ("okex", "okx"),
        ("huobi", "htx"),
        ("coinbase pro", "coinbase"),
        ("Coinbase Advanced", "coinbase"),
        ("BINANCE", "binance"),
        ("gate.io", "gate"),
        ("kukoin", "kucoin"),
        ("binanse", "binance"),
        ("bitget exchange", "bitget"),
        ("big one", "bigone"),
        ("kraken futures", "krakenfutures"),
        ("bitstamp", "bitstamp"),
    ],
)
def test_search_forgives_typos_case_and_old_names(typed: str, expected: str) -> None:
    found = search_exchanges(typed)
    assert found and found[0].id == expected


def test_search_puts_exact_and_prefix_matches_first() -> None:
    assert [p.id for p in search_exchanges("binance", limit=2)] == ["binance", "binanceus"]
    assert search_exchanges("b")[0].id == "binance"
    assert search_exchanges("kra")[0].id == "kraken"


def test_an_empty_search_offers_the_popular_exchanges_and_nonsense_finds_nothing() -> None:
    assert [p.id for p in search_exchanges("  ", limit=3)] == [p.id for p in popular_profiles()[:3]]
    assert search_exchanges("zzqqxx") == []
    assert search_exchanges("binance", limit=0) == []


@settings(max_examples=150, deadline=None)
@given(query=st.text(max_size=200), limit=st.integers(min_value=-2, max_value=20))
def test_search_never_fails_and_respects_the_limit(query: str, limit: int) -> None:
    found = search_exchanges(query, limit)
    assert len(found) <= max(limit, 0)
    assert len({p.id for p in found}) == len(found)


# --------------------------------------------------------------------------- checking what was pasted


@given(
    key=st.text(alphabet=string.ascii_letters + string.digits, min_size=64, max_size=64),
    pad=st.sampled_from(["", " ", "\n"]),
)
def test_a_well_formed_binance_key_passes_the_paste_check(key: str, pad: str) -> None:
    for field in get_profile("binance").default_key_type.fields:
        assert field.problem(pad + key + pad) is None


@given(value=st.text(max_size=300))
def test_the_paste_check_never_fails_and_always_answers_in_words(value: str) -> None:
    for profile in popular_profiles():
        for key_type in profile.key_types:
            for field in key_type.fields:
                problem = field.problem(value)
                assert problem is None or render(field.label) in render(problem)


def test_the_paste_check_catches_common_mistakes() -> None:
    okx_key = get_profile("okx").default_key_type.fields[0]
    assert okx_key.problem("") is not None
    assert okx_key.problem("1a2b3c4d-1a2b-1a2b-1a2b-1a2b3c4d5e6f") is None
    assert "does not look right" in render(okx_key.problem("1a2b3c4d 1a2b 1a2b 1a2b 1a2b3c4d5e6f") or "")
    binance_secret = get_profile("binance").default_key_type.fields[1]
    assert binance_secret.problem("abc123") == Text.of("profile.field.too_short", label=binance_secret.label)
    assert "too short" in render(binance_secret.problem("abc123") or "")


# --------------------------------------------------------------------------- the model keeps profiles sane


def test_profile_lookups_are_explicit_about_what_is_missing() -> None:
    kraken = get_profile("kraken")
    assert kraken.endpoint(Endpoint.CONVERT) is None and not kraken.offers(Endpoint.CONVERT)
    with pytest.raises(UnknownKeyType):
        kraken.key_type("tax")
    assert kraken.tip(TipCode.WRONG_KEY_TYPE) is None


def test_a_profile_cannot_define_one_endpoint_twice_for_one_key_type() -> None:
    binance = get_profile("binance")
    twice = (*binance.endpoints, EndpointSpec(Endpoint.DEPOSITS, default_enabled=False, page_size=10))
    with pytest.raises(ValueError, match="defined twice"):
        dataclasses.replace(binance, endpoints=twice)


def test_a_credential_field_rejects_an_impossible_length_range() -> None:
    with pytest.raises(ValueError, match="length"):
        CredentialField("apiKey", "API key", 10, 5, False)
