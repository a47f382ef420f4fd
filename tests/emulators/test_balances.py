"""The exchange's balances, read wallet by wallet through the real ccxt client, are what the scripted history adds up
to: the emulators serve documented balance reads, and the connector sums them exactly."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from connectors.balances import read_balances
from connectors.profiles import get_profile
from sandbox.exchanges import (
    BinanceEmulator,
    BitgetDemoKeys,
    BitgetEmulator,
    BybitEmulator,
    Credentials,
    DemoKeys,
    OkxEmulator,
)
from sandbox.exchanges.base import ExchangeEmulator
from sandbox.exchanges.lifecycle import Stage
from sandbox.exchanges.records import DepositRecord, ScriptedAccount, TradeRecord, WithdrawalRecord
from sandbox.exchanges.scripted import History, ground_truth_balances
from tests.conformance.corpus import shape_differences
from tests.emulators.conftest import (
    BINANCE_OPTIONS,
    BITGET_CONFIG,
    BITGET_OPTIONS,
    BYBIT_CONFIG,
    BYBIT_OPTIONS,
    OKX_CONFIG,
    OKX_OPTIONS,
    ccxt_client,
)


def held(account: ScriptedAccount) -> dict[str, Decimal]:
    return {b.asset: b.total for b in account.balances if b.total != 0}


READS = {
    # The request cost of one reconciliation (docs/BENCHMARKS.md): one request per wallet, nothing else.
    "binance": {
        "/api/v3/account": 1,
        "/sapi/v1/asset/get-funding-asset": 1,
        "/sapi/v1/simple-earn/flexible/position": 1,
        "/sapi/v1/simple-earn/locked/position": 1,
        "/fapi/v2/balance": 1,
        "/dapi/v1/balance": 1,
        "/sapi/v1/margin/account": 1,
        "/sapi/v1/margin/isolated/account": 1,
        "/sapi/v2/loan/flexible/ongoing/orders": 1,  # the open crypto loans
    },
    # Bybit: the account's kind first (which wallets it has), then each wallet.
    "bybit": {
        "/v5/account/info": 1,
        "/v5/account/wallet-balance": 1,
        "/v5/asset/transfer/query-account-coins-balance": 1,
        "/v5/earn/position": 2,  # Flexible Saving and OnChain
        "/v5/crypto-loan-common/position": 1,  # the open crypto loans
    },
    "okx": {
        "/api/v5/account/balance": 1,
        "/api/v5/asset/balances": 1,
        "/api/v5/finance/savings/balance": 1,
        "/api/v5/finance/staking-defi/orders-active": 1,
    },
    # Bitget: spot, the futures wallets of each product type, cross and isolated margin, the funding (P2P) and earn
    # accounts, the bot accounts (bot-assets once per `accountType`: spot, futures) and the open crypto loans.
    "bitget": {
        "/api/v2/spot/account/assets": 1,
        "/api/v2/mix/account/accounts": 3,
        "/api/v2/margin/crossed/account/assets": 1,
        "/api/v2/margin/isolated/account/assets": 1,
        "/api/v2/account/funding-assets": 1,
        "/api/v2/earn/account/assets": 1,
        "/api/v2/account/bot-assets": 2,
        "/api/v2/earn/loan/ongoing-orders": 1,
    },
}


async def read(
    exchange_id: str,
    emulator: ExchangeEmulator,
    keys: DemoKeys,
    *,
    options: Any,
    config: Any = None,
    key: Credentials | None = None,
    reads: dict[str, int] | None = None,
) -> Any:
    """The balances read through the real ccxt client; the emulator must have served exactly `reads`."""
    credentials = key or keys.read_only
    config = {**(config or {}), "password": credentials.passphrase}
    async with ccxt_client(exchange_id, emulator, credentials, options=options, config=config) as client:
        before = dict(emulator.requests.by_path)
        snapshot = await read_balances(client, get_profile(exchange_id))
    served = {
        path: n - before.get(path, 0) for path, n in emulator.requests.by_path.items() if n != before.get(path, 0)
    }
    assert served == (reads or READS[exchange_id]) and snapshot.requests == sum(served.values())
    return snapshot


def test_the_ground_truth_adds_every_record_up() -> None:
    """Buy 0.5 BTC for 15,000 USDT (fee 0.0005 BTC), after depositing 20,000 USDT; withdraw 0.2 BTC (fee 0.0001)."""
    history = History(
        trades=(
            TradeRecord(
                "1",
                "1",
                "BTCUSDT",
                "BTC",
                "USDT",
                "buy",
                Decimal(30000),
                Decimal("0.5"),
                Decimal(15000),
                Decimal("0.0005"),
                "BTC",
                False,
                2,
            ),
        ),
        deposits=(DepositRecord("1", "t", "USDT", "ETH", Decimal(20000), "a", 1),),
        withdrawals=(WithdrawalRecord("2", "t", "BTC", "BTC", Decimal("0.2"), Decimal("0.0001"), "a", 3),),
        converts=(),
        transfers=(),
        rewards=(),
    )
    assert ground_truth_balances(history) == {"BTC": Decimal("0.2994"), "USDT": Decimal(5000)}


def test_scripted_balances_are_never_negative_and_emptied_markets_end_at_zero(binance: BinanceEmulator) -> None:
    account = binance.account
    assert {b.asset: b.total for b in account.balances} == ground_truth_balances(account)
    assert all(b.total >= 0 for b in account.balances)
    assert account.abandoned_symbols
    for symbol in account.abandoned_symbols:
        assert ground_truth_balances(account)[account.market(symbol).base] == 0


async def test_binance_spot_and_funding_wallets(binance: BinanceEmulator, binance_keys: DemoKeys) -> None:
    snapshot = await read("binance", binance, binance_keys, options=BINANCE_OPTIONS)
    earn, derivatives = (
        ["earn_flexible", "earn_locked"],
        ["usdm_futures", "coinm_futures", "cross_margin", "isolated_margin", "crypto_loans"],
    )
    assert snapshot.wallets_read == ["spot", "funding", *earn, *derivatives] and snapshot.complete
    assert snapshot.totals == held(binance.account)


async def test_bybit_unified_and_funding_wallets(bybit: BybitEmulator, bybit_keys: DemoKeys) -> None:
    snapshot = await read("bybit", bybit, bybit_keys, options=BYBIT_OPTIONS, config=BYBIT_CONFIG)
    # Earn's two position lists and the crypto loans' position are read too: empty for this account (no earn=True,
    # no crypto_loans=True), they add nothing.
    assert snapshot.wallets_read == ["unified", "funding", "savings", "earn", "crypto_loan"] and snapshot.complete
    # The scripted derivatives' fees, profit, funding and interest are in the unified wallet as well; its spot-margin
    # loan is too, but is read net of it (tests/connectors/test_bybit_derivatives.py).
    expected = held(bybit.account)
    for coin, change in bybit.derivatives.script.change().items():
        expected[coin] = expected.get(coin, Decimal(0)) + change
    assert snapshot.totals == expected


async def test_okx_trading_and_funding_accounts(okx: OkxEmulator, okx_keys: DemoKeys) -> None:
    snapshot = await read("okx", okx, okx_keys, options=OKX_OPTIONS, config=OKX_CONFIG)
    # Savings (Simple Earn Flexible) and on-chain earn are read too: empty for this account, they add nothing.
    assert snapshot.wallets_read == ["trading", "funding", "savings", "earn"] and snapshot.complete
    assert snapshot.totals == held(okx.account)


async def test_bitget_spot_account(bitget: BitgetEmulator, bitget_keys: DemoKeys) -> None:
    snapshot = await read("bitget", bitget, bitget_keys, options=BITGET_OPTIONS, config=BITGET_CONFIG)
    # An account that never used futures, margin, the funding account, earn, bots or crypto loans: those wallets are
    # read (empty) and add nothing.
    futures = ["usdt_futures", "coin_futures", "usdc_futures"]
    others = ["funding", "earn", "spot_bots", "futures_bots", "crypto_loans"]
    assert snapshot.wallets_read == ["spot", *futures, "crossed_margin", "isolated_margin", *others]
    assert snapshot.complete
    assert snapshot.totals == held(bitget.account)


async def test_a_deposit_not_final_is_not_credited_and_a_failed_withdrawal_is_refunded(
    binance: BinanceEmulator, binance_keys: DemoKeys
) -> None:
    deposit, withdrawal = binance.account.deposits[-1], binance.account.withdrawals[-1]
    binance.book.lifecycle.script(deposit.id, Stage.PENDING)
    binance.book.lifecycle.script(withdrawal.id, Stage.FAILED)
    expected = held(binance.account)
    expected[deposit.asset] -= deposit.amount
    expected[withdrawal.asset] = expected.get(withdrawal.asset, Decimal(0)) + withdrawal.amount + withdrawal.fee
    snapshot = await read("binance", binance, binance_keys, options=BINANCE_OPTIONS)
    assert snapshot.totals == {asset: amount for asset, amount in expected.items() if amount != 0}


# The Response examples of Bitget's uta/account/Get-Account.md and Get-Account-Funding-Assets.md (github
# sebastianganser/Bitget_API @ c21262e1, a copy of bitget.com/api-doc; the first example's second asset left out).
UTA_ASSETS = {
    "code": "00000",
    "msg": "success",
    "requestTime": 1746687063471,
    "data": {
        "accountEquity": "11.13919278",
        "usdtEquity": "11.13921165",
        "btcEquity": "0.00011256",
        "unrealisedPnl": "0",
        "usdtUnrealisedPnl": "0",
        "btcUnrealizedPnl": "0",
        "effEquity": "6.19299777",
        "mmr": "0",
        "imr": "0",
        "mgnRatio": "0",
        "positionMgnRatio": "0",
        "assets": [
            {
                "coin": "USDT",
                "equity": "6.19300826",
                "usdValue": "6.19299777",
                "balance": "6.19300826",
                "available": "6.19300826",
                "debt": "0",
                "locked": "0",
            }
        ],
    },
}
UTA_FUNDING_ASSETS = {
    "code": "00000",
    "msg": "success",
    "requestTime": 1750396239013,
    "data": [{"coin": "BGB", "available": "0.01", "frozen": "0", "balance": "0.01"}],
}


async def test_a_bitget_unified_account_refuses_v2_and_is_read_through_v3(
    bitget: BitgetEmulator, bitget_keys: BitgetDemoKeys
) -> None:
    # Every v2 read is refused (40085), then v3 reads the account.
    reads = {**READS["bitget"], "/api/v3/account/assets": 1, "/api/v3/account/funding-assets": 1}
    snapshot = await read(
        "bitget",
        bitget,
        bitget_keys,
        options=BITGET_OPTIONS,
        config=BITGET_CONFIG,
        key=bitget_keys.unified,
        reads=reads,
    )
    assert snapshot.wallets_read == ["unified", "funding"] and snapshot.complete
    assert snapshot.totals == held(bitget.account)
    config = {**BITGET_CONFIG, "password": bitget_keys.unified.passphrase}
    async with ccxt_client("bitget", bitget, bitget_keys.unified, options=BITGET_OPTIONS, config=config) as client:
        assets = await client.privateUtaGetV3AccountAssets({})
        funding = await client.privateUtaGetV3AccountFundingAssets({})
    assert shape_differences(UTA_ASSETS, assets) == []
    assert shape_differences(UTA_FUNDING_ASSETS, funding) == []
