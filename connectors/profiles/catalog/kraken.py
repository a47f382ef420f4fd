"""Kraken (spot REST API; Kraken Futures is a separate ccxt exchange, `krakenfutures`)."""

from __future__ import annotations

from connectors.profiles.catalog import common as c
from connectors.profiles.model import (
    Endpoint,
    EndpointSpec,
    ExchangeProfile,
    KeyType,
    Paging,
    PermissionCheck,
    Tip,
    TipCode,
)

NAME = "Kraken"
_BASE64 = r"[A-Za-z0-9+/=]+"

KEY = KeyType(
    id="normal",
    label="API key",
    fields=(
        c.api_key(min_length=40, max_length=80, pattern=_BASE64, hint="about 56 letters, digits, + and /"),
        c.secret(
            min_length=80,
            max_length=100,
            pattern=_BASE64,
            hint="about 88 letters, digits, + and /",
            label="Private key",
        ),
    ),
    description="A Kraken API key and its private key.",
)

# Rules and their sources: docs/exchange-apis/kraken.md. Both lists hold every market and asset at once, 50 records a
# request, newest first, paged with `ofs` inside a start/end window; Kraken documents no limit on how far back.
ENDPOINTS = (
    EndpointSpec(
        Endpoint.SPOT_TRADES,
        default_enabled=True,
        page_size=50,
        paging=Paging.OFFSET,
        api_path="POST /0/private/TradesHistory",
        notes="50 trades per call, all markets at once, paged with ofs inside a fixed start/end window; no documented "
        "lookback limit. The call adds 2 to Kraken's API call counter (other calls 1).",
    ),
    EndpointSpec(
        Endpoint.LEDGER,
        default_enabled=True,
        page_size=50,
        paging=Paging.OFFSET,
        api_path="POST /0/private/Ledgers",
        notes="50 entries per call, paged like trades. Every balance change: deposits, withdrawals (with their fees), "
        "staking rewards, transfers, Buy Crypto spends and receipts; a trade's own two entries are left out because "
        "TradesHistory gives the trade whole.",
    ),
)

PROFILE = ExchangeProfile(
    id="kraken",
    name=NAME,
    ccxt_id="kraken",
    key_types=(KEY,),
    endpoints=ENDPOINTS,
    api_management_url="https://pro.kraken.com/app/settings/api",
    docs_url="https://docs.kraken.com/api/",
    alerts=(
        "Kraken hands out 50 records per request and allows about one history request every 6 seconds on a "
        "Starter account, so the first sync of a busy account can take a long time. It resumes where it stopped.",
        "Futures are not included: Kraken Futures is a separate integration.",
    ),
    integration_steps=(
        "Log in to Kraken, open Settings, then Connections & API.",
        "Choose Create API key and give it a name such as Tallybot.",
        # What Tallybot calls needs these two (docs/exchange-apis/kraken.md); GetApiKeyInfo needs none.
        "Tick Query Closed Orders & Trades and Query Ledger Entries. Other Query permissions are read-only too and "
        "do no harm.",
        "Leave Deposit Funds, Withdraw Funds, Create & Modify Orders, Cancel/Close Orders and every other "
        "permission unticked.",
        "Leave the IP allow-list empty and do not set a nonce window or an expiry date.",
        "Generate the key, then copy the API key and the private key into this chat when asked.",
        c.secret_once(NAME, "private key"),
    ),
    important_notes=(
        c.never_withdraw(NAME),
        "Use this key only for Tallybot: two apps sharing one Kraken key get 'invalid nonce' errors.",
        "Deposits, withdrawals, staking rewards and transfers come from the ledger, which is switched on by default.",
    ),
    troubleshooting=(
        c.invalid_key_tip(NAME, "Kraken's private key is the long one, about 88 characters."),
        c.ip_tip(NAME),
        # Kraken answers "EGeneral:Permission denied" both for a missing permission and, as far as the emulator
        # knows (unsourced, docs/exchange-apis/kraken.md), for a call from outside the key's IP allow-list.
        Tip(
            TipCode.MISSING_PERMISSION,
            "Kraken refused the key: permission denied",
            (
                "Edit the key on Kraken and make sure Query Ledger Entries and Query Closed Orders & Trades are "
                "ticked.",
                "If you gave the key an IP allow-list, remove it: calls from other addresses are refused.",
                "Save, then try again in Tallybot.",
            ),
        ),
        c.too_many_permissions_tip(NAME),
        c.expired_tip(NAME, "Check that you did not set an expiry date on the key."),
        Tip(
            TipCode.CLOCK_SKEW,
            "Kraken says the nonce is invalid",
            (
                "Another app or script is probably using the same key. Create a separate key for Tallybot.",
                "If the key is only used here, try again in a minute.",
            ),
        ),
        c.rate_limited_tip(NAME),
        c.fewer_transactions_tip(),
    ),
    permission_check=PermissionCheck(
        "privatePostGetApiKeyInfo",
        (),
        "Tallybot checks on Kraken which permissions the key has.",
    ),
    ip_restriction_check=PermissionCheck(
        "privatePostGetApiKeyInfo", (), "Tallybot checks whether the key is limited to IPs."
    ),
    reports_expiry=True,  # GetApiKeyInfo gives `valid_until` (docs/exchange-apis/kraken.md)
    popularity=80,
    aliases=("kraken pro",),
)
