"""Rebuild the bundled demo coach packs (assets/coaches/dist/*.coach) and their catalog.

Run after changing a demo coach's sources (its books, soul, examples or playbook):

    .venv/bin/python build/demo_packs.py

Vectors of unchanged passages are taken from the previous pack, so a playbook edit rebuilds in
seconds; the catalog's sizes and checksums are rewritten to match.
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from engine.types import Models, build_pack, token_counter, write_catalog  # noqa: E402

COACHES = REPO / "assets" / "coaches"
DIST = COACHES / "dist"


def main() -> None:
    models = Models()
    embedder = models.embedder
    embedder.load()
    packs = []
    for src in sorted(p.parent for p in COACHES.glob("*/coach.toml")):
        out = DIST / f"{src.name}.coach"
        previous = out.with_suffix(".previous.coach")
        if out.is_file():
            out.replace(previous)
        try:
            report = build_pack(
                src,
                out,
                embedder=embedder,
                count_tokens=token_counter(embedder),
                window=embedder.max_tokens,
                reuse=previous if previous.is_file() else None,
            )
        except BaseException:
            if previous.is_file():
                previous.replace(out)
            raise
        previous.unlink(missing_ok=True)
        moves = report.manifest.sizes.get("moves", 0)
        print(
            f"{src.name}: {report.passages} passages, {report.vectors} vectors, {moves} moves -> {out.name}"
        )
        for warning in report.warnings:
            print(f"  warning: {warning}")
        packs.append(out)
    write_catalog(packs, COACHES / "catalog.json")
    models.close()


if __name__ == "__main__":
    main()
