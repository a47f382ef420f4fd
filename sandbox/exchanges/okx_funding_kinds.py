"""OKX funding-account bills of the kinds beyond deposits, transfers and staking rewards, served from a fixed script
(`OkxEmulator(funding_kinds=True)`): fiat orders, a fiat convert, a card purchase, gifts, ETH and SOL staking swaps,
Dual Investment and Shark Fin orders, a crypto loan with its collateral, an institutional loan, commissions, rebates
and profit shares. Every bill has the documented shape of GET /api/v5/asset/bills and /asset/bills-history
(`billId`, `ccy`, `clientId`, `balChg`, `bal`, `type`, `ts`, `notes`; Funding_Account/Rest_API/Asset_Bills_Details.md
for the types), and the funding balance (GET /api/v5/asset/balances) holds what they leave.

The script, by hand, in the funding account: 600 EUR paid in by a fiat order (117), 500 of them converted into
540.25 USDT (272, both legs); a fiat withdrawal order of 100 EUR placed (116) and cancelled (118). 1.5 ETH bought
(200) and staked for 1.5 BETH (137, 138). 12 SOL received as a gift (314), 10 staked for 9.6432 OKSOL (329, 330),
0.0123 OKSOL of staking reward (328), 4 OKSOL redeemed for 4.1502 SOL (331, 332). 200 USDT into Dual Investment
(160), collected as 0.003 BTC (161) with 0.00002 BTC profit (162); that BTC locked as a loan's collateral (175), 300
USDT borrowed (176) and repaid (179), the collateral unlocked (180). 1000 USDT of an institutional loan (351) repaid
(345) with 1.25 USDT interest (346). 100 USDT into Shark Fin (225), back (226) with 0.85 USDT profit (227). 10 USDT
sent as a gift (313). Income: 3.5 affiliate commission (150), 1.2 referral reward (151), 0.75 fee rebate (173),
0.33 fee discount rebate (300), 2.1 copy and bot rewards (354), all USDT.

The funding account ends with 100 EUR, 337.73 USDT, 0.00302 BTC, 1.5 BETH, 6.1502 SOL and 5.6555 OKSOL (ETH 0).

`OkxFundingKindsBook.add_moves(NEWER_KIND_MOVES)` adds bills of the four types the page updated 2026-07-05 names
beyond the earlier edition (400 "Auto lend interest", 408 "Auto earn USDG interest", 476 "Transferred out to Cloud
Exchange", 477 "Transferred in from Cloud Exchange"): 0.0412 USDT and 0.0058 USDG of interest, 25 USDT out to Cloud
Exchange and 5 USDT back. The funding account then holds 317.7712 USDT and 0.0058 USDG.
"""

from __future__ import annotations

from decimal import Decimal

from sandbox.exchanges.okx_book import FILLS_HISTORY_LOOKBACK_MS, OkxBook
from sandbox.exchanges.okx_protocol import Call, Json
from sandbox.exchanges.okx_savings import Move
from sandbox.exchanges.records import ScriptedAccount, plain

# (days ago, ms into that day's order, ccy, balChg, type), oldest first.
FUNDING_KIND_MOVES = (
    Move(25, 0, "EUR", "600", "117"),  # [Fiat] Fulfill an order
    Move(25, 60_000, "EUR", "-500", "272"),  # [Convert] Buy Crypto/Fiat: the EUR leg
    Move(25, 60_000, "USDT", "540.25", "272"),  # and the USDT leg, at the same moment
    Move(25, 120_000, "EUR", "-100", "116"),  # [Fiat] Place an order
    Move(25, 180_000, "EUR", "100", "118"),  # [Fiat] Cancel an order
    Move(24, 0, "ETH", "1.5", "200"),  # Buy
    Move(24, 60_000, "USDT", "-200", "160"),  # Dual Investment subscribe
    Move(23, 0, "ETH", "-1.5", "137"),  # [ETH Staking] Subscription
    Move(23, 1, "BETH", "1.5", "138"),  # [ETH Staking] Swapping
    Move(22, 0, "SOL", "12", "314"),  # Received from gift
    Move(21, 0, "SOL", "-10", "329"),  # [SOL staking] Subscribe Liquidity Staking Token staking
    Move(21, 1, "OKSOL", "9.6432", "330"),  # [SOL staking] Mint Liquidity Staking Token
    Move(20, 0, "USDT", "3.5", "150"),  # Affiliate commission
    Move(19, 0, "USDT", "1.2", "151"),  # Referral reward
    Move(18, 0, "USDT", "0.75", "173"),  # [Affiliate] Fee rebate (by trading fee)
    Move(17, 0, "BTC", "0.003", "161"),  # Dual Investment collection: settled in BTC
    Move(17, 1, "BTC", "0.00002", "162"),  # Dual Investment profit
    Move(16, 0, "BTC", "-0.003", "175"),  # Locked collateral
    Move(16, 1, "USDT", "300", "176"),  # Loan
    Move(15, 0, "OKSOL", "0.0123", "328"),  # [SOL staking] Send Liquidity Staking Token reward
    Move(14, 0, "USDT", "1000", "351"),  # [Institutional Loan] Loan disbursement
    Move(13, 0, "USDT", "-100", "225"),  # Shark Fin subscribe
    Move(12, 0, "USDT", "-300", "179"),  # Repayment
    Move(12, 1, "BTC", "0.003", "180"),  # Unlocked collateral
    Move(11, 0, "OKSOL", "-4", "331"),  # [SOL staking] Redeem Liquidity Staking Token order
    Move(10, 0, "SOL", "4.1502", "332"),  # [SOL staking] Settle Liquidity Staking Token order
    Move(9, 0, "USDT", "-1000", "345"),  # [Institutional Loan] Principal repayment
    Move(9, 1, "USDT", "-1.25", "346"),  # [Institutional Loan] Interest repayment
    Move(8, 0, "USDT", "100", "226"),  # Shark Fin collection
    Move(8, 1, "USDT", "0.85", "227"),  # Shark Fin profit
    Move(7, 0, "USDT", "-10", "313"),  # Sent by gift
    Move(6, 0, "USDT", "0.33", "300"),  # Fee discount rebate
    Move(5, 0, "USDT", "2.1", "354"),  # Copy and bot rewards
)
# Types of the bill-type list updated 2026-07-05 (Asset bills details), served once a test adds them.
NEWER_KIND_MOVES = (
    Move(4, 0, "USDT", "0.0412", "400"),  # Auto lend interest
    Move(3, 0, "USDG", "0.0058", "408"),  # Auto earn USDG interest
    Move(2, 0, "USDT", "-25", "476"),  # Transferred out to Cloud Exchange
    Move(1, 0, "USDT", "5", "477"),  # Transferred in from Cloud Exchange
)


def funding_held(moves: tuple[Move, ...] = FUNDING_KIND_MOVES) -> dict[str, Decimal]:
    """What the script leaves in the funding account, per currency (above zero only)."""
    held: dict[str, Decimal] = {}
    for move in moves:
        held[move.ccy] = held.get(move.ccy, Decimal(0)) + Decimal(move.change)
    return {ccy: amount for ccy, amount in held.items() if amount > 0}


def funding_balances(call: Call, moves: tuple[Move, ...] = FUNDING_KIND_MOVES) -> list[Json]:
    """GET /api/v5/asset/balances (Funding_Account/Rest_API/Get_Balance.md): `ccy`, `bal`, `frozenBal`, `availBal`
    of each currency with a balance above zero; `ccy` narrows to the listed currencies (comma-separated)."""
    wanted = {c for c in call.params.get("ccy", "").split(",") if c}
    return [
        {"availBal": plain(amount), "bal": plain(amount), "ccy": ccy, "frozenBal": "0"}
        for ccy, amount in sorted(funding_held(moves).items())
        if not wanted or ccy in wanted
    ]


class OkxFundingKindsBook(OkxBook):
    """The scripted account's book with the script's bills in the funding ledger and its balances in the funding
    account; everything else as OkxBook serves it."""

    def __init__(
        self,
        account: ScriptedAccount,
        *,
        fills_history_lookback_ms: int = FILLS_HISTORY_LOOKBACK_MS,
        derivatives: bool = False,
        bill_history: bool = False,
    ) -> None:
        super().__init__(
            account,
            fills_history_lookback_ms=fills_history_lookback_ms,
            derivatives=derivatives,
            bill_history=bill_history,
        )
        self.savings.more_moves = FUNDING_KIND_MOVES
        self.funding_bills = self._funding_ledger()  # again, now with the script's bills

    def add_moves(self, moves: tuple[Move, ...]) -> None:
        """Adds bills to the script (before a sync: every billId moves)."""
        self.savings.more_moves = (*self.savings.more_moves, *moves)
        self.funding_bills = self._funding_ledger()

    def funding_balances(self, call: Call) -> list[Json]:
        return funding_balances(call, self.savings.more_moves)
