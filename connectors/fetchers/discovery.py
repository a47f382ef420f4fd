"""Market discovery for exchanges whose trade history is asked market by market (Binance) or coin by coin (Bitget's
transfers): which markets the account's own records point at, and why.

Asking every listed market (2,000+ on Binance) costs 2,000+ requests per sync, so only markets with evidence are
asked:

- `AssetEvidence`: every asset the account's records mention — held now, deposited, withdrawn, converted, paid as
  a reward, moved between own accounts, or seen in an earlier sync — each with where it was seen;
- `plan_markets`: the markets a sync asks. A market with trades (its cursor moved past id 0) is always asked; a
  market probed and found empty keeps the balances of its two assets and is asked again only when one of them
  changed (a trade moves both); a new candidate has both sides evidenced, or one side evidenced and the other a
  common bridge quote (USDT, BTC, …). New probes beyond the budget are left to the next sync, and said so.

What evidence cannot see: a coin bought and sold back in full without ever being held at sync time, deposited,
withdrawn, converted or rewarded (no record of it exists anywhere but in that market). Reconciliation finds it
indirectly: the quote's balance is then not explained by the history, and a quote scan (`scan`) asks every listed
market of that quote once, outside the probe budget; each market probed keeps its cursor, so a scan cut short
resumes where it stopped.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable

from connectors.fetchers.base import Cursor, FetchReport, Page
from connectors.fetchers.windows import EPOCH
from connectors.profiles import Endpoint

# Quote currencies people pass through without leaving a deposit or withdrawal behind.
BRIDGE_QUOTES = frozenset({"USDT", "USDC", "FDUSD", "BUSD", "BTC", "ETH", "BNB"})
# Exchanges whose fetchers ask trades market by market and can scan a quote's markets (ScansQuotes), by ccxt id.
QUOTE_SCAN_EXCHANGES = frozenset({"binance"})
DEFAULT_PROBE_BUDGET = 400  # new markets probed per sync at most; the rest are probed by the next sync
EMPTY_MARKET_RECHECK = 100  # a market probed empty whose balances moved ranks before every new candidate

__all__ = [
    "BRIDGE_QUOTES",
    "DEFAULT_PROBE_BUDGET",
    "QUOTE_SCAN_EXCHANGES",
    "AssetEvidence",
    "Evidence",
    "ScansQuotes",
    "SpotMarket",
    "listed_spot_markets",
    "plan_markets",
    "quote_markets",
]


class Evidence(StrEnum):
    """Where an asset was seen, for the sources every fetcher shares (the others are its endpoints' names:
    "deposits", "converts", …): codes kept in the discovery cursor, never shown."""

    STORED = "stored"  # the integration's stored records (Fetcher.learn_assets)
    BALANCE = "balance"  # held at this sync's start


@runtime_checkable
class ScansQuotes(Protocol):
    """A fetcher that can probe every listed market of a quote (it asks trades market by market)."""

    def scan(self, quotes: frozenset[str]) -> None: ...


class AssetEvidence:
    """Assets the account's records mention, with where each was seen (the exchange's raw asset ids)."""

    def __init__(self) -> None:
        self.sources: dict[str, set[str]] = {}

    def note(self, asset: str, source: str) -> None:
        if asset:
            self.sources.setdefault(asset, set()).add(source)

    def note_all(self, assets: Iterable[str], source: str) -> None:
        for asset in assets:
            self.note(asset, source)

    def __contains__(self, asset: object) -> bool:
        return asset in self.sources

    def why(self, asset: str) -> str:
        return f"{asset}: " + ", ".join(sorted(self.sources.get(asset, ())))

    def load(self, stored: Mapping[str, str]) -> None:
        for asset, sources in stored.items():
            for source in sources.split(","):
                self.note(asset, source)

    def dump(self) -> dict[str, str]:
        return {asset: ",".join(sorted(sources)) for asset, sources in sorted(self.sources.items())}


@dataclass(frozen=True, slots=True)
class SpotMarket:
    id: str  # the exchange's symbol, e.g. "SOLBTC": the cursor's market key
    base_id: str
    quote_id: str
    symbol: str  # ccxt's unified symbol, e.g. "SOL/BTC"
    base: str  # ccxt's common currency codes
    quote: str


@dataclass(frozen=True, slots=True)
class _Probe:
    market: SpotMarket
    reasons: list[str]
    score: int


def listed_spot_markets(client: Any) -> dict[str, SpotMarket]:
    """The spot markets a loaded ccxt client lists, by the exchange's own symbol."""
    markets: dict[str, SpotMarket] = {}
    for market in (client.markets or {}).values():
        if not market.get("spot"):
            continue
        markets[market["id"]] = SpotMarket(
            market["id"], market["baseId"], market["quoteId"], market["symbol"], market["base"], market["quote"]
        )
    return markets


def plan_markets(
    listed: Mapping[str, SpotMarket],
    evidence: AssetEvidence,
    cursors: Mapping[str, Cursor],
    held: Mapping[str, Decimal],
    report: FetchReport,
    *,
    exchange_name: str,
    probe_budget: int = DEFAULT_PROBE_BUDGET,
    scan: Mapping[str, Iterable[str]] | None = None,
) -> list[tuple[SpotMarket, list[str]]]:
    """The markets to ask this sync, each with why; candidates over the probe budget are reported.

    `cursors` are the endpoint's per-market cursors ({"from_id": n} once traded; {"from_id": 0, "balances": …}
    while empty); `held` the balances at this sync's start by raw asset id; `scan` the market ids of a quote scan
    by quote, probed (when not probed yet) after the traded markets and outside the budget."""
    traded: list[tuple[SpotMarket, list[str]]] = []
    probes: list[_Probe] = []
    for market_id, cursor in cursors.items():
        if not market_id:
            continue
        market = listed.get(market_id)
        if market is None:
            report.markets_not_scanned[market_id] = f"no longer listed by {exchange_name}"
            continue
        if int(cursor.get("from_id", 0)) > 0:
            traded.append((market, ["traded: continues from its cursor"]))
            continue
        # Probed empty before: ask again only if a trade could have happened since, which moves both sides.
        snapshot = cursor.get("balances")
        # A scan's probe keeps only the base: a trade moves it too, and the quote (USDT) moves at every trade of
        # every other market, which would re-ask hundreds of scanned markets each sync.
        moved = [
            a
            for a in (market.base_id, market.quote_id)
            if snapshot is None or (a in snapshot and held.get(a, Decimal(0)) != Decimal(snapshot[a]))
        ]
        if moved:
            reasons = [f"probed empty before; {a} balance changed since" for a in moved]
            probes.append(_Probe(market, reasons, EMPTY_MARKET_RECHECK))
    for market_id, market in listed.items():
        if market_id in cursors:
            continue
        probe = _candidate(market, evidence)
        if probe is not None:
            probes.append(probe)
    probes.sort(key=lambda p: (-p.score, p.market.id))
    chosen = probes[:probe_budget]
    for probe in probes[probe_budget:]:
        report.markets_not_scanned[probe.market.id] = (
            f"probe budget of {probe_budget} markets per sync reached; asked by the next sync"
        )
    asked = {m.id for m, _ in traded} | {p.market.id for p in chosen}
    scanned: list[tuple[SpotMarket, list[str]]] = []
    for quote, market_ids in sorted((scan or {}).items()):
        for market_id in market_ids:
            market = listed.get(market_id)
            if market is None or market_id in cursors or market_id in asked:
                continue
            asked.add(market_id)
            scanned.append((market, [f"scan of {quote} markets: the {quote} balance is not explained"]))
    return traded + [(p.market, p.reasons) for p in chosen] + scanned


def quote_markets(listed: Mapping[str, SpotMarket], quote: str) -> list[str]:
    """The ids of every listed spot market quoted in `quote` (ccxt's common code), in order."""
    return sorted(market.id for market in listed.values() if market.quote == quote)


def _candidate(market: SpotMarket, evidence: AssetEvidence) -> _Probe | None:
    base, quote = market.base_id, market.quote_id
    if base not in evidence and quote not in evidence:
        return None
    reasons: list[str] = []
    score = 0
    for asset in (base, quote):
        if asset in evidence:
            reasons.append(evidence.why(asset))
            score += 1 + len(evidence.sources[asset])
        elif asset in BRIDGE_QUOTES:
            reasons.append(f"{asset}: common quote currency")
        else:
            return None
    return _Probe(market, reasons, score)


# Pages of one market's trades, given the market and its base and quote balances at this sync's start.
MarketWalk = Callable[[SpotMarket, Mapping[str, str]], AsyncIterator[Page]]


async def walk_planned_markets(
    client: Any,
    evidence: AssetEvidence,
    held: Mapping[str, Decimal],
    cursors: Mapping[str, Cursor],
    report: FetchReport,
    *,
    exchange_name: str,
    probe_budget: int,
    walk: MarketWalk,
) -> AsyncIterator[Page]:
    """Spot trades of an exchange that asks market by market: plan from the evidence and `held`, then walk each.

    For fetchers with nothing to add between planning and walking (MEXC, BigONE); Binance and KuCoin plan the same
    way but interleave their own steps (quote scans, classic fills)."""
    evidence.note_all(held, Evidence.BALANCE)
    plan = plan_markets(
        listed_spot_markets(client),
        evidence,
        cursors,
        held,
        report,
        exchange_name=exchange_name,
        probe_budget=probe_budget,
    )
    # The evidence only grows: commit it before paging, so later syncs know what this one saw.
    yield Page(Endpoint.SPOT_TRADES, (), {"assets": evidence.dump()}, EPOCH, "")
    for market, reasons in plan:
        report.markets_scanned.append(market.id)
        report.market_sources[market.id] = reasons
        snapshot = {a: format(held.get(a, Decimal(0)), "f") for a in (market.base_id, market.quote_id)}
        async for page in walk(market, snapshot):
            yield page
