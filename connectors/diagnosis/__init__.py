"""Error diagnosis: what went wrong with an exchange, in plain words, and what the user can do about it.

`diagnose(error, profile)` maps ccxt's typed errors and each exchange's own codes to a `Diagnosis`;
`safe_summary(error)` is what may be logged. ccxt's error texts quote signed URLs, API keys and signatures, so
no text of theirs is ever kept: every Diagnosis is written from our templates (`connectors.diagnosis.texts`).
"""

from connectors.diagnosis.diagnose import diagnose, diagnosis_for
from connectors.diagnosis.facts import (
    RATE_LIMIT_STATUSES,
    ErrorFacts,
    attach_response_facts,
    error_facts,
    note_http_status,
    safe_summary,
)
from connectors.diagnosis.model import Diagnosis, DiagnosisCode, EndpointNotOffered, LookbackLimitReached

__all__ = [
    "RATE_LIMIT_STATUSES",
    "Diagnosis",
    "DiagnosisCode",
    "EndpointNotOffered",
    "ErrorFacts",
    "LookbackLimitReached",
    "attach_response_facts",
    "diagnose",
    "diagnosis_for",
    "error_facts",
    "note_http_status",
    "safe_summary",
]
