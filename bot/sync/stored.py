"""Reading back what a sync stored about an endpoint: the reason it failed or was skipped, and why a range is
missing. The database keeps codes and catalogue texts (id and arguments), never English; they are worded here, at
read time, in the reader's locale.
"""

from __future__ import annotations

from connectors.diagnosis import DiagnosisCode
from connectors.diagnosis.texts import TEMPLATES
from i18n import Text, from_stored, render
from i18n.catalogue import SOURCE_LOCALE

_CODES = frozenset(DiagnosisCode)


def endpoint_reason(code: str | None, note: object, exchange_name: str, locale: str = SOURCE_LOCALE) -> str | None:
    """Why the endpoint's last sync did not end ok: its diagnosis's headline when it has a code, else its note."""
    if code is not None and code in _CODES:
        return render(Text.of(TEMPLATES[DiagnosisCode(code)].title, name=exchange_name), locale)
    text = from_stored(note)
    return render(text, locale) if text is not None else None


def gap_reason(stored: object, locale: str = SOURCE_LOCALE) -> str | None:
    """A gap's reason as the sync run's summary keeps it (a catalogue text, or a fetcher's own words)."""
    text = from_stored(stored)
    return render(text, locale) if text is not None else None
