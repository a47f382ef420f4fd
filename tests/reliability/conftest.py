"""The reliability and security suite (issue 8): shared switches and counts.

Part of the normal test run with counts that keep it within a few minutes; the long run multiplies them:

    .venv/bin/pytest tests/reliability            # normal counts
    .venv/bin/pytest tests/reliability --long     # big counts (or TALLYBOT_LONG=1 with any pytest command)

Every test that measures something records it with the `measured` fixture; the figures are printed in the terminal
summary (the source of docs/RELIABILITY.md) and written to `$TALLYBOT_RELIABILITY_REPORT` when that is set.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

LONG_ENV = "TALLYBOT_LONG"
REPORT_ENV = "TALLYBOT_RELIABILITY_REPORT"
REPO_ROOT = Path(__file__).resolve().parents[2]

# Every figure `measured` recorded in this process; tests/conftest.py prints them (and, under pytest-xdist, gathers
# the workers' into the controller's, which never loads this file).
_figures: dict[str, dict[str, Any]] = {}


def is_long(config: pytest.Config) -> bool:
    option = False
    try:
        option = bool(config.getoption("--long"))
    except ValueError:  # not registered when tests/conftest.py was not loaded (a run outside tests/)
        option = False
    return option or os.environ.get(LONG_ENV, "") not in ("", "0")


@pytest.fixture(scope="session")
def long_run(pytestconfig: pytest.Config) -> bool:
    return is_long(pytestconfig)


@pytest.fixture
def measured(request: pytest.FixtureRequest) -> Iterator[Callable[..., None]]:
    """`measured(trials=55, kills=55)`: figures of this test for the summary and the report."""
    name = request.node.nodeid.split("::", 1)[-1]
    figures: dict[str, Any] = {}

    def record(**values: Any) -> None:
        figures.update(values)

    yield record
    if figures:
        _figures[name] = figures
