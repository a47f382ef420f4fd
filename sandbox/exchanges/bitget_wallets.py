"""Bitget's other wallets and wallet lists over a scripted account: the funding (P2P), earn and bot accounts' assets,
BGB dust conversions and transfers between a main account and its sub-accounts.

Each page is Bitget's (docs/exchange-apis/bitget.md, "Other wallets and lists"):
- ``GET /api/v2/account/funding-assets`` (common/account/Funding-Assets): ``coin`` optional; ``data[]`` of ``coin``,
  ``available``, ``frozen``, ``usdtValue``; 10/s per UID.
- ``GET /api/v2/earn/account/assets`` (earn/account/Earn-Assets): ``coin`` optional; ``data[]`` of ``coin``,
  ``amount``; 10/s per UID.
- ``GET /api/v2/account/bot-assets`` (common/account/Bot-Assets): ``accountType`` ``futures`` or ``spot``
  (optional); ``data[]`` of ``coin``, ``available``, ``equity``, ``bonus``, ``frozen``, ``usdtValue``; 10/s per UID.
- ``GET /api/v2/convert/bgb-convert-records`` (common/bgb-convert/Get-BGB-Convert-Record): ``startTime`` and
  ``endTime`` optional, at most 90 days apart; ``limit`` default 20, at most 100; ``idLessThan``; ``data[]`` of
  ``orderId``, ``fromCoin``, ``fromAmount``, ``fromCoinPrice``, ``toCoin``, ``toAmount``, ``toCoinPrice``,
  ``feeDetail[]`` of ``feeCoin``, ``fee``, ``status``, ``ctime`` (the example's name; the table says ``ts``: both are
  served); 10/s per UID.
- the main-sub transfer lists (v2 and v3) and the sub-accounts' assets: ``bitget_sub_transfers``.
- ``GET /api/v2/earn/savings/records`` (earn/savings/Savings-Records): ``periodType`` required (``flexible``,
  ``fixed``), ``coin`` and ``orderType`` (``subscribe``, ``redeem``, ``pay_interest``, ``deduction``) optional, a range
  of at most three months (90 days here; the default start three months before the end), ``limit`` default 20, at
  most 100, ``idLessThan`` the last ``endId``; ``data.resultList`` of ``orderId``, ``coinName``, ``settleCoinName``,
  ``productType``, ``period``, ``productLevel``, ``amount``, ``ts``, ``orderType``, and ``data.endId``; 10/s per UID.
  The example's ``endId`` (456456456456) is not its row's ``orderId`` (123123123123): the emulator's ``endId`` is a
  number of its own (``_end_id``), so a reader that pages by the smallest ``orderId`` is caught.
  The generated account's rewards are served as flexible savings interest (``pay_interest``).

No page states how far back its lists reach: they serve two years, as the other v2 wallet lists (Bitget's help
pages). A range over 90 days or a ``limit`` over the maximum gets 40017, as elsewhere in the emulator.

The scripted account holds none of this until a test calls ``add_more_kinds(emulator.book)``, which adds, at fixed
amounts a reader can check by hand (days before the account's clock, after every event of the generated script):

- this account is a main account with two sub-accounts (``SUB_UIDS``); 21 days ago the first sends it 400 USDT and
  20 days ago the second 64.99837 ROOT (asked with ``subUid``: the sub-account sent them); 19 days ago this account
  sends the first 25 USDT (listed without ``subUid``), and 17 days ago the first sends the second 10 USDT (not this
  account's money). The first holds 15 USDT now, the second 0.5 ETH and 10 USDT (``subaccount-assets``); the second
  never received money from this account, so only that list names it (spot/account/Sub-Transfer: only the main
  account's key moves money between them, either way);
- 18 days ago, the ROOT is converted to BGB: the page's own example, 3.55072001 BGB before a fee of 0.07101441 BGB
  (64.99837 × 0.02954 / 0.54075 = 3.55072: ``toAmount`` is the value before the fee), so 3.4797056 BGB arrive;
- 15 days ago, 150 USDT go from spot to the funding account (a transfer record, ``fromType`` spot, ``toType`` p2p);
- 14 days ago, 200 USDT are subscribed to a flexible savings product (the earn account holds them) and 50 USDT fund a
  spot grid bot (the spot bot account holds them, ``equity`` 50): Tallybot reads no list of either, and neither
  changes the account's total; the savings subscription is listed (``subscribe``), and 7 days ago it pays 0.35 USDT
  interest into the earn account;
- 13 days ago, 100 USDT go into a 30-day fixed term, redeemed early 6 days ago: 0.02 USDT penalty interest
  (``deduction``), 99.98 USDT back to spot.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sandbox.exchanges.base import DAY_MS
from sandbox.exchanges.bitget_protocol import (
    SPOT_WINDOW_MS,
    Call,
    Json,
    below,
    invalid,
    limit_param,
    missing,
    spot_window,
)
from sandbox.exchanges.bitget_sub_transfers import PER_SECOND as SUB_TRANSFERS_PER_SECOND
from sandbox.exchanges.bitget_sub_transfers import SubTransfersBook
from sandbox.exchanges.records import RewardRecord, plain

D = Decimal
LOOKBACK_MS = 730 * DAY_MS  # as the other v2 wallet lists: two years (Bitget's help pages)
SUB_UIDS = ("6100000001", "6100000002")
FIRST_ID = 1_130_000_000_000_000_000  # 19 digits, as Bitget's, above every id the generated script gives
BOT_TYPES = ("futures", "spot")
PERIOD_TYPES = ("flexible", "fixed")
ORDER_TYPES = ("subscribe", "redeem", "pay_interest", "deduction")

PER_SECOND = {
    "/api/v2/account/funding-assets": 10,  # common/account/Funding-Assets
    "/api/v2/earn/account/assets": 10,  # earn/account/Earn-Assets
    "/api/v2/account/bot-assets": 10,  # common/account/Bot-Assets
    "/api/v2/convert/bgb-convert-records": 10,  # common/bgb-convert/Get-BGB-Convert-Record
    "/api/v2/earn/savings/records": 10,  # earn/savings/Savings-Records
    **SUB_TRANSFERS_PER_SECOND,
}


@dataclass
class MoreKinds:
    """What a test added: wallets' holdings per coin, the rows each list serves, and spot's change."""

    funding: dict[str, Decimal] = field(default_factory=dict)
    earn: dict[str, Decimal] = field(default_factory=dict)
    bots: dict[str, dict[str, Decimal]] = field(default_factory=dict)  # accountType -> coin -> equity
    dust: list[Json] = field(default_factory=list)
    sub_main: list[Json] = field(default_factory=list)  # v2 main-sub transfer rows
    unified_sub_main: list[Json] = field(default_factory=list)  # v3 rows, of a unified account
    subs: dict[str, dict[str, Decimal]] = field(default_factory=dict)  # sub-account uid -> coin -> spot holding
    transfers: list[Json] = field(default_factory=list)  # transferRecords rows (spot <-> p2p)
    savings: list[Json] = field(default_factory=list)  # savings records beside the generated rewards
    spot_change: dict[str, Decimal] = field(default_factory=dict)
    # A unified account's SPOT and OTHER financial records (bitget_uta_derivatives serves and counts them).
    uta_records: dict[str, list[Json]] = field(default_factory=dict)
    # A unified account's change beside its records, in its unified and its funding account (bitget_uta).
    uta_change: dict[str, Decimal] = field(default_factory=dict)
    uta_funding: dict[str, Decimal] = field(default_factory=dict)

    def move_spot(self, coin: str, amount: Decimal) -> None:
        self.spot_change[coin] = self.spot_change.get(coin, D(0)) + amount


class BitgetWalletsBook:
    """Serves the added wallets and lists (empty until `add_more_kinds`), and the generated account's rewards as
    flexible savings interest."""

    def __init__(self, uid: str, rewards: Callable[[], Sequence[RewardRecord]] = tuple) -> None:
        self.uid = uid
        self.kinds = MoreKinds()
        self.rewards = rewards
        kinds = self.kinds
        self.sub_transfers = SubTransfersBook(
            uid, lambda: kinds.sub_main, lambda: kinds.unified_sub_main, lambda: kinds.subs
        )

    def routes(self) -> tuple[tuple[str, Any], ...]:
        return (
            ("/api/v2/account/funding-assets", self.funding_assets),
            ("/api/v2/earn/account/assets", self.earn_assets),
            ("/api/v2/account/bot-assets", self.bot_assets),
            ("/api/v2/convert/bgb-convert-records", self.bgb_convert_records),
            ("/api/v2/earn/savings/records", self.savings_records),
            *self.sub_transfers.routes(),
        )

    # -- wallets --------------------------------------------------------------------------------------------

    def funding_assets(self, call: Call) -> list[Json]:
        coin = call.params.get("coin")
        return [
            {"coin": c, "available": plain(amount), "frozen": "", "usdtValue": ""}
            for c, amount in sorted(self.kinds.funding.items())
            if amount and coin in (None, "", c)
        ]

    def earn_assets(self, call: Call) -> list[Json]:
        coin = call.params.get("coin")
        return [
            {"coin": c, "amount": plain(amount)}
            for c, amount in sorted(self.kinds.earn.items())
            if amount and coin in (None, "", c)
        ]

    def bot_assets(self, call: Call) -> list[Json]:
        kind = call.params.get("accountType", "")
        if kind and kind not in BOT_TYPES:
            raise invalid()
        rows = []
        for account_type in BOT_TYPES:
            if kind not in ("", account_type):
                continue
            for c, equity in sorted(self.kinds.bots.get(account_type, {}).items()):
                row = {"coin": c, "available": plain(equity), "equity": plain(equity), "bonus": "0", "frozen": "0"}
                rows.append({**row, "usdtValue": ""})
        return rows

    # -- lists ----------------------------------------------------------------------------------------------

    def bgb_convert_records(self, call: Call) -> list[Json]:
        p = call.params
        limit = limit_param(p, 20, 100)
        start, end = spot_window(p, call.now_ms, LOOKBACK_MS, required=False, max_span_ms=SPOT_WINDOW_MS)
        chosen = [row for row in self.kinds.dust if start <= int(row["ctime"]) <= end]
        return [dict(row) for row in below(chosen, lambda row: int(row["orderId"]), p, limit)]

    def savings_records(self, call: Call) -> Json:
        p = call.params
        period = p.get("periodType", "")
        if not period:
            raise missing("periodType")
        if period not in PERIOD_TYPES:
            raise invalid()
        kind, coin = p.get("orderType", ""), p.get("coin", "")
        if kind and kind not in ORDER_TYPES:
            raise invalid()
        limit = limit_param(p, 20, 100)
        start, end = spot_window(p, call.now_ms, LOOKBACK_MS, required=False, max_span_ms=SPOT_WINDOW_MS)
        rows = [_interest(r) for r in self.rewards()] + self.kinds.savings
        chosen = [
            row
            for row in rows
            if row["productType"] == period
            and start <= int(row["ts"]) <= end
            and kind in ("", row["orderType"])
            and coin in ("", row["coinName"])
        ]
        page = [dict(row) for row in below(chosen, _end_id, p, limit)]
        return {"resultList": page, "endId": str(_end_id(page[-1])) if page else ""}

    def transfer_rows(self, coin: str, from_type: str, start: int, end: int) -> list[tuple[int, Json]]:
        """The added transferRecords rows of `coin` out of `from_type` (any when empty) in [start, end]."""
        return [
            (int(row["transferId"]), dict(row))
            for row in self.kinds.transfers
            if row["coin"] == coin and from_type in ("", row["fromType"]) and start <= int(row["ts"]) <= end
        ]


def _end_id(row: Json) -> int:
    """The savings list's own paging id, which is not the row's `orderId` (the page's example: `endId` 456456456456
    beside `orderId` 123123123123; what it is, the page does not say): here the record's time, then the last six
    digits of its `orderId`, so that it orders the list as time does."""
    return int(row["ts"]) * 1_000_000 + int(row["orderId"]) % 1_000_000


def _interest(reward: RewardRecord) -> Json:
    """A generated reward as flexible savings interest (its id and time, paid in its coin)."""
    return _savings(reward.id, "flexible", reward.asset, "pay_interest", reward.amount, reward.timestamp)


def _savings(ident: str, period: str, coin: str, kind: str, amount: Decimal, ts: int) -> Json:
    return {"orderId": ident, "coinName": coin, "settleCoinName": coin, "productType": period,
            "period": "" if period == "flexible" else "30", "productLevel": "normal", "amount": plain(amount),
            "ts": str(ts), "orderType": kind}  # fmt: skip


def add_more_kinds(wallets: BitgetWalletsBook, now_ms: int) -> MoreKinds:
    """Adds the module's scripted history and holdings (see the docstring) to `wallets`; returns them."""
    kinds, counter = wallets.kinds, iter(range(FIRST_ID + 1, FIRST_ID + 1_000))

    def at(days: int) -> int:
        return now_ms - days * DAY_MS

    def main_sub(coin: str, size: str, ts: int, sender: str, receiver: str) -> None:
        ident = str(next(counter))
        kinds.sub_main.append(
            {"coin": coin, "status": "Successful", "toType": "spot", "fromType": "spot", "size": size,
             "ts": str(ts), "clientOid": "", "transferId": ident, "newTransferId": ident,
             "fromUserId": sender, "toUserId": receiver}
        )  # fmt: skip
        if wallets.uid in (sender, receiver):
            kinds.move_spot(coin, D(size) if receiver == wallets.uid else -D(size))

    first, second = SUB_UIDS
    main_sub("USDT", "400", at(21), first, wallets.uid)
    main_sub("ROOT", "64.99837", at(20), second, wallets.uid)
    main_sub("USDT", "25", at(19), wallets.uid, first)
    main_sub("USDT", "10", at(17), first, second)
    kinds.subs[first] = {"USDT": D(15)}
    kinds.subs[second] = {"ETH": D("0.5"), "USDT": D(10)}

    kinds.dust.append(
        {"orderId": str(next(counter)), "fromCoin": "ROOT", "fromAmount": "64.99837000", "fromCoinPrice": "0.02954000",
         "toCoin": "BGB", "toAmount": "3.55072001", "toCoinPrice": "0.54075000",
         "feeDetail": [{"feeCoin": "BGB", "fee": "0.07101441"}], "status": "success", "ctime": str(at(18)),
         "ts": str(at(18))}
    )  # fmt: skip
    kinds.move_spot("ROOT", -D("64.99837"))
    kinds.move_spot("BGB", D("3.55072001") - D("0.07101441"))

    ident = str(next(counter))
    kinds.transfers.append(
        {"coin": "USDT", "status": "Successful", "toType": "p2p", "toSymbol": "", "fromType": "spot",
         "fromSymbol": "", "size": "150", "ts": str(at(15)), "clientOid": "", "transferId": ident}
    )  # fmt: skip
    kinds.move_spot("USDT", -D(150))
    kinds.funding["USDT"] = kinds.funding.get("USDT", D(0)) + D(150)

    kinds.move_spot("USDT", -D(200))
    kinds.earn["USDT"] = kinds.earn.get("USDT", D(0)) + D(200)
    kinds.savings.append(_savings(str(next(counter)), "flexible", "USDT", "subscribe", D(200), at(14)))
    kinds.savings.append(_savings(str(next(counter)), "flexible", "USDT", "pay_interest", D("0.35"), at(7)))
    kinds.earn["USDT"] += D("0.35")
    # A 30-day fixed term of 100 USDT redeemed early: 0.02 USDT penalty interest, 99.98 back to spot.
    kinds.move_spot("USDT", -D(100))
    kinds.savings.append(_savings(str(next(counter)), "fixed", "USDT", "subscribe", D(100), at(13)))
    kinds.savings.append(_savings(str(next(counter)), "fixed", "USDT", "deduction", D("0.02"), at(6)))
    kinds.savings.append(_savings(str(next(counter)), "fixed", "USDT", "redeem", D("99.98"), at(6)))
    kinds.move_spot("USDT", D("99.98"))
    kinds.move_spot("USDT", -D(50))
    kinds.bots.setdefault("spot", {})["USDT"] = D(50)
    return kinds


def add_unified_dust(wallets: BitgetWalletsBook, coin: str, amount: Decimal, now_ms: int) -> list[Json]:
    """A unified account's small-asset conversion 18 days ago: `amount` of `coin` for BGB, the BGB conversion page's
    example amounts (3.55072001 before a fee of 0.07101441). uta/account/Get-Financial-Records lists it, category
    SPOT, as two records typed as uta/enum's "Tax type" names a small-asset conversion (the financial record type
    list names none): `amount` and `fee` each a balance change (docs/exchange-apis/bitget.md, "Readings where the
    docs are silent"). Returns the two records."""
    ts = str(now_ms - 18 * DAY_MS)
    out = {"category": "SPOT", "id": str(FIRST_ID + 900), "symbol": "", "coin": coin,
           "type": "SMALL_ASSET_SOURCE_TOKEN_USER_OUT", "amount": plain(-amount), "fee": "0", "ts": ts}  # fmt: skip
    into = {"category": "SPOT", "id": str(FIRST_ID + 901), "symbol": "", "coin": "BGB",
            "type": "SMALL_ASSET_TARGET_TOKEN_USER_IN", "amount": "3.55072001", "fee": "-0.07101441",
            "ts": ts}  # fmt: skip
    wallets.kinds.uta_records.setdefault("SPOT", []).extend([out, into])
    return [out, into]


def add_interest_payments(wallets: BitgetWalletsBook, coin: str, amount: Decimal, times: Sequence[int]) -> list[Json]:
    """Flexible savings interest of `amount` `coin` paid at each of `times` (ms) into the earn account: more records
    than one page holds, for a reader's paging. Returns the rows."""
    rows = []
    for n, ts in enumerate(times):
        rows.append(_savings(str(FIRST_ID + 2_000 + n), "flexible", coin, "pay_interest", amount, ts))
        wallets.kinds.earn[coin] = wallets.kinds.earn.get(coin, D(0)) + amount
    wallets.kinds.savings.extend(rows)
    return rows


def add_unified_main_sub(wallets: BitgetWalletsBook, now_ms: int) -> list[Json]:
    """A unified main account's moves with its two sub-accounts (``SUB_UIDS``) and between its own wallets, as
    uta/account/transfer/SubAccount-Transfer-Get lists them: 21 days ago the first sub-account sends it 300 USDT into
    its funding account; 16 days ago it moves 120 USDT from funding into the unified account (its own move, the
    page example's ``spot`` to ``uta``); 12 days ago it sends the second sub-account 40 USDT out of the unified
    account; 9 days ago the first sends the second 5 USDT (not this account's money). The funding account holds 180
    USDT after, the unified account 80 more. Returns the rows."""
    kinds, first, second = wallets.kinds, *SUB_UIDS

    def move(n: int, days: int, size: str, sender: str, receiver: str, from_type: str, to_type: str) -> Json:
        ident, ts = str(FIRST_ID + 500 + n), str(now_ms - days * DAY_MS)
        return {"transferId": ident, "fromType": from_type, "toType": to_type, "amount": size, "coin": "USDT",
                "fromUserId": sender, "toUserId": receiver, "status": "Successful", "clientOid": ident,
                "createdTime": ts, "updatedTime": ts, "oldTransferId": str(180_000_000 + n)}  # fmt: skip

    rows = [
        move(1, 21, "300", first, wallets.uid, "unified", "spot"),
        move(2, 16, "120", wallets.uid, wallets.uid, "spot", "uta"),
        move(3, 12, "40", wallets.uid, second, "unified", "spot"),
        move(4, 9, "5", first, second, "unified", "unified"),
    ]
    kinds.unified_sub_main.extend(rows)
    kinds.uta_funding["USDT"] = kinds.uta_funding.get("USDT", D(0)) + D(300) - D(120)
    kinds.uta_change["USDT"] = kinds.uta_change.get("USDT", D(0)) + D(120) - D(40)
    return rows
