"""The stages of the pipeline as plain functions: what the CLI runs and what a program can call.

Each takes the project's `Config`, the documents to work on and its own explicit parameters, and
returns what it did; none of them prints (pre-translation may draw a progress bar on a terminal)
or knows about command-line flags.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
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
    memory = load_memory(config.all_catalogs(), config.rel, keep=preread)
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

        executor = LocalExecutor(get_engine)
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
    from .score import segment_chrf
    from .segment import read_document
    from .textio import atomic_write

    results = BuildResults()
    for doc in docs:
        source = read_document(doc.source, doc.source_display, config.max_source_bytes)
        po = read_catalog(doc.catalog, doc.catalog_display)
        missing = gaps(source, po)
        if missing and not draft:
            results.append(BuildResult(doc, missing, [], [], draft))
            continue
        outputs = render_all(source, po, segment_chrf(po), draft=draft)
        paths = {suffix: config.writable(doc.output(suffix)) for suffix in outputs}
        written = [config.rel(paths[s]) for s, content in outputs.items() if atomic_write(paths[s], content)]
        results.append(BuildResult(doc, missing, written, [config.rel(p) for p in paths.values()], draft))
    results.index = build_index(config)
    return results


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
