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

Planning and applying are apart from where the model runs. `plan` and `build_request` decide
what an engine is asked; `apply_output` records its answer (verification, MT record, fuzzy
flag, tool messages). `DocumentRun` carries one catalog through a run (its lock, its batches,
atomic saves), and `run_documents` drives all documents through an executor: `LocalExecutor`
in this process, or the Ray worker pool of l10n.distributed. Both are handed the same batches
with the same requests, so where a batch runs never changes a translation.

Engines that read context (llm) are given the earlier sentences of the document as the catalog
holds them when the batch is built, MT of earlier batches of this run included. So a document
is a chain: its next batch is built only once the previous one has been applied, wherever it
ran, exactly as in one process; documents run side by side. Engines without context get every
batch of a document at once.
"""

from __future__ import annotations

import signal
import sys
import time
from collections import Counter, deque
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import polib

from .config import DocumentPaths
from .engines import Engine, TermHint, TranslationRequest
from .errors import L10nError
from .glossary import Glossary
from .memory import FUZZY_LIMIT, FUZZY_THRESHOLD, Memory
from .notes import TMNote, get_notes, set_notes, set_tool_messages, source_hash
from .pofile import UPDATE, catalog_from_bytes, fingerprint, is_reviewed, write_catalog
from .numbers import source_numbers
from .qa import Segment, assess_document, describe, parse_allow
from .repair import Translated, translate_checked
from .script import one_line
from .textio import read_bytes

SAVE_EVERY_S = 20.0


def model_identity(model: str) -> str:
    """How a model is named in MT records: a hub id as is, a local path by its last component."""
    path = Path(model).expanduser()
    if path.exists():
        return path.resolve().name
    return model


def mt_key(engine: str, model: str, glossary: Glossary, source: str) -> str:
    return f"engine={engine} model={model_identity(model)} glossary={glossary.digest} source={source_hash(source)}"


def key_function(engine: str, model: str, glossary: Glossary) -> Callable[[str], str]:
    """`mt_key` for one engine, model and glossary, with what they contribute worked out once."""
    prefix = f"engine={engine} model={model_identity(model)} glossary={glossary.digest} source="
    return lambda source: prefix + source_hash(source)


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
    flagged: list[str] = field(default_factory=list)  # sources whose MT output MT QA flags
    qa_checked: int = 0  # MT outputs checked (this run's)
    qa_problems: Counter = field(default_factory=Counter)  # check id → outputs it flags
    repaired: int = 0  # outputs given back to the engine at least once
    repair_rounds: int = 0  # repair rounds in all

    @property
    def term_rate(self) -> float | None:
        return self.terms_ok / self.terms_total if self.terms_total else None

    @property
    def qa_passed(self) -> int:
        return self.qa_checked - len(self.flagged)

    def add(self, other: "Summary") -> None:
        for name in ("translated", "from_memory", "skipped", "refreshed", "terms_total", "terms_ok", "model_calls",
                     "qa_checked", "repaired", "repair_rounds"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.flagged += other.flagged
        self.qa_problems.update(other.qa_problems)

    def brief(self) -> str:
        """One line for one document among many."""
        parts = [f"{self.translated} by MT"]
        if self.refreshed:
            parts.append(f"{self.refreshed} MT records refreshed")
        parts += [f"{self.from_memory} from memory", f"{self.skipped} skipped"]
        if self.flagged:
            parts.append(f"{len(self.flagged)} flagged by MT QA")
        if self.term_rate is not None:
            parts.append(f"terms {100 * self.term_rate:.0f}%")
        return ", ".join(parts)

    def lines(self) -> list[str]:
        rate = f"{100 * self.term_rate:.1f}% ({self.terms_ok}/{self.terms_total})" if self.term_rate is not None else "n/a (no glossary terms in the translated segments)"
        return [
            f"translated by MT: {self.translated} (MT record refreshed on reviewed entries: {self.refreshed})",
            f"taken from translation memory: {self.from_memory}; "
            f"shown fuzzy memory matches (≥ {FUZZY_THRESHOLD}%): {self.tm_matched}",
            f"skipped (reviewed, or MT already recorded for this model and glossary): {self.skipped}",
            f"glossary term success: {rate}",
            "MT QA pass rate: " + (f"{100 * self.qa_passed / self.qa_checked:.1f}% ({self.qa_passed}/{self.qa_checked}"
                                   + (f"; flagged: {', '.join(f'{c} {n}' for c, n in self.qa_problems.most_common())}"
                                      if self.qa_problems else "") + ")" if self.qa_checked else "n/a (no MT output)"),
            f"repaired: {self.repaired} output(s) given back to the engine, {self.repair_rounds} round(s) in all",
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


def build_request(entry: polib.POEntry, glossary: Glossary, memory: Memory, wants_context: bool,
                  position: dict[str, int], order: list[polib.POEntry]) -> TranslationRequest:
    """What the engine is given for one entry: the source, its glossary terms and, for engines
    that use them, the earlier sentences of the document as they stand now (reviewed msgstr, else
    recorded MT) and similar reviewed examples from memory."""
    terms = tuple(TermHint(m.term.zh, m.term.en, m.start, m.end, m.term.variants) for m in glossary.find(entry.msgid))
    numbers = tuple((n.written, n.english) for n in source_numbers(entry.msgid) if n.english)
    block = get_notes(entry).block
    if not wants_context:
        return TranslationRequest(entry.msgid, terms, numbers=numbers, block=block)
    i = position[entry.msgid]
    context = []
    for earlier in reversed(order[max(0, i - 8):i]):
        translation = earlier.msgstr or (get_notes(earlier).mt or "")
        if translation:
            context.append((earlier.msgid, translation))
        if len(context) == 3:
            break
    return TranslationRequest(entry.msgid, terms, tuple(reversed(context)), tuple(memory.similar(entry.msgid, 3)),
                              numbers, block)


def apply_output(job: Job, output: Translated, key: str, summary: Summary) -> None:
    """Record one MT output (and the repair rounds it took) on its entry; an entry whose msgstr is
    to be MT gets it, fuzzy. MT QA of the output is recorded with the whole document in view
    (`record_mt_qa`)."""
    entry = job.entry
    text = one_line(output.text)
    notes = get_notes(entry)
    notes.mt, notes.mt_key, notes.mt_rounds, notes.mt_qa = text, key, output.rounds, ()
    notes.origin = ""
    if job.replace_msgstr:  # the borrowed MT it replaces is of an earlier source: no longer needed
        notes.mt_previous, notes.mt_previous_key = None, ""
    set_notes(entry, notes)
    if output.rounds:
        summary.repaired += 1
        summary.repair_rounds += output.rounds
    if not job.replace_msgstr:
        summary.refreshed += 1
        return
    summary.translated += 1
    entry.msgstr = text
    entry.fuzzy = True


def record_mt_qa(po: polib.POFile, entries: list[polib.POEntry], glossary: Glossary, summary: Summary) -> None:
    """MT QA (l10n.qa) of the MT outputs of `entries`, read in document order with the catalog as
    it stands (each earlier entry by its msgstr, or its MT): what it finds goes into the MT record
    (`#. MT-QA:`), and a flagged entry that holds the MT output says so in a `# l10n:` line. The
    entry stays fuzzy either way."""
    if not entries:
        return
    wanted = {id(e) for e in entries}
    segments, positions = [], []
    for entry in po:
        if entry.obsolete:
            continue
        notes = get_notes(entry)
        mine = id(entry) in wanted
        target = notes.mt if mine and notes.mt is not None else entry.msgstr
        if not target and not mine:
            continue
        allow, _ = parse_allow(entry.tcomment or "")
        segments.append(Segment(entry.msgid, target or "", notes.block, allow))
        positions.append(entry if mine else None)
    for entry, assessment in zip(positions, assess_document(segments, glossary)):
        if entry is None:
            continue
        notes = get_notes(entry)
        notes.mt_qa = tuple(describe(f) for f in assessment.findings)
        set_notes(entry, notes)
        summary.qa_checked += 1
        summary.terms_total += assessment.terms_needed
        summary.terms_ok += assessment.terms_found
        checks = list(dict.fromkeys(f.check for f in assessment.findings))
        if checks:
            summary.flagged.append(entry.msgid)
            summary.qa_problems.update(checks)
        holds_mt = entry.msgstr == notes.mt and not is_reviewed(entry)
        set_tool_messages(entry, [f"MT QA flagged this output ({', '.join(checks)}): see the MT-QA notes"]
                          if checks and holds_mt else [])


# --- one catalog through a run --------------------------------------------------------------------

@dataclass
class Batch:
    """Requests for consecutive jobs of one document, translated in one engine call, as the
    local path has always batched them: the same batches give the same outputs wherever they run."""

    run: "DocumentRun"
    number: int  # position among the document's batches
    jobs: list[Job]
    requests: list[TranslationRequest]


class DocumentRun:
    """One catalog: planned, opened under its lock, handed out batch by batch, results applied,
    saved. Only this class reads or writes the catalog during pre-translation.

    `prepare` plans without the lock, to count the work of every document before any is
    touched; `open` takes the lock and plans again from the file as it is then (reusing the
    first plan when the file is unchanged), so the lock guards everything that is written.
    """

    def __init__(self, doc: DocumentPaths, glossary: Glossary, memory: Memory, engine_name: str, model: str,
                 lock, refresh: bool = False, preread: tuple[bytes, polib.POFile] | None = None,
                 key_for: Callable[[str], str] | None = None, identity: str | None = None):
        self.doc = doc
        self.name = doc.name
        self.display = doc.catalog_display
        self.glossary = glossary
        self.memory = memory
        self.model = model
        self.identity = identity or model_identity(model)  # the model as MT records name it
        self.refresh = refresh
        self._lock = lock
        self._preread = preread  # the catalog as translation memory read it: parsed once, not twice
        self._key_for = key_for or key_function(engine_name, model, glossary)
        self.summary = Summary()
        self.planned = 0  # segments that need MT, as of `prepare` (then of `open`)
        self.entries = 0
        self._prepared: tuple | None = None
        self._locked = False
        self.po: polib.POFile | None = None
        self._original = None  # fingerprint of the catalog as read
        self.jobs: list[Job] = []
        self._dispatched = 0  # jobs handed out in batches
        self._applied = 0
        self._batches = 0
        self._in_flight = 0
        self._wants_context = False
        self._order: list[polib.POEntry] = []
        self._position: dict[str, int] = {}
        self.unsaved = False
        self.last_save = 0.0
        self._opened_at = 0.0
        self._unchecked: list[polib.POEntry] = []  # entries given MT output not yet checked

    def _read(self) -> tuple[bytes, polib.POFile, tuple, list[Job], Summary]:
        if self._preread is not None:
            (data, po), self._preread = self._preread, None
        else:
            data = read_bytes(self.doc.catalog, self.display, "PO file")
            po = catalog_from_bytes(data, self.display)
        original = fingerprint(po)
        summary = Summary()
        jobs = plan(po, self._key_for, self.memory, self.refresh, summary)
        record_tm_matches(po, self.memory, summary)
        return data, po, original, jobs, summary

    def prepare(self, keep: bool = True) -> int:
        """Plan without the lock and count the segments that need MT; with `keep`, hold the plan
        for `open` to reuse."""
        if self._preread is None and not self.doc.catalog.exists() and not self.doc.catalog.is_symlink():
            raise L10nError("no catalog yet", self.display, remedy=UPDATE)
        state = self._read()
        self.planned = len(state[3])
        self.entries = sum(1 for e in state[1] if not e.obsolete)
        self._prepared = state if keep else None
        return self.planned

    def acquire(self) -> bytes:
        """Take the lock and read the file as it is under it. A run does this for the next few
        documents ahead of `open`, on a helper thread, so that the disk's latency overlaps with
        other work."""
        self._lock.__enter__()
        self._locked = True
        self._opened_at = time.monotonic()
        try:
            return read_bytes(self.doc.catalog, self.display, "PO file")
        except BaseException:
            self.close(save=False)
            raise

    def open(self, acquired=None) -> int:
        """Settle the plan on the file as it is under the lock (taken here, or ahead: `acquired`
        is the future of `acquire`); returns how many more (or fewer) segments need MT than
        `prepare` counted."""
        before = self.planned
        data = acquired.result() if acquired is not None else self.acquire()
        try:
            if self._prepared is not None and self._prepared[0] == data:
                _, self.po, self._original, self.jobs, self.summary = self._prepared
            else:
                _, self.po, self._original, self.jobs, self.summary = self._read()
        except BaseException:
            self.close(save=False)
            raise
        self._prepared = None
        self.planned = len(self.jobs)
        self.last_save = time.monotonic()
        self.unsaved = self.summary.from_memory > 0
        return self.planned - before

    def start(self, recorded: str, wants_context: bool, key_for: Callable[[str], str] | None = None) -> None:
        """Before the first batch: the engine that translates is known. What actually translates
        may differ from what was asked for (ct2 with fallback gives the marian engine): records
        name the engine that produced them, so that a later run with the engine that was asked
        for does not take them as its own."""
        self._key_for = key_for or key_function(recorded, self.model, self.glossary)
        self._wants_context = wants_context
        self._order = [e for e in self.po if not e.obsolete]
        self._position = {e.msgid: i for i, e in enumerate(self._order)}
        self.po.metadata["X-MT-Engine"] = recorded
        self.po.metadata["X-MT-Model"] = self.identity
        self.po.metadata["X-Glossary-SHA256"] = self.glossary.digest

    def next_batch(self, batch_size: int) -> Batch | None:
        """The next batch, or None when all are handed out or, for an engine that reads the
        earlier sentences, while the previous batch is still out: its requests are built from the
        catalog as the previous batch left it, exactly as in one process (a per-document chain)."""
        if self._dispatched >= len(self.jobs) or (self._wants_context and self._in_flight):
            return None
        chunk = self.jobs[self._dispatched:self._dispatched + batch_size]
        requests = [build_request(j.entry, self.glossary, self.memory, self._wants_context, self._position, self._order)
                    for j in chunk]
        batch = Batch(self, self._batches, chunk, requests)
        self._dispatched += len(chunk)
        self._batches += 1
        self._in_flight += 1
        return batch

    def apply(self, batch: Batch, outputs: list[Translated]) -> None:
        if len(outputs) != len(batch.jobs):
            raise L10nError(f"engine returned {len(outputs)} outputs for {len(batch.jobs)} segments", self.model)
        for job, output in zip(batch.jobs, outputs):
            apply_output(job, output, self._key_for(job.entry.msgid), self.summary)
            self._unchecked.append(job.entry)
        self._in_flight -= 1
        self._applied += len(batch.jobs)
        self.unsaved = True

    def _check_mt(self) -> None:
        """MT QA of the outputs applied since the last save, with the document as it stands."""
        if self.po is not None and self._unchecked:
            record_mt_qa(self.po, self._unchecked, self.glossary, self.summary)
        self._unchecked = []

    @property
    def finished(self) -> bool:
        return self._applied >= len(self.jobs)

    def save(self) -> None:
        """Write what is done so far (atomically); a catalog that means what it meant when read
        is left exactly as it is."""
        if self.po is None:
            return
        self._check_mt()
        if fingerprint(self.po) != self._original:
            write_catalog(self.po, self.doc.catalog)
        self.unsaved = False
        self.last_save = time.monotonic()

    def close(self, save: bool = True, writer: "Writer | None" = None) -> None:
        """Write the catalog (if it changed) and release its lock: here, or on `writer`'s threads."""
        if save:
            self._check_mt()
        po, original, path, lock, locked = self.po, self._original, self.doc.catalog, self._lock, self._locked
        self.po, self._locked = None, False
        self._order, self._position = [], {}
        if locked:
            self.summary.seconds += time.monotonic() - self._opened_at

        def write() -> None:
            try:
                if save and po is not None and fingerprint(po) != original:
                    write_catalog(po, path)
            finally:
                if locked:
                    lock.__exit__(None, None, None)

        if writer is None:
            write()
        else:
            writer.submit(write)


class Writer:
    """Writes finished catalogs on a few background threads, so that the disk's latency (two
    fsyncs and a rename per catalog) overlaps with the work on the next documents. Each job
    writes one catalog, then releases its lock; `flush` waits for all and raises the first error."""

    def __init__(self, threads: int = 8, pending: int = 32):
        from concurrent.futures import ThreadPoolExecutor

        self._pool = ThreadPoolExecutor(threads, thread_name_prefix="l10n-write")
        self._futures: deque = deque()
        self._pending = pending

    def ahead(self, job: Callable[[], object]):
        """Run `job` on a helper thread; its future is the caller's to wait for."""
        return self._pool.submit(job)

    def submit(self, job: Callable[[], None]) -> None:
        self._futures.append(self._pool.submit(job))
        while self._futures and (self._futures[0].done() or len(self._futures) > self._pending):
            self._futures.popleft().result()  # bounded: a slow disk slows the run, not memory

    def flush(self) -> None:
        error = None
        while self._futures:
            try:
                self._futures.popleft().result()
            except BaseException as err:  # noqa: BLE001 - every write is waited for; the first error wins
                error = error or err
        if error is not None:
            raise error

    def close(self) -> None:
        try:
            self.flush()
        finally:
            self._pool.shutdown(wait=True)


# --- where batches are translated ---------------------------------------------------------------

@dataclass
class Arrivals:
    """What an executor's `wait` brings back."""

    done: list[tuple[Batch, list[str]]]
    failed: list[Batch]  # not translated (their worker is gone): to be handed out again
    error: L10nError | None = None  # raised once `done` is applied and saved

POOLED_DOCUMENTS = 16  # documents whose batches share one call of an engine that plans its own batches


class LocalExecutor:
    """Batches translated in this process, one call at a time, by an engine loaded on first need.

    An engine that plans its own model calls (`pool_size`: the llm engine on CTranslate2 groups
    prompts of similar length) is handed up to `pool_size` segments per call, from up to
    POOLED_DOCUMENTS documents: many short documents then fill its batches as one long one does.
    Each document still has at most one batch out at a time when the engine reads context."""

    capacity = 1  # calls in flight

    def __init__(self, get_engine: Callable[[], Engine], repair_rounds: int = 0):
        self._get_engine = get_engine
        self.repair_rounds = repair_rounds
        self._engine: Engine | None = None
        self._queue: list[list[Batch]] = []
        self.calls = 0
        self.workers = ""
        # Segments per batch when the engine plans its own model calls (the llm engine on
        # CTranslate2 groups prompts of similar length, so it asks for a larger pool): 0 = batch_size.
        self.pool_size = 0

    def start(self) -> tuple[str, bool]:
        self._engine = self._get_engine()
        self.pool_size = getattr(self._engine, "pool_size", 0) or 0
        return self._engine.label, self._engine.uses_context

    @property
    def batches_per_call(self) -> int:
        return POOLED_DOCUMENTS if self.pool_size else 1

    @property
    def in_flight(self) -> int:
        return len(self._queue)

    def submit(self, batches: list[Batch]) -> None:
        self._queue.append(batches)

    def wait(self) -> Arrivals:
        done = []
        engine = self._engine
        for batches in self._queue:
            before = engine.calls
            try:
                outputs = translate_checked(engine, [r for b in batches for r in b.requests], self.repair_rounds)
            finally:
                self.calls += engine.calls - before
            start = 0
            for batch in batches:
                done.append((batch, outputs[start:start + len(batch.requests)]))
                start += len(batch.requests)
        self._queue = []
        return Arrivals(done, [])

    def close(self) -> None:
        pass


# --- the run over all documents -----------------------------------------------------------------

KEEP_PLANNED_ENTRIES = 200_000  # plans held between the count and the run: bounded memory for huge runs
KEEP_PLANNED_DOCUMENTS = 2_000
MAX_OPEN = 512
OPEN_AHEAD = 8  # documents whose lock is taken (and file read) ahead, while others are worked on


@dataclass
class RunReport:
    summary: Summary  # all documents together
    documents: list[tuple[str, Summary]]
    engine: str | None  # as recorded in MT records; None when nothing needed MT
    workers: str = ""  # where the batches ran, in words (empty: in this process)


def run_documents(runs: list[DocumentRun], executor, batch_size: int, progress: bool = True,
                  max_open: int | None = None) -> RunReport:
    """Pre-translate every document of `runs` with `executor` (LocalExecutor, or the Ray pool of
    l10n.distributed): count the work of all documents, start the executor only if there is any
    (so a second run loads no model and ships nothing), then hand out batches, apply each result
    to its document as it arrives and write each document when it is complete. Ctrl-C or SIGTERM
    (and any failure the toolkit reports) saves every open document with what has finished, then
    re-raises."""
    started = time.monotonic()
    budget = KEEP_PLANNED_ENTRIES
    total = 0
    for run in runs:
        total += run.prepare(keep=budget > 0)
        budget -= run.entries
    summary = Summary()
    recorded: str | None = None
    wants_context = False
    pending = deque(runs)
    open_runs: list[DocumentRun] = []
    retry: deque[Batch] = deque()
    # Open documents hold a lock (a file descriptor) each: enough to give every worker a batch
    # when each document has one batch out at a time (engines that read context), and no more.
    # (Read when documents are opened: a local executor knows its batches per call once started.)
    chosen_max_open = max_open

    def open_limit() -> int:
        return chosen_max_open or max(8, min(MAX_OPEN, 2 * executor.capacity * executor.batches_per_call))
    bar = None
    interrupts = _Interrupts()
    writer = Writer()
    acquired: dict[DocumentRun, object] = {}  # locks taken ahead of `open`: run → future
    saved_on_error = False
    key_for = None

    def ensure_started() -> None:
        nonlocal recorded, wants_context, key_for
        if recorded is None:
            recorded, wants_context = executor.start()
            key_for = key_function(recorded, runs[0].model, runs[0].glossary)
            interrupts.install()  # again: connecting to a cluster installs a SIGTERM handler of its own

    def take() -> list[Batch]:
        out: list[Batch] = []
        pool = getattr(executor, "pool_size", 0)  # segments per call of an engine that plans its batches
        taken = 0
        while len(out) < executor.batches_per_call and (not pool or taken < pool):
            if retry:
                out.append(retry.popleft())
                taken += len(out[-1].jobs)
                continue
            size = pool - taken if pool else batch_size
            batch = next((b for r in open_runs if (b := r.next_batch(size)) is not None), None)
            if batch is not None:
                out.append(batch)
                taken += len(batch.jobs)
                continue
            if not pending or len(open_runs) >= open_limit():
                break
            run = pending.popleft()
            for following in list(pending)[:OPEN_AHEAD]:
                if following not in acquired:
                    acquired[following] = writer.ahead(following.acquire)
            delta = run.open(acquired.pop(run, None))
            if bar is not None and delta:
                bar.total += delta
                bar.refresh()
            if not run.jobs:
                finish(run)
                continue
            ensure_started()
            run.start(recorded, wants_context, key_for)
            open_runs.append(run)
        return out

    def finish(run: DocumentRun) -> None:
        run.close(writer=writer)
        if run in open_runs:
            open_runs.remove(run)
        summary.add(run.summary)

    try:
        interrupts.install()
        if total:
            # The first catalog's lock is taken before the model loads: a run that cannot have it
            # says so at once, not after the loading time.
            first = next(r for r in pending if r.planned)
            acquired[first] = writer.ahead(first.acquire)
            acquired[first].result()  # raises "another run … holds the catalog"
            ensure_started()  # before anything is written: a model or cluster that fails changes nothing
        bar = _progress(total, progress and total > 0)
        while True:
            while recorded is None or executor.in_flight < executor.capacity:  # not started: documents only
                batches = take()
                if not batches:
                    break
                executor.submit(batches)
            if not executor.in_flight:
                if pending or open_runs or retry:
                    raise RuntimeError("pre-translation stalled with work left")  # a bug, not bad input
                break
            arrivals = executor.wait()
            retry.extend(arrivals.failed)
            with interrupts.deferred():  # a result is applied whole, or not at all
                for batch, outputs in arrivals.done:
                    batch.run.apply(batch, outputs)
                    if bar is not None:
                        bar.update(len(batch.jobs))
                        bar.set_postfix_str(batch.run.name, refresh=False)
                    if batch.run.finished:
                        finish(batch.run)
                if arrivals.error is not None:
                    raise arrivals.error
                now = time.monotonic()
                for run in open_runs:
                    if run.unsaved and now - run.last_save > SAVE_EVERY_S:
                        run.save()
        writer.flush()
    except (KeyboardInterrupt, L10nError):
        # Interrupted, or a failure the toolkit knows (generation failed, a worker gone, a catalog
        # locked by another run): every result applied so far is sound, so it is kept.
        saved_on_error = True
        for run in open_runs:
            run.close(save=True)
        raise
    finally:
        if not saved_on_error:
            for run in open_runs:  # an unexpected error: nothing half-done is written
                run.close(save=False)
        if bar is not None:
            bar.close()
        for run, future in acquired.items():  # taken ahead but never opened: released untouched
            if future.exception() is None:
                run.close(save=False)
        try:
            writer.close()  # every finished catalog is on disk before the run returns or raises
        finally:
            interrupts.restore()
            try:
                executor.close()
            finally:
                summary.model_calls = executor.calls
                summary.seconds = time.monotonic() - started
    return RunReport(summary, [(run.name, run.summary) for run in runs], recorded, executor.workers)


def _main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


def _progress(total: int, enabled: bool):
    """One bar over all documents: segments done / total, segments per second, time left."""
    if not enabled or not sys.stderr.isatty():
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    return tqdm(total=total, desc="MT", unit="seg", file=sys.stderr, dynamic_ncols=True)


class _Interrupts:
    """Ctrl-C and SIGTERM during a run (SIGTERM behaves like Ctrl-C: finish cleanly, keep the
    work): raised as KeyboardInterrupt, except while results are being applied to catalogs, where
    the interrupt waits until they are applied whole. Only the main thread receives signals."""

    def __init__(self):
        self.applying = False
        self.pending = False
        self._previous: dict = {}

    def install(self) -> None:
        if not _main_thread():
            return
        for sig in (signal.SIGINT, signal.SIGTERM):
            previous = signal.signal(sig, self._handle)
            self._previous.setdefault(sig, previous)

    def _handle(self, signum, frame):
        if self.applying:
            self.pending = True
        else:
            raise KeyboardInterrupt

    @contextmanager
    def deferred(self):
        self.applying = True
        try:
            yield
        finally:
            self.applying = False
        if self.pending:
            self.pending = False
            raise KeyboardInterrupt

    def restore(self) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler if handler is not None else signal.SIG_DFL)
        self._previous = {}
