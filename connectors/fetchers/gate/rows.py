"""Gate's rows read as records: what a person reads off each row of the lists in docs/exchange-apis/gate.md."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from connectors.records import Flow, NormalizedRecord, RecordKind, Side, exact, ms_to_utc, natural_key

# DepositRecord.status: REVIEW (compliance review), PEND (processing), DONE, INVALID, TRACK (counting
# confirmations), BLOCKED (rejected), DEP_CREDITED (credited, withdrawal not unlocked yet). DONE and DEP_CREDITED
# have put the funds in the account; INVALID and BLOCKED never will; the rest are on their way.
DEPOSIT_DONE = frozenset({"DONE", "DEP_CREDITED"})
DEPOSIT_NEVER = frozenset({"INVALID", "BLOCKED"})
# WithdrawalRecord.status: DONE, CANCEL, REQUEST, MANUAL, BCODE, EXTPEND, FAIL ("failure on the chain awaiting
# confirmation"), INVALID, VERIFY, PROCES, PEND, DMOVE. Only DONE has left; CANCEL and INVALID never will.
WITHDRAWAL_DONE = frozenset({"DONE"})
WITHDRAWAL_NEVER = frozenset({"CANCEL", "INVALID"})

FLASH_SWAP_SUCCESS = 1  # FlashSwapOrder.status: 1 success, 2 failure
# Account book types (SpotAccountBook.type) of a move between the spot account and another of the user's own Gate
# accounts, as ccxt's parse_ledger_entry_type names them ("transfer"); the row's `change` says which way it went.
OWN_ACCOUNT_MOVES = frozenset(
    f"{account}_{way}"
    for account in ("margin", "margin_funding", "cross_margin", "copy_trading", "quant", "futures", "delivery")
    for way in ("in", "out")
)
# A move between this main account and one of its sub-accounts: money that enters or leaves this account.
SUB_ACCOUNT_MOVE = "sub_account_transfer"
INTEREST_PAID = 1  # UniInterestRecord.status: 0 fail, 1 success
POINTS = "POINT"  # the currency a fill's `point_fee` is stored in

Parsed = tuple[NormalizedRecord | None, int | None]  # (record if final, its time if pending)


def seconds_ms(value: Any) -> int:
    """Gate's times are Unix seconds as strings ("1602120000")."""
    return int(Decimal(str(value))) * 1000


def trade_ms(row: Mapping[str, Any]) -> int:
    """`create_time_ms` ("Trading time, with millisecond precision", e.g. "1710000000123.456"), else the second."""
    precise = row.get("create_time_ms")
    if precise not in (None, ""):
        return int(Decimal(str(precise)))
    return seconds_ms(row["create_time"])


class RowReader:
    """Turns Gate's raw rows into records, with the client's market symbols and currency codes."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def code(self, currency: str) -> str:
        return str(self.client.safe_currency_code(currency))

    def fill(self, row: Mapping[str, Any]) -> list[NormalizedRecord]:
        """A fill as records: the trade, and a record for each fee it paid beyond the one the trade holds."""
        trade = self.trade(row)
        paid = self.fees(row)
        return [trade] + [self.further_fee(row, trade, amount, asset) for amount, asset in paid[1:]]

    def fees(self, row: Mapping[str, Any]) -> list[tuple[Decimal, str]]:
        """Every non-zero fee of a fill, (amount, currency): `fee` in `fee_currency`, then `gt_fee` ("GT used to
        deduct fee") in GT and `point_fee` ("Points used to deduct fee") in POINT (Trade.md; the currencies as ccxt's
        parse_trade names them). A fill that paid its fee with GT or points lists `fee` "0"."""
        # GT and POINT are the names themselves, not Gate currency ids to translate: ccxt's table maps a listed
        # coin "POINT" to GATEPOINT, which these fee points are not.
        listed = [
            (row.get("fee"), self.code(str(row.get("fee_currency")))),
            (row.get("gt_fee"), "GT"),
            (row.get("point_fee"), POINTS),
        ]
        return [(exact(amount), currency) for amount, currency in listed if _charged(amount)]

    def trade(self, row: Mapping[str, Any]) -> NormalizedRecord:
        """One fill of `currency_pair`: `amount` of the base at `price`; its first non-zero fee (`fees`). Gate gives
        no quote amount, so it is amount × price, exactly."""
        pair, trade_id = str(row["currency_pair"]), str(row["id"])
        market = self.client.safe_market(pair, None, "_", "spot")
        amount, price = exact(row["amount"]), exact(row["price"])
        paid = self.fees(row)
        return NormalizedRecord(
            kind=RecordKind.TRADE,
            occurred_at=ms_to_utc(trade_ms(row)),
            natural_key=natural_key(RecordKind.TRADE, f"{pair}:{trade_id}"),
            asset=str(market["base"]),
            amount=amount,
            exchange_tx_id=trade_id,
            market=str(market["symbol"]),
            side=Side.BUY if row["side"] == Side.BUY else Side.SELL,
            quote_asset=str(market["quote"]),
            quote_amount=amount * price,
            price=price,
            fee_asset=paid[0][1] if paid else None,
            fee_amount=paid[0][0] if paid else None,
            raw=dict(row),
        )

    @staticmethod
    def further_fee(row: Mapping[str, Any], trade: NormalizedRecord, amount: Decimal, asset: str) -> NormalizedRecord:
        """A further fee of one fill, which the trade record (one fee) cannot hold, keyed to the fill and the
        currency: a FEE taking `amount` of `asset` (GT beside a fee in `fee_currency`), which the balance check counts.
        Points are no spot currency (the point card is no wallet the balance read sees, docs/exchange-apis/gate.md):
        a points fee stays a ledger line, which exports read as a trading fee and the balance check leaves out, so
        it shows no difference the exchange's balances could never explain."""
        kind = RecordKind.LEDGER if asset == POINTS else RecordKind.FEE
        ident = ":".join((str(row["currency_pair"]), str(row["id"]), asset))
        return NormalizedRecord(
            kind=kind,
            occurred_at=trade.occurred_at,
            natural_key=natural_key(kind, ":".join(("fee", ident)) if kind is RecordKind.LEDGER else ident),
            asset=asset,
            amount=-amount,
            exchange_tx_id=trade.exchange_tx_id,
            market=trade.market,
            side=Flow.OUT if kind is RecordKind.LEDGER else None,
            raw={"type": "trade_fee", "trade": dict(row)},
        )

    def convert(self, row: Mapping[str, Any]) -> Parsed:
        """A flash swap (FlashSwapOrder): `buy_amount` of `buy_currency` bought with `sell_amount` of
        `sell_currency` at `create_time` (ms); status 1 succeeded, 2 failed (nothing moved)."""
        if int(row.get("status") or 0) != FLASH_SWAP_SUCCESS:
            return None, None
        ident = str(row["id"])
        record = NormalizedRecord(
            kind=RecordKind.CONVERT,
            occurred_at=ms_to_utc(int(row["create_time"])),
            natural_key=natural_key(RecordKind.CONVERT, ident),
            asset=self.code(str(row["buy_currency"])),
            amount=exact(row["buy_amount"]),
            exchange_tx_id=ident,
            side=Side.BUY,
            quote_asset=self.code(str(row["sell_currency"])),
            quote_amount=exact(row["sell_amount"]),
            raw=dict(row),
        )
        return record, None

    def interest(self, row: Mapping[str, Any]) -> Parsed:
        """A Simple Earn dividend (UniInterestRecord): `interest` of `currency` at `create_time` (ms). The row has no
        id, so its key is what identifies it (currency, time, amount)."""
        if int(row.get("status") or 0) != INTEREST_PAID:
            return None, None
        currency, when = str(row["currency"]), int(row["create_time"])
        record = NormalizedRecord(
            kind=RecordKind.REWARD,
            occurred_at=ms_to_utc(when),
            natural_key=natural_key(RecordKind.REWARD, None, currency, when, row["interest"]),
            asset=self.code(currency),
            amount=exact(row["interest"]),
            raw=dict(row),
        )
        return record, None

    def book_move(self, row: Mapping[str, Any]) -> Parsed:
        """A spot account book row (SpotAccountBook) read as a transfer, when it is one: between spot and another
        of the user's Gate accounts a TRANSFER (side "in" when `change` is positive), between this main account and
        a sub-account a deposit or a withdrawal of this account. Every other row (fills, fees, deposits,
        withdrawals, flash swaps, dividends) is what the other lists already hold: None."""
        kind = str(row.get("type") or "")
        if kind not in OWN_ACCOUNT_MOVES and kind != SUB_ACCOUNT_MOVE:
            return None, None
        change, ident = exact(row["change"]), str(row["id"])
        if kind == SUB_ACCOUNT_MOVE:
            record_kind = RecordKind.DEPOSIT if change > 0 else RecordKind.WITHDRAWAL
            key = natural_key(record_kind, ":".join(("book", ident)))  # the book's ids are not the wallet lists''
        else:
            record_kind, key = RecordKind.TRANSFER, natural_key(RecordKind.TRANSFER, ident)
        record = NormalizedRecord(
            kind=record_kind,
            occurred_at=ms_to_utc(int(row["time"])),
            natural_key=key,
            asset=self.code(str(row["currency"])),
            amount=abs(change),
            exchange_tx_id=ident,
            side=(Flow.IN if change > 0 else Flow.OUT) if record_kind is RecordKind.TRANSFER else None,
            raw=dict(row),
        )
        return record, None

    def deposit(self, row: Mapping[str, Any]) -> Parsed:
        when, status = seconds_ms(row["timestamp"]), str(row.get("status") or "")
        if status in DEPOSIT_NEVER:
            return None, None
        if status not in DEPOSIT_DONE:
            return None, when  # the walk holds the cursor here, or notes it let go (windows.WindowWalk)
        currency, ident = str(row["currency"]), str(row["id"])
        record = NormalizedRecord(
            kind=RecordKind.DEPOSIT,
            occurred_at=ms_to_utc(when),
            natural_key=natural_key(RecordKind.DEPOSIT, ident),
            asset=self.code(currency),
            amount=exact(row["amount"]),
            exchange_tx_id=row.get("txid") or ident,
            raw=dict(row),
        )
        return record, None

    def withdrawal(self, row: Mapping[str, Any]) -> Parsed:
        when, status = seconds_ms(row["timestamp"]), str(row.get("status") or "")
        if status in WITHDRAWAL_NEVER:
            return None, None
        if status not in WITHDRAWAL_DONE:
            return None, when  # the walk holds the cursor here, or notes it let go (windows.WindowWalk)
        currency, ident = str(row["currency"]), str(row["id"])
        fee = row.get("fee")
        charged = _charged(fee)
        record = NormalizedRecord(
            kind=RecordKind.WITHDRAWAL,
            occurred_at=ms_to_utc(when),
            natural_key=natural_key(RecordKind.WITHDRAWAL, ident),
            asset=self.code(currency),
            amount=exact(row["amount"]),  # sent; the fee is taken on top (unsourced: docs/exchange-apis/gate.md)
            exchange_tx_id=ident,
            fee_asset=self.code(currency) if charged else None,
            fee_amount=exact(fee) if charged else None,
            raw=dict(row),
        )
        return record, None


def _charged(amount: Any) -> bool:
    return amount not in (None, "") and exact(amount) != 0
