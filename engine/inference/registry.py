"""The model registry: which model serves each role, collected from plugins through one hook.

After simonw/llm: a plugin is any object or module with a `register_models(register, context)`
function. The built-in backends (`builtin.py`) are loaded through the same hook as third-party ones,
which are found under the `lifeos_coach.models` entry-point group or passed in directly (tests
register their doubles this way instead of patching). `register(model, default=False)` adds a model;
`default=True` asks for it to serve its role unless the caller chose another by name.

User-added models are folders holding a `manifest.json` under the model directories (the repository's
`models/`, the profile's models folder). The context parses them once; each plugin claims the ones
whose backend it runs, and unclaimed or broken manifests are reported, not fatal.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, Protocol

from engine.errors import ManifestError, UnknownModel
from engine.inference.base import Model, Role

ENTRY_POINT_GROUP = "lifeos_coach.models"
MANIFEST = "manifest.json"


@dataclass(frozen=True)
class Manifest:
    """A user-added model: `folder/manifest.json` with at least name, role and backend."""

    folder: Path
    name: str
    role: Role
    backend: str
    default: bool
    settings: dict[str, Any]

    def file(self, key: str, fallback: str) -> Path:
        """A file named by the manifest (relative to its folder), e.g. `model` → model.onnx."""
        return self.folder / str(self.settings.get(key, fallback))


def read_manifest(path: Path) -> Manifest:
    """Parse one manifest, or raise `ManifestError` naming the file and the problem."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ManifestError(f"cannot read {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise ManifestError(f"{path} must hold a JSON object")
    missing = [k for k in ("name", "role", "backend") if not isinstance(data.get(k), str) or not data[k]]
    if missing:
        raise ManifestError(f"{path} lacks {', '.join(missing)}")
    try:
        role = Role(data["role"])
    except ValueError:
        roles = ", ".join(r.value for r in Role)
        raise ManifestError(f"{path}: unknown role {data['role']!r} (one of {roles})") from None
    settings = {k: v for k, v in data.items() if k not in ("name", "role", "backend", "default")}
    return Manifest(
        path.parent, data["name"], role, data["backend"], bool(data.get("default", False)), settings
    )


@dataclass
class PluginContext:
    """What a plugin may need to build its models: the user's manifests, `today`, the arena cap."""

    model_dirs: Sequence[Path]
    today: Callable[[], date]
    arena_bytes: int
    manifests: list[Manifest] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    _claimed: set[Path] = field(default_factory=set)

    @classmethod
    def scan(cls, model_dirs: Sequence[Path], today: Callable[[], date], arena_bytes: int) -> PluginContext:
        context = cls(list(model_dirs), today, arena_bytes)
        for base in model_dirs:
            if not base.is_dir():
                continue
            for path in sorted(base.glob(f"*/{MANIFEST}")):
                try:
                    context.manifests.append(read_manifest(path))
                except ManifestError as exc:
                    context.problems.append(str(exc))
        return context

    def unclaimed(self, backend: str) -> list[Manifest]:
        """Manifests for `backend` that no plugin has taken yet; taking them marks them claimed."""
        found = [m for m in self.manifests if m.backend == backend and m.folder not in self._claimed]
        self._claimed.update(m.folder for m in found)
        return found

    def report_unclaimed(self) -> None:
        for m in self.manifests:
            if m.folder not in self._claimed:
                self.problems.append(
                    f"{m.folder / MANIFEST}: no installed backend runs {m.backend!r} models ({m.role.value})"
                )


class Plugin(Protocol):
    def register_models(self, register: Callable[..., None], context: PluginContext) -> None: ...


class Registry:
    """Registered models per role, in registration order, and which one serves each role."""

    def __init__(self) -> None:
        self._models: dict[Role, list[Model]] = {role: [] for role in Role}
        self._preferred: dict[Role, Model] = {}

    def register(self, model: Model, default: bool = False) -> None:
        names = {m.name for m in self._models[model.role]}
        if model.name in names:
            raise ValueError(f"two {model.role.value} models are named {model.name!r}")
        self._models[model.role].append(model)
        if default or model.role not in self._preferred:
            self._preferred[model.role] = model

    def models(self, role: Role | None = None) -> list[Model]:
        if role is not None:
            return list(self._models[role])
        return [m for role_models in self._models.values() for m in role_models]

    def get(self, role: Role, name: str | None = None) -> Model:
        """The model serving `role` (or the one called `name`)."""
        if name is None:
            model = self._preferred.get(role)
            if model is None:
                raise UnknownModel(f"no {role.value} model is installed")
            return model
        for model in self._models[role]:
            if model.name == name:
                return model
        known = ", ".join(m.name for m in self._models[role]) or "none"
        raise UnknownModel(f"no {role.value} model named {name!r} (installed: {known})")

    def choose(self, role: Role, name: str) -> None:
        self._preferred[role] = self.get(role, name)

    def is_default(self, model: Model) -> bool:
        return self._preferred.get(model.role) is model


def collect(plugins: Iterable[Any], context: PluginContext) -> Registry:
    """Run every plugin's `register_models` hook: built-ins, then entry points, then `plugins`."""
    from engine.inference import builtin

    registry = Registry()
    sources: list[Any] = [builtin]
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            sources.append(ep.load())
        except Exception as exc:  # a broken third-party plugin must not take the built-ins down
            context.problems.append(f"model plugin {ep.name!r} failed to load: {exc}")
    sources.extend(plugins)
    for plugin in sources:
        hook = getattr(plugin, "register_models", None)
        if hook is None:
            raise TypeError(f"{plugin!r} has no register_models(register, context) hook")
        hook(registry.register, context)
    context.report_unclaimed()
    return registry
