"""How well `translate.py terms` rebuilds a glossary when the glossary is hidden.

Two articles, each with a reviewed catalog and a glossary taken as the gold standard:

* changchun-equipment, the article shipped with the project, and its 87-entry glossary.csv;
* hefei-ev (bench/terms-check/), a second news article written for this measurement, with its
  own reviewed catalog and a 33-entry glossary of its names and terms. It was written before
  the ranking was reworked, and first measured after; see terms-results.md for what was changed
  after looking at it.

A throw-away project holds the article, its reviewed catalog and an empty glossary (header
only); `translate.py terms --top N` runs there exactly as a translator would run it, and the
candidates file it writes is compared with the gold terms:

* recall: the share of gold terms (by their Chinese, exactly) among the top N candidates, for
  several N;
* renderings: for the gold terms recovered in the top N, the share whose proposed English equals
  the glossary's `en` (exactly, except the case of the first letter, which the glossary's own
  term check ignores too); also the share equal to `en` or one of its `variants`, and the share
  equal when case and a plural -s are ignored (golden calling cards = golden calling card).

The shipped article is also measured without the bilingual lexicon, so the lexicon's share of
the result is visible. Writes bench/terms-results.md (the tables; the prose around them is kept).

    python bench/terms_recall.py [--top 150]
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CUTOFFS = (50, 100, 150)
PYPROJECT = """\
[tool.l10n]
source_dir = "source/zh"
target_dir = "target/en"
glossary = "glossary.csv"
documents = ["{doc}"]
"""


@dataclass
class Article:
    name: str
    source: Path
    catalog: Path
    glossary: Path


ARTICLES = [
    Article("changchun-equipment", ROOT / "source" / "zh" / "changchun-equipment.txt",
            ROOT / "target" / "en" / "changchun-equipment.po", ROOT / "glossary.csv"),
    Article("hefei-ev", ROOT / "bench" / "terms-check" / "hefei-ev.txt",
            ROOT / "bench" / "terms-check" / "hefei-ev.po", ROOT / "bench" / "terms-check" / "hefei-ev.glossary.csv"),
]


def _same(a: str, b: str) -> bool:
    return a[:1].lower() == b[:1].lower() and a[1:] == b[1:]


def _loose(text: str) -> tuple[str, ...]:
    words = re.findall(r"[A-Za-z0-9]+(?:[-'’][A-Za-z0-9]+)*", text.lower())
    return tuple(w[:-3] + "y" if len(w) > 4 and w.endswith("ies") else w[:-1] if len(w) > 3 and w.endswith("s")
                 and not w.endswith("ss") else w for w in words)


def make_project(tmp: Path, article: Article) -> Path:
    (tmp / "source" / "zh").mkdir(parents=True)
    (tmp / "target" / "en").mkdir(parents=True)
    shutil.copyfile(article.source, tmp / "source" / "zh" / f"{article.name}.txt")
    shutil.copyfile(article.catalog, tmp / "target" / "en" / f"{article.name}.po")
    (tmp / "pyproject.toml").write_text(PYPROJECT.format(doc=article.name), encoding="utf-8")
    (tmp / "glossary.csv").write_text("zh,en,note\n", encoding="utf-8")  # the glossary, hidden
    return tmp


def run_terms(project: Path, top: int, lexicon: bool) -> tuple[list[dict], float, str]:
    import l10n.terms
    from l10n.cli import main

    saved = l10n.terms.load_lexicon
    if not lexicon:
        l10n.terms.load_lexicon = lambda: None
    out, err = io.StringIO(), io.StringIO()
    start = time.perf_counter()
    try:
        with redirect_stdout(out), redirect_stderr(err):
            code = main(["--config", str(project / "pyproject.toml"), "terms", "--top", str(top)])
    finally:
        elapsed = time.perf_counter() - start
        l10n.terms.load_lexicon = saved
    if code != 0:
        raise SystemExit(f"terms failed ({code}): {err.getvalue()}")
    rows = list(csv.DictReader((project / "target" / "en" / "glossary.candidates.csv").open(encoding="utf-8")))
    return rows, elapsed, out.getvalue().strip()


def measure(rows: list[dict], gold: list[dict], top: int) -> dict:
    by_zh = {r["zh"]: r for r in rows[:top]}
    found = [g for g in gold if g["zh"] in by_zh]
    exact = [g for g in found if _same(by_zh[g["zh"]]["en"], g["en"])]
    forms = [g for g in found if any(_same(by_zh[g["zh"]]["en"], f)
                                     for f in [g["en"], *filter(None, (g.get("variants") or "").split("|"))])]
    loose = [g for g in found if _loose(by_zh[g["zh"]]["en"]) == _loose(g["en"])]
    return {"found": found, "exact": exact, "forms": forms, "loose": loose, "by_zh": by_zh}


def _share(part: list, whole: list) -> str:
    return f"{len(part)}/{len(whole)} = {100 * len(part) / max(len(whole), 1):.1f}%"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--top", type=int, default=max(CUTOFFS))
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "terms-results.md")
    args = parser.parse_args()
    cutoffs = sorted({c for c in CUTOFFS if c <= args.top} | {args.top})
    runs = []  # (article, lexicon, rows, elapsed, gold)
    for article in ARTICLES:
        gold = list(csv.DictReader(article.glossary.open(encoding="utf-8")))
        for lexicon in ((True, False) if article is ARTICLES[0] else (True,)):
            with tempfile.TemporaryDirectory() as tmp:
                rows, elapsed, _ = run_terms(make_project(Path(tmp), article), args.top, lexicon)
            runs.append((article, lexicon, rows, elapsed, gold))
    load = subprocess.run(["sh", "-c", "uptime"], check=False, capture_output=True, text=True).stdout.strip()
    table = [
        f"`python bench/terms_recall.py --top {args.top}`; machine: {platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}; load at the end: `{load}`.",
        "",
        "| article (gold terms) | setting | top N | gold terms in the top N | proposed = glossary `en` "
        "| = `en` or a variant | = `en` ignoring case and plural -s | time |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for article, lexicon, rows, elapsed, gold in runs:
        setting = "with CC-CEDICT lexicon (default)" if lexicon else "co-occurrence only (no lexicon)"
        for n in cutoffs:
            m = measure(rows, gold, n)
            table.append(f"| {article.name} ({len(gold)}) | {setting} | {n} | {_share(m['found'], gold)} | "
                         f"{_share(m['exact'], m['found'])} | {_share(m['forms'], m['found'])} | "
                         f"{_share(m['loose'], m['found'])} | {elapsed:.1f} s |")
    details = []
    for article, lexicon, rows, _, gold in runs:
        if not lexicon:
            continue
        m = measure(rows, gold, args.top)
        rank = {r["zh"]: i + 1 for i, r in enumerate(rows)}
        details += [f"### {article.name}, top {args.top}", "",
                    "| gold zh | glossary en | rank | proposed en | source | |", "|---|---|---|---|---|---|"]
        for g in gold:
            r = m["by_zh"].get(g["zh"])
            if r is None:
                details.append(f"| {g['zh']} | {g['en']} | – | | | missed |")
            else:
                mark = "=" if g in m["exact"] else ("variant" if g in m["forms"] else ("≈" if g in m["loose"] else "≠"))
                details.append(f"| {g['zh']} | {g['en']} | {rank[g['zh']]} | {r['en']} | {r['source']} | {mark} |")
        details.append("")
    write_results(args.out, table, details)
    print("\n".join(table))
    return 0


BEGIN, END = "<!-- figures: begin -->", "<!-- figures: end -->"
DETAILS_BEGIN, DETAILS_END = "<!-- details: begin -->", "<!-- details: end -->"


def write_results(path: Path, table: list[str], details: list[str]) -> None:
    """Replace the generated blocks of the results file, keeping the prose around them."""
    text = path.read_text(encoding="utf-8") if path.exists() else f"# Term candidates\n\n{BEGIN}\n{END}\n\n{DETAILS_BEGIN}\n{DETAILS_END}\n"
    for begin, end, lines in ((BEGIN, END, table), (DETAILS_BEGIN, DETAILS_END, details)):
        if begin in text and end in text:
            head, rest = text.split(begin, 1)
            text = head + begin + "\n" + "\n".join(lines).rstrip() + "\n" + end + rest.split(end, 1)[1]
        else:
            text += f"\n{begin}\n" + "\n".join(lines).rstrip() + f"\n{end}\n"
    path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
