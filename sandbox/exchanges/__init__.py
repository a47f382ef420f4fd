"""Exchange emulators that speak the real REST protocols, for tests and ``tallybot sandbox``.

Start one, point the real ccxt client at it with ``connectors.urls.apply_url_override`` and compare what comes back
with ``emulator.account``, the seeded ground truth::

    async with BinanceEmulator(seed=7) as emulator:
        keys = emulator.create_demo_keys()
        client = ccxt.async_support.binance({"apiKey": keys.read_only.api_key, "secret": keys.read_only.secret})
        apply_url_override(client, emulator.base_url)
"""

from sandbox.exchanges.base import (
    FOREIGN_IP,
    READ_ONLY,
    TRADING,
    WITHDRAWAL,
    ApiKey,
    Clock,
    Credentials,
    DemoKeys,
    ExchangeEmulator,
    Permissions,
    RequestCounter,
)
from sandbox.exchanges.bigone import BigoneEmulator, BigoneLimits
from sandbox.exchanges.binance import BinanceDemoKeys, BinanceEmulator, BinanceLimits
from sandbox.exchanges.bitbank import BitbankEmulator, BitbankLimits
from sandbox.exchanges.bitflyer import BitflyerEmulator, BitflyerLimits
from sandbox.exchanges.bitget import BitgetDemoKeys, BitgetEmulator, BitgetLimits
from sandbox.exchanges.bitget_book import TaxRecord
from sandbox.exchanges.bybit import BybitEmulator, BybitLimits
from sandbox.exchanges.coinbase import CoinbaseEmulator, CoinbaseLimits
from sandbox.exchanges.coincheck import CoincheckEmulator
from sandbox.exchanges.gate import GateEmulator, GateLimits
from sandbox.exchanges.gmocoin import GmoCoinEmulator, GmoCoinLimits
from sandbox.exchanges.htx import HtxEmulator, HtxLimits
from sandbox.exchanges.kraken import KrakenEmulator, KrakenLimits
from sandbox.exchanges.kucoin import KucoinEmulator, KucoinLimits
from sandbox.exchanges.mexc import MexcEmulator, MexcLimits
from sandbox.exchanges.okx import OkxEmulator, OkxLimits
from sandbox.exchanges.okx_book import FundingBill
from sandbox.exchanges.records import (
    AccountProfile,
    BalanceRecord,
    ConvertRecord,
    DepositRecord,
    Market,
    RewardRecord,
    ScriptedAccount,
    TradeRecord,
    TransferRecord,
    WithdrawalRecord,
)
from sandbox.exchanges.scripted import generate_account
from sandbox.exchanges.self_generated import KeyPairKind

__all__ = [
    "FOREIGN_IP",
    "READ_ONLY",
    "TRADING",
    "WITHDRAWAL",
    "AccountProfile",
    "ApiKey",
    "BalanceRecord",
    "BigoneEmulator",
    "BigoneLimits",
    "BinanceDemoKeys",
    "BinanceEmulator",
    "BinanceLimits",
    "BitbankEmulator",
    "BitbankLimits",
    "BitflyerEmulator",
    "BitflyerLimits",
    "BitgetDemoKeys",
    "BitgetEmulator",
    "BitgetLimits",
    "BybitEmulator",
    "BybitLimits",
    "Clock",
    "CoinbaseEmulator",
    "CoinbaseLimits",
    "CoincheckEmulator",
    "ConvertRecord",
    "Credentials",
    "DemoKeys",
    "DepositRecord",
    "ExchangeEmulator",
    "FundingBill",
    "GateEmulator",
    "GateLimits",
    "GmoCoinEmulator",
    "GmoCoinLimits",
    "HtxEmulator",
    "HtxLimits",
    "KeyPairKind",
    "KrakenEmulator",
    "KrakenLimits",
    "KucoinEmulator",
    "KucoinLimits",
    "Market",
    "MexcEmulator",
    "MexcLimits",
    "OkxEmulator",
    "OkxLimits",
    "Permissions",
    "RequestCounter",
    "RewardRecord",
    "ScriptedAccount",
    "TaxRecord",
    "TradeRecord",
    "TransferRecord",
    "WithdrawalRecord",
    "generate_account",
]
