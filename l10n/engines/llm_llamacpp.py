"""The llm engine's llama.cpp runtime: the `.gguf` file as it is (Q4_K_M and the like), through
llama-cpp-python (the optional extra `.[llamacpp]`, built from source at install time).

The prompt is the GGUF's own chat template (the one transformers reads from the same file),
rendered with Jinja; answers are greedy and stop at the end-of-turn tokens or when the first line
is complete. Conversations are decoded one at a time, in the order given: llama-cpp-python keeps
the previous prompt's state and re-evaluates only what differs from it, so the system turn that
opens every prompt is computed once.
"""

from __future__ import annotations

import os
from typing import Sequence

from ..errors import Advice, ChangeOption, ModelUnavailable
from . import LLMOptions, generation_failed
from .ct2_cache import machine_threads
from .llm_runtimes import device_kind, runtime_label
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
            self.llama = llama_cpp.Llama(
                model_path=path,
                n_ctx=options.n_ctx,
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

    def prompt_tokens(self, messages: list[dict]) -> list[int]:
        text = self.formatter(messages=messages).prompt
        tokens = self.llama.tokenize(text.encode("utf-8"), add_bos=False, special=True)
        if self.add_bos and not (self.bos_text and text.startswith(self.bos_text)):
            tokens = [self.llama.token_bos()] + tokens
        return tokens

    def generate(self, conversations: Sequence[list[dict]], max_new_tokens: Sequence[int]) -> list[str]:
        return [self._generate(self.prompt_tokens(m), limit) for m, limit in zip(conversations, max_new_tokens)]

    def _generate(self, tokens: list[int], limit: int) -> str:
        from .llm import answer_complete

        if len(tokens) + limit > self.llama.n_ctx():
            raise generation_failed(
                RuntimeError(f"the prompt ({len(tokens)} tokens) and answer do not fit in the context of {self.llama.n_ctx()}"),
                self.model_id, (ChangeOption(("n_ctx",), verb="raise"), ChangeOption(("context", "examples"), verb="lower")))
        produced: list[int] = []
        self.calls += 1
        try:
            for token in self.llama.generate(tokens, top_k=1, top_p=1.0, min_p=0.0, temp=0.0, repeat_penalty=1.0):
                if token in self.stop_ids:
                    break
                produced.append(token)
                if len(produced) >= limit:
                    break
                if len(produced) >= 4 and b"\n" in self.llama.detokenize([token]) and answer_complete(self._text(produced)):
                    break
        except (RuntimeError, MemoryError) as err:
            raise generation_failed(err, self.model_id, (USE_CT2,)) from None
        return self._text(produced)

    def _text(self, ids: list[int]) -> str:
        return self.llama.detokenize(ids).decode("utf-8", "replace")
