"""Gate history: the windowed walks (fetcher.py) and the rows read as records (rows.py).

Rules and their sources: docs/exchange-apis/gate.md.
"""

from connectors.fetchers.gate.fetcher import GateFetcher
from connectors.fetchers.gate.ranges import GATE_OPENED

__all__ = ["GATE_OPENED", "GateFetcher"]
