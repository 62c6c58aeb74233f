"""The English edition: order, structure, strict HTML, draft marks, refusal, determinism.

The tests run on the sample project (tests/data/sample); what they expect of its structure is
read from its source and catalog."""

import html
from collections import Counter

import html5lib
import polib
import pytest

from l10n import notes, pofile

from tests.conftest import sample_document


@pytest.fixture
def reviewed(reviewed_sample):
    return reviewed_sample


def outputs(project):
    base = project.po.with_suffix("")
    return (base.with_suffix(".md").read_text(encoding="utf-8"), base.with_suffix(".html").read_text(encoding="utf-8"))


def review_page(project):
    return project.po.with_suffix(".review.html").read_text(encoding="utf-8")


def reviewed_in_order(project):
    from l10n.segment import segment_text

    doc = segment_text(project.source.read_text(encoding="utf-8"), "x")
    entries = {e.msgid: e.msgstr for e in polib.pofile(str(project.po))}
    return [entries[s.text] for s in doc.segments()]


def entry_of_block(po, kind):
    """The first entry of the catalog whose block is `kind`."""
    return next(e for e in po if notes.get_notes(e).block == kind)


def test_every_reviewed_msgstr_once_in_source_order(reviewed):
    result = reviewed.run("build")
    assert result.code == 0, result.err
    md, page = outputs(reviewed)
    unescaped_md = md.replace("\\", "")
    text_of_page = html.unescape(page.split("<body>", 1)[1])  # the <title> repeats the headline
    position_md = position_html = -1
    for msgstr in reviewed_in_order(reviewed):
        assert unescaped_md.count(msgstr) == 1, msgstr
        assert text_of_page.count(msgstr) == 1, msgstr
        assert unescaped_md.index(msgstr) > position_md
        assert text_of_page.index(msgstr) > position_html
        position_md, position_html = unescaped_md.index(msgstr), text_of_page.index(msgstr)


def test_structure(reviewed):
    reviewed.run("build")
    md, page = outputs(reviewed)
    po = polib.pofile(str(reviewed.po))
    blocks = Counter(block.kind for block in sample_document().blocks)
    assert all(blocks[kind] for kind in ("heading", "list-item", "caption", "credit")), blocks
    headline, byline, credit = (entry_of_block(po, kind).msgstr for kind in ("headline", "byline", "credit"))
    assert f"# {headline}\n" in md
    assert f"*{byline}*" in md
    assert md.count("\n## ") == blocks["heading"]  # the section heads
    assert md.count("\n- ") == blocks["list-item"]  # the list items that opened with ——
    assert md.count("> *Photo:*") == blocks["caption"]
    assert f"<h1>{html.escape(headline, quote=False)}</h1>" in page
    assert page.count("<h2>") == blocks["heading"] and page.count("<li>") == blocks["list-item"]
    assert page.count("<figcaption>") == blocks["caption"]
    assert f'<p class="credit">{html.escape(credit, quote=False)}</p>' in page
    assert f'<p class="byline">{html.escape(byline, quote=False)}</p>' in page
    assert "——" not in md and "——" not in page
    # a paragraph's sentences are joined by single spaces
    entries = {e.msgid: e.msgstr for e in po}
    paragraph = next(b for b in sample_document().blocks if b.kind == "paragraph" and len(b.segments) > 1)
    assert " ".join(entries[s.text] for s in paragraph.segments) in md


def test_html_is_strict_standalone_and_english(reviewed):
    reviewed.run("build")
    for path in (reviewed.po.with_suffix(".html"), reviewed.po.with_suffix(".review.html")):
        source = path.read_text(encoding="utf-8")
        parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
        tree = parser.parse(source)
        assert tree.get("lang") == "en"
        assert tree.find("head/meta").get("charset") == "utf-8"
        assert tree.find("head/title").text
        assert "http://" not in source and "https://" not in source and "<link" not in source and "<script" not in source


def test_review_page_shows_status_mt_and_chrf(reviewed):
    po = polib.pofile(str(reviewed.po))
    po[3].flags.append("fuzzy")
    po.save(str(reviewed.po))
    assert reviewed.run("build", "--draft").code == 0
    page = review_page(reviewed)
    total = len([e for e in po if not e.obsolete])
    assert f"{total - 1} reviewed, 1 fuzzy, 0 untranslated" in page
    assert page.count('<tr class="fuzzy">') == 1
    assert html.escape(notes.get_notes(po[0]).mt, quote=False) in page
    assert page.count('class="chrf"><span') == total - 1


def test_build_refuses_gaps_and_lists_them(reviewed):
    po = polib.pofile(str(reviewed.po))
    fuzzy, missing = entry_of_block(po, "headline"), entry_of_block(po, "byline")
    fuzzy.flags.append("fuzzy")
    missing.msgstr = ""
    po.save(str(reviewed.po))
    result = reviewed.run("build")
    assert result.code == 1
    # the ids and the catalog lines of --check, and the source lines
    lines = {e.msgid: e for e in pofile.read_catalog(reviewed.po, "po")}
    catalog = f"target/en/{reviewed.doc}.po"
    (source, fuzzy_line), = fuzzy.occurrences
    (_, missing_line), = missing.occurrences
    assert fuzzy_line != missing_line
    assert f"{catalog}:{lines[fuzzy.msgid].msgstr_line}: [fuzzy] " in result.err
    assert f"({source}:{fuzzy_line})" in result.err
    assert f"{catalog}:{lines[missing.msgid].msgstr_line}: [untranslated] " in result.err
    assert f"({source}:{missing_line})" in result.err
    published = reviewed.pyproject.read_text(encoding="utf-8").replace("published = []", f'published = ["{reviewed.doc}"]')
    reviewed.pyproject.write_text(published, encoding="utf-8")
    check = reviewed.run("--check", "--only", "fuzzy", "--only", "untranslated")
    assert f"{catalog}:{lines[fuzzy.msgid].msgstr_line}: [fuzzy]" in check.out
    assert f"{catalog}:{lines[missing.msgid].msgstr_line}: [untranslated]" in check.out
    assert "2 entries are fuzzy or untranslated" in result.err
    assert not reviewed.po.with_suffix(".html").exists()


def test_draft_marks_the_gaps(reviewed):
    po = polib.pofile(str(reviewed.po))
    headline, byline = entry_of_block(po, "headline"), entry_of_block(po, "byline")
    headline.flags.append("fuzzy")
    fuzzy_text = headline.msgstr
    byline.msgstr = ""
    po.save(str(reviewed.po))
    assert reviewed.run("build", "--draft").code == 0
    md, page = outputs(reviewed)
    assert f"\n# [FUZZY: {fuzzy_text}]\n" in md.replace("\\", "")
    assert f"*[UNTRANSLATED: {byline.msgid}]*" in md  # one clean italic span, no *** runs
    assert "***" not in md
    assert f'<mark class="fuzzy" title="fuzzy: not reviewed yet">{html.escape(fuzzy_text, quote=False)}</mark>' in page
    assert f'<mark class="missing" title="untranslated" lang="zh-Hans">{byline.msgid}</mark>' in page
    assert "DRAFT" in md and "draft-banner" in page


def test_draft_title_is_the_headline_as_far_as_it_is_translated(reviewed):
    po = polib.pofile(str(reviewed.po))
    headline = entry_of_block(po, "headline")
    headline.flags.append("fuzzy")
    po.save(str(reviewed.po))
    assert reviewed.run("build", "--draft").code == 0
    page = reviewed.po.with_suffix(".html").read_text(encoding="utf-8")
    assert f"<title>{html.escape(headline.msgstr, quote=False)}</title>" in page
    headline.msgstr = ""
    po.save(str(reviewed.po))
    assert reviewed.run("build", "--draft").code == 0
    page = reviewed.po.with_suffix(".html").read_text(encoding="utf-8")
    assert f"<title>{headline.msgid}</title>" in page


def test_build_twice_is_byte_identical(reviewed):
    reviewed.run("build")
    first = outputs(reviewed)
    result = reviewed.run("build")
    assert "unchanged" in result.out
    assert outputs(reviewed) == first


def test_markdown_escapes_special_characters(reviewed):
    po = polib.pofile(str(reviewed.po))
    entry_of_block(po, "paragraph").msgstr = "A *bold* claim [1] <b>x</b> 5_000"
    po.save(str(reviewed.po))
    reviewed.run("build")
    md, page = outputs(reviewed)
    assert r"A \*bold\* claim \[1\] \<b\>x\</b\> 5\_000" in md
    assert "A *bold* claim [1] &lt;b&gt;x&lt;/b&gt; 5_000" in page


def test_review_page_lists_what_mt_qa_finds_in_each_mt_output(tmp_path):
    from tests.conftest import make_project

    project = make_project(tmp_path, text="本报记者 甲\n\n今年营收248.6亿美元。产量增长35%。\n", glossary=False)
    assert project.run("update").code == 0
    po = polib.pofile(str(project.po))
    for entry in po:
        if entry.msgid.startswith(("今年", "产量")):
            record = notes.get_notes(entry)
            record.mt = {"今": "Revenue was $248.6 billion.", "产": "Output rose 35%."}[entry.msgid[0]]
            record.mt_key = f"engine=e model=m glossary=g source={notes.source_hash(entry.msgid)}"
            notes.set_notes(entry, record)
    po.save(str(project.po))
    assert project.run("build", "--draft").code == 0
    page = project.po.with_suffix(".review.html").read_text(encoding="utf-8")
    assert ('<ul class="qa" title="MT QA"><li>[numbers] missing number: 248.6亿美元 → expected US$24.86 billion'
            '</li></ul>') in page
    assert page.count('<ul class="qa"') == 1
    assert "MT QA flags 1 of 2 MT outputs" in page
