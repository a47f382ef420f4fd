"""Gate (formerly Gate.io, API v4)."""

from __future__ import annotations

from connectors.profiles.catalog import common as c
from connectors.profiles.model import Endpoint, EndpointSpec, ExchangeProfile, KeyType, Paging, PermissionCheck
from i18n import Text

NAME = "Gate"

KEY_HINT = Text.of("profile.gate.key.hint")
KEY = KeyType(
    id="normal",
    label=Text.of("profile.gate.key.label"),
    fields=(
        c.api_key(min_length=16, max_length=64, hint=KEY_HINT),
        c.secret(min_length=32, max_length=128, hint=KEY_HINT),
    ),
    description=Text.of("profile.gate.key.description"),
)

# The key permission names Gate documents (ApiV4KeyPerm.md; the main_keys schema): a writable right outside them is
# one the key check does not know (connectors.key_permissions.parse_gate).
PERMISSION_NAMES = frozenset(
    {"wallet", "spot", "futures", "delivery", "earn", "custody", "options", "account", "loan", "margin", "unified"}
    | {"copy", "pilot", "otc", "alpha", "crossx"}
)

# Rules and sources: docs/exchange-apis/gate.md (Gate's API v4 reference, read through its gateapi-python SDK pages).
# Deposits 500 a page ("limited to 500"), withdrawals 100 (the documented default; no maximum is documented).
WALLET_NOTES = Text.of("profile.gate.endpoint.wallet.notes")
ENDPOINTS = (
    EndpointSpec(
        Endpoint.SPOT_TRADES,
        default_enabled=True,
        page_size=1000,
        window=30 * c.DAY,
        paging=Paging.PAGE_NUMBER,
        api_path="GET /spot/my_trades",
        notes=Text.of("profile.gate.endpoint.spot_trades.notes"),
    ),
    EndpointSpec(
        Endpoint.DEPOSITS,
        default_enabled=True,
        page_size=500,
        window=30 * c.DAY,
        paging=Paging.OFFSET,
        api_path="GET /wallet/deposits",
        notes=WALLET_NOTES,
    ),
    EndpointSpec(
        Endpoint.WITHDRAWALS,
        default_enabled=True,
        page_size=100,
        window=30 * c.DAY,
        paging=Paging.OFFSET,
        api_path="GET /wallet/withdrawals",
        notes=WALLET_NOTES,
    ),
    EndpointSpec(
        Endpoint.CONVERT,
        default_enabled=True,
        page_size=100,
        paging=Paging.PAGE_NUMBER,
        api_path="GET /flash_swap/orders",
        notes=Text.of("profile.gate.endpoint.convert.notes"),
    ),
    EndpointSpec(
        Endpoint.EARN_REWARDS,
        default_enabled=True,
        page_size=100,
        paging=Paging.PAGE_NUMBER,
        api_path="GET /earn/uni/interest_records",
        notes=Text.of("profile.gate.endpoint.earn_rewards.notes"),
    ),
    # The spot account book, read for its moves between own accounts and sub-accounts: 30 days a request ("Record
    # time range cannot exceed 30 days"), 100 a page (the documented default; no maximum is documented).
    EndpointSpec(
        Endpoint.TRANSFERS,
        default_enabled=True,
        page_size=100,
        window=30 * c.DAY,
        paging=Paging.PAGE_NUMBER,
        api_path="GET /spot/account_book",
        notes=Text.of("profile.gate.endpoint.transfers.notes"),
    ),
    # Perpetual futures, per settle currency (usdt, btc), one range each paged by offset (no span limit documented),
    # 100 a page (no maximum documented): connectors/fetchers/gate/futures.py, docs/exchange-apis/gate.md "Futures".
    EndpointSpec(
        Endpoint.FUTURES_TRADES,
        default_enabled=True,
        page_size=100,
        paging=Paging.OFFSET,
        api_path="GET /futures/{settle}/my_trades_timerange",
        notes=Text.of("profile.gate.endpoint.futures_trades.notes"),
    ),
    EndpointSpec(
        Endpoint.FUNDING,
        default_enabled=True,
        page_size=100,
        paging=Paging.OFFSET,
        api_path="GET /futures/{settle}/account_book",
        notes=Text.of("profile.gate.endpoint.funding.notes"),
    ),
)

PROFILE = ExchangeProfile(
    id="gate",
    name=NAME,
    ccxt_id="gate",
    key_types=(KEY,),
    endpoints=ENDPOINTS,
    api_management_url="https://www.gate.com/myaccount/api_key_manage",
    docs_url="https://www.gate.com/docs/developers/apiv4/en/",
    alerts=(Text.of("profile.gate.alert_1"),),
    integration_steps=(
        Text.of("profile.gate.step_1"),
        Text.of("profile.gate.step_2"),
        Text.of("profile.gate.step_3"),
        Text.of("profile.gate.step_4"),
        Text.of("profile.gate.step_5"),
        c.secret_once(NAME),
    ),
    important_notes=(
        c.never_withdraw(NAME),
        c.no_ip_restriction(NAME),
        Text.of("profile.gate.note_3"),
    ),
    troubleshooting=(
        c.invalid_key_tip(NAME, Text.of("profile.gate.tip.invalid_key.extra")),
        c.ip_tip(NAME),
        c.missing_permission_tip(NAME, Text.of("profile.gate.tip.missing_permission.extra")),
        c.too_many_permissions_tip(NAME),
        c.expired_tip(NAME),
        c.clock_tip(),
        c.rate_limited_tip(NAME),
        c.fewer_transactions_tip(),
    ),
    permission_check=PermissionCheck(
        "privateAccountGetMainKeys",
        ("perms",),
        Text.of("profile.gate.permission_check.note"),
    ),
    ip_restriction_check=PermissionCheck(
        "privateAccountGetDetail", ("ip_whitelist",), Text.of("profile.gate.ip_restriction_check.note")
    ),
    reports_expiry=False,
    popularity=75,
    aliases=("gate.io", "gateio", "gate io"),
)
