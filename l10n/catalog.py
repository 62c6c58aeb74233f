"""PO catalogs: reading (strictly), writing (atomically), and merging with a new segmentation.

The PO file is the translators' interface and stays plain GNU gettext:
  msgid     the Chinese segment
  msgstr    the English translation; reviewed = non-empty and not fuzzy
  #:        source/zh/<doc>.txt:LINE for every occurrence
  #.        toolkit notes, one `key: value` per line (block kind, raw MT output, MT provenance,
            translation-memory origin). A value too long for one line continues on lines
            `key+ …` (joined with a space) or `key& …` (joined with nothing), so that no tool
            ever re-wraps them and they read back exactly.
  # l10n:   toolkit notes to the translator (missing glossary terms); other `#` lines belong to
            translators and are never touched, nor is a translator's `# l10n: allow <check>…`
            line (it silences those checks for the entry; see l10n.qa).

Merging follows msgmerge: an unchanged segment keeps its entry; a changed segment takes the
nearest earlier translation, marked fuzzy with the old msgid as `#|`; a vanished segment's entry
becomes obsolete (`#~`); an obsolete entry whose segment comes back is revived. One difference
from msgmerge, so that no reviewed work can be lost: a reviewed entry whose translation was
lent to a changed segment is also kept as obsolete, so reverting the edit revives it as it was
even if the translator has since rewritten the fuzzy suggestion.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import polib

from .errors import L10nError
from .segment import Document
from .textio import atomic_write, decode_text

NOTE_KEYS = ("block", "MT", "MT-key", "origin")
NOTE_LINE = re.compile(r"^(block|MT|MT-key|origin)(:|\+|&) ?(.*)$")
TOOL_COMMENT = re.compile(r"^l10n(:|\+|&) ?(.*)$")
ALLOW_COMMENT = re.compile(r"^l10n:\s*allow\b", re.IGNORECASE)
WRAP_WIDTH = 78
FUZZY_THRESHOLD = 0.6

SOURCE_LANGUAGE = "zh_Hans"
TARGET_LANGUAGE = "en"


def plural_forms(language: str = TARGET_LANGUAGE) -> str:
    from babel.messages.plurals import get_plural

    plural = get_plural(language)
    return f"nplurals={plural.num_plurals}; plural={plural.plural_expr};"


def source_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


# --- notes in comments -------------------------------------------------------------------

def _chunk(value: str, width: int) -> list[tuple[str, str]]:
    """Split a one-line value into (joiner, piece) so that each piece fits `width` characters."""
    value = " ".join(value.split())
    pieces: list[tuple[str, str]] = []
    joiner = ":"
    rest = value
    while len(rest) > width:
        cut = rest.rfind(" ", 0, width + 1)
        if cut <= 0:
            pieces.append((joiner, rest[:width]))
            rest = rest[width:]
            joiner = "&"
        else:
            pieces.append((joiner, rest[:cut]))
            rest = rest[cut + 1:]
            joiner = "+"
    pieces.append((joiner, rest))
    return pieces


def encode_field(key: str, value: str) -> list[str]:
    """`key: value` lines, continued as `key+ …`/`key& …`, each short enough that a PO writer
    wrapping at 78 columns leaves it alone (3 columns for the `#. ` / `# ` prefix)."""
    width = WRAP_WIDTH - 3 - len(key) - 2
    return [f"{key}{joiner} {piece}".rstrip() for joiner, piece in _chunk(value, width)]


def _decode_lines(lines: list[str], pattern: re.Pattern, with_key: bool):
    fields: dict[str, str] = {}
    foreign: list[str] = []
    last = None
    for line in lines:
        m = pattern.match(line)
        if not m:
            foreign.append(line)
            last = None
            continue
        if with_key:
            key, joiner, value = m.groups()
        else:
            key, (joiner, value) = "l10n", m.groups()
        if joiner == ":" or last != key:
            if key in fields and joiner == ":" and not with_key:
                fields[key] += "\n" + value
            else:
                fields[key] = value
        elif joiner == "+":
            fields[key] += " " + value
        else:
            fields[key] += value
        last = key
    return fields, foreign


@dataclass
class Notes:
    """The toolkit's `#.` fields of one entry, plus any extracted comments from elsewhere."""

    block: str = ""
    mt: str | None = None
    mt_key: str = ""
    origin: str = ""
    foreign: tuple[str, ...] = ()

    @classmethod
    def parse(cls, comment: str) -> "Notes":
        fields, foreign = _decode_lines(comment.split("\n") if comment else [], NOTE_LINE, True)
        return cls(
            block=fields.get("block", ""),
            mt=fields.get("MT"),
            mt_key=fields.get("MT-key", ""),
            origin=fields.get("origin", ""),
            foreign=tuple(foreign),
        )

    def render(self) -> str:
        lines = list(self.foreign)
        if self.block:
            lines += encode_field("block", self.block)
        if self.mt is not None:
            lines += encode_field("MT", self.mt)
            lines += encode_field("MT-key", self.mt_key)
        if self.origin:
            lines += encode_field("origin", self.origin)
        return "\n".join(lines)


def get_notes(entry: polib.POEntry) -> Notes:
    return Notes.parse(entry.comment or "")


def set_notes(entry: polib.POEntry, notes: Notes) -> None:
    entry.comment = notes.render()


def _tool_lines(lines: list[str]) -> list[bool]:
    """Which `# l10n` lines are the toolkit's own: all of them except a translator's
    `l10n: allow …` line (with any continuation lines), which silences checks for the entry."""
    own = []
    in_allow = False
    for line in lines:
        m = TOOL_COMMENT.match(line)
        if m and m.group(1) == ":":
            in_allow = ALLOW_COMMENT.match(line) is not None
        elif not m:
            in_allow = False
        own.append(bool(m) and not in_allow)
    return own


def tool_messages(entry: polib.POEntry) -> list[str]:
    lines = (entry.tcomment or "").split("\n") if entry.tcomment else []
    messages = []
    for line, own in zip(lines, _tool_lines(lines)):
        m = TOOL_COMMENT.match(line)
        if not own:
            continue
        if m.group(1) == ":":
            messages.append(m.group(2))
        elif messages:
            messages[-1] += (" " if m.group(1) == "+" else "") + m.group(2)
    return messages


def set_tool_messages(entry: polib.POEntry, messages: list[str]) -> None:
    """Replace the toolkit's own `# l10n:` lines; every other translator comment, `# l10n: allow`
    lines included, stays as it is."""
    lines = (entry.tcomment or "").split("\n") if entry.tcomment else []
    kept = [line for line, own in zip(lines, _tool_lines(lines)) if not own]
    for message in messages:
        kept += encode_field("l10n", message)
    entry.tcomment = "\n".join(kept)


# --- reading and writing ---------------------------------------------------------------

def is_reviewed(entry: polib.POEntry) -> bool:
    return bool(entry.msgstr) and "fuzzy" not in entry.flags and not entry.obsolete


SYNTAX_HINT = (
    "check quoting and escapes near this line (every msgid needs a msgstr, every string must be "
    'closed with ", and only \\n \\t \\\\ \\" escapes are allowed)'
)
_KEYWORD = re.compile(r"^(msgctxt|msgid|msgid_plural|msgstr(?:\[\d+\])?)\s+(.*)$")
_ESCAPE = re.compile(r'\\(?:[ntrabfv\\"?\']|[0-7]{1,3}|x[0-9A-Fa-f]+)')


def _string_problem(token: str) -> str | None:
    """What is wrong with one C string token `"…"`, or None."""
    if not token.startswith('"'):
        return "unexpected text (expected msgid, msgstr, a comment or a quoted string)"
    i = 1
    while i < len(token):
        ch = token[i]
        if ch == "\\":
            m = _ESCAPE.match(token, i)
            if not m:
                return f"invalid escape {token[i:i + 2]}"
            i = m.end()
            continue
        if ch == '"':
            return None if token[i + 1:].strip() == "" else "text after the closing quote"
        i += 1
    return "unterminated string"


def lint_po(text: str, display: str) -> None:
    """Reject what polib would silently accept but msgfmt rejects: unterminated strings, invalid
    escapes, and a msgid with no msgstr (polib would drop or truncate those)."""
    pending_msgid = None  # line of a msgid still waiting for its msgstr
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.strip()
        if line.startswith("#~"):
            line = line[2:].strip()
            if line.startswith("|"):
                continue
        elif not line or line.startswith("#"):
            continue
        m = _KEYWORD.match(line)
        token = m.group(2) if m else line
        problem = _string_problem(token)
        if problem:
            raise L10nError(f"PO syntax error: {problem}: {SYNTAX_HINT}", display, number)
        if not m:
            continue
        keyword = m.group(1)
        if keyword == "msgid":
            if pending_msgid is not None:
                raise L10nError(f"PO syntax error: msgid without msgstr: {SYNTAX_HINT}", display, pending_msgid)
            pending_msgid = number
        elif keyword.startswith("msgstr"):
            pending_msgid = None
        elif keyword == "msgctxt" and pending_msgid is not None:
            raise L10nError(f"PO syntax error: msgid without msgstr: {SYNTAX_HINT}", display, pending_msgid)
    if pending_msgid is not None:
        raise L10nError(f"PO syntax error: msgid without msgstr: {SYNTAX_HINT}", display, pending_msgid)


def parse_po(text: str, display: str) -> polib.POFile:
    """Parse PO text strictly. Errors name the line and say what to do."""
    lint_po(text, display)
    try:
        # polib's own duplicate check is quadratic; duplicates are found below with a set.
        po = polib.pofile(text, wrapwidth=WRAP_WIDTH, check_for_duplicates=False, encoding="utf-8")
    except (OSError, ValueError) as err:
        message = str(err)
        m = re.search(r"\(line (\d+)\)", message)
        line = int(m.group(1)) if m else None
        detail = re.sub(r"\s*\(line \d+\)", "", message)
        detail = detail.replace("Syntax error in po file", "PO syntax error")
        raise L10nError(f"{detail}: {SYNTAX_HINT}", display, line) from None
    seen: set[tuple[str | None, str, bool]] = set()
    for entry in po:
        key = (entry.msgctxt, entry.msgid, entry.obsolete)
        if key in seen:
            raise L10nError(
                "duplicate msgid (the same segment appears twice); merge the two entries into one",
                display,
                entry.linenum,
            )
        seen.add(key)
    _validate(po, text, display)
    return po


def _validate(po: polib.POFile, text: str, display: str) -> None:
    content_type = po.metadata.get("Content-Type", "")
    m = re.search(r"charset=([\w.-]+)", content_type)
    if m and m.group(1).lower().replace("_", "-") not in ("utf-8", "utf8"):
        raise L10nError(
            f"header declares charset={m.group(1)}; this toolkit reads and writes UTF-8 only: convert with "
            f"`msgconv --to-code=UTF-8 {display} -o {display}`",
            display,
            _header_line(text, "Content-Type"),
        )
    for entry in po:
        if entry.msgid_plural:
            raise L10nError(
                "plural entry (msgid_plural): the toolkit never produces these from a source text; "
                "remove the entry or turn it into a singular msgid/msgstr",
                display,
                entry.linenum,
            )


def _header_line(text: str, field_name: str) -> int | None:
    for number, line in enumerate(text.split("\n"), start=1):
        if line.startswith(f'"{field_name}:'):
            return number
    return None


def read_catalog(path: Path, display: str) -> polib.POFile:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise L10nError("no such catalog; run `translate.py update` first", display) from None
    head = data[:4096].decode("latin-1")
    m = re.search(r"charset=([\w.-]+)", head)
    if m and m.group(1).lower() not in ("utf-8", "utf8"):
        raise L10nError(
            f"header declares charset={m.group(1)}; this toolkit reads and writes UTF-8 only: convert with "
            f"`msgconv --to-code=UTF-8 {display} -o {display}`",
            display,
            _header_line(head, "Content-Type"),
        )
    return parse_po(decode_text(data, display, "PO file"), display)


def render(po: polib.POFile) -> str:
    po.wrapwidth = WRAP_WIDTH
    text = str(po)
    return text if text.endswith("\n") else text + "\n"


def fingerprint(po: polib.POFile) -> tuple:
    """What a catalog means, ignoring how it is wrapped: two files with the same fingerprint are
    the same catalog to gettext and to translators."""
    entries = tuple(
        (
            e.msgctxt, e.msgid, e.msgstr, tuple(e.flags), e.comment, e.tcomment,
            tuple(e.occurrences), e.previous_msgid, e.obsolete,
        )
        for e in po
    )
    return (tuple(sorted(po.metadata.items())), entries)


def revision_date() -> str:
    """Now, or SOURCE_DATE_EPOCH when set (reproducible builds), in gettext's header format."""
    import datetime
    import os

    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    moment = (
        datetime.datetime.fromtimestamp(int(epoch), datetime.timezone.utc)
        if epoch and epoch.isdigit()
        else datetime.datetime.now(datetime.timezone.utc)
    )
    return moment.strftime("%Y-%m-%d %H:%M+0000")


def write_catalog(po: polib.POFile, path: Path, previous: polib.POFile | None = None) -> bool:
    """Write atomically, unless the catalog means the same as `previous` (then the file, with the
    wrapping a translator's editor gave it, is left exactly as it is). Returns True if written.
    PO-Revision-Date changes only when the content does."""
    if previous is not None and fingerprint(po) == fingerprint(previous):
        return False
    po.metadata["PO-Revision-Date"] = revision_date()
    return atomic_write(path, render(po))


# --- building and merging --------------------------------------------------------------

def new_metadata(project: str) -> dict[str, str]:
    return {
        "Project-Id-Version": project,
        "Report-Msgid-Bugs-To": "",
        "PO-Revision-Date": "YEAR-MO-DA HO:MI+ZONE",
        "Last-Translator": "",
        "Language-Team": "English",
        "Language": TARGET_LANGUAGE,
        "MIME-Version": "1.0",
        "Content-Type": "text/plain; charset=UTF-8",
        "Content-Transfer-Encoding": "8bit",
        "Plural-Forms": plural_forms(),
        "X-Source-Language": SOURCE_LANGUAGE,
    }


def _occurrences(doc: Document) -> dict[str, list[tuple[str, str]]]:
    found: dict[str, list[tuple[str, str]]] = {}
    for seg in doc.segments():
        found.setdefault(seg.text, []).append((doc.path, str(seg.line)))
    return found


def _kinds(doc: Document) -> dict[str, str]:
    kinds: dict[str, str] = {}
    for seg in doc.segments():
        kinds.setdefault(seg.text, seg.kind)
    return kinds


def _copy(entry: polib.POEntry) -> polib.POEntry:
    return polib.POEntry(
        msgid=entry.msgid,
        msgstr=entry.msgstr,
        msgctxt=entry.msgctxt,
        flags=list(entry.flags),
        comment=entry.comment,
        tcomment=entry.tcomment,
        occurrences=list(entry.occurrences),
        previous_msgid=entry.previous_msgid,
        obsolete=entry.obsolete,
    )


def _bigrams(text: str) -> set[str]:
    return {text[i:i + 2] for i in range(len(text) - 1)} or {text}


def _nearest(new_ids: list[str], candidates: list[polib.POEntry]) -> dict[str, polib.POEntry]:
    """Pair changed segments with the most similar earlier entries (each used at most once).

    Candidates are narrowed with a character-bigram index, then ranked by difflib's ratio; pairs
    are taken best-first so the assignment does not depend on the order of the segments.
    """
    if not new_ids or not candidates:
        return {}
    index: dict[str, list[int]] = defaultdict(list)
    for i, entry in enumerate(candidates):
        for gram in _bigrams(entry.msgid):
            index[gram].append(i)
    scored: list[tuple[float, int, int]] = []
    for n, msgid in enumerate(new_ids):
        counts: dict[int, int] = defaultdict(int)
        grams = _bigrams(msgid)
        for gram in grams:
            for i in index.get(gram, ()):
                counts[i] += 1
        best = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:8]
        for i, shared in best:
            if shared / max(len(grams), 1) < FUZZY_THRESHOLD / 2:
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


def merge(doc: Document, old: polib.POFile | None, project: str) -> polib.POFile:
    """The catalog for `doc`, carrying over everything translators have done in `old`."""
    po = polib.POFile(wrapwidth=WRAP_WIDTH, encoding="utf-8")
    metadata = new_metadata(project)
    if old is not None:
        # An existing header is the translators' (and their editors'): keep it as it is, adding
        # only what a valid catalog cannot do without.
        defaults = metadata
        metadata = dict(old.metadata)
        for name in ("Language", "MIME-Version", "Content-Type", "Content-Transfer-Encoding", "Plural-Forms"):
            if not metadata.get(name):
                metadata[name] = defaults[name]
    po.metadata = metadata
    po.header = old.header if old is not None else f"English translation of {project}.\nThe msgid is the Chinese source segment; see README.md for the workflow."
    occurrences = _occurrences(doc)
    kinds = _kinds(doc)
    active = {e.msgid: e for e in old if not e.obsolete} if old is not None else {}
    obsolete = {e.msgid: e for e in old if e.obsolete} if old is not None else {}

    unmatched = [msgid for msgid in occurrences if msgid not in active and msgid not in obsolete]
    leftovers = [e for e in (old or []) if e.msgid not in occurrences and e.msgstr]
    fuzzy_sources = _nearest(unmatched, leftovers)
    consumed: set[int] = set()

    for msgid, places in occurrences.items():
        if msgid in active or msgid in obsolete:
            entry = _copy(active.get(msgid) or obsolete[msgid])
            entry.obsolete = False
        elif msgid in fuzzy_sources:
            source = fuzzy_sources[msgid]
            consumed.add(id(source))
            entry = polib.POEntry(msgid=msgid, msgstr=source.msgstr, flags=["fuzzy"], tcomment=source.tcomment)
            entry.previous_msgid = source.msgid
        else:
            entry = polib.POEntry(msgid=msgid, msgstr="")
        entry.occurrences = places
        notes = get_notes(entry)
        notes.block = kinds[msgid]
        if notes.mt is not None and not notes.mt_key.endswith(f"source={source_hash(msgid)}"):
            notes.mt = None  # that MT output was for another source text
            notes.mt_key = ""
        set_notes(entry, notes)
        po.append(entry)

    if old is not None:
        for entry in old:
            if entry.msgid in occurrences:
                continue
            if id(entry) in consumed and not (entry.msgstr and "fuzzy" not in entry.flags):
                continue  # a draft that moved on into the new fuzzy entry
            if not entry.obsolete and not entry.msgstr and not entry.tcomment:
                continue  # nothing of a translator's to keep
            gone = _copy(entry)
            gone.obsolete = True
            gone.occurrences = []
            po.append(gone)
    return po


def update_catalog(source: Path, source_display: str, catalog: Path, catalog_display: str,
                   project: str, max_bytes: int) -> tuple[bool, Document, polib.POFile]:
    """Segment the source and merge it into the catalog (created if missing), under the catalog
    lock. Returns (written, document, catalog)."""
    from .segment import read_document
    from .textio import catalog_lock

    document = read_document(source, source_display, max_bytes)
    with catalog_lock(catalog, catalog_display):
        old = read_catalog(catalog, catalog_display) if catalog.exists() else None
        po = merge(document, old, project)
        written = write_catalog(po, catalog, old)
    return written, document, po
