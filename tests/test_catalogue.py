"""The text catalogue: its API (t, tn, Text, render, join) and its agreement with the code.

Every id the code names exists, every entry is named somewhere (dead entries fail), the placeholders of an entry
are exactly the arguments passed where the call shows them, and plural entries have every form. Expected English is
written here by hand.
"""

from __future__ import annotations

import ast
import re
import shutil
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from bot.sync.stored import endpoint_reason
from connectors.diagnosis import DiagnosisCode, diagnosis_for
from connectors.profiles import get_profile
from i18n import Text, UnknownText, catalogue, from_stored, join, msgid, render, t, tn
from tests.catalogue_scan import ROOT, all_id_uses, module_files, parsed

ID_SHAPE = re.compile(r"^[a-z0-9_]+(\.[a-z0-9_]+)+$")


def test_every_id_the_code_names_is_in_the_catalogue() -> None:
    missing = [
        f"{u.module}:{u.line} {u.msgid}" for u in all_id_uses() if u.msgid and u.msgid not in catalogue.entries()
    ]
    assert not missing, missing


def test_every_catalogue_entry_is_used_by_the_product() -> None:
    used = {use.msgid for use in all_id_uses()}
    dead = sorted(set(catalogue.entries()) - used)
    assert not dead, f"entries no product module names (write the id as a literal, or through msgid()): {dead}"


def test_placeholders_are_exactly_the_arguments_passed() -> None:
    wrong = []
    for use in all_id_uses():
        if use.msgid is None or use.args is None or use.msgid not in catalogue.entries():
            continue
        entry = catalogue.entries()[use.msgid]
        expected = entry.placeholders | ({"count"} if entry.plural else set())
        if use.args != expected:
            wrong.append(
                f"{use.module}:{use.line} {use.msgid}: passes {sorted(use.args)}, entry has {sorted(expected)}"
            )
    assert not wrong, wrong


def test_singular_and_plural_calls_match_their_entries() -> None:
    wrong = [
        f"{use.module}:{use.line} {use.function}({use.msgid!r})"
        for use in all_id_uses()
        if use.msgid in catalogue.entries()
        and use.function in ("t", "tn")
        and catalogue.entries()[use.msgid].plural != (use.function == "tn")
    ]
    assert not wrong, wrong


def test_entries_are_well_formed() -> None:
    for identifier, entry in catalogue.entries().items():
        assert ID_SHAPE.match(identifier), identifier
        assert all(form.strip() for form in entry.forms), f"{identifier} has an empty form"
        if entry.plural:
            assert len(entry.forms) == 2, f"{identifier}: English has two plural forms"


def test_the_scan_sees_the_product_using_the_catalogue() -> None:
    # A scanner that matched no calls would make the two tests above pass on anything.
    uses = all_id_uses()
    assert any(
        u.module == "handlers/assistant/router.py" and u.msgid == "start.welcome" and u.function == "t" for u in uses
    )
    assert any(u.function == "msgid" for u in uses)


def test_i18n_imports_nothing_of_the_product() -> None:
    # Every layer may use the catalogue, so it may depend on none of them.
    for module, path in module_files(("i18n",)).items():
        for node in ast.walk(parsed(path)):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert name.split(".")[0] not in {"bot", "handlers", "connectors", "db", "sandbox"}, (module, name)


# --- the API ---------------------------------------------------------------------------------------------------


def test_t_fills_an_entry() -> None:
    assert t("settings.timezone_set", zone="Europe/Paris") == "✅ Time zone set to <b>Europe/Paris</b>."
    assert t("fallback.unknown_command") == "I don't know that command. Send /help to see what I can do."


def test_an_unknown_id_raises_and_is_never_shown() -> None:
    with pytest.raises(UnknownText):
        t("no.such.entry")
    with pytest.raises(UnknownText):
        render(Text.of("no.such.entry"))


def test_a_missing_argument_raises() -> None:
    with pytest.raises(KeyError):
        t("settings.timezone_set")


def test_text_is_frozen_and_compares_by_value() -> None:
    args = {"zone": "UTC"}
    text = Text("settings.timezone_set", args)
    args["zone"] = "Asia/Tokyo"
    assert render(text) == "✅ Time zone set to <b>UTC</b>."
    assert text == Text.of("settings.timezone_set", zone="UTC")
    assert len({text, Text.of("settings.timezone_set", zone="UTC")}) == 1
    with pytest.raises(AttributeError):
        text.id = "other"  # type: ignore[misc]


def test_a_text_argument_is_rendered_inside_its_sentence() -> None:
    inner = Text.of("settings.timezone_set", zone="UTC")
    assert t("upload.failed", problem=inner) == "❌ ✅ Time zone set to <b>UTC</b>."


def test_join_formats_lists_through_cldr() -> None:
    assert join(["Binance", "OKX", "Bybit"]) == "Binance, OKX, and Bybit"
    assert join(["Binance", "OKX"], style="or") == "Binance or OKX"
    assert join(["Binance"]) == "Binance"


PLURAL_PO = """
msgid "test.rows"
msgid_plural "test.rows"
msgstr[0] "{count} row from {name}"
msgstr[1] "{count} rows from {name}"
"""

JA_PO = """msgid ""
msgstr ""
"Language: ja\\n"
"Plural-Forms: nplurals=1; plural=0;\\n"
"Content-Type: text/plain; charset=utf-8\\n"

msgid "fallback.unknown_command"
msgstr "そのコマンドは分かりません。"

msgid "test.rows"
msgid_plural "test.rows"
msgstr[0] "{name}から{count}行"

msgid "diagnosis.invalid_key.title"
msgstr "{name}はこのAPIキーを受け付けません"

msgid "sync.skip.not_offered"
msgstr "{name}はAPIで{label}を提供していません。"

msgid "endpoint.convert.phrase"
msgstr "コンバート履歴"
"""


@pytest.fixture
def locales(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A copy of the catalogues with a plural test entry and a small Japanese catalogue."""
    shutil.copytree(catalogue.LOCALES_DIR, tmp_path / "locales")
    english = tmp_path / "locales" / "en" / "LC_MESSAGES" / "tallybot.po"
    english.write_text(english.read_text(encoding="utf-8") + PLURAL_PO, encoding="utf-8")
    japanese = tmp_path / "locales" / "ja" / "LC_MESSAGES" / "tallybot.po"
    shutil.rmtree(japanese.parent.parent)  # the shipped Japanese catalogue: this test reads its own small one
    japanese.parent.mkdir(parents=True)
    japanese.write_text(JA_PO, encoding="utf-8")
    monkeypatch.setattr(catalogue, "LOCALES_DIR", tmp_path / "locales")
    clear_caches()
    yield tmp_path / "locales"
    monkeypatch.undo()
    clear_caches()


def clear_caches() -> None:
    for cached in (catalogue.entries, catalogue.available_locales, catalogue.translations):
        cached.cache_clear()


def test_plural_entries_pick_their_form_by_count(locales: Path) -> None:
    assert tn("test.rows", 1, name="OKX") == "1 row from OKX"
    assert tn("test.rows", 0, name="OKX") == "0 rows from OKX"
    assert tn("test.rows", 21, name="OKX") == "21 rows from OKX"
    assert render(Text.of("test.rows", count=2, name="OKX")) == "2 rows from OKX"
    with pytest.raises(UnknownText):
        render(Text.of("test.rows", name="OKX"))  # a plural text needs its count
    with pytest.raises(UnknownText):
        t("test.rows", name="OKX")
    with pytest.raises(UnknownText):
        tn("fallback.unknown_command", 2)


def test_another_locale_translates_and_falls_back_to_english(locales: Path) -> None:
    assert t("fallback.unknown_command", locale="ja") == "そのコマンドは分かりません。"
    assert t("fallback.unknown_command", locale="ja-JP") == "そのコマンドは分かりません。"
    assert tn("test.rows", 1, locale="ja", name="OKX") == "OKXから1行"
    # Not translated yet: English, never the id.
    assert t("gate.not_allowed", locale="ja").startswith("This Tallybot is private")
    # A language without a catalogue reads English, lists included.
    assert t("fallback.unknown_command", locale="de") == "I don't know that command. Send /help to see what I can do."
    assert join(["A", "B", "C"], locale="de") == "A, B, and C"
    # CLDR's Japanese list pattern is "{0}、{1}".
    assert join(["A", "B", "C"], locale="ja") == "A、B、C"


def test_results_carry_texts_that_each_reader_sees_in_their_language(locales: Path) -> None:
    # A diagnosis and a stored skip note hold ids and arguments: the same result reads in English and in Japanese.
    diagnosis = diagnosis_for(DiagnosisCode.INVALID_KEY, get_profile("binance"))
    assert diagnosis.title_in("en") == "Binance does not accept this API key"
    assert diagnosis.title_in("ja") == "BinanceはこのAPIキーを受け付けません"
    stored = {"id": "sync.skip.not_offered", "args": {"name": "Kraken", "label": {"id": "endpoint.convert.phrase"}}}
    assert endpoint_reason(None, stored, "Kraken") == "Kraken does not offer convert history through its API."
    assert endpoint_reason(None, stored, "Kraken", locale="ja") == "KrakenはAPIでコンバート履歴を提供していません。"


def test_an_id_defined_in_two_files_of_a_locale_is_refused(locales: Path) -> None:
    twin = locales / "en" / "LC_MESSAGES" / "twin.po"
    twin.write_text('msgid "fallback.unknown_command"\nmsgstr "Again"\n', encoding="utf-8")
    clear_caches()
    with pytest.raises(ValueError, match=r"fallback\.unknown_command.*twin\.po"):
        catalogue.entries()


def test_translations_agree_with_english_on_placeholders() -> None:
    # Issue 19 adds locales/ja: each translated entry must exist in English and use the same fields.
    for locale in catalogue.available_locales():
        if locale == catalogue.SOURCE_LOCALE:
            continue
        for message in catalogue.read_catalog(locale):
            if not message.id:
                continue
            identifier, forms = catalogue.id_and_forms(message)
            assert identifier in catalogue.entries(), (locale, identifier)
            for form in forms:
                if form:
                    assert catalogue.placeholders_of(form) <= catalogue.entries()[identifier].placeholders | {"count"}


def test_msgid_marks_an_id_without_rendering() -> None:
    assert msgid("start.welcome") == "start.welcome"
    assert ROOT.joinpath("i18n", "locales", "en", "LC_MESSAGES", "tallybot.po").exists()


def test_a_text_is_stored_as_its_id_and_arguments_and_read_back() -> None:
    text = Text.of("sync.skip.not_offered", name="Kraken", label=Text.of("endpoint.convert.phrase"))
    stored = text.to_json()
    assert stored == {
        "id": "sync.skip.not_offered",
        "args": {"name": "Kraken", "label": {"id": "endpoint.convert.phrase", "args": {}}},
    }
    assert from_stored(stored) == text
    assert render(from_stored(stored) or "") == "Kraken does not offer convert history through its API."
    # A row written before the catalogue holds English: it is shown as it is.
    assert from_stored("Kraken does not offer that.") == "Kraken does not offer that."
    assert from_stored(None) is None


def test_a_text_with_an_argument_json_cannot_hold_is_not_stored() -> None:
    with pytest.raises(TypeError, match="amount"):
        Text.of("upload.failed", amount=Decimal("1.5")).to_json()


def test_every_id_chosen_at_run_time_exists_and_gets_its_arguments() -> None:
    # Ids picked from a table (a code, a topic, a kind of history) are not literals at the call: render every one.
    from bot.open_messages import LEFT_OPEN, SYNC, UPLOAD
    from bot.troubleshooting import TOPICS, answer
    from connectors.profiles import Endpoint, popular_profiles
    from connectors.profiles.model import ENDPOINT_LABEL_IDS, ENDPOINT_PHRASE_IDS
    from handlers.closing import FAILED, STOPPED

    profiles = popular_profiles()
    for profile in profiles:
        for code in DiagnosisCode:
            spec = profile.endpoints[0]
            for variant in (None, "withdraw", "trade", "after_success"):
                diagnosis = diagnosis_for(code, profile, variant=variant, retry_after=30.0, endpoint=spec)
                assert diagnosis.title and diagnosis.explanation and all(diagnosis.tips)
                assert "{" not in diagnosis.title + diagnosis.explanation
            assert endpoint_reason(str(code), None, profile.name)
    for topic in TOPICS:
        assert "{" not in answer(topic, list(profiles))
    for kind in Endpoint:
        assert t(ENDPOINT_LABEL_IDS[kind]) and t(ENDPOINT_PHRASE_IDS[kind])
    assert all(t(STOPPED[kind]) and t(FAILED[kind]) and t(LEFT_OPEN[kind]) for kind in (SYNC, UPLOAD))


def test_a_sync_plan_names_each_kind_of_history_by_id() -> None:
    from bot.sync.plan import SyncTarget, plan_endpoints
    from connectors.profiles import Endpoint

    bitget = get_profile("bitget")
    # P2P trades: a kind Bitget offers to no key (the other kinds are offered to one key type or another).
    assert not any(spec.endpoint is Endpoint.P2P for spec in bitget.endpoints)
    wanted = ("ledger", "p2p")
    target = SyncTarget(1001, 1, "Bitget-1", "bitget", bitget, bitget.key_type("tax"), None, wanted)
    ledger, p2p = plan_endpoints(target)  # in sync order
    assert ledger.endpoint is Endpoint.LEDGER and ledger.skip_notice is None
    assert ledger.label_text == Text.of("profile.bitget.tax_spot.label")
    assert render(ledger.label_text) == ledger.label == "Spot transaction records (tax)"
    assert p2p.skip_notice is not None
    assert render(p2p.skip_notice) == "Bitget does not offer P2P trades through its API."


def test_a_rejected_value_telegram_kept_is_not_said_to_be_deleted() -> None:
    # The pasted value could not be deleted: the warning says so, and the line before it must not claim otherwise.
    assert t("assistant.field.rejected_not_deleted", problem="Too short.", label="Secret key", warning="⚠️ W") == (
        "✋ Too short.\nPlease paste the Secret key again.\n\n⚠️ W"
    )


def test_a_file_size_is_worded_by_the_catalogue_with_its_plural() -> None:
    from connectors.files.reading import size_limit_text

    mega = 1024 * 1024
    assert [size_limit_text(n) for n in (20 * mega, 3 * mega // 2, 300 * 1024, 100, 1)] == [
        "20 MB",
        "1.5 MB",
        "300 KB",
        "100 bytes",
        "1 byte",
    ]
