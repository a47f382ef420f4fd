"""A user backfills an account from files: overlaps with the API sync add only what is missing, the same file twice
adds nothing, and a bad file changes nothing — on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.imports import (
    BrokenEncoding,
    EmptyFile,
    FileProblem,
    FileTooLarge,
    ImportService,
    UnknownFormat,
    WrongExchange,
    WrongFileType,
    template_csv,
)
from bot.integrations import IntegrationNotFound, IntegrationService
from bot.sync.commit import known_from_files
from bot.vault import KeyRing, Vault, generate_key
from connectors.clients import ClientPool
from connectors.fetchers.base import FetchReport
from connectors.fetchers.registry import fetcher_for, sync_order
from connectors.profiles import Endpoint, get_profile
from connectors.records import NormalizedRecord, RecordKind
from db.engine import Database
from db.models import Integration, Transaction, User
from db.repositories import IntegrationRepository, TransactionRepository, UserRepository
from handlers.files import render_report
from i18n import Text, tn
from sandbox.exchanges import AccountProfile, BinanceEmulator, BinanceLimits
from tests.files import samples
from tests.files.samples import csv_bytes

USER = 7001
TRADES = csv_bytes(
    [
        samples.BINANCE_TRADE_HEADER,
        ["2024-03-02 10:00:00", "BTCUSDT", "SELL", "70000", "0.00050000BTC", "35USDT", "0.035USDT"],
        ["2024-03-01 12:30:00", "BTCUSDT", "BUY", "62000.5", "0.00100000BTC", "62.0005USDT", "0.0000015BNB"],
        ["2024-03-01 12:30:00", "BTCUSDT", "BUY", "62000.5", "0.00100000BTC", "62.0005USDT", "0.0000015BNB"],
    ],
    quote_all=True,
)


async def account(database: Database, *, user: int = USER, exchange: str = "binance", name: str = "Main") -> int:
    async with database.writer() as session:
        owner = await UserRepository(session).ensure(user)
        integration = await IntegrationRepository(session).add(
            user_id=owner.id, exchange_id=exchange, account_name=name
        )
        return integration.id


async def store_api(database: Database, integration_id: int, records: Iterable[NormalizedRecord]) -> int:
    """Records stored the way the sync engine stores a fetcher's pages."""
    async with database.writer() as session:
        return await TransactionRepository(session).insert_missing([r.to_row(integration_id, "api") for r in records])


async def stored(database: Database, integration_id: int) -> list[Transaction]:
    async with database.reader() as session:
        return list(await TransactionRepository(session).for_integration(integration_id))


async def total_rows(database: Database) -> int:
    async with database.reader() as session:
        return int(await session.scalar(select(func.count()).select_from(Transaction)) or 0)


async def test_importing_the_same_file_twice_adds_nothing_the_second_time(database: Database) -> None:
    integration_id = await account(database)
    service = ImportService(database)

    first = await service.import_file(USER, integration_id, "Binance-Trade-History.csv", TRADES)
    second = await service.import_file(USER, integration_id, "Binance-Trade-History.csv", TRADES)

    assert (first.format_name, first.rows_read, first.new, first.already_known) == ("binance-trades", 3, 3, 0)
    assert (second.new, second.already_known, second.rejected) == (0, 3, [])
    rows = await stored(database, integration_id)
    assert len(rows) == 3, "two identical trades in one second stay two trades"
    assert len({r.natural_key for r in rows}) == 3 and all(r.natural_key.startswith("trade:h:") for r in rows)
    assert {r.source for r in rows} == {"file"}
    assert (first.first_at, first.last_at) == (
        datetime(2024, 3, 1, 12, 30, tzinfo=UTC),
        datetime(2024, 3, 2, 10, tzinfo=UTC),
    )


@asynccontextmanager
async def binance_client(emulator: BinanceEmulator) -> AsyncIterator[Any]:
    keys = emulator.create_demo_keys()
    pool = ClientPool({"binance": emulator.base_url})
    credentials = {"apiKey": keys.read_only.api_key, "secret": keys.read_only.secret}
    try:
        async with pool.client("binance", "credential-1", credentials) as client:
            client.throttler.config["refillRate"] = 1e6
            yield client
    finally:
        await pool.close()


UNLIMITED = BinanceLimits(
    request_weight_per_minute=10**9, sapi_ip_weight_per_minute=10**9, sapi_uid_weight_per_minute=10**9
)
SMALL = AccountProfile(years=1.0, traded_markets=4, trades=80, deposits=10, withdrawals=8, converts=2, rewards=2)
WALLET_AND_TRADES = (Endpoint.DEPOSITS, Endpoint.WITHDRAWALS, Endpoint.SPOT_TRADES)


async def test_a_file_overlapping_a_completed_api_sync_adds_only_the_missing_history(database: Database) -> None:
    """The real Binance fetcher syncs the emulator from a date on; Binance's own exports of the whole history are
    then uploaded. Only what the sync did not reach is added, and every record is stored exactly once."""
    async with BinanceEmulator(seed=20240611, profile=SMALL, listed_symbols=40, limits=UNLIMITED) as emulator:
        truth = emulator.account
        cutoff = datetime.fromtimestamp(truth.trades[len(truth.trades) // 2].timestamp / 1000, UTC)
        synced: list[NormalizedRecord] = []
        async with binance_client(emulator) as client:
            fetcher = fetcher_for(get_profile("binance"), client, uid_weight_per_minute=10**9)
            for endpoint in sync_order(WALLET_AND_TRADES):
                pages = fetcher.fetch(endpoint, since=cutoff, until=datetime.now(UTC), cursors={}, report=FetchReport())
                async for page in pages:
                    synced.extend(page.records)
    integration_id = await account(database)
    api_count = await store_api(database, integration_id, synced)
    assert 0 < api_count < len(truth.trades) + len(truth.deposits) + len(truth.withdrawals)
    service = ImportService(database)

    reports = [
        await service.import_file(USER, integration_id, "Binance-Spot-Trade-History.csv",
                                  samples.binance_trade_export(truth.trades)),
        await service.import_file(USER, integration_id, "Binance-Deposit-History.csv",
                                  samples.binance_deposit_export(truth.deposits)),
        await service.import_file(USER, integration_id, "Binance-Withdraw-History.csv",
                                  samples.binance_withdrawal_export(truth.withdrawals)),
    ]  # fmt: skip

    everything = len(truth.trades) + len(truth.deposits) + len(truth.withdrawals)
    assert [r.format_name for r in reports] == ["binance-trades", "binance-deposits", "binance-withdrawals"]
    assert sum(r.rows_read for r in reports) == everything
    assert sum(r.already_known for r in reports) == api_count
    assert sum(r.new for r in reports) == everything - api_count
    rows = await stored(database, integration_id)
    assert Counter(_content(r) for r in rows) == Counter(
        [("trade", t.timestamp // 1000, t.base, t.side, t.amount) for t in truth.trades]
        + [("deposit", d.timestamp // 1000, d.asset, None, d.amount) for d in truth.deposits]
        + [("withdrawal", w.timestamp // 1000, w.asset, None, w.amount) for w in truth.withdrawals]
    ), "each trade, deposit and withdrawal stored exactly once"
    assert sum(r.source == "api" for r in rows) == api_count

    again = await service.import_file(
        USER, integration_id, "Binance-Spot-Trade-History.csv", samples.binance_trade_export(truth.trades)
    )
    assert (again.new, again.already_known) == (0, len(truth.trades))


def _content(tx: Transaction) -> tuple[object, ...]:
    return (tx.kind, int(tx.occurred_at.timestamp()), tx.asset, tx.side, tx.amount)


async def test_a_bybit_export_recognises_api_executions_by_their_id(database: Database) -> None:
    integration_id = await account(database, exchange="bybit")
    api = samples.bybit_execution(
        "2290000000522832993", datetime(2024, 12, 9, 19, 48, 23, 412000, tzinfo=UTC), "BTCUSDT", "buy",
        "0.04611800", "97100.00", "4478.0578", "0.000046118", "BTC",
    )  # fmt: skip
    await store_api(database, integration_id, [api])

    report = await ImportService(database).import_file(
        USER, integration_id, "bybit.csv", csv_bytes(samples.BYBIT_TRADES)
    )

    assert (report.new, report.already_known) == (1, 1)
    keys = sorted(r.natural_key for r in await stored(database, integration_id))
    assert keys == ["trade:2200000000570297153", "trade:2290000000522832993"]


async def test_one_bad_row_means_nothing_is_written_and_the_first_bad_rows_are_listed(database: Database) -> None:
    integration_id = await account(database)
    rows = [samples.BINANCE_TRADE_HEADER]
    rows += [["2024-03-01 12:30:00", "BTCUSDT", "BUY", "62000", "0.001BTC", "62USDT", "0.01USDT"]] * 5
    rows += [["2024-03-01 12:31:00", "BTCUSDT", "HODL", "62000", "0.001BTC", "62USDT", "0.01USDT"]] * 7

    report = await ImportService(database).import_file(USER, integration_id, "t.csv", csv_bytes(rows))

    assert not report.written
    assert (report.new, report.already_known, report.rejected_total, len(report.rejected)) == (0, 0, 7, 5)
    assert [(r.line, r.column) for r in report.rejected] == [(n, "Side") for n in range(7, 12)]
    assert report.rejected[0].reason == Text.of("file.row.not_a_side", text="HODL")
    assert await total_rows(database) == 0
    shown = render_report(report, "t.csv", "Main", "en").split("\n")
    assert shown[0] == tn("upload.rejected_rows", 7, name="t.csv") and "7 rows" in shown[0]
    assert len(shown) == 6, "the first five rows, each on its line"


async def test_a_single_bad_row_is_named_in_the_singular(database: Database) -> None:
    integration_id = await account(database)
    rows = [
        samples.BINANCE_TRADE_HEADER,
        ["2024-03-01 12:31:00", "BTCUSDT", "HODL", "62000", "0.001BTC", "62USDT", "0"],
    ]

    report = await ImportService(database).import_file(USER, integration_id, "t.csv", csv_bytes(rows))

    assert render_report(report, "t.csv", "Main", "en").split("\n")[0] == tn("upload.rejected_rows", 1, name="t.csv")
    assert "1 row could not be read" in render_report(report, "t.csv", "Main", "en")


async def test_each_kind_of_bad_file_is_refused_and_changes_nothing(database: Database) -> None:
    integration_id = await account(database)
    bybit_id = await account(database, exchange="bybit", name="Bybit")
    service = ImportService(database, max_bytes=2_000)
    await service.import_file(USER, integration_id, "t.csv", TRADES)
    before = await total_rows(database)
    cases: list[tuple[int, str, bytes, type[FileProblem], str]] = [
        (integration_id, "photo.png", b"\x89PNG\r\n\x1a\n....", WrongFileType, "PNG image"),
        (integration_id, "empty.csv", b"", EmptyFile, "empty"),
        (integration_id, "big.csv", TRADES * 20, FileTooLarge, "up to 2 KB"),
        (integration_id, "cp1252.csv", "Date,Coin,Amount,Bénéfice\n".encode("cp1252"), BrokenEncoding, "UTF-8"),
        (integration_id, "x.csv", b"a,b,c\n1,2,3\n", UnknownFormat, "Bybit — spot trade history"),
        (bybit_id, "t.csv", TRADES, WrongExchange, "Binance export"),
    ]
    for target, filename, data, error, words in cases:
        with pytest.raises(error) as raised:
            await service.import_file(USER, target, filename, data)
        assert words in str(raised.value), filename

    assert await total_rows(database) == before


async def test_an_account_of_someone_else_cannot_be_filled(database: Database) -> None:
    theirs = await account(database, user=USER + 1)

    with pytest.raises(IntegrationNotFound):
        await ImportService(database).import_file(USER, theirs, "t.csv", TRADES)
    assert await total_rows(database) == 0


async def test_a_file_only_account_takes_tallybots_template(database: Database) -> None:
    integrations = IntegrationService(database, Vault(KeyRing([generate_key()])))
    summary = await integrations.add_file_only(USER, exchange_id="kraken", account_name="Kraken archive")

    report = await ImportService(database).import_file(USER, summary.id, "template.csv", template_csv())

    assert (summary.status, summary.fingerprint) == ("disconnected", None)
    assert (report.format_name, report.new) == ("tallybot", 2)
    async with database.reader() as session:
        integration = await session.get(Integration, summary.id)
        assert integration is not None and integration.options == {"file_only": True}
        owner = await session.get(User, integration.user_id)
        assert owner is not None and owner.telegram_user_id == USER
    kinds = sorted((r.kind, r.asset, r.amount) for r in await stored(database, summary.id))
    assert kinds == [("deposit", "USDT", Decimal(250)), ("trade", "BTC", Decimal("0.0015"))]


async def test_the_report_says_when_the_users_time_zone_was_assumed(database: Database) -> None:
    integration_id = await account(database, exchange="bitget")

    report = await ImportService(database).import_file(
        USER, integration_id, "bitget.csv", csv_bytes(samples.BITGET_TRADES), user_timezone="Europe/Berlin"
    )

    assert report.new == 2 and report.timezone_note is not None and report.timezone_note.args["zone"] == "Europe/Berlin"
    first = (await stored(database, integration_id))[0]
    assert first.occurred_at == datetime(2024, 6, 1, 7, tzinfo=UTC)  # 09:00 in Berlin summer time


async def test_progress_reaches_the_caller_on_the_event_loop(database: Database) -> None:
    integration_id = await account(database)
    rows = [samples.BINANCE_TRADE_HEADER]
    rows += [[f"2024-03-01 12:{n // 60 % 60:02}:{n % 60:02}", "BTCUSDT", "BUY", "62000", "0.001BTC", "62USDT",
              "0.01USDT"] for n in range(4_500)]  # fmt: skip
    seen: list[tuple[int, int]] = []

    async def edit_progress_message(done: int, total: int) -> None:
        seen.append((done, total))

    report = await ImportService(database).import_file(
        USER, integration_id, "t.csv", csv_bytes(rows), progress=edit_progress_message
    )

    assert report.new == 4_500
    assert seen[-1] == (4_500, 4_500) and len(seen) >= 3


async def test_a_sync_after_an_upload_can_tell_which_fetched_records_the_file_already_brought(
    database: Database,
) -> None:
    """Binance's export has no trade ids: when the file came first, the sync engine asks which fetched records are
    already stored from it (under content-hash keys) and skips them instead of storing them twice."""
    integration_id = await account(database)
    await ImportService(database).import_file(USER, integration_id, "t.csv", TRADES)
    fetched = [
        NormalizedRecord(RecordKind.TRADE, datetime(2024, 3, 1, 12, 30, 0, 250000, tzinfo=UTC), f"trade:BTCUSDT:{n}",
                         "BTC", Decimal("0.00100000"), exchange_tx_id=str(n), market="BTC/USDT", side="buy",
                         quote_asset="USDT", quote_amount=Decimal("62.00050000"), price=Decimal("62000.50000000"),
                         fee_asset="BNB", fee_amount=Decimal("0.00000150"))
        for n in (11, 12, 13)
    ]  # fmt: skip

    async with database.writer() as session:
        known = await known_from_files(session, integration_id, fetched)

    assert known == {"trade:BTCUSDT:11", "trade:BTCUSDT:12"}, "the file holds two such trades, not three"


async def test_a_bybit_row_whose_id_is_not_the_apis_is_still_recognised_by_its_content(database: Database) -> None:
    integration_id = await account(database, exchange="bybit")
    api = samples.bybit_execution(
        "2100000000007764263", datetime(2024, 11, 15, 3, 18, 42, 77000, tzinfo=UTC), "ICPUSDT", "buy", "10",
        "8.0203", "80.203", "0.01", "ICP",
    )  # fmt: skip
    await store_api(database, integration_id, [api])
    header = samples.BYBIT_TRADES[1][1:]
    row = ["ICPUSDT", "LIMIT", "BUY", "80.203", "8.0203", "10", "0.01", "87307520", "5398", "03:18 2024-11-15"]

    report = await ImportService(database).import_file(USER, integration_id, "bybit.csv", csv_bytes([header, row]))

    assert (report.new, report.already_known) == (0, 1), "same fill, same minute: the one the API stored"


class _WriteWatched:
    """The bot's database, saying when an import's write transaction has begun (so a shutdown can land in it)."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.writing = asyncio.Event()

    def reader(self) -> Any:
        return self.database.reader()

    @asynccontextmanager
    async def writer(self) -> AsyncIterator[Any]:
        async with self.database.writer() as session:
            self.writing.set()
            yield session


async def test_a_shutdown_during_the_write_lets_the_import_finish_before_it_stops(database: Database) -> None:
    integration_id = await account(database)
    watched = _WriteWatched(database)
    upload = asyncio.create_task(ImportService(watched).import_file(USER, integration_id, "trades.csv", TRADES))  # type: ignore[arg-type]
    await watched.writing.wait()

    upload.cancel()  # what the shutdown does to an adopted upload task
    with pytest.raises(asyncio.CancelledError):
        await upload

    assert len(await stored(database, integration_id)) == 3  # committed whole, not torn down mid-transaction
    again = await ImportService(database).import_file(USER, integration_id, "trades.csv", TRADES)
    assert (again.new, again.already_known) == (0, 3)  # and the next writer is not locked out


# Binance's withdraw history (docs: Withdraw_History_supporting_network_USER_DATA, ../shared/api-examples/binance/
# withdraw_history.docs.json): amount "8.91000000" and transactionFee "0.004" USDT, applied 2019-10-12 11:12:02 UTC.
API_WITHDRAWAL = NormalizedRecord(
    RecordKind.WITHDRAWAL, datetime(2019, 10, 12, 11, 12, 2, tzinfo=UTC), "withdrawal:b6ae22b3aa844210a7041aee7589627c",
    "USDT", Decimal("8.91000000"), exchange_tx_id="b6ae22b3aa844210a7041aee7589627c", fee_asset="USDT",
    fee_amount=Decimal("0.004"),
)  # fmt: skip
STATEMENT_HEADER = ["User_ID", "UTC_Time", "Account", "Operation", "Coin", "Change", "Remark"]


def statement_withdrawal(remark: str) -> bytes:
    """The same withdrawal in the Transaction History statement: one row of Change −(8.91 + 0.004), with the remark
    Binance writes on Withdraw rows (provinzio/CoinTaxman lists "Withdraw fee is included" among them)."""
    return csv_bytes([STATEMENT_HEADER, ["1", "2019-10-12 11:12:02", "Spot", "Withdraw", "USDT", "-8.914", remark]])


async def test_a_statement_withdrawal_that_includes_its_fee_is_the_apis_withdrawal_of_amount_plus_fee(
    database: Database,
) -> None:
    integration_id = await account(database)
    await store_api(database, integration_id, [API_WITHDRAWAL])

    report = await ImportService(database).import_file(
        USER, integration_id, "statement.csv", statement_withdrawal("Withdraw fee is included")
    )

    assert (report.new, report.already_known) == (0, 1)
    assert report.matched == {"fee-included": 1}
    assert render_report(report, "statement.csv", "Main", "en").endswith(tn("upload.matched.fee_included", 1))
    assert len(await stored(database, integration_id)) == 1


async def test_the_apis_withdrawal_after_the_statement_is_recognised_by_amount_plus_fee(database: Database) -> None:
    integration_id = await account(database)
    await ImportService(database).import_file(
        USER, integration_id, "statement.csv", statement_withdrawal("Withdraw fee is included")
    )

    async with database.writer() as session:
        known = await known_from_files(session, integration_id, [API_WITHDRAWAL])

    assert known == {API_WITHDRAWAL.natural_key}


async def test_a_withdrawal_row_that_does_not_say_its_fee_is_included_is_not_matched_by_amount_plus_fee(
    database: Database,
) -> None:
    integration_id = await account(database)
    await store_api(database, integration_id, [API_WITHDRAWAL])

    report = await ImportService(database).import_file(USER, integration_id, "statement.csv", statement_withdrawal(""))

    assert (report.new, report.already_known, report.matched) == (1, 0, {})


async def test_the_report_says_identical_fills_the_file_cannot_tell_apart_were_taken_one_each(
    database: Database,
) -> None:
    """TRADES holds two identical buys at 12:30:00 (Binance's trade export has no trade id); the API stored both
    fills and a third of another second."""
    integration_id = await account(database)
    fill = dict(market="BTC/USDT", side="buy", quote_asset="USDT", quote_amount=Decimal("62.0005"),
                price=Decimal("62000.5"), fee_asset="BNB", fee_amount=Decimal("0.0000015"))  # fmt: skip
    at = datetime(2024, 3, 1, 12, 30, tzinfo=UTC)
    await store_api(
        database,
        integration_id,
        [NormalizedRecord(RecordKind.TRADE, at, f"trade:BTCUSDT:{n}", "BTC", Decimal("0.001"), str(n), **fill)  # type: ignore[arg-type]
         for n in (21, 22)],
    )  # fmt: skip

    report = await ImportService(database).import_file(USER, integration_id, "t.csv", TRADES)

    assert (report.new, report.already_known) == (1, 2)
    assert report.matched == {"content": 2, "twin": 2}
    text = render_report(report, "t.csv", "Main", "en")
    assert tn("upload.matched.content", 2) in text and tn("upload.matched.twin", 2) in text


async def test_the_report_warns_of_fills_the_file_could_only_sum(database: Database) -> None:
    """A statement operation with two bought rows and one spent row (Binance's Transaction History writes a row per
    balance change and no fill id): the fills cannot be paired, so they are one summed trade, and the user is told
    it cannot meet the API's per-fill records."""
    integration_id = await account(database)
    rows = [
        STATEMENT_HEADER,
        ["1", "2024-01-20 14:30:00", "Spot", "Transaction Buy", "BTC", "0.001", ""],
        ["1", "2024-01-20 14:30:00", "Spot", "Transaction Buy", "BTC", "0.002", ""],
        ["1", "2024-01-20 14:30:00", "Spot", "Transaction Spend", "USDT", "-150", ""],
    ]

    report = await ImportService(database).import_file(USER, integration_id, "statement.csv", csv_bytes(rows))

    assert (report.new, report.summed_fills) == (1, 1)
    (trade,) = await stored(database, integration_id)
    assert (trade.amount, trade.quote_amount) == (Decimal("0.003"), Decimal("150"))
    assert tn("upload.summed_fills", 1) in render_report(report, "statement.csv", "Main", "en")


async def test_fills_the_statement_pairs_one_by_one_are_not_reported_as_summed(database: Database) -> None:
    integration_id = await account(database)
    rows = [
        STATEMENT_HEADER,
        ["1", "2024-01-20 14:30:00", "Spot", "Transaction Buy", "BTC", "0.001", ""],
        ["1", "2024-01-20 14:30:00", "Spot", "Transaction Spend", "USDT", "-50", ""],
        ["1", "2024-01-20 14:30:00", "Spot", "Transaction Buy", "BTC", "0.002", ""],
        ["1", "2024-01-20 14:30:00", "Spot", "Transaction Spend", "USDT", "-100", ""],
    ]

    report = await ImportService(database).import_file(USER, integration_id, "statement.csv", csv_bytes(rows))

    assert (report.new, report.summed_fills) == (2, 0)
    assert "⚠️" not in render_report(report, "statement.csv", "Main", "en")
