"""PO files on disk: strict reading, faithful writing, and the header a new catalog starts with.

polib parses and writes the format; this module adds what polib lets through but GNU msgfmt
rejects or polib would silently change (unterminated strings, escapes polib does not decode, a
msgid without msgstr, duplicates, a non-UTF-8 charset), and writes a catalog only when its meaning
changed, so the wrapping a translator's editor chose is kept.

In a catalog:
  msgid     the Chinese segment
  msgstr    the English translation; reviewed = non-empty and not fuzzy (polib's `translated()`)
  #:        source/zh/<doc>.txt:LINE for every occurrence
  #. / #    the toolkit's notes and the translators' comments (l10n.notes)
"""

from __future__ import annotations

import bisect
import datetime
import os
import re
from pathlib import Path

import polib

from .errors import L10nError, RunStage, Unreadable
from .notes import WRAP_WIDTH
from .textio import atomic_write, decode_text, read_bytes

SOURCE_LANGUAGE = "zh_Hans"
TARGET_LANGUAGE = "en"

# The escapes a string may use: exactly those that polib decodes (any other would be re-written
# as a literal backslash on the next save) and that msgfmt accepts. One table drives the lexer and
# the hint in its messages.
ESCAPES = {"n": "newline", "t": "tab", "r": "carriage return", "\\": "backslash", '"': "double quote"}
_ESCAPE = re.compile(r"\\[" + re.escape("".join(ESCAPES)) + "]")
SYNTAX_HINT = (
    "check quoting and escapes near this line (every msgid needs a msgstr, every string must be "
    'closed with ", and only ' + " ".join("\\" + e for e in ESCAPES) + " escapes are allowed)"
)
_KEYWORD = re.compile(r"^(msgctxt|msgid|msgid_plural|msgstr(?:\[\d+\])?)\s+(.*)$")
_CHARSET = re.compile(r"charset=([\w.-]+)")
UPDATE = (RunStage("update"),)


def is_reviewed(entry: polib.POEntry) -> bool:
    """A reviewed translation: non-empty, not fuzzy, not obsolete."""
    return entry.translated()


def plural_forms(language: str = TARGET_LANGUAGE) -> str:
    from babel.messages.plurals import get_plural

    plural = get_plural(language)
    return f"nplurals={plural.num_plurals}; plural={plural.plural_expr};"


def _string_problem(token: str) -> str | None:
    """What is wrong with one C string token `"…"`, or None."""
    if not token.startswith('"'):
        return "unexpected text (expected msgid, msgstr, a comment or a quoted string)"
    i = 1
    while i < len(token):
        ch = token[i]
        if ch == "\\":
            if not _ESCAPE.match(token, i):
                return f"invalid escape {token[i:i + 2]}"
            i += 2
            continue
        if ch == '"':
            return None if token[i + 1:].strip() == "" else "text after the closing quote"
        i += 1
    return "unterminated string"


def lint_po(text: str, display: str) -> None:
    """Reject what polib would silently accept but msgfmt rejects, or what polib would change on
    the next save: unterminated strings, escapes other than ESCAPES, a msgid with no msgstr."""
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


def _charset_error(charset: str, display: str, line: int | None) -> L10nError:
    return L10nError(
        f"header declares charset={charset}; this toolkit reads and writes UTF-8 only: convert with "
        f"`msgconv --to-code=UTF-8 {display} -o {display}`",
        display,
        line,
    )


def _not_utf8(charset: str) -> bool:
    return charset.lower().replace("_", "-") not in ("utf-8", "utf8")


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
        detail = re.sub(r"\s*\(line \d+\)", "", message).replace("Syntax error in po file", "PO syntax error")
        raise L10nError(f"{detail}: {SYNTAX_HINT}", display, line) from None
    _locate(po, text)
    seen: set[tuple[str | None, str, bool]] = set()
    for entry in po:
        key = (entry.msgctxt, entry.msgid, entry.obsolete)
        if key in seen:
            raise L10nError(
                "duplicate msgid (the same segment appears twice); merge the two entries into one",
                display,
                entry.msgid_line,
            )
        seen.add(key)
        if entry.msgid_plural:
            raise L10nError(
                "plural entry (msgid_plural): the toolkit never produces these from a source text; "
                "remove the entry or turn it into a singular msgid/msgstr",
                display,
                entry.msgid_line,
            )
    m = _CHARSET.search(po.metadata.get("Content-Type", ""))
    if m and _not_utf8(m.group(1)):
        raise _charset_error(m.group(1), display, _header_line(text, "Content-Type"))
    return po


_MSGID_LINE = re.compile(r"^(?:#~\s*)?msgid\s")
_MSGSTR_LINE = re.compile(r"^(?:#~\s*)?msgstr(?:\[\d+\])?\s")


def _locate(po: polib.POFile, text: str) -> None:
    """Give every entry `msgid_line` and `msgstr_line`: polib's `linenum` is the entry's first
    comment line, but a message about the source belongs on the msgid and one about the
    translation on the msgstr, where an editor should jump."""
    msgids, msgstrs = [], []
    for number, line in enumerate(text.split("\n"), start=1):
        if _MSGID_LINE.match(line):
            msgids.append(number)
        elif _MSGSTR_LINE.match(line):
            msgstrs.append(number)
    for entry in po:
        i = bisect.bisect_left(msgids, entry.linenum)
        entry.msgid_line = msgids[i] if i < len(msgids) else entry.linenum
        j = bisect.bisect_right(msgstrs, entry.msgid_line)
        entry.msgstr_line = msgstrs[j] if j < len(msgstrs) else entry.msgid_line


def _header_line(text: str, field_name: str) -> int | None:
    for number, line in enumerate(text.split("\n"), start=1):
        if line.startswith(f'"{field_name}:'):
            return number
    return None


def read_catalog(path: Path, display: str) -> polib.POFile:
    if not path.exists() and not path.is_symlink():
        raise Unreadable("no such catalog", display, remedy=UPDATE)
    return catalog_from_bytes(read_bytes(path, display, "PO file"), display)


def catalog_from_bytes(data: bytes, display: str) -> polib.POFile:
    """A catalog from the bytes of its file, read as strictly as `read_catalog` reads it."""
    # Declared legacy charsets are refused before decoding, with the conversion command, rather
    # than failing on the first non-UTF-8 byte.
    head = data[:4096].decode("latin-1")
    m = _CHARSET.search(head)
    if m and _not_utf8(m.group(1)):
        raise _charset_error(m.group(1), display, _header_line(head, "Content-Type"))
    return parse_po(decode_text(data, display, "PO file"), display)


def render(po: polib.POFile) -> str:
    po.wrapwidth = WRAP_WIDTH
    text = str(po)
    return text if text.endswith("\n") else text + "\n"


def copy_catalog(po: polib.POFile, display: str) -> polib.POFile:
    """An independent copy (every entry and field), made through the file format itself."""
    return parse_po(render(po), display)


def fingerprint(po: polib.POFile) -> tuple:
    """What a catalog means, ignoring how it is wrapped: two files with the same fingerprint are
    the same catalog to gettext and to translators."""
    entries = tuple(
        (
            e.msgctxt, e.msgid, e.msgstr, tuple(e.flags), e.comment, e.tcomment,
            tuple(e.occurrences), e.previous_msgid, e.previous_msgctxt, e.obsolete,
        )
        for e in po
    )
    return (tuple(sorted(po.metadata.items())), entries)


def revision_date() -> str:
    """Now, or SOURCE_DATE_EPOCH when set (reproducible builds), in gettext's header format."""
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


REQUIRED_HEADERS = ("Language", "MIME-Version", "Content-Type", "Content-Transfer-Encoding", "Plural-Forms")


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
