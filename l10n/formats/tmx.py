"""TMX 1.4b translation memories: writing the reviewed pairs, reading other tools' memories.

Written (validates against tmx14.dtd):

    <tmx version="1.4">
      <header creationtool="l10n-zh-en" … segtype="sentence" srclang="zh-Hans" datatype="plaintext"/>
      <body>
        <tu tuid="changchun-equipment:2c6344cc3b79" creationdate="20261126T171800Z">
          <prop type="x-document">changchun-equipment</prop>
          <tuv xml:lang="zh-Hans"><seg>看长春</seg></tuv>
          <tuv xml:lang="en"><seg>Focus on Changchun</seg></tuv>
        </tu>

Read: TMX 1.1–1.4 as OmegaT, Trados, memoQ, Okapi and translate-toolkit write them: languages
in `xml:lang` or the older `lang`, any case (ZH-CN, zh-Hans, zh), the first Simplified Chinese
and the first English variant of each unit. Inline codes (<bpt>, <ept>, <it>, <ph>, <ut>) hold
the original file's markup, not text: they are left out, and <hi> keeps its text. A unit without
both languages or with an empty side is skipped and counted, never an error.
"""

from __future__ import annotations

import datetime
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from .. import __version__
from ..errors import L10nError
from . import SOURCE_LANG, TARGET_LANG, is_source_language, is_target_language
from .xml import XML_LANG, Node, attr, attrs, read_xml, text

CREATION_TOOL = "l10n-zh-en"
INLINE_CODES = {"bpt", "ept", "it", "ph", "ut"}
_TMX_DATE = re.compile(r"^\d{8}T\d{6}Z$")


@dataclass
class Unit:
    source: str
    target: str
    created: str | None = None  # TMX date, YYYYMMDDThhmmssZ
    tuid: str | None = None
    props: list[tuple[str, str]] = field(default_factory=list)
    where: str = ""  # where it was read from, `file:line`


@dataclass
class Memory:
    """What a TMX file held for zh → en, and what was skipped (reason → count)."""

    units: list[Unit]
    skipped: Counter
    languages: tuple[str, str] = (SOURCE_LANG, TARGET_LANG)  # as the file spells them


def tmx_date(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def po_date_to_tmx(value: str | None) -> str | None:
    """A PO header date (`2026-11-26 17:18+0000`) in TMX form, or None if it is not one."""
    if not value:
        return None
    try:
        moment = datetime.datetime.strptime(value.strip(), "%Y-%m-%d %H:%M%z")
    except ValueError:
        return None
    return tmx_date(moment)


def write_tmx(units: list[Unit], source_lang: str = SOURCE_LANG, target_lang: str = TARGET_LANG) -> str:
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<!DOCTYPE tmx SYSTEM "tmx14.dtd">',
        '<tmx version="1.4">',
        "  <header" + attrs([
            ("creationtool", CREATION_TOOL), ("creationtoolversion", __version__), ("segtype", "sentence"),
            ("o-tmf", "PO"), ("adminlang", "en"), ("srclang", source_lang), ("datatype", "plaintext"),
        ]) + "/>",
        "  <body>",
    ]
    for unit in units:
        lines.append("    <tu" + attrs([("tuid", unit.tuid), ("creationdate", unit.created)]) + ">")
        for kind, value in unit.props:
            lines.append(f"      <prop type={attr(kind)}>{text(value)}</prop>")
        lines.append(f'      <tuv xml:lang={attr(source_lang)}><seg>{text(unit.source)}</seg></tuv>')
        lines.append(f'      <tuv xml:lang={attr(target_lang)}><seg>{text(unit.target)}</seg></tuv>')
        lines.append("    </tu>")
    lines += ["  </body>", "</tmx>", ""]
    return "\n".join(lines)


def seg_text(seg: Node) -> str:
    """The text of a <seg>, without the inline codes' native markup."""
    out = []
    for piece in seg.content:
        if isinstance(piece, str):
            out.append(piece)
        elif piece.local not in INLINE_CODES:
            out.append(seg_text(piece))
    return "".join(out)


def _lang(node: Node) -> str | None:
    return node.get(XML_LANG) or node.get("lang")


def read_tmx(path: Path, display: str) -> Memory:
    root = read_xml(path, display, "TMX file")
    return parse_tmx(root, display)


def parse_tmx(root: Node, display: str) -> Memory:
    if root.local != "tmx":
        raise L10nError(f"not a TMX file: the root element is <{root.local}>, not <tmx>", display, root.line)
    version = root.get("version", "")
    if not re.fullmatch(r"1\.[1-4][a-z]?", version):
        raise L10nError(f"TMX version {version!r} is not supported (1.1 to 1.4b are)", display, root.line)
    body = root.child("body")
    if body is None:
        raise L10nError("TMX file without <body>", display, root.line)
    units: list[Unit] = []
    skipped: Counter = Counter()
    seen_langs: Counter = Counter()
    for tu in body.children("tu"):
        source = target = None
        for tuv in tu.children("tuv"):
            lang = _lang(tuv)
            seg = tuv.child("seg")
            if seg is None:
                continue
            if source is None and is_source_language(lang):
                source = (lang, tuv, seg)
            elif target is None and is_target_language(lang):
                target = (lang, tuv, seg)
        if source is None or target is None:
            skipped["no Simplified Chinese variant" if source is None else "no English variant"] += 1
            continue
        src, tgt = seg_text(source[2]).strip(), seg_text(target[2]).strip()
        if not src or not tgt:
            skipped["an empty segment"] += 1
            continue
        seen_langs[(source[0], target[0])] += 1
        created = tu.get("creationdate") or target[1].get("creationdate")
        props = [(p.get("type", ""), p.text()) for p in tu.children("prop")]
        units.append(Unit(src, tgt, created if created and _TMX_DATE.match(created) else None,
                          tu.get("tuid"), props, f"{display}:{tu.line}"))
    languages = seen_langs.most_common(1)[0][0] if seen_langs else (SOURCE_LANG, TARGET_LANG)
    return Memory(units, skipped, languages)


# --- the project's side -----------------------------------------------------------------------

def catalog_units(catalogs) -> list[Unit]:
    """One unit per distinct reviewed (Chinese, English) pair of `catalogs` ((document name,
    polib catalog) pairs), in catalog order. Its creation date is the catalog's PO-Revision-Date
    (a PO file keeps no date per entry), and every document it occurs in is a property."""
    from ..notes import source_hash
    from ..pofile import is_reviewed

    units: dict[tuple[str, str], Unit] = {}
    for name, po in catalogs:
        created = po_date_to_tmx(po.metadata.get("PO-Revision-Date"))
        for entry in po:
            if entry.obsolete or not is_reviewed(entry):
                continue
            key = (entry.msgid, entry.msgstr)
            unit = units.get(key)
            if unit is None:
                unit = units[key] = Unit(entry.msgid, entry.msgstr, created, f"{name}:{source_hash(entry.msgid)}")
            if ("x-document", name) not in unit.props:
                unit.props.append(("x-document", name))
    return list(units.values())


ORIGIN = "x-l10n-origin"  # where an imported unit came from: file and line


def pairs(memory: Memory):
    """(source, target, where) for the translation memory (l10n.memory)."""
    for unit in memory.units:
        origin = next((value for kind, value in unit.props if kind == ORIGIN), None)
        yield unit.source, unit.target, origin or unit.where


def stored_copy(memory: Memory) -> list[Unit]:
    """The units to keep for an imported memory: its zh → en pairs, each remembering its origin."""
    kept = []
    for unit in memory.units:
        origin = next((value for kind, value in unit.props if kind == ORIGIN), unit.where)
        props = [(kind, value) for kind, value in unit.props if kind != ORIGIN]
        kept.append(Unit(unit.source, unit.target, unit.created, unit.tuid, props + [(ORIGIN, origin)]))
    return kept
