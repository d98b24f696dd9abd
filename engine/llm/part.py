"""`engine.llm`: the local models of a profile — install, choose, see what they cost.

The files live in the profile's `models/llm/` folder (`manager.py`); the choice is the chat's reasoner
setting (`local` with the model's file), kept in the encrypted profile with the other reasoner
settings. Installing never chooses: the grounded reasoner stays the default until the person picks a
model with `use`. Not `guarded`: a download takes minutes and must not hold the profile's session (a
lock would wait for it); only `use` and `status` touch the profile, through the chat part.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.llm.catalog import CatalogEntry
from engine.llm.manager import InstalledModel, ModelManager, Progress
from engine.llm.runner import DEFAULT_BUDGET_MB, available_bytes, loaded_runner
from engine.session import Part

if TYPE_CHECKING:
    import httpx

    from engine.chat.part import Chat
    from engine.session import Session

MB = 1024 * 1024


@dataclass(frozen=True)
class LlmStatus:
    """What Settings and `lifeos llm list` show."""

    installed: tuple[InstalledModel, ...]
    catalog: tuple[CatalogEntry, ...]
    in_use: str | None  # the installed model the chat uses, when the reasoner is `local`
    reasoner: str
    loaded: bool  # whether a local model is in memory now (in its child process)
    memory_bytes: int | None  # that child's resident memory
    budget_bytes: int
    free_bytes: int | None  # the machine's available memory


def models_folder(home: Path) -> Path:
    return Path(home) / "models" / "llm"


class LocalModels(Part):
    def __init__(self, session: Session, chat: Chat, *, transport: httpx.BaseTransport | None = None) -> None:
        super().__init__(session)
        self._chat = chat
        self.transport = transport

    @property
    def manager(self) -> ModelManager:
        return ModelManager(models_folder(self._s.paths.home), transport=self.transport)

    def installed(self) -> list[InstalledModel]:
        return self.manager.installed()

    def add(self, what: str, *, progress: Progress | None = None) -> InstalledModel:
        """Download a catalog model or import a `.gguf` file; does not choose it."""
        return self.manager.add(what, progress=progress)

    def remove(self, name: str) -> InstalledModel:
        """Delete an installed model; if the chat used it, the chat goes back to grounded."""
        model = self.manager.get(name)
        if self._in_use() == name:
            self._chat.set_reasoner("grounded")
        return self.manager.remove(model.name)

    def use(self, name: str) -> dict[str, Any]:
        """Let the chat answer with this installed model (checked before it is chosen)."""
        model = self.manager.ready(name)
        return self._chat.set_reasoner("local", model=str(model.file))

    def stop_using(self) -> dict[str, Any]:
        """Back to the grounded reasoner (the model stays installed)."""
        return self._chat.set_reasoner("grounded")

    def status(self) -> LlmStatus:
        settings = self._chat.reasoner_settings()
        runner = loaded_runner()
        return LlmStatus(
            installed=tuple(self.manager.installed()),
            catalog=self.manager.catalog,
            in_use=self._in_use(settings),
            reasoner=str(settings.get("name", "grounded")),
            loaded=runner is not None,
            memory_bytes=runner.rss_bytes() if runner is not None else None,
            budget_bytes=int(settings.get("budget_mb", DEFAULT_BUDGET_MB)) * MB,
            free_bytes=available_bytes(),
        )

    def _in_use(self, settings: dict[str, Any] | None = None) -> str | None:
        settings = settings if settings is not None else self._chat.reasoner_settings()
        if settings.get("name") != "local" or not settings.get("model"):
            return None
        found = self.manager.by_file(Path(str(settings["model"])))
        return found.name if found else Path(str(settings["model"])).stem
