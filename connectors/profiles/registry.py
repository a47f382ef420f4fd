"""Find the profile of an exchange: hand-written for the exchanges we know well, generic for the rest of ccxt.

Hand-written profiles never touch ccxt. ccxt is imported (once, lazily) only to build a generic profile or to
list every exchange.
"""

from __future__ import annotations

import difflib
import functools
import logging

from connectors.profiles.catalog import HAND_WRITTEN
from connectors.profiles.generic import build_generic_profile
from connectors.profiles.model import ExchangeProfile, UnknownExchange, UnsupportedExchange
from i18n import Alternatives, Text

logger = logging.getLogger(__name__)

_OURS: dict[str, ExchangeProfile] = {p.id: p for p in HAND_WRITTEN}

# ccxt ids that were renamed; stored or typed old ids still find the exchange.
LEGACY_IDS: dict[str, str] = {
    "okex": "okx",
    "okex5": "okx",
    "huobi": "htx",
    "huobipro": "htx",
    "gateio": "gate",
}


def normalize_id(exchange_id: str) -> str:
    key = exchange_id.strip().lower()
    return LEGACY_IDS.get(key, key)


def get_profile(exchange_id: str) -> ExchangeProfile:
    """The profile for a ccxt exchange id (hand-written first, else generic).

    Raises UnknownExchange for an id ccxt does not know, UnsupportedExchange (a subclass) for a ccxt
    exchange Tallybot cannot connect by API key.
    """
    key = normalize_id(exchange_id)
    profile = _OURS.get(key)
    if profile is not None:
        return profile
    if key not in _ccxt_ids():
        raise UnknownExchange(exchange_id, _unknown_message(exchange_id, key))
    return _generic_profile(key)  # raises UnsupportedExchange with the reason


def is_hand_written(exchange_id: str) -> bool:
    return normalize_id(exchange_id) in _OURS


def popular_profiles() -> tuple[ExchangeProfile, ...]:
    """The hand-written profiles, most popular first (the picker's first page). Never imports ccxt."""
    return HAND_WRITTEN


def all_exchange_ids() -> tuple[str, ...]:
    """Every id get_profile accepts: ours by popularity, then the rest of ccxt's list in ccxt's order."""
    return tuple(_OURS) + tuple(_generic_profiles())


def all_profiles() -> tuple[ExchangeProfile, ...]:
    return HAND_WRITTEN + tuple(_generic_profiles().values())


@functools.cache
def _ccxt_ids() -> frozenset[str]:
    import ccxt  # lazy, see module docstring

    return frozenset(str(i) for i in ccxt.exchanges)


@functools.cache
def _generic_profile(exchange_id: str) -> ExchangeProfile:
    return build_generic_profile(exchange_id)


@functools.cache
def _generic_profiles() -> dict[str, ExchangeProfile]:
    """Generic profiles of every supported ccxt exchange without a hand-written one, built once (~0.2 s)."""
    import ccxt

    profiles: dict[str, ExchangeProfile] = {}
    for exchange_id in ccxt.exchanges:
        if exchange_id in _OURS:
            continue
        try:
            profiles[exchange_id] = _generic_profile(exchange_id)
        except UnsupportedExchange:
            continue
        except Exception as exc:  # one broken ccxt class must not hide every other exchange
            logger.warning("ccxt metadata of %s unusable: %s", exchange_id, type(exc).__name__)
    return profiles


def _unknown_message(exchange_id: str, key: str) -> Text:
    candidates = tuple(_OURS) + tuple(sorted(_ccxt_ids() - set(_OURS)))
    close = difflib.get_close_matches(key, candidates, n=3, cutoff=0.6)
    if close:
        suggestions = Alternatives(repr(candidate) for candidate in close)
        return Text.of("profile.unknown_exchange.did_you_mean", exchange=exchange_id.strip(), suggestions=suggestions)
    return Text.of("profile.unknown_exchange", exchange=exchange_id.strip())
