"""Reading within bounds (issue 12, finding 2): what the limits let through and how they refuse, without the bot.

The bombs themselves go through the real bot in tests/reliability/test_hardening_files.py.
"""

from __future__ import annotations

import csv
import io
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.files.errors import FileTooLarge
from connectors.files.isolated import MAX_WORKERS, read_workbook_isolated
from connectors.files.limits import MAX_ROWS
from connectors.files.reading import _lines, read_sheets
from tests.reliability import file_bombs


def test_a_workbook_declaring_a_smaller_dimension_than_its_data_is_read_whole() -> None:
    """openpyxl's read-only mode stops at the declared last row: 1,000 rows under `A1:A1` used to give one."""
    rows = b"".join(file_bombs.text_row(n, 1, f"r{n}") for n in range(1, 1_001))
    data = file_bombs.workbook(file_bombs.sheet(rows, dimension="A1:A1"))

    [sheet] = read_sheets("short-dimension.xlsx", data)

    assert [row[0] for row in sheet.rows] == [f"r{n}" for n in range(1, 1_001)]


def test_trailing_empty_cells_do_not_count_as_columns_but_count_as_cells() -> None:
    line = b"a,b" + b"," * 1_000 + b"\n"  # Excel's "save as CSV" of a sheet with a wide used range
    [sheet] = read_sheets("padded.csv", b"Date,Pair\n" + line * 3)

    assert [row[:2] for row in sheet.rows[1:]] == [["a", "b"]] * 3


def test_reading_stops_when_its_time_is_up() -> None:
    with pytest.raises(FileTooLarge, match="took longer than 0 seconds"):
        read_sheets("rows.csv", file_bombs.many_rows_csv(MAX_ROWS - 1_000).data, max_seconds=0)


def test_the_isolated_reader_gives_the_same_rows_as_the_one_in_process() -> None:
    rows = b"".join(file_bombs.text_row(n, 3, f"r{n}") for n in range(1, 51))
    data = file_bombs.workbook(file_bombs.sheet(rows))

    assert read_sheets("w.xlsx", data, isolated=True) == read_sheets("w.xlsx", data)


def test_the_bot_reads_at_most_its_cap_of_the_workers_answer_and_says_so() -> None:
    # 100 cells of one 32,767-character string: 3.2 MB of rows, within the text budget, past a 1 MB answer cap.
    data = file_bombs.repeated_long_string(cells=100).data
    started = time.monotonic()

    with pytest.raises(FileTooLarge, match="more than 1 MB of text"):
        read_workbook_isolated(data, max_answer_bytes=1024 * 1024)
    assert time.monotonic() - started < 30
    assert workers_running() == 0  # the worker refused mid-answer is stopped, not left writing
    sheets = read_workbook_isolated(data)  # the default cap holds it
    assert [len(sheet.rows) for sheet in sheets] == [5] and sheets[0].rows[0][0] == "x" * 32_767


def workers_running() -> int:
    """Children of this process reading a workbook now (from /proc: no mock of the code under test)."""
    count = 0
    for children in Path("/proc/self/task").glob("*/children"):
        for pid in children.read_text().split():
            try:
                command = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue  # ended meanwhile
            count += b"connectors.files.isolated" in command
    return count


def test_at_most_two_workbooks_are_read_at_once_whoever_sent_them() -> None:
    data = file_bombs.many_rows_workbook().data  # ~3 s in a worker before its refusal
    seen: list[int] = []
    with ThreadPoolExecutor(max_workers=4) as pool:
        reads = [pool.submit(read_sheets, "rows.xlsx", data, isolated=True) for _ in range(4)]
        while not all(read.done() for read in reads):
            seen.append(workers_running())
            time.sleep(0.05)
    for read in reads:
        with pytest.raises(FileTooLarge, match="more than 250,000 rows"):
            read.result()

    assert max(seen) == MAX_WORKERS == 2


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(["a", ",", '"', "\r", "\n", "\u2028", "\x85", " "]), max_size=60))
def test_csv_lines_are_split_exactly_as_before(text: str) -> None:
    """Lines are handed to csv one at a time now (no whole-text copy): the rows must be those StringIO gave."""
    try:
        before = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error:
        with pytest.raises(csv.Error):
            list(csv.reader(_lines(text)))
        return
    assert list(csv.reader(_lines(text))) == before
