"""glossary.csv: loading with line-numbered validation, longest-match term finding, and the term check.

Format: UTF-8 CSV (a BOM is accepted), comma-separated, with the header `zh,en,note`.
Optional columns:
  variants  other English forms that also satisfy the term (`|`-separated), e.g. a plural.
            A variant written `short:the bureau` is a short form: the document checks accept it
            only after one of the term's full forms has appeared earlier in the same document.
Quoted fields may hold commas and newlines. Terms may contain one another: the longest match wins.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from .errors import L10nError, RunStage
from .problems import Problem
from .textio import read_text

REQUIRED = ("zh", "en", "note")
OPTIONAL = ("variants",)
SHORT_PREFIX = "short:"


@dataclass(frozen=True)
class Term:
    zh: str
    en: str
    note: str = ""
    line: int = 0
    variants: tuple[str, ...] = ()
    short: tuple[str, ...] = ()   # the variants marked `short:`, a subset of `variants`

    @property
    def forms(self) -> tuple[str, ...]:
        return (self.en,) + self.variants

    @property
    def full_forms(self) -> tuple[str, ...]:
        return tuple(form for form in self.forms if form not in self.short)


@dataclass(frozen=True)
class Match:
    term: Term
    start: int
    end: int


@dataclass
class Glossary:
    path: str  # as shown in messages; "" when the project runs without a glossary
    terms: list[Term] = field(default_factory=list)
    _trie: dict = field(default_factory=dict, repr=False)
    digest: str = field(default="", init=False)  # hash of what affects translation, for MT records

    def __post_init__(self):
        self._trie = {}
        for term in self.terms:
            node = self._trie
            for ch in term.zh:
                node = node.setdefault(ch, {})
            node[""] = term
        h = hashlib.sha256()
        for term in sorted(self.terms, key=lambda t: t.zh):
            h.update("\x1f".join((term.zh,) + term.forms).encode() + b"\x1e")
        self.digest = h.hexdigest()[:12]

    def find(self, text: str) -> list[Match]:
        """Leftmost-longest, non-overlapping glossary matches in `text` (a trie walk, O(len × depth))."""
        matches: list[Match] = []
        i = 0
        n = len(text)
        trie = self._trie
        while i < n:
            node = trie.get(text[i])
            best = None
            j = i + 1
            while node is not None:
                if "" in node:
                    best = (node[""], j)
                if j >= n:
                    break
                node = node.get(text[j])
                j += 1
            if best:
                matches.append(Match(best[0], i, best[1]))
                i = best[1]
            else:
                i += 1
        return matches

    def missing(self, source: str, translation: str) -> list[Match]:
        """Glossary matches of `source` whose English form does not appear in `translation`."""
        return [m for m in self.find(source) if not term_in(m.term, translation)]


_FORM_CACHE: dict[str, re.Pattern] = {}


def _form_pattern(form: str) -> re.Pattern:
    pattern = _FORM_CACHE.get(form)
    if pattern is None:
        head, rest = form[:1], form[1:]
        first = f"[{re.escape(head.upper())}{re.escape(head.lower())}]" if head.isalpha() else re.escape(head)
        left = r"(?<![A-Za-z0-9])" if form[:1].isalnum() else ""
        right = r"(?![A-Za-z0-9])" if form[-1:].isalnum() else ""
        # An English form matches as a whole phrase; only its first letter may change case
        # (sentence start), and a trailing plural s/es is allowed.
        suffix = r"(?:s|es)?" if form[-1:].isalpha() else ""
        pattern = re.compile(left + first + re.escape(rest) + suffix + right)
        _FORM_CACHE[form] = pattern
    return pattern


def term_in(term: Term, translation: str) -> bool:
    return any(_form_pattern(form).search(translation) for form in term.forms)


def parse_glossary(text: str, display: str) -> tuple[list[Term], list[Problem]]:
    """Parse and validate; returns the usable terms and every problem found, with line numbers."""
    problems: list[Problem] = []

    def problem(line: int, message: str) -> Problem:
        return Problem(display, line, "glossary-file", message)

    first_line = text.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader)
    except (StopIteration, csv.Error) as err:
        return [], [problem(1, f"cannot read the header: {err}")]
    names = [h.strip().lower() for h in header]
    if len(names) == 1 and any(sep in first_line for sep in (";", "\t", "|")):
        sep = next(sep for sep in (";", "\t", "|") if sep in first_line)
        shown = "tab" if sep == "\t" else repr(sep)
        return [], [problem(1, f"wrong delimiter: the file is separated by {shown}; glossary.csv must be comma-separated with the header zh,en,note")]
    missing = [c for c in REQUIRED if c not in names]
    if missing:
        if not any(n in REQUIRED for n in names):
            return [], [problem(1, "missing header: the first line must be zh,en,note")]
        return [], [problem(1, f"missing column(s) {', '.join(missing)}: the header must name zh,en,note")]
    unknown = [h for h in names if h and h not in REQUIRED + OPTIONAL]
    if unknown:
        problems.append(problem(1, f"unknown column(s) {', '.join(unknown)}; known columns are {', '.join(REQUIRED + OPTIONAL)}"))
    index = {name: names.index(name) for name in REQUIRED + OPTIONAL if name in names}
    terms: list[Term] = []
    seen: dict[str, Term] = {}
    line = reader.line_num + 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as err:
            problems.append(problem(line, f"malformed CSV: {err}"))
            break
        row_line = line
        line = reader.line_num + 1
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            problems.append(problem(row_line, f"expected {len(header)} fields (zh,en,note…), found {len(row)}; quote fields that contain commas"))
            continue
        cells = {name: row[i] for name, i in index.items()}
        bad = False
        for name in ("zh", "en"):
            if not cells[name].strip():
                problems.append(problem(row_line, f"empty {name} cell"))
                bad = True
        for name, value in cells.items():
            if value != value.strip() or "  " in value:
                problems.append(problem(row_line, f"stray whitespace in the {name} cell {value!r}"))
                bad = True
        if bad:
            continue
        variants, short = [], []
        for variant in (v.strip() for v in cells.get("variants", "").split("|")):
            if variant.startswith(SHORT_PREFIX):
                variant = variant[len(SHORT_PREFIX):].strip()
                if not variant:
                    problems.append(problem(row_line, f"empty short form in the variants cell of {cells['zh']}"))
                    continue
                short.append(variant)
            if variant:
                variants.append(variant)
        term = Term(cells["zh"], cells["en"], cells["note"], row_line, tuple(variants), tuple(short))
        prior = seen.get(term.zh)
        if prior is not None:
            if prior.en != term.en:
                problems.append(problem(row_line, f"{term.zh} is already defined as {prior.en!r} on line {prior.line}, here as {term.en!r}; keep one"))
            else:
                problems.append(problem(row_line, f"duplicate entry for {term.zh} (same as line {prior.line}); remove one"))
            continue
        seen[term.zh] = term
        terms.append(term)
    return terms, problems


ALL_GLOSSARY_PROBLEMS = (RunStage("check", (("only", "glossary-file"),)),)


def load_glossary(path: Path | None, display: str) -> Glossary:
    """Load glossary.csv (None: the project runs without one). Any problem is an error."""
    if path is None:
        return Glossary("", [])
    text = read_text(path, display, "glossary", max_bytes=None)
    terms, problems = parse_glossary(text, display)
    if problems:
        first = problems[0]
        more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
        raise L10nError(first.message + more, display, first.line, remedy=ALL_GLOSSARY_PROBLEMS if more else ())
    return Glossary(display, terms)
