"""OKX's rows read as records: what a person reads off each row of the lists in docs/exchange-apis/okx.md."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.fetchers.okx.bill_kinds import BILL_KINDS, BillKind, bill_kind
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
# What each funding bill type is stored as: bill_kinds.py. The rewards' walk (derivatives.py) stores the REWARD types,
# the transfers' walk every other type the deposit and withdrawal lists do not already hold.
REWARD_BILL_TYPES = frozenset(t for t, kind in BILL_KINDS.items() if kind is BillKind.REWARD)
# The record kind of each kind of bill the transfers' walk stores (ELSEWHERE and CONVERT_LEG are signed by `balChg`).
_STORED_AS = {
    BillKind.TRANSFER: RecordKind.TRANSFER,
    BillKind.CONVERT_LEG: RecordKind.CONVERT,
    BillKind.BORROW: RecordKind.BORROW,
    BillKind.REPAY: RecordKind.REPAY,
    BillKind.INTEREST: RecordKind.INTEREST,
    BillKind.LEDGER: RecordKind.LEDGER,
}

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
        """A funding-account bill of a reward type: `balChg` of `ccy` credited at `ts` (a negative one, should OKX
        ever take a reward back, is stored going out)."""
        if str(row.get("type", "")) not in REWARD_BILL_TYPES:
            return None, None
        ident, change = str(row["billId"]), exact(row["balChg"])
        record = NormalizedRecord(
            kind=RecordKind.REWARD,
            occurred_at=ms_to_utc(row["ts"]),
            natural_key=natural_key(RecordKind.REWARD, ident),
            asset=self.code(str(row["ccy"])),
            amount=abs(change),
            exchange_tx_id=ident,
            side=Flow.OUT if change < 0 else None,
            raw=dict(row),
        )
        return record, None

    def transfer(self, row: Mapping[str, Any]) -> Parsed:
        """A funding-account bill of any type but the rewards (the rewards' walk) and the deposit and withdrawal
        lists' own (bill_kinds.LISTED), stored as the kind its type says (bill_kinds.py)."""
        kind = bill_kind(str(row.get("type", "")))
        if kind in (BillKind.LISTED, BillKind.REWARD):
            return None, None
        change = exact(row["balChg"])
        if kind is BillKind.ELSEWHERE:
            return (self.elsewhere(row) if change else None), None
        stored = _STORED_AS[kind]
        ident = str(row["billId"])
        if stored is RecordKind.INTEREST or stored is RecordKind.LEDGER:
            amount, side = change, None  # signed, as these kinds are
        elif stored is RecordKind.TRANSFER or stored is RecordKind.CONVERT:
            # Seen from the funding account: `type` says which other wallet, or which conversion.
            amount, side = abs(change), (Flow.IN if change > 0 else Flow.OUT)
        else:
            amount, side = abs(change), None
        record = NormalizedRecord(
            kind=stored,
            occurred_at=ms_to_utc(row["ts"]),
            natural_key=natural_key(stored, ident),
            asset=self.code(str(row["ccy"])),
            amount=amount,
            exchange_tx_id=ident,
            side=side,
            raw=dict(row),
        )
        return record, None

    def elsewhere(self, row: Mapping[str, Any]) -> NormalizedRecord:
        """Money sent to or received from another account or person (a sub-account or the master, a gift, a fiat
        order, custody): it leaves or enters the balances this key reads (a key reads one account, okx.md
        "Sub-accounts"), so it is a withdrawal or a deposit of this account, by the sign of `balChg`. Fiat orders
        are not in deposit-history or withdrawal-history, which list crypto."""
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
