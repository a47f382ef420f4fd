"""The most likely cause of a difference between the exchange's balance and the history's, from the coverage the
syncs recorded: an endpoint that failed, history before the API's reach, before the chosen sync-from date, a kind
the user switched off, the key may not read or Tallybot does not fetch, a product Tallybot does not read on that
exchange yet, or, for an asset that quotes markets, trades in a market not found.

A cause is a code with arguments (endpoint codes, ISO dates, catalogue ids): never English, rendered by the views.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

from bot.reconcile.ledger import Unplaced
from connectors.fetchers.bybit.loans import INTEREST_GAP
from connectors.fetchers.gate.futures import OPTIONS_NOT_READ
from connectors.fetchers.htx.futures import COIN_MARGINED, DELIVERY_ACCOUNTS
from connectors.fetchers.kucoin.futures import UNIFIED_NOT_READ
from i18n import msgid

EPOCH_YEAR = 1990  # a gap starting before this is open-ended: "from the account's start"


class Cause(StrEnum):
    ENDPOINT_FAILED = "endpoint_failed"
    BEFORE_REACH = "before_reach"
    BEFORE_SYNC_FROM = "before_sync_from"
    KIND_OFF = "kind_off"
    KEY_DENIED = "key_denied"  # the key may not read a kind (Bybit's Earn unticked): give it the permission
    NOT_FETCHED = "not_fetched"
    NOT_READ_YET = "not_read_yet"  # a product of a kind Tallybot reads, not read on this exchange yet (NOT_READ)
    ISOLATED_POSITION = "isolated_position"  # held in an open isolated position: explained once it is closed
    UNPLACED_LEDGER = "unplaced_ledger"  # the asset has ledger lines Tallybot cannot place (ledger.UNPLACED_TYPES)
    QUOTE_MARKETS = "quote_markets"
    QUOTE_SCANNING = "quote_scanning"  # QUOTE_MARKETS while a scan of that quote's markets runs (scan.py)
    UNKNOWN = "unknown"


# Which kinds of history can bring an asset in (the exchange holds more than the history explains) or take it out,
# the likeliest first: when gaps of several kinds concern an asset, the first kind's is named. Moves from outside
# first; then spot trades (a spot gap is one market's, so one that concerns the asset names it); then internal
# transfers: between the account's own wallets they move no total, but a master's moves to and from its
# sub-accounts are stored as deposits and withdrawals, and their lists reach less far (Binance's sub-account futures
# list one month); then conversions, income lines and the rest.
INFLOW_KINDS = (
    "deposits",
    "spot_trades",
    "transfers",
    "convert",
    "earn_rewards",
    "funding",
    "futures_trades",
    "ledger",
)
# Loans last: margin and crypto loans take coins out only by their interest (borrowing and repaying count zero,
# ledger.py).
OUTFLOW_KINDS = (
    "withdrawals",
    "spot_trades",
    "transfers",
    "convert",
    "funding",
    "futures_trades",
    "ledger",
    "margin_loans",
    "crypto_loans",
)


# Products Tallybot does not read yet on an exchange whose kind it does read. The fetcher flags them (a skip's or a
# gap's `not_read`, bot/sync/results.py); this table gives each its name in a cause's sentence, by the text the
# fetcher gives (a skip's notice or a gap's reason), and the coins it can move. Such history is certainly missing:
# never "out of the API's reach" (a gap) nor "a kind the account does not use" (a skip).
@dataclass(frozen=True, slots=True)
class Product:
    name: str  # a catalogue id: the product's name inside a cause's sentence
    # The coins its history can move, where the exchange documents one account for the product; None: the fetcher
    # cannot tell (its skip or gap names no settlement coin), so every asset may be concerned.
    moves: frozenset[str] | None = None
    # Whether a file Tallybot reads (connectors/files) can hold its history, so an upload fills its gap: none of the
    # products below has one (their causes send the user to Tallybot's template).
    file_reader: bool = False


NOT_READ: dict[str, Product] = {
    # A unified account's futures margin in USDT, USDC or the coin itself: the account mode's answer names no
    # contract, so the skip cannot tell which coins (docs/exchange-apis/kucoin.md).
    UNIFIED_NOT_READ.id: Product(msgid("reconcile.product.kucoin_unified_futures")),
    # "One USDT account" (GET /options/accounts, docs/exchange-apis/gate.md "Options"): premiums, fees and
    # settlement move USDT only.
    OPTIONS_NOT_READ.id: Product(msgid("reconcile.product.gate_options"), frozenset({"USDT"})),
    # Coin-margined: each delivery account moves its own coin. The fetcher reads which coins (the account list's
    # `symbol`), but a CoverageGap carries no market, so the gap does not say which: every asset may be concerned.
    COIN_MARGINED[DELIVERY_ACCOUNTS]: Product(msgid("reconcile.product.htx_coin_margined_futures")),
    # The interest of Bybit's crypto loans, which no list names (docs/exchange-apis/bybit.md "Crypto loans"): paid
    # in the borrowed coins, which the gap does not name.
    INTEREST_GAP.id: Product(msgid("reconcile.product.bybit_crypto_loan_interest")),
}
# A flagged product this table does not name (a fetcher's text added after it): named by where /status shows it,
# and any asset may be concerned.
UNNAMED = Product(msgid("reconcile.product.unnamed"))
# Summaries stored before the flag existed (before 2026-12-06) carry only the text: these three fetchers gave these
# texts only for products not read (the flag's first users), so an unflagged skip or gap with one of them is read as
# flagged. Any other unflagged text is what it says: a reach gap, a kind unused.
LEGACY_IDS = frozenset(NOT_READ)


def concerns(market: str, asset: str) -> bool:
    """Whether history of this market ("" : every asset's) can move this asset."""
    # Only a unified symbol names its assets; an exchange's own id (BTCUSDT) cannot be split, so it concerns all.
    if "/" not in market:
        return True
    return asset in market.split(":")[0].split("/")


@dataclass(frozen=True, slots=True)
class NotRead:
    endpoint: str
    product: str  # a catalogue id: the product's name inside a sentence
    market: str = ""  # a gap's market, when the fetcher named one
    moves: frozenset[str] | None = None  # Product.moves

    def concerns(self, asset: str) -> bool:
        """Whether this product may move the asset: never outside a market the gap names."""
        return concerns(self.market, asset)

    def certainly_concerns(self, asset: str) -> bool:
        """Whether it moves the asset as far as anything tells: a coin it settles in, or any, when none is known."""
        return self.concerns(asset) and (self.moves is None or asset in self.moves)


@dataclass(frozen=True, slots=True)
class Gap:
    endpoint: str
    start: date | None  # None: from the account's start
    end: date
    market: str = ""  # "BASE/QUOTE" when the gap is one market's ("": every asset's)

    def concerns(self, asset: str) -> bool:
        return concerns(self.market, asset)


@dataclass(slots=True)
class Coverage:
    """What the syncs recorded about the history they could not bring."""

    failed: list[str] = field(default_factory=list)  # endpoints whose last sync failed
    gaps: list[Gap] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # endpoints the last sync did not fetch
    unused: list[str] = field(default_factory=list)  # of those, kinds the account showed no sign of using
    denied: list[str] = field(default_factory=list)  # of those, kinds the key may not read
    switched_off: list[str] = field(default_factory=list)  # endpoints the user turned off
    off_by_default: list[str] = field(default_factory=list)  # offered, off for a new account, not switched on
    not_read: list[NotRead] = field(default_factory=list)  # products the account shows, Tallybot does not read yet
    sync_from: date | None = None


def coverage_from(
    summaries: Iterable[Mapping[str, Any]],
    *,
    offered: Iterable[str],
    enabled: Iterable[str],
    sync_from: date | None,
    defaults: Iterable[str] | None = None,
) -> Coverage:
    """`summaries`: the syncs' run summaries, newest first; `offered` (every endpoint the profile offers the key),
    `enabled` and `defaults` (on for a new account; None: every offered one): endpoint codes."""
    coverage = Coverage(sync_from=sync_from)
    wanted = set(enabled)
    usual = set(offered if defaults is None else defaults)
    unsynced = [endpoint for endpoint in offered if endpoint not in wanted]
    coverage.switched_off = [endpoint for endpoint in unsynced if endpoint in usual]
    coverage.off_by_default = [endpoint for endpoint in unsynced if endpoint not in usual]
    newest = True
    for summary in summaries:
        endpoints: Mapping[str, Any] = summary.get("endpoints") or {}
        for endpoint, result in endpoints.items():
            if newest and result.get("status") == "failed":
                coverage.failed.append(endpoint)
            if newest and result.get("status") == "skipped":
                if not _note_not_read(coverage, endpoint, result.get("not_read"), result.get("note")):
                    (coverage.unused if result.get("unused") else coverage.skipped).append(endpoint)
                if result.get("denied"):
                    coverage.denied.append(endpoint)
            for gap in result.get("gaps") or ():
                # Every run's: a product once held and not read left history missing that no later run brings.
                market = str(gap.get("market") or "")
                if _note_not_read(coverage, endpoint, gap.get("not_read"), gap.get("reason"), market):
                    continue
                if gap.get("end"):
                    start = _day(gap.get("start"))
                    begins = start if start is not None and start.year >= EPOCH_YEAR else None
                    end = _day(gap["end"]) or date.min
                    coverage.gaps.append(Gap(endpoint, begins, end, market))
        newest = False
    return coverage


def likely_cause(
    asset: str,
    difference: Decimal,
    coverage: Coverage,
    quotes: frozenset[str],
    scanned: frozenset[str] = frozenset(),
    *,
    in_positions: frozenset[str] = frozenset(),
    unplaced: Unplaced | None = None,
) -> tuple[Cause, dict[str, Any]]:
    """`difference` is the exchange's balance minus the history's; `quotes`: the assets that quote markets;
    `scanned`: those whose markets a scan already searched to the end; `in_positions`: those the balance answer
    shows held in part in an open isolated position; `unplaced`: the asset's ledger lines Tallybot does not count."""
    kinds = INFLOW_KINDS if difference > 0 else OUTFLOW_KINDS
    if coverage.failed:
        return Cause.ENDPOINT_FAILED, {"endpoints": coverage.failed}
    # Lines Tallybot cannot place that sum to exactly the difference: they moved the asset in or out of the account
    # (Bitget's side of a liquidation transfer, say), and nothing else is as likely.
    if unplaced is not None and unplaced.total == difference:
        return _unplaced(unplaced)
    gaps = sorted(
        # A market's gap explains only its two assets: it must not hide another asset's cause.
        (gap for gap in coverage.gaps if gap.endpoint in kinds and gap.end != date.min and gap.concerns(asset)),
        key=lambda gap: (kinds.index(gap.endpoint), gap.end),
    )
    if gaps:
        gap = gaps[0]
        return Cause.BEFORE_REACH, {
            "endpoint": gap.endpoint,
            "until": gap.end.isoformat(),
            "from_year": gap.start.year if gap.start else None,
        }
    # A kind switched off or not fetched is certain to be missing; history before the sync-from date only may be.
    if coverage.switched_off:
        return Cause.KIND_OFF, {"endpoints": coverage.switched_off}
    # Denied before not fetched: Tallybot does fetch that kind; this key cannot read it, and a new key is the fix.
    if coverage.denied:
        return Cause.KEY_DENIED, {"endpoints": coverage.denied}
    # A product the account shows and Tallybot does not read yet (KuCoin's unified futures, Gate's options): certain,
    # and its fix is a file, not an earlier sync-from date.
    not_read = [found for found in coverage.not_read if found.endpoint in kinds]
    certain = [found for found in not_read if found.certainly_concerns(asset)]
    if certain:
        return _not_read_yet(certain)
    # An open isolated position (OKX's isolated margin: the answer holds only its margin coin's equity, the fills
    # both coins' trades): the likeliest cause once no certain one applies; it goes once the position is closed.
    if asset in in_positions:
        return Cause.ISOLATED_POSITION, {"asset": asset}
    if coverage.skipped:
        return Cause.NOT_FETCHED, {"endpoints": coverage.skipped}
    if coverage.sync_from is not None:
        # A quote not scanned yet is scanned all the same (scan.py): a market traded and emptied after the date is
        # inside the range the user chose, and only a scan finds it.
        scan = {"quote": True} if asset in quotes - scanned else {}
        return Cause.BEFORE_SYNC_FROM, {"date": coverage.sync_from.isoformat(), **scan}
    # A product not read whose settlement coins leave this asset out (Gate's options for SOL): the sync-from date
    # above is likelier; without one it is still named, since what else that product held is not known.
    possible = [found for found in not_read if found.concerns(asset)]
    if possible:
        return _not_read_yet(possible)
    if asset in quotes - scanned:
        return Cause.QUOTE_MARKETS, {"asset": asset}
    # A kind skipped because the account shows no sign of using it (no futures wallet, say) or off by default that
    # can move this asset was never read: the cause of a difference no market scan can find (its quote's markets
    # already scanned, or the asset quotes none), never "unknown".
    unused = [endpoint for endpoint in coverage.unused if endpoint in kinds]
    if unused:
        return Cause.NOT_FETCHED, {"endpoints": unused}
    unread = [endpoint for endpoint in coverage.off_by_default if endpoint in kinds]
    if unread:
        return Cause.KIND_OFF, {"endpoints": unread}
    # Lines Tallybot cannot place that do not sum to the difference: the asset's history holds them, uncounted, and
    # they are named rather than no cause at all.
    if unplaced is not None:
        return _unplaced(unplaced)
    if asset in quotes:
        return Cause.QUOTE_MARKETS, {"asset": asset}  # scanned, still unexplained: a market since delisted, say
    return Cause.UNKNOWN, {}


def _unplaced(lines: Unplaced) -> tuple[Cause, dict[str, Any]]:
    return Cause.UNPLACED_LEDGER, {"types": list(lines.types), "amount": str(lines.total)}


def _not_read_yet(found: list[NotRead]) -> tuple[Cause, dict[str, Any]]:
    return Cause.NOT_READ_YET, {
        "endpoints": list(dict.fromkeys(each.endpoint for each in found)),
        "products": list(dict.fromkeys(each.product for each in found)),
    }


def not_read_product(flagged: Any, text: Any) -> Product | None:
    """The product a stored skip or gap says is not read yet (None: it says no such thing): its `not_read` flag,
    or (a summary stored before the flag) its notice's or reason's text id among LEGACY_IDS. The product is looked
    up from that text (stored as {"id": …, "args": …})."""
    text_id = str(text.get("id")) if isinstance(text, Mapping) else None
    if flagged is not True and text_id not in LEGACY_IDS:
        return None
    return NOT_READ.get(text_id or "", UNNAMED)


def fillable_by_file(gap: Mapping[str, Any]) -> bool:
    """Whether an uploaded file could fill a stored gap: history out of the API's reach can, a product Tallybot
    does not read yet only when a file reader holds it."""
    product = not_read_product(gap.get("not_read"), gap.get("reason"))
    return product is None or product.file_reader


def _note_not_read(coverage: Coverage, endpoint: str, flagged: Any, text: Any, market: str = "") -> bool:
    """Whether a skip or a gap is of a product not read yet (not_read_product); noted once per endpoint, product
    and market."""
    product = not_read_product(flagged, text)
    if product is None:
        return False
    found = NotRead(endpoint, product.name, market, product.moves)
    if found not in coverage.not_read:
        coverage.not_read.append(found)
    return True


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text[:10]) if text else None
