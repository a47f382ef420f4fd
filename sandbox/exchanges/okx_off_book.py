"""OKX's off-book trader script (`OkxDerivatives.trade_off_the_book()`, okx_derivatives.py): block trades, spread
trades, moved positions and a delta hedge, every amount exact so a test can write its ground truth by hand. Rules
and pages: docs/exchange-apis/okx.md.
"""

from __future__ import annotations

from sandbox.exchanges.okx_contracts import Bill, Fill

# A trader who also trades off the order book (`OkxDerivatives.trade_off_the_book()`): block trades (RFQ), spread
# trades (Nitro Spreads) and positions moved in or out of the account. Each is a fill of fills-history (subTypes
# 204-209, 270-275, 324-329) and a bill of type 14, 24 or 32; no fee is documented for a moved position, so it has
# none. Block trades have no order: "ordId: Order ID, always "" for block trading".
OFF_BOOK_FILLS = (
    # Block trade: open long 20 swap contracts (0.2 BTC) at 61000; the spread then closes it at 63000: +400 USDT.
    Fill(28, "swap", "buy", "20", "61000", "-6.1", "settle", bill_type="14", sub_type="206"),
    Fill(26, "swap", "sell", "20", "63000", "-1.26", "settle", pnl="400", bill_type="24", sub_type="274"),
    # The spread's other leg opens a short of 4 future contracts (0.4 ETH) at 3100; a block trade closes it at 3000.
    Fill(26, "future", "sell", "4", "3100", "-0.124", "settle", bill_type="24", sub_type="273"),
    Fill(22, "future", "buy", "4", "3000", "-0.12", "settle", pnl="40", bill_type="14", sub_type="209"),
    # 1000 USD of inverse swap moved in long at 40000 (0.025 BTC) and moved out at 50000 (0.02 BTC): +0.005 BTC.
    Fill(24, "inverse", "buy", "10", "40000", "0", "settle", bill_type="32", sub_type="326"),
    Fill(21, "inverse", "sell", "10", "50000", "0", "settle", pnl="0.005", bill_type="32", sub_type="328"),
)
# A delta hedge OKX traded for the account (bill type 13 DDH, subType 132 ddh sell): fills-history lists no DDH
# subtype, so only the bill says it realized 0.25 USDT and paid a 0.6 USDT fee.
OFF_BOOK_BILLS = (Bill(23, "13", "132", "USDT", "-0.35", "swap", fee="-0.6"),)
# Older than bills-archive's three months (with `history=True`): their bills are only in the quarterly files, whose
# CSV has no `type` column (read from `subType`). A spread opens a long of 5 swap contracts at 52000 and a block
# trade closes it at 54000: +100 USDT.
OLD_OFF_BOOK_FILLS = (
    Fill(190, "swap", "buy", "5", "52000", "-0.52", "settle", bill_type="24", sub_type="272"),
    Fill(150, "swap", "sell", "5", "54000", "-1.35", "settle", pnl="100", bill_type="14", sub_type="208"),
)
