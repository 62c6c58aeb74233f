"""`score`: sacrebleu figures that equal the sacrebleu command line, coverage, term accuracy."""

import json
import shutil
import subprocess
import sys

import polib
import pytest

from l10n import notes, pofile

from tests.conftest import ROOT, set_threshold


@pytest.fixture
def scored(reviewed_sample, fake_engine):
    """The reviewed sample catalog with one third of its entries fuzzy again, so that coverage
    has something to explain."""
    po = polib.pofile(str(reviewed_sample.po))
    for entry in po[::3]:
        entry.flags.append("fuzzy")
    po.save(str(reviewed_sample.po))
    return reviewed_sample


def coverage(project) -> tuple[int, int]:
    """(reviewed entries, all entries) of the project's catalog, read from the file."""
    entries = [e for e in polib.pofile(str(project.po)) if not e.obsolete]
    return sum(1 for e in entries if pofile.is_reviewed(e)), len(entries)


def test_score_equals_sacrebleu_cli(scored, tmp_path):
    result = scored.run("score", "--json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    reviewed, total = coverage(scored)
    assert 0 < reviewed < total
    assert data["scored"] == reviewed and data["entries"] == total
    assert data["not_scored"] == {"no reference (fuzzy, not reviewed yet)": total - reviewed}
    hyp = tmp_path / "hyp.txt"
    ref = tmp_path / "ref.txt"
    hyp.write_text("\n".join(s["mt"] for s in data["segments"]) + "\n", encoding="utf-8")
    ref.write_text("\n".join(s["reference"] for s in data["segments"]) + "\n", encoding="utf-8")
    cli = shutil.which("sacrebleu", path=str(__import__("pathlib").Path(sys.executable).parent)) or "sacrebleu"
    proc = subprocess.run([cli, str(ref), "-i", str(hyp), "-m", "bleu", "chrf", "ter", "-b", "-w", "2"],
                          capture_output=True, text=True, check=True)
    bleu, chrf, ter = json.loads(proc.stdout)
    assert (data["bleu"], data["chrf"], data["ter"]) == (bleu, chrf, ter)
    assert data["signatures"]["bleu"].startswith("nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:")


def test_text_report_lists_signature_coverage_terms_and_worst_segments(scored):
    result = scored.run("score")
    out = result.out
    reviewed, total = coverage(scored)
    assert f"coverage: {reviewed} of {total} entries scored" in out
    assert f"not scored: {total - reviewed} (no reference (fuzzy, not reviewed yet))" in out
    assert "BLEU = " in out and "nrefs:1|case:mixed" in out
    assert "glossary term accuracy: " in out
    chrfs = [float(line.split()[0]) for line in out.split("worst segments by chrF")[1].splitlines()[1:] if line.startswith("  ") and f"{scored.doc}.txt:" in line]
    assert chrfs == sorted(chrfs) and len(chrfs) == 10


def test_term_accuracy_counts_missing_terms(sample, monkeypatch):
    import l10n.engines
    from tests.fake_engine import FakeEngine

    project = sample
    project.run("update")
    monkeypatch.setattr(l10n.engines, "load_engine", lambda n, o: FakeEngine(drop=("海铁联运",)))
    project.run("pretranslate")
    po = polib.pofile(str(project.po))
    for entry in po:  # a translator accepts everything as it is
        entry.flags = [f for f in entry.flags if f != "fuzzy"]
    po.save(str(project.po))
    data = json.loads(project.run("score", "--json").out)
    dropped = sum(e.msgid.count("海铁联运") for e in po)
    assert dropped >= 2
    assert data["terms_total"] - data["terms_ok"] == dropped


HEAVY_IMPORT_BLOCKER = """
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("torch", "transformers", "ctranslate2", "jieba"):
            raise ImportError(f"{name} imported by a light stage")
sys.meta_path.insert(0, Block())
from l10n.cli import main
rc = [main(["--config", sys.argv[1], *args.split()]) for args in ("score", "build --draft", "--check")]
print(rc)
"""


def test_score_build_and_check_never_import_torch(scored):
    """score, build (a draft, so that every page is rendered) and --check run with any import of torch, transformers, ctranslate2 or jieba
    made to fail, in the test environment, where those packages are installed."""
    import importlib.util

    for name in ("chrf", "bleu", "terms"):  # the mt-quality gate still scores; the fuzzy third is not to fail it
        set_threshold(scored, name, "0.0")

    assert importlib.util.find_spec("torch") is not None  # the risk is real here: torch is importable
    proc = subprocess.run([sys.executable, "-c", HEAVY_IMPORT_BLOCKER, str(scored.pyproject)], capture_output=True,
                          text=True, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, proc.stderr
    assert "imported by a light stage" not in proc.stdout + proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "[0, 0, 0]", proc.stdout


def test_nothing_to_score_is_explained(sample):
    sample.run("update")
    result = sample.run("score")
    assert result.code == 0
    assert "nothing to score" in result.out
    assert f"not scored: {coverage(sample)[1]} (no MT output recorded)" in result.out


def test_stale_mt_record_is_not_scored(scored):
    po = polib.pofile(str(scored.po))
    entry = next(e for e in po if pofile.is_reviewed(e))
    record = notes.get_notes(entry)
    record.mt_key = record.mt_key.rsplit("source=", 1)[0] + "source=000000000000"
    notes.set_notes(entry, record)
    po.save(str(scored.po))
    data = json.loads(scored.run("score", "--json").out)
    assert data["scored"] == coverage(scored)[0] - 1


def test_score_reports_mt_qa_of_every_mt_output(tmp_path):
    from tests.conftest import make_project

    text = "本报记者 甲\n\n今年营收248.6亿美元。产量增长35%。\n"
    project = make_project(tmp_path, text=text, glossary=False)
    assert project.run("update").code == 0
    po = polib.pofile(str(project.po))
    outputs = {"今年营收248.6亿美元。": "Revenue this year was $248.6 billion.",  # off by ten
               "产量增长35%。": "Output rose 35%."}
    for entry in po:
        if entry.msgid in outputs:
            record = notes.get_notes(entry)
            record.mt = outputs[entry.msgid]
            record.mt_key = f"engine=e model=m glossary=g source={notes.source_hash(entry.msgid)}"
            notes.set_notes(entry, record)
            entry.msgstr = "Reference."
    po.save(str(project.po))
    data = json.loads(project.run("score", "--json").out)
    assert (data["mt_qa_passed"], data["mt_qa_checked"]) == (1, 2)
    assert data["mt_qa_problems"] == {"numbers": 1}
    flagged = next(s for s in data["segments"] if s["source"] == "今年营收248.6亿美元。")
    assert flagged["mt_qa"] == ["[numbers] missing number: 248.6亿美元 → expected US$24.86 billion"]
    assert "MT QA pass rate: 50.0% (1/2 MT outputs; flagged: numbers 1)" in project.run("score").out
