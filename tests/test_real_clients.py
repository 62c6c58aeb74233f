"""Round trips through translate-toolkit, an independent implementation of TMX, XLIFF and TBX
(the storage behind Weblate and Pootle): its converters read what the toolkit writes, and the
toolkit reads what they write, entry by entry."""

from __future__ import annotations

import importlib
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest

from tests.conftest import ROOT, make_project
from tests.test_formats import COMMITTED_PO


def _import_toolkit():
    """translate-toolkit's package is called `translate`, like this project's translate.py:
    import it with the project folder off the path."""
    saved = sys.path[:]
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT]
    try:
        return importlib.import_module("translate.storage.xliff2")
    except ImportError:
        return None
    finally:
        sys.path[:] = saved


if _import_toolkit() is None:
    pytest.skip("translate-toolkit is not installed (the test extra has it)", allow_module_level=True)


def convert(tool: str, *args: str) -> None:
    """Run a translate-toolkit converter as its users do (its command-line entry point), from a
    folder where translate.py does not hide the package."""
    subprocess.run([sys.executable, "-c", f"from translate.convert.{tool} import main; main()", *args],
                   check=True, capture_output=True, text=True, cwd=Path(args[-1]).parent)


@pytest.fixture
def mixed(tmp_path, fake_engine):
    project = make_project(tmp_path / "project")
    shutil.copyfile(COMMITTED_PO, project.po)
    po = polib.pofile(str(project.po))
    active = [e for e in po if not e.obsolete]
    for entry in active[5:15]:
        entry.msgstr, entry.flags = "", []
    for entry in active[15:25]:
        entry.flags = ["fuzzy"]
    po.save(str(project.po))
    assert project.run("pretranslate", "--no-progress").code == 0
    return project


def entries(path: Path) -> dict[str, tuple[str, bool]]:
    """msgid → (msgstr, fuzzy) of the active, non-header entries of a PO file."""
    return {e.msgid: (e.msgstr, e.fuzzy) for e in polib.pofile(str(path)) if not e.obsolete and e.msgid}


def test_our_xliff12_read_by_xliff2po(mixed, tmp_path):
    xlf, po = tmp_path / "out.xlf", tmp_path / "back.po"
    assert mixed.run("xliff", "export", "changchun-equipment", "--xliff-version", "1.2", "-o", str(xlf)).code == 0
    convert("xliff2po", str(xlf), str(po))
    theirs, ours = entries(po), entries(mixed.po)
    assert list(theirs) == list(ours)
    for msgid, (msgstr, fuzzy) in ours.items():
        assert theirs[msgid] == (msgstr, fuzzy and bool(msgstr)), msgid


def test_po2xliff_output_read_by_our_import(mixed, tmp_path):
    xlf = tmp_path / "theirs.xlf"
    convert("po2xliff", str(mixed.po), str(xlf))
    expected = entries(mixed.po)
    # Into the same catalog: nothing to change.
    before = mixed.po.read_bytes()
    result = mixed.run("xliff", "import", "changchun-equipment", str(xlf))
    assert result.code == 0, result.err
    assert mixed.po.read_bytes() == before
    # Into a catalog with no translations: every entry comes back as translate-toolkit wrote it.
    fresh = make_project(tmp_path / "fresh")
    assert fresh.run("update").code == 0
    result = fresh.run("xliff", "import", "changchun-equipment", str(xlf))
    assert result.code == 0, result.err
    assert entries(fresh.po) == {msgid: (msgstr, fuzzy and bool(msgstr)) for msgid, (msgstr, fuzzy) in expected.items()}


def test_our_xliff21_read_by_translate_toolkit(mixed, tmp_path):
    from translate.storage.xliff2 import Xliff2File

    xlf = tmp_path / "out.xlf"
    assert mixed.run("xliff", "export", "changchun-equipment", "-o", str(xlf)).code == 0
    store = Xliff2File.parsefile(str(xlf))
    theirs = {u.source: (u.target or "", u.isfuzzy()) for u in store.units}
    ours = entries(mixed.po)
    assert list(theirs) == list(ours)
    for msgid, (msgstr, fuzzy) in ours.items():
        assert theirs[msgid] == (msgstr, fuzzy and bool(msgstr)), msgid
    assert store.getsourcelanguage() == "zh-Hans" and store.gettargetlanguage() == "en"


def test_po2tmx_output_read_by_our_reader(mixed, tmp_path):
    from l10n.formats.tmx import read_tmx

    tmx = tmp_path / "theirs.tmx"
    convert("po2tmx", "--source-language=zh-Hans", "--language=en", str(mixed.po), str(tmx))
    reviewed = [(msgid, msgstr) for msgid, (msgstr, fuzzy) in entries(mixed.po).items() if msgstr and not fuzzy]
    assert [(u.source, u.target) for u in read_tmx(tmx, "theirs.tmx").units] == reviewed


def test_our_tmx_read_by_translate_toolkit(mixed, tmp_path):
    # translate-toolkit 3.20 ships po2tmx but no tmx2po converter: its TMX storage reads the file.
    from translate.storage.tmx import tmxfile

    tmx = tmp_path / "ours.tmx"
    assert mixed.run("tm", "export", "-o", str(tmx)).code == 0
    store = tmxfile.parsefile(str(tmx))
    store.setsourcelanguage("zh-Hans")
    store.settargetlanguage("en")
    reviewed = [(msgid, msgstr) for msgid, (msgstr, fuzzy) in entries(mixed.po).items() if msgstr and not fuzzy]
    assert [(u.source, u.target) for u in store.units] == reviewed


def test_our_tbx_read_by_translate_toolkit_and_theirs_by_us(tmp_path):
    from translate.storage.tbx import tbxfile

    from l10n.formats.tbx import read_tbx
    from l10n.glossary import load_glossary

    project = make_project(tmp_path / "project")
    out = tmp_path / "ours.tbx"
    assert project.run("glossary", "export", "-o", str(out)).code == 0
    glossary = load_glossary(project.glossary, "glossary.csv")
    store = tbxfile.parsefile(str(out))
    assert [(u.source, u.target) for u in store.units] == [(t.zh, t.en) for t in glossary.terms]

    theirs = tbxfile(sourcelanguage="zh-CN", targetlanguage="en")
    for term in glossary.terms[:10]:
        theirs.addsourceunit(term.zh).settarget(term.en, lang="en")
    path = tmp_path / "theirs.tbx"
    path.write_bytes(bytes(theirs))
    concepts = read_tbx(path, "theirs.tbx").concepts
    assert [(c.zh, c.en[0]) for c in concepts] == [([t.zh], t.en) for t in glossary.terms[:10]]
