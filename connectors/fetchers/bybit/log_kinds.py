"""Bybit v5: the unified transaction log's lines that no other list holds (endpoint "Ledger"): airdrops, bonuses,
loans taken and repaid, institutional-loan interest, one-click repayment, loan-liquidation and leveraged-token legs,
moves into investment products, broker fees. Rules and their sources: docs/exchange-apis/bybit.md, "The
transaction log's other lines".

`GET /v5/account/transaction-log` (7-day windows, 50 a page, cursor, 2 years) lists every change of the unified
wallet; its `type` enum (docs/v5/enum.mdx#typeuta-translog) names what each line is. Lines of a derivatives category
are read by `derivatives.py` (fills' fees, realized P&L, funding, fee refunds): left out here. Of the rest, a line
another list already stores is left out too, so nothing is counted twice:

- `TRADE`: the spot execution list; `TRANSFER_IN`/`TRANSFER_OUT`: the transfer list; `INTEREST`: the borrow history
  (`borrowCost`, the same charges); `FLEXIBLE_STAKING_*`: Earn's stake and redeem orders (`earn.py`).
- `CURRENCY_BUY`/`CURRENCY_SELL` ("Currency convert, and the liquidation for borrowing asset (UTA loan)") and the
  other convert types: a leg the convert history also holds is left out, one it does not (a liquidation) is stored
  (`log_converts.py` says how they are told apart).

Every other line is stored by what its type says, its money read from `change` ("Change = cashFlow + funding -
fee": the page shows no example of these lines, so no one field is trusted; `change` is what the wallet moved,
`cashBalance` "the wallet balance after a cash change"). A type Tallybot cannot name a kind for is kept as a
LEDGER line: visible in the exports, counted by no balance (docs/exchange-apis/bybit.md says which and why).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from connectors.fetchers.base import Cursor, FetchReport, Page, UnsupportedEndpoint
from connectors.fetchers.bybit.derivative_rows import DERIVATIVE_CATEGORIES
from connectors.fetchers.bybit.derivatives import UNIFIED_LOG, AccountMode, Route, Walk
from connectors.fetchers.bybit.log_converts import ConvertLegs
from connectors.fetchers.bybit.rows import Parsed
from connectors.profiles import EndpointSpec
from connectors.records import Flow, NormalizedRecord, RecordKind, exact, ms_to_utc, natural_key
from i18n import Text

# What /status says of the endpoint on a classic account, which keeps no unified log.
CLASSIC_NO_LOG = Text.of("profile.bybit.skip.classic_no_log")

# Types another list Tallybot reads already stores (the module's docstring says which).
HELD_ELSEWHERE = frozenset(
    {
        "TRADE",
        "TRANSFER_IN",
        "TRANSFER_OUT",
        "INTEREST",
        "FLEXIBLE_STAKING_SUBSCRIPTION",
        "FLEXIBLE_STAKING_REDEMPTION",
        "FLEXIBLE_STAKING_REFUND",
    }
)

# enum.mdx#typeuta-translog, by what each type's name and description say.
KINDS: Mapping[str, RecordKind] = {
    # Money given (or taken back) by Bybit: "Bonus claimed", "Bonus expired", "Trading fee refunded" (a spot fee:
    # derivatives refunds are the derivatives reader's), "Asset auto deducted by system (roll back)".
    **dict.fromkeys(("AIRDROP", "BONUS", "BONUS_RECOLLECT", "FEE_REFUND", "AUTO_DEDUCTION"), RecordKind.REWARD),
    # Loans taken: spot margin ("Manual borrow", "Auto borrow"), INS (institutional) loans, crypto loans.
    **dict.fromkeys(
        (
            "MANUAL_LOANS_BORROW",
            "AUTO_LOANS_BORROW",
            "BORROWED_AMOUNT_INS_LOAN",
            "INSTITUTION_LOAN_IN",
            "LOANS_BORROW_FUNDS",
            "BORROW",  # "Manual loan borrow and auto loan borrow": the current name of the two above
            "FLOATING_TO_FIXED_BORROW",
        ),
        RecordKind.BORROW,
    ),
    # Principal paid back ("Manual repay", "Auto repay", INS principal repayments, "crypto loan repayment").
    **dict.fromkeys(
        (
            "MANUAL_LOANS_REPAY",
            "AUTO_LOANS_REPAY",
            "PRINCIPLE_REPAYMENT_INS_LOAN",
            "AUTO_PRINCIPLE_REPAYMENT_INS_LOAN",
            "INSTITUTION_PAYBACK_PRINCIPAL_OUT",
            "INSTITUTION_LIQ_PRINCIPAL_OUT",
            "LOANS_PLEDGE_ASSET",
            "REPAY",  # "Manual loan repay and auto loan repay"
            "FLOATING_TO_FIXED_REPAY",
        ),
        RecordKind.REPAY,
    ),
    # INS-loan interest: not in the borrow history (that lists spot-margin interest).
    **dict.fromkeys(
        (
            "INTEREST_REPAYMENT_INS_LOAN",
            "AUTO_INTEREST_REPAYMENT_INS_LOAN",
            "INSTITUTION_PAYBACK_INTEREST_OUT",
            "INSTITUTION_LIQ_INTEREST_OUT",
        ),
        RecordKind.INTEREST,
    ),
    # One leg of an exchange of one coin for another, each leg its own line ("One-click repayment currency sell",
    # "… buy"; leveraged-token subscription and redemption; collateral sold to repay an INS loan; pre-market delivery;
    # a UTA loan's liquidation or a convert, "Currency convert repayment", an Earn redemption's swap, the Indonesian
    # site's converts: the convert history's are left out by `log_converts.py`).
    **dict.fromkeys(
        (
            "CURRENCY_BUY",
            "CURRENCY_SELL",
            "CONVERT",
            "EARNING_REDEMPTION_SELL",
            "EARNING_REDEMPTION_BUY",
            "IDN_CONVERT_IN",
            "IDN_CONVERT_OUT",
            "SPOT_REPAYMENT_SELL",
            "SPOT_REPAYMENT_BUY",
            "TOKENS_SUBSCRIPTION",
            "TOKENS_REDEMPTION",
            "AUTO_SOLD_COLLATERAL_INS_LOAN",
            "AUTO_BUY_LIABILITY_INS_LOAN",
            "INSTITUTION_EXCHANGE_SELL",
            "INSTITUTION_EXCHANGE_BUY",
            "PREMARKET_DELIVERY_SELL_NEW_COIN",
            "PREMARKET_DELIVERY_BUY_NEW_COIN",
        ),
        RecordKind.CONVERT,
    ),
    # "tranfer out/in for" an investment product: a move between the account's own holdings. OnChain Earn is read as
    # the Earn wallet; the others' balances no read-only endpoint lists (bybit.md says what that leaves unexplained).
    **dict.fromkeys(
        (
            "ONCHAINEARN_SUBSCRIPTION",
            "ONCHAINEARN_REDEMPTION",
            "ONCHAINEARN_REFUND",
            "FIXED_STAKING_SUBSCRIPTION",
            "FIXED_STAKING_REFUND",
            "STRUCTURE_PRODUCT_SUBSCRIPTION",
            "STRUCTURE_PRODUCT_REFUND",
            "CLASSIC_WEALTH_MANAGEMENT_SUBSCRIPTION",
            "PREMIMUM_WEALTH_MANAGEMENT_SUBSCRIPTION",
            "PREMIMUM_WEALTH_MANAGEMENT_REFUND",
            "LIQUIDITY_MINING_SUBSCRIPTION",
            "LIQUIDITY_MINING_REFUND",
            "PWM_SUBSCRIPTION",
            "PWM_REFUND",
            "DEFI_INVESTMENT_SUBSCRIPTION",
            "DEFI_INVESTMENT_REFUND",
            "DEFI_INVESTMENT_REDEMPTION",
        ),
        RecordKind.TRANSFER,
    ),
    # Fees taken from the wallet: "Spread fee for EU Broker", "Borker AB fee deduction".
    **dict.fromkeys(("SPREAD_FEE_OUT", "BROKER_ABACCOUNT_FEE"), RecordKind.FEE),
}
# Kinds whose amount carries the line's sign; the others are stored positive (BORROW, REPAY count zero; a convert
# leg and a transfer are signed by their side, as the balance check and the exports read a one-coin leg). A reward
# taken back is stored negative with side `out`, as Binance's debited dividends are (binance/wallet.py).
SIGNED = frozenset({RecordKind.INTEREST, RecordKind.LEDGER, RecordKind.REWARD, RecordKind.FEE})
SIDED = frozenset({RecordKind.CONVERT, RecordKind.TRANSFER, RecordKind.LEDGER})


def _given(value: Any) -> bool:
    return value not in (None, "")


def _tx_id(kind: RecordKind, row: Mapping[str, Any]) -> str | None:
    """A convert leg's order (the id its other leg would share, as the exports link one-coin legs); else the trade."""
    first, second = ("orderId", "tradeId") if kind is RecordKind.CONVERT else ("tradeId", "orderId")
    return str(row.get(first) or row.get(second) or "") or None


def _side(kind: RecordKind, change: Decimal) -> str | None:
    if kind in SIDED:
        return Flow.IN if change > 0 else Flow.OUT
    return Flow.OUT if kind is RecordKind.REWARD and change < 0 else None


class LogKindRows:
    """Reads the unified log's lines no other list holds; `code` turns Bybit's coin names into ccxt's."""

    def __init__(self, code: Callable[[str], str]) -> None:
        self.code = code

    def parse(self, row: Mapping[str, Any], window_start: int) -> Parsed:
        kind_name = str(row.get("type", ""))
        if str(row.get("category", "")) in DERIVATIVE_CATEGORIES or kind_name in HELD_ELSEWHERE:
            return None, None
        change = exact(row["change"]) if _given(row.get("change")) else Decimal(0)
        if change == 0:
            return None, None
        kind = KINDS.get(kind_name, RecordKind.LEDGER)
        coin, when = str(row["currency"]), int(row["transactionTime"])
        # The docs' own example gives two lines the same `id`: the key names the type, coin and time as well. A line
        # with neither `id` nor `tradeId` adds its `change`, so two such lines of one type and coin in one ms are both
        # kept; a line with an id keeps the key earlier versions stored (a re-read stores nothing twice).
        ids = (row.get("id"), row.get("tradeId"))
        amount = () if any(_given(i) for i in ids) else (row.get("change"),)
        key = natural_key(kind, None, *ids, kind_name, coin, when, *amount)
        record = NormalizedRecord(
            kind=kind,
            occurred_at=ms_to_utc(when),
            natural_key=key,
            asset=self.code(coin),
            amount=change if kind in SIGNED else abs(change),
            exchange_tx_id=_tx_id(kind, row),
            market=str(row.get("symbol") or "") or None,
            side=_side(kind, change),
            raw=dict(row),
        )
        return record, None


class LogKindsFetch:
    """The "Ledger" endpoint of one Bybit fetcher: one walk of the unified log, its own cursor; convert legs the
    convert history holds are left out of each page (`client` reads that history)."""

    def __init__(
        self,
        rows: LogKindRows,
        walk: Walk,
        mode: Callable[[], Awaitable[AccountMode]],
        profile_id: str,
        client: Any,
    ) -> None:
        self.client = client
        self.rows = rows
        self.walk = walk
        self.mode = mode
        self.profile_id = profile_id

    async def fetch(
        self,
        spec: EndpointSpec,
        *,
        since: datetime | None,
        until: datetime,
        cursors: Mapping[str, Cursor],
        report: FetchReport,
    ) -> AsyncIterator[Page]:
        mode = await self.mode()
        if UNIFIED_LOG not in mode.logs:
            # A classic account has no unified log: its contract log's lines are the derivatives reader's, and its
            # spot wallet keeps no log a key can read.
            raise UnsupportedEndpoint(self.profile_id, spec.endpoint, CLASSIC_NO_LOG)
        route = Route.listed(UNIFIED_LOG.method, {})
        converts = ConvertLegs(self.client, spec.endpoint)
        async for page in self.walk(
            spec, route, self.rows.parse, since=since, until=until, cursor=cursors.get(""), report=report
        ):
            kept = [record for record in page.records if not await converts.held(record, report)]
            yield page if len(kept) == len(page.records) else replace(page, records=tuple(kept))
