"""How the llm engine's model runs: the runtimes, which one `auto` picks, and how a set-up is named
in MT records.

A runtime turns chat conversations into raw answers (`Runtime.generate`); the prompt, the
cleaning of answers and the retries stay in engines/llm.py and serve every runtime:
  transformers  torch, float32 on CPU / bfloat16 on CUDA (engines/llm_transformers.py)
  ct2           CTranslate2, converted once and cached, int8 on CPU (engines/llm_ct2.py)
  llama-cpp     llama.cpp on the .gguf file as it is (optional extra; engines/llm_llamacpp.py)
  auto          for a .gguf file on CPU llama.cpp when installed; else ct2 when CTranslate2 is
                installed, else transformers

Nothing here imports torch, transformers or a runtime: `llm_label` runs before any model loads.
docs/llm-runtimes.md has the measurements behind the defaults.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from typing import Protocol, Sequence

from ..errors import ChangeOption, ModelUnavailable
from . import LLMOptions

# CTranslate2 compute types per device; the first is the default. On CPU, int8 is int8 weights
# with float32 activations; on CUDA, int8_float16 runs the same int8 weights with float16
# activations (plain int8 on CUDA would be int8_float32, slower).
CT2_COMPUTE = {
    "cpu": ("int8", "int8_float32", "int16", "float32"),
    "cuda": ("int8_float16", "int8_bfloat16", "float16", "bfloat16", "int8_float32", "float32"),
}


class Runtime(Protocol):
    """Turns chat conversations into raw answers, one per conversation, in order.

    `max_new_tokens[i]` bounds the answer to `conversations[i]`; a runtime stops an answer at the
    model's end-of-turn token or as soon as it holds a complete first line (llm.answer_complete).
    Batching, ordering by prompt length and prompt-prefix reuse are the runtime's business. A
    runtime that plans its own batches says how many segments it wants at once (`pool_size`)."""

    label: str  # as named in MT records
    calls: int  # model invocations so far

    def generate(self, conversations: Sequence[list[dict]], max_new_tokens: Sequence[int]) -> list[str]: ...


def installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def cuda_visible() -> bool:
    """Whether a CUDA device is there, without importing torch (CTranslate2 asks the driver)."""
    if installed("ctranslate2"):
        try:
            import ctranslate2

            return ctranslate2.get_cuda_device_count() > 0
        except Exception:  # noqa: BLE001 - a broken CUDA set-up counts as none
            return False
    return os.path.exists("/proc/driver/nvidia/version")


def device_kind(requested: str) -> str:
    """cpu or cuda, for a requested device (auto | cpu | cuda | cuda:N)."""
    requested = (requested or "auto").lower()
    if requested == "auto":
        return "cuda" if cuda_visible() else "cpu"
    return "cuda" if requested.startswith("cuda") else "cpu"


def pool_size(options: LLMOptions) -> int:
    """Segments handed over per call to a runtime that plans its own batches: a whole article
    where it can, so that its batches stay full and the repair round is one more call, not one per
    pool."""
    return max(128, 8 * options.batch_size)


def resolve_runtime(options: LLMOptions) -> str:
    """The runtime that `auto` stands for: for a `.gguf` file on CPU, llama.cpp when its optional
    extra is installed (on 2 cores it ran the article 1.3× faster than CTranslate2 at the same
    chrF, docs/llm-runtimes.md); otherwise CTranslate2 when it is installed, else transformers."""
    if options.runtime != "auto":
        return options.runtime
    if (options.model.lower().endswith(".gguf") and device_kind(options.device) == "cpu"
            and installed("llama_cpp")):
        return "llama-cpp"
    return "ct2" if installed("ctranslate2") else "transformers"


def ct2_compute_type(quantization: str, device: str) -> str:
    """The CTranslate2 compute type for the `quantization` option on a device kind (cpu | cuda)."""
    choices = CT2_COMPUTE[device]
    quantization = (quantization or "").lower()
    if not quantization or (quantization == "int8" and device == "cuda"):
        return choices[0]
    if quantization not in choices:
        raise ModelUnavailable(
            f"quantization {quantization!r} is not available for the llm engine's ct2 runtime on {device}; "
            f"choose one of {', '.join(choices)}",
            remedy=(ChangeOption(("quantization",), choices[0]),),
        )
    return quantization


def ct2_storage(compute_type: str) -> str:
    """How the converted weights are stored for a compute type (int8_* all run from int8 weights)."""
    return "int8" if compute_type.startswith("int8") else compute_type


def transformers_dtype(dtype: str, device: str) -> str:
    """The dtype option, or its default: float32 on CPU (bfloat16 was no faster there,
    bench/llm-results.md), bfloat16 on CUDA."""
    return dtype or ("float32" if device == "cpu" else "bfloat16")


def runtime_label(runtime: str, device: str, options: LLMOptions) -> str:
    if runtime == "ct2":
        return f"llm-ct2-{ct2_compute_type(options.quantization, device)}"
    if runtime == "llama-cpp":
        return "llm-llama-cpp"
    resolved = transformers_dtype(options.dtype, device)
    return "llm" if resolved == "float32" else f"llm-{resolved}"


def llm_label(options: LLMOptions) -> str:
    """How an llm set-up is named in MT records (`engine=` of the MT key).

    The runtime and its number format change the output, so they are part of the name: switching
    runtime or quantization re-translates the unreviewed entries. transformers at float32 keeps the
    plain name `llm` (the records written before there were runtimes)."""
    return runtime_label(resolve_runtime(options), device_kind(options.device), options)


def _runtime_class(runtime: str):
    if runtime == "llama-cpp":
        from .llm_llamacpp import LlamaCppRuntime

        return LlamaCppRuntime
    if runtime == "ct2":
        from .llm_ct2 import CT2Runtime

        return CT2Runtime
    from .llm_transformers import TransformersRuntime

    return TransformersRuntime


def load_runtime(options: LLMOptions) -> Runtime:
    """The runtime the options name; one that `auto` picked on its own and that cannot run the
    model hands over to the next (llama.cpp → ct2 → transformers) with a warning: the model still
    translates, more slowly, and the MT records name the runtime that ran."""
    chosen = resolve_runtime(options)
    chain = [chosen]
    if options.runtime == "auto":
        order = ("llama-cpp", "ct2", "transformers")
        chain = [r for r in order[order.index(chosen):] if r != "ct2" or installed("ctranslate2")]
    for runtime, following in zip(chain, chain[1:]):
        try:
            return _runtime_class(runtime)(options)
        except ModelUnavailable as err:
            print(f"warning: the {runtime} runtime cannot run this model ({err.message}); using {following}",
                  file=sys.stderr)
    return _runtime_class(chain[-1])(options)
