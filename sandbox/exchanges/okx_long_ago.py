"""OKX's trader of long ago (`OkxDerivatives.trade_long_ago()`, okx_derivatives.py): a swap position opened and
closed more than a year back, beyond fills-history's reach ("the last 1 year",
Get_Transaction_Details_Last_1_Year.md). fills-history no longer lists its fills; only the quarterly files of
bills-history-archive hold its bills, each with the fee it paid (bills-archive's `fee`: "Negative number represents
the user transaction fee charged by the platform"). Rules and pages: docs/exchange-apis/okx.md.

By hand: 4 swap contracts (0.04 BTC) bought at 40000 with a fee of 0.8 USDT, sold at 42000 with a fee of 0.84 USDT,
realizing 80 USDT. The opening bill's `balChg` is -0.8, the closing one's 79.16: the account holds 78.36 USDT more.
"""

from __future__ import annotations

from sandbox.exchanges.okx_contracts import Fill

LONG_AGO_FILLS = (
    Fill(430, "swap", "buy", "4", "40000", "-0.8", "settle"),
    Fill(400, "swap", "sell", "4", "42000", "-0.84", "settle", pnl="80"),
)
