"""The corpus folder itself: every exchange folder in ../shared/api-examples is one Tallybot checks."""

from __future__ import annotations

from tests.conformance.corpus import API_EXAMPLES, EXCHANGES, example_files


def test_every_exchange_folder_of_the_corpus_is_checked() -> None:
    folders = {path.name for path in API_EXAMPLES.iterdir() if path.is_dir()} - {"recorded"}
    recorded = {path.name for path in (API_EXAMPLES / "recorded").iterdir() if path.is_dir()}
    unread = (folders | recorded) - set(EXCHANGES)
    assert not unread, f"payloads of an exchange no conformance test reads: {unread}"


def test_every_exchange_has_documented_payloads() -> None:
    for exchange in EXCHANGES:
        assert example_files(exchange), exchange
