"""Bybit exports: spot trade history (unified trading account and pre-UTA layouts) and the asset-change history
with deposits and withdrawals.

The trade export's "Transaction ID" is taken as Bybit's execution id (`execId`), so a row gets the key the API
sync gives the same execution (`trade:{execId}`). Its time column says "(UTC)"/"(UTC+0)"; one layout writes
minutes only ("14:35 2024-11-16"), which the importer knows. The fee column has no currency in the UTA layout:
Bybit charges spot fees in the coin received (base on a buy, quote on a sell), which is what is stored.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from decimal import Decimal

from connectors.files.bybit_account import ACCOUNT_FORMATS, REWARD_WORDS
from connectors.files.errors import RowError
from connectors.files.formats import Context, FileFormat, Outcome, ParsedRecord, Table, raw_row, rows_of
from connectors.files.matching import CARD_PURCHASE_WORDS
from connectors.files.values import parse_time, side_value, split_pair, with_unit
from connectors.files.wallet import Kind, WalletLayout, direction
from connectors.profiles.catalog.bybit import PROFILE as BYBIT
from connectors.records import NormalizedRecord, RecordKind, natural_key
from i18n import Text, msgid

# Where the layouts come from (docs/FILE-FORMATS.md): the trade files as open-source importers show them (fifo-calc's
# Bybit notes for the UTA and pre-UTA order-history exports; a Bybit 'Trade History Statement Spot' test fixture), not
# checked against a fresh export; the deposit/withdrawal files as BittyTax imports them.
SOURCE_TRADES = "docs/FILE-FORMATS.md#bybit-trades"
SOURCE_WALLET = "BittyTax:src/bittytax/conv/parsers/bybit.py"
TRADE_COLUMNS = (
    "spot pairs",
    "direction",
    "filled value",
    "filled price",
    "filled quantity",
    "fees",
    "transaction id",
    "timestamp (utc*",
)
SPOT_PAIRS, DIRECTION, FILLED_VALUE, FILLED_PRICE, FILLED_QUANTITY, FEES, TRANSACTION_ID, TIMESTAMP = TRADE_COLUMNS
# The asset-change files: the funding account's, and the older layout.
FUND_COLUMNS = ("date & time(utc*", "coin", "qty", "type", "description")
FUND_TIME, COIN, QTY, _, _ = FUND_COLUMNS
V1_COLUMNS = ("type", "coin", "amount", "wallet balance", "time(utc*")
_, _, AMOUNT, _, V1_TIME = V1_COLUMNS


def _read_trades(table: Table, context: Context) -> Iterator[Outcome]:
    def read(line: int, row: Sequence[str]) -> Outcome | None:
        when, precision = parse_time(table.cell(row, TIMESTAMP), TIMESTAMP, context.zone)
        side = side_value(table.cell(row, "direction"), "direction")
        quantity, base_unit = with_unit(table.cell(row, FILLED_QUANTITY), FILLED_QUANTITY)
        value, quote_unit = with_unit(table.cell(row, FILLED_VALUE), FILLED_VALUE)
        base, quote = split_pair(table.cell(row, SPOT_PAIRS), SPOT_PAIRS, base_hint=base_unit, quote_hint=quote_unit)
        price, _ = with_unit(table.cell(row, FILLED_PRICE), FILLED_PRICE, [quote])
        fee, fee_unit = with_unit(table.cell(row, "fees"), "fees", [base, quote])
        # No unit in the UTA layout: Bybit takes the fee from the coin received.
        fee_asset = fee_unit or (base if side == "buy" else quote)
        exec_id = table.cell(row, TRANSACTION_ID)
        if not exec_id:
            raise RowError(TRANSACTION_ID, Text.of("file.row.bybit_no_fill_id"))
        base_code, quote_code = context.code(base), context.code(quote)
        record = NormalizedRecord(
            kind=RecordKind.TRADE,
            occurred_at=when,
            natural_key=natural_key(RecordKind.TRADE, exec_id),
            asset=base_code,
            amount=quantity,
            exchange_tx_id=exec_id,
            market=f"{base_code}/{quote_code}",
            side=side,
            quote_asset=quote_code,
            quote_amount=value,
            price=price,
            fee_asset=context.code(fee_asset),
            fee_amount=abs(fee),
            raw=raw_row(table, row, "bybit-trades"),
        )
        return ParsedRecord(record, line, keyed=True, precision=precision)

    return rows_of(table, read)


def _asset_change_kind(table: Table, row: Sequence[str], signed: Decimal) -> Kind:
    """Funding account "Asset Change Details": "Date & Time(UTC), Coin, QTY, Type, Account Balance, Description".

    Every row is kept: deposits and withdrawals, coins bought with a card (a deposit: the card payment is not in the
    file), airdrops and Earn interest as rewards, moves between own accounts as transfers, anything else as a
    ledger entry with Bybit's description.
    """
    return _fund_kind(table.cell(row, "type").lower(), table.cell(row, "description").lower(), signed)


def _fund_kind(type_text: str, description: str, signed: Decimal) -> tuple[RecordKind, str | None]:
    # The description names the operation; the type may be a direction only (BittyTax's sample writes
    # TRANSFER_IN for a deposit).
    if "deposit" in description and signed > 0:
        return RecordKind.DEPOSIT, None
    if "withdraw" in description and signed < 0:
        return RecordKind.WITHDRAWAL, None
    if "card" in description and signed > 0:
        return RecordKind.DEPOSIT, CARD_PURCHASE_WORDS
    words = f"{type_text} {description}"
    if "transfer" in words or "subscription" in words or "redemption" in words:
        return RecordKind.TRANSFER, direction(signed)
    if "deposit" in type_text and signed > 0:
        return RecordKind.DEPOSIT, None
    if "withdraw" in type_text and signed < 0:
        return RecordKind.WITHDRAWAL, None
    if signed > 0 and any(word in words for word in REWARD_WORDS):
        return RecordKind.REWARD, None
    return RecordKind.LEDGER, description or type_text


def _v1_not_kept(table: Table, row: Sequence[str]) -> Text | None:
    """Older layout: "Type, Coin, Amount, Wallet Balance, Time(UTC)" with types such as userDeposit."""
    kind_text = table.cell(row, "type")
    lowered = kind_text.lower()
    if "internal" in lowered or "transfer" in lowered:
        return Text.of("file.skip.bybit_own_move", type=kind_text)
    if "deposit" not in lowered and "withdraw" not in lowered:
        return Text.of("file.skip.not_deposit_or_withdrawal", type=kind_text)
    return None


def _v1_kind(table: Table, row: Sequence[str], _signed: Decimal) -> Kind:
    deposit = "deposit" in table.cell(row, "type").lower()
    return (RecordKind.DEPOSIT if deposit else RecordKind.WITHDRAWAL), None


ASSET_CHANGES = WalletLayout(
    format_name="bybit-wallet", time=(FUND_TIME,), coin=COIN, amount=QTY, classify=_asset_change_kind
)
ASSET_CHANGES_V1 = WalletLayout(
    format_name="bybit-wallet",
    time=(V1_TIME,),
    coin=COIN,
    amount=AMOUNT,
    classify=_v1_kind,
    precheck=_v1_not_kept,
)


FORMATS: tuple[FileFormat, ...] = (
    *ACCOUNT_FORMATS,
    FileFormat(
        name="bybit-trades",
        title=msgid("file.format.bybit_trades"),
        exchange=BYBIT.id,
        columns=TRADE_COLUMNS,
        reader=_read_trades,
        time_column=TIMESTAMP,
        source=SOURCE_TRADES,
    ),
    FileFormat(
        name="bybit-deposits-withdrawals",
        title=msgid("file.format.bybit_deposits_withdrawals"),
        exchange=BYBIT.id,
        columns=FUND_COLUMNS,
        reader=ASSET_CHANGES.read,
        time_column=FUND_TIME,
        source=SOURCE_WALLET,
    ),
    FileFormat(
        name="bybit-deposits-withdrawals-v1",
        title=msgid("file.format.bybit_deposits_withdrawals_v1"),
        exchange=BYBIT.id,
        columns=V1_COLUMNS,
        reader=ASSET_CHANGES_V1.read,
        time_column=V1_TIME,
        source=SOURCE_WALLET,
    ),
)
