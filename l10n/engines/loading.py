"""Loading models for every engine: a local directory or the local hub cache first, the hub only
when it is allowed and reachable, and one clear error when the weights are not there. Also the
choice of device.
"""

from __future__ import annotations

import os

from ..errors import Advice, ChangeOption, ModelUnavailable

# How to supply weights that are not here.
SUPPLY_WEIGHTS = (
    ChangeOption(("model",), "/path/to/model", verb="pass the directory with"),
    Advice("copy the hub cache and set HF_HOME to it"),
)
USE_CPU = (ChangeOption(("device",), "cpu"),)


def missing_weights(model: str) -> ModelUnavailable:
    if looks_like_path(model):
        return ModelUnavailable(
            "no loadable model here; a model directory holds config.json, the tokenizer files and "
            "the weights (model.safetensors or pytorch_model.bin)",
            model,
        )
    return ModelUnavailable(
        f"the weights of {model!r} are not available here; download them on a machine with access "
        f"to the model hub (for example `hf download {model}`)",
        model,
        remedy=SUPPLY_WEIGHTS,
    )


def resolve_device(requested: str) -> str:
    import torch

    if requested == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if requested.startswith("cuda") and not torch.cuda.is_available():
        raise ModelUnavailable(f"device {requested!r} was asked for, but no CUDA device is available", remedy=USE_CPU)
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
                "a .gguf file holds an instruction LLM, which this engine cannot run",
                model,
                remedy=(ChangeOption(("engine",), "llm", verb="translate with it using"),),
            )
        what = "a file, not a model directory" if os.path.isfile(os.path.expanduser(model)) else "no such model directory"
        raise ModelUnavailable(
            f"{what}; check the path, or give a hub id or a directory holding config.json and the weights",
            model,
        )
    try:
        return loader.from_pretrained(os.path.expanduser(model), local_files_only=True, **kwargs)
    except (OSError, ValueError) as err:
        local_error = err
    if os.environ.get("HF_HUB_OFFLINE") or os.path.isdir(os.path.expanduser(model)):
        raise _explain(model, local_error) from None
    if not hub_reachable():
        missing = missing_weights(model)
        raise ModelUnavailable(f"the model hub cannot be reached and {missing.message}", model, remedy=missing.remedy)
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
    return missing_weights(model)
