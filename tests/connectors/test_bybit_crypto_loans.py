"""Bybit's crypto-loan lists and position, read off the documented examples (tests/conformance/documented/bybit/
crypto_loan_*.docs.json, from bybit-exchange/docs docs/v5/new-crypto-loan/); expected values written by hand from
those payloads."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from connectors.balances.bybit import _bybit_crypto_loans
from connectors.fetchers.base import FetchReport
from connectors.fetchers.bybit.loans import CryptoLoans
from connectors.profiles import Endpoint, get_profile

DOCUMENTED = Path(__file__).resolve().parents[1] / "conformance" / "documented" / "bybit"
METHODS = {
    "privateGetV5CryptoLoanFlexibleBorrowHistory": "crypto_loan_borrow_history",
    "privateGetV5CryptoLoanFlexibleRepaymentHistory": "crypto_loan_repayment_history",
    "privateGetV5CryptoLoanCommonAdjustmentHistory": "crypto_loan_adjustment_history",
    "privateGetV5CryptoLoanCommonPosition": "crypto_loan_position",
}


def documented(name: str) -> Any:
    return json.loads((DOCUMENTED / f"{name}.docs.json").read_text(encoding="utf-8"))["response"]


class Client:
    """Answers each list with its documented example (one page: the example's rows are fewer than 100)."""

    def __init__(self, answers: dict[str, Any]) -> None:
        self.answers = answers
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def __getattr__(self, name: str) -> Any:
        async def answer(params: dict[str, Any]) -> Any:
            self.calls.append((name, dict(params)))
            return copy.deepcopy(self.answers[name])

        return answer


UNTIL = datetime(2025, 7, 17, tzinfo=UTC)  # the day after the examples' newest row


async def test_the_documented_lists_are_a_borrow_two_and_three_repayments_and_two_collateral_moves() -> None:
    client = Client({method: documented(name) for method, name in METHODS.items()})
    records, cursors = await walk_until(client, {}, UNTIL)
    found = [
        (r.kind, r.asset, r.amount, r.side, r.exchange_tx_id, int(r.occurred_at.timestamp() * 1000)) for r in records
    ]
    assert found == [
        ("borrow", "BTC", Decimal("0.006"), None, "1364", 1752569950643),
        ("borrow", "BTC", Decimal("0.1"), None, "1363", 1752569209643),
        ("repay", "BTC", Decimal("0.007"), None, "1773", 1752570731274),
        ("repay", "BTC", Decimal("0.006"), None, "1772", 1752570726038),
        ("repay", "BTC", Decimal("0.005"), None, "1771", 1752569614528),
        # direction 1, "reduce collateral": back into the funding wallet.
        ("transfer", "BTC", Decimal("0.08"), "in", "27511", 1752627997907),
        ("transfer", "BTC", Decimal("0.03"), "in", "27491", 1752218558913),
        # The position's BTC `flexibleTotalDebt` 0.08800022 + repaid 0.007 + 0.006 + 0.005 − borrowed 0.006 + 0.1:
        # the interest charged, 0.00000022 BTC. ETH owes 0.1 of a fixed-term loan no list names: no interest read.
        ("interest", "BTC", Decimal("-0.00000022"), None, None, int(UNTIL.timestamp() * 1000)),
    ]
    assert [params for _, params in client.calls] == [{"limit": 100}] * 3 + [{}]
    # A second walk reads the newest page again and stops at what it stored: nothing new, and the same debt holds
    # no interest beyond what was stored.
    again, _ = await walk_until(client, cursors, UNTIL)
    assert again == []


async def test_a_repayment_made_after_the_debt_was_read_waits_for_the_next_sync() -> None:
    # A loan is known, so the position is read before the walks (its answer's `time` 1752627962000); a repayment
    # of 0.01 BTC a second later is in the list but not in that debt: counted now, it would make 0.01 "interest".
    answers = {method: documented(name) for method, name in METHODS.items()}
    client = Client(answers)
    _, cursors = await walk_until(client, {}, UNTIL)
    position = answers["privateGetV5CryptoLoanCommonPosition"]
    repaid = {**answers["privateGetV5CryptoLoanFlexibleRepaymentHistory"]["result"]["list"][0]}
    repaid.update(repayId="1774", repayAmount="0.01", repayTime=position["time"] + 1000)
    answers["privateGetV5CryptoLoanFlexibleRepaymentHistory"]["result"]["list"].insert(0, repaid)
    records, cursors = await walk_until(client, cursors, UNTIL)
    assert [(r.kind, r.amount) for r in records] == [("repay", Decimal("0.01"))]
    assert client.calls[-4][0] == "privateGetV5CryptoLoanCommonPosition"  # before the three lists
    # The next sync's debt holds it, and 0.0000003 BTC accrued since: 0.07800052 + 0.028 − 0.106 − 0.00000022.
    position["time"] += 3_600_000
    position["result"]["borrowList"][0]["flexibleTotalDebt"] = "0.07800052"
    records, _ = await walk_until(client, cursors, UNTIL + timedelta(hours=1))
    assert [(r.kind, r.asset, r.amount) for r in records] == [("interest", "BTC", Decimal("-0.0000003"))]


async def test_a_loan_still_processing_holds_the_cursor_and_is_stored_once_final() -> None:
    answers = {method: documented(name) for method, name in METHODS.items()}
    borrows = answers["privateGetV5CryptoLoanFlexibleBorrowHistory"]
    borrows["result"]["list"][0]["status"] = 2  # order 1364: "2: processing"
    now = datetime.now(UTC)
    for row in borrows["result"]["list"]:  # recent, so the hold applies
        row["borrowTime"] = int(now.timestamp() * 1000) - 3_600_000 * (1 + borrows["result"]["list"].index(row))
    # The position is answered now (its example's `time` is the day of the documented rows).
    answers["privateGetV5CryptoLoanCommonPosition"]["time"] = int(now.timestamp() * 1000)
    client = Client(answers)
    records, cursors = await walk_until(client, {}, now)
    assert [r.exchange_tx_id for r in records if r.kind == "borrow"] == ["1363"]
    # BTC has a row not final: whether the debt holds it is not said, so no interest is worked out for it yet.
    assert [r for r in records if r.kind == "interest"] == []
    borrows["result"]["list"][0]["status"] = 1
    records, _ = await walk_until(client, cursors, now)
    assert [r.exchange_tx_id for r in records if r.kind == "borrow"] == ["1364"]
    # Final now, and counted once though the walk read 1363 and the repayments before: 0.08800022 + 0.018 − 0.106.
    assert [(r.asset, r.amount) for r in records if r.kind == "interest"] == [("BTC", Decimal("-0.00000022"))]


async def test_a_loan_older_than_the_sync_from_date_leaves_the_interest_to_a_gap() -> None:
    # The sync-from date falls between loan 1363 (2025-07-15 08:46) and loan 1364 (08:59): 1363 is not stored, so
    # debt + repaid − borrowed would count its 0.1 BTC as interest. Nothing is worked out (the position is not
    # asked), and a gap flagged not read says so on this sync and the next.
    client = Client({method: documented(name) for method, name in METHODS.items()})
    since = datetime(2025, 7, 15, 8, 50, tzinfo=UTC)
    report = FetchReport()
    records, cursors = await walk_until(client, {}, UNTIL, since=since, report=report)
    assert [r.exchange_tx_id for r in records if r.kind == "borrow"] == ["1364"]
    assert [r for r in records if r.kind == "interest"] == []
    assert "privateGetV5CryptoLoanCommonPosition" not in [method for method, _ in client.calls]
    assert [(gap.reason.id, gap.not_read) for gap in report.gaps] == [("sync.gap.bybit.crypto_loan_interest", True)]
    again = FetchReport()
    assert (await walk_until(client, cursors, UNTIL, since=since, report=again))[0] == []
    assert [gap.reason.id for gap in again.gaps] == ["sync.gap.bybit.crypto_loan_interest"]


async def walk_until(
    client: Client,
    cursors: dict[str, Any],
    until: datetime,
    *,
    since: datetime | None = None,
    report: FetchReport | None = None,
) -> tuple[list[Any], dict[str, Any]]:
    spec = get_profile("bybit").endpoint(Endpoint.CRYPTO_LOANS)
    assert spec is not None
    records: list[Any] = []
    stored = dict(cursors)
    async for page in CryptoLoans(client, str).fetch(
        spec, since=since, until=until, cursors=cursors, report=report or FetchReport()
    ):
        records += page.records
        stored[page.market] = page.cursor
    return records, stored


def test_the_documented_position_is_collateral_and_supply_less_debt() -> None:
    # crypto-loan-position.mdx's example: BTC 0.12 pledged, 0.08800022 owed (flexible); ETH 2 pledged, 0.1 owed
    # (fixed); USDT 4002.12 pledged and 800.13041095890410959 supplied; USDC 1000 pledged.
    rows = list(_bybit_crypto_loans(documented("crypto_loan_position")))
    totals: dict[str, Decimal] = {}
    for coin, amount in rows:
        totals[coin] = totals.get(coin, Decimal(0)) + amount
    assert totals == {
        "BTC": Decimal("0.03199978"),
        "ETH": Decimal("1.9"),
        "USDT": Decimal("4802.25041095890410959"),
        "USDC": Decimal("1000"),
    }
