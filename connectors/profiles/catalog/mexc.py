"""MEXC (spot API v3)."""

from __future__ import annotations

from datetime import date

from connectors.profiles.catalog import common as c
from connectors.profiles.model import Endpoint, EndpointSpec, ExchangeProfile, KeyType, Paging, PermissionCheck
from i18n import Text

NAME = "MEXC"
# MEXC (then MXC) opened in April 2018: nothing is older (connectors/fetchers/mexc).
_OPENED = date(2018, 4, 1)

KEY = KeyType(
    id="normal",
    label=Text.of("profile.mexc.key.label"),
    fields=(
        c.api_key(min_length=10, max_length=64, hint=Text.of("profile.mexc.key.api_key.hint")),
        c.secret(min_length=20, max_length=128, hint=Text.of("profile.mexc.key.secret.hint")),
    ),
    description=Text.of("profile.mexc.key.description"),
)

# Every rule below is from MEXC's spot v3 documentation; sources and what is unsourced: docs/exchange-apis/mexc.md.
ENDPOINTS = (
    EndpointSpec(
        Endpoint.SPOT_TRADES,
        default_enabled=True,
        page_size=100,
        window=30 * c.DAY,
        lookback=30 * c.DAY,
        earliest=_OPENED,
        per_market=True,
        paging=Paging.TIME,
        api_path="GET /api/v3/myTrades",
        notes=Text.of("profile.mexc.endpoint.spot_trades.notes"),
    ),
    EndpointSpec(
        Endpoint.DEPOSITS,
        default_enabled=True,
        page_size=1000,
        window=90 * c.DAY,
        earliest=_OPENED,
        paging=Paging.TIME,
        api_path="GET /api/v3/capital/deposit/hisrec",
        notes=Text.of("profile.mexc.endpoint.deposits.notes"),
    ),
    EndpointSpec(
        Endpoint.WITHDRAWALS,
        default_enabled=True,
        page_size=1000,
        window=90 * c.DAY,
        earliest=_OPENED,
        paging=Paging.TIME,
        api_path="GET /api/v3/capital/withdraw/history",
        notes=Text.of("profile.mexc.endpoint.withdrawals.notes"),
    ),
    EndpointSpec(
        Endpoint.TRANSFERS,
        default_enabled=True,
        page_size=100,
        window=180 * c.DAY,
        lookback=180 * c.DAY,
        earliest=_OPENED,
        paging=Paging.PAGE_NUMBER,
        api_path="GET /api/v3/capital/transfer",
        notes=Text.of("profile.mexc.endpoint.transfers.notes"),
    ),
    EndpointSpec(
        Endpoint.FUTURES_TRADES,
        # On: an account that shows no sign of futures skips it saying why (connectors/fetchers/mexc/futures.py).
        default_enabled=True,
        page_size=100,
        window=90 * c.DAY,
        earliest=_OPENED,
        per_market=True,
        paging=Paging.PAGE_NUMBER,
        api_path="GET /api/v1/private/order/list/order_deals",
        notes=Text.of("profile.mexc.endpoint.futures_trades.notes"),
    ),
    EndpointSpec(
        Endpoint.FUNDING,
        default_enabled=True,
        page_size=100,
        earliest=_OPENED,
        paging=Paging.PAGE_NUMBER,
        api_path="GET /api/v1/private/position/funding_records",
        notes=Text.of("profile.mexc.endpoint.funding.notes"),
    ),
    EndpointSpec(
        Endpoint.CONVERT,
        default_enabled=True,
        page_size=1000,
        earliest=_OPENED,
        paging=Paging.PAGE_NUMBER,
        api_path="GET /api/v3/capital/convert",
        notes=Text.of("profile.mexc.endpoints.convert.notes"),
    ),
)

PROFILE = ExchangeProfile(
    id="mexc",
    name=NAME,
    ccxt_id="mexc",
    key_types=(KEY,),
    endpoints=ENDPOINTS,
    api_management_url="https://www.mexc.com/user/openapi",
    docs_url="https://www.mexc.com/api-docs/spot-v3/introduction",
    alerts=(
        Text.of("profile.mexc.alert_1"),
        Text.of("profile.mexc.alert_2"),
        Text.of("profile.mexc.alert_3"),
        Text.of("profile.mexc.alert_4"),
    ),
    integration_steps=(
        Text.of("profile.mexc.step_1"),
        Text.of("profile.mexc.step_2"),
        Text.of("profile.mexc.step_3"),
        Text.of("profile.mexc.step_4"),
        Text.of("profile.mexc.step_5"),
        c.secret_once(NAME),
    ),
    important_notes=(
        c.never_withdraw(NAME),
        c.no_ip_restriction(NAME),
        Text.of("profile.mexc.note_3"),
    ),
    troubleshooting=(
        c.invalid_key_tip(NAME),
        c.ip_tip(NAME),
        c.expired_tip(NAME, Text.of("profile.mexc.tip.key_expired.extra")),
        c.missing_permission_tip(NAME, Text.of("profile.mexc.tip.missing_permission.extra")),
        c.clock_tip(),
        c.rate_limited_tip(NAME),
        c.missing_history_tip(NAME, Text.of("profile.mexc.tip.missing_history.extra")),
        c.fewer_transactions_tip(),
    ),
    permission_check=PermissionCheck(None, (), Text.of("profile.mexc.permission_check.note")),
    ip_restriction_check=c.NO_PERMISSION_CHECK_IP,
    reports_expiry=False,
    popularity=68,
    aliases=("mexc global", "mxc"),
)
