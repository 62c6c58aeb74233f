"""Command line: parses arguments, calls the stages (l10n.stages) and prints what they did.

Exit codes: 0 OK, 1 checks found problems (or build refused), 2 usage or input errors,
130 interrupted (finished work saved).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from . import stages
from .engines import ENGINES, all_option_fields, option_type
from .errors import EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, L10nError, ModelUnavailable, RunStage, Style

DESCRIPTION = """\
Chinese → English localization with gettext PO files.

With no command, runs the main job on the documents in [tool.l10n]: update, pretranslate (only
where something needs MT; skipped with a note when no model is available, unless --require-mt),
score, build (drafts for unpublished documents), and the checks.

stages:
  update         segment source/zh/<doc>.txt and merge it into target/en/<doc>.po (like msgmerge)
  pretranslate   fill entries that need MT (glossary-constrained; reviewed entries untouched)
  score          BLEU / chrF / TER of the recorded MT against the reviewed translations
  build          render target/en/<doc>.md, .html and .review.html from the reviewed catalog
  terms          propose glossary candidates with renderings (glossary.candidates.csv)
  --check        run the CI checks; exit 0 clean, 1 problems, 2 usage errors or input that
                 cannot be read at all (missing, binary, not UTF-8)

exchange with other tools (docs/formats.md):
  tm export|import        translation memory as TMX 1.4b
  xliff export|import     a document as XLIFF 2.1 (or 1.2) for OmegaT, Trados and other CAT tools
  glossary export|import  glossary.csv as TBX-Basic
"""


def program_name() -> str:
    name = os.path.basename(sys.argv[0] or "")
    return name if name in ("translate", "translate.py") else "translate.py"


class CliStyle(Style):
    """Remedies as this command line spells them."""

    def __init__(self, prog: str):
        self.prog = prog

    def stage(self, action: RunStage) -> str:
        words = ["--check"] if action.stage == "check" else [action.stage]
        for name, value in action.options:
            words.append(_flag(name))
            if value is not True:
                words.append(str(value))
        return f"run `{self.prog} {' '.join(words)}`"

    def option(self, name: str, value: object = None) -> str:
        return f"`{_flag(name)}`" if value is None else f"`{_flag(name)} {value}`"


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _add_docs(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("documents", nargs="*", metavar="DOC", help="document names (default: all in [tool.l10n])")


def _add_check_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--only", action="append", default=[], metavar="ID", help="run only this check (repeatable)")
    parser.add_argument("--skip", action="append", default=[], metavar="ID", help="skip this check (repeatable)")
    parser.add_argument("--format", choices=("text", "json"), default="text", help="output format")


def _add_engine_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--engine", choices=tuple(ENGINES), help="MT engine (default: engine in [tool.l10n])")
    for spec, engines in all_option_fields():
        if not spec.metadata.get("flag", True):
            continue
        kind = option_type(spec)
        who = "" if len(engines) == len(ENGINES) else f"{', '.join(engines)}: "
        helptext = who + spec.metadata["help"]
        if kind is bool:
            parser.add_argument(_flag(spec.name), dest=spec.name, action="store_true", default=None, help=helptext)
        else:
            choices = spec.metadata.get("choices")
            parser.add_argument(_flag(spec.name), dest=spec.name, type=kind, default=None,
                                choices=[c for c in choices if c] if choices else None,
                                metavar=None if choices else spec.name.upper(), help=helptext)


def build_parser(prog: str = "translate.py") -> argparse.ArgumentParser:
    from .checks import REGISTRY

    parser = argparse.ArgumentParser(
        prog=prog,
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="checks: " + ", ".join(REGISTRY),
    )
    parser.add_argument("--config", type=Path, help="pyproject.toml with [tool.l10n] (default: found from the current directory)")
    parser.add_argument("--check", action="store_true", help="run the CI checks (same as the `check` command)")
    parser.add_argument("--require-mt", action="store_true",
                        help="main job: fail (exit 2) when entries need MT and no model can be loaded")
    _add_check_options(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("update", help="source → PO, keeping every translation")
    _add_docs(p)

    p = sub.add_parser("pretranslate", help="machine-translate the entries that need it")
    _add_docs(p)
    _add_engine_options(p)
    p.add_argument("--refresh-mt", action="store_true", help="also record MT for reviewed entries whose MT is missing or from another model/glossary (their msgstr is never changed)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--ray", nargs="?", const="", default=None, metavar="ADDRESS",
                   help="translate on a Ray cluster: auto (an existing one), local (a new one in this process), "
                        "HOST:PORT or ray://HOST:PORT; without ADDRESS: `ray` in [tool.l10n], else RAY_ADDRESS, "
                        "a cluster started on this machine, or a new local one; off: in this process")
    p.add_argument("--ray-workers", type=int, default=None, metavar="N",
                   help="Ray workers, each holding one engine (default: one per GPU, else one per --threads CPUs)")

    p = sub.add_parser("score", help="MT quality against the reviewed translations")
    _add_docs(p)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--worst", type=int, default=10, help="how many worst segments to list")

    p = sub.add_parser("build", help="render the English edition")
    _add_docs(p)
    p.add_argument("--draft", action="store_true", help="render even with fuzzy or untranslated entries, marking them")

    p = sub.add_parser("terms", help="propose glossary candidates with renderings (glossary.candidates.csv)")
    _add_docs(p)
    p.add_argument("--top", type=int, default=200, help="how many candidates to write (default 200)")
    p.add_argument("--mt", action="store_true", help="ask the MT engine for candidates that no reviewed entry renders")
    p.add_argument("-o", "--output", type=Path, help="where to write the candidates (default: glossary.candidates.csv "
                                                       "in the target folder)")
    _add_engine_options(p)

    p = sub.add_parser("check", help="run the CI checks (same as --check)")
    _add_docs(p)
    _add_check_options(p)
    _add_exchange_commands(sub)
    parser.commands = sub.choices  # for usage errors in the words of the command that was given
    return parser


def _add_languages(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--source-lang", default="zh-Hans", metavar="CODE",
                        help="language code written for the Chinese (default zh-Hans; some tools want zh-CN)")
    parser.add_argument("--target-lang", default="en", metavar="CODE",
                        help="language code written for the English (default en; e.g. en-US)")


def _add_exchange_commands(sub) -> None:
    tm = sub.add_parser("tm", help="translation memory as TMX: export, import")
    actions = tm.add_subparsers(dest="action", metavar="ACTION", required=True)
    p = actions.add_parser("export", help="write every reviewed pair of the documents as TMX 1.4b")
    _add_docs(p)
    p.add_argument("-o", "--output", type=Path, required=True, metavar="FILE", help="the TMX file to write")
    _add_languages(p)
    p = actions.add_parser("import", help="use a TMX memory (any tool's) in pretranslate; kept in the cache folder")
    p.add_argument("file", type=Path, metavar="FILE.tmx")

    xliff = sub.add_parser("xliff", help="a document as XLIFF for CAT tools: export, import")
    actions = xliff.add_subparsers(dest="action", metavar="ACTION", required=True)
    p = actions.add_parser("export", help="write the document's catalog as XLIFF (default target/en/<doc>.xlf)")
    p.add_argument("document", metavar="DOC")
    p.add_argument("-o", "--output", type=Path, metavar="FILE", help="the XLIFF file to write")
    p.add_argument("--xliff-version", choices=("2.1", "1.2"), default="2.1", help="XLIFF version (default 2.1)")
    _add_languages(p)
    p = actions.add_parser("import", help="bring a translated XLIFF file back into the document's catalog")
    p.add_argument("document", metavar="DOC")
    p.add_argument("file", type=Path, metavar="FILE.xlf")

    glossary = sub.add_parser("glossary", help="glossary.csv as TBX: export, import")
    actions = glossary.add_subparsers(dest="action", metavar="ACTION", required=True)
    p = actions.add_parser("export", help="write glossary.csv as TBX-Basic")
    p.add_argument("-o", "--output", type=Path, required=True, metavar="FILE", help="the TBX file to write")
    _add_languages(p)
    p = actions.add_parser("import", help="add a termbase's new terms to glossary.csv; report conflicts")
    p.add_argument("file", type=Path, metavar="FILE.tbx")
    p.add_argument("--dry-run", action="store_true", help="report what would change; write nothing")


def _parse(parser: argparse.ArgumentParser, argv: list[str] | None) -> argparse.Namespace:
    """Parse; an unknown argument is reported with the usage of the command it was given to."""
    args, extras = parser.parse_known_args(argv)
    if extras:
        parser.commands.get(args.command, parser).error(f"unrecognized arguments: {' '.join(extras)}")
    return args


def main(argv: list[str] | None = None) -> int:
    prog = program_name()
    style = CliStyle(prog)
    parser = build_parser(prog)
    args = _parse(parser, argv)
    try:
        return _dispatch(parser, args, style)
    except L10nError as err:
        text = err.format(style)
        print(text if err.path else f"{prog}: {text}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print(f"{prog}: interrupted; finished batches were saved, run again to continue", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_OK


def _dispatch(parser: argparse.ArgumentParser, args: argparse.Namespace, style: CliStyle) -> int:
    from .config import find_project, load_config

    if args.check and args.command not in (None, "check"):
        parser.error("--check cannot be combined with a command")
    config = load_config(args.config or find_project(Path.cwd()))
    if args.check or args.command == "check":
        return run_check(config, stages.documents(config, getattr(args, "documents", None)),
                         args.only, args.skip, args.format, style)
    if args.command in ("tm", "xliff", "glossary"):
        return run_exchange(config, args)
    docs = stages.documents(config, getattr(args, "documents", None))
    if args.command is None:
        return run_all(config, args.only, args.skip, args.format, args.require_mt, style)
    if args.command == "update":
        return run_update(config, docs)
    if args.command == "pretranslate":
        engine = args.engine or config.engine
        overrides = {f.name: getattr(args, f.name) for f, _ in all_option_fields() if f.metadata.get("flag", True)}
        if args.ray not in (None, "", "auto", "local", "off") and ":" not in args.ray:
            # `--ray DOC`: an address has a colon (or is auto/local/off); this is a document name.
            docs = stages.documents(config, [args.ray, *args.documents])
            args.ray = ""
        return run_pretranslate(config, docs, engine, config.engine_options_for(engine, **overrides),
                                args.refresh_mt, not args.no_progress, _ray_settings(config, args.ray, args.ray_workers))
    if args.command == "score":
        return run_score(config, docs, args.json, args.worst)
    if args.command == "terms":
        return run_terms(config, docs, args)
    return run_build(config, docs, args.draft, style)


# --- each stage, printed --------------------------------------------------------------------

def _count(n: int, noun: str, plural: str = "") -> str:
    return f"{n} {noun if n == 1 else plural or noun + 's'}"


def run_update(config, docs) -> int:
    for result in stages.update(config, docs):
        s = result.stats
        doc = result.document
        size = f"{result.blocks} blocks, {result.segments} segments, {_count(result.entries, 'entry', 'entries')}"
        if s.created:
            print(f"{doc.catalog_display}: created: {size}")
        elif result.written:
            changes = [f"{s.new} new", f"{s.fuzzy} changed (fuzzy)", f"{s.obsoleted} obsolete", f"{s.revived} revived"]
            print(f"{doc.catalog_display}: updated: {size} ({', '.join(changes)})")
        else:
            print(f"{doc.catalog_display}: unchanged: {size}")
    return EXIT_OK


def _ray_settings(config, flag: str | None, workers: int | None):
    """Where pre-translation runs: None (this process) or l10n.distributed.RaySettings, from
    `--ray [ADDRESS]` (None: not given; "": given without an address) and [tool.l10n]."""
    from .distributed import RaySettings, address_problem

    if flag == "off":
        address = None
    elif flag is None:
        address = config.ray or None
    elif flag == "":
        address = config.ray or ""
    else:
        problem = address_problem(flag)
        if problem:
            raise L10nError(f"--ray {flag}: {problem}")
        address = flag
    if address is None:
        if workers is not None:
            raise L10nError("--ray-workers is for a run on Ray: add --ray, or set ray in [tool.l10n]")
        return None
    if workers is not None and not 0 <= workers <= 4096:
        raise L10nError(f"--ray-workers {workers} is out of range (0–4096)")
    return RaySettings(address or None, config.ray_workers if workers is None else workers)


def run_pretranslate(config, docs, engine: str, options, refresh: bool, progress: bool, ray=None) -> int:
    def on_load(name: str, model: str) -> None:
        where = "" if ray is None else f" on Ray ({ray.address or 'RAY_ADDRESS, a cluster on this machine, else a local one'})"
        print(f"loading {name} model {model}{where} …", file=sys.stderr)
        if not progress or not sys.stderr.isatty():
            stages.quiet_model_loading()

    result = stages.pretranslate(config, docs, engine, options, refresh=refresh, progress=progress, on_load=on_load,
                                 ray=ray)
    where = f" ({result.workers})" if result.workers else ""
    print("pretranslate: " + (f"{result.engine} {result.model}{where}" if result.loaded
                              else "no entry needs MT; no model loaded"))
    for line in result.summary.lines():
        print("  " + line)
    if len(result.documents) > 1:
        print("  per document:")
        for name, summary in result.documents:
            print(f"    {name}: {summary.brief()}")
    return EXIT_OK


def run_score(config, docs, as_json: bool, worst: int) -> int:
    from .score import format_report

    report = stages.score(config, docs)
    names = [d.name for d in docs]
    if as_json:
        print(json.dumps({"documents": names, **report.as_dict()}, ensure_ascii=False, indent=2))
    else:
        print(format_report(report, names, worst))
    return EXIT_OK


def run_build(config, docs, draft: bool, style: CliStyle) -> int:
    from .problems import shorten

    status = EXIT_OK
    results = stages.build(config, docs, draft)
    for result in results:
        doc = result.document
        if not result.published:
            for gap in result.gaps:
                where = f"{doc.catalog_display}:{gap.entry_line}" if gap.entry_line else doc.catalog_display
                print(f"{where}: [{gap.status}] {shorten(gap.msgid, 40)} ({doc.source_display}:{gap.line})",
                      file=sys.stderr)
            remedy = style.render((RunStage("build", (("draft", True),)),))
            print(f"{doc.catalog_display}: not published: {len(result.gaps)} entries are fuzzy or untranslated; "
                  f"review them, or {remedy.removeprefix('run ')}", file=sys.stderr)
            status = EXIT_PROBLEMS
            continue
        print(f"{', '.join(result.outputs)}: {'written' if result.written else 'unchanged'}{' (draft)' if draft else ''}")
    index = results.index
    print(f"{index.path}: {'written' if index.written else 'unchanged'} "
          f"(contents of the published edition: {_count(index.articles, 'article')})")
    return status


def run_terms(config, docs, args) -> int:
    if args.top < 1:
        raise L10nError("--top must be at least 1")
    engine = options = None
    if args.mt:
        engine = args.engine or config.engine
        overrides = {f.name: getattr(args, f.name) for f, _ in all_option_fields() if f.metadata.get("flag", True)}
        options = config.engine_options_for(engine, **overrides)
    result = stages.terms(config, docs, args.top, engine, options, args.output,
                          on_load=lambda name, model: print(f"loading {name} model {model} …", file=sys.stderr))
    print(f"{config.rel(result.path)}: {_count(result.candidates, 'candidate')} "
          f"({'written' if result.written else 'unchanged'}); {result.from_reviewed} rendered from reviewed entries, "
          f"{result.asked} asked of the MT engine, {result.unproposed} without a proposal"
          + ("" if args.mt or not result.unproposed else "; add --mt to ask the MT engine for those"))
    return EXIT_OK


def _skipped(skipped: dict[str, int]) -> str:
    return ", ".join(f"{n} with {why}" for why, n in sorted(skipped.items())) or "none"


def run_exchange(config, args) -> int:
    if args.command == "tm" and args.action == "export":
        docs = stages.documents(config, args.documents)
        result = stages.tm_export(config, docs, args.output, args.source_lang, args.target_lang)
        print(f"{result.output}: {'written' if result.written else 'unchanged'}: "
              f"{_count(result.count, 'translation unit')} from {_count(len(docs), 'document')}")
        return EXIT_OK
    if args.command == "tm":
        result = stages.tm_import(config, args.file)
        print(f"{result.source}: {_count(result.units, 'zh → en unit')} imported into {result.stored}"
              f"{' (replacing the earlier import)' if result.replaced else ''}; skipped: {_skipped(result.skipped)}")
        return EXIT_OK
    if args.command == "xliff" and args.action == "export":
        doc = stages.documents(config, [args.document])[0]
        result = stages.xliff_export(config, doc, args.output, args.xliff_version, args.source_lang, args.target_lang)
        print(f"{result.output}: {'written' if result.written else 'unchanged'}: XLIFF {args.xliff_version}, "
              f"{_count(result.count, 'unit')}")
        return EXIT_OK
    if args.command == "xliff":
        doc = stages.documents(config, [args.document])[0]
        result = stages.xliff_import(config, doc, args.file)
        r = result.report
        for line, message in r.reported:
            print(f"{result.source}:{line}: {message}", file=sys.stderr)
        print(f"{result.catalog}: {'updated' if result.written else 'unchanged'} from {result.source}: "
              f"{r.applied} translations taken, {r.confirmed} drafts confirmed, {r.unchanged} unchanged, "
              f"{r.untranslated} untranslated in the file, {len(r.reported)} not imported (listed above)")
        return EXIT_PROBLEMS if r.reported else EXIT_OK
    if args.action == "export":
        result = stages.glossary_export(config, args.output, args.source_lang, args.target_lang)
        print(f"{result.output}: {'written' if result.written else 'unchanged'}: TBX-Basic, "
              f"{_count(result.count, 'term')}")
        return EXIT_OK
    result = stages.glossary_import(config, args.file, args.dry_run)
    m = result.merge
    for line, message in m.reported:
        print(f"{result.source}:{line}: {message}", file=sys.stderr)
    for zh, en, _, _ in m.added:
        print(f"  + {zh} → {en}")
    verb = "would add" if args.dry_run else "added"
    state = "dry run, nothing written" if args.dry_run else ("updated" if result.written else "unchanged")
    print(f"{result.glossary}: {state}: {verb} {_count(len(m.added), 'new term')}, {m.same} already there, "
          f"{len(m.reported)} reported (listed above); skipped in {result.source}: {_skipped(result.skipped)}")
    return EXIT_PROBLEMS if m.reported else EXIT_OK


def run_check(config, docs, only, skip, fmt: str, style: CliStyle) -> int:
    result = stages.check(config, docs, only, skip)
    if fmt == "json":
        print(json.dumps({
            "problems": [p.as_dict(style) for p in result.problems],
            "checks": result.ran,
            "documents": result.documents,
            "ok": not result.problems,
        }, ensure_ascii=False, indent=2))
    else:
        for problem in result.problems:
            print(problem.format(style))
        files = len({p.path for p in result.problems})
        if result.problems:
            print(f"{len(result.problems)} problem(s) in {files} file(s); {_count(len(result.ran), 'check')} run on {len(docs)} document(s)")
        else:
            print(f"OK: {_count(len(result.ran), 'check')} passed on {len(docs)} document(s)")
    if any(p.fatal for p in result.problems):
        return EXIT_USAGE
    return EXIT_PROBLEMS if result.problems else EXIT_OK


def run_all(config, only, skip, fmt: str, require_mt: bool, style: CliStyle) -> int:
    """The main job: every stage on the configured documents."""
    docs = stages.documents(config)
    print("== update")
    run_update(config, docs)
    print("== pretranslate")
    engine = config.engine
    try:
        run_pretranslate(config, docs, engine, config.engine_options_for(engine), refresh=False, progress=True,
                         ray=_ray_settings(config, None, None))
    except ModelUnavailable as err:
        if require_mt:
            raise
        print(f"pretranslate: skipped: {err.format(style)} (entries that need MT stay as they are; "
              f"{style.option('require_mt')} makes this an error)")
    print("== score")
    run_score(config, docs, False, 10)
    print("== build")
    status = EXIT_OK
    published = [d for d in docs if d.published]
    drafts = [d for d in docs if not d.published]
    if published:
        status = run_build(config, published, False, style)
    if drafts:
        run_build(config, drafts, True, style)
    print("== check")
    return max(status, run_check(config, docs, only, skip, fmt, style))

