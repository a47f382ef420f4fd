"""Kraken's ledgers.csv and trades.csv, each layout docs/FILE-FORMATS.md lists, built from its documented header with
rows written by hand: exact records keyed on Kraken's own ids (the keys the API sync stores)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from connectors.files import UnknownFormat, WrongExchange, currency_codes, parse
from connectors.files.formats import ParsedRecord
from i18n import Text, render, t
from tests.files.samples import csv_bytes

D = Decimal
LEDGER_V1 = ["txid", "refid", "time", "type", "subtype", "aclass", "asset", "amount", "fee", "balance"]
LEDGER_V2 = [
    "txid",
    "refid",
    "time",
    "type",
    "subtype",
    "aclass",
    "subclass",
    "asset",
    "wallet",
    "amount",
    "fee",
    "balance",
]
TRADES_V1 = [
    "txid",
    "ordertxid",
    "pair",
    "time",
    "type",
    "ordertype",
    "price",
    "cost",
    "fee",
    "vol",
    "margin",
    "misc",
    "ledgers",
]
TRADES_V2 = [*TRADES_V1, "postxid", "posstatus", "cprice", "ccost", "cfee", "cvol", "cmargin", "net", "trades"]


def summary(p: ParsedRecord) -> tuple[object, ...]:
    r = p.record
    return (
        r.natural_key,
        str(r.kind),
        r.occurred_at,
        r.asset,
        r.amount,
        r.side,
        r.quote_asset,
        r.quote_amount,
        r.price,
        r.fee_asset,
        r.fee_amount,
        p.keyed,
    )


def read(name: str, rows: list[list[str]]) -> list[tuple[object, ...]]:
    parsed = parse(name, csv_bytes(rows), exchange_id="kraken", currency_codes=currency_codes("kraken"))
    assert parsed.rejected == [], parsed.rejected
    return [summary(p) for p in sorted(parsed.records, key=lambda p: (p.line, p.record.natural_key))]


def ledger_rows(header: list[str]) -> list[list[str]]:
    def line(txid: str, refid: str, time: str, kind: str, subtype: str, asset: str, amount: str, fee: str) -> list[str]:
        cells = {
            "txid": txid,
            "refid": refid,
            "time": time,
            "type": kind,
            "subtype": subtype,
            "aclass": "currency",
            "subclass": "crypto",
            "asset": asset,
            "wallet": "spot / main",
            "amount": amount,
            "fee": fee,
            "balance": "1.0",
        }
        return [cells.get(column, "") for column in header]

    return [
        header,
        line(
            "LDEP01-AAAAA-AAAAAA",
            "QCCAAAA-BBBB",
            "2022-01-03 09:15:01.2345",
            "deposit",
            "",
            "ZEUR",
            "500.0000",
            "0.0000",
        ),
        # one trade: XBT bought for EUR, the fee on the EUR line; both lines share the trade's txid as refid
        line(
            "LTRA01-AAAAA-AAAAAA",
            "TXBT01-CCCCC-DDDDDD",
            "2022-01-04 10:00:00.9996",
            "trade",
            "",
            "XXBT",
            "0.0100000000",
            "0.0000000000",
        ),
        line(
            "LTRA02-AAAAA-AAAAAA",
            "TXBT01-CCCCC-DDDDDD",
            "2022-01-04 10:00:00.9996",
            "trade",
            "",
            "ZEUR",
            "-385.1200",
            "0.6162",
        ),
        line(
            "LSTK01-AAAAA-AAAAAA",
            "STHFSYV-COKEV",
            "2022-02-01 00:30:00",
            "staking",
            "",
            "DOT.S",
            "0.0375000000",
            "0.0000000000",
        ),
        line(
            "LWDR01-AAAAA-AAAAAA",
            "ACCLA5E-MDEVBE",
            "2022-03-05 18:20:10",
            "withdrawal",
            "",
            "XXBT",
            "-0.0050000000",
            "0.0001500000",
        ),
        line(
            "LTRF01-AAAAA-AAAAAA",
            "BOG2IJX-HLEFKV",
            "2022-03-06 08:00:00",
            "transfer",
            "spottofutures",
            "XXBT",
            "-0.0010000000",
            "0.0000000000",
        ),
        # a Buy Crypto convert: a spend and a receive line, each a convert leg going out or in (as the sync does)
        line("LSPD01-AAAAA-AAAAAA", "RQWE01-ZZZZ", "2022-04-01 12:00:00", "spend", "", "ZEUR", "-50.0000", "0.9900"),
        line(
            "LRCV01-AAAAA-AAAAAA",
            "RQWE01-ZZZZ",
            "2022-04-01 12:00:00",
            "receive",
            "",
            "SOL",
            "1.2000000000",
            "0.0000000000",
        ),
        line("", "FAILED-01", "2022-04-02 12:00:00", "withdrawal", "", "XXBT", "-1.0000000000", "0.0000000000"),
    ]


def expected_ledger() -> list[tuple[object, ...]]:
    return [
        # .2345 s is 234.5 ms: to the even millisecond, as the fetcher rounds the API's 1641201301.2345
        (
            "deposit:LDEP01-AAAAA-AAAAAA",
            "deposit",
            datetime(2022, 1, 3, 9, 15, 1, 234000, UTC),
            "EUR",
            D("500.0000"),
            None,
            None,
            None,
            None,
            None,
            None,
            True,
        ),
        (
            "trade:TXBT01-CCCCC-DDDDDD",
            "trade",
            datetime(2022, 1, 4, 10, 0, 1, 0, UTC),
            "BTC",
            D("0.0100000000"),
            "buy",
            "EUR",
            D("385.1200"),
            None,
            "EUR",
            D("0.6162"),
            True,
        ),
        (
            "reward:LSTK01-AAAAA-AAAAAA",
            "reward",
            datetime(2022, 2, 1, 0, 30, tzinfo=UTC),
            "DOT.S",
            D("0.0375"),
            None,
            None,
            None,
            None,
            None,
            None,
            True,
        ),
        (
            "withdrawal:LWDR01-AAAAA-AAAAAA",
            "withdrawal",
            datetime(2022, 3, 5, 18, 20, 10, tzinfo=UTC),
            "BTC",
            D("0.005"),
            None,
            None,
            None,
            None,
            "BTC",
            D("0.00015"),
            True,
        ),
        (
            "transfer:LTRF01-AAAAA-AAAAAA",
            "transfer",
            datetime(2022, 3, 6, 8, 0, tzinfo=UTC),
            "BTC",
            D("0.001"),
            "out",
            None,
            None,
            None,
            None,
            None,
            True,
        ),
        (
            "convert:LSPD01-AAAAA-AAAAAA",
            "convert",
            datetime(2022, 4, 1, 12, 0, tzinfo=UTC),
            "EUR",
            D("50"),
            "out",
            None,
            None,
            None,
            "EUR",
            D("0.99"),
            True,
        ),
        (
            "convert:LRCV01-AAAAA-AAAAAA",
            "convert",
            datetime(2022, 4, 1, 12, 0, tzinfo=UTC),
            "SOL",
            D("1.2"),
            "in",
            None,
            None,
            None,
            None,
            None,
            True,
        ),
    ]


@pytest.mark.parametrize("header", [LEDGER_V1, LEDGER_V2, [*LEDGER_V1, ""]], ids=["v1", "wallet", "trailing"])
def test_ledgers_csv_keeps_every_change_keyed_on_kraken_ids_and_pairs_the_two_lines_of_a_trade(
    header: list[str],
) -> None:
    assert read("ledgers.csv", ledger_rows(header)) == expected_ledger()
    parsed = parse("ledgers.csv", csv_bytes(ledger_rows(header)), exchange_id="kraken")
    assert parsed.format.name == "kraken-ledgers"
    assert parsed.skip_reasons == {Text.of("file.skip.kraken_failed"): 1}


def test_a_trade_line_without_its_other_side_is_skipped_not_stored_as_half_a_trade() -> None:
    rows = ledger_rows(LEDGER_V1)[:3]  # the deposit and the first line of the trade only
    parsed = parse("ledgers.csv", csv_bytes(rows), exchange_id="kraken")
    assert [p.record.natural_key for p in parsed.records] == ["deposit:LDEP01-AAAAA-AAAAAA"]
    assert parsed.skip_reasons == {Text.of("file.skip.kraken_half_trade"): 1}


@pytest.mark.parametrize("header", [TRADES_V1, TRADES_V2], ids=["v1", "positions"])
def test_trades_csv_reads_kraken_pair_ids_and_keys_each_trade_on_its_txid(header: list[str]) -> None:
    def trade(txid: str, pair: str, time: str, side: str, price: str, cost: str, fee: str, vol: str) -> list[str]:
        cells = dict(zip(header, [""] * len(header), strict=True))
        cells.update(
            txid=txid,
            ordertxid="OQCLML-BW3P3-BUCMWZ",
            pair=pair,
            time=time,
            type=side,
            ordertype="limit",
            price=price,
            cost=cost,
            fee=fee,
            vol=vol,
            margin="0.00000",
            misc="",
            ledgers="L1,L2",
        )
        return [cells[column] for column in header]

    rows = [
        header,
        trade(
            "TXBT01-CCCCC-DDDDDD",
            "XXBTZEUR",
            "2022-01-04 10:00:00.9996",
            "buy",
            "38512.0",
            "385.12000",
            "0.61619",
            "0.01000000",
        ),
        trade(
            "TETH01-CCCCC-DDDDDD",
            "XETHXXBT",
            "2022-05-01 07:08:09.1",
            "sell",
            "0.07001",
            "0.0070010",
            "0.0000182",
            "0.10000000",
        ),
        trade(
            "TXTZ01-CCCCC-DDDDDD", "XTZEUR", "2022-06-01 00:00:00", "buy", "1.50", "15.00000", "0.03900", "10.00000000"
        ),
        trade(
            "TSOL01-CCCCC-DDDDDD",
            "SOLUSDT",
            "2023-06-01 00:00:00",
            "sell",
            "20.00",
            "40.00000",
            "0.10400",
            "2.00000000",
        ),
    ]
    assert read("trades.csv", rows) == [
        (
            "trade:TXBT01-CCCCC-DDDDDD",
            "trade",
            datetime(2022, 1, 4, 10, 0, 1, tzinfo=UTC),
            "BTC",
            D("0.01"),
            "buy",
            "EUR",
            D("385.12"),
            D("38512"),
            "EUR",
            D("0.61619"),
            True,
        ),
        (
            "trade:TETH01-CCCCC-DDDDDD",
            "trade",
            datetime(2022, 5, 1, 7, 8, 9, 100000, UTC),
            "ETH",
            D("0.1"),
            "sell",
            "BTC",
            D("0.007001"),
            D("0.07001"),
            "BTC",
            D("0.0000182"),
            True,
        ),
        (
            "trade:TXTZ01-CCCCC-DDDDDD",
            "trade",
            datetime(2022, 6, 1, tzinfo=UTC),
            "XTZ",
            D("10"),
            "buy",
            "EUR",
            D("15"),
            D("1.5"),
            "EUR",
            D("0.039"),
            True,
        ),
        (
            "trade:TSOL01-CCCCC-DDDDDD",
            "trade",
            datetime(2023, 6, 1, tzinfo=UTC),
            "SOL",
            D("2"),
            "sell",
            "USDT",
            D("40"),
            D("20"),
            "USDT",
            D("0.104"),
            True,
        ),
    ]


def test_a_kraken_file_on_another_exchange_account_is_refused_by_name() -> None:
    with pytest.raises(WrongExchange) as refused:
        parse("ledgers.csv", csv_bytes(ledger_rows(LEDGER_V1)), exchange_id="binance")
    assert "Kraken" in render(refused.value.text)


def test_an_unknown_kraken_file_says_which_export_to_download_instead() -> None:
    rows = [
        ["txid", "refid", "time", "type", "aclass", "asset", "amount"],
        ["L1", "R1", "2022-01-01", "x", "c", "A", "1"],
    ]
    with pytest.raises(UnknownFormat) as refused:
        parse("kraken_ledgers_partial.csv", csv_bytes(rows))
    assert t("file.unknown.looks_like_kraken") in render(refused.value.text)


def test_a_fee_taken_on_a_line_of_its_own_in_another_coin_is_a_fee_record() -> None:
    rows = [
        LEDGER_V1,
        [
            "LT1",
            "TETH02-CCCCC-DDDDDD",
            "2022-05-01 07:08:09",
            "trade",
            "",
            "currency",
            "XETH",
            "-0.1000000000",
            "0.0000000000",
            "1",
        ],
        [
            "LT2",
            "TETH02-CCCCC-DDDDDD",
            "2022-05-01 07:08:09",
            "trade",
            "",
            "currency",
            "ZUSD",
            "300.0000",
            "0.7800",
            "1",
        ],
        # Kraken fee credits (KFEE) pay the fee of the same trade on a third line with no amount
        ["LT3", "TETH02-CCCCC-DDDDDD", "2022-05-01 07:08:09", "trade", "", "currency", "KFEE", "0.00", "52.00", "1"],
    ]
    when = datetime(2022, 5, 1, 7, 8, 9, tzinfo=UTC)
    assert read("ledgers.csv", rows) == [
        (
            "trade:TETH02-CCCCC-DDDDDD",
            "trade",
            when,
            "ETH",
            D("0.1"),
            "sell",
            "USD",
            D("300"),
            None,
            "USD",
            D("0.78"),
            True,
        ),
        # Its own FEE, keyed by its ledger id, taking the 52 KFEE the balance check counts.
        ("fee:LT3", "fee", when, "KFEE", D("-52"), None, None, None, None, None, None, True),
    ]
