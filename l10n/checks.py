"""The CI gate: small named checks in a registry, each reporting `path:line: [id] message`.

Every check takes the shared `Context` (which loads each input once, lazily) and yields
`Problem`s. `run_checks` selects checks by id (--only / --skip) and never loads a model.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

import polib

from .config import Config, DocumentPaths
from .errors import L10nError, RunStage, Unreadable
from .glossary import Glossary, parse_glossary
from .numbers import missing_numbers
from .pofile import REQUIRED_HEADERS, UPDATE, is_reviewed, read_catalog
from .problems import Problem, shorten
from .script import cjk_leftovers
from .segment import Document
from .textio import read_text

BUILD = (RunStage("build"),)


@dataclass
class Check:
    id: str
    description: str
    func: Callable[["Context"], Iterable[Problem]]


REGISTRY: dict[str, Check] = {}


def check(check_id: str, description: str):
    def register(func):
        REGISTRY[check_id] = Check(check_id, description, func)
        return func

    return register


@dataclass
class Context:
    """What checks read, each input loaded once: catalogs, sources, the glossary."""

    config: Config
    documents: list[DocumentPaths]
    _catalogs: dict[Path, polib.POFile | L10nError] = field(default_factory=dict)
    _sources: dict[Path, Document | L10nError] = field(default_factory=dict)
    _glossary: tuple[Glossary, list[Problem], L10nError | None] | None = None

    def catalog(self, doc: DocumentPaths) -> polib.POFile | None:
        """The parsed catalog, or None when it is missing or unreadable (po-syntax reports that)."""
        result = self.catalog_or_error(doc.catalog)
        return None if isinstance(result, L10nError) else result

    def catalog_or_error(self, path: Path) -> polib.POFile | L10nError:
        if path not in self._catalogs:
            try:
                self._catalogs[path] = read_catalog(path, self.config.rel(path))
            except L10nError as err:
                self._catalogs[path] = err
        return self._catalogs[path]

    def source(self, doc: DocumentPaths) -> Document | None:
        if doc.source not in self._sources:
            from .segment import read_document

            try:
                self._sources[doc.source] = read_document(doc.source, doc.source_display, self.config.max_source_bytes)
            except L10nError as err:
                self._sources[doc.source] = err
        result = self._sources[doc.source]
        return None if isinstance(result, L10nError) else result

    def source_error(self, doc: DocumentPaths) -> L10nError | None:
        self.source(doc)
        result = self._sources[doc.source]
        return result if isinstance(result, L10nError) else None

    def glossary_file(self) -> tuple[Glossary, list[Problem], L10nError | None]:
        """(the usable terms, the file's problems, why it could not be read at all)."""
        if self._glossary is None:
            path = self.config.glossary
            if path is None:
                self._glossary = (Glossary("", []), [], None)
            else:
                display = self.config.rel(path)
                try:
                    terms, problems = parse_glossary(read_text(path, display, "glossary", None), display)
                    self._glossary = (Glossary(display, terms), problems, None)
                except L10nError as err:
                    self._glossary = (Glossary(display, []), [], err)
        return self._glossary

    @property
    def glossary(self) -> Glossary:
        return self.glossary_file()[0]

    def reviewed(self, doc: DocumentPaths) -> Iterator[polib.POEntry]:
        po = self.catalog(doc)
        if po is not None:
            yield from (e for e in po if is_reviewed(e))


# --- the checks ------------------------------------------------------------------------

@check("po-syntax", "each PO file parses and has what msgfmt --check requires")
def check_po_syntax(ctx: Context) -> Iterator[Problem]:
    paths = sorted({*ctx.config.all_catalogs(), *(d.catalog for d in ctx.documents)})
    for path in paths:
        display = ctx.config.rel(path)
        if not path.exists():
            yield Problem(display, None, "po-syntax", "catalog does not exist", remedy=UPDATE)
            continue
        result = ctx.catalog_or_error(path)
        if isinstance(result, L10nError):
            yield Problem(display, result.line, "po-syntax", result.message, isinstance(result, Unreadable))
            continue
        yield from _header_problems(result, display)
        for entry in result:
            if entry.obsolete:
                continue
            yield from _format_problems(entry, display)


def _header_problems(po: polib.POFile, display: str) -> Iterator[Problem]:
    for name in REQUIRED_HEADERS:
        if not po.metadata.get(name):
            yield Problem(display, 1, "po-syntax", f"header field {name!r} is missing", remedy=UPDATE)
    plural = po.metadata.get("Plural-Forms", "")
    if plural and not re.fullmatch(r"\s*nplurals\s*=\s*\d+\s*;\s*plural\s*=.+;?\s*", plural):
        yield Problem(display, 1, "po-syntax", f"header Plural-Forms {plural!r} is malformed (nplurals=N; plural=EXPR;)")


_FORMAT = {
    "c-format": re.compile(r"%(?:\d+\$)?[-+ #0]*(?:\d+|\*)?(?:\.(?:\d+|\*))?(?:hh|h|ll|l|L|q|j|z|t)?[diouxXeEfFgGaAcspn%]"),
    "python-format": re.compile(r"%(?:\([^)]*\))?[-+ #0]*(?:\d+|\*)?(?:\.\d+)?[diouxXeEfFgGcrsa%]"),
    "python-brace-format": re.compile(r"\{[^{}]*\}"),
}


def _format_problems(entry: polib.POEntry, display: str) -> Iterator[Problem]:
    if not entry.msgstr:
        return
    if entry.msgid.startswith("\n") != entry.msgstr.startswith("\n"):
        yield Problem(display, entry.msgstr_line, "po-syntax", "msgid and msgstr must both begin with \\n, or neither (msgfmt --check)")
    if entry.msgid.endswith("\n") != entry.msgstr.endswith("\n"):
        yield Problem(display, entry.msgstr_line, "po-syntax", "msgid and msgstr must both end with \\n, or neither (msgfmt --check)")
    for flag, pattern in _FORMAT.items():
        if flag in entry.flags:
            want = sorted(pattern.findall(entry.msgid))
            got = sorted(pattern.findall(entry.msgstr))
            if want != got:
                yield Problem(display, entry.msgstr_line, "po-syntax", f"{flag} directives differ: msgid has {want}, msgstr has {got}")


@check("sync", "the catalog matches the current segmentation of its source")
def check_sync(ctx: Context) -> Iterator[Problem]:
    for doc in ctx.documents:
        error = ctx.source_error(doc)
        if error is not None:
            yield Problem(error.path or doc.source_display, error.line, "sync", error.message, isinstance(error, Unreadable))
            continue
        source = ctx.source(doc)
        po = ctx.catalog(doc)
        if po is None or source is None:
            continue
        entries = {e.msgid: e for e in po if not e.obsolete}
        expected: dict[str, list[tuple[str, str]]] = {}
        for seg in source.segments():
            expected.setdefault(seg.text, []).append((doc.source_display, str(seg.line)))
            if seg.text not in entries:
                yield Problem(doc.source_display, seg.line, "sync",
                              f"segment is not in {doc.catalog_display}: {shorten(seg.text, 30)}", remedy=UPDATE)
        for msgid, entry in entries.items():
            if msgid not in expected:
                yield Problem(doc.catalog_display, entry.msgid_line, "sync",
                              f"entry has no segment in {doc.source_display} (source edited?)", remedy=UPDATE)
            elif [tuple(o) for o in entry.occurrences] != expected[msgid]:
                yield Problem(doc.catalog_display, entry.linenum, "sync", "source line references are out of date",
                              remedy=UPDATE)


def _published_entries(ctx: Context) -> Iterator[tuple[DocumentPaths, polib.POEntry]]:
    for doc in ctx.documents:
        po = ctx.catalog(doc)
        if doc.published and po is not None:
            yield from ((doc, e) for e in po if not e.obsolete)


@check("untranslated", "no untranslated entry in a published document")
def check_untranslated(ctx: Context) -> Iterator[Problem]:
    for doc, entry in _published_entries(ctx):
        if not entry.msgstr:
            yield Problem(doc.catalog_display, entry.msgstr_line, "untranslated", "untranslated entry in a published document")


@check("fuzzy", "no fuzzy (unreviewed) entry in a published document")
def check_fuzzy(ctx: Context) -> Iterator[Problem]:
    for doc, entry in _published_entries(ctx):
        if entry.msgstr and "fuzzy" in entry.flags:
            yield Problem(doc.catalog_display, entry.msgstr_line, "fuzzy", "fuzzy entry in a published document: review it and remove the fuzzy flag")


@check("glossary", "glossary terms in the source appear in the reviewed translation as the glossary says")
def check_glossary(ctx: Context) -> Iterator[Problem]:
    glossary = ctx.glossary
    for doc in ctx.documents:
        for entry in ctx.reviewed(doc):
            for match in dict.fromkeys(m.term for m in glossary.missing(entry.msgid, entry.msgstr)):
                yield Problem(doc.catalog_display, entry.msgstr_line, "glossary", f"{match.zh} must be translated as {match.en!r} ({glossary.path}:{match.line})")


@check("numbers", "every number in the source appears in the translation (Chinese numerals included)")
def check_numbers(ctx: Context) -> Iterator[Problem]:
    for doc in ctx.documents:
        for entry in ctx.reviewed(doc):
            missing = missing_numbers(entry.msgid, entry.msgstr)
            if missing:
                yield Problem(doc.catalog_display, entry.msgstr_line, "numbers", f"number(s) missing from the translation: {', '.join(missing)}")


@check("cjk-leftover", "no Chinese characters or full-width punctuation in the English")
def check_cjk(ctx: Context) -> Iterator[Problem]:
    for doc in ctx.documents:
        for entry in ctx.reviewed(doc):
            found = cjk_leftovers(entry.msgstr)
            if found:
                yield Problem(doc.catalog_display, entry.msgstr_line, "cjk-leftover", f"Chinese characters or full-width punctuation left in the translation: {''.join(found)}")


PAIRS = (("(", ")"), ("[", "]"), ("{", "}"), ("“", "”"))


def bracket_problems(text: str) -> list[str]:
    problems = []
    stack: list[str] = []
    closers = {c: o for o, c in PAIRS}
    openers = {o for o, _ in PAIRS}
    for ch in text:
        if ch in openers:
            stack.append(ch)
        elif ch in closers:
            if not stack or stack[-1] != closers[ch]:
                problems.append(f"unmatched {ch!r}")
                break
            stack.pop()
    if stack and not problems:
        problems.append(f"unclosed {stack[-1]!r}")
    if text.count('"') % 2:
        problems.append('odd number of straight quotes (")')
    singles = [m.start() for m in re.finditer("‘", text)]
    closing = [m.start() for m in re.finditer(r"’(?![A-Za-z])", text)]  # ’ before a letter is an apostrophe
    if len(singles) > len(closing):
        problems.append("unclosed ‘")
    return problems


@check("brackets-quotes", "brackets and quotation marks are balanced in the translation")
def check_brackets(ctx: Context) -> Iterator[Problem]:
    for doc in ctx.documents:
        for entry in ctx.reviewed(doc):
            for message in bracket_problems(entry.msgstr):
                yield Problem(doc.catalog_display, entry.msgstr_line, "brackets-quotes", message)


@check("glossary-file", "glossary.csv is valid, and has entries where the mt-quality gate measures terms")
def check_glossary_file(ctx: Context) -> Iterator[Problem]:
    if ctx.config.glossary is None:
        return  # the project says it runs without a glossary
    glossary, problems, error = ctx.glossary_file()
    if error is not None:
        yield Problem(error.path or glossary.path, error.line, "glossary-file", error.message, isinstance(error, Unreadable))
        return
    yield from problems
    if not glossary.terms and not problems and ctx.config.thresholds.get("terms", 0.0) > 0:
        yield Problem(glossary.path, 1, "glossary-file",
                      f"the glossary has no entries, so the terms threshold "
                      f"({ctx.config.display}:{ctx.config.line_of('terms', 'tool.l10n.thresholds')}) measures nothing; "
                      "add the terms, or set terms = 0")


@check("edition", "the built English edition is up to date with the catalog")
def check_edition(ctx: Context) -> Iterator[Problem]:
    from .edition import gaps, render_all
    from .score import segment_chrf

    for doc in ctx.documents:
        source, po = ctx.source(doc), ctx.catalog(doc)
        if not doc.published or source is None or po is None or gaps(source, po):
            continue  # unpublished, unreadable, or not complete: other checks say why
        for suffix, content in render_all(source, po, segment_chrf(po), draft=False).items():
            path = doc.output(suffix)
            display = ctx.config.rel(path)
            try:
                current = path.read_bytes().decode("utf-8")
            except (OSError, UnicodeDecodeError):
                yield Problem(display, None, "edition", "edition file is missing", remedy=BUILD)
                continue
            if current != content:
                yield Problem(display, _first_difference(current, content), "edition",
                              "edition is out of date with the catalog", remedy=BUILD)
    yield from _check_contents(ctx)


def _check_contents(ctx: Context) -> Iterator[Problem]:
    """The contents page lists the published edition as it is now (l10n.contents)."""
    from .contents import articles, index_path, render_contents

    entries = articles(ctx.config, lambda doc: (ctx.source(doc), ctx.catalog(doc)))
    path = index_path(ctx.config)
    display = ctx.config.rel(path)
    expected = render_contents(entries)
    try:
        current = path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError):
        if entries:
            yield Problem(display, None, "edition", "contents page of the edition is missing", remedy=BUILD)
        return
    if current != expected:
        yield Problem(display, _first_difference(current, expected), "edition",
                      "contents page is out of date with the published catalogs", remedy=BUILD)


def _first_difference(a: str, b: str) -> int:
    for number, (x, y) in enumerate(zip(a.split("\n"), b.split("\n")), start=1):
        if x != y:
            return number
    return min(a.count("\n"), b.count("\n")) + 1


@check("mt-quality", "corpus chrF, BLEU and glossary term accuracy of the recorded MT are not below the thresholds in [tool.l10n]")
def check_mt_quality(ctx: Context) -> Iterator[Problem]:
    from .score import score_catalogs

    catalogs = [(d.name, po) for d in ctx.documents if (po := ctx.catalog(d)) is not None]
    report = score_catalogs(catalogs, ctx.glossary, metrics=("bleu", "chrf"), per_segment=False)
    if not report.pairs:
        return
    accuracy = None if report.term_accuracy is None else 100 * report.term_accuracy
    measured = (("chrf", report.chrf, "corpus chrF"), ("bleu", report.bleu, "corpus BLEU"),
                ("terms", accuracy, "glossary term accuracy"))
    for name, value, what in measured:
        floor = ctx.config.thresholds.get(name, 0.0)
        if value is not None and value < floor:
            detail = (f"{report.terms_ok}/{report.terms_total} term occurrences" if name == "terms"
                      else f"{len(report.pairs)} segments scored")
            yield Problem(
                ctx.config.display, ctx.config.line_of(name, "tool.l10n.thresholds"), "mt-quality",
                f"{what} {value:.2f} is below the threshold {floor:.2f} ({detail})",
            )


# --- running ---------------------------------------------------------------------------

@dataclass
class CheckResult:
    problems: list[Problem]
    ran: list[str]
    documents: list[str]


def select(only: list[str], skip: list[str]) -> list[str]:
    for name in [*only, *skip]:
        if name not in REGISTRY:
            raise L10nError(f"unknown check {name!r}; known checks: {', '.join(REGISTRY)}")
    chosen = only or list(REGISTRY)
    return [name for name in chosen if name not in skip]


def run_checks(config: Config, documents: list[DocumentPaths], only: list[str], skip: list[str]) -> CheckResult:
    names = select(only, skip)
    ctx = Context(config, documents)
    problems: list[Problem] = []
    for name in names:
        problems.extend(REGISTRY[name].func(ctx))
    return CheckResult(problems, names, [d.name for d in documents])
