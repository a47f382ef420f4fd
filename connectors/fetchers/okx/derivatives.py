"""OKX v5 derivatives and margin: fills of perpetual swaps, expiry futures, options and margin, and the trading
account's bills that say what the fills do not (realized profit and loss, funding fees, interest). Each endpoint is
several lists, walked by fetcher.py one after the other, each with its own cursor (its market key below). Rules and
their sources: docs/exchange-apis/okx.md.

| endpoint | lists (cursor key) | reach |
| --- | --- | --- |
| FUTURES_TRADES | fills-history, instType SWAP, FUTURES, OPTION ("SWAP", ...) | 1 year |
|                | bills-archive, instType SWAP, FUTURES, OPTION ("SWAP-BILLS", ...) | 3 months |
| MARGIN_TRADES | fills-history, instType MARGIN ("") | 1 year |
| FUNDING | bills-archive, type 8 funding fee ("") | 3 months |
| MARGIN_LOANS | bills-archive, type 7 interest deduction ("") | 3 months |
|              | spot-borrow-repay-history ("LOANS") | none stated |
| EARN_REWARDS | asset bills-history, reward types ("") | since 2021-02-01 |
|              | savings lending-history ("SAVINGS") | 1 month |

Each bills-archive list's unreached range (before its three months) is read afterwards from OKX's quarterly files,
since 2021-02-01 (archive.py; cursor key "<list>:ARCHIVE", "ARCHIVE" for a list keyed "").

Pages of 100 (`limit`), newest first. fills-history and bills-archive page on `after` a billId with `begin`/`end`
on `ts`; the two lists without ids page on `after` a ts (borrow/repay history's includes the ts itself). A list's
reach is told as a gap only when the account shows use before it (signs.py).

Counting each amount once. A derivatives fill carries its fee (`fee`, negative when charged); the trading account's
bill of the same fill says what it did to the balance: `balChg` is the fee plus everything else (the documented
example: balChg 0.021933823221 = sz 0.021955779 + fee -0.000021955779). So the fill is stored with its fee and the
bill with `balChg - fee` as realized profit and loss (for swaps and futures that is the bill's `pnl`; for options it
also holds the premium paid or received). fills-history lists, besides order-book trades (subTypes 1-6), the fills of
block trades (204-209), spread trades (270-275) and moved positions (324-329) ("Transaction details (last 3
months)", `subType`): their bills (types 14 block trade, 24 spread trading, 32 move position) are read as a trade
bill is, and so is a bill of 3 delivery, 5 liquidation or 9 ADL whose subType fills-history lists (100-107, 110/111
liquidation, 112/113 delivery, 125-128 ADL: the page also says such fills' `tradeId` is negative, so they are in the
list with their fee). Bills of 10 clawback, 13 DDH, 34 settlement and the other delivery subtypes (117, 170-172) are
stored as realized profit and loss of `balChg - fee` with their own `fee`; so is a trade bill whose fill lay beyond
fills-history's year (fills_reach.py). Funding (type 8) and interest (type 7)
are stored as their change, signed.

Isolated positions. `balChg` is the change "at the account level" and `posBalChg` "at the position level": a bill of
an isolated position (`mgnMode` isolated) moves money between the two (opening: `balChg` = -margin + fee, `posBalChg`
= +margin), and its funding fees are settled into the position (`balChg` 0, the amount in `posBalChg`). The trading
wallet is read with the margin of open isolated positions (connectors/balances/okx.py), so such a bill's change to
the user's holding is `balChg + posBalChg`; a cross bill's is `balChg`. The quarterly files carry both columns.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from datetime import timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from connectors.fetchers.base import FetchReport
from connectors.fetchers.okx.feeds import Feed, Row, by_bill
from connectors.fetchers.okx.rows import Parsed, RowReader
from connectors.fetchers.windows import call
from connectors.profiles import Endpoint
from connectors.records import NormalizedRecord, RecordKind, exact, ms_to_utc, natural_key

# Get_Transaction_Details_Last_1_Year.md: "the last 1 year" (the spot fills' reach, connectors/profiles/catalog/okx.py).
FILLS_REACH = timedelta(days=365)
# Get_Bills_Details_Last_3_Months.md: "This endpoint can retrieve data from the last 3 months."
BILLS_ARCHIVE_REACH = timedelta(days=90)
DERIVATIVE_TYPES = ("SWAP", "FUTURES", "OPTION")
# Bill types of bills-archive (same page) that realize profit or loss. A fill of fills-history stands behind each of
# FILLED_BILLS and carries its fee: 2 trade, 14 block trade, 24 spread trading, 32 move position (fills-history's
# `subType` lists their subtypes 1-6, 204-209, 270-275, 324-329). UNFILLED_PNL_BILLS carry their own fee: 3 delivery,
# 5 liquidation, 9 ADL, 10 clawback, 13 DDH (131/132 ddh buy/sell, hedges OKX trades for the account: fills-history
# lists no such subtype), 34 settlement.
FILLED_BILLS = frozenset({"2", "14", "24", "32"})
UNFILLED_PNL_BILLS = frozenset({"3", "5", "9", "10", "13", "34"})
# Subtypes of bill types 3, 5 and 9 that fills-history's `subType` lists ("Transaction details (last 3 months)": 100-107
# partial liquidation and liquidation, 110/111 liquidation transfer in/out, 112/113 delivery long/short, 125-128 ADL):
# a fill with the fee stands behind such a bill too. 117 and 170-172 (delivery/exercise clawback, exercised,
# expired OTM) are not in that list, and keep their own fee.
FILLED_SUBTYPES = frozenset({*map(str, range(100, 108)), "110", "111", "112", "113", "125", "126", "127", "128"})
FUNDING_BILL = "8"
INTEREST_BILL = "7"


# Simple Earn Flexible, "GET / Lending history": "Return data in the past month."
LENDING_HISTORY_REACH = timedelta(days=30)
# Funding bill types of Simple Earn Flexible (Asset_Bills_Details.md): 75 subscription, 76 redemption.
SAVINGS_BILLS = frozenset({"75", "76"})


class Reads(StrEnum):
    """How a list's rows are read."""

    FILL = "fill"
    MARGIN_FILL = "margin_fill"
    PNL = "pnl"
    FUNDING = "funding"
    INTEREST = "interest"
    REWARD = "reward"
    SAVINGS_INTEREST = "savings_interest"
    LOAN = "loan"


def _fills(inst_type: str) -> Feed:
    params = {"instType": inst_type}
    return Feed("privateGetTradeFillsHistory", params, by_bill, True, time_filter=True, key="billId")


BILLS_ARCHIVE = "privateGetAccountBillsArchive"


def _bills(**params: str) -> Feed:
    return Feed(BILLS_ARCHIVE, params, by_bill, True, time_filter=True, key="billId")


def _loan_position(row: Mapping[str, Any]) -> Row:
    # A borrow/repay row has no id either: its currency, event type, time and amount name it.
    return Row(int(row["ts"]), f"{row['ccy']}:{row['type']}:{row['ts']}:{row['amt']}", int(row["ts"]))


# Get borrow/repay history (Spot mode): "auto_borrow", "manual_borrow", "auto_repay", "manual_repay".
LOAN_KINDS = {
    "auto_borrow": RecordKind.BORROW,
    "manual_borrow": RecordKind.BORROW,
    "auto_repay": RecordKind.REPAY,
    "manual_repay": RecordKind.REPAY,
}


def _lending_position(row: Mapping[str, Any]) -> Row:
    # A lending-history row has no id: its currency and time name it (one row per currency and period).
    return Row(int(row["ts"]), f"{row['ccy']}:{row['ts']}", int(row["ts"]))


@dataclass(frozen=True, slots=True)
class SubWalk:
    """One list of an endpoint: its cursor key, the list, how its rows are read and its own reach (None: none
    documented)."""

    market: str
    feed: Feed
    reads: Reads
    lookback: timedelta | None = None
    # The fills (instType) whose presence shows the account used what this list holds: its reach is a gap only
    # then (signs.py). "SAVINGS": the savings bills of the rewards' walk.
    sign: str | None = None


# Endpoints made of several lists. The rewards' bills-history list keeps the cursor key "" it always had.
SUB_WALKS: Mapping[Endpoint, tuple[SubWalk, ...]] = {
    Endpoint.FUTURES_TRADES: (
        *(SubWalk(t, _fills(t), Reads.FILL, FILLS_REACH) for t in DERIVATIVE_TYPES),
        *(SubWalk(f"{t}-BILLS", _bills(instType=t), Reads.PNL, BILLS_ARCHIVE_REACH, t) for t in DERIVATIVE_TYPES),
    ),
    Endpoint.MARGIN_TRADES: (SubWalk("", _fills("MARGIN"), Reads.MARGIN_FILL, FILLS_REACH),),
    Endpoint.FUNDING: (SubWalk("", _bills(type=FUNDING_BILL), Reads.FUNDING, BILLS_ARCHIVE_REACH, "SWAP"),),
    Endpoint.MARGIN_LOANS: (
        SubWalk("", _bills(type=INTEREST_BILL), Reads.INTEREST, BILLS_ARCHIVE_REACH, "MARGIN"),
        SubWalk(
            "LOANS",
            Feed("privateGetAccountSpotBorrowRepayHistory", {}, _loan_position, False, inclusive=True),
            Reads.LOAN,
        ),
    ),
    Endpoint.EARN_REWARDS: (
        SubWalk(
            "", Feed("privateGetAssetBillsHistory", {"pagingType": "2"}, by_bill, True, key="billId"), Reads.REWARD
        ),
        SubWalk(
            "SAVINGS",
            Feed("privateGetFinanceSavingsLendingHistory", {}, _lending_position, False),
            Reads.SAVINGS_INTEREST,
            LENDING_HISTORY_REACH,
            "SAVINGS",
        ),
    ),
}


@dataclass(frozen=True, slots=True)
class Contract:
    """What one contract is (Get_Instruments.md): `ctVal` of `ctValCcy`, times `ctMult`, settled in `settleCcy`."""

    base: str
    quote: str
    settle: str
    value: Decimal
    value_ccy: str
    symbol: str


class DerivativeRows:
    """Reads fills and bills of the trading account; knows the contracts of the instruments it met."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.spot = RowReader(client)
        self.contracts: dict[str, Contract] = {}
        self._loaded: set[tuple[str, str]] = set()
        # The oldest Simple Earn Flexible bill the rewards' walk met, and the oldest fill of each derivatives type
        # the fills' walks met: signs the account used them (signs.py).
        self.savings_since_ms: int | None = None
        self.oldest_fill_ms: dict[str, int] = {}
        # Per derivatives instType, the ranges (ms) its fills walk could not reach (fills_reach.py).
        self.no_fills: dict[str, list[tuple[int, int]]] = {}

    def parser(self, reads: Reads) -> Callable[[Mapping[str, Any]], Parsed]:
        return {
            Reads.FILL: self.fill,
            Reads.MARGIN_FILL: self.margin_fill,
            Reads.PNL: self.pnl,
            Reads.FUNDING: self.signed_bill(RecordKind.FUNDING),
            Reads.INTEREST: self.signed_bill(RecordKind.INTEREST),
            Reads.REWARD: self.reward,
            Reads.SAVINGS_INTEREST: self.savings_interest,
            Reads.LOAN: self.loan,
        }[reads]

    def prepare(
        self, reads: Reads, endpoint: Endpoint, report: FetchReport
    ) -> Callable[[list[Mapping[str, Any]]], Awaitable[None]] | None:
        """Derivatives fills count contracts: before a page is read, the instruments it names are looked up once
        per instrument type (GET /api/v5/public/instruments), and only when a page holds such a fill."""
        if reads is not Reads.FILL:
            return None

        async def load(rows: list[Mapping[str, Any]]) -> None:
            for inst_type, family in sorted({_instruments_group(r) for r in rows} - self._loaded):
                params = {"instType": inst_type, **({"instFamily": family} if family else {})}
                body = await call(self.client, "publicGetPublicInstruments", params, endpoint=endpoint, report=report)
                self._loaded.add((inst_type, family))
                for item in body.get("data") or []:
                    self.contracts[str(item["instId"])] = listed_contract(item)

        return load

    # -- fills ------------------------------------------------------------------------------------------------

    def fill(self, row: Mapping[str, Any]) -> Parsed:
        """A derivatives fill: `fillSz` contracts at `fillPx`; quantity in the base coin, notional in the settle
        coin (linear and options: contracts x ctVal x ctMult of the base; inverse: contracts x ctVal USD / price)."""
        inst_id, trade_id = str(row["instId"]), str(row["tradeId"])
        inst_type, ts = str(row["instType"]), int(row["ts"])
        # A liquidation or ADL fill's tradeId is negative ("to distinguish it from other matching transaction
        # scenarios"; an older edition said "0"), not shown to be a trade's own id: its billId, which names its
        # bill too, is added.
        own = trade_id if trade_id.isdigit() and int(trade_id) > 0 else f"{trade_id}:{row['billId']}"
        self.oldest_fill_ms[inst_type] = min(ts, self.oldest_fill_ms.get(inst_type, ts))
        contract = self.contract(inst_id)
        contracts, price = exact(row["fillSz"]), exact(row["fillPx"])
        if contract.value_ccy == contract.base:
            amount = contracts * contract.value
            notional = amount * price
        else:  # inverse: the contract is worth ctVal of the quote (USD); its settle coin is the base
            notional = contracts * contract.value / price
            amount = notional
        fee, fee_ccy = row.get("fee"), row.get("feeCcy")
        record = NormalizedRecord(
            kind=RecordKind.FUTURES_TRADE,
            occurred_at=ms_to_utc(row.get("fillTime") or row["ts"]),
            natural_key=natural_key(RecordKind.FUTURES_TRADE, f"{inst_id}:{own}"),
            asset=self.spot.code(contract.base),
            amount=amount,
            exchange_tx_id=trade_id,
            market=contract.symbol,
            side=str(row["side"]).lower(),
            quote_asset=self.spot.code(contract.settle),
            quote_amount=notional,
            price=price,
            fee_asset=self.spot.code(str(fee_ccy)) if fee_ccy else None,
            fee_amount=0 - exact(fee) if fee not in (None, "") else None,
            raw=dict(row),
        )
        return record, None

    def contract(self, inst_id: str) -> Contract:
        """The listed contract; for one no longer listed (an expired future or option: "When a product is going
        to be delisted ... the instrument will not be available"), the size of a listed contract of the same type
        and family (ETH-USDT-250328 as ETH-USDT-250627), as OKX sizes a family's contracts alike; else one base
        coin per contract."""
        if inst_id in self.contracts:
            return self.contracts[inst_id]
        guess = _guessed(inst_id)
        family = "-".join(inst_id.split("-")[:2]) + "-"
        for listed_id, listed in self.contracts.items():
            if listed_id.startswith(family) and _kind(listed_id) == _kind(inst_id):
                return replace(guess, value=listed.value, value_ccy=listed.value_ccy, settle=listed.settle)
        return guess

    def margin_fill(self, row: Mapping[str, Any]) -> Parsed:
        """A margin fill moves coins as a spot fill does; its key names the list, apart from spot fills."""
        record, pending = self.spot.fill(row)
        if record is None:
            return None, pending
        key = natural_key(RecordKind.TRADE, f"MARGIN:{row['instId']}:{row['tradeId']}")
        return replace(record, natural_key=key), pending

    # -- savings --------------------------------------------------------------------------------------------

    def reward(self, row: Mapping[str, Any]) -> Parsed:
        """A funding bill read for rewards (rows.py), noting on the way whether the account used savings."""
        if str(row.get("type", "")) in SAVINGS_BILLS:
            ts = int(row["ts"])
            self.savings_since_ms = ts if self.savings_since_ms is None else min(ts, self.savings_since_ms)
        return self.spot.reward(row)

    def savings_interest(self, row: Mapping[str, Any]) -> Parsed:
        """A lending-history row: `earnings` of `ccy` for the lending period ending at `ts` (our reading of
        "Currency earnings" next to "Lending amount" and "Lending time"), stored as a reward when above zero."""
        earned = exact(row["earnings"]) if row.get("earnings") not in (None, "") else Decimal(0)
        if earned <= 0:
            return None, None
        ccy, ts = str(row["ccy"]), str(row["ts"])
        record = NormalizedRecord(
            kind=RecordKind.REWARD,
            occurred_at=ms_to_utc(ts),
            natural_key=natural_key(RecordKind.REWARD, f"SAVINGS:{ccy}:{ts}"),
            asset=self.spot.code(ccy),
            amount=earned,
            raw=dict(row),
        )
        return record, None

    def loan(self, row: Mapping[str, Any]) -> Parsed:
        """A Spot-mode borrow or repayment: `amt` of `ccy`. Both count zero in reconciliation (the trading
        balance is read net of debt); they show the user when a loan began and ended."""
        kind = LOAN_KINDS.get(str(row.get("type", "")))
        if kind is None:
            return None, None
        ccy, ts, amount = str(row["ccy"]), str(row["ts"]), exact(row["amt"])
        record = NormalizedRecord(
            kind=kind,
            occurred_at=ms_to_utc(ts),
            natural_key=natural_key(kind, None, ccy, row["type"], ts, amount),
            asset=self.spot.code(ccy),
            amount=abs(amount),
            raw=dict(row),
        )
        return record, None

    # -- bills ------------------------------------------------------------------------------------------------

    def pnl(self, row: Mapping[str, Any]) -> Parsed:
        if str(row.get("instType", "")) not in DERIVATIVE_TYPES:
            return None, None  # a spot or margin bill: its fill says all (the walk asks for derivatives only)
        bill_type = str(row.get("type", ""))
        if bill_type not in FILLED_BILLS and bill_type not in UNFILLED_PNL_BILLS:
            return None, None  # funding, interest and transfers are other lists'
        fee = exact(row["fee"]) if row.get("fee") not in (None, "") else Decimal(0)
        change = holding_change(row) - fee
        filled = bill_type in FILLED_BILLS or str(row.get("subType", "")) in FILLED_SUBTYPES
        # A fill carries the fee of a trade bill, unless it lay beyond fills-history's reach (fills_reach.py).
        filled = filled and not self.fill_unreached(row)
        own_fee = not filled and fee != 0
        if change == 0 and not own_fee:
            return None, None  # an opening fill: only its fee moved (and an isolated margin), and the fill has it
        ident = str(row["billId"])
        record = NormalizedRecord(
            kind=RecordKind.REALIZED_PNL,
            occurred_at=ms_to_utc(row["ts"]),
            natural_key=natural_key(RecordKind.REALIZED_PNL, ident),
            asset=self.spot.code(str(row["ccy"])),
            amount=change,
            exchange_tx_id=ident,
            market=self.symbol(row),
            fee_asset=self.spot.code(str(row["ccy"])) if own_fee else None,
            fee_amount=0 - fee if own_fee else None,
            raw=dict(row),
        )
        return record, None

    def fill_unreached(self, row: Mapping[str, Any]) -> bool:
        """Whether the bill's fill was beyond its fills walk's reach (and so is not stored)."""
        ts = int(row["ts"])
        return any(start <= ts < end for start, end in self.no_fills.get(str(row.get("instType", "")), ()))

    def symbol(self, row: Mapping[str, Any]) -> str | None:
        """ccxt's symbol of a bill's instrument (interest bills name none)."""
        inst_id = str(row.get("instId") or "")
        if not inst_id:
            return None
        if row.get("instType") == "MARGIN" or inst_id.count("-") == 1:
            return inst_id.replace("-", "/")
        return self.contract(inst_id).symbol

    def signed_bill(self, kind: RecordKind) -> Callable[[Mapping[str, Any]], Parsed]:
        def read(row: Mapping[str, Any]) -> Parsed:
            ident = str(row["billId"])
            record = NormalizedRecord(
                kind=kind,
                occurred_at=ms_to_utc(row["ts"]),
                natural_key=natural_key(kind, ident),
                asset=self.spot.code(str(row["ccy"])),
                amount=holding_change(row),
                exchange_tx_id=ident,
                market=self.symbol(row),
                raw=dict(row),
            )
            return record, None

        return read


def holding_change(row: Mapping[str, Any]) -> Decimal:
    """What a trading-account bill did to the user's holding: `balChg`, plus `posBalChg` for an isolated position,
    whose margin the wallet read counts beside cashBal (a live isolated funding bill: `balChg` 0, `posBalChg`
    -0.2540832413497432 = `pnl`; docs/exchange-apis/okx.md, "Isolated positions")."""
    change = exact(row["balChg"])
    if str(row.get("mgnMode", "")) == "isolated" and row.get("posBalChg") not in (None, ""):
        change += exact(row["posBalChg"])
    return change


def _instruments_group(row: Mapping[str, Any]) -> tuple[str, str]:
    """The instruments list a fill's contract is in: its instType, and for options its family (BTC-USD), which
    GET /api/v5/public/instruments requires for OPTION ("If instType is OPTION, either uly or instFamily is
    required")."""
    inst_type = str(row["instType"])
    family = "-".join(str(row["instId"]).split("-")[:2]) if inst_type == "OPTION" else ""
    return inst_type, family


def listed_contract(item: Mapping[str, Any]) -> Contract:
    inst_id = str(item["instId"])
    guess = _guessed(inst_id)
    value = exact(item.get("ctVal") or "1") * exact(item.get("ctMult") or "1")
    settle = str(item.get("settleCcy") or guess.settle)
    return replace(guess, settle=settle, value=value, value_ccy=str(item.get("ctValCcy") or guess.value_ccy))


def _kind(inst_id: str) -> int:
    """SWAP ids have three parts, futures three (with a date), options five: futures and swaps are told apart by
    the last part."""
    parts = inst_id.split("-")
    return 0 if parts[-1] == "SWAP" else len(parts)


def _guessed(inst_id: str) -> Contract:
    """The contract as its id names it (BTC-USDT-SWAP, BTC-USD-250627, BTC-USD-250627-60000-C), one base coin per
    contract when the instrument is no longer listed (an expired future or option): ccxt's symbol format."""
    parts = inst_id.split("-")
    base, quote = parts[0], parts[1]
    settle = base if quote == "USD" else quote
    suffix = "" if parts[2:] == ["SWAP"] else "-" + "-".join(parts[2:])
    inverse = quote == "USD" and len(parts) <= 3  # options are counted in the base coin, USD-quoted or not
    return Contract(base, quote, settle, Decimal(1), quote if inverse else base, f"{base}/{quote}:{settle}{suffix}")


__all__ = ["BILLS_ARCHIVE", "SUB_WALKS", "DerivativeRows", "SubWalk"]
