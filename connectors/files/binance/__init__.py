"""Binance exports: the Transaction History statement, trade and order histories, deposit and withdrawal histories.

Layouts and their sources are listed in docs/FILE-FORMATS.md.
"""

from connectors.files.binance.history import HISTORY_FORMATS
from connectors.files.binance.orders import ORDER_FORMATS
from connectors.files.binance.screens import SCREEN_FORMATS
from connectors.files.binance.statement import STATEMENT_FORMATS
from connectors.files.formats import FileFormat

FORMATS: tuple[FileFormat, ...] = (*STATEMENT_FORMATS, *SCREEN_FORMATS, *ORDER_FORMATS, *HISTORY_FORMATS)

__all__ = ["FORMATS"]
