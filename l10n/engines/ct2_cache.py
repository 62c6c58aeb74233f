"""The CTranslate2 conversion cache, shared by every engine that runs on CTranslate2 (the ct2
engine for Marian models, the llm engine's ct2 runtime).

A model (hub id, local directory, or for the llm engine a `.gguf` file) is converted once and the result kept under the project's
cache folder (`<cache>/ct2/`). The cache key is the identity of the source model (its resolved
directory plus the sizes and mtimes of its config, weight and tokenizer files, or its hub id and
snapshot, or a single file's resolved path, size and mtime) together with the quantization, the vocabulary map and the CTranslate2 major version; a
changed model gets a new entry. A conversion is written into a temporary directory beside its
entry and renamed into place, so an interrupted run never leaves a half-written model that a
later run would load.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
import time
from pathlib import Path
from typing import Callable

from ..errors import Advice, ChangeOption, ModelUnavailable
from .loading import from_pretrained, looks_like_path, missing_weights

CACHE_FORMAT = 1
METADATA = "l10n-ct2.json"
# Files whose size and mtime make up a local model's identity.
_IDENTITY_FILES = re.compile(
    r"^(config\.json|generation_config\.json|vocab\.json|tokenizer_config\.json|special_tokens_map\.json|"
    r".*\.spm|.*\.safetensors|.*\.bin|.*\.index\.json)$"
)
INSTALL_CT2 = (Advice("install it with `pip install -e '.[ct2]'`"), ChangeOption(("engine",), "marian"))


def import_ctranslate2(who: str = "the ct2 engine", remedy=INSTALL_CT2):
    try:
        import ctranslate2
    except ImportError as err:
        raise ModelUnavailable(
            f"{who} needs the optional package ctranslate2 ({err.name or 'ctranslate2'} is missing)",
            remedy=remedy,
        ) from None
    return ctranslate2


def machine_threads() -> int:
    """CPU cores this process may run on (the affinity mask where there is one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def _hub_snapshot(model: str) -> Path | None:
    """The local snapshot directory of a hub model, if its config is in the hub cache."""
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:
        return None
    try:
        found = try_to_load_from_cache(model, "config.json")
    except Exception:  # noqa: BLE001 - a malformed id is simply "not cached"
        return None
    if isinstance(found, str) and os.path.isfile(found):
        return Path(found).parent
    return None


def source_identity(model: str) -> tuple[str, str]:
    """(identity, where to load from) for a model given as a local directory or a hub id.

    A local directory is identified by its resolved path and the names, sizes and mtimes of its
    config, weight and tokenizer files; a hub model by its id and, when it is in the local hub
    cache, the snapshot it resolves to.
    """
    expanded = os.path.expanduser(model)
    if looks_like_path(model) or os.path.isdir(expanded):
        path = Path(expanded)
        if not path.is_dir():
            raise ModelUnavailable(f"no such model directory; {missing_weights(model).message}", model)
        path = path.resolve()
        stats = []
        for entry in sorted(path.iterdir()):
            if entry.is_file() and _IDENTITY_FILES.match(entry.name):
                st = entry.stat()
                stats.append((entry.name, st.st_size, st.st_mtime_ns))
        if not any(name == "config.json" for name, _, _ in stats):
            raise ModelUnavailable("this directory is not a model the engine can run (it has no config.json)", model)
        digest = hashlib.sha256(json.dumps(stats).encode()).hexdigest()[:16]
        return f"dir:{path}:{digest}", str(path)
    snapshot = _hub_snapshot(model)
    if snapshot is not None:
        return f"hub:{model}@{snapshot.name}", str(snapshot)
    return f"hub:{model}", model


def file_identity(path: str) -> str:
    """The identity of a single-file model (a `.gguf`): resolved path, size and mtime. Hashing a
    1 GB file would cost seconds on every load; a replaced file changes size or mtime."""
    resolved = Path(os.path.expanduser(path)).resolve()
    st = resolved.stat()
    return f"file:{resolved}:{st.st_size}:{st.st_mtime_ns}"


def _slug(model: str) -> str:
    name = os.path.basename(os.path.normpath(os.path.expanduser(model))) or "model"
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name)[:48]


def cache_path(model: str, identity: str, quantization: str, cache_dir: str, vmap_digest: str = "") -> Path:
    """The cache entry for a (model, quantization, vocabulary map) combination."""
    ct2 = import_ctranslate2()
    key = json.dumps(
        {
            "format": CACHE_FORMAT,
            "source": identity,
            "quantization": quantization,
            "vmap": vmap_digest,
            "ctranslate2": ct2.__version__.split(".")[0],
        },
        sort_keys=True,
    )
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    suffix = f"-vmap{vmap_digest[:8]}" if vmap_digest else ""
    return Path(cache_dir) / "ct2" / f"{_slug(model)}-{quantization}{suffix}-{digest}"


def is_complete(directory: Path) -> bool:
    return (directory / "model.bin").is_file() and (directory / METADATA).is_file()


def stage_conversion(output_dir: Path, convert: Callable[[Path], dict]) -> Path:
    """Create the cache entry `output_dir` atomically: `convert(staging_dir)` writes a converted
    model there and returns metadata to keep with it; the staging directory is then renamed into
    place. When another process finished the same entry first, its result is kept."""
    ct2 = import_ctranslate2()
    output_dir = Path(output_dir)
    output_dir.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{output_dir.name}.tmp-", dir=output_dir.parent))
    try:
        staged = work / "model"
        info = {
            "format": CACHE_FORMAT,
            "ctranslate2": ct2.__version__,
            "converted_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
        }
        info.update(convert(staged))
        (staged / METADATA).write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
        try:
            os.replace(staged, output_dir)
        except OSError:
            if not is_complete(output_dir):
                # A broken leftover (not written by this code's rename): replace it.
                shutil.rmtree(output_dir, ignore_errors=True)
                os.replace(staged, output_dir)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return output_dir


def read_metadata(directory: Path) -> dict:
    return json.loads((directory / METADATA).read_text(encoding="utf-8"))


def convert_model(source: str, output_dir: Path, quantization: str, *, vmap: str | None = None,
                  metadata: dict | None = None, model=None, tokenizer=None,
                  finish: Callable[[Path], None] | None = None) -> Path:
    """Convert a transformers model (a directory, or a hub id loaded local-first like every
    engine's model) to CTranslate2 into the cache entry `output_dir`.

    `model` and `tokenizer` may be given already loaded (the llm engine hands over a model it
    dequantized from GGUF; the benchmark a tokenizer-free one); `finish` may add files to the
    converted model before it is moved into place."""
    from ctranslate2.converters import TransformersConverter

    class LocalFirst(TransformersConverter):
        loaded = None

        def load_model(self, model_class, model_name_or_path, **kwargs):
            LocalFirst.loaded = model if model is not None else from_pretrained(model_class, model_name_or_path, **kwargs)
            return LocalFirst.loaded

        def load_tokenizer(self, tokenizer_class, model_name_or_path, **kwargs):
            if tokenizer is not None:
                return tokenizer
            return from_pretrained(tokenizer_class, model_name_or_path, **kwargs)

    def convert(staged: Path) -> dict:
        LocalFirst(source).convert(str(staged), vmap=vmap, quantization=quantization, force=True)
        info = {"source": source, "quantization": quantization, "forced_eos": forced_eos(LocalFirst.loaded)}
        LocalFirst.loaded = None
        if finish is not None:
            finish(staged)
        return {**info, **(metadata or {})}

    return stage_conversion(output_dir, convert)


def forced_eos(model) -> bool:
    """Whether transformers' generate ends every output on a forced </s> at max length.

    Marian models set `forced_eos_token_id`; then transformers spends the last step allowed by
    its length limit on </s>, while CTranslate2 counts only real tokens. The engine shortens
    CTranslate2's `max_decoding_length` by one more to give the same outputs.
    """
    for config in (getattr(model, "generation_config", None), getattr(model, "config", None)):
        if config is not None and getattr(config, "forced_eos_token_id", None) is not None:
            return True
    return False
