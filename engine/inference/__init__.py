"""On-device models: embedder, reranker, NER and speech-to-text inside one memory budget.

Importing this package loads no model and no model runtime (onnxruntime, spaCy, CTranslate2 are
imported on first use), so the CLI and the UI start fast. See `Models` for the entry point.
"""

from engine.errors import (
    AudioUnreadable,
    InferenceError,
    ManifestError,
    MemoryBudgetExceeded,
    ModelCorrupt,
    ModelUnavailable,
    UnknownModel,
)
from engine.inference.base import (
    Embedder,
    Entity,
    EntityExtractor,
    ModelStatus,
    Ranked,
    Reranker,
    Role,
    Transcriber,
    Transcript,
    quantize_int8,
)
from engine.inference.models import BudgetStatus, Models

__all__ = [
    "AudioUnreadable",
    "BudgetStatus",
    "Embedder",
    "Entity",
    "EntityExtractor",
    "InferenceError",
    "ManifestError",
    "MemoryBudgetExceeded",
    "ModelCorrupt",
    "ModelStatus",
    "ModelUnavailable",
    "Models",
    "Ranked",
    "Reranker",
    "Role",
    "Transcriber",
    "Transcript",
    "UnknownModel",
    "quantize_int8",
]
