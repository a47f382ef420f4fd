"""the user's language

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 04:40:00

`users.language` is the language a user reads Tallybot in, as a language tag (`ja`, `pt-br`): taken from Telegram's
`language_code` on the user's first contact, later chosen in /settings. Each message is worded in the catalogue that
tag resolves to (i18n.catalogue.resolve_locale: English where there is none), so a user whose language has no
catalogue yet reads it as soon as one ships. Users who came before this revision have none (NULL) and get theirs
from their next update, as if it were their first contact.

The way down drops the column in place. Not through a batch rebuild: on SQLite, rebuilding `users` drops it, and
with PRAGMA foreign_keys=ON that deletes every row below it by cascade (0005 says how much it takes to avoid). SQLite
has DROP COLUMN since 3.35; before that, the column stays (older code never reads it) and the way up finds it there.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SQLITE_DROPS_COLUMNS = sqlite3.sqlite_version_info >= (3, 35, 0)


def upgrade() -> None:
    if "language" not in _user_columns():  # left by a way down on an old SQLite
        op.add_column("users", sa.Column("language", sa.String(length=16), nullable=True))


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite" or _SQLITE_DROPS_COLUMNS:
        op.execute('ALTER TABLE "users" DROP COLUMN "language"')


def _user_columns() -> set[str]:
    return {column["name"] for column in sa.inspect(op.get_bind()).get_columns("users")}
