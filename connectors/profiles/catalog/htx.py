"""HTX (formerly Huobi, spot API)."""

from __future__ import annotations

from connectors.profiles.catalog import common as c
from connectors.profiles.model import Endpoint, EndpointSpec, ExchangeProfile, KeyType, Paging, PermissionCheck

NAME = "HTX"
_KEY_SHAPE = r"[A-Za-z0-9-]+"  # four dash-separated groups, e.g. 1a2b3c4d-5e6f7a8b-…
_KEY_HINT = "letters, digits and dashes"  # access key and secret key alike

KEY = KeyType(
    id="normal",
    label="API key",
    fields=(
        c.api_key(min_length=20, max_length=64, pattern=_KEY_SHAPE, hint=_KEY_HINT),
        c.secret(min_length=20, max_length=64, pattern=_KEY_SHAPE, hint=_KEY_HINT),
    ),
    description="An HTX access key and its secret key.",
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
        notes="Size up to 500, paged with from/direct inside a window of at most 48 hours, which can be shifted "
        "within the last 120 days. The symbol is optional, so every market comes in one walk.",
    ),
    EndpointSpec(
        Endpoint.DEPOSITS,
        default_enabled=True,
        page_size=100,
        paging=Paging.FROM_ID,
        api_path="GET /v1/query/deposit-withdraw?type=deposit",
        notes="Paged by transfer id (from, direct=prev: ascending); no time range; its reach is not stated.",
    ),
    EndpointSpec(
        Endpoint.WITHDRAWALS,
        default_enabled=True,
        page_size=100,
        paging=Paging.FROM_ID,
        api_path="GET /v1/query/deposit-withdraw?type=withdraw",
        notes="As deposits.",
    ),
    EndpointSpec(
        Endpoint.TRANSFERS,
        default_enabled=True,
        page_size=500,
        window=10 * c.DAY,
        lookback=180 * c.DAY,
        paging=Paging.FROM_ID,
        api_path="GET /v2/account/ledger?transactTypes=transfer",
        notes="Moves between your own HTX accounts (spot, futures, margin, sub-accounts): windows of at most 10 days "
        "within the last 180 days, up to 500 a page, paged with nextId/fromId (Get Account Ledger).",
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
        "HTX's API only returns trades of the last 120 days. Download older trades from HTX and add them by "
        "file upload.",
        "HTX keys without an IP address expire after 90 days. Tallybot will tell you when to make a new one.",
        "Futures are not included.",
    ),
    integration_steps=(
        "Log in to HTX, open your profile menu and choose API Management.",
        "Give the key a note such as Tallybot.",
        "Tick only Read-only. Leave Trade and Withdraw unticked.",
        "Leave the IP address field empty.",
        "Confirm with your security codes, then copy the access key and secret key into this chat when asked.",
        c.secret_once(NAME),
    ),
    important_notes=(
        c.never_withdraw(NAME),
        c.no_ip_restriction(NAME),
        "HTX was called Huobi until 2023; old Huobi keys keep working if they are still valid.",
    ),
    troubleshooting=(
        c.invalid_key_tip(NAME),
        c.ip_tip(NAME),
        c.expired_tip(NAME, "HTX keys without an IP address are valid for 90 days."),
        c.missing_permission_tip(NAME, "Read-only"),
        c.too_many_permissions_tip(NAME),
        c.clock_tip(),
        c.rate_limited_tip(NAME),
        c.missing_history_tip(NAME, "HTX's API returns only the last 120 days of trades."),
        c.fewer_transactions_tip(),
    ),
    permission_check=PermissionCheck(
        "v2PrivateGetUserApiKey", ("permission",), "Tallybot checks on HTX that the key is read-only."
    ),
    ip_restriction_check=PermissionCheck(
        "v2PrivateGetUserApiKey", ("ipAddresses",), "Tallybot checks whether the key is bound to IPs."
    ),
    reports_expiry=True,
    popularity=70,
    aliases=("huobi", "huobi global", "huobipro", "huobi pro"),
)
