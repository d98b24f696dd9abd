"""The child process of a local model: its memory goes when it is unloaded or idle, a deadline or a
killed child ends the job with a typed error, and the budget is checked before anything loads."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from engine.api import bundled_test_model
from engine.errors import MemoryBudgetExceeded
from engine.llm.runner import Job, LocalRunner, RunnerConfig, RunnerFailed, RunnerTimeout

MESSAGES = [
    {"role": "system", "content": "You are a calm coach. " * 20},
    {"role": "user", "content": "Tell me a long story about a lighthouse keeper."},
]


@pytest.fixture(scope="module")
def gguf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return bundled_test_model(tmp_path_factory.mktemp("gguf"))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}").exists() and "zombie" not in Path(f"/proc/{pid}/status").read_text().lower()


def test_unload_and_idle_return_the_memory(gguf: Path) -> None:
    runner = LocalRunner(RunnerConfig(gguf, n_ctx=1024, idle_unload_s=1.5))
    try:
        "".join(runner.generate(Job(MESSAGES, max_tokens=4), deadline_s=120))
        pid = runner.pid
        assert pid is not None and _alive(pid)
        rss = runner.rss_bytes()
        assert rss is not None and rss > 100 << 20  # the weights are resident in the child …
        assert runner.estimated_bytes > rss // 2  # … and the budget's estimate is of that order
        runner.unload()
        assert not runner.is_loaded and runner.rss_bytes() is None and not _alive(pid)
        "".join(runner.generate(Job(MESSAGES, max_tokens=2), deadline_s=120))  # loads again on demand
        second = runner.pid
        assert second != pid and runner.loads == 2
        deadline = time.monotonic() + 20
        while runner.is_loaded and time.monotonic() < deadline:
            time.sleep(0.25)
        assert not runner.is_loaded and not _alive(second)  # unloaded after idle seconds
    finally:
        runner.unload()


def test_a_deadline_or_a_killed_child_ends_the_job_with_a_typed_error(gguf: Path) -> None:
    runner = LocalRunner(RunnerConfig(gguf, n_ctx=1024))
    try:
        runner.load()
        with pytest.raises(RunnerTimeout, match="did not finish"):
            "".join(runner.generate(Job(MESSAGES, max_tokens=400), deadline_s=0.3))
        assert not runner.is_loaded  # a child past its deadline is stopped
        stream = runner.generate(Job(MESSAGES, max_tokens=400, temperature=0.9), deadline_s=120)
        next(stream)
        pid = runner.pid
        assert pid is not None
        os.kill(pid, signal.SIGKILL)  # what the kernel does when memory runs out
        with pytest.raises(RunnerFailed, match=r"exit code -9\) \(out of memory\?\)"):
            for _ in stream:
                pass
        assert not runner.is_loaded
    finally:
        runner.unload()


def test_the_budget_and_free_memory_are_checked_before_loading(gguf: Path) -> None:
    runner = LocalRunner(RunnerConfig(gguf, n_ctx=2048, budget_bytes=100 << 20))
    with pytest.raises(MemoryBudgetExceeded, match="more than its 100 MB budget"):
        runner.load()
    assert runner.pid is None
    huge = LocalRunner(RunnerConfig(gguf, n_ctx=32_768, budget_bytes=1 << 50))
    huge.estimated_bytes = 1 << 48  # more than any machine has free
    with pytest.raises(MemoryBudgetExceeded, match="free on this device"):
        huge.load()
