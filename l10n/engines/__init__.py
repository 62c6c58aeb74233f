"""MT engines behind one small protocol, and the one list of engines with their typed options.

An engine turns a batch of `TranslationRequest`s into a list of English strings, one per request,
in order. Engines are built lazily by `load_engine`: importing this package never imports torch,
so `--check`, `score` and `build` stay light.

Glossary constraints: seq2seq engines (Marian through transformers, CTranslate2) cannot take a
glossary in the input, so they use *term injection* (`inject_terms`): every glossary term found
in the source is replaced by its English form before translation. Marian models copy Latin-script
spans through to the output most of the time; every output is then verified against the glossary
(see l10n.pretranslate), and an entry whose output misses a term stays fuzzy with the missing terms
named. The LLM engine instead puts the matching glossary entries in its prompt.

Options: every engine has the common `EngineOptions` and a subclass with its own. Each field says
in its metadata how it is validated (`range`, `choices`) and whether it has a command-line flag
(`flag`). l10n.config reads them from `[tool.l10n]` and `[tool.l10n.engines.<name>]`; the CLI
generates its flags from the same fields.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field, fields, replace
from typing import Protocol, Sequence

from ..errors import ChangeOption, ModelUnavailable, TranslationAborted

DEFAULT_MODEL = "Helsinki-NLP/opus-mt-zh-en"


@dataclass(frozen=True)
class TermHint:
    zh: str
    en: str
    start: int  # offset of the term in the source segment
    end: int
    variants: tuple[str, ...] = ()  # other accepted English forms (for checking, not prompting)


@dataclass(frozen=True)
class TranslationRequest:
    source: str
    terms: tuple[TermHint, ...] = ()
    # Earlier (source, translation) pairs of the same document, oldest first, for coherence.
    context: tuple[tuple[str, str], ...] = ()
    # Reviewed (source, translation) pairs from memory that resemble this segment, best first.
    examples: tuple[tuple[str, str], ...] = ()
    # The numbers of the source with their English (248.6亿美元 → US$24.86 billion), l10n.numbers.
    numbers: tuple[tuple[str, str], ...] = ()
    block: str = ""  # the block kind (headline, paragraph …): MT QA reads it


def _opt(default, help: str, *, range=None, choices=None, flag: bool = True):
    return field(default=default, metadata={"help": help, "range": range, "choices": choices, "flag": flag})


@dataclass(frozen=True)
class EngineOptions:
    """Options every engine takes; settable in `[tool.l10n]` and per engine."""

    model: str = _opt("", "hub id, model directory, or file (.gguf for llm)")
    batch_size: int = _opt(8, "segments per model call", range=(1, 4096))
    max_length: int = _opt(256, "maximum tokens per input and output", range=(8, 4096))
    device: str = _opt("auto", "where to run the model", choices=("auto", "cpu", "cuda"))
    threads: int = _opt(0, "CPU threads (0: the machine's)", range=(0, 1024))
    repair_rounds: int = _opt(1, "MT QA: rounds in which an output that fails is given back to the engine "
                                 "(0: check only)", range=(0, 5))
    # Not an option a user sets: where conversions are cached (the project's cache folder).
    cache_dir: str = field(default=".l10n-cache", metadata={"flag": False, "internal": True})


@dataclass(frozen=True)
class MarianOptions(EngineOptions):
    model: str = _opt(DEFAULT_MODEL, "hub id or model directory")
    beams: int = _opt(4, "beam size (1 = greedy)", range=(1, 64))


QUANTIZATIONS = ("int8", "int8_float32", "int8_float16", "int8_bfloat16", "int16", "float16", "bfloat16", "float32")


@dataclass(frozen=True)
class CT2Options(MarianOptions):
    quantization: str = _opt("int8", "CTranslate2 weight type of the converted model", choices=QUANTIZATIONS)
    compute_type: str = _opt("default", "CTranslate2 compute type at load time (default: the converted one)",
                             choices=("default",) + QUANTIZATIONS)
    vmap: str = _opt("", "output vocabulary shortlist: a CTranslate2 vocabulary map file, or `target` for the "
                         "target SentencePiece pieces")
    fallback: bool = _opt(False, "fall back to the marian engine when CTranslate2 cannot be used")


LLM_RUNTIMES = ("auto", "transformers", "ct2", "llama-cpp")


@dataclass(frozen=True)
class LLMOptions(EngineOptions):
    model: str = _opt("", "hub id, model directory or .gguf file of an instruction (chat) model")
    batch_size: int = _opt(16, "segments per model call (on ct2: the most rows of one planned batch)", range=(1, 4096))
    runtime: str = _opt("auto", "how the model runs: auto (a .gguf file on CPU: llama-cpp when installed; else ct2 "
                                "when CTranslate2 is installed, else transformers), transformers, ct2 or llama-cpp "
                                "(docs/llm-runtimes.md)", choices=LLM_RUNTIMES)
    quantization: str = _opt("", "on the ct2 runtime: the CTranslate2 number format (default: int8 on CPU, int8_float16 "
                                 "on CUDA)", choices=("",) + QUANTIZATIONS)
    static_prompt: bool = _opt(True, "on the ct2 runtime: compute the system turn once and reuse its state", flag=False)
    n_ctx: int = _opt(4096, "on the llama-cpp runtime: the context window in tokens", range=(256, 131072))
    # docs/mt-qa.md: memory examples raised chrF by 1.2 on the article (examples from another
    # article); earlier sentences moved it by less than half a point either way (two measurements)
    # while every document's batches must wait for the one before, so context is off by default.
    context: int = _opt(0, "earlier sentences of the document shown with their translations", range=(0, 32))
    examples: int = _opt(3, "similar reviewed examples from translation memory shown", range=(0, 32))
    shared_examples: bool = _opt(True, "choose the examples once per call for all its segments (their turns are then "
                                       "computed once: ct2's static prompt)", flag=False)
    beams: int = _opt(1, "beam size (1 = greedy)", range=(1, 16))
    dtype: str = _opt("", "weight type in transformers (default: float32 on CPU, bfloat16 on CUDA)",
                      choices=("", "float32", "bfloat16", "float16", "auto"))
    tokens_per_char: float = _opt(4.0, "bound on new tokens: 16 + this × source characters", range=(0.5, 16.0))
    number_glossary: bool = _opt(True, "list the segment's numbers with their English in the prompt "
                                       "(248.6亿美元 → US$24.86 billion)", flag=False)


@dataclass(frozen=True)
class EngineSpec:
    name: str
    options: type[EngineOptions]
    loader: str  # "module:callable", imported only when the engine is loaded
    extras: str  # the pyproject extras its packages come from
    summary: str


ENGINES: dict[str, EngineSpec] = {
    spec.name: spec
    for spec in (
        EngineSpec("marian", MarianOptions, "l10n.engines.marian:MarianEngine", "mt",
                   "a transformers sequence-to-sequence model (MarianMT)"),
        EngineSpec("ct2", CT2Options, "l10n.engines.ct2:load_ct2_or_fallback", "mt,ct2",
                   "the same model converted to CTranslate2 (faster on CPU)"),
        EngineSpec("llm", LLMOptions, "l10n.engines.llm:LLMEngine", "mt,llm",
                   "an instruction-tuned LLM prompted with glossary and context"),
    )
}


def option_fields(cls: type[EngineOptions]):
    """The user-settable fields of an options class."""
    return [f for f in fields(cls) if not f.metadata.get("internal")]


def option_type(spec) -> type:
    """The Python type of an option field (annotations are strings here)."""
    return spec.type if isinstance(spec.type, type) else {"int": int, "float": float, "str": str, "bool": bool}[spec.type]


def all_option_fields():
    """Every user-settable option of every engine, once by name, with the engines that take it."""
    seen: dict[str, tuple] = {}
    for spec in ENGINES.values():
        for f in option_fields(spec.options):
            if f.name in seen:
                seen[f.name][1].append(spec.name)
            else:
                seen[f.name] = (f, [spec.name])
    return list(seen.values())


def with_options(options: EngineOptions, **changes) -> EngineOptions:
    return replace(options, **changes)


class Engine(Protocol):
    """What pre-translation relies on. `label` names the set-up in MT records (it may differ from
    the engine asked for: ct2 with fallback records `marian`); an engine with `uses_context`
    gets earlier sentences and similar examples in its requests."""

    name: str
    label: str
    model_id: str
    uses_context: bool
    calls: int  # how many times the model was asked to generate, for incrementality checks

    def translate(self, batch: Sequence[TranslationRequest]) -> list[str]: ...

    def revise(self, batch: Sequence[TranslationRequest], outputs: Sequence[str],
               problems: Sequence[Sequence[str]]) -> list[list[str]]:
        """Other candidates for outputs that failed MT QA (l10n.repair), each told what is wrong
        with it; an empty list where the engine has nothing else to offer."""
        ...


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


def longest_first(batch: Sequence, key) -> list[int]:
    """Indices of `batch` sorted by `key(item)`, largest first: similar lengths share a model
    call, so there is less padding and a call ends when its longest output does."""
    return sorted(range(len(batch)), key=lambda i: (-key(batch[i]), i))


def missing_packages(err: ImportError, engine: str) -> ModelUnavailable:
    """The one message for an engine whose optional packages are not installed."""
    extras = ENGINES[engine].extras
    return ModelUnavailable(
        f"the {engine} engine needs optional packages ({err.name or 'a package'} is missing); "
        f"install them with `pip install -e '.[{extras}]'`"
    )


GENERATION_REMEDY = (ChangeOption(("batch_size", "beams"), verb="lower"), ChangeOption(("device",), "cpu"))


def generation_failed(err: BaseException, model: str, remedy=GENERATION_REMEDY) -> TranslationAborted:
    """Out of memory or a device error during generation, as one clear message (finished
    batches are saved by the caller)."""
    text = str(err)
    kind = "out of memory" if "out of memory" in text.lower() or isinstance(err, MemoryError) else "device error"
    first = text.splitlines()[0][:160] if text else type(err).__name__
    return TranslationAborted(f"generation failed ({kind}: {first})", model, remedy=remedy)


def engine_label(name: str, options: EngineOptions) -> str:
    """How an engine set-up is named in MT records (`engine=` of the MT key, X-MT-Engine).

    For ct2 the quantization and the vocabulary shortlist change the output, so they are part
    of the name: switching int8 → float32, or adding a shortlist, re-translates on the next run.
    For llm the runtime and its number format are (`llm-ct2-int8`; engines/llm_runtimes.py).
    """
    if isinstance(options, LLMOptions):
        from .llm_runtimes import llm_label

        return llm_label(options)
    if not isinstance(options, CT2Options):
        return name
    import os

    label = f"ct2-{options.quantization}"
    if options.vmap:
        label += "+vmap-" + ("target" if options.vmap == "target" else os.path.basename(options.vmap).replace(" ", "_"))
    return label


def load_engine(name: str, options: EngineOptions) -> Engine:
    """Build engine `name` with its options (the model is `options.model`)."""
    module, _, attr = ENGINES[name].loader.partition(":")
    return getattr(importlib.import_module(module), attr)(options)
