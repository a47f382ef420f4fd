"""Every benchmark runs at its smoke size (``--quick``) and reports sane counts. Nothing timed is asserted: the
figures themselves are measured with the full sizes and written in docs/BENCHMARKS.md.

The runs are separate processes started together (bot_load and memory start their own bot and exchange
processes), so the module costs about as long as the slowest of them.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPOSITORY = Path(__file__).resolve().parents[1]
BENCHMARKS: dict[str, tuple[str, ...]] = {
    "requests": (),
    "deep_requests": (),
    "ingest": (),
    "bot_load": (),
    "memory": (),
    # Not pinned: pinning moves the machine's PostgreSQL onto half the cores, under the tests running beside it.
    "scale_out": ("--no-pin",),
}
TIMEOUT = 300


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, dict[str, Any]]]:
    out = tmp_path_factory.mktemp("benchmarks")
    running: dict[str, subprocess.Popen[bytes]] = {}
    logs: dict[str, Path] = {}
    try:
        for name, extra in BENCHMARKS.items():
            logs[name] = out / f"{name}.log"
            with logs[name].open("wb") as log:
                running[name] = subprocess.Popen(  # noqa: S603  # our own interpreter and modules
                    [
                        sys.executable,
                        "-m",
                        f"benchmarks.{name}",
                        "--quick",
                        "--json",
                        str(out / f"{name}.json"),
                        *extra,
                    ],
                    cwd=REPOSITORY,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
        found: dict[str, dict[str, Any]] = {}
        for name, process in running.items():
            code = process.wait(timeout=TIMEOUT)
            assert code == 0, f"benchmarks.{name} --quick exited with {code}:\n{logs[name].read_text()[-4000:]}"
            found[name] = json.loads((out / f"{name}.json").read_text())
        yield found
    finally:
        for process in running.values():
            if process.poll() is None:
                process.kill()
                process.wait()


def test_every_report_says_what_reproduces_it(reports: dict[str, dict[str, Any]]) -> None:
    for name, report in reports.items():
        assert report["quick"] is True
        assert f"benchmarks.{name}" in report["command"]
        assert report["machine"]["cores"] >= 1
        assert isinstance(report["targets"], dict) and report["targets"]


def test_request_efficiency_recovers_the_ground_truth_and_counts_against_the_minimum(
    reports: dict[str, dict[str, Any]],
) -> None:
    report = reports["requests"]
    truth = report["ground_truth"]
    assert truth["share"] == 1.0 and truth["expected"] > 0
    assert truth["wrong"] == truth["missing"] == truth["extra"] == truth["duplicates"] == 0
    first, again = report["first_sync"], report["resync"]
    assert first["status"] == "ok" and again["status"] == "ok"
    assert first["requests"] >= first["minimum"] > 0
    assert again["requests"] >= again["minimum"] > 0
    assert first["ratio"] == pytest.approx(first["requests"] / first["minimum"], rel=1e-3)
    assert first["new_records"] == truth["expected"]
    assert again["new_records"] == 0 and again["rows_added"] == 0
    assert first["markets_scanned"] >= report["account"]["traded_markets"]
    assert first["simulated_seconds"] > first["measured_seconds"] * 0.5
    assert report["unexpected_requests"] == []


def test_okx_bybit_and_bitget_are_counted_against_a_minimum_per_path(reports: dict[str, dict[str, Any]]) -> None:
    report = reports["deep_requests"]
    for exchange in ("okx", "bybit", "bitget"):
        figures = report[exchange]
        first, again = figures["first"], figures["again"]
        assert figures["unexpected"] == []
        assert first["status"] != "failed" and again["status"] != "failed"
        assert first["new_records"] > 0 and again["new_records"] == 0
        assert first["minimum"] > again["minimum"] > 0
        assert first["ratio"] == pytest.approx(first["requests_without_markets"] / first["minimum"], rel=1e-2)
        # Every path the minimum names has a documented rule beside it.
        assert all(rule["rule"] for rule in figures["rules"].values())


def test_ingestion_compares_insert_missing_with_the_raw_drivers(reports: dict[str, dict[str, Any]]) -> None:
    report = reports["ingest"]
    sqlite = report["sqlite"]
    assert sqlite["rows"] > 0 and sqlite["rounds"] >= 1
    for phase in ("new", "known"):
        assert sqlite[phase]["insert_missing"]["rows_per_second"] > 0
        assert sqlite[phase]["raw sqlite3.executemany"]["rows_per_second"] > 0
        assert 0 < sqlite[phase]["ratio_vs_executemany"] < math.inf
    if report["postgresql"] is None:
        if os.environ.get("TALLYBOT_REQUIRE_POSTGRES") == "1":
            pytest.fail("the ingestion benchmark could not reach PostgreSQL")
        return
    for phase in ("new", "known"):
        assert report["postgresql"][phase]["ratio_vs_copy_records_to_table"] > 0
        assert report["postgresql"][phase]["ratio_vs_executemany"] > 0


def test_bot_load_answers_the_users_and_measures_the_bot(reports: dict[str, dict[str, Any]]) -> None:
    report = reports["bot_load"]
    raw = report["raw"]
    for baseline in ("echo", "echo_limited"):
        walk = raw[baseline]["walk"]
        assert walk["answered"] == walk["updates"] > 0
    tally = raw["tallybot"]
    assert tally["syncs_started"] >= 1
    for phase in ("idle_probes", "loaded_probes", "walk"):
        outcome = tally[phase]
        assert outcome["answered"] > 0
        assert outcome["answered"] + outcome["unanswered"] <= outcome["updates"]
        assert outcome["bot"]["lag"]["samples"] > 0
    assert tally["idle_probes"]["unanswered"] == 0
    assert report["throughput"]["tallybot_under_sync_load"] > 0
    assert report["latency"]["idle_p99_ms"] > 0
    assert report["longest_stall_ms"] >= 0


def test_memory_reports_the_bot_peak_and_the_markets_saving(reports: dict[str, dict[str, Any]]) -> None:
    report = reports["memory"]
    bot = report["bot"]
    assert bot["status_answered"] == bot["users"]
    assert bot["max_leased"] >= 1 and bot["records_stored"] > 0 and bot["finished_in_time"]
    assert bot["peak_rss_mb"] >= bot["rss_ready_mb"] > 20
    markets = report["markets"]
    assert markets["clients"] >= 2 and markets["markets"] > 0
    assert 0 < markets["shared_mb"] < markets["unshared_mb"]


def test_scale_out_answers_through_the_replicas_and_syncs_in_the_worker(reports: dict[str, dict[str, Any]]) -> None:
    report = reports["scale_out"]
    raw = report["raw"]
    for walk in (raw["walk_1_replicas"], raw["walk_2_replicas"], raw["idle_probes"]):
        assert walk["answered"] == walk["updates"] > 0
    assert raw["loaded_probes"]["answered"] > 0
    assert raw["syncs_finished"] == raw["syncs_started"] >= 1
    assert report["p99_ratio"] > 0
    assert raw["replica_memory_mb"]["VmRSS"] > 20
