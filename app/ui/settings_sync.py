"""Settings › Sync: end-to-end-encrypted sync between the coachee's own devices.

Off: create an account on a server, or join one with the code another device shows. On: what waits
to be sent, the last sync and any problem, "Sync now" with a progress bar (the first sync of a large
profile takes a while), "Pair a device" with the one-time code as text and as a QR code to scan,
and the account's devices, each revocable from here. Every engine call runs off the UI thread; the
pairing wait too, so the page stays usable while the other device joins.
"""

from __future__ import annotations

import asyncio
import io
from dataclasses import dataclass, replace
from typing import Any

import flet as ft

from app.ui.actions import run_action
from app.ui.hooks import use_latest_state
from app.ui.profile_context import use_profile
from app.ui.settings_parts import settings_card, status_line
from engine.types import PairingCode, SyncDevice, SyncStatus

PROGRESS_STEP = 0.02


@dataclass(frozen=True)
class SyncForm:
    server: str = ""
    code: str = ""
    status: SyncStatus | None = None
    devices: tuple[SyncDevice, ...] = ()
    pairing: PairingCode | None = None
    qr_png: bytes | None = None
    progress: float | None = None  # share of the current sync done, while one runs
    busy: bool = False
    ok: str | None = None
    problem: str | None = None
    revision: int = 0


def qr_png(text: str) -> bytes:
    """The pairing link as a QR code (PNG), drawn on the device itself (segno, no network)."""
    import segno

    out = io.BytesIO()
    segno.make(text, error="m").save(out, kind="png", scale=6, border=2)
    return out.getvalue()


@ft.component
def SyncSettings() -> ft.Control:
    profile = use_profile()
    engine = profile.engine
    form, set_form, latest = use_latest_state(SyncForm())

    async def load() -> None:
        await run_action(
            engine.sync.status,
            set_state=set_form,
            busy=None,
            done=lambda f, status: replace(f, status=status),
        )

    ft.use_effect(load, dependencies=[form.revision])

    def edit(field: str) -> Any:
        def handler(e: ft.Event[ft.TextField]) -> None:
            value = e.control.value or ""
            set_form(lambda f: replace(f, **{field: value, "ok": None, "problem": None}))

        return handler

    def refreshed(f: SyncForm, ok: str) -> SyncForm:
        return replace(f, ok=ok, progress=None, pairing=None, qr_png=None, revision=f.revision + 1)

    async def setup(_e: Any) -> None:
        server = latest().server.strip()
        await run_action(
            lambda: engine.sync.setup(server),
            latest=latest,
            set_state=set_form,
            done=lambda f, status: refreshed(f, f"Sync account created on {status.server}."),
        )

    async def join(_e: Any) -> None:
        current = latest()
        code, server = current.code.strip(), current.server.strip() or None
        await run_action(
            lambda: engine.sync.join(code, server=server, timeout_s=600),
            latest=latest,
            set_state=set_form,
            done=lambda f, _s: refreshed(f, "Joined. The first sync starts now."),
        )
        if latest().status is not None:
            await sync_now(None)

    async def sync_now(_e: Any) -> None:
        loop = asyncio.get_running_loop()
        shown = {"share": -1.0}

        def progress(_phase: str, done: int, total: int) -> None:
            share = done / total if total else 1.0
            if share - shown["share"] < PROGRESS_STEP and done != total:
                return
            shown["share"] = share
            loop.call_soon_threadsafe(lambda: set_form(lambda f: replace(f, progress=share)))

        def report_text(f: SyncForm, report: Any) -> SyncForm:
            text = f"Synced: sent {report.pushed}, received {report.pulled}, applied {report.applied}."
            if report.rejected:
                text += f" {report.rejected} altered on the server and refused."
            return refreshed(f, text)

        if await run_action(
            lambda: engine.sync.now(progress=progress),
            latest=latest,
            set_state=set_form,
            start=lambda f: replace(f, progress=0.0),
            done=report_text,
            failed=lambda f: replace(f, progress=None, revision=f.revision + 1),
        ):
            profile.changed()

    async def start_pairing(_e: Any) -> None:
        started = await run_action(
            engine.sync.pair,
            latest=latest,
            set_state=set_form,
            done=lambda f, offer: replace(f, pairing=offer, qr_png=qr_png(offer.uri)),
        )
        if not started:
            return
        offer = started.value
        await run_action(
            lambda: engine.sync.pair_finish(offer.code, timeout_s=600),
            latest=latest,
            set_state=set_form,
            done=lambda f, device: refreshed(f, f"Device {device} joined this account."),
            failed=lambda f: replace(f, pairing=None, qr_png=None),
        )

    async def show_devices(_e: Any) -> None:
        await run_action(
            engine.sync.devices,
            latest=latest,
            set_state=set_form,
            done=lambda f, devices: replace(f, devices=tuple(devices)),
        )

    def revoke(device_id: str) -> Any:
        async def handler(_e: Any) -> None:
            await run_action(
                lambda: engine.sync.revoke(device_id),
                latest=latest,
                set_state=set_form,
                done=lambda f, n: replace(
                    refreshed(f, f"Revoked {device_id}; new account key, {n} changes re-sealed."),
                    devices=tuple(d for d in f.devices if d.device_id != device_id),
                ),
            )

        return handler

    status = form.status
    controls: list[ft.Control]
    if status is None:
        controls = [ft.ProgressBar(semantics_label="Loading")]
    elif not status.configured:
        controls = [
            ft.Text("Off. Your notes stay on this device.", weight=ft.FontWeight.W_500),
            ft.TextField(
                label="Sync server",
                hint_text="https://sync.example.org",
                value=form.server,
                dense=True,
                disabled=form.busy,
                on_change=edit("server"),
            ),
            ft.Row(
                wrap=True,
                spacing=12,
                controls=[
                    ft.FilledButton(
                        content="Create account",
                        icon=ft.Icons.CLOUD_SYNC,
                        disabled=form.busy or not form.server.strip(),
                        on_click=setup,
                    )
                ],
            ),
            ft.Text("Or join your other device", weight=ft.FontWeight.W_500),
            ft.TextField(
                label="Pairing code or link",
                hint_text="ABCD-EFGH-JKMN",
                value=form.code,
                dense=True,
                disabled=form.busy,
                on_change=edit("code"),
                on_submit=join,
            ),
            ft.Row(
                controls=[
                    ft.FilledTonalButton(
                        content="Join", disabled=form.busy or not form.code.strip(), on_click=join
                    )
                ]
            ),
        ]
    else:
        lines = [
            f"Server: {status.server}",
            f"This device: {status.device_id}",
            f"Waiting to be sent: {status.pending}",
            f"Last sync: {status.last_sync or 'never'}",
        ]
        if status.history:
            lines.append(f"Versions kept after conflicts: {status.history}")
        controls = [ft.Text(line) for line in lines]
        if status.last_error:
            controls.append(ft.Text(f"Last problem: {status.last_error}", color=ft.Colors.ERROR))
        for rejected in status.rejected[-3:]:
            controls.append(
                ft.Text(f"Refused change {rejected['seq']}: {rejected['error']}", color=ft.Colors.ERROR)
            )
        if form.progress is not None:
            controls.append(ft.ProgressBar(value=form.progress, semantics_label="Syncing"))
        controls.append(
            ft.Row(
                wrap=True,
                spacing=12,
                run_spacing=12,
                controls=[
                    ft.FilledButton(
                        content="Sync now", icon=ft.Icons.SYNC, disabled=form.busy, on_click=sync_now
                    ),
                    ft.FilledTonalButton(
                        content="Pair a device",
                        icon=ft.Icons.QR_CODE,
                        disabled=form.busy,
                        on_click=start_pairing,
                    ),
                    ft.OutlinedButton(content="Devices", disabled=form.busy, on_click=show_devices),
                ],
            )
        )
        if form.pairing is not None:
            controls.append(
                ft.Text(
                    f"On the other device, enter {form.pairing.code} (server {status.server}) or scan:",
                    selectable=True,
                )
            )
            if form.qr_png:
                controls.append(
                    ft.Image(src=form.qr_png, width=220, height=220, semantics_label="Pairing QR code")
                )
            controls.append(ft.Text("The code works once, for 10 minutes. Waiting…"))
        for device in form.devices:
            label = device.device_id + (" (this device)" if device.this_device else "")
            label += f" — revoked {device.revoked_at}" if device.revoked_at else f" — added {device.added_at}"
            row: list[ft.Control] = [ft.Text(label, expand=True)]
            if not device.this_device and not device.revoked_at:
                row.append(
                    ft.TextButton(content="Revoke", disabled=form.busy, on_click=revoke(device.device_id))
                )
            controls.append(ft.Row(controls=row))
    controls.extend(status_line(form.ok, form.problem))
    return settings_card(
        "Sync",
        ft.Icons.CLOUD_SYNC,
        controls,
        subtitle="End-to-end encrypted: the server stores only sealed changes it cannot read.",
    )
