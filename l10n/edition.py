"""The English edition: the reviewed catalog rendered in the article's order and structure.

Outputs, next to the catalog: <doc>.md, a standalone <doc>.html (no external assets, prints
well), and <doc>.review.html, a bilingual zh | en page with each entry's status, raw MT output
and per-segment chrF, and, when pre-translation found any, the fuzzy translation-memory matches. Rendering is a pure function of the source, the catalog and the scores,
so building twice gives byte-identical files.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

import polib

from .notes import Notes, get_notes
from .pofile import is_reviewed
from .score import SegmentScores
from .segment import Block, Document

# The status of a segment; the ids of the gaps are those of the `untranslated` and `fuzzy` checks.
STATUS_REVIEWED = "reviewed"
STATUS_FUZZY = "fuzzy"
STATUS_MISSING = "untranslated"


@dataclass
class Gap:
    line: int  # of the segment in the source text
    status: str
    msgid: str
    entry_line: int | None  # of its entry in the catalog (None: no entry)


def status_of(entry: polib.POEntry | None) -> str:
    if entry is None or not entry.msgstr:
        return STATUS_MISSING
    return STATUS_REVIEWED if is_reviewed(entry) else STATUS_FUZZY


def gaps(doc: Document, po: polib.POFile) -> list[Gap]:
    entries = {e.msgid: e for e in po if not e.obsolete}
    found = []
    for seg in doc.segments():
        entry = entries.get(seg.text)
        status = status_of(entry)
        if status != STATUS_REVIEWED:
            found.append(Gap(seg.line, status, seg.text, entry.msgstr_line if entry is not None else None))
    return found


@dataclass
class Piece:
    text: str  # English, or the Chinese source where nothing can be shown
    status: str


def _pieces(block: Block, entries: dict[str, polib.POEntry], draft: bool) -> list[Piece]:
    pieces = []
    for seg in block.segments:
        entry = entries.get(seg.text)
        status = status_of(entry)
        if status == STATUS_REVIEWED:
            pieces.append(Piece(entry.msgstr, status))
        elif draft:
            pieces.append(Piece(entry.msgstr if status == STATUS_FUZZY else seg.text, status))
    return pieces


# --- Markdown ------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|])")


def md_escape(text: str) -> str:
    text = _MD_SPECIAL.sub(r"\\\1", text)
    return re.sub(r"^([#+\-]|\d+\.)", r"\\\1", text)


def _md_inline(pieces: list[Piece]) -> str:
    """Reviewed text as is; a draft's gaps as `[FUZZY: …]` / `[UNTRANSLATED: …]`, plain brackets
    that read well inside any block markup (a heading, an italic byline)."""
    out = []
    for p in pieces:
        if p.status == STATUS_REVIEWED:
            out.append(md_escape(p.text))
        else:
            out.append(f"[{p.status.upper()}: {md_escape(p.text)}]")
    return " ".join(out)


def render_markdown(doc: Document, po: polib.POFile, draft: bool = False) -> str:
    entries = {e.msgid: e for e in po if not e.obsolete}
    lines: list[str] = []
    if draft:
        lines += ["> **DRAFT** — passages marked [FUZZY: …] or [UNTRANSLATED: …] are not reviewed yet.", ""]
    previous_kind = None
    for block in doc.blocks:
        text = _md_inline(_pieces(block, entries, draft))
        if not text:
            continue
        kind = block.kind
        if previous_kind == "list-item" and kind != "list-item":
            lines.append("")
        if kind == "kicker":
            lines += [f"### {text}", ""]
        elif kind == "headline":
            lines += [f"# {text}", ""]
        elif kind == "subtitle":
            lines += [f"## {text}", ""]
        elif kind == "byline":
            lines += [f"*{text}*", ""]
        elif kind == "heading":
            lines += [f"## {text}", ""]
        elif kind == "list-item":
            lines.append(f"- {text}")
        elif kind == "caption":
            lines += [f"> *Photo:* {text}", ""]
        elif kind == "credit":
            lines += [f"*{text}*", ""]
        else:
            lines += [text, ""]
        previous_kind = kind
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines) + "\n"


# --- HTML ----------------------------------------------------------------------------

STYLE = """
:root { color-scheme: light dark; }
body { margin: 0; background: Canvas; color: CanvasText;
  font: 1.0625rem/1.6 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 40rem; margin: 0 auto; padding: 2.5rem 1.25rem 4rem; }
hgroup { margin-bottom: 1.5rem; }
.kicker { margin: 0 0 .25rem; font-size: .95rem; font-weight: 600; letter-spacing: .02em; color: #a4161a; }
h1 { font-size: 2.1rem; line-height: 1.2; margin: .35rem 0 .5rem; font-family: Georgia, "Times New Roman", serif; }
h2 { font-size: 1.35rem; line-height: 1.3; margin: 2.25rem 0 .75rem; font-family: Georgia, "Times New Roman", serif; }
.subtitle { font-size: 1.2rem; margin: 0; }
.byline { font-style: italic; color: GrayText; margin: 0 0 2rem; }
p { margin: 0 0 1rem; }
ul.items { padding-left: 1.25rem; margin: 0 0 1.25rem; }
ul.items li { margin-bottom: .6rem; }
figure { margin: 1.5rem 0; padding: .75rem 1rem; border-left: 3px solid #a4161a; background: color-mix(in srgb, CanvasText 5%, Canvas); }
figcaption { font-size: .95rem; }
figcaption .label { font-weight: 600; margin-right: .35rem; }
.credit { font-size: .875rem; color: GrayText; margin-top: 2.5rem; }
.draft-banner { border: 2px dashed #c1121f; padding: .5rem .75rem; margin-bottom: 1.5rem; }
mark.fuzzy { background: #ffe066; color: #000; }
mark.missing { background: #ffadad; color: #000; }
@media print { body { font-size: 11pt; } main { max-width: none; padding: 0; } a { color: inherit; }
  figure { break-inside: avoid; } h1, h2 { break-after: avoid; } }
""".strip()


def _html_inline(pieces: list[Piece]) -> str:
    out = []
    for p in pieces:
        text = html.escape(p.text, quote=False)
        if p.status == STATUS_REVIEWED:
            out.append(text)
        elif p.status == STATUS_FUZZY:
            out.append(f'<mark class="fuzzy" title="fuzzy: not reviewed yet">{text}</mark>')
        else:
            out.append(f'<mark class="missing" title="untranslated" lang="zh-Hans">{text}</mark>')
    return " ".join(out)


def _page(title: str, body: list[str], style: str) -> str:
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{html.escape(title, quote=False)}</title>",
            f"<style>\n{style}\n</style>",
            "</head>",
            "<body>",
            *body,
            "</body>",
            "</html>",
            "",
        ]
    )


def block_text(doc: Document, po: polib.POFile, kind: str, draft: bool = False) -> str:
    """The English of the first block of `kind` that has any: as published, or in a draft as far
    as it is translated (else the Chinese); "" when there is none."""
    entries = {e.msgid: e for e in po if not e.obsolete}
    for block in doc.blocks:
        if block.kind == kind:
            text = " ".join(p.text for p in _pieces(block, entries, draft))
            if text:
                return text
    return ""


def title_of(doc: Document, po: polib.POFile, draft: bool = False) -> str:
    """The headline: as published, or in a draft as far as it is translated (else the Chinese)."""
    return block_text(doc, po, "headline", draft) or doc.path.rsplit("/", 1)[-1]


def render_html(doc: Document, po: polib.POFile, draft: bool = False) -> str:
    entries = {e.msgid: e for e in po if not e.obsolete}
    body = ["<main>", "<article>"]
    if draft:
        body.append('<p class="draft-banner"><strong>Draft.</strong> Highlighted passages are not reviewed yet '
                    '(yellow: fuzzy, red: untranslated).</p>')
    head: list[str] = []
    in_list = False
    for block in doc.blocks:
        text = _html_inline(_pieces(block, entries, draft))
        if not text:
            continue
        kind = block.kind
        if in_list and kind != "list-item":
            body.append("</ul>")
            in_list = False
        if kind in ("kicker", "headline", "subtitle"):
            tag = {"kicker": '<p class="kicker">{}</p>', "headline": "<h1>{}</h1>", "subtitle": '<p class="subtitle">{}</p>'}[kind]
            head.append(tag.format(text))
            continue
        if head:
            body += ["<hgroup>", *head, "</hgroup>"]
            head = []
        if kind == "byline":
            body.append(f'<p class="byline">{text}</p>')
        elif kind == "heading":
            body.append(f"<h2>{text}</h2>")
        elif kind == "list-item":
            if not in_list:
                body.append('<ul class="items">')
                in_list = True
            body.append(f"<li>{text}</li>")
        elif kind == "caption":
            body.append(f'<figure><figcaption><span class="label">Photo:</span>{text}</figcaption></figure>')
        elif kind == "credit":
            body.append(f'<p class="credit">{text}</p>')
        else:
            body.append(f"<p>{text}</p>")
    if head:
        body += ["<hgroup>", *head, "</hgroup>"]
    if in_list:
        body.append("</ul>")
    body += ["</article>", "</main>"]
    return _page(title_of(doc, po, draft), body, STYLE)


REVIEW_STYLE = """
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #111; background: #fff; }
main { padding: 1.5rem; }
h1 { font-size: 1.4rem; margin: 0 0 .5rem; }
.summary { margin: 0 0 1rem; color: #444; }
table { border-collapse: collapse; width: 100%; table-layout: fixed; }
th, td { border: 1px solid #ccc; padding: .4rem .5rem; vertical-align: top; text-align: left; overflow-wrap: anywhere; }
th { background: #f3f3f3; position: sticky; top: 0; }
col.line { width: 4.5rem; } col.status { width: 6.5rem; } col.chrf { width: 4.5rem; }
td.zh { font-family: "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif; }
td.mt { color: #444; font-size: .92em; }
ul.qa { margin: .35rem 0 0; padding-left: 1.1rem; color: #8a3c00; font-size: .9em; }
.reviewed { background: #e9f7ef; } .fuzzy { background: #fff5cc; } .untranslated { background: #ffe3e3; }
td.chrf { text-align: right; font-variant-numeric: tabular-nums; }
.low { color: #b00020; font-weight: 600; }
""".strip()
TM_STYLE = "td.tm { font-size: .92em; } td.tm p { margin: 0 0 .35rem; } td.tm .pct { font-weight: 600; }"


def _tm_cell(notes: Notes) -> str:
    return "".join(
        f'<p><span class="pct">{m.percent}%</span> <span lang="zh-Hans">{html.escape(m.source, quote=False)}</span>'
        f" → {html.escape(m.target, quote=False)}</p>"
        for m in notes.tm
    )


def _qa_list(findings: tuple[str, ...]) -> str:
    if not findings:
        return ""
    items = "".join(f"<li>{html.escape(f, quote=False)}</li>" for f in findings)
    return f'<ul class="qa" title="MT QA">{items}</ul>'


def render_review(doc: Document, po: polib.POFile, scores: SegmentScores) -> str:
    chrf = scores.chrf
    entries = {e.msgid: e for e in po if not e.obsolete}
    counts = {STATUS_REVIEWED: 0, STATUS_FUZZY: 0, STATUS_MISSING: 0}
    segments = [(seg, entries.get(seg.text)) for seg in doc.segments()]
    notes_of = {seg.text: get_notes(entry) if entry is not None else Notes() for seg, entry in segments}
    # The memory column appears only when some entry has matches, so a reviewed catalog's page
    # stays as it was.
    with_tm = any(notes.tm for notes in notes_of.values())
    rows = []
    for seg, entry in segments:
        status = status_of(entry)
        counts[status] += 1
        notes = notes_of[seg.text]
        score = chrf.get(seg.text)
        score_cell = "" if score is None else f'<span class="{"low" if score < 40 else ""}">{score:.1f}</span>'
        tm_cell = f'<td class="tm">{_tm_cell(notes)}</td>' if with_tm else ""
        rows.append(
            f'<tr class="{status}"><td>{seg.line}</td><td class="zh" lang="zh-Hans">{html.escape(seg.text, quote=False)}</td>'
            f"<td>{html.escape(entry.msgstr if entry else '', quote=False)}</td><td>{status}</td>"
            f'<td class="mt">{html.escape(notes.mt or "", quote=False)}{_qa_list(scores.mt_qa.get(seg.text, ()))}</td>'
            f'{tm_cell}<td class="chrf">{score_cell}</td></tr>'
        )
    flagged = sum(1 for seg, _ in segments if seg.text in scores.mt_qa)
    name = doc.path.rsplit("/", 1)[-1]
    body = [
        "<main>",
        f"<h1>Review: {html.escape(name, quote=False)}</h1>",
        f'<p class="summary">{counts[STATUS_REVIEWED]} reviewed, {counts[STATUS_FUZZY]} fuzzy, '
        f"{counts[STATUS_MISSING]} untranslated. chrF compares the raw MT output with the reviewed translation "
        "(lower means MT needed more work; below 40 is highlighted). "
        f"MT QA flags {flagged} of {sum(1 for n in notes_of.values() if n.mt is not None)} MT outputs "
        "(listed under each).</p>",
        "<table>",
        f'<colgroup><col class="line"><col><col><col class="status"><col>{"<col>" if with_tm else ""}'
        '<col class="chrf"></colgroup>',
        f"<thead><tr><th>Line</th><th>Chinese</th><th>English</th><th>Status</th><th>Raw MT</th>"
        f"{'<th>Memory matches</th>' if with_tm else ''}<th>chrF</th></tr></thead>",
        "<tbody>",
        *rows,
        "</tbody>",
        "</table>",
        "</main>",
    ]
    return _page(f"Review: {name}", body, REVIEW_STYLE + ("\n" + TM_STYLE if with_tm else ""))


def render_all(doc: Document, po: polib.POFile, scores: SegmentScores, draft: bool) -> dict[str, str]:
    """Suffix → content for every edition file of one document."""
    return {
        ".md": render_markdown(doc, po, draft),
        ".html": render_html(doc, po, draft),
        ".review.html": render_review(doc, po, scores),
    }
