"""The sync engine stands on its own: it reads what file imports stored through a repository, and never imports the
upload service (bot/imports.py), which is a use case beside it, not below it."""

from __future__ import annotations

from tests.test_architecture import all_arrows


def test_the_sync_engine_does_not_import_the_upload_service() -> None:
    arrows = [
        f"{a.importer}:{a.line} imports {a.imported}"
        for a in all_arrows()
        if a.importer.startswith("bot.sync") and (a.imported == "bot.imports" or a.imported.startswith("bot.imports."))
    ]
    assert arrows == []


def test_the_market_discovery_shared_by_binance_and_bitget_lives_outside_both() -> None:
    importers = {a.importer for a in all_arrows() if a.imported == "connectors.fetchers.discovery"}
    assert {"connectors.fetchers.binance.trades", "connectors.fetchers.bitget.wallet"} <= importers
    assert not [
        a for a in all_arrows() if a.importer.startswith("connectors.fetchers.bitget") and "binance" in a.imported
    ]
