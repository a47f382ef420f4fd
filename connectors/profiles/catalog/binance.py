"""Binance (binance.com, spot wallet API `api/v3` and `sapi`)."""

from __future__ import annotations

from datetime import date

from connectors.profiles.catalog import common as c
from connectors.profiles.model import (
    CredentialField,
    Endpoint,
    EndpointSpec,
    ExchangeProfile,
    GeneratedKey,
    KeyType,
    Paging,
    PermissionCheck,
)
from connectors.profiles.private_keys import PrivateKeyKind

NAME = "Binance"

# Binance opened in July 2017; nothing can be older.
_OPENED = date(2017, 7, 14)

_SYSTEM_GENERATED_SHAPE = r"[A-Za-z0-9]{64}"

KEY = KeyType(
    id="normal",
    label="API key you created",
    fields=(
        c.api_key(min_length=64, max_length=64, pattern=r"[A-Za-z0-9]{64}", hint="64 letters and digits"),
        CredentialField(
            "secret",
            "Secret key",
            64,
            64,
            True,
            _SYSTEM_GENERATED_SHAPE,
            "the 64 letters and digits Binance showed (System generated key), or the private key of your own "
            "Ed25519 or RSA key (Self-generated), from -----BEGIN PRIVATE KEY----- to -----END PRIVATE KEY-----",
            private_keys=(PrivateKeyKind.ED25519, PrivateKeyKind.RSA),
        ),
    ),
    description="A key you made on Binance: System generated (HMAC: API key and secret key), or Self-generated "
    "Ed25519 or RSA (API key and your private key).",
)

# Binance recommends Ed25519 keys ("API Key Types" FAQ); the key pair is made by the user, so Tallybot can make it
# and keep the private key to itself: the user only registers the public key and sends back the API key.
GENERATED_KEY = KeyType(
    id="tallybot_ed25519",
    label="Ed25519 key made by Tallybot",
    fields=(c.api_key(min_length=64, max_length=64, pattern=r"[A-Za-z0-9]{64}", hint="64 letters and digits"),),
    description="Tallybot makes an Ed25519 key pair and keeps the private key encrypted; you register the public "
    "key on Binance (Self-generated) and send back only the API key.",
    generated=GeneratedKey(
        "secret",
        PrivateKeyKind.ED25519,
        steps=(
            "Log in to Binance and open Account, then API Management.",
            "Choose Create API, pick Self-generated, and give the key a name such as Tallybot.",
            "Paste the public key below into the public key box, then complete the security verification.",
            "In the key's restrictions leave only Enable Reading ticked, and under IP access restrictions choose "
            "Unrestricted.",
            "Copy the API key Binance shows and paste it into this chat.",
        ),
    ),
)

ENDPOINTS = (
    EndpointSpec(
        Endpoint.SPOT_TRADES,
        default_enabled=True,
        page_size=1000,
        window=c.DAY,
        earliest=_OPENED,
        per_market=True,
        paging=Paging.FROM_ID,
        api_path="GET /api/v3/myTrades",
        notes="One market per request; paged upward with fromId (max 1000). A startTime/endTime range may not "
        "exceed 24 hours. Markets are found from balances, deposits, withdrawals, converts and dust.",
    ),
    EndpointSpec(
        Endpoint.DEPOSITS,
        default_enabled=True,
        page_size=1000,
        window=90 * c.DAY,
        earliest=_OPENED,
        paging=Paging.OFFSET,
        api_path="GET /sapi/v1/capital/deposit/hisrec",
        notes="The range must be under 90 days (default: the last 90 days); offset pages inside it.",
    ),
    EndpointSpec(
        Endpoint.WITHDRAWALS,
        default_enabled=True,
        page_size=1000,
        window=90 * c.DAY,
        earliest=_OPENED,
        paging=Paging.OFFSET,
        api_path="GET /sapi/v1/capital/withdraw/history",
        notes="The range must be under 90 days; offset pages inside it.",
    ),
    EndpointSpec(
        Endpoint.CONVERT,
        default_enabled=True,
        page_size=1000,
        window=30 * c.DAY,
        api_path="GET /sapi/v1/convert/tradeFlow",
        notes="startTime and endTime are required and at most 30 days apart (ccxt enforces the same). Small "
        "balance (dust) conversions are a separate list: GET /sapi/v1/asset/dribblet.",
    ),
    EndpointSpec(
        Endpoint.EARN_REWARDS,
        default_enabled=True,
        page_size=500,
        window=180 * c.DAY,
        api_path="GET /sapi/v1/asset/assetDividend",
        notes="Distributions (staking, savings interest, airdrops) in windows of at most 180 days, max 500 rows. "
        "Whether every Simple Earn reward appears here is not verified.",
    ),
    EndpointSpec(
        Endpoint.TRANSFERS,
        default_enabled=False,
        page_size=100,
        window=7 * c.DAY,
        paging=Paging.PAGE_NUMBER,
        api_path="GET /sapi/v1/asset/transfer",
        notes="Needs a transfer type (e.g. MAIN_UMFUTURE) per request. Page size 100; the 7-day window and any "
        "lookback limit are conservative guesses, not verified.",
    ),
    EndpointSpec(
        Endpoint.FUTURES_TRADES,
        default_enabled=False,
        page_size=1000,
        window=7 * c.DAY,
        per_market=True,
        paging=Paging.FROM_ID,
        api_path="GET /fapi/v1/userTrades",
        notes="USD-M futures, one contract per request, ranges of at most 7 days (ccxt). Binance is reported to "
        "keep only about six months here: unverified.",
    ),
    EndpointSpec(
        Endpoint.FUNDING,
        default_enabled=False,
        page_size=1000,
        window=7 * c.DAY,
        api_path="GET /fapi/v1/income",
        notes="incomeType=FUNDING_FEE. The 7-day window is conservative; the history depth is not verified.",
    ),
)

PROFILE = ExchangeProfile(
    id="binance",
    name=NAME,
    ccxt_id="binance",
    key_types=(KEY, GENERATED_KEY),
    endpoints=ENDPOINTS,
    api_management_url="https://www.binance.com/en/my/settings/api-management",
    docs_url="https://developers.binance.com/docs",
    alerts=(
        "Binance only returns trades one market at a time. Tallybot works out which markets you traded "
        "from your balances, deposits, withdrawals and converts, so a market you traded and emptied long "
        "ago can be missed: add those trades by file upload.",
        "Binance has no single account ledger in its API. Card purchases, P2P and some Earn products are "
        "not covered: add them by file upload.",
    ),
    integration_steps=(
        "Recommended: let Tallybot make the key. Press “Let Tallybot make the key” below: Tallybot makes an "
        "Ed25519 key pair (the kind Binance recommends), keeps the private key encrypted and shows you only the "
        "public key, which you paste on Binance. No secret is ever sent in this chat.",
        "Or make a key yourself: log in to Binance, open Account, then API Management, and choose Create API: "
        "System generated (you paste the API key and the secret key), or Self-generated with your own Ed25519 or "
        "RSA key (you paste the API key and your private key).",
        "Complete the security verification Binance asks for.",
        "In the key's restrictions leave only Enable Reading ticked. Do not tick spot trading, margin, "
        "futures, withdrawals or universal transfer.",
        "Under IP access restrictions choose Unrestricted.",
        c.secret_once(NAME),
    ),
    important_notes=(
        c.never_withdraw(NAME),
        "Binance may delete unrestricted keys that can trade; a read-only key is not affected.",
        "Each Binance sub-account needs its own key and its own integration.",
        "This profile is for binance.com. Binance US and Binance TR are different exchanges.",
    ),
    troubleshooting=(
        c.invalid_key_tip(
            NAME,
            "Binance API keys are 64 letters and digits. The secret is 64 characters for a System generated key; "
            "for a Self-generated key it is the whole text of your private key file, and the public key "
            "registered on Binance must be its pair (for a key Tallybot made: the public key it showed you).",
        ),
        c.ip_tip(NAME),
        c.missing_permission_tip(NAME, "Enable Reading"),
        c.too_many_permissions_tip(NAME),
        c.expired_tip(NAME),
        c.clock_tip(),
        c.rate_limited_tip(NAME),
        c.fewer_transactions_tip(
            "Trades in a market you no longer hold anything of may not be found: add them by file upload."
        ),
    ),
    permission_check=PermissionCheck(
        "sapiGetAccountApiRestrictions",
        (
            "enableReading",
            "enableSpotAndMarginTrading",
            "enableWithdrawals",
            "enableInternalTransfer",
            "enableFutures",
            "enableMargin",
            "permitsUniversalTransfer",
        ),
        "Tallybot checks on Binance that the key can read and cannot trade or withdraw.",
    ),
    ip_restriction_check=PermissionCheck(
        "sapiGetAccountApiRestrictions", ("ipRestrict",), "Tallybot checks whether the key is limited to IPs."
    ),
    reports_expiry=False,
    popularity=100,
    aliases=("binance.com", "binance global"),
)
