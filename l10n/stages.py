"""The stages of the pipeline as plain functions: what the CLI runs and what a program can call.

Each takes the project's `Config`, the documents to work on and its own explicit parameters, and
returns what it did; none of them prints (pre-translation may draw a progress bar on a terminal)
or knows about command-line flags.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .config import Config, DocumentPaths
from . import engines
from .engines import EngineOptions, engine_label
from .errors import L10nError
from .merge import MergeStats
from .pretranslate import Summary, model_identity
from .score import ScoreReport


def documents(config: Config, names: list[str] | None = None) -> list[DocumentPaths]:
    """The documents called `names`, or all configured ones."""
    if not names:
        if not config.documents:
            raise L10nError('no documents configured: add documents = ["name"] to [tool.l10n]', config.display,
                            config.line_of("documents"))
        return config.documents
    docs = []
    for name in names:
        doc = config.document(name)
        if not doc.source.is_file():
            raise L10nError(f"no source text for document {name!r} (expected {doc.source_display})", doc.source_display)
        docs.append(doc)
    return docs


def load_project_glossary(config: Config):
    from .glossary import load_glossary

    return load_glossary(config.glossary, config.rel(config.glossary) if config.glossary else "")


def _lock(config: Config, doc: DocumentPaths):
    from .textio import file_lock

    return file_lock(config.writable(config.lock_path(doc.catalog)), doc.catalog_display)


@dataclass
class UpdateResult:
    document: DocumentPaths
    written: bool
    blocks: int
    segments: int
    entries: int  # active entries of the catalog
    stats: MergeStats


def update(config: Config, docs: list[DocumentPaths]) -> list[UpdateResult]:
    """Segment each source and merge it into its catalog (msgmerge-style, nothing lost)."""
    from .merge import update_catalog
    from .segment import read_document

    results = []
    for doc in docs:
        document = read_document(doc.source, doc.source_display, config.max_source_bytes)
        config.writable(doc.catalog)
        written, po, stats = update_catalog(document, doc.catalog, doc.catalog_display, doc.name, _lock(config, doc))
        results.append(UpdateResult(doc, written, len(document.blocks), len(document.segments()),
                                    sum(1 for e in po if not e.obsolete), stats))
    return results


@dataclass
class PretranslateResult:
    summary: Summary  # all documents together
    engine: str  # as recorded in MT records
    model: str
    loaded: bool  # whether a model was loaded at all
    documents: list[tuple[str, Summary]] = field(default_factory=list)  # per document, in order
    workers: str = ""  # where the model ran, when not in this process (a Ray cluster)


def pretranslate(config: Config, docs: list[DocumentPaths], engine: str, options: EngineOptions,
                 refresh: bool = False, progress: bool = True,
                 on_load: Callable[[str, str], None] | None = None, ray=None) -> PretranslateResult:
    """Machine-translate what needs it in each catalog (l10n.pretranslate). The engine is loaded
    only when some entry needs a model; `on_load(engine, model)` is called just before. With `ray`
    (l10n.distributed.RaySettings) the batches are translated by a pool of Ray workers, each
    holding one loaded engine; this process alone reads and writes the catalogs."""
    from .memory import load_memory
    from .pretranslate import KEEP_PLANNED_DOCUMENTS, DocumentRun, LocalExecutor, key_function, run_documents

    glossary = load_project_glossary(config)
    for doc in docs:
        if not doc.catalog.exists():
            from .pofile import UPDATE

            raise L10nError("no catalog yet", doc.catalog_display, remedy=UPDATE)
    # Catalogs about to be translated are parsed once, by the memory (up to a bound on memory use).
    preread: dict = {doc.catalog: None for doc in docs[:KEEP_PLANNED_DOCUMENTS]}
    memory = load_memory(config.all_catalogs(), config.rel, external_memories(config), keep=preread)
    config.writable(config.cache_dir)  # engines cache converted models there
    label = engine_label(engine, options)
    key_for = key_function(label, options.model, glossary)
    identity = model_identity(options.model)
    runs = []
    for doc in docs:
        config.writable(doc.catalog)
        runs.append(DocumentRun(doc, glossary, memory, label, options.model, _lock(config, doc), refresh,
                                preread=preread.pop(doc.catalog, None), key_for=key_for, identity=identity))

    if ray is not None:
        from .distributed import RayExecutor

        # The loader as it is now (a program or a test may have replaced it), for the workers to call.
        executor = RayExecutor(ray, engines.load_engine, engine, options, on_load=on_load)
    else:
        def get_engine():
            if on_load is not None:
                on_load(engine, options.model)
            return engines.load_engine(engine, options)

        executor = LocalExecutor(get_engine, options.repair_rounds)
    report = run_documents(runs, executor, options.batch_size, progress)
    return PretranslateResult(report.summary, report.engine or label, model_identity(options.model),
                              report.engine is not None, report.documents, report.workers)


def score(config: Config, docs: list[DocumentPaths]) -> ScoreReport:
    """BLEU, chrF and TER of the recorded MT against the reviewed translations, and term accuracy."""
    from .pofile import read_catalog
    from .score import score_catalogs

    glossary = load_project_glossary(config)
    return score_catalogs([(doc.name, read_catalog(doc.catalog, doc.catalog_display)) for doc in docs], glossary)


@dataclass
class BuildResult:
    document: DocumentPaths
    gaps: list  # edition.Gap: entries that keep the edition from being published
    written: list[str]  # files written (relative to the project)
    outputs: list[str]  # every edition file (relative to the project)
    draft: bool

    @property
    def published(self) -> bool:
        return self.draft or not self.gaps


@dataclass
class IndexResult:
    path: str  # relative to the project
    written: bool
    articles: int


class BuildResults(list):
    """The BuildResult of each document, and the contents page of the edition (`index`)."""

    index: IndexResult | None = None


def build_index(config: Config) -> IndexResult:
    """Write the contents page of the published edition (l10n.contents) over all configured
    documents, whichever were built just now."""
    from .contents import articles, index_path, render_contents
    from .pofile import read_catalog
    from .segment import read_document
    from .textio import atomic_write

    def load(doc: DocumentPaths):
        if not doc.catalog.exists():
            return None, None
        return (read_document(doc.source, doc.source_display, config.max_source_bytes),
                read_catalog(doc.catalog, doc.catalog_display))

    entries = articles(config, load)
    path = config.writable(index_path(config))
    return IndexResult(config.rel(path), atomic_write(path, render_contents(entries)), len(entries))


def build(config: Config, docs: list[DocumentPaths], draft: bool = False) -> BuildResults:
    """Render each document's edition (Markdown, HTML, review page), then the edition's contents
    page (`index` of the result). Without `draft`, a document with fuzzy or untranslated entries
    is not rendered: its result lists the gaps."""
    from .edition import gaps, render_all
    from .pofile import read_catalog
    from .score import segment_scores
    from .segment import read_document
    from .textio import atomic_write

    glossary = load_project_glossary(config)
    results = BuildResults()
    for doc in docs:
        source = read_document(doc.source, doc.source_display, config.max_source_bytes)
        po = read_catalog(doc.catalog, doc.catalog_display)
        missing = gaps(source, po)
        if missing and not draft:
            results.append(BuildResult(doc, missing, [], [], draft))
            continue
        outputs = render_all(source, po, segment_scores(po, glossary), draft=draft)
        paths = {suffix: config.writable(doc.output(suffix)) for suffix in outputs}
        written = [config.rel(paths[s]) for s, content in outputs.items() if atomic_write(paths[s], content)]
        results.append(BuildResult(doc, missing, written, [config.rel(p) for p in paths.values()], draft))
    results.index = build_index(config)
    return results


@dataclass
class TermsResult:
    path: Path  # the candidates file
    written: bool
    candidates: int
    from_reviewed: int  # renderings aligned on reviewed entries
    asked: int  # terms asked of the MT engine
    unproposed: int  # candidates without a rendering


def terms(config: Config, docs: list[DocumentPaths], top: int, engine: str | None = None,
          options: EngineOptions | None = None, output: Path | None = None,
          on_load: Callable[[str, str], None] | None = None) -> TermsResult:
    """Glossary candidates of the documents with proposed renderings (l10n.terms), written to
    `output` or else glossary.candidates.csv in the target folder; with `engine`, terms that no
    reviewed entry renders are asked of that MT engine. glossary.csv itself is never written."""
    from .pofile import is_reviewed, read_catalog
    from .segment import read_document
    from .terms import (CANDIDATES_FILE, Aligner, Pair, Place, extract_candidates, load_lexicon, load_tagger,
                        propose_by_mt, propose_from_reviewed, render_candidates)
    from .textio import atomic_write

    glossary = load_project_glossary(config)
    places, translations = [], {}
    for doc in docs:
        source = read_document(doc.source, doc.source_display, config.max_source_bytes)
        places += [Place(doc.name, doc.source_display, seg.line, seg.text) for seg in source.segments()]
        if doc.catalog.exists():
            translations.update({e.msgid: e.msgstr for e in read_catalog(doc.catalog, doc.catalog_display) if e.msgstr})
    known = {t.zh[i:j] for t in glossary.terms for i in range(len(t.zh)) for j in range(i + 1, len(t.zh) + 1)}
    lexicon = load_lexicon()
    candidates = extract_candidates(places, load_tagger(t.zh for t in glossary.terms), known.__contains__, lexicon)
    pairs = [Pair(e.msgid, e.msgstr, f"{config.rel(path)}:{e.msgstr_line}")
             for path in config.all_catalogs() for e in read_catalog(path, config.rel(path)) if is_reviewed(e)]
    # The evidence of reviewed translations re-ranks every candidate, then the top ones are kept.
    candidates = propose_from_reviewed(candidates, Aligner(pairs, lexicon))[:top]
    asked = 0
    if engine is not None:
        def get_engine():
            if on_load is not None:
                on_load(engine, options.model)
            return engines.load_engine(engine, options)

        config.writable(config.cache_dir)
        asked = propose_by_mt(candidates, get_engine, translations)
    path = output if output is not None else config.writable(config.target_dir / CANDIDATES_FILE)
    written = atomic_write(path, render_candidates(candidates))
    return TermsResult(path, written, len(candidates), sum(1 for c in candidates if c.source == "reviewed"), asked,
                       sum(1 for c in candidates if not c.en))


def check(config: Config, docs: list[DocumentPaths], only: list[str] = (), skip: list[str] = ()):
    """Run the CI checks (l10n.checks); returns a CheckResult."""
    from .checks import run_checks

    return run_checks(config, docs, list(only), list(skip))


def quiet_model_loading() -> None:
    """No progress bars from the model libraries (weight loading, GGUF de-quantization): they
    fill logs with carriage-return lines."""
    import os

    os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"  # huggingface_hub and transformers' own bars
    os.environ["TQDM_DISABLE"] = "1"  # plain tqdm bars, e.g. the GGUF loader's
    if "transformers" in sys.modules:  # already imported: its switch was read at import time
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()


# --- exchange with the translators' other tools (l10n.formats) ------------------------------

def external_memories(config: Config):
    """(source, target, where) of every TMX memory the project uses: the configured `memories`
    first, in their order, then those imported into the cache folder, by name."""
    from .formats.tmx import pairs, read_tmx

    paths = list(config.memories)
    if config.memory_dir.is_dir():
        paths += sorted(p for p in config.memory_dir.glob("*.tmx") if p.is_file())
    for path in paths:
        yield from pairs(read_tmx(path, config.rel(path)))


@dataclass
class ExportResult:
    output: str  # as shown
    written: bool
    count: int  # units, terms or entries written


def _write_output(config: Config, output: Path, content: str, default: bool) -> bool:
    """Write an export atomically. A path the toolkit chose must stay inside the target or cache
    folder (Config.writable); a path the user named is theirs."""
    from .textio import atomic_write

    if default:
        config.writable(output)
    return atomic_write(output, content)


def tm_export(config: Config, docs: list[DocumentPaths], output: Path, source_lang: str = "zh-Hans",
              target_lang: str = "en") -> ExportResult:
    """Every reviewed pair of the documents' catalogs as a TMX 1.4b file."""
    from .formats.tmx import catalog_units, write_tmx
    from .pofile import read_catalog

    units = catalog_units([(doc.name, read_catalog(doc.catalog, doc.catalog_display)) for doc in docs])
    written = _write_output(config, output, write_tmx(units, source_lang, target_lang), default=False)
    return ExportResult(config.rel(output), written, len(units))


@dataclass
class TmImportResult:
    source: str
    stored: str
    units: int
    skipped: dict[str, int]
    replaced: bool  # a memory of the same name had been imported before


def tm_import(config: Config, path: Path) -> TmImportResult:
    """Read a TMX file (any tool's) and keep its zh → en pairs in the cache folder, where
    pre-translation finds them. The catalogs are not touched."""
    import re

    from .formats.tmx import read_tmx, stored_copy, write_tmx
    from .textio import atomic_write

    shown = config.rel(path)
    memory = read_tmx(path, shown)
    if not memory.units:
        reasons = "; ".join(f"{n} with {why}" for why, n in memory.skipped.items()) or "no units"
        raise L10nError(f"no Simplified Chinese → English pair in this memory ({reasons})", shown)
    name = re.sub(r"[^\w.-]+", "_", path.stem).lstrip(".") or "memory"
    stored = config.writable(config.memory_dir / f"{name}.tmx")
    replaced = stored.exists()
    atomic_write(stored, write_tmx(stored_copy(memory), *memory.languages))
    return TmImportResult(shown, config.rel(stored), len(memory.units), dict(memory.skipped), replaced)


def xliff_export(config: Config, doc: DocumentPaths, output: Path | None = None, version: str = "2.1",
                 source_lang: str = "zh-Hans", target_lang: str = "en") -> ExportResult:
    """The document's catalog as XLIFF 2.1 or 1.2, by default next to the catalog (<doc>.xlf)."""
    from .formats.xliff import export_units, write_xliff12, write_xliff2
    from .pofile import read_catalog

    po = read_catalog(doc.catalog, doc.catalog_display)
    units = export_units(po)
    write = write_xliff2 if version.startswith("2") else write_xliff12
    content = write(units, doc.source_display, doc.name, source_lang, target_lang)
    path = output if output is not None else doc.output(".xlf")
    written = _write_output(config, path, content, default=output is None)
    return ExportResult(config.rel(path), written, len(units))


@dataclass
class XliffImportResult:
    source: str  # the XLIFF file, as shown
    catalog: str
    written: bool
    report: object  # formats.xliff.ImportReport


def xliff_import(config: Config, doc: DocumentPaths, path: Path) -> XliffImportResult:
    """Bring a translated XLIFF file back into the document's catalog under the no-loss rules of
    l10n.formats.xliff.apply_import, holding the catalog's lock; written atomically, and only if
    something changed."""
    from .formats.xliff import apply_import, read_xliff
    from .pofile import copy_catalog, read_catalog, write_catalog

    shown = config.rel(path)
    xliff = read_xliff(path, shown)
    config.writable(doc.catalog)
    with _lock(config, doc):
        original = read_catalog(doc.catalog, doc.catalog_display)
        po = copy_catalog(original, doc.catalog_display)
        report = apply_import(po, xliff)
        written = write_catalog(po, doc.catalog, original)
    return XliffImportResult(shown, doc.catalog_display, written, report)


def glossary_export(config: Config, output: Path, source_lang: str = "zh-Hans", target_lang: str = "en") -> ExportResult:
    """glossary.csv as TBX-Basic."""
    from .formats.tbx import write_tbx

    glossary = load_project_glossary(config)
    if not glossary.path:
        raise L10nError("the project has no glossary (glossary = \"\")", config.display, config.line_of("glossary"))
    content = write_tbx(glossary.terms, source_lang, target_lang, f"{glossary.path} of {config.root.name}")
    written = _write_output(config, output, content, default=False)
    return ExportResult(config.rel(output), written, len(glossary.terms))


@dataclass
class GlossaryImportResult:
    source: str
    glossary: str
    written: bool
    merge: object  # formats.tbx.GlossaryMerge
    skipped: dict[str, int]


def glossary_import(config: Config, path: Path, dry_run: bool = False) -> GlossaryImportResult:
    """Append a termbase's new terms to the project's glossary.csv, which stays the source of
    truth: existing rows are never changed, conflicts are reported."""
    from .formats.tbx import merge_into_glossary, read_tbx
    from .textio import atomic_write, read_bytes

    if config.glossary is None:
        raise L10nError("the project has no glossary (glossary = \"\"); name one to import into",
                        config.display, config.line_of("glossary"))
    shown = config.rel(path)
    termbase = read_tbx(path, shown)
    target = config.glossary
    display = config.rel(target)
    # glossary.csv lives outside the target and cache folders; it is written only where it is
    # a file of the project itself (not a link leading elsewhere).
    if not target.resolve().is_relative_to(config.root.resolve()) or target.is_symlink():
        raise L10nError(f"refusing to write {display}: it resolves to {target.resolve()}, outside the project",
                        config.display, config.line_of("glossary"))
    merge = merge_into_glossary(read_bytes(target, display, "glossary"), display, termbase, shown)
    written = False
    if merge.added and not dry_run:
        written = atomic_write(target, merge.content)
    return GlossaryImportResult(shown, display, written, merge, dict(termbase.skipped))
