"""The llm engine's transformers runtime: the model in torch, through `generate`.

`--model` may be a hub id, a model directory, or a `.gguf` file (needs the optional `gguf` and
`accelerate` packages; transformers dequantizes it on load, to float32 by default on a CPU:
bfloat16 was no faster there, see bench/llm-results.md; bfloat16 by default on CUDA). The loading
helpers here also serve the ct2 runtime, which converts what transformers loads.
"""

from __future__ import annotations

import os
from typing import Sequence

from ..errors import ChangeOption, ModelUnavailable
from . import LLMOptions, generation_failed, longest_first, missing_packages
from .llm_runtimes import runtime_label, transformers_dtype
from .loading import from_pretrained, resolve_device

END_OF_TURN = ("<|im_end|>", "<|endoftext|>", "<|eot_id|>", "<end_of_turn>")


def model_source(model: str) -> tuple[str, dict, str]:
    """(where transformers loads from, extra from_pretrained arguments, the .gguf path or "").

    A directory without config.json that holds exactly one `.gguf` file stands for that file.
    """
    path = os.path.expanduser(model)
    if os.path.isdir(path) and not os.path.exists(os.path.join(path, "config.json")):
        ggufs = sorted(f for f in os.listdir(path) if f.lower().endswith(".gguf"))
        if len(ggufs) == 1:
            path = os.path.join(path, ggufs[0])
    if not path.lower().endswith(".gguf"):
        return model, {}, ""
    if not os.path.isfile(path):
        raise ModelUnavailable("no such .gguf file; pass the path of a downloaded GGUF model", model)
    return os.path.dirname(os.path.abspath(path)), {"gguf_file": os.path.basename(path)}, os.path.abspath(path)


def require_gguf_support(model: str) -> None:
    try:
        import accelerate  # noqa: F401  (transformers needs both to load GGUF)
        import gguf  # noqa: F401
    except ImportError as err:
        raise ModelUnavailable(
            f"loading a .gguf model needs the optional packages `gguf` and `accelerate` ({err.name} is "
            "missing); install them with `pip install -e '.[llm]'`, or give a transformers model directory",
            model,
        ) from None


def load_chat_tokenizer(model: str, location: str, kwargs: dict):
    from transformers import AutoTokenizer

    tokenizer = from_pretrained(AutoTokenizer, location, **kwargs)
    if not getattr(tokenizer, "chat_template", None):
        raise ModelUnavailable(
            "this model's tokenizer has no chat template; the llm engine needs an instruction (chat) model", model
        )
    tokenizer.padding_side = "left"
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def stop_token_ids(tokenizer, generation_config=None) -> list[int]:
    """The ids that end an answer: the tokenizer's and the model's end-of-sequence, and the chat
    end-of-turn markers the vocabulary has."""
    ids: list[int] = []
    candidates = [tokenizer.eos_token_id, getattr(generation_config, "eos_token_id", None)]
    vocab = tokenizer.get_vocab()
    for token in END_OF_TURN:
        if token in vocab:
            candidates.append(vocab[token])
    for c in candidates:
        for i in (c if isinstance(c, (list, tuple)) else [c]):
            if isinstance(i, int) and i not in ids:
                ids.append(i)
    return ids


def torch_dtype(name: str):
    import torch

    if name == "auto":
        return "auto"
    return {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}[name]


def length_chunks(lengths: Sequence[int], size: int) -> list[list[int]]:
    """Indices grouped into chunks of at most `size`, longest first: similar lengths share a chunk
    (less padding, and a chunk ends when its longest answer ends)."""
    order = longest_first(lengths, key=lambda n: n)
    size = max(1, size)
    return [order[start:start + size] for start in range(0, len(order), size)]


class TransformersRuntime:
    """Reference runtime: transformers `generate`, greedy (or `llm_beams`), left-padded batches."""

    def __init__(self, options: LLMOptions):
        try:
            import torch
            from transformers import AutoModelForCausalLM
        except ImportError as err:
            raise missing_packages(err, "llm") from None
        model = self.model_id = options.model
        self.options = options
        self.beams = options.beams
        self.calls = 0
        if options.threads:
            torch.set_num_threads(options.threads)
        self.device = resolve_device(options.device)
        kind = "cpu" if self.device == "cpu" else "cuda"
        dtype_name = transformers_dtype(options.dtype, kind)
        self.label = runtime_label("transformers", kind, options)

        location, kwargs, gguf = model_source(model)
        if gguf:
            require_gguf_support(model)
        self.tokenizer = load_chat_tokenizer(model, location, kwargs)
        self.model = from_pretrained(AutoModelForCausalLM, location, dtype=torch_dtype(dtype_name), **kwargs)
        self.model.to(self.device)
        self.model.eval()
        self.stop_ids = stop_token_ids(self.tokenizer, getattr(self.model, "generation_config", None))

    def prompt(self, messages: list[dict]) -> str:
        return self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)

    def generate(self, conversations: Sequence[list[dict]], max_new_tokens: Sequence[int]) -> list[str]:
        prompts = [self.prompt(m) for m in conversations]
        lengths = [len(self.tokenizer(p, add_special_tokens=False)["input_ids"]) for p in prompts]
        answers = [""] * len(prompts)
        for chunk in length_chunks(lengths, self.options.batch_size):
            texts = self._generate([prompts[i] for i in chunk], max(max_new_tokens[i] for i in chunk))
            for i, text in zip(chunk, texts):
                answers[i] = text
        return answers

    def _generate(self, prompts: list[str], max_new_tokens: int) -> list[str]:
        """One `generate` call for a batch of prompts; the raw decoded answers."""
        import torch
        from transformers import StoppingCriteria, StoppingCriteriaList

        from .llm import answer_complete

        inputs = self.tokenizer(prompts, return_tensors="pt", padding=True, add_special_tokens=False).to(self.device)
        prompt_len = inputs["input_ids"].shape[1]
        tokenizer = self.tokenizer

        class FirstLineDone(StoppingCriteria):
            def __call__(self, input_ids, scores, **kwargs):
                if input_ids.shape[1] - prompt_len < 4:
                    return torch.zeros(input_ids.shape[0], dtype=torch.bool, device=input_ids.device)
                # The last token only matters when it may carry a line break: decode rarely.
                tails = tokenizer.batch_decode(input_ids[:, -1:], skip_special_tokens=True)
                done = []
                for row, tail in zip(input_ids, tails):
                    done.append("\n" in tail and answer_complete(
                        tokenizer.decode(row[prompt_len:], skip_special_tokens=True)))
                return torch.tensor(done, dtype=torch.bool, device=input_ids.device)

        try:
            with torch.inference_mode():
                self.calls += 1
                output = self.model.generate(
                    **inputs,
                    do_sample=False,
                    num_beams=self.beams,
                    max_new_tokens=max_new_tokens,
                    eos_token_id=self.stop_ids or None,
                    pad_token_id=self.tokenizer.pad_token_id,
                    stopping_criteria=StoppingCriteriaList([FirstLineDone()]),
                    temperature=None,
                    top_p=None,
                    top_k=None,
                )
        except (RuntimeError, MemoryError) as err:
            raise generation_failed(err, self.model_id, (ChangeOption(("batch_size",), verb="lower"),
                                                         ChangeOption(("device",), "cpu"))) from None
        return self.tokenizer.batch_decode(output[:, prompt_len:], skip_special_tokens=True)
