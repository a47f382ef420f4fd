"""Why a range is missing reaches the database as a catalogue id with its arguments, never as English, and reads
back as the same English in /sync and /status (bot/sync/stored.py). Each gap below comes from the fetcher's own
helper; the expected English is written by hand from gaps.po and sync.po."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from bot.sync.results import SyncGap
from bot.sync.stored import gap_reason
from connectors.fetchers.base import CoverageGap, FetchReport
from connectors.fetchers.binance.wallet import _stuck_gap
from connectors.fetchers.htx import HtxFetcher
from connectors.fetchers.mexc import MexcFetcher
from connectors.fetchers.okx.reach import Depth, crowded_gap, since_bills_history
from connectors.fetchers.windows import Start, date_ms, history_start, released_gap, to_ms
from connectors.profiles import Endpoint, get_profile


def stored_and_read(gap: CoverageGap) -> tuple[object, str | None, str]:
    """(what the database keeps, what /status shows, what /sync's summary shows)."""
    kept = SyncGap(gap.endpoint, gap.start, gap.end, gap.reason).to_json()["reason"]
    return kept, gap_reason(kept), SyncGap(gap.endpoint, gap.start, gap.end, gap.reason).reason


def test_okx_bills_before_2021_are_stored_as_an_id_and_read_as_english() -> None:
    transfers = get_profile("okx").endpoint(Endpoint.TRANSFERS, None)
    assert transfers is not None
    start = since_bills_history(transfers, Start(date_ms(datetime(2019, 1, 1, tzinfo=UTC).date())))
    assert start.gap is not None
    kept, status, summary = stored_and_read(start.gap)
    assert isinstance(kept, dict) and kept["id"] == "sync.gap.okx.bills_since"
    assert kept["args"]["date"] == "2021-02-01"
    assert status == summary and status is not None
    assert status.startswith("OKX's API returns ") and status.endswith(
        " only since 2021-02-01; add older history by file upload."
    )


def test_okx_crowded_and_short_reach_gaps_are_stored_as_ids() -> None:
    deposits = get_profile("okx").endpoint(Endpoint.DEPOSITS, None)
    assert deposits is not None
    kept, status, summary = stored_and_read(crowded_gap(deposits, 0, to_ms(datetime(2025, 1, 1, tzinfo=UTC))))
    assert kept == {
        "id": "sync.gap.okx.crowded",
        "args": {"size": deposits.page_size, "phrase": {"id": "endpoint.deposits.phrase", "args": {}}},
    }
    assert (
        status
        == summary
        == (
            f"OKX returned more than {deposits.page_size} deposits within one millisecond; some of them, and older "
            "ones, could not be reached through the API."
        )
    )
    fills = get_profile("okx").endpoint(Endpoint.SPOT_TRADES, None)
    assert fills is not None
    (unsure,) = Depth.begin(fills, 0, None, None).unsure()
    kept, status, _ = stored_and_read(unsure)
    assert kept == {"id": "sync.gap.okx.fills_reach", "args": {}}
    assert status is not None and status.startswith("OKX returned no spot trades older than 3 months.")


def test_binance_crowded_gap_is_stored_as_an_id() -> None:
    deposits = get_profile("binance").endpoint(Endpoint.DEPOSITS, None)
    assert deposits is not None
    kept, status, summary = stored_and_read(_stuck_gap(deposits, to_ms(datetime(2025, 1, 1, tzinfo=UTC))))
    assert kept == {
        "id": "sync.gap.binance.crowded",
        "args": {"size": deposits.page_size, "phrase": {"id": "endpoint.deposits.phrase", "args": {}}},
    }
    assert (
        status
        == summary
        == (
            f"Binance returned more than {deposits.page_size} deposits within one millisecond; some of them could not "
            "be reached through the API."
        )
    )


def test_a_lookback_limit_is_stored_as_an_id_and_read_as_english() -> None:
    trades = get_profile("mexc").endpoint(Endpoint.SPOT_TRADES, None)
    assert trades is not None and trades.lookback == timedelta(days=30)
    now = to_ms(datetime(2026, 6, 1, tzinfo=UTC))
    start = history_start(trades, requested_ms=0, exchange_name="MEXC", current_ms=now)
    assert start.gap is not None
    kept, status, summary = stored_and_read(start.gap)
    assert kept == {
        "id": "sync.gap.lookback",
        "args": {"name": "MEXC", "days": 30, "phrase": {"id": "endpoint.spot_trades.phrase", "args": {}}},
    }
    assert (
        status
        == summary
        == ("MEXC only returns the last 30 days of spot trades through its API; add older history by file upload.")
    )


def test_a_pending_record_let_go_is_stored_as_an_id_with_its_time() -> None:
    when = datetime(2025, 9, 24, 8, 53, 20, tzinfo=UTC)
    kept, status, summary = stored_and_read(released_gap(Endpoint.WITHDRAWALS, to_ms(when)))
    assert kept == {
        "id": "sync.gap.pending_released",
        "args": {
            "phrase": {"id": "endpoint.withdrawals.phrase", "args": {}},
            "when": "2025-09-24 08:53:20 UTC",
            "days": 14,
        },
    }
    assert (
        status
        == summary
        == (
            "One of your withdrawals from 2025-09-24 08:53:20 UTC was still pending after 14 days, so later syncs stop "
            "looking for it. If it completes after all, add it by file upload."
        )
    )


def test_an_htx_trade_of_a_market_no_longer_listed_is_stored_as_an_id() -> None:
    fills = get_profile("htx").endpoint(Endpoint.SPOT_TRADES, None)
    assert fills is not None
    report = FetchReport()
    HtxFetcher._unlisted(fills, {"created-at": to_ms(datetime(2024, 3, 1, tzinfo=UTC)), "symbol": "xyzusdt"}, report)
    (gap,) = report.gaps
    kept, status, summary = stored_and_read(gap)
    assert kept == {"id": "sync.gap.htx.unlisted", "args": {"symbol": "xyzusdt"}}
    assert status == summary == "HTX no longer lists xyzusdt; add its trades by file upload."


def test_a_reason_stored_as_english_by_an_older_version_still_reads() -> None:
    older = (
        "Bybit's API lists converts made on Bybit's website or app only from 10 September 2025 on (converts made "
        "through the API are all there); add older converts by file upload."
    )
    assert gap_reason(older) == older
    assert gap_reason(None) is None


class _OneMillisecond:
    """MEXC answering a whole page of deposits, all at one millisecond, each already read by the page before."""

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.rows = rows

    async def deposits(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        return self.rows


async def test_a_mexc_page_crowded_into_one_millisecond_is_stored_as_an_id() -> None:
    deposits = get_profile("mexc").endpoint(Endpoint.DEPOSITS, None)
    assert deposits is not None
    moment = to_ms(datetime(2025, 5, 1, tzinfo=UTC))
    ids = [f"d{n}" for n in range(deposits.page_size)]
    fetcher = MexcFetcher(get_profile("mexc"), _OneMillisecond([{"id": i} for i in ids]))
    report = FetchReport()
    found = await fetcher._page(
        deposits,
        "deposits",
        {},
        (moment, moment + 1),
        [moment, ids],
        lambda row: (row["id"], moment, (None, None)),
        report,
    )
    assert found.records == [] and found.token is None
    (gap,) = report.gaps
    kept, status, summary = stored_and_read(gap)
    assert kept == {
        "id": "sync.gap.mexc.crowded",
        "args": {"size": deposits.page_size, "phrase": {"id": "endpoint.deposits.phrase", "args": {}}},
    }
    assert (
        status
        == summary
        == (f"MEXC listed more than {deposits.page_size} deposits in one millisecond; the rest is out of reach.")
    )
