"""Bybit's crypto-loan lists and position, read off the documented examples (tests/conformance/documented/bybit/
crypto_loan_*.docs.json, from bybit-exchange/docs docs/v5/new-crypto-loan/); expected values written by hand from
those payloads."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
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
    ]
    assert [params for _, params in client.calls] == [{"limit": 100}] * 3
    # A second walk reads the newest page again and stops at what it stored: nothing new.
    again, _ = await walk_until(client, cursors, UNTIL)
    assert again == []


async def test_a_loan_still_processing_holds_the_cursor_and_is_stored_once_final() -> None:
    answers = {method: documented(name) for method, name in METHODS.items()}
    borrows = answers["privateGetV5CryptoLoanFlexibleBorrowHistory"]
    borrows["result"]["list"][0]["status"] = 2  # order 1364: "2: processing"
    now = datetime.now(UTC)
    for row in borrows["result"]["list"]:  # recent, so the hold applies
        row["borrowTime"] = int(now.timestamp() * 1000) - 3_600_000 * (1 + borrows["result"]["list"].index(row))
    client = Client(answers)
    records, cursors = await walk_until(client, {}, now)
    assert [r.exchange_tx_id for r in records if r.kind == "borrow"] == ["1363"]
    borrows["result"]["list"][0]["status"] = 1
    records, _ = await walk_until(client, cursors, now)
    assert [r.exchange_tx_id for r in records if r.kind == "borrow"] == ["1364"]


async def walk_until(client: Client, cursors: dict[str, Any], until: datetime) -> tuple[list[Any], dict[str, Any]]:
    spec = get_profile("bybit").endpoint(Endpoint.CRYPTO_LOANS)
    assert spec is not None
    records, stored = [], dict(cursors)
    async for page in CryptoLoans(client, str).fetch(
        spec, since=None, until=until, cursors=cursors, report=FetchReport()
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
