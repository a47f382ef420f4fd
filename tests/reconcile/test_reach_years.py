"""A reach gap's statement range: "for 2021–2023" across years, "for 2026" (never "2026–2026") when the gap starts
and ends in one year, "up to <date>" when it starts at the account's start. Expected texts written by hand."""

from __future__ import annotations

from decimal import Decimal

from bot.reconcile.causes import Cause
from bot.reconcile.results import AssetBalance
from handlers.reconcile_views import cause_line


def reach(from_year: int | None, until: str) -> AssetBalance:
    args = {"endpoint": "deposits", "until": until, "from_year": from_year}
    return AssetBalance("BTC", Decimal("0.5"), Decimal("0.4877"), str(Cause.BEFORE_REACH), args)


def test_a_gap_within_one_year_names_that_year_once() -> None:
    assert cause_line(reach(2026, "2026-09-07"), "Binance", "en") == (
        "Deposits before 2026-09-07 are out of the API's reach: upload Binance's statement for 2026."
    )
    assert cause_line(reach(2026, "2026-09-07"), "Binance", "ja") == (
        "2026-09-07 より前の入金は API で取得できる範囲外です。Binance の 2026 年の取引履歴をアップロードしてください。"
    )


def test_a_gap_across_years_names_both() -> None:
    assert cause_line(reach(2021, "2023-02-01"), "Binance", "en") == (
        "Deposits before 2023-02-01 are out of the API's reach: upload Binance's statement for 2021–2023."
    )


def test_an_open_gap_names_its_end() -> None:
    assert cause_line(reach(None, "2023-02-01"), "Binance", "en") == (
        "Deposits before 2023-02-01 are out of the API's reach: upload Binance's statement up to 2023-02-01."
    )
