"""OKX v5's public instruments and the account's configuration and balance, served from a scripted account.

Split from `sandbox.exchanges.okx_book` (which answers these through `OkxBook`); the rules are in that module's
docstring and in docs/exchange-apis/okx.md.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from sandbox.exchanges.base import DAY_MS
from sandbox.exchanges.okx_protocol import INST_TYPES, Call, Json, NotEmulated, invalid, missing
from sandbox.exchanges.records import EIGHT_PLACES, BalanceRecord, Market, ScriptedAccount, plain

# -- public ----------------------------------------------------------------------------------------------------


def instruments(account: ScriptedAccount, call: Call) -> list[Json]:
    inst_type = call.params.get("instType", "")
    if inst_type == "":
        raise missing("instType")
    if inst_type not in INST_TYPES:
        raise invalid("instType")
    if inst_type != "SPOT":
        raise NotEmulated(f"instType={inst_type} instruments are not emulated")
    inst_id = call.params.get("instId")
    return [_instrument(account, m) for m in account.markets if inst_id in (None, m.symbol)]


def _instrument(account: ScriptedAccount, m: Market) -> Json:
    return {
        "alias": "",
        "auctionEndTime": "",
        "baseCcy": m.base,
        "category": "1",
        "ctMult": "",
        "ctType": "",
        "ctVal": "",
        "ctValCcy": "",
        "expTime": "",
        # Get_Instruments.md: daily settlement applies to FUTURES cross only, so a spot row says false.
        "futureSettlement": False,
        "instFamily": "",
        "instId": m.symbol,
        "instType": "SPOT",
        "lever": "",
        "listTime": str(account.now_ms - 4 * 365 * DAY_MS),
        "lotSz": "0.00000001",
        "maxIcebergSz": "9999999999.0000000000000000",
        "maxLmtAmt": "20000000",
        "maxLmtSz": "9999999999",
        "maxMktAmt": "1000000",
        "maxMktSz": "",
        "maxStopSz": "",
        "maxTriggerSz": "9999999999.0000000000000000",
        "maxTwapSz": "9999999999.0000000000000000",
        "minSz": "0.00001",
        "optType": "",
        # As the documented BTC-USDT row: opened by call auction, which has long ended ("" as auctionEndTime).
        "openType": "call_auction",
        "contTdSwTime": "",
        "quoteCcy": m.quote,
        "ruleType": "normal",
        "settleCcy": "",
        "state": "live",
        "stk": "",
        "tickSz": plain(max(m.price.scaleb(-5).quantize(EIGHT_PLACES), EIGHT_PLACES)),
        "uly": "",
    }


# -- account ----------------------------------------------------------------------------------------------------


def account_config(uid: str, call: Call) -> list[Json]:
    key = call.key
    if key is None:
        raise RuntimeError("a private endpoint was served without a key")
    p = key.permissions
    # OKX lists the rights in this order: "read_only,withdraw,trade".
    perm = [name for name, has in (("read_only", p.read), ("withdraw", p.withdraw), ("trade", p.trade)) if has]
    return [
        {
            "acctLv": "2",
            "acctStpMode": "cancel_maker",
            "autoLoan": False,
            "ctIsoMode": "automatic",
            "enableSpotBorrow": False,
            "greeksType": "PA",
            "ip": ",".join(key.ip_whitelist),
            "kycLv": "2",
            "label": key.label,
            "level": "Lv1",
            "levelTmp": "",
            "liquidationGear": "-1",
            "mainUid": uid,
            "mgnIsoMode": "automatic",
            "opAuth": "0",
            "perm": ",".join(perm),
            "posMode": "net_mode",
            "roleType": "0",
            "spotBorrowAutoRepay": False,
            "spotOffsetType": "",
            "spotRoleType": "0",
            "spotTraderInsts": [],
            "traderInsts": [],
            "type": "0",
            "uid": uid,
        }
    ]


@dataclass(frozen=True)
class IsolatedMargin:
    """What a coin's open isolated positions hold, at the position level: their margin (with the funding settled
    into it) and their unrealized profit and loss."""

    margin: Decimal
    upl: Decimal

    @property
    def equity(self) -> Decimal:
        return self.margin + self.upl


NO_ISOLATED = IsolatedMargin(Decimal(0), Decimal(0))


def balance(
    balances: Iterable[BalanceRecord], call: Call, isolated: Mapping[str, IsolatedMargin] | None = None
) -> list[Json]:
    """GET /api/v5/account/balance. `balances` are account-level (`cashBal`); `isolated` the position level of
    coins with open isolated positions, which OKX reports beside cashBal, not in it: a live answer with one open
    isolated swap (docs/exchange-apis/okx.md, "Isolated positions") has isoEq = frozenBal, isoUpl = upl and
    eq = cashBal + isoEq, availBal = cashBal. "The currency details will not be returned when cashBal and eq is
    both 0": a coin held only in an isolated position is listed."""
    wanted = set(filter(None, call.params.get("ccy", "").split(",")))
    isolated = isolated or {}
    held = {b.asset: b for b in balances}
    for asset in isolated:
        held.setdefault(asset, BalanceRecord(asset, Decimal(0), Decimal(0)))
    now = str(call.now_ms)
    details = [
        _detail(b, isolated.get(b.asset), now)
        for b in (held[asset] for asset in sorted(held))
        if (b.total > 0 or b.asset in isolated) and (not wanted or b.asset in wanted)
    ]
    return [
        {
            "adjEq": "",
            "availEq": "",
            "borrowFroz": "",
            "details": details,
            "imr": "",
            "isoEq": "",
            "mgnRatio": "",
            "mmr": "",
            "notionalUsd": "",
            "notionalUsdForBorrow": "",
            "notionalUsdForFutures": "",
            "notionalUsdForOption": "",
            "notionalUsdForSwap": "",
            "ordFroz": "",
            "totalEq": "",
            "uTime": now,
            "upl": "",
        }
    ]


def _detail(b: BalanceRecord, iso: IsolatedMargin | None, now: str) -> Json:
    """One currency's row. Without isolated positions the position-level fields stay "" (the scripted derivatives
    are cross, their unrealized profit and loss not emulated); with them they carry the live answer's identities."""
    position = iso or NO_ISOLATED
    isolated_fields = (
        {"isoEq": plain(position.equity), "isoUpl": plain(position.upl), "upl": plain(position.upl)}
        if iso is not None
        else {"isoEq": "", "isoUpl": "", "upl": ""}
    )
    return {
        "accAvgPx": "",
        "autoLendMtAmt": "0",
        "autoLendStatus": "off",
        "availBal": plain(b.free),
        "availEq": plain(b.free),
        "borrowFroz": "",
        "cashBal": plain(b.total),
        "ccy": b.asset,
        "clSpotInUseAmt": "",
        "colBorrAutoConversion": "0",
        "collateralEnabled": False,
        "collateralRestrict": False,
        "crossLiab": "",
        "disEq": "",
        "eq": plain(b.total + position.equity),
        "eqUsd": "",
        "fixedBal": "0",
        "frozenBal": plain(b.locked + position.equity),
        "imr": "",
        "interest": "",
        "isoLiab": "",
        "liab": "",
        "maxLoan": "",
        "maxSpotInUse": "",
        "mgnRatio": "",
        "mmr": "",
        "notionalLever": "",
        "openAvgPx": "",
        "ordFrozen": plain(b.locked),
        "rewardBal": "0",
        "smtSyncEq": "0",
        "spotBal": plain(b.total),
        "spotCopyTradingEq": "0",
        "spotInUseAmt": "",
        "spotIsoBal": "0",
        "spotUpl": "",
        "spotUplRatio": "",
        "stgyEq": "0",
        "totalPnl": "",
        "totalPnlRatio": "",
        "twap": "0",
        "uTime": now,
        "uplLiab": "",
        **isolated_fields,
    }
