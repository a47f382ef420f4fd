"""OKX (API v5)."""

from __future__ import annotations

from connectors.profiles.catalog import common as c
from connectors.profiles.model import Endpoint, EndpointSpec, ExchangeProfile, KeyType, Paging, PermissionCheck

NAME = "OKX"
# Rules and their sources: docs/exchange-apis/okx.md.
_THREE_MONTHS = 90 * c.DAY  # Get_Bills_Details_Last_3_Months.md
# Get_Transaction_Details_Last_1_Year.md: "the last 1 year since July 1, 2024". A later edition of the page says 3
# months; the fetcher asks for the year and says so when it met nothing older than 3 months (fetchers/okx/reach.py).
_ONE_YEAR = 365 * c.DAY

KEY = KeyType(
    id="normal",
    label="API key",
    fields=(
        c.api_key(min_length=36, max_length=36, pattern=c.UUID, hint="36 characters such as 1a2b3c4d-…"),
        c.secret(min_length=16, max_length=64, pattern=r"[0-9A-Fa-f]+", hint="letters A–F and digits"),
        c.passphrase(),
    ),
    description="An OKX API key, its secret key and the passphrase you chose when you created it.",
)

ENDPOINTS = (
    EndpointSpec(
        Endpoint.SPOT_TRADES,
        default_enabled=True,
        page_size=100,
        lookback=_ONE_YEAR,
        paging=Paging.CURSOR,
        api_path="GET /api/v5/trade/fills-history?instType=SPOT",
        notes="Fills of the last year, max 100 per page, paged with after=billId. Older fills are only "
        "available as a download from the OKX website.",
    ),
    EndpointSpec(
        Endpoint.DEPOSITS,
        default_enabled=True,
        page_size=100,
        paging=Paging.CURSOR,
        api_path="GET /api/v5/asset/deposit-history",
        notes="Max 100 per page, newest first, paged with after=ts. OKX's docs state no limit on how far back.",
    ),
    EndpointSpec(
        Endpoint.WITHDRAWALS,
        default_enabled=True,
        page_size=100,
        paging=Paging.CURSOR,
        api_path="GET /api/v5/asset/withdrawal-history",
        notes="Max 100 per page, newest first, paged with after=ts. OKX's docs state no limit on how far back.",
    ),
    EndpointSpec(
        Endpoint.CONVERT,
        default_enabled=True,
        page_size=100,
        paging=Paging.CURSOR,
        api_path="GET /api/v5/asset/convert/history",
        notes="Max 100 per page, newest first, paged with after=ts. OKX's docs state no limit on how far back.",
    ),
    EndpointSpec(
        Endpoint.LEDGER,
        default_enabled=False,
        page_size=100,
        lookback=_THREE_MONTHS,
        paging=Paging.CURSOR,
        api_path="GET /api/v5/account/bills-archive",
        notes="Trading account bills of the last 3 months (ccxt's default ledger method). Bills since 2021 "
        "exist only as an asynchronous file request, which Tallybot does not use.",
    ),
    EndpointSpec(
        Endpoint.TRANSFERS,
        default_enabled=False,
        page_size=100,
        paging=Paging.CURSOR,
        api_path="GET /api/v5/asset/bills-history",
        notes="Funding account bills since 1 February 2021, including transfers between your OKX accounts and "
        "sub-accounts; max 100 per page, paged with after=billId, one request a second.",
    ),
    EndpointSpec(
        Endpoint.EARN_REWARDS,
        default_enabled=True,  # income for the user's taxes, as Binance's distributions are
        page_size=100,
        paging=Paging.CURSOR,
        api_path="GET /api/v5/asset/bills-history",
        notes="Funding account bills since 1 February 2021 of reward types: staking and Simple Earn interest, "
        "airdrops and event rewards; max 100 per page, paged with after=billId, one request a second.",
    ),
    EndpointSpec(
        Endpoint.FUTURES_TRADES,
        default_enabled=False,
        page_size=100,
        lookback=_ONE_YEAR,
        paging=Paging.CURSOR,
        api_path="GET /api/v5/trade/fills-history?instType=SWAP|FUTURES",
        notes="Same one-year limit as spot fills.",
    ),
    EndpointSpec(
        Endpoint.FUNDING,
        default_enabled=False,
        page_size=100,
        lookback=_THREE_MONTHS,
        paging=Paging.CURSOR,
        api_path="GET /api/v5/account/bills-archive?type=8",
        notes="Funding fees are bills of type 8.",
    ),
)

PROFILE = ExchangeProfile(
    id="okx",
    name=NAME,
    ccxt_id="okx",
    key_types=(KEY,),
    endpoints=ENDPOINTS,
    api_management_url="https://www.okx.com/account/my-api",
    docs_url="https://www.okx.com/docs-v5/en/",
    alerts=(
        "OKX's API only returns the last year of trades. Download older trades from OKX and add them by file upload.",
        "OKX needs three things: the API key, the secret key and the passphrase you chose.",
    ),
    integration_steps=(
        "Log in to OKX, open your profile menu and choose API keys.",
        "Choose Create API key and give it a name such as Tallybot.",
        "Set a passphrase and write it down: OKX will ask you for it nowhere else and cannot show it again.",
        "Under permissions keep only Read. Leave Trade and Withdraw unticked.",
        "Leave the IP address field empty.",
        "Confirm with your security codes, then copy the API key, the secret key and your passphrase into "
        "this chat when asked.",
        c.secret_once(NAME),
    ),
    important_notes=(
        c.never_withdraw(NAME),
        c.no_ip_restriction(NAME),
        "OKX deletes keys that can trade or withdraw, have no IP address and go unused for a while; a "
        "read-only key is not affected.",
        "Each sub-account needs its own key and integration.",
    ),
    troubleshooting=(
        c.invalid_key_tip(NAME, "The OKX API key looks like 1a2b3c4d-5e6f-…, 36 characters with dashes."),
        c.wrong_passphrase_tip(NAME),
        c.ip_tip(NAME),
        c.missing_permission_tip(NAME, "Read"),
        c.too_many_permissions_tip(NAME),
        c.expired_tip(NAME),
        c.clock_tip(),
        c.rate_limited_tip(NAME),
        c.missing_history_tip(NAME, "OKX's API returns only the last year of trades."),
        c.fewer_transactions_tip(),
    ),
    permission_check=PermissionCheck(
        "privateGetAccountConfig", ("perm",), "Tallybot checks on OKX that the key only has read permission."
    ),
    ip_restriction_check=PermissionCheck(
        "privateGetAccountConfig", ("ip",), "Tallybot checks whether the key is linked to IP addresses."
    ),
    reports_expiry=False,
    popularity=90,
    aliases=("okex", "okx.com", "okex.com"),
)
