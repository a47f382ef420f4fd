"""bitbank (private REST API v1, Japan)."""

from __future__ import annotations

from datetime import date

from connectors.profiles.catalog import common as c
from connectors.profiles.model import Endpoint, EndpointSpec, ExchangeProfile, KeyType, Paging, PermissionCheck
from i18n import Text

NAME = "bitbank"
# A floor before bitbank's exchange opened: nothing is older (connectors/fetchers/bitbank).
_OPENED = date(2014, 1, 1)

KEY = KeyType(
    id="normal",
    label=Text.of("profile.bitbank.key.label"),
    fields=(
        c.api_key(min_length=16, max_length=128, hint=Text.of("profile.bitbank.key.api_key.hint")),
        c.secret(min_length=16, max_length=128, hint=Text.of("profile.bitbank.key.secret.hint")),
    ),
    description=Text.of("profile.bitbank.key.description"),
)

# Every rule below is from bitbank's rest-api.md; sources and gaps: docs/exchange-apis/bitbank.md.
ENDPOINTS = (
    EndpointSpec(
        Endpoint.SPOT_TRADES,
        default_enabled=True,
        page_size=1000,
        earliest=_OPENED,
        paging=Paging.TIME,
        api_path="GET /v1/user/spot/trade_history",
        notes=Text.of("profile.bitbank.endpoint.spot_trades.notes"),
    ),
    EndpointSpec(
        Endpoint.DEPOSITS,
        default_enabled=True,
        page_size=100,
        earliest=_OPENED,
        paging=Paging.TIME,
        api_path="GET /v1/user/deposit_history",
        notes=Text.of("profile.bitbank.endpoint.deposits.notes"),
    ),
    EndpointSpec(
        Endpoint.WITHDRAWALS,
        default_enabled=True,
        page_size=100,
        earliest=_OPENED,
        paging=Paging.TIME,
        api_path="GET /v1/user/withdrawal_history",
        notes=Text.of("profile.bitbank.endpoint.withdrawals.notes"),
    ),
)

PROFILE = ExchangeProfile(
    id="bitbank",
    name=NAME,
    ccxt_id="bitbank",
    key_types=(KEY,),
    endpoints=ENDPOINTS,
    api_management_url="https://app.bitbank.cc/account/api",
    docs_url="https://github.com/bitbankinc/bitbank-api-docs/blob/master/rest-api.md",
    alerts=(
        Text.of("profile.bitbank.alert_1"),
        Text.of("profile.bitbank.alert_2"),
    ),
    integration_steps=(
        Text.of("profile.bitbank.step_1"),
        Text.of("profile.bitbank.step_2"),
        Text.of("profile.bitbank.step_3"),
        Text.of("profile.bitbank.step_4"),
        c.secret_once(NAME),
    ),
    important_notes=(
        c.never_withdraw(NAME),
        c.no_ip_restriction(NAME),
        Text.of("profile.bitbank.note_2"),
    ),
    troubleshooting=(
        c.invalid_key_tip(NAME),
        c.ip_tip(NAME),
        c.clock_tip(),
        c.rate_limited_tip(NAME),
        c.fewer_transactions_tip(),
    ),
    permission_check=PermissionCheck(None, (), Text.of("profile.bitbank.permission_check.note")),
    ip_restriction_check=c.NO_PERMISSION_CHECK_IP,
    reports_expiry=False,
    popularity=58,
    aliases=("bitbank.cc", "ビットバンク"),
)
