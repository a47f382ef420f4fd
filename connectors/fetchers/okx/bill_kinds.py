"""What each funding-account bill type is, as a record kind (docs/exchange-apis/okx.md, "Funding bill types").

The one list of the types is `type` of GET /api/v5/asset/bills (Asset_Bills_Details.md), which bills-history refers
to. A bill carries `billId`, `ccy`, `balChg` (the signed change of the funding balance), `bal`, `type`, `ts` and
`notes`, and nothing else: no order id, no counterpart currency. So every bill is read on its own, for what its
`balChg` did to the funding balance, and the kind says what that change was. The two legs of a conversion (ETH into
BETH, SOL into OKSOL, a Dual Investment order and its collection) share no id in the bills, so each is its own
convert leg, going out or coming in by the sign of `balChg`.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from types import MappingProxyType


class BillKind(Enum):
    """How a bill is stored. LISTED bills are another endpoint's rows and are not stored from the bills."""

    LISTED = "listed"  # deposit-history / withdrawal-history have the row (with its fee): not stored again
    TRANSFER = "transfer"  # between this account's own wallets or products: no change to the account's total
    ELSEWHERE = "elsewhere"  # to or from another account or person: a deposit or a withdrawal, by sign
    REWARD = "reward"  # income: a reward (a negative one is stored going out)
    CONVERT_LEG = "convert_leg"  # one leg of a conversion or purchase: in or out, by sign
    BORROW = "borrow"
    REPAY = "repay"
    INTEREST = "interest"  # loan interest or penalty paid: signed
    LEDGER = "ledger"  # meaning or effect not documented: kept, not counted (okx.md says which and why)


def _kinds(**groups: tuple[str, ...]) -> Mapping[str, BillKind]:
    table: dict[str, BillKind] = {}
    for name, types in groups.items():
        for bill_type in types:
            if bill_type in table:
                raise ValueError(f"bill type {bill_type} in two groups")
            table[bill_type] = BillKind[name.upper()]
    return MappingProxyType(table)


BILL_KINDS: Mapping[str, BillKind] = _kinds(
    # 1 Deposit, 2 Withdrawal: the deposit and withdrawal lists' rows. 13 "Canceled withdrawal" gives back a
    # withdrawal that the withdrawal list marks canceled (-2) or failed (-1), which Tallybot does not store, so the
    # refund is not stored either.
    listed=("1", "2", "13"),
    transfer=(
        "130",  # Transferred from Trading account
        "131",  # Transferred to Trading account
        "75",  # [Simple earn flexible] Subscription (the savings balance is read)
        "76",  # [Simple earn flexible] Redemption
        "80",  # DEFI/Staking subscription (on-chain earn's orders are read)
        "82",  # DEFI/Staking redemption
        "78",  # Jumpstart lock up: the user's coins locked in Jumpstart
        "124",  # Jumpstart unlocking
        "175",  # Locked collateral (a crypto loan's)
        "177",  # Added collateral
        "178",  # Returned collateral
        "180",  # Unlocked collateral
        "212",  # [Flexible loan] Multi-collateral loan collateral locked
        "215",  # [Flexible loan] Multi-collateral loan collateral released
        "311",  # Crypto dust auto-transfer in: the user's own dust moved into the funding account
        "348",  # [BTC staking] Subscription
        "349",  # [BTC staking] Redemption
        "372",  # Asset segregation
        "373",  # Asset release
    ),
    elsewhere=(
        "20",  # Transfer to sub account (for master account)
        "21",  # Transfer from sub account (for master account)
        "22",  # Transfer out from sub to master account (for sub-account)
        "23",  # Transfer in from master to sub account (for sub-account)
        "361",  # Deposit from closed sub-account
        "72",  # Token received
        "73",  # Token given away
        "74",  # Token refunded
        "116",  # [Fiat] Place an order: fiat paid out (a fiat withdrawal order)
        "117",  # [Fiat] Fulfill an order: fiat paid in
        "118",  # [Fiat] Cancel an order: a placed order's money back
        "134",  # [P2P] Transferred by customer service: to or from the other party of a disputed P2P order
        "195",  # Untradable asset withdrawal
        "196",  # Untradable asset withdrawal revoked
        "197",  # Untradable asset deposit
        "198",  # Untradable asset collection reduce
        "199",  # Untradable asset collection increase
        "220",  # Delisted crypto: a delisted coin taken off the account
        "84",  # Violation fee: taken by OKX
        "284",  # [Custody] Transfer out trading sub-account
        "285",  # [Custody] Transfer in trading sub-account
        "286",  # [Custody] Transfer out custody funding account
        "287",  # [Custody] Transfer in custody funding account
        "313",  # Sent by gift
        "314",  # Received from gift
        "315",  # Refunded from gift
        "476",  # Transferred out to Cloud Exchange: out of the account this key reads
        "477",  # Transferred in from Cloud Exchange
    ),
    reward=(
        # Earn and staking rewards.
        "28",  # Manually claimed Airdrop
        "48",  # Event Reward
        "49",  # Event Giveaway
        "83",  # Staking yield
        "89",  # Deposit yield
        "139",  # [ETH Staking] Earnings
        "229",  # Airdrop
        "232",  # Subsidized interest received
        "307",  # [Simple Earn Fixed] Interest distribution (early termination compensation)
        "308",  # [Simple Earn Fixed] Interest distribution
        "309",  # [Simple Earn Fixed] Interest distribution (extension compensation)
        "328",  # [SOL staking] Send Liquidity Staking Token reward
        "343",  # [Simple Earn Fixed] Interest
        "344",  # [Simple Earn Fixed] Compensatory interest
        "350",  # [BTC staking] Earnings
        "400",  # Auto lend interest
        "408",  # Auto earn USDG interest
        # Commissions, rebates and profit shares: income as much as a staking yield is.
        "68",  # Fee rebate (by rebate card)
        "150",  # Affiliate commission
        "151",  # Referral reward
        "152",  # Broker reward
        "172",  # [Affiliate] Sub-affiliate commission
        "173",  # [Affiliate] Fee rebate (by trading fee)
        "185",  # [Broker] Convert reward
        "233",  # Broker rebate compensation
        "271",  # DCD broker rebate
        "299",  # Affiliate recommendation commission
        "300",  # Fee discount rebate
        "223",  # SWAP lead trading profit share
        "263",  # Strategy bots profit share
        "265",  # Signal revenue
        "266",  # SPOT lead trading profit share
        "354",  # Copy and bot rewards
        # Structured products' profits, paid beside their collection.
        "162",  # Dual Investment profit
        "204",  # Price Lock Profit
        "209",  # Dual Investment Lite Profit
        "227",  # Shark Fin profit
        "242",  # Snowball profit
        "251",  # Seagull profit
        # Other income.
        "77",  # Jumpstart distribute
        "146",  # Customer feedback
        "181",  # Airdrop payment
        "189",  # Mystery box bonus
        "333",  # Trial fund reward
    ),
    convert_leg=(
        "137",  # [ETH Staking] Subscription: ETH out
        "138",  # [ETH Staking] Swapping: BETH in
        "329",  # [SOL staking] Subscribe Liquidity Staking Token staking: SOL out
        "330",  # [SOL staking] Mint Liquidity Staking Token: the staking token in
        "331",  # [SOL staking] Redeem Liquidity Staking Token order: the staking token out
        "332",  # [SOL staking] Settle Liquidity Staking Token order: SOL in
        "200",  # Buy
        "135",  # Cross chain exchange
        "174",  # Jumpstart Pay
        "272",  # [Convert] Buy Crypto/Fiat (paired with convert history's trade when it lists one: convert_bills.py)
        "273",  # [Convert] Sell Crypto/Fiat
        # Structured products: the order's money out, and its collection (possibly in the other currency, as Dual
        # Investment settles) or refund in.
        "160",  # Dual Investment subscribe
        "161",  # Dual Investment collection
        "163",  # Dual Investment refund
        "202",  # Price Lock Subscribe
        "203",  # Price Lock Collection
        "205",  # Price Lock Refund
        "207",  # Dual Investment Lite Subscribe
        "208",  # Dual Investment Lite Collection
        "210",  # Dual Investment Lite Refund
        "225",  # Shark Fin subscribe
        "226",  # Shark Fin collection
        "228",  # Shark Fin refund
        "240",  # Snowball subscribe
        "241",  # Snowball refund
        "243",  # Snowball trading failed
        "249",  # Seagull subscribe
        "250",  # Seagull collection
        "252",  # Seagull refund
    ),
    borrow=(
        "176",  # Loan
        "217",  # [Flexible loan] Multi-collateral loan borrowed
        "351",  # [Institutional Loan] Loan disbursement
    ),
    repay=(
        "179",  # Repayment
        "218",  # [Flexible loan] Multi-collateral loan repaid
        "345",  # [Institutional Loan] Principal repayment
    ),
    interest=(
        "346",  # [Institutional Loan] Interest repayment
        "347",  # [Institutional Loan] Overdue penalty
    ),
    # Named but with no documented effect on whose money: 47 "System reversal" (of which bill is not said), 132/133
    # "[P2P] Frozen/Unfrozen by customer service" (whether frozen money leaves `bal` is not said), 187 "[Broker]
    # Convert transfer", 270 "DCD broker transfer", 303 "Snowball market maker transfer", 288/289 "[Custody] Fund
    # delegation/undelegation"; and Simple Earn Fixed's principal (304/305/306, 339-342), whose orders have all ended
    # (okx.md, "Not used"), so each one's legs cancel out. 221 "Blockchain's withdrawal fee" and 222 "Withdrawal fee
    # refund" are the fee a withdrawal-history row carries in `fee`, stored with that withdrawal, and its return
    # with a withdrawal that did not happen (not stored): shown, never counted again.
    ledger=(
        "221",
        "222",
        "47",
        "132",
        "133",
        "187",
        "270",
        "288",
        "289",
        "303",
        "304",
        "305",
        "306",
        "339",
        "340",
        "341",
        "342",
    ),
)


def bill_kind(bill_type: str) -> BillKind:
    """The kind of a bill type; a type the list does not name (OKX adds types) is kept as a ledger line."""
    return BILL_KINDS.get(bill_type, BillKind.LEDGER)
