"""The contents page of the published edition: target/en/index.html.

It lists every published document whose catalog is complete (no fuzzy or untranslated entry),
in the order of `documents` in [tool.l10n], each with its headline linking to its page, its
byline and the date of its catalog (PO-Revision-Date: when the catalog last changed). A draft
is never listed. Like the articles, the page is a pure function of the sources and catalogs, so
`build` rewrites it only when something listed changed, and the `edition` check compares it
with what it would be now.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable
from urllib.parse import quote

import polib

from .config import Config, DocumentPaths
from .edition import _page, block_text, gaps, title_of
from .segment import Document

INDEX_NAME = "index.html"
TITLE = "English edition"
_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})\b")

STYLE = """
:root { color-scheme: light dark; }
body { margin: 0; background: Canvas; color: CanvasText;
  font: 1.0625rem/1.6 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 40rem; margin: 0 auto; padding: 2.5rem 1.25rem 4rem; }
h1 { font-size: 2.1rem; line-height: 1.2; margin: 0 0 2rem; font-family: Georgia, "Times New Roman", serif; }
ol.contents { list-style: none; padding: 0; margin: 0; }
ol.contents li { margin: 0 0 1.75rem; }
h2 { font-size: 1.35rem; line-height: 1.3; margin: 0 0 .25rem; font-family: Georgia, "Times New Roman", serif; }
h2 a { color: inherit; }
.byline { font-style: italic; color: GrayText; margin: 0; }
.date { font-size: .9rem; color: GrayText; margin: 0; }
@media print { body { font-size: 11pt; } main { max-width: none; padding: 0; } a { color: inherit; } }
""".strip()


@dataclass(frozen=True)
class Article:
    name: str  # the document's name (its path under the source folder, without .txt)
    href: str  # its page, relative to the contents page
    headline: str
    byline: str
    date: str  # YYYY-MM-DD, or "" when the catalog has no revision date yet


def index_path(config: Config) -> Path:
    return config.target_dir / INDEX_NAME


def article(doc: DocumentPaths, source: Document, po: polib.POFile) -> Article | None:
    """The contents entry of a document, or None when it is not in the published edition."""
    if not doc.published or gaps(source, po):
        return None
    m = _DATE.match(po.metadata.get("PO-Revision-Date", ""))
    return Article(doc.name, quote(f"{doc.name}.html", safe="/"), title_of(source, po),
                   block_text(source, po, "byline"), m.group(1) if m else "")


def articles(config: Config, load: Callable[[DocumentPaths], tuple[Document | None, polib.POFile | None]]
             ) -> list[Article]:
    """The published edition's articles, in the order of the configured documents. `load` gives a
    document's source and catalog (None for either that cannot be read: left out)."""
    found = []
    for doc in config.documents:
        if not doc.published:
            continue
        source, po = load(doc)
        if source is None or po is None:
            continue
        entry = article(doc, source, po)
        if entry is not None:
            found.append(entry)
    return found


def render_contents(entries: list[Article]) -> str:
    body = ["<main>", f"<h1>{TITLE}</h1>"]
    if entries:
        body.append('<ol class="contents">')
        for a in entries:
            body.append("<li>")
            body.append(f'<h2><a href="{html.escape(a.href, quote=True)}">{html.escape(a.headline, quote=False)}</a></h2>')
            if a.byline:
                body.append(f'<p class="byline">{html.escape(a.byline, quote=False)}</p>')
            if a.date:
                body.append(f'<p class="date"><time datetime="{a.date}">{a.date}</time></p>')
            body.append("</li>")
        body.append("</ol>")
    else:
        body.append("<p>No article is published yet.</p>")
    body.append("</main>")
    return _page(TITLE, body, STYLE)
