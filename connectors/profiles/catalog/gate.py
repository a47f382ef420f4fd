"""Gate (formerly Gate.io, API v4)."""

from __future__ import annotations

from connectors.profiles.catalog import common as c
from connectors.profiles.model import Endpoint, EndpointSpec, ExchangeProfile, KeyType, Paging, PermissionCheck

NAME = "Gate"

KEY_HINT = "letters and digits"
KEY = KeyType(
    id="normal",
    label="API key (APIv4)",
    fields=(
        c.api_key(min_length=16, max_length=64, hint=KEY_HINT),
        c.secret(min_length=32, max_length=128, hint=KEY_HINT),
    ),
    description="A Gate APIv4 key and its secret key.",
)

# The key permission names Gate documents (ApiV4KeyPerm.md; the main_keys schema): a writable right outside them is
# one the key check does not know (connectors.key_permissions.parse_gate).
PERMISSION_NAMES = frozenset(
    {"wallet", "spot", "futures", "delivery", "earn", "custody", "options", "account", "loan", "margin", "unified"}
    | {"copy", "pilot", "otc", "alpha", "crossx"}
)

# Rules and sources: docs/exchange-apis/gate.md (Gate's API v4 reference, read through its gateapi-python SDK pages).
# Deposits 500 a page ("limited to 500"), withdrawals 100 (the documented default; no maximum is documented).
WALLET_NOTES = "Record time range cannot exceed 30 days; paged by offset. How far back it reaches is not documented."
ENDPOINTS = (
    EndpointSpec(
        Endpoint.SPOT_TRADES,
        default_enabled=True,
        page_size=1000,
        window=30 * c.DAY,
        paging=Paging.PAGE_NUMBER,
        api_path="GET /spot/my_trades",
        notes="Every market in one list (currency_pair is optional); from/to in seconds at most 30 days apart; "
        "pages of up to 1000 (ccxt's limit; the SDK page gives only the default of 100). How far back it reaches "
        "is not documented.",
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
        notes="Flash swaps take no time range: read oldest first, 100 a page (the documented default), and a "
        "re-sync reads the last page again.",
    ),
    EndpointSpec(
        Endpoint.EARN_REWARDS,
        default_enabled=True,
        page_size=100,
        paging=Paging.PAGE_NUMBER,
        api_path="GET /earn/uni/interest_records",
        notes="Simple Earn dividends, 100 a page; no range limit is documented, so one range from the sync-from date.",
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
    alerts=("Gate hands out history 30 days at a time, so the first sync of a long history takes a while.",),
    integration_steps=(
        "Log in to Gate, open your profile menu and choose API Management.",
        "Choose Create API Key and pick APIv4.",
        "Give the key a name such as Tallybot and leave the IP whitelist off.",
        "For Spot, Wallet and Earn (and any other area you use) choose Read Only. Never choose Read and Write, and "
        "leave Withdrawal unticked.",
        "Confirm with your fund password and 2FA, then copy the API key and secret key into this chat when asked.",
        c.secret_once(NAME),
    ),
    important_notes=(
        c.never_withdraw(NAME),
        c.no_ip_restriction(NAME),
        "Each sub-account needs its own key and integration.",
    ),
    troubleshooting=(
        c.invalid_key_tip(NAME, "Make sure the key is an APIv4 key; old APIv2 keys do not work."),
        c.ip_tip(NAME),
        c.missing_permission_tip(NAME, "Read Only for Spot, Wallet and Earn"),
        c.too_many_permissions_tip(NAME),
        c.expired_tip(NAME),
        c.clock_tip(),
        c.rate_limited_tip(NAME),
        c.fewer_transactions_tip(),
    ),
    permission_check=PermissionCheck(
        "privateAccountGetMainKeys",
        ("perms",),
        "Tallybot checks on Gate that every permission of the key is read-only.",
    ),
    ip_restriction_check=PermissionCheck(
        "privateAccountGetDetail", ("ip_whitelist",), "Tallybot checks whether the key has an IP whitelist."
    ),
    reports_expiry=False,
    popularity=75,
    aliases=("gate.io", "gateio", "gate io"),
)
