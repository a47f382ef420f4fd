"""OKX's rows read as records: what a person reads off each row of the lists in docs/exchange-apis/okx.md."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.fetchers.windows import hold_if_recent
from connectors.records import Flow, NormalizedRecord, RecordKind, exact, ms_to_utc, natural_key

# Deposit states: 0 waiting for confirmation, 1 credited, 2 successful, 8 pending (deposits suspended), 11 address
# blacklisted, 12 account frozen, 13 sub-account deposit interception, 14 KYC limit, 17 awaiting Travel Rule.
DEPOSIT_DONE = frozenset({"1", "2"})
DEPOSIT_PENDING = frozenset({"0", "8", "12", "13", "14", "17"})
# Withdrawal states: 2 success; -2 canceled, -1 failed; everything else (waiting, approving, broadcasting,
# canceling, review) is on its way.
WITHDRAWAL_DONE = frozenset({"2"})
WITHDRAWAL_SKIPPED = frozenset({"-2", "-1"})
CONVERT_DONE = frozenset({"fullyFilled"})
# Funding bill types that move money between this account's own wallets, each of which is read for reconciliation
# (connectors/balances/okx.py): 130/131 from/to the trading account, 75/76 Simple Earn Flexible subscription and
# redemption (the savings balance), 80/82 "DEFI/Staking subscription/redemption" (on-chain earn's active orders).
TRANSFER_BILL_TYPES = frozenset({"75", "76", "80", "82", "130", "131"})
# Funding bill types that move money to or from ANOTHER account (Asset_Bills_Details.md): 20 "Transfer to sub account
# (for master account)", 21 "Transfer from sub account (for master account)", 22 "Transfer out from sub to master
# account (for sub-account)", 23 "Transfer in from master to sub account (for sub-account)", 361 "Deposit from closed
# sub-account". A key reads one account (docs/exchange-apis/okx.md, "Sub-accounts"), so for it this money arrives or
# leaves like a deposit or a withdrawal: stored as such, the sign of `balChg` saying which.
SUB_ACCOUNT_BILL_TYPES = frozenset({"20", "21", "22", "23", "361"})
# Funding bill types that pay the user a reward (Asset_Bills_Details.md): 28 manually claimed airdrop, 48 event reward,
# 49 event giveaway, 83 staking yield, 89 deposit yield, 139 ETH staking earnings, 229 airdrop, 232 subsidized
# interest received, 307/308/309 Simple Earn Fixed interest (early termination compensation / interest / extension
# compensation), 328 SOL staking reward, 343/344 Simple Earn Fixed interest / compensatory interest, 350 BTC staking
# earnings. Subscriptions, redemptions and principal only move the user's own money; commissions, rebates and
# structured-product profits are left out (not "earn and staking rewards").
REWARD_BILL_TYPES = frozenset(
    {"28", "48", "49", "83", "89", "139", "229", "232", "307", "308", "309", "328", "343", "344", "350"}
)

Parsed = tuple[NormalizedRecord | None, int | None]  # (record if final, time it holds the cursor at if pending)


class RowReader:
    """Turns OKX's raw rows into records, with the client's currency codes and market names."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def code(self, currency: str) -> str:
        return str(self.client.safe_currency_code(currency))

    def fill(self, row: Mapping[str, Any]) -> Parsed:
        inst_id, trade_id = str(row["instId"]), str(row["tradeId"])
        market = self.client.safe_market(inst_id, None, "-", "spot")
        amount, price = exact(row["fillSz"]), exact(row["fillPx"])
        fee = row.get("fee")
        fee_ccy = row.get("feeCcy")
        record = NormalizedRecord(
            kind=RecordKind.TRADE,
            # `fillTime` is the trade's time; `ts` is when OKX wrote the row (a few ms later in the docs and in
            # recordings). The docs list fillTime on every row; `ts` stands in only should a row leave it empty.
            occurred_at=ms_to_utc(row.get("fillTime") or row["ts"]),
            # OKX numbers trades per instrument; billId (in raw) is the fill's own id in the account.
            natural_key=natural_key(RecordKind.TRADE, f"{inst_id}:{trade_id}"),
            asset=str(market.get("base") or inst_id.split("-")[0]),
            amount=amount,
            exchange_tx_id=trade_id,
            market=str(market.get("symbol") or inst_id.replace("-", "/")),
            side=str(row["side"]).lower(),
            quote_asset=market.get("quote"),
            quote_amount=amount * price,  # OKX sends no quote amount; the product of two exact strings is exact
            price=price,
            # OKX signs fees as balance changes: negative when charged, positive for a maker rebate.
            fee_asset=self.code(str(fee_ccy)) if fee_ccy else None,
            fee_amount=0 - exact(fee) if fee not in (None, "") else None,
            raw=dict(row),
        )
        return record, None

    def deposit(self, row: Mapping[str, Any]) -> Parsed:
        when, state = int(row["ts"]), str(row.get("state", ""))
        if state in DEPOSIT_PENDING:
            return None, hold_if_recent(when)
        if state not in DEPOSIT_DONE:
            return None, None
        ident, ccy = str(row["depId"]), str(row["ccy"])
        record = NormalizedRecord(
            kind=RecordKind.DEPOSIT,
            occurred_at=ms_to_utc(when),
            natural_key=natural_key(RecordKind.DEPOSIT, ident, ccy, row.get("txId"), row["amt"], when),
            asset=self.code(ccy),
            amount=exact(row["amt"]),
            exchange_tx_id=ident or None,
            raw=dict(row),
        )
        return record, None

    def withdrawal(self, row: Mapping[str, Any]) -> Parsed:
        when, state = int(row["ts"]), str(row.get("state", ""))
        if state in WITHDRAWAL_SKIPPED:
            return None, None
        if state not in WITHDRAWAL_DONE:
            return None, hold_if_recent(when)
        ident, ccy = str(row["wdId"]), str(row["ccy"])
        fee = row.get("fee")
        fee_ccy = row.get("feeCcy") or ccy
        record = NormalizedRecord(
            kind=RecordKind.WITHDRAWAL,
            occurred_at=ms_to_utc(when),
            natural_key=natural_key(RecordKind.WITHDRAWAL, ident, ccy, row.get("txId"), row["amt"], when),
            asset=self.code(ccy),
            amount=exact(row["amt"]),  # sent; the fee is charged on top
            exchange_tx_id=ident or None,
            fee_asset=self.code(str(fee_ccy)) if fee not in (None, "") else None,
            fee_amount=exact(fee) if fee not in (None, "") else None,
            raw=dict(row),
        )
        return record, None

    def convert(self, row: Mapping[str, Any]) -> Parsed:
        """A convert as OKX reports it: `side` (buy or sell of `baseCcy`), `fillBaseSz` of the base for
        `fillQuoteSz` of `quoteCcy`, at `fillPx`. Both amounts are OKX's own: the product of size and price is not
        the amount paid (0.01023052 ETH x 2932.401044 is 29.99999…, the docs' row paid 30 USDT)."""
        if str(row.get("state", "fullyFilled")) not in CONVERT_DONE:
            return None, None
        ident = str(row["tradeId"])
        base, quote = self.code(str(row["baseCcy"])), self.code(str(row["quoteCcy"]))
        record = NormalizedRecord(
            kind=RecordKind.CONVERT,
            occurred_at=ms_to_utc(row["ts"]),
            natural_key=natural_key(RecordKind.CONVERT, ident),
            asset=base,
            amount=exact(row["fillBaseSz"]),
            exchange_tx_id=ident,
            market=f"{base}/{quote}",
            side=str(row["side"]).lower(),
            quote_asset=quote,
            quote_amount=exact(row["fillQuoteSz"]),
            price=exact(row["fillPx"]),
            raw=dict(row),
        )
        return record, None

    def reward(self, row: Mapping[str, Any]) -> Parsed:
        """A funding-account bill of a reward type: `balChg` of `ccy` credited at `ts`."""
        if str(row.get("type", "")) not in REWARD_BILL_TYPES:
            return None, None
        ident = str(row["billId"])
        record = NormalizedRecord(
            kind=RecordKind.REWARD,
            occurred_at=ms_to_utc(row["ts"]),
            natural_key=natural_key(RecordKind.REWARD, ident),
            asset=self.code(str(row["ccy"])),
            amount=exact(row["balChg"]),
            exchange_tx_id=ident,
            raw=dict(row),
        )
        return record, None

    def transfer(self, row: Mapping[str, Any]) -> Parsed:
        """A funding-account bill of a transfer type; deposits, withdrawals and the rest are other endpoints'."""
        bill_type = str(row.get("type", ""))
        if bill_type in SUB_ACCOUNT_BILL_TYPES:
            return self.sub_account_move(row), None
        if bill_type not in TRANSFER_BILL_TYPES:
            return None, None
        ident = str(row["billId"])
        change = exact(row["balChg"])
        record = NormalizedRecord(
            kind=RecordKind.TRANSFER,
            occurred_at=ms_to_utc(row["ts"]),
            natural_key=natural_key(RecordKind.TRANSFER, ident),
            asset=self.code(str(row["ccy"])),
            amount=abs(change),
            exchange_tx_id=ident,
            side=Flow.IN if change > 0 else Flow.OUT,  # seen from the funding account; `type` says which other account
            raw=dict(row),
        )
        return record, None

    def sub_account_move(self, row: Mapping[str, Any]) -> NormalizedRecord:
        """Money sent to or received from another OKX account of the same person (a sub-account or the master):
        it leaves or enters the balances this key reads, so it is a withdrawal or a deposit of this account (see
        SUB_ACCOUNT_BILL_TYPES). The other account, synced with its own key, has the matching record."""
        ident, change = str(row["billId"]), exact(row["balChg"])
        kind = RecordKind.DEPOSIT if change > 0 else RecordKind.WITHDRAWAL
        return NormalizedRecord(
            kind=kind,
            occurred_at=ms_to_utc(row["ts"]),
            # billIds and deposit/withdrawal ids are different lists: the prefix keeps their keys apart.
            natural_key=natural_key(kind, f"okx-bill:{ident}"),
            asset=self.code(str(row["ccy"])),
            amount=abs(change),
            exchange_tx_id=ident,
            raw=dict(row),
        )
