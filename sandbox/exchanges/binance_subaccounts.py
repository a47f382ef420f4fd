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

- ``GET /sapi/v1/sub-account/futures/internalTransfer`` (Query Sub-account Futures Asset Transfer History, For
  Master Account; weight 1 IP): ``email`` and ``futuresType`` (1 USDT-margined, 2 coin-margined) mandatory (-1102, as
  every missing mandatory parameter); ``startTime`` "Cannot be earlier than 1 month ago" (zh-CN: "只能查询近一个月内
  历史纪录"): one calendar month before now, an earlier start refused with -1130 (the page names no code: the spot
  errors' "Data sent for parameter '%s' is not valid."), no start: from that month's start; ``page`` (default 1),
  ``limit`` (default 50, max 500); ``{"success": true, "futuresType": n, "transfers": [{from, to, asset, qty, tranId,
  time}]}``, the sub-account's moves both ways (the example lists bbb@test.com as receiver and as sender), newest
  first (no order stated). Its rows are those of its own mechanism, ``POST /sapi/v1/sub-account/futures/
  internalTransfer`` (Sub-account Futures Asset Transfer: ``fromEmail``, ``toEmail``, ``futuresType``, ``asset``,
  ``amount``), as the universal history's are those of ``POST /sapi/v1/sub-account/universalTransfer``. No page
  says whether a universal move between futures wallets is listed here too, nor under which id: the emulator claims
  no such overlap and lists each scripted move in the history of the mechanism that made it.

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

The master's futures wallets, for the roles "master-futures" (its sub-accounts created 25 days back) and
"master-old-futures" (created 45 days back, as the plain master's); ``with_master_futures`` folds what they moved
into the emulator's ``/fapi`` and ``/dapi`` balances (the "master-futures" rows are "master-old-futures"'s too; both
have the plain master's spot moves):

| role | days | row | this account's futures |
| --- | --- | --- | --- |
| master-futures | 22 | alice's USDⓈ-M wallet to the master's, futures list | +750 USDT (USDⓈ-M) |
| master-futures | 14 | the master's USDⓈ-M wallet to bob's, futures list | -200 USDT (USDⓈ-M) |
| master-futures | 11 | alice to bob, USDⓈ-M, futures list (not the master's money) | – |
| master-futures | 9 | the master's USDT_FUTURE to alice's, a universal transfer: universal list only | -120 USDT |
| master-futures | 6 | bob's COIN-M wallet to the master's, futures list | +0.015 BTC (COIN-M) |
| master-old-futures | 40 | alice's COIN-M wallet to the master's: older than the list's month | +0.04 BTC (COIN-M) |
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sandbox.exchanges.base import DAY_MS
from sandbox.exchanges.binance_book import (
    BinanceError,
    Call,
    check_span,
    int_param,
    limit_param,
    mandatory,
    mandatory_int,
)
from sandbox.exchanges.binance_futures import COINM, USDM, FuturesScript
from sandbox.exchanges.records import DepositRecord

Json = dict[str, Any]
NO_SUB_FUNCTION = (-8012, "Sub-account function is not enabled.")
SUB_ONLY = (-12022, "This endpoint is allowed to request from sub account only")
SUB, MASTER = "sub", "master"
MASTER_FUTURES = "master-futures"  # a master that also moved futures money with its sub-accounts (created 25 days back)
MASTER_OLD_FUTURES = "master-old-futures"  # the same, its sub-accounts 45 days old, one futures move of 40 days
MASTER_EMAIL, ALICE, BOB = "owner@example.com", "alice_virtual@example.com", "bob_virtual@example.com"
THIS_SUB = "carol_virtual@example.com"
UNIVERSAL_SPAN_MS = 7 * DAY_MS  # "must be less than 7 days"
SUB_HISTORY_DEFAULT_MS = 30 * DAY_MS
FUTURES_TYPES = {1: USDM, 2: COINM}  # "1:USDT-margined Futures, 2: Coin-margined Futures"
FUTURES_ACCOUNTS = {"USDT_FUTURE": 1, "COIN_FUTURE": 2}  # the universal history's futures wallets


@dataclass(frozen=True)
class SubAccountScript:
    role: str  # "": neither a master with sub-accounts nor a sub-account
    sub_history: tuple[Json, ...] = ()
    universal: tuple[Json, ...] = ()
    spot_only: tuple[Json, ...] = ()  # moves the spot transfer list shows and the universal one does not
    futures: tuple[Json, ...] = ()  # moves made by the futures transfer (its list's rows), each with its `futuresType`
    subs: tuple[str, ...] = ()
    deposits: tuple[DepositRecord, ...] = ()
    created_ms: int = 1544433328000  # the sub-accounts' createTime (the list's example value unless scripted)

    def spot_change(self) -> dict[str, Decimal]:
        """What the lists moved in or out of this account's spot wallet (completed transfers only)."""
        change: dict[str, Decimal] = {}

        def add(asset: str, amount: Decimal) -> None:
            change[asset] = change.get(asset, Decimal(0)) + amount

        for row in self.sub_history:
            if row["status"] == "SUCCESS":
                add(row["asset"], (1 if row["type"] == 1 else -1) * Decimal(row["qty"]))
        for row in self.universal:
            if row["status"] == "SUCCESS":
                for wallet, sign in _master_sides(row, row["fromEmail"], row["toEmail"]):
                    if wallet == "SPOT":
                        add(row["asset"], sign * Decimal(row["amount"]))
        for row in self.spot_only:
            if row["status"] == "SUCCESS":
                for _, sign in _master_sides(row, row["from"], row["to"]):
                    add(row["asset"], sign * Decimal(row["qty"]))
        for deposit in self.deposits:
            add(deposit.asset, deposit.amount)
        return change

    def futures_change(self) -> dict[str, dict[str, Decimal]]:
        """What the lists moved in or out of the master's USDⓈ-M and COIN-M wallets, per product and asset."""
        change: dict[str, dict[str, Decimal]] = {}

        def add(kind: int, asset: str, amount: Decimal) -> None:
            wallet = change.setdefault(FUTURES_TYPES[kind], {})
            wallet[asset] = wallet.get(asset, Decimal(0)) + amount

        for row in self.universal:
            for account, sign in _master_sides(row, row["fromEmail"], row["toEmail"]):
                if account in FUTURES_ACCOUNTS and row["status"] == "SUCCESS":
                    add(FUTURES_ACCOUNTS[account], row["asset"], sign * Decimal(row["amount"]))
        for row in self.futures:
            for _, sign in _master_sides(row, row["from"], row["to"]):
                add(row["futuresType"], row["asset"], sign * Decimal(row["qty"]))
        return change


def _master_sides(row: Json, sender: str, receiver: str) -> list[tuple[str, int]]:
    """The master's wallet a row takes from (-1) or pays into (+1), if the master is a side of it."""
    sides = []
    if sender == MASTER_EMAIL:
        sides.append((str(row.get("fromAccountType", "SPOT")), -1))
    if receiver == MASTER_EMAIL:
        sides.append((str(row.get("toAccountType", "SPOT")), 1))
    return sides


def with_master_futures(base: FuturesScript | None, script: SubAccountScript) -> FuturesScript | None:
    """The futures script whose wallets hold what the sub-account lists moved (a bare one if the account had none)."""
    change = script.futures_change()
    if not change:
        return base
    futures = base or FuturesScript(fills=(), income=(), wallets={USDM: {}, COINM: {}}, deposits=())
    wallets = {product: dict(futures.wallets.get(product, {})) for product in (USDM, COINM)}
    for product, moved in change.items():
        for asset, amount in moved.items():
            wallets[product][asset] = wallets[product].get(asset, Decimal(0)) + amount
    return replace(futures, wallets=wallets)


def month_before(ms: int) -> int:
    """The same moment one calendar month earlier (its day clamped to that month's last), in ms."""
    moment = datetime.fromtimestamp(ms / 1000, UTC)
    year, month = (moment.year, moment.month - 1) if moment.month > 1 else (moment.year - 1, 12)
    day = moment.day
    while True:
        try:
            earlier = moment.replace(year=year, month=month, day=day)
            break
        except ValueError:
            day -= 1
    return ms - (moment - earlier) // timedelta(milliseconds=1)


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
    if role in (MASTER, MASTER_FUTURES, MASTER_OLD_FUTURES):
        universal: tuple[Json, ...] = (
            _universal(MASTER_EMAIL, ALICE, "300", next(tran), ago(16)),
            _universal(ALICE, MASTER_EMAIL, "120", next(tran), ago(8)),
            _universal(ALICE, BOB, "50", next(tran), ago(5)),
        )
        spot_only = (_spot(BOB, MASTER_EMAIL, "70", next(tran), ago(12)),)
        funded = DepositRecord("7700301", f"{0xCD:064x}", "USDT", "TRX", Decimal(1000), "master-dep", ago(20))
        created = ago(45)
        futures: tuple[Json, ...] = ()
        if role != MASTER:
            # Made by the universal transfer: its history lists it; no page says the futures list does too.
            between_futures = {"fromAccountType": "USDT_FUTURE", "toAccountType": "USDT_FUTURE"}
            universal += (_universal(MASTER_EMAIL, ALICE, "120", next(tran), ago(9)) | between_futures,)
            futures = (
                _futures(1, ALICE, MASTER_EMAIL, "USDT", "750") | {"tranId": next(tran), "time": ago(22)},
                _futures(1, MASTER_EMAIL, BOB, "USDT", "200") | {"tranId": next(tran), "time": ago(14)},
                _futures(1, ALICE, BOB, "USDT", "90") | {"tranId": next(tran), "time": ago(11)},
                _futures(2, BOB, MASTER_EMAIL, "BTC", "0.015") | {"tranId": next(tran), "time": ago(6)},
            )
        if role == MASTER_FUTURES:
            created = ago(25)
        if role == MASTER_OLD_FUTURES:
            futures += (_futures(2, ALICE, MASTER_EMAIL, "BTC", "0.04") | {"tranId": next(tran), "time": ago(40)},)
        return SubAccountScript(
            MASTER,
            universal=universal,
            spot_only=spot_only,
            futures=futures,
            subs=(ALICE, BOB),
            deposits=(funded,),
            created_ms=created,
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


def _futures(kind: int, sender: str, receiver: str, asset: str, qty: str) -> Json:
    """A futures transfer row less its `tranId` and `time`; `futuresType` says which list holds it (not sent)."""
    return {"futuresType": kind, "from": sender, "to": receiver, "asset": asset, "qty": qty}


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
            ("/sapi/v1/sub-account/futures/internalTransfer", self.futures_transfers),
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

    def futures_transfers(self, call: Call) -> Json:
        if self.script.role != MASTER:
            raise BinanceError(*NO_SUB_FUNCTION)
        params = call.params
        email, kind = mandatory(params, "email"), mandatory_int(params, "futuresType")
        if kind not in FUTURES_TYPES:
            raise BinanceError(-1130, "Data sent for parameter 'futuresType' is not valid.")
        reach = month_before(call.now_ms)
        start, end = int_param(params, "startTime"), int_param(params, "endTime")
        if start is not None and start < reach:
            raise BinanceError(-1130, "Data sent for parameter 'startTime' is not valid.")
        low, high = start if start is not None else reach, end if end is not None else call.now_ms
        chosen = [
            r
            for r in self.script.futures
            if r["futuresType"] == kind and email in (r["from"], r["to"]) and low <= r["time"] <= high
        ]
        chosen.sort(key=lambda r: -int(r["time"]))
        page, limit = int_param(params, "page") or 1, limit_param(params, 50, 500)
        rows = [{k: v for k, v in r.items() if k != "futuresType"} for r in chosen[(page - 1) * limit : page * limit]]
        return {"success": True, "futuresType": kind, "transfers": rows}
