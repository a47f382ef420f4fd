"""Binance's sub-account transfer lists a read-only key can ask, emulated (docs/exchange-apis/binance.md,
"Sub-accounts", names every page).

- ``GET /sapi/v1/sub-account/transfer/subUserHistory`` (Sub-account Transfer History, For Sub-account; weight 1 IP):
  ``type`` 1 transfer in, 2 transfer out ("If type is not sent, the records of type 2 ... by default"); ``asset``;
  ``startTime``/``endTime`` ("If startTime and endTime are not sent, the recent 30-day data will be returned", no
  longest span stated); ``limit`` default 500, no paging; ``returnFailHistory`` (FAILURE rows only when true).
  A bare list of ``counterParty``, ``email``, ``type``, ``asset``, ``qty``, ``fromAccountType``, ``toAccountType``,
  ``status`` (PROCESS / SUCCESS / FAILURE), ``tranId``, ``time``.
- ``GET /sapi/v1/sub-account/list`` (For Master Account; weight 1 IP): ``page``, ``limit`` (default 1, max 200);
  ``{"subAccounts": [{subUserId, email, remark, isFreeze, createTime, isManagedSubAccount,
  isAssetManagementSubAccount}]}``.
- ``GET /sapi/v1/sub-account/universalTransfer`` (Query Universal Transfer History, For Master Account; weight 1 IP):
  ``fromEmail`` or ``toEmail`` ("cannot be sent at the same time"; neither: "fromEmail equal master account email");
  "The query time period must be less than 7 days"; neither time: the last 7 days; ``page``, ``limit`` (500, max
  500); ``{"result": [{tranId, fromEmail, toEmail, asset, amount, createTimeStamp, fromAccountType, toAccountType,
  status, clientTranId}], "totalCount": n}``.
- ``GET /sapi/v1/sub-account/sub/transfer/history`` (Query Sub-account Spot Asset Transfer History, For Master
  Account; weight 1 IP): ``fromEmail`` or ``toEmail`` ("cannot be sent at the same time"; neither: "Return fromEmail
  equal master account email by default"); ``startTime``/``endTime`` with no range, default or reach stated;
  ``page`` (default 1), ``limit`` (default 500, no maximum stated: the emulator refuses over 500, Binance's usual
  one); a bare list of ``from``, ``to``, ``asset``, ``qty``, ``status``, ``tranId``, ``time``. No page says which
  moves it shares with the universal history: the emulator lists the scripted SPOT -> SPOT universal moves here too
  (the overlap that would count a move twice) and one move only this list has.

Who may ask, as a live mainnet log recorded it (an account with no sub-account function): the master lists answer
400 ``{"code": -8012, "msg": "Sub-account function is not enabled."}``; the sub-account list from a key that is not a
sub-account's, 400 ``{"code": -12022, "msg": "This endpoint is allowed to request from sub account only"}``.

Scripted roles (``BinanceEmulator(sub_account=...)``), amounts fixed, days before the account's `now_ms`:

| role | days | row | this account's spot |
| --- | --- | --- | --- |
| sub | 18 | in from the master, SPOT -> SPOT, SUCCESS | +250 USDT |
| sub | 9 | out to a sibling sub-account, SPOT -> SPOT, SUCCESS | -40 USDT |
| sub | 4 | in from the master, PROCESS until `complete()` | +15 USDT once complete |
| master | 45 | sub-accounts alice and bob created (`createTime`) | – |
| master | 20 | a deposit of 1,000 USDT (deposit history) | +1,000 USDT |
| master | 16 | to sub-account alice, SPOT -> SPOT | -300 USDT |
| master | 8 | from alice to the master, SPOT -> SPOT | +120 USDT |
| master | 5 | from alice to sub-account bob (not the master's money) | – |
| master | 12 | from bob to the master, in the spot transfer list only (not the universal one) | +70 USDT |
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from sandbox.exchanges.base import DAY_MS
from sandbox.exchanges.binance_book import BinanceError, Call, check_span, int_param, limit_param
from sandbox.exchanges.records import DepositRecord

Json = dict[str, Any]
NO_SUB_FUNCTION = (-8012, "Sub-account function is not enabled.")
SUB_ONLY = (-12022, "This endpoint is allowed to request from sub account only")
SUB, MASTER = "sub", "master"
MASTER_EMAIL, ALICE, BOB = "owner@example.com", "alice_virtual@example.com", "bob_virtual@example.com"
THIS_SUB = "carol_virtual@example.com"
UNIVERSAL_SPAN_MS = 7 * DAY_MS  # "must be less than 7 days"
SUB_HISTORY_DEFAULT_MS = 30 * DAY_MS


@dataclass(frozen=True)
class SubAccountScript:
    role: str  # "": neither a master with sub-accounts nor a sub-account
    sub_history: tuple[Json, ...] = ()
    universal: tuple[Json, ...] = ()
    spot_only: tuple[Json, ...] = ()  # moves the spot transfer list shows and the universal one does not
    subs: tuple[str, ...] = ()
    deposits: tuple[DepositRecord, ...] = ()
    created_ms: int = 1544433328000  # the sub-accounts' createTime (the list's example value unless scripted)

    def spot_change(self) -> dict[str, Decimal]:
        """What the lists moved in or out of this account's spot wallet (completed transfers only)."""
        change: dict[str, Decimal] = {}
        for row in self.sub_history:
            if row["status"] == "SUCCESS":
                sign = 1 if row["type"] == 1 else -1
                change[row["asset"]] = change.get(row["asset"], Decimal(0)) + sign * Decimal(row["qty"])
        for row in self.universal:
            mine = {row["fromEmail"], row["toEmail"]} & {MASTER_EMAIL}
            if mine and row["status"] == "SUCCESS":
                sign = 1 if row["toEmail"] == MASTER_EMAIL else -1
                change[row["asset"]] = change.get(row["asset"], Decimal(0)) + sign * Decimal(row["amount"])
        for row in self.spot_only:
            mine = {row["from"], row["to"]} & {MASTER_EMAIL}
            if mine and row["status"] == "SUCCESS":
                sign = 1 if row["to"] == MASTER_EMAIL else -1
                change[row["asset"]] = change.get(row["asset"], Decimal(0)) + sign * Decimal(row["qty"])
        for deposit in self.deposits:
            change[deposit.asset] = change.get(deposit.asset, Decimal(0)) + deposit.amount
        return change


def script_sub_accounts(role: str, seed: int, now_ms: int) -> SubAccountScript:
    rng = random.Random(f"binance-subaccounts-{seed}")  # noqa: S311 - scripted ids, not secrets
    tran = iter(range(11_798_800_000 + rng.randrange(10_000), 10**12, 13))

    def ago(days: int) -> int:
        return now_ms - days * DAY_MS + rng.randrange(3_600_000)

    if role == SUB:
        rows = (
            _sub_row("master", MASTER_EMAIL, 1, "250", "SUCCESS", next(tran), ago(18)),
            _sub_row("subAccount", BOB, 2, "40", "SUCCESS", next(tran), ago(9)),
            _sub_row("master", MASTER_EMAIL, 1, "15", "PROCESS", next(tran), ago(4)),
        )
        return SubAccountScript(SUB, sub_history=rows)
    if role == MASTER:
        universal = (
            _universal(MASTER_EMAIL, ALICE, "300", next(tran), ago(16)),
            _universal(ALICE, MASTER_EMAIL, "120", next(tran), ago(8)),
            _universal(ALICE, BOB, "50", next(tran), ago(5)),
        )
        spot_only = (_spot(BOB, MASTER_EMAIL, "70", next(tran), ago(12)),)
        funded = DepositRecord("7700301", f"{0xCD:064x}", "USDT", "TRX", Decimal(1000), "master-dep", ago(20))
        return SubAccountScript(
            MASTER, universal=universal, spot_only=spot_only, subs=(ALICE, BOB), deposits=(funded,), created_ms=ago(45)
        )
    return SubAccountScript("")


def _sub_row(party: str, email: str, kind: int, qty: str, status: str, tran: int, at: int) -> Json:
    return {
        "counterParty": party,
        "email": email,
        "type": kind,
        "asset": "USDT",
        "qty": qty,
        "fromAccountType": "SPOT",
        "toAccountType": "SPOT",
        "status": status,
        "tranId": tran,
        "time": at,
    }


def _universal(sender: str, receiver: str, amount: str, tran: int, at: int) -> Json:
    return {
        "tranId": tran,
        "fromEmail": sender,
        "toEmail": receiver,
        "asset": "USDT",
        "amount": amount,
        "createTimeStamp": at,
        "fromAccountType": "SPOT",
        "toAccountType": "SPOT",
        "status": "SUCCESS",
        "clientTranId": "",
    }


def _spot(sender: str, receiver: str, qty: str, tran: int, at: int) -> Json:
    return {
        "from": sender,
        "to": receiver,
        "asset": "USDT",
        "qty": qty,
        "status": "SUCCESS",
        "tranId": tran,
        "time": at,
    }


class SubAccountBook:
    def __init__(self, script: SubAccountScript) -> None:
        self.script = script

    def complete(self) -> None:
        """The transfer in progress completes."""
        rows = tuple({**r, "status": "SUCCESS"} if r["status"] == "PROCESS" else r for r in self.script.sub_history)
        self.script = replace(self.script, sub_history=rows)

    def routes(self) -> tuple[tuple[str, Any], ...]:
        return (
            ("/sapi/v1/sub-account/transfer/subUserHistory", self.sub_history),
            ("/sapi/v1/sub-account/list", self.sub_list),
            ("/sapi/v1/sub-account/universalTransfer", self.universal),
            ("/sapi/v1/sub-account/sub/transfer/history", self.spot_transfers),
        )

    def sub_history(self, call: Call) -> list[Json]:
        if self.script.role != SUB:
            raise BinanceError(*SUB_ONLY)
        params = call.params
        kind = int_param(params, "type") or 2
        start, end = int_param(params, "startTime"), int_param(params, "endTime")
        if start is None and end is None:
            start, end = call.now_ms - SUB_HISTORY_DEFAULT_MS, call.now_ms
        low, high = start if start is not None else 0, end if end is not None else call.now_ms
        failed = str(params.get("returnFailHistory", "false")).lower() == "true"
        chosen = [
            r
            for r in self.script.sub_history
            if r["type"] == kind
            and low <= r["time"] <= high
            and params.get("asset") in (None, r["asset"])
            and (failed or r["status"] != "FAILURE")
        ]
        chosen.sort(key=lambda r: -int(r["time"]))
        return chosen[: limit_param(params, 500, 500)]

    def sub_list(self, call: Call) -> Json:
        if self.script.role != MASTER:
            raise BinanceError(*NO_SUB_FUNCTION)
        page, limit = int_param(call.params, "page") or 1, limit_param(call.params, 1, 200)
        rows = [
            {
                "subUserId": 123456 + n,
                "email": email,
                "remark": "",
                "isFreeze": False,
                "createTime": self.script.created_ms,
            }
            | {"isManagedSubAccount": False, "isAssetManagementSubAccount": False}
            for n, email in enumerate(self.script.subs)
        ]
        return {"subAccounts": rows[(page - 1) * limit : page * limit]}

    def universal(self, call: Call) -> Json:
        if self.script.role != MASTER:
            raise BinanceError(*NO_SUB_FUNCTION)
        params = call.params
        sender, receiver = params.get("fromEmail"), params.get("toEmail")
        if sender and receiver:
            raise BinanceError(-1128, "Combination of optional parameters invalid.")
        start, end = int_param(params, "startTime"), int_param(params, "endTime")
        if start is None and end is None:
            start, end = call.now_ms - UNIVERSAL_SPAN_MS + 1, call.now_ms
        low, high = start if start is not None else 0, end if end is not None else call.now_ms
        check_span(low, high, UNIVERSAL_SPAN_MS - 1)
        chosen = [
            r
            for r in self.script.universal
            if low <= r["createTimeStamp"] <= high
            and (r["toEmail"] == receiver if receiver else r["fromEmail"] == (sender or MASTER_EMAIL))
        ]
        chosen.sort(key=lambda r: -int(r["createTimeStamp"]))
        page, limit = int_param(params, "page") or 1, limit_param(params, 500, 500)
        return {"result": chosen[(page - 1) * limit : page * limit], "totalCount": len(chosen)}

    def spot_transfers(self, call: Call) -> list[Json]:
        if self.script.role != MASTER:
            raise BinanceError(*NO_SUB_FUNCTION)
        params = call.params
        sender, receiver = params.get("fromEmail"), params.get("toEmail")
        if sender and receiver:
            raise BinanceError(-1128, "Combination of optional parameters invalid.")
        low, high = int_param(params, "startTime") or 0, int_param(params, "endTime") or call.now_ms
        spot_universal = [
            _spot(r["fromEmail"], r["toEmail"], r["amount"], r["tranId"], r["createTimeStamp"])
            for r in self.script.universal
            if (r["fromAccountType"], r["toAccountType"]) == ("SPOT", "SPOT")
        ]
        chosen = [
            r
            for r in (*spot_universal, *self.script.spot_only)
            if low <= r["time"] <= high and (r["to"] == receiver if receiver else r["from"] == (sender or MASTER_EMAIL))
        ]
        chosen.sort(key=lambda r: -int(r["time"]))
        page, limit = int_param(params, "page") or 1, limit_param(params, 500, 500)
        return chosen[(page - 1) * limit : page * limit]
