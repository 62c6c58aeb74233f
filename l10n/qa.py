"""Segment-level translation checks: pure functions over a Chinese source and its English.

Each check takes a `Segment` (the Chinese source, the English target, the block kind from the
`#. block:` note, the check ids a translator allowed) and the `DocumentState` (the glossary, and
what earlier segments of the same document established), and returns `Finding`s: the check id,
a message, and structured data for tools (a repair prompt can say "248.6亿 → 24.86 billion").
Nothing here knows about PO files: `l10n.checks` runs these over reviewed catalog entries, and
the same functions can run on raw MT output. No model, no I/O; one pass over each text.

Suppression: a translator comment line `l10n: allow <id> [<id>…] [— reason]` (see
`parse_allow`) silences those checks for that one segment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

from .glossary import Glossary, Term, _form_pattern
from .notes import ALLOW_LINE
from .numbers import number_problems
from .script import CJK_LETTERS, cjk_leftovers

# --- the data ---------------------------------------------------------------------------------

TITLE_KINDS = ("kicker", "headline", "subtitle", "byline", "heading")


@dataclass(frozen=True)
class Finding:
    check: str
    message: str
    data: dict = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Segment:
    source: str
    target: str
    block: str = ""                        # the block kind ("" when unknown)
    allow: frozenset[str] = frozenset()    # check ids a translator silenced for this segment


class DocumentState:
    """What the segments before this one established, in document order: which glossary full
    forms have appeared, so that a short form ("the bureau") counts only after its full form."""

    def __init__(self, glossary: Glossary | None = None):
        self.glossary = glossary or Glossary("", [])
        self.introduced: set[str] = set()
        self._counts: tuple[str, str, list] | None = None   # the glossary counts at this position

    def counts(self, source: str, target: str) -> list["TermCount"]:
        """glossary_counts for a segment at the current position, computed once for all the
        checks that need them."""
        if self._counts is None or self._counts[:2] != (source, target):
            self._counts = (source, target, glossary_counts(source, target, self.glossary, self))
        return self._counts[2]

    def advance(self, source: str, target: str) -> None:
        """Record what the translation of one more segment introduced."""
        known = self._counts
        self._counts = None
        if not target:
            return
        if known is not None and known[:2] == (source, target):
            terms = {c.term for c in known[2]}
        else:
            terms = {m.term for m in self.glossary.find(source)}
        for term in terms:
            if term.short:
                for form in term.full_forms:
                    if form not in self.introduced and _form_pattern(form).search(target):
                        self.introduced.add(form)

    def is_introduced(self, term: Term) -> bool:
        return any(form in self.introduced for form in term.full_forms)


@dataclass(frozen=True)
class QACheck:
    id: str
    description: str
    func: Callable[[Segment, DocumentState], list[Finding]]
    uses_document: bool = False   # reads the DocumentState: callers must advance it in order
    mt_only: bool = False         # a symptom of machine output (a generation loop, a dropped
    #                               sentence): run on MT at pre-translation, not on reviewed text


CHECKS: dict[str, QACheck] = {}


def qa_check(check_id: str, description: str, uses_document: bool = False, mt_only: bool = False):
    def register(func):
        CHECKS[check_id] = QACheck(check_id, description, func, uses_document, mt_only)
        return func

    return register


def translation_checks() -> tuple[str, ...]:
    """The ids of the checks that apply to reviewed translations (the --check ones)."""
    return tuple(i for i, spec in CHECKS.items() if not spec.mt_only)


def check_segment(segment: Segment, document: DocumentState | None = None,
                  only: tuple[str, ...] | None = None) -> list[Finding]:
    """Every finding of the selected checks (all by default, MT-only checks included) that the
    segment does not allow. `document` is the state before this segment; the caller advances it
    (see check_document)."""
    document = document or DocumentState()
    findings: list[Finding] = []
    for check_id in only or CHECKS:
        if check_id not in segment.allow:
            findings.extend(CHECKS[check_id].func(segment, document))
    return findings


def check_document(segments: list[Segment], glossary: Glossary | None = None,
                   only: tuple[str, ...] | None = None) -> list[list[Finding]]:
    """The findings of each segment of one document, given in document order."""
    document = DocumentState(glossary)
    results = []
    for segment in segments:
        results.append(check_segment(segment, document, only))
        document.advance(segment.source, segment.target)
    return results


@dataclass(frozen=True)
class Assessment:
    """MT QA of one segment: every finding, and how many glossary term occurrences of the source
    its translation renders (short forms only after their full form)."""

    findings: tuple[Finding, ...]
    terms_needed: int
    terms_found: int

    @property
    def passed(self) -> bool:
        return not self.findings


def assess_document(segments: list[Segment], glossary: Glossary | None = None) -> list[Assessment]:
    """MT QA of a document's translations, in document order: every check, MT-only ones included."""
    document = DocumentState(glossary)
    results = []
    for segment in segments:
        findings = check_segment(segment, document)
        counts = document.counts(segment.source, segment.target) if document.glossary.terms else []
        results.append(Assessment(tuple(findings), sum(c.needed for c in counts),
                                  sum(min(c.found, c.needed) for c in counts)))
        document.advance(segment.source, segment.target)
    return results


def describe(finding: Finding) -> str:
    """One finding as an MT record shows it: `[numbers] 248.6亿 → expected 24.86 billion`."""
    return f"[{finding.check}] {finding.message}"


# --- translator comments -------------------------------------------------------------------

CHECK_ID = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")
REASON_MARK = re.compile(r"\s(?:—|–|--|-|:)\s|\s*[—–(:]")


def parse_allow(comment: str) -> tuple[frozenset[str], list[str]]:
    """(check ids, words that are not check ids) of the `l10n: allow …` lines of a translator
    comment. The ids come first, separated by spaces or commas; a dash, colon or bracket starts
    the reason: `l10n: allow glossary-count — the second mention is "which"`."""
    ids: list[str] = []
    odd: list[str] = []
    for line in comment.split("\n"):
        m = ALLOW_LINE.match(line)
        if not m:
            continue
        rest = m.group(1)
        cut = REASON_MARK.search(rest)
        words = (rest[:cut.start()] if cut else rest).replace(",", " ").split()
        for word in words:
            (ids if CHECK_ID.fullmatch(word) else odd).append(word)
    return frozenset(ids), odd


# --- glossary -------------------------------------------------------------------------------

def _spans(term: Term, target: str) -> list[tuple[int, int, bool, str]]:
    """(start, end, is a short form, the form) of each rendering of the term in the target; where forms
    overlap ("CRRC Changchun Railway Vehicles" holds the short form "CRRC Changchun") the longest
    one stands."""
    spans = [(m.start(), m.end(), form in term.short, form) for form in term.forms for m in _form_pattern(form).finditer(target)]
    if len(spans) < 2:
        return spans
    spans.sort(key=lambda s: (s[0], s[0] - s[1]))
    kept = [spans[0]]
    for span in spans[1:]:
        if span[0] >= kept[-1][1]:
            kept.append(span)
    return kept


@dataclass(frozen=True)
class TermCount:
    term: Term
    needed: int            # occurrences in the source
    found: int             # renderings that count in the translation
    short_too_early: str   # a short form seen before its full form was introduced ("" if none)


def glossary_counts(source: str, target: str, glossary: Glossary, document: DocumentState | None = None) -> list[TermCount]:
    """For each glossary term of the source: how often it occurs there, and how many of its
    renderings in the translation count. A short form counts once one of the term's full forms
    appeared earlier in the document or earlier in this translation. Terms that share English
    forms (中车长客, 中车长春轨道客车) do not share renderings: each rendering counts once."""
    matches = glossary.find(source)
    if not matches:
        return []
    needed: dict[Term, int] = {}
    for m in matches:
        needed[m.term] = needed.get(m.term, 0) + 1
    candidates: dict[Term, list[tuple[int, int, bool, str]]] = {}
    early: dict[Term, str] = {}
    for term in needed:
        spans = _spans(term, target)
        if term.short and any(span[2] for span in spans):
            introduced = document is not None and document.is_introduced(term)
            first_full = min((span[0] for span in spans if not span[2]), default=None)
            usable = []
            for span in spans:
                if span[2] and not introduced and (first_full is None or span[0] < first_full):
                    early.setdefault(term, span[3])
                    continue
                usable.append(span)
            spans = usable
        candidates[term] = spans
    claimed: list[tuple[int, int]] = []
    counts = []
    # terms with fewer candidate renderings choose first, so that a shared form is not taken
    # by a term that had others to choose from
    for term in sorted(needed, key=lambda t: (len(candidates[t]), t.line)):
        found = 0
        for start, end, _, _ in candidates[term]:
            if found == needed[term]:
                break
            if any(start < b and a < end for a, b in claimed):
                continue
            claimed.append((start, end))
            found += 1
        counts.append(TermCount(term, needed[term], found, early.get(term, "")))
    order = {m.term: i for i, m in reversed(list(enumerate(matches)))}
    return sorted(counts, key=lambda c: order[c.term])


def _term_data(c: TermCount, glossary: Glossary) -> dict:
    return {"zh": c.term.zh, "en": c.term.en, "glossary_line": c.term.line, "glossary": glossary.path,
            "source_count": c.needed, "target_count": c.found}


@qa_check("glossary", "every glossary term of the source is rendered as the glossary says (a short form only after the full form)",
          uses_document=True)
def glossary_terms(segment: Segment, document: DocumentState) -> list[Finding]:
    g = document.glossary
    findings = []
    for c in document.counts(segment.source, segment.target):
        if c.found:
            continue
        message = f"{c.term.zh} must be translated as {c.term.en!r} ({g.path}:{c.term.line})"
        if c.short_too_early:
            message += f"; {c.short_too_early!r} is a short form, allowed only after the full form has appeared"
        findings.append(Finding("glossary", message, _term_data(c, g)))
    return findings


@qa_check("glossary-count", "a glossary term that occurs n times in the source is rendered at least n times",
          uses_document=True)
def glossary_count(segment: Segment, document: DocumentState) -> list[Finding]:
    g = document.glossary
    findings = []
    for c in document.counts(segment.source, segment.target):
        if 0 < c.found < c.needed:
            findings.append(Finding("glossary-count", (
                f"{c.term.zh} occurs {c.needed} times in the source but {c.term.en!r} (or a variant) only "
                f"{c.found} time{'s' if c.found != 1 else ''} in the translation ({g.path}:{c.term.line}); render each "
                "occurrence, or explain why not with `# l10n: allow glossary-count — reason`"), _term_data(c, g)))
    return findings


# --- numbers ------------------------------------------------------------------------------------

@qa_check("numbers", "every number of the source is in the translation, as its kind needs (Chinese numerals, 万/亿, dates, ranges, percentages, money)")
def numbers(segment: Segment, document: DocumentState) -> list[Finding]:
    findings = []
    for problem in number_problems(segment.source, segment.target):
        if problem.kind == "identifier":
            message = f"identifier {problem.written} is not in the translation; copy it verbatim"
        else:
            message = f"missing number: {problem.written} → expected {problem.expected}"
        findings.append(Finding("numbers", message, {"written": problem.written, "expected": problem.expected,
                                                     "kind": problem.kind}))
    return findings


# --- characters ----------------------------------------------------------------------------

@qa_check("cjk-leftover", "no Chinese characters or full-width punctuation in the English")
def cjk_leftover(segment: Segment, document: DocumentState) -> list[Finding]:
    found = cjk_leftovers(segment.target)
    if not found:
        return []
    return [Finding("cjk-leftover", f"Chinese characters or full-width punctuation left in the translation: {', '.join(found)}",
                    {"characters": "".join(found), "runs": found})]


PAIRS = (("(", ")"), ("[", "]"), ("{", "}"), ("“", "”"))
BRACKET_CHARS = re.compile(r"[()\[\]{}“”]")
CLOSING_SINGLE = re.compile(r"’(?![A-Za-z])")   # ’ before a letter is an apostrophe


def bracket_problems(text: str) -> list[str]:
    problems = []
    stack: list[str] = []
    closers = {c: o for o, c in PAIRS}
    openers = {o for o, _ in PAIRS}
    for ch in BRACKET_CHARS.findall(text):
        if ch in openers:
            stack.append(ch)
        elif ch in closers:
            if not stack or stack[-1] != closers[ch]:
                problems.append(f"unmatched {ch!r}")
                break
            stack.pop()
    if stack and not problems:
        problems.append(f"unclosed {stack[-1]!r}")
    if text.count('"') % 2:
        problems.append('odd number of straight quotes (")')
    singles = text.count("‘")
    if singles and singles > len(CLOSING_SINGLE.findall(text)):
        problems.append("unclosed ‘")
    return problems


@qa_check("brackets-quotes", "brackets and quotation marks are balanced in the translation")
def brackets_quotes(segment: Segment, document: DocumentState) -> list[Finding]:
    return [Finding("brackets-quotes", message) for message in bracket_problems(segment.target)]


# --- words and spaces ------------------------------------------------------------------------

DOUBLED = re.compile(r"\b([A-Za-z]++(?:['’][A-Za-z]++)?+)\s++(\1)\b", re.IGNORECASE)
LEGITIMATE_DOUBLES = {"had had", "that that"}


@qa_check("doubled-word", "no word written twice in a row (\"the the\")")
def doubled_word(segment: Segment, document: DocumentState) -> list[Finding]:
    findings = []
    for m in DOUBLED.finditer(segment.target):
        pair = m.group(0)
        if " ".join(pair.lower().split()) in LEGITIMATE_DOUBLES or pair in segment.source:
            continue
        findings.append(Finding("doubled-word", f"doubled word: {pair!r}", {"word": m.group(1), "offset": m.start()}))
    return findings


def _edge(text: str) -> tuple[str, str]:
    """Leading and trailing whitespace, line breaks aside (po-syntax compares those)."""
    body = text.strip("\n")
    stripped = body.strip()
    if not stripped:
        return "", ""
    lead = body[:len(body) - len(body.lstrip())]
    trail = body[len(body.rstrip()):]
    return lead, trail


@qa_check("edge-whitespace", "no leading or trailing whitespace that the source does not have")
def edge_whitespace(segment: Segment, document: DocumentState) -> list[Finding]:
    src_lead, src_trail = _edge(segment.source)
    lead, trail = _edge(segment.target)
    findings = []
    if lead and not src_lead:
        findings.append(Finding("edge-whitespace", f"leading whitespace {lead!r} that the source does not have", {"edge": "start"}))
    if trail and not src_trail:
        findings.append(Finding("edge-whitespace", f"trailing whitespace {trail!r} that the source does not have", {"edge": "end"}))
    return findings


DOUBLE_SPACE = re.compile(r"(?<=\S)[ \t\u00a0]{2,}(?=\S)|(?<=\S)\t(?=\S)")


@qa_check("double-space", "no run of two or more spaces inside the translation")
def double_space(segment: Segment, document: DocumentState) -> list[Finding]:
    target = segment.target
    if "  " not in target and "\t" not in target and "\u00a0" not in target:
        return []
    if DOUBLE_SPACE.search(segment.source):
        return []
    findings = []
    for m in DOUBLE_SPACE.finditer(segment.target):
        before = segment.target[:m.start()].split()[-1:] or [""]
        findings.append(Finding("double-space", f"{len(m.group(0))} spaces after {before[0][-20:]!r}", {"offset": m.start()}))
    return findings


# --- what must be copied verbatim --------------------------------------------------------------

URL = re.compile(r"(?:https?://|ftp://|www\.)[A-Za-z0-9\-._~:/?#\[\]@!$&'*+,;=%]+", re.IGNORECASE)
EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
# ASCII boundaries: in Chinese text a code or address sits right next to Han characters
DOMAIN = re.compile(r"(?<![A-Za-z0-9@./-])(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+(?:com|cn|net|org|gov|edu|int|info|io|top|xyz|biz)(?:\.cn)?(?![A-Za-z0-9])(?:/[A-Za-z0-9\-._~/?#=&%]*)?", re.IGNORECASE)
CODE = re.compile(r"(?<![A-Za-z0-9.])(?=[A-Za-z0-9./_-]*[A-Za-z])(?=[A-Za-z0-9./_-]*\d)[A-Za-z0-9]+(?:[./_-][A-Za-z0-9]+)+(?![A-Za-z0-9])")
TRAILING = ".,;:!?)]}'\""


def verbatim_items(source: str) -> list[tuple[str, str]]:
    """(kind, text) for each URL, e-mail address, web domain and code (600519.SH, GB/T-19001) of
    the source, in order."""
    items: list[tuple[int, str, str]] = []
    taken: list[tuple[int, int]] = []

    def add(kind: str, m: re.Match) -> None:
        text = m.group(0).rstrip(TRAILING)
        start, end = m.start(), m.start() + len(text)
        if text and not any(start < b and a < end for a, b in taken):
            taken.append((start, end))
            items.append((start, kind, text))

    for pattern, kind in ((EMAIL, "e-mail address"), (URL, "URL"), (DOMAIN, "web address"), (CODE, "code")):
        for m in pattern.finditer(source):
            add(kind, m)
    return [(kind, text) for _, kind, text in sorted(items)]


@qa_check("verbatim", "URLs, e-mail addresses and codes of the source are copied verbatim")
def verbatim(segment: Segment, document: DocumentState) -> list[Finding]:
    if not any(c in segment.source for c in "@./"):
        return []
    findings = []
    lowered = segment.target.lower()
    for kind, text in verbatim_items(segment.source):
        present = text.lower() in lowered if kind == "e-mail address" else text in segment.target
        if not present:
            findings.append(Finding("verbatim", f"{kind} {text} is not in the translation; copy it verbatim",
                                    {"kind": kind, "text": text}))
    return findings


# --- sentence shape ----------------------------------------------------------------------------

ZH_CLOSERS = "”’」』）)》】\"' \u3000"
EN_CLOSERS = "”’\"')]»】 "
ZH_SENTENCE_END = re.compile(r"(?:[。！？!?]|…{1,2}|\.{3,6})$")


@qa_check("final-punctuation", "a source sentence ending in 。！？ or …… has an English sentence end (headings, kickers, headlines and bylines excepted)")
def final_punctuation(segment: Segment, document: DocumentState) -> list[Finding]:
    if segment.block in TITLE_KINDS:
        return []
    source = segment.source.rstrip(ZH_CLOSERS)
    m = ZH_SENTENCE_END.search(source[-8:])
    if not m:
        return []
    target = segment.target.rstrip(EN_CLOSERS + "\n")
    if not target or target[-1] in ".!?…":
        return []
    mark = m.group(0)
    tail = " ".join(target.split()[-4:])
    return [Finding("final-punctuation",
                    f"the source ends the sentence with {mark} but the translation does not end with . ! ? or …: '…{tail}'",
                    {"source_end": mark, "target_end": target[-1:]})]


LEADING = re.compile(r"^[\s\"'“‘(\[«—–-]*")
FIRST_WORD = re.compile(r"[A-Za-z][A-Za-z’'-]*")


@qa_check("capitalization", "the translation starts with a capital letter")
def capitalization(segment: Segment, document: DocumentState) -> list[Finding]:
    target = segment.target
    start = LEADING.match(target).end()
    m = FIRST_WORD.match(target, start)
    if not m or not m.group(0)[0].islower():
        return []
    word = m.group(0)
    if any(c.isupper() for c in word) or word in segment.source:   # iPhone, eBay; a Latin word of the source
        return []
    head = " ".join(target[start:].split()[:3])
    return [Finding("capitalization", f"the translation starts with a lower-case letter: '{head} …'",
                    {"word": word})]


# --- symptoms of machine output (MT QA only) -------------------------------------------------
#
# The bounds below come from the shipped article's reviewed translations (English characters per
# Chinese character: 2.4 to 6.4, median 4.4) with a wide margin, so that only output far outside
# what a translator writes is flagged.

MIN_CHARS_PER_HAN = 1.5       # below this, most of the source cannot be in the English
SHORT_CHARS_PER_HAN = 3.0     # with a sentence fewer than the source: one was probably dropped
MAX_CHARS_PER_HAN = 14.0      # above this, the output runs on
ZH_SENTENCES = re.compile(r"[。！？!?]+[”’」』）)]*|…{2}[”’」』）)]*")
EN_SENTENCES = re.compile(r"[.!?…]+[\"”’')\]]*(?=\s+[\"“‘(\[]?[A-Z0-9]|\s*$)")
HAN = CJK_LETTERS
NUMERAL_HAN = set("零〇一二两三四五六七八九十百千万亿年月日号个第点")


def _han_count(text: str) -> int:
    return len(HAN.findall(text))


@qa_check("omission", "the MT output is long enough to hold every sentence of the source", mt_only=True)
def omission(segment: Segment, document: DocumentState) -> list[Finding]:
    han = _han_count(segment.source)
    if han < 8:
        return []
    ratio = len(segment.target) / han
    zh = len(ZH_SENTENCES.findall(segment.source.strip()))
    en = len(EN_SENTENCES.findall(segment.target.strip()))
    if ratio < MIN_CHARS_PER_HAN:
        why = f"{len(segment.target)} characters of English for {han} Chinese characters"
    elif zh >= 2 and en < zh and ratio < SHORT_CHARS_PER_HAN:
        why = f"{en} sentence(s) for {zh} in the source, and only {ratio:.1f} English characters per Chinese one"
    else:
        return []
    return [Finding("omission", f"part of the source seems to be missing: {why}",
                    {"ratio": round(ratio, 2), "source_sentences": zh, "target_sentences": en})]


WORD = re.compile(r"[A-Za-z0-9’'-]+|[^\sA-Za-z0-9]")


@qa_check("repetition", "the MT output does not repeat itself (a generation loop)", mt_only=True)
def repetition(segment: Segment, document: DocumentState) -> list[Finding]:
    words = [w.lower() for w in WORD.findall(segment.target)]
    han = _han_count(segment.source)
    if han and len(segment.target) / han > MAX_CHARS_PER_HAN and len(segment.target) > 120:
        return [Finding("repetition", f"the output runs on: {len(segment.target)} characters for {han} Chinese "
                                      "characters", {"length": len(segment.target)})]
    for n in (1, 2, 3, 4, 5, 6):
        run = 1
        for i in range(n, len(words) - n + 1):
            if words[i:i + n] == words[i - n:i] and any(w[0].isalnum() for w in words[i:i + n]):
                run += 1
                if run >= (4 if n == 1 else 3):
                    phrase = " ".join(words[i:i + n])
                    return [Finding("repetition", f"'{phrase}' repeats {run} times in a row (a generation loop)",
                                    {"phrase": phrase, "times": run})]
            elif i % n == 0:
                run = 1
    return []


@qa_check("no-english", "the MT output has English words when the source has Chinese words", mt_only=True)
def no_english(segment: Segment, document: DocumentState) -> list[Finding]:
    words = [ch for ch in HAN.findall(segment.source) if ch not in NUMERAL_HAN]
    if len(words) < 2 or re.search(r"[A-Za-z]", segment.target):
        return []
    shown = segment.target[:40] or "(empty)"
    return [Finding("no-english", f"the output has no English words (left untranslated?): {shown}", {})]


FOREIGN_SCRIPTS = (
    ("Cyrillic", re.compile(r"[\u0400-\u04ff]")), ("Greek", re.compile(r"[\u0370-\u03ff]")),
    ("Arabic", re.compile(r"[\u0600-\u06ff]")), ("Hebrew", re.compile(r"[\u0590-\u05ff]")),
    ("Thai", re.compile(r"[\u0e00-\u0e7f]")), ("Devanagari", re.compile(r"[\u0900-\u097f]")),
    ("Japanese kana", re.compile(r"[\u3040-\u30ff]")), ("Korean hangul", re.compile(r"[\uac00-\ud7af]")),
    # macrons and carons: é or à alone may be French or Spanish
    ("pinyin with tone marks", re.compile(r"[āǎēěīǐōǒūǔǖǘǚǜ]")),
)
ENGLISH_FUNCTION_WORDS = frozenset(
    "the a an of and to in on for with by from at as is are was were be has have had that this its it "
    "their his her will would can which who not or but than more into over after about".split())


@qa_check("language", "the MT output is English, not another language or script", mt_only=True)
def language(segment: Segment, document: DocumentState) -> list[Finding]:
    target = segment.target
    for name, pattern in FOREIGN_SCRIPTS:
        found = pattern.findall(target)
        if len(found) >= 2:
            return [Finding("language", f"the output is not English: it has {name} ({''.join(found[:6])})",
                            {"script": name})]
    words = [w.lower() for w in re.findall(r"[A-Za-z]+", target)]
    # Headlines go without function words ("Beijing Youth Ice Hockey League Boosts Winter Olympics
    # Spirit - Xinhua News", 11 words): only a longer output without any is taken as not English.
    if len(words) >= 14 and not any(w in ENGLISH_FUNCTION_WORDS for w in words):
        return [Finding("language", "the output does not read as English (none of its words is an English "
                                    f"function word): '{' '.join(words[:8])} …'", {})]
    return []
