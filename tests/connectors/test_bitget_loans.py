"""Bitget's crypto loan rows and walks (connectors/fetchers/bitget/loans.py, loans_rows.py).

The rows are the earn/loan pages' own Response examples (tests/conformance/documented/bitget/earn_loan_*.docs.json),
their readings written by hand from the pages' tables; the walk runs against the emulator
(sandbox/exchanges/bitget_loans.py)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import ccxt
import pytest

from connectors.fetchers.base import Cursor, FetchReport
from connectors.fetchers.bitget import BitgetFetcher
from connectors.fetchers.bitget.loans_rows import LoanRows
from connectors.profiles import Endpoint, get_profile
from sandbox.exchanges import BitgetEmulator
from sandbox.exchanges.base import DAY_MS
from tests.connectors.test_fetch_bitget import FAST, SMALL, bitget_client, drain

D = Decimal
DOCUMENTED = Path(__file__).resolve().parents[1] / "conformance" / "documented" / "bitget"
REPAY_PATH = "/api/v2/earn/loan/repay-history"


def example_row(name: str) -> dict[str, Any]:
    return dict(json.loads((DOCUMENTED / f"earn_loan_{name}.docs.json").read_text())["response"]["data"][0])


def read(records: list[Any]) -> list[tuple[object, ...]]:
    return [(r.kind.value, r.asset, r.amount, r.side, r.natural_key, r.exchange_tx_id) for r in records]


def rows() -> LoanRows:
    return LoanRows(lambda coin: coin)


def test_a_repaid_borrowing_is_the_loan_and_its_collateral_leaving_spot() -> None:
    records, hold = rows().borrow(example_row("borrow_history"))  # status REPAY "already repaid"
    assert hold is None
    assert read(records) == [
        ("borrow", "TRX", D("4321321.23820848"), None, "borrow:loan:12121212121", "12121212121"),
        ("transfer", "USDT", D("0.757"), "out", "transfer:loan:12121212121:pledge", "12121212121"),
    ]
    assert {r.occurred_at for r in records} == {datetime.fromtimestamp(1684747528.424, UTC)}


def test_a_failed_borrowing_is_nothing_and_one_of_no_documented_status_waits_for_the_open_loans() -> None:
    failed = {**example_row("borrow_history"), "status": "ROLLBACK"}
    assert rows().borrow(failed) == ([], None)
    undocumented = {**example_row("borrow_history"), "status": ""}
    assert rows().borrow(undocumented) == ([], 1684747528424)  # held at borrowTime
    listed = rows()
    listed.open_orders = frozenset({"12121212121"})
    records, hold = listed.borrow(undocumented)
    assert hold is None and [r.kind.value for r in records] == ["borrow", "transfer"]


def test_a_repayment_is_principal_interest_and_collateral_back() -> None:
    records, hold = rows().repay(example_row("repay_history"))
    assert hold is None
    key = "loan:12121212121:1684747525424"  # the loan's orderId and repayTime: the row has no id of its own
    assert read(records) == [
        ("repay", "TRX", D("1566.22635214"), None, f"repay:{key}", "12121212121"),
        ("interest", "TRX", D("-0.1185634"), None, f"interest:{key}", "12121212121"),
        ("transfer", "USDT", D("195"), "in", f"transfer:{key}:unlock", "12121212121"),
    ]


def test_collateral_supplemented_leaves_spot_and_an_unknown_side_stops_the_walk() -> None:
    records, _ = rows().revise(example_row("revise_history"))  # reviseSide "down": supplement collateral
    assert read(records) == [("transfer", "USDT", D("10"), "out", "transfer:loan:1:revise:1692436102448", "1")]
    with pytest.raises(ValueError, match="reviseSide"):
        rows().revise({**example_row("revise_history"), "reviseSide": "sideways"})


def test_a_liquidation_sells_collateral_for_the_loan_coin_and_waits_while_liquidating() -> None:
    # The example's reduceTime ("0.757") and reduceFee ("REPAY") are not a time and an amount: the table's meanings
    # ("Liquidated time", "Liquidation fee") with values of their kind.
    row = {**example_row("reduces"), "reduceTime": "1684747525424", "reduceFee": "1.5"}
    records, hold = rows().liquidation(row)
    assert hold is None
    sale, repaid, released = records
    assert (sale.kind.value, sale.asset, sale.amount, sale.side) == ("convert", "TRX", D("53.2"), "buy")
    assert (sale.quote_asset, sale.quote_amount, sale.fee_asset, sale.fee_amount) == (
        "USDT",
        D("1213.5"),
        "USDT",
        D("1.5"),
    )
    assert (repaid.kind.value, repaid.asset, repaid.amount) == ("repay", "TRX", D("53.2"))
    assert (released.kind.value, released.asset, released.amount, released.side) == ("transfer", "USDT", D("23"), "in")
    assert rows().liquidation({**row, "status": "WAIT"}) == ([], 1684747525424)


@pytest.fixture
async def bitget() -> AsyncIterator[BitgetEmulator]:
    async with BitgetEmulator(seed=31, profile=SMALL, listed_symbols=20, limits=FAST) as emulator:
        yield emulator


async def test_full_pages_ask_the_next_page_number_and_history_past_the_reach_is_a_gap(bitget: BitgetEmulator) -> None:
    # 255 repayments of one loan eight hours apart over the last 85 days, and 20 more 100 to 119 days ago: the lists
    # keep three months, Tallybot asks 89 days (the shortest three months) in one range, 100 rows a page by pageNo.
    now = bitget.book.account.now_ms
    times = [now - n * DAY_MS // 3 for n in range(1, 256)] + [now - day * DAY_MS for day in range(100, 120)]
    for ts in times:
        bitget.book.loans.loans.rows["repay"].append(
            {"orderId": "7", "loanCoin": "USDT", "pledgeCoin": "BTC", "repayAmount": "1", "payInterest": "0",
             "repayLoanAmount": "1", "repayUnlockAmount": "0", "repayTime": str(ts)}
        )  # fmt: skip
    stored: dict[str, Cursor] = {}
    report = FetchReport()
    async with bitget_client(bitget) as client:
        fetcher = BitgetFetcher(get_profile("bitget"), client, key_type="normal")
        records = await drain(fetcher, Endpoint.CRYPTO_LOANS, stored, until=datetime.now(UTC), report=report)
        first = bitget.requests.count(REPAY_PATH)
        fetcher = BitgetFetcher(get_profile("bitget"), client, key_type="normal")
        again = await drain(fetcher, Endpoint.CRYPTO_LOANS, stored, until=datetime.now(UTC))
        second = bitget.requests.count(REPAY_PATH) - first

    repaid = [r for r in records if r.kind.value == "repay"]
    assert len(repaid) == 255 and len({r.natural_key for r in repaid}) == 255
    assert first == 3  # pages 1, 2 and 3 (100, 100, 55 rows)
    [gap] = [g for g in report.gaps if g.endpoint is Endpoint.CRYPTO_LOANS]
    assert gap.reason.id == "sync.gap.lookback" and gap.reason.args["days"] == 89
    assert again == [] and second == 1  # the re-sync asks from its cursor: nothing new
    assert set(stored) == {"loans:borrow", "loans:repay", "loans:revise", "loans:reduce"}


async def test_the_emulated_lists_refuse_what_the_pages_forbid(bitget: BitgetEmulator) -> None:
    """Both ends are required (40019 "Parameter … cannot be empty"), `pageSize` at most 100 (40017, the emulator's
    answer to a broken documented rule: docs/exchange-apis/bitget.md)."""
    async with bitget_client(bitget) as client:
        with pytest.raises(ccxt.BaseError, match="40019"):
            await client.privateEarnGetV2EarnLoanRepayHistory({"startTime": "1"})
        with pytest.raises(ccxt.BaseError, match="40017"):
            await client.privateEarnGetV2EarnLoanBorrowHistory({"startTime": "1", "endTime": "2", "pageSize": "101"})
        answer = await client.privateEarnGetV2EarnLoanReduces({"startTime": "1", "endTime": "2", "pageSize": "100"})
    assert answer["code"] == "00000" and answer["data"] == []
