"""A product Tallybot does not read yet travels as a flag, from the fetcher's CoverageGap / UnsupportedEndpoint
through the sync's stored summary (`not_read`, written only when set) to the reconciliation, which names the product
from the flag, not from which text the fetcher happened to give. Summaries stored before the flag existed (the text
alone) read as they did. Stored summaries below are written out by hand in the shape the database keeps."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from bot.reconcile.causes import Cause, coverage_from, likely_cause
from bot.reconcile.results import AssetBalance
from bot.sync.results import EndpointResult, EndpointStatus, SyncGap, SyncResult, SyncStatus
from connectors.profiles import Endpoint
from handlers.reconcile_views import cause_line
from i18n import Text

OFFERED = ["spot_trades", "deposits", "withdrawals", "futures_trades", "funding"]
START, END = datetime(2026, 9, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC)
# A fetcher's text the reconciliation's table of products does not know (a product flagged after the table).
NEW_PRODUCT = Text.of("sync.gap.not_read_yet")


def summary(**stored: dict[str, Any]) -> dict[str, Any]:
    """A run summary: every other offered kind synced in full."""
    return {"endpoints": {**{e: {"status": "ok"} for e in OFFERED}, **stored}}


def cause(
    run: dict[str, Any], asset: str, difference: str, sync_from: date | None = date(2026, 9, 1)
) -> tuple[Cause, dict[str, Any]]:
    coverage = coverage_from([run], offered=OFFERED, enabled=OFFERED, sync_from=sync_from)
    return likely_cause(asset, Decimal(difference), coverage, frozenset({"USDT"}))


def test_the_flag_is_stored_only_when_set() -> None:
    flagged = SyncGap(Endpoint.FUTURES_TRADES, START, END, NEW_PRODUCT, not_read=True)
    assert flagged.to_json() == {
        "start": "2026-09-01T00:00:00+00:00",
        "end": "2026-12-01T00:00:00+00:00",
        "reason": {"id": "sync.gap.not_read_yet", "args": {}},
        "market": "",
        "not_read": True,
    }
    plain = SyncGap(Endpoint.FUTURES_TRADES, START, END, NEW_PRODUCT)
    assert "not_read" not in plain.to_json()
    skip = EndpointResult(Endpoint.FUTURES_TRADES, "Futures trades", EndpointStatus.SKIPPED, not_read=True)
    assert skip.to_json()["not_read"] is True
    assert "not_read" not in EndpointResult(Endpoint.FUTURES_TRADES, "Futures trades", EndpointStatus.OK).to_json()


def test_a_sync_s_gaps_a_file_could_fill_leave_out_a_product_not_read() -> None:
    reach = SyncGap(Endpoint.DEPOSITS, None, START, Text.of("sync.gap.lookback", name="HTX", days=90, phrase="x"))
    options = SyncGap(Endpoint.FUTURES_TRADES, START, END, NEW_PRODUCT, not_read=True)
    endpoints = (
        EndpointResult(Endpoint.DEPOSITS, "", EndpointStatus.PARTIAL, gaps=(reach,)),
        EndpointResult(Endpoint.FUTURES_TRADES, "", EndpointStatus.PARTIAL, gaps=(options,)),
    )
    result = SyncResult(1, "Gate-1", "gate", "Gate", 1, SyncStatus.PARTIAL, None, None, endpoints, START, END)
    assert result.gaps == (reach, options)
    assert result.fillable_gaps == (reach,)
    assert dataclasses.replace(result, endpoints=endpoints[1:]).fillable_gaps == ()


def test_a_flagged_gap_the_table_does_not_name_is_certainly_missing_for_every_asset() -> None:
    gap = SyncGap(Endpoint.FUTURES_TRADES, START, END, NEW_PRODUCT, not_read=True)
    run = summary(
        futures_trades=EndpointResult(Endpoint.FUTURES_TRADES, "", EndpointStatus.PARTIAL, gaps=(gap,)).to_json()
    )
    expected = (Cause.NOT_READ_YET, {"endpoints": ["futures_trades"], "products": ["reconcile.product.unnamed"]})
    # Which coins it moves is not known: certain for any asset, ahead of the sync-from date.
    assert cause(run, "SOL", "-2.5") == expected
    assert cause(run, "USDT", "12") == expected


def test_the_same_gap_without_the_flag_is_history_out_of_reach() -> None:
    gap = SyncGap(Endpoint.FUTURES_TRADES, START, END, NEW_PRODUCT)
    run = summary(
        futures_trades=EndpointResult(Endpoint.FUTURES_TRADES, "", EndpointStatus.PARTIAL, gaps=(gap,)).to_json()
    )
    assert cause(run, "SOL", "-2.5") == (
        Cause.BEFORE_REACH,
        {"endpoint": "futures_trades", "until": "2026-12-01", "from_year": 2026},
    )


def test_a_flagged_skip_is_neither_unused_nor_the_sync_from_date() -> None:
    skip = {"status": "skipped", "note": {"id": "sync.gap.not_read_yet", "args": {}}, "not_read": True, "gaps": []}
    assert cause(summary(funding=skip), "BTC", "0.25") == (
        Cause.NOT_READ_YET,
        {"endpoints": ["funding"], "products": ["reconcile.product.unnamed"]},
    )


def test_the_unnamed_product_reads_in_english_and_japanese() -> None:
    args = {"endpoints": ["futures_trades"], "products": ["reconcile.product.unnamed"]}
    sol = AssetBalance("SOL", Decimal(0), Decimal("2.5"), str(Cause.NOT_READ_YET), args)
    assert cause_line(sol, "Bybit", "en") == (
        "Certainly missing: the account shows a product named in /status, which Tallybot does not read from Bybit "
        "yet. Tallybot cannot read Bybit's export of them either: take them from that export and add them with "
        "Tallybot's template (/upload template)."
    )
    assert cause_line(sol, "Bybit", "ja") == (
        "確実に不足しています: /status に記した商品の履歴を、Tallybot は Bybit からまだ読み取れません"
        "（このアカウントには利用の形跡があります）。Bybit のそのエクスポートも Tallybot では読み込めないため、"
        "エクスポートの内容を Tallybot のテンプレート（/upload template）に記入して追加してください。"
    )


# -- summaries stored before the flag ----------------------------------------------------------------------------

# Gate's options beside its futures, as a sync stored it before the flag: the gap's reason alone says it.
OLD_GATE = {
    "status": "partial",
    "fetched": 12,
    "new": 12,
    "known": 0,
    "covered_from": "2026-09-01T00:00:00+00:00",
    "covered_until": "2026-12-01T00:00:00+00:00",
    "duration": 1.5,
    "requests": 9,
    "pages": 3,
    "diagnosis": "lookback_limit",
    "gaps": [
        {
            "start": "2026-09-01T00:00:00+00:00",
            "end": "2026-12-01T00:00:00+00:00",
            "reason": {"id": "profile.gate.gap.options_not_read", "args": {}},
            "market": "",
        }
    ],
    "note": None,
    "markets_scanned": 0,
    "markets_not_scanned": 0,
}
# KuCoin's unified futures, skipped before the flag: stored as a kind unused (UnsupportedEndpoint's old default).
OLD_KUCOIN = {
    "status": "skipped",
    "fetched": 0,
    "new": 0,
    "known": 0,
    "covered_from": None,
    "covered_until": None,
    "duration": 0.2,
    "requests": 1,
    "pages": 0,
    "diagnosis": None,
    "gaps": [],
    "note": {"id": "profile.kucoin.skip.unified_futures", "args": {}},
    "unused": True,
    "markets_scanned": 0,
    "markets_not_scanned": 0,
}
# HTX's coin-margined swaps whose account list could not be read: never a product not read, then or now.
OLD_HTX_SWAPS = {
    "status": "partial",
    "diagnosis": "lookback_limit",
    "gaps": [
        {
            "start": "2026-09-01T00:00:00+00:00",
            "end": "2026-12-01T00:00:00+00:00",
            "reason": {"id": "sync.gap.htx.coin_margined_swaps", "args": {}},
            "market": "",
        }
    ],
}


def test_a_summary_stored_before_the_flag_still_names_the_product() -> None:
    assert cause(summary(futures_trades=OLD_GATE), "USDT", "-47.06315") == (
        Cause.NOT_READ_YET,
        {"endpoints": ["futures_trades"], "products": ["reconcile.product.gate_options"]},
    )
    # Gate's options move USDT only: SOL's difference stays the sync-from date's.
    assert cause(summary(futures_trades=OLD_GATE), "SOL", "-2.5") == (Cause.BEFORE_SYNC_FROM, {"date": "2026-09-01"})
    # The old skip's `unused` does not make it a kind never used: the product is named, for every asset.
    assert cause(summary(futures_trades=OLD_KUCOIN), "XRP", "30", sync_from=None) == (
        Cause.NOT_READ_YET,
        {"endpoints": ["futures_trades"], "products": ["reconcile.product.kucoin_unified_futures"]},
    )


def test_an_old_gap_of_another_text_stays_what_it_was() -> None:
    assert cause(summary(futures_trades=OLD_HTX_SWAPS), "ETH", "3") == (
        Cause.BEFORE_REACH,
        {"endpoint": "futures_trades", "until": "2026-12-01", "from_year": 2026},
    )
