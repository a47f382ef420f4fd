"""Coinbase's transaction history report uploaded after a sync through the real Coinbase fetcher against the
emulator: each row meets the record the sync stored from the same v2 transaction (by content: the report's ID is
not documented to be the API's), nothing is stored twice, and the Advanced Trade rows are left to the fills; the
fills report then meets each fill the sync read from the Advanced Trade API."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from bot.imports import ImportService
from connectors.clients import ClientPool
from connectors.fetchers.base import FetchReport
from connectors.fetchers.coinbase import CoinbaseFetcher
from connectors.profiles import Endpoint, get_profile
from connectors.records import NormalizedRecord
from db.engine import Database
from db.repositories import IntegrationRepository, TransactionRepository, UserRepository
from sandbox.exchanges import AccountProfile, CoinbaseEmulator, CoinbaseLimits
from sandbox.exchanges.coinbase import V2, V3_PRIVATE, V3_PUBLIC
from sandbox.exchanges.coinbase_book import CoinbaseBook
from sandbox.exchanges.coinbase_money import commission
from tests.files.samples import csv_bytes

PROFILE = AccountProfile(
    years=1.0, traded_markets=3, trades=12, deposits=6, withdrawals=4, converts=3, transfers=0, rewards=5
)
FAST = CoinbaseLimits(rules={V3_PRIVATE: (10_000, 1000), V3_PUBLIC: (10_000, 1000), V2: (10_000, 1000)})
HEADER = [
    "ID",
    "Timestamp",
    "Transaction Type",
    "Asset",
    "Quantity Transacted",
    "Price Currency",
    "Price at Transaction",
    "Subtotal",
    "Total (inclusive of fees and/or spread)",
    "Fees and/or Spread",
    "Notes",
]


def when(ms: int) -> str:
    return datetime.fromtimestamp(ms // 1000, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def plain(value: Decimal) -> str:
    return format(value, "f")


def report(book: CoinbaseBook) -> bytes:
    """The report as Coinbase writes one row per App transaction (the lines above the header included)."""
    a = book.account
    rows = [["Transactions"], ["User", "Ada", book.user_id], HEADER]

    def row(ms: int, kind: str, asset: str, quantity: Decimal, total: str = "$0.00", notes: str = "") -> None:
        rows.append(
            [f"r{len(rows)}", when(ms), kind, asset, plain(quantity), "USD", "$1.00", total, total, "$0.00", notes]
        )

    for d in a.deposits:
        row(d.timestamp, "Receive", d.asset, d.amount)
    for w in a.withdrawals:
        row(w.timestamp, "Send", w.asset, -(w.amount + w.fee), notes=f"Sent {w.amount} {w.asset}")
    for c in a.converts:
        row(
            c.timestamp,
            "Convert",
            c.from_asset,
            -c.from_amount,
            notes=f"Converted {plain(c.from_amount)} {c.from_asset} to {plain(c.to_amount)} {c.to_asset}",
        )
    for r in a.rewards:
        row(r.timestamp, "Staking Income", r.asset, r.amount)
    for t in book.app_trades:
        kind, sign = ("Buy", 1) if t.side == "buy" else ("Sell", -1)
        row(t.ms, kind, t.asset, sign * t.amount, total=f"${plain(t.usd)}")
    for amount, ms in book.fiat_deposits:
        row(ms, "Deposit", "USD", amount, total=f"${plain(amount)}")
    for f in a.trades:
        kind = "Advanced Trade Buy" if f.side == "buy" else "Advanced Trade Sell"
        row(f.timestamp, kind, f.base, f.amount, notes=f"Bought {f.amount} {f.base} on {f.symbol}")
    return csv_bytes(rows)


def fills_report(book: CoinbaseBook) -> bytes:
    """Coinbase Exchange's fills report of the account's fills: `total` is the quote moved with the fee in it."""
    rows = [
        [
            "portfolio",
            "trade id",
            "product",
            "side",
            "created at",
            "size",
            "size unit",
            "price",
            "fee",
            "total",
            "price/fee/total unit",
        ]
    ]
    for n, t in enumerate(book.account.trades):
        fee = commission(t)
        total = -(t.cost + fee) if t.side == "buy" else t.cost - fee
        moment = datetime.fromtimestamp(t.timestamp / 1000, UTC).isoformat(timespec="milliseconds")
        rows.append(
            [
                "default",
                str(1000 + n),
                t.symbol,
                t.side.upper(),
                moment.replace("+00:00", "Z"),
                plain(t.amount),
                t.base,
                plain(t.price),
                plain(fee),
                plain(total),
                t.quote,
            ]
        )
    return csv_bytes(rows)


async def synced(emulator: CoinbaseEmulator) -> list[NormalizedRecord]:
    key = emulator.create_demo_keys().read_only
    pool = ClientPool({"coinbase": emulator.base_url})
    records: list[NormalizedRecord] = []
    try:
        async with pool.client("coinbase", "fetch", {"apiKey": key.api_key, "secret": key.secret}) as client:
            client.throttler.config["refillRate"] = 1e6
            fetcher = CoinbaseFetcher(get_profile("coinbase"), client)
            for endpoint in (Endpoint.SPOT_TRADES, Endpoint.LEDGER):
                pages = fetcher.fetch(endpoint, since=None, until=datetime.now(UTC), cursors={}, report=FetchReport())
                async for page in pages:
                    records.extend(page.records)
    finally:
        await pool.close()
    return records


async def test_the_report_after_a_sync_meets_every_app_transaction_and_adds_nothing(database: Database) -> None:
    async with CoinbaseEmulator(seed=1715, profile=PROFILE, listed_symbols=20, limits=FAST) as emulator:
        records = await synced(emulator)
        data = report(emulator.book)
        fills = fills_report(emulator.book)
        a, book = emulator.account, emulator.book
    async with database.writer() as session:
        owner = await UserRepository(session).ensure(1715)
        integration = await IntegrationRepository(session).add(
            user_id=owner.id, exchange_id="coinbase", account_name="C"
        )
        integration_id = integration.id
        api_count = await TransactionRepository(session).insert_missing(
            [r.to_row(integration_id, "api") for r in records]
        )

    result = await ImportService(database).import_file(1715, integration_id, "Coinbase-report.csv", data)

    in_report = len(a.deposits) + len(a.withdrawals) + 2 * len(a.converts) + len(a.rewards)
    in_report += len(book.app_trades) + len(book.fiat_deposits)
    assert (result.format_name, result.rejected_total) == ("coinbase-transactions", 0)
    assert (result.new, result.already_known, result.skipped) == (0, in_report, len(a.trades))
    # A Send's quantity is the amount debited: it meets the withdrawal the sync stored as amount sent plus fee.
    assert result.matched.get("fee-included") == len(a.withdrawals), result.matched
    assert len(a.withdrawals) and len(a.converts) and len(book.app_trades) and len(a.rewards)
    # The fills report: each row is a fill the sync read from the Advanced Trade API, met by content.
    from_fills = await ImportService(database).import_file(1715, integration_id, "fills.csv", fills)
    assert (from_fills.format_name, from_fills.rejected_total) == ("coinbase-fills", 0)
    assert (from_fills.new, from_fills.already_known) == (0, len(a.trades))
    async with database.reader() as session:
        rows = list(await TransactionRepository(session).for_integration(integration_id))
    assert len(rows) == api_count
