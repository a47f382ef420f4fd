"""Bitget wallet history with a normal key: deposits, withdrawals, converts and transfers between own accounts.

| endpoint | window | page | paging inside a window |
| --- | --- | --- | --- |
| `GET /api/v2/spot/wallet/deposit-records` | 90 days (no maximum documented) | 100 | `idLessThan=<orderId>` |
| `GET /api/v2/spot/wallet/withdrawal-records` | 90 days (no maximum documented) | 100 | `idLessThan=<orderId>` |
| `GET /api/v2/convert/convert-record` | 90 days | 100 | `idLessThan=<id>` (the answer's `endId`) |
| `GET /api/v2/spot/account/transferRecords` | 90 days | 500 | `pageNum` 1, 2, … (`idLessThan` is deprecated) |
| `GET /api/v2/convert/bgb-convert-records` (DUST) | 90 days | 100 | `idLessThan=<orderId>` |

All reach two years back (Bitget's help pages; the API docs do not say). Transfers need a coin; each (coin, the
account it left: `fromType`) pair is a stream of its own with cursor key "COIN:fromType", asked for every coin the
account's records or balances mention: first out of spot and p2p (where money enters), then out of each account
a transfer of the coin went to (`toType`), and out of every account an earlier sync asked; a later sync asks every
stream once (its newest window).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from connectors.fetchers.base import Cursor, FetchReport, Page
from connectors.fetchers.bitget.pages import Parse, Parsed, Route, id_page, walk_start
from connectors.fetchers.discovery import AssetEvidence
from connectors.fetchers.windows import (
    WindowPage,
    WindowWalk,
    call,
    hold_if_recent,
    since_ms,
    span_ms,
    to_ms,
)
from connectors.profiles import Endpoint, EndpointSpec
from connectors.records import NormalizedRecord, RecordKind, Side, exact, ms_to_utc, natural_key

ROUTES: Mapping[Endpoint, Route] = {
    Endpoint.DEPOSITS: Route("privateSpotGetV2SpotWalletDepositRecords", "orderId"),
    Endpoint.WITHDRAWALS: Route("privateSpotGetV2SpotWalletWithdrawalRecords", "orderId"),
    Endpoint.CONVERT: Route("privateConvertGetV2ConvertConvertRecord", "id"),
    Endpoint.TRANSFERS: Route("privateSpotGetV2SpotAccountTransferRecords", "transferId", by_page_number=True),
    Endpoint.DUST: Route("privateConvertGetV2ConvertBgbConvertRecords", "orderId"),
}
# Where a transfer can leave from (Bitget's `fromType`); "p2p" is the funding account.
TRANSFER_FROM_TYPES = (
    "spot",
    "p2p",
    "usdt_futures",
    "coin_futures",
    "usdc_futures",
    "crossed_margin",
    "isolated_margin",
)
# Money enters a Bitget account in these (deposits land in spot, P2P buys in p2p, the funding account): every
# transfer out of them is asked. Any other account received its money by a transfer from an asked one, so a
# transfer `toType` names the next account to ask (until no new one is named), and an account the account never
# moved a coin into is not asked for that coin: 2 streams a coin instead of 7 on an account without futures or margin.
ENTRY_TYPES = ("spot", "p2p")
DUST_KEY = "bgb_dust"  # a BGB dust conversion's key prefix: its `orderId` is of another list than convert's `id`
DONE = frozenset({"success", "successful"})
FAILED = frozenset({"fail", "failed", "reject", "rejected", "cancel", "cancelled", "canceled", "pending_review_fail"})

# More coins with a zero balance than this in the account's asset list: Bitget listed its whole platform.
MAX_ZERO_COINS = 150

Balances = Callable[[FetchReport, Endpoint], Awaitable[Mapping[str, Decimal]]]


class TransferCoinSource(StrEnum):
    """Why a coin's transfers are asked, for the log (`report.market_sources`): codes, never shown."""

    HELD = "held"  # in the account's asset list
    ASKED_BEFORE = "asked_before"  # its stream is in the cursors of an earlier sync


class BitgetWallet:
    """The windowed wallet lists; every page also tells `evidence` which coins the account moved."""

    def __init__(
        self,
        client: Any,
        evidence: AssetEvidence,
        balances: Balances,
        *,
        transfer_from_types: Sequence[str] = TRANSFER_FROM_TYPES,
    ) -> None:
        self.client = client
        self.evidence = evidence
        self.balances = balances
        self.transfer_from_types = tuple(transfer_from_types)
        self.transfer_targets: dict[str, set[str]] = {}  # coin -> the accounts transfers of it went to

    def code(self, coin: str) -> str:
        return str(self.client.safe_currency_code(coin))

    async def fetch(
        self,
        spec: EndpointSpec,
        *,
        since: datetime | None,
        until: datetime,
        cursors: Mapping[str, Cursor],
        report: FetchReport,
    ) -> AsyncIterator[Page]:
        if spec.endpoint is Endpoint.TRANSFERS:
            async for page in self._transfers(spec, since=since, until=until, cursors=cursors, report=report):
                yield page
            return
        parse = self._parser(spec.endpoint)
        async for page in self._stream(spec, parse, since=since, until=until, cursor=cursors.get(""), report=report):
            yield page

    async def _stream(
        self,
        spec: EndpointSpec,
        parse: Parse,
        *,
        since: datetime | None,
        until: datetime,
        cursor: Cursor | None,
        report: FetchReport,
        extra: Mapping[str, Any] | None = None,
        market: str = "",
    ) -> AsyncIterator[Page]:
        if spec.window is None:
            raise ValueError(f"Bitget {spec.endpoint} needs a window in its profile")
        start_ms = walk_start(spec, cursor, since, report)
        route = ROUTES[spec.endpoint]

        async def page(window_start: int, window_end: int, token: Any) -> WindowPage:
            return await id_page(
                self.client, spec, report, route, parse, window_start, window_end, token, extra=extra, market=market
            )

        walk = WindowWalk(spec.endpoint, span_ms(spec.window), page, market, rereads_late_listings=True)
        async for item in walk.pages(start_ms=start_ms, until_ms=to_ms(until), cursor=cursor, floor_ms=since_ms(since)):
            yield item

    async def _transfers(
        self,
        spec: EndpointSpec,
        *,
        since: datetime | None,
        until: datetime,
        cursors: Mapping[str, Cursor],
        report: FetchReport,
    ) -> AsyncIterator[Page]:
        held = await self.balances(report, spec.endpoint)
        coins = set(self.evidence.sources) | set(held) | {key.split(":")[0] for key in cursors if key}
        asked_before = {key for key in cursors if key}
        for coin in sorted(coins):
            why = TransferCoinSource.HELD if coin in held else TransferCoinSource.ASKED_BEFORE
            ask = [t for t in self.transfer_from_types if t in ENTRY_TYPES or f"{coin}:{t}" in asked_before]
            asked: set[str] = set()
            while ask:
                from_type = ask.pop(0)
                if from_type in asked:
                    continue
                asked.add(from_type)
                key = f"{coin}:{from_type}"
                report.markets_scanned.append(key)
                report.market_sources[key] = [self.evidence.why(coin) if coin in self.evidence else f"{coin}: {why}"]
                async for page in self._stream(
                    spec,
                    self._transfer,
                    since=since,
                    until=until,
                    cursor=cursors.get(key),
                    report=report,
                    extra={"coin": coin, "fromType": from_type},
                    market=key,
                ):
                    yield page
                # The accounts this coin went to are asked in turn: what they sent on or back is theirs to list.
                targets = self.transfer_targets.get(coin, set())
                ask += [t for t in self.transfer_from_types if t in targets and t not in asked]
            for from_type in self.transfer_from_types:
                if from_type not in asked:  # a code, for the log: no transfer of the coin ever went there
                    report.markets_not_scanned[f"{coin}:{from_type}"] = "no_transfer_into_account"

    def _parser(self, endpoint: Endpoint) -> Parse:
        return {
            Endpoint.DEPOSITS: self._deposit,
            Endpoint.WITHDRAWALS: self._withdrawal,
            Endpoint.CONVERT: self._convert,
            Endpoint.DUST: self._dust,
        }[endpoint]

    # -- records ----------------------------------------------------------------------------------------------

    def _deposit(self, row: Mapping[str, Any]) -> Parsed:
        when, status = int(row["cTime"]), str(row.get("status", "")).lower()
        coin = str(row["coin"])
        self.evidence.note(coin, "deposits")
        if status in FAILED:
            return None, None
        if status not in DONE:
            return None, hold_if_recent(when)
        ident = str(row["orderId"])
        record = NormalizedRecord(
            kind=RecordKind.DEPOSIT,
            occurred_at=ms_to_utc(when),
            natural_key=natural_key(RecordKind.DEPOSIT, ident, coin, row.get("tradeId"), row["size"], when),
            asset=self.code(coin),
            amount=exact(row["size"]),
            exchange_tx_id=ident or None,
            raw=dict(row),
        )
        return record, None

    def _withdrawal(self, row: Mapping[str, Any]) -> Parsed:
        """`size` is what left the account, fee included: the amount sent is size - |fee|."""
        when, status = int(row["cTime"]), str(row.get("status", "")).lower()
        coin = str(row["coin"])
        self.evidence.note(coin, "withdrawals")
        if status in FAILED:
            return None, None
        if status not in DONE:
            return None, hold_if_recent(when)
        ident = str(row["orderId"])
        fee = abs(exact(row["fee"])) if row.get("fee") not in (None, "") else None
        size = exact(row["size"])
        record = NormalizedRecord(
            kind=RecordKind.WITHDRAWAL,
            occurred_at=ms_to_utc(when),
            natural_key=natural_key(RecordKind.WITHDRAWAL, ident, coin, row.get("tradeId"), row["size"], when),
            asset=self.code(coin),
            amount=size - fee if fee is not None else size,
            exchange_tx_id=ident or None,
            fee_asset=self.code(coin) if fee is not None else None,
            fee_amount=fee,
            raw=dict(row),
        )
        return record, None

    def _convert(self, row: Mapping[str, Any]) -> Parsed:
        """A convert is a buy of `toCoin` paid with `fromCoin` (`cnvtPrice`, in raw, is toCoin per fromCoin)."""
        source, target = str(row["fromCoin"]), str(row["toCoin"])
        self.evidence.note(source, "converts")
        self.evidence.note(target, "converts")
        ident = str(row["id"])
        fee = row.get("fee")
        charged = fee not in (None, "") and exact(fee) != 0
        record = NormalizedRecord(
            kind=RecordKind.CONVERT,
            occurred_at=ms_to_utc(row["ts"]),
            natural_key=natural_key(RecordKind.CONVERT, ident),
            asset=self.code(target),
            amount=exact(row["toCoinSize"]),
            exchange_tx_id=ident,
            side=Side.BUY,
            quote_asset=self.code(source),
            quote_amount=exact(row["fromCoinSize"]),
            # No fee coin is documented (common/convert/Get-Convert-Record; every example fee is "0"): the coin
            # received is assumed.
            fee_asset=self.code(target) if charged else None,
            fee_amount=abs(exact(fee)) if charged else None,
            raw=dict(row),
        )
        return record, None

    def _dust(self, row: Mapping[str, Any]) -> Parsed:
        """A BGB dust conversion: `toAmount` of BGB bought with `fromAmount` of `fromCoin`, `feeDetail` taken from it.

        The page's example prices its `toAmount` as `fromAmount` × `fromCoinPrice` / `toCoinPrice` (64.99837 ×
        0.02954 / 0.54075 = 3.55072), so it is the value before the fee: the account receives it less the fee. Its
        time is `ctime` in the example and `ts` in the table: either is read.
        """
        source, target = str(row["fromCoin"]), str(row["toCoin"])
        self.evidence.note(source, "dust")
        self.evidence.note(target, "dust")
        when, status = int(row.get("ctime") or row["ts"]), str(row.get("status", "")).lower()
        if status in FAILED:
            return None, None
        if status not in DONE:
            return None, hold_if_recent(when)
        fees = [fee for fee in row.get("feeDetail") or [] if fee.get("fee") not in (None, "") and exact(fee["fee"])]
        ident = str(row["orderId"])
        record = NormalizedRecord(
            kind=RecordKind.CONVERT,
            occurred_at=ms_to_utc(when),
            natural_key=natural_key(RecordKind.CONVERT, f"{DUST_KEY}:{ident}"),  # not a convert-record id
            asset=self.code(target),
            amount=exact(row["toAmount"]),
            exchange_tx_id=ident,
            side=Side.BUY,
            quote_asset=self.code(source),
            quote_amount=exact(row["fromAmount"]),
            # One fee coin per row is all the page shows (its example: BGB); a second would be left to the check.
            fee_asset=self.code(str(fees[0]["feeCoin"])) if fees else None,
            fee_amount=abs(exact(fees[0]["fee"])) if fees else None,
            raw=dict(row),
        )
        return record, None

    def _transfer(self, row: Mapping[str, Any]) -> Parsed:
        when, status = int(row["ts"]), str(row.get("status", "")).lower()
        coin = str(row["coin"])
        self.evidence.note(coin, "transfers")
        if status in FAILED:
            return None, None
        # Even a pending transfer names an account the coin is going to.
        self.transfer_targets.setdefault(coin, set()).add(str(row.get("toType") or ""))
        if status not in DONE:
            return None, hold_if_recent(when)
        ident = str(row["transferId"])
        record = NormalizedRecord(
            kind=RecordKind.TRANSFER,
            occurred_at=ms_to_utc(when),
            natural_key=natural_key(RecordKind.TRANSFER, ident),
            asset=self.code(coin),
            amount=exact(row["size"]),
            exchange_tx_id=ident,
            raw=dict(row),  # fromType / toType say which way
        )
        return record, None


async def held_coins(client: Any, report: FetchReport, endpoint: Endpoint) -> dict[str, Decimal]:
    """The spot account's coins (available + frozen + locked), from the raw strings.

    `assetType=all` also lists coins whose balance is zero now: coins the account held once, which is how markets
    of a coin bought and sold back are found. Should Bitget list far more zero coins than an account plausibly
    touched (the whole platform's), they say nothing about this account and only the held ones are kept.
    """
    body = await call(
        client, "privateSpotGetV2SpotAccountAssets", {"assetType": "all"}, endpoint=endpoint, report=report
    )
    coins: dict[str, Decimal] = {}
    for row in body.get("data") or []:
        total = sum((exact(row.get(name) or "0") for name in ("available", "frozen", "locked")), Decimal(0))
        coins[str(row["coin"])] = total
    if sum(1 for total in coins.values() if total == 0) > MAX_ZERO_COINS:
        coins = {coin: total for coin, total in coins.items() if total != 0}
    return coins
