"""The names of the files the bot sends are codes, the same in every language (handlers/file_names.py)."""

from __future__ import annotations

from datetime import date

from handlers.file_names import dated_csv_name


def test_a_sent_file_is_named_by_product_code_and_day() -> None:
    assert dated_csv_name("koinly", date(2026, 3, 4)) == "tallybot-koinly-20260304.csv"
    assert dated_csv_name("reconciliation", date(2025, 12, 31)) == "tallybot-reconciliation-20251231.csv"
