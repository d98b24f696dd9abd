"""The local model manager: the real test GGUF, a real loopback HTTP server, the real CLI.

A download that drops mid-file resumes with a Range request; a wrong checksum, a truncated file and a
file that is not a model are refused with a sentence and leave nothing installed.
"""

from __future__ import annotations

import hashlib
import http.server
import itertools
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from engine.api import Engine, bundled_test_model, local_model_manager
from engine.errors import ModelCorrupt, ModelUnavailable, NotFound
from engine.llm.catalog import CatalogEntry
from engine.llm.gguf import read_info
from engine.llm.manager import ModelManager
from tests.conftest import PASSPHRASE, run_cli


@pytest.fixture(scope="module")
def gguf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return bundled_test_model(tmp_path_factory.mktemp("gguf"))


@pytest.fixture(scope="module")
def digest(gguf: Path) -> str:
    return hashlib.sha256(gguf.read_bytes()).hexdigest()


class _Server:
    """Serves one file on 127.0.0.1 with `Range: bytes=N-`. The first `drops` responses close the
    connection after `drop_at` bytes, short of their Content-Length (a dropped download)."""

    def __init__(self, path: Path, *, drops: int = 0, drop_at: int = 0, published: str | None = None) -> None:
        self.data = path.read_bytes()
        self.drops = drops
        self.drop_at = drop_at
        self.published = published
        self.ranges: list[str | None] = []

    @contextmanager
    def serve(self) -> Iterator[str]:
        app = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                header = self.headers.get("Range")
                app.ranges.append(header)
                start = int(header.split("=")[1].split("-")[0]) if header else 0
                body = app.data[start:]
                self.send_response(206 if header else 200)
                if header:
                    self.send_header("Content-Range", f"bytes {start}-{len(app.data) - 1}/{len(app.data)}")
                if app.published:
                    self.send_header("X-Linked-Etag", f'"{app.published}"')
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Connection", "close")
                self.end_headers()
                if app.drops > 0:
                    app.drops -= 1
                    self.wfile.write(body[: app.drop_at])
                    return
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}/model.gguf"
        finally:
            server.shutdown()
            server.server_close()


def _entry(url: str, sha256: str | None, size: int) -> CatalogEntry:
    return CatalogEntry(
        "tiny-test", "Tiny test", url, size, "Gemma Terms of Use", 32_768, sha256, instruct=False
    )


def test_the_header_of_the_test_model_is_read(gguf: Path, digest: str) -> None:
    info = read_info(gguf)
    assert (info.architecture, info.chat_template, info.version) == ("gemma3", None, 3)
    assert info.context_length == 32_768 and info.layers == 18 and info.vocab_size == 262_144
    assert info.kv_bytes(1000) == 2 * info.layers * info.kv_heads * info.head_size * 2 * 1000
    catalog_row = next(e for e in local_model_manager(gguf.parent).catalog if e.name == "gemma-3-270m-base")
    assert (catalog_row.sha256, catalog_row.size_bytes) == (digest, gguf.stat().st_size)


def test_a_dropped_download_resumes_and_is_verified(tmp_path: Path, gguf: Path, digest: str) -> None:
    server = _Server(gguf, drops=2, drop_at=60 << 20)
    seen: list[tuple[int, int]] = []
    with server.serve() as url:
        manager = ModelManager(tmp_path / "llm", catalog=(_entry(url, digest, gguf.stat().st_size),))
        model = manager.add("tiny-test", progress=lambda done, total: seen.append((done, total)))
    assert server.ranges == [None, f"bytes={60 << 20}-", f"bytes={120 << 20}-"]
    assert model.sha256 == digest and model.file.read_bytes() == gguf.read_bytes()
    assert [m.name for m in manager.installed()] == ["tiny-test"] and not model.chat_template
    assert seen[-1] == (gguf.stat().st_size, gguf.stat().st_size)
    assert all(a[0] <= b[0] for a, b in itertools.pairwise(seen))  # never goes backwards
    assert not list((tmp_path / "llm").glob("*.part"))


def test_a_wrong_checksum_is_refused_and_nothing_is_installed(tmp_path: Path, gguf: Path) -> None:
    with _Server(gguf).serve() as url:
        manager = ModelManager(tmp_path / "llm", catalog=(_entry(url, "0" * 64, gguf.stat().st_size),))
        with pytest.raises(ModelCorrupt, match="does not match its checksum"):
            manager.add("tiny-test")
    assert manager.installed() == [] and not list((tmp_path / "llm").glob("*.gguf*"))


def test_the_hosts_published_checksum_is_used_or_the_download_is_refused(
    tmp_path: Path, gguf: Path, digest: str
) -> None:
    with _Server(gguf, published=digest).serve() as url:
        manager = ModelManager(tmp_path / "a", catalog=(_entry(url, None, gguf.stat().st_size),))
        assert manager.add("tiny-test").sha256 == digest
    with _Server(gguf).serve() as url:
        manager = ModelManager(tmp_path / "b", catalog=(_entry(url, None, gguf.stat().st_size),))
        with pytest.raises(ModelUnavailable, match="publishes none"):
            manager.add("tiny-test")
    assert manager.installed() == []


def test_a_truncated_or_foreign_file_is_refused_on_import(tmp_path: Path, gguf: Path) -> None:
    manager = ModelManager(tmp_path / "llm")
    half = tmp_path / "half.gguf"
    with gguf.open("rb") as f:
        half.write_bytes(f.read(gguf.stat().st_size // 2))
    with pytest.raises(ModelCorrupt, match="truncated"):
        manager.add(str(half))
    page = tmp_path / "page.gguf"
    page.write_text("<html>404 Not Found</html>")
    with pytest.raises(ModelCorrupt, match="not a GGUF model"):
        manager.add(str(page))
    assert manager.installed() == [] and not (tmp_path / "llm").exists()


def test_an_imported_file_that_changes_is_refused_before_use(tmp_path: Path, gguf: Path, digest: str) -> None:
    manager = ModelManager(tmp_path / "llm")
    model = manager.add(str(gguf), name="gemma")
    assert (model.sha256, model.licence) == (digest, "Gemma Terms of Use")
    assert manager.verify("gemma").name == "gemma"
    with model.file.open("r+b") as f:  # same size, different bytes
        f.seek(1 << 20)
        f.write(b"\0" * 16)
    with pytest.raises(ModelCorrupt, match="no longer matches"):
        manager.verify("gemma")
    with model.file.open("ab") as f:
        f.write(b"more")
    with pytest.raises(ModelCorrupt, match="changed size"):
        manager.ready("gemma")
    manager.remove("gemma")
    with pytest.raises(NotFound):
        manager.get("gemma")


def test_the_cli_lists_imports_shows_uses_and_removes(tmp_path: Path, gguf: Path) -> None:
    home = str(tmp_path / "home")
    with Engine.create(Path(home), PASSPHRASE, use_embedder=False):
        pass
    listed = run_cli("--home", home, "llm", "list")
    assert listed.returncode == 0 and "No local model installed" in listed.stdout
    assert "qwen2.5-0.5b-instruct" in listed.stdout
    added = run_cli("--home", home, "llm", "add", str(gguf), "--name", "gemma")
    assert added.returncode == 0, added.stderr
    assert "Installed gemma" in added.stdout and "verified" in added.stdout
    shown = run_cli("--home", home, "llm", "show", "gemma")
    assert shown.returncode == 0 and "plain format" in shown.stdout and "memory      about" in shown.stdout
    used = run_cli("--home", home, "llm", "use", "gemma")
    assert used.returncode == 0, used.stderr
    with Engine.open(Path(home), PASSPHRASE, use_embedder=False) as engine:
        status = engine.llm.status()
        assert (status.in_use, status.reasoner, status.loaded) == ("gemma", "local", False)
        assert engine.chat.reasoner_settings()["model"].endswith("gemma.gguf")
    missing = run_cli("--home", home, "llm", "use", "nope")
    assert missing.returncode == 4 and "no local model 'nope'" in missing.stderr
    removed = run_cli("--home", home, "llm", "remove", "gemma")
    assert removed.returncode == 0 and not (Path(home) / "models" / "llm" / "gemma.gguf").exists()
    with Engine.open(Path(home), PASSPHRASE, use_embedder=False) as engine:
        engine.llm.stop_using()
        assert engine.llm.status().in_use is None
