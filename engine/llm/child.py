"""The child process that holds a local model: load once, then answer generation jobs over a pipe.

Runs only in the child (started by `runner.py` with the spawn method), so llama.cpp and the model's
memory live and die with it. The parent sends tuples; the child answers:

    parent → child                        child → parent
    ("generate", job)                     ("token", text) … then ("done", stats) or ("failed", kind, msg)
    ("cancel",)   (during a job)          the job stops at the next token and sends ("done", stats)
    ("exit",)     or the pipe closing     the process returns; the OS takes its memory back

The KV prefix cache: the rendered prompt starts with the coach's fixed prefix (persona, instructions,
tool instructions). After that prefix is evaluated its KV state is copied out (llama.cpp's per-sequence
state, which holds only the cache of those tokens) and kept per key (coach × prefix text). A later turn
for the same coach restores it, so only the new part of the prompt is evaluated — even after another
coach's turn has used the context in between. llama-cpp-python's own `save_state` is not used: it
also copies its logits buffer, which for a 262k-token vocabulary is hundreds of megabytes per state.
"""

from __future__ import annotations

import codecs
import contextlib
import ctypes
import json
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from engine.llm.prompt import PLAIN_STOPS, plain_prompt

MAX_PREFIX_STATES = 4
"""Coaches whose prefix state is kept at once (each is the KV cache of a few hundred tokens)."""
N_BATCH = 256


@dataclass(frozen=True)
class _PrefixState:
    tokens: tuple[int, ...]
    blob: bytes


class _ContextTooSmall(Exception):
    pass


def main(conn: Any, path: str, n_ctx: int, threads: int) -> None:
    """The child's entry point (the target of `multiprocessing.Process`)."""
    started = time.perf_counter()
    try:
        from llama_cpp import Llama

        llm = Llama(
            model_path=path,
            n_ctx=n_ctx,
            n_threads=threads,
            n_threads_batch=threads,
            n_batch=min(N_BATCH, n_ctx),
            verbose=False,
        )
    except Exception as exc:  # llama.cpp raises ValueError("Failed to load model from file: …")
        _send(conn, ("error", "corrupt", f"{type(exc).__name__}: {str(exc)[:300]}"))
        return
    template = llm.metadata.get("tokenizer.chat_template") or None
    _send(
        conn,
        (
            "ready",
            {"load_s": time.perf_counter() - started, "n_ctx": llm.n_ctx(), "template": bool(template)},
        ),
    )
    worker = _Worker(llm, template)
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message[0] == "exit":
            return
        if message[0] == "generate":
            try:
                worker.generate(conn, message[1])
            except _ContextTooSmall as exc:
                _send(conn, ("failed", "context", str(exc)))
            except Exception as exc:  # reported, not raised: the model stays loaded for the next turn
                _send(conn, ("failed", "error", f"{type(exc).__name__}: {str(exc)[:300]}"))
            if worker.exiting:
                return


def _send(conn: Any, message: tuple[Any, ...]) -> None:
    with contextlib.suppress(BrokenPipeError, OSError):
        conn.send(message)


class _Worker:
    def __init__(self, llm: Any, template: str | None) -> None:
        self.llm = llm
        self.template = template
        self.states: OrderedDict[str, _PrefixState] = OrderedDict()
        self.exiting = False
        self.formatter: Any = None
        if template:
            from llama_cpp.llama_chat_format import Jinja2ChatFormatter

            model = llm._model
            eos, bos = llm.token_eos(), llm.token_bos()
            self.formatter = Jinja2ChatFormatter(
                template,
                eos_token=model.token_get_text(eos) if eos != -1 else "",
                bos_token=model.token_get_text(bos) if bos != -1 else "",
            )

    # -- prompt --------------------------------------------------------------------------------

    def render(self, messages: list[dict[str, str]]) -> tuple[str, bool, list[str]]:
        """The prompt text, whether llama.cpp must add BOS, and the stop strings."""
        if self.formatter is not None:
            for attempt in (messages, _system_into_user(messages)):
                try:
                    out = self.formatter(messages=attempt)
                except Exception:  # a template that refuses a system role, say
                    continue
                stops = out.stop if isinstance(out.stop, list) else [out.stop] if out.stop else []
                return out.prompt, not out.added_special, [s for s in stops if s]
        return plain_prompt(messages), True, list(PLAIN_STOPS)

    def tokens(self, text: str, add_bos: bool) -> list[int]:
        return list(self.llm.tokenize(text.encode("utf-8"), add_bos=add_bos, special=True))

    def fit(
        self, messages: list[dict[str, str]], fixed: str, max_tokens: int, suffix: str
    ) -> tuple[str, list[int], bool, list[str], int]:
        """Render and trim to the context: oldest turns first, then the variable end of the system
        message (memory, passages); the fixed prefix and the last message are kept."""
        budget = self.llm.n_ctx() - max_tokens - 4
        messages = [dict(m) for m in messages]
        dropped = 0
        while True:
            text, add_bos, stops = self.render(messages)
            text += suffix
            tokens = self.tokens(text, add_bos)
            if len(tokens) <= budget:
                return text, tokens, add_bos, stops, dropped
            first = 1 if messages and messages[0]["role"] == "system" else 0
            if len(messages) - first > 1:
                del messages[first]
                dropped += 1
                continue
            if first and len(messages[0]["content"]) > len(fixed):
                excess_chars = (len(tokens) - budget) * 4 + 64
                keep = max(len(fixed), len(messages[0]["content"]) - excess_chars)
                messages[0]["content"] = messages[0]["content"][:keep]
                continue
            raise _ContextTooSmall(
                f"the model's context of {self.llm.n_ctx()} tokens cannot hold this coach's instructions "
                f"and the message ({len(tokens)} tokens before the reply)"
            )

    # -- generation ----------------------------------------------------------------------------

    def generate(self, conn: Any, job: dict[str, Any]) -> None:
        llm = self.llm
        started = time.perf_counter()
        max_tokens = int(job["max_tokens"])
        text, tokens, add_bos, stops, dropped = self.fit(
            job["messages"], job["fixed"], max_tokens, job.get("suffix", "")
        )
        stops = [*stops, *job.get("stops", [])]
        evaluated, _, n_prefix = self.prefix(text, tokens, add_bos, job["fixed"], job["key"])
        current = list(llm.input_ids[: llm.n_tokens])
        common = _common(current, tokens)
        reuse = common - 1 if common == len(tokens) else common
        evaluated += len(tokens) - reuse
        cached = len(tokens) - evaluated  # reused from before this turn: kept, restored or shared
        grammar = None
        if job.get("schema"):
            from llama_cpp.llama_grammar import LlamaGrammar

            grammar = LlamaGrammar.from_json_schema(json.dumps(job["schema"]), verbose=False)
        if job.get("seed") is not None:
            llm.set_seed(int(job["seed"]))
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        vocab = llm._model.vocab
        import llama_cpp

        held = ""  # text not yet sent: it may be the start of a stop string
        hold = max((len(s) for s in stops), default=1) - 1
        generated = 0
        first_token_s: float | None = None
        reason = "length"
        for token in llm.generate(
            tokens,
            temp=float(job.get("temperature", 0.7)),
            top_k=40,
            top_p=0.95,
            min_p=0.05,
            repeat_penalty=1.1,
            grammar=grammar,
        ):
            if llama_cpp.llama_vocab_is_eog(vocab, token):
                reason = "stop"
                break
            generated += 1
            if first_token_s is None:
                first_token_s = time.perf_counter() - started
            held += decoder.decode(llm._model.detokenize([token], special=False))
            cut = min((held.find(s) for s in stops if s in held), default=-1)
            if cut >= 0:
                held = held[:cut]
                reason = "stop"
                break
            if len(held) > hold:
                _send(conn, ("token", held[: len(held) - hold]))
                held = held[len(held) - hold :]
            if generated >= max_tokens:
                break
            if conn.poll():  # only "cancel" (or "exit") arrives during a job
                self.exiting = conn.recv()[0] == "exit"
                reason = "cancelled"
                break
        held += decoder.decode(b"", final=True)
        if held and reason != "cancelled":
            _send(conn, ("token", held))
        _send(
            conn,
            (
                "done",
                {
                    "prompt_tokens": len(tokens),
                    "evaluated_tokens": evaluated,
                    "cached_tokens": cached,
                    "prefix_tokens": n_prefix,
                    "generated_tokens": generated,
                    "dropped_messages": dropped,
                    "first_token_s": first_token_s,
                    "total_s": time.perf_counter() - started,
                    "stop_reason": reason,
                },
            ),
        )

    def prefix(
        self, text: str, tokens: list[int], add_bos: bool, fixed: str, key: str
    ) -> tuple[int, int, int]:
        """Bring the KV cache to hold the fixed prefix of `tokens`: already there, restored from this
        coach's kept state, or evaluated now and kept. Returns (evaluated, cached, prefix length)."""
        llm = self.llm
        at = text.find(fixed) if fixed else -1
        if at < 0:
            return 0, 0, 0
        n = _common(self.tokens(text[: at + len(fixed)], add_bos), tokens)
        if n < 2 or n >= len(tokens):
            return 0, 0, 0
        current = list(llm.input_ids[: llm.n_tokens])
        if _common(current, tokens) >= n:
            return 0, n, n
        state = self.states.get(key)
        if state is not None and state.tokens == tuple(tokens[:n]) and self._restore(state):
            self.states.move_to_end(key)
            return 0, n, n
        have = _common(current, tokens[:n])
        llm.n_tokens = have
        llm.eval(tokens[have:n])
        self.states[key] = self._save(tokens[:n])
        self.states.move_to_end(key)
        while len(self.states) > MAX_PREFIX_STATES:
            self.states.popitem(last=False)
        return n - have, have, n

    def _save(self, tokens: list[int]) -> _PrefixState:
        import llama_cpp

        ctx = self.llm._ctx.ctx
        size = llama_cpp.llama_state_seq_get_size(ctx, 0)
        buffer = (ctypes.c_uint8 * size)()
        written = llama_cpp.llama_state_seq_get_data(ctx, buffer, size, 0)
        return _PrefixState(tuple(tokens), bytes(buffer)[:written])

    def _restore(self, state: _PrefixState) -> bool:
        import llama_cpp

        llm = self.llm
        llm._ctx.kv_cache_seq_rm(-1, 0, -1)
        buffer = (ctypes.c_uint8 * len(state.blob)).from_buffer_copy(state.blob)
        if llama_cpp.llama_state_seq_set_data(llm._ctx.ctx, buffer, len(state.blob), 0) == 0:
            llm.n_tokens = 0
            return False
        n = len(state.tokens)
        llm.input_ids[:n] = state.tokens
        llm.n_tokens = n
        llm._requires_eval = True
        return True


def _common(a: list[int], b: list[int]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def _system_into_user(messages: list[dict[str, str]]) -> list[dict[str, str]]:
    """For templates without a system role: the system text opens the first user turn."""
    if not messages or messages[0]["role"] != "system":
        return messages
    system, rest = messages[0]["content"], [dict(m) for m in messages[1:]]
    for m in rest:
        if m["role"] == "user":
            m["content"] = f"{system}\n\n{m['content']}"
            return rest
    return [{"role": "user", "content": system}, *rest]
