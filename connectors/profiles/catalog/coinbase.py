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
from i18n import Text, msgid

NAME = "Coinbase"

KEY = KeyType(
    id="cdp",
    label=Text.of("profile.coinbase.key.label"),
    fields=(
        # "organizations/<uuid>/apiKeys/<uuid>" for ECDSA keys (Ed25519 keys, a bare id, are refused by the secret).
        c.api_key(
            min_length=16,
            max_length=200,
            pattern=r"[A-Za-z0-9/_-]+",
            hint=Text.of("profile.coinbase.key.api_key.hint"),
            label=Text.of("profile.coinbase.key.api_key.label"),
        ),
        # A PEM block (several lines) for ECDSA keys: read as an EC private key (not refused as "a key, not the
        # secret") and kept canonical; ccxt signs ES256 with it. An Ed25519 key's secret (88 base64 characters)
        # is refused with the hint: the Coinbase App's API, which lists the account transactions, does not take
        # Ed25519 keys ("When using Coinbase App SDKs, Ed25519 (EdDSA) keys are NOT supported. You must use ES256",
        # docs/exchange-apis/coinbase.md). Only text that is not PEM meets the pattern, which no such text matches.
        CredentialField(
            "secret",
            Text.of("profile.coinbase.key.secret.label"),
            40,
            600,
            True,
            r"-----BEGIN EC PRIVATE KEY-----[\s\S]*",
            Text.of("profile.coinbase.key.secret.hint"),
            private_keys=(PrivateKeyKind.EC_P256,),
        ),
    ),
    description=Text.of("profile.coinbase.key.description"),
)

ENDPOINTS = (
    EndpointSpec(
        Endpoint.SPOT_TRADES,
        default_enabled=True,
        page_size=100,
        paging=Paging.CURSOR,
        api_path="GET /api/v3/brokerage/orders/historical/fills",
        notes=Text.of("profile.coinbase.endpoint.spot_trades.notes"),
    ),
    EndpointSpec(
        Endpoint.LEDGER,
        default_enabled=True,
        page_size=100,
        paging=Paging.CURSOR,
        api_path="GET /v2/accounts/{account_id}/transactions",
        label_id=msgid("profile.coinbase.endpoint.ledger.label"),
        phrase_id=msgid("profile.coinbase.endpoint.ledger.phrase"),
        notes=Text.of("profile.coinbase.endpoint.ledger.notes"),
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
        Text.of("profile.coinbase.alert_1"),
        Text.of("profile.coinbase.alert_2"),
    ),
    integration_steps=(
        Text.of("profile.coinbase.step_1"),
        Text.of("profile.coinbase.step_2"),
        Text.of("profile.coinbase.step_3"),
        Text.of("profile.coinbase.step_4"),
        Text.of("profile.coinbase.step_5"),
        Text.of("profile.coinbase.step_6"),
        c.secret_once(NAME, Text.of("profile.coinbase.secret_once.what")),
    ),
    important_notes=(
        c.never_withdraw(NAME),
        c.no_ip_restriction(NAME),
        Text.of("profile.coinbase.note_3"),
        Text.of("profile.coinbase.note_4"),
    ),
    troubleshooting=(
        c.invalid_key_tip(
            NAME,
            Text.of("profile.coinbase.tip.invalid_key.extra_1"),
            Text.of("profile.coinbase.tip.invalid_key.extra_2"),
        ),
        c.ip_tip(NAME),
        c.missing_permission_tip(NAME, Text.of("profile.coinbase.tip.missing_permission.extra")),
        c.too_many_permissions_tip(NAME),
        c.expired_tip(NAME),
        c.clock_tip(),
        c.rate_limited_tip(NAME),
        c.fewer_transactions_tip(Text.of("profile.coinbase.tip.fewer_transactions.extra")),
    ),
    permission_check=PermissionCheck(
        "v3PrivateGetBrokerageKeyPermissions",
        ("can_view", "can_trade", "can_transfer"),
        Text.of("profile.coinbase.permission_check.note"),
    ),
    ip_restriction_check=c.NO_PERMISSION_CHECK_IP,
    reports_expiry=False,
    popularity=88,
    aliases=("coinbase pro", "coinbase advanced", "coinbase advanced trade", "gdax", "coinbase app"),
)
