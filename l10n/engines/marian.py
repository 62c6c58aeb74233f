"""The reference engine: a transformers sequence-to-sequence model (MarianMT, opus-mt-zh-en by default)."""

from __future__ import annotations

import os
from typing import Sequence

from ..errors import ModelUnavailable
from . import EngineOptions, TranslationRequest, generation_failed, inject_terms, length_sorted, missing_packages


def weights_help(model: str) -> str:
    if looks_like_path(model):
        return (
            "no loadable model here; a model directory holds config.json, the tokenizer files and "
            "the weights (model.safetensors or pytorch_model.bin)"
        )
    return (
        f"the weights of {model!r} are not available here; download them on a machine with access "
        f"to the model hub (for example `hf download {model}`) and either pass the "
        f"directory with `--model /path/to/model`, or copy the hub cache and set HF_HOME to it"
    )


def resolve_device(requested: str) -> str:
    import torch

    if requested == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if requested.startswith("cuda") and not torch.cuda.is_available():
        raise ModelUnavailable(f"device {requested!r} was asked for, but no CUDA device is available; use --device cpu")
    return requested


def looks_like_path(model: str) -> bool:
    return model.startswith((".", "/", "~")) or os.sep in model.strip("/").split("/", 1)[-1] or os.path.exists(model)


def from_pretrained(loader, model: str, **kwargs):
    """Load from a local directory or the local hub cache first; reach the hub only when allowed.

    Missing weights give one clear error naming the model and how to supply it.
    """
    if looks_like_path(model) and not os.path.isdir(os.path.expanduser(model)):
        if model.lower().endswith(".gguf"):
            raise ModelUnavailable(
                "a .gguf file holds an instruction LLM, which this engine cannot run; "
                "translate with it using --engine llm",
                model,
            )
        what = "a file, not a model directory" if os.path.isfile(os.path.expanduser(model)) else "no such model directory"
        raise ModelUnavailable(
            f"{what}; check the path, or pass a hub id or a directory holding "
            "config.json and the weights with --model",
            model,
        )
    try:
        return loader.from_pretrained(os.path.expanduser(model), local_files_only=True, **kwargs)
    except (OSError, ValueError) as err:
        local_error = err
    if os.environ.get("HF_HUB_OFFLINE") or os.path.isdir(os.path.expanduser(model)):
        raise _explain(model, local_error) from None
    if not hub_reachable():
        raise ModelUnavailable(f"the model hub cannot be reached and {weights_help(model)}", model)
    try:
        return loader.from_pretrained(model, **kwargs)
    except (OSError, ValueError) as err:
        raise _explain(model, err) from None


def hub_reachable(timeout: float = 3.0) -> bool:
    """One quick TCP connection to the hub, so that an offline machine fails in seconds rather
    than after a minute of download retries."""
    import socket
    from urllib.parse import urlparse

    endpoint = urlparse(os.environ.get("HF_ENDPOINT", "https://huggingface.co"))
    try:
        with socket.create_connection((endpoint.hostname, endpoint.port or 443), timeout=timeout):
            return True
    except OSError:
        return False


def _explain(model: str, err: Exception) -> ModelUnavailable:
    text = str(err)
    if "Unrecognized configuration class" in text or "does not appear to have" in text and os.path.isdir(model):
        first = text.strip().splitlines()[0][:200]
        return ModelUnavailable(f"this directory is not a model the engine can run ({first})", model)
    if isinstance(err, ValueError) and os.path.isdir(os.path.expanduser(model)):
        first = text.strip().splitlines()[0][:200]
        return ModelUnavailable(f"cannot load this model: {first}", model)
    return ModelUnavailable(weights_help(model), model)


class MarianEngine:
    name = "marian"
    label = "marian"  # as named in MT records (see engines.engine_label)

    def __init__(self, model: str, options: EngineOptions):
        try:
            import torch
            from transformers import AutoModelForSeq2SeqLM, AutoTokenizer
        except ImportError as err:
            raise missing_packages(err) from None
        self.model_id = model
        self.options = options
        self.calls = 0
        if options.threads:
            torch.set_num_threads(options.threads)
        self.device = resolve_device(options.device)
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        self.tokenizer = from_pretrained(AutoTokenizer, model)
        try:
            self.model = from_pretrained(AutoModelForSeq2SeqLM, model)
        except ModelUnavailable:
            raise
        self.model.to(self.device)
        self.model.eval()

    def translate(self, batch: Sequence[TranslationRequest]) -> list[str]:
        import torch

        if not batch:
            return []
        sources = [inject_terms(r) for r in batch]
        results: list[str] = [""] * len(batch)
        order = length_sorted(batch, key=len)
        size = max(1, self.options.batch_size)
        for start in range(0, len(order), size):
            chunk = order[start:start + size]
            inputs = self.tokenizer(
                [sources[i] for i in chunk],
                return_tensors="pt",
                padding=True,
                truncation=True,
                max_length=self.options.max_length,
            ).to(self.device)
            try:
                with torch.inference_mode():
                    self.calls += 1
                    output = self.model.generate(
                        **inputs,
                        num_beams=self.options.beams,
                        max_length=self.options.max_length,
                        do_sample=False,
                    )
            except (RuntimeError, MemoryError) as err:
                raise generation_failed(err, self.model_id) from None
            texts = self.tokenizer.batch_decode(output, skip_special_tokens=True)
            for i, text in zip(chunk, texts):
                results[i] = " ".join(text.split())
        return results
