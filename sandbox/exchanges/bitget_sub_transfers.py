"""Transfers between a Bitget main account and its sub-accounts, and the sub-accounts' spot assets, over a scripted
account: the account the key reads is the main account. Rows come from `bitget_wallets.add_more_kinds` (a classic
account's, v2) and `add_unified_main_sub` (a unified account's, v3).

Each page is Bitget's (docs/exchange-apis/bitget.md):
- ``GET /api/v2/spot/account/sub-main-trans-record`` (spot/account/Get-SubAccount-TransferRecords, "Get MainSub
  Transfer Record"): ``coin``, ``role`` ("Transfer out type": ``initiator`` by default, the sender, or ``receiver``),
  ``subUid`` ("If empty, it only query the records that transfer from main account"), ``startTime``/``endTime`` at
  most 90 days apart, ``limit`` default 100, at most 100, ``idLessThan=<transferId>``; rows ``coin``, ``status``,
  ``toType``, ``fromType``, ``size``, ``ts``, ``clientOid``, ``transferId``, ``newTransferId``, ``fromUserId``,
  ``toUserId``; 20/s per UID. Read here: of the account asked about (``subUid``, else the main account), the rows it
  sent (``initiator``) or received (``receiver``); without ``subUid`` only the rows the main account sent, so a
  sub-account's moves to the main account are listed only when that sub-account is asked.
- ``GET /api/v3/account/sub-transfer-record`` (uta/account/transfer/SubAccount-Transfer-Get): ``subUid`` ("If not
  provided, transfer records of the main account will be retrieved"), ``role`` as v2, ``coin``, ``startTime``/
  ``endTime`` at most 90 days apart, ``limit`` default 100, at most 100, ``cursor``; ``data.list`` of
  ``transferId``, ``fromType``, ``toType``, ``amount``, ``coin``, ``fromUserId``, ``toUserId``, ``status``,
  ``clientOid``, ``createdTime``, ``updatedTime``, ``oldTransferId``, and ``data.cursor``; 5/s per UID. Read here:
  of the account asked about, the rows it sent or received, its own moves (sender = receiver) in both. A unified
  account's key only (a classic one: not emulated); out-of-range values get 400172.
- ``GET /api/v2/spot/account/subaccount-assets`` (spot/account/Get-Subaccount-Assets): "only return the sub-accounts
  which assets > 0"; ``limit`` default 10, at most 50, ``idLessThan`` the last ``id``; rows ``id``, ``userId`` (the
  example's numbers, though the table says String), ``assetsList[]`` of ``coin``, ``available``, ``limitAvailable``,
  ``frozen``, ``locked``, ``uTime``; 10/s per UID.

Not stated, the emulator's readings: the v3 ``cursor`` is the number of rows already served for the same question
(the example answers two rows with ``"cursor": "2"``); absent ends of either list mean the 90 days before now;
neither list states a reach: two years, as the other v2 wallet lists [help].
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from sandbox.exchanges.base import DAY_MS
from sandbox.exchanges.bitget_protocol import (
    SPOT_WINDOW_MS,
    Call,
    NotEmulated,
    below,
    int_param,
    invalid,
    limit_param,
    require_key,
    spot_window,
)
from sandbox.exchanges.bitget_v3_params import invalid as v3_invalid
from sandbox.exchanges.bitget_v3_params import optional_window, page_limit
from sandbox.exchanges.records import plain

Json = dict[str, Any]
LOOKBACK_MS = 730 * DAY_MS
ROLES = ("initiator", "receiver")
V2_PATH = "/api/v2/spot/account/sub-main-trans-record"
V3_PATH = "/api/v3/account/sub-transfer-record"
SUB_ASSETS_PATH = "/api/v2/spot/account/subaccount-assets"
PER_SECOND = {
    V2_PATH: 20,  # spot/account/Get-SubAccount-TransferRecords
    V3_PATH: 5,  # uta/account/transfer/SubAccount-Transfer-Get: "5/sec/UID"
    SUB_ASSETS_PATH: 10,  # spot/account/Get-Subaccount-Assets: "10 times/1s (User ID)"
}
UNIFIED_KEY = "uta"


class SubTransfersBook:
    """Serves the three pages over the rows and sub-account holdings a test added."""

    def __init__(
        self,
        uid: str,
        rows: Callable[[], list[Json]],
        unified_rows: Callable[[], list[Json]],
        subs: Callable[[], dict[str, dict[str, Decimal]]],
    ) -> None:
        self.uid = uid
        self.rows, self.unified_rows, self.subs = rows, unified_rows, subs

    def routes(self) -> tuple[tuple[str, Any], ...]:
        return (
            (V2_PATH, self.v2_records),
            (V3_PATH, self.v3_records),
            (SUB_ASSETS_PATH, self.subaccount_assets),
        )

    def v2_records(self, call: Call) -> list[Json]:
        p = call.params
        main = self.uid if require_key(call) else ""
        role = _role(p.get("role") or "initiator", invalid)
        limit = limit_param(p, 100, 100)
        start, end = spot_window(p, call.now_ms, LOOKBACK_MS, required=False, max_span_ms=SPOT_WINDOW_MS)
        coin, sub = p.get("coin", ""), p.get("subUid", "")
        who = sub or main

        def listed(row: Json) -> bool:
            # Without subUid "only … the records that transfer from main account".
            from_main = bool(sub) or row["fromUserId"] == main
            side = row["fromUserId"] if role == "initiator" else row["toUserId"]
            return side == who and from_main and start <= int(row["ts"]) <= end and coin in ("", row["coin"])

        chosen = below([row for row in self.rows() if listed(row)], lambda r: int(r["transferId"]), p, limit)
        return [dict(row) for row in chosen]

    def v3_records(self, call: Call) -> Json:
        key = require_key(call)
        if key.key_type != UNIFIED_KEY:
            raise NotEmulated("v3 transfer records of a classic account's key")
        p = call.params
        role = _role(p.get("role") or "initiator", v3_invalid)
        limit = page_limit(p, 100)
        start, end = optional_window(p, call.now_ms, 90 * DAY_MS, LOOKBACK_MS)
        coin, who = p.get("coin", ""), p.get("subUid", "") or self.uid
        offset = int_param(p, "cursor") or 0
        chosen = sorted(
            (
                row
                for row in self.unified_rows()
                if (row["fromUserId"] if role == "initiator" else row["toUserId"]) == who
                and start <= int(row["createdTime"]) <= end
                and coin in ("", row["coin"])
            ),
            key=lambda row: int(row["transferId"]),
            reverse=True,
        )
        page = [dict(row) for row in chosen[offset : offset + limit]]
        return {"list": page, "cursor": str(offset + len(page))}

    def subaccount_assets(self, call: Call) -> list[Json]:
        require_key(call)
        limit = limit_param(call.params, 10, 50)
        rows = [
            {"id": 1111 * (n + 1), "userId": int(uid), "assetsList": _assets(held, call.now_ms)}
            for n, (uid, held) in enumerate(sorted(self.subs().items()))
            if any(amount > 0 for amount in held.values())
        ]
        return below(rows, lambda row: int(row["id"]), call.params, limit)


def _assets(held: dict[str, Decimal], now_ms: int) -> list[Json]:
    return [
        {"coin": coin, "available": plain(amount), "limitAvailable": "0", "frozen": "0", "locked": "0",
         "uTime": str(now_ms)}
        for coin, amount in sorted(held.items())
        if amount > 0
    ]  # fmt: skip


def _role(role: str, refuse: Callable[[], Exception]) -> str:
    if role not in ROLES:
        raise refuse()
    return role
