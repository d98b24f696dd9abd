"""NER on the real spaCy model, the date rules, the markup rules, and GLiNER's error paths."""

from __future__ import annotations

from datetime import date

import pytest

from engine.errors import ModelCorrupt, ModelUnavailable
from engine.inference.dates import find_dates, resolve_date
from engine.inference.markup import find_markup
from engine.inference.ner import GlinerNER
from engine.types import Models

THURSDAY = date(2026, 2, 26)


@pytest.fixture(scope="module")
def models():
    m = Models(today=lambda: THURSDAY)
    yield m
    m.close()


@pytest.mark.slow
def test_the_issue_sentence(models):
    entities = models.ner.extract("I met Sarah from Acme, call her next Tuesday about #marathon")
    found = {(e.text, e.type, e.value) for e in entities}
    assert found == {
        ("Sarah", "person", None),
        ("Acme", "organization", None),
        ("next Tuesday", "date", "2026-03-03"),
        ("#marathon", "project", "marathon"),
    }


@pytest.mark.slow
def test_places_stay_places_and_spans_point_into_the_text(models):
    text = "Flying from Lisbon to Berlin on March 3 with Tom; [[Trip plan]] and @maria know."
    entities = models.ner.extract(text)
    for e in entities:
        assert text[e.start : e.end] == e.text
    kinds = {e.text: e.type for e in entities}
    assert kinds["Lisbon"] == "place" and kinds["Berlin"] == "place"
    assert kinds["March 3"] == "date" and kinds["@maria"] == "person" and kinds["[[Trip plan]]"] == "link"


@pytest.mark.slow
def test_today_can_be_passed_per_call_and_batches_match(models):
    texts = ["Dentist tomorrow", "Review with Priya at Google on 2026-03-10"]
    batch = models.ner.extract_batch(texts, today=date(2026, 12, 31))
    assert batch[0][0].value == "2027-01-01"
    assert [e.value for e in batch[1] if e.type == "date"] == ["2026-03-10"]
    assert batch[1] == models.ner.extract(texts[1], today=date(2026, 12, 31))


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("today", "2026-02-26"),
        ("tomorrow", "2026-02-27"),
        ("yesterday", "2026-02-25"),
        ("the day after tomorrow", "2026-02-28"),
        ("Tuesday", "2026-03-03"),
        ("this Thursday", "2026-02-26"),
        ("on Friday", "2026-02-27"),
        ("next Tuesday", "2026-03-03"),
        ("next Friday", "2026-03-06"),
        ("last Thursday", "2026-02-19"),
        ("next week", "2026-03-02"),
        ("next month", "2026-03-01"),
        ("next year", "2027-01-01"),
        ("in 3 days", "2026-03-01"),
        ("in two weeks", "2026-03-12"),
        ("in a month", "2026-03-26"),
        ("2026-03-01", "2026-03-01"),
        ("March 3", "2026-03-03"),
        ("March 3rd, 2027", "2027-03-03"),
        ("3 March", "2026-03-03"),
        ("the 3rd of March", "2026-03-03"),
        ("Dec 20", "2025-12-20"),  # nearest occurrence: last December, not next
        ("Sept 1", "2025-09-01"),  # 178 days back is nearer than 187 ahead
        ("Aug 1", "2026-08-01"),
    ],
)
def test_date_phrases_resolve_against_today(phrase, expected):
    assert resolve_date(phrase, THURSDAY) == date.fromisoformat(expected)


def test_dates_that_are_not_resolved():
    assert resolve_date("2026-02-30", THURSDAY) is None
    assert resolve_date("3/4/2026", THURSDAY) is None
    assert find_dates("we may march on", THURSDAY) == []
    assert find_dates("brunch on sat", THURSDAY) == []  # a bare lower-case abbreviation is a word


def test_dates_in_running_text():
    found = find_dates("Call Sam next Tuesday, then the review on 2026-04-01 and drinks tomorrow.", THURSDAY)
    assert [(m.text, m.value.isoformat()) for m in found] == [
        ("next Tuesday", "2026-03-03"),
        ("2026-04-01", "2026-04-01"),
        ("tomorrow", "2026-02-27"),
    ]


def test_markup():
    text = "Plan #marathon and #area/health with @sam.lee; see [[Race plan|the plan]] #milestone/first-10k. a#b x@y.com"
    found = [(e.text, e.type, e.value) for e in find_markup(text)]
    assert found == [
        ("#marathon", "project", "marathon"),
        ("#area/health", "area", "health"),
        ("@sam.lee", "person", "sam.lee"),
        ("[[Race plan|the plan]]", "link", "Race plan"),
        ("#milestone/first-10k", "milestone", "first-10k"),
    ]


def test_gliner_missing_folder_is_a_clear_error(tmp_path):
    ner = GlinerNER("mine", "test", tmp_path / "absent")
    with pytest.raises(ModelUnavailable, match="GLiNER model folder for 'mine' not found"):
        ner.extract("Sarah")


def test_gliner_folder_without_files_names_them(tmp_path):
    (tmp_path / "g").mkdir()
    ner = GlinerNER("mine", "test", tmp_path / "g")
    with pytest.raises(ModelUnavailable, match=r"lacks onnx/model.onnx, tokenizer.json"):
        ner.extract("Sarah")


def test_gliner_corrupt_files_are_a_clear_error(tmp_path):
    folder = tmp_path / "g"
    (folder / "onnx").mkdir(parents=True)
    (folder / "onnx" / "model.onnx").write_bytes(b"garbage" * 50)
    (folder / "tokenizer.json").write_text("{}")
    (folder / "gliner_config.json").write_text("{}")
    ner = GlinerNER("mine", "test", folder)
    with pytest.raises(ModelCorrupt, match="cannot load the GLiNER model 'mine'"):
        ner.extract("Sarah")
