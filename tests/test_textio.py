"""Atomic writes and round-trips of PO files the toolkit did not produce."""

import errno
import os

import polib
import pytest

from l10n import notes
from l10n.textio import atomic_write


def test_full_disk_mid_write_leaves_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "a.po"
    target.write_text("old content\n", encoding="utf-8")
    real_fsync = os.fsync

    def full_disk(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(OSError):
        atomic_write(target, "new content that never fully lands\n")
    monkeypatch.setattr(os, "fsync", real_fsync)
    assert target.read_text(encoding="utf-8") == "old content\n"
    assert [p.name for p in tmp_path.iterdir()] == ["a.po"]  # no temporary file left behind


def test_crash_before_rename_leaves_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "a.html"
    target.write_text("<p>old</p>\n", encoding="utf-8")

    def crash(src, dst):
        raise KeyboardInterrupt  # the process dies between writing and renaming

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(KeyboardInterrupt):
        atomic_write(target, "<p>new</p>\n")
    assert target.read_text(encoding="utf-8") == "<p>old</p>\n"
    assert [p.name for p in tmp_path.iterdir()] == ["a.html"]


def test_cli_write_failure_keeps_the_catalog(project, monkeypatch):
    assert project.run("update").code == 0
    before = project.po.read_bytes()
    project.source.write_text(project.source.read_text(encoding="utf-8") + "\n新增一句。\n", encoding="utf-8")

    def full_disk(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(OSError):
        project.run("update")
    assert project.po.read_bytes() == before


FOREIGN = '''\
# Translator header comment kept as written.
msgid ""
msgstr ""
"Project-Id-Version: sample\\n"
"Language: en\\n"
"MIME-Version: 1.0\\n"
"Content-Type: text/plain; charset=UTF-8\\n"
"Content-Transfer-Encoding: 8bit\\n"
"Plural-Forms: nplurals=2; plural=(n != 1);\\n"
"X-Generator: Poedit 3.4\\n"

# A translator's note.
#. block: byline
#: source/zh/changchun-equipment.txt:1
msgid "本报记者 甲"
msgstr "By Jia, staff reporter"

#. block: paragraph
#: source/zh/changchun-equipment.txt:3
#, fuzzy
#| msgid "第一句话。"
msgid "第一句。"
msgstr ""
"The first "
"sentence."

#~ msgid "旧的一句。"
#~ msgstr "An old sentence."
'''


def test_foreign_po_with_comments_obsolete_and_previous_msgid_is_left_alone(tmp_path):
    from tests.conftest import make_project

    project = make_project(tmp_path, text="本报记者 甲\n\n第一句。\n")
    project.po.write_text(FOREIGN, encoding="utf-8")
    result = project.run("update")
    assert result.code == 0, result.err
    assert "unchanged" in result.out
    assert project.po.read_text(encoding="utf-8") == FOREIGN
    # and a real change keeps everything the user did not ask to change
    project.source.write_text("本报记者 甲\n\n第一句。\n\n第二句。\n", encoding="utf-8")
    assert project.run("update").code == 0
    po = polib.pofile(str(project.po))
    assert po.header == "Translator header comment kept as written."
    assert po.metadata["X-Generator"] == "Poedit 3.4"
    first = po.find("第一句。")
    assert first.msgstr == "The first sentence." and first.previous_msgid == "第一句话。" and "fuzzy" in first.flags
    assert po.find("本报记者 甲").tcomment == "A translator's note."
    assert [(e.msgid, e.msgstr) for e in po if e.obsolete] == [("旧的一句。", "An old sentence.")]
    assert notes.get_notes(po.find("第二句。")).block == "paragraph"
