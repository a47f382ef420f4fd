"""Bitget margin with a normal key: cross and isolated fills (MARGIN_TRADES), borrowings, repayments and interest
(MARGIN_LOANS).

| stream (cursor key) | list | needs |
| --- | --- | --- |
| `crossed:<symbol>`, `isolated:<symbol>` | `GET /api/v2/margin/{crossed,isolated}/fills` | `symbol` |
| `crossed:borrow` / `repay` / `interest` | `GET /api/v2/margin/crossed/{borrow,repay,interest}-history` | – |
| `isolated:borrow:<symbol>` / … | `GET /api/v2/margin/isolated/{borrow,repay,interest}-history` | `symbol` |

Every list: `startTime` required, ranges of at most 90 days, at most 500 rows a page, `idLessThan`; no reach is
stated (the profile's two years, as Bitget's other v2 lists). Lists that need a symbol are asked for the pairs the
margin accounts show: the isolated account's pairs, and the cross margin pairs (Bitget's margin symbols, ccxt's
markets) whose two coins the cross account lists; pairs asked by an earlier sync are asked again. An account with no
margin account costs the two asset reads and the three cross record lists.

A repayment's principal is a REPAY (it counts zero: the margin wallets are read net of debt); its interest part was
charged when the interest record was written (INTEREST, negative), so it is not stored again.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from connectors.fetchers.base import Cursor, FetchReport, Page
from connectors.fetchers.bitget.streams import List, Parse, listing, stream_key, walk
from connectors.fetchers.bitget.trades import fill_record, market_of
from connectors.fetchers.windows import call
from connectors.profiles import Endpoint, EndpointSpec
from connectors.records import NormalizedRecord, RecordKind, exact, ms_to_utc, natural_key

MODES = ("crossed", "isolated")
RECORD_LISTS = ("borrow", "repay", "interest")
ASSETS = {
    "crossed": "privateMarginGetV2MarginCrossedAccountAssets",
    "isolated": "privateMarginGetV2MarginIsolatedAccountAssets",
}
# Every margin list: ranges of at most 90 days, at most 500 rows a page.
FILLS = {
    "crossed": listing("privateMarginGetV2MarginCrossedFills", "fills", "tradeId", 90, 500),
    "isolated": listing("privateMarginGetV2MarginIsolatedFills", "fills", "tradeId", 90, 500),
}
RECORDS = {
    ("crossed", "borrow"): listing("privateMarginGetV2MarginCrossedBorrowHistory", "resultList", "loanId", 90, 500),
    ("crossed", "repay"): listing("privateMarginGetV2MarginCrossedRepayHistory", "resultList", "repayId", 90, 500),
    ("crossed", "interest"): listing(
        "privateMarginGetV2MarginCrossedInterestHistory", "resultList", "interestId", 90, 500
    ),
    ("isolated", "borrow"): listing("privateMarginGetV2MarginIsolatedBorrowHistory", "resultList", "loanId", 90, 500),
    ("isolated", "repay"): listing("privateMarginGetV2MarginIsolatedRepayHistory", "resultList", "repayId", 90, 500),
    ("isolated", "interest"): listing(
        "privateMarginGetV2MarginIsolatedInterestHistory", "resultList", "interestId", 90, 500
    ),
}
# Margin fills' `side` also names settlements and system repayments (margin/cross/trade/Get-Cross-Order-Fills).
SIDES = {"liquidation_buy": "buy", "liquidation_sell": "sell", "system_repay_buy": "buy", "system_repay_sell": "sell"}


class BitgetMargin:
    """Cross and isolated margin history; the margin accounts' pairs, read once per sync, say which to ask."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self._pairs: dict[str, list[str]] | None = None

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
        pairs = await self._margin_pairs(spec, report)
        for mode in MODES:
            symbols = sorted(set(pairs[mode]) | self._asked_before(cursors, mode))
            streams: list[tuple[str, List, dict[str, str], Parse]] = []
            if spec.endpoint is Endpoint.MARGIN_TRADES:
                for symbol in symbols:
                    streams.append(
                        (stream_key(mode, symbol), FILLS[mode], {"symbol": symbol}, self.fill_parser(mode, symbol))
                    )
            else:
                for name in RECORD_LISTS:
                    for symbol in symbols if mode == "isolated" else [""]:
                        key = stream_key(mode, name, symbol) if symbol else stream_key(mode, name)
                        params = {"symbol": symbol} if symbol else {}
                        streams.append((key, RECORDS[mode, name], params, self.record_parser(mode, name)))
            for key, source, params, parse in streams:
                report.markets_scanned.append(key)
                async for page in walk(
                    self.client,
                    spec,
                    source,
                    parse,
                    key=key,
                    params=params,
                    since=since,
                    until=until,
                    cursor=cursors.get(key),
                    report=report,
                ):
                    yield page

    @staticmethod
    def _asked_before(cursors: Mapping[str, Cursor], mode: str) -> set[str]:
        symbols = set()
        for key in cursors:
            parts = key.split(":")
            if parts[0] == mode and len(parts) in (2, 3) and parts[-1] not in RECORD_LISTS:
                symbols.add(parts[-1])
        return symbols

    async def _margin_pairs(self, spec: EndpointSpec, report: FetchReport) -> dict[str, list[str]]:
        """The isolated account's pairs, and the margin pairs whose two coins the cross account lists."""
        if self._pairs is None:
            pairs: dict[str, list[str]] = {}
            isolated = await call(self.client, ASSETS["isolated"], {}, endpoint=spec.endpoint, report=report)
            pairs["isolated"] = sorted({str(row["symbol"]) for row in isolated.get("data") or []})
            crossed = await call(self.client, ASSETS["crossed"], {}, endpoint=spec.endpoint, report=report)
            coins = {str(row["coin"]) for row in crossed.get("data") or []}
            pairs["crossed"] = sorted(
                str(market["id"])
                for market in (getattr(self.client, "markets", None) or {}).values()
                # ccxt marks the pairs of Bitget's margin list (margin: True); an unknown flag is not a refusal.
                if market.get("spot")
                and market.get("margin") is not False
                and market.get("baseId") in coins
                and market.get("quoteId") in coins
            )
            self._pairs = pairs
        return self._pairs

    def fill_parser(self, mode: str, symbol: str) -> Parse:
        market = market_of(self.client, symbol)

        def parse(row: Mapping[str, Any]) -> NormalizedRecord:
            side = str(row["side"]).lower()
            record = fill_record(market, {**row, "symbol": symbol, "side": SIDES.get(side, side)}, self.code)
            # Margin trade ids are their own list's: the key names the margin account, apart from spot fills.
            return replace(
                record,
                natural_key=natural_key(RecordKind.TRADE, stream_key("margin", mode, symbol, str(row["tradeId"]))),
            )

        return parse

    def record_parser(self, mode: str, name: str) -> Parse:
        def parse(row: Mapping[str, Any]) -> NormalizedRecord | None:
            if name == "borrow":
                kind, ident, coin = RecordKind.BORROW, str(row["loanId"]), str(row["coin"])
                # The isolated page's table calls the amount `amount`, its example `borrowAmount`.
                amount = exact(row.get("borrowAmount") or row.get("amount") or "0")
            elif name == "repay":
                kind, ident, coin = RecordKind.REPAY, str(row["repayId"]), str(row["coin"])
                amount = exact(row["repayPrincipal"])
            else:
                kind, ident, coin = RecordKind.INTEREST, str(row["interestId"]), str(row["interestCoin"])
                amount = 0 - exact(row["interestAmount"])  # charged: negative
            if amount == 0:
                return None
            return NormalizedRecord(
                kind=kind,
                occurred_at=ms_to_utc(row["cTime"]),
                natural_key=natural_key(kind, stream_key("margin", mode, ident)),
                asset=self.code(coin),
                amount=amount,
                exchange_tx_id=ident,
                market=str(row.get("symbol") or "") or None,
                raw={**row, "marginMode": mode},
            )

        return parse
