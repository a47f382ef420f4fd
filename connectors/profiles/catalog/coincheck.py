"""Coincheck (exchange API, Japan)."""

from __future__ import annotations

from datetime import date

from connectors.profiles.catalog import common as c
from connectors.profiles.model import Endpoint, EndpointSpec, ExchangeProfile, KeyType, Paging, PermissionCheck
from i18n import Text

NAME = "Coincheck"
# Coincheck opened in August 2014: nothing is older (connectors/fetchers/coincheck).
_OPENED = date(2014, 8, 1)

KEY = KeyType(
    id="normal",
    label=Text.of("profile.coincheck.key.label"),
    fields=(
        c.api_key(min_length=8, max_length=64, hint=Text.of("profile.coincheck.key.api_key.hint")),
        c.secret(min_length=16, max_length=128, hint=Text.of("profile.coincheck.key.secret.hint")),
    ),
    description=Text.of("profile.coincheck.key.description"),
)

# Every rule below is from Coincheck's exchange API document; sources and gaps: docs/exchange-apis/coincheck.md.
ENDPOINTS = (
    EndpointSpec(
        Endpoint.SPOT_TRADES,
        default_enabled=True,
        page_size=25,
        earliest=_OPENED,
        paging=Paging.FROM_ID,
        api_path="GET /api/exchange/orders/transactions_pagination",
        notes=Text.of("profile.coincheck.endpoint.spot_trades.notes"),
    ),
    EndpointSpec(
        Endpoint.DEPOSITS,
        default_enabled=True,
        page_size=25,
        earliest=_OPENED,
        paging=Paging.FROM_ID,
        api_path="GET /api/deposit_money",
        notes=Text.of("profile.coincheck.endpoint.deposits.notes"),
    ),
    EndpointSpec(
        Endpoint.WITHDRAWALS,
        default_enabled=True,
        page_size=25,
        earliest=_OPENED,
        paging=Paging.FROM_ID,
        api_path="GET /api/send_money, GET /api/withdraws",
        notes=Text.of("profile.coincheck.endpoint.withdrawals.notes"),
    ),
)

PROFILE = ExchangeProfile(
    id="coincheck",
    name=NAME,
    ccxt_id="coincheck",
    key_types=(KEY,),
    endpoints=ENDPOINTS,
    api_management_url="https://coincheck.com/api_settings",
    docs_url="https://coincheck.com/documents/exchange/api",
    alerts=(
        Text.of("profile.coincheck.alert_1"),
        Text.of("profile.coincheck.alert_2"),
        Text.of("profile.coincheck.alert_3"),
    ),
    integration_steps=(
        Text.of("profile.coincheck.step_1"),
        Text.of("profile.coincheck.step_2"),
        Text.of("profile.coincheck.step_3"),
        Text.of("profile.coincheck.step_4"),
        c.secret_once(NAME),
    ),
    important_notes=(
        c.never_withdraw(NAME),
        c.no_ip_restriction(NAME),
        Text.of("profile.coincheck.note_3"),
    ),
    troubleshooting=(
        c.invalid_key_tip(NAME),
        c.ip_tip(NAME),
        c.missing_permission_tip(NAME, Text.of("profile.coincheck.tip.missing_permission.extra")),
        c.rate_limited_tip(NAME),
        c.fewer_transactions_tip(),
    ),
    permission_check=PermissionCheck(None, (), Text.of("profile.coincheck.permission_check.note")),
    ip_restriction_check=c.NO_PERMISSION_CHECK_IP,
    reports_expiry=False,
    popularity=59,
    aliases=("コインチェック",),
)
