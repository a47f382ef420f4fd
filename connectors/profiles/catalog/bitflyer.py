"""bitFlyer (Lightning HTTP API v1, Japan)."""

from __future__ import annotations

from datetime import date

from connectors.profiles.catalog import common as c
from connectors.profiles.model import Endpoint, EndpointSpec, ExchangeProfile, KeyType, Paging, PermissionCheck
from i18n import Text

NAME = "bitFlyer"
# bitFlyer opened in January 2014: nothing is older (connectors/fetchers/bitflyer).
_OPENED = date(2014, 1, 9)
# The key is letters and digits; the secret is base64 ("+", "/" and a closing "=" included).
_BASE64 = r"[A-Za-z0-9+/=]+"

KEY = KeyType(
    id="normal",
    label=Text.of("profile.bitflyer.key.label"),
    fields=(
        c.api_key(min_length=16, max_length=64, hint=Text.of("profile.bitflyer.key.api_key.hint")),
        c.secret(min_length=32, max_length=128, pattern=_BASE64, hint=Text.of("profile.bitflyer.key.secret.hint")),
    ),
    description=Text.of("profile.bitflyer.key.description"),
)

# Every rule below is from bitFlyer Lightning's API documentation; sources and gaps: docs/exchange-apis/bitflyer.md.
ENDPOINTS = (
    EndpointSpec(
        Endpoint.SPOT_TRADES,
        default_enabled=True,
        page_size=100,
        earliest=_OPENED,
        per_market=True,
        paging=Paging.FROM_ID,
        api_path="GET /v1/me/getexecutions",
        notes=Text.of("profile.bitflyer.endpoint.spot_trades.notes"),
    ),
    EndpointSpec(
        Endpoint.DEPOSITS,
        default_enabled=True,
        page_size=100,
        earliest=_OPENED,
        paging=Paging.FROM_ID,
        api_path="GET /v1/me/getcoinins, GET /v1/me/getdeposits",
        notes=Text.of("profile.bitflyer.endpoint.deposits.notes"),
    ),
    EndpointSpec(
        Endpoint.WITHDRAWALS,
        default_enabled=True,
        page_size=100,
        earliest=_OPENED,
        paging=Paging.FROM_ID,
        api_path="GET /v1/me/getcoinouts, GET /v1/me/getwithdrawals",
        notes=Text.of("profile.bitflyer.endpoint.withdrawals.notes"),
    ),
)

PROFILE = ExchangeProfile(
    id="bitflyer",
    name=NAME,
    ccxt_id="bitflyer",
    key_types=(KEY,),
    endpoints=ENDPOINTS,
    api_management_url="https://lightning.bitflyer.com/developer",
    docs_url="https://lightning.bitflyer.com/docs?lang=en",
    alerts=(
        Text.of("profile.bitflyer.alert_1"),
        Text.of("profile.bitflyer.alert_2"),
        Text.of("profile.bitflyer.alert_3"),
    ),
    integration_steps=(
        Text.of("profile.bitflyer.step_1"),
        Text.of("profile.bitflyer.step_2"),
        Text.of("profile.bitflyer.step_3"),
        Text.of("profile.bitflyer.step_4"),
        c.secret_once(NAME),
    ),
    important_notes=(
        c.never_withdraw(NAME),
        c.no_ip_restriction(NAME),
        Text.of("profile.bitflyer.note_3"),
    ),
    troubleshooting=(
        c.invalid_key_tip(NAME),
        c.ip_tip(NAME),
        c.missing_permission_tip(NAME, Text.of("profile.bitflyer.tip.missing_permission.extra")),
        c.rate_limited_tip(NAME),
        c.fewer_transactions_tip(),
    ),
    permission_check=PermissionCheck("privateGetGetpermissions", ("paths",)),
    ip_restriction_check=c.NO_PERMISSION_CHECK_IP,
    reports_expiry=False,
    popularity=60,
    aliases=("bitflyer lightning", "ビットフライヤー"),
)
