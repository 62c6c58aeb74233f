"""The PO catalog: header, entries, msgmerge-style updates, round-trip fidelity, GNU gettext."""

import shutil
import subprocess

import polib
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from l10n import notes, pofile
from l10n import merge as merge_module
from l10n.segment import segment_text

TEXT = "本报记者 甲\n\n第一句。第二句。\n\n第三句很长，和别的都不一样。\n\n第一句。\n"


def build(text, old=None):
    return merge_module.merge(segment_text(text, "source/zh/d.txt"), old, "d")[0]


def review(po, msgid, msgstr):
    entry = po.find(msgid)
    entry.msgstr = msgstr
    if "fuzzy" in entry.flags:
        entry.flags.remove("fuzzy")
    return entry


def test_header_and_entries():
    po = build(TEXT)
    meta = po.metadata
    assert meta["Language"] == "en"
    assert meta["Plural-Forms"] == "nplurals=2; plural=(n != 1);"
    assert meta["Content-Type"] == "text/plain; charset=UTF-8"
    assert meta["Project-Id-Version"] == "d"
    assert meta["X-Source-Language"] == "zh_Hans"
    entry = po.find("第三句很长，和别的都不一样。")
    assert entry.occurrences == [("source/zh/d.txt", "5")]
    assert notes.get_notes(entry).block == "paragraph"


def test_identical_sentence_is_one_entry_with_two_occurrences():
    po = build(TEXT)
    assert [e.msgid for e in po].count("第一句。") == 1
    assert po.find("第一句。").occurrences == [("source/zh/d.txt", "3"), ("source/zh/d.txt", "7")]


def test_unchanged_segment_keeps_msgstr_and_flags():
    po = build(TEXT)
    review(po, "第二句。", "Sentence two.")
    po.find("第一句。").msgstr = "One (draft)."
    po.find("第一句。").flags.append("fuzzy")
    again = build(TEXT, po)
    assert again.find("第二句。").msgstr == "Sentence two."
    assert again.find("第二句。").flags == []
    assert again.find("第一句。").flags == ["fuzzy"]


def test_changed_segment_gets_nearest_translation_fuzzy_with_previous_msgid():
    po = build(TEXT)
    review(po, "第三句很长，和别的都不一样。", "Sentence three is long and unlike the others.")
    edited = TEXT.replace("第三句很长，和别的都不一样。", "第三句很长，和别的都很不一样。")
    new = build(edited, po)
    entry = new.find("第三句很长，和别的都很不一样。")
    assert entry.msgstr == "Sentence three is long and unlike the others."
    assert "fuzzy" in entry.flags
    assert entry.previous_msgid == "第三句很长，和别的都不一样。"
    assert new.find("第三句很长，和别的都不一样。") is None
    kept = [e for e in new if e.obsolete]
    assert [(e.msgid, e.msgstr) for e in kept] == [("第三句很长，和别的都不一样。", "Sentence three is long and unlike the others.")]
    # reverting the edit revives the reviewed entry exactly
    reverted = build(TEXT, new)
    entry = reverted.find("第三句很长，和别的都不一样。")
    assert entry.msgstr == "Sentence three is long and unlike the others." and pofile.is_reviewed(entry)


def test_removed_segment_becomes_obsolete_and_comes_back():
    po = build(TEXT)
    review(po, "第二句。", "Sentence two.")
    removed = build(TEXT.replace("第二句。", ""), po)
    gone = [e for e in removed if e.obsolete]
    assert [(e.msgid, e.msgstr) for e in gone] == [("第二句。", "Sentence two.")]
    back = build(TEXT, removed)
    entry = back.find("第二句。")
    assert entry is not None and not entry.obsolete and entry.msgstr == "Sentence two."


def test_new_segment_is_added_empty():
    po = build(TEXT)
    new = build(TEXT + "\n全新的一句话在这里出现。\n", po)
    entry = new.find("全新的一句话在这里出现。")
    assert entry.msgstr == "" and entry.occurrences == [("source/zh/d.txt", "9")]


def test_reviewed_translation_kept_across_an_edit_and_a_revert(project):
    assert project.run("update").code == 0
    po = polib.pofile(str(project.po))
    target = po[10]
    target.msgstr = "Reviewed by a person."
    po.save(str(project.po))
    original = project.source.read_text(encoding="utf-8")
    project.source.write_text(original.replace(target.msgid, target.msgid[:-1] + "，真的。"), encoding="utf-8")
    assert project.run("update").code == 0
    edited = polib.pofile(str(project.po))
    assert "Reviewed by a person." in [e.msgstr for e in edited]
    project.source.write_text(original, encoding="utf-8")
    assert project.run("update").code == 0
    back = polib.pofile(str(project.po))
    assert "Reviewed by a person." in [e.msgstr for e in back]


def test_update_twice_is_byte_identical(project):
    assert project.run("update").code == 0
    first = project.po.read_bytes()
    result = project.run("update")
    assert result.code == 0 and "unchanged" in result.out
    assert project.po.read_bytes() == first


def test_polib_round_trip_is_identity(project, tmp_path):
    project.run("update")
    po = polib.pofile(str(project.po))
    po.save(str(tmp_path / "again.po"))
    assert (tmp_path / "again.po").read_bytes() == project.po.read_bytes()
    # and with translations, MT notes and long translator comments, as in a reviewed catalog
    committed = project.root.parent / "committed.po"
    from tests.conftest import SAMPLE_CATALOG

    shutil.copyfile(SAMPLE_CATALOG, committed)
    polib.pofile(str(committed)).save(str(tmp_path / "c.po"))
    assert (tmp_path / "c.po").read_bytes() == committed.read_bytes()


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="GNU gettext not installed")
def test_msgfmt_check_accepts_the_catalog(project):
    project.run("update")
    proc = subprocess.run(["msgfmt", "--check", "-o", "/dev/null", str(project.po)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    # reviewed catalogs: the sample's in tests/test_sample.py, the shipped article's in tests/test_cli.py


@pytest.mark.skipif(shutil.which("msgcat") is None, reason="GNU gettext not installed")
def test_msgcat_rewrapped_file_is_read_and_left_alone(reviewed_sample):
    from tests.conftest import sample_segments

    project = reviewed_sample
    subprocess.run(["msgcat", "--width=40", str(project.po), "-o", str(project.po)], check=True)
    wrapped = project.po.read_bytes()
    assert project.run("update").code == 0
    assert project.po.read_bytes() == wrapped  # same meaning: not rewritten
    po = polib.pofile(str(project.po))
    reviewed = [e for e in po if pofile.is_reviewed(e)]
    assert len(reviewed) == len(sample_segments())
    assert all(notes.get_notes(e).mt is not None for e in reviewed)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=400))
def test_notes_survive_any_text(value):
    """Whatever the MT output, it reads back from the PO exactly (modulo whitespace runs)."""
    entry = polib.POEntry(msgid="源", msgstr="")
    notes.set_notes(entry, notes.Notes(block="paragraph", mt=value, mt_key="engine=x model=y glossary=z source=w"))
    po = polib.POFile()
    po.metadata = pofile.new_metadata("t")
    po.append(entry)
    again = polib.pofile(pofile.render(po))
    read = notes.get_notes(again.find("源"))
    assert read.mt == " ".join(value.split())
    assert read.block == "paragraph"
    assert all(len(line) <= 78 for line in pofile.render(po).split("\n") if line.startswith("#."))


def test_tool_messages_replace_only_their_own_lines():
    entry = polib.POEntry(msgid="源", msgstr="", tcomment="Translator: check with the editor")
    notes.set_tool_messages(entry, ["MT missed glossary terms: " + "复兴号 → Fuxing; " * 8])
    assert entry.tcomment.startswith("Translator: check with the editor\nl10n: ")
    assert len(notes.tool_messages(entry)) == 1
    notes.set_tool_messages(entry, [])
    assert entry.tcomment == "Translator: check with the editor"


# --- the MT record travels with its entry ------------------------------------------------

def with_mt(po, msgid, mt):
    entry = po.find(msgid)
    record = notes.get_notes(entry)
    record.mt, record.mt_key = mt, f"engine=e model=m glossary=g source={notes.source_hash(msgid)}"
    notes.set_notes(entry, record)


def reread(po):
    return pofile.parse_po(pofile.render(po), "d.po")


def test_obsolete_entry_keeps_its_mt_record_and_a_revived_one_gets_it_back():
    po = build(TEXT)
    review(po, "第二句。", "Sentence two.")
    with_mt(po, "第二句。", "MT of two")
    gone = reread(build(TEXT.replace("第二句。", ""), reread(po)))
    obsolete = next(e for e in gone if e.obsolete and e.msgid == "第二句。")
    assert notes.get_notes(obsolete).mt_for("第二句。") == "MT of two"
    assert "l10n-MT: MT of two" in obsolete.tcomment  # where GNU gettext and polib keep it
    back = reread(build(TEXT, gone))
    revived = back.find("第二句。")
    assert revived.msgstr == "Sentence two." and pofile.is_reviewed(revived)
    assert notes.get_notes(revived).mt_for("第二句。") == "MT of two"
    assert "l10n-" not in revived.tcomment and "MT: MT of two" in revived.comment


def test_fuzzy_match_carries_the_borrowed_mt_record_marked_as_previous():
    long = "第三句很长，和别的都不一样。"
    po = build(TEXT)
    review(po, long, "Sentence three is long.")
    with_mt(po, long, "MT of three")
    edited = "第三句很长，和别的都不太一样。"
    after = reread(build(TEXT.replace(long, edited), reread(po)))
    fuzzy = after.find(edited)
    record = notes.get_notes(fuzzy)
    assert "fuzzy" in fuzzy.flags and fuzzy.previous_msgid == long
    assert record.mt is None and record.mt_for(edited) is None  # not MT of the new source
    assert record.mt_previous == "MT of three"
    assert record.mt_previous_key.endswith(f"source={notes.source_hash(long)}")
    # and the reviewed original stays, with its own record, for a revert
    kept = next(e for e in after if e.obsolete and e.msgid == long)
    assert notes.get_notes(kept).mt_for(long) == "MT of three"


def test_tool_messages_keep_a_translators_allow_lines():
    entry = polib.POEntry(msgid="源", msgstr="", tcomment=(
        "Translator: check with the editor\nl10n: allow glossary-count — the second mention is “which”\n"
        "l10n: MT missed glossary terms: 复兴号 → Fuxing"))
    assert notes.tool_messages(entry) == ["MT missed glossary terms: 复兴号 → Fuxing"]
    notes.set_tool_messages(entry, ["MT output still has Chinese characters or full-width punctuation"])
    assert entry.tcomment == (
        "Translator: check with the editor\nl10n: allow glossary-count — the second mention is “which”\n"
        "l10n: MT output still has Chinese characters or full-width punctuation")
    notes.set_tool_messages(entry, [])
    assert entry.tcomment == "Translator: check with the editor\nl10n: allow glossary-count — the second mention is “which”"


def test_an_obsolete_reviewed_entry_lent_to_a_fuzzy_match_stays():
    """Found by the property test: a reviewed entry already obsolete, lent to a new fuzzy
    segment, was dropped when that segment went away again."""
    text = "本报记者 甲\n\n业列。业创。\n"
    po = build(text)
    review(po, "业列。", "First.")
    po = reread(build(text.replace("业列。", ""), reread(po)))  # 业列。 obsolete, reviewed
    po = reread(build(text.replace("业列。", "产列。"), po))  # lent to 产列。 as a fuzzy match
    assert po.find("产列。").previous_msgid == "业列。"
    review(po, "产列。", "Second.")
    po = reread(build(text.replace("业列。", ""), po))  # 产列。 goes away again
    kept = {e.msgid: e.msgstr for e in po if e.obsolete}
    assert kept == {"业列。": "First.", "产列。": "Second."}


def test_mt_qa_findings_and_rounds_read_back():
    entry = polib.POEntry(msgid="源", msgstr="")
    findings = ("[numbers] 248.6亿美元 → expected US$24.86 billion",
                "[omission] part of the source seems to be missing: " + "a long reason " * 8)
    notes.set_notes(entry, notes.Notes(block="paragraph", mt="Source.", mt_qa=findings, mt_rounds=2,
                                       mt_key=f"engine=e model=m glossary=g source={notes.source_hash('源')}"))
    po = polib.POFile()
    po.metadata = pofile.new_metadata("t")
    po.append(entry)
    text = pofile.render(po)
    assert "#. MT-QA: [numbers] 248.6亿美元 → expected US$24.86 billion" in text
    assert "#. MT-rounds: 2" in text
    read = notes.get_notes(pofile.parse_po(text, "t.po").find("源"))
    assert read.mt_qa == tuple(" ".join(f.split()) for f in findings) and read.mt_rounds == 2
    read.settle("另一个源")  # the record is now of a previous source: its QA no longer applies
    assert read.mt_previous == "Source." and read.mt_qa == () and read.mt_rounds == 0
