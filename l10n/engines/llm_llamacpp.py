"""The llm engine's llama.cpp runtime: the `.gguf` file as it is (Q4_K_M and the like), through
llama-cpp-python (the optional extra `.[llamacpp]`, built from source at install time).

The prompt is the GGUF's own chat template (the one transformers reads from the same file),
rendered with Jinja; answers are greedy and stop at the end-of-turn tokens or when the first line
is complete. Up to `batch_size` conversations are decoded together on one llama.cpp context, one
sequence each (`SlotDecoder`): every step of the model advances all of them, and a conversation
that ends hands its slot to the next one in the same step. The turns that every prompt of a call
opens with (the system turn, and the shared examples) are computed once, kept for the next call
as far as it opens the same way, and shared by every sequence.
"""

from __future__ import annotations

import os
from collections import deque
from dataclasses import dataclass, field
from typing import Callable, Sequence

from ..errors import Advice, ChangeOption, ModelUnavailable
from . import LLMOptions, generation_failed
from .ct2_cache import machine_threads
from .llm_runtimes import device_kind, pool_size, runtime_label
from .llm_transformers import END_OF_TURN

USE_CT2 = ChangeOption(("runtime",), "ct2")
INSTALL_HELP = (
    Advice("install it with `pip install -e '.[llamacpp]'` (it builds llama.cpp from source: a C++ compiler "
           "and cmake are needed)"),
    USE_CT2,
)


def gguf_path(model: str) -> str:
    path = os.path.expanduser(model)
    if os.path.isdir(path):
        ggufs = sorted(f for f in os.listdir(path) if f.lower().endswith(".gguf"))
        if len(ggufs) == 1:
            path = os.path.join(path, ggufs[0])
    if not path.lower().endswith(".gguf"):
        raise ModelUnavailable("the llama-cpp runtime runs .gguf files", model,
                               remedy=(ChangeOption(("model",), "FILE.gguf", verb="pass one with"), USE_CT2))
    if not os.path.isfile(path):
        raise ModelUnavailable("no such .gguf file; pass the path of a downloaded GGUF model", model)
    return path


class LlamaCppRuntime:
    def __init__(self, options: LLMOptions):
        try:
            import llama_cpp
            from llama_cpp.llama_chat_format import Jinja2ChatFormatter
        except ImportError as err:
            raise ModelUnavailable(
                f"the llama-cpp runtime needs the optional package llama-cpp-python ({err.name} is missing)",
                remedy=INSTALL_HELP,
            ) from None
        model = self.model_id = options.model
        self.options = options
        self.calls = 0
        path = gguf_path(model)
        self.device = device_kind(options.device)
        self.label = runtime_label("llama-cpp", self.device, options)
        threads = options.threads or machine_threads()
        try:
            # The Llama object lends its model, tokenizer and metadata; decoding runs on a context
            # of its own (SlotDecoder), so this one is kept small.
            self.llama = llama_cpp.Llama(
                model_path=path,
                n_ctx=512,
                n_batch=512,
                n_threads=threads,
                n_threads_batch=threads,
                n_gpu_layers=-1 if self.device == "cuda" else 0,
                seed=0,
                verbose=False,
            )
        except (ValueError, RuntimeError) as err:
            first = (str(err).strip().splitlines() or [type(err).__name__])[0][:200]
            raise ModelUnavailable(f"llama.cpp cannot load this model ({first})", model) from None
        meta = self.llama.metadata
        template = meta.get("tokenizer.chat_template")
        if not template:
            raise ModelUnavailable(
                "this model has no chat template; the llm engine needs an instruction (chat) model", model
            )
        eos_id = self.llama.token_eos()
        bos_id = self.llama.token_bos()
        piece = lambda i: self.llama.detokenize([i], special=True).decode("utf-8", "ignore") if i >= 0 else ""  # noqa: E731
        self.bos_text = piece(bos_id)
        self.add_bos = str(meta.get("tokenizer.ggml.add_bos_token", "false")).lower() == "true" and bos_id >= 0
        self.formatter = Jinja2ChatFormatter(template=template, eos_token=piece(eos_id), bos_token=self.bos_text)
        self.stop_ids = {eos_id} if eos_id >= 0 else set()
        for token in END_OF_TURN:
            ids = self.llama.tokenize(token.encode(), add_bos=False, special=True)
            if len(ids) == 1:
                self.stop_ids.add(ids[0])
        self.pool_size = pool_size(options)
        self.decoder = SlotDecoder(self.llama, slots=options.batch_size, cells=3 * options.n_ctx, threads=threads,
                                   model=model)

    def prompt_tokens(self, messages: list[dict]) -> list[int]:
        text = self.formatter(messages=messages).prompt
        tokens = self.llama.tokenize(text.encode("utf-8"), add_bos=False, special=True)
        if self.add_bos and not (self.bos_text and text.startswith(self.bos_text)):
            tokens = [self.llama.token_bos()] + tokens
        return tokens

    def generate(self, conversations: Sequence[list[dict]], max_new_tokens: Sequence[int]) -> list[str]:
        from .llm import answer_complete

        prompts = [self.prompt_tokens(m) for m in conversations]
        for tokens, limit in zip(prompts, max_new_tokens):
            if len(tokens) + limit > self.options.n_ctx:
                raise generation_failed(
                    RuntimeError(f"the prompt ({len(tokens)} tokens) and answer do not fit in the context of "
                                 f"{self.options.n_ctx}"),
                    self.model_id, (ChangeOption(("n_ctx",), verb="raise"), ChangeOption(("context", "examples"), verb="lower")))

        def finished(produced: list[int]) -> bool:
            last = produced[-1]
            return (last in self.stop_ids
                    or (len(produced) >= 4 and b"\n" in self.llama.detokenize([last]) and answer_complete(self._text(produced))))

        self.calls += len(prompts)
        try:
            answers = self.decoder.run(prompts, list(max_new_tokens), finished)
        except (RuntimeError, MemoryError) as err:
            raise generation_failed(err, self.model_id, (USE_CT2,)) from None
        return [self._text([t for t in ids if t not in self.stop_ids]) for ids in answers]

    def _text(self, ids: list[int]) -> str:
        return self.llama.detokenize(ids).decode("utf-8", "replace")


@dataclass
class _Row:
    index: int  # of the prompt in the call; -1 for the call's shared prefix
    seq: int
    feed: list[int]  # tokens still to be evaluated: the rest of the prompt, then the last answer token
    need: int  # cache cells it may still add: the rest of the prompt and the longest answer
    produced: list[int] = field(default_factory=list)


class SlotDecoder:
    """Greedy decoding of many prompts at once on one llama.cpp context, with a prefix cache.

    Each conversation is a sequence of the context's unified cache. It starts as a copy of the
    live sequence that shares the longest prefix with its prompt (a copy only marks the cells as
    shared), so only the rest of the prompt is evaluated: the turns that every prompt of a call
    opens with (system, shared examples) are evaluated once, as a sequence of their own; a
    revision turn, whose conversation opens with the first prompt and its answer, starts where the
    first answer ended. Finished sequences stay in the cache for that purpose until their cells
    or their sequence ids are wanted (oldest first). A step of the model takes the next token of
    every answering conversation and as much of the waiting prompts as fits in one batch of
    `BATCH` tokens; a conversation that ends frees its slot for the next one. On 2 CPU cores a
    step for 16 conversations costs 8 steps for one (275 against 34 ms): half as much per token
    (docs/llm-runtimes.md).
    Flash attention skips the cells of other sequences, which would otherwise be computed."""

    BATCH = 512

    def __init__(self, llama, slots: int, cells: int, threads: int, model: str):
        import llama_cpp

        self.lib = llama_cpp
        self.n_seq = min(256, llama_cpp.llama_max_parallel_sequences())
        self.slots = max(1, min(slots, self.n_seq - 2))
        self.cells = cells
        params = llama_cpp.llama_context_default_params()
        params.n_ctx = cells
        params.n_batch = params.n_ubatch = self.BATCH
        params.n_seq_max = self.n_seq
        params.kv_unified = True
        params.flash_attn_type = llama_cpp.LLAMA_FLASH_ATTN_TYPE_ENABLED
        params.n_threads = params.n_threads_batch = threads
        self.owner = llama  # its model must outlive this context
        self.ctx = llama_cpp.llama_init_from_model(llama._model.model, params)
        if not self.ctx:
            raise ModelUnavailable(f"llama.cpp cannot make a context of {cells} tokens for this model", model,
                                   remedy=(ChangeOption(("n_ctx", "batch_size"), verb="lower"),))
        self.memory = llama_cpp.llama_get_memory(self.ctx)
        self.batch = llama_cpp.llama_batch_init(self.BATCH, 0, 1)
        self.n_vocab = llama.n_vocab()
        # What the cache holds: each live sequence's evaluated tokens and, per position, the key of
        # its cell; how many sequences hold each cell (a cell is free when none does); the
        # finished sequences kept for their prefixes, oldest first.
        self.tokens: dict[int, list[int]] = {}
        self.keys: dict[int, list[int]] = {}
        self.holders: dict[int, int] = {}
        self.kept: dict[int, None] = {}
        self._key = 0
        self.evaluated = 0  # tokens the model has evaluated (prompts and answers)

    def __del__(self):
        lib = getattr(self, "lib", None)
        if lib is not None and getattr(self, "batch", None) is not None:
            lib.llama_batch_free(self.batch)
            self.batch = None
        if lib is not None and getattr(self, "ctx", None):
            lib.llama_free(self.ctx)
            self.ctx = None

    def run(self, prompts: list[list[int]], limits: list[int], finished: Callable[[list[int]], bool]) -> list[list[int]]:
        """The answer tokens for each prompt: up to its limit, and up to the first token for which
        `finished` (given the answer so far) says the answer is complete."""
        if not prompts:
            return []
        results: list[list[int]] = [[] for _ in prompts]
        active: dict[int, _Row] = {}
        try:
            shared = min(_common_length(prompts), min(len(p) for p in prompts) - 1)
            source, common = self._best_source(prompts[0][:shared])
            if shared > common:  # the turns every prompt opens with, evaluated once
                self._make_room(shared - common, source)
                prefix = self._start(-1, prompts[0][:shared], 0, source, common)
                active[prefix.seq] = prefix  # dropped like the others if the model fails
                while prefix.feed:
                    self._step([prefix])
                del active[prefix.seq]
                self.kept[prefix.seq] = None
            waiting = deque(range(len(prompts)))
            while waiting or active:
                while waiting and len(active) < self.slots:
                    i = waiting[0]
                    row = self._admit(i, prompts[i], limits[i], active)
                    if row is None:
                        break
                    waiting.popleft()
                    active[row.seq] = row
                for row in self._step(list(active.values())):
                    if len(row.produced) < limits[row.index] and not finished(row.produced):
                        row.feed = [row.produced[-1]]
                        continue
                    results[row.index] = row.produced
                    del active[row.seq]
                    self.kept[row.seq] = None
        finally:
            for row in active.values():
                self._drop(row.seq)
        return results

    def _admit(self, index: int, prompt: list[int], limit: int, active: dict[int, _Row]) -> _Row | None:
        """The row for a prompt, started from its best source, or None when it has to wait: for
        cells, or for an answering row whose prompt it shares more of than is evaluated yet."""
        source, common = self._best_source(prompt[:-1])
        if any(_common_length([row_prompt, prompt[:-1]]) > common + 8 for row_prompt in
               (self.tokens[seq] + row.feed for seq, row in active.items() if len(row.feed) > 1)):
            return None
        need = len(prompt) - common + limit + sum(row.need for row in active.values())
        if not self._make_room(need, source) and active:
            return None  # alone, it fits: a prompt and its answer take at most a third of the cache
        return self._start(index, prompt, limit, source, common)

    def _make_room(self, cells: int, keep: int | None) -> bool:
        """Drop finished sequences, oldest first and never `keep`, until `cells` more cells and a
        sequence id are free; whether they are."""
        while len(self.holders) + cells > self.cells or len(self.tokens) >= self.n_seq:
            evictable = next((seq for seq in self.kept if seq != keep), None)
            if evictable is None:
                return False
            self._drop(evictable)
        return True

    def _best_source(self, prompt: list[int]) -> tuple[int | None, int]:
        best, length = None, 0
        for seq, tokens in self.tokens.items():
            n = _common_length([tokens, prompt])
            if n > length:
                best, length = seq, n
        return best, length

    def _start(self, index: int, prompt: list[int], limit: int, source: int | None, common: int) -> _Row:
        """A new sequence for `prompt` that holds the first `common` cells of `source`."""
        seq = next(s for s in range(self.n_seq) if s not in self.tokens)
        self.tokens[seq], self.keys[seq] = [], []
        if source is not None and common:
            self.lib.llama_memory_seq_cp(self.memory, source, seq, 0, common)
            self.tokens[seq] = self.tokens[source][:common]
            self.keys[seq] = self.keys[source][:common]
            for key in self.keys[seq]:
                self.holders[key] += 1
            if source in self.kept:  # used again: the newest
                del self.kept[source]
                self.kept[source] = None
        return _Row(index, seq, prompt[common:], len(prompt) - common + limit)

    def _drop(self, seq: int) -> None:
        self.lib.llama_memory_seq_rm(self.memory, seq, -1, -1)
        for key in self.keys.pop(seq):
            self.holders[key] -= 1
            if not self.holders[key]:
                del self.holders[key]
        del self.tokens[seq]
        self.kept.pop(seq, None)

    def _step(self, rows: list[_Row]) -> list[_Row]:
        """One call of the model: the last token of every answering row, then prompt tokens while
        the batch has room. Each row whose feed is used up gets its next token (greedy); those
        rows are returned."""
        import numpy as np

        lib, batch = self.lib, self.batch
        batch.n_tokens = 0
        added: list[tuple[_Row, list[int]]] = []
        sampled: list[tuple[_Row, int]] = []
        for row in sorted(rows, key=lambda r: len(r.feed) > 1):  # answering rows first
            room = self.BATCH - batch.n_tokens
            if room <= 0:
                break
            take, row.feed = row.feed[:room], row.feed[room:]
            pos = len(self.tokens[row.seq])
            for k, token in enumerate(take):
                j = batch.n_tokens
                batch.token[j] = token
                batch.pos[j] = pos + k
                batch.n_seq_id[j] = 1
                batch.seq_id[j][0] = row.seq
                batch.logits[j] = not row.feed and k == len(take) - 1
                batch.n_tokens += 1
            if not row.feed:
                sampled.append((row, batch.n_tokens - 1))
            added.append((row, take))
        status = lib.llama_decode(self.ctx, batch)
        self.evaluated += batch.n_tokens
        if status != 0:
            raise RuntimeError(f"llama_decode failed ({status})")
        for row, take in added:
            self.tokens[row.seq] += take
            for _ in take:
                self._key += 1
                self.keys[row.seq].append(self._key)
                self.holders[self._key] = 1
            row.need -= len(take)
        for row, j in sampled:
            logits = np.ctypeslib.as_array(lib.llama_get_logits_ith(self.ctx, j), shape=(self.n_vocab,))
            row.produced.append(int(logits.argmax()))
        return [row for row, _ in sampled]


def _common_length(sequences: list[list[int]]) -> int:
    first = sequences[0]
    n = min(len(s) for s in sequences)
    for k in range(n):
        t = first[k]
        if any(s[k] != t for s in sequences[1:]):
            return k
    return n
