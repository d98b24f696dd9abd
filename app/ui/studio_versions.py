"""The studio's Versions panel: the signing key, the version and its changelog, export and install.

The signing key is made once and kept encrypted in the profile; a backup can be written to a file
(the format `lifeos coach build --sign` reads). Installing builds the signed pack and installs it on
this device; a later version installs over it and the coachee's conversations and memory stay.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import flet as ft

from app.ui.studio_state import StudioState
from app.ui.theme import SPACE_S

Handler = Callable[[Any], Any]
BUMPS = (("patch", "Fix (patch)"), ("minor", "New material (minor)"), ("major", "A new coach (major)"))


def versions_panel(
    state: StudioState,
    *,
    edit: Callable[[str], Handler],
    choose: Callable[[str, str], Handler],
    make_key: Handler,
    backup_key: Handler,
    bump: Handler,
    export: Handler,
    install: Handler,
    publish: Handler,
) -> list[ft.Control]:
    draft = state.draft
    controls: list[ft.Control] = [ft.Text("Signing key", theme_style=ft.TextThemeStyle.TITLE_MEDIUM)]
    if state.publisher is None:
        controls += [
            ft.Text(
                "Coachees see this name on your coaches, and an update signed by anyone else cannot replace them.",
                size=12,
                color=ft.Colors.ON_SURFACE_VARIANT,
            ),
            ft.Row(
                controls=[
                    ft.TextField(
                        label="Your name as publisher",
                        value=state.key_name,
                        dense=True,
                        expand=True,
                        on_change=edit("key_name"),
                    ),
                    ft.FilledButton(
                        content="Make my signing key",
                        icon=ft.Icons.KEY,
                        disabled=state.busy,
                        on_click=make_key,
                    ),
                ]
            ),
        ]
    else:
        controls.append(
            ft.Row(
                controls=[
                    ft.Icon(ft.Icons.VERIFIED_USER_OUTLINED, color=ft.Colors.PRIMARY),
                    ft.Text(
                        f"Signing as {state.publisher.name} (key {state.publisher.key[:12]}…)", expand=True
                    ),
                ]
            )
        )
    controls += [
        ft.Divider(),
        ft.Text(f"Version {draft.version}", theme_style=ft.TextThemeStyle.TITLE_MEDIUM),
        ft.Text(
            f"Installed on this device: {state.installed_version}"
            if state.installed_version
            else "Not installed on this device yet.",
            size=12,
            color=ft.Colors.ON_SURFACE_VARIANT,
        ),
    ]
    for release in reversed(draft.changelog):
        controls.append(ft.Text(f"{release.version} ({release.date}): {release.notes}", size=13))
    controls += [
        ft.Row(
            wrap=True,
            spacing=SPACE_S,
            controls=[
                ft.Chip(
                    label=words,
                    selected=state.bump_part == part,
                    show_checkmark=False,
                    on_select=choose("bump_part", part),
                )
                for part, words in BUMPS
            ],
        ),
        ft.Row(
            controls=[
                ft.TextField(
                    label="What changed",
                    value=state.bump_notes,
                    dense=True,
                    expand=True,
                    on_change=edit("bump_notes"),
                ),
                ft.OutlinedButton(content="Start the next version", disabled=state.busy, on_click=bump),
            ]
        ),
        ft.Divider(),
        ft.Text("Export and install", theme_style=ft.TextThemeStyle.TITLE_MEDIUM),
        ft.Row(
            controls=[
                ft.TextField(
                    label="Export to (a .coach file path)",
                    hint_text="/home/me/calm-focus.coach",
                    value=state.export_path,
                    dense=True,
                    expand=True,
                    on_change=edit("export_path"),
                ),
                ft.OutlinedButton(
                    content="Export signed pack",
                    icon=ft.Icons.IOS_SHARE,
                    disabled=state.busy,
                    on_click=export,
                ),
            ]
        ),
        ft.FilledButton(
            content=f"Install {draft.name} on this device",
            icon=ft.Icons.DOWNLOAD_DONE,
            disabled=state.busy,
            on_click=install,
        ),
    ]
    controls += [
        ft.Divider(),
        ft.Text("Publish", theme_style=ft.TextThemeStyle.TITLE_MEDIUM),
        ft.Text(
            "Into the catalog folder your sync server serves (lifeos-server --catalog DIR): coachees then "
            "install the coach by its id, pinned to your key.",
            size=12,
            color=ft.Colors.ON_SURFACE_VARIANT,
        ),
        ft.Row(
            controls=[
                ft.TextField(
                    label="Catalog folder",
                    hint_text="/srv/lifeos/catalog",
                    value=state.catalog_path,
                    dense=True,
                    expand=True,
                    on_change=edit("catalog_path"),
                ),
                ft.OutlinedButton(
                    content="Publish to the catalog",
                    icon=ft.Icons.PUBLISH,
                    disabled=state.busy,
                    on_click=publish,
                ),
            ]
        ),
    ]
    if state.publisher is not None:
        controls.append(
            ft.Row(
                controls=[
                    ft.TextField(
                        label="Key backup file",
                        hint_text="/home/me/lifeos-publisher-key.json",
                        value=state.key_backup_path,
                        dense=True,
                        expand=True,
                        on_change=edit("key_backup_path"),
                    ),
                    ft.OutlinedButton(
                        content="Back up my signing key", disabled=state.busy, on_click=backup_key
                    ),
                ]
            )
        )
    return controls
