"""OKX v5's read endpoints over a scripted account: parameters, paging, lookbacks and the JSON OKX sends.

Rules from OKX's v5 docs, each with its page in docs/exchange-apis/okx.md: spot instruments come in one page.
``/trade/fills`` reaches back 3 days and ``/trade/fills-history`` one year, and nothing before 2024-07-01 (the latter
needs ``instType``); both are newest first, ``limit`` at most 100 (default 100), ``after``/``before`` take a
``billId`` (records older / newer than it) and ``begin``/``end`` filter on ``ts`` (when OKX wrote the row, a few ms
after ``fillTime``, the trade). Deposit, withdrawal and convert history are newest first, ``limit`` at most 100, and
``after``/``before`` take a ``ts`` in ms. Funding-account bills: ``/asset/bills`` the past month,
``/asset/bills-history`` everything since 2021-02-01, paged on ``ts`` or, with ``pagingType=2``, on ``billId``. What
lies beyond a reach is simply not returned, without an error. Parameter errors are 50014 (missing) and 51000
(invalid), HTTP 400; records are JSON strings, amounts exact; fields OKX leaves out when not needed (a withdrawal's
``tag``, ``memo``, ``pmtId``, ``addrEx``) are left out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from sandbox.exchanges import okx_account
from sandbox.exchanges.base import DAY_MS
from sandbox.exchanges.lifecycle import Lifecycle, Stage
from sandbox.exchanges.okx_archive import OkxArchive
from sandbox.exchanges.okx_derivatives import OkxDerivatives
from sandbox.exchanges.okx_protocol import (
    INST_TYPES,
    Call,
    Json,
    int_param,
    invalid,
    missing,
    newest_first,
    signed,
)
from sandbox.exchanges.okx_savings import OkxSavings
from sandbox.exchanges.records import (
    BalanceRecord,
    ConvertRecord,
    DepositRecord,
    ScriptedAccount,
    TradeRecord,
    WithdrawalRecord,
    plain,
)
from sandbox.exchanges.scripted import credited_balances

FILLS_LOOKBACK_MS = 3 * DAY_MS  # /trade/fills: "the last 3 days"
# /trade/fills-history: "the last 1 year since July 1, 2024" in one edition of OKX's docs, "the last 3 months" in the
# copy of okx.com updated 2026-07-17 (docs/exchange-apis/okx.md); the emulator serves either, a year by default.
FILLS_HISTORY_LOOKBACK_MS = 365 * DAY_MS
FILLS_HISTORY_SHORT_LOOKBACK_MS = 90 * DAY_MS
FILLS_HISTORY_SINCE_MS = 1_719_792_000_000  # 2024-07-01T00:00:00Z
FUNDING_BILLS_LOOKBACK_MS = 30 * DAY_MS  # /asset/bills: "the past month"
BILLS_HISTORY_SINCE_MS = 1_612_137_600_000  # /asset/bills-history: "all time since 1 February, 2021"
# OKX names a deposit or withdrawal chain "<currency>-<network>".
CHAIN_NAMES = {"BTC": "Bitcoin", "ETH": "ERC20", "SOL": "Solana", "TRX": "TRC20", "XRP": "Ripple", "BSC": "BSC"}
# Funding-account bill types (``type`` of /asset/bills).
BILL_DEPOSIT = "1"
BILL_WITHDRAWAL = "2"
BILL_FROM_TRADING = "130"  # "Transferred from Trading account"
BILL_TO_TRADING = "131"  # "Transferred to Trading account"
# "[Convert] Sell Crypto/Fiat": the script's converts sell their base (bill_converts).
BILL_CONVERT_SELL = "273"
BILL_REWARDS = ("83", "89", "229")  # "Staking yield", "Deposit yield", "Airdrop": a scripted reward takes one in turn
_SNOWFLAKE_EPOCH_MS = 1_288_834_974_657


@dataclass(frozen=True)
class FundingBill:
    """One line of the funding account's ledger (/asset/bills), derived from a scripted record."""

    bill_id: str
    ccy: str
    bal_chg: Decimal
    bal: Decimal
    type: str
    ts: int
    source_id: str  # id of the deposit, withdrawal or transfer behind the bill


def snowflake(ts: int, sequence: int) -> str:
    """An id that ascends with time, shaped like OKX's 18-digit bill ids."""
    return str(((ts - _SNOWFLAKE_EPOCH_MS) << 22) + sequence % (1 << 22))


# Funding_Account/Rest_API/Get_Deposit_History.md: 0 waiting for confirmation, 2 deposit successful, 11 address
# blacklisted (never credited). Get_Withdrawal_History.md: 1 broadcasting (on its way), 2 success, -2 canceled.
DEPOSIT_STATE = {Stage.PENDING: "0", Stage.DONE: "2", Stage.FAILED: "11"}
WITHDRAWAL_STATE = {Stage.PENDING: "1", Stage.DONE: "2", Stage.FAILED: "-2"}


class OkxBook:
    """Serves one scripted account the way OKX's v5 REST API does."""

    def __init__(
        self,
        account: ScriptedAccount,
        *,
        fills_history_lookback_ms: int = FILLS_HISTORY_LOOKBACK_MS,
        derivatives: bool = False,
        bill_history: bool = False,
    ) -> None:
        self.account = account
        # Swaps, futures, options and margin (okx_derivatives.py): a fixed script, served only when asked for;
        # `bill_history` adds bills older than bills-archive's reach, served in quarterly files (okx_archive.py).
        self.derivatives = OkxDerivatives(account, enabled=derivatives, history=bill_history)
        self.archive = OkxArchive(self.derivatives)
        self.savings = OkxSavings(account, enabled=derivatives)  # and sub-account transfers (okx_savings.py)
        self.fills_history_lookback_ms = fills_history_lookback_ms
        self.lifecycle = Lifecycle()  # deposits and withdrawals a test scripts as not final yet
        self.uid = str(440_000_000_000_000_000 + account.seed % 10**15)
        # billId of every fill: ascending with time, as OKX's are.
        self.bill_ids: dict[TradeRecord, str] = {t: snowflake(t.timestamp, n) for n, t in enumerate(account.trades)}
        self.converts_billed = False
        self.funding_bills: tuple[FundingBill, ...] = self._funding_ledger()

    # -- ledger ---------------------------------------------------------------------------------------------

    def _funding_ledger(self) -> tuple[FundingBill, ...]:
        """Deposits, withdrawals, rewards and transfers as funding bills, with a running balance per currency."""
        a = self.account
        moves: list[tuple[int, str, Decimal, str, str]] = []
        moves += [(d.timestamp, d.asset, d.amount, BILL_DEPOSIT, d.id) for d in a.deposits]
        moves += [(w.timestamp, w.asset, -(w.amount + w.fee), BILL_WITHDRAWAL, w.id) for w in a.withdrawals]
        moves += [(r.timestamp, r.asset, r.amount, BILL_REWARDS[n % 3], r.id) for n, r in enumerate(a.rewards)]
        for t in a.transfers:
            # Transfers between the funding (FUND) and trading (UNIFIED) accounts, seen from the funding side.
            outgoing = t.from_account == "FUND"
            bill_type = BILL_TO_TRADING if outgoing else BILL_FROM_TRADING
            moves.append((t.timestamp, t.asset, -t.amount if outgoing else t.amount, bill_type, t.id))
        moves += self.savings.funding_moves()
        for c in a.converts if self.converts_billed else ():
            moves.append((c.timestamp, c.from_asset, -c.from_amount, BILL_CONVERT_SELL, c.id))
            moves.append((c.timestamp, c.to_asset, c.to_amount, BILL_CONVERT_SELL, c.id))
        moves.sort(key=lambda move: move[0])
        # Open each currency with what keeps its balance from ever going negative.
        running: dict[str, Decimal] = {}
        lowest: dict[str, Decimal] = {}
        for _, ccy, change, _, _ in moves:
            running[ccy] = running.get(ccy, Decimal(0)) + change
            lowest[ccy] = min(lowest.get(ccy, Decimal(0)), running[ccy])
        balance = {ccy: -low for ccy, low in lowest.items()}
        bills = []
        for n, (ts, ccy, change, bill_type, source) in enumerate(moves):
            balance[ccy] += change
            bills.append(FundingBill(snowflake(ts, n), ccy, change, balance[ccy], bill_type, ts, source))
        return tuple(bills)

    def bill_converts(self) -> None:
        """Lists every convert of the scripted account also as its two funding bills, at the trade's time: bills
        272/273 and convert history are both OKX Convert (闪兑), and no page says they never overlap
        (docs/exchange-apis/okx.md, "Converts in two lists"). Called before a sync (every billId moves)."""
        self.converts_billed = True
        self.funding_bills = self._funding_ledger()

    # -- public and account (sandbox.exchanges.okx_account) -------------------------------------------------

    def server_time(self, call: Call) -> list[Json]:
        return [{"ts": str(call.now_ms)}]

    def instruments(self, call: Call) -> list[Json]:
        inst_type = call.params.get("instType", "")
        if inst_type in ("SWAP", "FUTURES", "OPTION"):
            return self.derivatives.instruments(call)
        return okx_account.instruments(self.account, call)

    def account_config(self, call: Call) -> list[Json]:
        return okx_account.account_config(self.uid, call)

    def balance(self, call: Call) -> list[Json]:
        held = {b.asset: b for b in credited_balances(self.account, self.lifecycle)}
        changes = self.derivatives.balance_changes()
        for asset, change in self.savings.balance_changes().items():
            changes[asset] = changes.get(asset, Decimal(0)) + change
        for asset, change in changes.items():
            before = held.get(asset, BalanceRecord(asset, Decimal(0), Decimal(0)))
            held[asset] = BalanceRecord(asset, before.free + change, before.locked)
        # Open isolated positions' margin is at the position level, beside cashBal (the script's balance_changes
        # are the bills' account-level balChg).
        isolated = self.derivatives.isolated_margin()
        return okx_account.balance((held[asset] for asset in sorted(held)), call, isolated)

    def bills_archive(self, call: Call) -> list[Json]:
        return self.derivatives.bills_archive(call)

    def savings_balance(self, call: Call) -> list[Json]:
        return self.savings.savings_balance(call)

    def lending_history(self, call: Call) -> list[Json]:
        return self.savings.lending_history(call)

    def borrow_repay_history(self, call: Call) -> list[Json]:
        return self.savings.borrow_repay_history(call)

    def onchain_orders(self, call: Call) -> list[Json]:
        return self.savings.onchain_orders(call)

    def funding_balances(self, call: Call) -> list[Json]:
        """GET /api/v5/asset/balances lists only currencies with a balance above 0 (Funding_Account/Rest_API/
        Get_Balance.md); the scripted account holds all it has in its trading account, so the list is empty."""
        return []

    # -- trades ---------------------------------------------------------------------------------------------

    def fills(self, call: Call) -> list[Json]:
        inst_type = call.params.get("instType", "")
        if inst_type and inst_type not in INST_TYPES:
            raise invalid("instType")
        return self._fills(call, inst_type, call.now_ms - FILLS_LOOKBACK_MS)

    def fills_history(self, call: Call) -> list[Json]:
        inst_type = call.params.get("instType", "")
        if inst_type == "":
            raise missing("instType")
        if inst_type not in INST_TYPES:
            raise invalid("instType")
        oldest = max(call.now_ms - self.fills_history_lookback_ms, FILLS_HISTORY_SINCE_MS)
        return self._fills(call, inst_type, oldest)

    def _fills(self, call: Call, inst_type: str, oldest: int) -> list[Json]:
        params = call.params
        begin, end = int_param(params, "begin"), int_param(params, "end")
        inst_id, order_id = params.get("instId"), params.get("ordId")
        if inst_type not in ("", "SPOT"):
            return self.derivatives.fills(call, inst_type, oldest)
        trades = self.account.trades
        chosen = [
            t
            for t in trades
            if t.timestamp >= oldest
            and (begin is None or self.written_at(t) >= begin)
            and (end is None or self.written_at(t) <= end)
            and (not inst_id or t.symbol == inst_id)
            and (not order_id or t.order_id == order_id)
        ]
        page = newest_first(chosen, lambda t: int(self.bill_ids[t]), params)
        return [self._fill(t) for t in page]

    def written_at(self, t: TradeRecord) -> int:
        """A fill's ``ts``: OKX writes the row 1 to 3 ms after the trade (docs example: 1 ms, bbgo recording: 3 ms)."""
        return t.timestamp + 1 + int(self.bill_ids[t]) % 3

    def _fill(self, t: TradeRecord) -> Json:
        return {
            "instType": "SPOT",
            "instId": t.symbol,
            "tradeId": t.id,
            "ordId": t.order_id,
            "clOrdId": "",
            "billId": self.bill_ids[t],
            "subType": "1" if t.side == "buy" else "2",
            "tag": "",
            "fillPx": plain(t.price),
            "fillSz": plain(t.amount),
            "fillIdxPx": "",
            "fillPnl": "0",
            "fillPxVol": "",
            "fillPxUsd": "",
            "fillMarkVol": "",
            "fillFwdPx": "",
            "fillMarkPx": "",
            "side": t.side,
            "posSide": "net",
            "execType": "M" if t.is_maker else "T",
            "feeCcy": t.fee_asset,
            "fee": signed(-t.fee),  # negative: charged
            "ts": str(self.written_at(t)),
            "fillTime": str(t.timestamp),
            "feeRate": "-0.001",
        }

    # -- funding --------------------------------------------------------------------------------------------

    def deposit_history(self, call: Call) -> list[Json]:
        p = call.params
        ccy, dep_id, tx_id = p.get("ccy"), p.get("depId"), p.get("txId")
        chosen = [
            d
            for d in self.lifecycle.listed(self.account.deposits, lambda d: d.id)
            if (not ccy or d.asset == ccy) and (not dep_id or d.id == dep_id) and (not tx_id or d.tx_id == tx_id)
        ]
        return [
            self._deposit(d, self.lifecycle.status(d.id, DEPOSIT_STATE))
            for d in newest_first(chosen, lambda d: d.timestamp, p)
        ]

    @staticmethod
    def _deposit(d: DepositRecord, state: str = "2") -> Json:
        return {
            "actualDepBlkConfirm": "64",
            "amt": plain(d.amount),
            "areaCodeFrom": "",
            "ccy": d.asset,
            "chain": f"{d.asset}-{CHAIN_NAMES.get(d.network, d.network)}",
            "depId": d.id,
            "from": "",
            "fromWdId": "",
            "state": state,
            "to": d.address,
            "ts": str(d.timestamp),
            "txId": d.tx_id,
        }

    def withdrawal_history(self, call: Call) -> list[Json]:
        p = call.params
        ccy, wd_id, tx_id = p.get("ccy"), p.get("wdId"), p.get("txId")
        chosen = [
            w
            for w in self.lifecycle.listed(self.account.withdrawals, lambda w: w.id)
            if (not ccy or w.asset == ccy) and (not wd_id or w.id == wd_id) and (not tx_id or w.tx_id == tx_id)
        ]
        return [
            self._withdrawal(w, self.lifecycle.status(w.id, WITHDRAWAL_STATE))
            for w in newest_first(chosen, lambda w: w.timestamp, p)
        ]

    @staticmethod
    def _withdrawal(w: WithdrawalRecord, state: str = "2") -> Json:
        return {
            "amt": plain(w.amount),
            "areaCodeFrom": "",
            "areaCodeTo": "",
            "ccy": w.asset,
            "chain": f"{w.asset}-{CHAIN_NAMES.get(w.network, w.network)}",
            "clientId": "",
            "fee": plain(w.fee),
            "feeCcy": w.asset,
            "from": "",
            "nonTradableAsset": False,
            "note": "",
            "state": state,
            "to": w.address,
            "toAddrType": "1",
            "ts": str(w.timestamp),
            "txId": w.tx_id,
            "wdId": w.id,
        }

    def convert_history(self, call: Call) -> list[Json]:
        return [self._convert(c) for c in newest_first(self.account.converts, lambda c: c.timestamp, call.params)]

    @staticmethod
    def _convert(c: ConvertRecord) -> Json:
        # Sold ``fillBaseSz`` of the base (the source asset) for ``fillQuoteSz`` of the target, at ``fillPx``.
        return {
            "clTReqId": "",
            "instId": f"{c.from_asset}-{c.to_asset}",
            "side": "sell",
            "fillPx": plain(c.ratio),
            "baseCcy": c.from_asset,
            "quoteCcy": c.to_asset,
            "fillBaseSz": plain(c.from_amount),
            "state": "fullyFilled",
            "tradeId": c.id,
            "fillQuoteSz": plain(c.to_amount),
            "ts": str(c.timestamp),
        }

    def funding_bill_list(self, call: Call) -> list[Json]:
        """/asset/bills: the past month, paged on ``ts`` or ``billId``."""
        return self._bills(call, call.now_ms - FUNDING_BILLS_LOOKBACK_MS)

    def funding_bill_history(self, call: Call) -> list[Json]:
        """/asset/bills-history: every bill since 2021-02-01, paged on ``ts`` or ``billId``."""
        return self._bills(call, BILLS_HISTORY_SINCE_MS)

    def _bills(self, call: Call, oldest: int) -> list[Json]:
        p = call.params
        ccy, bill_type = p.get("ccy"), p.get("type")
        paging = p.get("pagingType") or "1"
        if paging not in ("1", "2"):
            raise invalid("pagingType")
        cursor: Callable[[FundingBill], int] = (lambda b: b.ts) if paging == "1" else (lambda b: int(b.bill_id))
        chosen = [
            b
            for b in self.funding_bills
            if b.ts >= oldest and (not ccy or b.ccy == ccy) and (not bill_type or b.type == bill_type)
        ]
        return [
            {
                "billId": b.bill_id,
                "ccy": b.ccy,
                "clientId": "",
                "balChg": signed(b.bal_chg),
                "bal": signed(b.bal),
                "type": b.type,
                "ts": str(b.ts),
                "notes": "",
            }
            for b in newest_first(chosen, cursor, p)
        ]
