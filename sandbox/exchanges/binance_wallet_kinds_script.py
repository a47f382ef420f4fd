"""The scripted extension of a Binance account that used every wallet kind (served by binance_wallet_kinds.py).

Amounts are fixed and written out here, so a test can state its ground truth by hand; the seed only picks the ids
and the minute of each record.

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
| 27, 26, 25 | Simple Earn reward, REALTIME | spot | 0.00000137 ETH each (flexible rewards list only) |
| 27, 26, 25 | Simple Earn locked reward | spot | 0.00000003 BTC each (locked rewards list) |
| 26 | Simple Earn boost reward | spot | 0.00001000 BNB of the BTC position (locked rewards list) |
| 29 | Simple Earn locked subscription | earn | 1.00000000 BNB in a 90-day product (taken from spot) |
| 28, 27 | Simple Earn locked reward | spot | 0.00020000 BNB each, of that BNB position |
| 26 | Simple Earn early redemption, PAID | spot | 0.99960000 BNB back: 1 less the 0.0004 of rewards paid |
| 26 | Simple Earn reward, BONUS | spot | 0.00000021 ETH (flexible rewards list, and the asset dividend list) |
| 24 | asset dividend debit (`direction` -1) | spot | -0.00000500 BNB (asset dividend list) |
| 25 | P2P BUY, CANCELLED | – | never stored |
| 20 | P2P SELL, COMPLETED | funding | 30 USDT for 27.90 EUR at 0.93, commission 0.03 USDT |
| 15 | Pay, received (C2C) | funding | +15.00 USDT from a user |
| 12 | Pay, sent (PAY) | funding | -20.00 USDT to a merchant |
| 10 | fiat withdrawal, Finished | spot | 100.00 EUR taken: 99.00 sent, 1.00 fee |
| 2 | P2P BUY, TRADING until `complete_p2p()` | funding | 50 USDT for 46.00 EUR at 0.92 |
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sandbox.exchanges.base import DAY_MS
from sandbox.exchanges.records import fixed8

Json = dict[str, Any]
UID = 354937868  # the account's uid, as /api/v3/account reports it


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
    earn_rewards: tuple[Json, ...] = ()  # flexible rewards history rows, BONUS and REALTIME
    dividends: tuple[Json, ...] = ()  # the BONUS ones as the asset dividend list shows them, and a debit
    locked_rewards: tuple[Json, ...] = ()  # locked rewards history rows, "Locked Rewards" and "Boost Rewards"
    redemptions: tuple[Json, ...] = ()  # locked redemption history rows (positions no longer held)

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
        flexible = (_flexible_position("ETH", "ETH001", "0.01000000"),)
        locked = (_locked_position(rng.randrange(10**6, 10**7), "BTC", "BTC*30", "0.001", earn_at),)
        realtime = [("REALTIME", days, "0.00000137") for days in (27, 26, 25)]
        rewards = tuple(
            {"asset": "ETH", "rewards": amount, "projectId": "ETH001", "type": kind, "time": ago(days)}
            for kind, days, amount in (*realtime, ("BONUS", 26, "0.00000021"))
        )
        dividends = tuple(
            {"id": rng.randrange(10**9, 10**10), "amount": r["rewards"], "asset": "ETH", "divTime": r["time"]}
            | {"enInfo": "Simple Earn Flexible Bonus Tiered APR Rewards", "tranId": rng.randrange(10**9, 10**10)}
            | {"direction": 1}
            for r in rewards
            if r["type"] == "BONUS"
        )
        held, early = locked[0]["positionId"], rng.randrange(10**6, 10**7)
        locked_rewards = (
            *(_locked_reward(held, "BTC", "0.00000003", "Locked Rewards", ago(days)) for days in (27, 26, 25)),
            _locked_reward(held, "BNB", "0.00001000", "Boost Rewards", ago(26)),
            *(_locked_reward(early, "BNB", "0.00020000", "Locked Rewards", ago(days)) for days in (28, 27)),
        )
        redemption = _early_redemption(early, rng.randrange(10**4, 10**5), "BNB", "1.00000000", "0.00040000", ago(26))
        # The page documents debits (`direction` -1, "Asset debited (outflow)") without naming what takes them: this
        # row's enInfo is the script's own words, not Binance's.
        debit = {"id": rng.randrange(10**9, 10**10), "amount": "0.00000500", "asset": "BNB", "divTime": ago(24)}
        debit |= {"enInfo": "BNB debit", "tranId": rng.randrange(10**9, 10**10), "direction": -1}
        return cls(
            (dust,), p2p, pay, orders, payments, flexible, locked, rewards, (*dividends, debit), locked_rewards,
            (redemption,),
        )  # fmt: skip


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
        "fundsDetail": [{"currency": "USDT", "amount": amount.lstrip("-")}],
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


def _flexible_position(asset: str, product: str, total: str) -> Json:
    """A row of GET /sapi/v1/simple-earn/flexible/position with every field of the documented example."""
    zero = "0"
    return {
        "totalAmount": total,
        "tierAnnualPercentageRate": {"0-5BTC": 0.05, "5-10BTC": 0.03},
        "latestAnnualPercentageRate": "0.02599895",
        "yesterdayAirdropPercentageRate": zero,
        "asset": asset,
        "airDropAsset": asset,
        "canRedeem": True,
        "collateralAmount": zero,
        "productId": product,
        "yesterdayRealTimeRewards": zero,
        "cumulativeBonusRewards": zero,
        "cumulativeRealTimeRewards": zero,
        "cumulativeTotalRewards": zero,
        "autoSubscribe": True,
    }


def _locked_position(position: int, asset: str, project: str, amount: str, at: int) -> Json:
    """A row of GET /sapi/v1/simple-earn/locked/position with every field of the documented example (times and
    day counts are strings there, the position ids numbers)."""
    day = 86_400_000
    return {
        "positionId": position,
        "parentPositionId": position - 1,
        "projectId": project,
        "asset": asset,
        "amount": amount,
        "purchaseTime": str(at),
        "duration": "30",
        "accrualDays": "28",
        "rewardAsset": asset,
        "APY": "0.0125",
        "rewardAmt": "0",
        "extraRewardAsset": "BNB",
        "extraRewardAPR": "0",
        "estExtraRewardAmt": "0",
        "nextPay": "0",
        "nextPayDate": str(at + 29 * day),
        "payPeriod": "1",
        "redeemAmountEarly": amount,
        "rewardsEndDate": str(at + 30 * day),
        "deliverDate": str(at + 31 * day),
        "redeemPeriod": "1",
        "redeemingAmt": "0",
        "redeemTo": "SPOT",
        "partialAmtDeliverDate": str(at + 31 * day),
        "canRedeemEarly": True,
        "canFastRedemption": False,
        "autoSubscribe": False,
        "type": "NORMAL",
        "status": "HOLDING",
        "canReStake": False,
    }


def _locked_reward(position: int, asset: str, amount: str, kind: str, at: int) -> Json:
    """A row of GET /sapi/v1/simple-earn/locked/history/rewardsRecord (its example's fields; "Boost Rewards" rows
    there carry no lockPeriod)."""
    period = {"lockPeriod": "30"} if kind == "Locked Rewards" else {}
    return {"positionId": position, "time": at, "asset": asset, **period, "amount": amount, "type": kind}


def _early_redemption(position: int, redeem: int, asset: str, original: str, loss: str, at: int) -> Json:
    """A row of GET /sapi/v1/simple-earn/locked/history/redemptionRecord: an early (AHEAD) redemption, paid, of
    `original` less `loss` (the rewards already received)."""
    returned = fixed8(Decimal(original) - Decimal(loss))
    return {
        "positionId": position,
        "redeemId": redeem,
        "time": at,
        "asset": asset,
        "lockPeriod": "90",
        "amount": returned,
        "originalAmount": original,
        "type": "AHEAD",
        "deliverDate": str(at + 86_400_000),
        "lossAmount": loss,
        "isComplete": True,
        "rewardAsset": asset,
        "rewardAmt": "0",
        "extraRewardAsset": "BNB",
        "estExtraRewardAmt": "0",
        "status": "PAID",
    }
