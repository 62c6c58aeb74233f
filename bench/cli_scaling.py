"""`update` and `--check` on synthetic catalogs of 1,000 / 10,000 / 100,000 entries.

Each size gets its own throw-away project (pyproject.toml with [tool.l10n], one source document,
the repository's glossary). The CLI runs in a child process; its wall time and peak RSS come from
os.wait4 for that child alone.

The first project's catalog is untranslated, so its `--check` skips the translation checks. A
second project per size, `--check (reviewed)`, is fully reviewed: every sentence is a reviewed
sentence of the sample article with its published translation, numbered (第N项，… / Item N: …),
so that every segment check runs on every entry.
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ARTICLE = ROOT / "source" / "zh" / "changchun-equipment.txt"
DOC = "synthetic"

# The [tool.l10n] keys of l10n/config.py (source_dir, target_dir, glossary, documents,
# published, max_source_mb). tests/conftest.py has its own template on purpose: the benchmark
# does not import the test suite, and it needs a larger max_source_mb.
PYPROJECT = """\
[project]
name = "bench-{n}"

[tool.l10n]
source_dir = "source/zh"
target_dir = "target/en"
glossary = "glossary.csv"
documents = ["{doc}"]
published = []
engine = "marian"
model = "Helsinki-NLP/opus-mt-zh-en"
max_source_mb = 64
"""

DIGITS = "零一二三四五六七八九"


def _phrases() -> list[str]:
    """Clause-sized pieces of the article, the raw material of the synthetic sentences."""
    text = ARTICLE.read_text(encoding="utf-8")
    pieces: list[str] = []
    for line in text.splitlines():
        for part in line.replace("。", "，").replace("；", "，").replace("！", "，").split("，"):
            part = part.strip(" \u3000“”—")
            if 4 <= len(part) <= 24 and "记者" not in part:
                pieces.append(part)
    return sorted(set(pieces))


def synthetic_source(n: int, seed: int = 0) -> str:
    """n distinct Chinese sentences, five to a paragraph, paragraphs separated by a blank line.

    Every sentence carries its own number (in Chinese digits) so that no two are the same and
    the catalog has n entries.
    """
    rng = random.Random(seed)
    phrases = _phrases()
    lines: list[str] = []
    paragraph: list[str] = []
    for i in range(n):
        number = "".join(DIGITS[int(d)] for d in str(i + 1))
        clauses = rng.sample(phrases, rng.randint(2, 3))
        paragraph.append(f"第{number}项，" + "，".join(clauses) + "。")
        if len(paragraph) == 5:
            lines.append("".join(paragraph))
            paragraph = []
    if paragraph:
        lines.append("".join(paragraph))
    return "\n\n".join(lines) + "\n"


def make_project(directory: Path, n: int) -> Path:
    """A project with one source document of n sentences; returns its pyproject.toml."""
    (directory / "source" / "zh").mkdir(parents=True, exist_ok=True)
    (directory / "target" / "en").mkdir(parents=True, exist_ok=True)
    (directory / "source" / "zh" / f"{DOC}.txt").write_text(synthetic_source(n), encoding="utf-8")
    shutil.copy(ROOT / "glossary.csv", directory / "glossary.csv")
    config = directory / "pyproject.toml"
    config.write_text(PYPROJECT.format(n=n, doc=DOC), encoding="utf-8")
    return config


ITEM_DIGITS = "零一二三四五六七八九"


def reviewed_pairs() -> list[tuple[str, str]]:
    """(Chinese, English) of the article's reviewed sentences that pass every segment check on
    their own (no short form waiting for its full form, no explained exception), in order."""
    sys.path.insert(0, str(ROOT))
    import polib

    from l10n.notes import get_notes
    from l10n.pofile import is_reviewed, render
    from l10n import qa
    from l10n.glossary import load_glossary

    glossary = load_glossary(ROOT / "glossary.csv", "glossary.csv")
    pairs = []
    for entry in polib.pofile(str(ROOT / "target" / "en" / "changchun-equipment.po")):
        block = get_notes(entry).block
        if not is_reviewed(entry) or block not in ("paragraph", "list-item") or not entry.msgid.endswith("。"):
            continue
        if "l10n: allow" in (entry.tcomment or "") or "“" in entry.msgid[:1]:
            continue
        if qa.check_document([qa.Segment(entry.msgid, entry.msgstr, block)], glossary) == [[]]:
            pairs.append((entry.msgid, entry.msgstr))
    return pairs


def reviewed_catalog(n: int) -> tuple[str, dict[str, str]]:
    """A source text of n numbered article sentences, and msgid → its English."""
    pairs = reviewed_pairs()
    lines: list[str] = []
    paragraph: list[str] = []
    english: dict[str, str] = {}
    for i in range(n):
        zh, en = pairs[i % len(pairs)]
        number = "".join(ITEM_DIGITS[int(d)] for d in str(i + 1))
        sentence = f"第{number}项，{zh}"
        english[sentence] = f"Item {i + 1}: {en}"
        paragraph.append(sentence)
        if len(paragraph) == 5:
            lines.append("".join(paragraph))
            paragraph = []
    if paragraph:
        lines.append("".join(paragraph))
    return "\n\n".join(lines) + "\n", english


def make_reviewed_project(directory: Path, n: int, timeout: float) -> tuple[Path, int, dict]:
    """A project whose catalog is fully reviewed; returns (pyproject, entries, the update run)."""
    sys.path.insert(0, str(ROOT))
    import polib

    from l10n.notes import get_notes
    from l10n.pofile import is_reviewed, render

    config = make_project(directory, 1)
    text, english = reviewed_catalog(n)
    source = directory / "source" / "zh" / f"{DOC}.txt"
    source.write_text(text, encoding="utf-8")
    update = measured(["update"], directory, timeout=timeout)
    po_path = directory / "target" / "en" / f"{DOC}.po"
    po = polib.pofile(str(po_path))
    filled = 0
    for entry in po:
        if entry.msgid in english:
            entry.msgstr = english[entry.msgid]
            if "fuzzy" in entry.flags:
                entry.flags.remove("fuzzy")
            filled += 1
    po_path.write_text(render(po), encoding="utf-8")
    return config, filled, update


def measured(args: list[str], cwd: Path, timeout: float = 900) -> dict:
    """Run translate.py in cwd and reap it with os.wait4: wall time, CPU time and peak RSS of
    that child alone (RUSAGE_CHILDREN would mix in every earlier child of this process)."""
    command = [sys.executable, str(ROOT / "translate.py"), *args]
    log = cwd / ".bench-cli.log"
    start = time.perf_counter()
    with open(log, "wb") as sink:
        proc = subprocess.Popen(command, cwd=cwd, stdout=sink, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = start + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                proc.kill()
                os.wait4(proc.pid, 0)
                proc.returncode = -9
                return {"ok": False, "error": f"> {timeout:.0f} s (stopped)"}
            time.sleep(0.02)
    wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    proc.returncode = code  # reaped here, not by Popen
    tail = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-3:]
    return {
        "ok": True,
        "wall": wall,
        "cpu": usage.ru_utime + usage.ru_stime,
        "maxrss_mib": usage.ru_maxrss / 1024,  # Linux: kB
        "code": code,
        "tail": tail,
    }


def cli_supports(*needed: str) -> tuple[bool, str]:
    """Whether translate.py exists and its --help names each needed command/option."""
    if not (ROOT / "translate.py").is_file():
        return False, "translate.py is missing"
    try:
        help_text = subprocess.run(
            [sys.executable, str(ROOT / "translate.py"), "--help"],
            cwd=ROOT, capture_output=True, text=True, timeout=120,
        ).stdout
    except (OSError, subprocess.SubprocessError) as err:
        return False, f"translate.py --help failed ({err})"
    missing = [word for word in needed if word not in help_text]
    if missing:
        return False, f"translate.py --help does not mention {', '.join(missing)}"
    return True, ""


def count_entries(po: Path) -> int:
    if not po.is_file():
        return 0
    return sum(1 for line in po.read_text(encoding="utf-8").splitlines() if line.startswith("msgid ")) - 1


def _problem_count(result: dict) -> str:
    """The summary line of a --check run (the last line of its output)."""
    return result.get("tail", [""])[-1] if result.get("tail") else ""


def run(sizes: list[int], work: Path, log=print, timeout: float = 120) -> dict:
    """For each size: first `update` (creates the catalog), a second `update` (nothing changed),
    `--check`, and `--check` on a fully reviewed catalog of the same size.
    Returns {"rows": [...], "skipped": reason or ""}."""
    ok, why = cli_supports("update", "--check")
    if not ok:
        return {"rows": [], "skipped": why}
    rows = []
    for n in sizes:
        project = work / f"catalog-{n}"
        shutil.rmtree(project, ignore_errors=True)
        t0 = time.perf_counter()
        make_project(project, n)
        made = time.perf_counter() - t0
        source_mb = (project / "source" / "zh" / f"{DOC}.txt").stat().st_size / 2**20
        row = {"n": n, "source_mb": source_mb, "generate_s": made}
        for label, args in (("update (new)", ["update"]), ("update (again)", ["update"]), ("--check", ["--check"])):
            log(f"  cli {n:>7} entries: {label} …")
            result = measured(args, project, timeout=timeout)
            row[label] = result
            if not result.get("ok"):
                break
        row["entries"] = count_entries(project / "target" / "en" / f"{DOC}.po")
        shutil.rmtree(project, ignore_errors=True)
        reviewed = work / f"reviewed-{n}"
        shutil.rmtree(reviewed, ignore_errors=True)
        _, filled, update = make_reviewed_project(reviewed, n, timeout)
        row["reviewed_entries"] = filled
        row["reviewed_source_mb"] = (reviewed / "source" / "zh" / f"{DOC}.txt").stat().st_size / 2**20
        if update.get("ok"):
            log(f"  cli {n:>7} entries: --check (reviewed) …")
            result = measured(["--check"], reviewed, timeout=timeout)
            result["problems"] = _problem_count(result)
            row["--check (reviewed)"] = result
        else:
            row["--check (reviewed)"] = {"ok": False, "error": f"update failed: {update.get('error')}"}
        rows.append(row)
        shutil.rmtree(reviewed, ignore_errors=True)
    return {"rows": rows, "skipped": ""}


def main(argv: list[str] | None = None) -> int:
    """Run the scaling alone: python bench/cli_scaling.py [SIZE …] (default 1000 10000 100000)."""
    import argparse
    import tempfile

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("sizes", nargs="*", type=int, default=[1000, 10000, 100000])
    parser.add_argument("--timeout", type=float, default=120)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        result = run(args.sizes, Path(tmp), timeout=args.timeout)
    if result["skipped"]:
        print(f"not measured: {result['skipped']}")
        return 1
    print("| sentences | entries | source MiB | step | wall s | CPU s | peak RSS MiB | exit | summary |")
    print("|---|---|---|---|---|---|---|---|---|")
    for row in result["rows"]:
        for label in ("update (new)", "update (again)", "--check", "--check (reviewed)"):
            r = row.get(label)
            if r is None:
                continue
            reviewed = label == "--check (reviewed)"
            entries = row["reviewed_entries"] if reviewed else row["entries"]
            mb = row["reviewed_source_mb"] if reviewed else row["source_mb"]
            if not r.get("ok"):
                print(f"| {row['n']:,} | {entries:,} | {mb:.1f} | {label} | {r.get('error')} | | | | |")
                continue
            print(f"| {row['n']:,} | {entries:,} | {mb:.1f} | {label} | {r['wall']:.2f} | {r['cpu']:.2f} | "
                  f"{r['maxrss_mib']:.0f} | {r['code']} | {r.get('problems') or (r['tail'][-1] if r['tail'] else '')} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
