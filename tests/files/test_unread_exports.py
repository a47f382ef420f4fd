"""Exports of exchanges whose files Tallybot cannot read yet (Gate's account book, BigONE's) are refused with a
sentence naming the exchange and what to do instead, not only the list of known formats."""

from __future__ import annotations

import pytest

from connectors.files import UnknownFormat, parse
from i18n import t
from tests.files.samples import csv_bytes


@pytest.mark.parametrize(
    ("name", "rows", "advice"),
    [
        (
            # Gate's account book as BittyTax reads it (`gateio.py`).
            "history.csv",
            [
                ["no", "time", "action_desc", "action_data", "type", "change_amount", "amount", "total"],
                ["1", "2024-01-05 12:00:00", "Deposits", "123", "USDT", "100", "100", "100 USDT"],
            ],
            "file.unknown.looks_like_gate",
        ),
        (
            "BigONE trades.csv",
            [["Time", "Market", "Side", "Price", "Amount"], ["2024-01-05 12:00:00", "BTC-USDT", "BID", "1", "1"]],
            "file.unknown.looks_like_bigone",
        ),
    ],
    ids=["gate", "bigone"],
)
def test_an_export_tallybot_cannot_read_yet_is_refused_with_its_exchange_named(
    name: str, rows: list[list[str]], advice: str
) -> None:
    with pytest.raises(UnknownFormat) as refused:
        parse(name, csv_bytes(rows))
    assert t(advice) in str(refused.value)
