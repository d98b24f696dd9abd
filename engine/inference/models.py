"""`Models`: the one object the engine holds for every on-device model (exposed as `engine.models`).

It collects the registry from the plugins, attaches every model to one `MemoryBudget`, and hands out
the model serving each role. Creating it loads nothing and imports no model runtime; each model
loads on its first call and may be unloaded later to make room (least recently used first).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from engine.inference.base import (
    Embedder,
    EntityExtractor,
    ModelStatus,
    Reranker,
    Role,
    Transcriber,
    Transcript,
    file_size,
)
from engine.inference.budget import DEFAULT_BUDGET_MB, MemoryBudget
from engine.inference.onnx_runtime import DEFAULT_ARENA_MB
from engine.inference.registry import PluginContext, Registry, collect
from engine.inference.rss import MB, current_rss_bytes, peak_rss_bytes


@dataclass(frozen=True)
class BudgetStatus:
    budget_bytes: int
    arena_bytes: int  # reserved for the shared ONNX Runtime arena (activations of any ONNX model)
    charged_bytes: int  # measured RSS of the loaded models plus the arena reservation
    process_rss_bytes: int | None
    process_peak_rss_bytes: int | None
    evictions: tuple[str, ...]


class Models:
    """Every on-device model behind one memory budget.

    `extra_dirs` are folders holding user-added model folders (each with a `manifest.json`);
    `choose` maps a role to a model name to use instead of the default; `plugins` are extra objects
    with a `register_models` hook (tests register doubles this way); `today` anchors date resolution.
    """

    def __init__(
        self,
        budget_mb: int = DEFAULT_BUDGET_MB,
        extra_dirs: Iterable[Path | str] = (),
        *,
        arena_mb: int = DEFAULT_ARENA_MB,
        plugins: Sequence[Any] = (),
        choose: Mapping[str, str] | None = None,
        today: Callable[[], date] = date.today,
    ) -> None:
        self.budget = MemoryBudget(budget_mb * MB, reserved_bytes=arena_mb * MB)
        self.context = PluginContext.scan([Path(d) for d in extra_dirs], today, arena_mb * MB)
        self.registry: Registry = collect(plugins, self.context)
        for model in self.registry.models():
            model.budget = self.budget
        for role, name in (choose or {}).items():
            self.registry.choose(Role(role), name)

    # -- the model serving each role ------------------------------------------------------------

    @property
    def embedder(self) -> Embedder:
        return self._get(Role.EMBEDDER, Embedder)

    @property
    def reranker(self) -> Reranker:
        return self._get(Role.RERANKER, Reranker)

    @property
    def ner(self) -> EntityExtractor:
        return self._get(Role.NER, EntityExtractor)

    @property
    def asr(self) -> Transcriber:
        return self._get(Role.ASR, Transcriber)

    def transcribe(self, path: Path | str) -> Transcript:
        """Transcribe a voice memo; the speech model is loaded for it and unloaded right after."""
        return self.asr.transcribe(Path(path))

    def _get(self, role: Role, kind: type[Any]) -> Any:
        model = self.registry.get(role)
        if not isinstance(model, kind):
            raise TypeError(
                f"{role.value} model {model.name!r} is a {type(model).__name__}, not an {kind.__name__}"
            )
        return model

    # -- reporting ------------------------------------------------------------------------------

    @property
    def problems(self) -> list[str]:
        """Broken or unsupported user-added models (shown by `lifeos models`, never fatal)."""
        return list(self.context.problems)

    def status(self) -> list[ModelStatus]:
        """One row per registered model, the models serving a role first."""
        rows = []
        for model in self.registry.models():
            try:
                detail = model.describe()
            except Exception as exc:  # describing must never fail the listing (e.g. a missing file)
                detail = f"unavailable: {exc}"
            rows.append(
                ModelStatus(
                    role=model.role.value,
                    name=model.name,
                    backend=model.backend,
                    source=model.source,
                    path=str(model.path) if model.path else None,
                    file_bytes=file_size(model.path),
                    loaded=model.is_loaded,
                    memory_bytes=self.budget.charge(model),
                    default=self.registry.is_default(model),
                    detail=detail,
                )
            )
        order = {role.value: i for i, role in enumerate(Role)}
        return sorted(rows, key=lambda r: (order[r.role], not r.default))

    def budget_status(self) -> BudgetStatus:
        return BudgetStatus(
            budget_bytes=self.budget.budget_bytes,
            arena_bytes=self.budget.reserved_bytes,
            charged_bytes=self.budget.used_bytes,
            process_rss_bytes=current_rss_bytes(),
            process_peak_rss_bytes=peak_rss_bytes(),
            evictions=tuple(self.budget.evictions),
        )

    def close(self) -> None:
        """Unload every model (the engine calls this when the profile locks)."""
        self.budget.unload_all()
