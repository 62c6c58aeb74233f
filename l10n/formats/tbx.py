"""TBX termbases: glossary.csv out as TBX-Basic, other termbases in.

glossary.csv stays the source of truth. Export writes TBX-Basic in the TBX 2008 `martif` form
(ISO 30042:2008; valid against TBXcoreStructV02.dtd), which OmegaT, Trados MultiTerm (through its
converter), memoQ, Weblate and translate-toolkit read. One concept entry per glossary row:

    <termEntry id="t…">
      <note>the note column</note>
      <langSet xml:lang="zh-Hans"><tig><term>复兴号</term></tig></langSet>
      <langSet xml:lang="en">
        <tig><term>Fuxing</term><termNote type="administrativeStatus">preferredTerm-admn-sts</termNote></tig>
        <tig><term>Fuxing trains</term><termNote type="administrativeStatus">admittedTerm-admn-sts</termNote></tig>
      </langSet>
    </termEntry>

The preferred English term is the `en` column, admitted ones are the `variants`.

Import reads TBX 2008 (`martif`: termEntry/langSet/tig or ntig/termGrp), TBX v3 (`tbx`:
conceptEntry/langSec/termSec, any dialect) and TBX-Min (entry/langGroup/termGroup). Per concept:
each Simplified Chinese term becomes a glossary row; its English is the first English term marked
preferred (else the first that is not deprecated or superseded), the other English terms that are
not deprecated become variants, and the concept's notes become the note.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import L10nError
from ..notes import source_hash
from . import SOURCE_LANG, TARGET_LANG, is_source_language, is_target_language
from .xml import XML_LANG, Node, attr, read_xml, text

_ENTRY = {"termEntry", "conceptEntry", "entry"}
_LANG = {"langSet", "langSec", "langGroup"}
_TERM_GROUP = {"tig", "ntig", "termSec", "termGroup"}
_REJECTED = ("deprecated", "superseded", "notrecommended", "obsolete")


@dataclass
class Concept:
    zh: list[str]
    en: list[str]  # preferred first
    note: str
    line: int


@dataclass
class Termbase:
    concepts: list[Concept]
    skipped: Counter = field(default_factory=Counter)


def write_tbx(terms, source_lang: str = SOURCE_LANG, target_lang: str = TARGET_LANG,
              description: str = "glossary.csv") -> str:
    """`terms`: l10n.glossary.Term objects, in glossary order."""
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<!DOCTYPE martif SYSTEM "TBXcoreStructV02.dtd">',
        '<martif type="TBX-Basic" xml:lang="en">',
        "  <martifHeader>",
        "    <fileDesc>",
        "      <sourceDesc>",
        f"        <p>{text(description)}</p>",
        "      </sourceDesc>",
        "    </fileDesc>",
        "    <encodingDesc>",
        '      <p type="XCSURI">TBXBasicXCSV02.xcs</p>',
        "    </encodingDesc>",
        "  </martifHeader>",
        "  <text>",
        "    <body>",
    ]
    for term in terms:
        lines.append(f'      <termEntry id="t{source_hash(term.zh)}">')
        if term.note:
            lines.append(f"        <note>{text(term.note)}</note>")
        lines += [
            f"        <langSet xml:lang={attr(source_lang)}>",
            f"          <tig><term>{text(term.zh)}</term></tig>",
            "        </langSet>",
            f"        <langSet xml:lang={attr(target_lang)}>",
        ]
        for form, status in [(term.en, "preferredTerm-admn-sts")] + [(v, "admittedTerm-admn-sts") for v in term.variants]:
            lines.append(f'          <tig><term>{text(form)}</term><termNote type="administrativeStatus">'
                         f"{status}</termNote></tig>")
        lines += ["        </langSet>", "      </termEntry>"]
    lines += ["    </body>", "  </text>", "</martif>", ""]
    return "\n".join(lines)


def _clean(value: str) -> str:
    return " ".join(value.split())


def _status(group: Node) -> str:
    """The administrative status of a term group, lower case, without punctuation."""
    for node in group.iter("termNote"):
        if node.get("type") == "administrativeStatus":
            return node.text().lower()
    for node in group.iter("administrativeStatus"):  # TBX-Min, TBX v3 DCT style
        return node.text().lower()
    return ""


def read_tbx(path: Path, display: str) -> Termbase:
    return parse_tbx(read_xml(path, display, "TBX file"), display)


def parse_tbx(root: Node, display: str) -> Termbase:
    if root.local not in ("martif", "tbx", "TBX"):
        raise L10nError(f"not a TBX file: the root element is <{root.local}>, not <martif> or <tbx>",
                        display, root.line)
    default_lang = root.get(XML_LANG)
    base = Termbase([])
    entries = [n for n in _walk(root) if n.local in _ENTRY]
    if not entries:
        raise L10nError("no terminology entries (termEntry, conceptEntry or entry) in this TBX file", display, root.line)
    for entry in entries:
        zh: list[str] = []
        preferred: list[str] = []
        others: list[str] = []
        for lang_node in (n for n in entry.content if isinstance(n, Node) and n.local in _LANG):
            lang = lang_node.get(XML_LANG) or default_lang
            for group in (n for n in lang_node.content if isinstance(n, Node) and n.local in _TERM_GROUP):
                term_node = next(group.iter("term"), None)
                if term_node is None:
                    continue
                value = _clean(term_node.text())
                status = _status(group)
                if not value:
                    continue
                if any(word in status.replace(" ", "") for word in _REJECTED):
                    base.skipped["a deprecated or superseded term"] += 1
                    continue
                if is_source_language(lang):
                    zh.append(value)
                elif is_target_language(lang):
                    (preferred if "preferred" in status else others).append(value)
        notes = [_clean(n.text()) for n in entry.content if isinstance(n, Node) and n.local == "note"]
        english = list(dict.fromkeys(preferred + others))
        if not zh or not english:
            base.skipped["no Simplified Chinese term" if not zh else "no English term"] += 1
            continue
        base.concepts.append(Concept(list(dict.fromkeys(zh)), english, " ".join(n for n in notes if n), entry.line))
    return base


def _walk(node: Node):
    """Entries are not nested: stop descending at one."""
    for child in node.content:
        if isinstance(child, Node):
            if child.local in _ENTRY:
                yield child
            else:
                yield from _walk(child)


# --- into glossary.csv ------------------------------------------------------------------------

@dataclass
class GlossaryMerge:
    added: list[tuple[str, str, str, tuple[str, ...]]] = field(default_factory=list)  # zh, en, note, variants
    same: int = 0
    reported: list[tuple[int, str]] = field(default_factory=list)  # (line in the TBX file, why)
    content: bytes = b""  # the glossary with the new rows appended


def merge_into_glossary(raw: bytes, display: str, termbase: Termbase, tbx_display: str) -> GlossaryMerge:
    """New terms appended to the glossary (`raw`, its bytes), which is otherwise left byte for byte
    as it is. A term the glossary already has keeps the glossary's English, notes and variants; a
    different English is a conflict, reported, never applied."""
    import csv
    import io

    from ..glossary import parse_glossary
    from ..textio import decode_text

    existing_text = decode_text(raw, display, "glossary")
    terms, problems = parse_glossary(existing_text, display)
    if problems:
        first = problems[0]
        raise L10nError(f"{first.message}; fix the glossary before importing into it", display, first.line)
    header = next(csv.reader(io.StringIO(existing_text.split("\n", 1)[0])))
    columns = [h.strip().lower() for h in header]
    known = {t.zh: t for t in terms}
    merge = GlossaryMerge()
    for concept in termbase.concepts:
        en, variants = concept.en[0], tuple(concept.en[1:])
        for zh in concept.zh:
            prior = known.get(zh)
            if prior is None:
                if variants and "variants" not in columns:
                    merge.reported.append((concept.line, f"{zh}: the English variants {' | '.join(variants)} are not "
                                                         f"imported: {display} has no variants column"))
                row = (zh, en, concept.note, variants)
                merge.added.append(row)
                known[zh] = _row_term(row)
            elif prior.en != en:
                where = f"line {prior.line}" if prior.line else "an earlier entry of this file"
                merge.reported.append((concept.line, f"conflict: {zh} is {prior.en!r} in {display} ({where}), "
                                                     f"{en!r} in {tbx_display}; kept {prior.en!r}"))
            else:
                merge.same += 1
                extra = [v for v in variants if v not in prior.forms]
                if extra:
                    merge.reported.append((concept.line, f"{zh}: variants {' | '.join(extra)} are not in {display}; "
                                                         "add them by hand if they are right"))
    if not merge.added:
        merge.content = raw
        return merge
    newline = "\r\n" if b"\r\n" in raw else "\n"
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=newline)
    for zh, en, note, variants in merge.added:
        cells = {"zh": zh, "en": en, "note": note, "variants": "|".join(variants)}
        writer.writerow([cells.get(name, "") for name in columns])
    separator = b"" if raw.endswith(b"\n") else newline.encode()
    merge.content = raw + separator + out.getvalue().encode("utf-8")
    _, after = parse_glossary(decode_text(merge.content, display, "glossary"), display)
    if after:  # the rows are built from cleaned values; this guards the file, it should not happen
        raise L10nError(f"the merged glossary would not be valid ({after[0].message}); nothing written",
                        display, after[0].line)
    return merge


def _row_term(row):
    from ..glossary import Term

    zh, en, note, variants = row
    return Term(zh, en, note, 0, variants)
