"""The Japanese catalogue (issue 19) is complete: every English file has its Japanese twin, and every entry of every
English file is in that twin, translated, with the same placeholders (format specs included), the same HTML tags
and, for a plural entry, Japanese's one form. The folders are enumerated, so a file added later is checked too."""

from __future__ import annotations

import re
import string
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from connectors.files import parse
from connectors.files.errors import UnknownFormat
from connectors.key_permissions import KeyFacts
from connectors.keycheck import judge
from connectors.profiles import get_profile
from i18n import Text, catalogue, local_datetime, render, t, tn

LC = "LC_MESSAGES"
ENGLISH = catalogue.LOCALES_DIR / "en" / LC
JAPANESE = catalogue.LOCALES_DIR / "ja" / LC
TAG = re.compile(r"</?[a-zA-Z][^>]*>")


def entries(path: Path, locale: str) -> dict[str, tuple[str, ...]]:
    with path.open("rb") as po:
        read = read_po(po, locale=locale)
    return dict(catalogue.id_and_forms(message) for message in read if message.id)


def fields(form: str) -> set[tuple[str, str]]:
    """Each `{name:spec}` of a form: a `{count:,}` in English stays `{count:,}` in Japanese."""
    return {(name, spec or "") for _, name, spec, _ in string.Formatter().parse(form) if name is not None}


def english_files() -> list[str]:
    return sorted(path.name for path in ENGLISH.glob("*.po"))


def test_every_english_file_has_a_japanese_twin() -> None:
    assert english_files(), "no English catalogue found"
    assert english_files() == sorted(path.name for path in JAPANESE.glob("*.po"))


@pytest.mark.parametrize("name", english_files())
def test_every_entry_is_translated_with_the_same_placeholders_and_tags(name: str) -> None:
    english = entries(ENGLISH / name, "en")
    japanese = entries(JAPANESE / name, "ja")
    assert sorted(set(english) - set(japanese)) == [], "missing in Japanese"
    assert sorted(set(japanese) - set(english)) == [], "not in English"
    problems = []
    for identifier, english_forms in english.items():
        japanese_forms = japanese[identifier]
        if len(english_forms) > 1 and len(japanese_forms) != 1:
            problems.append(f"{identifier}: a plural entry has one form in Japanese, found {len(japanese_forms)}")
        if len(english_forms) == 1 and len(japanese_forms) != 1:
            problems.append(f"{identifier}: singular in English, plural in Japanese")
        if not all(japanese_forms):
            problems.append(f"{identifier}: not translated")
            continue
        wanted = set().union(*(fields(form) for form in english_forms))
        for form in japanese_forms:
            if fields(form) != wanted:
                problems.append(f"{identifier}: fields {sorted(fields(form))}, English {sorted(wanted)}")
            # Every English form has the same tags (checked here through the last, the "other" form).
            if sorted(TAG.findall(form)) != sorted(TAG.findall(english_forms[-1])):
                problems.append(f"{identifier}: tags {TAG.findall(form)}, English {TAG.findall(english_forms[-1])}")
    assert problems == []


@pytest.mark.parametrize("name", english_files())
def test_each_japanese_file_says_its_language_and_plural_rule(name: str) -> None:
    with (JAPANESE / name).open("rb") as po:
        read = read_po(po)
    assert str(read.locale) == "ja"
    assert read.num_plurals == 1 and read.plural_expr == "0"


def test_japanese_reads_japanese_with_one_plural_form() -> None:
    # Written by hand from the Japanese catalogue: one form for every count, the count filled in.
    assert tn("status.ago.days", 1, locale="ja") == "1 日前"
    assert tn("status.ago.days", 12, locale="ja-JP") == "12 日前"
    assert tn("export.count.rows", 1234, locale="ja") == "1,234 行"
    assert t("status.running", locale="ja") == "現在同期中です。"
    assert t("status.running", locale="en") == "Sync running now."


def test_times_are_worded_by_cldr_for_the_reader() -> None:
    moment = datetime(2026, 3, 4, 5, 6, tzinfo=UTC)
    assert local_datetime(moment, "Asia/Tokyo", "ja") == "2026/03/04 14:06"
    assert local_datetime(moment, "Europe/Paris", "ja-JP") == "2026/03/04 6:06"
    assert local_datetime(moment, "UTC", "en") == "Mar 4, 2026, 5:06\u202fAM"


def test_a_key_checks_warnings_are_worded_when_shown_in_the_readers_language() -> None:
    expiring = KeyFacts(
        can_read=True,
        can_trade=False,
        can_withdraw=False,
        ip_restricted=True,
        expires_at=datetime(2026, 3, 5, tzinfo=UTC),
    )
    check = judge(get_profile("bybit"), expiring, allow_trading=False)
    ip, expires = check.warning_texts
    assert render(ip, "ja") == t("keycheck.warn.ip_restricted", locale="ja")
    assert "2026年3月5日" in render(expires, "ja") and "Bybit" in render(expires, "ja")
    assert "March 5, 2026" in check.warnings[1]  # the English view


def test_a_date_inside_a_sentence_follows_the_reader() -> None:
    assert render(Text.of("assistant.connected.expires", date=date(2026, 3, 5)), "ja").count("2026年3月5日") == 1
    assert "March 5, 2026" in render(Text.of("assistant.connected.expires", date=date(2026, 3, 5)), "en")


def test_an_unknown_file_is_refused_with_the_formats_listed_in_the_readers_language() -> None:
    with pytest.raises(UnknownFormat) as refused:
        parse("notes.csv", b"colour,shape\nred,round\n")
    shown = render(refused.value.text, "ja")
    assert f"• {t('file.format.cryptact', locale='ja')}\n" in shown
    assert f"• {t('file.format.cryptact')}\n" not in shown
    assert f"• {t('file.format.cryptact')}\n" in str(refused.value)  # the English view
