"""The layering of DESIGN.md §1, checked on the source: arrows point down only.

- engine/ imports nothing from app/, backend/ or testkit/;
- app/, bench/ and testkit/ reach the engine through its three public modules only (`engine.api`,
  `engine.errors`, `engine.types`); benchmarks import nothing from tests/;
- a subsystem (chat, coaches, heartbeat, memory) uses another only through its part class or the
  public data types of `engine.types`, never its internal modules;
- the parts' packages have no import cycle between them.
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

from engine import types

REPO = Path(__file__).resolve().parents[1]
PUBLIC = {"engine.api", "engine.errors", "engine.types"}
SUBSYSTEMS = ("chat", "coaches", "heartbeat", "memory", "training", "io", "sync", "llm", "studio")
PART_MODULES = {"part", "notes_part"}
SHARED_MODULES = {
    # The studio makes coach packs: it writes them with the pack format's own modules, the same ones
    # `lifeos coach build` uses, rather than through the installed-coaches part.
    "studio": {
        "engine.coaches",
        "engine.coaches.builder",
        "engine.coaches.sources",
        "engine.coaches.manifest",
        "engine.coaches.signing",
        "engine.coaches.pack",
        "engine.coaches.playbook",
        # its preview reasoner speaks the reasoners' interface
        "engine.chat.reasoners",
    },
    # The local reasoner drives the model runner of the llm part (a child process it shares).
    "chat": {"engine.llm", "engine.llm.runner"},
}
BELOW_THE_FACADE = {"bench/store_bench.py"}  # measures vec0 itself, on purpose (its docstring says why)


def _runtime_imports(path: Path) -> list[tuple[str, list[str]]]:
    """(module, names) of every import outside `if TYPE_CHECKING:` blocks."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped.update(id(n) for child in node.body for n in ast.walk(child))
    out: list[tuple[str, list[str]]] = []
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.append((node.module, [a.name for a in node.names]))
        elif isinstance(node, ast.Import):
            out.extend((a.name, []) for a in node.names)
    return out


def _files(folder: str) -> list[Path]:
    return sorted((REPO / folder).rglob("*.py"))


def test_the_engine_imports_nothing_above_it() -> None:
    bad = [
        f"{path.relative_to(REPO)}: {module}"
        for path in _files("engine")
        for module, _ in _runtime_imports(path)
        if module.split(".")[0] in ("app", "backend", "testkit", "tests")
    ]
    assert bad == []


def test_callers_use_only_the_public_modules() -> None:
    bad = [
        f"{path.relative_to(REPO)}: {module}"
        for folder in ("app", "bench", "testkit")
        for path in _files(folder)
        if str(path.relative_to(REPO)) not in BELOW_THE_FACADE
        for module, names in _runtime_imports(path)
        if (module.startswith("engine.") or module == "engine")
        and module not in PUBLIC
        and not (module == "engine" and set(names) <= {"errors", "types"})
    ]
    assert bad == []
    from_tests = [
        f"{path.relative_to(REPO)}: {module}"
        for path in _files("bench")
        for module, _ in _runtime_imports(path)
        if module.split(".")[0] == "tests"
    ]
    assert from_tests == []


def test_subsystems_meet_only_through_parts_and_public_types() -> None:
    public_types = {n for n in types.__all__ if isinstance(getattr(types, n), type)}
    bad: list[str] = []
    for package in SUBSYSTEMS:
        for path in _files(f"engine/{package}"):
            for module, names in _runtime_imports(path):
                parts = module.split(".")
                if (
                    len(parts) < 2
                    or parts[0] != "engine"
                    or parts[1] not in SUBSYSTEMS
                    or parts[1] == package
                ):
                    continue
                if module in SHARED_MODULES.get(package, set()):
                    continue
                # `from engine.memory import recall as recall_mod` reaches a module, not a part
                if len(parts) == 2 or (parts[2] not in PART_MODULES and not set(names) <= public_types):
                    bad.append(f"{path.relative_to(REPO)}: {module} import {', '.join(names)}")
    assert bad == []


def test_no_import_cycles_between_parts() -> None:
    graph = nx.DiGraph()
    for package in SUBSYSTEMS:
        graph.add_node(package)
        for path in _files(f"engine/{package}"):
            for module, _ in _runtime_imports(path):
                parts = module.split(".")
                if (
                    len(parts) >= 2
                    and parts[0] == "engine"
                    and parts[1] in SUBSYSTEMS
                    and parts[1] != package
                ):
                    graph.add_edge(package, parts[1])
    assert list(nx.simple_cycles(graph)) == []


def test_the_server_shares_only_the_wire_protocol_with_the_engine() -> None:
    """backend/ is a separate process: of the engine it may use `engine.sync.protocol` alone, and that
    module imports nothing but the standard library (DESIGN.md §1)."""
    allowed = {("engine.sync.protocol", ()), ("engine.sync", ("protocol",))}
    bad = [
        f"{path.relative_to(REPO)}: {module}"
        for path in _files("backend")
        for module, names in _runtime_imports(path)
        if module.split(".")[0] in ("app", "testkit", "tests")
        or (module.split(".")[0] == "engine" and (module, tuple(names)) not in allowed)
    ]
    assert bad == []
    protocol_imports = [m for m, _ in _runtime_imports(REPO / "engine" / "sync" / "protocol.py")]
    assert all(m.split(".")[0] in ("__future__", "hashlib") for m in protocol_imports), protocol_imports
