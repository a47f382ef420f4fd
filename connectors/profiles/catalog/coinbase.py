"""Coinbase (Advanced Trade API v3 plus the Coinbase App v2 transaction list), keys from the CDP portal."""

from __future__ import annotations

from connectors.profiles.catalog import common as c
from connectors.profiles.model import (
    CredentialField,
    Endpoint,
    EndpointSpec,
    ExchangeProfile,
    KeyType,
    Paging,
    PermissionCheck,
)
from connectors.profiles.private_keys import PrivateKeyKind

NAME = "Coinbase"

KEY = KeyType(
    id="cdp",
    label="Coinbase Developer Platform key",
    fields=(
        # "organizations/<uuid>/apiKeys/<uuid>" for ECDSA keys (Ed25519 keys, a bare id, are refused by the secret).
        c.api_key(
            min_length=16,
            max_length=200,
            pattern=r"[A-Za-z0-9/_-]+",
            hint="the key name, e.g. organizations/…/apiKeys/…",
            label="API key name",
        ),
        # A PEM block (several lines) for ECDSA keys: read as an EC private key (not refused as "a key, not the
        # secret") and kept canonical; ccxt signs ES256 with it. An Ed25519 key's secret (88 base64 characters)
        # is refused with the hint: the Coinbase App's API, which lists the account transactions, does not take
        # Ed25519 keys ("When using Coinbase App SDKs, Ed25519 (EdDSA) keys are NOT supported. You must use ES256",
        # docs/exchange-apis/coinbase.md). Only text that is not PEM meets the pattern, which no such text matches.
        CredentialField(
            "secret",
            "Private key",
            40,
            600,
            True,
            r"-----BEGIN EC PRIVATE KEY-----[\s\S]*",
            "an ECDSA key's whole private key, BEGIN and END lines included (Coinbase's account history does not "
            "take Ed25519 keys: create an ECDSA key)",
            private_keys=(PrivateKeyKind.EC_P256,),
        ),
    ),
    description="A CDP API key: its name and its private key (the whole block, BEGIN and END lines included).",
)

ENDPOINTS = (
    EndpointSpec(
        Endpoint.SPOT_TRADES,
        default_enabled=True,
        page_size=100,
        paging=Paging.CURSOR,
        api_path="GET /api/v3/brokerage/orders/historical/fills",
        notes="Advanced Trade fills of every product in one list, newest first, an opaque cursor; "
        "start_sequence_timestamp lets a re-sync ask only for fills after the newest one stored. No documented "
        "reach back in time (docs/exchange-apis/coinbase.md).",
    ),
    EndpointSpec(
        Endpoint.LEDGER,
        default_enabled=True,
        page_size=100,
        paging=Paging.CURSOR,
        api_path="GET /v2/accounts/{account_id}/transactions",
        label="Account transactions",
        notes="Every account of GET /v2/accounts, each walked newest first (at most 100 a page, starting_after) "
        "down to the newest transaction stored. Receives, sends with their network fee, fiat deposits and "
        "withdrawals, converts (one leg per account), transfers, staking and earn rewards, simple buys and sells. "
        "The advanced_trade_fill rows repeat the fills and are left to that endpoint.",
    ),
)

PROFILE = ExchangeProfile(
    id="coinbase",
    name=NAME,
    ccxt_id="coinbase",
    key_types=(KEY,),
    endpoints=ENDPOINTS,
    api_management_url="https://portal.cdp.coinbase.com/access/api",
    docs_url="https://docs.cdp.coinbase.com/coinbase-app/advanced-trade-apis/overview",
    alerts=(
        "Coinbase keys are made on the Coinbase Developer Platform, not in the Coinbase app. Old Coinbase "
        "and Coinbase Pro keys no longer work.",
        "The private key is several lines long. Paste all of it, including the BEGIN and END lines.",
    ),
    integration_steps=(
        "Sign in to the Coinbase Developer Platform (portal.cdp.coinbase.com) with your Coinbase account.",
        "Open API keys and choose Create API key. Give it a nickname such as Tallybot.",
        "Under permissions tick only View, which is read-only. Leave Trade and Transfer unticked.",
        "Under the signature algorithm choose ECDSA: Coinbase's account transactions API does not take Ed25519 keys.",
        "Choose the portfolio you want to sync and leave the IP allow-list empty.",
        "Create the key. Copy the API key name and the private key into this chat when asked.",
        c.secret_once(NAME, "private key"),
    ),
    important_notes=(
        c.never_withdraw(NAME),
        c.no_ip_restriction(NAME),
        "A key covers one portfolio. Add another integration for each other portfolio.",
        "This profile is for Coinbase and Advanced Trade. Coinbase Exchange (institutional) and Coinbase "
        "International are different integrations.",
    ),
    troubleshooting=(
        c.invalid_key_tip(
            NAME,
            "Paste the API key name (organizations/…/apiKeys/…), not the key id shown in the list.",
            "Paste the whole private key, with its BEGIN and END lines.",
        ),
        c.ip_tip(NAME),
        c.missing_permission_tip(NAME, "View"),
        c.too_many_permissions_tip(NAME),
        c.expired_tip(NAME),
        c.clock_tip(),
        c.rate_limited_tip(NAME),
        c.fewer_transactions_tip("Check that the key belongs to the portfolio you traded in."),
    ),
    permission_check=PermissionCheck(
        "v3PrivateGetBrokerageKeyPermissions",
        ("can_view", "can_trade", "can_transfer"),
        "Tallybot checks on Coinbase that the key can view but not trade or transfer.",
    ),
    ip_restriction_check=c.NO_PERMISSION_CHECK_IP,
    reports_expiry=False,
    popularity=88,
    aliases=("coinbase pro", "coinbase advanced", "coinbase advanced trade", "gdax", "coinbase app"),
)
