"""OKX's isolated-position script (`OkxDerivatives.trade_isolated()`, okx_derivatives.py): isolated swap positions
opened, charged funding and closed (one liquidated), and one still open, every amount exact so a test can write its
ground truth by hand. Rules and pages: docs/exchange-apis/okx.md, "Isolated positions".
"""

from __future__ import annotations

from collections.abc import Mapping

from sandbox.exchanges.okx_contracts import Bill, Fill

# An isolated trader (`OkxDerivatives.trade_isolated()`), in positions no other script holds at the time. Bills of
# an isolated position move its margin between the account level (`balChg`) and the position (`posBalChg`), and its
# funding fees are settled into the position: `balChg` 0, the amount in `posBalChg` and `pnl`, as the live isolated
# funding bill of ccxt/ccxt#28103 (docs/exchange-apis/okx.md, "Isolated positions").
ISOLATED_FILLS = (
    # Closed: an isolated long of 5 swap contracts (0.05 BTC) at 60000 with 300 USDT of margin, fee 1.5: balChg
    # -301.5, posBalChg +300.
    Fill(18, "swap", "buy", "5", "60000", "-1.5", "settle", isolated=True, position_change="300"),
    # Sold at 62000: +100 realized, fee 1.55; the position's 299.6 (300 less 0.6 funding paid plus 0.2 received)
    # goes back: balChg 398.05, posBalChg -299.6.
    Fill(14, "swap", "sell", "5", "62000", "-1.55", "settle", pnl="100", isolated=True, position_change="-299.6"),
    # Open: an isolated long of 20 inverse contracts (2000 USD = 0.04 BTC at 50000) with 0.008 BTC of margin, fee
    # 0.00002 BTC: balChg -0.00802, posBalChg +0.008.
    Fill(9, "inverse", "buy", "20", "50000", "-0.00002", "settle", isolated=True, position_change="0.008"),
    # Liquidated: an isolated long of 2 swap contracts (0.02 BTC) at 60000 with 60 USDT of margin (20x), fee 0.6;
    # OKX closes it at 57300 (bill type 5, subType 104 "Liquidation long", in fills-history too): -54 realized,
    # liquidation fee 5.73 on the fill and its bill; 0.27 of the 60 comes back: balChg 0.27, posBalChg -60.
    Fill(12, "swap", "buy", "2", "60000", "-0.6", "settle", isolated=True, position_change="60"),
    Fill(
        11,
        "swap",
        "sell",
        "2",
        "57300",
        "-5.73",
        "settle",
        pnl="-54",
        isolated=True,
        position_change="-60",
        bill_type="5",
        sub_type="104",
    ),
)
ISOLATED_BILLS = (
    Bill(17, "8", "173", "USDT", "0", "swap", isolated=True, position_change="-0.6"),
    Bill(16, "8", "174", "USDT", "0", "swap", isolated=True, position_change="0.2"),
    Bill(5, "8", "173", "BTC", "0", "inverse", isolated=True, position_change="-0.000003"),
)
# The open position's unrealized profit, by CONTRACTS key (the mark price is not emulated; written as a value): the
# balance answer shows it in isoEq and isoUpl, and no record explains it.
ISOLATED_UPL: Mapping[str, str] = {"inverse": "0.0015"}
# Older than bills-archive's three months (with `history=True`): a closed isolated swap long, 5 contracts at 53000
# with 265 USDT of margin (fee 1.325), a funding fee of 0.4 paid into it, sold at 52000 (-50 realized, fee 1.3) with
# 264.6 back. Only the quarterly files hold these bills, with their posBalChg and mgnMode columns.
OLD_ISOLATED_FILLS = (
    Fill(140, "swap", "buy", "5", "53000", "-1.325", "settle", isolated=True, position_change="265"),
    Fill(130, "swap", "sell", "5", "52000", "-1.3", "settle", pnl="-50", isolated=True, position_change="-264.6"),
)
OLD_ISOLATED_BILLS = (Bill(135, "8", "173", "USDT", "0", "swap", isolated=True, position_change="-0.4"),)
