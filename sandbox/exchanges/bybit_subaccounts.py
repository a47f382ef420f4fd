"""Bybit's universal transfer list: moves between the scripted (master) UID and its sub-accounts.

Served as bybit-exchange/docs `docs/v5/asset/transfer/unitransfer-list.mdx` documents it: `GET
/v5/asset/transfer/query-universal-transfer-list`, filters `transferId`, `coin`, `status`, at most 7 days between
`startTime` and `endTime` (one end given: 7 days from it; none: the last 7 days), `limit` [1, 50] default 20,
`nextPageCursor` paging; rows `transferId`, `coin`, `amount`, `timestamp` (ms string), `status`, `fromAccountType`,
`toAccountType`, `fromMemberId`, `toMemberId`. A master's key needs "SubMemberTransfer": a key made without it
(`refused`) is answered 10005 "Permission denied, please check your API key permissions." (docs/v5/error.mdx), and its
key-info answer lacks "SubMemberTransfer" in its Wallet group. The rate limit, 60 a minute, is the Asset table's
(docs/v5/rate-limit.mdx).

The script (`scripted=True`): two sub-accounts; USDT sent to each and received from each, one transfer between the
two sub-accounts (listed to the master, not its money) and one FAILED transfer. Its `change()` is what the master's
unified wallet gained: the balances include the moves.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from sandbox.exchanges.base import DAY_MS, HOUR_MS
from sandbox.exchanges.bybit_book import TRANSFER_WINDOW_MS, BybitError, Call, Json, cursor_page, limit_param, window
from sandbox.exchanges.records import plain

MASTER_UID = "24617703"  # the scripted account's `userID` in its key-info answer (bybit_book.query_api)
SUB_A, SUB_B = "24617801", "24617802"
STATUSES = frozenset({"SUCCESS", "FAILED", "PENDING"})  # docs/v5/enum.mdx#transferstatus
PERMISSION = "SubMemberTransfer"  # the master key's permission the page names
DENIED = (10005, "Permission denied, please check your API key permissions.")


@dataclass(frozen=True)
class UniversalTransfer:
    ident: str
    coin: str
    amount: Decimal
    sender: str
    receiver: str
    timestamp: int
    status: str = "SUCCESS"

    def row(self) -> Json:
        return {
            "transferId": self.ident,
            "coin": self.coin,
            "amount": plain(self.amount),
            "timestamp": str(self.timestamp),
            "status": self.status,
            "fromAccountType": "UNIFIED",
            "toAccountType": "UNIFIED",
            "fromMemberId": self.sender,
            "toMemberId": self.receiver,
        }


def script_moves(now_ms: int) -> tuple[UniversalTransfer, ...]:
    """Six transfers in the last 30 days, in several 7-day windows (the test's ground truth is written from these)."""

    def ident(n: int, sender: str) -> str:
        return f"universalTransfer_00000000-0000-4000-8000-{n:012d}_{sender}"

    def at(days: int, hours: int = 0) -> int:
        return now_ms - days * DAY_MS - hours * HOUR_MS

    usdt = "USDT"
    return (
        UniversalTransfer(ident(1, MASTER_UID), usdt, Decimal("25.5"), MASTER_UID, SUB_A, at(30)),
        UniversalTransfer(ident(2, SUB_A), usdt, Decimal("40.25"), SUB_A, MASTER_UID, at(20, 3)),
        UniversalTransfer(ident(3, MASTER_UID), usdt, Decimal("7.125"), MASTER_UID, SUB_B, at(12)),
        UniversalTransfer(ident(4, SUB_A), usdt, Decimal("4"), SUB_A, SUB_B, at(9)),
        UniversalTransfer(ident(5, MASTER_UID), usdt, Decimal("1"), MASTER_UID, SUB_A, at(5), status="FAILED"),
        UniversalTransfer(ident(6, SUB_B), usdt, Decimal("3"), SUB_B, MASTER_UID, at(2, 5)),
    )


@dataclass
class BybitSubAccounts:
    moves: Sequence[UniversalTransfer] = ()
    refused: set[str] = field(default_factory=set)  # API keys made without SubMemberTransfer

    def transfers(self, call: Call) -> Json:
        if call.key is None or call.key.api_key in self.refused:
            raise BybitError(*DENIED)
        params = call.params
        limit = limit_param(params, 20, 50)
        start, end = window(params, call.now_ms, TRANSFER_WINDOW_MS)
        status = params.get("status")
        if status and status not in STATUSES:
            raise BybitError(10001, "params error: status invalid")
        chosen = [
            m
            for m in self.moves
            if start <= m.timestamp <= end
            and (not params.get("coin") or m.coin == params["coin"])
            and (not status or m.status == status)
            and (not params.get("transferId") or m.ident == params["transferId"])
        ]
        items, cursor = cursor_page(chosen, params, limit, lambda m: (m.timestamp, m.ident))
        return {"list": [m.row() for m in items], "nextPageCursor": cursor}

    def change(self) -> dict[str, Decimal]:
        """What the master's wallet gained from the successful moves it sent or received."""
        gained: dict[str, Decimal] = {}
        for m in self.moves:
            if m.status != "SUCCESS":
                continue
            sign = (m.receiver == MASTER_UID) - (m.sender == MASTER_UID)
            gained[m.coin] = gained.get(m.coin, Decimal(0)) + sign * m.amount
        return gained

    def key_info(self, api_key: str, answer: Mapping[str, object]) -> Json:
        """The key-info answer, its Wallet group without SubMemberTransfer for a key made without it."""
        if api_key not in self.refused:
            return dict(answer)
        permissions = dict(answer.get("permissions") or {})  # type: ignore[call-overload]
        permissions["Wallet"] = [p for p in permissions.get("Wallet", []) if p != PERMISSION]
        return {**answer, "permissions": permissions}
