"""HTX (formerly Huobi, spot API)."""

from __future__ import annotations

from connectors.profiles.catalog import common as c
from connectors.profiles.model import Endpoint, EndpointSpec, ExchangeProfile, KeyType, Paging, PermissionCheck
from i18n import Text

NAME = "HTX"
_KEY_SHAPE = r"[A-Za-z0-9-]+"  # four dash-separated groups, e.g. 1a2b3c4d-5e6f7a8b-…
_KEY_HINT = Text.of("profile.htx.key.hint")  # access key and secret key alike

KEY = KeyType(
    id="normal",
    label=Text.of("profile.htx.key.label"),
    fields=(
        c.api_key(min_length=20, max_length=64, pattern=_KEY_SHAPE, hint=_KEY_HINT),
        c.secret(min_length=20, max_length=64, pattern=_KEY_SHAPE, hint=_KEY_HINT),
    ),
    description=Text.of("profile.htx.key.description"),
)

# Rules and sources: docs/exchange-apis/htx.md (HTX's spot pages "Search Match Results" and "Search for Existed
# Withdraws and Deposits").
ENDPOINTS = (
    EndpointSpec(
        Endpoint.SPOT_TRADES,
        default_enabled=True,
        page_size=500,
        window=48 * c.HOUR,
        lookback=120 * c.DAY,
        paging=Paging.FROM_ID,
        api_path="GET /v1/order/matchresults",
        notes=Text.of("profile.htx.endpoint.spot_trades.notes"),
    ),
    EndpointSpec(
        Endpoint.DEPOSITS,
        default_enabled=True,
        page_size=100,
        paging=Paging.FROM_ID,
        api_path="GET /v1/query/deposit-withdraw?type=deposit",
        notes=Text.of("profile.htx.endpoint.deposits.notes"),
    ),
    EndpointSpec(
        Endpoint.WITHDRAWALS,
        default_enabled=True,
        page_size=100,
        paging=Paging.FROM_ID,
        api_path="GET /v1/query/deposit-withdraw?type=withdraw",
        notes=Text.of("profile.htx.endpoint.withdrawals.notes"),
    ),
    EndpointSpec(
        Endpoint.TRANSFERS,
        default_enabled=True,
        page_size=500,
        window=10 * c.DAY,
        lookback=180 * c.DAY,
        paging=Paging.FROM_ID,
        api_path="GET /v2/account/ledger?transactTypes=transfer",
        notes=Text.of("profile.htx.endpoint.transfers.notes"),
    ),
    EndpointSpec(
        Endpoint.FUNDING,
        # On: an account that never opened contract trading skips it saying why (connectors/fetchers/htx/futures.py).
        default_enabled=True,
        page_size=50,
        window=48 * c.HOUR,
        lookback=90 * c.DAY,
        paging=Paging.FROM_ID,
        api_path="POST /linear-swap-api/v3/swap_financial_record_exact",
        notes=Text.of("profile.htx.endpoint.funding.notes"),
    ),
    EndpointSpec(
        Endpoint.FUTURES_TRADES,
        default_enabled=True,
        page_size=50,
        window=48 * c.HOUR,
        lookback=90 * c.DAY,
        per_market=True,
        paging=Paging.FROM_ID,
        api_path="POST /linear-swap-api/v3/swap_cross_matchresults_exact",
        notes=Text.of("profile.htx.endpoint.futures_trades.notes"),
    ),
)

PROFILE = ExchangeProfile(
    id="htx",
    name=NAME,
    ccxt_id="htx",
    key_types=(KEY,),
    endpoints=ENDPOINTS,
    api_management_url="https://www.htx.com/en-us/apikey/",
    docs_url="https://www.htx.com/en-us/opend/newApiPages/",
    alerts=(
        Text.of("profile.htx.alert_1"),
        Text.of("profile.htx.alert_2"),
        Text.of("profile.htx.alert_3"),
    ),
    integration_steps=(
        Text.of("profile.htx.step_1"),
        Text.of("profile.htx.step_2"),
        Text.of("profile.htx.step_3"),
        Text.of("profile.htx.step_4"),
        Text.of("profile.htx.step_5"),
        c.secret_once(NAME),
    ),
    important_notes=(
        c.never_withdraw(NAME),
        c.no_ip_restriction(NAME),
        Text.of("profile.htx.note_3"),
    ),
    troubleshooting=(
        c.invalid_key_tip(NAME),
        c.ip_tip(NAME),
        c.expired_tip(NAME, Text.of("profile.htx.tip.key_expired.extra")),
        c.missing_permission_tip(NAME, Text.of("profile.htx.tip.missing_permission.extra")),
        c.too_many_permissions_tip(NAME),
        c.clock_tip(),
        c.rate_limited_tip(NAME),
        c.missing_history_tip(NAME, Text.of("profile.htx.tip.missing_history.extra")),
        c.fewer_transactions_tip(),
    ),
    permission_check=PermissionCheck(
        "v2PrivateGetUserApiKey", ("permission",), Text.of("profile.htx.permission_check.note")
    ),
    ip_restriction_check=PermissionCheck(
        "v2PrivateGetUserApiKey", ("ipAddresses",), Text.of("profile.htx.ip_restriction_check.note")
    ),
    reports_expiry=True,
    popularity=70,
    aliases=("huobi", "huobi global", "huobipro", "huobi pro"),
)
