"""Pre-translation with the deterministic test engine: constraints, verification, memory,
incrementality, interruption and locking."""

import shutil
import subprocess

import polib
import pytest

from l10n import notes, pofile
from l10n.engines import TermHint, TranslationRequest, inject_terms
from l10n.config import load_config
from l10n.textio import file_lock

from tests.conftest import ROOT, make_project
from tests.fake_engine import FakeEngine


def entries(project):
    return {e.msgid: e for e in polib.pofile(str(project.po)) if not e.obsolete}


def test_inject_terms_replaces_spans():
    request = TranslationRequest("中车长客打造的复兴号列车", (TermHint("中车长客", "CRRC Changchun", 0, 4), TermHint("复兴号", "Fuxing", 7, 10)))
    assert inject_terms(request) == "CRRC Changchun 打造的 Fuxing 列车"


def test_fills_every_entry_fuzzy_with_mt_record(project, fake_engine):
    project.run("update")
    result = project.run("pretranslate")
    assert result.code == 0, result.err
    po = polib.pofile(str(project.po))
    active = [e for e in po if not e.obsolete]
    assert len(active) == 74
    for entry in active:
        record = notes.get_notes(entry)
        assert entry.msgstr and "fuzzy" in entry.flags
        assert record.mt == entry.msgstr
        assert record.mt_key.startswith("engine=marian model=Helsinki-NLP/opus-mt-zh-en glossary=")
    assert po.metadata["X-MT-Model"] == "Helsinki-NLP/opus-mt-zh-en"
    assert po.metadata["X-Glossary-SHA256"]
    assert "glossary term success: 100.0%" in result.out
    assert "model calls: 10" in result.out  # 74 entries in batches of 8


def test_second_run_makes_no_model_call_and_loads_no_model(project, fake_engine):
    project.run("update")
    project.run("pretranslate")
    before = project.po.read_bytes()
    result = project.run("pretranslate")
    assert result.code == 0
    assert len(fake_engine) == 1  # the second run never built an engine
    assert "no entry needs MT; no model loaded" in result.out
    assert project.po.read_bytes() == before


def test_reviewed_entries_are_never_changed(project, fake_engine):
    shutil.copyfile(ROOT / "target" / "en" / "changchun-equipment.po", project.po)
    reviewed = {e.msgid: e.msgstr for e in polib.pofile(str(project.po)) if pofile.is_reviewed(e)}
    result = project.run("pretranslate", "--model", "another-model", "--refresh-mt")
    assert result.code == 0, result.err
    after = entries(project)
    assert {m: after[m].msgstr for m in reviewed} == reviewed
    assert all(pofile.is_reviewed(after[m]) for m in reviewed)
    # only the MT record moved to the new model
    assert all("model=another-model" in notes.get_notes(after[m]).mt_key for m in reviewed)
    assert "MT record refreshed on reviewed entries: 74" in result.out


def test_term_failures_stay_fuzzy_and_are_named(project, monkeypatch):
    import l10n.engines

    monkeypatch.setattr(l10n.engines, "load_engine", lambda n, o: FakeEngine(drop=("复兴号",)))
    project.run("update")
    result = project.run("pretranslate")
    entry = entries(project)["中车长客打造的复兴号亚智能动车组。"]
    assert "fuzzy" in entry.flags
    assert "Fuxing" not in entry.msgstr
    record = notes.get_notes(entry)
    assert "[glossary] 复兴号 must be translated as 'Fuxing' (glossary.csv:15)" in record.mt_qa
    assert notes.tool_messages(entry)[0].startswith("MT QA flagged this output (glossary")
    assert "glossary term success: 9" in result.out and "100.0%" not in result.out
    assert "MT QA pass rate: " in result.out and "glossary " in result.out.split("MT QA pass rate: ")[1]


def test_memory_hit_reused_without_model_call(tmp_path, fake_engine):
    other = make_project(tmp_path / "p", text="本报记者 甲\n\n一路高歌，捷报频传！\n\n全新的句子。\n")
    shutil.copyfile(ROOT / "target" / "en" / "changchun-equipment.po", other.root / "target" / "en" / "reference.po")
    other.run("update")
    result = other.run("pretranslate")
    assert result.code == 0, result.err
    entry = entries(other)["一路高歌，捷报频传！"]
    reference = [e for e in polib.pofile(str(ROOT / "target" / "en" / "changchun-equipment.po")) if e.msgid == "一路高歌，捷报频传！"][0]
    assert entry.msgstr == reference.msgstr and "fuzzy" in entry.flags
    assert notes.get_notes(entry).origin.startswith("translation memory, target/en/reference.po:")
    assert "taken from translation memory: 1" in result.out
    assert "一路高歌，捷报频传！" not in fake_engine[0].seen
    assert "全新的句子。" in fake_engine[0].seen


def test_translator_edit_of_fuzzy_mt_is_not_overwritten(project, fake_engine):
    project.run("update")
    project.run("pretranslate")
    po = polib.pofile(str(project.po))
    po[5].msgstr = "A translator's draft."
    po.save(str(project.po))
    project.run("pretranslate", "--model", "new-model")
    assert entries(project)[po[5].msgid].msgstr == "A translator's draft."


def test_interrupt_saves_finished_batches_and_resumes(project, monkeypatch):
    import l10n.engines

    project.run("update")
    monkeypatch.setattr(l10n.engines, "load_engine", lambda n, o: FakeEngine(interrupt_on_call=3))
    result = project.run("pretranslate")
    assert result.code == 130
    assert "finished batches were saved" in result.err
    po = polib.pofile(str(project.po))  # still a valid PO
    done = [e for e in po if notes.get_notes(e).mt is not None]
    assert len(done) == 16  # two batches of 8
    resumed = FakeEngine()
    monkeypatch.setattr(l10n.engines, "load_engine", lambda n, o: resumed)
    assert project.run("pretranslate").code == 0
    assert len(resumed.seen) == 74 - 16
    assert not set(resumed.seen) & {e.msgid for e in done}


def test_sigterm_during_pretranslate_saves_work(project, tmp_path):
    """A real SIGTERM to a running process: the PO stays valid and keeps the finished batches."""
    project.run("update")
    script = tmp_path / "slow.py"
    script.write_text(
        "import sys, time\n"
        f"sys.path.insert(0, {str(ROOT)!r})\n"
        "import l10n.engines\n"
        "from tests.fake_engine import FakeEngine\n"
        "class Slow(FakeEngine):\n"
        "    def translate(self, batch):\n"
        "        out = super().translate(batch)\n"
        "        if self.calls == 2:\n"
        "            print('ready', flush=True)\n"
        "            time.sleep(30)\n"
        "        return out\n"
        "l10n.engines.load_engine = lambda n, o: Slow()\n"
        "from l10n.cli import main\n"
        "sys.exit(main(['pretranslate', '--no-progress']))\n"
    )
    proc = subprocess.Popen([__import__("sys").executable, str(script)], cwd=project.root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ready"
    proc.terminate()
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    po = polib.pofile(str(project.po))
    assert len([e for e in po if notes.get_notes(e).mt is not None]) == 8


def test_lock_blocks_a_second_run(project, fake_engine):
    project.run("update")
    lock = load_config(project.pyproject).lock_path(project.po)
    assert not lock.is_relative_to(project.po.parent)  # out of the translators' folder
    with file_lock(lock, "target/en/changchun-equipment.po"):
        result = project.run("pretranslate")
        assert result.code == 2
        assert "target/en/changchun-equipment.po: another run (pid" in result.err
        assert "holds the catalog" in result.err
        assert project.run("update").code == 2
    assert project.run("pretranslate").code == 0


def test_context_and_examples_are_given_to_engines_that_use_them(project, monkeypatch):
    import l10n.engines

    shutil.copyfile(ROOT / "target" / "en" / "changchun-equipment.po", project.root / "target" / "en" / "ref.po")
    seen: list[TranslationRequest] = []

    class ContextEngine(FakeEngine):
        uses_context = True

        def translate(self, batch):
            seen.extend(batch)
            return super().translate(batch)

    monkeypatch.setattr(l10n.engines, "load_engine", lambda n, o: ContextEngine())
    project.source.write_text(project.source.read_text(encoding="utf-8").replace("一路高歌，捷报频传！", "一路高歌，喜报频传！"), encoding="utf-8")
    project.run("update")
    assert project.run("pretranslate").code == 0
    request = next(r for r in seen if r.source == "一路高歌，喜报频传！")
    assert request.examples[0] == ("一路高歌，捷报频传！", "A triumphant march, with good news pouring in!")
    assert 0 < len(request.context) <= 3
    assert request.context[-1][0] == "本报记者 孟凡明 刘霄宇"


@pytest.mark.parametrize("bad", ["--batch-size=0", "--beams=0"])
def test_bad_numbers_are_usage_errors(project, fake_engine, bad):
    project.run("update")
    assert project.run("pretranslate", bad).code == 2


def test_pretranslation_keeps_a_translators_allow_comment(project, monkeypatch):
    """Pre-translation rewrites its own `# l10n:` notes; a translator's `# l10n: allow` stays."""
    import l10n.engines

    monkeypatch.setattr(l10n.engines, "load_engine", lambda n, o: FakeEngine(model=o.model, drop=("复兴号",)))
    caption = "中车长客打造的复兴号亚智能动车组。"
    project.run("update")
    project.run("pretranslate")
    po = polib.pofile(str(project.po))
    entry = po.find(caption)
    entry.tcomment = "l10n: allow glossary — the train's name stays in pinyin elsewhere\n" + entry.tcomment
    po.save(str(project.po))
    result = project.run("pretranslate", "--model", "another-model")
    assert result.code == 0, result.err
    entry = entries(project)[caption]
    assert "model=another-model" in notes.get_notes(entry).mt_key      # the entry was translated again
    lines = entry.tcomment.split("\n")
    assert lines[0] == "l10n: allow glossary — the train's name stays in pinyin elsewhere"
    # the translator allowed the glossary miss: MT QA honours it (the test engine's output still
    # ends without a full stop, which it names)
    assert lines[1:] == ["l10n: MT QA flagged this output (final-punctuation): see the MT-QA notes"]
    assert not any(f.startswith("[glossary]") for f in notes.get_notes(entry).mt_qa)


def test_pretranslate_repairs_what_mt_qa_flags_and_records_the_rounds(project, monkeypatch):
    import l10n.engines

    made = []

    def load(name, options):
        made.append(FakeEngine(model=options.model, drop=("复兴号",), repairs=True))
        return made[-1]

    monkeypatch.setattr(l10n.engines, "load_engine", load)
    project.run("update")
    result = project.run("pretranslate")
    assert result.code == 0, result.err
    entry = entries(project)["中车长客打造的复兴号亚智能动车组。"]
    record = notes.get_notes(entry)
    assert "Fuxing" in entry.msgstr and record.mt == entry.msgstr and record.mt_rounds == 1
    assert not any(f.startswith("[glossary]") for f in record.mt_qa)
    assert "#. MT-rounds: 1" in project.po.read_text(encoding="utf-8")
    assert "repaired: " in result.out and "repaired: 0 " not in result.out
    # without repair rounds the same miss stays, flagged
    project2 = project.root.parent / "again"
    from tests.conftest import make_project

    again = make_project(project2)
    again.run("update")
    assert again.run("pretranslate", "--repair-rounds", "0").code == 0
    record = notes.get_notes(entries(again)["中车长客打造的复兴号亚智能动车组。"])
    assert record.mt_rounds == 0 and any(f.startswith("[glossary] 复兴号") for f in record.mt_qa)


def test_requests_carry_the_numbers_english_and_the_block_kind(project, monkeypatch):
    import l10n.engines

    seen: list[TranslationRequest] = []

    class Recording(FakeEngine):
        def translate(self, batch):
            seen.extend(batch)
            return super().translate(batch)

    monkeypatch.setattr(l10n.engines, "load_engine", lambda n, o: Recording())
    project.run("update")
    project.run("pretranslate")
    request = next(r for r in seen if r.source == "投产后预计当年可实现产值5000万元！")
    assert request.numbers == (("5000万元", "50 million yuan"),)
    assert request.block == "paragraph"
    headline = next(r for r in seen if r.source == "奋力提升挺“脊梁”")
    assert headline.block == "headline"
