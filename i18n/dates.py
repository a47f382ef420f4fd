"""Dates and times worded for the reader's locale through CLDR (Babel): "Mar 4, 2026, 2:06 PM", "2026/03/04 14:06".

Amounts are never formatted here: they are exact decimals from the exchange and are shown as they were read.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_time

from i18n.catalogue import resolve_locale


def local_datetime(moment: datetime, zone: str, locale: str) -> str:
    """`moment` in the time zone `zone`: the locale's medium date and short time, joined by its own pattern."""
    there = moment.astimezone(ZoneInfo(zone))
    cldr = Locale.parse(resolve_locale(locale))
    day = format_date(there.date(), "medium", locale=cldr)
    clock = format_time(there.time(), "short", locale=cldr)
    return str(cldr.datetime_formats["medium"]).format(clock, day)
