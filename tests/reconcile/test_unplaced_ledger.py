"""Bitget's unified financial records name "Liquidation transfer in/out" (LIQ_TRANSFER_IN/_OUT) and "Reserve transfer
in/out" (RESERVE_TRANSFER_IN/_OUT) without saying whose wallet the other side is (docs/exchange-apis/bitget.md, "type
(financial records)"), so the fetcher stores them as ledger lines, not counted. When an asset with such a line does
not reconcile, the reconciliation names the line ("a ledger line Tallybot cannot place: <type>"), not "unknown".

The records below are stored as connectors/fetchers/bitget/unified_derivatives.py stores them (kind ledger, key
ledger:uta:<id>, amount as Bitget signs it, the row in raw); expected causes and texts are written by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from bot.integrations import IntegrationService, IntegrationSummary
from bot.reconcile import ReconcileReader
from bot.reconcile.causes import Cause, Coverage, likely_cause
from bot.reconcile.ledger import Unplaced, unplaced_lines
from bot.reconcile.results import AssetBalance
from bot.reconcile.views import unplaced_line
from bot.vault import KeyRing, Vault, generate_key
from connectors.records import RecordKind
from db.engine import Database
from db.models import Integration, IntegrationStatus, Transaction, TransactionSource, User
from db.repositories.reconcile import Movement, ReconcileRepository, StoredBalance

WHEN = datetime(2026, 11, 20, 8, 30, tzinfo=UTC)


def financial_record(ident: str, kind: str, coin: str, amount: str) -> Transaction:
    """A unified financial record Tallybot cannot place, as the fetcher stores it."""
    row = {"category": "USDT-FUTURES", "id": ident, "symbol": "", "coin": coin, "type": kind, "amount": amount}
    row |= {"fee": "0", "balance": "0", "ts": str(int(WHEN.timestamp() * 1000))}
    return Transaction(
        natural_key=f"ledger:uta:{ident}",
        kind=str(RecordKind.LEDGER),
        occurred_at=WHEN,
        exchange_tx_id=ident,
        asset=coin,
        amount=Decimal(amount),
        source=TransactionSource.API,
        raw=row,
    )


def deposit(ident: str, coin: str, amount: str) -> Transaction:
    return Transaction(
        natural_key=f"deposit:{ident}",
        kind=str(RecordKind.DEPOSIT),
        occurred_at=WHEN - timedelta(days=3),
        exchange_tx_id=ident,
        asset=coin,
        amount=Decimal(amount),
        source=TransactionSource.API,
        raw={"orderId": ident},
    )


async def bitget_account(database: Database, exchange_id: str, reported: dict[str, str]) -> IntegrationSummary:
    """An account holding 100 USDT and 2 ETH deposited, and Bitget's records that moved 3 USDT out and 0.5 ETH in
    its way; the exchange's balances as `reported`, read after every record was stored."""
    async with database.writer() as session:
        user = User(telegram_user_id=1001, timezone="UTC")
        session.add(user)
        await session.flush()
        account = Integration(
            user_id=user.id,
            exchange_id=exchange_id,
            account_name="Bitget-1",
            key_type="normal",
            options={},
            status=IntegrationStatus.PARTIAL,
            last_synced_at=WHEN,
        )
        session.add(account)
        await session.flush()
        records = [
            deposit("d1", "USDT", "100"),
            deposit("d2", "ETH", "2"),
            financial_record("1190000001", "LIQ_TRANSFER_OUT", "USDT", "-3"),
            financial_record("1190000002", "RESERVE_TRANSFER_IN", "ETH", "0.2"),
            financial_record("1190000003", "LIQ_TRANSFER_IN", "ETH", "0.3"),
        ]
        for record in records:
            record.integration_id = account.id
        session.add_all(records)
    async with database.writer() as session:
        # Stored as read, not compared yet: the reader compares it with the history stored now.
        await ReconcileRepository(session).save(
            account.id,
            checked_at=WHEN + timedelta(hours=1),
            outcome="unread",
            error_code=None,
            wallets={"read": ["unified"], "failed": {}, "quotes": ["USDT"]},
            balances=[StoredBalance(a, Decimal(v), Decimal(0), None, None) for a, v in reported.items()],
        )
    (summary,) = await IntegrationService(database, Vault(KeyRing([generate_key()]))).list(1001)
    return summary


async def causes(database: Database, summary: IntegrationSummary) -> dict[str, tuple[str | None, Any]]:
    (result,) = (await ReconcileReader(database).current([summary])).values()
    return {b.asset: (b.cause, b.cause_args) for b in result.balances}


async def test_lines_that_sum_to_the_difference_are_named_as_its_cause(database: Database) -> None:
    # Bitget took 3 USDT (its side of the liquidation transfer) and the 0.5 ETH came from outside the account.
    summary = await bitget_account(database, "bitget", {"USDT": "97", "ETH": "2.5"})
    found = await causes(database, summary)
    assert found["USDT"] == ("unplaced_ledger", {"types": ["LIQ_TRANSFER_OUT"], "amount": "-3"})
    assert found["ETH"] == ("unplaced_ledger", {"types": ["RESERVE_TRANSFER_IN", "LIQ_TRANSFER_IN"], "amount": "0.5"})


async def test_lines_whose_other_side_was_the_account_s_own_wallet_leave_no_difference(database: Database) -> None:
    # The other side was the funding wallet, which the balance check reads too: the totals match the history.
    summary = await bitget_account(database, "bitget", {"USDT": "100", "ETH": "2"})
    assert await causes(database, summary) == {"ETH": (None, None), "USDT": (None, None)}


def test_only_the_four_types_on_bitget_are_lines_tallybot_cannot_place() -> None:
    def line(kind: str, exchange_type: str | None, asset: str = "USDT", amount: str = "-3") -> Movement:
        return Movement(kind, None, asset, Decimal(amount), None, None, None, None, exchange_type)

    moves = [
        line("ledger", "LIQ_TRANSFER_OUT"),
        line("ledger", "RESERVE_TRANSFER_OUT", amount="-1.5"),
        line("ledger", "ORDER_DEALT_IN", amount="40"),  # a fill's leg, the fill's to count
        line("ledger", None, amount="7"),  # another exchange's ledger line, no type read
        line("deposit", None, amount="100"),
    ]
    assert unplaced_lines("bitget", moves) == {
        "USDT": Unplaced(("LIQ_TRANSFER_OUT", "RESERVE_TRANSFER_OUT"), Decimal("-4.5"))
    }
    assert unplaced_lines("okx", moves) == {}


def test_lines_that_do_not_sum_to_the_difference_come_after_every_other_cause_but_before_unknown() -> None:
    lines = Unplaced(("LIQ_TRANSFER_OUT",), Decimal(-3))
    # 5 USDT missing, 3 of them the line's: a sync-from date may explain the rest, and comes first.
    dated = Coverage(sync_from=datetime(2026, 9, 1, tzinfo=UTC).date())
    assert likely_cause("XRP", Decimal(-5), dated, frozenset(), unplaced=lines) == (
        Cause.BEFORE_SYNC_FROM,
        {"date": "2026-09-01"},
    )
    # With nothing else known, the line is named rather than no cause.
    assert likely_cause("XRP", Decimal(-5), Coverage(), frozenset(), unplaced=lines) == (
        Cause.UNPLACED_LEDGER,
        {"types": ["LIQ_TRANSFER_OUT"], "amount": "-3"},
    )
    assert likely_cause("XRP", Decimal(-5), Coverage(), frozenset()) == (Cause.UNKNOWN, {})
    # Summing to exactly the difference, it comes before the sync-from date.
    assert likely_cause("XRP", Decimal(-3), dated, frozenset(), unplaced=lines) == (
        Cause.UNPLACED_LEDGER,
        {"types": ["LIQ_TRANSFER_OUT"], "amount": "-3"},
    )


def test_the_cause_reads_in_english_and_japanese() -> None:
    args = {"types": ["RESERVE_TRANSFER_IN", "LIQ_TRANSFER_IN"], "amount": "0.50"}
    eth = AssetBalance("ETH", Decimal("2.5"), Decimal(2), str(Cause.UNPLACED_LEDGER), args)
    assert unplaced_line(eth, "Bitget", "en") == (
        "A ledger line Tallybot cannot place: RESERVE_TRANSFER_IN, LIQ_TRANSFER_IN (+0.5 ETH in all). Bitget does "
        "not say whose wallet the other side of such a line is, so Tallybot does not count it: if it moved ETH into "
        "or out of your account, it explains the difference."
    )
    out = {"types": ["LIQ_TRANSFER_OUT"], "amount": "-3"}
    usdt = AssetBalance("USDT", Decimal(97), Decimal(100), str(Cause.UNPLACED_LEDGER), out)
    assert unplaced_line(usdt, "Bitget", "ja") == (
        "Tallybot が振り分けられない台帳の記録があります: LIQ_TRANSFER_OUT（合計 −3 USDT）。Bitget はこの種の記録の"
        "相手側がどのウォレットかを示さないため、Tallybot は計上していません。この記録で USDT がアカウントに"
        "出入りしたのであれば、これが差額の原因です。"
    )
