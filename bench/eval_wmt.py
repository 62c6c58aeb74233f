"""MT quality on text nobody tuned to: the news documents of WMT22 zh→en, through the real path.

Each news document of the test set becomes a source text of a throw-away project (one line of the
test set per paragraph, set apart so that segmentation never joins two lines); `update` makes the
catalogs and `pretranslate` fills them with the engine setting under test, exactly as a user's run
would (memory, glossary prompting, MT QA, repair). The translation of each test line is the MT of
its segments, in order. Reported, side by side with the six submissions of WMT22 on the same lines
(against reference A):

  chrF, BLEU          sacrebleu defaults, the signatures printed
  number accuracy     the share of source numbers (l10n.numbers: 万/亿 amounts, dates, durations,
                      ordinals, percentages …) that the translation renders with the right value
  MT QA pass rate     the share of segments whose MT output passes every MT QA check (l10n.qa)
  unflagged numbers   number errors left in segments that MT QA did not flag
  s/segment           pre-translation time per segment, model loading excluded (reported apart)

The test set is used to measure only: no prompt example, memory entry or glossary entry comes from
it. Prompt examples (when the setting uses them) come from the reviewed catalogs given with
--memory (by default the shipped article's), which are other documents.

Which lines are news: a document starts at a headline line that ends with the outlet's name
(`…-新华网`, `… - 湖南日报网 - 华声在线`) and runs while lines read as running text (at least 14
characters or ending in 。 or ”, no chat placeholder like #PRS_ORG#); a short line inside is kept
when the two lines after it read as text. `--list` prints the documents this finds.

Usage (from the repository root):
  python bench/eval_wmt.py --list
  python bench/eval_wmt.py --tag NAME --engine llm --set model=/path/model.gguf --set runtime=ct2 \\
      [--set context=0 …] [--docs N] [--lines N] [--out bench/wmt-results.md]
Results of each run are kept in .l10n-cache/eval-wmt/<tag>.json; `--report` rewrites the table
from all kept runs without translating anything.
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import shlex
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WMT = ROOT.parent / "shared" / "eval" / "wmt22-zh-en"
SRC = "generaltest2022.zh-en.src.zh"
REF = "generaltest2022.zh-en.ref.A.en"
SYSTEMS = ("JDExploreAcademy", "LanguageX", "HuaweiTSC", "Online-B", "NiuTrans", "Online-W")
CACHE = ROOT / ".l10n-cache" / "eval-wmt"

HEADLINE = re.compile(r"[-－—]\s*(新华网|[^-－—]{0,12}网[^-－—]{0,20}|华声在线)\s*$")
CHAT = re.compile(r"#(PRS_ORG|NAME|PRS|ORG|EMAIL|URL|PHONE|ADDRESS)")


def read_lines(name: str) -> list[str]:
    lines = (WMT / name).read_text(encoding="utf-8").split("\n")
    return lines[:-1] if lines and lines[-1] == "" else lines


def _text_like(line: str) -> bool:
    return not CHAT.search(line) and (len(line) >= 14 or line.endswith(("。", "”")))


def news_documents(source: list[str]) -> list[tuple[int, int]]:
    """(first, end) line indices of each news document (see the module's docstring)."""
    heads = [i for i, line in enumerate(source) if HEADLINE.search(line)]
    starts = set(heads)
    docs = []
    for head in heads:
        end = head + 1
        while end < len(source) and end not in starts:
            line = source[end]
            if _text_like(line) or (not CHAT.search(line) and end + 2 < len(source)
                                    and _text_like(source[end + 1]) and _text_like(source[end + 2])):
                end += 1
            else:
                break
        docs.append((head, end))
    return docs


PYPROJECT = """\
[tool.l10n]
source_dir = "source/zh"
target_dir = "target/en"
glossary = ""
documents = ["*"]
engine = "{engine}"
{batch_size}{engine_table}
"""


def toml_value(text: str):
    """A --set value as TOML: numbers and booleans as such, anything else quoted."""
    if re.fullmatch(r"-?\d+", text):
        return text
    if re.fullmatch(r"-?\d+\.\d*", text) or text in ("true", "false"):
        return text
    return json.dumps(text)


def make_project(work: Path, docs: list[tuple[int, int]], source: list[str], engine: str, settings: dict[str, str],
                 batch_size: int, memory: list[Path]) -> Path:
    """A project with one source text per document; test lines are paragraphs set apart by two
    blank lines (a gap that segmentation never bridges); the memory catalogs in the target folder."""
    (work / "source" / "zh").mkdir(parents=True)
    (work / "target" / "en").mkdir(parents=True)
    for n, (first, end) in enumerate(docs):
        (work / "source" / "zh" / f"news-{n:02d}.txt").write_text("\n\n\n".join(source[first:end]) + "\n", encoding="utf-8")
    for i, catalog in enumerate(memory):
        shutil.copyfile(catalog, work / "target" / "en" / f"memory-{i}-{catalog.name}")
    table = ""
    if settings:
        table = f"\n[tool.l10n.engines.{engine}]\n" + "".join(f"{k} = {toml_value(v)}\n" for k, v in settings.items())
    (work / "pyproject.toml").write_text(PYPROJECT.format(
        engine=engine, batch_size=f"batch_size = {batch_size}\n" if batch_size else "", engine_table=table),
                                         encoding="utf-8")
    return work / "pyproject.toml"


def timed_pretranslate(config, targets, engine: str, options):
    """`stages.pretranslate` as a user's run does it: (result, seconds in all, seconds loading the model).
    Converted models are kept in the repository's cache, not the throw-away project's (which would
    convert them again on every run)."""
    from dataclasses import replace

    import l10n.engines
    from l10n import stages

    options = replace(options, cache_dir=str(ROOT / ".l10n-cache"))

    loading = {"seconds": 0.0}
    real_load = l10n.engines.load_engine

    def timed_load(name, options):
        t0 = time.perf_counter()
        engine = real_load(name, options)
        loading["seconds"] = time.perf_counter() - t0
        return engine

    l10n.engines.load_engine = timed_load
    try:
        t0 = time.perf_counter()
        result = stages.pretranslate(config, targets, engine, options, progress=False)
        return result, time.perf_counter() - t0, loading["seconds"]
    finally:
        l10n.engines.load_engine = real_load


def translate(args, docs, source) -> dict:
    """Run update and pretranslate on a throw-away project; the MT of each test line, with timing
    and MT QA per segment."""
    from l10n import stages
    from l10n.config import load_config
    from l10n.notes import get_notes
    from l10n.pofile import read_catalog

    settings = dict(s.split("=", 1) for s in args.set)
    memory = [Path(p) for p in args.memory]
    work = Path(tempfile.mkdtemp(prefix="eval-wmt-"))
    try:
        config = load_config(make_project(work, docs, source, args.engine, settings, args.batch_size, memory))
        targets = [d for d in config.documents if d.name.startswith("news-")]
        stages.update(config, targets)
        result, total, load_seconds = timed_pretranslate(config, targets, args.engine,
                                                         config.engine_options_for(args.engine))
        lines: dict[int, list[str]] = {}
        qa: dict[int, list[list[str]]] = {}
        segments = 0
        for doc, (first, _) in zip(targets, docs):
            for entry in read_catalog(doc.catalog, doc.catalog_display):
                if entry.obsolete:
                    continue
                record = get_notes(entry)
                for _, line in entry.occurrences:
                    # paragraph k of the text starts on line 3k + 1 (two blank lines between)
                    index = first + (int(line) - 1) // 3
                    lines.setdefault(index, []).append((int(line), entry.msgstr or record.mt or ""))
                    qa.setdefault(index, []).append(list(record.mt_qa))
                segments += len(entry.occurrences)
        hyps = {i: " ".join(t for _, t in sorted(parts)) for i, parts in lines.items()}
        summary = result.summary
        return {
            "hyps": hyps, "qa": qa, "segments": segments, "seconds": total,
            "load_seconds": load_seconds, "engine": result.engine, "model": result.model,
            "summary": summary.lines() if hasattr(summary, "lines") else [],
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)


def number_accuracy(sources: list[str], hyps: list[str]) -> tuple[int, int, list[tuple[int, str]]]:
    """(numbers rendered right, numbers in the sources, [(line index, problem)])."""
    from l10n.numbers import number_problems, source_numbers

    total = right = 0
    problems = []
    for i, (src, hyp) in enumerate(zip(sources, hyps)):
        found = source_numbers(src)
        wrong = number_problems(src, hyp)
        total += len(found)
        right += len(found) - min(len(wrong), len(found))
        problems += [(i, str(p)) for p in wrong]
    return right, total, problems


def corpus_scores(hyps: list[str], refs: list[str]) -> dict:
    from sacrebleu.metrics import BLEU, CHRF

    out = {}
    for name, metric in (("chrF", CHRF()), ("BLEU", BLEU())):
        out[name] = round(metric.corpus_score(hyps, [refs]).score, 2)
        out[name + " signature"] = str(metric.get_signature())
    return out


def evaluate(run: dict, indices: list[int], source: list[str], refs: list[str]) -> dict:
    hyps = [run["hyps"].get(i, "") for i in indices]
    srcs = [source[i] for i in indices]
    scores = corpus_scores(hyps, [refs[i] for i in indices])
    right, total, problems = number_accuracy(srcs, hyps)
    flagged_lines = {i for i in indices if any(run["qa"].get(i, []))}
    unflagged = [(indices[k], p) for k, p in problems if indices[k] not in flagged_lines]
    segment_qa = [q for i in indices for q in run["qa"].get(i, [])]
    passed = sum(1 for q in segment_qa if not q)
    mt_seconds = run["seconds"] - run["load_seconds"]
    return {
        **scores, "numbers right": right, "numbers": total, "number problems": problems,
        "unflagged number problems": unflagged, "qa passed": passed, "qa segments": len(segment_qa),
        "s/segment": mt_seconds / max(1, run["segments"]), "load s": run["load_seconds"],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--list", action="store_true", help="print the news documents found and stop")
    parser.add_argument("--tag", help="name of this setting (the row of the table)")
    parser.add_argument("--note", default="", help="what the row's code or set-up was, for the report")
    parser.add_argument("--engine", default="llm")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="an option of the engine, as in [tool.l10n.engines.<engine>] (repeatable)")
    parser.add_argument("--batch-size", type=int, default=0, help="segments per model call (default: the engine's own)")
    parser.add_argument("--memory", action="append", default=None, metavar="PO",
                        help="reviewed catalogs for prompt examples (default: the shipped article's)")
    parser.add_argument("--docs", type=int, default=0, help="only the first N news documents")
    parser.add_argument("--lines", type=int, default=0, help="at most N lines per document")
    parser.add_argument("--out", default=str(ROOT / "bench" / "wmt-results.md"))
    parser.add_argument("--report", action="store_true", help="rewrite the table from the kept runs only")
    args = parser.parse_args(argv)
    if args.memory is None:
        args.memory = [str(ROOT / "target" / "en" / "changchun-equipment.po")]

    source, refs = read_lines(SRC), read_lines(REF)
    docs = news_documents(source)
    if args.docs:
        docs = docs[:args.docs]
    if args.lines:
        docs = [(first, min(end, first + args.lines)) for first, end in docs]
    indices = [i for first, end in docs for i in range(first, end)]
    if args.list:
        for first, end in docs:
            print(f"lines {first + 1}–{end}: {end - first:3d}  {source[first][:50]}")
        print(f"{len(docs)} documents, {len(indices)} lines")
        return 0
    CACHE.mkdir(parents=True, exist_ok=True)
    if not args.report:
        if not args.tag:
            parser.error("--tag is required to run a setting")
        started = time.strftime("%Y-%m-%d %H:%M")
        run = translate(args, docs, source)
        run.update({"tag": args.tag, "engine_setting": args.engine, "set": args.set, "memory": args.memory,
                    "docs": args.docs, "lines": args.lines, "started": started,
                    "command": "python bench/eval_wmt.py " + shlex.join(argv if argv is not None else sys.argv[1:]),
                    "load": _load(), "note": args.note})
        run["hyps"] = {str(k): v for k, v in run["hyps"].items()}
        run["qa"] = {str(k): v for k, v in run["qa"].items()}
        (CACHE / f"{args.tag}.json").write_text(json.dumps(run, ensure_ascii=False, indent=1), encoding="utf-8")
        print(f"{args.tag}: {run['segments']} segments in {run['seconds']:.0f} s (load {run['load_seconds']:.0f} s)")
    write_report(Path(args.out), source, refs)
    return 0


def _load() -> str:
    try:
        return Path("/proc/loadavg").read_text().split(" ", 3)[:3].__str__()
    except OSError:
        return "?"


def settings_line(run: dict, load: str, where: str = "") -> str:
    """One run under a results table: its command, engine and model, when, the load, its note."""
    return (f"- **{run['tag']}**: `{run['command']}` — {run['engine']} {run['model']}; {where}"
            f"{run.get('stamp', 'started')} {run['started']}, load average {load}; {run['segments']} segments"
            + (f". {run['note']}" if run.get("note") else ""))


def write_report(path: Path, source: list[str], refs: list[str]) -> None:
    runs = []
    for kept in sorted(CACHE.glob("*.json")):
        run = json.loads(kept.read_text(encoding="utf-8"))
        run["hyps"] = {int(k): v for k, v in run["hyps"].items()}
        run["qa"] = {int(k): v for k, v in run["qa"].items()}
        runs.append(run)
    if not runs:
        return
    out = ["# MT on WMT22 zh→en news documents", "",
           "Written by `python bench/eval_wmt.py` (see its docstring for the method). Each row is one setting, run "
           "through `update` and `pretranslate` on the news documents of the test set; the submissions of WMT22 are "
           "scored on the same lines. Reference A; sacrebleu defaults.", "",
           f"Machine: {platform.machine()}, Python {platform.python_version()}.", ""]
    groups: dict[tuple, list[dict]] = {}
    for run in runs:
        groups.setdefault((run["docs"], run["lines"]), []).append(run)
    for (ndocs, nlines), group in groups.items():
        docs = news_documents(source)
        docs = docs[:ndocs] if ndocs else docs
        if nlines:
            docs = [(f, min(e, f + nlines)) for f, e in docs]
        indices = [i for f, e in docs for i in range(f, e)]
        out += [f"## {len(docs)} documents, {len(indices)} lines", "",
                "| setting | chrF | BLEU | numbers right | MT QA pass | unflagged number errors | s/segment | load s |",
                "|---|---:|---:|---:|---:|---:|---:|---:|"]
        for run in group:
            r = evaluate(run, indices, source, refs)
            out.append(f"| {run['tag']} | {r['chrF']:.1f} | {r['BLEU']:.1f} | {r['numbers right']}/{r['numbers']} "
                       f"({100 * r['numbers right'] / max(1, r['numbers']):.1f}%) | "
                       f"{100 * r['qa passed'] / max(1, r['qa segments']):.1f}% | {len(r['unflagged number problems'])} | "
                       f"{r['s/segment']:.2f} | {r['load s']:.0f} |")
        for system in SYSTEMS:
            hyps = read_lines(f"system-outputs/generaltest2022.zh-en.hyp.{system}.en")
            fake = {"hyps": dict(enumerate(hyps)), "qa": {}, "segments": 1, "seconds": 0, "load_seconds": 0}
            r = evaluate(fake, indices, source, refs)
            out.append(f"| WMT22 {system} | {r['chrF']:.1f} | {r['BLEU']:.1f} | {r['numbers right']}/{r['numbers']} "
                       f"({100 * r['numbers right'] / max(1, r['numbers']):.1f}%) | | | | |")
        out += ["", "Settings:", ""]
        out += [settings_line(run, run["load"]) for run in group]
        signature = evaluate(group[0], indices, source, refs)
        out += ["", f"Signatures: chrF `{signature['chrF signature']}`, BLEU `{signature['BLEU signature']}`.", ""]
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    print(f"wrote {path}")


if __name__ == "__main__":
    sys.exit(main())
