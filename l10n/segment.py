"""Source text → blocks → sentence segments, with the source line of every segment.

The rules are deterministic; each one is listed here and tested in tests/test_segment.py.

Lines and blocks
  B1. A line holding only whitespace (including U+3000 IDEOGRAPHIC SPACE) is blank. Every other
      line is one block. The number of blank lines before and after a block is its "gap".
  B2. A line that ends on a word (a character or digit, not punctuation) but has clause
      punctuation (，、；：) inside, and is followed after at most one blank line by a line that
      is not a list item, byline or credit, was broken in the middle of a sentence by the layout:
      the two are joined (no space is inserted, as is right for Chinese). Each segment keeps the
      line on which it starts.
  B3. A line that opens with —— (or ——— …) is a list item: the dashes are block markup, kept in
      the block's kind and not in the text to translate.

Block kinds
  K1. byline:  a short line opening with 本报记者, 本报通讯员, 记者, 通讯员 or 新华社记者.
  K2. credit:  a short line naming picture sources (本版图片…, …供图, …摄, 图片为资料图片).
  K3. Everything before the byline is the head. In the head, a line ending in sentence-final
      punctuation is a photo caption, a line opening with —— after the headline is a subtitle,
      the last other line is the headline, and the lines above it are kickers (column name,
      slogans, and the 引题 that ends in ——). A text with no byline has a head made of the
      leading lines that end without sentence-final punctuation, if at least two of them are there.
  K4. In the body, a line with neither sentence-final nor clause punctuation is a section heading
      (for example 跃上新高度 底蕴更深厚).
  K5. In the body, a one-sentence line with two or more blank lines above it and, below it,
      two or more blank lines, the end of the file or a picture credit, is a photo caption.
  K6. Every other line is a paragraph.

Sentences (inside paragraphs, list items and captions; kickers, headlines, subtitles,
headings, bylines and credits are one segment each)
  S1. A sentence ends after 。！？ (full or half width ! ?) or after an ellipsis …… ; a run of such
      marks (！？, 。。) stays together.
  S2. Closing marks ” ’ 」 』 ） ) 》 that follow the end belong to the sentence before it.
  S3. Inside quotation marks or brackets no sentence ends. When a quotation closes right after
      its own final punctuation, the sentence ends there only if the quotation is long
      (more than SHORT_QUOTE characters) or nothing follows; a short quotation inside a
      sentence that goes on (“加油！”他说。) stays in that sentence.
  S4. Whitespace, full-width spaces included, is trimmed at both edges of every segment; a
      segment that is empty after trimming is dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

SENTENCE_END = "。！？!?"
ELLIPSIS = "…"
CLAUSE_PUNCT = "，、；：,;"
CLOSERS = "”’」』）)》"
OPENERS = {"“": "”", "‘": "’", "「": "」", "『": "』", "（": "）", "(": ")", "《": "》"}
SHORT_QUOTE = 30
WHITESPACE = " \t\u3000\u00a0\ufeff"

BYLINE_RE = re.compile(r"^(本报记者|本报通讯员|新华社记者|记者|通讯员)")
CREDIT_RE = re.compile(r"(本版图片|图片为资料图片|资料图片$|供图[）)]?$|摄[）)]?$|^[（(]?图[/／:：])")
LIST_RE = re.compile(r"^—{2,}\s*")
SHORT_LINE = 40

KINDS = ("kicker", "headline", "subtitle", "byline", "heading", "paragraph", "list-item", "caption", "credit")


@dataclass(frozen=True)
class Segment:
    text: str
    line: int
    block: int
    kind: str


@dataclass
class Block:
    kind: str
    line: int
    segments: list[Segment] = field(default_factory=list)


@dataclass
class Document:
    path: str
    blocks: list[Block]

    def segments(self) -> list[Segment]:
        return [seg for block in self.blocks for seg in block.segments]


@dataclass
class _Line:
    text: str
    line: int
    gap_before: int
    gap_after: int = 0
    breaks: list[tuple[int, int]] = field(default_factory=list)  # (offset in text, source line)

    def line_at(self, offset: int) -> int:
        line = self.line
        for start, number in self.breaks:
            if offset >= start:
                line = number
        return line


def _strip(text: str) -> str:
    return text.strip(WHITESPACE)


def _ends_sentence(text: str) -> bool:
    core = text.rstrip(CLOSERS)
    return bool(core) and (core[-1] in SENTENCE_END or core.endswith(ELLIPSIS))


def _raw_lines(text: str) -> list[_Line]:
    """Non-blank lines with their gaps, after joining lines that the layout broke mid-sentence (B2)."""
    lines: list[_Line] = []
    gap = 0
    for number, raw in enumerate(text.split("\n"), start=1):
        stripped = _strip(raw)
        if not stripped:
            gap += 1
            continue
        prev = lines[-1] if lines else None
        if prev is not None and gap <= 1 and _is_broken(prev.text) and not _starts_block(stripped):
            prev.breaks.append((len(prev.text), number))
            prev.text += stripped
            gap = 0
            continue
        if prev is not None:
            prev.gap_after = gap
        lines.append(_Line(stripped, number, gap))
        gap = 0
    if lines:
        lines[-1].gap_after = max(gap, 2)  # the end of the file sets a block apart like a wide gap
    return lines


def _is_broken(text: str) -> bool:
    """B2: ends on a word (not on punctuation) yet has clause punctuation inside."""
    last = text[-1]
    return (
        (last.isalnum() or "\u4e00" <= last <= "\u9fff")
        and any(ch in CLAUSE_PUNCT for ch in text)
        and not LIST_RE.match(text)
        and not BYLINE_RE.match(text)
    )


def _starts_block(text: str) -> bool:
    return bool(LIST_RE.match(text) or BYLINE_RE.match(text) or CREDIT_RE.search(text))


def split_sentences(text: str) -> list[str]:
    """Split one block's text into sentences by rules S1–S4."""
    return [text[a:b] for a, b in sentence_spans(text)]


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) offsets of the sentences of `text`, trimmed (S4)."""
    # A quotation mark or bracket that is not balanced in this block is treated as plain text,
    # so that one stray “ cannot glue the rest of a paragraph into a single segment.
    openers = {o: c for o, c in OPENERS.items() if text.count(o) == text.count(c)}
    spans: list[tuple[int, int]] = []
    stack: list[tuple[str, int]] = []  # (expected closer, offset of the opener)
    start = i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if stack and ch == stack[-1][0]:
            stack.pop()
            i += 1
            continue
        if ch in openers:
            stack.append((openers[ch], i))
            i += 1
            continue
        if not (ch in SENTENCE_END or text.startswith(ELLIPSIS * 2, i)):
            i += 1
            continue
        j = i
        while j < n and (text[j] in SENTENCE_END or text[j] == ELLIPSIS):
            j += 1
        quote_start = stack[0][1] if stack else None
        while j < n and stack and text[j] == stack[-1][0]:
            stack.pop()
            j += 1
        if not stack:
            while j < n and text[j] in CLOSERS and text[j] not in openers.values():
                j += 1  # a stray closing mark still belongs to the sentence before it (S2)
        i = j
        if stack:
            continue  # inside a quotation or bracket (S3)
        if quote_start is not None and _strip(text[j:]) and j - quote_start <= SHORT_QUOTE + 2:
            continue  # a short quotation inside a sentence that goes on (S3)
        spans.append((start, j))
        start = j
    spans.append((start, n))
    trimmed = []
    for a, b in spans:
        while a < b and text[a] in WHITESPACE:
            a += 1
        while b > a and text[b - 1] in WHITESPACE:
            b -= 1
        if a < b:
            trimmed.append((a, b))
    return trimmed


def _classify(lines: list[_Line]) -> list[str]:
    kinds = [""] * len(lines)
    byline = next(
        (i for i, ln in enumerate(lines) if BYLINE_RE.match(ln.text) and len(ln.text) <= SHORT_LINE), None
    )
    if byline is None:
        head_end = 0
        while head_end < len(lines) and not _ends_sentence(lines[head_end].text) and not LIST_RE.match(
            lines[head_end].text
        ):
            head_end += 1
        if head_end < 2:
            head_end = 0
    else:
        kinds[byline] = "byline"
        head_end = byline
    # K3: the head
    display = [i for i in range(head_end) if not _ends_sentence(lines[i].text)]
    headline = None
    for i in display:
        if LIST_RE.match(lines[i].text) and headline is not None:
            kinds[i] = "subtitle"
        elif not LIST_RE.match(lines[i].text):
            headline = i
    for i in range(head_end):
        if kinds[i]:
            continue
        if _ends_sentence(lines[i].text):
            kinds[i] = "caption"
        elif i == headline:
            kinds[i] = "headline"
        else:
            kinds[i] = "kicker"
    # K1, K2, K4–K6: the body
    for i in range(head_end, len(lines)):
        if kinds[i]:
            continue
        ln = lines[i]
        text = ln.text
        if LIST_RE.match(text):
            kinds[i] = "list-item"
        elif CREDIT_RE.search(text) and len(text) <= SHORT_LINE:
            kinds[i] = "credit"
        elif not _ends_sentence(text) and not any(ch in CLAUSE_PUNCT for ch in text):
            kinds[i] = "heading"
        elif ln.gap_before >= 2 and _set_apart_below(lines, i) and len(split_sentences(text)) == 1:
            kinds[i] = "caption"
        else:
            kinds[i] = "paragraph"
    return kinds


def _set_apart_below(lines: list[_Line], i: int) -> bool:
    """Two blank lines, the end of the file, or a picture credit follow line i (K5)."""
    nxt = lines[i + 1] if i + 1 < len(lines) else None
    return lines[i].gap_after >= 2 or nxt is None or bool(CREDIT_RE.search(nxt.text))


SPLIT_KINDS = {"paragraph", "list-item", "caption"}


def segment_text(text: str, path: str) -> Document:
    lines = _raw_lines(text)
    kinds = _classify(lines)
    blocks: list[Block] = []
    for index, (ln, kind) in enumerate(zip(lines, kinds)):
        offset = 0
        body = ln.text
        if kind in ("list-item", "subtitle"):
            marker = LIST_RE.match(body)
            offset = marker.end() if marker else 0
            body = body[offset:]
        spans = sentence_spans(body) if kind in SPLIT_KINDS else [(0, len(body))]
        block = Block(kind, ln.line)
        for a, b in spans:
            piece = _strip(body[a:b])
            if piece:
                block.segments.append(Segment(piece, ln.line_at(offset + a), len(blocks), kind))
        if block.segments:
            blocks.append(block)
    return Document(path, blocks)


def read_document(path, display: str, max_bytes: int) -> Document:
    """Read a source text strictly (see l10n.textio.read_text) and segment it."""
    from .errors import L10nError
    from .textio import read_text

    document = segment_text(read_text(path, display, "source text", max_bytes), display)
    if not document.blocks:
        raise L10nError("the source text has nothing to translate", display)
    return document
