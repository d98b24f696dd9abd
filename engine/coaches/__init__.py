"""Coach packs (DESIGN.md §7): the format, the builder, verification, install, and the catalog.

A pack is what a coach creator ships and what the app installs: a persona (`soul.md`), operating
instructions (`agent.md`), example exchanges, knowledge passages (zstd) and their prebuilt vectors,
the playbook of coaching moves, all listed with their SHA-256 in `manifest.json`. Callers reach it
as `engine.coaches`, the `Coaches` part in `engine/coaches/part.py`.
"""
