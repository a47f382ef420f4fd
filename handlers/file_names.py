"""The names of the files the bot sends: `tallybot-<what>-<yyyymmdd>.csv`.

A file's name is a code in every language, never worded by the catalogue: the product's name, the export format's
or the report's code, the day in ISO digits and the suffix, so that a user's files keep one name whatever language
they read Tallybot in.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum


class Suffix(StrEnum):
    CSV = ".csv"


def dated_csv_name(what: str, day: date) -> str:
    """`tallybot-koinly-20260304.csv` for `what` "koinly" on 4 March 2026."""
    return "-".join(("tallybot", what, f"{day:%Y%m%d}")) + Suffix.CSV
