"""Exchange profiles: what to ask the user for, what can be synced, and what to tell them, per exchange.

Importing this package never imports ccxt; only generic profiles and the full exchange list do.
"""

from connectors.profiles.model import (
    CREDENTIAL_NAMES,
    UNIFIED_METHODS,
    CredentialField,
    CredentialName,
    Endpoint,
    EndpointSpec,
    ExchangeProfile,
    GeneratedKey,
    KeyType,
    Paging,
    PermissionCheck,
    Tip,
    TipCode,
    UnknownExchange,
    UnknownKeyType,
    UnsupportedExchange,
    endpoint_label,
)
from connectors.profiles.registry import (
    all_exchange_ids,
    all_profiles,
    get_profile,
    is_hand_written,
    normalize_id,
    popular_profiles,
)
from connectors.profiles.search import search_exchanges

__all__ = [
    "CREDENTIAL_NAMES",
    "UNIFIED_METHODS",
    "CredentialField",
    "CredentialName",
    "Endpoint",
    "EndpointSpec",
    "ExchangeProfile",
    "GeneratedKey",
    "KeyType",
    "Paging",
    "PermissionCheck",
    "Tip",
    "TipCode",
    "UnknownExchange",
    "UnknownKeyType",
    "UnsupportedExchange",
    "all_exchange_ids",
    "all_profiles",
    "endpoint_label",
    "get_profile",
    "is_hand_written",
    "normalize_id",
    "popular_profiles",
    "search_exchanges",
]
