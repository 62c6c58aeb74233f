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

from . import qa
from .config import Config, DocumentPaths
from .errors import L10nError, RunStage, Unreadable
from .glossary import Glossary, parse_glossary
from .notes import get_notes
from .pofile import REQUIRED_HEADERS, UPDATE, is_reviewed, read_catalog
from .problems import Problem, shorten
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
    qa_cache: dict = field(default_factory=dict)  # the segment checks' shared work: see _rows()

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


# --- segment checks: the translation checks of l10n.qa, over reviewed entries ----------------
#
# Each check of l10n.qa is registered here under its own id. They run over the reviewed entries
# of each document in catalog (= document) order, so that the glossary checks can tell whether a
# short form's full form came earlier. Every non-obsolete entry with a msgstr, reviewed or not,
# advances that state. A translator comment `# l10n: allow <id> [<id>…] [— reason]` silences the
# named checks for its entry; `allow-comment` reports ids that are unknown or silence nothing.

@dataclass
class _Row:
    entry: polib.POEntry
    segment: qa.Segment
    reviewed: bool
    odd_words: list[str]


def _rows(ctx: Context, doc: DocumentPaths) -> list[_Row]:
    """The entries of one catalog as qa segments, read once per run and shared by every check."""
    key = ("rows", doc.catalog)
    if key not in ctx.qa_cache:
        rows = []
        po = ctx.catalog(doc)
        for entry in po if po is not None else ():
            if entry.obsolete or not entry.msgstr:
                continue
            allow, odd = qa.parse_allow(entry.tcomment or "")
            block = get_notes(entry).block if entry.comment else ""
            rows.append(_Row(entry, qa.Segment(entry.msgid, entry.msgstr, block, allow), is_reviewed(entry), odd))
        ctx.qa_cache[key] = rows
    return ctx.qa_cache[key]


def _document_findings(ctx: Context, doc: DocumentPaths) -> dict[str, list[tuple[_Row, qa.Finding]]]:
    """The findings of the checks that read the document state, from one pass in document order
    (they share the state and the glossary counts), allowed or not."""
    key = ("document", doc.catalog)
    if key not in ctx.qa_cache:
        ids = [check_id for check_id, spec in qa.CHECKS.items() if spec.uses_document]
        found: dict[str, list[tuple[_Row, qa.Finding]]] = {check_id: [] for check_id in ids}
        state = qa.DocumentState(ctx.glossary)
        for row in _rows(ctx, doc):
            if row.reviewed:
                for check_id in ids:
                    found[check_id].extend((row, f) for f in qa.CHECKS[check_id].func(row.segment, state))
            state.advance(row.segment.source, row.segment.target)
        ctx.qa_cache[key] = found
    return ctx.qa_cache[key]


_NO_DOCUMENT = qa.DocumentState()
# The checks a translator comment can silence for one entry.
ALLOWED_PER_ENTRY = frozenset(qa.translation_checks()) | {"consistency"}


def _qa_findings(ctx: Context, doc: DocumentPaths, check_id: str, honour_allow: bool = True) -> Iterator[tuple[_Row, qa.Finding]]:
    spec = qa.CHECKS[check_id]
    if spec.uses_document:
        for row, finding in _document_findings(ctx, doc)[check_id]:
            if not (honour_allow and check_id in row.segment.allow):
                yield row, finding
        return
    for row in _rows(ctx, doc):
        if row.reviewed and not (honour_allow and check_id in row.segment.allow):
            for finding in spec.func(row.segment, _NO_DOCUMENT):
                yield row, finding


def _register_qa(check_id: str) -> None:
    def run(ctx: Context) -> Iterator[Problem]:
        for doc in ctx.documents:
            for row, finding in _qa_findings(ctx, doc, check_id):
                yield Problem(doc.catalog_display, row.entry.msgstr_line, check_id, finding.message)

    run.__name__ = "check_" + check_id.replace("-", "_")
    check(check_id, qa.CHECKS[check_id].description)(run)


for _check_id in qa.translation_checks():
    _register_qa(_check_id)


@check("allow-comment", "each `# l10n: allow` comment names segment checks that it silences")
def check_allow_comment(ctx: Context) -> Iterator[Problem]:
    for doc in ctx.documents:
        rows = [row for row in _rows(ctx, doc) if row.segment.allow or row.odd_words]
        if not rows:
            continue
        for row in rows:
            for word in row.odd_words:
                yield Problem(doc.catalog_display, row.entry.linenum, "allow-comment",
                              f"{word!r} in `l10n: allow` is not a check id; put the reason after a dash: `l10n: allow <id> — reason`")
            for check_id in sorted(row.segment.allow - ALLOWED_PER_ENTRY):
                known = "a catalog-wide check, which cannot be allowed per entry" if check_id in REGISTRY else "an unknown check"
                yield Problem(doc.catalog_display, row.entry.linenum, "allow-comment",
                              f"`l10n: allow {check_id}`: {check_id!r} is {known}; per-entry checks: {', '.join(sorted(ALLOWED_PER_ENTRY))}")
        used: set[tuple[int, str]] = set()
        for check_id in sorted({i for row in rows for i in row.segment.allow} & set(qa.CHECKS)):
            used.update((id(row), check_id) for row, _ in _qa_findings(ctx, doc, check_id, honour_allow=False))
        # Without a glossary the glossary checks find nothing: allowing them is moot, not wrong.
        moot = {i for i, spec in qa.CHECKS.items() if spec.uses_document} if not ctx.glossary.terms else set()
        for row in rows:
            for check_id in sorted(row.segment.allow & set(qa.CHECKS) - moot):
                if row.reviewed and (id(row), check_id) not in used:
                    yield Problem(doc.catalog_display, row.entry.linenum, "allow-comment",
                                  f"`l10n: allow {check_id}` silences nothing here: the check finds no problem in this entry; remove it")


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
    from .score import segment_scores

    for doc in ctx.documents:
        source, po = ctx.source(doc), ctx.catalog(doc)
        if not doc.published or source is None or po is None or gaps(source, po):
            continue  # unpublished, unreadable, or not complete: other checks say why
        for suffix, content in render_all(source, po, segment_scores(po, ctx.glossary), draft=False).items():
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


# --- consistency across entries and documents (term candidates, l10n.terms) ------------

@check("consistency", "a term (quoted, or recurring in reviewed entries) is rendered the same way wherever it occurs")
def check_consistency(ctx: Context) -> Iterator[Problem]:
    from .consistency import inconsistencies
    from .terms import Pair

    pairs, allowed = [], set()
    for doc in ctx.documents:
        for row in _rows(ctx, doc):
            if row.reviewed:
                pair = Pair(row.entry.msgid, row.entry.msgstr, f"{doc.catalog_display}:{row.entry.msgstr_line}")
                pairs.append(pair)
                if "consistency" in row.segment.allow:
                    allowed.add(id(pair))
    for found in inconsistencies(pairs, [t.zh for t in ctx.glossary.terms], lambda pair: id(pair) in allowed):
        path, line = found.here.where.rsplit(":", 1)
        others = ", ".join(p.where for p in found.there[:3]) + (f" and {len(found.there) - 3} more" if len(found.there) > 3 else "")
        yield Problem(path, int(line), "consistency",
                      f"{found.zh} is rendered {found.rendering!r} at {others}, but not here; make them agree, "
                      "or add the comment `# l10n: allow consistency` for an intended variation")


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
