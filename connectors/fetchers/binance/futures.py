"""Binance futures: USDⓈ-M (`/fapi`) and COIN-M (`/dapi`) fills with their realized profit and loss, and the income
lines that are not fills (funding, bonuses, settlements). docs/exchange-apis/binance.md names each page.

| request | paging | window | reach | weight |
| --- | --- | --- | --- | --- |
| `GET /fapi/v1/userTrades` | `fromId` + `limit` 1000, per symbol | 7 days (not with fromId) | 6 months | 5 |
| `GET /dapi/v1/userTrades` | `fromId` + `limit` 1000, per symbol | 7 days (not with fromId) | not documented | 20 |
| `GET /fapi/v1/income` | `page` + `limit` 1000 | none documented | 3 months | 30 |
| `GET /dapi/v1/income` | `page` + `limit` 1000 | 200 days | not documented | 20 |

Fills need a symbol. The traded symbols come from the income history: every fill charges a commission and every
closing fill books realized profit and loss there, each line naming its symbol; the symbols found are kept in the
discovery cursor (market ""), so later syncs ask them again. Each symbol is then paged upward by trade id from its
own cursor ("usdm:BTCUSDT": {"from_id": n}), so a re-sync asks only for trades after the last one stored.

Nothing is counted twice: a fill's commission is its fee and its `realizedPnl` a REALIZED_PNL record of its own;
the income lines COMMISSION and REALIZED_PNL repeat them and are not stored. Transfers between the spot and futures
wallets are the universal transfer history's (TRANSFERS); money from Binance's internal account or a strategy
sub-account, which no other history lists, is stored here as a deposit or withdrawal. A key made before the
account's futures wallet was opened cannot read futures (`-2015` from the USDⓈ-M wallet read): the endpoints are
then skipped, saying why.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from connectors.fetchers.base import Cursor, FetchReport, Page, UnsupportedEndpoint
from connectors.fetchers.windows import (
    WindowPage,
    WindowWalk,
    call,
    cursor_start,
    rate_limited,
    since_ms,
    span_ms,
    to_ms,
    walk_begin,
)
from connectors.profiles import Endpoint, EndpointSpec
from connectors.profiles.catalog.binance import NAME
from connectors.records import NormalizedRecord, RecordKind, exact, ms_to_utc, natural_key
from i18n import Text

SETTLE_QUOTES = ("USDT", "USDC", "BUSD", "FDUSD")
NO_FUTURES = '"code":-2015,'  # "Invalid API-key, IP, or permissions for action." from /fapi: no futures wallet
# Income lines that repeat a fill (stored by FUTURES_TRADES) or a transfer between the account's own wallets (the
# universal transfer history's MAIN_UMFUTURE/UMFUTURE_MAIN etc., stored by TRANSFERS).
REPEATED = frozenset({"COMMISSION", "REALIZED_PNL", "TRANSFER"})
# Money that crosses the wallets this key reads and that no other history lists: "INTERNAL_TRANSFER: transfer from
# Binance's internal account to a regular user" and "STRATEGY_UMFUTURES_TRANSFER: UM strategy sub-account transfer"
# (the zh-CN Get Income History page's glosses) are a deposit when positive, a withdrawal when negative.
CROSSING = frozenset({"INTERNAL_TRANSFER", "STRATEGY_UMFUTURES_TRANSFER"})
REWARDS = frozenset({"WELCOME_BONUS", "REFERRAL_KICKBACK", "COMMISSION_REBATE", "API_REBATE", "CONTEST_REWARD",
                     "FEE_RETURN", "BFUSD_REWARD"})  # fmt: skip
# Signed lines that change the wallet, stored as they are. The two legs of a coin swap in the futures wallet
# ("COIN_SWAP_DEPOSIT 闪兑转入" flash swap in, "COIN_SWAP_WITHDRAW 闪兑转出" flash swap out) are each such a line, as
# AUTO_EXCHANGE's two legs are: the page gives no id that pairs them into one convert.
SETTLEMENTS = frozenset({"INSURANCE_CLEAR", "DELIVERED_SETTELMENT", "OPTIONS_SETTLE_PROFIT", "OPTIONS_PREMIUM_FEE",
                         "POSITION_LIMIT_INCREASE_FEE", "AUTO_EXCHANGE", "CROSS_COLLATERAL_TRANSFER",
                         "COIN_SWAP_DEPOSIT", "COIN_SWAP_WITHDRAW"})  # fmt: skip


@dataclass(frozen=True, slots=True)
class Product:
    key: str
    trades: str  # ccxt implicit methods
    income: str
    trades_reach: timedelta | None
    income_reach: timedelta | None


USDM_KEY, COINM_KEY = "usdm", "coinm"  # the products' names in cursors and market keys
USDM = Product(USDM_KEY, "fapiPrivateGetUserTrades", "fapiPrivateGetIncome", timedelta(days=180), timedelta(days=90))
COINM = Product(COINM_KEY, "dapiPrivateGetUserTrades", "dapiPrivateGetIncome", None, None)
PRODUCTS = (USDM, COINM)


class BinanceFutures:
    """Both futures products of one account, for FUTURES_TRADES and FUNDING."""

    def __init__(self, client: Any, profile_id: str, opened: date) -> None:
        self.client = client
        self.profile_id = profile_id
        self.opened = opened
        self._readable: bool | None = None
        # What FUNDING's walk of each product's income saw in this sync, up to its end: the symbols and the cursor.
        # FUTURES_TRADES (fetched after it) takes them instead of walking the same lines again.
        self.walked: dict[str, tuple[Cursor, set[str], int | None]] = {}
        self.symbols_seen: set[tuple[str, str]] = set()

    async def readable(self, endpoint: Endpoint, report: FetchReport) -> None:
        """UnsupportedEndpoint (skipped, with the reason) unless the key can read futures: the USDⓈ-M wallet answers.
        A read-only key's `enableFutures` says nothing here (it is the right to trade futures, false on such keys);
        a key made before the futures wallet was opened gets -2015 from /fapi and /dapi."""
        if self._readable is None:
            # Asked directly, not through `call`: ccxt raises Binance's -2015 after earlier successes of the same
            # client as DDoSProtection, which `call` would turn into "not now" and the sync into a refused key.
            report.requests += 1
            try:
                await self.client.fapiPrivateV2GetBalance({})
                self._readable = True
            except Exception as error:
                if NO_FUTURES not in str(error).replace(" ", ""):
                    stop = rate_limited(error, self.client, endpoint=endpoint)
                    if stop is not None:
                        raise stop from None
                    raise
                self._readable = False
        if not self._readable:
            raise UnsupportedEndpoint(self.profile_id, endpoint, Text.of("profile.binance.skip.no_futures"))

    # -- income ---------------------------------------------------------------------------------------------

    async def income_pages(
        self,
        product: Product,
        spec: EndpointSpec,
        cursor: Cursor | None,
        since: datetime | None,
        until: datetime,
        report: FetchReport,
        parse: Callable[[Product, Mapping[str, Any]], NormalizedRecord | None],
    ) -> AsyncIterator[Page]:
        scoped = replace(spec, lookback=product.income_reach)
        start = walk_begin(scoped, cursor, since, report, exchange_name=NAME, opened=self.opened)
        if spec.window is None:
            raise ValueError("Binance futures income needs a window in its profile")
        size = spec.page_size

        async def fetch_page(begin: int, end: int, token: Any) -> WindowPage:
            number = int(token or 1)
            params = {"startTime": begin, "endTime": end, "page": number, "limit": size}
            rows = await call(self.client, product.income, params, endpoint=spec.endpoint, report=report)
            records = [record for row in rows if (record := parse(product, row)) is not None]
            return WindowPage(records, number + 1 if len(rows) >= size else None)

        walk = WindowWalk(spec.endpoint, span_ms(spec.window), fetch_page)
        async for page in walk.pages(start_ms=start, until_ms=to_ms(until), cursor=cursor, floor_ms=since_ms(since)):
            yield page

    async def fetch_income(
        self, spec: EndpointSpec, *, since: datetime | None, until: datetime, cursors: Mapping[str, Cursor],
        report: FetchReport,
    ) -> AsyncIterator[Page]:  # fmt: skip
        """FUNDING: funding payments and the other income lines that are not fills, both products, one cursor."""
        await self.readable(spec.endpoint, report)
        state: Cursor = dict(cursors.get("") or {})
        for product in PRODUCTS:
            symbols: set[str] = set()
            began = cursor_start(state.get(product.key))
            async for page in self.income_pages(product, spec, state.get(product.key), since, until, report, self.line):
                symbols |= {symbol for key, symbol in self.symbols_seen if key == product.key}
                state[product.key] = page.cursor
                yield Page(spec.endpoint, page.records, dict(state), page.covered_until)
            self.walked[product.key] = (dict(state.get(product.key) or {}), symbols, began)

    def line(self, product: Product, row: Mapping[str, Any]) -> NormalizedRecord | None:
        kind_name = str(row["incomeType"])
        if row.get("symbol"):
            self.symbols_seen.add((product.key, str(row["symbol"])))
        if kind_name in REPEATED:
            return None
        amount = exact(row["income"])
        if kind_name == "FUNDING_FEE":
            kind = RecordKind.FUNDING
        elif kind_name in CROSSING:
            kind, amount = (RecordKind.DEPOSIT if amount > 0 else RecordKind.WITHDRAWAL), abs(amount)
        elif kind_name in REWARDS and amount > 0:
            kind = RecordKind.REWARD
        elif kind_name in SETTLEMENTS or kind_name in REWARDS:
            kind = RecordKind.REALIZED_PNL
        else:
            kind = RecordKind.LEDGER  # a line Binance added later: kept, not counted
        symbol = str(row.get("symbol") or "")
        ident = f"{product.key}:{kind_name}:{row['tranId']}"  # "tranId is unique in the same incomeType"
        return NormalizedRecord(
            kind=kind,
            occurred_at=ms_to_utc(row["time"]),
            natural_key=natural_key(kind, ident),
            asset=self.code(str(row["asset"])),
            amount=amount,
            exchange_tx_id=str(row["tranId"]),
            market=self.symbol(product, symbol) if symbol else None,
            raw=dict(row),
        )

    # -- fills ----------------------------------------------------------------------------------------------

    async def fetch_trades(
        self, spec: EndpointSpec, *, since: datetime | None, until: datetime, cursors: Mapping[str, Cursor],
        report: FetchReport,
    ) -> AsyncIterator[Page]:  # fmt: skip
        """FUTURES_TRADES: the symbols from the income history (discovery cursor ""), then each symbol's fills."""
        await self.readable(spec.endpoint, report)
        state: Cursor = dict(cursors.get("") or {})
        found: dict[str, set[str]] = {p.key: set((state.get(p.key) or {}).get("symbols", [])) for p in PRODUCTS}
        discovery = replace(spec, window=timedelta(days=200), page_size=1000)

        def note(product: Product, row: Mapping[str, Any]) -> None:
            if row.get("symbol"):
                found[product.key].add(str(row["symbol"]))

        for product in PRODUCTS:
            walked = (state.get(product.key) or {}).get("walk")
            if self._walked_from(product, walked):  # FUNDING walked these lines in this sync: take what it saw
                cursor, symbols, _ = self.walked[product.key]
                found[product.key] |= symbols
                state[product.key] = {"walk": cursor, "symbols": sorted(found[product.key])}
                yield Page(spec.endpoint, (), dict(state), ms_to_utc(0))
                continue
            note_only = _noting(note)
            async for page in self.income_pages(product, discovery, walked, since, until, report, note_only):
                state[product.key] = {"walk": page.cursor, "symbols": sorted(found[product.key])}
                yield Page(spec.endpoint, (), dict(state), ms_to_utc(0))
        if spec.lookback is not None:  # USDⓈ-M fills older than six months are out of reach: say so once
            walk_begin(spec, None, since, report, exchange_name=NAME, opened=self.opened)
        for product in PRODUCTS:
            for symbol in sorted(found[product.key]):
                market = f"{product.key}:{symbol}"
                report.markets_scanned.append(market)
                async for page in self.symbol_pages(product, symbol, spec, cursors.get(market), since, until, report):
                    yield page

    def _walked_from(self, product: Product, walked: Cursor | None) -> bool:
        """Whether FUNDING's walk in this sync covered every line this discovery has not seen yet."""
        if product.key not in self.walked:
            return False
        began, ours = self.walked[product.key][2], cursor_start(walked)
        return began is None or (ours is not None and ours >= began)

    async def symbol_pages(
        self,
        product: Product,
        symbol: str,
        spec: EndpointSpec,
        cursor: Cursor | None,
        since: datetime | None,
        until: datetime,
        report: FetchReport,
    ) -> AsyncIterator[Page]:
        from_id = int((cursor or {}).get("from_id", 0))
        size, until_ms, floor = spec.page_size, to_ms(until), since_ms(since)
        market = f"{product.key}:{symbol}"
        while True:
            params = {"symbol": symbol, "fromId": from_id, "limit": size}
            rows = await call(self.client, product.trades, params, endpoint=spec.endpoint, report=report, market=market)
            records: list[NormalizedRecord] = []
            beyond = False
            for row in rows:
                if int(row["time"]) > until_ms:
                    beyond = True  # left for the next sync: the cursor stays before it
                    break
                from_id = int(row["id"]) + 1
                if floor is None or int(row["time"]) >= floor:
                    records.extend(self.fill(product, row))
            done = beyond or len(rows) < size
            covered = until_ms if done else int(rows[-1]["time"])
            yield Page(spec.endpoint, tuple(records), {"from_id": from_id}, ms_to_utc(covered), market)
            if done:
                return

    def fill(self, product: Product, row: Mapping[str, Any]) -> list[NormalizedRecord]:
        symbol, ident = str(row["symbol"]), str(row["id"])
        market = self.symbol(product, symbol)
        base, settle = market.split("/")[0], market.split(":")[1].split("-")[0]
        when = ms_to_utc(row["time"])
        key = f"{product.key}:{symbol}:{ident}"  # trade ids are numbered per symbol
        quantity = exact(row["qty"] if product is USDM else row["baseQty"])
        notional = exact(row["quoteQty"]) if product is USDM else quantity
        records = [
            NormalizedRecord(
                kind=RecordKind.FUTURES_TRADE,
                occurred_at=when,
                natural_key=natural_key(RecordKind.FUTURES_TRADE, key),
                asset=base,
                amount=quantity,
                exchange_tx_id=ident,
                market=market,
                side=str(row["side"]).lower(),
                quote_asset=settle,
                quote_amount=notional,
                price=exact(row["price"]),
                fee_asset=self.code(str(row["commissionAsset"])),
                fee_amount=exact(row["commission"]),
                raw=dict(row),
            )
        ]
        pnl = exact(row.get("realizedPnl") or "0")
        if pnl:
            records.append(
                NormalizedRecord(
                    kind=RecordKind.REALIZED_PNL,
                    occurred_at=when,
                    natural_key=natural_key(RecordKind.REALIZED_PNL, key),
                    asset=settle,
                    amount=pnl,
                    exchange_tx_id=ident,
                    market=market,
                    raw={"symbol": symbol, "id": row["id"], "realizedPnl": row["realizedPnl"]},
                )
            )
        return records

    # -- names ----------------------------------------------------------------------------------------------

    def code(self, asset: str) -> str:
        return str(self.client.safe_currency_code(asset))

    def symbol(self, product: Product, symbol: str) -> str:
        """ccxt's symbol: "BTCUSDT" → "BTC/USDT:USDT", "BTCUSD_PERP" → "BTC/USD:BTC", a delivery adds "-240628"."""
        name, _, expiry = symbol.partition("_")
        suffix = f"-{expiry}" if expiry and expiry != "PERP" else ""
        if product is COINM:
            base = self.code(name.removesuffix("USD"))
            return f"{base}/USD:{base}{suffix}"
        quote = next((q for q in SETTLE_QUOTES if name.endswith(q)), name[-4:])
        base, settle = self.code(name.removesuffix(quote)), self.code(quote)
        return f"{base}/{settle}:{settle}{suffix}"


def _noting(
    note: Callable[[Product, Mapping[str, Any]], None],
) -> Callable[[Product, Mapping[str, Any]], NormalizedRecord | None]:
    def parse(product: Product, row: Mapping[str, Any]) -> NormalizedRecord | None:
        note(product, row)
        return None

    return parse
