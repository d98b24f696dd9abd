"""The parent side of a local model: a child process started on demand, kept while in use, and
ended after idle minutes so the memory goes back to the device.

Like Whisper (`engine/inference/asr.py`) the model runs in a bare `spawn` child over a pipe, not in
this process: llama.cpp's memory (weights mapped, KV cache, compute buffers) is returned in full when
the child exits, which an in-process load never guarantees, and a child that hangs or runs out of
memory can be killed without taking the app with it.

Before a start the runner checks its own budget (default 2 GB, apart from the 300 MB of the retrieval
models) and the machine's free memory against an estimate from the file's header: weights + KV cache
for the context + compute buffers. Every wait on the child has a deadline; past it the child is killed
and the caller gets `RunnerTimeout`. Tokens come back as they are sampled; closing the stream (or
`cancel`) tells the child to stop at the next token, and the model stays loaded for the next turn.

One runner per model file is shared by every reasoner in the process (the chat makes a reasoner per
turn); asking for another model ends the previous child first — one local model in memory at a time.
"""

from __future__ import annotations

import atexit
import contextlib
import multiprocessing
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.errors import InferenceError, MemoryBudgetExceeded, ModelCorrupt
from engine.inference.rss import MB
from engine.llm.gguf import GgufInfo, read_info

DEFAULT_BUDGET_MB = 2048
DEFAULT_CONTEXT = 4096
DEFAULT_IDLE_S = 300.0
LOAD_TIMEOUT_S = 120.0
CANCEL_GRACE_S = 10.0
RUNTIME_OVERHEAD = 192 * MB
"""llama.cpp's compute buffers and the interpreter of the child, beyond weights and KV cache
(measured with the test model at a 4,096-token context: peak RSS 491 MB for 241 MB of weights and
75 MB of KV cache, so about 175 MB)."""
FREE_MEMORY_MARGIN = 256 * MB
"""Left free for the app and the OS when deciding whether a model fits the machine right now."""


class RunnerTimeout(InferenceError):
    """The local model did not answer within its deadline (the child was stopped)."""


class RunnerFailed(InferenceError):
    """The child stopped or reported an error (out of memory, a crash, a prompt it cannot hold)."""


@dataclass(frozen=True)
class RunnerConfig:
    path: Path
    n_ctx: int = DEFAULT_CONTEXT
    threads: int = 2
    budget_bytes: int = DEFAULT_BUDGET_MB * MB
    idle_unload_s: float = DEFAULT_IDLE_S
    load_timeout_s: float = LOAD_TIMEOUT_S


@dataclass(frozen=True)
class Job:
    """One generation. `fixed` is the prompt text whose KV state is kept under `key`; `schema`
    constrains the output to JSON of that schema; `suffix` is appended after the assistant's turn
    opens (the tool-call marker, when the JSON of a call is generated)."""

    messages: list[dict[str, str]]
    fixed: str = ""
    key: str = ""
    max_tokens: int = 256
    temperature: float = 0.7
    schema: dict[str, Any] | None = None
    suffix: str = ""
    stops: tuple[str, ...] = ()
    seed: int | None = None


@dataclass
class Stats:
    """What the last generation cost (the prefix cache shows in `evaluated_tokens`)."""

    prompt_tokens: int = 0
    evaluated_tokens: int = 0
    cached_tokens: int = 0
    prefix_tokens: int = 0
    generated_tokens: int = 0
    dropped_messages: int = 0
    first_token_s: float | None = None
    total_s: float = 0.0
    stop_reason: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def estimate_bytes(info: GgufInfo, n_ctx: int) -> int:
    """What loading this model with this context will cost in resident memory, from its header."""
    vocab_buffers = info.vocab_size * 4 * 2  # logits and sampling candidates of one row
    return info.file_bytes + info.kv_bytes(n_ctx) + vocab_buffers + RUNTIME_OVERHEAD


def available_bytes() -> int | None:
    """MemAvailable of the machine (Linux), or None where it cannot be read cheaply."""
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def process_rss_bytes(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


class LocalRunner:
    """One model file in one child process; thread-safe (one generation at a time)."""

    def __init__(self, config: RunnerConfig) -> None:
        self.config = config
        self.info = read_info(config.path)  # refuses a truncated file before any process starts
        self.estimated_bytes = estimate_bytes(self.info, min(config.n_ctx, self.info.context_length))
        self.last_stats = Stats()
        self.load_s: float | None = None
        self.loads = 0
        self._process: Any = None
        self._conn: Any = None
        self._lock = threading.RLock()
        self._last_used = time.monotonic()
        self._timer: threading.Timer | None = None
        self._template = False

    # -- state ---------------------------------------------------------------------------------

    @property
    def is_loaded(self) -> bool:
        return self._process is not None and self._process.is_alive()

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    @property
    def has_template(self) -> bool:
        return self._template

    def rss_bytes(self) -> int | None:
        """Resident memory of the child now (None when not loaded)."""
        pid = self.pid
        return process_rss_bytes(pid) if pid is not None and self.is_loaded else None

    def peak_rss_bytes(self) -> int | None:
        pid = self.pid
        if pid is None or not self.is_loaded:
            return None
        try:
            with open(f"/proc/{pid}/status", encoding="ascii") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        return int(line.split()[1]) * 1024
        except OSError:
            return None
        return None

    # -- lifecycle -----------------------------------------------------------------------------

    def load(self) -> None:
        """Start the child and wait until the model is loaded (a no-op when it is)."""
        with self._lock:
            if self.is_loaded:
                return
            self._check_memory()
            context = multiprocessing.get_context("spawn")
            parent, child = context.Pipe(duplex=True)
            from engine.llm import child as child_mod

            n_ctx = min(self.config.n_ctx, self.info.context_length)
            process = context.Process(
                target=child_mod.main,
                args=(child, str(self.config.path), n_ctx, self.config.threads),
                daemon=True,
                name="lifeos-llm",
            )
            started = time.perf_counter()
            process.start()
            child.close()
            self._process, self._conn = process, parent
            try:
                message = self._receive(self.config.load_timeout_s, "load")
            except BaseException:
                self._stop()
                raise
            if message[0] == "error":
                self._stop()
                raise ModelCorrupt(f"llama.cpp cannot load {self.config.path.name}: {message[2]}")
            self.load_s = time.perf_counter() - started
            self._template = bool(message[1].get("template"))
            self.loads += 1
            self._touch()

    def unload(self) -> None:
        """End the child; its memory goes back to the machine."""
        with self._lock:
            self._stop()

    def _stop(self) -> None:
        """Ask the child to exit, wait for it (kill it if it does not go), then forget it: a runner
        that says it is not loaded has no process left."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        process, conn = self._process, self._conn
        if conn is not None:
            with contextlib.suppress(BrokenPipeError, OSError):
                conn.send(("exit",))
        if process is not None:
            process.join(timeout=5)
            if process.is_alive():
                process.kill()
                process.join(timeout=5)
        if conn is not None:
            conn.close()
        self._process = self._conn = None

    def _check_memory(self) -> None:
        need = self.estimated_bytes
        name = self.config.path.name
        if need > self.config.budget_bytes:
            raise MemoryBudgetExceeded(
                f"the local model {name} needs about {need // MB} MB with a {self.config.n_ctx}-token "
                f"context, more than its {self.config.budget_bytes // MB} MB budget; raise the budget, "
                "shorten the context or choose a smaller model"
            )
        free = available_bytes()
        if free is not None and need + FREE_MEMORY_MARGIN > free:
            raise MemoryBudgetExceeded(
                f"the local model {name} needs about {need // MB} MB but only {free // MB} MB of memory "
                "is free on this device right now"
            )

    def _touch(self) -> None:
        self._last_used = time.monotonic()
        if self._timer is not None:
            self._timer.cancel()
        self._timer = threading.Timer(self.config.idle_unload_s, self._unload_if_idle)
        self._timer.daemon = True
        self._timer.start()

    def _unload_if_idle(self) -> None:
        if not self._lock.acquire(blocking=False):
            return  # busy now; the end of that job re-arms the timer
        try:
            if time.monotonic() - self._last_used >= self.config.idle_unload_s * 0.99:
                self._stop()
        finally:
            self._lock.release()

    # -- generation ----------------------------------------------------------------------------

    def generate(
        self, job: Job, *, deadline_s: float, cancel: threading.Event | None = None
    ) -> Iterator[str]:
        """Text as the model writes it. Closing the iterator or setting `cancel` stops the child's
        job cleanly; `RunnerTimeout` past `deadline_s`; `RunnerFailed` if the child dies or refuses."""
        with self._lock:
            self.load()
            deadline = time.monotonic() + deadline_s
            self.last_stats = Stats()
            payload = {
                "messages": job.messages,
                "fixed": job.fixed,
                "key": job.key,
                "max_tokens": job.max_tokens,
                "temperature": job.temperature,
                "schema": job.schema,
                "suffix": job.suffix,
                "stops": list(job.stops),
                "seed": job.seed,
            }
            self._conn.send(("generate", payload))
            finished = False
            try:
                while True:
                    if cancel is not None and cancel.is_set():
                        break
                    wait = deadline - time.monotonic()
                    if wait <= 0:
                        self._stop()
                        raise RunnerTimeout(f"the local model did not finish within {deadline_s:.0f} s")
                    # poll in short steps so that `cancel` is noticed while the prompt is evaluated
                    message = self._receive(min(wait, 0.25), "reply", allow_idle=True)
                    if message is None:
                        continue
                    if message[0] == "token":
                        yield message[1]
                    elif message[0] == "done":
                        self.last_stats = Stats(**message[1])
                        finished = True
                        return
                    elif message[0] == "failed":
                        finished = True
                        raise RunnerFailed(f"the local model could not answer: {message[2]}")
            finally:
                if not finished and self.is_loaded:
                    self._cancel()
                if self.is_loaded:
                    self._touch()

    def _cancel(self) -> None:
        """Ask the child to stop the job and wait for its `done` (killing it if it does not come)."""
        try:
            self._conn.send(("cancel",))
            deadline = time.monotonic() + CANCEL_GRACE_S
            while time.monotonic() < deadline:
                message = self._receive(deadline - time.monotonic(), "cancel", allow_idle=True)
                if message is not None and message[0] in ("done", "failed"):
                    if message[0] == "done":
                        self.last_stats = Stats(**message[1])
                    return
            self._stop()
        except (RunnerTimeout, RunnerFailed, OSError):
            self._stop()

    def _receive(self, timeout: float, what: str, *, allow_idle: bool = False) -> Any:
        try:
            if not self._conn.poll(max(0.0, timeout)):
                if allow_idle:
                    return None
                self._stop()
                raise RunnerTimeout(f"the local model did not {what} within {timeout:.0f} s")
            return self._conn.recv()
        except (EOFError, OSError):
            process = self._process
            if process is not None:
                process.join(timeout=5)  # reap it, so that its exit code says why it stopped
            code = process.exitcode if process is not None else None
            self._stop()
            hint = " (out of memory?)" if code in (-9, 137) else ""
            raise RunnerFailed(f"the local model's process stopped (exit code {code}){hint}") from None


_RUNNERS: dict[RunnerConfig, LocalRunner] = {}
_REGISTRY_LOCK = threading.Lock()


def shared_runner(config: RunnerConfig) -> LocalRunner:
    """The process's runner for this model and settings; any other model's child is ended first."""
    with _REGISTRY_LOCK:
        runner = _RUNNERS.get(config)
        if runner is None:
            for other in list(_RUNNERS.values()):
                other.unload()
            _RUNNERS.clear()
            runner = _RUNNERS[config] = LocalRunner(config)
        return runner


def loaded_runner() -> LocalRunner | None:
    """The runner whose model is in memory now, if any (for Settings and `lifeos llm show`)."""
    with _REGISTRY_LOCK:
        return next((r for r in _RUNNERS.values() if r.is_loaded), None)


def unload_all() -> None:
    with _REGISTRY_LOCK:
        for runner in _RUNNERS.values():
            runner.unload()


atexit.register(unload_all)
