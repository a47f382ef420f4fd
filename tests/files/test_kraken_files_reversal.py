"""A failed withdrawal in Kraken's ledgers.csv, as BittyTax issue #287 quotes it from a live export: the upload stores
it as the API sync does (a withdrawal, then the money back as a deposit), under the same keys, so an upload after a
sync adds nothing twice."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from connectors.files import currency_codes, parse
from tests.files.samples import csv_bytes

HEADER = ["txid", "refid", "time", "type", "subtype", "aclass", "asset", "amount", "fee", "balance"]
# The reporter's two rows (its refid column left empty, as the quoted rows leave it out).
ROWS = [
    ["BLA-BLA-1", "", "2023-01-01 12:00:00", "withdrawal", "", "currency", "ZEUR", "-4.9100", "0.0900", "0.004"],
    ["BLA-BLA-2", "", "2023-01-01 12:01:00", "withdrawal", "", "currency", "ZEUR", "4.9100", "-0.0900", "5.004"],
]


def test_the_reversal_of_a_failed_withdrawal_is_the_money_coming_back() -> None:
    parsed = parse(
        "ledgers.csv", csv_bytes([HEADER, *ROWS]), exchange_id="kraken", currency_codes=currency_codes("kraken")
    )
    assert parsed.rejected == []
    got = sorted(
        (p.record.natural_key, str(p.record.kind), p.record.occurred_at, p.record.asset, p.record.amount,
         p.record.fee_asset, p.record.fee_amount)
        for p in parsed.records
    )  # fmt: skip
    # 4.91 EUR sent with a 0.09 fee; then 4.91 + 0.09 = 5.00 EUR back (balance 0.004 -> 5.004), no fee.
    assert got == [
        ("deposit:BLA-BLA-2", "deposit", datetime(2023, 1, 1, 12, 1, tzinfo=UTC), "EUR", Decimal("5.0000"), None, None),
        (
            "withdrawal:BLA-BLA-1", "withdrawal", datetime(2023, 1, 1, 12, 0, tzinfo=UTC), "EUR", Decimal("4.9100"),
            "EUR", Decimal("0.0900"),
        ),
    ]  # fmt: skip
