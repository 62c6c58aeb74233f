"""`translate.py --check` against translate-toolkit's pofilter on Chinese → English.

Each error class is injected into a copy of the committed catalog, one error per entry, into
every entry where the class applies (up to --max-per-class). Both tools then run on the copy. An
injected entry counts as caught by a tool when the tool reports on that entry something it does
not report on the same entry without the error (for --check: a problem on the entry's line; for
pofilter: a failing test on the unit). Both tools also run on the committed catalog itself,
where every report is a false alarm (the catalog is reviewed and published).

    python bench/checks_vs_pofilter.py                  # writes docs/checks-vs-pofilter.md
    python bench/checks_vs_pofilter.py --out /tmp/x.md --max-per-class 10

pofilter comes from translate-toolkit (`pip install -e .[bench]`) and runs with its default
tests, as `pofilter -i COPY.po -o FLAGGED.po`. `--check` runs in a throw-away project made of
the repository's source text, glossary and the copy, with every check except `edition` (the
copies are not rebuilt) and `mt-quality` (a corpus gate, not about one entry).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from l10n.checks import REGISTRY as REGISTRY_IDS  # noqa: E402
from l10n.glossary import Glossary, Term, _form_pattern, load_glossary, term_in  # noqa: E402
from l10n.notes import get_notes  # noqa: E402
from l10n.pofile import is_reviewed, read_catalog, render  # noqa: E402

DOC = "changchun-equipment"
CATALOG = ROOT / "target" / "en" / f"{DOC}.po"
SOURCE = ROOT / "source" / "zh" / f"{DOC}.txt"
PYPROJECT = f"""\
[project]
name = "checks-vs-pofilter"

[tool.l10n]
source_dir = "source/zh"
target_dir = "target/en"
glossary = "glossary.csv"
documents = ["{DOC}"]
published = ["{DOC}"]

[tool.l10n.thresholds]
chrf = 0.0
bleu = 0.0
"""

SENTENCE_KINDS = ("paragraph", "list-item", "caption", "credit")
ZH_END = re.compile(r"[。！？!?…]$")
EN_END = re.compile(r"(?:\.\.\.|[.!?…])$")
CLOSERS = "”’\"')"
NUMBER_WORDS = {"三": ("three", "four"), "六": ("six", "seven"), "二十": ("20th", "21st"), "第三": ("third", "fourth"),
                "第二": ("second", "third"), "百": ("100", "10"), "5000万": ("50 million", "5 million"),
                "530亿": ("53 billion", "530 billion")}
# Plausible wrong renderings of one-word glossary forms (a literal translation, a near miss).
WRONG_WORD = {"Fuxing": "Revival", "FAW": "First Auto Works", "EMU": "multiple-unit train", "EMUs": "multiple-unit trains",
              "CRCHI": "CRCH", "pacesetter": "vanguard", "drone": "unmanned aircraft", "cutterhead": "cutter head",
              "Jilin-1": "Jilin No. 1", "Vontron": "Wordon", "Yanao": "Yan’ao"}


@dataclass
class Copy:
    """One catalog copy: msgid → new msgstr (and, where the class needs it, msgid → new msgid)."""

    msgstr: dict[str, str] = field(default_factory=dict)
    msgid: dict[str, str] = field(default_factory=dict)


@dataclass
class ErrorClass:
    name: str
    already: bool            # caught by --check before this work
    injected: Copy
    base: Copy | None = None  # the same copy without the error, where the class changes the source too


def reviewed_entries() -> list[polib.POEntry]:
    return [e for e in polib.pofile(str(CATALOG)) if is_reviewed(e)]


def block(entry: polib.POEntry) -> str:
    return get_notes(entry).block


def wrong_form(form: str) -> str | None:
    """A plausible wrong rendering: drop the first word of a multi-word form, or a near miss."""
    if form in WRONG_WORD:
        return WRONG_WORD[form]
    words = form.split()
    if len(words) >= 2:
        return " ".join(words[1:])
    return None


def renderings(term: Term, text: str) -> list[tuple[int, int]]:
    """Where the term's forms stand in `text`, as the glossary defines a rendering (whole words,
    first letter in either case, plural s), longest first where they overlap."""
    spans: list[tuple[int, int]] = []
    for form in sorted(term.forms, key=len, reverse=True):
        for m in _form_pattern(form).finditer(text):
            if not any(m.start() < b and a < m.end() for a, b in spans):
                spans.append((m.start(), m.end()))
    return sorted(spans)


def terms_of(glossary: Glossary, msgid: str) -> list[Term]:
    return list(dict.fromkeys(m.term for m in glossary.find(msgid)))


def has_allow(entry: polib.POEntry) -> bool:
    return "l10n: allow" in (entry.tcomment or "")


# --- the error classes -------------------------------------------------------------------------

def number_changed(entries) -> Copy:
    copy = Copy()
    for e in entries:
        target = e.msgstr
        digits = [m for m in re.finditer(r"\d+(?:,\d{3})*", target) if m.group(0).replace(",", "") in e.msgid]
        if digits:
            m = digits[0]
            old = m.group(0)
            new = old[:-1] + str((int(old[-1]) + 1) % 10)
            if target.count(old) == 1:
                copy.msgstr[e.msgid] = target[:m.start()] + new + target[m.end():]
                continue
        for zh, (en, wrong) in NUMBER_WORDS.items():
            if zh in e.msgid and re.search(rf"\b{re.escape(en)}\b", target, re.IGNORECASE):
                copy.msgstr[e.msgid] = re.sub(rf"\b{re.escape(en)}\b", wrong, target, count=1, flags=re.IGNORECASE)
                break
    return copy


def chinese_leftover(entries, glossary) -> Copy:
    copy = Copy()
    for e in entries:
        for term in terms_of(glossary, e.msgid):
            spans = renderings(term, e.msgstr)
            if spans:
                a, b = spans[0]
                copy.msgstr[e.msgid] = e.msgstr[:a] + term.zh + e.msgstr[b:]
                break
    return copy


def glossary_replaced_everywhere(entries, glossary) -> Copy:
    copy = Copy()
    for e in entries:
        for term in terms_of(glossary, e.msgid):
            target = e.msgstr
            for a, b in reversed(renderings(term, target)):
                wrong = wrong_form(target[a:b])
                if wrong is None:
                    break
                target = target[:a] + wrong + target[b:]
            else:
                if target != e.msgstr and not term_in(term, target):
                    copy.msgstr[e.msgid] = target
                    break
    return copy


def glossary_replaced_once(entries, glossary) -> Copy:
    """A term that occurs twice in the source and is rendered twice: the last rendering replaced.
    Entries whose translator explained fewer renderings (`l10n: allow`) are left out."""
    copy = Copy()
    for e in entries:
        if has_allow(e):
            continue
        for term in terms_of(glossary, e.msgid):
            if sum(1 for m in glossary.find(e.msgid) if m.term == term) < 2:
                continue
            spans = renderings(term, e.msgstr)
            if len(spans) < 2:
                continue
            a, b = spans[-1]
            wrong = wrong_form(e.msgstr[a:b]) or "it"
            copy.msgstr[e.msgid] = e.msgstr[:a] + wrong + e.msgstr[b:]
            break
    return copy


def bracket_or_quote(entries) -> Copy:
    copy = Copy()
    for e in entries:
        for closer in ("”", ")"):
            i = e.msgstr.rfind(closer)
            if i >= 0:
                copy.msgstr[e.msgid] = e.msgstr[:i] + e.msgstr[i + 1:]
                break
    return copy


def doubled_word(entries) -> Copy:
    copy = Copy()
    for e in entries:
        words = list(re.finditer(r"\b[A-Za-z]{3,}\b", e.msgstr))
        pick = next((m for m in words[1:] if m.group(0).lower() not in ("had", "that")), None)
        if pick:
            copy.msgstr[e.msgid] = e.msgstr[:pick.end()] + " " + pick.group(0) + e.msgstr[pick.end():]
    return copy


def edge_whitespace(entries) -> Copy:
    return Copy({e.msgid: (" " + e.msgstr if i % 2 == 0 else e.msgstr + " ") for i, e in enumerate(entries)})


def double_space(entries) -> Copy:
    return Copy({e.msgid: e.msgstr.replace(" ", "  ", 1) for e in entries if " " in e.msgstr})


def final_stop_dropped(entries) -> Copy:
    copy = Copy()
    for e in entries:
        if block(e) not in SENTENCE_KINDS or not ZH_END.search(e.msgid.rstrip("”’）)")):
            continue
        body = e.msgstr.rstrip(CLOSERS)
        closers = e.msgstr[len(body):]
        m = EN_END.search(body)
        if m:
            copy.msgstr[e.msgid] = body[:m.start()] + closers
    return copy


def first_letter_lowercased(entries) -> Copy:
    copy = Copy()
    for e in entries:
        m = re.match(r"[“\"‘(]*([A-Za-z]+)", e.msgstr)
        if not m or not m.group(1)[0].isupper():
            continue
        word = m.group(1)
        lowered = word.lower() if word.isupper() else word[0].lower() + word[1:]
        copy.msgstr[e.msgid] = e.msgstr[:m.start(1)] + lowered + e.msgstr[m.end(1):]
    return copy


def address_changed(entries, source_text: str) -> tuple[Copy, Copy]:
    """Paragraph sentences gain a web or e-mail address in the source and the translation (the
    base); the injected copy then changes the address in the translation."""
    base, injected = Copy(), Copy()
    changes = (("https://", "http://"), (".gov.cn", ".gov.com"), ("www.", ""), ("/zw/", "/zx/"))
    n = 0
    for e in entries:
        if block(e) != "paragraph" or not e.msgid.endswith("。") or not e.msgstr.endswith(".") \
                or source_text.count(e.msgid) != 1:
            continue
        if n % 2 == 0:
            address = f"https://www.changchun.gov.cn/zw/{n:03d}.html"
            zh, en = f"（详见{address}）", f" (see {address})"
            old, new = changes[(n // 2) % len(changes)]
            wrong = address.replace(old, new, 1)
        else:
            address = f"news{n:03d}@ccdaily.cn"
            zh, en = f"（联系邮箱：{address}）", f" (contact: {address})"
            wrong = address.replace("news", "new", 1) if n % 4 == 1 else address.replace(".cn", ".com")
        new_id = e.msgid[:-1] + zh + "。"
        base.msgid[e.msgid] = new_id
        base.msgstr[e.msgid] = e.msgstr[:-1] + en + "."
        injected.msgid[e.msgid] = new_id
        injected.msgstr[e.msgid] = e.msgstr[:-1] + en.replace(address, wrong) + "."
        n += 1
    return base, injected


def short_form_first(entries, glossary) -> Copy:
    """The first appearance in the document of a term's full form replaced by its short form
    ("the Changchun Municipal Bureau …" → "the bureau")."""
    copy = Copy()
    seen: set[str] = set()
    for e in entries:
        for term in terms_of(glossary, e.msgid):
            if not term.short or e.msgid in copy.msgstr or seen & set(term.full_forms):
                continue
            full = next((f for f in term.full_forms if _form_pattern(f).search(e.msgstr)), None)
            if full:
                m = _form_pattern(full).search(e.msgstr)
                start = m.start()
                short = term.short[0]
                if short.lower().startswith("the ") and e.msgstr[max(0, start - 4):start].lower() == "the ":
                    start -= 4
                copy.msgstr[e.msgid] = e.msgstr[:start] + short + e.msgstr[m.end():]
        for term in terms_of(glossary, e.msgid):
            seen.update(f for f in term.full_forms if _form_pattern(f).search(e.msgstr))
    return copy


def limit(copy: Copy, n: int) -> Copy:
    keys = list(copy.msgstr)[:n]
    return Copy({k: copy.msgstr[k] for k in keys}, {k: v for k, v in copy.msgid.items() if k in keys})


def error_classes(max_per_class: int) -> list[ErrorClass]:
    entries = reviewed_entries()
    glossary = load_glossary(ROOT / "glossary.csv", "glossary.csv")
    source_text = SOURCE.read_text(encoding="utf-8")
    base, injected = address_changed(entries, source_text)
    keys = list(injected.msgstr)[:max_per_class]
    base = Copy({k: base.msgstr[k] for k in keys}, {k: base.msgid[k] for k in keys})
    injected = Copy({k: injected.msgstr[k] for k in keys}, {k: injected.msgid[k] for k in keys})
    m = max_per_class
    return [
        ErrorClass("number changed (50 million → 5 million, 108 → 109, third → fourth)", True, limit(number_changed(entries), m)),
        ErrorClass("Chinese left in the translation (a term left in Chinese)", True, limit(chinese_leftover(entries, glossary), m)),
        ErrorClass("glossary term replaced everywhere in the entry", True, limit(glossary_replaced_everywhere(entries, glossary), m)),
        ErrorClass("unbalanced bracket or quote (closing ” or ) dropped)", True, limit(bracket_or_quote(entries), m)),
        ErrorClass("doubled word (“the the”)", False, limit(doubled_word(entries), m)),
        ErrorClass("leading or trailing whitespace the source does not have", False, limit(edge_whitespace(entries), m)),
        ErrorClass("double space", False, limit(double_space(entries), m)),
        ErrorClass("URL or e-mail address changed", False, injected, base),
        ErrorClass("glossary term replaced in one of its two occurrences", False, limit(glossary_replaced_once(entries, glossary), m)),
        ErrorClass("final full stop dropped (source ends with 。！？……)", False, limit(final_stop_dropped(entries), m)),
        ErrorClass("first letter lower-cased (“china’s …”)", False, limit(first_letter_lowercased(entries), m)),
        ErrorClass("short form before the full form (“the bureau” first)", False, limit(short_form_first(entries, glossary), m)),
    ]


# --- running the tools --------------------------------------------------------------------------

def write_project(directory: Path, copy: Copy) -> Path:
    """A project holding the catalog with `copy` applied (and the source text edited to match)."""
    (directory / "source" / "zh").mkdir(parents=True)
    (directory / "target" / "en").mkdir(parents=True)
    source = SOURCE.read_text(encoding="utf-8")
    po = polib.pofile(str(CATALOG))
    for entry in po:
        if entry.msgid in copy.msgid:
            source = source.replace(entry.msgid, copy.msgid[entry.msgid], 1)
        if entry.msgid in copy.msgstr:
            entry.msgstr = copy.msgstr[entry.msgid]
        if entry.msgid in copy.msgid:
            entry.msgid = copy.msgid[entry.msgid]
    (directory / "source" / "zh" / f"{DOC}.txt").write_text(source, encoding="utf-8")
    shutil.copy(ROOT / "glossary.csv", directory / "glossary.csv")
    (directory / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    path = directory / "target" / "en" / f"{DOC}.po"
    path.write_text(render(po), encoding="utf-8")
    return path


def run_check(project: Path, po_path: Path) -> dict[str, set[str]]:
    """msgid → the --check ids reported on its entry."""
    result = subprocess.run([sys.executable, str(ROOT / "translate.py"), "--check", "--format", "json",
                             "--skip", "edition", "--skip", "mt-quality"],
                            cwd=project, capture_output=True, text=True, timeout=300)
    data = json.loads(result.stdout)
    # An entry's problem points at its msgid or its msgstr line (as the toolkit's reader numbers them).
    owners: dict[int, str] = {}
    for entry in read_catalog(po_path, po_path.name):
        owners[entry.msgid_line] = owners[entry.msgstr_line] = entry.msgid
    found: dict[str, set[str]] = {}
    for problem in data["problems"]:
        line = problem["line"]
        if problem["path"].endswith(".po") and line in owners:
            found.setdefault(owners[line], set()).add(problem["check"])
            continue
        found.setdefault("(file)", set()).add(problem["check"])
    return found


def run_pofilter(po_path: Path) -> dict[str, Counter]:
    """msgid → the pofilter tests that failed on its unit."""
    out = po_path.with_suffix(".pofilter.po")
    subprocess.run([shutil.which("pofilter") or str(Path(sys.executable).parent / "pofilter"),
                    "--progress=none", "-i", str(po_path), "-o", str(out)],
                   check=True, capture_output=True, text=True, timeout=300)
    flagged: dict[str, Counter] = {}
    if out.exists():
        for entry in polib.pofile(str(out)):
            tests = re.findall(r"\(pofilter\) ([\w-]+):", entry.tcomment or "")
            if tests and entry.msgid:
                flagged[entry.msgid] = Counter(tests)
    return flagged


@dataclass
class Outcome:
    name: str
    already: bool
    injected: int
    check_caught: int
    pofilter_caught: int
    check_ids: Counter
    pofilter_tests: Counter
    pofilter_flags: int


def measure(work: Path, error: ErrorClass, clean_check, clean_pofilter, slug: str) -> Outcome:
    if error.base is not None:
        base_po = write_project(work / f"{slug}-base", error.base)
        base_check, base_pofilter = run_check(work / f"{slug}-base", base_po), run_pofilter(base_po)
    else:
        base_check, base_pofilter = clean_check, clean_pofilter
    po = write_project(work / slug, error.injected)
    got_check, got_pofilter = run_check(work / slug, po), run_pofilter(po)
    check_caught = pofilter_caught = 0
    check_ids: Counter = Counter()
    pofilter_tests: Counter = Counter()
    for original in error.injected.msgstr:
        msgid = error.injected.msgid.get(original, original)
        new_ids = got_check.get(msgid, set()) - base_check.get(msgid, set())
        new_tests = set(got_pofilter.get(msgid, ())) - set(base_pofilter.get(msgid, ()))
        check_caught += bool(new_ids)
        pofilter_caught += bool(new_tests)
        check_ids.update(new_ids)
        pofilter_tests.update(new_tests)
    return Outcome(error.name, error.already, len(error.injected.msgstr), check_caught, pofilter_caught,
                   check_ids, pofilter_tests, sum(sum(c.values()) for c in got_pofilter.values()))


def allow_lines() -> int:
    return sum(1 for line in CATALOG.read_text(encoding="utf-8").split("\n") if line.startswith("# l10n: allow"))


def percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}% ({part}/{whole})" if whole else "–"


def report(outcomes: list[Outcome], clean_check, clean_pofilter, command: str) -> str:
    from importlib.metadata import version

    pofilter_false = sum(sum(c.values()) for c in clean_pofilter.values())
    pofilter_tests = Counter()
    for c in clean_pofilter.values():
        pofilter_tests.update(c)
    check_false = sum(len(ids) for ids in clean_check.values())
    lines = [
        "# `--check` against pofilter on Chinese → English",
        "",
        f"Made by `{command}` (translate-toolkit {version('translate-toolkit')}, pofilter with its "
        "default tests). The method is in the docstring of `bench/checks_vs_pofilter.py`: each class is injected "
        "into a copy of the committed catalog `target/en/changchun-equipment.po`, one error per entry, in every "
        "entry where it applies (at most the limit per class); an entry counts as caught when the tool reports on "
        "it something that it does not report on the same entry without the error.",
        "",
        "## False alarms on the committed (reviewed, published) catalog",
        "",
        "| tool | reports | entries reported |",
        "|---|---|---|",
        f"| `--check` | {check_false} | {len(clean_check)} |",
        f"| pofilter | {pofilter_false} | {len(clean_pofilter)} |",
        "",
        "pofilter's reports on the clean catalog, by test: "
        + ", ".join(f"`{t}` {n}" for t, n in pofilter_tests.most_common()) + ". "
        f"`--check` runs {len(REGISTRY_IDS) - 2} of its {len(REGISTRY_IDS)} checks (all but `edition` and `mt-quality`); in the committed catalog {allow_lines()} entries carry a translator's "
        "`# l10n: allow glossary-count — reason` line that explains why a term is rendered fewer times than the "
        "source has it (a second mention rendered as “which”, “in this field”, “the sector”); without those lines "
        "`--check` reports those entries.",
        "",
        "## Injected errors",
        "",
        "| injected error | entries | `--check` caught | pofilter caught | `--check` ids that fired | pofilter tests that fired |",
        "|---|---|---|---|---|---|",
    ]
    for o in outcomes:
        name = o.name + ("" if o.already else " *(new)*")
        ids = ", ".join(f"`{i}` {n}" for i, n in o.check_ids.most_common()) or "–"
        tests = ", ".join(f"`{t}` {n}" for t, n in o.pofilter_tests.most_common()) or "–"
        lines.append(f"| {name} | {o.injected} | {percent(o.check_caught, o.injected)} | "
                     f"{percent(o.pofilter_caught, o.injected)} | {ids} | {tests} |")
    lines += [
        "",
        "*(new)*: a class `--check` missed before the checks of `l10n/qa.py`. On every injected copy pofilter "
        "also repeats its false alarms of the clean catalog, so what it catches comes with about "
        f"{pofilter_false} other reports to read through.",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "checks-vs-pofilter.md")
    parser.add_argument("--max-per-class", type=int, default=40)
    args = parser.parse_args(argv)
    if not (shutil.which("pofilter") or (Path(sys.executable).parent / "pofilter").exists()):
        print("pofilter is not installed: pip install -e .[bench] (translate-toolkit)", file=sys.stderr)
        return 2
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        clean_po = write_project(work / "clean", Copy())
        clean_check, clean_pofilter = run_check(work / "clean", clean_po), run_pofilter(clean_po)
        outcomes = []
        for i, error in enumerate(error_classes(args.max_per_class)):
            outcomes.append(measure(work, error, clean_check, clean_pofilter, f"class-{i:02d}"))
            o = outcomes[-1]
            print(f"{o.name}: {o.injected} entries, --check {o.check_caught}, pofilter {o.pofilter_caught}")
    command = "python bench/checks_vs_pofilter.py" + (f" --max-per-class {args.max_per_class}" if args.max_per_class != 40 else "")
    text = report(outcomes, clean_check, clean_pofilter, command)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out} ({time.monotonic() - started:.0f} s)")
    missed = [o.name for o in outcomes if o.check_caught < o.injected]
    if clean_check or missed:
        print(f"--check: {sum(len(v) for v in clean_check.values())} false alarm(s); missed in: {missed}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
