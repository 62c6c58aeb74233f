"""The llm engine's CTranslate2 runtime: the chat model converted once, int8 on CPU.

Conversion: a hub id or a model directory goes through CTranslate2's `TransformersConverter`; a
`.gguf` file is first dequantized by transformers (to float32), and the loaded model is handed to
the converter as it is (transformers refuses to save a model loaded from GGUF, so nothing is
written but its config and tokenizer). The result is cached under `<cache_dir>/ct2/` keyed by the
model's identity and the stored number format (engines/ct2_cache.py, shared with the Marian ct2
engine), with the tokenizer and its chat template in `tokenizer/` beside it: a second run loads
the converted model in seconds and needs neither the source model nor its dequantization.

Number formats (`--quantization`): int8 on CPU (int8 weights, float32 activations), int8_float16
on CUDA by default; float16 / bfloat16 / float32 store the weights that way.

Generation: `Generator.generate_batch` on the tokens of the chat-templated prompt, greedy, stopping
at the end-of-turn tokens or when the first line of the answer is complete. Prompts are sorted by
length and decoded up to `batch_size` at a time. CTranslate2 forwards the shortest prompt of a batch
at once and feeds the others' extra tokens one decoding step at a time, so prompts of very
different lengths are cheaper in separate batches: `plan_batches` groups them by a measured cost
model. The system turn, the same in
every prompt, is passed as CTranslate2's `static_prompt`: its state is computed once and reused by
every later batch (option `static_prompt`, on by default); the memory examples, when they are the
same for the whole call (the llm engine's `shared_examples`), join it for that call.
docs/llm-runtimes.md has the figures.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Sequence

from ..errors import Advice, ChangeOption, ModelUnavailable
from . import LLMOptions, generation_failed
from .ct2_cache import (METADATA, cache_path, convert_model, file_identity, import_ctranslate2, is_complete,
                        machine_threads, read_metadata, source_identity)
from .llm_runtimes import ct2_compute_type, ct2_storage, pool_size, runtime_label
from .llm_transformers import END_OF_TURN, load_chat_tokenizer, model_source, require_gguf_support

TOKENIZER_DIR = "tokenizer"
USE_TRANSFORMERS = ChangeOption(("runtime",), "transformers")
INSTALL_HELP = (Advice("install it with `pip install -e '.[ct2]'`"), USE_TRANSFORMERS)


def converted_model(model: str, storage: str, cache_dir: str) -> tuple[Path, bool]:
    """(the cache entry of `model` converted to `storage`, whether this call converted it)."""
    location, kwargs, gguf = model_source(model)
    if gguf:
        identity, source = "llm:" + file_identity(gguf), location
    else:
        identity, source = source_identity(model)
        identity = "llm:" + identity
    entry = cache_path(gguf or model, identity, storage, cache_dir)
    if is_complete(entry) and (entry / TOKENIZER_DIR).is_dir():
        return entry, False
    print(f"converting {model} to CTranslate2 ({storage}) in {entry} (once; cached)", file=sys.stderr)
    try:
        _convert(model, source, kwargs, gguf, entry, storage, identity)
    except ModelUnavailable:
        raise
    except Exception as err:  # noqa: BLE001 - any converter failure gets one clear message
        first = (str(err).strip().splitlines() or [type(err).__name__])[0][:200]
        raise ModelUnavailable(f"cannot convert this model to CTranslate2 ({first})", model,
                               remedy=(USE_TRANSFORMERS,)) from None
    return entry, True


def _convert(model: str, source: str, kwargs: dict, gguf: str, entry: Path, storage: str, identity: str) -> None:
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    if gguf:
        require_gguf_support(model)
    tokenizer = load_chat_tokenizer(model, source, kwargs)
    save_tokenizer = lambda staged: tokenizer.save_pretrained(staged / TOKENIZER_DIR)  # noqa: E731
    metadata = {"model": model, "identity": identity, "kind": "llm"}
    if not gguf:
        convert_model(source, entry, storage, tokenizer=tokenizer, metadata=metadata, finish=save_tokenizer)
        return
    import torch
    from transformers import AutoModelForCausalLM

    from .loading import from_pretrained

    loaded = from_pretrained(AutoModelForCausalLM, source, dtype=torch.float32, **kwargs)
    # The weights are plain float32 tensors once loaded; the GGUF quantizer only stands in the
    # way of reading the configuration back.
    loaded.hf_quantizer = None
    if hasattr(loaded.config, "quantization_config"):
        del loaded.config.quantization_config
    with tempfile.TemporaryDirectory(prefix="l10n-gguf-config-") as config_dir:
        loaded.config.save_pretrained(config_dir)
        convert_model(config_dir, entry, storage, model=loaded, tokenizer=tokenizer, metadata=metadata,
                      finish=save_tokenizer)


def _device(ct2, requested: str) -> tuple[str, int]:
    requested = (requested or "auto").lower()
    cuda = ct2.get_cuda_device_count() > 0
    if requested == "auto":
        return ("cuda" if cuda else "cpu"), 0
    if requested.startswith("cuda"):
        if not cuda:
            raise ModelUnavailable(f"device {requested!r} was asked for, but CTranslate2 sees no CUDA device",
                                   remedy=(ChangeOption(("device",), "cpu"),))
        _, _, index = requested.partition(":")
        return "cuda", int(index or 0)
    return "cpu", 0


class CT2Runtime:
    def __init__(self, options: LLMOptions):
        ct2 = import_ctranslate2("the llm engine's ct2 runtime", INSTALL_HELP)
        try:
            from transformers import AutoTokenizer
        except ImportError as err:
            raise ModelUnavailable(f"the ct2 runtime needs transformers for its tokenizer ({err.name} is missing); "
                                   "install it with `pip install -e '.[mt,ct2]'`") from None
        model = self.model_id = options.model
        self.options = options
        self.calls = 0
        self.device, index = _device(ct2, options.device)  # before any slow work
        self.compute_type = ct2_compute_type(options.quantization, self.device)
        self.label = runtime_label("ct2", self.device, options)
        self.model_dir, self.converted = converted_model(model, ct2_storage(self.compute_type),
                                                         options.cache_dir or ".l10n-cache")
        self.info = read_metadata(self.model_dir)
        self.tokenizer = AutoTokenizer.from_pretrained(str(self.model_dir / TOKENIZER_DIR))
        self.threads = options.threads or machine_threads()
        try:
            self.generator = ct2.Generator(
                str(self.model_dir),
                device=self.device,
                device_index=index,
                compute_type=self.compute_type,
                inter_threads=1,
                intra_threads=self.threads if self.device == "cpu" else 0,
            )
        except (RuntimeError, ValueError) as err:
            first = (str(err).strip().splitlines() or [""])[0][:200]
            raise ModelUnavailable(f"cannot load the converted model in {self.model_dir} ({first})", model) from None
        vocab = self.tokenizer.get_vocab()
        self.end_tokens = [t for t in dict.fromkeys([self.tokenizer.eos_token, *END_OF_TURN]) if t and t in vocab]
        self.static_prompt = options.static_prompt
        self.pool_size = pool_size(options)  # the planner finds prompts of similar length in a large pool
        self._prefix_tokens: dict[str, list[str]] = {}

    def prompt_tokens(self, messages: list[dict]) -> list[str]:
        text = self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        return self.tokenizer.convert_ids_to_tokens(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def _static_prefix(self, conversations: list[list[dict]], tokens: list[list[str]]) -> tuple[list[str], bool]:
        """The tokens of the turns every prompt opens with (the system turn, and the examples when
        they are shared), computed once per call instead of once per row; and whether to keep
        their state for later calls (only for the system turn alone: CTranslate2 keeps every
        cached prompt for the model's lifetime, and examples change from call to call)."""
        if not self.static_prompt or not conversations or any(not c for c in conversations):
            return [], False
        first = conversations[0]
        if first[0].get("role") != "system":
            return [], False
        shared = 0
        while shared < len(first) - 1 and all(len(c) > shared + 1 and c[shared] == first[shared] for c in conversations):
            shared += 1
        if not shared:
            return [], False
        head = first[:shared]
        key = repr(head)
        if key not in self._prefix_tokens:
            text = self.tokenizer.apply_chat_template(head, tokenize=False, add_generation_prompt=False)
            if len(self._prefix_tokens) > 64:
                self._prefix_tokens.clear()
            self._prefix_tokens[key] = self.tokenizer.convert_ids_to_tokens(
                self.tokenizer(text, add_special_tokens=False)["input_ids"])
        prefix = self._prefix_tokens[key]
        # At least one token must follow the prefix in every prompt, and the template must have
        # rendered those turns the same way inside the whole prompt.
        if not prefix or any(len(t) <= len(prefix) or t[:len(prefix)] != prefix for t in tokens):
            return [], False
        return prefix, shared == 1

    def generate(self, conversations: Sequence[list[dict]], max_new_tokens: Sequence[int]) -> list[str]:
        tokens = [self.prompt_tokens(m) for m in conversations]
        answers = [""] * len(tokens)
        if not tokens:
            return answers
        static, keep = self._static_prefix(list(conversations), tokens)
        rest = [t[len(static):] for t in tokens]
        # An English answer runs to about half the tokens of the Chinese segment (the last turn).
        expected = [min(limit, 4 + len(self.tokenizer(str(m[-1].get("content", "")), add_special_tokens=False)["input_ids"]) // 2)
                    for m, limit in zip(conversations, max_new_tokens)]
        for batch in plan_batches([len(r) for r in rest], expected, self.options.batch_size, self.device):
            ids = self._generate([rest[i] for i in batch], [max_new_tokens[i] for i in batch], static, keep)
            for i, row in zip(batch, ids):
                answers[i] = self.tokenizer.decode(row, skip_special_tokens=True)
        return answers

    def _generate(self, starts: list[list[str]], limits: list[int], static: list[str],
                  keep: bool = True) -> list[list[int]]:
        from .llm import answer_complete

        produced: list[list[int]] = [[] for _ in starts]
        tokenizer = self.tokenizer

        def step(result) -> bool:
            """Stop a row at its own token limit, or once its first line of answer is complete
            (the token seen here is kept in the result, as transformers' stopping criteria keep it)."""
            row = produced[result.batch_id]
            row.append(result.token_id)
            if len(row) >= limits[result.batch_id]:
                return True
            if len(row) < 4 or "\n" not in tokenizer.decode([result.token_id], skip_special_tokens=True):
                return False
            return answer_complete(tokenizer.decode(row, skip_special_tokens=True))

        try:
            self.calls += 1
            results = self.generator.generate_batch(
                starts,
                max_length=max(limits),
                sampling_topk=1,
                beam_size=1,
                end_token=self.end_tokens or None,
                include_prompt_in_result=False,
                static_prompt=static or None,
                cache_static_prompt=keep,
                callback=step,
            )
        except (RuntimeError, MemoryError) as err:
            raise generation_failed(err, self.model_id, (ChangeOption(("batch_size",), verb="lower"),
                                                         ChangeOption(("device",), "cpu"))) from None
        return [result.sequences_ids[0] for result in results]


# Cost model of one generate_batch call, in seconds, measured on the 2-core development machine for a
# 1.5B model at int8 (docs/llm-runtimes.md): a decoding step costs STEP + PER_ROW × (rows still
# running), and a prompt token forwarded at once costs PREFILL. On CUDA the proportions differ
# (steps are cheap, prefill almost free); the planner only needs them roughly.
STEP_COST = {"cpu": (0.13, 0.016, 0.007), "cuda": (0.02, 0.0003, 0.00005)}


def plan_batches(lengths: Sequence[int], answers: Sequence[int], size: int, device: str = "cpu") -> list[list[int]]:
    """Indices grouped into batches of at most `size`, longest prompt first, at the least estimated cost.

    CTranslate2 forwards the shortest prompt of a batch at once and feeds the other prompts' extra
    tokens one decoding step at a time, while the rows that are done with their prompt already
    generate. A batch of prompts of lengths L and answers of lengths A then takes
    max(L - min L + A) steps, each row costs a little per step while it runs, and min L × rows
    tokens are forwarded at once. Very different lengths are cheaper apart; similar ones together.
    The grouping is the cheapest split of the length-sorted prompts into consecutive runs
    (dynamic programming over split points)."""
    step, per_row, prefill = STEP_COST.get(device, STEP_COST["cpu"])
    order = sorted(range(len(lengths)), key=lambda i: (-lengths[i], i))
    n, size = len(order), max(1, size)
    best = [0.0] + [float("inf")] * n
    cut = [0] * (n + 1)
    for end in range(1, n + 1):
        shortest = lengths[order[end - 1]]
        steps = rows = 0.0
        for begin in range(end - 1, max(0, end - size) - 1, -1):
            i = order[begin]
            run = lengths[i] - shortest + answers[i]
            steps, rows = max(steps, run), rows + run
            cost = best[begin] + step * steps + per_row * rows + prefill * shortest * (end - begin)
            if cost < best[end]:
                best[end], cut[end] = cost, begin
    batches: list[list[int]] = []
    end = n
    while end > 0:
        batches.append(order[cut[end]:end])
        end = cut[end]
    return batches[::-1]


def cached_entries(cache_dir: str) -> list[Path]:
    """The converted llm models in a cache directory (for tests and the benchmark)."""
    root = Path(cache_dir) / "ct2"
    if not root.is_dir():
        return []
    found = []
    for entry in sorted(root.iterdir()):
        meta = entry / METADATA
        if meta.is_file() and read_metadata(entry).get("kind") == "llm":
            found.append(entry)
    return found

