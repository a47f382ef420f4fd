"""What /sync shows while it runs and when it ends, built from catalogue entries (sync.po), never English in code.

Expected texts are put together from the English catalogue's entries (the ids the view must use), so a view that
wrote its own English, or lower-cased a label instead of using the kind's phrase, fails here.
"""

from __future__ import annotations

from datetime import UTC, datetime

from bot.sync import EndpointResult, EndpointStatus, ProgressEvent, SyncResult
from bot.sync.results import EndpointProgress, SyncStatus
from connectors.profiles import Endpoint
from handlers import sync_views
from i18n import Text, t

MOMENT = datetime(2026, 12, 6, 2, 0, tzinfo=UTC)


def result(*endpoints: EndpointResult) -> SyncResult:
    return SyncResult(
        integration_id=1,
        account_name="Ada & Co",
        exchange_id="bitget",
        exchange_name="Bitget",
        run_id=1,
        status=SyncStatus.OK,
        status_detail=None,
        diagnosis=None,
        endpoints=endpoints,
        started_at=MOMENT,
        finished_at=MOMENT,
    )


def test_the_summary_names_each_kind_by_its_phrase_with_its_count() -> None:
    deposits = EndpointResult(
        Endpoint.DEPOSITS,
        "Deposits",
        EndpointStatus.OK,
        fetched=4,
        new=4,
        label_text=Text.of("endpoint.deposits.label"),
        phrase=Text.of("endpoint.deposits.phrase"),
    )
    tax = EndpointResult(
        Endpoint.SPOT_TRADES,
        "Spot transaction records (tax)",
        EndpointStatus.OK,
        fetched=1234,
        new=1234,
        label_text=Text.of("profile.bitget.tax_spot.label"),
        phrase=Text.of("profile.bitget.tax_spot.phrase"),
    )
    nothing_new = EndpointResult(Endpoint.WITHDRAWALS, "Withdrawals", EndpointStatus.OK, fetched=2)

    block = sync_views.result_block(result(deposits, tax, nothing_new), "en")

    kinds = ", ".join(
        [
            t("sync.result.kind_new", kind=t("endpoint.deposits.phrase"), new=4),
            t("sync.result.kind_new", kind=t("profile.bitget.tax_spot.phrase"), new=1234),
        ]
    )
    assert block == "✅ <b>Ada &amp; Co</b>: " + t("sync.result.new_by_kind", new=1238, kinds=kinds)
    # The English catalogue, word for word (thousands separated, the phrase as the catalogue words it).
    assert block.endswith(": 1,238 new (deposits 4, spot transaction records (tax) 1,234)")


def test_a_sync_with_nothing_new_says_so_without_a_list() -> None:
    quiet = EndpointResult(Endpoint.DEPOSITS, "Deposits", EndpointStatus.OK, fetched=3)
    assert sync_views.result_block(result(quiet), "en") == "✅ <b>Ada &amp; Co</b>: " + t("sync.result.new", new=0)


def test_progress_lines_say_waiting_counts_and_skipped_from_the_catalogue() -> None:
    lines = (
        EndpointProgress(Endpoint.DEPOSITS, "Deposits", EndpointStatus.QUEUED),
        EndpointProgress(Endpoint.SPOT_TRADES, "Spot trades", EndpointStatus.RUNNING, 2500, 1200, market="BTC/USDT"),
        EndpointProgress(Endpoint.CONVERT, "Convert history", EndpointStatus.SKIPPED),
    )
    event = ProgressEvent(1, "Ada", "Bitget", None, "", EndpointStatus.RUNNING, 0, 0, 0, lines)

    text = sync_views.progress([event, None], ["Ada", "Bob"], "en")

    assert f"⏸ Deposits — {t('sync.progress.waiting')}" in text
    assert f"⏳ Spot trades (BTC/USDT) — {t('sync.progress.counts', fetched=2500, new=1200)}" in text
    assert "2,500 fetched, 1,200 new" in text
    assert f"⏭ Convert history — {t('sync.progress.skipped')}" in text
    assert text.endswith(f"<b>Bob</b>\n  ⏸ {t('sync.progress.waiting')}")


def test_the_duration_is_seconds_up_to_90_then_minutes() -> None:
    assert sync_views.duration(12.4, "en") == t("sync.duration.seconds", seconds=12.4) == "12 s"
    assert sync_views.duration(89, "en") == "89 s"
    assert sync_views.duration(150, "en") == t("sync.duration.minutes", minutes=2.5) == "2.5 min"
