"""Binance Auto-Invest (recurring buys): each purchase of a plan, read after the convert history.

| cursor key | path (`/sapi/v1/lending/...`) | range a request | paging | from | weight |
| --- | --- | --- | --- | --- | --- |
| auto_invest | `auto-invest/history/list`, `planType` ALL | 30 days | `current`, `size` 100 | 2017-07-14 | 1 IP |

Query subscription transaction history (developers.binance.com/docs/auto_invest/trade/
Query-subscription-transaction-history; docs/exchange-apis/binance.md, "Auto-Invest"): one row per target asset
bought, `sourceAssetAmount` of `sourceAsset` "used" for `targetAssetAmount` of `targetAsset`, and a
`transactionFee` in `transactionFeeUnit` beside them. A purchase is stored as what it is, a convert: it buys the
target and pays the source, with its fee in its own unit (the balance check takes the fee apart, ledger.py).
`transactionStatus` SUCCESS is final; PENDING holds the list's cursor so the sync after it completes stores it;
FAILED (e.g. `failedType` INSUFFICIENT_BALANCE) moved nothing.

`sourceWallet` says where the source came from: SPOT_WALLET, FLEXIBLE_SAVINGS, SPOT_WALLET_FLEXIBLE_SAVINGS (wallets
Tallybot reads) or REWARDS. A purchase paid from REWARDS paid with coins that never sat in a wallet Tallybot reads:
beside the convert, a REWARD of the source amount in the source coin (the rewards Binance let the user spend), so the
history explains the target coin without taking the source out of the spot wallet, and the export shows the income.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from connectors.fetchers.binance.sapi_lists import SapiList
from connectors.records import NormalizedRecord, RecordKind, Side, exact, ms_to_utc, natural_key

PATH = "/sapi/v1/lending/auto-invest/history/list"
METHOD = "sapiGetLendingAutoInvestHistoryList"
WEIGHT = 1  # "Request Weight(IP) 1"
WINDOW_MS = 30 * 86_400_000  # "Max span between startTime and endTime is 30days"
PAGE_SIZE = 100  # `size` "Default:10, Max:100"
DONE, PENDING = "SUCCESS", "PENDING"
REWARDS = "REWARDS"  # `sourceWallet` of a purchase paid with rewards (no wallet a key reads)


class AutoInvestRows:
    """Parses the list's rows; `note` tells market discovery which assets the account touched."""

    def __init__(self, code: Callable[[str], str], note: Callable[[str, str], None]) -> None:
        self.code, self.note = code, note

    def sapi_list(self, opened: date) -> SapiList:
        return SapiList(
            name="auto_invest",
            method=METHOD,
            path=PATH,
            weight=WEIGHT,
            uid=False,
            window_ms=WINDOW_MS,
            page_size=PAGE_SIZE,
            opened=opened,
            parse=self.purchase,
            fixed={"planType": "ALL"},  # SINGLE, PORTFOLIO and INDEX plans alike
        )

    def purchase(self, row: Mapping[str, Any]) -> tuple[list[NormalizedRecord], int | None]:
        when, status = int(row["transactionDateTime"]), str(row.get("transactionStatus"))
        source, target = str(row["sourceAsset"]), str(row["targetAsset"])
        self.note(source, "auto_invest")
        self.note(target, "auto_invest")
        if status == PENDING:
            return [], when  # raw: the walk holds the cursor at it while recent, and names one pending for weeks
        if status != DONE:
            return [], None
        ident = str(row["id"])
        fee = exact(row.get("transactionFee") or "0")
        unit = row.get("transactionFeeUnit")
        price = row.get("executionPrice")
        record = NormalizedRecord(
            kind=RecordKind.CONVERT,
            occurred_at=ms_to_utc(when),
            natural_key=natural_key(RecordKind.CONVERT, f"auto-invest:{ident}"),
            asset=self.code(target),
            amount=exact(row["targetAssetAmount"]),
            exchange_tx_id=ident,
            side=Side.BUY,
            quote_asset=self.code(source),
            quote_amount=exact(row["sourceAssetAmount"]),
            price=exact(price) if price not in (None, "") else None,
            fee_asset=self.code(str(unit)) if fee and unit else None,
            fee_amount=fee if fee and unit else None,
            raw=dict(row),
        )
        if str(row.get("sourceWallet")) != REWARDS:
            return [record], None
        paid_with = NormalizedRecord(
            kind=RecordKind.REWARD,
            occurred_at=record.occurred_at,
            natural_key=natural_key(RecordKind.REWARD, f"auto-invest:{ident}"),
            asset=self.code(source),
            amount=exact(row["sourceAssetAmount"]),
            exchange_tx_id=ident,
            raw=dict(row),
        )
        return [paid_with, record], None
