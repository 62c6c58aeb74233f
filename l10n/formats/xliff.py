"""XLIFF for CAT tools (OmegaT, Trados, memoQ, Weblate): a document's catalog out, the
translator's work back in.

Written: XLIFF 2.1 (default; validates against the OASIS core and Metadata module schemas) or
1.2 (strict schema). One unit per active catalog entry, in catalog order:

  PO entry                  XLIFF 2.1                          XLIFF 1.2
  untranslated              state="initial", no <target>       no <target>
  fuzzy (a draft: MT, TM)   state="initial" + <target>         approved="no", state="needs-review-translation"
  reviewed                  state="reviewed" + <target>        approved="yes", state="translated"
  block kind, translator    <note category="block"|"comment"|  <note from="developer">block: …</note>
  comment, raw MT, QA         "MT"|"QA"|"TM">                    (likewise), locations in a
  messages, TM matches                                           po-reference context group
  what was exported         <mda:meta type="exported-target">  extradata="l10n-zh-en exported-target=…
                            (a hash) and "exported-state"        exported-state=…"

Read back (any tool's XLIFF 1.0–1.2 or 2.0–2.2): a unit counts as reviewed when the translator
confirmed it: 2.x state translated, reviewed or final; 1.x approved="yes", or, without an
approved attribute, state translated, signed-off or final. Anything else with a target is a draft
(fuzzy). This is how translate-toolkit and Weblate read the states, so a draft never passes for
a finished translation in either direction.

`apply_import` brings the targets into a catalog under the no-loss rules of `update`; see there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import polib

from .. import __version__
from ..errors import L10nError
from ..notes import get_notes, source_hash, tool_messages, TOOL_MESSAGE_LINE
from ..pofile import is_reviewed
from ..script import has_cjk_letters
from . import SOURCE_LANG, TARGET_LANG, is_source_language, is_target_language
from .xml import Node, attr, attrs, read_xml, text

XLIFF2_NS = "urn:oasis:names:tc:xliff:document:2.0"
XLIFF1_NS = "urn:oasis:names:tc:xliff:document:1.2"
MDA_NS = "urn:oasis:names:tc:xliff:metadata:2.0"
TOOL = "l10n-zh-en"
UNTRANSLATED, FUZZY, REVIEWED = "untranslated", "fuzzy", "reviewed"


def status_of(entry: polib.POEntry) -> str:
    if not entry.msgstr:
        return UNTRANSLATED
    return REVIEWED if is_reviewed(entry) else FUZZY


# --- export ---------------------------------------------------------------------------------

@dataclass
class ExportUnit:
    id: str
    source: str
    target: str
    status: str
    locations: list[tuple[str, str]]
    notes: list[tuple[str, str]]  # (category, text)

    @property
    def name(self) -> str | None:
        return ":".join(self.locations[0]) if self.locations else None

    @property
    def base(self) -> str:
        """What the unit held when exported, as a hash: import compares it with the catalog."""
        return source_hash(self.target)


def export_units(po: polib.POFile) -> list[ExportUnit]:
    units: list[ExportUnit] = []
    ids: set[str] = set()
    for entry in po:
        if entry.obsolete or not entry.msgid:
            continue
        notes = get_notes(entry)
        found: list[tuple[str, str]] = []
        if notes.block:
            found.append(("block", notes.block))
        comment = "\n".join(line for line in (entry.tcomment or "").split("\n")
                            if line and not TOOL_MESSAGE_LINE.match(line))
        if comment:
            found.append(("comment", comment))
        if notes.mt is not None:
            found.append(("MT", notes.mt))
        found += [("QA", message) for message in tool_messages(entry)]
        if notes.origin:
            found.append(("origin", notes.origin))
        found += [("TM", f"{m.percent}%: {m.source} → {m.target}") for m in notes.tm]
        unit_id = f"u{source_hash(entry.msgid)}"
        while unit_id in ids:  # a hash collision between two segments: still unique, still stable
            unit_id += "x"
        ids.add(unit_id)
        units.append(ExportUnit(unit_id, entry.msgid, entry.msgstr, status_of(entry),
                                list(entry.occurrences), found))
    return units


def _meta_group(unit: ExportUnit, indent: str) -> list[str]:
    return [
        f"{indent}<mda:metadata>",
        f'{indent}  <mda:metaGroup category="{TOOL}">',
        f'{indent}    <mda:meta type="exported-target">{unit.base}</mda:meta>',
        f'{indent}    <mda:meta type="exported-state">{unit.status}</mda:meta>',
        f"{indent}  </mda:metaGroup>",
        f"{indent}</mda:metadata>",
    ]


def write_xliff2(units: list[ExportUnit], original: str, document: str, source_lang: str = SOURCE_LANG,
                 target_lang: str = TARGET_LANG) -> str:
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<xliff xmlns="{XLIFF2_NS}" xmlns:mda="{MDA_NS}" version="2.1"'
        + attrs([("srcLang", source_lang), ("trgLang", target_lang)]) + ">",
        "  <file" + attrs([("id", "f1"), ("original", original)]) + ' xml:space="preserve">',
        "    <mda:metadata>",
        f'      <mda:metaGroup category="{TOOL}">',
        f"        <mda:meta type=\"document\">{text(document)}</mda:meta>",
        f"        <mda:meta type=\"tool-version\">{text(__version__)}</mda:meta>",
        "      </mda:metaGroup>",
        "    </mda:metadata>",
    ]
    for unit in units:
        lines.append("    <unit" + attrs([("id", unit.id), ("name", unit.name), ("canResegment", "no")]) + ">")
        lines += _meta_group(unit, "      ")
        if unit.notes:
            lines.append("      <notes>")
            lines += [f"        <note category={attr(c)}>{text(t)}</note>" for c, t in unit.notes]
            lines.append("      </notes>")
        state = "reviewed" if unit.status == REVIEWED else "initial"
        lines.append(f'      <segment id="s1" state="{state}">')
        lines.append(f"        <source>{text(unit.source)}</source>")
        if unit.status != UNTRANSLATED:
            lines.append(f"        <target>{text(unit.target)}</target>")
        lines += ["      </segment>", "    </unit>"]
    lines += ["  </file>", "</xliff>", ""]
    return "\n".join(lines)


def write_xliff12(units: list[ExportUnit], original: str, document: str, source_lang: str = SOURCE_LANG,
                  target_lang: str = TARGET_LANG) -> str:
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<xliff xmlns="{XLIFF1_NS}" version="1.2">',
        "  <file" + attrs([("original", original), ("source-language", source_lang),
                           ("target-language", target_lang), ("datatype", "plaintext"),
                           ("product-name", document)]) + ">",
        "    <header>",
        "      <tool" + attrs([("tool-id", TOOL), ("tool-name", TOOL), ("tool-version", __version__)]) + "/>",
        "    </header>",
        "    <body>",
    ]
    for unit in units:
        approved = {REVIEWED: "yes", FUZZY: "no"}.get(unit.status)
        extradata = f"{TOOL} exported-target={unit.base} exported-state={unit.status}"
        lines.append("      <trans-unit" + attrs([("id", unit.id), ("resname", unit.name), ("approved", approved),
                                                  ("extradata", extradata)]) + ' xml:space="preserve">')
        lines.append(f"        <source>{text(unit.source)}</source>")
        if unit.status != UNTRANSLATED:
            state = "translated" if unit.status == REVIEWED else "needs-review-translation"
            lines.append(f'        <target state="{state}">{text(unit.target)}</target>')
        for path, line in unit.locations:
            lines += [
                '        <context-group purpose="location">',  # a name would have to be unique in the file
                f'          <context context-type="sourcefile">{text(path)}</context>',
                f'          <context context-type="linenumber">{text(line)}</context>',
                "        </context-group>",
            ]
        lines += [f'        <note from="developer">{text(c)}: {text(t)}</note>' for c, t in unit.notes]
        lines.append("      </trans-unit>")
    lines += ["    </body>", "  </file>", "</xliff>", ""]
    return "\n".join(lines)


# --- reading --------------------------------------------------------------------------------

@dataclass
class ImportUnit:
    line: int
    source: str
    target: str | None  # None: no translation in the file
    reviewed: bool
    base: str | None = None  # hash of what was exported, when the file says
    base_state: str | None = None
    problem: str | None = None  # why the unit cannot be used


@dataclass
class XliffFile:
    version: str
    units: list[ImportUnit] = field(default_factory=list)


class _InlineCode(Exception):
    def __init__(self, name: str):
        self.name = name


# Inline elements whose content is text; the others stand for codes of an original format.
_TEXT_INLINE = {"mrk", "pc", "g"}
_MARKERS = {"sm", "em"}  # XLIFF 2 annotation markers: empty, no text


def _inline_text(node: Node) -> str:
    out = []
    for piece in node.content:
        if isinstance(piece, str):
            out.append(piece)
        elif piece.local in _TEXT_INLINE:
            out.append(_inline_text(piece))
        elif piece.local == "cp":
            try:
                out.append(chr(int(piece.get("hex", ""), 16)))
            except ValueError:
                raise _InlineCode("cp with a bad hex value") from None
        elif piece.local in _MARKERS:
            continue
        else:
            raise _InlineCode(piece.local)
    return "".join(out)


def read_xliff(path: Path, display: str) -> XliffFile:
    return parse_xliff(read_xml(path, display, "XLIFF file"), display)


def parse_xliff(root: Node, display: str) -> XliffFile:
    if root.local != "xliff":
        raise L10nError(f"not an XLIFF file: the root element is <{root.local}>, not <xliff>", display, root.line)
    version = root.get("version", "")
    if version.startswith("2."):
        return _parse2(root, display, version)
    if version in ("1.0", "1.1", "1.2"):
        return _parse1(root, display, version)
    raise L10nError(f"XLIFF version {version!r} is not supported (1.0–1.2 and 2.x are)", display, root.line)


def _check_languages(source: str | None, target: str | None, units: list[ImportUnit], display: str,
                     line: int) -> None:
    """Refuse a file for other languages. Units are matched by their Chinese text, so a file
    whose Chinese sources carry a wrong label is still usable (po2xliff, which cannot know a PO
    file's source language, labels every file en-US)."""
    if not is_source_language(source) and not any(has_cjk_letters(u.source) for u in units):
        raise L10nError(f"the source language of this XLIFF file is {source!r}, not Simplified Chinese",
                        display, line)
    if target and not is_target_language(target):
        raise L10nError(f"the target language of this XLIFF file is {target!r}, not English", display, line)


def _parse2(root: Node, display: str, version: str) -> XliffFile:
    result = XliffFile(version)
    for unit in root.iter("unit"):
        result.units.append(_unit2(unit))
    _check_languages(root.get("srcLang"), root.get("trgLang"), result.units, display, root.line)
    return result


def _meta(unit: Node) -> dict[str, str]:
    found = {}
    for metadata in unit.children("metadata"):
        if metadata.namespace != MDA_NS:
            continue
        for group in metadata.iter("metaGroup"):
            if group.get("category") == TOOL:
                for meta in group.children("meta"):
                    found[meta.get("type", "")] = meta.text()
    return found


def _unit2(unit: Node) -> ImportUnit:
    parts = [c for c in unit.content if isinstance(c, Node) and c.local in ("segment", "ignorable")]
    meta = _meta(unit)
    result = ImportUnit(unit.line, "", None, False, meta.get("exported-target"), meta.get("exported-state"))
    sources, targets = [], []
    reviewed = True
    missing = False
    try:
        for part in parts:
            source, target = part.child("source"), part.child("target")
            sources.append(_inline_text(source) if source is not None else "")
            if target is not None and target.get("order"):
                result.problem = "the target reorders segments (order attribute), which cannot be mapped back"
            if part.local == "ignorable":
                targets.append(_inline_text(target) if target is not None else sources[-1])
                continue
            if target is None or not target.content:
                missing = True
                targets.append("")
            else:
                targets.append(_inline_text(target))
            reviewed &= part.get("state", "initial") in ("translated", "reviewed", "final")
    except _InlineCode as code:
        result.problem = f"the unit holds an inline code <{code.name}>, which a plain-text catalog cannot take"
    result.source = "".join(sources)
    joined = "".join(targets)
    if missing and joined.strip() and result.problem is None:
        result.problem = "only some of the unit's segments are translated"
    result.target = joined if joined and not missing else None
    result.reviewed = reviewed and result.target is not None
    return result


def _parse1(root: Node, display: str, version: str) -> XliffFile:
    result = XliffFile(version)
    for file in root.iter("file"):
        units = [_unit1(unit) for unit in file.iter("trans-unit")
                 if unit.get("restype") != "x-gettext-domain-header"]  # a PO header carried by po2xliff
        _check_languages(file.get("source-language"), file.get("target-language"), units, display, file.line)
        result.units += units
    return result


def _unit1(unit: Node) -> ImportUnit:
    fields = dict(part.split("=", 1) for part in (unit.get("extradata") or "").split()[1:] if "=" in part) \
        if (unit.get("extradata") or "").startswith(TOOL + " ") else {}
    result = ImportUnit(unit.line, "", None, False, fields.get("exported-target"), fields.get("exported-state"))
    source, target = unit.child("source"), unit.child("target")
    try:
        result.source = _inline_text(source) if source is not None else ""
        result.target = (_inline_text(target) or None) if target is not None else None
    except _InlineCode as code:
        result.problem = f"the unit holds an inline code <{code.name}>, which a plain-text catalog cannot take"
    approved = unit.get("approved")
    state = target.get("state") if target is not None else None
    if approved in ("yes", "no"):
        reviewed = approved == "yes"
    else:
        reviewed = state in ("translated", "signed-off", "final")
    result.reviewed = reviewed and result.target is not None
    return result


# --- import ---------------------------------------------------------------------------------

@dataclass
class ImportReport:
    applied: int = 0  # targets taken into msgstr
    confirmed: int = 0  # drafts the translator confirmed as they were (fuzzy flag cleared)
    unchanged: int = 0
    untranslated: int = 0  # units without a target
    reported: list[tuple[int, str]] = field(default_factory=list)  # (line in the XLIFF file, why)


def _short(value: str, width: int = 50) -> str:
    from ..problems import shorten

    return shorten(" ".join(value.split()), width)


def apply_import(po: polib.POFile, xliff: XliffFile) -> ImportReport:
    """Bring each unit's target into the entry with the same source text.

    A target replaces the msgstr only where nothing is lost: the entry is untranslated or a
    draft, or it is reviewed and the XLIFF says the translator confirmed a new text while the
    catalog still holds what was exported. When the file records what was exported and the
    catalog has changed since, a target that changed too is a conflict. A reviewed entry is never
    replaced by an unconfirmed target or made a draft again, and an empty target never clears a
    msgstr. Everything not applied is reported with its line."""
    report = ImportReport()
    active = {e.msgid: e for e in po if not e.obsolete and e.msgid}
    seen: set[str] = set()
    for unit in xliff.units:
        def skip(message: str) -> None:
            report.reported.append((unit.line, message))

        if unit.problem:
            skip(f"{_short(unit.source, 30)}: {unit.problem}; not imported")
            continue
        entry = active.get(unit.source)
        if entry is None:
            skip(f"no entry for this source in the catalog (edited since the export?): {_short(unit.source)}")
            continue
        if unit.source in seen:
            skip(f"a second unit for the same source: {_short(unit.source)}; only the first is imported")
            continue
        seen.add(unit.source)
        current, reviewed = entry.msgstr, is_reviewed(entry)
        changed_here = unit.base is not None and (
            source_hash(current) != unit.base or (unit.base_state is not None and status_of(entry) != unit.base_state))
        target = unit.target
        if not target:
            report.untranslated += 1
            if current and unit.base is not None and unit.base_state != UNTRANSLATED and not changed_here:
                skip(f"the target was emptied in the XLIFF file; the catalog keeps its translation: {_short(current)}")
            continue
        if target == current:
            if unit.reviewed and not reviewed:
                if changed_here:
                    skip(f"confirmed in the XLIFF file, but the catalog entry changed since the export: left as it is: "
                         f"{_short(unit.source, 30)}")
                    continue
                entry.fuzzy = False
                report.confirmed += 1
            elif reviewed and not unit.reviewed:
                skip(f"reviewed in the catalog, not confirmed in the XLIFF file: left reviewed: {_short(current)}")
            else:
                report.unchanged += 1
            continue
        if changed_here:
            if source_hash(target) == unit.base:
                report.unchanged += 1  # only the catalog moved on since the export
                continue
            skip(f"conflict: changed in the catalog since the export and in the XLIFF file; kept the catalog's "
                 f"{_short(current, 40)!r}, not {_short(target, 40)!r}")
            continue
        if reviewed and not unit.reviewed:
            skip(f"reviewed in the catalog; the XLIFF file's different target is not confirmed: not applied: "
                 f"{_short(target)}")
            continue
        if reviewed and unit.base is None:
            skip(f"reviewed in the catalog and different in the XLIFF file, which does not record what was exported: "
                 f"not applied: {_short(target)}")
            continue
        entry.msgstr = target
        entry.fuzzy = not unit.reviewed
        report.applied += 1
    return report
