"""What OKX's derivatives scripts are written in: the contracts they trade (CONTRACTS, as GET
/api/v5/public/instruments describes them) and a scripted fill (`Fill`) or a bill no fill stands behind (`Bill`).
okx_derivatives.py lays the scripts out in time and serves them; the scripts are there, in okx_off_book.py and in
okx_isolated.py. Rules and pages: docs/exchange-apis/okx.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Contract:
    inst_type: str
    inst_id: str  # with `{expiry}` for the expiry date the script picks (30 days after now)
    ct_val: str
    ct_val_ccy: str
    settle: str
    uly: str


@dataclass(frozen=True)
class Fill:
    """One scripted fill and its bill: `pnl` realized, `fee` signed (negative: charged), the bill's `balChg` is
    `pnl + fee` except for options, where the premium moves too (`premium`, signed, in the settle coin)."""

    days_ago: int
    contract: str  # key of CONTRACTS, or "MARGIN"
    side: str
    size: str  # contracts (derivatives) or base coin (margin)
    price: str
    fee: str
    fee_ccy: str  # "settle", "base" or "quote"
    pnl: str = "0"
    premium: str = "0"
    # The bill's type and subType: 2 trade (subType 1 buy, 2 sell) unless the script says otherwise, e.g. 14 block
    # trade (204-209), 24 spread trading (270-275), 32 move position (324-329); fills-history lists the fill with
    # the same subType ("Transaction details (last 3 months)": `subType` "Transaction type").
    bill_type: str = "2"
    sub_type: str = ""
    # An isolated position's fill (`mgnMode` isolated): `position_change` is the bill's `posBalChg`, the margin moved
    # between the account level and the position (+ on opening, - what the position holds on closing); the bill's
    # `balChg` is then `pnl + fee - position_change`.
    isolated: bool = False
    position_change: str = "0"


@dataclass(frozen=True)
class Bill:
    """A bill no fill stands behind: 8 funding fee (subType 173 expense, 174 income), 7 interest deduction or 13 DDH
    (131 ddh buy, 132 ddh sell: a hedge OKX trades for the account, whose `fee` is part of `change`)."""

    days_ago: int
    type: str
    sub_type: str
    ccy: str
    change: str
    inst: str = ""  # key of CONTRACTS
    fee: str = "0"
    # An isolated position's bill: `change` is `balChg` (0 for a funding fee), `position_change` its `posBalChg`.
    isolated: bool = False
    position_change: str = "0"


CONTRACTS: Mapping[str, Contract] = {
    "swap": Contract("SWAP", "BTC-USDT-SWAP", "0.01", "BTC", "USDT", "BTC-USDT"),
    "inverse": Contract("SWAP", "BTC-USD-SWAP", "100", "USD", "BTC", "BTC-USD"),  # a contract is 100 USD
    "future": Contract("FUTURES", "ETH-USDT-{expiry}", "0.1", "ETH", "USDT", "ETH-USDT"),
    "option": Contract("OPTION", "BTC-USD-{expiry}-70000-C", "0.01", "BTC", "BTC", "BTC-USD"),
}
