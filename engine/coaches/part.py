"""`engine.coaches`: build, install (file, folder, URL, catalog), preview, list, remove.

The methods open transactions and call the modules of this package; knowledge itself is indexed
through `engine.knowledge`, which this part receives.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from engine.coaches import builder as builder_mod
from engine.coaches import catalog as catalog_mod
from engine.coaches import install as install_mod
from engine.coaches.catalog import CatalogEntry
from engine.coaches.install import Coach
from engine.coaches.manifest import version_key
from engine.coaches.pack import PACK_SUFFIX, Pack, open_pack
from engine.errors import NotFound, PackError, UsageError
from engine.retrieval.knowledge import KnowledgeDoc, Prebuilt, token_counter
from engine.session import Part, guarded
from engine.store import meta

if TYPE_CHECKING:
    import httpx
    import numpy as np

    from engine.retrieval.part import Knowledge
    from engine.session import Session

Progress = Callable[[str, int, int], None]  # (stage, done, total): verify, download, embed, index
BUNDLED = builder_mod.ASSETS / "coaches"
PREVIEW_MESSAGES = 3  # free messages with a coach before it is installed
PREVIEW_KEY = "coach.preview."
_INSTALL_LOCK = threading.RLock()
BUNDLED_CATALOG = BUNDLED / "catalog.json"


@dataclass(frozen=True)
class InstallReport:
    coach_id: str
    version: str
    action: Literal["installed", "updated", "unchanged"]
    passages: int
    vectors: int
    embedded: bool  # True when the device embedded the knowledge (no matching prebuilt vectors)
    seconds: float
    previous_version: str | None = None


@guarded
class Coaches(Part):
    def __init__(self, session: Session, knowledge: Knowledge) -> None:
        super().__init__(session)
        self._knowledge = knowledge

    # -- build -------------------------------------------------------------------------------------

    def build(
        self,
        src: Path | str,
        out: Path | str | None,
        *,
        progress: Progress | None = None,
        preview: int = 0,
        sign: Path | str | None = None,
    ) -> builder_mod.BuildReport:
        """Build a pack from a creator's folder with this device's embedder (BM25-only without one);
        `sign` names a publisher key file (`create_publisher_key`) that signs the pack."""
        embedder = None if preview else self._s.loaded_embedder()
        return builder_mod.build(
            src,
            out,
            embedder=embedder,
            count_tokens=token_counter(embedder),
            window=getattr(embedder, "max_tokens", builder_mod.DEFAULT_WINDOW),
            progress=progress,
            preview=preview,
            sign=sign,
        )

    # -- install -----------------------------------------------------------------------------------

    def install(
        self,
        source: str | Path,
        *,
        progress: Progress | None = None,
        force: bool = False,
        catalog: str | Path | None = None,
        transport: httpx.BaseTransport | None = None,
        accept_publisher: bool = False,
    ) -> InstallReport:
        """Install a pack from a `.coach` file, a pack folder, a URL, or a catalog id.

        Every checksum is verified before anything is written. Installing a newer version replaces
        the knowledge and keeps the conversations; the same version again is a no-op unless `force`;
        an older version is refused unless `force`.
        """
        pack = self._fetch_pack(source, progress=progress, catalog=catalog, transport=transport)
        return self.install_pack(pack, progress=progress, force=force, accept_publisher=accept_publisher)

    def install_pack(
        self,
        pack: Pack,
        *,
        progress: Progress | None = None,
        force: bool = False,
        accept_publisher: bool = False,
    ) -> InstallReport:
        # One install at a time in this process: "Install" in the gallery and in the coach studio
        # (or two browser tabs) may ask for the same coach at once.
        with _INSTALL_LOCK:
            return self._install_pack(pack, progress=progress, force=force, accept_publisher=accept_publisher)

    def _install_pack(
        self, pack: Pack, *, progress: Progress | None, force: bool, accept_publisher: bool
    ) -> InstallReport:
        """All or nothing: the new knowledge is indexed under a staging id while the installed coach
        (if any) keeps answering, then one transaction swaps it in with the new definition. A refusal
        or a killed process leaves the previous state; the staging rows it left are cleared by the
        next install. A coach found incomplete (from before this was so) is installed again."""
        started = time.perf_counter()
        db = self._s.db
        m = pack.manifest
        with db.atomic() as conn:  # installing a previewed coach keeps it, and its first messages
            meta.delete(conn, PREVIEW_KEY + m.id)
        with db.lock:
            previous = install_mod.installed_version(db.conn, m.id)
            complete = previous is not None and install_mod.is_complete(db.conn, m.id)
            pinned = install_mod.installed_publisher(db.conn, m.id)
        if (
            pinned is not None
            and (m.publisher is None or m.publisher.key != pinned.key)
            and not accept_publisher
        ):
            newcomer = f"by {m.publisher.name}, another key" if m.publisher else "unsigned"
            raise PackError(
                f"{m.name} is installed from {pinned.name}; this pack is {newcomer}. It may be an impostor: "
                "install it only if you trust it (--accept-new-publisher)"
            )
        if previous is not None and not force and complete:
            if version_key(previous) == m.version_key:
                with db.lock:
                    n = db.conn.execute("SELECT count(*) FROM chunks WHERE coach_id = ?", (m.id,)).fetchone()[
                        0
                    ]
                return InstallReport(
                    m.id, m.version, "unchanged", int(n), 0, False, time.perf_counter() - started, previous
                )
            if version_key(previous) > m.version_key:
                raise UsageError(
                    f"{m.name} {previous} is installed, newer than this pack ({m.version}); use --force to go back"
                )
        passages = pack.passages()
        docs = [KnowledgeDoc(p.ref, p.text, p.title, p.doc_id or None, p.position) for p in passages]
        prebuilt = self._usable_prebuilt(pack)
        staging = install_mod.STAGING_PREFIX + m.id
        with db.atomic() as conn:
            install_mod.remove_knowledge(conn, staging)  # what a killed install left behind
        stage = "index" if prebuilt is not None else "embed"
        try:
            report = self._knowledge.add(
                staging,
                docs,
                (lambda done, total: progress(stage, done, total)) if progress else None,
                prebuilt=prebuilt,
            )
            self._s.check_open()
            with db.atomic() as conn:
                install_mod.remove_knowledge(conn, m.id)
                install_mod.move_knowledge(conn, staging, m.id)
                install_mod.write_definition(conn, pack, install_mod.stamp(self._s.clock()))
        except BaseException:
            if self._s.is_open:
                with db.atomic() as conn:
                    install_mod.remove_knowledge(conn, staging)
            raise
        action: Literal["installed", "updated"] = "updated" if previous is not None else "installed"
        embedded = prebuilt is None and report.vectors > 0
        return InstallReport(
            m.id,
            m.version,
            action,
            report.passages,
            report.vectors,
            embedded,
            time.perf_counter() - started,
            previous,
        )

    def _usable_prebuilt(self, pack: Pack) -> Prebuilt | None:
        """The pack's vectors when this device's embedder made the same kind; else None (embed here).

        Their width is checked against the embedder before anything is written: vectors of another
        size would be refused by the vector table halfway through the install."""
        if pack.manifest.embedder_id is None:
            return None
        embedder = self._s.loaded_embedder()
        if embedder is None or embedder.embedder_id != pack.manifest.embedder_id:
            return None
        vectors = pack.vectors()
        if not vectors:
            return None
        widths = {matrix.shape[1] for matrix in vectors.values()}
        if widths != {embedder.dimension}:
            raise PackError(
                f"coach pack refused: {pack.manifest.id}'s prebuilt vectors are {sorted(widths)}-wide, but "
                f"{pack.manifest.embedder_id} makes {embedder.dimension}-wide vectors"
            )
        return Prebuilt(pack.manifest.embedder_id, vectors)

    def _fetch_pack(
        self,
        source: str | Path,
        *,
        progress: Progress | None,
        catalog: str | Path | None,
        transport: httpx.BaseTransport | None,
    ) -> Pack:
        text = str(source)
        if catalog_mod.is_url(text):
            name = Path(text.split("?", 1)[0]).name or "download"
            dest = self._s.paths.home / "packs" / (name if name.endswith(PACK_SUFFIX) else name + PACK_SUFFIX)
            catalog_mod.download(text, dest, progress=progress, transport=transport)
            return _open_downloaded(dest)
        path = Path(source).expanduser()
        if path.exists():
            return open_pack(path)
        entries = catalog_mod.load_catalog(catalog or BUNDLED_CATALOG, transport=transport)
        entry = next((e for e in entries if e.id == text), None)
        if entry is None:
            raise NotFound(f"no coach pack, folder or catalog entry called {text!r}")
        if catalog_mod.is_url(entry.url):
            dest = self._s.paths.home / "packs" / f"{entry.id}-{entry.version}{PACK_SUFFIX}"
            catalog_mod.download(
                entry.url, dest, sha256=entry.sha256, size=entry.size, progress=progress, transport=transport
            )
            return _pinned(_open_downloaded(dest), entry, dest)
        local = Path(entry.url)
        if catalog_mod.file_sha256(local) != entry.sha256:
            raise PackError(f"coach pack refused: {local.name} does not match the catalog's checksum")
        return _pinned(open_pack(local), entry, None)

    def install_bundled(self, progress: Progress | None = None) -> list[InstallReport]:
        """Install every demo coach shipped in assets/ that is not yet here (for demos and tests; the
        app installs nothing unasked: a new profile starts without coaches and the coachee picks one).

        Installs the prebuilt packs listed in assets/coaches/catalog.json; a bundled coach whose pack
        is missing is built from its sources first (this embeds its knowledge, so it takes longer).
        """
        reports: list[InstallReport] = []
        entries = catalog_mod.load_catalog(BUNDLED_CATALOG) if BUNDLED_CATALOG.is_file() else []
        built: set[str] = set()
        for entry in entries:
            if Path(entry.url).is_file():
                reports.append(self.install(entry.id, progress=progress, catalog=BUNDLED_CATALOG))
                built.add(entry.id)
        for src in sorted(p.parent for p in BUNDLED.glob("*/coach.toml")):
            if src.name in built:
                continue
            out = self._s.paths.home / "packs" / f"{src.name}{PACK_SUFFIX}"
            self.build(src, out, progress=progress)
            reports.append(self.install(out, progress=progress))
        return reports

    # -- preview -----------------------------------------------------------------------------------

    def preview(
        self,
        source: str | Path,
        *,
        progress: Progress | None = None,
        catalog: str | Path | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> InstallReport:
        """Try a coach before installing it: its pack is verified and indexed as for an install, but
        it stays out of the installed list and answers `PREVIEW_MESSAGES` messages. `install`
        keeps it (with those messages); `end_preview` removes it."""
        pack = self._fetch_pack(source, progress=progress, catalog=catalog, transport=transport)
        db = self._s.db
        with db.lock:
            installed = install_mod.installed_version(db.conn, pack.manifest.id) is not None
        if installed and not self.is_preview(pack.manifest.id):
            raise UsageError(f"{pack.manifest.name} is already installed: no preview needed")
        report = self.install_pack(pack, progress=progress)
        with db.atomic() as conn:
            meta.put_new(conn, PREVIEW_KEY + pack.manifest.id, "1")
        return report

    def is_preview(self, coach_id: str) -> bool:
        db = self._s.db
        with db.lock:
            return meta.get(db.conn, PREVIEW_KEY + coach_id) is not None

    def preview_messages_left(self, coach_id: str) -> int | None:
        """Free messages left with a previewed coach; None for an installed one."""
        if not self.is_preview(coach_id):
            return None
        sent = self._s.db.query_one(
            "SELECT count(*) FROM messages WHERE coach_id = ? AND role = 'user'", (coach_id,)
        )[0]
        return max(0, PREVIEW_MESSAGES - int(sent))

    def end_preview(self, coach_id: str) -> None:
        """Drop a previewed coach; the few messages exchanged stay in the coachee's notes."""
        if not self.is_preview(coach_id):
            raise UsageError(f"{coach_id!r} is not being previewed")
        db = self._s.db
        with db.atomic() as conn:
            install_mod.remove_knowledge(conn, coach_id)
            install_mod.remove_definition(conn, coach_id)
            meta.delete(conn, PREVIEW_KEY + coach_id)

    # -- browse, show, remove ----------------------------------------------------------------------

    def list(self, *, include_previews: bool = False) -> list[Coach]:
        db = self._s.db
        with db.lock:
            found = [c for c in (install_mod.load(db.conn, i) for i in install_mod.list_ids(db.conn)) if c]
        if include_previews:
            return found
        with db.lock:
            keys = meta.keys_with_prefix(db.conn, PREVIEW_KEY)
        previews = {k[len(PREVIEW_KEY) :] for k in keys if k.startswith(PREVIEW_KEY)}  # LIKE ignores case
        return [c for c in found if c.id not in previews]

    def get(self, coach_id: str) -> Coach:
        db = self._s.db
        with db.lock:
            found = install_mod.load(db.conn, coach_id)
        if found is None:
            raise NotFound(f"no coach {coach_id!r} is installed (see `lifeos coach list --catalog`)")
        return found

    def playbook_vectors(self, coach_id: str) -> tuple[str, list[str], np.ndarray] | None:
        """The installed playbook vectors of a coach: (embedder id, the move id of each row, rows)."""
        db = self._s.db
        with db.lock:
            return install_mod.playbook_vectors(db.conn, coach_id)

    def remove(self, coach_id: str) -> int:
        """Uninstall: the coach's definition and knowledge go; the coachee's notes, facts and
        conversations with it stay. Returns the number of passages removed."""
        self.get(coach_id)
        db = self._s.db
        with db.atomic() as conn:
            removed = install_mod.remove_knowledge(conn, coach_id)
            install_mod.remove_definition(conn, coach_id)
        return removed

    def catalog(
        self,
        source: str | Path | None = None,
        *,
        domain: str | None = None,
        language: str | None = None,
        text: str | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> list[CatalogEntry]:
        """Browse a catalog (the bundled one by default), filtered by domain, language and words."""
        entries = catalog_mod.load_catalog(source or BUNDLED_CATALOG, transport=transport)
        return catalog_mod.browse(entries, domain=domain, language=language, text=text)


def write_catalog(packs: Iterable[Path], out: Path) -> Path:
    """Write a catalog for built packs, with URLs relative to the catalog (used for assets/ and servers)."""
    import json

    entries = []
    for path in packs:
        pack = open_pack(path)
        entries.append(
            catalog_mod.catalog_entry(
                path, pack.manifest, path.resolve().relative_to(out.resolve().parent).as_posix()
            )
        )
    out.write_text(
        json.dumps({"schema": catalog_mod.CATALOG_SCHEMA, "coaches": entries}, indent=2, ensure_ascii=False)
        + "\n"
    )
    return out


__all__ = ["CatalogEntry", "Coach", "InstallReport", "write_catalog"]


def _open_downloaded(path: Path) -> Pack:
    """A downloaded pack, verified; one that is refused is not kept in the profile's packs folder."""
    try:
        return open_pack(path)
    except PackError:
        path.unlink(missing_ok=True)
        raise


def _pinned(pack: Pack, entry: CatalogEntry, downloaded: Path | None) -> Pack:
    """A catalog that names a publisher key accepts only packs that key signed."""
    if entry.publisher_key is None:
        return pack
    if pack.manifest.publisher is None or pack.manifest.publisher.key != entry.publisher_key:
        if downloaded is not None:
            downloaded.unlink(missing_ok=True)
        raise PackError(
            f"coach pack refused: {entry.id} is not signed by the publisher key the catalog names"
        )
    return pack
