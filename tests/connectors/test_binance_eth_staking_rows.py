"""ETH staking rows as Binance's own pages show them (developers.binance.com/docs/staking/eth-staking/history/...):
each list's ratio is per WBETH, so it is the price (coin paid per coin got) of a stake and a wrap, and the inverse of
it for a redemption and an unwrap, which store none (the exports take amount paid over amount got). A redemption is
dated when its ETH arrives (`arrivalTime`), keyed by its `time` as before. Expected values copied from the pages'
examples by hand."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from connectors.fetchers.binance.eth_staking import EthStakingRows
from connectors.records import NormalizedRecord, natural_key

# The pages' examples (arrivalTime moved a week later than the example's `time`, as a redemption's ETH arrives later).
STAKED = {
    "time": 1575018510000,
    "asset": "ETH",
    "amount": "21312.23223",
    "distributeAsset": "WBETH",
    "distributeAmount": "21286.42584",
    "conversionRatio": "1.00121234",
    "status": "SUCCESS",
}
REDEEMED = {
    "time": 1575018510000,
    "arrivalTime": 1575623310000,
    "asset": "WBETH",
    "amount": "21312.23223",
    "distributeAsset": "ETH",
    "distributeAmount": "21338.0699",
    "conversionRatio": "1.00121234",
    "status": "SUCCESS",
}
WRAPPED = {
    "time": 1575018510000,
    "fromAsset": "BETH",
    "fromAmount": "21312.23223",
    "toAsset": "WBETH",
    "toAmount": "21312.23223",
    "exchangeRate": "1.01243253",
    "status": "SUCCESS",
}
UNWRAPPED = {**WRAPPED, "fromAsset": "WBETH", "toAsset": "BETH"}


def _parse(name: str, row: dict[str, Any]) -> NormalizedRecord:
    lists = {item.name: item for item in EthStakingRows(lambda coin: coin, lambda asset, why: None).lists()}
    records, held = lists[name].parse(row)
    assert held is None and len(records) == 1
    return records[0]


def test_a_stake_and_a_wrap_are_priced_by_their_ratio_per_wbeth() -> None:
    staked = _parse("eth_staked", STAKED)
    assert (staked.asset, staked.amount, staked.quote_asset, staked.quote_amount) == (
        "WBETH",
        Decimal("21286.42584"),
        "ETH",
        Decimal("21312.23223"),
    )
    assert staked.price == Decimal("1.00121234")  # ETH paid per WBETH got
    wrapped = _parse("wbeth_wrapped", WRAPPED)
    assert (wrapped.asset, wrapped.quote_asset, wrapped.price) == ("WBETH", "BETH", Decimal("1.01243253"))


def test_a_redemption_and_an_unwrap_store_no_inverted_price() -> None:
    redeemed = _parse("eth_redeemed", REDEEMED)
    assert (redeemed.asset, redeemed.amount, redeemed.quote_asset, redeemed.quote_amount) == (
        "ETH",
        Decimal("21338.0699"),
        "WBETH",
        Decimal("21312.23223"),
    )
    assert redeemed.price is None  # 1.00121234 is ETH per WBETH: not WBETH paid per ETH got
    unwrapped = _parse("wbeth_unwrapped", UNWRAPPED)
    assert (unwrapped.asset, unwrapped.quote_asset, unwrapped.price) == ("BETH", "WBETH", None)


def test_a_redemption_is_dated_when_its_eth_arrives_and_keyed_as_before() -> None:
    redeemed = _parse("eth_redeemed", REDEEMED)
    assert redeemed.occurred_at == datetime(2019, 12, 6, 9, 8, 30, tzinfo=UTC)  # arrivalTime 1575623310000
    # The key earlier versions stored: the list, `time`, the assets and amounts (a re-read stores nothing twice).
    before = ("eth-redeem", 1575018510000, "WBETH", "21312.23223", "ETH", "21338.0699")
    assert redeemed.natural_key == natural_key(redeemed.kind, None, *before)
    staked = _parse("eth_staked", STAKED)
    assert staked.occurred_at == datetime(2019, 11, 29, 9, 8, 30, tzinfo=UTC)  # no arrivalTime: `time`
