"""An open isolated position: OKX's balance answer gives a currency's isolated equity (`isoEq`) beside its cash
balance; for isolated margin trading (instType MARGIN) the fills are stored as trades of both coins while the answer
holds only the margin coin's equity, so that coin cannot reconcile until the position is closed. The snapshot notes
the currencies with `isoEq` ≠ 0 (`in_positions`) and the reconciliation names the open position for them, once no
certain cause applies (docs/exchange-apis/okx.md, "Isolated positions"). Expected values and texts by hand."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from bot.reconcile.causes import Cause, Coverage, Gap, NotRead, coverage_from, likely_cause
from bot.reconcile.results import AssetBalance
from connectors.balances import read_balances
from connectors.profiles import get_profile
from handlers.reconcile_views import cause_line
from tests.conformance.test_coverage import read_off

EMPTY: dict[str, Any] = {"code": "0", "data": [], "msg": ""}
# One USDT-margined isolated position open (isoEq, isoUpl as a live answer has them: tests/test_okx_isolated_balance
# .py), BTC held at the account level only (isoEq "0"), ETH with the position-level fields empty (Spot mode's "").
ANSWER: dict[str, Any] = {
    "code": "0",
    "msg": "",
    "data": [
        {
            "details": [
                {"ccy": "USDT", "cashBal": "94.4", "isoEq": "5.4", "isoUpl": "-0.02"},
                {"ccy": "BTC", "cashBal": "0.1", "isoEq": "0", "isoUpl": "0"},
                {"ccy": "ETH", "cashBal": "2", "isoEq": "", "isoUpl": ""},
            ]
        }
    ],
}
IN_POSITION = frozenset({"USDT"})


async def test_the_okx_reader_notes_the_currencies_with_isolated_equity() -> None:
    client = read_off(
        "okx",
        {
            "privateGetAccountBalance": ANSWER,
            "privateGetAssetBalances": EMPTY,
            "privateGetFinanceSavingsBalance": EMPTY,
            "privateGetFinanceStakingDefiOrdersActive": EMPTY,
        },
    )
    try:
        snapshot = await read_balances(client, get_profile("okx"))
    finally:
        await client.close()
    assert snapshot.in_positions == {"USDT"}
    # USDT: 94.4 + 5.4 − (−0.02); the others their cash balance.
    assert snapshot.totals == {"USDT": Decimal("99.82"), "BTC": Decimal("0.1"), "ETH": Decimal("2")}


def test_an_asset_in_an_open_isolated_position_is_told_so_once_nothing_certain_applies() -> None:
    summary = {"endpoints": {"spot_trades": {"status": "ok"}, "funding": {"status": "skipped"}}}
    offered = ["spot_trades", "funding"]
    coverage = coverage_from([summary], offered=offered, enabled=offered, sync_from=date(2026, 1, 1))
    for difference in (Decimal("3"), Decimal("-3")):
        # Before a kind not fetched and the sync-from date (neither certain to concern USDT)…
        assert likely_cause("USDT", difference, coverage, frozenset({"USDT"}), in_positions=IN_POSITION) == (
            Cause.ISOLATED_POSITION,
            {"asset": "USDT"},
        )
    # …and only for the currency the answer shows in a position: BTC keeps its cause.
    assert likely_cause("BTC", Decimal("3"), coverage, frozenset(), in_positions=IN_POSITION) == (
        Cause.NOT_FETCHED,
        {"endpoints": ["funding"]},
    )


def test_a_certain_cause_comes_before_the_open_position() -> None:
    certain = [
        (Coverage(failed=["spot_trades"]), Cause.ENDPOINT_FAILED),
        (Coverage(gaps=[Gap("deposits", None, date(2026, 3, 1))]), Cause.BEFORE_REACH),
        (Coverage(switched_off=["convert"]), Cause.KIND_OFF),
        (Coverage(denied=["earn_rewards"]), Cause.KEY_DENIED),
        (Coverage(not_read=[NotRead("futures_trades", "reconcile.product.gate_options")]), Cause.NOT_READ_YET),
    ]
    for coverage, cause in certain:
        assert likely_cause("USDT", Decimal("3"), coverage, frozenset(), in_positions=IN_POSITION)[0] == cause


def test_the_view_says_the_difference_goes_once_the_position_is_closed() -> None:
    usdt = AssetBalance("USDT", Decimal("99.82"), Decimal("94.4"), str(Cause.ISOLATED_POSITION), {"asset": "USDT"})
    assert cause_line(usdt, "OKX", "en") == (
        "OKX shows USDT held in an open isolated position: the difference goes once the position is closed (its "
        "balance then holds the coins its trades moved)."
    )
    assert cause_line(usdt, "OKX", "ja") == (
        "OKX では USDT の一部が未決済の分離マージン（アイソレーテッド）ポジションに入っています。"
        "ポジションを決済すると、その取引で動いた通貨が残高に反映され、差額はなくなります。"
    )
