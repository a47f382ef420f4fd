"""Gate perpetual futures, emulated: the USDT- and BTC-settled futures accounts of a scripted account that traded
them, as Gate's API v4 answers (docs/exchange-apis/gate.md, "Futures", names every page these rules come from).

- ``GET /futures/{settle}/contracts`` (public): each contract's `name`, `type` (direct or inverse) and
  `quanto_multiplier` (the base quantity of one contract; "0" for the BTC-settled BTC_USD, one contract there being
  1 USD as ccxt's `parse_contract_market` says), `limit`/`offset`.
- ``GET /futures/{settle}/accounts``: `total` ("the balance after the user's accumulated deposit, withdraw, profit
  and loss … excluding unrealized profit and loss. total = SUM(history_dnw, history_pnl, history_fee, history_refr,
  history_fund)") and `history`, those sums. A user who never moved money into that settle's account gets
  ``{"label": "USER_NOT_FOUND", "detail": "please transfer funds first to create futures account"}`` (recorded in
  ccxt issue #13249), as do the two lists below.
- ``GET /futures/{settle}/account_book``: `from`/`to` Unix seconds (no span limit documented), `limit`, `offset`
  from 0, `type` (dnw, pnl, fee, refr, fund, point_dnw, point_fee, point_refr, bonus_offset); rows `time` (seconds
  with a fraction), `change`, `balance`, `type`, `text`, `contract`, `trade_id`, `id`.
- ``GET /futures/{settle}/my_trades_timerange``: `contract`, `from`/`to`, `limit`, `offset`, `role`; rows
  `trade_id`, `create_time` (seconds with a fraction), `contract`, `order_id`, `size` (contracts, negative when
  selling), `close_size`, `price`, `role`, `text`, `fee`, `point_fee`.
- ``GET /spot/accounts``: the spot balances (`currency`, `available`, `locked`, `update_id`).

The script is gate_futures_script.py's. The spot book shows each move as `futures_out` (leaving spot) or
`futures_in`. Limits of 1000 a page and newest-first order are unsourced (the pages state neither).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from sandbox.exchanges.base import SECOND_MS
from sandbox.exchanges.gate_book import GateError, int_param, param_error
from sandbox.exchanges.gate_futures_script import (
    CONTRACTS,
    FUNDING_EVERY_MS,
    FUNDING_RATE,
    SETTLES,
    TAKER,
    Contract,
    FuturesScript,
    SpotMove,
    script_delivery,
    script_futures,
    with_futures,
)
from sandbox.exchanges.protocol import Call
from sandbox.exchanges.records import ScriptedAccount, plain

__all__ = [
    "SETTLES",
    "GateFutures",
    "SpotMove",
    "script_delivery",
    "script_futures",
    "spot_balances",
    "spot_moves_of",
    "with_futures",
]

Json = dict[str, Any]
LIST_LIMIT_MAX = 1000  # not on the pages (unsourced); ccxt's fetchMyTrades says "default 100, max 1000"
LIST_LIMIT_DEFAULT = 100
NO_ACCOUNT = GateError("USER_NOT_FOUND", "please transfer funds first to create futures account", 400)


def _time(ms: int) -> float:
    """Gate's futures times: Unix seconds with a fraction, a JSON number (`1682294400.123456` in the example)."""
    return float(Decimal(ms) / 1000)


class GateFutures:
    """Serves the futures endpoints of one scripted account; `script` None: the account never opened futures."""

    def __init__(self, script: FuturesScript | None, *, delivery: bool = False) -> None:
        """`delivery`: the /delivery/{settle}/… lists, whose fills are numbered `id` and asked without a range, and
        whose account book takes no `offset` (their pages list neither)."""
        self.script = script
        self.delivery = delivery

    def contracts(self, settle: str, call: Call) -> list[Json]:
        limit, offset = _paging(call.params)
        known = self.script.contracts if self.script is not None else () if self.delivery else CONTRACTS
        listed = [c for c in known if c.settle == settle]
        return [_contract(c) for c in listed[offset : offset + limit]]

    def accounts(self, settle: str, call: Call) -> Json:
        history = self._script(settle).totals(settle)
        total = sum(history.values(), Decimal(0))
        zero = "0"
        return {
            "user": 1666,
            "currency": settle.upper(),
            "total": plain(total),
            "unrealised_pnl": zero,
            "position_margin": zero,
            "order_margin": zero,
            "available": plain(total),
            "point": zero,
            "bonus": zero,
            "in_dual_mode": False,
            "enable_evolved_classic": False,
            # The new classic margin mode's cross figures: no position is open, so nothing is held as margin.
            "cross_initial_margin": zero,
            "cross_maintenance_margin": zero,
            "cross_order_margin": zero,
            "cross_unrealised_pnl": zero,
            "cross_available": plain(total),
            "cross_margin_balance": plain(total),
            "cross_mmr": zero,
            "cross_imr": zero,
            "isolated_position_margin": zero,
            "enable_tiered_mm": True,
            "history": {
                name: plain(history.get(name, Decimal(0)))
                for name in ("dnw", "pnl", "fee", "refr", "fund", "point_dnw", "point_fee", "point_refr")
            }
            | {"bonus_dnw": zero, "bonus_offset": zero},
        }

    def account_book(self, settle: str, call: Call) -> list[Json]:
        script = self._script(settle)
        limit, offset = _paging(call.params)
        offset = 0 if self.delivery else offset  # the delivery book's page lists no `offset`
        start, end = _range(call)
        kind, contract = call.params.get("type"), call.params.get("contract")
        balance: dict[str, Decimal] = {}
        rows: list[Json] = []
        for n, line in enumerate(script.lines):
            if line.settle != settle:
                continue
            balance[settle] = balance.get(settle, Decimal(0)) + line.change
            if not start <= line.time_ms // SECOND_MS <= end or kind not in (None, "", line.type):
                continue
            if contract not in (None, "", line.contract):
                continue
            rows.append(
                {
                    "time": _time(line.time_ms),
                    "change": plain(line.change),
                    "balance": plain(balance[settle]),
                    "text": line.text,
                    "type": line.type,
                    "contract": line.contract,
                    "trade_id": line.trade_id,
                    "id": str(410_000_000 + n),
                }
            )
        rows.reverse()
        return rows[offset : offset + limit]

    def my_trades(self, settle: str, call: Call) -> list[Json]:
        script = self._script(settle)
        limit, offset = _paging(call.params)
        # The delivery list takes no range (its page lists none): every fill, newest first.
        start, end = (0, call.now_ms // SECOND_MS) if self.delivery else _range(call)
        contract, role = call.params.get("contract"), call.params.get("role")
        rows = [
            {
                "trade_id": str(f.trade_id),
                "create_time": _time(f.time_ms),
                "contract": f.contract,
                "order_id": str(f.order_id),
                "size": f.size,
                "close_size": f.close_size,
                "price": plain(f.price),
                "role": "taker",
                "text": "web",
                "fee": plain(f.fee),
                "point_fee": "0",
            }
            for f in script.fills
            if f.settle == settle
            and start <= f.time_ms // SECOND_MS <= end
            and contract in (None, "", f.contract)
            and role in (None, "", "taker")
        ]
        if self.delivery:
            # The delivery fill is numbered `id`, an integer, as the "Query personal trading records" example shows.
            for row in rows:
                row["id"] = int(str(row.pop("trade_id")))
        rows.reverse()
        return rows[offset : offset + limit]

    def _script(self, settle: str) -> FuturesScript:
        if self.script is None:
            raise NO_ACCOUNT
        return self.script


def spot_balances(
    account: ScriptedAccount, moves: Sequence[SpotMove], adjustments: Mapping[str, Decimal]
) -> list[Json]:
    """GET /spot/accounts: the account's holdings less what was moved into its futures and delivery accounts (their
    profit, loss,
    fees and funding happen there), moved by `adjustments`
    (what a test scripted beside the account: sub-account moves, fees paid in GT). Scripted moves to the other Gate
    accounts (margin, delivery, …) are shown here: the emulator keeps no balance of those accounts (unsourced)."""
    held = {b.asset: b.total for b in account.balances}
    for asset, change in adjustments.items():
        held[asset] = held.get(asset, Decimal(0)) + change
    for move in moves:
        held[move.currency] = held.get(move.currency, Decimal(0)) + move.change
    return [
        {"currency": asset, "available": plain(total), "locked": "0", "update_id": 98}
        for asset, total in sorted(held.items())
        if total != 0
    ]


def _contract(c: Contract) -> Json:
    """A contract as the "Query all futures contracts" example shows one; market figures (prices, open interest,
    users, sizes traded) are fixed values here, the fields that say what the contract is are the script's."""
    price = plain(c.base_price)
    # A delivery contract's settlement time (ccxt's parse_contract_market reads `expire_time`, Unix seconds).
    expiry = {"expire_time": c.expires_ms // SECOND_MS} if c.expires_ms else {}
    return expiry | {
        "name": c.name,
        "type": "inverse" if c.inverse else "direct",
        "quanto_multiplier": plain(c.quanto),
        "ref_discount_rate": "0",
        "order_price_deviate": "0.5",
        "maintenance_rate": "0.005",
        "mark_type": "index",
        "last_price": price,
        "mark_price": price,
        "index_price": price,
        "funding_rate_indicative": plain(FUNDING_RATE),
        "mark_price_round": "0.01",
        "funding_offset": 0,
        "in_delisting": False,
        "risk_limit_base": "1000000",
        "interest_rate": "0.0003",
        "order_price_round": "0.1",
        "order_size_min": 1,
        "ref_rebate_rate": "0.2",
        "funding_interval": FUNDING_EVERY_MS // SECOND_MS,
        "risk_limit_step": "1000000",
        "leverage_min": "1",
        "leverage_max": "100",
        "risk_limit_max": "8000000",
        "maker_fee_rate": "-0.00025",
        "taker_fee_rate": plain(TAKER),
        "funding_rate": plain(FUNDING_RATE),
        "order_size_max": 1000000,
        "funding_next_apply": 1610035200,
        "short_users": 977,
        "config_change_time": 1609899548,
        "trade_size": 28530850594,
        "position_size": 5223816,
        "long_users": 455,
        "funding_impact_value": "60000",
        "orders_limit": 50,
        "trade_id": 10851092,
        "orderbook_id": 2129638396,
        "enable_bonus": True,
        "enable_credit": True,
        "create_time": 1669688556,
        "funding_cap_ratio": "0.75",
        "status": "trading",
        "launch_time": 1609899548,
        "delisting_time": 0,
        "delisted_time": 0,
    }


def _paging(params: Mapping[str, str]) -> tuple[int, int]:
    limit = int_param(params, "limit")
    limit = LIST_LIMIT_DEFAULT if limit is None else limit
    if not 1 <= limit <= LIST_LIMIT_MAX:
        raise param_error(f"limit must be between 1 and {LIST_LIMIT_MAX}")
    offset = int_param(params, "offset") or 0
    if offset < 0:
        raise param_error("offset must not be negative")
    return limit, offset


def _range(call: Call) -> tuple[int, int]:
    """[from, to] in seconds: `to` defaults to now; `from` to the start of the data (no span limit documented)."""
    start, end = int_param(call.params, "from"), int_param(call.params, "to")
    end = call.now_ms // SECOND_MS if end is None else end
    start = 0 if start is None else start
    if start > end:
        raise param_error("from must not be after to")
    return start, end


def spot_moves_of(script: FuturesScript | None) -> Sequence[SpotMove]:
    return script.spot_moves if script is not None else ()
