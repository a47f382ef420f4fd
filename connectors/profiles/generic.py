"""Untested, best-effort profiles for ccxt exchanges without a hand-written one, built from ccxt's own metadata.

`profile_from_metadata` is pure (it takes the plain `has`/`requiredCredentials`/`urls`/`features` values), so it
can be tested without ccxt; `build_generic_profile` imports ccxt lazily and feeds it one exchange's metadata.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import timedelta
from typing import Any

from connectors.profiles.catalog import common as c
from connectors.profiles.model import (
    CREDENTIAL_NAMES,
    CredentialField,
    CredentialName,
    Endpoint,
    EndpointSpec,
    ExchangeProfile,
    KeyType,
    PermissionCheck,
    UnsupportedExchange,
)
from i18n import Text, msgid

# (label, phrase inside a sentence, is secret) of each credential, as message ids.
_FIELD_TEXTS: dict[CredentialName, tuple[str, str, bool]] = {
    "apiKey": (msgid("profile.generic.field.api_key.label"), msgid("profile.generic.field.api_key.phrase"), False),
    "secret": (msgid("profile.generic.field.secret.label"), msgid("profile.generic.field.secret.phrase"), True),
    "password": (msgid("profile.generic.field.password.label"), msgid("profile.generic.field.password.phrase"), True),
    "uid": (msgid("profile.generic.field.uid.label"), msgid("profile.generic.field.uid.phrase"), False),
}
_FALLBACK_PAGE = 50  # small enough for every exchange we know of

# (endpoint, the `has` flags that provide it, on by default). Only what the generic fetcher fetches
# (connectors/fetchers/generic.py): a kind of history offered here and never fetched would be an option that
# changes nothing. Converts, transfers and funding fees have ccxt methods, but no walk of ours reads them yet.
_ENDPOINT_SOURCES: tuple[tuple[Endpoint, tuple[str, ...], bool], ...] = (
    (Endpoint.SPOT_TRADES, ("fetchMyTrades",), True),
    (Endpoint.DEPOSITS, ("fetchDeposits", "fetchDepositsWithdrawals"), True),
    (Endpoint.WITHDRAWALS, ("fetchWithdrawals", "fetchDepositsWithdrawals"), True),
    (Endpoint.LEDGER, ("fetchLedger",), False),
)


def build_generic_profile(exchange_id: str) -> ExchangeProfile:
    """Describe a ccxt exchange from its metadata; raises UnsupportedExchange if it cannot work by API key."""
    import ccxt  # lazy: ~1 s and ~100 MB, only paid when a generic profile is really needed

    exchange = getattr(ccxt, exchange_id)()  # no credentials, no network
    return profile_from_metadata(
        exchange_id=exchange.id,
        name=exchange.name or exchange.id,
        required_credentials=exchange.requiredCredentials,
        has=exchange.has,
        urls=exchange.urls,
        features=exchange.features,
    )


def profile_from_metadata(
    *,
    exchange_id: str,
    name: str,
    required_credentials: Mapping[str, Any],
    has: Mapping[str, Any],
    urls: Mapping[str, Any],
    features: Mapping[str, Any] | None = None,
) -> ExchangeProfile:
    required = {k for k, v in required_credentials.items() if v}
    foreign = sorted(required - set(CREDENTIAL_NAMES))
    if foreign or not required:
        raise UnsupportedExchange(exchange_id, Text.of("profile.generic.unsupported.credentials", name=name))
    fields = tuple(_field(n) for n in CREDENTIAL_NAMES if n in required)
    endpoints = _endpoints(name, has, _trade_features(features))
    if not endpoints:
        raise UnsupportedExchange(exchange_id, Text.of("profile.generic.unsupported.history", name=name))
    website = _first_url(urls.get("www")) or _first_url(urls.get("doc")) or ""
    asks_passphrase = "password" in required
    return ExchangeProfile(
        id=exchange_id,
        # The exchange's own name: it becomes the suggested account name, shown in /status, /keys and exports. Where it
        # is offered (the picker, the Assistant's intro) `best_effort` adds "untested" (profile.generic.untested_name).
        name=name,
        ccxt_id=exchange_id,
        key_types=(
            KeyType(
                "normal",
                Text.of("profile.generic.field.api_key.label"),
                fields,
                Text.of("profile.generic.key_description", name=name),
            ),
        ),
        endpoints=endpoints,
        api_management_url=website,
        docs_url=_first_url(urls.get("doc")) or "",
        alerts=(
            Text.of("profile.generic.alert.untested", name=name),
            Text.of("profile.generic.alert.no_permission_check", name=name),
        ),
        integration_steps=(
            Text.of("profile.generic.step.find_api_page", name=name),
            Text.of("profile.generic.step.create_key"),
            Text.of("profile.generic.step.read_only"),
            Text.of("profile.generic.step.no_ip"),
            Text.of("profile.generic.step.copy_fields", fields=tuple(Text.of(_FIELD_TEXTS[f.name][1]) for f in fields)),
            Text.of("profile.generic.step.secret_once"),
        ),
        important_notes=(c.never_withdraw(name), c.no_ip_restriction(name)),
        troubleshooting=tuple(
            tip
            for tip in (
                c.invalid_key_tip(name),
                c.wrong_passphrase_tip(name) if asks_passphrase else None,
                c.ip_tip(name),
                c.expired_tip(name),
                c.missing_permission_tip(name, Text.of("profile.generic.read_access")),
                c.clock_tip(),
                c.rate_limited_tip(name),
                c.fewer_transactions_tip(),
            )
            if tip is not None
        ),
        permission_check=PermissionCheck(None, (), Text.of("profile.generic.permission_note", name=name)),
        ip_restriction_check=c.NO_PERMISSION_CHECK_IP,
        reports_expiry=False,
        popularity=0,
        best_effort=True,  # untested: Tallybot never ran a sync against anything speaking this exchange's protocol
    )


def _field(name: CredentialName) -> CredentialField:
    label_id, _, is_secret = _FIELD_TEXTS[name]
    # Formats are unknown: only reject what cannot be a credential (private keys in PEM can be long).
    return CredentialField(name, Text.of(label_id), 4 if name != "password" else 1, 4096, is_secret)


def _first_url(value: Any) -> str | None:
    if isinstance(value, str):
        return value or None
    if isinstance(value, list | tuple):
        return next((v for v in value if isinstance(v, str) and v), None)
    return None


def _trade_features(features: Mapping[str, Any] | None) -> Mapping[str, Any]:
    spot = (features or {}).get("spot")
    trades = spot.get("fetchMyTrades") if isinstance(spot, Mapping) else None
    return trades if isinstance(trades, Mapping) else {}


def _days(value: Any, *, cap: int) -> timedelta | None:
    # ccxt uses huge numbers (10000, 100000) to mean "no limit".
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 < value < cap:
        return timedelta(days=value)
    return None


def _endpoints(name: str, has: Mapping[str, Any], trades: Mapping[str, Any]) -> tuple[EndpointSpec, ...]:
    specs: list[EndpointSpec] = []
    for endpoint, flags, default in _ENDPOINT_SOURCES:
        source = next((f for f in flags if has.get(f) in (True, "emulated")), None)
        if source is None:
            continue
        note = Text.of("profile.generic.endpoint_note", name=name, method=source)
        if endpoint is Endpoint.SPOT_TRADES:
            limit = trades.get("limit")
            specs.append(
                EndpointSpec(
                    endpoint,
                    default_enabled=default,
                    page_size=limit if isinstance(limit, int) and limit > 0 else _FALLBACK_PAGE,
                    window=_days(trades.get("untilDays"), cap=1000),
                    lookback=_days(trades.get("daysBack"), cap=10000),
                    per_market=bool(trades.get("symbolRequired")),
                    notes=note,
                )
            )
        else:
            specs.append(EndpointSpec(endpoint, default_enabled=default, page_size=_FALLBACK_PAGE, notes=note))
    if specs and not any(s.default_enabled for s in specs):
        # Only a ledger (or transfers/funding): better sync that than nothing.
        specs[0] = replace(specs[0], default_enabled=True)
    return tuple(specs)
