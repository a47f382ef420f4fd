"""Migration 0020: a user whose OKX account earlier syncs stored wrong (converts in both lists counted twice, the
newer bill types kept as uncounted ledger lines, the fees of trade bills whose fills lay beyond fills-history's year
lost) ends, after the way up and one sync through the bot, with exactly what a fresh sync stores, and reconciles; on
SQLite and PostgreSQL.

The account: the emulator's RECENT trader (sandbox/exchanges/okx_book.py) whose three converts OKX also bills
(`bill_converts`, type 273), with the funding-kinds script (okx_funding_kinds.py: its EUR -> USDT convert in the
bills only, type 272) and its four newer bill types (NEWER_KIND_MOVES), and a swap position closed 400-430 days back
(okx_long_ago.py), synced from 460 days back. A fresh sync through the bot stores today's rows; they are then made
what the code before commits 44d2047, b6516ac and 1123faa stored (`git show 44d2047^:connectors/fetchers/okx/...`):
each 272/273 bill a convert leg `convert:<billId>` (rows.RowReader.transfer, unchanged for an unpaired bill), the
newer types ledger lines `ledger:<billId>` of the signed `balChg`, the trade bills from the quarterly files without
their fee and the opening one not stored, the fills cursors without `unreached`. Values after the way up by hand from
the scripts' comments."""

from __future__ import annotations

import base64
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from sqlalchemy.engine import Connection

from bot.context import SERVICES_KEY
from bot.vault import generate_key
from connectors.fetchers.okx.archive_files import Quarter
from connectors.fetchers.okx.rows import RowReader
from connectors.records import NormalizedRecord, RecordKind, ms_to_utc
from db.engine import Database
from db.migrate import alembic_config
from db.models import EndpointState, Integration, Transaction
from sandbox.botapi import BotApiEmulator
from sandbox.exchanges import OkxEmulator
from sandbox.exchanges.okx_funding_kinds import NEWER_KIND_MOVES, OkxFundingKindsBook
from tests.assistant_story import Walker
from tests.bot_harness import running_bot, settings_for
from tests.connectors.test_fetch_okx import okx_client
from tests.test_okx_derivatives_e2e import FAST
from tests.test_reconcile_e2e import RECENT, connect

D = Decimal
SINCE_DAYS = 460
EXPLAINED = "✅ OKX-1: the history explains every balance."
CONVERT_BILLS, NEWER_TYPES = ("272", "273"), ("400", "408", "476", "477")
INST_TYPES = ("SWAP", "FUTURES", "OPTION")
Row = tuple[Any, ...]


async def _migrate(database: Database, revision: str, *, down: bool = False) -> None:
    def run(connection: Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, revision)

    async with database.engine.execution_options(tallybot_write=True).begin() as connection:
        await connection.run_sync(run)


async def _rows(database: Database, integration_id: int) -> dict[str, Row]:
    async with database.reader() as session:
        query = sa.select(Transaction).where(Transaction.integration_id == integration_id)
        found = (await session.scalars(query)).all()
        return {r.natural_key: (r.kind, r.side, r.asset, r.amount, r.fee_asset, r.fee_amount) for r in found}


async def _cursors(database: Database, integration_id: int) -> dict[tuple[str, str], Any]:
    async with database.reader() as session:
        query = sa.select(EndpointState).where(EndpointState.integration_id == integration_id)
        return {(s.endpoint, s.market): s.cursor for s in (await session.scalars(query)).all()}


async def _bills(okx: OkxEmulator, types: tuple[str, ...]) -> list[dict[str, Any]]:
    """The funding bills of these types, as bills-history serves them (one page each: the script has few)."""
    async with okx_client(okx) as client:
        found = []
        for bill_type in types:
            body = await client.privateGetAssetBillsHistory({"pagingType": "2", "type": bill_type, "limit": 100})
            found += body["data"]
        return found


def _old_line(bill: dict[str, Any]) -> NormalizedRecord:
    """A bill of a type the old table lacked, as the old RowReader.transfer stored it: a ledger line, signed."""
    ident = str(bill["billId"])
    return NormalizedRecord(
        RecordKind.LEDGER, ms_to_utc(bill["ts"]), f"ledger:{ident}", bill["ccy"], D(bill["balChg"]), raw=bill
    )


async def _make_old(database: Database, integration_id: int, okx: OkxEmulator) -> None:
    """Turns the rows and cursors of today's sync into what the old code stored."""
    converts, newer = await _bills(okx, CONVERT_BILLS), await _bills(okx, NEWER_TYPES)
    legs = [leg for bill in converts if (leg := RowReader(_Codes()).transfer(bill)[0]) is not None]
    newer_ids = {str(bill["billId"]) for bill in newer}
    async with database.writer() as session:
        stored = (
            await session.scalars(sa.select(Transaction).where(Transaction.integration_id == integration_id))
        ).all()
        for row in stored:
            raw = row.raw if isinstance(row.raw, dict) else {}
            if str(raw.get("billId", "")) in newer_ids:
                await session.delete(row)  # stored as a ledger line instead
            elif row.kind == RecordKind.REALIZED_PNL and row.fee_amount is not None and raw.get("type") == "2":
                if row.amount == 0:
                    await session.delete(row)  # an opening bill: only its fee moved, left to a fill never stored
                else:
                    row.fee_amount, row.fee_asset = None, None
        for state in (await session.scalars(sa.select(EndpointState))).all():
            if state.endpoint == "futures_trades" and state.market in INST_TYPES and state.cursor:
                state.cursor = {k: v for k, v in state.cursor.items() if k != "unreached"}
        await session.flush()
        kept = {row.natural_key for row in stored}  # an unpaired bill's leg (the EUR convert's) is stored already
        for record in [*(leg for leg in legs if leg.natural_key not in kept), *map(_old_line, newer)]:
            session.add(Transaction(**record.to_row(integration_id, "api")))


# Another exchange's rows and cursors of the same shapes (a Bybit account): the way up leaves them alone.
OTHER_BILL = {"billId": "9", "type": "400", "ccy": "USDT", "balChg": "1", "ts": "1709280000000"}
OTHER_AFTER = (
    {
        "ledger:9": ("ledger", None, "USDT", D(1), None, None),
        "convert:9": ("convert", "out", "USDT", D(1), None, None),
    },
    {("futures_trades", "SWAP"): {"p": 1, "ms": 1709280000000}, ("transfers", ""): {"p": 1}},
)


async def _another_exchange(database: Database) -> int:
    async with database.writer() as session:
        owner = await session.scalar(sa.select(Integration.user_id).where(Integration.exchange_id == "okx"))
        other = Integration(user_id=owner, exchange_id="bybit", account_name="Bybit-1")
        session.add(other)
        await session.flush()
        when = ms_to_utc(OTHER_BILL["ts"])
        for key, kind, side, raw in (
            ("ledger:9", "ledger", None, OTHER_BILL),
            ("convert:9", "convert", "out", {**OTHER_BILL, "type": "273"}),
        ):
            session.add(
                Transaction(
                    integration_id=other.id,
                    natural_key=key,
                    kind=kind,
                    occurred_at=when,
                    side=side,
                    asset="USDT",
                    amount=D(1),
                    source="api",
                    raw=raw,
                )
            )
        for (endpoint, market), cursor in OTHER_AFTER[1].items():
            session.add(EndpointState(integration_id=other.id, endpoint=endpoint, market=market, cursor=cursor))
        return other.id


class _Codes:
    def safe_currency_code(self, code: str) -> str:
        return code


async def _sync(ada: Walker) -> str:
    return (await ada.reply_to(await ada.send("/sync"), "Sync finished", timeout=180)).text or ""


async def test_an_okx_user_synced_before_ends_as_a_fresh_sync_and_reconciles(
    telegram: BotApiEmulator, ada: Walker, tmp_path: Path, database_url: str
) -> None:
    emulator = OkxEmulator(
        seed=83, profile=RECENT, listed_symbols=20, derivatives=True, bill_history=True, funding_kinds=True, limits=FAST
    )
    async with emulator as okx:
        book = okx.book
        assert isinstance(book, OkxFundingKindsBook)
        book.derivatives.trade_long_ago()
        book.add_moves(NEWER_KIND_MOVES)
        book.bill_converts()
        converts = okx.account.converts
        book.archive.ready_after_ms = 0  # OKX has the quarterly files ready: each sync reads what it applies for
        settings = settings_for(
            telegram,
            tmp_path / "data",
            exchange_url_overrides={"okx": okx.base_url},
            database_url=None if database_url.startswith("sqlite") else database_url,
            master_key=base64.b64encode(generate_key()).decode(),
        )
        async with running_bot(settings) as app:
            okx_id = await connect(app.bot_data[SERVICES_KEY], "okx", okx, date.today() - timedelta(days=SINCE_DAYS))
            await _sync(ada)  # applies for the quarterly files
            fresh = await _sync(ada)  # reads them
        database = Database(settings.effective_database_url)
        try:
            today, today_cursors = await _rows(database, okx_id), await _cursors(database, okx_id)
            await _migrate(database, "0019", down=True)
            await _make_old(database, okx_id, okx)
            other_id = await _another_exchange(database)
            before = await _rows(database, okx_id)
            await _migrate(database, "0020")
            migrated, cursors = await _rows(database, okx_id), await _cursors(database, okx_id)
            other = await _rows(database, other_id), await _cursors(database, other_id)
            # The way down leaves everything as it is; the way up again finds nothing more to do.
            await _migrate(database, "0019", down=True)
            await _migrate(database, "0020")
            twice = await _rows(database, okx_id), await _cursors(database, okx_id)
            async with database.writer() as session:  # not for the bot to sync: it has no key
                await session.execute(sa.delete(Integration).where(Integration.id == other_id))
            async with running_bot(settings) as app:
                start = Counter(okx.requests.by_path)
                resync = await _sync(ada)
                middle = Counter(okx.requests.by_path)
                again = await _sync(ada)
                reread, plain = middle - start, Counter(okx.requests.by_path) - middle
            synced = await _rows(database, okx_id)
        finally:
            await database.dispose()

    assert EXPLAINED in fresh, fresh
    added, removed = set(before) - set(today), set(today) - set(before)
    legs = {k: before[k] for k in added if before[k][0] == "convert"}
    lines = {k: before[k] for k in added if before[k][0] == "ledger"}
    # Before: each of RECENT's three converts also as two 273 legs beside its trade (the EUR convert's 272 legs are
    # stored today as they were); the four newer bills as ledger lines (0.0412 USDT, 0.0058 USDG, -25 USDT,
    # +5 USDT), counted nowhere; the long-ago bills without fees (the closing one 80 = 79.16 + 0.84), the opening one
    # (-0.8, all fee) missing.
    assert added == set(legs) | set(lines)
    scripted = [(c.from_asset, c.from_amount, "out") for c in converts] + [
        (c.to_asset, c.to_amount, "in") for c in converts
    ]
    assert sorted((v[2], v[3], v[1]) for v in legs.values()) == sorted(scripted)
    assert sorted(v[3] for v in lines.values()) == [D("-25"), D("0.0058"), D("0.0412"), D("5")]
    long_ago = [k for k, v in today.items() if v[0] == "realized_pnl" and v[5] is not None]
    assert sorted(today[k][3:] for k in long_ago) == [(D(0), "USDT", D("0.8")), (D(80), "USDT", D("0.84"))]
    assert sorted(before[k][3:] for k in long_ago if k in before) == [(D(80), None, None)]

    # After the way up: the legs and lines gone, convert history's trades kept (the EUR legs come back with the
    # re-read); the closing bill's fee back in place; the opening one is for the re-read of its quarter.
    assert not [k for k in migrated if k in legs or k in lines]
    gone = {k: today[k] for k in set(today) - set(migrated) - removed}
    assert sorted(v[1:4] for v in gone.values()) == [("in", "USDT", D("540.25")), ("out", "EUR", D(500))]
    assert [f"convert:{c.id}" in migrated for c in converts] == [True, True, True]
    assert sorted(migrated[k][3:] for k in long_ago if k in migrated) == [(D(80), "USDT", D("0.84"))]
    assert cursors[("transfers", "")] is None and cursors[("earn_rewards", "")] is None
    # The swap fills cursor's unreached range: from the sync-from date up to the oldest swap fill stored (OLD_FILLS'
    # opening, 260 days back); the quarters read before that overlap it are to be read again, the others stay done.
    without = {k: v for k, v in cursors[("futures_trades", "SWAP")].items() if k != "unreached"}
    assert without == {k: v for k, v in today_cursors[("futures_trades", "SWAP")].items() if k != "unreached"}
    [(start, end)] = cursors[("futures_trades", "SWAP")]["unreached"]
    assert ms_to_utc(start) == datetime.combine(date.today() - timedelta(days=SINCE_DAYS), time(), UTC)
    assert ms_to_utc(end).date() == date.today() - timedelta(days=260)
    archive, read = (
        cursors[("futures_trades", "SWAP-BILLS:ARCHIVE")],
        today_cursors[("futures_trades", "SWAP-BILLS:ARCHIVE")],
    )
    assert archive["need"] == [[start, end]]
    again_read = sorted(set(read["done"]) - set(archive["done"]))
    assert again_read and all(Quarter.parse(q).start_ms < end for q in again_read)
    assert all(Quarter.parse(q).start_ms >= end for q in archive["done"])
    for market in ("FUTURES", "OPTION"):  # up to the oldest fill stored, else to where the walk stands
        [(other_start, other_end)] = cursors[("futures_trades", market)]["unreached"]
        assert other_start == start and other_end <= today_cursors[("futures_trades", market)]["ms"]

    # The next sync stores exactly what the fresh sync stored, nothing twice, and reconciles.
    assert EXPLAINED in resync, resync
    assert EXPLAINED in again, again
    assert synced == today
    # By hand (NEWER_KIND_MOVES, okx_long_ago.py): the newer types as what they are, the opening bill with its fee.
    assert sorted(synced[k] for k in removed) == [
        ("deposit", None, "USDT", D(5), None, None),
        ("realized_pnl", None, "USDT", D(0), "USDT", D("0.8")),
        ("reward", None, "USDG", D("0.0058"), None, None),
        ("reward", None, "USDT", D("0.0412"), None, None),
        ("withdrawal", None, "USDT", D(25), None, None),
    ]
    assert twice == (migrated, cursors)
    assert other == OTHER_AFTER
    assert okx.requests.unexpected == []
    # What the re-read cost beyond a sync that finds nothing new (21 requests): the funding bills' two walks fit one
    # page each as before (the script has fewer than 100 bills), and the page with the convert bills asks convert
    # history once; each quarter read again (those before the oldest swap fill: three of the five read before, on
    # 2026-12-06; how many depends on the day) is applied for (POST) and its link asked (GET) on one path, and
    # downloaded; the instruments once, as any restarted bot's first sync asks them (measured: 22 requests when
    # nothing was migrated). 32 in all on that day.
    quarters = len(again_read)
    extra = {k: v for k, v in (reread - plain).items() if not k.startswith("/archive-files/")}
    assert extra == {
        "/api/v5/asset/convert/history": 1,
        "/api/v5/account/bills-history-archive": 2 * quarters,
        "/api/v5/public/instruments": 1,
    }
    assert len([k for k in reread if k.startswith("/archive-files/")]) == quarters
    assert (sum(reread.values()), sum(plain.values())) == (21 + 2 + 3 * quarters, 21)
