"""What the Assistant remembers between messages. Nothing secret: secrets live sealed beside it."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any


class Step(StrEnum):
    PICK = "pick"  # choosing exchanges
    KEY_TYPE = "key_type"  # choosing normal or tax key (Bitget)
    FIELD = "field"  # waiting for one credential field
    REVIEW = "review"  # all fields in; check now or open advanced options
    ADVANCED = "advanced"  # the advanced menu
    ASK_NAME = "ask_name"
    ASK_SUBACCOUNT = "ask_subaccount"
    ASK_DATE = "ask_date"
    FAILED = "failed"  # the key check failed; retry buttons shown
    DONE = "done"  # every chosen exchange handled; summary shown


class Mode(StrEnum):
    CONNECT = "connect"
    REPLACE = "replace"  # a regenerated key for an existing integration
    RENAME = "rename"  # /keys: a new name for an integration
    OPTIONS = "options"  # /keys: the advanced options of an integration


@dataclass(slots=True)
class Connected:
    integration_id: int
    account_name: str
    exchange_id: str


@dataclass(slots=True)
class DraftState:
    mode: Mode = Mode.CONNECT
    step: Step = Step.PICK
    picked: list[str] = field(default_factory=list)
    page: int = 0
    search: str | None = None
    current: int = 0  # index into `picked` of the exchange being connected
    key_type: str | None = None
    field_index: int = 0
    account_name: str | None = None
    subaccount: str | None = None
    sync_from: str | None = None  # ISO date
    endpoints: list[str] | None = None  # None: the profile's defaults
    replace_integration_id: int | None = None
    failed_code: str | None = None
    connected: list[Connected] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    @property
    def exchange_id(self) -> str | None:
        return self.picked[self.current] if 0 <= self.current < len(self.picked) else None

    def start_exchange(self, index: int) -> None:
        """Move to the exchange at `index`, forgetting the per-exchange choices of the previous one."""
        self.current = index
        self.key_type = None
        self.field_index = 0
        self.account_name = None
        self.subaccount = None
        self.sync_from = None
        self.endpoints = None
        self.failed_code = None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["mode"] = str(self.mode)
        data["step"] = str(self.step)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DraftState:
        known = {name: value for name, value in data.items() if name in cls.__dataclass_fields__}
        state = cls(**known)
        state.mode = Mode(state.mode)
        state.step = Step(state.step)
        state.connected = [Connected(**item) if isinstance(item, dict) else item for item in state.connected]
        return state
