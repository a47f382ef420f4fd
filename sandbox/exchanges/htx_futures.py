"""What HTX's USDT-margined contract API answers for one scripted cross-margin account, and the spot account's
balance. Every rule and its source: docs/exchange-apis/htx.md, "USDT-margined futures".

- ``POST /linear-swap-api/v3/swap_cross_matchresults_exact`` (fills) and ``…/v3/swap_financial_record_exact``
  (the account's money lines): a JSON body; ``contract`` (fills: required) and ``trade_type`` (fills: required),
  ``mar_acct`` (records: required), ``start_time``/``end_time`` at most 48 hours apart and within the past 90 days,
  ``direct`` next (oldest first) or prev, ``from_id`` the last page's max (next) or min (prev) ``query_id``; answer
  ``{"code": 200, "msg": "", "data": [...], "ts": …}``. How many rows a page holds is not stated: 50 here.
- ``POST /linear-swap-api/v1/swap_cross_account_info``: ``{"status": "ok", "data": [{margin_balance, profit_unreal,
  contract_detail: [...], futures_contract_detail: [...], …}], "ts": …}``.
- ``POST /linear-swap-api/v3/swap_matchresults_exact`` (isolated-margin fills, the same fields with ``margin_mode``
  isolated and ``margin_account`` the contract) and ``…/v1/swap_account_info`` (one row per contract's isolated account,
  held or not); the records of an isolated account are asked with ``mar_acct`` = its contract.
- ``POST /swap-api/v1/swap_account_info`` (coin-margined swaps, one row per contract) and
  ``/api/v1/contract_account_info`` (coin-margined delivery futures, one row per coin): the accounts a test gives the
  book (``coin_held``), whose history Tallybot does not read yet.
- An account that never opened contract trading: ``err_code`` 1220 (ccxt's recorded answer).
- ``GET /v1/account/accounts`` and ``GET /v1/account/accounts/{account-id}/balance``: the spot account's id, then its
  balance per currency and type (trade, frozen).

The fills, funding and transfers are mexc_futures_script.py's (the same trader on another exchange), read with HTX's
names: contract ``BTC-USDT``, `direction` buy/sell and `offset` open/close, `trade_fee` negative when charged,
`offset_profitloss` the closing profit; the money lines are HTX's transaction types. The contracts in `isolated` are
traded in isolated margin: 1,000 USDT moved from the cross account to the contract's own account (types 39 and 38,
each naming the other in `face_margin_account`) before its first fill, its fills, fees, profit and funding there.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from sandbox.exchanges.base import DAY_MS, HOUR_MS
from sandbox.exchanges.htx_coin_swap import CONTRACT as COIN_CONTRACT
from sandbox.exchanges.htx_coin_swap import CoinSwapScript, fill_row, line_row
from sandbox.exchanges.mexc_futures_script import CLOSE_LONG, OPEN_LONG, OPEN_SHORT, Deal, MexcFuturesScript
from sandbox.exchanges.protocol import Call
from sandbox.exchanges.raw_numbers import number
from sandbox.exchanges.records import ScriptedAccount, plain

Json = dict[str, Any]
WINDOW_MS = 48 * HOUR_MS  # "maximum query window size is 48 hours"
REACH_MS = 90 * DAY_MS  # "query window shift should be within past 90 days"
PAGE_ROWS = 50  # not stated (unsourced)
SPOT_ACCOUNT_ID = 10_000_001
# The HTX emulator's two scripted wallets: UNIFIED is the spot account (htx_book's ledger), FUND the futures account.
FUTURES_WALLET, SPOT_WALLET = "FUND", "UNIFIED"
# Transaction types of the financial records: 3 close long, 4 close short, 7 fees for close positions-taker,
# 5 fees for open positions-taker, 14 transfer from spot to contract, 15 from contract to spot, 30 funding income,
# 31 funding expenditure.
CLOSE_LONG_TYPE, CLOSE_SHORT_TYPE, OPEN_FEE, CLOSE_FEE = 3, 4, 5, 7
FROM_SPOT, TO_SPOT, FUNDING_IN, FUNDING_OUT = 14, 15, 30, 31
# 38 "transfer from other margin account", 39 "transfer to another margin account".
FROM_OTHER_MARGIN, TO_OTHER_MARGIN = 38, 39
CROSS = "USDT"  # the cross account's mar_acct; an isolated account's is its contract code
ISOLATED_MOVE = Decimal(1000)
LISTED_CONTRACTS = ("BTC-USDT", "ETH-USDT", "SOL-USDT")  # the isolated account list names every contract


class ContractError(Exception):
    """A contract API refusal: v1 ``{"status": "error", "err_code": …, "err_msg": …}``, v3 ``{"code": …, "msg": …}``."""

    def __init__(self, code: int, msg: str, status: int = 200) -> None:
        super().__init__(msg)
        self.code = code
        self.msg = msg
        self.status = status

    def body(self, v3: bool, now_ms: int) -> Json:
        if v3:
            return {"code": self.code, "msg": self.msg, "data": None, "ts": now_ms}
        return {"status": "error", "err_code": self.code, "err_msg": self.msg, "ts": now_ms}


NOT_OPENED = "You don’t have access permission as you have not opened contracts trading."


def contract_code(symbol: str) -> str:
    return symbol.replace("_", "-")


@dataclass(frozen=True)
class Line:
    """One row of the financial records."""

    query_id: int
    id: int
    type: int
    amount: Decimal
    time: int
    contract: str
    account: str = CROSS  # the margin account the line moves (mar_acct)
    face: str = ""  # the other margin account of a move between the two (38, 39)


def money_lines(script: MexcFuturesScript, isolated: frozenset[str] = frozenset()) -> list[Line]:
    """The account's money lines, oldest first: each fill's fee and closing profit, funding, the two transfers, and
    the moves into each isolated account, in the margin account each belongs to."""
    raw: list[tuple[int, int, Decimal, str, str, str]] = []

    def add(when: int, kind: int, amount: Decimal, code: str, face: str = "") -> None:
        raw.append((when, kind, amount, code, code if code in isolated else CROSS, face))

    for d in script.deals:
        code = contract_code(d.symbol)
        add(d.time, OPEN_FEE if d.side in (OPEN_LONG, OPEN_SHORT) else CLOSE_FEE, -d.fee, code)
        if d.profit:
            add(d.time, CLOSE_LONG_TYPE if d.side == CLOSE_LONG else CLOSE_SHORT_TYPE, d.profit, code)
    for f in script.funding:
        add(f.time, FUNDING_IN if f.funding > 0 else FUNDING_OUT, f.funding, contract_code(f.symbol))
    for t in script.transfers:
        into = t.to_account == FUTURES_WALLET
        add(t.timestamp, FROM_SPOT if into else TO_SPOT, t.amount if into else -t.amount, "")
    for code in sorted(isolated):
        first = min(d.time for d in script.deals if contract_code(d.symbol) == code) - HOUR_MS
        raw.append((first, TO_OTHER_MARGIN, -ISOLATED_MOVE, "", CROSS, code))
        raw.append((first, FROM_OTHER_MARGIN, ISOLATED_MOVE, code, code, CROSS))
    raw.sort(key=lambda r: r[0])
    return [
        Line(138_798_000 + 7 * n, 117_000 + n, k, amount, when, code, account, face)
        for n, (when, k, amount, code, account, face) in enumerate(raw)
    ]


def isolated_wallet(lines: list[Line], account: str) -> Decimal:
    return sum((line.amount for line in lines if line.account == account), Decimal(0))


def for_htx(script: MexcFuturesScript, seed: int) -> MexcFuturesScript:
    """The script with its transfers as HTX's ledger lists them: numbered ids, spot (UNIFIED) to futures (FUND)."""
    moved = tuple(
        replace(
            t,
            id=str(9_100_000 + seed * 10 + n),
            from_account=SPOT_WALLET if t.to_account == "UNIFIED" else FUTURES_WALLET,
            to_account=FUTURES_WALLET if t.to_account == "UNIFIED" else SPOT_WALLET,
        )
        for n, t in enumerate(script.transfers)
    )
    return replace(script, transfers=moved)


class HtxFuturesBook:
    """Serves the script as HTX's contract API does; `script` None: an account that never opened contract trading."""

    def __init__(
        self,
        script: MexcFuturesScript | None,
        account: ScriptedAccount,
        isolated: frozenset[str] = frozenset(),
        coin_held: Mapping[str, Decimal] | None = None,
        coin_swap: CoinSwapScript | None = None,
    ) -> None:
        self.script = script
        self.coin_swap = coin_swap if script else None
        self.account = account
        self.isolated = isolated if script else frozenset()
        self.coin_held = dict(coin_held or {})  # "BTC-USD": a coin-margined swap account, "BTC": a delivery one
        self.lines = money_lines(script, self.isolated) if script else []
        self.fill_ids = {d.id: 452_000 + 11 * n for n, d in enumerate(script.deals)} if script else {}

    def post_routes(self) -> dict[str, Callable[[Call], Json]]:
        return {
            "/linear-swap-api/v3/swap_cross_matchresults_exact": self.match_results,
            "/linear-swap-api/v3/swap_matchresults_exact": self.isolated_match_results,
            "/linear-swap-api/v3/swap_financial_record_exact": self.financial_records,
            "/linear-swap-api/v1/swap_cross_account_info": self.account_info,
            "/linear-swap-api/v1/swap_account_info": self.isolated_account_info,
            "/swap-api/v1/swap_account_info": self.coin_swap_account_info,
            "/swap-api/v3/swap_matchresults_exact": self.coin_swap_fills,
            "/swap-api/v3/swap_financial_record_exact": self.coin_swap_records,
            "/api/v1/contract_account_info": self.delivery_account_info,
        }

    def _script(self) -> MexcFuturesScript:
        if self.script is None:
            raise ContractError(1220, NOT_OPENED)
        return self.script

    # -- the two lists ----------------------------------------------------------------------------------------

    @staticmethod
    def _range(params: Mapping[str, Any], now: int) -> tuple[int, int]:
        end = int(params.get("end_time") or now)
        start = int(params.get("start_time") or end - WINDOW_MS)
        if start > end or end - start > WINDOW_MS or start < now - REACH_MS or end > now + HOUR_MS:
            raise ContractError(1067, "Invalid query time range")  # unsourced: the code for a range refused
        return start, end

    @staticmethod
    def _page(rows: list[Json], params: Mapping[str, Any]) -> list[Json]:
        """Rows after `from_id` in the asked direction, oldest first for next, newest first for prev."""
        newest_first = str(params.get("direct") or "next") == "prev"
        ordered = sorted(rows, key=lambda r: int(r["query_id"]), reverse=newest_first)
        if params.get("from_id") not in (None, ""):
            mark = int(params["from_id"])
            ordered = [r for r in ordered if (int(r["query_id"]) < mark if newest_first else int(r["query_id"]) > mark)]
        return ordered[:PAGE_ROWS]

    def match_results(self, call: Call) -> Json:
        return self._match_results(call, isolated=False)

    def isolated_match_results(self, call: Call) -> Json:
        return self._match_results(call, isolated=True)

    def _match_results(self, call: Call, *, isolated: bool) -> Json:
        script, params = self._script(), call.params
        code = str(params.get("contract") or "").upper()
        if not code or params.get("trade_type") in (None, ""):
            raise ContractError(1066, "The symbol field cannot be empty. Please re-enter.")  # ccxt's recorded 1066
        start, end = self._range(params, call.now_ms)
        if (code in self.isolated) != isolated:
            return {"code": 200, "msg": "", "data": [], "ts": call.now_ms}  # the contract's fills are in the other
        rows = [self._fill(d) for d in script.deals if contract_code(d.symbol) == code and start <= d.time <= end]
        return {"code": 200, "msg": "", "data": self._page(rows, params), "ts": call.now_ms}

    def _fill(self, d: Deal) -> Json:
        query_id = self.fill_ids[d.id]
        base, quote = d.symbol.split("_")
        opening = d.side in (OPEN_LONG, OPEN_SHORT)
        isolated = contract_code(d.symbol) in self.isolated
        # The cross page's fields name the contract's kind; the isolated page's example has none of the three.
        kind = {} if isolated else {"contract_type": "swap", "pair": f"{base}-{quote}", "business_type": "swap"}
        return {
            "query_id": query_id,
            **kind,
            "match_id": d.id,
            "order_id": d.order_id,
            "symbol": base,
            "contract_code": contract_code(d.symbol),
            "direction": "buy" if d.buys else "sell",
            "offset": "open" if opening else "close",
            "trade_volume": number(d.vol),
            "trade_price": number(d.price),
            "trade_turnover": number(d.quantity * d.price),
            "trade_fee": number(-d.fee),
            "offset_profitloss": number(d.profit),
            "create_date": d.time,
            "role": "Taker",
            "order_source": "api",
            "order_id_str": str(d.order_id),
            "id": f"{d.id}-{d.order_id}-1",
            "fee_asset": "USDT",
            "ht_price": "",
            "margin_mode": "isolated" if isolated else "cross",
            "margin_account": contract_code(d.symbol) if isolated else CROSS,
            "real_profit": number(d.profit),
            "reduce_only": 0 if opening else 1,
        }

    def financial_records(self, call: Call) -> Json:
        self._script()
        params = call.params
        margin_account = str(params.get("mar_acct") or "").upper()
        if margin_account != CROSS and margin_account not in LISTED_CONTRACTS:
            raise ContractError(1010, "Account doesnt exist.")  # ccxt's recorded 1010 for an account not held
        start, end = self._range(params, call.now_ms)
        contract = str(params.get("contract") or "").upper()
        kinds = {int(k) for k in str(params.get("type") or "").split(",") if k}
        rows = [
            self._line(line)
            for line in self.lines
            if start <= line.time <= end
            and line.account == margin_account
            and (not contract or line.contract == contract)
            and (not kinds or line.type in kinds)
        ]
        return {"code": 200, "msg": "", "data": self._page(rows, params), "ts": call.now_ms}

    @staticmethod
    def _line(line: Line) -> Json:
        return {
            "query_id": line.query_id,
            "id": line.id,
            "type": line.type,
            "amount": number(line.amount),
            "ts": line.time,
            "contract_code": line.contract,
            "asset": "USDT",
            "margin_account": line.account,
            "face_margin_account": line.face,
        }

    # -- balances ---------------------------------------------------------------------------------------------

    def account_info(self, call: Call) -> Json:
        script = self._script()
        unrealized = script.unrealized
        wallet = script.wallet.get("USDT", Decimal(0)) - sum(
            (isolated_wallet(self.lines, code) for code in self.isolated), Decimal(0)
        )
        detail = [
            {
                "symbol": "SOL",
                "contract_code": "SOL-USDT",
                "margin_position": number(script.position_margin),
                "margin_frozen": number(0),
                "margin_available": number(wallet - script.position_margin),
                "profit_unreal": number(unrealized),
                "liquidation_price": None,
                "lever_rate": 10,
                "adjust_factor": number(Decimal("0.04")),
                "contract_type": "swap",
                "cross_max_available": "",
                "trade_partition": "",
                "pair": "SOL-USDT",
                "business_type": "swap",
            }
        ]
        row = {
            "futures_contract_detail": [],
            "margin_mode": "cross",
            "margin_account": "USDT",
            "margin_asset": "USDT",
            "margin_balance": number(wallet + unrealized),
            "margin_static": number(wallet),
            "margin_position": number(script.position_margin),
            "margin_frozen": number(0),
            "profit_unreal": number(unrealized),
            "withdraw_available": number(wallet - script.position_margin),
            "risk_rate": None,
            "money_in": "",
            "money_out": "",
            "new_risk_rate": "",
            "position_mode": "single_side",
            "contract_detail": detail,
        }
        return {"status": "ok", "data": [row], "ts": call.now_ms}

    def isolated_account_info(self, call: Call) -> Json:
        """Every listed contract's isolated account, with what it holds (no position is left open in one)."""
        self._script()
        asked = str(call.params.get("contract_code") or "").upper()
        rows = []
        for code in LISTED_CONTRACTS:
            if asked and code != asked:
                continue
            held = number(isolated_wallet(self.lines, code) if code in self.isolated else Decimal(0))
            rows.append(
                {
                    "symbol": code.split("-")[0],
                    "contract_code": code,
                    "margin_asset": "USDT",
                    "margin_balance": held,
                    "margin_position": number(0),
                    "margin_frozen": number(0),
                    "margin_available": held,
                    "profit_real": number(0),
                    "profit_unreal": number(0),
                    "risk_rate": number(0),  # not modelled: the documented type, a number
                    "new_risk_rate": "",
                    "trade_partition": "",
                    "withdraw_available": held,
                    "liquidation_price": None,
                    "lever_rate": 10,
                    "adjust_factor": number(Decimal("0.075")),
                    "margin_static": held,
                    "margin_mode": "isolated",
                    "margin_account": code,
                    "position_mode": "dual_side",
                }
            )
        return {"status": "ok", "data": rows, "ts": call.now_ms}

    def coin_swap_account_info(self, call: Call) -> Json:
        return self._coin_accounts(call, swap=True)

    def _coin_list(self, call: Call, fills: bool) -> Json:
        """The coin-margined swap lists: `contract` required; the scripted BTC-USD account's rows."""
        self._script()
        code = str(call.params.get("contract") or "").upper()
        if not code or (fills and call.params.get("trade_type") in (None, "")):
            raise ContractError(1066, "The symbol field cannot be empty. Please re-enter.")  # ccxt's recorded 1066
        start, end = self._range(call.params, call.now_ms)
        script = self.coin_swap if code == COIN_CONTRACT else None
        rows: list[Json] = []
        if script is not None and fills:
            rows = [fill_row(f) for f in script.fills if start <= f.time <= end]
        elif script is not None:
            rows = [line_row(line) for line in script.lines if start <= line.time <= end]
        return {"code": 200, "msg": "", "data": self._page(rows, call.params), "ts": call.now_ms}

    def coin_swap_fills(self, call: Call) -> Json:
        return self._coin_list(call, fills=True)

    def coin_swap_records(self, call: Call) -> Json:
        return self._coin_list(call, fills=False)

    def delivery_account_info(self, call: Call) -> Json:
        return self._coin_accounts(call, swap=False)

    def _coin_accounts(self, call: Call, *, swap: bool) -> Json:
        """The coin-margined accounts the test gave: swaps by contract ("BTC-USD"), delivery futures by coin. The
        delivery row's fields: the SDK type htx.md names (its page was not found in a public copy)."""
        self._script()
        rows = []
        accounts = dict(self.coin_held)
        if self.coin_swap is not None:
            accounts[COIN_CONTRACT] = self.coin_swap.wallet
        for name, held in sorted(accounts.items()):
            if ("-" in name) != swap:
                continue
            amount, zero = number(held), number(0)
            row: Json = {"symbol": name.split("-")[0], "margin_balance": amount, "margin_position": zero}
            row |= {"margin_frozen": zero, "margin_available": amount, "profit_real": zero, "profit_unreal": zero}
            # Risk rate and liquidation price are not modelled: numbers, as documented.
            row |= {"risk_rate": zero, "new_risk_rate": "", "trade_partition": "", "withdraw_available": amount}
            row |= {"liquidation_price": zero, "lever_rate": 5, "adjust_factor": number(Decimal("0.4"))}
            row["margin_static"] = amount
            if swap:
                row["contract_code"] = name
            rows.append(row)
        return {"status": "ok", "data": rows, "ts": call.now_ms}

    def accounts(self, call: Call) -> Json:
        return {"status": "ok", "data": [{"id": SPOT_ACCOUNT_ID, "type": "spot", "subtype": "", "state": "working"}]}

    def spot_balance(self, call: Call, account_id: str) -> Json:
        if account_id != str(SPOT_ACCOUNT_ID):
            raise ContractError(1010, "Account doesnt exist.")
        held = dict(self.script.wallet) if self.script else {}
        if self.coin_swap is not None:
            held["BTC"] = held.get("BTC", Decimal(0)) + self.coin_swap.wallet
        rows = []
        for b in self.account.balances:
            trade = b.free - held.get(b.asset, Decimal(0))
            if trade > 0 or b.locked > 0:
                for kind, amount in (("trade", trade), ("frozen", b.locked)):
                    rows.append(
                        {
                            "currency": b.asset.lower(),
                            "type": kind,
                            "balance": plain(amount),
                            "debt": "invalid",
                            "available": "invalid",
                            "seq-num": "1",
                        }
                    )
        return {"status": "ok", "data": {"id": SPOT_ACCOUNT_ID, "type": "spot", "state": "working", "list": rows}}
