"""Every plain-words text the sync engine produces (skip notes, reasons for missing ranges). `{name}` is the
exchange's display name, `{label}` the kind of history. Never filled from an exchange's error text."""

from __future__ import annotations

NOT_OFFERED = "{name} does not offer {label} through its API."
NOT_FOR_KEY_TYPE = "{label} cannot be read with this kind of {name} key."
NOT_FETCHED_YET = "Tallybot cannot fetch {label} from {name} yet; add them with a file upload."
UNKNOWN_ENDPOINT = "This kind of history is unknown to Tallybot and was left out."
STOPPED_BY_KEY = "Not synced: {name} refused the key before Tallybot got here."

GAP_RATE_LIMITED = (
    "{name} asked Tallybot to slow down before this range was fetched; the next sync continues from here."
)
GAP_TIMEOUT = "{name} did not answer in time before this range was fetched; the next sync continues from here."
GAP_FAILED = "This range was not fetched because of the error shown; the next sync continues from here."
