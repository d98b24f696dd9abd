"""ONNX Runtime sessions that share one capped memory arena.

Why this module exists (DESIGN.md §3): with default settings every session owns an arena that grows to
the peak of its largest run and never shrinks; MiniLM over 32 × 256-token passages left a process at
1.6 GB. Here every session draws from one environment allocator whose arena is capped
(`create_and_register_allocator` + `session.use_env_allocators=1`), runs on two intra-op threads, and
hands its free arena chunks back after each run (`memory.enable_memory_arena_shrinkage`, with glibc
told to mmap large blocks so the release really lowers RSS: `rss.return_large_blocks_to_os`). A run that
needs more than the cap fails inside ONNX Runtime; callers split their batch and retry
(`is_arena_exhausted`).

Graph optimisations are off on purpose: the int8 models we ship dequantize their weights inside the
graph, and constant folding would turn 23 MB of int8 into 90 MB of float32 (measured: +159 MB RSS
at load with ORT_ENABLE_ALL, +35 MB with ORT_DISABLE_ALL, at similar speed on two cores).

onnxruntime is imported inside functions so that importing the engine stays cheap (the CLI and the
UI start without loading any model runtime).
"""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from engine.errors import ModelCorrupt, ModelUnavailable
from engine.inference.rss import MB, return_large_blocks_to_os

if TYPE_CHECKING:
    import onnxruntime as ort

DEFAULT_ARENA_MB = 48  # one 256-token MiniLM run needs about 36 MB of activations
INTRA_OP_THREADS = 2

_lock = threading.Lock()
_arena_bytes: int | None = None


def shared_arena(cap_bytes: int = DEFAULT_ARENA_MB * MB) -> int:
    """Register the process-wide ONNX Runtime arena once and return its cap in bytes.

    ONNX Runtime has one environment per process and allows one registered CPU allocator, so the
    first caller's cap wins; later callers get the cap actually in force.
    """
    global _arena_bytes
    with _lock:
        if _arena_bytes is not None:
            return _arena_bytes
        import onnxruntime as ort

        return_large_blocks_to_os()
        info = ort.OrtMemoryInfo("Cpu", ort.OrtAllocatorType.ORT_ARENA_ALLOCATOR, 0, ort.OrtMemType.DEFAULT)
        cfg = ort.OrtArenaCfg(
            {
                "max_mem": int(cap_bytes),
                "arena_extend_strategy": 1,  # kSameAsRequested: grow by what is asked, not powers of 2
                "initial_chunk_size_bytes": 1 * MB,
                "max_dead_bytes_per_chunk": 1 * MB,
            }
        )
        ort.create_and_register_allocator(info, cfg)
        _arena_bytes = int(cap_bytes)
        return _arena_bytes


def session_options(threads: int = INTRA_OP_THREADS) -> ort.SessionOptions:
    """Lean options shared by every ONNX session of the app (see the module docstring for why)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    options.enable_mem_pattern = False  # patterns pre-allocate for the largest shape seen
    options.log_severity_level = 3
    options.add_session_config_entry("session.use_env_allocators", "1")
    return options


def run_options() -> ort.RunOptions:
    """Per-run options: give free arena chunks back to the OS when the run ends."""
    import onnxruntime as ort

    options = ort.RunOptions()
    options.add_run_config_entry("memory.enable_memory_arena_shrinkage", "cpu:0")
    return options


Rewrite = Callable[[bytes], list[bytes | memoryview] | None]


def open_session(
    path: Path, label: str, arena_bytes: int | None = None, rewrite: Rewrite | None = None
) -> ort.InferenceSession:
    """An InferenceSession on the shared arena, with load failures turned into `ModelCorrupt`.

    `rewrite` may return the pieces of a rewritten model (see `onnx_graph`) or None to load the file
    as it is. A rewritten model is streamed to a private temp file and loaded from there: ONNX Runtime
    keeps a second copy of a model handed over as bytes (+42 MB measured for MiniLM) but not of one
    read from a file, and streaming the pieces avoids a joined copy (load peak +9 MB, not +55 MB).
    `label` names the model in error messages.
    """
    import onnxruntime as ort

    if not path.is_file():
        raise ModelUnavailable(f"model file for {label} not found: {path}")
    shared_arena(arena_bytes if arena_bytes is not None else DEFAULT_ARENA_MB * MB)
    scratch: Path | None = None
    if rewrite is not None:
        parts = rewrite(path.read_bytes())
        if parts is not None:
            with tempfile.NamedTemporaryFile(prefix="lifeos-", suffix=".onnx", delete=False) as handle:
                handle.writelines(parts)
            scratch = Path(handle.name)
            del parts
    try:
        return ort.InferenceSession(
            str(scratch or path), sess_options=session_options(), providers=["CPUExecutionProvider"]
        )
    except Exception as exc:  # onnxruntime raises its own untyped Fail/InvalidProtobuf/… exceptions
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelCorrupt(
            f"cannot load the {label} model ({path}): the file is damaged or not an ONNX model "
            f"[{first_line[:200]}]; reinstall its package or replace the file"
        ) from exc
    finally:
        if scratch is not None:
            scratch.unlink(missing_ok=True)


def is_arena_exhausted(exc: BaseException) -> bool:
    """Whether a failed run ran out of the capped arena (so a smaller batch may succeed)."""
    text = str(exc)
    return "BFCArena" in text or "Available memory of" in text or "Failed to allocate memory" in text
