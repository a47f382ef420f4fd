"""Market discovery (connectors/fetchers/discovery.py), the rules Binance's and Bitget's fetchers share, on a small
hand-made market list: which markets a sync asks, why, and what waits for the next sync."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from connectors.fetchers.base import FetchReport
from connectors.fetchers.discovery import AssetEvidence, listed_spot_markets, plan_markets


class Markets:
    """What a loaded ccxt client offers discovery: its `markets`."""

    def __init__(self, *pairs: tuple[str, str]) -> None:
        self.markets: dict[str, Any] = {
            f"{base}/{quote}": {
                "id": base + quote,
                "baseId": base,
                "quoteId": quote,
                "symbol": f"{base}/{quote}",
                "base": base,
                "quote": quote,
                "spot": True,
            }
            for base, quote in pairs
        }
        self.markets["BTC/USDT:USDT"] = {**self.markets["BTC/USDT"], "id": "BTCUSDT_PERP", "spot": False}


def test_traded_markets_then_changed_empty_ones_then_the_best_evidenced_candidates_within_the_budget() -> None:
    client = Markets(("BTC", "USDT"), ("ETH", "BTC"), ("ETH", "USDT"), ("SOL", "USDT"), ("SOL", "XYZ"), ("ADA", "USDT"))
    listed = listed_spot_markets(client)
    assert sorted(listed) == ["ADAUSDT", "BTCUSDT", "ETHBTC", "ETHUSDT", "SOLUSDT", "SOLXYZ"]  # no futures

    evidence = AssetEvidence()
    evidence.note("SOL", "deposits")
    evidence.note("ETH", "balance")
    cursors: dict[str, dict[str, Any]] = {
        "": {"assets": {}},
        "BTCUSDT": {"from_id": 5},
        "ETHBTC": {"from_id": 0, "balances": {"ETH": "1", "BTC": "0"}},
        "GONEUSDT": {"from_id": 0, "balances": {}},
    }
    held = {"ETH": Decimal("1"), "BTC": Decimal("0.5")}
    report = FetchReport()

    plan = plan_markets(listed, evidence, cursors, held, report, exchange_name="Binance", probe_budget=2)

    assert [(market.id, reasons) for market, reasons in plan] == [
        ("BTCUSDT", ["traded: continues from its cursor"]),
        # Probed empty before; BTC moved since (a trade moves both sides), ETH did not.
        ("ETHBTC", ["probed empty before; BTC balance changed since"]),
        # ETH (1 source) and SOL (1 source) both score 2 with a bridge quote: ETHUSDT first by name; the budget of
        # two probes is spent, so SOLUSDT waits. SOLXYZ has an unevidenced non-bridge side, ADAUSDT no evidence.
        ("ETHUSDT", ["ETH: balance", "USDT: common quote currency"]),
    ]
    assert report.markets_not_scanned == {
        "GONEUSDT": "no longer listed by Binance",
        "SOLUSDT": "probe budget of 2 markets per sync reached; asked by the next sync",
    }


def test_evidence_keeps_every_source_across_syncs() -> None:
    evidence = AssetEvidence()
    evidence.note("SOL", "deposits")
    evidence.note_all(["SOL", "BTC"], "balance")
    later = AssetEvidence()
    later.load(evidence.dump())
    assert later.dump() == {"BTC": "balance", "SOL": "balance,deposits"}
    assert later.why("SOL") == "SOL: balance, deposits"
    assert "" not in later and "ETH" not in later
