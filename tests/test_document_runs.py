"""One run over many catalogs (l10n.pretranslate.run_documents): the plan is settled under each
catalog's lock, a locked catalog stops the run without losing or holding the others."""

import polib

from l10n import notes
from l10n.config import load_config
from l10n.textio import file_lock

from tests.test_many_documents import DOCS, catalog, make_edition


def test_a_catalog_edited_after_counting_is_planned_again_under_its_lock(tmp_path, fake_engine, monkeypatch):
    import l10n.pretranslate as pretranslate

    project = make_edition(tmp_path)
    project.run("update")
    path = catalog(project, "2026-11/b")
    original_acquire = pretranslate.DocumentRun.acquire

    def acquire_after_an_edit(self):
        if self.name == "2026-11/b":  # a translator saved b after the run counted its work
            po = polib.pofile(str(path))
            entry = po.find("吉林一号卫星再上新台阶")
            entry.msgstr = "Jilin-1 climbs higher"
            po.save(str(path))
        return original_acquire(self)

    monkeypatch.setattr(pretranslate.DocumentRun, "acquire", acquire_after_an_edit)
    result = project.run("pretranslate")
    assert result.code == 0, result.err
    entry = polib.pofile(str(path)).find("吉林一号卫星再上新台阶")
    assert entry.msgstr == "Jilin-1 climbs higher" and not entry.fuzzy  # the reviewed translation stays
    assert notes.get_notes(entry).mt is None  # and was not sent to MT
    line = next(line for line in result.out.splitlines() if line.strip().startswith("2026-11/b:"))
    total_b = sum(1 for e in polib.pofile(str(path)) if not e.obsolete)
    assert f"{total_b - 1} by MT" in line and f"{1} skipped" in line


def test_a_locked_catalog_stops_the_run_and_releases_the_others(tmp_path, fake_engine):
    project = make_edition(tmp_path)
    project.run("update")
    before = {name: catalog(project, name).read_bytes() for name in DOCS}
    config = load_config(project.pyproject)
    with file_lock(config.lock_path(catalog(project, "2026-11/b")), "target/en/2026-11/b.po"):
        result = project.run("pretranslate")
    assert result.code == 2
    assert "target/en/2026-11/b.po: another run (pid" in result.err
    a = [e for e in polib.pofile(str(catalog(project, "2026-11/a"))) if not e.obsolete]
    assert all(notes.get_notes(e).mt is not None for e in a)  # finished before b: saved
    assert catalog(project, "2026-11/b").read_bytes() == before["2026-11/b"]
    assert catalog(project, "2026-11/c").read_bytes() == before["2026-11/c"]
    # no lock is left held: c (whose lock may have been taken ahead) can be locked again
    with file_lock(config.lock_path(catalog(project, "2026-11/c")), "c"):
        pass
    resumed = project.run("pretranslate")
    assert resumed.code == 0, resumed.err
    assert "2026-11/a: 0 by MT" in resumed.out
