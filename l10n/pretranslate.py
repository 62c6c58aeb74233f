"""Pre-translation: which entries need MT, glossary constraints and their verification, and the
record of every MT output and where it came from.

What needs MT (everything else is left alone, so a second run makes no model call and a fully
reviewed catalog loads no model at all):
  * an untranslated entry, unless a reviewed entry with the same source exists in some catalog
    under the target directory (translation memory: reused, fuzzy, origin noted);
  * an unreviewed entry whose msgstr is still the MT output recorded for another model or
    glossary (it gets the current model's output);
  * with refresh=True, every entry whose MT record is missing or from another model or glossary,
    reviewed entries included: only their MT record changes, never their msgstr.

Every entry that is not reviewed also gets its best fuzzy translation-memory matches (at least
FUZZY_THRESHOLD percent, l10n.memory) as `#. TM 86%: <source> → <target>` notes, recomputed on
each run; a reviewed entry's matches are removed.

A reviewed msgstr (non-empty, not fuzzy) is never changed. A fuzzy msgstr that a translator
edited is never replaced either: only the MT record next to it is updated. An unedited MT output
that came with a fuzzy match (recorded as `MT-previous`) is replaced by MT of the new source.
"""

from __future__ import annotations

import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import polib

from .config import DocumentPaths
from .engines import Engine, TermHint, TranslationRequest
from .errors import L10nError, TranslationAborted
from .glossary import Glossary
from .memory import FUZZY_LIMIT, FUZZY_THRESHOLD, Memory
from .notes import TMNote, get_notes, set_notes, set_tool_messages, source_hash
from .pofile import copy_catalog, is_reviewed, read_catalog, write_catalog
from .script import cjk_leftovers

SAVE_EVERY_S = 20.0


def model_identity(model: str) -> str:
    """How a model is named in MT records: a hub id as is, a local path by its last component."""
    path = Path(model).expanduser()
    if path.exists():
        return path.resolve().name
    return model


def mt_key(engine: str, model: str, glossary: Glossary, source: str) -> str:
    return f"engine={engine} model={model_identity(model)} glossary={glossary.digest} source={source_hash(source)}"


@dataclass
class Summary:
    translated: int = 0
    from_memory: int = 0
    skipped: int = 0
    refreshed: int = 0
    tm_matched: int = 0  # entries shown fuzzy translation-memory matches
    terms_total: int = 0
    terms_ok: int = 0
    model_calls: int = 0
    seconds: float = 0.0
    flagged: list[str] = field(default_factory=list)

    @property
    def term_rate(self) -> float | None:
        return self.terms_ok / self.terms_total if self.terms_total else None

    def lines(self) -> list[str]:
        rate = f"{100 * self.term_rate:.1f}% ({self.terms_ok}/{self.terms_total})" if self.term_rate is not None else "n/a (no glossary terms in the translated segments)"
        return [
            f"translated by MT: {self.translated} (MT record refreshed on reviewed entries: {self.refreshed})",
            f"taken from translation memory: {self.from_memory}; "
            f"shown fuzzy memory matches (≥ {FUZZY_THRESHOLD}%): {self.tm_matched}",
            f"skipped (reviewed, or MT already recorded for this model and glossary): {self.skipped}",
            f"glossary term success: {rate}",
            f"model calls: {self.model_calls}; time: {self.seconds:.1f} s",
        ]


@dataclass
class Job:
    entry: polib.POEntry
    replace_msgstr: bool


def plan(po: polib.POFile, key_for: Callable[[str], str], memory: Memory, refresh: bool,
         summary: Summary) -> list[Job]:
    """Decide per entry: MT, memory, or nothing. Memory hits are applied here."""
    jobs: list[Job] = []
    for entry in po:
        if entry.obsolete:
            continue
        notes = get_notes(entry)
        current = notes.mt is not None and notes.mt_key == key_for(entry.msgid)
        reviewed = is_reviewed(entry)
        if current:
            summary.skipped += 1
            continue
        if not entry.msgstr:
            hit = memory.exact.get(entry.msgid)
            if hit is not None:
                entry.msgstr = hit[0]
                entry.fuzzy = True
                notes.origin = f"translation memory, {hit[1]}"
                set_notes(entry, notes)
                summary.from_memory += 1
                continue
            jobs.append(Job(entry, replace_msgstr=True))
        elif not reviewed and entry.msgstr in (notes.mt, notes.mt_previous):
            jobs.append(Job(entry, replace_msgstr=True))
        elif refresh:
            jobs.append(Job(entry, replace_msgstr=False))
        else:
            summary.skipped += 1
    return jobs


def record_tm_matches(po: polib.POFile, memory: Memory, summary: Summary) -> None:
    """Give each entry that is not reviewed its best fuzzy memory matches as notes (a match that
    is exactly what the msgstr already says is left out); take them off reviewed entries."""
    for entry in po:
        if entry.obsolete:
            continue
        notes = get_notes(entry)
        matches: tuple[TMNote, ...] = ()
        if not is_reviewed(entry):
            matches = tuple(
                TMNote(m.percent, m.source, m.target)
                for m in memory.fuzzy(entry.msgid, FUZZY_THRESHOLD, FUZZY_LIMIT + 1)
                if not (m.source == entry.msgid and m.target == entry.msgstr)
            )[:FUZZY_LIMIT]
        if matches:
            summary.tm_matched += 1
        if matches != notes.tm:
            notes.tm = matches
            set_notes(entry, notes)


def _request(entry: polib.POEntry, glossary: Glossary, memory: Memory, wants_context: bool,
             position: dict[str, int], order: list[polib.POEntry]) -> TranslationRequest:
    terms = tuple(TermHint(m.term.zh, m.term.en, m.start, m.end) for m in glossary.find(entry.msgid))
    if not wants_context:
        return TranslationRequest(entry.msgid, terms)
    i = position[entry.msgid]
    context = []
    for earlier in reversed(order[max(0, i - 8):i]):
        translation = earlier.msgstr or (get_notes(earlier).mt or "")
        if translation:
            context.append((earlier.msgid, translation))
        if len(context) == 3:
            break
    return TranslationRequest(entry.msgid, terms, tuple(reversed(context)), tuple(memory.similar(entry.msgid, 3)))


def apply_output(job: Job, output: str, key: str, glossary: Glossary, summary: Summary) -> None:
    entry = job.entry
    output = " ".join(output.split())
    notes = get_notes(entry)
    notes.mt = output
    notes.mt_key = key
    notes.origin = ""
    if job.replace_msgstr:  # the borrowed MT it replaces is of an earlier source: no longer needed
        notes.mt_previous, notes.mt_previous_key = None, ""
    set_notes(entry, notes)
    matches = glossary.find(entry.msgid)
    missing = glossary.missing(entry.msgid, output)
    summary.terms_total += len(matches)
    summary.terms_ok += len(matches) - len(missing)
    if not job.replace_msgstr:
        summary.refreshed += 1
        return
    summary.translated += 1
    entry.msgstr = output
    entry.fuzzy = True
    messages = []
    if missing:
        names = "; ".join(f"{m.term.zh} → {m.term.en}" for m in dict.fromkeys(missing))
        messages.append(f"MT missed glossary terms: {names}")
    if cjk_leftovers(output):
        messages.append("MT output still has Chinese characters or full-width punctuation")
    if not output:
        messages.append("MT produced no output")
    if messages:
        summary.flagged.append(entry.msgid)
    set_tool_messages(entry, messages)


def _raise_interrupt(signum, frame):  # SIGTERM behaves like Ctrl-C: finish cleanly, keep the work
    raise KeyboardInterrupt


def pretranslate_document(
    doc: DocumentPaths,
    glossary: Glossary,
    memory: Memory,
    engine_name: str,
    model: str,
    get_engine: Callable[[], Engine],
    batch_size: int,
    lock,
    refresh: bool = False,
    progress: bool = True,
    summary: Summary | None = None,
) -> Summary:
    """Pre-translate one catalog while holding `lock` (a context manager). `engine_name` is how
    the requested set-up is recorded (engines.engine_label); `get_engine` loads the engine the
    first time a document needs it."""
    summary = summary or Summary()
    started = time.monotonic()
    display = doc.catalog_display
    with lock:
        original = read_catalog(doc.catalog, display)
        po = copy_catalog(original, display)
        key_for = lambda msgid: mt_key(engine_name, model, glossary, msgid)  # noqa: E731
        jobs = plan(po, key_for, memory, refresh, summary)
        record_tm_matches(po, memory, summary)
        if not jobs:
            write_catalog(po, doc.catalog, original)
            summary.seconds += time.monotonic() - started
            return summary
        engine = get_engine()
        # What actually translates may differ from what was asked for (ct2 --fallback gives the
        # marian engine): records name the engine that produced them, so that a later run with
        # the engine that was asked for does not take them as its own.
        recorded = engine.label
        if recorded != engine_name:
            key_for = lambda msgid: mt_key(recorded, model, glossary, msgid)  # noqa: E731
        calls_before = engine.calls
        wants_context = engine.uses_context
        order = [e for e in po if not e.obsolete]
        position = {e.msgid: i for i, e in enumerate(order)}
        po.metadata["X-MT-Engine"] = recorded
        po.metadata["X-MT-Model"] = model_identity(model)
        po.metadata["X-Glossary-SHA256"] = glossary.digest
        bar = _progress(len(jobs), progress, doc.name)
        last_save = time.monotonic()
        previous_handler = signal.signal(signal.SIGTERM, _raise_interrupt) if _main_thread() else None
        try:
            for start in range(0, len(jobs), batch_size):
                chunk = jobs[start:start + batch_size]
                requests = [_request(j.entry, glossary, memory, wants_context, position, order) for j in chunk]
                outputs = engine.translate(requests)
                if len(outputs) != len(chunk):
                    raise L10nError(f"engine returned {len(outputs)} outputs for {len(chunk)} segments", model)
                for job, output in zip(chunk, outputs):
                    apply_output(job, output, key_for(job.entry.msgid), glossary, summary)
                if bar:
                    bar.update(len(chunk))
                if time.monotonic() - last_save > SAVE_EVERY_S:
                    write_catalog(po, doc.catalog)
                    last_save = time.monotonic()
        except (KeyboardInterrupt, TranslationAborted):
            write_catalog(po, doc.catalog, original)
            raise
        finally:
            if bar:
                bar.close()
            if previous_handler is not None:
                signal.signal(signal.SIGTERM, previous_handler)
            summary.model_calls += engine.calls - calls_before
            summary.seconds += time.monotonic() - started
        write_catalog(po, doc.catalog, original)
    return summary


def _main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


def _progress(total: int, enabled: bool, name: str):
    if not enabled or not sys.stderr.isatty():
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    return tqdm(total=total, desc=f"MT {name}", unit="seg", file=sys.stderr)
