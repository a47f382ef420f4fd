"""HTX's spot trade history in the Chinese layout docs/FILE-FORMATS.md names, built from the source's example header
with rows written by hand: exact UTC records from HTX's UTC+8, the fee in the coin its cell names, other trade
types skipped."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from connectors.files import UnknownFormat, WrongExchange, parse
from connectors.files.formats import ParsedRecord
from i18n import Text, t
from tests.files.samples import csv_bytes

D = Decimal
HEADER = ["时间", "交易类型", "交易对", "方向", "价格", "数量", "成交额", "手续费"]


def summary(p: ParsedRecord) -> tuple[object, ...]:
    r = p.record
    return (r.occurred_at, r.asset, r.amount, r.side, r.quote_asset, r.quote_amount, r.price, r.fee_asset, r.fee_amount)


def test_the_chinese_trade_history_is_read_in_utc_plus_8_with_each_fee_in_its_coin() -> None:
    # The source's example rows (a trailing empty cell included), and a row of another type.
    rows = [
        HEADER,
        [
            "2021-02-24 09:56:20",
            "币币交易",
            "BTC/USDT",
            "卖出",
            "49850.00",
            "0.000108",
            "5.38380000",
            "0.01076760USDT",
            "",
        ],
        [
            "2021-02-23 20:36:17",
            "币币交易",
            "BTC1S/USDT",
            "买入",
            "1.2252",
            "4.5760",
            "5.60652159",
            "0.00915201BTC1S",
            "",
        ],
        [
            "2021-02-23 20:32:37",
            "币币交易",
            "BTC/USDT",
            "买入",
            "45999.00",
            "0.000304",
            "13.98369600",
            "0.00000060BTC",
            "",
        ],
        ["2021-02-23 20:00:00", "杠杆交易", "BTC/USDT", "买入", "45000.00", "0.001", "45", "0.00000200BTC", ""],
    ]
    parsed = parse("huobi records.csv", csv_bytes(rows), exchange_id="htx", user_timezone="Europe/Berlin")
    assert parsed.rejected == []
    assert parsed.format.name == "htx-trades"
    assert parsed.zone_note is None  # HTX's zone is known: the user's is not assumed
    assert [summary(p) for p in parsed.records] == [
        (
            datetime(2021, 2, 24, 1, 56, 20, tzinfo=UTC),
            "BTC",
            D("0.000108"),
            "sell",
            "USDT",
            D("5.38380000"),
            D("49850.00"),
            "USDT",
            D("0.01076760"),
        ),
        (
            datetime(2021, 2, 23, 12, 36, 17, tzinfo=UTC),
            "BTC1S",
            D("4.5760"),
            "buy",
            "USDT",
            D("5.60652159"),
            D("1.2252"),
            "BTC1S",
            D("0.00915201"),
        ),
        (
            datetime(2021, 2, 23, 12, 32, 37, tzinfo=UTC),
            "BTC",
            D("0.000304"),
            "buy",
            "USDT",
            D("13.98369600"),
            D("45999.00"),
            "BTC",
            D("0.00000060"),
        ),
    ]
    assert dict(parsed.skip_reasons) == {Text.of("file.skip.not_spot", type="杠杆交易"): 1}


def test_a_zero_fee_is_no_fee_and_a_bare_fee_is_in_the_coin_received() -> None:
    rows = [
        HEADER,
        ["2021-03-01 08:00:00", "币币交易", "ETH/USDT", "买入", "1500", "2", "3000", "0ETH"],
        ["2021-03-01 09:00:00", "币币交易", "ETH/USDT", "卖出", "1600", "1", "1600", "3.2"],
    ]
    parsed = parse("trades.csv", csv_bytes(rows), exchange_id="htx")
    assert [(p.record.fee_asset, p.record.fee_amount) for p in parsed.records] == [(None, None), ("USDT", D("3.2"))]


def test_an_unknown_htx_file_says_what_htx_file_is_read() -> None:
    rows = [["时间", "币种", "类型", "数量"], ["2021-03-01 08:00:00", "USDT", "充币", "5"]]
    with pytest.raises(UnknownFormat) as refused:
        parse("huobi deposits.csv", csv_bytes(rows))
    assert t("file.unknown.looks_like_htx") in str(refused.value)


def test_an_htx_file_on_a_mexc_account_is_refused() -> None:
    rows = [HEADER, ["2021-03-01 08:00:00", "币币交易", "ETH/USDT", "买入", "1500", "2", "3000", "0.002ETH"]]
    with pytest.raises(WrongExchange, match="HTX"):
        parse("huobi.csv", csv_bytes(rows), exchange_id="mexc")
