"""Every file in ../shared/real-exports/ (real exports from public projects' tests, and files built from them in the
byte layouts exchanges ship) is read with every record exact, or refused with a message naming what it is.

The folder is enumerated: a file added later without an expectation here fails the test, so it is looked at.
Expected records are written by hand from the files (the sums and signs are worked out in the comments).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from bot.imports import ImportService
from connectors.files import parse
from connectors.files.formats import ParsedRecord
from db.engine import Database
from db.repositories import IntegrationRepository, TransactionRepository, UserRepository

FOLDER = Path(__file__).resolve().parents[3] / "shared" / "real-exports"
D = Decimal


def at(text: str, offset_hours: int = 0) -> datetime:
    wall = datetime.fromisoformat(text).replace(tzinfo=timezone(timedelta(hours=offset_hours)))
    return wall.astimezone(UTC)


@dataclass(frozen=True)
class R:
    """One expected record; None fields must be None in the record too."""

    kind: str
    when: datetime
    asset: str
    amount: Decimal
    side: str | None = None
    quote: str | None = None
    quote_amount: Decimal | None = None
    price: Decimal | None = None
    fee_asset: str | None = None
    fee: Decimal | None = None


def trade(when: datetime, asset: str, amount: str, side: str, quote: str, quote_amount: str, price: str | None,
          fee_asset: str | None, fee: str | None) -> R:  # fmt: skip
    return R("trade", when, asset, D(amount), side, quote, D(quote_amount), D(price) if price else None,
             fee_asset, D(fee) if fee else None)  # fmt: skip


def single(kind: str, when: datetime, asset: str, amount: str, side: str | None = None) -> R:
    return R(kind, when, asset, D(amount), side)


def seen(parsed: ParsedRecord) -> R:
    r = parsed.record
    return R(str(r.kind), r.occurred_at, r.asset, r.amount, r.side, r.quote_asset, r.quote_amount, r.price,
             r.fee_asset, r.fee_amount)  # fmt: skip


BINANCE_V001 = (
    "binance-trades-legacy",
    [
        trade(at("2020-02-04 16:19:07"), "LTC", "1.61", "buy", "BTC", "0.01190273", "0.007393", "LTC", "0.00161"),
        trade(at("2020-02-04 16:18:30"), "LTC", "0.96", "sell", "BTC", "0.00708864", "0.007384", "BTC", "0.00000709"),
    ],
)
# One record per fill sub-row (the API lists fills, not orders); pair and side from the order row above.
BINANCE_V002 = (
    "binance-orders",
    [
        trade(
            at("2020-03-19 17:02:52"), "BTC", "0.041600", "buy", "USDT", "259.43382400", "6236.39", "BNB", "0.01612653"
        ),
        trade(
            at("2020-03-19 16:07:38"), "BTC", "0.092957", "sell", "USDT", "548.88133876", "5904.68", "BNB", "0.03640176"
        ),
        trade(
            at("2020-03-19 16:07:38"), "BTC", "0.047943", "sell", "USDT", "283.08471723", "5904.61", "BNB", "0.01877415"
        ),
    ],
)


def statement(offset: int) -> list[R]:
    """pit-38's statement: Deposit; Binance Convert (+0.002 BTC, −500 PLN); Transaction Buy 0.001 BTC, Fee
    −0.000001 BTC, Spend −200.0 PLN (no price column: none is stored)."""
    return [
        single("deposit", at("2024-01-10 10:00:00", offset), "PLN", "1000"),
        R("convert", at("2024-01-15 12:00:00", offset), "BTC", D("0.002"), "buy", "PLN", D("500")),
        trade(at("2024-01-20 14:30:00", offset), "BTC", "0.001", "buy", "PLN", "200.0", None, "BTC", "0.000001"),
    ]


BYBIT_FUND = [
    single("reward", at("2026-06-10 05:09:23"), "BTC", "0.0003784817"),  # Airdrop Bonus
    single("transfer", at("2026-06-05 08:18:57"), "EUR", "17", "out"),  # to the Unified Trading Account
    single("deposit", at("2026-06-05 08:16:17"), "EUR", "17.43"),
    single("deposit", at("2026-06-05 07:26:43"), "BTC", "0.00029379", "card purchase"),  # Buy Crypto with Card
]
# Bybit's unified account log: a trade is a row per coin, same time, contract and direction; the quote row's
# Quantity is the value, and "Fee Paid" (negative) is the fee in that row's coin.
BYBIT_UTA = [
    trade(at("2026-06-05 08:22:50"), "BTC", "0.00003", "sell", "EUR", "1.615287", "53842.9", "EUR", "0.0040382175"),
    trade(at("2026-06-05 08:22:38"), "BTC", "0.00002", "sell", "EUR", "1.077462", "53873.1", "EUR", "0.002693655"),
    trade(at("2026-06-05 08:22:20"), "BTC", "0.00007", "buy", "EUR", "3.771152", "53873.6", "BTC", "0.000000175"),
    trade(at("2026-06-05 08:21:02"), "BTC", "0.00002", "sell", "EUR", "1.07573", "53786.5", "EUR", "0.002689325"),
    trade(at("2026-06-05 08:19:22"), "BTC", "0.00009", "buy", "EUR", "4.839777", "53775.3", "BTC", "0.000000225"),
    single("transfer", at("2026-06-05 08:18:56"), "EUR", "17", "in"),  # TRANSFER_IN: Cash Flow 17
]
# OKEx 2020: Amount signed (+ buy), Total and Fee with their unit; the fee is written negative.
OKEX_V001 = (
    "okex-trades-2020",
    [
        trade(
            at("2020-09-25 17:27:02"),
            "LTC",
            "2.273693",
            "buy",
            "USDT",
            "104.976405810000002816",
            "46.17",
            "LTC",
            "0.0034105395",
        ),
        trade(
            at("2020-09-25 17:00:01"),
            "LTC",
            "2.291153",
            "sell",
            "USDT",
            "105.141011169999998742",
            "45.89",
            "USDT",
            "0.10514101117",
        ),
    ],
)


def okx_ada(amount: str, value: str, price: str, fee: str) -> R:
    """A sell fill of order 2968045184406282240: the EUR row's Balance Change is net of its Fee."""
    return trade(at("2025-10-20 10:43:59", 8), "ADA", amount, "sell", "EUR", value, price, "EUR", fee)


EXPECTED: dict[str, tuple[str, list[R]]] = {
    "real/everytrade/binance_v001.csv": BINANCE_V001,
    "samples/binance/binance_v001.csv": BINANCE_V001,
    "real/everytrade/binance_v002.csv": BINANCE_V002,
    "samples/binance/binance_v002.csv": BINANCE_V002,
    "real/pit-38/binance_transaction_history.csv": ("binance-statement-2026", statement(0)),
    "samples/binance/Binance-Transaction-History-202608111215(UTC+9).csv": (
        "binance-statement-2026",
        [
            *statement(9),
            single("withdrawal", at("2026-01-06 14:00:00", 9), "BTC", "0.005"),  # the fee is included
            single("reward", at("2026-01-07 15:00:00", 9), "USDT", "0.12"),  # Simple Earn Flexible Interest
        ],
    ),
    "real/everytrade/bybiteu_fund_v001.csv": ("bybit-deposits-withdrawals", BYBIT_FUND),
    "samples/bybit/AssetChangeDetails_fund_567248024_20260601_20260630_0.csv": (
        "bybit-deposits-withdrawals",
        [
            *BYBIT_FUND,
            single("reward", at("2026-06-11 00:41:47"), "USDT", "0.103"),  # Easy Earn interest
            single("withdrawal", at("2026-06-12 09:00:00"), "BTC", "0.0003"),
        ],
    ),
    "real/everytrade/bybiteu_uta_v001.csv": ("bybit-account-changes", BYBIT_UTA),
    "samples/bybit/AssetChangeDetails_uta_567248024_20260601_20260630_0.csv": ("bybit-account-changes", BYBIT_UTA),
    "real/everytrade/okex_v001_M.csv": OKEX_V001,
    "samples/okx/okex_v001_M.csv": OKEX_V001,
    "samples/okx/OKX Funding History_2025-10-01~2025-10-31~UTC+8~1.csv": (
        "okx-funding",
        [
            single("withdrawal", at("2025-10-31 11:55:15", 8), "BTC", "0.01147863"),
            single("deposit", at("2025-10-31 11:54:20", 8), "BTC", "0.0001"),
            single("reward", at("2025-10-30 09:00:00", 8), "USDT", "5"),  # Received
            single("reward", at("2025-10-30 10:00:00", 8), "USDT", "0.12345678"),  # Fee rebate
            single("transfer", at("2025-10-30 11:00:00", 8), "USDT", "5.12345678", "out"),
        ],
    ),
    # Fills are the pairs of rows with consecutive ids (…672/…673 and so on), one record each, also the two
    # identical fills …678/…679 and …680/…681 (149.291 ADA at 0.5749), as the API lists them.
    "samples/okx/OKX Trading History_2025-10-01~2025-10-31~UTC+8~1.csv": (
        "okx-trading",
        [
            # Buy BTC: Balance Change 0.06420284 net of Fee −0.00016091 → 0.06436375 bought.
            trade(
                at("2025-10-20 10:44:26", 8),
                "BTC",
                "0.06436375",
                "buy",
                "EUR",
                "6131.599771",
                "95264.8",
                "BTC",
                "0.00016091",
            ),
            okx_ada("149.291", "85.8273959", "0.5749", "0.21456849"),  # lines 5/6
            okx_ada("149.291", "85.8273959", "0.5749", "0.21456849"),  # lines 7/9
            okx_ada("1119.0986", "643.70551472", "0.5752", "1.60926379"),  # lines 8/15
            okx_ada("1585.3896", "911.59902", "0.5750", "2.27899755"),  # lines 10/13
            okx_ada("1554.1592", "893.33070816", "0.5748", "2.23332677"),  # lines 11/14
            okx_ada("2051.6807", "1179.51123443", "0.5749", "2.94877809"),  # lines 12/16
            single("transfer", at("2025-10-20 11:37:10", 8), "BTC", "0.0502876", "out"),
        ],
    ),
    # No zone in this file: read in the user's (UTC here). Sell 0.02378815 BTC; USDT change 717.8274083 net of
    # the fee −0.5747217 → 718.40213.
    "samples/okx/OKX_trading_19col_no_preamble.csv": (
        "okx-trading",
        [
            trade(
                at("2023-07-07 13:30:24"),
                "BTC",
                "0.02378815",
                "sell",
                "USDT",
                "718.40213",
                "30200",
                "USDT",
                "0.5747217",
            )
        ],
    ),
}
REFUSED: dict[str, str] = {}  # file → words its refusal must contain (no layout in the folder is refused today)


def export_files() -> list[str]:
    return sorted(str(p.relative_to(FOLDER)) for p in FOLDER.rglob("*") if p.is_file() and p.name != "README.md")


def test_the_folder_is_there() -> None:
    assert export_files(), f"no export files under {FOLDER}"


@pytest.mark.parametrize("name", export_files())
def test_every_export_file_is_read_exactly(name: str) -> None:
    data = (FOLDER / name).read_bytes()
    if name in REFUSED:
        with pytest.raises(Exception) as refused:
            parse(Path(name).name, data, user_timezone="UTC")
        assert REFUSED[name] in str(refused.value)
        return
    assert name in EXPECTED, f"{name} is new: write its records by hand into EXPECTED (or REFUSED)"
    format_name, records = EXPECTED[name]
    result = parse(Path(name).name, data, user_timezone="UTC")
    assert result.format.name == format_name
    assert result.rejected == []
    assert result.skip_reasons == {}
    assert [seen(p) for p in sorted(result.records, key=lambda p: p.line)] == records


# One file of each exchange, uploaded twice by a user to an account of that exchange.
UPLOADS = {
    "binance": "samples/binance/Binance-Transaction-History-202608111215(UTC+9).csv",
    "bybit": "real/everytrade/bybiteu_uta_v001.csv",
    "okx": "samples/okx/OKX Trading History_2025-10-01~2025-10-31~UTC+8~1.csv",
}


@pytest.mark.parametrize("exchange", sorted(UPLOADS))
async def test_an_uploaded_export_stores_every_record_once_and_a_second_upload_adds_nothing(
    database: Database, exchange: str
) -> None:
    name = UPLOADS[exchange]
    async with database.writer() as session:
        owner = await UserRepository(session).ensure(4242)
        integration = await IntegrationRepository(session).add(
            user_id=owner.id, exchange_id=exchange, account_name="Main"
        )
        integration_id = integration.id
    service = ImportService(database)
    data = (FOLDER / name).read_bytes()

    first = await service.import_file(4242, integration_id, Path(name).name, data)
    second = await service.import_file(4242, integration_id, Path(name).name, data)

    expected = len(EXPECTED[name][1])
    assert (first.new, first.already_known, first.rejected_total) == (expected, 0, 0)
    assert (second.new, second.already_known) == (0, expected)
    async with database.reader() as session:
        rows = list(await TransactionRepository(session).for_integration(integration_id))
    assert sorted((r.kind, r.asset, r.amount) for r in rows) == sorted(
        (r.kind, r.asset, r.amount) for r in EXPECTED[name][1]
    )
