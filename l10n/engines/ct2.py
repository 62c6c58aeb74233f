"""The fast CPU engine: the same MarianMT model, converted to CTranslate2 and run there.

The transformers model (hub id or local directory) is converted once with CTranslate2's
converter API and the converted model is cached under `options.cache_dir` (`.l10n-cache/ct2/`
by default, relative to the working directory). The cache key is the identity of the source
model (its resolved directory plus the sizes and mtimes of its config, weight and tokenizer
files, or its hub id and snapshot) together with the quantization, the vocabulary map and the
CTranslate2 major version; a changed model gets a new entry. Conversion writes into a temporary
directory beside the cache entry and renames it into place, so an interrupted run never leaves a
half-written model that a later run would load.

Tokenization and glossary handling are the reference engine's (`MarianEngine`): sources go
through `inject_terms`, are tokenized with the model's own transformers tokenizer, and outputs
are decoded with it, so the two engines give the same text for the same model at float32 with
greedy search (tests/test_ct2.py checks that).

Threads: on CPU a batch of two or more segments is split in two halves decoded side by side,
one thread each, rather than one batch over two intra-op threads (`thread_layout`; about twice
as fast on the 2-core benchmark machine, bench/results.md).

Options read from `EngineOptions.extra`:
  compute_type  CTranslate2 compute type at load time ("default": the converted quantization).
  vmap          a vocabulary shortlist: the path of a CTranslate2 vocabulary map file
                (`<source n-gram>\\t<target tokens…>` per line; a line with an empty n-gram lists
                tokens that are always candidates), or "target" to restrict the output to the
                pieces of the model's target SentencePiece model. Copied into the converted model
                as vmap.txt and used with `use_vmap=True`.
  fallback      see `load_ct2_or_fallback`.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Sequence

from ..errors import ModelUnavailable
from . import EngineOptions, TranslationRequest, engine_label, generation_failed, inject_terms
from .marian import from_pretrained, looks_like_path, weights_help

CACHE_FORMAT = 1
METADATA = "l10n-ct2.json"
QUANTIZATIONS = ("int8", "int8_float32", "int8_float16", "int8_bfloat16", "int16", "float16", "bfloat16", "float32")
# Files whose size and mtime make up a local model's identity.
_IDENTITY_FILES = re.compile(
    r"^(config\.json|generation_config\.json|vocab\.json|tokenizer_config\.json|special_tokens_map\.json|"
    r".*\.spm|.*\.safetensors|.*\.bin|.*\.index\.json)$"
)

INSTALL_HELP = "install it with `pip install -e '.[ct2]'`, or use `--engine marian`"


def _import_ct2():
    try:
        import ctranslate2
    except ImportError as err:
        raise ModelUnavailable(
            f"the ct2 engine needs the optional package ctranslate2 ({err.name or 'ctranslate2'} is missing); "
            + INSTALL_HELP
        ) from None
    return ctranslate2


def machine_threads() -> int:
    """CPU cores this process may run on (the affinity mask where there is one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def thread_layout(device: str, threads: int, batch_size: int) -> tuple[int, int]:
    """(inter_threads, intra_threads) for CTranslate2.

    On CPU, CTranslate2 splits each decoding step of one batch over its intra-op threads, and
    the steps of a Marian-sized model are too small for that to pay: on the 2-core benchmark
    machine two intra-op threads were barely faster than one, while two batches decoded side by
    side, one thread each, were about twice as fast (bench/results.md). So a batch of at least two
    segments is split in two halves decoded in parallel; a batch of one segment keeps all
    threads on it. On GPU one worker is the norm.
    """
    if device != "cpu" or threads < 2 or batch_size < 2:
        return 1, max(1, threads)
    return 2, max(1, threads // 2)


# --- source identity and the conversion cache --------------------------------------------------


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
            raise ModelUnavailable(f"no such model directory; {weights_help(model)}", model)
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


def _slug(model: str) -> str:
    name = os.path.basename(os.path.normpath(os.path.expanduser(model))) or "model"
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name)[:48]


def cache_path(model: str, identity: str, quantization: str, cache_dir: str, vmap_digest: str = "") -> Path:
    """The cache entry for a (model, quantization, vocabulary map) combination."""
    ct2 = _import_ct2()
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


def _is_complete(directory: Path) -> bool:
    return (directory / "model.bin").is_file() and (directory / METADATA).is_file()


def convert_model(
    source: str,
    output_dir: Path,
    quantization: str,
    *,
    vmap: str | None = None,
    model=None,
    tokenizer=None,
    metadata: dict | None = None,
) -> Path:
    """Convert a transformers model to CTranslate2 into `output_dir`, atomically.

    `model` and `tokenizer` may be given already loaded (the benchmark converts a tokenizer-free
    model this way); otherwise they are loaded from `source` local-first, like the Marian engine.
    The model is written to a temporary directory beside `output_dir` and renamed into place;
    when another process finished the same conversion first, its result is kept.
    """
    ct2 = _import_ct2()
    from ctranslate2.converters import TransformersConverter

    loaded: list = []

    class _Converter(TransformersConverter):
        def load_model(self, model_class, model_name_or_path, **kwargs):
            result = model if model is not None else from_pretrained(model_class, model_name_or_path, **kwargs)
            loaded.append(result)
            return result

        def load_tokenizer(self, tokenizer_class, model_name_or_path, **kwargs):
            if tokenizer is not None:
                return tokenizer
            return from_pretrained(tokenizer_class, model_name_or_path, **kwargs)

    output_dir = Path(output_dir)
    output_dir.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{output_dir.name}.tmp-", dir=output_dir.parent))
    try:
        staged = work / "model"
        converter = _Converter(source)
        converter.convert(str(staged), vmap=vmap, quantization=quantization, force=True)
        info = {
            "format": CACHE_FORMAT,
            "source": source,
            "quantization": quantization,
            "ctranslate2": ct2.__version__,
            "converted_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
        }
        if loaded:
            info["forced_eos"] = _forced_eos(loaded[0])
        loaded.clear()
        info.update(metadata or {})
        (staged / METADATA).write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
        try:
            os.replace(staged, output_dir)
        except OSError:
            if not _is_complete(output_dir):
                # A broken leftover (not written by this code's rename): replace it.
                shutil.rmtree(output_dir, ignore_errors=True)
                os.replace(staged, output_dir)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return output_dir


def _forced_eos(model) -> bool:
    """Whether transformers' generate ends every output on a forced </s> at max length.

    Marian models set `forced_eos_token_id`; then transformers spends the last step allowed by
    its length limit on </s>, while CTranslate2 counts only real tokens. The engine shortens
    CTranslate2's `max_decoding_length` by one more to give the same outputs.
    """
    for config in (getattr(model, "generation_config", None), getattr(model, "config", None)):
        if config is not None and getattr(config, "forced_eos_token_id", None) is not None:
            return True
    return False


def _target_vmap(tokenizer, directory: Path) -> Path:
    """A vocabulary map whose always-candidates are the pieces of the target SentencePiece model."""
    spm = getattr(tokenizer, "spm_target", None)
    if spm is None:
        raise ModelUnavailable("vmap 'target' needs a Marian tokenizer with a target SentencePiece model")
    vocab = tokenizer.get_vocab()
    pieces = [spm.id_to_piece(i) for i in range(spm.get_piece_size())]
    keep = sorted({p for p in pieces if p in vocab and " " not in p and "\t" not in p} | {tokenizer.eos_token, tokenizer.unk_token})
    path = directory / "target-vmap.txt"
    path.write_text("\t" + " ".join(keep) + "\n", encoding="utf-8")
    return path


# --- the engine ---------------------------------------------------------------------------------


class CTranslate2Engine:
    name = "ct2"

    def __init__(self, model: str, options: EngineOptions):
        ct2 = _import_ct2()
        try:
            from transformers import AutoTokenizer
            from transformers.utils import logging as hf_logging
        except ImportError as err:
            raise ModelUnavailable(
                f"the ct2 engine needs the optional packages ({err.name} is missing); " + INSTALL_HELP
            ) from None
        hf_logging.disable_progress_bar()
        self.model_id = model
        self.options = options
        self.calls = 0
        self.converted = False  # whether this instance ran the conversion (False: cache reused)
        quantization = options.quantization or "int8"
        if quantization not in QUANTIZATIONS:
            raise ModelUnavailable(f"unknown quantization {quantization!r}; choose one of {', '.join(QUANTIZATIONS)}")

        device, index = self._device(ct2, options.device)  # before any slow work
        self.device = device
        identity, source = source_identity(model)
        self.tokenizer = from_pretrained(AutoTokenizer, source if os.path.isdir(source) else model)

        vmap_option = options.extra.get("vmap")
        vmap_file: str | None = None
        vmap_digest = ""
        temp_vmap: tempfile.TemporaryDirectory | None = None
        if vmap_option:
            if vmap_option == "target":
                temp_vmap = tempfile.TemporaryDirectory(prefix="l10n-vmap-")
                vmap_file = str(_target_vmap(self.tokenizer, Path(temp_vmap.name)))
            else:
                vmap_file = os.path.expanduser(str(vmap_option))
                if not os.path.isfile(vmap_file):
                    raise ModelUnavailable("no such vocabulary map file (the `vmap` engine option)", str(vmap_option))
            vmap_digest = hashlib.sha256(Path(vmap_file).read_bytes()).hexdigest()
        self.use_vmap = bool(vmap_file)

        try:
            self.model_dir = cache_path(model, identity, quantization, options.cache_dir or ".l10n-cache", vmap_digest)
            if not _is_complete(self.model_dir):
                print(
                    f"converting {model} to CTranslate2 ({quantization}) in {self.model_dir} (once; cached)",
                    file=sys.stderr,
                )
                try:
                    convert_model(
                        source,
                        self.model_dir,
                        quantization,
                        vmap=vmap_file,
                        metadata={"model": model, "identity": identity},
                    )
                except ModelUnavailable:
                    raise
                except Exception as err:  # noqa: BLE001 - any converter failure gets one clear message
                    first = (str(err).strip().splitlines() or [type(err).__name__])[0][:200]
                    raise ModelUnavailable(
                        f"cannot convert this model to CTranslate2 ({first}); use `--engine marian`", model
                    ) from None
                self.converted = True
        finally:
            if temp_vmap is not None:
                temp_vmap.cleanup()
        info = json.loads((self.model_dir / METADATA).read_text(encoding="utf-8"))
        self.forced_eos = bool(info.get("forced_eos"))

        self.threads = options.threads or machine_threads()
        self.inter, self.intra = thread_layout(device, self.threads, options.batch_size)
        self.label = engine_label("ct2", options)  # as named in MT records
        compute_type = options.extra.get("compute_type", "default")
        try:
            self.translator = ct2.Translator(
                str(self.model_dir),
                device=device,
                device_index=index,
                compute_type=compute_type,
                inter_threads=self.inter,
                intra_threads=self.intra,
            )
        except (RuntimeError, ValueError) as err:
            first = (str(err).strip().splitlines() or [""])[0][:200]
            raise ModelUnavailable(f"cannot load the converted model in {self.model_dir} ({first})", model) from None

    @staticmethod
    def _device(ct2, requested: str) -> tuple[str, int]:
        requested = requested or "auto"
        cuda = ct2.get_cuda_device_count() > 0
        if requested == "auto":
            return ("cuda" if cuda else "cpu"), 0
        if requested.startswith("cuda"):
            if not cuda:
                raise ModelUnavailable(
                    f"device {requested!r} was asked for, but CTranslate2 sees no CUDA device; use --device cpu"
                )
            _, _, index = requested.partition(":")
            return "cuda", int(index or 0)
        return requested, 0

    def _tokens(self, text: str) -> list[str]:
        ids = self.tokenizer(text, truncation=True, max_length=self.options.max_length).input_ids
        return self.tokenizer.convert_ids_to_tokens(ids)

    def translate(self, batch: Sequence[TranslationRequest]) -> list[str]:
        if not batch:
            return []
        tokens = [self._tokens(inject_terms(r)) for r in batch]
        results: list[str] = [""] * len(batch)
        # Longest first, so each chunk holds inputs of similar length (less padding).
        order = sorted(range(len(batch)), key=lambda i: (-len(tokens[i]), i))
        size = max(1, self.options.batch_size)
        # The reference engine calls generate(max_length=N): N decoder positions, counting the
        # decoder start token and, for Marian models (forced_eos_token_id), the closing </s>.
        # CTranslate2 counts output tokens only, so the same cap is N - 1 (- 1 with forced </s>).
        max_decoding = max(1, self.options.max_length - 1 - (1 if self.forced_eos else 0))
        for start in range(0, len(order), size):
            chunk = order[start:start + size]
            try:
                self.calls += 1
                output = self.translator.translate_batch(
                    [tokens[i] for i in chunk],
                    beam_size=max(1, self.options.beams),
                    max_decoding_length=max_decoding,
                    # With inter > 1 the chunk is split so that its parts decode in parallel,
                    # one per worker (see `thread_layout`).
                    max_batch_size=-(-len(chunk) // self.inter),
                    use_vmap=self.use_vmap,
                )
            except (RuntimeError, MemoryError) as err:
                raise generation_failed(err, self.model_id) from None
            for i, result in zip(chunk, output):
                ids = self.tokenizer.convert_tokens_to_ids(result.hypotheses[0])
                text = self.tokenizer.decode(ids, skip_special_tokens=True)
                results[i] = " ".join(text.split())
        return results


def load_ct2_or_fallback(model: str, options: EngineOptions):
    """The ct2 engine; or, only when `options.extra['fallback']` is set, the Marian engine when
    ct2 cannot be used (package missing, conversion failed), with a one-line warning on stderr."""
    try:
        return CTranslate2Engine(model, options)
    except ModelUnavailable as err:
        if not options.extra.get("fallback"):
            raise
        print(f"warning: the ct2 engine is unavailable ({err.message}); using the marian engine", file=sys.stderr)
        from .marian import MarianEngine

        return MarianEngine(model, options)
