"""MT engines behind one small protocol.

An engine turns a batch of `TranslationRequest`s into a list of English strings, one per request,
in order. Engines are built lazily by `load_engine`: importing this package never imports torch,
so `--check`, `score` and `build` stay light.

Glossary constraints: seq2seq engines (Marian through transformers, CTranslate2) cannot take a
glossary in the input, so they use *term injection* (`inject_terms`): every glossary term found
in the source is replaced by its English form before translation. Marian models copy Latin-script
spans through to the output most of the time; every output is then verified against the glossary
(see l10n.pretranslate), and an entry whose output misses a term stays fuzzy with the missing terms
named. The LLM engine instead puts the matching glossary entries in its prompt.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Protocol, Sequence

from ..errors import L10nError, ModelUnavailable, TranslationAborted

ENGINES = ("marian", "ct2", "llm")


@dataclass(frozen=True)
class TermHint:
    zh: str
    en: str
    start: int  # offset of the term in the source segment
    end: int


@dataclass(frozen=True)
class TranslationRequest:
    source: str
    terms: tuple[TermHint, ...] = ()
    # Earlier (source, translation) pairs of the same document, oldest first, for coherence.
    context: tuple[tuple[str, str], ...] = ()
    # Reviewed (source, translation) pairs from memory that resemble this segment, best first.
    examples: tuple[tuple[str, str], ...] = ()


@dataclass
class EngineOptions:
    batch_size: int = 8
    beams: int = 4
    max_length: int = 256
    device: str = "auto"  # auto | cpu | cuda
    threads: int = 0  # 0: follow the machine
    quantization: str = "int8"  # ct2 only
    cache_dir: str = ".l10n-cache"
    extra: dict = field(default_factory=dict)


class Engine(Protocol):
    name: str
    model_id: str
    calls: int  # how many times the model was asked to generate, for incrementality checks

    def translate(self, batch: Sequence[TranslationRequest]) -> list[str]: ...


def inject_terms(request: TranslationRequest) -> str:
    """The source with each glossary term replaced by its English form (spaced off from CJK)."""
    if not request.terms:
        return request.source
    out: list[str] = []
    pos = 0
    for term in sorted(request.terms, key=lambda t: t.start):
        out.append(request.source[pos:term.start])
        out.append(f" {term.en} ")
        pos = term.end
    out.append(request.source[pos:])
    return " ".join("".join(out).split())


def length_sorted(batch: Sequence[TranslationRequest], key=len) -> list[int]:
    """Indices of the batch sorted by source length, longest first (less padding per batch)."""
    return sorted(range(len(batch)), key=lambda i: (-key(batch[i].source), i))


def missing_packages(err: ImportError, extra: str = "mt") -> ModelUnavailable:
    """The one message for an engine whose optional packages are not installed."""
    return ModelUnavailable(
        f"the MT engines need the optional packages ({err.name or 'a package'} is missing); "
        f"install them with `pip install -e '.[{extra}]'`"
    )


def generation_failed(err: BaseException, model: str, advice: str = "lower --batch-size or --beams, or use --device cpu") -> TranslationAborted:
    """Out of memory or a device error during generation, as one clear message (finished
    batches are saved by the caller)."""
    text = str(err)
    kind = "out of memory" if "out of memory" in text.lower() or isinstance(err, MemoryError) else "device error"
    first = text.splitlines()[0][:160] if text else type(err).__name__
    return TranslationAborted(f"generation failed ({kind}: {first}); {advice}", model)


def engine_label(name: str, options: EngineOptions) -> str:
    """How an engine set-up is named in MT records (`engine=` of the MT key, X-MT-Engine).

    For ct2 the quantization and the vocabulary shortlist change the output, so they are part
    of the name: switching int8 → float32, or adding a shortlist, re-translates on the next run.
    """
    if name != "ct2":
        return name
    label = f"ct2-{options.quantization or 'int8'}"
    vmap = options.extra.get("vmap")
    if vmap:
        label += "+vmap-" + ("target" if vmap == "target" else os.path.basename(str(vmap)).replace(" ", "_"))
    return label


def load_engine(name: str, model: str, options: EngineOptions) -> Engine:
    if name == "marian":
        from .marian import MarianEngine

        return MarianEngine(model, options)
    if name == "ct2":
        from .ct2 import load_ct2_or_fallback

        return load_ct2_or_fallback(model, options)
    if name == "llm":
        from .llm import LLMEngine

        return LLMEngine(model, options)
    raise L10nError(f"unknown engine {name!r}; choose one of {', '.join(ENGINES)}")
