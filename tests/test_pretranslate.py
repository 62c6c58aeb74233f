"""Pre-translation with the deterministic test engine: constraints, verification, memory,
incrementality, interruption and locking. The tests run on the sample project
(tests/data/sample); counts and sentences are read from its files."""

import math
import shutil
import subprocess

import polib
import pytest

from l10n import notes, pofile
from l10n.engines import TermHint, TranslationRequest, inject_terms
from l10n.config import load_config
from l10n.textio import file_lock

from tests.conftest import ROOT, SAMPLE_CATALOG, SAMPLE_GLOSSARY, make_project, make_sample, sample_segments
from tests.fake_engine import FakeEngine

# The sample's photo caption, with two glossary terms (东澜港, 自动化码头) in it.
CAPTION = next(s.text for s in sample_segments() if s.kind == "caption")
DROPPED = "自动化码头"  # the term the test engine is told to drop


def entries(project):
    return {e.msgid: e for e in polib.pofile(str(project.po)) if not e.obsolete}


def glossary_line(zh: str) -> int:
    lines = SAMPLE_GLOSSARY.read_text(encoding="utf-8").split("\n")
    return next(n for n, line in enumerate(lines, start=1) if line.startswith(f"{zh},"))


@pytest.fixture
def project(sample):
    """The sample project with no catalog yet."""
    return sample


def test_inject_terms_replaces_spans():
    request = TranslationRequest("中车长客打造的复兴号列车", (TermHint("中车长客", "CRRC Changchun", 0, 4), TermHint("复兴号", "Fuxing", 7, 10)))
    assert inject_terms(request) == "CRRC Changchun 打造的 Fuxing 列车"


def test_fills_every_entry_fuzzy_with_mt_record(project, fake_engine):
    project.run("update")
    result = project.run("pretranslate")
    assert result.code == 0, result.err
    po = polib.pofile(str(project.po))
    active = [e for e in po if not e.obsolete]
    assert [e.msgid for e in active] == [s.text for s in sample_segments()]
    for entry in active:
        record = notes.get_notes(entry)
        assert entry.msgstr and "fuzzy" in entry.flags
        assert record.mt == entry.msgstr
        assert record.mt_key.startswith("engine=marian model=Helsinki-NLP/opus-mt-zh-en glossary=")
    assert po.metadata["X-MT-Model"] == "Helsinki-NLP/opus-mt-zh-en"
    assert po.metadata["X-Glossary-SHA256"]
    assert "glossary term success: 100.0%" in result.out
    assert f"model calls: {math.ceil(len(active) / 8)};" in result.out  # batches of 8


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
    shutil.copyfile(SAMPLE_CATALOG, project.po)
    reviewed = {e.msgid: e.msgstr for e in polib.pofile(str(project.po)) if pofile.is_reviewed(e)}
    result = project.run("pretranslate", "--model", "another-model", "--refresh-mt")
    assert result.code == 0, result.err
    after = entries(project)
    assert {m: after[m].msgstr for m in reviewed} == reviewed
    assert all(pofile.is_reviewed(after[m]) for m in reviewed)
    # only the MT record moved to the new model
    assert all("model=another-model" in notes.get_notes(after[m]).mt_key for m in reviewed)
    assert len(reviewed) == len(sample_segments())
    assert f"MT record refreshed on reviewed entries: {len(reviewed)})" in result.out


def test_term_failures_stay_fuzzy_and_are_named(project, monkeypatch):
    import l10n.engines

    from l10n.glossary import Glossary, parse_glossary

    monkeypatch.setattr(l10n.engines, "load_engine", lambda n, o: FakeEngine(drop=(DROPPED,)))
    project.run("update")
    result = project.run("pretranslate")
    entry = entries(project)[CAPTION]
    assert "fuzzy" in entry.flags
    assert "automated terminal" not in entry.msgstr
    record = notes.get_notes(entry)
    assert f"[glossary] {DROPPED} must be translated as 'automated terminal' (glossary.csv:{glossary_line(DROPPED)})" in record.mt_qa
    assert notes.tool_messages(entry)[0].startswith("MT QA flagged this output (glossary")
    # exactly the dropped term's occurrences count as failures
    glossary = Glossary("glossary.csv", parse_glossary(SAMPLE_GLOSSARY.read_text(encoding="utf-8"), "glossary.csv")[0])
    total = sum(len(glossary.find(s.text)) for s in sample_segments())
    dropped = sum(s.text.count(DROPPED) for s in sample_segments())
    assert 0 < dropped < total
    assert f"glossary term success: {100 * (total - dropped) / total:.1f}% ({total - dropped}/{total})" in result.out
    assert "MT QA pass rate: " in result.out and "glossary " in result.out.split("MT QA pass rate: ")[1]


def test_memory_hit_reused_without_model_call(tmp_path, fake_engine):
    reference = next(e for e in polib.pofile(str(SAMPLE_CATALOG)) if notes.get_notes(e).block == "paragraph")
    other = make_project(tmp_path / "p", text=f"本报记者 甲\n\n{reference.msgid}\n\n全新的句子。\n", glossary=False)
    shutil.copyfile(SAMPLE_CATALOG, other.root / "target" / "en" / "reference.po")
    other.run("update")
    result = other.run("pretranslate")
    assert result.code == 0, result.err
    entry = entries(other)[reference.msgid]
    assert entry.msgstr == reference.msgstr and "fuzzy" in entry.flags
    assert notes.get_notes(entry).origin.startswith("translation memory, target/en/reference.po:")
    assert "taken from translation memory: 1" in result.out
    assert reference.msgid not in fake_engine[0].seen
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
    assert len(resumed.seen) == len(sample_segments()) - 16 > 0
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
    with file_lock(lock, f"target/en/{project.doc}.po"):
        result = project.run("pretranslate")
        assert result.code == 2
        assert f"target/en/{project.doc}.po: another run (pid" in result.err
        assert "holds the catalog" in result.err
        assert fake_engine == []  # said before any model is loaded, not after
        assert project.run("update").code == 2
    assert project.run("pretranslate").code == 0


def test_context_and_examples_are_given_to_engines_that_use_them(project, monkeypatch):
    import l10n.engines

    shutil.copyfile(SAMPLE_CATALOG, project.root / "target" / "en" / "ref.po")
    seen: list[TranslationRequest] = []

    class ContextEngine(FakeEngine):
        uses_context = True

        def translate(self, batch):
            seen.extend(batch)
            return super().translate(batch)

    monkeypatch.setattr(l10n.engines, "load_engine", lambda n, o: ContextEngine())
    # the first sentence after the byline, edited: the reviewed original is the closest example
    segments = sample_segments()
    at = next(i for i, s in enumerate(segments) if s.kind == "byline") + 1
    original = segments[at].text
    edited = original[:-2] + "快" + original[-1]
    assert original != edited and project.source.read_text(encoding="utf-8").count(original) == 1
    project.source.write_text(project.source.read_text(encoding="utf-8").replace(original, edited), encoding="utf-8")
    project.run("update")
    assert project.run("pretranslate").code == 0
    request = next(r for r in seen if r.source == edited)
    assert request.examples[0] == (original, polib.pofile(str(SAMPLE_CATALOG)).find(original).msgstr)
    assert 0 < len(request.context) <= 3
    assert request.context[-1][0] == segments[at - 1].text


@pytest.mark.parametrize("bad", ["--batch-size=0", "--beams=0"])
def test_bad_numbers_are_usage_errors(project, fake_engine, bad):
    project.run("update")
    assert project.run("pretranslate", bad).code == 2


def test_pretranslation_keeps_a_translators_allow_comment(project, monkeypatch):
    """Pre-translation rewrites its own `# l10n:` notes; a translator's `# l10n: allow` stays."""
    import l10n.engines

    monkeypatch.setattr(l10n.engines, "load_engine", lambda n, o: FakeEngine(model=o.model, drop=(DROPPED,)))
    caption = CAPTION
    project.run("update")
    project.run("pretranslate")
    po = polib.pofile(str(project.po))
    entry = po.find(caption)
    entry.tcomment = "l10n: allow glossary — the terminal's name stays as the port writes it\n" + entry.tcomment
    po.save(str(project.po))
    result = project.run("pretranslate", "--model", "another-model")
    assert result.code == 0, result.err
    entry = entries(project)[caption]
    assert "model=another-model" in notes.get_notes(entry).mt_key      # the entry was translated again
    lines = entry.tcomment.split("\n")
    assert lines[0] == "l10n: allow glossary — the terminal's name stays as the port writes it"
    # the translator allowed the glossary miss: MT QA honours it, and names only what else it
    # finds in the test engine's output (no full stop, for one); the toolkit's earlier message is gone
    record = notes.get_notes(entry)
    assert record.mt_qa and not any(f.startswith("[glossary]") for f in record.mt_qa)
    named = ", ".join(dict.fromkeys(f[1:f.index("]")] for f in record.mt_qa))
    assert "final-punctuation" in named
    assert notes.tool_messages(entry) == [f"MT QA flagged this output ({named}): see the MT-QA notes"]
    assert all(line.startswith("l10n") for line in lines[1:])


def test_pretranslate_repairs_what_mt_qa_flags_and_records_the_rounds(project, monkeypatch):
    import l10n.engines

    made = []

    def load(name, options):
        made.append(FakeEngine(model=options.model, drop=(DROPPED,), repairs=True))
        return made[-1]

    monkeypatch.setattr(l10n.engines, "load_engine", load)
    project.run("update")
    result = project.run("pretranslate")
    assert result.code == 0, result.err
    entry = entries(project)[CAPTION]
    record = notes.get_notes(entry)
    assert "automated terminal" in entry.msgstr and record.mt == entry.msgstr and record.mt_rounds == 1
    assert not any(f.startswith("[glossary]") for f in record.mt_qa)
    assert "#. MT-rounds: 1" in project.po.read_text(encoding="utf-8")
    assert "repaired: " in result.out and "repaired: 0 " not in result.out
    # without repair rounds the same miss stays, flagged
    again = make_sample(project.root.parent / "again", catalog=False)
    again.run("update")
    assert again.run("pretranslate", "--repair-rounds", "0").code == 0
    record = notes.get_notes(entries(again)[CAPTION])
    assert record.mt_rounds == 0 and any(f.startswith(f"[glossary] {DROPPED}") for f in record.mt_qa)


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
    request = next(r for r in seen if r.source.startswith("冷链进口量"))
    assert request.numbers == (("50万", "500,000"),)
    assert request.block == "list-item"
    headline = next(r for r in seen if r.source == next(s.text for s in sample_segments() if s.kind == "headline"))
    assert headline.block == "headline"
