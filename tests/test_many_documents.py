"""Many documents named by glob patterns, in folders: every stage over all of them, and the
contents page of the published edition (target/en/index.html)."""

import json
import re
import shutil
import subprocess

import html5lib
import polib
import pytest

from l10n import notes

from tests.conftest import make_project

DOCS = ("2026-11/a", "2026-11/b", "2026-11/c")
TEXTS = {
    "2026-11/a": "看长春\n\n长春装备制造一路高歌\n\n本报记者 孟凡明\n\n"
                 "2023年，长春装备制造投资多起来，信心强起来。中车长客打造的复兴号列车准点到达。\n",
    "2026-11/b": "看长春\n\n吉林一号卫星再上新台阶\n\n本报记者 刘霄宇\n\n"
                 "长光卫星的吉林一号卫星在轨运行。长春高端装备制造蒸蒸日上。\n",
    "2026-11/c": "看长春\n\n盾构机刀盘加工忙\n\n本报通讯员 张明\n\n"
                 "工人们在加工盾构机刀盘。新质生产力加快释放。\n",
}


def make_edition(root, published: str = '"2026-11/*"'):
    project = make_project(root)
    project.source.unlink()  # only the folder's documents
    for name, text in TEXTS.items():
        path = root / "source" / "zh" / f"{name}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    config = project.pyproject.read_text(encoding="utf-8")
    config = config.replace('documents = ["changchun-equipment"]', 'documents = ["2026-11/*"]')
    config = config.replace("published = []", f"published = [{published}]")
    project.pyproject.write_text(config, encoding="utf-8")
    return project


def catalog(project, name):
    return project.root / "target" / "en" / f"{name}.po"


def review_all(project, headline_a: str | None = None):
    """What a translator does: accept every MT output, tidied the way a reviewer would (the test
    engine's tag dropped, a capital first letter, the sentence closed), and for a, rewrite the
    headline."""
    for name in DOCS:
        path = catalog(project, name)
        po = polib.pofile(str(path))
        for entry in po:
            entry.flags = [f for f in entry.flags if f != "fuzzy"]
            text = re.sub(r"\s*\[[0-9a-f]{6}\]$", "", entry.msgstr).strip() or "Text"
            text = text[0].upper() + text[1:]
            entry.msgstr = text + ("." if entry.msgid.endswith(("。", "！", "？")) and text[-1] not in ".!?" else "")
            if headline_a and name == "2026-11/a" and entry.msgid == "长春装备制造一路高歌":
                entry.msgstr = headline_a
        po.save(str(path))


def index_of(project) -> str:
    return (project.root / "target" / "en" / "index.html").read_text(encoding="utf-8")


def test_glob_documents_in_folders_through_every_stage(tmp_path, fake_engine):
    project = make_edition(tmp_path)
    update = project.run("update")
    assert update.code == 0, update.err
    assert [line.split(":")[0] for line in update.out.splitlines()] == [f"target/en/{n}.po" for n in DOCS]
    for name in DOCS:
        assert catalog(project, name).is_file()

    result = project.run("pretranslate")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    per_doc = lines[lines.index("  per document:") + 1:]
    assert [line.strip().split(":")[0] for line in per_doc] == list(DOCS)
    assert all(re.search(r": \d+ by MT, 0 from memory, 0 skipped", line) for line in per_doc)
    translated = sum(int(re.search(r": (\d+) by MT", line).group(1)) for line in per_doc)
    assert f"translated by MT: {translated} " in result.out
    for name in DOCS:
        active = [e for e in polib.pofile(str(catalog(project, name))) if not e.obsolete]
        assert active and all(e.fuzzy and notes.get_notes(e).mt == e.msgstr for e in active)
        assert all(path == f"source/zh/{name}.txt" for e in active for path, _ in e.occurrences)

    score = project.run("score", "--json")
    assert score.code == 0, score.err
    assert json.loads(score.out)["documents"] == list(DOCS)

    refused = project.run("build")
    assert refused.code == 1
    assert [f"target/en/{n}.po" for n in DOCS] == [
        line.split(":")[0] for line in refused.err.splitlines() if "not published" in line]
    assert "No article is published yet." in index_of(project)

    check = project.run("--check")
    assert check.code == 1
    fuzzy_files = {line.split(":")[0] for line in check.out.splitlines() if "[fuzzy]" in line}
    assert fuzzy_files == {f"target/en/{n}.po" for n in DOCS}

    review_all(project)
    built = project.run("build")
    assert built.code == 0, built.err
    for name in DOCS:
        for suffix in (".md", ".html", ".review.html"):
            assert (project.root / "target" / "en" / f"{name}{suffix}").is_file()
    assert "target/en/index.html: written (contents of the published edition: 3 articles)" in built.out
    clean = project.run("--check")
    assert clean.code == 0, clean.out
    assert "on 3 document(s)" in clean.out
    if shutil.which("msgfmt"):
        for name in DOCS:
            subprocess.run(["msgfmt", "--check", "-o", "/dev/null", str(catalog(project, name))], check=True)


def test_contents_page_lists_the_published_edition(tmp_path, fake_engine):
    project = make_edition(tmp_path)
    project.run("update")
    project.run("pretranslate")
    review_all(project, headline_a='Trains & <Satellites> "on time"')
    assert project.run("build").code == 0
    page = index_of(project)
    tree = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False).parse(page)
    assert tree.find("head/title").text == "English edition"
    items = tree.findall(".//ol/li")
    assert [li.find("h2/a").get("href") for li in items] == [f"{n}.html" for n in DOCS]
    assert items[0].find("h2/a").text == 'Trains & <Satellites> "on time"'
    assert "Trains &amp; &lt;Satellites&gt;" in page  # escaped in the source
    for li, name in zip(items, DOCS):
        po = polib.pofile(str(catalog(project, name)))
        byline = next(e.msgstr for e in po if e.msgid.startswith(("本报记者", "本报通讯员")))
        assert li.find("p[@class='byline']").text == byline
        assert li.find("p[@class='date']/time").get("datetime") == po.metadata["PO-Revision-Date"][:10]
    # each link leads to the article's page, relative to the contents page
    for name in DOCS:
        assert (project.root / "target" / "en" / f"{name}.html").is_file()

    rebuilt = project.run("build")
    assert "target/en/index.html: unchanged" in rebuilt.out
    assert index_of(project) == page


def test_contents_page_is_checked_by_the_edition_check(tmp_path, fake_engine):
    project = make_edition(tmp_path)
    project.run("update")
    project.run("pretranslate")
    review_all(project)
    assert project.run("build").code == 0
    assert project.run("--check", "--only", "edition").code == 0

    # a reviewer retitles b: its page and the contents page are both out of date
    path = catalog(project, "2026-11/b")
    text = path.read_text(encoding="utf-8")
    po = polib.pofile(str(path))
    old = next(e.msgstr for e in po if e.msgid == "吉林一号卫星再上新台阶")
    path.write_text(text.replace(f'msgstr "{old}"', 'msgstr "Jilin-1 reaches a new height"'), encoding="utf-8")
    result = project.run("--check", "--only", "edition")
    assert result.code == 1
    problems = [line for line in result.out.splitlines() if "[edition]" in line]
    line = index_of(project).split("\n").index(
        next(l for l in index_of(project).split("\n") if "2026-11/b.html" in l)) + 1
    assert f"target/en/index.html:{line}: [edition] contents page is out of date with the published catalogs; " \
           "run `translate.py build`" in problems
    assert any(p.startswith("target/en/2026-11/b.html:") for p in problems)
    assert project.run("build").code == 0
    assert project.run("--check", "--only", "edition").code == 0

    # a missing contents page is reported while something is published
    (project.root / "target" / "en" / "index.html").unlink()
    result = project.run("--check", "--only", "edition")
    assert "target/en/index.html: [edition] contents page of the edition is missing; run `translate.py build`" \
        in result.out


def test_unpublished_documents_are_not_listed(tmp_path, fake_engine):
    project = make_edition(tmp_path, published='"2026-11/a", "2026-11/c"')
    project.run("update")
    project.run("pretranslate")
    review_all(project)
    assert project.run("build").code == 0
    hrefs = re.findall(r'href="([^"]+)"', index_of(project))
    assert hrefs == ["2026-11/a.html", "2026-11/c.html"]
    assert project.run("--check").code == 0


@pytest.mark.parametrize("pattern, expected", [('"2026-11/[ab]"', DOCS[:2]), ('"*/c"', DOCS[2:])])
def test_patterns_select_documents_for_every_stage(tmp_path, fake_engine, pattern, expected):
    project = make_edition(tmp_path, published="")
    config = project.pyproject.read_text(encoding="utf-8").replace('documents = ["2026-11/*"]', f"documents = [{pattern}]")
    project.pyproject.write_text(config, encoding="utf-8")
    assert project.run("update").code == 0
    assert project.run("pretranslate").code == 0
    assert sorted(p.relative_to(project.root / "target" / "en").with_suffix("").as_posix()
                  for p in (project.root / "target" / "en").rglob("*.po")) == list(expected)
    assert project.run("build", "--draft").code == 0
    assert "No article is published yet." in index_of(project)
    assert "on %d document(s)" % len(expected) in project.run("--check").out
