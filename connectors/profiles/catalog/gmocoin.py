"""GMO Coin (REST API v1, Japan). ccxt has no GMO Coin: connectors/fetchers/gmocoin has its own client."""

from __future__ import annotations

from datetime import timedelta

from connectors.profiles.catalog import common as c
from connectors.profiles.model import Endpoint, EndpointSpec, ExchangeProfile, KeyType, Paging, PermissionCheck
from i18n import Text

NAME = "GMO Coin"

KEY = KeyType(
    id="normal",
    label=Text.of("profile.gmocoin.key.label"),
    fields=(
        c.api_key(min_length=16, max_length=128, hint=Text.of("profile.gmocoin.key.api_key.hint")),
        c.secret(min_length=16, max_length=128, hint=Text.of("profile.gmocoin.key.secret.hint")),
    ),
    description=Text.of("profile.gmocoin.key.description"),
)

# Every rule below is from GMO Coin's API documentation; sources and gaps: docs/exchange-apis/gmocoin.md.
ENDPOINTS = (
    EndpointSpec(
        Endpoint.SPOT_TRADES,
        default_enabled=True,
        page_size=100,
        lookback=timedelta(days=1),  # latestExecutions: "This returns the last day of executed order information"
        paging=Paging.PAGE_NUMBER,
        api_path="GET /private/v1/latestExecutions",
        notes=Text.of("profile.gmocoin.endpoint.spot_trades.notes"),
    ),
    EndpointSpec(
        Endpoint.DEPOSITS,
        default_enabled=True,
        page_size=100,  # no page size is documented; a 30-minute range is one request
        window=timedelta(minutes=30),
        paging=Paging.TIME,
        api_path="GET /private/v1/account/deposit/history",
        notes=Text.of("profile.gmocoin.endpoint.deposits.notes"),
    ),
    EndpointSpec(
        Endpoint.WITHDRAWALS,
        default_enabled=True,
        page_size=100,
        window=timedelta(minutes=30),
        paging=Paging.TIME,
        api_path="GET /private/v1/account/withdrawal/history",
        notes=Text.of("profile.gmocoin.endpoint.withdrawals.notes"),
    ),
)

PROFILE = ExchangeProfile(
    id="gmocoin",
    name=NAME,
    ccxt_id="gmocoin",
    key_types=(KEY,),
    endpoints=ENDPOINTS,
    api_management_url="https://coin.z.com/jp/member/api",
    docs_url="https://api.coin.z.com/docs/",
    alerts=(
        Text.of("profile.gmocoin.alert_1"),
        Text.of("profile.gmocoin.alert_2"),
        Text.of("profile.gmocoin.alert_3"),
    ),
    integration_steps=(
        Text.of("profile.gmocoin.step_1"),
        Text.of("profile.gmocoin.step_2"),
        Text.of("profile.gmocoin.step_3"),
        Text.of("profile.gmocoin.step_4"),
        c.secret_once(NAME),
    ),
    important_notes=(
        c.never_withdraw(NAME),
        Text.of("profile.gmocoin.note_1"),
        Text.of("profile.gmocoin.note_2"),
    ),
    troubleshooting=(
        c.invalid_key_tip(NAME),
        c.ip_tip(NAME),
        c.clock_tip(),
        c.rate_limited_tip(NAME),
        c.missing_history_tip(NAME, Text.of("profile.gmocoin.tip.reach")),
        c.fewer_transactions_tip(),
    ),
    permission_check=PermissionCheck(None, (), Text.of("profile.gmocoin.permission_check.note")),
    ip_restriction_check=c.NO_PERMISSION_CHECK_IP,
    reports_expiry=False,
    popularity=57,
    aliases=("gmo", "GMOコイン", "coin.z.com"),
)
