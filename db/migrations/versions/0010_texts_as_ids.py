"""texts as catalogue ids, not English

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 01:40:00

`endpoint_states.last_error_message` held English: a diagnosis's title (its code is in `last_error_code`) or a
skip note. It becomes `last_note`, a catalogue text as JSON (`{"id": ..., "args": {...}}`, i18n/render.py), worded
when read (bot/sync/stored.py). The sync runs' summaries keep their gap reasons and skip notes the same way.

Stored English is matched back to the catalogue ids it was written from: the skip notes and gap reasons the sync
engine wrote (bot/sync/texts.py up to 0009) are parsed with their old templates, kept here because they are the
format of the rows, not today's wording. A diagnosis title needs nothing: its code says it (on the way down it is
worded again from the code and the exchange's name). A note no template matches becomes `sync.skip.earlier` ("Not
synced."); a gap reason no template matches was a fetcher's own words, which fetchers still write, and is kept as it
is. The columns are dropped through Alembic's batch mode: SQLite before 3.35 has no DROP COLUMN, so there the table
is rebuilt, keeping the AUTOINCREMENT key 0005 gave it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from i18n import UnknownText, msgid, t

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The English the sync engine wrote before this revision, by the catalogue id that says it now.
OLD_TEMPLATES: dict[str, str] = {
    msgid("sync.skip.not_offered"): "{name} does not offer {label} through its API.",
    msgid("sync.skip.not_for_key_type"): "{label} cannot be read with this kind of {name} key.",
    msgid("sync.skip.not_fetched_yet"): "Tallybot cannot fetch {label} from {name} yet; add them with a file upload.",
    msgid("sync.skip.stopped_by_key"): "Not synced: {name} refused the key before Tallybot got here.",
    msgid("sync.skip.unknown_endpoint"): "This kind of history is unknown to Tallybot and was left out.",
    msgid("sync.gap.rate_limited"): (
        "{name} asked Tallybot to slow down before this range was fetched; the next sync continues from here."
    ),
    msgid("sync.gap.timeout"): (
        "{name} did not answer in time before this range was fetched; the next sync continues from here."
    ),
    msgid(
        "sync.gap.failed"
    ): "This range was not fetched because of the error shown; the next sync continues from here.",
}
# The kinds of history as those notes named them: a label starts a sentence, a phrase sits inside one.
OLD_LABELS: dict[str, str] = {
    "spot_trades": "Spot trades",
    "deposits": "Deposits",
    "withdrawals": "Withdrawals",
    "convert": "Convert history",
    "transfers": "Internal transfers",
    "earn_rewards": "Earn and staking rewards",
    "ledger": "Account ledger",
    "futures_trades": "Futures trades",
    "funding": "Funding fees",
}
LABEL_FIRST = {msgid("sync.skip.not_for_key_type")}
EARLIER_NOTE = {"id": msgid("sync.skip.earlier"), "args": {}}
# The hand-written profiles' names at 0009, for wording a diagnosis title on the way down (db may not import
# connectors); another exchange is named as ccxt names it, which is what its generic profile shows.
OLD_NAMES: dict[str, str] = {
    "binance": "Binance",
    "bybit": "Bybit",
    "okx": "OKX",
    "bitget": "Bitget",
    "kraken": "Kraken",
    "coinbase": "Coinbase",
    "kucoin": "KuCoin",
    "gate": "Gate",
    "htx": "HTX",
    "mexc": "MEXC",
    "bigone": "BigONE",
}

_endpoint_states = sa.table(
    "endpoint_states",
    sa.column("id", sa.BigInteger),
    sa.column("last_error_code", sa.String),
    sa.column("last_error_message", sa.Text),
    sa.column("last_note", sa.JSON),
    sa.column("integration_id", sa.BigInteger),
)
_integrations = sa.table("integrations", sa.column("id", sa.BigInteger), sa.column("exchange_id", sa.String))
_sync_runs = sa.table("sync_runs", sa.column("id", sa.BigInteger), sa.column("summary", sa.JSON))


def _pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{name\}|\{label\})", template)
    regex = "".join(f"(?P<{part[1:-1]}>.+?)" if part in ("{name}", "{label}") else re.escape(part) for part in parts)
    return re.compile(f"^{regex}$")


_PATTERNS = {identifier: _pattern(template) for identifier, template in OLD_TEMPLATES.items()}


def text_of(english: str) -> dict[str, Any] | None:
    """The catalogue text (as stored JSON) an old English note or reason was written from, or None."""
    for identifier, pattern in _PATTERNS.items():
        match = pattern.match(english)
        if match is None:
            continue
        args: dict[str, Any] = {}
        if "name" in match.groupdict():
            args["name"] = match["name"]
        if "label" in match.groupdict():
            args["label"] = _kind(match["label"], label_first=identifier in LABEL_FIRST)
        return {"id": identifier, "args": args}
    return None


def _kind(words: str, *, label_first: bool) -> dict[str, Any] | str:
    for endpoint, label in OLD_LABELS.items():
        if label_first and words == label:
            return {"id": f"endpoint.{endpoint}.label", "args": {}}
        if not label_first and words == label.lower():
            return {"id": f"endpoint.{endpoint}.phrase", "args": {}}
    return words  # a profile's own label (a name, as the profile spelled it)


def english_of(stored: object) -> str | None:
    """The way down: a stored text back in the English this revision replaced ("Not synced." for a note whose
    English was not matched on the way up: the original is gone)."""
    if isinstance(stored, dict) and stored.get("id") == EARLIER_NOTE["id"]:
        return t(msgid("sync.skip.earlier"))
    if not isinstance(stored, dict) or stored.get("id") not in OLD_TEMPLATES:
        return None
    args = dict(stored.get("args") or {})
    label = args.get("label")
    if isinstance(label, dict):
        endpoint = str(label.get("id", "")).split(".")[1] if "." in str(label.get("id", "")) else ""
        english = OLD_LABELS.get(endpoint, endpoint)
        args["label"] = english if str(label.get("id", "")).endswith(".label") else english.lower()
    return OLD_TEMPLATES[str(stored["id"])].format(**args)


def upgrade() -> None:
    with op.batch_alter_table("endpoint_states") as batch:
        batch.add_column(sa.Column("last_note", sa.JSON(), nullable=True))
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(_endpoint_states.c.id, _endpoint_states.c.last_error_message).where(
            _endpoint_states.c.last_error_message.is_not(None), _endpoint_states.c.last_error_code.is_(None)
        )
    ).all()
    for row_id, english in rows:
        note = text_of(english) or EARLIER_NOTE
        bind.execute(sa.update(_endpoint_states).where(_endpoint_states.c.id == row_id).values(last_note=note))
    _rewrite_summaries(bind, _summary_to_ids)
    _drop_column(bind, "last_error_message")


def downgrade() -> None:
    with op.batch_alter_table("endpoint_states") as batch:
        batch.add_column(sa.Column("last_error_message", sa.Text(), nullable=True))
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(
            _endpoint_states.c.id,
            _endpoint_states.c.last_note,
            _endpoint_states.c.last_error_code,
            _integrations.c.exchange_id,
        )
        .join(_integrations, _integrations.c.id == _endpoint_states.c.integration_id)
        .where(sa.or_(_endpoint_states.c.last_note.is_not(None), _endpoint_states.c.last_error_code.is_not(None)))
    ).all()
    for row_id, note, code, exchange_id in rows:
        english = title_of(code, exchange_id) if code is not None else english_of(note)
        bind.execute(
            sa.update(_endpoint_states).where(_endpoint_states.c.id == row_id).values(last_error_message=english)
        )
    _rewrite_summaries(bind, _summary_to_english)
    _drop_column(bind, "last_note")


def title_of(code: str, exchange_id: str) -> str | None:
    """The diagnosis headline 0009 stored beside its code, worded from the code and the exchange's name; None when
    either is unknown (the code is kept, and it is what /status reads first)."""
    name = OLD_NAMES.get(exchange_id) or _ccxt_name(exchange_id)
    if name is None:
        return None
    try:
        return t(f"diagnosis.{code}.title", name=name)
    except (UnknownText, KeyError):
        return None


def _ccxt_name(exchange_id: str) -> str | None:
    import ccxt

    exchange_class = getattr(ccxt, exchange_id, None) if exchange_id in ccxt.exchanges else None
    try:
        return str(exchange_class().name or exchange_id) if exchange_class is not None else None
    except Exception:  # a ccxt class that cannot be built names nothing; the row keeps its code
        return None


def _drop_column(bind: sa.Connection, column: str) -> None:
    """Batch mode: PostgreSQL drops in place; SQLite rebuilds the table (it had no DROP COLUMN before 3.35), with
    AUTOINCREMENT kept when the table has it (0005 gives it on SQLite)."""
    options: dict[str, Any] = {}
    if bind.dialect.name == "sqlite":
        created = bind.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'endpoint_states'"
        ).scalar_one()
        options = {"recreate": "always", "table_kwargs": {"sqlite_autoincrement": "AUTOINCREMENT" in created.upper()}}
    with op.batch_alter_table("endpoint_states", **options) as batch:
        batch.drop_column(column)


def _rewrite_summaries(bind: sa.Connection, rewrite: Callable[[dict[str, Any]], bool]) -> None:
    for run_id, summary in _summaries(bind):
        if rewrite(summary):
            bind.execute(sa.update(_sync_runs).where(_sync_runs.c.id == run_id).values(summary=summary))


def _summaries(bind: sa.Connection) -> Iterator[tuple[int, dict[str, Any]]]:
    for run_id, summary in bind.execute(sa.select(_sync_runs.c.id, _sync_runs.c.summary)).all():
        if isinstance(summary, dict) and isinstance(summary.get("endpoints"), dict):
            yield run_id, summary


def _summary_to_ids(summary: dict[str, Any]) -> bool:
    changed = False
    for result in summary["endpoints"].values():
        note = result.get("note")
        if isinstance(note, str):
            result["note"] = text_of(note) or EARLIER_NOTE
            changed = True
        for gap in result.get("gaps") or []:
            reason = gap.get("reason")
            stored = text_of(reason) if isinstance(reason, str) else None
            if stored is not None:
                gap["reason"] = stored
                changed = True
    return changed


def _summary_to_english(summary: dict[str, Any]) -> bool:
    changed = False
    for result in summary["endpoints"].values():
        if isinstance(result.get("note"), dict):
            result["note"] = english_of(result["note"])
            changed = True
        for gap in result.get("gaps") or []:
            if isinstance(gap.get("reason"), dict):
                gap["reason"] = english_of(gap["reason"])
                changed = True
    return changed
