"""What an Assistant use case returns: codes and values for a view to render, never English or Telegram objects.

An `Outcome` is read in order: the check report (replacing the "checking" message), the notes (catalogue `Text`s,
whose string arguments are values a view escapes), the exchange's intro, the screen, the summary. A CLI or a test
reads the same fields a Telegram handler renders.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from bot.assistant.drafts import Draft
from connectors.diagnosis import Diagnosis
from i18n import Text


class Action(StrEnum):
    """A button of the Assistant (the value travels in its callback data)."""

    TOGGLE = "t"  # pick or unpick an exchange
    PAGE = "p"
    CONFIRM = "ok"
    KEY_TYPE = "kt"
    CHECK = "chk"
    ADVANCED = "adv"
    NAME = "nm"
    SUBACCOUNT = "sub"
    DATE = "dt"
    CLEAR_DATE = "cd"
    ENDPOINT = "ep"
    BACK = "bk"
    RETRY_FIELD = "rf"  # re-enter from a given field index
    MAKE_KEY = "mk"  # let Tallybot make the key pair (exchanges that take self-generated keys)
    OWN_KEY = "own"  # back from a made key pair to pasting a key of one's own
    SKIP = "skip"
    CANCEL = "x"


@dataclass(frozen=True, slots=True)
class Press:
    """A pressed button: the flow's token (ties it to one flow of one user), the action and its argument."""

    token: str
    action: str
    argument: str = ""


@dataclass(frozen=True, slots=True)
class Intro:
    """An exchange's alerts, key-making steps and notes (from its profile), before its first question."""

    exchange_id: str
    position: int
    total: int


class ScreenKind(StrEnum):
    PICKER = "picker"
    KEY_TYPES = "key_types"
    FIELD = "field"  # paste one credential field
    PUBLIC_KEY = "public_key"  # the key pair Tallybot made: register its public half, paste the API key
    REVIEW = "review"
    ADVANCED = "advanced"
    PROMPT = "prompt"  # the draft's ASK_* step: type a name, subaccount or date
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class Screen:
    """The menu to show, derived from the draft plus what only the service can read (sealed secrets)."""

    kind: ScreenKind
    edit: bool = False  # in place of the pressed menu, where there is one
    fingerprint: str = "…"  # REVIEW: the end of the API key
    public_key: str = ""  # PUBLIC_KEY: PEM to register
    key_kind: str = ""  # PUBLIC_KEY: "Ed25519" or "RSA"
    found: tuple[str, ...] | None = None  # PICKER: search results instead of a page


class RetryKind(StrEnum):
    FIELD_AGAIN = "field_again"  # re-enter the one field that was wrong (the passphrase)
    KEY_TYPE = "key_type"
    NEW_KEY = "new_key"
    CHECK_AGAIN = "check_again"


@dataclass(frozen=True, slots=True)
class Retry:
    kind: RetryKind
    action: Action
    argument: str = ""


@dataclass(frozen=True, slots=True)
class ConnectedReport:
    integration_id: int
    account_name: str
    exchange_id: str
    permissions_verified: bool
    expires_at: datetime | None
    ip_restricted: bool | None
    warnings: tuple[Text | str, ...]


@dataclass(frozen=True, slots=True)
class CheckReport:
    """What replaces the "checking your key" message: connected, refused (with a diagnosis), or not stored."""

    connected: ConnectedReport | None = None
    diagnosis: Diagnosis | None = None  # why the exchange or Tallybot refused the key
    retries: tuple[Retry, ...] = ()
    problem: Text | None = None  # why the integration service did not store a checked key


@dataclass(frozen=True, slots=True)
class Summary:
    """The end of a flow: accounts connected (with their ids, to sync them) and exchanges skipped."""

    connected_names: tuple[str, ...]
    skipped_names: tuple[str, ...]
    integration_ids: tuple[int, ...]


@dataclass(slots=True)
class Outcome:
    draft: Draft | None  # after the step; None when no flow is open
    notes: list[Text] = field(default_factory=list)
    intro: Intro | None = None
    screen: Screen | None = None
    report: CheckReport | None = None
    summary: Summary | None = None
    alert: Text | None = None  # a press answered with an alert (refused, or from an old menu)
    check_now: bool = False  # "Check and connect" was pressed: say so, then call check_and_connect
