"""A product Tallybot does not read yet on an exchange (KuCoin's unified-account futures, Gate's options, HTX's
coin-margined delivery futures) is certainly missing history: its cause is named before "history before the
sync-from date" (which only may be missing), never as history out of the API's reach, and says what the user can do.

The run summaries are built from the sync's own results carrying the fetchers' own texts, so a fetcher that words
its skip or gap differently fails here. Expected texts are written by hand from the catalogue."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from bot.reconcile.causes import Cause, coverage_from, likely_cause
from bot.reconcile.results import AssetBalance
from bot.sync.results import EndpointResult, EndpointStatus, SyncGap
from connectors.fetchers.gate.futures import OPTIONS_NOT_READ
from connectors.fetchers.htx.futures import COIN_MARGINED, DELIVERY_ACCOUNTS
from connectors.fetchers.kucoin.futures import NO_FUTURES, UNIFIED_NOT_READ
from connectors.profiles import Endpoint
from handlers.reconcile_views import cause_line
from i18n import Text

OFFERED = ["spot_trades", "deposits", "withdrawals", "futures_trades", "funding"]
SYNC_FROM = date(2026, 9, 1)
START, END = datetime(2026, 9, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC)
KUCOIN_FUTURES = "reconcile.product.kucoin_unified_futures"
GATE_OPTIONS = "reconcile.product.gate_options"
HTX_DELIVERY = "reconcile.product.htx_coin_margined_futures"


def summary(*results: EndpointResult) -> dict[str, Any]:
    """A run summary as the sync stores it: every other offered kind synced in full."""
    endpoints: dict[str, Any] = {e: {"status": "ok"} for e in OFFERED}
    endpoints.update({str(result.endpoint): result.to_json() for result in results})
    return {"endpoints": endpoints}


def skipped(endpoint: Endpoint, notice: Text, *, not_read: bool = True) -> EndpointResult:
    # As bot/sync/endpoint.py records a fetcher's UnsupportedEndpoint with a notice: not_read for a product not read
    # yet (base.py), else unused (the account shows no sign of the kind).
    return EndpointResult(
        endpoint, str(endpoint), EndpointStatus.SKIPPED, notice=notice, unused=not not_read, not_read=not_read
    )


def with_gap(endpoint: Endpoint, reason: Text) -> EndpointResult:
    # As bot/sync/endpoint.py records a fetcher's gap marked not_read (Gate's options, HTX's delivery futures).
    gap = SyncGap(endpoint, START, END, reason, not_read=True)
    return EndpointResult(endpoint, str(endpoint), EndpointStatus.PARTIAL, gaps=(gap,))


def cause(*runs: dict[str, Any], asset: str = "USDT", difference: str = "-47.06315") -> tuple[Cause, dict[str, Any]]:
    coverage = coverage_from(runs, offered=OFFERED, enabled=OFFERED, sync_from=SYNC_FROM)
    return likely_cause(asset, Decimal(difference), coverage, frozenset({"USDT", "BTC"}))


def test_kucoin_s_unified_futures_skipped_are_certainly_missing_not_the_sync_from_date() -> None:
    run = summary(skipped(Endpoint.FUTURES_TRADES, UNIFIED_NOT_READ))
    expected = {"endpoints": ["futures_trades"], "products": [KUCOIN_FUTURES]}
    assert cause(run) == (Cause.NOT_READ_YET, expected)
    assert cause(run, asset="BTC", difference="0.00002878") == (Cause.NOT_READ_YET, expected)


def test_gate_s_options_as_a_skip_or_as_a_gap_are_named_once_per_kind_never_as_out_of_reach() -> None:
    # No futures account: both kinds skipped with the options notice. A futures account too: both walked, with a gap.
    alone = summary(skipped(Endpoint.FUTURES_TRADES, OPTIONS_NOT_READ), skipped(Endpoint.FUNDING, OPTIONS_NOT_READ))
    beside = summary(with_gap(Endpoint.FUTURES_TRADES, OPTIONS_NOT_READ), with_gap(Endpoint.FUNDING, OPTIONS_NOT_READ))
    expected = {"endpoints": ["futures_trades", "funding"], "products": [GATE_OPTIONS]}
    assert cause(alone) == (Cause.NOT_READ_YET, expected)
    assert cause(beside) == (Cause.NOT_READ_YET, expected)
    assert cause(beside, beside) == (Cause.NOT_READ_YET, expected)  # two runs' gaps: still named once


def test_gate_s_options_move_usdt_only_so_another_asset_s_sync_from_date_comes_first() -> None:
    # Gate's options account is one USDT account (docs/exchange-apis/gate.md, "Options"): SOL's difference is the
    # sync-from date's; with no such date the options are still named, as nothing else explains it.
    beside = summary(with_gap(Endpoint.FUTURES_TRADES, OPTIONS_NOT_READ), with_gap(Endpoint.FUNDING, OPTIONS_NOT_READ))
    assert cause(beside, asset="SOL", difference="-2.5") == (Cause.BEFORE_SYNC_FROM, {"date": "2026-09-01"})
    coverage = coverage_from([beside], offered=OFFERED, enabled=OFFERED, sync_from=None)
    assert likely_cause("SOL", Decimal("-2.5"), coverage, frozenset({"USDT"})) == (
        Cause.NOT_READ_YET,
        {"endpoints": ["futures_trades", "funding"], "products": [GATE_OPTIONS]},
    )


def test_htx_s_delivery_futures_gap_from_an_older_run_stays_certain_history_missing() -> None:
    delivery = Text.of(COIN_MARGINED[DELIVERY_ACCOUNTS])
    older = summary(with_gap(Endpoint.FUTURES_TRADES, delivery))
    newest = summary()  # the delivery account closed since: what it traded is missing all the same
    assert cause(newest, older, asset="ETH", difference="3") == (
        Cause.NOT_READ_YET,
        {"endpoints": ["futures_trades"], "products": [HTX_DELIVERY]},
    )


def test_a_not_read_gap_naming_its_market_concerns_only_that_market_s_assets() -> None:
    delivery = Text.of(COIN_MARGINED[DELIVERY_ACCOUNTS])
    gap = SyncGap(Endpoint.FUTURES_TRADES, START, END, delivery, "ETH/USD:ETH", not_read=True)
    run = summary(EndpointResult(Endpoint.FUTURES_TRADES, "futures_trades", EndpointStatus.PARTIAL, gaps=(gap,)))
    assert cause(run, asset="ETH", difference="3") == (
        Cause.NOT_READ_YET,
        {"endpoints": ["futures_trades"], "products": [HTX_DELIVERY]},
    )
    assert cause(run, asset="SOL", difference="3") == (Cause.BEFORE_SYNC_FROM, {"date": "2026-09-01"})


def test_a_certain_cause_found_first_still_comes_first_and_a_kind_never_used_is_no_product_missing() -> None:
    # The failure of an endpoint outranks it (see Troubleshoot, sync again); a kind skipped as never used (KuCoin's
    # empty futures ledger) is not a product missing: the sync-from date stays the cause.
    failed = summary(skipped(Endpoint.FUTURES_TRADES, UNIFIED_NOT_READ))
    failed["endpoints"]["deposits"] = {"status": "failed"}
    assert cause(failed) == (Cause.ENDPOINT_FAILED, {"endpoints": ["deposits"]})
    never_used = summary(skipped(Endpoint.FUTURES_TRADES, NO_FUTURES, not_read=False))
    assert cause(never_used, asset="SHIB") == (Cause.BEFORE_SYNC_FROM, {"date": "2026-09-01"})


def test_the_cause_names_the_product_and_what_to_do_in_english_and_japanese() -> None:
    args = {"endpoints": ["futures_trades"], "products": [HTX_DELIVERY, GATE_OPTIONS, "reconcile.cause.unknown"]}
    eth = AssetBalance("ETH", Decimal(0), Decimal(3), str(Cause.NOT_READ_YET), args)
    assert cause_line(eth, "HTX", "en") == (
        "Certainly missing: the account shows HTX coin-margined delivery futures and Gate options trades, which "
        "Tallybot does not read from HTX yet. Tallybot cannot read HTX's export of them either: take them from that "
        "export and add them with Tallybot's template (/upload template)."
    )
    one = AssetBalance("USDT", Decimal(1), Decimal(0), str(Cause.NOT_READ_YET), {"products": [KUCOIN_FUTURES]})
    assert cause_line(one, "KuCoin", "ja") == (
        "確実に不足しています: KuCoin の統合取引アカウントの先物の履歴を、Tallybot は KuCoin からまだ読み取れません"
        "（このアカウントには利用の形跡があります）。KuCoin のそのエクスポートも Tallybot では読み込めないため、"
        "エクスポートの内容を Tallybot のテンプレート（/upload template）に記入して追加してください。"
    )
