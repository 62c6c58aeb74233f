"""MT quality on the shipped article through the real path, with prompt examples from other documents.

A copy of the project is made in a temporary directory. There the article's reviewed catalog is set
aside, and the catalogs given with --memory (by default bench/terms-check/hefei-ev.po, another
article) are the whole translation memory, so that no prompt example comes from the article itself.
`update` makes a fresh catalog, and `pretranslate` fills it with the setting under test, timed (model
loading included, and reported apart). The MT of each entry is then put next to its reviewed
translation (the set-aside catalog with this run's MT records), and the toolkit's own scoring runs on
that, as `translate.py score` would: BLEU, chrF, TER, glossary term accuracy and the MT QA pass rate;
plus number accuracy (l10n.numbers, as bench/eval_wmt.py counts it).

Usage (from the repository root):
  python bench/eval_article.py --tag NAME --engine llm --set model=/path/model.gguf [--set context=0 …]
  python bench/eval_article.py --report
Runs are kept in .l10n-cache/eval-article/<tag>.json; the table goes to bench/article-results.md.
"""

from __future__ import annotations

import argparse
import json
import platform
import shlex
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.eval_wmt import number_accuracy, settings_line, timed_pretranslate  # noqa: E402

CACHE = ROOT / ".l10n-cache" / "eval-article"
DEFAULT_MEMORY = ROOT / "bench" / "terms-check" / "hefei-ev.po"


def typed(options_class, settings: dict[str, str]) -> dict:
    """`--set` values converted to the types of the engine's options."""
    from l10n.engines import option_fields, option_type

    kinds = {f.name: option_type(f) for f in option_fields(options_class)}
    out = {}
    for key, text in settings.items():
        if key not in kinds:
            raise SystemExit(f"unknown option {key!r}; known: {', '.join(sorted(kinds))}")
        kind = kinds[key]
        out[key] = text.lower() in ("1", "true", "yes", "on") if kind is bool else kind(text)
    return out


def run_setting(args) -> dict:
    import polib

    from l10n.config import load_config
    from l10n.engines import ENGINES
    from l10n.notes import get_notes, set_notes
    from l10n.pofile import read_catalog
    from l10n.score import score_catalogs
    from l10n.stages import load_project_glossary, update

    config = load_config(ROOT / "pyproject.toml")
    started = time.strftime("%Y-%m-%d %H:%M")
    work = Path(tempfile.mkdtemp(prefix="eval-article-"))
    try:
        shutil.copyfile(ROOT / "pyproject.toml", work / "pyproject.toml")
        if config.glossary:
            shutil.copyfile(config.glossary, work / config.glossary.relative_to(config.root))
        shutil.copytree(config.source_dir, work / config.source_dir.relative_to(config.root))
        target = work / config.target_dir.relative_to(config.root)
        target.mkdir(parents=True)
        for i, catalog in enumerate(args.memory):
            shutil.copyfile(catalog, target / f"memory-{i}-{Path(catalog).name}")
        copy = load_config(work / "pyproject.toml")
        docs = [copy.document(d.name) for d in config.documents]
        update(copy, docs)
        options = copy.engine_options_for(args.engine, **typed(ENGINES[args.engine].options, dict(s.split("=", 1) for s in args.set)))
        result, seconds, load_seconds = timed_pretranslate(copy, docs, args.engine, options)

        merged, sources, hyps, segments = [], [], [], 0
        for doc, fresh_doc in zip(config.documents, docs):
            reviewed = read_catalog(doc.catalog, doc.catalog_display)
            fresh = {e.msgid: e for e in read_catalog(fresh_doc.catalog, fresh_doc.catalog_display) if not e.obsolete}
            for entry in reviewed:
                made = fresh.get(entry.msgid)
                if entry.obsolete or made is None:
                    continue
                mt = get_notes(made)
                notes = get_notes(entry)
                notes.mt, notes.mt_key, notes.mt_qa, notes.mt_rounds = mt.mt, mt.mt_key, mt.mt_qa, mt.mt_rounds
                set_notes(entry, notes)
                if mt.mt is not None:
                    sources.append(entry.msgid)
                    hyps.append(mt.mt)
                segments += 1
            merged.append((doc.name, reviewed))
        report = score_catalogs(merged, load_project_glossary(config))
        right, total, problems = number_accuracy(sources, hyps)
        return {
            "tag": args.tag, "engine": result.engine, "model": result.model, "set": args.set,
            "memory": [str(Path(m).resolve().relative_to(ROOT)) if Path(m).resolve().is_relative_to(ROOT) else str(m)
                       for m in args.memory],
            "segments": segments, "seconds": seconds, "load_seconds": load_seconds,
            "bleu": report.bleu, "chrf": report.chrf, "ter": report.ter, "signatures": report.signatures,
            "terms_ok": report.terms_ok, "terms_total": report.terms_total,
            "qa_passed": report.qa_passed, "qa_checked": report.qa_checked,
            "qa_problems": dict(report.qa_problems),
            "numbers_right": right, "numbers": total, "number_problems": [p for _, p in problems],
            "repaired": getattr(result.summary, "repaired", None),
            "started": started, "load": Path("/proc/loadavg").read_text().split()[:3],
            "command": "python bench/eval_article.py " + shlex.join(sys.argv[1:]), "note": args.note,
            "hyps": hyps,
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)


def write_report(path: Path) -> None:
    runs = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(CACHE.glob("*.json"))]
    if not runs:
        return
    out = ["# MT on the shipped article, examples from another document", "",
           "Written by `python bench/eval_article.py` (see its docstring for the method): the article pre-translated "
           "afresh through `update` and `pretranslate`, with the translation memory holding other documents only, "
           "and scored against its reviewed translations as `translate.py score` does.", "",
           f"Machine: {platform.machine()}, Python {platform.python_version()}.", "",
           "| setting | chrF | BLEU | TER | terms | numbers right | MT QA pass | s/segment | run s (load) |",
           "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in runs:
        mt_s = (r["seconds"] - r["load_seconds"]) / max(1, r["segments"])
        out.append(f"| {r['tag']} | {r['chrf']:.2f} | {r['bleu']:.2f} | {r['ter']:.2f} | "
                   f"{r['terms_ok']}/{r['terms_total']} ({100 * r['terms_ok'] / max(1, r['terms_total']):.1f}%) | "
                   f"{r['numbers_right']}/{r['numbers']} ({100 * r['numbers_right'] / max(1, r['numbers']):.1f}%) | "
                   f"{100 * r['qa_passed'] / max(1, r['qa_checked']):.1f}% | {mt_s:.2f} | "
                   f"{r['seconds']:.0f} ({r['load_seconds']:.0f}) |")
    out += ["", "Settings:", ""]
    out += [settings_line(r, " ".join(r["load"]), f"memory {', '.join(r['memory'])}; ") for r in runs]
    for r in runs:
        if r["number_problems"]:
            out += ["", f"Number errors left by **{r['tag']}**:", ""]
            out += [f"- {p}" for p in r["number_problems"]]
    out += ["", f"Signatures: {json.dumps(runs[0]['signatures'], ensure_ascii=False)}", ""]
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    print(f"wrote {path}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tag", help="name of this setting (the row of the table)")
    parser.add_argument("--note", default="", help="what the row's code or set-up was, for the report")
    parser.add_argument("--engine", default="llm")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="an engine option (repeatable)")
    parser.add_argument("--memory", action="append", default=None, metavar="PO",
                        help="a reviewed catalog of another document for the translation memory (repeatable)")
    parser.add_argument("--out", default=str(ROOT / "bench" / "article-results.md"))
    parser.add_argument("--report", action="store_true", help="rewrite the table from the kept runs only")
    args = parser.parse_args(argv)
    args.memory = args.memory if args.memory is not None else [str(DEFAULT_MEMORY)]
    if not args.report:
        if not args.tag:
            parser.error("--tag is required to run a setting")
        run = run_setting(args)
        CACHE.mkdir(parents=True, exist_ok=True)
        (CACHE / f"{args.tag}.json").write_text(json.dumps(run, ensure_ascii=False, indent=1), encoding="utf-8")
        print(f"{args.tag}: {run['segments']} segments in {run['seconds']:.0f} s (load {run['load_seconds']:.0f} s); "
              f"chrF {run['chrf']:.2f} BLEU {run['bleu']:.2f} terms {run['terms_ok']}/{run['terms_total']} "
              f"numbers {run['numbers_right']}/{run['numbers']}")
    write_report(Path(args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
