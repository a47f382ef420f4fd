"""What HTX's spot API answers for one scripted account: symbols, the key's uid and details, match results, and
deposits and withdrawals.

Fields, envelopes, page sizes, windows and reach are those of HTX's spot documentation; each rule and its source
is in docs/exchange-apis/htx.md. Where the documentation is silent (whether `from` is inclusive, the answer to a
window longer than allowed) the choice made here is marked there as unsourced.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from sandbox.exchanges.base import DAY_MS, HOUR_MS
from sandbox.exchanges.protocol import Call, NotEmulated
from sandbox.exchanges.raw_numbers import number
from sandbox.exchanges.records import (
    DepositRecord,
    IdStyle,
    Market,
    ScriptedAccount,
    TradeRecord,
    TransferRecord,
    WithdrawalRecord,
    plain,
)

Json = dict[str, Any]

# Search Match Results: "The maximum size of the query window is 48 hour. The query window can be shifted within
# 120 days"; size [1-500], default 100.
TRADES_WINDOW_MS = 48 * HOUR_MS
TRADES_REACH_MS = 120 * DAY_MS
TRADES_SIZE_DEFAULT, TRADES_SIZE_MAX = 100, 500
# Search for Existed Withdraws and Deposits: size [1-500] (see htx.md on the page's shifted table), default 100.
WALLET_SIZE_DEFAULT, WALLET_SIZE_MAX = 100, 500
# Get Account Ledger: "The maximum query window size … is 10-day", "The query window can be within the last 180
# days"; limit [1-500], default 100; only transactType "transfer" so far.
LEDGER_WINDOW_MS = 10 * DAY_MS
LEDGER_REACH_MS = 180 * DAY_MS
LEDGER_LIMIT_DEFAULT, LEDGER_LIMIT_MAX = 100, 500
SPOT_ACCOUNT_ID = 10_000_001  # the example's accountId
FUTURES_ACCOUNT_ID = 13_496_526
DEPOSIT_DONE_STATE = "safe"  # "Multiple on-chain confirmed, user is able to withdraw"
WITHDRAWAL_DONE_STATE = "confirmed"  # "On-chain transfer completed with one confirmation"
FIRST_TRANSFER_ID = 45_182_894  # the size of the ids in the page's example


class HtxError(Exception):
    """An error answer: v1 ``{"status": "error", "err-code": …, "err-msg": …}``, v2 ``{"code": …, "message": …}``."""

    def __init__(self, code: str, msg: str, status: int = 200) -> None:
        super().__init__(msg)
        self.code = code
        self.msg = msg
        self.status = status


class HtxIds(IdStyle):
    """Symbols are lowercase (``btcusdt``); match-result ids are large numbers, not in order ("non sequential")."""

    def market_symbol(self, base: str, quote: str) -> str:
        return (base + quote).lower()

    def trade_id(self, rng: random.Random, n: int) -> str:
        return str(300_000_000_000_000 + rng.getrandbits(40))

    def order_id(self, rng: random.Random, n: int) -> str:
        return str(345_000_000_000_000 + n * 1000 + rng.randrange(1000))


def invalid_parameter(msg: str = "invalid parameter") -> HtxError:
    return HtxError("invalid-parameter", msg)  # unsourced text; the code is in ccxt's exception table


def int_param(params: Mapping[str, str], name: str) -> int | None:
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    try:
        return int(raw)
    except ValueError:
        raise invalid_parameter(f"{name} is invalid") from None


def _v2_int(params: Mapping[str, str], name: str) -> int | None:
    try:
        return int_param(params, name)
    except HtxError:
        raise v2_error(f"invalid field value in `{name}`") from None


def size_param(params: Mapping[str, str], default: int, maximum: int) -> int:
    size = int_param(params, "size")
    if size is None:
        return default
    if not 1 <= size <= maximum:
        raise invalid_parameter("size is invalid")
    return size


def v2_error(msg: str) -> HtxError:
    return HtxError("2002", msg)  # unsourced: the v2 code for a bad field value the emulator uses


class HtxBook:
    """Serves one scripted account the way HTX's spot API does."""

    def __init__(self, account: ScriptedAccount, uid: int) -> None:
        self.account = account
        self.uid = uid
        self.match_ids = {t.id: 5000 + n for n, t in enumerate(account.trades)}
        # Deposits and withdrawals share one id space ("Transfer id"), ascending with time.
        moves: list[DepositRecord | WithdrawalRecord] = sorted(
            (*account.deposits, *account.withdrawals), key=lambda r: r.timestamp
        )
        self.transfer_ids = {id(r): FIRST_TRANSFER_ID + 7 * n for n, r in enumerate(moves)}
        # States other than final, by transfer id: a deposit still confirming, a withdrawal under review.
        self.states: dict[int, str] = {}
        # Match results whose fee is still being deducted ("fee-deduct-state": "ongoing"), by trade id. Until it is
        # done, `filled-fees` is not final; what HTX shows meanwhile is not stated: here "0" (unsourced).
        self.fees_ongoing: set[str] = set()
        # The deposit-withdraw page's size table is misaligned (htx.md: its default reads 50 or 100): a test can make
        # the list answer at most this many rows, whatever `size` asks.
        self.wallet_page_cap: int | None = None

    def transfer_id(self, record: DepositRecord | WithdrawalRecord) -> int:
        return self.transfer_ids[id(record)]

    # -- public ---------------------------------------------------------------------------------------------

    def symbols(self, call: Call) -> Json:
        return {"status": "ok", "data": [self._symbol(m) for m in self.account.markets]}

    @staticmethod
    def _symbol(m: Market) -> Json:
        # GET /v1/common/symbols as "Get all Supported Trading Symbol" documents a row (its Responds example,
        # tests/conformance/documented/htx/common_symbols.docs.json): every field of it, the limits as JSON numbers.
        return {
            "base-currency": m.base.lower(),
            "quote-currency": m.quote.lower(),
            "price-precision": 8,
            "amount-precision": 8,
            "symbol-partition": "main",
            "symbol": m.symbol,
            "state": "online",
            "value-precision": 8,
            "min-order-amt": 0.0001,
            "max-order-amt": 10000000,
            "min-order-value": 1,
            "limit-order-min-order-amt": 0.0001,
            "limit-order-max-order-amt": 10000000,
            "sell-market-min-order-amt": 0.0001,
            "sell-market-max-order-amt": 10000000,
            "buy-market-max-order-value": 1000000,
            "leverage-ratio": 1,
            "super-margin-leverage-ratio": 1,
            "funding-leverage-ratio": 1,
            "api-trading": "enabled",
        }

    # -- the key --------------------------------------------------------------------------------------------

    def user_uid(self, call: Call) -> Json:
        """GET /v2/user/uid as its page's success example shows it: `code` and `data` (the uid), nothing else."""
        return {"code": 200, "data": self.uid}

    def api_key(self, call: Call) -> Json:
        key = call.key
        if key is None:
            raise NotEmulated("the key query is a signed endpoint")
        if call.params.get("uid") not in (None, str(self.uid)):
            raise HtxError("2002", "invalid field value in `uid`")
        if call.params.get("accessKey") not in (None, key.api_key):
            raise NotEmulated("other keys of the account are not emulated")
        rights = (("readOnly", key.permissions.read), ("trade", key.permissions.trade))
        permission = ",".join(name for name, on in (*rights, ("withdraw", key.permissions.withdraw)) if on)
        # validDays "API key expire in (days)": the days left from now (the docs' example, 7 days left for a key
        # made on 2021-06-08 and still normal after its update of 2021-08-25, fits no other reading). Whole days,
        # rounded up, is unsourced; an expired key shows 0.
        left = 0 if key.expires_at is None else max(0, key.expires_at - call.now_ms)
        valid_days = -1 if key.expires_at is None else -(-left // DAY_MS)
        expired = key.expires_at is not None and call.now_ms >= key.expires_at
        row = {
            "accessKey": key.api_key,
            "status": "expired" if expired else "normal",
            "note": key.label or "Tallybot",
            "permission": permission,
            "ipAddresses": ",".join(key.ip_whitelist),
            "validDays": valid_days,
            "createTime": key.created_at,
            "updateTime": key.created_at,
        }
        return {"code": 200, "message": "success", "data": [row], "ok": True}

    # -- match results --------------------------------------------------------------------------------------

    def match_results(self, call: Call) -> Json:
        params = call.params
        symbol = params.get("symbol")
        if symbol and symbol not in {m.symbol for m in self.account.markets}:
            raise HtxError("base-symbol-error", "The symbol is invalid")
        if params.get("types"):
            raise NotEmulated("match results by order type are not emulated")
        end = int_param(params, "end-time")
        start = int_param(params, "start-time")
        end = call.now_ms if end is None else end
        start = end - TRADES_WINDOW_MS if start is None else start
        if start > end or end - start > TRADES_WINDOW_MS:
            raise invalid_parameter("the query window is at most 48 hours")
        if start < call.now_ms - TRADES_REACH_MS:
            raise HtxError("base-date-limit-error", "date less than system limit")
        size = size_param(params, TRADES_SIZE_DEFAULT, TRADES_SIZE_MAX)
        pool = self.account.trades_for(symbol) if symbol else self.account.trades
        rows = [t for t in pool if start <= t.timestamp <= end]
        # Newest first for direct=next (the default), oldest first for prev; `from` is the id of the last row of
        # the page before, and the next page starts after it.
        rows.sort(key=lambda t: (t.timestamp, int(t.id)), reverse=params.get("direct", "next") == "next")
        if params.get("direct", "next") not in ("next", "prev"):
            raise invalid_parameter("direct is invalid")
        after = params.get("from")
        if after:
            ids = [t.id for t in rows]
            if after not in ids:
                raise invalid_parameter("from is invalid")
            rows = rows[ids.index(after) + 1 :]
        return {"status": "ok", "data": [self._match(t) for t in rows[:size]]}

    def _match(self, t: TradeRecord) -> Json:
        kind = "buy" if t.side == "buy" else "sell"
        ongoing = t.id in self.fees_ongoing
        return {
            "symbol": t.symbol,
            "fee-currency": t.fee_asset.lower(),
            "source": "spot-api",
            "price": plain(t.price),
            "created-at": t.timestamp,
            "role": "maker" if t.is_maker else "taker",
            "order-id": int(t.order_id),
            "match-id": self.match_ids[t.id],
            "trade-id": 1000 + self.match_ids[t.id],
            "filled-amount": plain(t.amount),
            "filled-fees": "0" if ongoing else plain(t.fee),
            "filled-points": "0",
            "fee-deduct-currency": "",
            "fee-deduct-state": "ongoing" if ongoing else "done",
            "id": int(t.id),
            "type": f"{kind}-limit" if t.is_maker else f"{kind}-market",
        }

    # -- deposits and withdrawals ---------------------------------------------------------------------------

    def deposit_withdraw(self, call: Call) -> Json:
        params = call.params
        kind = params.get("type")
        if kind not in ("deposit", "withdraw"):
            raise invalid_parameter("type is invalid")
        direct = params.get("direct", "next")
        if direct not in ("next", "prev"):
            raise invalid_parameter("direct is invalid")
        size = size_param(params, WALLET_SIZE_DEFAULT, WALLET_SIZE_MAX)
        currency = params.get("currency")
        records: list[DepositRecord | WithdrawalRecord] = [
            *(self.account.deposits if kind == "deposit" else self.account.withdrawals)
        ]
        rows = [r for r in records if not currency or r.asset.lower() == currency]
        rows.sort(key=lambda r: self.transfer_ids[id(r)], reverse=direct == "next")
        start = int_param(params, "from")
        if start is not None:
            # "The transfer id to begin search": read as inclusive (unsourced).
            ascending = direct == "prev"
            rows = [
                r for r in rows if (self.transfer_ids[id(r)] >= start) == ascending or self.transfer_ids[id(r)] == start
            ]
        if self.wallet_page_cap is not None:
            size = min(size, self.wallet_page_cap)
        return {"status": "ok", "data": [self._transfer(r) for r in rows[:size]]}

    def _transfer(self, r: DepositRecord | WithdrawalRecord) -> Json:
        withdrawal = isinstance(r, WithdrawalRecord)
        return {
            "id": self.transfer_ids[id(r)],
            "type": "withdraw" if withdrawal else "deposit",
            "sub-type": "NORMAL",
            "currency": r.asset.lower(),
            "chain": r.network.lower() + r.asset.lower(),
            "tx-hash": r.tx_id,
            "amount": number(r.amount),
            "from-addr-tag": "",
            "address": r.address,
            "address-tag": "",
            "fee": number(r.fee) if isinstance(r, WithdrawalRecord) else number(Decimal(0)),
            "state": self.states.get(
                self.transfer_ids[id(r)], WITHDRAWAL_DONE_STATE if withdrawal else DEPOSIT_DONE_STATE
            ),
            "created-at": r.timestamp,
            "updated-at": r.timestamp + 60_000,
        }

    # -- the account ledger (transfers between the user's own accounts) --------------------------------------

    def ledger(self, call: Call) -> Json:
        params = call.params
        if params.get("transactTypes") not in (None, "", "transfer"):
            raise v2_error("invalid field value in `transactTypes`")
        if params.get("accountId") not in (None, "", str(SPOT_ACCOUNT_ID)):
            raise NotEmulated("accounts other than spot are not emulated")
        end = _v2_int(params, "endTime")
        start = _v2_int(params, "startTime")
        end = call.now_ms if end is None else end
        start = end - LEDGER_WINDOW_MS if start is None else start  # the default window is not stated
        if start > end or end - start > LEDGER_WINDOW_MS or start < call.now_ms - LEDGER_REACH_MS:
            raise v2_error("invalid field value in `startTime` or `endTime`")
        limit = _v2_int(params, "limit") or LEDGER_LIMIT_DEFAULT
        if not 1 <= limit <= LEDGER_LIMIT_MAX:
            raise v2_error("invalid field value in `limit`")
        currency = params.get("currency")
        rows = [
            t
            for t in self.account.transfers
            if start <= t.timestamp <= end and (not currency or t.asset.lower() == currency.lower())
        ]
        rows.sort(key=lambda t: (t.timestamp, t.id), reverse=True)  # newest first (unsourced: sort is deprecated)
        from_id = _v2_int(params, "fromId")
        if from_id is not None:
            ids = [self.ledger_id(t) for t in rows]
            if from_id not in ids:
                raise v2_error("invalid field value in `fromId`")
            rows = rows[ids.index(from_id) :]
        body: Json = {"code": 200, "message": "success", "data": [self._ledger_row(t) for t in rows[:limit]]}
        if len(rows) > limit:
            body["nextId"] = self.ledger_id(rows[limit])  # "First record ID in next page"
        body["ok"] = True
        return body

    @staticmethod
    def ledger_id(t: TransferRecord) -> int:
        return 1_624_316_679 + int(t.id)

    @staticmethod
    def _ledger_row(t: TransferRecord) -> Json:
        # The spot account's side of the move: "income positive, expenditure negative".
        to_spot = t.to_account == "UNIFIED"
        return {
            "accountId": SPOT_ACCOUNT_ID,
            "currency": t.asset.lower(),
            "transactAmt": number(t.amount if to_spot else -t.amount),
            "transactType": "transfer",
            "transferType": "futures-to-spot" if to_spot else "spot-to-futures",
            "transactId": int(t.id),
            "transactTime": t.timestamp,
            "transferer": FUTURES_ACCOUNT_ID if to_spot else SPOT_ACCOUNT_ID,
            "transferee": SPOT_ACCOUNT_ID if to_spot else FUTURES_ACCOUNT_ID,
        }
