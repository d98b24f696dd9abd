"""Hostile and broken coach packs, and hostile download servers: each refused in one line naming the
file or field, quickly and within memory, leaving the profile exactly as it was.

Zip bombs (a 59 KiB pack unpacking to 1.9 GiB used 17 GB), a symlink pulling a file from outside a
folder pack, manifests with wrongly typed fields, broken knowledge and vectors, an update whose
vectors have the wrong width, an install killed halfway, and servers that send too much, too slowly,
compressed, in a redirect loop or pointing at `file://`. Packs are built here from a tiny creator
folder (with the real embedder where vectors matter) and then broken on purpose.
"""

from __future__ import annotations

import gzip
import hashlib
import http.server
import io
import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import zstandard

from engine.api import Engine
from engine.coaches import builder, catalog
from engine.coaches import pack as pack_mod
from engine.coaches.pack import INDEX, KNOWLEDGE
from engine.errors import PackError
from engine.types import Models, open_pack, token_counter
from tests.conftest import PASSPHRASE, REPO

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def models() -> Iterator[Models]:
    m = Models()
    yield m
    m.close()


def creator_folder(root: Path, version: str = "1.0") -> Path:
    (root / "knowledge").mkdir(parents=True, exist_ok=True)
    (root / "coach.toml").write_text(
        f'id = "sleep"\nname = "Sleep Coach"\nversion = "{version}"\ndomain = "Health"\npersona = "analyst"\n'
        '[[sources]]\ntitle = "Sleep notes"\nauthor = "LifeOS Coach"\norigin = "written for the tests"\n'
        'licence = "CC0"\nfiles = ["sleep.md"]\n'
    )
    body = "\n\n".join(
        f"## Habit {i}\n\nA steady habit number {i}: the same bedtime, dim light after dark, no coffee late."
        for i in range(12)
    )
    (root / "knowledge" / "sleep.md").write_text("# Sleep\n\nSleep is built by habits.\n\n" + body)
    return root


@pytest.fixture(scope="module")
def packs(tmp_path_factory: pytest.TempPathFactory, models: Models) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("hostile-packs")
    embedder = models.embedder
    out: dict[str, Path] = {}
    for version in ("1.0", "1.1"):
        report = builder.build(
            creator_folder(root / f"src-{version}", version),
            root / f"sleep-{version}.coach",
            embedder=embedder,
            count_tokens=token_counter(embedder),
        )
        assert report.out is not None
        out[version] = report.out
    return out


def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def repack(
    src: Path,
    dst: Path,
    changes: dict[str, bytes],
    edit: Callable[[dict[str, Any]], None] = lambda _m: None,
) -> Path:
    """`src` with some members replaced and the manifest's checksums made to match again (so what is
    tested is the content check, not the checksum)."""
    files = members(src)
    manifest = json.loads(files.pop("manifest.json"))
    files.update(changes)
    manifest["files"] = {n: hashlib.sha256(b).hexdigest() for n, b in files.items()}
    edit(manifest)
    with zipfile.ZipFile(dst, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr("manifest.json", json.dumps(manifest))
        for name, data in files.items():
            archive.writestr(name, data)
    return dst


def test_zip_bomb_is_refused_from_the_zip_directory(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.coach"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", json.dumps({"schema": 1}))
        archive.writestr(KNOWLEDGE, b"\0" * (64 << 20))
    assert bomb.stat().st_size < 1 << 20
    with pytest.raises(PackError, match="zip bomb"):
        open_pack(bomb)


def test_too_many_members_are_refused(tmp_path: Path) -> None:
    crowd = tmp_path / "crowd.coach"
    with zipfile.ZipFile(crowd, "w") as archive:
        for i in range(pack_mod.MAX_MEMBERS + 1):
            archive.writestr(f"examples/{i}.md", b"x")
    with pytest.raises(PackError, match="more than 5,000 files"):
        open_pack(crowd)


def test_knowledge_that_unpacks_past_the_ceiling_is_refused(
    packs: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pack_mod, "MAX_KNOWLEDGE_BYTES", 4 << 20)
    bomb = zstandard.ZstdCompressor(level=1).compress(b'{"ref": "a", "text": "' + b"z" * (16 << 20) + b'"}\n')
    broken = repack(packs["1.0"], tmp_path / "zstd-bomb.coach", {KNOWLEDGE: bomb})
    with pytest.raises(PackError, match="unpacks to more than 4 MB"):
        open_pack(broken).passages()


def test_a_symlink_in_a_folder_pack_is_refused(packs: dict[str, Path], tmp_path: Path) -> None:
    folder = tmp_path / "folder-pack"
    folder.mkdir()
    for name, data in members(packs["1.0"]).items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    secret = tmp_path / "outside.txt"
    secret.write_text("a file outside the pack")
    (folder / "soul.md").unlink()
    os.symlink(secret, folder / "soul.md")
    with pytest.raises(PackError, match=r"soul\.md is a symbolic link"):
        open_pack(folder)


@pytest.mark.parametrize(
    ("edit", "field"),
    [
        (lambda m: m["sizes"].update(passages="lots"), "sizes.passages"),
        (lambda m: m.update(tags=5), "tags"),
        (lambda m: m.update(embedder_id=["a", "b"]), "embedder_id"),
        (lambda m: m.update(description="x" * 10_000), "description"),
        (lambda m: m.update(colour="red"), "colour"),
        (lambda m: m.update(id="../../etc"), "id"),
        (lambda m: m.update(version=1.0), "version"),
    ],
    ids=[
        "size-text",
        "tags-number",
        "embedder-list",
        "long-description",
        "unknown-field",
        "bad-id",
        "version-number",
    ],
)
def test_wrongly_typed_manifest_fields_are_named(
    packs: dict[str, Path], tmp_path: Path, edit, field: str
) -> None:
    broken = repack(packs["1.0"], tmp_path / "bad-manifest.coach", {}, edit)
    with pytest.raises(PackError, match=r"manifest\.json") as caught:
        open_pack(broken)
    assert field in str(caught.value)


@pytest.mark.parametrize(
    ("knowledge", "why"),
    [
        (zstandard.ZstdCompressor().compress(b"\xff\xfe not utf-8\n"), "not UTF-8"),
        (zstandard.ZstdCompressor().compress(b"[1, 2, 3]\n"), "line 1 is not a JSON object"),
        (zstandard.ZstdCompressor().compress(b'{"text": "no ref here"}\n'), "line 1 needs a 'ref'"),
        (zstandard.ZstdCompressor().compress(b'{"ref": "a", "text": "ok"}\n{nope\n'), "line 2 is not JSON"),
        (b"plain text, not zstd", "not zstd-compressed"),
    ],
    ids=["not-utf8", "not-object", "no-ref", "bad-json-line-2", "not-zstd"],
)
def test_broken_knowledge_is_refused_naming_the_line(
    packs: dict[str, Path], tmp_path: Path, knowledge: bytes, why: str
) -> None:
    broken = repack(packs["1.0"], tmp_path / "bad-knowledge.coach", {KNOWLEDGE: knowledge})
    with Engine.create(tmp_path / "p", PASSPHRASE, use_embedder=False) as engine:
        with pytest.raises(PackError, match=why):
            engine.coaches.install(broken)
        assert engine.coaches.list() == []


def _npz(**arrays: Any) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("vectors", "why"),
    [
        (
            _npz(refs=np.array(["a", "b"]), counts=np.array([1]), int8=np.zeros((1, 4), np.int8)),
            "does not add up",
        ),
        (
            _npz(
                refs=np.array([{"x": 1}], dtype=object), counts=np.array([1]), int8=np.zeros((1, 4), np.int8)
            ),
            "not a readable vector file",
        ),
        (b"not an npz at all", "not a readable vector file"),
        (_npz(refs=np.array(["a"])), "lacks counts, int8"),
    ],
    ids=["refs-counts-differ", "pickled-objects", "not-npz", "missing-arrays"],
)
def test_broken_vectors_are_refused(packs: dict[str, Path], tmp_path: Path, vectors: bytes, why: str) -> None:
    broken = repack(packs["1.0"], tmp_path / "bad-vectors.coach", {INDEX: vectors})
    with pytest.raises(PackError, match=why):
        open_pack(broken).vectors()


def _assert_complete(engine: Engine, version: str) -> None:
    coach = engine.coaches.get("sleep")
    assert coach.version == version and coach.passages == coach.manifest.sizes["passages"]
    assert engine.knowledge.search("sleep", "bedtime habit", limit=3).hits


def test_an_update_with_vectors_of_the_wrong_width_leaves_the_coach_as_it_was(
    packs: dict[str, Path], models: Models, tmp_path: Path
) -> None:
    files = members(packs["1.1"])
    with np.load(io.BytesIO(files[INDEX])) as saved:
        narrow = _npz(refs=saved["refs"], counts=saved["counts"], int8=saved["int8"][:, :8])
    broken = repack(packs["1.1"], tmp_path / "narrow.coach", {INDEX: narrow})
    with Engine.create(tmp_path / "p", PASSPHRASE, models=models) as engine:
        engine.coaches.install(packs["1.0"])
        with pytest.raises(PackError, match=r"8.*wide"):
            engine.coaches.install(broken)
        _assert_complete(engine, "1.0")
        again = engine.coaches.install(packs["1.0"])
        assert again.action == "unchanged"


def test_an_install_stopped_halfway_changes_nothing(
    packs: dict[str, Path], models: Models, tmp_path: Path
) -> None:
    with Engine.create(tmp_path / "p", PASSPHRASE, models=models) as engine:
        engine.coaches.install(packs["1.0"])

        def stop_halfway(_stage: str, done: int, total: int) -> None:
            if total and done >= total // 2:
                raise KeyboardInterrupt  # the person pressed Ctrl-C in the middle of indexing

        with pytest.raises(KeyboardInterrupt):
            engine.coaches.install(packs["1.1"], progress=stop_halfway)
        _assert_complete(engine, "1.0")
        update = engine.coaches.install(packs["1.1"])
        assert update.action == "updated"
        _assert_complete(engine, "1.1")


def test_an_install_killed_at_any_moment_is_whole_or_absent_and_a_rerun_completes(
    packs: dict[str, Path], tmp_path: Path
) -> None:
    home = tmp_path / "p"
    Engine.create(home, PASSPHRASE, use_embedder=False).close()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIFEOS_")}
    env["LIFEOS_PASSPHRASE"] = PASSPHRASE
    for delay in (0.8, 1.6, 2.4, 3.2):  # from model loading to the last transaction
        child = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "app.cli",
                "--home",
                str(home),
                "coach",
                "install",
                str(packs["1.1"]),
                "--force",
            ],
            cwd=REPO,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(delay)
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        with Engine.open(home, PASSPHRASE, use_embedder=False) as engine:
            installed = [c.id for c in engine.coaches.list()]
            if installed:
                _assert_complete(engine, "1.1")
    with Engine.open(home, PASSPHRASE, use_embedder=False) as engine:
        engine.coaches.install(packs["1.1"])
        _assert_complete(engine, "1.1")


# -- hostile download servers (real sockets on 127.0.0.1) --------------------------------------------


@contextmanager
def hostile_server(routes: dict[str, Callable[[http.server.BaseHTTPRequestHandler], None]]) -> Iterator[str]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            route = routes.get(self.path.split("?")[0])
            if route is None:
                self.send_error(404)
                return
            with suppress(BrokenPipeError, ConnectionResetError):
                route(self)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    import threading

    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def endless(handler: http.server.BaseHTTPRequestHandler) -> None:
    handler.send_response(200)
    handler.send_header("Connection", "close")
    handler.end_headers()
    for _ in range(4096):  # bounded: 4096 × 64 KiB = 256 MiB at most
        handler.wfile.write(b"\0" * 65_536)


def gzipped(handler: http.server.BaseHTTPRequestHandler) -> None:
    body = gzip.compress(b"\0" * (32 << 20))
    handler.send_response(200)
    handler.send_header("Content-Encoding", "gzip")
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def trickle(handler: http.server.BaseHTTPRequestHandler) -> None:
    handler.send_response(200)
    handler.send_header("Content-Length", "1000")
    handler.end_headers()
    for _ in range(100):  # bounded: a byte every 0.1 s for 10 s
        handler.wfile.write(b"x")
        handler.wfile.flush()
        time.sleep(0.1)


def loop(handler: http.server.BaseHTTPRequestHandler) -> None:
    handler.send_response(302)
    handler.send_header("Location", "/loop")
    handler.send_header("Content-Length", "0")
    handler.end_headers()


def file_catalog(handler: http.server.BaseHTTPRequestHandler) -> None:
    entry = {
        "id": "sneaky",
        "name": "Sneaky",
        "version": "1.0",
        "domain": "Health",
        "size": 10,
        "sha256": "0" * 64,
        "url": "file:///etc/passwd",
    }
    body = json.dumps({"schema": 1, "coaches": [entry]}).encode()
    handler.send_response(200)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


@pytest.mark.parametrize(
    ("route", "options", "why"),
    [
        (endless, {"max_bytes": 8 << 20}, "more than the 8 MB allowed"),
        (gzipped, {"max_bytes": 8 << 20}, "allowed"),
        (trickle, {"deadline_s": 1.0}, "did not finish downloading"),
        (loop, {}, "TooManyRedirects"),
    ],
    ids=["no-length-past-the-cap", "gzip-expanding", "trickle", "redirect-loop"],
)
def test_a_hostile_download_is_refused_and_leaves_no_file(tmp_path: Path, route, options, why: str) -> None:
    dest = tmp_path / "packs" / "x.coach"
    with hostile_server({"/x": route, "/loop": loop}) as base:
        started = time.monotonic()
        with pytest.raises(PackError, match=why):
            catalog.download(f"{base}/x", dest, attempts=2, pause=0.01, **options)
        assert time.monotonic() - started < 30
    assert list(dest.parent.iterdir()) == []


def test_a_web_catalog_cannot_point_at_local_files(tmp_path: Path) -> None:
    with hostile_server({"/catalog.json": file_catalog}) as base:
        with pytest.raises(PackError, match="may only link http"):
            catalog.load_catalog(f"{base}/catalog.json")
        with (
            Engine.create(tmp_path / "p", PASSPHRASE, use_embedder=False) as engine,
            pytest.raises(PackError),
        ):
            engine.coaches.install("sneaky", catalog=f"{base}/catalog.json")


def broken_gzip(handler: http.server.BaseHTTPRequestHandler) -> None:
    body = b"\x1f\x8b\x08\x00 definitely not a gzip stream"
    handler.send_response(200)
    handler.send_header("Content-Encoding", "gzip")
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def test_a_catalog_with_a_broken_gzip_body_is_refused_in_words() -> None:
    with (
        hostile_server({"/catalog.json": broken_gzip}) as base,
        pytest.raises(PackError, match="could not fetch"),
    ):
        catalog.load_catalog(f"{base}/catalog.json")


def test_a_stale_part_of_another_file_is_replaced_not_fatal(packs: dict[str, Path], tmp_path: Path) -> None:
    """A `.part` left by an interrupted download of another version, as long as this pack: the
    checksum fails once, and the download starts over instead of failing the install."""
    from testkit.coaches import FileServer

    served = tmp_path / "served"
    served.mkdir()
    target = served / "sleep.coach"
    target.write_bytes(packs["1.0"].read_bytes())
    dest = tmp_path / "packs" / "sleep.coach"
    dest.parent.mkdir()
    (dest.parent / "sleep.coach.part").write_bytes(b"\0" * target.stat().st_size)
    with FileServer(served).serve() as base:
        catalog.download(
            f"{base}/sleep.coach",
            dest,
            sha256=hashlib.sha256(target.read_bytes()).hexdigest(),
            size=target.stat().st_size,
        )
    assert dest.read_bytes() == target.read_bytes()
    assert not (dest.parent / "sleep.coach.part").exists()
