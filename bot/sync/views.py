"""How a sync's progress and its result read (HTML), in the reader's locale: shared by the bot's /sync and the
sync workers (bot/worker.py), which edit the user's messages themselves. Everything from users or exchanges is
escaped."""

from __future__ import annotations

from html import escape

from bot.sync.results import EndpointResult, EndpointStatus, ProgressEvent, SyncResult
from i18n import Text, join, render, t

SPINNER = "⏳"
MARKS = {
    EndpointStatus.QUEUED: "⏸",
    EndpointStatus.RUNNING: SPINNER,
    EndpointStatus.OK: "✅",
    EndpointStatus.PARTIAL: "⚠️",
    EndpointStatus.FAILED: "❌",
    EndpointStatus.SKIPPED: "⏭",
}


def counts(fetched: int, new: int, locale: str) -> str:
    return t("sync.progress.counts", locale=locale, fetched=fetched, new=new)


def progress_block(event: ProgressEvent, locale: str) -> str:
    lines = [f"<b>{escape(event.account_name)}</b> ({escape(event.exchange_name)})"]
    for line in event.endpoints:
        where = f" ({escape(line.market)})" if line.market and line.state is EndpointStatus.RUNNING else ""
        detail = (
            t("sync.progress.waiting", locale=locale)
            if line.state is EndpointStatus.QUEUED
            else counts(line.fetched, line.new, locale)
        )
        if line.state is EndpointStatus.SKIPPED:
            detail = t("sync.progress.skipped", locale=locale)
        lines.append(f"  {MARKS[line.state]} {escape(render(line.label, locale))}{where} — {detail}")
    return "\n".join(lines)


def progress(events: list[ProgressEvent | None], names: list[str], locale: str) -> str:
    blocks = [t("sync.started", locale=locale)]
    for event, name in zip(events, names, strict=True):
        blocks.append(
            progress_block(event, locale)
            if event
            else f"<b>{escape(name)}</b>\n  ⏸ {t('sync.progress.waiting', locale=locale)}"
        )
    return "\n\n".join(blocks)


def duration(seconds: float, locale: str) -> str:
    if seconds < 90:
        return t("sync.duration.seconds", locale=locale, seconds=seconds)
    return t("sync.duration.minutes", locale=locale, minutes=seconds / 60)


def result_block(result: SyncResult, locale: str) -> str:
    mark = {"ok": "✅", "partial": "⚠️", "failed": "❌"}[str(result.status)]
    kinds = [
        t("sync.result.kind_new", locale=locale, kind=escape(render(kind_phrase(e), locale)), new=e.new)
        for e in result.endpoints
        if e.new
    ]
    if kinds:
        new = t("sync.result.new_by_kind", locale=locale, new=result.new, kinds=join(kinds, locale, style="unit-short"))
    else:
        new = t("sync.result.new", locale=locale, new=result.new)
    lines = [f"{mark} <b>{escape(result.account_name)}</b>: {new}"]
    if result.diagnosis is not None:
        found = result.diagnosis
        lines.append(diagnosis_lines(found.title_in(locale), found.explanation_in(locale), found.tips_in(locale)))
    for endpoint in result.endpoints:
        if endpoint.status is EndpointStatus.FAILED and endpoint.diagnosis is not None:
            label = render(endpoint.label_text or endpoint.label, locale)
            found = endpoint.diagnosis
            title = t("sync.result.endpoint_failed", locale=locale, label=label, title=found.title_in(locale))
            lines.append(diagnosis_lines(title, found.explanation_in(locale), found.tips_in(locale)))
        elif endpoint.status is EndpointStatus.PARTIAL:
            reasons = "; ".join(dict.fromkeys(render(gap.why, locale) for gap in endpoint.gaps))
            label = render(endpoint.label_text or endpoint.label, locale)
            lines.append(f"  ⚠️ {escape(label)}: {escape(reasons or t('sync.partly_synced', locale=locale))}")
    return "\n".join(lines)


def kind_phrase(endpoint: EndpointResult) -> Text | str:
    """The kind of history inside a sentence; a result built without a phrase falls back to its label."""
    return endpoint.phrase or endpoint.label_text or endpoint.label


def diagnosis_lines(title: str, explanation: str, tips: tuple[str, ...]) -> str:
    """A diagnosis, worded in the reader's locale, with its tips."""
    lines = [f"  ❌ <b>{escape(title)}</b>", f"  {escape(explanation)}"]
    lines += [f"  • {escape(tip)}" for tip in tips]
    return "\n".join(lines)


def summary(results: list[SyncResult], seconds: float, locale: str) -> str:
    blocks = [t("sync.finished", locale=locale, duration=duration(seconds, locale))]
    blocks += [result_block(result, locale) for result in results]
    if any(result.fillable_gaps for result in results):  # a not-read product's gap is no file's to fill
        blocks.append(t("sync.lookback_pointer", locale=locale))
    return "\n\n".join(blocks)
