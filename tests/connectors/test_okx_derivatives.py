"""OKX derivatives, margin, funding fees and interest: a full sync against the emulator's script stores exactly its
ground truth (written here by hand from the script in sandbox/exchanges/okx_derivatives.py), a re-sync asks only
for what is new, and the readers read OKX's documented examples as a person would (bills-archive, savings balance,
a funding bill of each sub-account type)."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import ccxt
import pytest

from connectors.balances.okx import READS
from connectors.fetchers.base import Cursor, FetchReport
from connectors.fetchers.okx import OkxFetcher
from connectors.fetchers.okx.derivatives import DerivativeRows, listed_contract
from connectors.fetchers.okx.rows import RowReader
from connectors.fetchers.registry import fetcher_for
from connectors.profiles import Endpoint, get_profile
from connectors.records import NormalizedRecord, RecordKind
from sandbox.exchanges import AccountProfile, OkxEmulator
from sandbox.exchanges.base import DAY_MS
from sandbox.exchanges.okx import OkxLimits
from sandbox.exchanges.okx_derivatives import Bill, Fill
from tests.conformance.corpus import API_EXAMPLES, shape_differences
from tests.connectors.test_fetch_okx import okx_client

DOCUMENTED = Path(__file__).resolve().parents[1] / "conformance" / "documented" / "okx"
SMALL = AccountProfile(
    years=0.2, traded_markets=3, trades=20, deposits=3, withdrawals=1, converts=1, transfers=2, rewards=2
)
FAST = OkxLimits(rules={}, default_rule=(100_000, 1_000))
KINDS = (Endpoint.FUTURES_TRADES, Endpoint.MARGIN_TRADES, Endpoint.FUNDING, Endpoint.MARGIN_LOANS)


@pytest.fixture
async def okx() -> AsyncIterator[OkxEmulator]:
    async with OkxEmulator(seed=15, profile=SMALL, listed_symbols=12, limits=FAST, derivatives=True) as emulator:
        yield emulator


async def sync(fetcher: Any, endpoint: Endpoint, stored: dict[str, Cursor]) -> list[NormalizedRecord]:
    records: list[NormalizedRecord] = []
    async for page in fetcher.fetch(
        endpoint, since=None, until=datetime.now(UTC), cursors=dict(stored), report=FetchReport()
    ):
        stored[page.market] = json.loads(json.dumps(page.cursor))
        records.extend(page.records)
    return records


def readable(r: NormalizedRecord) -> tuple[object, ...]:
    return (r.kind, r.market, r.side, r.asset, r.amount, r.quote_asset, r.quote_amount, r.fee_asset, r.fee_amount)


async def test_a_full_sync_stores_exactly_the_scripted_derivatives_and_a_resync_asks_only_for_new_bills(
    okx: OkxEmulator,
) -> None:
    expiry = okx.book.derivatives.expiry
    margin = okx.book.derivatives.margin_market
    future, option = f"ETH/USDT:USDT-{expiry}", f"BTC/USD:BTC-{expiry}-70000-C"
    FT = RecordKind.FUTURES_TRADE
    fee2 = Decimal("0.999") * (margin.price * Decimal("1.02")).quantize(Decimal("1E-8")) / 1000
    async with okx_client(okx) as client:
        fetcher = fetcher_for(get_profile("okx"), client)
        cursors: dict[Endpoint, dict[str, Cursor]] = {e: {} for e in KINDS}
        found = {e: await sync(fetcher, e, cursors[e]) for e in KINDS}

        # Ten contracts of 0.01 BTC, five of 0.1 ETH, two options of 0.01 BTC; fees as charged, positive.
        assert sorted(map(readable, found[Endpoint.FUTURES_TRADES]), key=str) == sorted(
            [
                (
                    RecordKind.FUTURES_TRADE,
                    "BTC/USDT:USDT",
                    "buy",
                    "BTC",
                    Decimal("0.1"),
                    "USDT",
                    Decimal(6000),
                    "USDT",
                    Decimal(3),
                ),
                (
                    RecordKind.FUTURES_TRADE,
                    "BTC/USDT:USDT",
                    "sell",
                    "BTC",
                    Decimal("0.1"),
                    "USDT",
                    Decimal(6200),
                    "USDT",
                    Decimal("3.1"),
                ),
                (
                    RecordKind.FUTURES_TRADE,
                    future,
                    "sell",
                    "ETH",
                    Decimal("0.5"),
                    "USDT",
                    Decimal(1500),
                    "USDT",
                    Decimal("0.3"),
                ),
                (
                    RecordKind.FUTURES_TRADE,
                    future,
                    "buy",
                    "ETH",
                    Decimal("0.5"),
                    "USDT",
                    Decimal(1450),
                    "USDT",
                    Decimal("0.29"),
                ),
                # Inverse: ten contracts of 100 USD are 1000 USD, 0.025 BTC at 40000 and 0.02 BTC at 50000.
                (
                    FT,
                    "BTC/USD:BTC",
                    "buy",
                    "BTC",
                    Decimal("0.025"),
                    "BTC",
                    Decimal("0.025"),
                    "BTC",
                    Decimal("0.0000125"),
                ),
                (FT, "BTC/USD:BTC", "sell", "BTC", Decimal("0.02"), "BTC", Decimal("0.02"), "BTC", Decimal("0.00001")),
                (RecordKind.REALIZED_PNL, "BTC/USD:BTC", None, "BTC", Decimal("0.005"), None, None, None, None),
                (
                    RecordKind.FUTURES_TRADE,
                    option,
                    "sell",
                    "BTC",
                    Decimal("0.02"),
                    "BTC",
                    Decimal("0.001"),
                    "BTC",
                    Decimal("0.00001"),
                ),
                # The closing bills' balChg less their fee: 196.9 + 3.1, 49.71 + 0.29; the option's premium 0.001 BTC.
                (RecordKind.REALIZED_PNL, "BTC/USDT:USDT", None, "USDT", Decimal(200), None, None, None, None),
                (RecordKind.REALIZED_PNL, future, None, "USDT", Decimal(50), None, None, None, None),
                (RecordKind.REALIZED_PNL, option, None, "BTC", Decimal("0.001"), None, None, None, None),
            ],
            key=str,
        )
        base, quote = margin.base, margin.quote
        pair = f"{base}/{quote}"
        assert sorted(map(readable, found[Endpoint.MARGIN_TRADES]), key=str) == sorted(
            [
                (RecordKind.TRADE, pair, "buy", base, Decimal(1), quote, margin.price, base, Decimal("0.001")),
                (
                    RecordKind.TRADE, pair, "sell", margin.base, Decimal("0.999"), margin.quote,
                    Decimal("0.999") * (margin.price * Decimal("1.02")).quantize(Decimal("1E-8")),
                    margin.quote, fee2.quantize(Decimal("1E-8")),
                ),
            ],
            key=str,
        )  # fmt: skip
        assert sorted((r.kind, r.asset, r.amount) for r in found[Endpoint.FUNDING]) == [
            (RecordKind.FUNDING, "USDT", Decimal("-1.2")),
            (RecordKind.FUNDING, "USDT", Decimal("0.4")),
        ]
        # 200 USDT borrowed 26 days ago and repaid 24 days ago (Spot mode), 0.05 USDT interest in between.
        assert sorted((r.kind, r.asset, r.amount) for r in found[Endpoint.MARGIN_LOANS]) == [
            (RecordKind.BORROW, "USDT", Decimal(200)),
            (RecordKind.INTEREST, "USDT", Decimal("-0.05")),
            (RecordKind.REPAY, "USDT", Decimal(200)),
        ]
        every = [r.natural_key for records in found.values() for r in records]
        assert (
            len(every) == len(set(every)) == 18
        )  # 7 fills, 4 P&L bills, 2 margin fills, 2 funding, 1 interest, a loan

        # Nothing new: one request per list (six for derivatives, two for loans), no instruments looked up.
        okx.requests.reset()
        assert [await sync(fetcher, e, cursors[e]) for e in KINDS] == [[], [], [], []]
        assert okx.requests.total == 10 and okx.requests.count("/api/v5/public/instruments") == 0

        # Savings and a sub-account's money (sandbox/exchanges/okx_savings.py): 50 USDT from a sub-account is a
        # deposit of this account; the moves between its own wallets are transfers; savings interest is a reward.
        moved = await sync(fetcher, Endpoint.TRANSFERS, {})
        assert sorted((r.kind, r.side, r.amount) for r in moved if r.amount in (20, 50, 100)) == [
            (RecordKind.DEPOSIT, None, Decimal(50)),
            (RecordKind.TRANSFER, "in", Decimal(20)),  # from the trading account, then into on-chain earn
            (RecordKind.TRANSFER, "in", Decimal(100)),
            (RecordKind.TRANSFER, "out", Decimal(20)),
            (RecordKind.TRANSFER, "out", Decimal(50)),
            (RecordKind.TRANSFER, "out", Decimal(100)),
        ]
        report = FetchReport()
        rewards: list[NormalizedRecord] = []
        stored: dict[str, Cursor] = {}
        async for page in fetcher.fetch(
            Endpoint.EARN_REWARDS, since=None, until=datetime.now(UTC), cursors={}, report=report
        ):
            stored[page.market] = page.cursor
            rewards.extend(page.records)
        savings = sorted(r.amount for r in rewards if r.natural_key.startswith("reward:SAVINGS:"))
        assert savings == [Decimal("0.0119"), Decimal("0.0121"), Decimal("0.0123")]
        assert set(stored) == {"", "SAVINGS"}
        # Savings began 26 days ago, within lending history's month: nothing older is missing, and no gap says so.
        # (The one gap is bills-history's: nothing before 2021-02-01.)
        assert [g.reason.id for g in report.gaps] == ["sync.gap.okx.bills_since"]

        # A funding fee after the sync: the next sync brings it, and only it.
        script = okx.book.derivatives
        now = okx.clock.now_ms()
        script.rows = (
            *script.rows,
            script.bill_row(
                Bill(0, "8", "174", "USDT", "0.7", "swap"), now - 5_000, str(int(script.rows[-1].bill_id) + 1)
            ),
        )
        (new,) = await sync(fetcher, Endpoint.FUNDING, cursors[Endpoint.FUNDING])
        assert (new.kind, new.asset, new.amount) == (RecordKind.FUNDING, "USDT", Decimal("0.7"))
        assert okx.requests.unexpected == []


class _Codes:
    def safe_currency_code(self, code: str) -> str:
        return code


def _documented(name: str) -> dict[str, Any]:
    body: dict[str, Any] = json.loads((DOCUMENTED / name).read_text())["response"]
    return body


def test_a_sub_account_transfer_moves_money_in_or_out_of_the_account_the_key_reads() -> None:
    """The documented funding bill (1 BTC-denominated deposit of 2 BTC), as each sub-account type: money that leaves
    for, or arrives from, another account is a withdrawal or a deposit here; funding <-> trading stays a transfer."""
    (bill,) = json.loads((API_EXAMPLES / "okx" / "asset_bills.docs.json").read_text())["response"]["data"]
    reader = RowReader(_Codes())
    expected = {
        "20": ("-2", RecordKind.WITHDRAWAL),  # to a sub-account (master's bill)
        "21": ("2", RecordKind.DEPOSIT),  # from a sub-account (master's bill)
        "22": ("-2", RecordKind.WITHDRAWAL),  # sub to master (sub-account's bill)
        "23": ("2", RecordKind.DEPOSIT),  # master to sub (sub-account's bill)
        "131": ("-2", RecordKind.TRANSFER),  # to this account's own trading wallet
    }
    for bill_type, (change, kind) in expected.items():
        record, pending = reader.transfer({**bill, "type": bill_type, "balChg": change})
        assert record is not None and pending is None
        assert (record.kind, record.asset, record.amount, record.exchange_tx_id) == (kind, "BTC", Decimal(2), "12344")
        assert record.occurred_at == datetime(2020, 8, 10, 2, 26, 23, 85000, tzinfo=UTC)


def test_the_documented_trading_bill_is_read_once_per_kind() -> None:
    """bills-archive's documented row (a SPOT buy: balChg 0.021933823221 = sz 0.021955779 + fee -0.000021955779)."""
    (row,) = _documented("bills_archive.docs.json")["data"]
    rows = DerivativeRows(_Codes())
    assert rows.pnl(row) == (None, None)  # spot: the fill carries it all
    pnl, _ = rows.pnl({**row, "instType": "SWAP", "instId": "BTC-USDT-SWAP"})
    assert pnl is not None and (pnl.kind, pnl.asset, pnl.amount, pnl.fee_amount) == (
        RecordKind.REALIZED_PNL, "USDT", Decimal("0.021955779"), None,
    )  # fmt: skip
    funding, _ = rows.signed_bill(RecordKind.FUNDING)({**row, "type": "8"})
    assert funding is not None and funding.amount == Decimal("0.0219338232210000")


def test_liquidation_adl_and_delivery_bills_leave_the_fee_to_their_fill_when_fills_history_lists_them() -> None:
    """fills-history's `subType` ("Transaction details (last 3 months)") lists 100-107 and 110/111 liquidation,
    112/113 delivery and 125-128 ADL, and its `tradeId` is negative for liquidation and ADL fills: such fills are in
    the list with their fee, so their bill realizes `balChg - fee` without a fee of its own. A bill whose subtype the
    list does not name (170 exercised) keeps its fee. The documented row as each, by hand."""
    (row,) = _documented("bills_archive.docs.json")["data"]
    swap = {**row, "instType": "SWAP", "instId": "BTC-USDT-SWAP", "mgnMode": "cross"}
    rows = DerivativeRows(_Codes())
    for bill_type, sub_type in (("5", "104"), ("5", "110"), ("9", "125"), ("3", "112")):
        record, _ = rows.pnl({**swap, "type": bill_type, "subType": sub_type})
        # balChg 0.021933823221 less fee -0.000021955779; the fill carries the fee.
        assert record is not None and (record.amount, record.fee_amount) == (Decimal("0.021955779"), None)
    option = {**row, "instType": "OPTION", "instId": "BTC-USD-250627-70000-C", "type": "3", "subType": "170"}
    exercised, _ = rows.pnl({**option, "mgnMode": "cross"})
    assert exercised is not None and (exercised.amount, exercised.fee_amount) == (
        Decimal("0.021955779"), Decimal("0.000021955779"),
    )  # fmt: skip


def test_a_liquidation_fill_with_a_negative_trade_id_is_named_by_its_bill() -> None:
    """ "When the order category ... is partial_liquidation, full_liquidation, or adl, [tradeId] will be assigned a
    negative value": two such fills of one instrument are two records, each with its fee."""
    (fill,) = json.loads((API_EXAMPLES / "okx" / "fills_history.docs.json").read_text())["response"]["data"]
    rows = DerivativeRows(_Codes())
    rows.contracts["BTC-USDT-SWAP"] = listed_contract(
        {"instId": "BTC-USDT-SWAP", "ctVal": "0.01", "ctMult": "1", "ctValCcy": "BTC", "settleCcy": "USDT"}
    )
    liquidation = {**fill, "instType": "SWAP", "instId": "BTC-USDT-SWAP", "subType": "104", "feeCcy": "USDT"}
    first, _ = rows.fill({**liquidation, "tradeId": "-1", "billId": "680800019754098688"})
    second, _ = rows.fill({**liquidation, "tradeId": "-1", "billId": "680800019754098689"})
    assert first is not None and second is not None and first.natural_key != second.natural_key
    ordinary, _ = rows.fill({**liquidation, "subType": "5"})
    assert ordinary is not None and ordinary.natural_key.endswith("BTC-USDT-SWAP:744876980")


def test_an_isolated_position_s_bills_count_what_moved_at_the_position_level() -> None:
    """Bills of an isolated position as live ones are (ccxt/ccxt#28103; find_string id 66979980706, which holds an
    isolated SOL-USDT-SWAP funding income and the opening trade): `balChg` is the account level, `posBalChg` the
    position level, and the user's holding changed by both. By hand from those payloads."""
    rows = DerivativeRows(_Codes())
    base = {"instType": "SWAP", "instId": "SOL-USDT-SWAP", "ccy": "USDT", "ts": "1788854401550", "mgnMode": "isolated"}
    funding_bill = {**base, "billId": "1", "type": "8", "subType": "174", "fee": "0", "balChg": "0.0000000000000000"}
    funding_bill.update({"pnl": "0.6798147560681625", "posBalChg": "0.6798147560681625", "posBal": "2005.76"})
    funding, _ = rows.signed_bill(RecordKind.FUNDING)(funding_bill)
    assert funding is not None and funding.amount == Decimal("0.6798147560681625")
    # Opening: -695.4598815 left the account level, 692.689125 of it became the position's margin, 2.7707565 was
    # the fee (the fill's): nothing realized.
    opening = {**base, "billId": "2", "type": "2", "subType": "3", "balChg": "-695.4598815", "fee": "-2.7707565"}
    opening.update({"pnl": "0", "posBalChg": "692.689125"})
    assert rows.pnl(opening) == (None, None)
    # Closing the same (our own numbers): 720.1 returns of which 692.689125 was margin; the fee 2.8 is the fill's.
    closing = {**opening, "billId": "3", "subType": "5", "balChg": "720.1", "posBalChg": "-692.689125", "fee": "-2.8"}
    realized, _ = rows.pnl(closing)
    assert realized is not None and (realized.amount, realized.fee_amount) == (Decimal("30.210875"), None)
    # Marked cross, the bill is read by balChg alone: the wallet read adds a position level for isolated only.
    cross, _ = rows.pnl({**closing, "mgnMode": "cross"})
    assert cross is not None and cross.amount == Decimal("722.9")


def test_on_chain_earn_orders_are_read_as_what_was_invested() -> None:
    """The documented active orders: 2 DOT and two orders of 1 USDT; their estimated earnings are not holdings."""
    (earn,) = [read for read in READS if read.wallet == "earn"]
    assert earn.method == "privateGetFinanceStakingDefiOrdersActive"
    rows = list(earn.rows(_documented("onchain_orders_active.docs.json")))
    assert rows == [("DOT", Decimal(2)), ("USDT", Decimal(1)), ("USDT", Decimal(1))]


def test_the_savings_balance_is_read_with_its_earnings() -> None:
    (savings,) = [read for read in READS if read.wallet == "savings"]
    assert savings.method == "privateGetFinanceSavingsBalance"
    assert list(savings.rows(_documented("savings_balance.docs.json"))) == [("USDT", Decimal("11.0010737453457821"))]


async def test_the_emulated_bills_answer_in_the_documented_shape(okx: OkxEmulator) -> None:
    documented = _documented("bills_archive.docs.json")
    emulated = {"code": "0", "msg": "", "data": [r.bill for r in okx.book.derivatives.rows]}
    assert len(emulated["data"]) == 12
    assert shape_differences(documented, emulated) == []


async def test_the_three_month_reach_of_funding_fees_is_told_only_to_an_account_that_held_swaps_before_it(
    okx: OkxEmulator,
) -> None:
    """Synced from 200 days back: funding fees before the 90 days bills-archive keeps are a gap only if a swap was
    traded in those months (a fills-history request tells); the script's swaps are 40 and 30 days old."""
    since = datetime.now(UTC) - timedelta(days=200)

    async def funding_gaps(fetcher: Any) -> list[str]:
        report = FetchReport()
        async for _ in fetcher.fetch(Endpoint.FUNDING, since=since, until=datetime.now(UTC), cursors={}, report=report):
            pass
        return [g.reason.id for g in report.gaps]

    async with okx_client(okx) as client:
        assert await funding_gaps(fetcher_for(get_profile("okx"), client)) == []
        script = okx.book.derivatives
        old_swap = Fill(120, "swap", "buy", "1", "50000", "-0.25", "settle")
        now = okx.clock.now_ms()
        script.rows = (
            script.fill_row(old_swap, now - 120 * DAY_MS, str(int(script.rows[0].bill_id) - 1)),
            *script.rows,
        )
        # The gap is kept and handed to OKX's quarterly archive (archive.py), which is still preparing the files.
        assert await funding_gaps(fetcher_for(get_profile("okx"), client)) == ["sync.gap.okx.archive_preparing"]


async def test_option_instruments_are_asked_for_by_family_as_okx_requires(okx: OkxEmulator) -> None:
    """Get instruments: "If instType is OPTION, either uly or instFamily is required"; the sync's option fill read
    0.02 BTC above only because the fetcher named the family (BTC-USD) and so learned the 0.01 BTC contract."""
    async with okx_client(okx) as client:
        with pytest.raises(ccxt.BadRequest, match="50014"):
            await client.publicGetPublicInstruments({"instType": "OPTION"})
        listed = await client.publicGetPublicInstruments({"instType": "OPTION", "instFamily": "BTC-USD"})
        assert [(i["ctVal"], i["ctValCcy"], i["settleCcy"]) for i in listed["data"]] == [("0.01", "BTC", "BTC")]


def test_an_expired_future_is_sized_as_its_listed_family() -> None:
    """An expired future is no longer in the instruments list: its fill is sized as the family's listed future
    (0.1 ETH a contract), not as one ETH a contract."""
    rows = DerivativeRows(_Codes())
    listed = {"instId": "ETH-USDT-270326", "ctVal": "0.1", "ctMult": "1", "ctValCcy": "ETH", "settleCcy": "USDT"}
    rows.contracts["ETH-USDT-270326"] = listed_contract(listed)
    fill = {"instType": "FUTURES", "instId": "ETH-USDT-250328", "tradeId": "7", "fillSz": "5", "fillPx": "3000"}
    record, _ = rows.fill({**fill, "side": "buy", "fee": "-0.3", "feeCcy": "USDT", "ts": "1740000000000"})
    assert record is not None
    assert (record.market, record.amount, record.quote_amount) == (
        "ETH/USDT:USDT-250328",
        Decimal("0.5"),
        Decimal(1500),
    )


class _Loans(_Codes):
    """Borrow/repay history as OKX pages it: newest first, `after` includes its own ts; bills answer no rows."""

    def __init__(self, rows: list[dict[str, str]]) -> None:
        self.rows = rows
        self.afters: list[Any] = []  # the `after` of each request

    async def privateGetAccountSpotBorrowRepayHistory(self, params: dict[str, Any]) -> dict[str, Any]:
        after = params.get("after")
        self.afters.append(after)
        chosen = [r for r in self.rows if after is None or int(r["ts"]) <= int(after)]
        return {"code": "0", "msg": "", "data": sorted(chosen, key=lambda r: -int(r["ts"]))[: int(params["limit"])]}

    async def privateGetAccountBillsArchive(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"code": "0", "msg": "", "data": []}


async def test_loans_page_with_an_after_that_includes_its_own_time_and_take_every_row_once() -> None:
    now = int(datetime.now(UTC).timestamp() * 1000)
    times = (now - 5_000, now - 5_000, now - 6_000, now - 6_000, now - 7_000)
    rows = [
        {"ccy": "USDT", "type": "manual_borrow", "amt": str(n + 1), "accBorrowed": "0", "ts": str(ts)}
        for n, ts in enumerate(times)
    ]
    profile = get_profile("okx")
    small = dataclasses.replace(
        profile, endpoints=tuple(dataclasses.replace(s, page_size=3) for s in profile.endpoints)
    )
    client = _Loans(rows)
    records: list[NormalizedRecord] = []
    async for page in OkxFetcher(small, client).fetch(
        # From a day back: the interest bills' three months cover it, so no quarterly archive is asked for.
        Endpoint.MARGIN_LOANS,
        since=datetime.now(UTC) - timedelta(days=1),
        until=datetime.now(UTC),
        cursors={},
        report=FetchReport(),
    ):
        records += page.records
    assert sorted(r.amount for r in records) == [1, 2, 3, 4, 5]  # each once, both rows of a shared ms included
    # Pages of three: the newest; from the time its last row shares with the next (that row skipped); the rest.
    assert client.afters == [None, now - 6_000, now - 7_000]
