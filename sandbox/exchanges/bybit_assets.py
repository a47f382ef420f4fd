"""Bybit v5's asset endpoints over a scripted account: deposits (on-chain and internal), withdrawals, internal
transfers and converts, with the rules of Bybit's own pages (docs/exchange-apis/bybit.md lists them):

- on-chain deposits (docs/v5/asset/deposit/deposit-record.mdx) and withdrawals (withdraw/withdraw-record.mdx): limit
  [1, 50], default 50; at most 30 days between startTime and endTime, the last 30 days by default.
- internal deposits (deposit/internal-deposit-record.mdx): the same limits; startTime defaults to 30 days before
  now and endTime to now; ``createdTime`` in seconds, as the docs' example has it.
- internal transfers (transfer/inter-transfer-list.mdx): limit [1, 50], default 20, 7-day windows (since April 2025).
- converts (convert/get-convert-history.mdx): ``index`` from 1, ``limit`` default 20, more than 100 answered as 100;
  newest first (the docs' example); ``accountType`` filters, several joined by commas. Converts made on the website
  or app are listed only from 2025-09-10 on.

Which scripted deposits came from another Bybit user (off-chain), which converts were made on the website and which
deposits went through a rollback review are facts of the scripted account, picked by id so they stay put.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from sandbox.exchanges.bybit_book import (
    ASSET_WINDOW_MS,
    TRANSFER_WINDOW_MS,
    BybitError,
    Call,
    Json,
    cursor_page,
    int_param,
    limit_param,
    window,
)
from sandbox.exchanges.lifecycle import Lifecycle, Stage
from sandbox.exchanges.records import (
    ConvertRecord,
    DepositRecord,
    ScriptedAccount,
    TransferRecord,
    WithdrawalRecord,
    plain,
)
from sandbox.exchanges.scripted import credited_balances

WEB_CONVERTS_LISTED_FROM_MS = 1_757_462_400_000  # 2025-09-10 00:00 UTC
API_CONVERT_ACCOUNT = "eb_convert_uta"
WEB_CONVERT_ACCOUNT = "funding"
CONVERT_ACCOUNT_TYPES = frozenset(
    {"eb_convert_funding", "eb_convert_uta", "funding", "funding_fiat", "funding_fbtc_convert", "funding_block_trade"}
)


def is_internal(deposit: DepositRecord) -> bool:
    """Every fifth scripted deposit came from another Bybit user, off-chain."""
    return int(deposit.id) % 5 == 0


def deposit_status(deposit: DepositRecord) -> int:
    """3 success for most; some were credited to the funding pool (10012) or kept after a rollback review (70012)."""
    number = int(deposit.id)
    if number % 13 == 0:
        return 70012
    if number % 7 == 0:
        return 10012
    return 3


# Internal deposits (internal-deposit-record.mdx): 1 processing, 2 success, 3 failed. Withdrawals
# (enum.mdx#withdrawstatus): Pending, success, Reject.
INTERNAL_DEPOSIT_STATUS = {Stage.PENDING: 1, Stage.DONE: 2, Stage.FAILED: 3}
WITHDRAWAL_STATUS = {Stage.PENDING: "Pending", Stage.DONE: "success", Stage.FAILED: "Reject"}


def convert_account(convert: ConvertRecord) -> str:
    """Every third scripted convert was made on the website, the others through the API."""
    return WEB_CONVERT_ACCOUNT if int(convert.id) % 3 == 0 else API_CONVERT_ACCOUNT


class BybitAssets:
    """Serves one scripted account's asset history the way Bybit's v5 REST API does."""

    def __init__(self, account: ScriptedAccount, *, contract_transfers: Sequence[TransferRecord] = ()) -> None:
        self.account = account
        self.lifecycle = Lifecycle()  # deposits and withdrawals a test scripts as not final yet
        # A classic account's moves between its spot and contract wallets (bybit_derivatives_script).
        self.all_transfers = (*account.transfers, *contract_transfers)
        # The funding wallet's coins: none, unless a script moves money through it (bybit_loans: crypto loans).
        self.funding: dict[str, Decimal] = {}

    def coins_balance(self, call: Call) -> Json:
        """All coins' balances of one account type (asset/balance/all-balance.mdx): `accountType` required, `coin`
        mandatory for UNIFIED (up to 10, comma-separated). The scripted account holds all it has in its unified
        wallet, so its funding (FUND) wallet lists nothing."""
        account_type = call.params.get("accountType", "")
        coins = [c for c in call.params.get("coin", "").split(",") if c]
        if not account_type:
            raise BybitError(10001, "accountType is required.")
        if account_type == "UNIFIED" and not 1 <= len(coins) <= 10:
            raise BybitError(10001, "coin is required for accountType UNIFIED, up to 10.")
        credited = credited_balances(self.account, self.lifecycle)
        held = {b.asset: b.total for b in credited} if account_type == "UNIFIED" else {}
        if account_type == "FUND":
            held = {c: a for c, a in self.funding.items() if a}
            coins = coins or sorted(held)
        amounts = {c: plain(held.get(c, Decimal(0))) for c in coins}
        balance = [{"coin": c, "walletBalance": a, "transferBalance": a, "bonus": ""} for c, a in amounts.items()]
        return {"memberId": "24617703", "accountType": account_type, "balance": balance}

    def deposits(self, call: Call) -> Json:
        limit = limit_param(call.params, 50, 50)
        start, end = window(call.params, call.now_ms, ASSET_WINDOW_MS)
        coin = call.params.get("coin")
        chosen = [
            d
            for d in self.lifecycle.listed(self.account.deposits, lambda d: d.id)
            if not is_internal(d) and start <= d.timestamp <= end and (not coin or d.asset == coin)
        ]
        items, cursor = cursor_page(chosen, call.params, limit, lambda d: (d.timestamp, d.id))
        rows = [self._deposit(d, self.lifecycle.status(d.id, self._deposit_statuses(d))) for d in items]
        return {"rows": rows, "nextPageCursor": cursor}

    @staticmethod
    def _deposit_statuses(d: DepositRecord) -> dict[Stage, int]:
        # enum.mdx#depositstatus: 1 to be confirmed, 4 deposit failed.
        return {Stage.PENDING: 1, Stage.FAILED: 4, Stage.DONE: deposit_status(d)}

    @staticmethod
    def _deposit(d: DepositRecord, status: int | None = None) -> Json:
        return {
            "coin": d.asset,
            "chain": d.network,
            "amount": plain(d.amount),
            "txID": d.tx_id,
            "status": deposit_status(d) if status is None else status,
            "toAddress": d.address,
            "tag": "",
            "depositFee": "",
            "successAt": str(d.timestamp),
            "confirmations": "64",
            "txIndex": "0",
            "blockHash": "",
            "batchReleaseLimit": "-1",
            "depositType": "0",
            "fromAddress": "",
            "taxDepositRecordsId": "0",
            "taxStatus": 0,
            "id": d.id,
        }

    def internal_deposits(self, call: Call) -> Json:
        params = call.params
        limit = limit_param(params, 50, 50)
        start, end = int_param(params, "startTime"), int_param(params, "endTime")
        end = call.now_ms if end is None else end
        start = call.now_ms - ASSET_WINDOW_MS if start is None else start
        if start > end:
            raise BybitError(10001, "params error: startTime must be less than or equal to endTime")
        if end - start > ASSET_WINDOW_MS:
            raise BybitError(10001, "params error: the time range between startTime and endTime exceeds 30 days")
        coin, tx_id = params.get("coin"), params.get("txID")
        chosen = [
            d
            for d in self.lifecycle.listed(self.account.deposits, lambda d: d.id)
            if is_internal(d)
            and start <= d.timestamp <= end
            and (not coin or d.asset == coin)
            and (not tx_id or self._internal_tx(d) == tx_id)
        ]
        items, cursor = cursor_page(chosen, params, limit, lambda d: (d.timestamp, d.id))
        return {"rows": [self._internal_deposit(d) for d in items], "nextPageCursor": cursor}

    @staticmethod
    def _internal_tx(d: DepositRecord) -> str:
        return f"{d.tx_id[:8]}-{d.tx_id[8:12]}-{d.tx_id[12:16]}-{d.tx_id[16:20]}-{d.tx_id[20:28]}"

    def _internal_deposit(self, d: DepositRecord) -> Json:
        return {
            "id": d.id,
            "amount": plain(d.amount),
            "type": 1,
            "coin": d.asset,
            "address": "user***@example.com",
            "status": self.lifecycle.status(d.id, INTERNAL_DEPOSIT_STATUS),
            "createdTime": str(d.timestamp // 1000),
            "fromMemberId": str(100_000_000 + int(d.id)),
            "txID": self._internal_tx(d),
            "taxDepositRecordsId": "0",
            "taxStatus": 0,
        }

    def withdrawals(self, call: Call) -> Json:
        limit = limit_param(call.params, 50, 50)
        start, end = window(call.params, call.now_ms, ASSET_WINDOW_MS)
        coin, wanted_id = call.params.get("coin"), call.params.get("withdrawID")
        kind = int_param(call.params, "withdrawType")
        if kind not in (None, 0, 1, 2):
            raise BybitError(10001, "params error: withdrawType invalid")
        # Every scripted withdrawal went on-chain: withdrawType 1 (off-chain only) finds none.
        chosen = [
            w
            for w in self.lifecycle.listed(self.account.withdrawals, lambda w: w.id)
            if kind != 1
            and start <= w.timestamp <= end
            and (not coin or w.asset == coin)
            and (not wanted_id or w.id == wanted_id)
        ]
        items, cursor = cursor_page(chosen, call.params, limit, lambda w: (w.timestamp, w.id))
        rows = [self._withdrawal(w, self.lifecycle.status(w.id, WITHDRAWAL_STATUS)) for w in items]
        return {"rows": rows, "nextPageCursor": cursor}

    @staticmethod
    def _withdrawal(w: WithdrawalRecord, status: str = "success") -> Json:
        return {
            "coin": w.asset,
            "chain": w.network,
            "amount": plain(w.amount),
            "txID": w.tx_id,
            "status": status,
            "toAddress": w.address,
            "tag": "",
            "withdrawFee": plain(w.fee),
            "createTime": str(w.timestamp),
            "updateTime": str(w.timestamp + 300_000),
            "withdrawId": w.id,
            "withdrawType": 0,
            "fee": "",
            "tax": "",
            "taxRate": "",
            "taxType": "",
        }

    def transfers(self, call: Call) -> Json:
        limit = limit_param(call.params, 20, 50)
        start, end = window(call.params, call.now_ms, TRANSFER_WINDOW_MS)
        coin = call.params.get("coin")
        chosen = [t for t in self.all_transfers if start <= t.timestamp <= end and (not coin or t.asset == coin)]
        items, cursor = cursor_page(chosen, call.params, limit, lambda t: (t.timestamp, t.id))
        return {"list": [self._transfer(t) for t in items], "nextPageCursor": cursor}

    @staticmethod
    def _transfer(t: TransferRecord) -> Json:
        return {
            "transferId": t.id,
            "coin": t.asset,
            "amount": plain(t.amount),
            "fromAccountType": t.from_account,
            "toAccountType": t.to_account,
            "timestamp": str(t.timestamp),
            "status": "SUCCESS",
        }

    def converts(self, call: Call) -> Json:
        params = call.params
        index = int_param(params, "index") or 1
        limit = min(int_param(params, "limit") or 20, 100)
        wanted = {kind for kind in params.get("accountType", "").split(",") if kind}
        if wanted - CONVERT_ACCOUNT_TYPES:
            raise BybitError(10001, "params error: accountType invalid")
        listed = [c for c in self.listed_converts() if not wanted or convert_account(c) in wanted]
        ordered = sorted(listed, key=lambda c: (c.timestamp, c.id), reverse=True)
        page = ordered[(index - 1) * limit : index * limit]
        return {"list": [self._convert(c) for c in page]}

    def listed_converts(self) -> Sequence[ConvertRecord]:
        """The converts the API lists: all made through the API, those made on the website since 2025-09-10."""
        return [
            c
            for c in self.account.converts
            if convert_account(c) != WEB_CONVERT_ACCOUNT or c.timestamp >= WEB_CONVERTS_LISTED_FROM_MS
        ]

    @staticmethod
    def _convert(c: ConvertRecord) -> Json:
        return {
            "accountType": convert_account(c),
            "exchangeTxId": c.quote_id,
            "userId": "24617703",
            "fromCoin": c.from_asset,
            "fromCoinType": "crypto",
            "fromAmount": plain(c.from_amount),
            "toCoin": c.to_asset,
            "toCoinType": "crypto",
            "toAmount": plain(c.to_amount),
            "exchangeStatus": "success",
            "extInfo": {},
            "convertRate": plain(c.ratio),
            "createdAt": str(c.timestamp),
        }
