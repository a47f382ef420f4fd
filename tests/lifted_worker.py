"""`python -m tests.lifted_worker worker`: `tallybot worker` as it runs for an operator, except that its Binance
fetcher paces the per-account (UID) budget to the lifted one the test's emulator grants — what in-process tests do
with `services.sync.fetcher_options`. Without it a whole-history withdrawal walk (about 40 windows from 2017, 18,000
of 180,000 weight each) waits out four minutes of budget, and the story is the scan, not that wait."""

from __future__ import annotations

import sys
from typing import Any

from bot.cli import main
from bot.sync import SyncService

LIFTED_UID_WEIGHT = 10**8  # the emulator's BinanceLimits(sapi_uid_weight_per_minute=...) in the tests using this

_opened = SyncService.__init__


def _lifted(self: SyncService, *args: Any, **kwargs: Any) -> None:
    _opened(self, *args, **kwargs)
    self.fetcher_options.setdefault("binance", {})["uid_weight_per_minute"] = LIFTED_UID_WEIGHT


if __name__ == "__main__":
    SyncService.__init__ = _lifted  # type: ignore[method-assign]
    sys.exit(main())
