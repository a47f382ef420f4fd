"""Gate's futures products as their pages name them (docs/exchange-apis/gate.md, "Futures" and "Delivery futures").

Perpetual and delivery futures share their accounts' shape (`total`, `history` sums), their account book's rows and
their fills' fields; they differ in how their lists page:

| product | fills | fills paging | book paging | settles |
| --- | --- | --- | --- | --- |
| perpetual | `GET /futures/{settle}/my_trades_timerange` | range + `offset` | range + `offset` | usdt, btc |
| delivery | `GET /delivery/{settle}/my_trades` | `offset` only, no range | range, no `offset` | usdt |
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Account(StrEnum):
    """How a product's cursors and natural keys are told apart: the perpetual ones by their settle alone (as stored
    before delivery futures were read), the others prefixed with the product."""

    PERPETUAL = ""
    DELIVERY = "delivery"


@dataclass(frozen=True)
class Product:
    """One futures product: its ccxt implicit methods and how its lists page."""

    account: Account
    settles: tuple[str, ...]
    accounts: str
    fills: str
    book: str
    contracts: str
    fills_in_range: bool  # the fills list takes `from`/`to`
    book_by_offset: bool  # the account book takes `offset`

    def market(self, settle: str) -> str:
        """The cursor's market: the settle alone for perpetual futures, `delivery:usdt` for the others."""
        return f"{self.account}:{settle}" if self.account else settle


PERPETUAL = Product(
    Account.PERPETUAL,
    ("usdt", "btc"),
    "privateFuturesGetSettleAccounts",
    "privateFuturesGetSettleMyTradesTimerange",
    "privateFuturesGetSettleAccountBook",
    "publicFuturesGetSettleContracts",
    fills_in_range=True,
    book_by_offset=True,
)
DELIVERY = Product(
    Account.DELIVERY,
    ("usdt",),
    "privateDeliveryGetSettleAccounts",
    "privateDeliveryGetSettleMyTrades",
    "privateDeliveryGetSettleAccountBook",
    "publicDeliveryGetSettleContracts",
    fills_in_range=False,
    book_by_offset=False,
)
PRODUCTS = (PERPETUAL, DELIVERY)
