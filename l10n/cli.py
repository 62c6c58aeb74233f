"""Command line: parses arguments and wires the stages together. No stage logic lives here.

Exit codes: 0 OK, 1 checks found problems (or build refused), 2 usage or input errors,
130 interrupted (finished work saved).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from .errors import EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, L10nError

DESCRIPTION = """\
Chinese → English localization with gettext PO files.

With no command, runs the main job on the documents in [tool.l10n]: update, pretranslate (only
where something needs MT), score, build, and the checks.

stages:
  update         segment source/zh/<doc>.txt and merge it into target/en/<doc>.po (like msgmerge)
  pretranslate   fill entries that need MT (glossary-constrained; reviewed entries untouched)
  score          BLEU / chrF / TER of the recorded MT against the reviewed translations
  build          render target/en/<doc>.md, .html and .review.html from the reviewed catalog
  terms          propose glossary candidates with renderings (glossary.candidates.csv)
  --check        run the CI checks; exit 0 clean, 1 problems, 2 usage errors or input that
                 cannot be read at all (missing, binary, not UTF-8)
"""


def _add_docs(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("documents", nargs="*", metavar="DOC", help="document names (default: all in [tool.l10n])")


def _add_check_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--only", action="append", default=[], metavar="ID", help="run only this check (repeatable)")
    parser.add_argument("--skip", action="append", default=[], metavar="ID", help="skip this check (repeatable)")
    parser.add_argument("--format", choices=("text", "json"), default="text", help="output format")


def build_parser() -> argparse.ArgumentParser:
    from .checks import REGISTRY

    parser = argparse.ArgumentParser(
        prog="translate.py",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="checks: " + ", ".join(REGISTRY),
    )
    parser.add_argument("--config", type=Path, help="pyproject.toml with [tool.l10n] (default: found from the current directory)")
    parser.add_argument("--check", action="store_true", help="run the CI checks (same as the `check` command)")
    _add_check_options(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("update", help="source → PO, keeping every translation")
    _add_docs(p)

    p = sub.add_parser("pretranslate", help="machine-translate the entries that need it")
    _add_docs(p)
    p.add_argument("--engine", choices=("marian", "ct2", "llm"), help="MT engine (default from [tool.l10n])")
    p.add_argument("--model", help="hub id, model directory, or .gguf file (llm)")
    p.add_argument("--batch-size", type=int, help="segments per model call")
    p.add_argument("--beams", type=int, help="beam size (1 = greedy)")
    p.add_argument("--max-length", type=int, help="maximum tokens per input and output")
    p.add_argument("--device", help="auto, cpu or cuda")
    p.add_argument("--threads", type=int, default=0, help="CPU threads (default: the machine's)")
    p.add_argument("--quantization", default="int8", help="ct2: int8, int8_float32, float32 …")
    p.add_argument("--fallback", action="store_true", help="ct2: fall back to the transformers engine if CTranslate2 is unavailable")
    p.add_argument("--vmap", metavar="FILE|target", help="ct2: output vocabulary shortlist (a CTranslate2 vocabulary map, or `target` for the target SentencePiece pieces)")
    p.add_argument("--refresh-mt", action="store_true", help="also record MT for reviewed entries whose MT is missing or from another model/glossary (their msgstr is never changed)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")

    p = sub.add_parser("score", help="MT quality against the reviewed translations")
    _add_docs(p)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--worst", type=int, default=10, help="how many worst segments to list")

    p = sub.add_parser("build", help="render the English edition")
    _add_docs(p)
    p.add_argument("--draft", action="store_true", help="render even with fuzzy or untranslated entries, marking them")

    p = sub.add_parser("terms", help="propose glossary candidates with renderings, to glossary.candidates.csv")
    _add_docs(p)
    p.add_argument("--top", type=int, default=200, help="how many candidates to write (default 200)")
    p.add_argument("--mt", action="store_true", help="ask the MT engine for candidates that no reviewed entry renders")
    p.add_argument("--engine", choices=("marian", "ct2", "llm"), help="MT engine for --mt (default from [tool.l10n])")
    p.add_argument("--model", help="model for --mt (default from [tool.l10n])")

    p = sub.add_parser("check", help="run the CI checks (same as --check)")
    _add_docs(p)
    _add_check_options(p)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return _dispatch(parser, args)
    except L10nError as err:
        print(f"translate.py: {err}" if not err.path else str(err), file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print("translate.py: interrupted; finished batches were saved, run again to continue", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_OK


def _dispatch(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    from .config import find_project, load_config

    config_path = args.config or find_project(Path.cwd())
    config = load_config(config_path)
    if args.check and args.command not in (None, "check"):
        parser.error("--check cannot be combined with a command")
    if args.check or args.command == "check":
        return cmd_check(config, args)
    if args.command is None:
        return cmd_all(config, args)
    return {"update": cmd_update, "pretranslate": cmd_pretranslate, "score": cmd_score, "build": cmd_build,
            "terms": cmd_terms}[args.command](config, args)


def _documents(config, names: list[str] | None):
    if not names:
        if not config.documents:
            raise L10nError("no documents configured: add documents = [\"name\"] to [tool.l10n]", config.display)
        return config.documents
    docs = []
    for name in names:
        doc = config.document(name)
        if not doc.source.is_file():
            raise L10nError(f"no source text for document {name!r} (expected {doc.source_display})", doc.source_display)
        docs.append(doc)
    return docs


def cmd_update(config, args) -> int:
    from .catalog import update_catalog

    for doc in _documents(config, getattr(args, "documents", None)):
        written, document, po = update_catalog(
            doc.source, doc.source_display, doc.catalog, doc.catalog_display, doc.name, config.max_source_bytes
        )
        active = sum(1 for e in po if not e.obsolete)
        print(f"{doc.catalog_display}: {len(document.blocks)} blocks, {len(document.segments())} segments, "
              f"{active} entries ({'updated' if written else 'unchanged'})")
    return EXIT_OK


def _quiet_model_loading() -> None:
    """No progress bars from the model libraries (weight loading, GGUF de-quantization) when
    progress is off or stderr is a log file: they fill logs with carriage-return lines."""
    os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"  # huggingface_hub and transformers' own bars
    os.environ["TQDM_DISABLE"] = "1"  # plain tqdm bars, e.g. the GGUF loader's
    if "transformers" in sys.modules:  # already imported: its switch was read at import time
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def cmd_pretranslate(config, args) -> int:
    from .engines import EngineOptions, engine_label, load_engine
    from .glossary import load_glossary
    from .memory import load_memory
    from .pretranslate import Summary, pretranslate_document

    def pick(name, default):
        value = getattr(args, name, None)
        return default if value is None else value

    engine_name = pick("engine", config.engine)
    model = pick("model", config.model)
    options = EngineOptions(
        batch_size=pick("batch_size", config.batch_size),
        beams=pick("beams", config.beams),
        max_length=pick("max_length", config.max_length),
        device=pick("device", config.device),
        threads=getattr(args, "threads", 0) or 0,
        quantization=getattr(args, "quantization", "int8"),
        cache_dir=str(config.root / ".l10n-cache"),
        extra={k: v for k, v in (("fallback", getattr(args, "fallback", False)), ("vmap", getattr(args, "vmap", None))) if v},
    )
    for name, value in (("--batch-size", options.batch_size), ("--beams", options.beams), ("--max-length", options.max_length)):
        if value < 1:
            raise L10nError(f"{name} must be at least 1")
    glossary = load_glossary(config.glossary, config.rel(config.glossary))
    memory = load_memory(config.all_catalogs(), config.rel)
    engine = None

    def get_engine():
        nonlocal engine
        if engine is None:
            print(f"loading {engine_name} model {model} …", file=sys.stderr)
            if getattr(args, "no_progress", False) or not sys.stderr.isatty():
                _quiet_model_loading()
            engine = load_engine(engine_name, model, options)
        return engine

    summary = Summary()
    for doc in _documents(config, getattr(args, "documents", None)):
        if not doc.catalog.exists():
            raise L10nError("no catalog yet; run `translate.py update` first", doc.catalog_display)
        pretranslate_document(
            doc, glossary, memory, engine_label(engine_name, options), model, get_engine, options.batch_size,
            refresh=getattr(args, "refresh_mt", False), progress=not getattr(args, "no_progress", False), summary=summary,
        )
    print("pretranslate: " + ("no entry needs MT; no model loaded" if engine is None else f"{engine_name} {model}"))
    for line in summary.lines():
        print("  " + line)
    return EXIT_OK


def _load_pairs(config, docs):
    from .catalog import read_catalog

    return [(doc.name, read_catalog(doc.catalog, doc.catalog_display)) for doc in docs]


def cmd_score(config, args) -> int:
    from .glossary import load_glossary
    from .score import format_report, score_catalogs

    docs = _documents(config, getattr(args, "documents", None))
    glossary = load_glossary(config.glossary, config.rel(config.glossary))
    report = score_catalogs(_load_pairs(config, docs), glossary)
    if getattr(args, "json", False):
        print(json.dumps({"documents": [d.name for d in docs], **report.as_dict()}, ensure_ascii=False, indent=2))
    else:
        print(format_report(report, [d.name for d in docs], getattr(args, "worst", 10)))
    return EXIT_OK


def cmd_build(config, args, draft: bool | None = None) -> int:
    from .catalog import read_catalog
    from .edition import gaps, render_all
    from .score import segment_chrf
    from .segment import read_document
    from .textio import atomic_write

    draft = getattr(args, "draft", False) if draft is None else draft
    status = EXIT_OK
    for doc in _documents(config, getattr(args, "documents", None)):
        source = read_document(doc.source, doc.source_display, config.max_source_bytes)
        po = read_catalog(doc.catalog, doc.catalog_display)
        missing = gaps(source, po)
        if missing and not draft:
            for gap in missing:
                print(f"{doc.source_display}:{gap.line}: [{gap.status}] {gap.msgid[:40]}", file=sys.stderr)
            print(f"{doc.catalog_display}: not published: {len(missing)} entries are fuzzy or untranslated; "
                  "review them, or use `build --draft`", file=sys.stderr)
            status = EXIT_PROBLEMS
            continue
        outputs = render_all(source, po, segment_chrf(po), draft=draft)
        written = [suffix for suffix, content in outputs.items() if atomic_write(doc.output(suffix), content)]
        names = ", ".join(config.rel(doc.output(s)) for s in outputs)
        print(f"{names}: {'written' if written else 'unchanged'}{' (draft)' if draft else ''}")
    return status


def cmd_terms(config, args) -> int:
    from .catalog import is_reviewed, read_catalog
    from .engines import EngineOptions, load_engine
    from .glossary import load_glossary
    from .segment import read_document
    from .terms import (CANDIDATES_FILE, RERANK_POOL, Aligner, Pair, Place, extract_candidates, load_lexicon, load_tagger,
                        propose_by_mt, propose_from_reviewed, render_candidates)
    from .textio import atomic_write

    if args.top < 1:
        raise L10nError("--top must be at least 1")
    glossary = load_glossary(config.glossary, config.rel(config.glossary))
    places, translations = [], {}
    for doc in _documents(config, args.documents):
        source = read_document(doc.source, doc.source_display, config.max_source_bytes)
        places += [Place(doc.name, doc.source_display, seg.line, seg.text) for seg in source.segments()]
        if doc.catalog.exists():
            translations.update({e.msgid: e.msgstr for e in read_catalog(doc.catalog, doc.catalog_display) if e.msgstr})
    known = {t.zh[i:j] for t in glossary.terms for i in range(len(t.zh)) for j in range(i + 1, len(t.zh) + 1)}
    candidates = extract_candidates(places, load_tagger(t.zh for t in glossary.terms), known.__contains__)
    pairs = [Pair(e.msgid, e.msgstr, f"{config.rel(path)}:{e.linenum}")
             for path in config.all_catalogs() for e in read_catalog(path, config.rel(path)) if is_reviewed(e)]
    # Reviewed evidence re-ranks a pool a few times larger than what is written.
    candidates = propose_from_reviewed(candidates[:RERANK_POOL * args.top], Aligner(pairs, load_lexicon()))[:args.top]
    asked = 0
    if args.mt:
        engine_name, model = args.engine or config.engine, args.model or config.model
        options = EngineOptions(batch_size=config.batch_size, beams=config.beams, max_length=config.max_length,
                                device=config.device, cache_dir=str(config.root / ".l10n-cache"))

        def get_engine():
            print(f"loading {engine_name} model {model} …", file=sys.stderr)
            return load_engine(engine_name, model, options)

        asked = propose_by_mt(candidates, get_engine, translations)
    path = config.glossary.with_name(CANDIDATES_FILE)
    written = atomic_write(path, render_candidates(candidates))
    reviewed = sum(1 for c in candidates if c.source == "reviewed")
    unproposed = sum(1 for c in candidates if not c.en)
    print(f"{config.rel(path)}: {_count(len(candidates), 'candidate')} ({'written' if written else 'unchanged'}); "
          f"{reviewed} rendered from reviewed entries, {asked if args.mt else 0} asked of the MT engine, {unproposed} without a proposal"
          + ("" if args.mt or not unproposed else "; add --mt to ask the MT engine for those"))
    return EXIT_OK


def cmd_check(config, args) -> int:
    from .checks import run_checks

    docs = _documents(config, getattr(args, "documents", None))
    result = run_checks(config, docs, args.only, args.skip)
    if args.format == "json":
        print(json.dumps({
            "problems": [p.as_dict() for p in result.problems],
            "checks": result.ran,
            "documents": result.documents,
            "ok": not result.problems,
        }, ensure_ascii=False, indent=2))
    else:
        for problem in result.problems:
            print(problem.format())
        files = len({p.path for p in result.problems})
        if result.problems:
            print(f"{len(result.problems)} problem(s) in {files} file(s); {_count(len(result.ran), 'check')} run on {len(docs)} document(s)")
        else:
            print(f"OK: {_count(len(result.ran), 'check')} passed on {len(docs)} document(s)")
    if any(p.fatal for p in result.problems):
        return EXIT_USAGE
    return EXIT_PROBLEMS if result.problems else EXIT_OK


def cmd_all(config, args) -> int:
    """The main job: every stage on the configured documents."""
    steps = argparse.Namespace(documents=None, only=args.only, skip=args.skip, format=args.format)
    print("== update")
    cmd_update(config, steps)
    print("== pretranslate")
    cmd_pretranslate(config, steps)
    print("== score")
    cmd_score(config, steps)
    print("== build")
    published = [d for d in config.documents if d.published]
    drafts = [d for d in config.documents if not d.published]
    status = EXIT_OK
    if published:
        status = cmd_build(config, argparse.Namespace(documents=[d.name for d in published]), draft=False)
    if drafts:
        cmd_build(config, argparse.Namespace(documents=[d.name for d in drafts]), draft=True)
    print("== check")
    return max(status, cmd_check(config, steps))
