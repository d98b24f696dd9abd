"""What a GGUF file says about itself, read without llama.cpp: metadata, tensor layout, checksum.

Read in pure Python so that a file is judged before any model loads: a download that stopped early, a
renamed text file, or an HTML error page saved as `.gguf` is refused with a sentence, not with a
crash inside a native library. The reader follows the GGUF v2/v3 layout (magic, version, tensor count,
metadata key/values, tensor infos, aligned data) and checks that every tensor's data lies inside the
file: a truncated file fails that test, because its last tensors point past the end.

The metadata also sizes the key/value cache (layers × KV heads × head size), which the memory budget
needs before loading.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from engine.errors import ModelCorrupt

MAGIC = b"GGUF"
DEFAULT_ALIGNMENT = 32
MAX_STRING = 64 << 20
"""The longest metadata string read (a chat template is a few KB; this refuses a garbage length)."""
MAX_COUNT = 1 << 26

# Value types of GGUF metadata: (struct format, size) for the fixed-size ones.
_FIXED: dict[int, tuple[str, int]] = {
    0: ("<B", 1),  # uint8
    1: ("<b", 1),  # int8
    2: ("<H", 2),  # uint16
    3: ("<h", 2),  # int16
    4: ("<I", 4),  # uint32
    5: ("<i", 4),  # int32
    6: ("<f", 4),  # float32
    7: ("<?", 1),  # bool
    10: ("<Q", 8),  # uint64
    11: ("<q", 8),  # int64
    12: ("<d", 8),  # float64
}
_STRING, _ARRAY = 8, 9

# ggml tensor types: (bytes per block, elements per block), for the data-size check. A type missing
# here (a newer quantisation) is checked by its offset alone.
_TYPE_SIZES: dict[int, tuple[int, int]] = {
    0: (4, 1),  # F32
    1: (2, 1),  # F16
    2: (18, 32),  # Q4_0
    3: (20, 32),  # Q4_1
    6: (22, 32),  # Q5_0
    7: (24, 32),  # Q5_1
    8: (34, 32),  # Q8_0
    9: (36, 32),  # Q8_1
    10: (84, 256),  # Q2_K
    11: (110, 256),  # Q3_K
    12: (144, 256),  # Q4_K
    13: (176, 256),  # Q5_K
    14: (210, 256),  # Q6_K
    15: (292, 256),  # Q8_K
    24: (1, 1),  # I8
    25: (2, 1),  # I16
    26: (4, 1),  # I32
    27: (8, 1),  # I64
    28: (8, 1),  # F64
    30: (2, 1),  # BF16
}


@dataclass(frozen=True)
class GgufInfo:
    """The facts about a model file the manager, the budget and the prompt builder use."""

    path: Path
    version: int
    architecture: str
    name: str
    context_length: int
    layers: int
    embedding: int
    heads: int
    kv_heads: int
    head_size: int
    vocab_size: int
    chat_template: str | None
    file_bytes: int
    tensors: int

    def kv_bytes(self, n_ctx: int) -> int:
        """Bytes of an f16 key/value cache for `n_ctx` tokens (keys and values, every layer)."""
        return 2 * self.layers * self.kv_heads * self.head_size * 2 * n_ctx


class _Reader:
    def __init__(self, f: BinaryIO, name: str) -> None:
        self.f = f
        self.name = name

    def take(self, n: int) -> bytes:
        data = self.f.read(n)
        if len(data) != n:
            raise ModelCorrupt(f"{self.name} ends inside its header: it is truncated or not a GGUF model")
        return data

    def fixed(self, kind: int) -> Any:
        fmt, size = _FIXED[kind]
        return struct.unpack(fmt, self.take(size))[0]

    def count(self) -> int:
        value = int(struct.unpack("<Q", self.take(8))[0])
        if value > MAX_COUNT:
            raise ModelCorrupt(f"{self.name} has an impossible count in its header ({value}); it is damaged")
        return value

    def string(self) -> str:
        length = int(struct.unpack("<Q", self.take(8))[0])
        if length > MAX_STRING:
            raise ModelCorrupt(f"{self.name} has a {length}-byte string in its header; it is damaged")
        return self.take(length).decode("utf-8", errors="replace")

    def skip_string(self) -> None:
        length = int(struct.unpack("<Q", self.take(8))[0])
        if length > MAX_STRING:
            raise ModelCorrupt(f"{self.name} has a {length}-byte string in its header; it is damaged")
        self.f.seek(length, 1)

    def value(self, kind: int, keep: bool) -> Any:
        """A metadata value; arrays are skipped unless `keep` (the vocabulary alone is 262k strings)."""
        if kind in _FIXED:
            return self.fixed(kind)
        if kind == _STRING:
            return self.string() if keep else self.skip_string()
        if kind == _ARRAY:
            item = int(struct.unpack("<I", self.take(4))[0])
            n = self.count()
            if item in _FIXED:
                self.f.seek(n * _FIXED[item][1], 1)
            elif item == _STRING:
                for _ in range(n):
                    self.skip_string()
            else:
                for _ in range(n):
                    self.value(item, False)
            return n  # the length is what we use (vocabulary size)
        raise ModelCorrupt(f"{self.name} has an unknown metadata type {kind}; it is damaged or too new")


_KEEP = ("general.architecture", "general.name", "general.alignment", "tokenizer.chat_template")


def read_info(path: Path) -> GgufInfo:
    """The header facts of a GGUF file; `ModelCorrupt` (saying why) for anything that is not a
    complete GGUF model."""
    name = path.name
    try:
        size = path.stat().st_size
        with path.open("rb") as f:
            r = _Reader(f, name)
            if f.read(4) != MAGIC:
                raise ModelCorrupt(f"{name} is not a GGUF model file (it does not start with 'GGUF')")
            version = int(struct.unpack("<I", r.take(4))[0])
            if version not in (2, 3):
                raise ModelCorrupt(f"{name} is GGUF version {version}; versions 2 and 3 are supported")
            tensor_count = r.count()
            kv_count = r.count()
            meta: dict[str, Any] = {}
            for _ in range(kv_count):
                key = r.string()
                kind = int(struct.unpack("<I", r.take(4))[0])
                keep = key in _KEEP or key.endswith(
                    (
                        ".context_length",
                        ".block_count",
                        ".embedding_length",
                        ".attention.head_count",
                        ".attention.head_count_kv",
                        ".attention.key_length",
                    )
                )
                meta[key] = r.value(kind, keep or key == "tokenizer.ggml.tokens")
            last_end = 0
            for _ in range(tensor_count):
                r.skip_string()
                dims = int(struct.unpack("<I", r.take(4))[0])
                if dims > 8:
                    raise ModelCorrupt(f"{name} has a tensor with {dims} dimensions; it is damaged")
                shape = struct.unpack(f"<{dims}Q", r.take(8 * dims))
                kind = int(struct.unpack("<I", r.take(4))[0])
                offset = int(struct.unpack("<Q", r.take(8))[0])
                last_end = max(last_end, offset + _tensor_bytes(kind, shape))
            alignment = int(meta.get("general.alignment", DEFAULT_ALIGNMENT)) or DEFAULT_ALIGNMENT
            data_start = -(-f.tell() // alignment) * alignment
    except OSError as exc:
        raise ModelCorrupt(f"cannot read {name}: {exc.strerror or exc}") from exc
    if data_start + last_end > size:
        raise ModelCorrupt(
            f"{name} is truncated: its tensors need {data_start + last_end:,} bytes but the file has "
            f"{size:,} (an interrupted download?)"
        )
    arch = str(meta.get("general.architecture", ""))

    def arch_int(key: str, default: int = 0) -> int:
        value = meta.get(f"{arch}.{key}", default)
        return int(value) if isinstance(value, int | float) else default

    embedding = arch_int("embedding_length")
    heads = arch_int("attention.head_count", 1) or 1
    template = meta.get("tokenizer.chat_template")
    return GgufInfo(
        path=path,
        version=version,
        architecture=arch,
        name=str(meta.get("general.name", "") or path.stem),
        context_length=arch_int("context_length", 2048),
        layers=arch_int("block_count"),
        embedding=embedding,
        heads=heads,
        kv_heads=arch_int("attention.head_count_kv", heads) or heads,
        head_size=arch_int("attention.key_length", embedding // heads if heads else 0),
        vocab_size=int(meta.get("tokenizer.ggml.tokens", 0) or 0),
        chat_template=template if isinstance(template, str) and template.strip() else None,
        file_bytes=size,
        tensors=tensor_count,
    )


def _tensor_bytes(kind: int, shape: tuple[int, ...]) -> int:
    block, per = _TYPE_SIZES.get(kind, (0, 1))
    elements = 1
    for d in shape:
        elements *= int(d)
    return elements * block // per


def sha256_file(path: Path, progress: Callable[[int, int], None] | None = None, chunk: int = 4 << 20) -> str:
    """Hex SHA-256 of a file, read in chunks (a model is gigabytes); `progress(done, total)`."""
    digest = hashlib.sha256()
    total = path.stat().st_size
    done = 0
    with path.open("rb") as f:
        while block := f.read(chunk):
            digest.update(block)
            done += len(block)
            if progress is not None:
                progress(done, total)
    return digest.hexdigest()
