"""The registry and the memory budget, driven by a test backend registered as a real plugin."""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from engine.errors import MemoryBudgetExceeded, UnknownModel
from engine.inference import Embedder, Transcriber
from engine.inference.base import Reranker
from engine.types import MB, Models, Transcript


class FakeEmbedder(Embedder):
    """Holds a real buffer of `megabytes` so the budget's RSS measurement sees it."""

    backend = "fake"
    dimension = 4

    def __init__(self, name: str, megabytes: int, log: list[str]) -> None:
        super().__init__(name, "test plugin", None, estimated_bytes=megabytes * MB)
        self.megabytes = megabytes
        self.log = log
        self._weights: np.ndarray | None = None

    @property
    def is_loaded(self) -> bool:
        return self._weights is not None

    def _load(self) -> None:
        self.log.append(f"load {self.name}")
        self._weights = np.ones(self.megabytes * MB, dtype=np.uint8)

    def _unload(self) -> None:
        self.log.append(f"unload {self.name}")
        self._weights = None

    @property
    def embedder_id(self) -> str:
        return f"{self.name}@test"

    def embed_batch(self, texts: Sequence[str], *, kind: str = "document") -> np.ndarray:
        with self.active():
            return np.tile(np.array([1.0, 0, 0, 0], np.float32), (len(texts), 1))


class FakeTranscriber(Transcriber):
    backend = "fake-asr"

    def __init__(self, log: list[str]) -> None:
        super().__init__("fake-asr", "test plugin", None, estimated_bytes=60 * MB)
        self.log = log
        self.loaded = False

    @property
    def is_loaded(self) -> bool:
        return self.loaded

    def _load(self) -> None:
        self.log.append("load asr")
        self.loaded = True

    def _unload(self) -> None:
        self.log.append("unload asr")
        self.loaded = False

    def transcribe_batch(self, paths: Sequence[Path]) -> list[Transcript]:
        with self.active():
            return [Transcript("hello", "en", 1.0, (), self.name, 0.1) for _ in paths]


class Plugin:
    """A plugin object with the same hook the built-ins use."""

    def __init__(self) -> None:
        self.log: list[str] = []

    def register_models(self, register, context) -> None:
        register(FakeEmbedder("fake-a", 40, self.log), default=True)
        register(FakeEmbedder("fake-b", 40, self.log))
        register(FakeTranscriber(self.log), default=True)


def test_plugin_models_register_and_can_be_chosen():
    plugin = Plugin()
    models = Models(plugins=[plugin], choose={"embedder": "fake-b"})
    assert models.embedder.name == "fake-b"
    assert models.embedder.embed("x").shape == (4,)
    names = [(r.role, r.name, r.default) for r in models.status() if r.role == "embedder"]
    assert names[0] == ("embedder", "fake-b", True)
    assert {n for _, n, _ in names} == {"fake-b", "fake-a", "minilm-l6-v2-int8"}
    with pytest.raises(UnknownModel, match="no embedder model named 'nope'"):
        Models(plugins=[Plugin()], choose={"embedder": "nope"})


def test_least_recently_used_model_is_unloaded_when_the_next_would_not_fit():
    plugin = Plugin()
    # 100 MB budget − 10 MB arena = 90 MB: two 40 MB models fit, a transcriber (60 MB) does not.
    models = Models(budget_mb=100, arena_mb=10, plugins=[plugin])
    a = models.registry.get(models.embedder.role, "fake-a")
    b = models.registry.get(models.embedder.role, "fake-b")
    a.embed("x")
    b.embed("x")
    a.embed("x")  # b is now least recently used
    assert a.is_loaded and b.is_loaded
    models.transcribe("memo.wav")
    assert plugin.log == [
        "load fake-a",
        "load fake-b",
        "unload fake-b",
        "unload fake-a",
        "load asr",
        "unload asr",
    ]
    assert models.budget.evictions == ["embedder:fake-b", "embedder:fake-a"]
    assert not models.asr.is_loaded  # transient: gone right after the memo
    status = models.budget_status()
    assert status.budget_bytes == 100 * MB and status.arena_bytes == 10 * MB


def test_measured_memory_is_charged_while_loaded():
    plugin = Plugin()
    models = Models(budget_mb=300, plugins=[plugin])
    models.embedder.embed("x")
    row = next(r for r in models.status() if r.name == "fake-a")
    assert row.loaded and 30 * MB < row.memory_bytes < 60 * MB
    models.close()
    assert not models.embedder.is_loaded and models.budget.charge(models.embedder) == 0


def test_a_model_larger_than_the_budget_is_refused_clearly():
    plugin = Plugin()
    models = Models(budget_mb=40, arena_mb=10, plugins=[plugin])
    with pytest.raises(MemoryBudgetExceeded, match=r"'fake-a' needs about 40 MB, more than the 40 MB budget"):
        models.embedder.embed("x")


def test_a_model_in_use_is_not_evicted():
    plugin = Plugin()
    models = Models(budget_mb=100, arena_mb=10, plugins=[plugin])
    a = models.registry.get(models.embedder.role, "fake-a")
    b = models.registry.get(models.embedder.role, "fake-b")
    holding, release = threading.Event(), threading.Event()

    def hold_a() -> None:
        with a.active():
            holding.set()
            release.wait(5)

    worker = threading.Thread(target=hold_a)
    worker.start()
    holding.wait(5)
    b.embed("x")
    threading.Timer(0.3, release.set).start()
    models.transcribe("memo.wav")  # must wait for a's call to end, then evict
    worker.join()
    assert plugin.log.index("unload fake-a") > plugin.log.index("load fake-b")


def test_manifest_problems_are_reported_not_fatal(tmp_path):
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "manifest.json").write_text("{ nope")
    (tmp_path / "chat").mkdir()
    (tmp_path / "chat" / "manifest.json").write_text(
        json.dumps({"name": "llama", "role": "reasoner", "backend": "gguf", "model": "m.gguf"})
    )
    (tmp_path / "odd").mkdir()
    (tmp_path / "odd" / "manifest.json").write_text(
        json.dumps({"name": "x", "role": "wizard", "backend": "y"})
    )
    models = Models(extra_dirs=[tmp_path, tmp_path / "does-not-exist"])
    problems = "\n".join(models.problems)
    assert "broken/manifest.json" in problems
    assert "no installed backend runs 'gguf' models (reasoner)" in problems
    assert "unknown role 'wizard'" in problems
    assert models.embedder.name == "minilm-l6-v2-int8"


def test_reranker_interface_orders_ties_by_position():
    class Constant(Reranker):
        backend = "constant"

        @property
        def is_loaded(self) -> bool:
            return True

        def _load(self) -> None: ...

        def _unload(self) -> None: ...

        def score_batch(self, query, passages):
            return np.array([1.0, 2.0, 1.0], np.float32)

    ranked = Constant("c", "test", None, 0).rerank("q", ["a", "b", "c"], top_k=2)
    assert [(r.index, r.score) for r in ranked] == [(1, 2.0), (0, 1.0)]
