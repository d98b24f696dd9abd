"""Named entities mapped onto our types: person, organization, place, date, project, milestone, area.

Three layers, most trusted first, and a span claimed by one layer is not re-typed by the next:
1. markup the coachee typed (`markup.find_markup`: #tags, @mentions, [[links]]),
2. dates resolved by rules against `today` (`dates.find_dates`),
3. a statistical model: spaCy `en_core_web_sm` by default, or a user-added GLiNER model.

spaCy labels map as PERSON → person, ORG → organization, GPE/LOC/FAC → place, DATE → date (resolved
when the rules can), EVENT → milestone; the others (money, quantities, nationalities, works of art,
products, times) are not types the memory layer keeps. One correction: the small model calls unknown
capitalised names after 'from', 'at', 'with', 'for' or 'joined' places; unless the gazetteer
(`places`) knows them they become organizations ('Sarah from Acme').
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from engine.errors import ModelCorrupt, ModelUnavailable
from engine.inference.base import Entity, EntityExtractor, EntityType
from engine.inference.dates import find_dates, resolve_date
from engine.inference.markup import find_markup
from engine.inference.places import is_known_place
from engine.inference.rss import MB

Today = Callable[[], date]

SPACY_TYPES: dict[str, EntityType] = {
    "PERSON": "person",
    "ORG": "organization",
    "GPE": "place",
    "LOC": "place",
    "FAC": "place",
    "DATE": "date",
    "EVENT": "milestone",
}
ORG_CUES = frozenset({"from", "at", "with", "for", "joined", "joining", "join"})
SPACY_EXCLUDE = ("tagger", "parser", "attribute_ruler", "lemmatizer", "senter")  # NER needs tok2vec only


def merge(text: str, today: date, model_entities: Iterable[Entity]) -> list[Entity]:
    """Markup first, then rule-resolved dates, then the model's entities on the spans still free."""
    entities = find_markup(text)
    taken = [(e.start, e.end) for e in entities]

    def free(start: int, end: int) -> bool:
        return not any(start < e and s < end for s, e in taken)

    for mention in find_dates(text, today):
        if free(mention.start, mention.end):
            entities.append(
                Entity(
                    mention.text, "date", mention.start, mention.end, "dates", value=mention.value.isoformat()
                )
            )
            taken.append((mention.start, mention.end))
    for entity in model_entities:
        if not free(entity.start, entity.end):
            continue
        if entity.type == "date" and entity.value is None:
            resolved = resolve_date(entity.text, today)
            if resolved is not None:
                entity = Entity(
                    entity.text,
                    "date",
                    entity.start,
                    entity.end,
                    entity.source,
                    resolved.isoformat(),
                    entity.score,
                )
        entities.append(entity)
        taken.append((entity.start, entity.end))
    return sorted(entities, key=lambda e: (e.start, e.end))


class SpacyNER(EntityExtractor):
    """spaCy pipeline (tok2vec + ner only) from a model folder, plus the markup and date rules."""

    backend = "spacy"

    def __init__(self, name: str, source: str, path: Path, today: Today = date.today) -> None:
        # import spacy ≈ 63 MB, tok2vec + ner ≈ 36 MB, parsing a batch ≈ 10 MB (measured)
        super().__init__(name, source, path, estimated_bytes=110 * MB)
        self.today = today
        self._nlp: Any = None
        self._lock = threading.Lock()  # a spaCy Language is not safe to call from two threads

    @property
    def is_loaded(self) -> bool:
        return self._nlp is not None

    def _load(self) -> None:
        assert self.path is not None
        if not (self.path / "config.cfg").is_file():
            raise ModelUnavailable(
                f"spaCy model {self.name!r} not found at {self.path}; install the package {self.source!r}"
            )
        import spacy

        try:
            self._nlp = spacy.load(self.path, exclude=list(SPACY_EXCLUDE))
        except Exception as exc:  # spaCy raises OSError, ValueError, KeyError, config errors…
            raise ModelCorrupt(f"cannot load the spaCy model {self.name!r} from {self.path}: {exc}") from exc

    def _unload(self) -> None:
        self._nlp = None

    def extract_batch(self, texts: Sequence[str], *, today: date | None = None) -> list[list[Entity]]:
        day = today or self.today()
        with self.active(), self._lock:
            docs = list(self._nlp.pipe(texts, batch_size=16))
        return [merge(text, day, self._entities(doc)) for text, doc in zip(texts, docs, strict=True)]

    def _entities(self, doc: Any) -> Iterable[Entity]:
        for ent in doc.ents:
            kind = SPACY_TYPES.get(ent.label_)
            if kind is None:
                continue
            if kind == "place" and ent.label_ in ("GPE", "LOC") and not is_known_place(ent.text):
                before = doc[ent.start - 1].lower_ if ent.start > 0 else ""
                if before in ORG_CUES:
                    kind = "organization"
            yield Entity(ent.text, kind, ent.start_char, ent.end_char, "spacy")

    def describe(self) -> str:
        return "spaCy tok2vec+ner, markup and date rules"


DEFAULT_GLINER_LABELS: dict[str, str] = {
    "person": "person",
    "organization": "organization",
    "place": "location",
    "date": "date",
    "project": "project",
    "milestone": "milestone",
    "area": "area of life",
}


class GlinerNER(EntityExtractor):
    """A GLiNER ONNX model folder run by `fast-gliner` (no torch), plus the markup and date rules.

    GLiNER takes the entity types as prompts, so it can find projects, milestones and areas that
    spaCy has no label for. `labels` maps our types to the prompt words. fast-gliner runs its own
    ONNX Runtime inside Rust, so its memory is outside the shared arena; the budget still charges
    what its load adds to the process.
    """

    backend = "gliner"

    def __init__(
        self,
        name: str,
        source: str,
        path: Path,
        *,
        onnx_file: str = "onnx/model.onnx",
        labels: Mapping[str, str] | None = None,
        threshold: float = 0.5,
        today: Today = date.today,
    ) -> None:
        size = (path / onnx_file).stat().st_size if (path / onnx_file).is_file() else 200 * MB
        super().__init__(name, source, path, estimated_bytes=int(size * 1.5) + 30 * MB)
        self.onnx_file = onnx_file
        self.labels = dict(labels or DEFAULT_GLINER_LABELS)
        self.threshold = threshold
        self.today = today
        self._model: Any = None
        self._lock = threading.Lock()

    @property
    def is_loaded(self) -> bool:
        return self._model is not None

    def _load(self) -> None:
        assert self.path is not None
        if not self.path.is_dir():
            raise ModelUnavailable(f"GLiNER model folder for {self.name!r} not found: {self.path}")
        missing = [f for f in (self.onnx_file, "tokenizer.json") if not (self.path / f).is_file()]
        if missing:
            raise ModelUnavailable(
                f"GLiNER model folder {self.path} lacks {', '.join(missing)}; export the model to ONNX "
                "with its tokenizer.json (see models/README.md)"
            )
        from fast_gliner import FastGLiNER  # never `from_pretrained`: it would download a missing model

        try:
            self._model = FastGLiNER(str(self.path), onnx_path=self.onnx_file, execution_provider="cpu")
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:  # the Rust runtime panics (pyo3 PanicException) on bad files
            raise ModelCorrupt(f"cannot load the GLiNER model {self.name!r} from {self.path}: {exc}") from exc

    def _unload(self) -> None:
        self._model = None

    def extract_batch(self, texts: Sequence[str], *, today: date | None = None) -> list[list[Entity]]:
        day = today or self.today()
        prompts = list(self.labels.values())
        back = {prompt: ours for ours, prompt in self.labels.items()}
        with self.active(), self._lock:
            try:
                raw = self._model.predict_entities(list(texts), prompts)
            except (KeyboardInterrupt, SystemExit):
                raise
            except BaseException as exc:
                raise ModelCorrupt(f"the GLiNER model {self.name!r} failed to run: {exc}") from exc
        results = []
        for text, found in zip(texts, raw, strict=True):
            model_entities = [
                Entity(
                    f["text"],
                    back[f["label"]],
                    int(f["start"]),
                    int(f["end"]),
                    "gliner",
                    score=float(f["score"]),
                )  # type: ignore[arg-type]
                for f in found
                if f.get("label") in back and float(f.get("score", 0.0)) >= self.threshold
            ]
            results.append(merge(text, day, model_entities))
        return results

    def describe(self) -> str:
        return f"GLiNER labels {', '.join(self.labels)}; threshold {self.threshold}"
