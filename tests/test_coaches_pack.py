"""Coach packs: the Stoic demo pack from the shared corpus, verification, tampering, schema, builder."""

from __future__ import annotations

import json
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest

from engine.api import Engine
from engine.coaches import builder, sources
from engine.coaches.manifest import SCHEMA_VERSION
from engine.coaches.pack import INDEX, KNOWLEDGE
from engine.errors import PackError, PackTampered, PackTooNew
from engine.retrieval.knowledge import embedding_text
from engine.types import Models, open_pack, token_counter
from testkit.coaches import build_stoic
from tests.conftest import PASSPHRASE, SHARED

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def models():
    m = Models()
    yield m
    m.close()


@pytest.fixture(scope="module")
def stoic_pack(tmp_path_factory: pytest.TempPathFactory, models: Models) -> Path:
    out = tmp_path_factory.mktemp("packs") / "stoic.coach"
    report = build_stoic(models, out)
    assert (report.passages, report.vectors, report.flagged, report.warnings) == (1043, 3139, [], [])
    return out


def test_stoic_pack_holds_marcus_and_epictetus_from_the_shared_corpus_and_no_seneca(stoic_pack: Path):
    pack = open_pack(stoic_pack)
    passages = {p.ref: p for p in pack.passages()}
    corpus = SHARED / "data" / "stoic" / "corpus.jsonl"
    if not corpus.is_file():
        pytest.skip(f"the shared corpus is not here: {corpus}")
    shared = [json.loads(line) for line in corpus.read_text().splitlines() if line.strip()]
    wanted = {d["_id"]: d for d in shared if not d["_id"].startswith("sen-")}
    assert set(passages) == set(wanted)  # corpus ids are the citation ids
    assert all(passages[i].text == d["text"] and passages[i].title == d["title"] for i, d in wanted.items())
    m = pack.manifest
    assert (m.id, m.domain, m.schema, m.persona) == ("stoic", "Wisdom", SCHEMA_VERSION, "mentor")
    assert {s.author for s in m.sources} == {"Marcus Aurelius", "Epictetus"}
    assert all(s.licence == "Public domain" for s in m.sources)
    assert {p for s in m.sources for p in s.ref_prefixes} == {"med-", "ench-", "disc-"}
    assert set(m.files) >= {"soul.md", "agent.md", KNOWLEDGE, INDEX} and len(pack.examples()) == 4
    assert m.sizes["vectors"] == 3139 and m.embedder_id


def test_pack_vectors_are_the_embedders(stoic_pack: Path, models: Models):
    pack = open_pack(stoic_pack)
    vectors = pack.vectors()
    assert vectors is not None and pack.manifest.embedder_id == models.embedder.embedder_id
    sample = [p for p in pack.passages() if p.ref in ("med-4-7", "ench-20", "disc-3-18-p1")]
    live = models.embedder.embed_batch([embedding_text(p.title, p.text) for p in sample], kind="document")
    for p, v in zip(sample, live, strict=True):
        assert float(np.dot(vectors[p.ref][0], v)) > 0.99


def test_stoic_pack_installs_offline_with_prebuilt_vectors(stoic_pack: Path, models: Models, tmp_path: Path):
    with Engine.create(tmp_path / "p", PASSPHRASE, models=models) as engine:
        stages: list[str] = []
        started = time.perf_counter()
        report = engine.coaches.install(stoic_pack, progress=lambda s, d, t: stages.append(s))
        seconds = time.perf_counter() - started
        assert (report.action, report.passages, report.vectors, report.embedded) == (
            "installed",
            1043,
            3139,
            False,
        )
        assert seconds < 10  # measured about 1 s; the target is 3 s (bench/chat_bench.py reports it)
        assert set(stages) == {"index"}
        hits = engine.knowledge.search("stoic", "someone insulted me", limit=5).hits
        assert hits and all(h.ref.split("-")[0] in ("med", "ench", "disc") for h in hits)
        assert engine.coaches.install(stoic_pack).action == "unchanged"
        coach = engine.coaches.get("stoic")
        assert coach.soul.startswith("+++") and "Stoic Mentor" in coach.soul and coach.passages == 1043


def _flip(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def test_one_changed_byte_in_a_pack_folder_is_refused_naming_the_file(stoic_pack: Path, tmp_path: Path):
    folder = tmp_path / "stoic"
    with zipfile.ZipFile(stoic_pack) as archive:
        archive.extractall(folder)
    assert open_pack(folder).manifest.id == "stoic"
    _flip(folder / KNOWLEDGE, 1000)
    with pytest.raises(
        PackTampered, match=r"knowledge/passages\.jsonl\.zst does not match its checksum"
    ) as info:
        open_pack(folder)
    assert info.value.path == KNOWLEDGE


def test_one_changed_byte_in_a_coach_file_is_refused_naming_the_member(stoic_pack: Path, tmp_path: Path):
    copy = tmp_path / "stoic.coach"
    copy.write_bytes(stoic_pack.read_bytes())
    with zipfile.ZipFile(copy) as archive:
        info = archive.getinfo("soul.md")
    _flip(copy, info.header_offset + 30 + len(info.filename) + 5)  # a byte of soul.md's stored data
    with pytest.raises(PackTampered, match=r"soul\.md") as raised:
        open_pack(copy)
    assert raised.value.path == "soul.md"


def test_the_cli_refuses_a_tampered_pack_naming_the_file(stoic_pack: Path, tmp_path: Path):
    from tests.conftest import run_cli

    folder = tmp_path / "stoic"
    with zipfile.ZipFile(stoic_pack) as archive:
        archive.extractall(folder)
    _flip(folder / "agent.md", 3)
    assert run_cli("--home", str(tmp_path / "h"), "init").returncode == 0
    result = run_cli("--home", str(tmp_path / "h"), "coach", "install", str(folder))
    assert result.returncode == 4
    assert "agent.md does not match its checksum" in result.stderr


def test_unlisted_or_missing_files_and_newer_formats_are_refused(stoic_pack: Path, tmp_path: Path):
    folder = tmp_path / "stoic"
    with zipfile.ZipFile(stoic_pack) as archive:
        archive.extractall(folder)
    (folder / "examples" / "99-extra.md").write_text("smuggled")
    with pytest.raises(PackTampered, match=r"examples/99-extra\.md is not listed"):
        open_pack(folder)
    (folder / "examples" / "99-extra.md").unlink()
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["schema"] = SCHEMA_VERSION + 1
    (folder / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(PackTooNew, match=f"pack format {SCHEMA_VERSION + 1}.*Update LifeOS Coach"):
        open_pack(folder)
    manifest["schema"] = SCHEMA_VERSION
    manifest["files"]["../escape.md"] = "0" * 64
    (folder / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(PackError, match="unsafe file name"):
        open_pack(folder)


def _creator_folder(root: Path, version: str = "1.0", extra: str = "") -> Path:
    (root / "knowledge").mkdir(parents=True, exist_ok=True)
    (root / "coach.toml").write_text(
        f'id = "sleep"\nname = "Sleep Coach"\nversion = "{version}"\ndomain = "Health"\npersona = "analyst"\n'
        '[[sources]]\ntitle = "Sleep notes"\nauthor = "LifeOS Coach"\norigin = "written for the tests"\n'
        'licence = "CC0"\nfiles = ["sleep.md"]\n'
    )
    long_paragraph = " ".join(
        f"Sentence {i} explains how light in the evening delays the body clock." for i in range(40)
    )
    (root / "knowledge" / "sleep.md").write_text(
        "# Sleep\n\nSleep is built by habits.\n\n## Caffeine\n\nCaffeine has a half-life of about five hours, "
        "so an afternoon coffee is still working at bedtime.\n\n## Light\n\n"
        + long_paragraph
        + "\n\n"
        + extra
    )
    (root / "knowledge" / "notes.txt").write_text(
        "WIND DOWN\n\nA fixed wind-down routine tells the body that sleep is near.\n"
    )
    return root


def test_builder_follows_headings_and_never_exceeds_the_embedders_window(tmp_path: Path, models: Models):
    embedder = models.embedder
    count = token_counter(embedder)
    report = builder.build(
        _creator_folder(tmp_path / "src"), None, count_tokens=count, window=embedder.max_tokens, preview=50
    )
    passages = report.samples
    assert report.out is None and not (tmp_path / "out").exists()  # a preview writes nothing
    titles = [p.title for p in passages]
    assert (
        titles[:3] == ["Notes › Wind Down", "Sleep", "Sleep › Caffeine"]
        and titles.count("Sleep › Light") >= 2
    )
    assert "Notes › Wind Down" in titles
    for p in passages:
        assert count([embedding_text(p.title, p.text)])[0] <= embedder.max_tokens
    assert any("3 to 5" in w for w in report.warnings)  # no examples/ in this folder


def test_pdf_text_is_extracted_and_pages_without_text_are_flagged(tmp_path: Path):
    from pypdf import PdfWriter
    from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

    writer = PdfWriter()
    page = writer.add_blank_page(612, 792)
    font = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject("/Helvetica"),
        }
    )
    page[NameObject("/Resources")] = DictionaryObject(
        {NameObject("/Font"): DictionaryObject({NameObject("/F1"): writer._add_object(font)})}
    )
    stream = DecodedStreamObject()
    stream.set_data(b"BT /F1 12 Tf 72 700 Td (Walking after meals steadies blood sugar.) Tj ET")
    page[NameObject("/Contents")] = writer._add_object(stream)
    writer.add_blank_page(612, 792)  # a scanned page: no text layer
    path = tmp_path / "guide.pdf"
    with path.open("wb") as handle:
        writer.write(handle)
    got = sources.extract(path, max_tokens=256)
    assert [p.text for p in got.passages] == ["Walking after meals steadies blood sugar."]
    assert got.passages[0].title == "Guide, p. 1"
    assert got.flagged == ["guide.pdf p. 2: no text layer (scanned?); OCR it to include it"]


def test_update_replaces_knowledge_keeps_the_conversation_and_removal_keeps_memory(
    tmp_path: Path, models: Models
):
    embedder = models.embedder
    v1 = builder.build(
        _creator_folder(tmp_path / "v1"),
        tmp_path / "sleep-1.0.coach",
        embedder=embedder,
        count_tokens=token_counter(embedder),
    ).out
    v2 = builder.build(
        _creator_folder(
            tmp_path / "v2", "1.1", "## Naps\n\nA nap of twenty minutes refreshes without grogginess.\n"
        ),
        tmp_path / "sleep-1.1.coach",
    ).out
    assert v1 is not None and v2 is not None
    with Engine.create(tmp_path / "p", PASSPHRASE, models=models) as engine:
        first = engine.coaches.install(v1)
        assert (first.action, first.embedded) == ("installed", False) and first.vectors > 0  # prebuilt
        engine.chat.send("sleep", "I drink coffee at 4pm and can't fall asleep")
        update = engine.coaches.install(v2)
        assert (update.action, update.previous_version, update.version) == ("updated", "1.0", "1.1")
        assert update.embedded and update.vectors >= update.passages  # a pack without vectors: embedded here
        assert engine.coaches.get("sleep").version == "1.1"
        assert any("Naps" in h.title for h in engine.knowledge.search("sleep", "nap", limit=3).hits)
        assert len(engine.chat.conversation("sleep")) == 2
        with pytest.raises(Exception, match="newer than this pack"):
            engine.coaches.install(v1)
        engine.memory.capture("I want to sleep eight hours a night")
        assert engine.coaches.remove("sleep") == update.passages
        assert engine.coaches.list() == [] and engine.knowledge.search("sleep", "nap").hits == []
        assert len(engine.chat.conversation("sleep")) == 2 and engine.notes.list(kind="chat")
        assert engine.memory.recall("sleep eight hours")
