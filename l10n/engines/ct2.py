"""The fast CPU engine: the same MarianMT model, converted to CTranslate2 and run there.

The model is converted once and cached (l10n.engines.ct2_cache). Tokenization and glossary
handling are the reference engine's (`MarianEngine`): sources go through `inject_terms`, are
tokenized with the model's own transformers tokenizer, and outputs are decoded with it, so the
two engines give the same text for the same model at float32 with greedy search
(tests/test_ct2.py checks that).

Threads: on CPU a batch of two or more segments is split in two halves decoded side by side,
one thread each, rather than one batch over two intra-op threads (`thread_layout`; about twice
as fast on the 2-core benchmark machine, bench/results.md).

The vocabulary shortlist (`vmap` option) is either a CTranslate2 vocabulary map file
(`<source n-gram>\\t<target tokens…>` per line; a line with an empty n-gram lists tokens that are
always candidates), or "target" to restrict the output to the pieces of the model's target
SentencePiece model. It is copied into the converted model as vmap.txt and used with
`use_vmap=True`.
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
from pathlib import Path
from typing import Sequence

from ..errors import ChangeOption, ModelUnavailable
from . import CT2Options, TranslationRequest, engine_label, generation_failed, inject_terms, longest_first
from .ct2_cache import (INSTALL_CT2, cache_path, convert_model, import_ctranslate2, is_complete, machine_threads,
                        read_metadata, source_identity)
from .loading import USE_CPU, from_pretrained

USE_MARIAN = (ChangeOption(("engine",), "marian"),)


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



class CTranslate2Engine:
    name = "ct2"
    uses_context = False

    def __init__(self, options: CT2Options):
        ct2 = import_ctranslate2()
        try:
            from transformers import AutoTokenizer
            from transformers.utils import logging as hf_logging
        except ImportError as err:
            raise ModelUnavailable(
                f"the ct2 engine needs the optional packages ({err.name} is missing)", remedy=INSTALL_CT2
            ) from None
        hf_logging.disable_progress_bar()
        model = self.model_id = options.model
        self.options = options
        self.calls = 0
        self.converted = False  # whether this instance ran the conversion (False: cache reused)
        quantization = options.quantization

        device, index = self._device(ct2, options.device)  # before any slow work
        self.device = device
        identity, source = source_identity(model)
        self.tokenizer = from_pretrained(AutoTokenizer, source if os.path.isdir(source) else model)

        vmap_option = options.vmap
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
            self.model_dir = cache_path(model, identity, quantization, options.cache_dir, vmap_digest)
            if not is_complete(self.model_dir):
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
                        f"cannot convert this model to CTranslate2 ({first})", model, remedy=USE_MARIAN
                    ) from None
                self.converted = True
        finally:
            if temp_vmap is not None:
                temp_vmap.cleanup()
        self.forced_eos = bool(read_metadata(self.model_dir).get("forced_eos"))

        self.threads = options.threads or machine_threads()
        self.inter, self.intra = thread_layout(device, self.threads, options.batch_size)
        self.label = engine_label("ct2", options)  # as named in MT records
        compute_type = options.compute_type
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
                    f"device {requested!r} was asked for, but CTranslate2 sees no CUDA device", remedy=USE_CPU
                )
            _, _, index = requested.partition(":")
            return "cuda", int(index or 0)
        return requested, 0

    def _tokens(self, text: str) -> list[str]:
        ids = self.tokenizer(text, truncation=True, max_length=self.options.max_length).input_ids
        return self.tokenizer.convert_ids_to_tokens(ids)

    def translate(self, batch: Sequence[TranslationRequest]) -> list[str]:
        return [hypotheses[0] for hypotheses in self._generate(batch, 1)]

    def revise(self, batch: Sequence[TranslationRequest], outputs: Sequence[str],
               problems: Sequence[Sequence[str]]) -> list[list[str]]:
        """The n-best list of each segment; the caller picks the one that passes MT QA."""
        return self._generate(batch, max(2, self.options.beams))

    def _generate(self, batch: Sequence[TranslationRequest], hypotheses: int) -> list[list[str]]:
        if not batch:
            return []
        tokens = [self._tokens(inject_terms(r)) for r in batch]
        results: list[list[str]] = [[] for _ in batch]
        # Longest first, so each chunk holds inputs of similar length (less padding).
        order = longest_first(tokens, key=len)
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
                    beam_size=max(self.options.beams, hypotheses),
                    num_hypotheses=hypotheses,
                    max_decoding_length=max_decoding,
                    # With inter > 1 the chunk is split so that its parts decode in parallel,
                    # one per worker (see `thread_layout`).
                    max_batch_size=-(-len(chunk) // self.inter),
                    use_vmap=self.use_vmap,
                )
            except (RuntimeError, MemoryError) as err:
                raise generation_failed(err, self.model_id) from None
            for i, result in zip(chunk, output):
                texts = []
                for hypothesis in result.hypotheses:
                    ids = self.tokenizer.convert_tokens_to_ids(hypothesis)
                    texts.append(" ".join(self.tokenizer.decode(ids, skip_special_tokens=True).split()))
                results[i] = texts
        return results


def load_ct2_or_fallback(options: CT2Options):
    """The ct2 engine; or, only with the `fallback` option, the Marian engine when ct2 cannot be
    used (package missing, conversion failed), with a one-line warning on stderr."""
    try:
        return CTranslate2Engine(options)
    except ModelUnavailable as err:
        if not options.fallback:
            raise
        print(f"warning: the ct2 engine is unavailable ({err.message}); using the marian engine", file=sys.stderr)
        from .marian import MarianEngine

        return MarianEngine(options)
