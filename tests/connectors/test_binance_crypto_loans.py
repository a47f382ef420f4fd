"""The interest Binance adds to a crypto loan's debt, worked out from the rows and the open loans (loan_rows.py): a row
read twice counts once, a loan with a row still pending is left for the next sync, and a debt below what the rows
explain (history missing) is never stored as interest. Amounts by hand."""

from __future__ import annotations

from decimal import Decimal

from connectors.fetchers.binance.loan_rows import LoanList, LoanRows, LoanSums

D = Decimal
BORROW = {
    "loanCoin": "USDT",
    "initialLoanAmount": "1000",
    "collateralCoin": "BTC",
    "initialCollateralAmount": "0.05",
    "borrowTime": 1_700_000_000_000,
    "status": "SUCCESS",
}
REPAY = {
    "loanCoin": "USDT",
    "repayAmount": "400.5",
    "collateralCoin": "BTC",
    "collateralReturn": "0.02",
    "repayStatus": "REPAID",
    "repayTime": 1_700_100_000_000,
}


def rows() -> LoanRows:
    return LoanRows(str, lambda _asset, _source: None)


def test_a_row_read_again_counts_once_and_the_debt_beyond_the_rows_is_interest() -> None:
    sums, parse = LoanSums(), rows().parse
    for name, row in ((LoanList.BORROW, BORROW), (LoanList.REPAY, REPAY), (LoanList.BORROW, BORROW)):
        sums.add(row, parse(name, row))
    # Borrowed 1000, repaid 400.5: 599.5 explained; Binance says 600.12345678 is owed.
    owed = [{"loanCoin": "USDT", "collateralCoin": "BTC", "totalDebt": "600.12345678", "collateralAmount": "0.03"}]
    assert sums.charged(owed, unsettled=set()) == {"USDT/BTC": D("0.62345678")}
    sums.book("USDT/BTC", D("0.62345678"))
    # Stored once: nothing more is due until the debt grows again, and the cursor keeps it so.
    again = LoanSums.of(sums.cursor())
    assert again.charged(owed, unsettled=set()) == {}
    grown = [{**owed[0], "totalDebt": "600.12445678"}]
    assert again.charged(grown, unsettled=set()) == {"USDT/BTC": D("0.001")}


def test_a_pending_row_or_missing_history_stores_no_interest() -> None:
    sums, parse = LoanSums(), rows().parse
    sums.add(BORROW, parse(LoanList.BORROW, BORROW))
    pending = {**REPAY, "repayStatus": "REPAYING"}
    parsed = parse(LoanList.REPAY, pending)
    assert parsed.records == [] and parsed.hold_ms == REPAY["repayTime"]
    owed = [{"loanCoin": "USDT", "collateralCoin": "BTC", "totalDebt": "1000.5", "collateralAmount": "0.05"}]
    assert sums.charged(owed, unsettled={"USDT/BTC"}) == {}
    # Owing less than the rows explain (a repayment or liquidation the lists do not hold): not interest.
    assert sums.charged([{**owed[0], "totalDebt": "900"}], unsettled=set()) == {}
