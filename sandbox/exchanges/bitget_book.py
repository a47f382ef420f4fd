"""Bitget v2's read endpoints over a scripted account: parameters, windows, ``idLessThan`` paging and Bitget's JSON.

Rules (docs/exchange-apis/bitget.md, each with its page): spot fills take ``symbol`` as optional, ``limit`` at
most 100 (default 100), a ``startTime``-``endTime`` range of at most 90 days, newest first, the next page asked for
with ``idLessThan=<last tradeId>``, and serve only the last 90 days; deposit and withdrawal records need both ends
(no maximum range is documented), ``limit`` at most 100 (default 20) and page with ``idLessThan=<orderId>``;
convert records need both ends at most 90 days apart (page with ``endId``); transfer records need ``coin``, take
``fromType`` as optional, ``limit`` at most 500 (default 100) and page with ``pageNum`` (default 1, max 1000).
Tax records (spot, futures per ``productType``, margin per ``marginType``, P2P) need both ends at most 30 days
apart, ``limit`` at most 500 (default 500) and page with ``idLessThan=<id>``. History other than fills reaches back
two years (Bitget's help pages). Missing parameters get 40019, invalid values 40017 (also for a range over the
documented maximum, whose exact answer Bitget does not document), a tax range over 30 days 00001 (recorded by
ccxt), all with HTTP 400.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal

from sandbox.exchanges.base import DAY_MS
from sandbox.exchanges.bitget_derivatives import BitgetDerivativesBook
from sandbox.exchanges.bitget_loans import BitgetLoansBook
from sandbox.exchanges.bitget_protocol import (
    SPOT_WINDOW_MS,
    BitgetError,
    Call,
    Json,
    authorities,
    below,
    int_param,
    invalid,
    limit_param,
    missing,
    negative,
    require_key,
    spot_window,
)
from sandbox.exchanges.bitget_tax import BitgetTaxBook, TaxError
from sandbox.exchanges.bitget_tax import TaxRecord as TaxRecord  # re-exported by sandbox.exchanges
from sandbox.exchanges.bitget_wallets import BitgetWalletsBook
from sandbox.exchanges.lifecycle import Lifecycle, Stage
from sandbox.exchanges.records import (
    ConvertRecord,
    DepositRecord,
    Market,
    ScriptedAccount,
    TradeRecord,
    TransferRecord,
    WithdrawalRecord,
    plain,
)
from sandbox.exchanges.scripted import credited_balances

LOOKBACK_MS = 730 * DAY_MS
FILLS_REACH_MS = 90 * DAY_MS  # "It only supports to get the data within 90days" (spot/trade/Get-Fills)
CHAINS = {"BTC": "BTC", "ETH": "ERC20", "SOL": "SOL", "TRX": "TRC20", "XRP": "XRP", "BSC": "BEP20"}
# Scripted transfers move between a funding and a trading account; on Bitget those are "p2p" and "spot".
ACCOUNT_TYPES = {"FUND": "p2p", "UNIFIED": "spot"}
TRANSFER_TYPES = ("spot", "p2p", "coin_futures", "usdt_futures", "usdc_futures", "crossed_margin", "isolated_margin")


# Deposit and withdrawal `status` (spot/account/Get-Deposit-Record.md, Get-Withdraw-Record.md; the same words in the
# v3 records): pending, fail, success.
WALLET_STATUS = {Stage.PENDING: "pending", Stage.DONE: "success", Stage.FAILED: "fail"}


class BitgetBook:
    """Serves one scripted account the way Bitget's v2 REST API does."""

    def __init__(self, account: ScriptedAccount) -> None:
        self.account = account
        self.lifecycle = Lifecycle()  # deposits and withdrawals a test scripts as not final yet (v2 and v3)
        self.uid = str(6_000_000_000 + account.seed % 10**9)
        self.symbols = {m.symbol: m for m in account.markets}
        self.tax = BitgetTaxBook(account)
        self.derivatives = BitgetDerivativesBook()  # the emulator's futures and margin lists (their transfers too)
        # Funding, earn and bot wallets, dust, main-sub transfers, savings records (the rewards: flexible interest).
        self.wallets = BitgetWalletsBook(self.uid, lambda: self.account.rewards)
        self.loans = BitgetLoansBook(self.wallets.kinds)  # crypto loans (none until a test adds them)

    # -- public ---------------------------------------------------------------------------------------------

    def server_time(self, call: Call) -> Json:
        return {"serverTime": str(call.now_ms)}

    def symbols_list(self, call: Call) -> list[Json]:
        symbol = call.params.get("symbol")
        return [self._symbol(m) for m in self.account.markets if symbol in (None, m.symbol)]

    @staticmethod
    def _symbol(m: Market) -> Json:
        exponent = m.price.normalize().as_tuple().exponent
        price_places = max(0, -exponent if isinstance(exponent, int) else 0) + 2
        return {
            "symbol": m.symbol,
            "baseCoin": m.base,
            "quoteCoin": m.quote,
            "minTradeAmount": "0",
            "maxTradeAmount": "900000000000000000000",
            "takerFeeRate": "0.001",
            "makerFeeRate": "0.001",
            "pricePrecision": str(min(price_places, 8)),
            "quantityPrecision": "8",
            "quotePrecision": "8",
            "status": "online",
            "minTradeUSDT": "1",
            "buyLimitPriceRatio": "0.05",
            "sellLimitPriceRatio": "0.05",
            "areaSymbol": "no",
            "orderQuantity": "200",
            "openTime": "1532454360000",
            "offTime": "",
        }

    def margin_currencies(self, call: Call) -> list[Json]:
        """The pairs with margin trading: the real-looking USDT pairs."""
        return [
            {
                "symbol": m.symbol,
                "baseCoin": m.base,
                "quoteCoin": m.quote,
                "maxCrossedLeverage": "3",
                "maxIsolatedLeverage": "10",
                "warningRiskRatio": "0.8",
                "liquidationRiskRatio": "1",
                "minTradeAmount": "0",
                "maxTradeAmount": "5000000",
                "takerFeeRate": "0.001",
                "makerFeeRate": "0.001",
                # margin/common/support-currencies.md names these pricePrecision and quantityPrecision.
                "pricePrecision": "4",
                "quantityPrecision": "6",
                "minTradeUSDT": "5",
                "isBorrowable": True,
                "userMinBorrow": "0.00000001",
                "status": "1",
                "isIsolatedBaseBorrowable": True,
                "isIsolatedQuoteBorrowable": True,
                "isCrossBorrowable": True,
            }
            for m in self.account.markets
            if m.quote == "USDT" and not m.base.startswith("TKN")
        ]

    # -- account --------------------------------------------------------------------------------------------

    def account_info(self, call: Call) -> Json:
        key = require_key(call)
        return {
            "userId": self.uid,
            "inviterId": "",
            "ips": ",".join(key.ip_whitelist),
            "authorities": authorities(key),
            "parentId": int(self.uid),
            "traderType": "not_trader",
            "channelCode": "",
            "channel": "",
            "regisTime": str(self.account.now_ms - 4 * 365 * DAY_MS),
        }

    def assets(self, call: Call) -> list[Json]:
        coin = call.params.get("coin")
        show_all = call.params.get("assetType") == "all"
        held = {b.asset: (b.free, b.locked) for b in credited_balances(self.account, self.lifecycle)}
        for asset, change in self.wallets.kinds.spot_change.items():  # what a test added (bitget_wallets)
            free, locked = held.get(asset, (Decimal(0), Decimal(0)))
            held[asset] = (free + change, locked)
        return [
            {
                "coin": asset,
                "available": plain(free),
                "frozen": plain(locked),
                "locked": "0",
                "limitAvailable": "0",
                "uTime": str(call.now_ms),
            }
            for asset, (free, locked) in sorted(held.items())
            if (show_all or free + locked > 0) and (not coin or asset == coin)
        ]

    # -- trades ---------------------------------------------------------------------------------------------

    def fills(self, call: Call) -> list[Json]:
        params = call.params
        symbol = params.get("symbol", "")
        limit = limit_param(params, 100, 100)
        start, end = spot_window(params, call.now_ms, FILLS_REACH_MS, required=False, max_span_ms=SPOT_WINDOW_MS)
        order_id = params.get("orderId")
        trades = self.account.trades_for(symbol) if symbol else self.account.trades
        chosen = [t for t in trades if start <= t.timestamp <= end and (not order_id or t.order_id == order_id)]
        return [self._fill(t) for t in below(chosen, lambda t: int(t.id), params, limit)]

    def _fill(self, t: TradeRecord) -> Json:
        return {
            "userId": self.uid,
            "symbol": t.symbol,
            "orderId": t.order_id,
            "tradeId": t.id,
            "orderType": "limit" if t.is_maker else "market",
            "side": t.side,
            "priceAvg": plain(t.price),
            "size": plain(t.amount),
            "amount": plain(t.cost),
            "feeDetail": {
                "deduction": "no",
                "feeCoin": t.fee_asset,
                "totalDeductionFee": "",
                "totalFee": negative(t.fee),
            },
            "tradeScope": "maker" if t.is_maker else "taker",
            "cTime": str(t.timestamp),
            "uTime": str(t.timestamp + 1),
        }

    # -- wallet ---------------------------------------------------------------------------------------------

    def deposit_records(self, call: Call) -> list[Json]:
        p = call.params
        limit = limit_param(p, 20, 100)
        start, end = spot_window(p, call.now_ms, LOOKBACK_MS, required=True, max_span_ms=None)
        coin, order_id = p.get("coin"), p.get("orderId")
        chosen = [
            d
            for d in self.lifecycle.listed(self.account.deposits, lambda d: d.id)
            if start <= d.timestamp <= end and (not coin or d.asset == coin) and (not order_id or d.id == order_id)
        ]
        chosen = below(chosen, lambda d: int(d.id), p, limit)
        return [self._deposit(d, self.lifecycle.status(d.id, WALLET_STATUS)) for d in chosen]

    @staticmethod
    def _deposit(d: DepositRecord, status: str = "success") -> Json:
        return {
            "orderId": d.id,
            "tradeId": d.tx_id,
            "coin": d.asset,
            "type": "deposit",
            "size": plain(d.amount),
            "status": status,
            "toAddress": d.address,
            "dest": "on_chain",
            "chain": CHAINS.get(d.network, d.network),
            "fromAddress": "",
            "cTime": str(d.timestamp),
            "uTime": str(d.timestamp + 60_000),
        }

    def withdrawal_records(self, call: Call) -> list[Json]:
        p = call.params
        limit = limit_param(p, 20, 100)
        start, end = spot_window(p, call.now_ms, LOOKBACK_MS, required=True, max_span_ms=None)
        coin, order_id = p.get("coin"), p.get("orderId")
        chosen = [
            w
            for w in self.lifecycle.listed(self.account.withdrawals, lambda w: w.id)
            if start <= w.timestamp <= end and (not coin or w.asset == coin) and (not order_id or w.id == order_id)
        ]
        chosen = below(chosen, lambda w: int(w.id), p, limit)
        return [self._withdrawal(w, self.lifecycle.status(w.id, WALLET_STATUS)) for w in chosen]

    @staticmethod
    def _withdrawal(w: WithdrawalRecord, status: str = "success") -> Json:
        # ``size`` is what left the account, fee included; ccxt subtracts |fee| to get the amount sent.
        return {
            "orderId": w.id,
            "tradeId": w.tx_id,
            "clientOid": "",
            "coin": w.asset,
            "type": "withdraw",
            "dest": "on_chain",
            "size": plain(w.amount + w.fee),
            "fee": negative(w.fee),
            "status": status,
            "toAddress": w.address,
            "fromAddress": "",
            "confirm": "64",
            "chain": CHAINS.get(w.network, w.network),
            "tag": "",
            "cTime": str(w.timestamp),
            "uTime": str(w.timestamp + 300_000),
        }

    def convert_records(self, call: Call) -> Json:
        p = call.params
        limit = limit_param(p, 20, 100)
        start, end = spot_window(p, call.now_ms, LOOKBACK_MS, required=True, max_span_ms=SPOT_WINDOW_MS)
        chosen = [c for c in self.account.converts if start <= c.timestamp <= end]
        page = below(chosen, lambda c: int(c.id), p, limit)
        return {"dataList": [self._convert(c) for c in page], "endId": page[-1].id if page else ""}

    @staticmethod
    def _convert(c: ConvertRecord) -> Json:
        return {
            "id": c.id,
            "ts": str(c.timestamp),
            "fromCoin": c.from_asset,
            "fromCoinSize": plain(c.from_amount),
            "cnvtPrice": plain(c.ratio),
            "toCoin": c.to_asset,
            "toCoinSize": plain(c.to_amount),
            "fee": "0",
        }

    def transfer_records(self, call: Call) -> list[Json]:
        p = call.params
        coin, from_type = p.get("coin", ""), p.get("fromType", "")
        if coin == "":
            raise missing("coin")
        if from_type and from_type not in TRANSFER_TYPES:
            raise invalid()
        limit = limit_param(p, 100, 500)
        page_number = int_param(p, "pageNum") or 1
        if page_number > 1000:
            raise invalid()
        start, end = spot_window(p, call.now_ms, LOOKBACK_MS, required=False, max_span_ms=SPOT_WINDOW_MS)
        chosen = [
            (int(t.id), self._transfer(t))
            for t in self.account.transfers
            if start <= t.timestamp <= end
            and t.asset == coin
            and (not from_type or ACCOUNT_TYPES[t.from_account] == from_type)
        ]
        chosen += self.derivatives.transfer_rows(coin, from_type, start, end)  # to and from futures and margin
        chosen += self.wallets.transfer_rows(coin, from_type, start, end)  # spot <-> funding, added by a test
        chosen.sort(key=lambda row: row[0], reverse=True)
        first = (page_number - 1) * limit
        return [row for _, row in chosen[first : first + limit]]

    @staticmethod
    def _transfer(t: TransferRecord) -> Json:
        return {
            "coin": t.asset,
            "status": "Successful",
            "toType": ACCOUNT_TYPES[t.to_account],
            "toSymbol": "",
            "fromType": ACCOUNT_TYPES[t.from_account],
            "fromSymbol": "",
            "size": plain(t.amount),
            "ts": str(t.timestamp),
            "clientOid": "",
            "transferId": t.id,
        }

    # -- tax ------------------------------------------------------------------------------------------------

    def tax_handler(self, name: str) -> Callable[[Call], list[Json]]:
        """The tax list `name` of whichever tax book is current (tests swap in a grown account)."""

        def handle(call: Call) -> list[Json]:
            serve: Callable[[Mapping[str, str], int], list[Json]] = getattr(self.tax, name)
            try:
                return serve(call.params, call.now_ms)
            except TaxError as error:
                raise BitgetError(error.code, error.msg) from None

        return handle
