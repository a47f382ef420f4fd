"""Binance's dust, P2P, Pay, fiat and Simple Earn endpoints over a scripted extension of the account.

Each route answers as the page docs/exchange-apis/binance.md names for it: parameters, ranges, reach, page sizes,
envelopes and weights. The extension (`WalletKindsScript`, opt in with ``BinanceEmulator(wallet_kinds=True)``)
holds one account's worth of every kind, with fixed amounts written out below so a test can state its ground truth by
hand; the seed only picks the ids. Without it every list answers empty and the Simple Earn wallet holds nothing.

The ground truth a full sync must store, and the wallets it leaves (days before the account's `now_ms`):

| days | kind | wallet | what |
| --- | --- | --- | --- |
| 40 | fiat deposit, Successful | spot | 500.00 EUR asked, 1.50 fee, 498.50 credited |
| 39 | fiat deposit, Failed | – | 300.00 EUR, never credited (never stored) |
| 38 | fiat payment, Cash Balance | spot | 200.00 EUR for 0.0033 BTC at 60000.00, fee 2.00 EUR |
| 37 | fiat payment, Credit Card | spot | 50.00 EUR (paid by card) for 0.0196 ETH at 2500.00, fee 1.00 EUR |
| 35 | P2P BUY, COMPLETED | funding | 100 USDT for 92.00 EUR at 0.92, commission 0 |
| 30 | dust | spot | 0.0006 ETH -> 0.00245 BNB (charge 0.00005); 0.00003 BTC -> 0.00294 BNB (charge 0.00006) |
| 28 | Simple Earn | earn | 0.01 ETH in a flexible product, 0.001 BTC in a locked one (taken from spot) |
| 25 | P2P BUY, CANCELLED | – | never stored |
| 20 | P2P SELL, COMPLETED | funding | 30 USDT for 27.90 EUR at 0.93, commission 0.03 USDT |
| 15 | Pay, received (C2C) | funding | +15.00 USDT from a user |
| 12 | Pay, sent (PAY) | funding | -20.00 USDT to a merchant |
| 10 | fiat withdrawal, Finished | spot | 100.00 EUR taken: 99.00 sent, 1.00 fee |
| 2 | P2P BUY, TRADING until `complete_p2p()` | funding | 50 USDT for 46.00 EUR at 0.92 |
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from sandbox.exchanges.base import DAY_MS
from sandbox.exchanges.binance_book import BinanceError, Call, check_span, int_param, limit_param, mandatory
from sandbox.exchanges.binance_limits import Bucket
from sandbox.exchanges.records import fixed8

Json = dict[str, Any]
Handler = Callable[[Call], object]
Route = tuple[str, int, Bucket, Handler, str]  # path, weight, budget, handler, HTTP method

P2P_WINDOW_MS = 30 * DAY_MS
P2P_REACH_MS = 183 * DAY_MS  # "You can only view data from the past 6 months"
PAY_WINDOW_MS = 90 * DAY_MS
PAY_REACH_MS = 548 * DAY_MS  # "Support for querying orders within the last 18 months"
FIAT_DEFAULT_MS = 30 * DAY_MS  # "If beginTime and endTime are not sent, the recent 30-day data will be returned"
DUST_LOG_START_MS = 1_606_780_800_000  # 2020-12-01T00:00:00Z: "Only return records after 2020/12/01"
DUST_LAST = 100  # "Only return last 100 records"
UID = 354937868  # the account's uid, as /api/v3/account reports it


def _ok(data: object, total: int | None = None) -> Json:
    """The C2C, Pay and fiat envelope: code "000000", message "success", `total` where the list has one."""
    counted = {} if total is None else {"total": total}
    return {"code": "000000", "message": "success", "data": data, **counted, "success": True}


@dataclass(frozen=True)
class P2POrder:
    number: str
    trade_type: str
    asset: str
    amount: str
    total: str
    unit: str
    commission: str
    role: str
    status: str
    at: int

    def wire(self) -> Json:
        return {
            "orderNumber": self.number,
            "advNo": str(int(self.number) // 3),
            "tradeType": self.trade_type,
            "asset": self.asset,
            "fiat": "EUR",
            "fiatSymbol": "€",
            "amount": self.amount,
            "totalPrice": self.total,
            "unitPrice": self.unit,
            "orderStatus": self.status,
            "createTime": self.at,
            "commission": self.commission,
            "counterPartNickName": "Mar***",
            "advertisementRole": self.role,
        }


@dataclass(frozen=True)
class WalletKindsScript:
    """The scripted records, in Binance's wire format (amounts as Binance writes them)."""

    dust: tuple[Json, ...]
    p2p: tuple[P2POrder, ...]
    pay: tuple[Json, ...]
    fiat_orders: Mapping[str, tuple[Json, ...]]  # transactionType "0" deposits, "1" withdrawals
    fiat_payments: Mapping[str, tuple[Json, ...]]  # transactionType "0" buys, "1" sells
    flexible: tuple[Json, ...]
    locked: tuple[Json, ...]

    @classmethod
    def of(cls, seed: int, now_ms: int, scripted: bool) -> WalletKindsScript:
        """The scripted records, or none (an account that never used these kinds)."""
        if scripted:
            return cls.scripted(seed, now_ms)
        return cls((), (), (), {"0": (), "1": ()}, {"0": (), "1": ()}, (), ())

    @classmethod
    def scripted(cls, seed: int, now_ms: int) -> WalletKindsScript:
        rng = random.Random(f"binance-wallet-kinds-{seed}")  # noqa: S311 - scripted ids, not secrets

        def ago(days: int) -> int:
            return now_ms - days * DAY_MS + rng.randrange(3_600_000)

        def number() -> str:
            return str(rng.randrange(10**19, 10**20))

        def uuid() -> str:
            return f"{rng.getrandbits(128):032x}"

        dust_at, dust_id = ago(30), rng.randrange(10**10, 10**11)
        details = [("ETH", "0.0006", "0.00245", "0.00005"), ("BTC", "0.00003", "0.00294", "0.00006")]
        dust = {
            "operateTime": dust_at,
            "totalTransferedAmount": "0.00539",
            "totalServiceChargeAmount": "0.00011",
            "transId": dust_id,
            "userAssetDribbletDetails": [
                {
                    "transId": dust_id,
                    "serviceChargeAmount": charge,
                    "amount": amount,
                    "operateTime": dust_at,
                    "transferedAmount": bnb,
                    "fromAsset": asset,
                }
                for asset, amount, bnb, charge in details
            ],
        }
        p2p = (
            P2POrder(
                number(), "BUY", "USDT", "100.00000000", "92.00000000", "0.92", "0", "TAKER", "COMPLETED", ago(35)
            ),
            P2POrder(number(), "BUY", "USDT", "80.00000000", "73.60000000", "0.92", "0", "TAKER", "CANCELLED", ago(25)),
            P2POrder(
                number(), "SELL", "USDT", "30.00000000", "27.90000000", "0.93", "0.03", "MAKER", "COMPLETED", ago(20)
            ),
            P2POrder(number(), "BUY", "USDT", "50.00000000", "46.00000000", "0.92", "0", "TAKER", "TRADING", ago(2)),
        )
        pay = (
            _pay(number(), "C2C", ago(15), "15.00", {"name": "Alice", "type": "USER", "accountId": 212371201}),
            _pay(number(), "PAY", ago(12), "-20.00", {"name": "Coffee Shop", "type": "MERCHANT"}),
        )
        orders = {
            "0": (
                _fiat_order(uuid(), ago(40), "500.00", "498.50", "1.50", "Successful"),
                _fiat_order(uuid(), ago(39), "300.00", "300.00", "0.00", "Failed"),
            ),
            "1": (_fiat_order(uuid(), ago(10), "100.00", "99.00", "1.00", "Finished"),),
        }
        payments = {
            "0": (
                _fiat_payment(uuid(), ago(38), "200.00", "0.0033", "BTC", "2.00", "60000.00", "Cash Balance"),
                _fiat_payment(uuid(), ago(37), "50.00", "0.0196", "ETH", "1.00", "2500.00", "Credit Card"),
            ),
            "1": (),
        }
        earn_at = ago(28)
        flexible = ({"asset": "ETH", "productId": "ETH001", "totalAmount": "0.01000000", "canRedeem": True},)
        locked = (
            {"positionId": rng.randrange(10**6, 10**7), "asset": "BTC", "amount": "0.001", "purchaseTime": earn_at},
        )
        return cls((dust,), p2p, pay, orders, payments, flexible, locked)


def _pay(ident: str, order_type: str, at: int, amount: str, other: Json) -> Json:
    income = not amount.startswith("-")
    me = {"binanceId": UID}
    return {
        "orderType": order_type,
        "transactionId": ident,
        "transactionTime": at,
        "amount": amount,
        "currency": "USDT",
        "walletType": 1,
        "walletTypes": [1],
        "fundsDetail": [
            {"currency": "USDT", "amount": amount.lstrip("-"), "walletAssetCost": [{"1": amount.lstrip("-")}]}
        ],
        "payerInfo": other if income else me,
        "receiverInfo": me if income else other,
    }


def _fiat_order(ident: str, at: int, asked: str, credited: str, fee: str, status: str) -> Json:
    return {
        "orderNo": ident,
        "fiatCurrency": "EUR",
        "indicatedAmount": asked,
        "amount": credited,
        "totalFee": fee,
        "method": "BankAccount",
        "status": status,
        "createTime": at,
        "updateTime": at + 3_600_000,
    }


def _fiat_payment(ident: str, at: int, fiat: str, coins: str, coin: str, fee: str, price: str, method: str) -> Json:
    return {
        "orderNo": ident,
        "sourceAmount": fiat,
        "fiatCurrency": "EUR",
        "obtainAmount": coins,
        "cryptoCurrency": coin,
        "totalFee": fee,
        "price": price,
        "status": "Completed",
        "paymentMethod": method,
        "createTime": at,
        "updateTime": at + 60_000,
    }


class WalletKindsBook:
    """Serves the extension; `spot_change`/`funding_change` say what it adds to those wallets."""

    def __init__(self, script: WalletKindsScript) -> None:
        self.script = script

    def complete_p2p(self) -> None:
        """The pending P2P order completes (the seller released the coins)."""
        orders = tuple(replace(o, status="COMPLETED") if o.status == "TRADING" else o for o in self.script.p2p)
        self.script = replace(self.script, p2p=orders)

    def routes(self) -> tuple[Route, ...]:
        return (
            ("/sapi/v1/asset/dribblet", 1, "sapi_ip", self.dust_log, "GET"),
            ("/sapi/v1/c2c/orderMatch/listUserOrderHistory", 1, "sapi_ip", self.c2c_history, "GET"),
            ("/sapi/v1/pay/transactions", 3_000, "sapi_uid", self.pay_history, "GET"),
            ("/sapi/v1/fiat/orders", 45_000, "sapi_uid", self.fiat_orders, "GET"),
            ("/sapi/v1/fiat/payments", 1, "sapi_ip", self.fiat_payments, "GET"),
            ("/sapi/v1/simple-earn/flexible/position", 150, "sapi_ip", self.flexible_position, "GET"),
            ("/sapi/v1/simple-earn/locked/position", 150, "sapi_ip", self.locked_position, "GET"),
        )

    # -- balances -----------------------------------------------------------------------------------------------

    def wrapped(self, path: str, handler: Handler) -> Handler:
        """An existing route's handler, with the extension's coins in the wallet it answers for."""
        if path == "/api/v3/account":
            return self.account_info(handler)
        if path == "/sapi/v1/asset/get-funding-asset":
            return self.funding_assets(handler)
        return handler

    def spot_change(self) -> dict[str, Decimal]:
        change: dict[str, Decimal] = {}

        def add(asset: str, amount: Decimal) -> None:
            change[asset] = change.get(asset, Decimal(0)) + amount

        for row in self.script.fiat_orders["0"]:
            if row["status"] == "Successful":
                add("EUR", Decimal(row["amount"]))
        for row in self.script.fiat_orders["1"]:
            add("EUR", -Decimal(row["indicatedAmount"]))
        for row in self.script.fiat_payments["0"]:
            if row["paymentMethod"] == "Cash Balance":
                add("EUR", -Decimal(row["sourceAmount"]))
            add(str(row["cryptoCurrency"]), Decimal(row["obtainAmount"]))
        for group in self.script.dust:
            for detail in group["userAssetDribbletDetails"]:
                add(str(detail["fromAsset"]), -Decimal(detail["amount"]))
                add("BNB", Decimal(detail["transferedAmount"]))
        for row in self.script.flexible:
            add(str(row["asset"]), -Decimal(row["totalAmount"]))
        for row in self.script.locked:
            add(str(row["asset"]), -Decimal(row["amount"]))
        return change

    def funding_change(self) -> dict[str, Decimal]:
        change: dict[str, Decimal] = {}
        for order in self.script.p2p:
            if order.status == "COMPLETED":
                moved = Decimal(order.amount) if order.trade_type == "BUY" else -Decimal(order.amount)
                change[order.asset] = change.get(order.asset, Decimal(0)) + moved - Decimal(order.commission)
        for row in self.script.pay:
            change[row["currency"]] = change.get(row["currency"], Decimal(0)) + Decimal(row["amount"])
        return change

    def account_info(self, inner: Handler) -> Handler:
        """/api/v3/account with the extension's spot changes applied."""

        def handle(call: Call) -> Json:
            body: Json = dict(inner(call))  # type: ignore[call-overload]
            held = {row["asset"]: dict(row) for row in body["balances"]}
            for asset, amount in self.spot_change().items():
                row = held.setdefault(asset, {"asset": asset, "free": "0", "locked": "0"})
                row["free"] = fixed8(Decimal(row["free"]) + amount)
            omit = call.params.get("omitZeroBalances") == "true"
            body["balances"] = [
                row for _, row in sorted(held.items()) if not omit or Decimal(row["free"]) + Decimal(row["locked"])
            ]
            return body

        return handle

    def funding_assets(self, inner: Handler) -> Handler:
        """POST /sapi/v1/asset/get-funding-asset with the extension's funding wallet (P2P and Pay settle there)."""

        def handle(call: Call) -> list[Json]:
            rows: list[Json] = list(inner(call))  # type: ignore[call-overload]
            for asset, amount in sorted(self.funding_change().items()):
                if amount:
                    zero = "0"
                    rows.append(
                        {"asset": asset, "free": fixed8(amount), "locked": zero, "freeze": zero, "withdrawing": zero}
                        | {"btcValuation": zero}
                    )
            return rows

        return handle

    # -- lists --------------------------------------------------------------------------------------------------

    def dust_log(self, call: Call) -> Json:
        start = max(int_param(call.params, "startTime") or DUST_LOG_START_MS, DUST_LOG_START_MS)
        end = int_param(call.params, "endTime") or call.now_ms
        chosen = [g for g in self.script.dust if start <= g["operateTime"] <= end]
        return {"total": len(chosen), "userAssetDribblets": chosen[-DUST_LAST:]}

    def c2c_history(self, call: Call) -> Json:
        trade_type = call.params.get("tradeType", "")
        if trade_type not in ("", "BUY", "SELL"):
            raise BinanceError(-1102, "Mandatory parameter 'tradeType' was not sent, was empty/null, or malformed.")
        start, end = self._range(call, "startTimestamp", "endTimestamp", P2P_WINDOW_MS)
        start = max(start, call.now_ms - P2P_REACH_MS)
        chosen = [
            o.wire()
            for o in sorted(self.script.p2p, key=lambda o: o.at, reverse=True)
            if start <= o.at <= end and trade_type in ("", o.trade_type)
        ]
        return _ok(*self._numbered(call, chosen, 100))

    def pay_history(self, call: Call) -> Json:
        start, end = self._range(call, "startTime", "endTime", PAY_WINDOW_MS)
        start = max(start, call.now_ms - PAY_REACH_MS)
        limit = limit_param(call.params, 100, 100)
        chosen = sorted(
            (r for r in self.script.pay if start <= r["transactionTime"] <= end),
            key=lambda r: int(r["transactionTime"]),
            reverse=True,
        )
        return _ok(chosen[:limit])

    def fiat_orders(self, call: Call) -> Json:
        return self._fiat(call, self.script.fiat_orders)

    def fiat_payments(self, call: Call) -> Json:
        return self._fiat(call, self.script.fiat_payments)

    def _fiat(self, call: Call, lists: Mapping[str, tuple[Json, ...]]) -> Json:
        kind = mandatory(call.params, "transactionType")
        if kind not in lists:
            raise BinanceError(
                -1102, "Mandatory parameter 'transactionType' was not sent, was empty/null, or malformed."
            )
        begin, end = int_param(call.params, "beginTime"), int_param(call.params, "endTime")
        if begin is None and end is None:
            begin, end = call.now_ms - FIAT_DEFAULT_MS, call.now_ms
        begin, end = begin or 0, end or call.now_ms
        chosen = sorted((r for r in lists[kind] if begin <= r["createTime"] <= end), key=lambda r: -r["createTime"])
        return _ok(*self._numbered(call, chosen, 500))

    def flexible_position(self, call: Call) -> Json:
        return self._positions(call, self.script.flexible)

    def locked_position(self, call: Call) -> Json:
        return self._positions(call, self.script.locked)

    @staticmethod
    def _positions(call: Call, rows: tuple[Json, ...]) -> Json:
        asset = call.params.get("asset")
        chosen = [r for r in rows if not asset or r["asset"] == asset]
        size = int_param(call.params, "size") or 10
        if not 1 <= size <= 100:
            raise BinanceError(-1130, "Data sent for parameter 'size' is not valid.")
        current = int_param(call.params, "current") or 1
        return {"rows": chosen[(current - 1) * size : current * size], "total": len(chosen)}

    @staticmethod
    def _range(call: Call, start_name: str, end_name: str, maximum_ms: int) -> tuple[int, int]:
        """Both ends or neither: the last `maximum_ms` by default; a longer range is refused."""
        start, end = int_param(call.params, start_name), int_param(call.params, end_name)
        if start is None:
            if end is None:
                return call.now_ms - maximum_ms, call.now_ms
            start = end - maximum_ms
        elif end is None:
            end = start + maximum_ms
        check_span(start, end, maximum_ms)
        return start, end

    @staticmethod
    def _numbered(call: Call, rows: list[Json], maximum: int) -> tuple[list[Json], int]:
        """`page` (from 1) and `rows` (default 100): the page's rows, and how many the range holds."""
        size = int_param(call.params, "rows") or 100
        if not 1 <= size <= maximum:
            raise BinanceError(-1130, "Data sent for parameter 'rows' is not valid.")
        number = int_param(call.params, "page") or 1
        return rows[(number - 1) * size : number * size], len(rows)
