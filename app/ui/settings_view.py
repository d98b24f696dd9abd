"""Settings: one scrolling page of cards — security, check-ins, sync, reasoner, models, import, export.

Each card is its own component with its own state, so saving the hours never re-renders the
passphrase form (and a half-typed passphrase is never lost to an unrelated update).
"""

from __future__ import annotations

import flet as ft

from app.ui.settings_checkins import CheckinSettings
from app.ui.settings_io import ExportSettings, ImportSettings
from app.ui.settings_llm import LocalModelSettings
from app.ui.settings_models import ModelSettings, ReasonerSettings
from app.ui.settings_security import SecuritySettings
from app.ui.settings_sync import SyncSettings
from app.ui.theme import SPACE_M, SPACE_S


@ft.component
def SettingsView() -> ft.Control:
    return ft.ListView(
        expand=True,
        spacing=SPACE_S,
        padding=ft.Padding.only(top=SPACE_S, bottom=SPACE_M),
        controls=[
            SecuritySettings(),
            CheckinSettings(),
            SyncSettings(),
            ReasonerSettings(),
            ModelSettings(),
            LocalModelSettings(),
            ImportSettings(),
            ExportSettings(),
        ],
    )
