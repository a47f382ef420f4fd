"""How /status looks (HTML), in the reader's locale; how a sync's progress and result look lives in bot/sync/views.py
(the sync workers render them too) and is re-exported here for the handlers. Everything from users or exchanges is
escaped."""

from __future__ import annotations

from datetime import datetime
from html import escape

from bot.status import AccountStatus
from bot.sync.views import (
    MARKS,
    SPINNER,
    counts,
    diagnosis_lines,
    duration,
    kind_phrase,
    progress,
    progress_block,
    result_block,
    summary,
)
from db.types import utcnow
from handlers.reconcile_views import status_lines
from i18n import local_datetime, render, t, tn

__all__ = [
    "MARKS",
    "SPINNER",
    "counts",
    "diagnosis_lines",
    "duration",
    "kind_phrase",
    "progress",
    "progress_block",
    "result_block",
    "status",
    "status_block",
    "summary",
]

ACCOUNT_MARKS = {
    "running": "⏳",
    "ok": "🟢",
    "partial": "🟡",
    "failed": "🔴",
    "never_synced": "⚪",
    "disconnected": "⚫",
}
# A kind not synced yet (no status), or with a status this version does not know, is marked ⚪.
ENDPOINT_STATUS_MARKS = {"ok": "✅", "partial": "⚠️", "failed": "❌", "skipped": "⏭"}


def ago(moment: datetime, now: datetime, locale: str) -> str:
    seconds = max(0, int((now - moment).total_seconds()))
    if seconds < 60:
        return t("status.ago.just_now", locale=locale)
    if seconds < 3600:
        return t("status.ago.minutes", locale=locale, count=seconds // 60)
    if seconds < 86400:
        return t("status.ago.hours", locale=locale, count=seconds // 3600)
    return tn("status.ago.days", seconds // 86400, locale=locale)


def local(moment: datetime, zone: str, locale: str) -> str:
    """A time in the reader's zone, worded for their locale (CLDR's date and time patterns)."""
    return local_datetime(moment, zone, locale)


def status_block(account: AccountStatus, zone: str, locale: str) -> str:
    summary = account.summary
    mark = ACCOUNT_MARKS.get(account.state, "⚪")
    lines = [f"{mark} <b>{escape(summary.account_name)}</b> ({escape(account.exchange_name)})"]
    if account.running:
        lines.append(t("status.running", locale=locale))
    if summary.last_synced_at is not None:
        lines.append(
            t(
                "status.last_sync",
                locale=locale,
                when=local(summary.last_synced_at, zone, locale),
                ago=ago(summary.last_synced_at, utcnow(), locale),
            )
        )
    else:
        lines.append(t("status.never_synced", locale=locale))
    lines.append(t("status.transactions_stored", locale=locale, count=account.transactions))
    if summary.fingerprint is None:
        lines.append(t("status.no_key", locale=locale))
    if account.expires_soon and summary.expires_at is not None:
        lines.append(t("status.key_expires", locale=locale, when=local(summary.expires_at, zone, locale)))
    for line in account.endpoints:
        text = f"  {ENDPOINT_STATUS_MARKS.get(line.status or '', '⚪')} {escape(render(line.label, locale))}"
        if line.status in ("failed", "partial", "skipped") and line.error_message:
            text += f" — {escape(line.error_message)}"
        lines.append(text)
    for reason in account.missing_ranges[:3]:
        # 📂: a file can fill it; ⚠️: Tallybot does not read that history yet (no file of the exchange's does either).
        mark = "⚠️" if reason in account.not_read_ranges else "📂"
        lines.append(f"  {mark} {escape(reason)}")
    if account.reconciliation is not None:
        lines += status_lines(account.reconciliation, account.exchange_name, locale)
    return "\n".join(lines)


def status(accounts: list[AccountStatus], zone: str, locale: str) -> str:
    header = t("status.header", locale=locale, zone=escape(zone))
    return "\n\n".join([header] + [status_block(a, zone, locale) for a in accounts])
