"""Property-based fuzzing of every parser that reads what came from outside: whatever the input,
the result is a value or one of the project's typed errors (which become one line and an exit code),
never another exception. Hypothesis generates the inputs; a failure prints the smallest one.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from engine.api import Engine
from engine.coaches import catalog, manifest, pack
from engine.errors import LifeOSError
from engine.store import keys
from tests.conftest import PASSPHRASE

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=12), inner, max_size=6),
    max_leaves=25,
)
MANIFEST_KEYS = [
    "schema", "id", "name", "version", "domain", "description", "persona", "tags", "languages",
    "avatar", "sources", "embedder_id", "sizes", "files", "builder",
]  # fmt: skip
manifest_like = st.dictionaries(
    st.sampled_from(MANIFEST_KEYS) | st.text(max_size=8), json_values, max_size=12
)


def typed_or_value(call) -> None:
    with contextlib.suppress(LifeOSError):
        call()


@FUZZ
@given(st.binary(max_size=400) | manifest_like.map(lambda d: json.dumps(d).encode()))
def test_manifest_parser(raw: bytes) -> None:
    typed_or_value(lambda: manifest.parse(raw))


@FUZZ
@given(manifest_like)
def test_manifest_parser_on_near_valid_documents(data: dict) -> None:
    base = {"schema": 1, "id": "calm", "name": "Calm", "version": "1.0", "domain": "Wisdom", "files": {}}
    typed_or_value(lambda: manifest.parse(json.dumps({**base, **data})))


@FUZZ
@given(
    st.text(max_size=300)
    | st.dictionaries(
        st.sampled_from(["ref", "text", "title", "position", "doc_id", "source"]), json_values
    ).map(json.dumps)
)
def test_knowledge_line_parser(line: str) -> None:
    typed_or_value(lambda: pack.passage_of(line, 1))


def _npz(arrays: dict[str, np.ndarray]) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


arrays = st.sampled_from(
    [
        np.zeros((0,)),
        np.zeros((2, 3), np.int8),
        np.array(["a", "b"]),
        np.array([1, -1, 2]),
        np.zeros((3, 2, 2)),
    ]
)


@FUZZ
@given(
    st.binary(max_size=300)
    | st.dictionaries(st.sampled_from(["refs", "counts", "int8", "x"]), arrays).map(_npz)
)
def test_vectors_parser(raw: bytes) -> None:
    typed_or_value(
        lambda: pack.split_vectors(pack._load_npz(raw, "index/vectors.npz", ("refs", "counts", "int8")))
    )


@FUZZ
@given(st.text(max_size=400) | json_values.map(json.dumps))
def test_key_file_parser(text: str) -> None:
    typed_or_value(lambda: keys.KeyFile.from_json(text))


EDGES = [float("inf"), float("-inf"), float("nan"), 10**30, -1, 0, True, "3", 1e308]
numbers = (
    st.sampled_from(EDGES) | st.integers(-(2**70), 2**70) | st.floats() | st.text(max_size=5) | st.none()
)
base64_text = st.binary(max_size=64).map(lambda b: base64.b64encode(b).decode()) | st.text(max_size=20)
kdf_fields = st.fixed_dictionaries(
    {"name": st.just("argon2id") | json_values},
    optional={"time_cost": numbers, "memory_kib": numbers, "parallelism": numbers, "salt": base64_text},
)
wrap_fields = st.fixed_dictionaries(
    {"alg": st.just("AES-256-GCM") | json_values}, optional={"nonce": base64_text, "ciphertext": base64_text}
)


@settings(FUZZ, max_examples=400)
@given(kdf_fields, wrap_fields, json_values)
@example({"name": "argon2id", "time_cost": float("inf")}, {"alg": "AES-256-GCM"}, None)
def test_key_file_parser_on_near_valid_documents(kdf: dict, wrap: dict, checksum: object) -> None:
    document = {"format": "lifeos-keyfile", "version": 1, "kdf": kdf, "wrap": wrap, "sha256": checksum}
    typed_or_value(lambda: keys.KeyFile.from_json(json.dumps(document)))


@FUZZ
@given(
    st.binary(max_size=300)
    | st.dictionaries(st.sampled_from(["schema", "coaches"]), json_values).map(
        lambda d: json.dumps(d).encode()
    )
)
def test_catalog_parser(raw: bytes) -> None:
    typed_or_value(lambda: catalog.parse_catalog(raw, "https://coaches.example/catalog.json"))


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    with Engine.create(tmp_path_factory.mktemp("fuzz") / "p", PASSPHRASE, use_embedder=False) as eng:
        yield eng


@FUZZ
@given(st.dictionaries(st.text(max_size=10), json_values, max_size=8))
def test_sealed_preferences_reader(engine: Engine, stored: dict) -> None:
    sealed = engine.settings.unseal(stored)
    assert sealed.authentic is False or "mac" in stored


def test_fuzz_targets_exist(tmp_path: Path) -> None:
    """The parsers fuzzed above still accept what they should (so the fuzzing tests the real thing)."""
    good = {"schema": 1, "id": "calm", "name": "Calm", "version": "1.0", "domain": "Wisdom", "files": {}}
    assert manifest.parse(json.dumps(good)).id == "calm"
    assert pack.passage_of('{"ref": "a-1", "text": "Breathe."}', 1).ref == "a-1"
