"""OKX v5's Simple Earn Flexible, on-chain earn, sub-account transfers and Spot-mode loans, served from a fixed
script next to the derivatives one (`OkxEmulator(derivatives=True)`): funding bills (GET /api/v5/asset/bills-history)
of a transfer in from a sub-account, a savings subscription and an on-chain earn order; the interest the savings
earned (GET /api/v5/finance/savings/lending-history: "Return data in the past month"); the savings balance
(GET /api/v5/finance/savings/balance); the on-chain earn order (GET /api/v5/finance/staking-defi/orders-active); and
a loan (GET /api/v5/account/spot-borrow-repay-history). Rules and pages: docs/exchange-apis/okx.md.

The script, by hand: 50 USDT arrive from a sub-account (bill 21) and go on to the trading account (131); 100 USDT
come from the trading account (130) into savings (75), and earn 0.0123, 0.0119 and 0.0121 USDT; 20 USDT more go from
the trading account into an on-chain earn order (130, 80). The trading account ends 70 USDT lower, savings hold
100.0363 USDT, the order 20 USDT, and the account holds 50.0363 USDT more in all. 200 USDT are borrowed and repaid
(no net change: balances are read net of debt).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sandbox.exchanges.base import DAY_MS
from sandbox.exchanges.okx_protocol import Call, Json, int_param, limit_param, newest_first
from sandbox.exchanges.records import ScriptedAccount, plain

LENDING_HISTORY_LOOKBACK_MS = 30 * DAY_MS


@dataclass(frozen=True)
class Move:
    """A funding bill: `change` of `ccy`, of OKX bill `type`, `days_ago` (plus `offset_ms` to order a day's bills)."""

    days_ago: int
    offset_ms: int
    ccy: str
    change: str
    type: str


FUNDING_MOVES = (
    Move(28, 0, "USDT", "50", "21"),  # "Transfer from sub account (for master account)"
    Move(28, 60_000, "USDT", "-50", "131"),  # "Transferred to Trading account"
    Move(26, 0, "USDT", "100", "130"),  # "Transferred from Trading account"
    Move(26, 60_000, "USDT", "-100", "75"),  # "[Simple earn flexible] Subscription"
    Move(22, 0, "USDT", "20", "130"),  # "Transferred from Trading account"
    Move(22, 60_000, "USDT", "-20", "80"),  # "DEFI/Staking subscription": an on-chain earn order
)
ONCHAIN = ("2413501", "USDT", "20", 22)  # (ordId, ccy, invested amount, days ago)
# Get borrow/repay history (Spot mode): 200 USDT borrowed and repaid; the interest in between is a bills-archive
# bill (okx_derivatives.py, 25 days ago). (days ago, type, amt, accBorrowed)
LOANS = ((26, "manual_borrow", "200", "200"), (24, "manual_repay", "200", "0"))
SAVED = Decimal(100)
EARNINGS = ((20, "0.0123"), (10, "0.0119"), (3, "0.0121"))  # (days ago, USDT earned in that lending period)


class OkxSavings:
    """The script laid out in time for one account; empty unless enabled."""

    def __init__(self, account: ScriptedAccount, *, enabled: bool) -> None:
        self.now_ms = account.now_ms
        self.enabled = enabled
        # Funding bills of other scripts that stay in the funding account (okx_funding_kinds.py), served whether
        # or not this script is.
        self.more_moves: tuple[Move, ...] = ()

    def funding_moves(self) -> list[tuple[int, str, Decimal, str, str]]:
        """(ts, ccy, change, bill type, source id) for the funding ledger (okx_book)."""
        moves = (*(FUNDING_MOVES if self.enabled else ()), *self.more_moves)
        return [
            (self._at(m.days_ago) + m.offset_ms, m.ccy, Decimal(m.change), m.type, f"script-{n}")
            for n, m in enumerate(moves)
        ]

    def balance_changes(self) -> dict[str, Decimal]:
        """The trading account's change: what it sent to and received from the funding account (130/131)."""
        if not self.enabled:
            return {}
        moved = sum((-Decimal(m.change) for m in FUNDING_MOVES if m.type in ("130", "131")), Decimal(0))
        return {"USDT": moved}

    def savings_balance(self, call: Call) -> list[Json]:
        if not self.enabled:
            return []  # nothing in Simple Earn Flexible: OKX lists no currency
        earned = sum((Decimal(e) for _, e in EARNINGS), Decimal(0))
        total = SAVED + earned
        return [
            {
                "earnings": plain(earned),
                "redemptAmt": "",
                "rate": "0.0100000000000000",
                "ccy": "USDT",
                "amt": plain(total),
                "loanAmt": plain(total),
                "pendingAmt": "0",
            }
        ]

    def onchain_orders(self, call: Call) -> list[Json]:
        """On-chain earn's active orders (the documented example's fields): the script's one order, earning."""
        if not self.enabled:
            return []
        ord_id, ccy, amt, days_ago = ONCHAIN
        return [
            {
                "ordId": ord_id,
                "ccy": ccy,
                "productId": "4005",
                "state": "1",
                "protocol": "On-Chain Defi",
                "protocolType": "defi",
                "term": "0",
                "apy": "0.0323",
                "investData": [{"ccy": ccy, "amt": amt}],
                "earningData": [{"ccy": ccy, "earningType": "0", "earnings": "0.0123"}],
                "purchasedTime": str(self._at(days_ago)),
                "tag": "",
                "estSettlementTime": "",
                "cancelRedemptionDeadline": "",
                "fastRedemptionData": [],
            }
        ]

    def lending_history(self, call: Call) -> list[Json]:
        if not self.enabled:
            return []
        oldest = call.now_ms - LENDING_HISTORY_LOOKBACK_MS
        rows = [
            {"ccy": "USDT", "amt": plain(SAVED), "earnings": e, "rate": "0.01", "ts": str(self._at(d))}
            for d, e in EARNINGS
            if self._at(d) >= oldest and (not call.params.get("ccy") or call.params["ccy"] == "USDT")
        ]
        return newest_first(rows, lambda r: int(r["ts"]), call.params)

    def borrow_repay_history(self, call: Call) -> list[Json]:
        """Newest first; `after`/`before` a ts that is itself included ("earlier than the requested ts
        (included)"), `limit` at most 100."""
        if not self.enabled:
            return []
        p = call.params
        after, before, limit = int_param(p, "after"), int_param(p, "before"), limit_param(p)
        rows = [
            {"ccy": "USDT", "type": kind, "amt": amt, "accBorrowed": acc, "ts": str(self._at(d))}
            for d, kind, amt, acc in LOANS
            if (after is None or self._at(d) <= after) and (before is None or self._at(d) >= before)
        ]
        return sorted(rows, key=lambda r: -int(r["ts"]))[:limit]

    def _at(self, days_ago: int) -> int:
        return self.now_ms - days_ago * DAY_MS
