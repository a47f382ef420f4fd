"""Typo-forgiving exchange search for the picker: "bybt" finds Bybit, "huobi" finds HTX.

Ranking: exact id/name/alias first, then prefixes, then names contained in the query or the query in names,
then close spellings (difflib). Within a tier hand-written profiles come first (most popular
first), then the other ccxt exchanges (closest first).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

from connectors.profiles.model import ExchangeProfile
from connectors.profiles.registry import all_profiles, popular_profiles

_MAX_QUERY = 64
_FUZZY_CUTOFF = 0.72
_NON_ALNUM = re.compile(r"[^0-9a-z]+")


def normalize(text: str) -> str:
    """Lower-case letters and digits only: "Gate.io" and "gate io" both become "gateio"."""
    return _NON_ALNUM.sub("", text.casefold())


def search_exchanges(query: str, limit: int = 8, *, include_generic: bool = True) -> list[ExchangeProfile]:
    """The best matches for what a user typed, at most `limit`, best first. Never raises.

    An empty query gives the popular exchanges. With `include_generic`, every ccxt exchange is searched
    (this imports ccxt once); without it only the hand-written profiles are.
    """
    if limit <= 0:
        return []
    wanted = normalize(query[: _MAX_QUERY * 2])[:_MAX_QUERY]
    if not wanted:
        return list(popular_profiles()[:limit])
    pool = all_profiles() if include_generic else popular_profiles()
    ranked = sorted(
        ((rank, profile) for profile in pool if (rank := _rank(wanted, profile)) is not None),
        # "b" should offer Binance and Bybit before Bit2C.
        key=lambda item: (item[0][0], item[1].best_effort, -item[1].popularity, item[0][1], item[1].name.casefold()),
    )
    return [profile for _, profile in ranked[:limit]]


def _keys(profile: ExchangeProfile) -> Iterable[str]:
    yield normalize(profile.id)
    yield normalize(profile.name)
    for alias in profile.aliases:
        yield normalize(alias)


def _rank(wanted: str, profile: ExchangeProfile) -> tuple[int, float] | None:
    """(tier, -closeness) of the best-matching name of this profile, or None if nothing is close."""
    best: tuple[int, float] | None = None
    for key in _keys(profile):
        if not key:
            continue
        rank = _rank_key(wanted, key)
        if rank is not None and (best is None or rank < best):
            best = rank
    return best


def _rank_key(wanted: str, key: str) -> tuple[int, float] | None:
    if wanted == key:
        return (0, 0.0)
    if key.startswith(wanted):
        return (1, -len(wanted) / len(key))
    if len(key) >= 3 and wanted.startswith(key):  # "bybit exchange", "binance account"
        return (2, -len(key) / len(wanted))
    if len(wanted) >= 3 and wanted in key:
        return (3, -len(wanted) / len(key))
    # Compare with the whole name and with its start, so "krakn" matches "krakenfutures" too.
    ratio = max(
        difflib.SequenceMatcher(None, wanted, key).ratio(),
        difflib.SequenceMatcher(None, wanted, key[: len(wanted) + 1]).ratio() - 0.05,
    )
    if len(wanted) >= 3 and ratio >= _FUZZY_CUTOFF:
        return (4, -ratio)
    return None
