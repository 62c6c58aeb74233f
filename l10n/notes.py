"""The toolkit's notes on a PO entry: block kind, the MT record, translation-memory origin, and
its messages to the translator. Everything a translator wrote is left exactly as it is.

Where they live:
  #. block: paragraph          extracted comments of an active entry: one `key: value` per line.
  #. MT: <raw MT output>       A value too long for one line continues on lines `key+ …` (joined
  #. MT-key: engine=… source=… with a space) or `key& …` (joined with nothing), so that no editor
                               ever re-wraps them and they read back exactly.
  #. TM 86%: <source> → <target>   a fuzzy translation-memory match (l10n.memory), continued on
                               `TM+`/`TM&` lines; several, best first. Kept only on entries that
                               are not reviewed: pre-translation recomputes them.
  #. MT-QA: [numbers] 248.6亿 → expected 24.86 billion
                               what MT QA found in that output (l10n.qa), one line each; the
  #. MT-rounds: 1              entry stays fuzzy. MT-rounds: repair rounds the output took.
  #. MT-previous: …            the MT record that came with a translation borrowed from an entry
  #. MT-previous-key: …        for a previous source text (a fuzzy match): kept, and marked, so it
                               is never taken as MT of the new source.
  # l10n-MT: …                 the same notes on an obsolete entry. GNU gettext and polib drop
                               extracted comments of obsolete entries, but keep translator
                               comments, so an obsolete entry carries its notes there with an
                               `l10n-` prefix, and gets them back in `#.` when it is revived.
  # l10n: <message>            the toolkit's messages to the translator (missed glossary terms …).
  # l10n: allow <check-id> …   a translator's instruction to the checks (kept as the translator's).

The MT record is data like a msgstr: the model that made it may be gone, so merging carries it
wherever its entry goes.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

import polib

WRAP_WIDTH = 78
NOTE_KEYS = ("block", "MT", "MT-key", "MT-QA", "MT-rounds", "MT-previous", "MT-previous-key", "origin")
_KEYS = "|".join(re.escape(k) for k in sorted(NOTE_KEYS, key=len, reverse=True))
NOTE_LINE = re.compile(rf"^({_KEYS})(:|\+|&) ?(.*)$")
OBSOLETE_NOTE_LINE = re.compile(rf"^l10n-({_KEYS})(:|\+|&) ?(.*)$")
TOOL_MESSAGE_LINE = re.compile(r"^l10n(:|\+|&) ?(.*)$")
TM_LINE = re.compile(r"^TM (\d{1,3})%: ?(.*)$")
TM_CONTINUED = re.compile(r"^TM(\+|&) ?(.*)$")
TM_ARROW = " → "
# A translator's instruction to the checks (parsed by l10n.qa.parse_allow); never the toolkit's.
ALLOW_LINE = re.compile(r"^\s*l10n:\s*allow\b(.*)$", re.IGNORECASE)


def source_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


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


def encode_field(key: str, value: str, continued: str | None = None) -> list[str]:
    """`key: value` lines, continued as `key+ …`/`key& …` (or under the name `continued`), each
    short enough that a PO writer wrapping at 78 columns leaves it alone (3 columns for the
    `#. ` / `# ` prefix)."""
    continued = continued or key
    width = WRAP_WIDTH - 3 - max(len(key), len(continued)) - 2
    return [f"{key if joiner == ':' else continued}{joiner} {piece}".rstrip()
            for joiner, piece in _chunk(value, width)]


@dataclass(frozen=True)
class TMNote:
    """A fuzzy translation-memory match as the translator sees it."""

    percent: int
    source: str
    target: str

    def lines(self) -> list[str]:
        return encode_field(f"TM {self.percent}%", f"{self.source}{TM_ARROW}{self.target}", "TM")


def _decode_tm(lines: list[str]) -> tuple[list[TMNote], list[str]]:
    """TM matches read from `TM n%:` lines and their continuations; the other lines. The source
    and target are split at the first arrow: a Chinese segment carries no spaced arrow."""
    found: list[list] = []
    others: list[str] = []
    last_was_tm = False
    for line in lines:
        m = TM_LINE.match(line)
        if m:
            found.append([int(m.group(1)), m.group(2)])
            last_was_tm = True
            continue
        m = TM_CONTINUED.match(line)
        if m and last_was_tm:
            found[-1][1] += (" " if m.group(1) == "+" else "") + m.group(2)
            continue
        others.append(line)
        last_was_tm = False
    notes = []
    for percent, value in found:
        source, _, target = value.partition(TM_ARROW)
        notes.append(TMNote(percent, source, target))
    return notes, others


def _decode(lines: list[str], pattern: re.Pattern) -> tuple[dict[str, list[str]], list[str]]:
    """Fields read from the lines that match `pattern` (key, joiner, value), each key with its
    values in order (a `key:` line starts a value, `key+`/`key&` continue it); the other lines."""
    fields: dict[str, list[str]] = {}
    others: list[str] = []
    last = None
    for line in lines:
        m = pattern.match(line)
        if not m:
            others.append(line)
            last = None
            continue
        key, joiner, value = m.groups()
        values = fields.setdefault(key, [])
        if joiner == ":" or last != key or not values:
            values.append(value)
        elif joiner == "+":
            values[-1] += " " + value
        else:
            values[-1] += value
        last = key
    return fields, others


def _lines(text: str | None) -> list[str]:
    return text.split("\n") if text else []


@dataclass
class Notes:
    """The toolkit's notes of one entry, plus any extracted comments from elsewhere (`foreign`)."""

    block: str = ""
    mt: str | None = None
    mt_key: str = ""
    mt_previous: str | None = None
    mt_previous_key: str = ""
    origin: str = ""
    mt_qa: tuple[str, ...] = ()  # what MT QA found in the MT output: "[numbers] 248.6亿 → expected …"
    mt_rounds: int = 0  # repair rounds the MT output took (extra model calls for this entry)
    tm: tuple[TMNote, ...] = ()
    foreign: tuple[str, ...] = ()

    def mt_for(self, msgid: str) -> str | None:
        """The recorded MT output if it was made for this very source text, else None."""
        if self.mt is not None and self.mt_key.endswith(f"source={source_hash(msgid)}"):
            return self.mt
        return None

    def settle(self, msgid: str) -> None:
        """Put the records where they belong for the entry's current source: an MT record of an
        earlier source is marked as previous, and a previous record made for this very source
        (an edit that was reverted) becomes its MT record again. Nothing is dropped, except a
        previous record displaced by an older one."""
        mine = f"source={source_hash(msgid)}"
        current_ok = self.mt is not None and self.mt_key.endswith(mine)
        previous_ok = self.mt_previous is not None and self.mt_previous_key.endswith(mine)
        if not current_ok:  # QA and rounds describe the MT of this source only; QA can be redone
            self.mt_qa, self.mt_rounds = (), 0
        if previous_ok and not current_ok:
            self.mt, self.mt_key, self.mt_previous, self.mt_previous_key = (
                self.mt_previous, self.mt_previous_key, self.mt, self.mt_key)
        elif self.mt is not None and not current_ok:
            self.mt_previous, self.mt_previous_key = self.mt, self.mt_key
            self.mt, self.mt_key = None, ""
        if self.mt is None:
            self.mt_key = ""
        if self.mt_previous is None:
            self.mt_previous_key = ""

    def _fields(self) -> list[tuple[str, str]]:
        fields = []
        if self.block:
            fields.append(("block", self.block))
        if self.mt is not None:
            fields += [("MT", self.mt), ("MT-key", self.mt_key)]
            fields += [("MT-QA", finding) for finding in self.mt_qa]
            if self.mt_rounds:
                fields.append(("MT-rounds", str(self.mt_rounds)))
        if self.mt_previous is not None:
            fields += [("MT-previous", self.mt_previous), ("MT-previous-key", self.mt_previous_key)]
        if self.origin:
            fields.append(("origin", self.origin))
        return fields

    @classmethod
    def _from_fields(cls, fields: dict[str, list[str]], foreign: list[str], tm: list[TMNote] = ()) -> "Notes":
        def one(key: str, default=None):
            return fields[key][-1] if fields.get(key) else default

        rounds = one("MT-rounds", "0")
        return cls(
            block=one("block", ""),
            mt=one("MT"),
            mt_key=one("MT-key", ""),
            mt_qa=tuple(fields.get("MT-QA", ())),
            mt_rounds=int(rounds) if rounds.isdigit() else 0,
            mt_previous=one("MT-previous"),
            mt_previous_key=one("MT-previous-key", ""),
            origin=one("origin", ""),
            tm=tuple(tm),
            foreign=tuple(foreign),
        )


def get_notes(entry: polib.POEntry) -> Notes:
    """The entry's notes, from its extracted comments or, on an obsolete entry, from the
    `l10n-` lines of its translator comment."""
    tm, lines = _decode_tm(_lines(entry.comment))
    fields, foreign = _decode(lines, NOTE_LINE)
    kept, _ = _decode(_lines(entry.tcomment), OBSOLETE_NOTE_LINE)
    for key, value in kept.items():
        fields.setdefault(key, value)
    return Notes._from_fields(fields, foreign, tm)


def set_notes(entry: polib.POEntry, notes: Notes) -> None:
    """Write `notes` where they survive: `#.` on an active entry, `# l10n-…` on an obsolete one
    (whose TM matches are dropped: they are recomputed if it comes back)."""
    own = [line for line in _lines(entry.tcomment) if not OBSOLETE_NOTE_LINE.match(line)]
    prefix = "l10n-" if entry.obsolete else ""
    lines = [line for key, value in notes._fields() for line in encode_field(prefix + key, value)]
    if entry.obsolete:
        entry.comment = "\n".join(notes.foreign)
        entry.tcomment = "\n".join(own + lines)
    else:
        lines += [line for match in notes.tm for line in match.lines()]
        entry.comment = "\n".join(list(notes.foreign) + lines)
        entry.tcomment = "\n".join(own)


def _toolkit_lines(lines: list[str]) -> list[bool]:
    """Which `# l10n` lines are the toolkit's own: all of them except a translator's
    `l10n: allow …` line (with its continuation lines), which silences checks for the entry."""
    own = []
    in_allow = False
    for line in lines:
        m = TOOL_MESSAGE_LINE.match(line)
        if m and m.group(1) == ":":
            in_allow = ALLOW_LINE.match(line) is not None
        elif not m:
            in_allow = False
        own.append(bool(m) and not in_allow)
    return own


def tool_messages(entry: polib.POEntry) -> list[str]:
    """The toolkit's `# l10n:` messages on the entry (not the translator's `allow` lines)."""
    lines = _lines(entry.tcomment)
    messages: list[str] = []
    for line, own in zip(lines, _toolkit_lines(lines)):
        if not own:
            continue
        m = TOOL_MESSAGE_LINE.match(line)
        if m.group(1) == ":":
            messages.append(m.group(2))
        elif messages:
            messages[-1] += (" " if m.group(1) == "+" else "") + m.group(2)
    return messages


def set_tool_messages(entry: polib.POEntry, messages: list[str]) -> None:
    """Replace the toolkit's own `# l10n:` lines; every other translator comment, the `allow`
    lines included, stays as it is."""
    lines = _lines(entry.tcomment)
    kept = [line for line, own in zip(lines, _toolkit_lines(lines)) if not own]
    for message in messages:
        kept += encode_field("l10n", message)
    entry.tcomment = "\n".join(kept)
