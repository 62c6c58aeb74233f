"""TMX, XLIFF and TBX: output valid against the published schemas, round trips, the import rules,
other tools' files (tests/data), and bad input."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import polib
import pytest

from l10n.notes import get_notes

from tests.conftest import ROOT, make_project

DATA = Path(__file__).parent / "data"
SCHEMAS = DATA / "schemas"
COMMITTED_PO = ROOT / "target" / "en" / "changchun-equipment.po"

etree = pytest.importorskip("lxml.etree")


class _LocalXmlXsd(etree.Resolver):
    """The XLIFF 1.2 schema imports xml.xsd from the web: serve the local copy."""

    def resolve(self, url, pubid, context):
        if url.endswith("xml.xsd"):
            return self.resolve_filename(
                str(SCHEMAS / "xliff-2.1" / "informativeCopiesOf3rdPartySchemas" / "w3c" / "xml.xsd"), context)
        return None


def _schema(path: Path) -> "etree.XMLSchema":
    parser = etree.XMLParser(no_network=True)
    parser.resolvers.add(_LocalXmlXsd())
    return etree.XMLSchema(etree.parse(str(path), parser))


def xliff21_schema():
    # The core schema accepts module elements laxly: validating against a schema that imports
    # both the core and the Metadata module checks the <mda:…> elements too.
    driver = f"""<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
      <xs:import namespace="urn:oasis:names:tc:xliff:document:2.0" schemaLocation="{(SCHEMAS / 'xliff-2.1' / 'xliff_core_2.0.xsd').as_uri()}"/>
      <xs:import namespace="urn:oasis:names:tc:xliff:metadata:2.0" schemaLocation="{(SCHEMAS / 'xliff-2.1' / 'metadata.xsd').as_uri()}"/>
    </xs:schema>"""
    parser = etree.XMLParser(no_network=True)
    return etree.XMLSchema(etree.fromstring(driver.encode(), parser, base_url=str(SCHEMAS / "driver.xsd")))


def assert_valid_xsd(schema, path: Path) -> None:
    doc = etree.parse(str(path), etree.XMLParser(no_network=True))
    assert schema.validate(doc), "\n".join(str(e) for e in schema.error_log)


def assert_valid_dtd(dtd_file: Path, path: Path) -> None:
    dtd = etree.DTD(str(dtd_file))
    doc = etree.parse(str(path), etree.XMLParser(no_network=True, load_dtd=False))
    assert dtd.validate(doc), "\n".join(str(e) for e in dtd.error_log)


@pytest.fixture
def reviewed(tmp_path):
    """A project holding the article and its committed, fully reviewed catalog."""
    project = make_project(tmp_path)
    shutil.copyfile(COMMITTED_PO, project.po)
    return project


@pytest.fixture
def mixed(tmp_path, fake_engine):
    """A project whose catalog has reviewed, fuzzy (MT) and untranslated entries."""
    project = make_project(tmp_path)
    shutil.copyfile(COMMITTED_PO, project.po)
    po = polib.pofile(str(project.po))
    active = [e for e in po if not e.obsolete]
    for entry in active[10:20]:
        entry.msgstr = ""
        entry.flags = []
    for entry in active[20:30]:
        entry.flags = ["fuzzy"]
    active[21].tcomment = "Check the company name with the client."
    po.save(str(project.po))
    assert project.run("pretranslate", "--no-progress").code == 0
    return project


def _catalog(project) -> dict[str, tuple[str, bool]]:
    return {e.msgid: (e.msgstr, e.fuzzy) for e in polib.pofile(str(project.po)) if not e.obsolete}


# --- validation against the published schemas -------------------------------------------------

def test_tmx_export_is_valid_tmx14(reviewed, tmp_path):
    out = tmp_path / "memory.tmx"
    result = reviewed.run("tm", "export", "-o", str(out))
    assert result.code == 0, result.err
    from l10n.pofile import is_reviewed

    units = len([e for e in polib.pofile(str(reviewed.po)) if not e.obsolete and is_reviewed(e)])
    assert units
    assert f"{units} translation units" in result.out
    assert_valid_dtd(SCHEMAS / "tmx14.dtd", out)


@pytest.mark.parametrize("version", ["2.1", "1.2"])
def test_xliff_export_is_valid(mixed, version):
    result = mixed.run("xliff", "export", "changchun-equipment", "--xliff-version", version)
    assert result.code == 0, result.err
    out = mixed.root / "target" / "en" / "changchun-equipment.xlf"
    schema = xliff21_schema() if version == "2.1" else _schema(SCHEMAS / "xliff-1.2" / "xliff-core-1.2-strict.xsd")
    assert_valid_xsd(schema, out)


def test_the_validators_do_reject_invalid_files(tmp_path):
    bad_tmx = tmp_path / "bad.tmx"
    bad_tmx.write_text('<tmx version="1.4"><header/><body/></tmx>', encoding="utf-8")  # header lacks attributes
    with pytest.raises(AssertionError):
        assert_valid_dtd(SCHEMAS / "tmx14.dtd", bad_tmx)
    bad_xliff = tmp_path / "bad.xlf"
    bad_xliff.write_text('<xliff xmlns="urn:oasis:names:tc:xliff:document:2.0" version="2.1" srcLang="zh-Hans">'
                         '<file id="f1"><unit id="u1"><segment state="done"><source>看</source></segment></unit>'
                         "</file></xliff>", encoding="utf-8")
    with pytest.raises(AssertionError):
        assert_valid_xsd(xliff21_schema(), bad_xliff)


def test_tbx_export_is_valid_martif(reviewed, tmp_path):
    out = tmp_path / "terms.tbx"
    result = reviewed.run("glossary", "export", "-o", str(out))
    assert result.code == 0, result.err
    assert "87 terms" in result.out
    assert_valid_dtd(SCHEMAS / "TBXcoreStructV02.dtd", out)


# --- round trips ------------------------------------------------------------------------------

@pytest.mark.parametrize("version", ["2.1", "1.2"])
def test_po_xliff_po_without_edits_is_byte_identical(mixed, version):
    before = mixed.po.read_bytes()
    assert mixed.run("xliff", "export", "changchun-equipment", "--xliff-version", version).code == 0
    result = mixed.run("xliff", "import", "changchun-equipment", str(mixed.root / "target/en/changchun-equipment.xlf"))
    assert result.code == 0, result.err
    assert "unchanged" in result.out and "0 translations taken" in result.out
    assert mixed.po.read_bytes() == before


def test_xliff_export_states_and_notes(mixed):
    from l10n.formats.xliff import read_xliff

    assert mixed.run("xliff", "export", "changchun-equipment").code == 0
    path = mixed.root / "target/en/changchun-equipment.xlf"
    text = path.read_text(encoding="utf-8")
    assert text.count('state="reviewed"') == 54 and text.count('state="initial"') == 20
    assert '<note category="comment">Check the company name with the client.</note>' in text
    assert '<note category="block">' in text and '<note category="MT">' in text
    units = {u.source: u for u in read_xliff(path, "x.xlf").units}
    catalog = _catalog(mixed)
    assert set(units) == set(catalog)
    for source, (msgstr, fuzzy) in catalog.items():
        assert units[source].target == (msgstr or None)
        assert units[source].reviewed == (bool(msgstr) and not fuzzy)


def test_tmx_round_trip_through_import(reviewed, tmp_path):
    from l10n.formats.tmx import read_tmx

    out = tmp_path / "memory.tmx"
    reviewed.run("tm", "export", "-o", str(out))
    memory = read_tmx(out, "memory.tmx")
    from l10n.formats.tmx import po_date_to_tmx

    committed = polib.pofile(str(COMMITTED_PO))
    expected = [(e.msgid, e.msgstr) for e in committed if e.translated()]
    assert [(u.source, u.target) for u in memory.units] == expected
    created = po_date_to_tmx(committed.metadata["PO-Revision-Date"])  # the catalog's revision date
    assert re.fullmatch(r"\d{8}T\d{6}Z", created) and all(u.created == created for u in memory.units)
    assert all(("x-document", "changchun-equipment") in u.props for u in memory.units)


# --- XLIFF import rules -------------------------------------------------------------------------

def _edit_xliff(path: Path, edits: dict[str, tuple[str | None, str | None]]) -> None:
    """Set target text and/or segment state of units (XLIFF 2.1), by source text."""
    ns = {"x": "urn:oasis:names:tc:xliff:document:2.0"}
    tree = etree.parse(str(path))
    for segment in tree.iterfind(".//x:segment", ns):
        source = segment.find("x:source", ns).text
        if source not in edits:
            continue
        new_text, state = edits[source]
        if new_text is not None:
            target = segment.find("x:target", ns)
            if target is None:
                target = etree.SubElement(segment, "{urn:oasis:names:tc:xliff:document:2.0}target")
            target.text = new_text
        if state is not None:
            segment.set("state", state)
    tree.write(str(path), encoding="UTF-8", xml_declaration=True)


def test_xliff_import_applies_the_translators_work_and_reports_the_rest(mixed):
    assert mixed.run("xliff", "export", "changchun-equipment").code == 0
    xlf = mixed.root / "target/en/changchun-equipment.xlf"
    before = _catalog(mixed)
    ids = list(before)
    untranslated, fuzzy, reviewed_ = ids[10], ids[20], ids[0]
    confirm, reviewed_unconfirmed = ids[22], ids[1]
    _edit_xliff(xlf, {
        untranslated: ("A new translation.", "translated"),
        fuzzy: ("An edited draft.", "initial"),
        confirm: (None, "final"),
        reviewed_: ("Looking at Changchun", "reviewed"),
        reviewed_unconfirmed: ("Unconfirmed rewrite", "initial"),
    })
    result = mixed.run("xliff", "import", "changchun-equipment", str(xlf))
    after = _catalog(mixed)
    assert after[untranslated] == ("A new translation.", False)
    assert after[fuzzy] == ("An edited draft.", True)
    assert after[confirm] == (before[confirm][0], False)
    assert after[reviewed_] == ("Looking at Changchun", False)  # confirmed, and the catalog had not moved on
    assert after[reviewed_unconfirmed] == before[reviewed_unconfirmed]  # never replaced by a draft
    assert result.code == 1
    assert "not confirmed" in result.err and len(result.err.strip().splitlines()) == 1
    assert "3 translations taken, 1 drafts confirmed" in result.out
    for msgid in set(ids) - {untranslated, fuzzy, confirm, reviewed_}:
        assert after[msgid] == before[msgid]


def test_xliff_import_conflict_when_both_sides_changed(mixed):
    assert mixed.run("xliff", "export", "changchun-equipment").code == 0
    xlf = mixed.root / "target/en/changchun-equipment.xlf"
    msgid = next(iter(_catalog(mixed)))
    po = polib.pofile(str(mixed.po))
    po.find(msgid).msgstr = "Edited in the repository"
    po.save(str(mixed.po))
    _edit_xliff(xlf, {msgid: ("Edited by the translator", "reviewed")})
    result = mixed.run("xliff", "import", "changchun-equipment", str(xlf))
    assert result.code == 1
    assert "conflict" in result.err and "Edited in the repository" in result.err
    assert _catalog(mixed)[msgid][0] == "Edited in the repository"


def test_xliff_import_never_clears_a_translation_and_reports_unknown_sources(mixed):
    assert mixed.run("xliff", "export", "changchun-equipment", "--xliff-version", "1.2").code == 0
    xlf = mixed.root / "target/en/changchun-equipment.xlf"
    catalog = _catalog(mixed)
    first = next(iter(catalog))
    text = xlf.read_text(encoding="utf-8")
    text = text.replace(f">{catalog[first][0]}</target>", "></target>", 1)
    second = list(catalog)[1]
    text = text.replace(f"<source>{second}</source>", "<source>长春是一座汽车城。</source>", 1)
    xlf.write_text(text, encoding="utf-8")
    before = mixed.po.read_bytes()
    result = mixed.run("xliff", "import", "changchun-equipment", str(xlf))
    assert result.code == 1
    lines = result.err.strip().splitlines()
    assert any("emptied" in line for line in lines) and any("no entry for this source" in line for line in lines)
    assert all(line.startswith("target/en/changchun-equipment.xlf:") for line in lines)
    assert mixed.po.read_bytes() == before


def test_xliff_import_bad_file_is_one_line_and_writes_nothing(mixed, tmp_path):
    before = mixed.po.read_bytes()
    bad = tmp_path / "broken.xlf"
    bad.write_text('<?xml version="1.0"?>\n<xliff version="2.1" srcLang="zh">\n<file id="f1">\n</xliff>\n',
                   encoding="utf-8")
    result = mixed.run("xliff", "import", "changchun-equipment", str(bad))
    assert result.code == 2
    assert len(result.err.strip().splitlines()) == 1
    assert result.err.startswith("broken.xlf:4: not well-formed XML (mismatched tag")  # named from the project
    wrong = tmp_path / "english.xlf"
    wrong.write_text('<xliff xmlns="urn:oasis:names:tc:xliff:document:2.0" version="2.0" srcLang="en" trgLang="de">'
                     '<file id="f"><unit id="u"><segment><source>Hi</source></segment></unit></file></xliff>',
                     encoding="utf-8")
    result = mixed.run("xliff", "import", "changchun-equipment", str(wrong))
    assert result.code == 2 and "source language of this XLIFF file is 'en'" in result.err
    assert mixed.po.read_bytes() == before


def test_entity_declarations_are_refused(tmp_path, reviewed):
    bomb = tmp_path / "bomb.tmx"
    bomb.write_text('<?xml version="1.0"?>\n<!DOCTYPE tmx [\n<!ENTITY a "aaaaaaaaaa">\n<!ENTITY b "&a;&a;&a;&a;">\n]>\n'
                    '<tmx version="1.4"><header/><body><tu><tuv xml:lang="zh"><seg>&b;</seg></tuv></tu></body></tmx>',
                    encoding="utf-8")
    result = reviewed.run("tm", "import", str(bomb))
    assert result.code == 2 and "declares XML entities" in result.err
    assert result.err.startswith("bomb.tmx:3:")
    assert not (reviewed.root / ".l10n-cache" / "memories").exists()


# --- other tools' files --------------------------------------------------------------------------

def test_okapi_xliff_is_imported_into_a_new_catalog(project):
    assert project.run("update").code == 0
    result = project.run("xliff", "import", "changchun-equipment", str(DATA / "okapi-tikal.xlf"))
    catalog = _catalog(project)
    assert catalog["看长春"] == ("Focus on Changchun", False)
    assert catalog["一路高歌，捷报频传！"] == ("Triumph after triumph, and good news keeps coming!", False)
    assert catalog["中车长客国家级工业设计中心正式揭牌；"] == (
        "The national industrial design center of CRRC Changchun Railway Vehicles was unveiled;", True)
    assert catalog["本报记者 孟凡明 刘霄宇"] == ("", False)  # inline code <x/>: reported, not imported
    assert catalog["奋力提升挺“脊梁”"] == ("", False)
    assert result.code == 1
    err = result.err.strip().splitlines()
    assert len(err) == 2
    assert "inline code <x>" in err[0] and "okapi-tikal.xlf:" in err[0]
    assert "no entry for this source" in err[1] and "长春是一座汽车城" in err[1]
    assert "3 translations taken" in result.out and "1 untranslated in the file" in result.out


def test_okapi_xliff_never_replaces_reviewed_translations(reviewed):
    before = reviewed.po.read_bytes()
    result = reviewed.run("xliff", "import", "changchun-equipment", str(DATA / "okapi-tikal.xlf"))
    assert result.code == 1
    assert "does not record what was exported" in result.err  # 一路高歌: reviewed, different, no export data
    assert "not confirmed" in result.err  # 中车长客国家级工业设计中心: a draft against a reviewed entry
    assert reviewed.po.read_bytes() == before


def test_omegat_tmx_is_imported_and_used_by_pretranslate(project, fake_engine):
    from l10n.formats.tmx import read_tmx

    memory = read_tmx(DATA / "omegat-project.tmx", "omegat-project.tmx")
    assert [u.source for u in memory.units] == [
        "一路高歌，捷报频传！", "中车长客国家级工业设计中心今天正式揭牌；", "长光卫星发布新一代遥感卫星。", "一路高歌，捷报频传。"]
    assert memory.units[2].target == "Chang Guang Satellite releases a new generation of remote sensing satellites."
    assert memory.units[0].created == "20260110T093012Z"
    assert dict(memory.skipped) == {"no Simplified Chinese variant": 1}

    assert project.run("update").code == 0
    result = project.run("tm", "import", str(DATA / "omegat-project.tmx"))
    assert result.code == 0, result.err
    assert "4 zh → en units imported into .l10n-cache/memories/omegat-project.tmx" in result.out
    assert "1 with no Simplified Chinese variant" in result.out
    catalog_before = project.po.read_bytes()
    assert project.run("pretranslate", "--no-progress").code == 0
    po = polib.pofile(str(project.po))
    exact = po.find("一路高歌，捷报频传！")
    assert exact.msgstr == "Triumph after triumph, and good news keeps coming!" and exact.fuzzy
    # Read through l10n.notes: a long origin (the absolute path of the imported file) is wrapped
    # onto `origin+` lines, so the raw comment depends on where the checkout lives.
    origin = get_notes(exact).origin
    assert origin.startswith("translation memory, ") and origin.endswith("omegat-project.tmx:15"), origin
    near = get_notes(po.find("中车长客国家级工业设计中心正式揭牌；")).tm
    assert [(n.percent, n.source) for n in near][:1] == [(90, "中车长客国家级工业设计中心今天正式揭牌；")], near
    assert near[0].target.startswith("The national-level industrial design center"), near
    assert catalog_before != project.po.read_bytes()


def test_configured_memories_are_used_and_validated(project, fake_engine):
    (project.root / "tm").mkdir()
    shutil.copyfile(DATA / "omegat-project.tmx", project.root / "tm" / "agency.tmx")
    text = project.pyproject.read_text(encoding="utf-8")
    project.pyproject.write_text(text.replace('glossary = "glossary.csv"\n',
                                              'glossary = "glossary.csv"\nmemories = ["tm/agency.tmx"]\n'),
                                 encoding="utf-8")
    assert project.run("update").code == 0
    assert project.run("pretranslate", "--no-progress").code == 0
    assert polib.pofile(str(project.po)).find("一路高歌，捷报频传！").msgstr.startswith("Triumph after triumph")
    project.pyproject.write_text(text.replace('glossary = "glossary.csv"\n',
                                              'glossary = "glossary.csv"\nmemories = ["tm/missing.tmx"]\n'),
                                 encoding="utf-8")
    result = project.run("update")
    assert result.code == 2
    assert result.err.strip() == ("pyproject.toml:8: memory 'tm/missing.tmx' does not exist; add the TMX file or "
                                  "remove it from memories")


# --- TBX ----------------------------------------------------------------------------------------

def test_tbx_round_trip_changes_nothing(reviewed, tmp_path):
    out = tmp_path / "terms.tbx"
    reviewed.run("glossary", "export", "-o", str(out))
    before = reviewed.glossary.read_bytes()
    result = reviewed.run("glossary", "import", str(out))
    assert result.code == 0, result.err
    assert "added 0 new terms, 87 already there" in result.out
    assert reviewed.glossary.read_bytes() == before


TBX3 = """<?xml version="1.0" encoding="UTF-8"?>
<tbx type="TBX-Basic" style="dca" xml:lang="en" xmlns="urn:iso:std:iso:30042:ed-2">
  <tbxHeader><fileDesc><sourceDesc><p>termbase</p></sourceDesc></fileDesc></tbxHeader>
  <text><body>
    <conceptEntry id="c1">
      <note>Railway term</note>
      <langSec xml:lang="zh-CN"><termSec><term>磁悬浮列车</term></termSec></langSec>
      <langSec xml:lang="en-US">
        <termSec><term>magnetic levitation train</term><termNote type="administrativeStatus">admittedTerm-admn-sts</termNote></termSec>
        <termSec><term>maglev train</term><termNote type="administrativeStatus">preferredTerm-admn-sts</termNote></termSec>
        <termSec><term>magnet train</term><termNote type="administrativeStatus">deprecatedTerm-admn-sts</termNote></termSec>
      </langSec>
    </conceptEntry>
    <conceptEntry id="c2">
      <langSec xml:lang="zh-Hans"><termSec><term>复兴号</term></termSec></langSec>
      <langSec xml:lang="en"><termSec><term>Revival</term></termSec></langSec>
    </conceptEntry>
    <conceptEntry id="c3">
      <langSec xml:lang="zh-Hant"><termSec><term>動車組</term></termSec></langSec>
      <langSec xml:lang="en"><termSec><term>EMU</term></termSec></langSec>
    </conceptEntry>
    <conceptEntry id="c4">
      <langSec xml:lang="zh"><termSec><term>动车组</term></termSec></langSec>
      <langSec xml:lang="en"><termSec><term>EMU</term></termSec><termSec><term>multiple unit</term></termSec></langSec>
    </conceptEntry>
  </body></text>
</tbx>
"""


def test_tbx_import_appends_new_terms_and_reports_conflicts(reviewed, tmp_path):
    tbx = tmp_path / "terms.tbx"
    tbx.write_text(TBX3, encoding="utf-8")
    before = reviewed.glossary.read_bytes()
    dry = reviewed.run("glossary", "import", str(tbx), "--dry-run")
    assert dry.code == 1 and "would add 1 new term" in dry.out
    assert reviewed.glossary.read_bytes() == before
    result = reviewed.run("glossary", "import", str(tbx))
    assert result.code == 1
    assert "conflict: 复兴号 is 'Fuxing' in glossary.csv (line" in result.err and "kept 'Fuxing'" in result.err
    assert "+ 磁悬浮列车 → maglev train" in result.out
    assert "动车组: variants multiple unit are not in glossary.csv" in result.err
    after = reviewed.glossary.read_bytes()
    assert after.startswith(before)
    assert after[len(before):].decode("utf-8") == "磁悬浮列车,maglev train,Railway term,magnetic levitation train\n"
    assert "1 with a deprecated or superseded term" in result.out and "1 with no Simplified Chinese term" in result.out
    from l10n.glossary import load_glossary

    glossary = load_glossary(reviewed.glossary, "glossary.csv")
    term = next(t for t in glossary.terms if t.zh == "磁悬浮列车")
    assert term.forms == ("maglev train", "magnetic levitation train") and term.note == "Railway term"
    assert reviewed.run("--check").code == 0
