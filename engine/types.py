"""The data types a caller of the engine reads and passes, in one place.

Each type is defined beside the code that makes it; this module is where callers (the UI, the CLI,
tests, benchmarks) find them, through `engine.api.types`. Names that would pull in ONNX Runtime,
numpy or the model packages (the models, evaluation and RSS helpers the benchmarks use) are loaded
on first use, so importing the engine stays cheap for `lifeos note list`.
"""

from __future__ import annotations

from typing import Any

from engine.chat.part import ChatMessage, ChatReply, Citation
from engine.clock import iso_utc
from engine.coaches.catalog import CatalogEntry
from engine.coaches.install import Coach
from engine.coaches.part import InstallReport
from engine.coaches.playbook import Move
from engine.heartbeat.notify import InboxItem
from engine.heartbeat.part import HeartbeatReport, RoleResult
from engine.io.limits import Limits
from engine.io.model import (
    PLACES,
    ExportReport,
    ImapAccount,
    ImportPreview,
    LearningStatus,
    NearDuplicate,
    NotesImportReport,
    RestoreReport,
)
from engine.memory.capture import CaptureResult
from engine.memory.entities import Entity
from engine.memory.facts import Fact
from engine.memory.notes import Note, SearchHit
from engine.memory.notes_part import NewNote
from engine.memory.part import ArchiveProposal, EntityPage, IndexReport, MemoryItem, NewFact, SynthesisReport
from engine.memory.recall import RecallHit
from engine.memory.remember import FactResult, Suggestion
from engine.memory.tacit import HourWindow
from engine.retrieval.eval import EvalReport, EvalSet
from engine.retrieval.knowledge import KnowledgeDoc, KnowledgeHit, KnowledgeResults
from engine.settings import Sealed, Setting
from engine.store.keys import KdfParams
from engine.store.migrations import LATEST_VERSION
from engine.sync.part import PairingCode, SyncDevice, SyncReport, SyncStatus
from engine.training.part import (
    ActivityDetail,
    Athlete,
    DayLoad,
    GoalStatus,
    ImportReport,
    LoadSpike,
    LoadStatus,
)
from engine.training.science import Acwr, Goal, GoalConfidence, Reason
from engine.training.store import Activity
from engine.training.streams import Stream

__all__ = [
    "LATEST_VERSION",
    "PLACES",
    "Activity",
    "ActivityDetail",
    "Acwr",
    "ArchiveProposal",
    "Athlete",
    "CaptureResult",
    "CatalogEntry",
    "ChatMessage",
    "ChatReply",
    "Citation",
    "Coach",
    "DayLoad",
    "Entity",
    "EntityPage",
    "EvalReport",
    "EvalSet",
    "ExportReport",
    "Fact",
    "FactResult",
    "Goal",
    "GoalConfidence",
    "GoalStatus",
    "HeartbeatReport",
    "HourWindow",
    "ImapAccount",
    "ImportPreview",
    "ImportReport",
    "InboxItem",
    "IndexReport",
    "InstallReport",
    "KdfParams",
    "KnowledgeDoc",
    "KnowledgeHit",
    "KnowledgeResults",
    "LearningStatus",
    "Limits",
    "LoadSpike",
    "LoadStatus",
    "MemoryItem",
    "Move",
    "NearDuplicate",
    "NewFact",
    "NewNote",
    "Note",
    "NotesImportReport",
    "PairingCode",
    "Reason",
    "RecallHit",
    "RestoreReport",
    "RoleResult",
    "Sealed",
    "SearchHit",
    "Setting",
    "Stream",
    "Suggestion",
    "SyncDevice",
    "SyncReport",
    "SyncStatus",
    "SynthesisReport",
    "iso_utc",
]

_LAZY_EXPORTS: dict[str, tuple[str, str]] = {
    "Models": ("engine.inference.models", "Models"),
    "MB": ("engine.inference.rss", "MB"),
    "current_rss_bytes": ("engine.inference.rss", "current_rss_bytes"),
    "peak_rss_bytes": ("engine.inference.rss", "peak_rss_bytes"),
    "Prebuilt": ("engine.retrieval.knowledge", "Prebuilt"),
    "token_counter": ("engine.retrieval.knowledge", "token_counter"),
    "RETRIEVAL_METHODS": ("engine.retrieval.pipeline", "METHODS"),
    "load_eval_set": ("engine.retrieval.eval", "load"),
    "evaluate_retrieval": ("engine.retrieval.eval", "evaluate"),
    "Passage": ("engine.retrieval.beir", "Passage"),
    "load_corpus": ("engine.retrieval.beir", "load_corpus"),
    "load_queries": ("engine.retrieval.beir", "load_queries"),
    "open_pack": ("engine.coaches.pack", "open_pack"),
    "build_pack": ("engine.coaches.builder", "build"),
    "write_catalog": ("engine.coaches.part", "write_catalog"),
    "load_prebuilt": ("engine.retrieval.knowledge", "load_prebuilt"),
    "chat_eval": ("engine.chat.evaluate", ""),  # the module itself
    "ModelStatus": ("engine.inference.base", "ModelStatus"),
    "BudgetStatus": ("engine.inference.models", "BudgetStatus"),
    "VoiceMemo": ("engine.memory.voice", "VoiceMemo"),
    "Transcript": ("engine.inference.base", "Transcript"),
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY_EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    module, attr = _LAZY_EXPORTS[name]
    loaded = importlib.import_module(module)
    return getattr(loaded, attr) if attr else loaded
