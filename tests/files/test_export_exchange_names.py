"""An export names each account's exchange as the exchange writes its own name, in every tax format.

Japanese exchanges write theirs in lower case or with an inner capital ("bitFlyer", "bitbank", "GMO Coin"); a name
made by capitalising the id ("Bitflyer", "Gmocoin") is not a name a tax tool or its user knows.
"""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from bot.exports import ExportFormat, ExportService
from connectors.records import NormalizedRecord, RecordKind, natural_key
from db.engine import Database
from tests.files.test_imports import USER, account, store_api

WHEN = datetime(2025, 6, 1, 9, 30, tzinfo=UTC)
# The exchange id Tallybot stores -> the name on the exchange's own site, written by hand.
OWN_NAMES = {"bitflyer": "bitFlyer", "bitbank": "bitbank", "gmocoin": "GMO Coin", "kucoin": "KuCoin"}
# Where each format writes the exchange: Tallybot's CSV its `exchange` column; Koinly its Description, which starts
# with the exchange's name; Cryptact its Source.
EXCHANGE_CELLS: dict[ExportFormat, str] = {"tallybot": "exchange", "koinly": "Description", "cryptact": "Source"}


def reward(number: int) -> NormalizedRecord:
    """A reward: a row in every format (Cryptact's file holds no deposits or withdrawals)."""
    return NormalizedRecord(
        RecordKind.REWARD, WHEN, natural_key(RecordKind.REWARD, f"r-{number}"), "BTC", Decimal("0.01"),
        exchange_tx_id=f"r-{number}",
    )  # fmt: skip


async def test_every_format_names_the_exchange_as_it_names_itself(database: Database, tmp_path: Path) -> None:
    for number, exchange in enumerate(OWN_NAMES, start=1):
        integration = await account(database, exchange=exchange, name=f"account-{number}")
        await store_api(database, integration, [reward(number)])
    service = ExportService(database)
    for fmt, column in EXCHANGE_CELLS.items():
        path = tmp_path / f"{fmt}.csv"
        await service.export(USER, fmt=fmt, path=path)
        with path.open(encoding="utf-8", newline="") as handle:
            cells = [row[column] for row in csv.DictReader(handle)]
        assert len(cells) == len(OWN_NAMES), (fmt, cells)
        for name in OWN_NAMES.values():
            assert any(cell == name or cell.startswith(f"{name} ") for cell in cells), (fmt, name, cells)
        assert not any(cell.startswith(("Bitflyer", "Bitbank", "Gmocoin", "Kucoin")) for cell in cells), (fmt, cells)
