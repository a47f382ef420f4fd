"""How sync progress, sync results and /status look (HTML). Everything from users or exchanges is escaped."""

from __future__ import annotations

from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from bot import texts
from bot.status import AccountStatus
from bot.sync import EndpointResult, EndpointStatus, ProgressEvent, SyncResult
from db.types import utcnow
from handlers.reconcile_views import status_lines
from i18n import Text, join, render, t, tn

SPINNER = "⏳"
MARKS = {
    EndpointStatus.QUEUED: "⏸",
    EndpointStatus.RUNNING: SPINNER,
    EndpointStatus.OK: "✅",
    EndpointStatus.PARTIAL: "⚠️",
    EndpointStatus.FAILED: "❌",
    EndpointStatus.SKIPPED: "⏭",
}
ACCOUNT_MARKS = {
    "running": "⏳",
    "ok": "🟢",
    "partial": "🟡",
    "failed": "🔴",
    "never_synced": "⚪",
    "disconnected": "⚫",
}
ENDPOINT_STATUS_MARKS = {"ok": "✅", "partial": "⚠️", "failed": "❌", "skipped": "⏭", "never": "⚪"}


def counts(fetched: int, new: int) -> str:
    return t("sync.progress.counts", fetched=fetched, new=new)


def progress_block(event: ProgressEvent) -> str:
    lines = [f"<b>{escape(event.account_name)}</b> ({escape(event.exchange_name)})"]
    for line in event.endpoints:
        where = f" ({escape(line.market)})" if line.market and line.state is EndpointStatus.RUNNING else ""
        detail = t("sync.progress.waiting") if line.state is EndpointStatus.QUEUED else counts(line.fetched, line.new)
        if line.state is EndpointStatus.SKIPPED:
            detail = t("sync.progress.skipped")
        lines.append(f"  {MARKS[line.state]} {escape(line.label)}{where} — {detail}")
    return "\n".join(lines)


def progress(events: list[ProgressEvent | None], names: list[str]) -> str:
    blocks = [texts.SYNC_STARTED]
    for event, name in zip(events, names, strict=True):
        blocks.append(progress_block(event) if event else f"<b>{escape(name)}</b>\n  ⏸ {t('sync.progress.waiting')}")
    return "\n\n".join(blocks)


def duration(seconds: float) -> str:
    if seconds < 90:
        return t("sync.duration.seconds", seconds=seconds)
    return t("sync.duration.minutes", minutes=seconds / 60)


def result_block(result: SyncResult) -> str:
    mark = {"ok": "✅", "partial": "⚠️", "failed": "❌"}[str(result.status)]
    kinds = [
        t("sync.result.kind_new", kind=escape(render(kind_phrase(e))), new=e.new) for e in result.endpoints if e.new
    ]
    if kinds:
        new = t("sync.result.new_by_kind", new=result.new, kinds=join(kinds, style="unit-short"))
    else:
        new = t("sync.result.new", new=result.new)
    lines = [f"{mark} <b>{escape(result.account_name)}</b>: {new}"]
    if result.diagnosis is not None:
        lines.append(diagnosis_lines(result.diagnosis.title, result.diagnosis.explanation, result.diagnosis.tips))
    for endpoint in result.endpoints:
        if endpoint.status is EndpointStatus.FAILED and endpoint.diagnosis is not None:
            title = f"{endpoint.label}: {endpoint.diagnosis.title}"
            lines.append(diagnosis_lines(title, endpoint.diagnosis.explanation, endpoint.diagnosis.tips))
        elif endpoint.status is EndpointStatus.PARTIAL:
            reasons = "; ".join(dict.fromkeys(gap.reason for gap in endpoint.gaps)) or t("sync.partly_synced")
            lines.append(f"  ⚠️ {escape(endpoint.label)}: {escape(reasons)}")
    return "\n".join(lines)


def kind_phrase(endpoint: EndpointResult) -> Text | str:
    """The kind of history inside a sentence; a result built without a phrase falls back to its label."""
    return endpoint.phrase or endpoint.label_text or endpoint.label


def diagnosis_lines(title: str, explanation: str, tips: tuple[str, ...]) -> str:
    lines = [f"  ❌ <b>{escape(title)}</b>", f"  {escape(explanation)}"]
    lines += [f"  • {escape(tip)}" for tip in tips]
    return "\n".join(lines)


def summary(results: list[SyncResult], seconds: float) -> str:
    blocks = [texts.SYNC_FINISHED.format(duration=duration(seconds))]
    blocks += [result_block(result) for result in results]
    if any(result.gaps for result in results):
        blocks.append(texts.LOOKBACK_POINTER)
    return "\n\n".join(blocks)


def ago(moment: datetime, now: datetime) -> str:
    seconds = max(0, int((now - moment).total_seconds()))
    if seconds < 60:
        return t("status.ago.just_now")
    if seconds < 3600:
        return t("status.ago.minutes", count=seconds // 60)
    if seconds < 86400:
        return t("status.ago.hours", count=seconds // 3600)
    return tn("status.ago.days", seconds // 86400)


def local(moment: datetime, zone: str) -> str:
    return moment.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")


def status_block(account: AccountStatus, zone: str) -> str:
    summary = account.summary
    mark = ACCOUNT_MARKS.get(account.state, "⚪")
    lines = [f"{mark} <b>{escape(summary.account_name)}</b> ({escape(account.exchange_name)})"]
    if account.running:
        lines.append(t("status.running"))
    if summary.last_synced_at is not None:
        lines.append(
            t("status.last_sync", when=local(summary.last_synced_at, zone), ago=ago(summary.last_synced_at, utcnow()))
        )
    else:
        lines.append(t("status.never_synced"))
    lines.append(t("status.transactions_stored", count=account.transactions))
    if summary.fingerprint is None:
        lines.append(t("status.no_key"))
    if account.expires_soon and summary.expires_at is not None:
        lines.append(t("status.key_expires", when=local(summary.expires_at, zone)))
    for line in account.endpoints:
        text = f"  {ENDPOINT_STATUS_MARKS.get(line.status, '⚪')} {escape(line.label)}"
        if line.status in ("failed", "partial", "skipped") and line.error_message:
            text += f" — {escape(line.error_message)}"
        lines.append(text)
    for reason in account.missing_ranges[:3]:
        lines.append(f"  📂 {escape(reason)}")
    if account.reconciliation is not None:
        lines += status_lines(account.reconciliation, account.exchange_name)
    return "\n".join(lines)


def status(accounts: list[AccountStatus], zone: str) -> str:
    return "\n\n".join([texts.STATUS_HEADER.format(zone=escape(zone))] + [status_block(a, zone) for a in accounts])
