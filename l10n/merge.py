"""Merging a new segmentation into a catalog, msgmerge-style, without ever losing a translator's work.

  unchanged segment   keeps its entry as it is
  changed segment     takes the nearest earlier translation, marked fuzzy, with the old Chinese
                      as `#| msgid` and the MT record that came with it marked as previous
  vanished segment    its entry becomes obsolete (`#~`), notes and MT record included
  returning segment   an obsolete entry with its exact text is revived, records and all

One difference from msgmerge, so that no reviewed work can be lost: a reviewed entry whose
translation was lent to a changed segment is also kept as obsolete, so reverting the edit revives
it as it was even if the translator has since rewritten the fuzzy suggestion.
"""

from __future__ import annotations

import copy
import difflib
from dataclasses import dataclass
from pathlib import Path

import polib

from .notes import WRAP_WIDTH, Notes, get_notes, set_notes
from .pofile import REQUIRED_HEADERS, new_metadata, read_catalog, write_catalog
from .segment import Document
from .similarity import BigramIndex

FUZZY_THRESHOLD = 0.6
NEW_CATALOG_HEADER = ("English translation of {project}.\n"
                      "The msgid is the Chinese source segment; see README.md for the workflow.")


@dataclass
class MergeStats:
    """What a merge did, entry by entry."""

    created: bool = False  # there was no catalog before
    kept: int = 0  # unchanged segments
    new: int = 0  # untranslated new entries
    fuzzy: int = 0  # changed segments given the nearest earlier translation
    revived: int = 0  # obsolete entries whose segment came back
    obsoleted: int = 0  # entries whose segment vanished in this merge


def _nearest(new_ids: list[str], candidates: list[polib.POEntry]) -> dict[str, polib.POEntry]:
    """Pair changed segments with the most similar earlier entries (each used at most once).

    Candidates are narrowed with a character-bigram index, then ranked by difflib's ratio; pairs
    are taken best-first so the assignment does not depend on the order of the segments.
    """
    if not new_ids or not candidates:
        return {}
    index = BigramIndex()
    for entry in candidates:
        index.add(entry.msgid)
    scored: list[tuple[float, int, int]] = []
    for n, msgid in enumerate(new_ids):
        grams, shared = index.candidates(msgid)
        best = sorted(shared.items(), key=lambda kv: (-kv[1], kv[0]))[:8]
        for i, count in best:
            if count / max(len(grams), 1) < FUZZY_THRESHOLD / 2:
                continue
            ratio = difflib.SequenceMatcher(None, msgid, candidates[i].msgid, autojunk=False).ratio()
            if ratio >= FUZZY_THRESHOLD:
                scored.append((ratio, n, i))
    scored.sort(key=lambda t: (-t[0], t[1], t[2]))
    taken_new: set[int] = set()
    taken_old: set[int] = set()
    result: dict[str, polib.POEntry] = {}
    for _, n, i in scored:
        if n in taken_new or i in taken_old:
            continue
        taken_new.add(n)
        taken_old.add(i)
        result[new_ids[n]] = candidates[i]
    return result


def _borrowed(source: polib.POEntry, msgid: str) -> polib.POEntry:
    """A fuzzy entry for `msgid` with the translation of `source`, an entry for an earlier text."""
    entry = polib.POEntry(msgid=msgid, msgstr=source.msgstr, flags=["fuzzy"], tcomment=source.tcomment)
    entry.previous_msgid = source.msgid
    lent = get_notes(source)
    mt, key = (lent.mt, lent.mt_key) if lent.mt is not None else (lent.mt_previous, lent.mt_previous_key)
    set_notes(entry, Notes(mt_previous=mt, mt_previous_key=key if mt is not None else ""))
    return entry


def _keeps_something(entry: polib.POEntry) -> bool:
    return bool(entry.obsolete or entry.msgstr or entry.tcomment or get_notes(entry).mt is not None)


def merge(doc: Document, old: polib.POFile | None, project: str) -> tuple[polib.POFile, MergeStats]:
    """The catalog for `doc`, carrying over everything translators and MT runs left in `old`."""
    stats = MergeStats(created=old is None)
    po = polib.POFile(wrapwidth=WRAP_WIDTH, encoding="utf-8")
    metadata = new_metadata(project)
    if old is not None:
        # An existing header is the translators' (and their editors'): keep it as it is, adding
        # only what a valid catalog cannot do without.
        defaults, metadata = metadata, dict(old.metadata)
        for name in REQUIRED_HEADERS:
            if not metadata.get(name):
                metadata[name] = defaults[name]
    po.metadata = metadata
    po.header = old.header if old is not None else NEW_CATALOG_HEADER.format(project=project)

    occurrences: dict[str, list[tuple[str, str]]] = {}
    kinds: dict[str, str] = {}
    for seg in doc.segments():
        occurrences.setdefault(seg.text, []).append((doc.path, str(seg.line)))
        kinds.setdefault(seg.text, seg.kind)
    entries = list(old) if old is not None else []
    active = {e.msgid: e for e in entries if not e.obsolete}
    obsolete = {e.msgid: e for e in entries if e.obsolete}

    unmatched = [msgid for msgid in occurrences if msgid not in active and msgid not in obsolete]
    leftovers = [e for e in entries if e.msgid not in occurrences and e.msgstr]
    fuzzy_sources = _nearest(unmatched, leftovers)
    lent: set[int] = set()

    for msgid, places in occurrences.items():
        if msgid in active:
            entry = copy.deepcopy(active[msgid])
            stats.kept += 1
        elif msgid in obsolete:
            entry = copy.deepcopy(obsolete[msgid])
            entry.obsolete = False
            stats.revived += 1
        elif msgid in fuzzy_sources:
            lent.add(id(fuzzy_sources[msgid]))
            entry = _borrowed(fuzzy_sources[msgid], msgid)
            stats.fuzzy += 1
        else:
            entry = polib.POEntry(msgid=msgid, msgstr="")
            stats.new += 1
        entry.occurrences = places
        notes = get_notes(entry)
        notes.block = kinds[msgid]
        notes.settle(msgid)
        set_notes(entry, notes)
        po.append(entry)

    for entry in entries:
        if entry.msgid in occurrences:
            continue
        if id(entry) in lent and entry.fuzzy:
            continue  # a draft that moved on, with its MT record, into the new fuzzy entry
        # (a lent reviewed translation stays, active or already obsolete, for a revert)
        if not _keeps_something(entry):
            continue  # nothing of a translator's or of an MT run to keep
        if not entry.obsolete:
            stats.obsoleted += 1
        gone = copy.deepcopy(entry)
        notes = get_notes(gone)
        notes.block = ""
        gone.obsolete = True
        gone.occurrences = []
        # polib neither reads back `#~|` nor writes extracted comments of obsolete entries; what
        # is kept of them is what reads back the same.
        gone.previous_msgid = gone.previous_msgctxt = None
        set_notes(gone, notes)
        po.append(gone)
    return po, stats


def update_catalog(document: Document, catalog: Path, catalog_display: str, project: str,
                   lock) -> tuple[bool, polib.POFile, MergeStats]:
    """Merge `document` into the catalog (created if missing) while holding `lock` (a context
    manager). Returns (written, catalog, stats)."""
    with lock:
        old = read_catalog(catalog, catalog_display) if catalog.exists() else None
        po, stats = merge(document, old, project)
        written = write_catalog(po, catalog, old)
    return written, po, stats
