"""Kraken's spot REST vocabulary as the emulator speaks it: error answers, asset and pair ids, Kraken-style ids and
the newest-first offset paging of the history lists (docs/exchange-apis/kraken.md).

Errors: every answer is HTTP 200 with ``{"error": ["<severity><category>:<message>"]}``; Kraken's docs say HTTP
status codes are "generally not used" to convey the state of a request.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import TypeVar

from sandbox.exchanges.protocol import Call as Call
from sandbox.exchanges.protocol import NotEmulated as NotEmulated
from sandbox.exchanges.records import IdStyle

R = TypeVar("R")

# "50 results are returned at a time, the most recent by default" (Get Trades History, Get Ledgers Info).
PAGE_SIZE = 50
# Assets Kraken still names with an X (crypto) or Z (fiat) prefix (the docs' examples: XXBT, XETH, ZUSD, ZEUR, ZGBP);
# assets listed later carry their plain name (USDT, SOL, DOT).
LEGACY_IDS = {
    "BTC": "XXBT",
    "ETH": "XETH",
    "LTC": "XLTC",
    "XRP": "XXRP",
    "XLM": "XXLM",
    "ETC": "XETC",
    "DOGE": "XXDG",
    "USD": "ZUSD",
    "EUR": "ZEUR",
    "GBP": "ZGBP",
}
# A legacy id's altname drops the prefix; Kraken calls bitcoin XBT and dogecoin XDG.
ALTNAMES = {"XXBT": "XBT", "XXDG": "XDG"}
# Ledger entry types a history request may filter on (Get Ledgers Info, `type`).
LEDGER_TYPE_FILTERS = frozenset(
    {
        "all",
        "trade",
        "deposit",
        "withdrawal",
        "transfer",
        "margin",
        "adjustment",
        "rollover",
        "credit",
        "settled",
        "staking",
        "dividend",
        "sale",
        "nft_rebate",
    }
)
TRADE_TYPE_FILTERS = frozenset({"all", "any position", "closed position", "closing position", "no position"})
_ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


class KrakenError(Exception):
    """An error answer: ``{"error": [message]}`` with HTTP 200."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def invalid_arguments(name: str = "") -> KrakenError:
    return KrakenError(f"EGeneral:Invalid arguments:{name}" if name else "EGeneral:Invalid arguments")


def asset_id(code: str) -> str:
    """Kraken's id of an asset: ``XXBT`` for BTC, ``ZEUR`` for EUR, ``SOL`` for SOL."""
    return LEGACY_IDS.get(code, code)


def altname(asset: str) -> str:
    if asset in ALTNAMES:
        return ALTNAMES[asset]
    return asset[1:] if asset in LEGACY_IDS.values() else asset


def pair_id(base: str, quote: str) -> str:
    """A pair's key in AssetPairs: both legacy ids joined (``XXBTZUSD``, ``XETHXXBT``), else the altnames joined
    (``SOLUSDT``, ``XBTUSDT``), as in Kraken's examples."""
    base_id, quote_id = asset_id(base), asset_id(quote)
    legacy = set(LEGACY_IDS.values())
    if base_id in legacy and quote_id in legacy:
        return base_id + quote_id
    return altname(base_id) + altname(quote_id)


def kraken_id(prefix: str, seed: str) -> str:
    """An id in Kraken's shape, ``THVRQM-33VKH-UCI7BS``: a letter for its kind, then 5, 5 and 6 characters."""
    digest = hashlib.sha256(seed.encode()).digest()
    chars = "".join(_ID_ALPHABET[b % 32] for b in digest[:16])
    return f"{prefix}{chars[:5]}-{chars[5:10]}-{chars[10:16]}"


class KrakenIds(IdStyle):
    """Pairs are AssetPairs keys (``XXBTZUSD``); trade and order ids Kraken txids (``T…``, ``O…``)."""

    def market_symbol(self, base: str, quote: str) -> str:
        return pair_id(base, quote)

    def trade_id(self, rng: random.Random, n: int) -> str:
        return kraken_id("T", f"trade:{n}:{rng.getrandbits(32)}")

    def order_id(self, rng: random.Random, n: int) -> str:
        return kraken_id("O", f"order:{n}")

    def record_id(self, rng: random.Random, kind: str, n: int) -> str:
        return kraken_id("Q" if kind in ("deposit", "withdrawal") else "R", f"{kind}:{n}")


def seconds(ms: int) -> Decimal:
    """A time as Kraken writes it: seconds since the epoch with the fraction (``1688667796.8802``)."""
    return Decimal(ms).scaleb(-3)


def flag(params: Mapping[str, str], name: str) -> bool:
    raw = params.get(name, "")
    if raw in ("", "false", "False", "0"):
        return False
    if raw in ("true", "True", "1"):
        return True
    raise invalid_arguments(name)


def offset(params: Mapping[str, str]) -> int:
    raw = params.get("ofs", "")
    if raw == "":
        return 0
    if not raw.isdigit():
        raise invalid_arguments("ofs")
    return int(raw)


def bound(params: Mapping[str, str], name: str, times_by_id: Mapping[str, int]) -> int | None:
    """``start``/``end``: a unix timestamp in seconds, or the id of a record of the list (its time is used)."""
    raw = params.get(name, "")
    if raw == "":
        return None
    if raw.isdigit():
        return int(raw) * 1000
    if raw in times_by_id:
        return times_by_id[raw]
    raise invalid_arguments(name)


def newest_first_page(
    records: Sequence[R], when: Callable[[R], int], ident: Callable[[R], str], params: Mapping[str, str]
) -> tuple[list[R], int]:
    """Kraken's history paging: records with ``start`` < time <= ``end`` (start exclusive, end inclusive), newest
    first, ``PAGE_SIZE`` from offset ``ofs``; and how many match (``count``)."""
    times = {ident(r): when(r) for r in records}
    start, end, ofs = bound(params, "start", times), bound(params, "end", times), offset(params)
    chosen = [r for r in records if (start is None or when(r) > start) and (end is None or when(r) <= end)]
    chosen.sort(key=lambda r: (when(r), ident(r)), reverse=True)
    return chosen[ofs : ofs + PAGE_SIZE], len(chosen)
