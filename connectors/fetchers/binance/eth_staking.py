"""Binance ETH staking: ETH staked for WBETH (or BETH), redeemed back, BETH wrapped and unwrapped.

| cursor key | path (`/sapi/v1/eth-staking/...`) | range a request | paging | weight |
| --- | --- | --- | --- | --- |
| eth_staked | `eth/history/stakingHistory` | 3 months (89 days asked) | `current`, `size` 100 | 150 IP |
| eth_redeemed | `eth/history/redemptionHistory` | 3 months | `current`, `size` 100 | 150 IP |
| wbeth_wrapped | `wbeth/history/wrapHistory` | 3 months | `current`, `size` 100 | 150 IP |
| wbeth_unwrapped | `wbeth/history/unwrapHistory` | 3 months | `current`, `size` 100 | 150 IP |

Every list starts at ETH staking's launch, 2020-12-02. The pages (developers.binance.com/docs/staking/eth-staking/
history/..., named in docs/exchange-apis/binance.md, "Auto-Invest and ETH staking") and what each row moves:
- staking: `amount` of `asset` (ETH) became `distributeAmount` of `distributeAsset` (WBETH; BETH before WBETH): two
  legs of one convert.
- redemption: `amount` of `asset` (WBETH or BETH) became `distributeAmount` ETH, credited at `arrivalTime`: a convert,
  stored once the row is SUCCESS and dated when the ETH arrived (the Redeem ETH call answers with an `arrivalTime` to
  come; until then no ETH is in any wallet), keyed by its `time` as before. Binance says a redemption takes "from 15
  days to several weeks", longer than a held cursor waits (14 days), so every sync reads the list's trailing 89 days
  again instead (one request, as the list's last window is asked anyway): a PENDING row is found again until it
  settles.
- BETH rewards are not read here: each is paid to the spot wallet ("distributed in the form of BETH to users' Spot
  accounts", Binance's ETH staking page), and the wallet's own record of distributions, the asset dividend list
  (wallet.py, every row a reward), lists it as `{"asset": "BETH", "enInfo": "ETH 2.0 Staking"}` (a public fixture of
  a Binance reader's dividend rows, docs/exchange-apis/binance.md). Storing the product's own rewards list
  (`eth/history/rewardsHistory`, no id to match the dividend row's) as well would count each reward twice.
- wrap and unwrap: `fromAmount` of `fromAsset` became `toAmount` of `toAsset` (BETH and WBETH): a convert.
A convert's price is the coin paid per coin got. Each list's ratio is per WBETH (the pages' examples: 21312.23223 ETH
staked for 21286.42584 WBETH at `conversionRatio` 1.00121234, 21312.23223 WBETH redeemed for 21338.0699 ETH at the same
ratio; unwrap's `exchangeRate` "BETH value per 1 WBETH"): the price of a stake and of a wrap (WBETH got), the inverse
of one for a redemption and an unwrap. Those two store no price: the exports take amount paid over amount got.
WBETH's own rewards are not paid out: the WBETH rewards page lists `amountInETH`, "Estimated rewards accrued within
WBETH", beside an unchanged `holding`; they raise WBETH's rate to ETH, not any balance, so that list is not read (the
rate shows in the next redemption's `distributeAmount`). The rate history moves nothing either.
None of the rows carries an id: each is keyed by every field that tells two apart (list, time, assets, amounts).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import date
from typing import Any

from connectors.fetchers.binance.sapi_lists import Parse, SapiList
from connectors.records import NormalizedRecord, RecordKind, Side, exact, ms_to_utc, natural_key

WEIGHT = 150  # each page: "Request Weight(IP) 150"
# "The time between startTime and endTime cannot be longer than 3 months": 89 days fit any three.
WINDOW_MS = 89 * 86_400_000
PAGE_SIZE = 100  # `size` "Default: 10, Max: 100"
# "Binance has launched an ETH 2.0 Staking service starting from 2020/12/02 0:00 AM (UTC)" (Binance announcement,
# 2020-12-01): no staking list holds anything older.
ETH_STAKING_OPENED = date(2020, 12, 2)
DONE, PENDING = "SUCCESS", "PENDING"
STAKED = "/sapi/v1/eth-staking/eth/history/stakingHistory"
REDEEMED = "/sapi/v1/eth-staking/eth/history/redemptionHistory"
WRAPPED = "/sapi/v1/eth-staking/wbeth/history/wrapHistory"
UNWRAPPED = "/sapi/v1/eth-staking/wbeth/history/unwrapHistory"


class EthStakingRows:
    """Parses the four lists' rows; `note` tells market discovery which assets the account touched."""

    def __init__(self, code: Callable[[str], str], note: Callable[[str, str], None]) -> None:
        self.code, self.note = code, note

    def lists(self, opened: date = ETH_STAKING_OPENED) -> tuple[SapiList, ...]:
        def of(name: str, method: str, path: str, parse: Parse) -> SapiList:
            return SapiList(name, method, path, WEIGHT, False, WINDOW_MS, PAGE_SIZE, opened, parse)

        legs = ("asset", "amount", "distributeAsset", "distributeAmount")
        wraps = ("fromAsset", "fromAmount", "toAsset", "toAmount")
        convert = self._convert
        redeemed, unwrapped = convert("eth-redeem", legs, priced=False), convert("unwrap", wraps, priced=False)
        return (
            of("eth_staked", "sapiGetEthStakingEthHistoryStakingHistory", STAKED, convert("eth-stake", legs)),
            replace(
                of("eth_redeemed", "sapiGetEthStakingEthHistoryRedemptionHistory", REDEEMED, redeemed),
                reread_ms=WINDOW_MS - 1,  # "15 days to several weeks": each sync reads one whole window again
            ),
            of("wbeth_wrapped", "sapiGetEthStakingWbethHistoryWrapHistory", WRAPPED, convert("wbeth-wrap", wraps)),
            of("wbeth_unwrapped", "sapiGetEthStakingWbethHistoryUnwrapHistory", UNWRAPPED, unwrapped),
        )

    def _convert(self, label: str, fields: tuple[str, str, str, str], *, priced: bool = True) -> Parse:
        """`priced`: the row's ratio is the coin paid per coin got (WBETH got), so it is the record's price."""
        paid_asset, paid_amount, got_asset, got_amount = fields
        # A redemption's list is read again over its trailing 89 days every sync (`reread_ms`): a pending one is found
        # again without holding the cursor, which a hold would let go of after 14 days, before the ETH arrives.
        holds = label != "eth-redeem"

        def parse(row: Mapping[str, Any]) -> tuple[list[NormalizedRecord], int | None]:
            when, status = int(row["time"]), str(row.get("status", DONE))
            paid, got = str(row[paid_asset]), str(row[got_asset])
            self.note(paid, "staking")
            self.note(got, "staking")
            if status == PENDING:
                return [], when if holds else None  # raw: the walk holds the cursor while recent
            if status != DONE:
                return [], None  # FAILED moved nothing
            canonical = (label, when, paid, row[paid_amount], got, row[got_amount])
            ratio = (row.get("conversionRatio") or row.get("exchangeRate")) if priced else None
            arrived = row.get("arrivalTime")  # a redemption's ETH is credited then, not at `time`
            record = NormalizedRecord(
                kind=RecordKind.CONVERT,
                occurred_at=ms_to_utc(int(arrived) if arrived not in (None, "") else when),
                natural_key=natural_key(RecordKind.CONVERT, None, *canonical),
                asset=self.code(got),
                amount=exact(row[got_amount]),
                side=Side.BUY,
                quote_asset=self.code(paid),
                quote_amount=exact(row[paid_amount]),
                price=exact(ratio) if ratio not in (None, "") else None,
                raw=dict(row),
            )
            return [record], None

        return parse
