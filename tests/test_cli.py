"""The command line as a whole: the main job, help, exit codes, and the committed project.

The tests run on the sample project (tests/data/sample), except the one end-to-end test of the
shipped article at the end of this file, the only test that knows the article's figures."""

import os
import shutil
import subprocess
import sys

import polib
import pytest

from l10n.checks import REGISTRY

from tests.conftest import DOC, ROOT, Project, make_sample, sample_document, sample_segments, set_threshold


@pytest.fixture
def project(sample):
    """The sample project with no catalog yet."""
    return sample


def test_main_job_on_a_reviewed_catalog_runs_offline(tmp_path):
    project = make_sample(tmp_path, published=True)
    result = project.run()
    assert result.code == 0, result.out + result.err
    for stage in ("== update", "== pretranslate", "== score", "== build", "== check"):
        assert stage in result.out
    assert "no entry needs MT; no model loaded" in result.out
    assert f"OK: {len(REGISTRY)} checks passed" in result.out
    assert project.po.with_suffix(".html").exists()


def test_main_job_on_a_new_article_drafts_and_reports(tmp_path, fake_engine):
    project = make_sample(tmp_path, catalog=False)
    result = project.run()
    assert result.code == 0, result.out + result.err
    assert f"translated by MT: {len(sample_segments())} " in result.out
    assert "(draft)" in result.out
    assert "DRAFT" in project.po.with_suffix(".md").read_text(encoding="utf-8")


def test_help_lists_stages_and_checks():
    proc = subprocess.run([sys.executable, str(ROOT / "translate.py"), "--help"], capture_output=True, text=True)
    assert proc.returncode == 0
    for word in ("update", "pretranslate", "score", "build", "--check", "numbers", "mt-quality"):
        assert word in proc.stdout


def test_usage_errors_exit_2(project):
    assert project.run("frobnicate").code == 2
    assert project.run("--check", "--only", "no-such-check").code == 2
    result = project.run("build", "no-such-doc")
    assert result.code == 2
    assert "source/zh/no-such-doc.txt: no source text for document 'no-such-doc'" in result.err


def test_model_loading_bars_are_switched_off_for_logs(monkeypatch):
    """`--no-progress` (or stderr not a terminal) also silences the model libraries' own bars,
    e.g. the GGUF de-quantization bar, which would fill a log with carriage-return lines."""
    pytest.importorskip("transformers")
    from transformers.utils import logging as hf_logging

    from l10n.stages import quiet_model_loading

    for name in ("TQDM_DISABLE", "HF_HUB_DISABLE_PROGRESS_BARS"):
        monkeypatch.setenv(name, "0")  # recorded, so that the test leaves the environment as it was
        monkeypatch.delenv(name)
    hf_logging.enable_progress_bar()
    try:
        quiet_model_loading()
        assert os.environ["TQDM_DISABLE"] == "1" and os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] == "1"
        assert not hf_logging.is_progress_bar_enabled()
    finally:
        hf_logging.enable_progress_bar()


# --- nothing lost, nothing silently skipped ------------------------------------------------

def _reviewed(tmp_path, published=True):
    return make_sample(tmp_path, published=published)


def _meaning(po_path):
    """Each active entry's translation, flags and MT record; what an edit and its revert must keep."""
    import polib

    from l10n import notes

    return {e.msgid: (e.msgstr, tuple(e.flags), notes.get_notes(e).mt, notes.get_notes(e).mt_key)
            for e in polib.pofile(str(po_path)) if not e.obsolete}


def test_edit_update_revert_update_keeps_every_mt_record(tmp_path):
    import json

    project = _reviewed(tmp_path)
    before = _meaning(project.po)
    original = project.source.read_text(encoding="utf-8")
    # one sentence of a paragraph deleted, another sentence edited
    paragraph = next(b for b in sample_document().blocks if b.kind == "paragraph" and len(b.segments) > 1)
    deleted = paragraph.segments[1].text
    changed = next(s.text for s in sample_segments() if s.kind == "paragraph")
    assert original.count(deleted) == 1 and original.count(changed) == 1 and deleted != changed
    project.source.write_text(original.replace(changed, changed[:-2] + "快" + changed[-1]).replace(deleted, ""),
                              encoding="utf-8")
    edited = project.run("update")
    assert "(0 new, 1 changed (fuzzy), 2 obsolete, 0 revived)" in edited.out, edited.out
    project.source.write_text(original, encoding="utf-8")
    reverted = project.run("update")
    assert "2 revived" in reverted.out, reverted.out
    assert _meaning(project.po) == before
    score = json.loads(project.run("score", "--json").out)
    assert (score["scored"], score["entries"]) == (len(before), len(before))
    assert project.run("--check", "--skip", "edition").code == 0


def test_update_summary_says_created_then_unchanged(project):
    document = sample_document()
    figures = f"{len(document.blocks)} blocks, {len(document.segments())} segments, {len(document.segments())} entries"
    first = project.run("update")
    assert first.out == f"target/en/{project.doc}.po: created: {figures}\n"
    again = project.run("update")
    assert again.out == f"target/en/{project.doc}.po: unchanged: {figures}\n"


def test_missing_glossary_is_an_error_with_the_config_line(tmp_path):
    project = _reviewed(tmp_path)
    project.glossary.unlink()
    line = next(n for n, text in enumerate(project.pyproject.read_text(encoding="utf-8").split("\n"), 1)
                if text.startswith("glossary ="))
    for args in (("--check",), ("score",), ("update",)):
        result = project.run(*args)
        assert result.code == 2, (args, result)
        assert result.err == (f"pyproject.toml:{line}: glossary 'glossary.csv' does not exist; restore it, "
                              'or say glossary = "" to run without one\n')
    text = project.pyproject.read_text(encoding="utf-8").replace('glossary = "glossary.csv"', 'glossary = "terms/none.csv"')
    project.pyproject.write_text(text, encoding="utf-8")
    assert "glossary 'terms/none.csv' does not exist" in project.run("--check").err


def test_running_without_a_glossary_must_be_said(tmp_path):
    project = _reviewed(tmp_path)
    project.glossary.unlink()
    text = project.pyproject.read_text(encoding="utf-8").replace('glossary = "glossary.csv"', 'glossary = ""')
    project.pyproject.write_text(text, encoding="utf-8")
    assert project.run("build").code == 0
    result = project.run("--check")
    # Every check runs. Without the glossary, the short form it allowed ("the group" for
    # 东澜港务集团) is a rendering that differs from the others, and only that is reported.
    problems = result.out.splitlines()[:-1]
    assert result.code == 1 and problems, result.out
    assert all("[consistency] 东澜港务集团 is rendered 'Donglan Port Group' at " in line for line in problems), result.out
    assert result.out.splitlines()[-1].endswith(f"{len(REGISTRY)} checks run on 1 document(s)")
    assert project.run("--check", "--skip", "consistency").code == 0
    assert "glossary term accuracy: n/a" in project.run("score").out


def test_header_only_glossary_with_a_terms_threshold_is_a_problem(tmp_path):
    project = _reviewed(tmp_path)
    assert project.run("build").code == 0
    project.glossary.write_text("zh,en,note\n", encoding="utf-8")
    set_threshold(project, "terms", "50.0")
    result = project.run("--check", "--only", "glossary-file")
    assert result.code == 1
    assert result.out.startswith("glossary.csv:1: [glossary-file] the glossary has no entries, so the terms threshold")
    set_threshold(project, "terms", "0.0")
    assert project.run("--check", "--only", "glossary-file").code == 0


@pytest.mark.parametrize("kind", ["directory", "fifo", "dangling-link"])
def test_unusable_config_path_is_one_line_and_exit_2(tmp_path, kind):
    target = tmp_path / "config"
    if kind == "directory":
        target.mkdir()
        expected = "a directory, not a configuration file"
    elif kind == "fifo":
        os.mkfifo(target)
        expected = "not a regular file (a FIFO, socket or device), so not a configuration file"
    else:
        target.symlink_to(tmp_path / "nowhere.toml")
        expected = "broken symbolic link"
    proc = subprocess.run([sys.executable, str(ROOT / "translate.py"), "--config", str(target), "--check"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert len(proc.stderr.splitlines()) == 1 and expected in proc.stderr, proc.stderr


@pytest.mark.parametrize("what", ["catalog", "glossary", "source"])
def test_unusable_input_paths_are_one_line_and_exit_2(tmp_path, what):
    project = _reviewed(tmp_path)
    path = {"catalog": project.po, "glossary": project.glossary, "source": project.source}[what]
    path.unlink()
    os.mkfifo(path)
    result = project.run("score") if what != "source" else project.run("update")
    assert result.code == 2, result
    assert len(result.err.splitlines()) == 1, result.err
    assert "not a regular file" in result.err or "is not a file" in result.err


def test_main_job_without_a_model_skips_mt_and_still_drafts_and_checks(tmp_path, monkeypatch):
    pytest.importorskip("transformers")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "empty-hf-home"))
    project = make_sample(tmp_path / "p", catalog=False)
    result = project.run()
    assert result.code == 0, result.out + result.err
    skipped = [line for line in result.out.splitlines() if line.startswith("pretranslate: skipped: ")]
    assert len(skipped) == 1 and "not available here" in skipped[0] and "--require-mt" in skipped[0]
    for stage in ("== score", "== build", "== check"):
        assert stage in result.out
    assert "(draft)" in result.out and project.po.with_suffix(".html").exists()
    strict = project.run("--require-mt")
    assert strict.code == 2 and "not available here" in strict.err


def test_unknown_option_shows_the_usage_of_its_command(project):
    result = project.run("build", "--drafts")
    assert result.code == 2
    assert "usage: translate.py build" in result.err and "unrecognized arguments: --drafts" in result.err


def test_shortened_texts_end_with_an_ellipsis(tmp_path):
    from l10n.problems import shorten

    assert shorten("最高运行速度为每小时100公里", 12) == "最高运行速度为每小时1…"
    assert shorten("看长春", 12) == "看长春"
    project = _reviewed(tmp_path)
    out = project.run("score", "--worst", str(len(sample_segments()))).out
    shortened = 0
    for line in out.splitlines():
        if line.strip().startswith(("MT:", "ref:")):
            text = line.split(":", 1)[1].strip()
            assert len(text) <= 100
            if len(text) == 100:
                assert text.endswith("…"), line
                shortened += 1
    assert shortened  # the sample has translations longer than that


# --- the shipped article, end to end ------------------------------------------------------
# Every other test builds its own documents or uses the sample project, so that editing the
# article, its catalog or the glossary changes the figures of this test only.

ARTICLE_BLOCKS = {"kicker": 4, "headline": 1, "byline": 1, "caption": 4, "credit": 1, "heading": 3, "list-item": 4,
                  "paragraph": 44}
ARTICLE_SEGMENTS = 74


def _files(root):
    """Every file of a project, by its path (lock files aside)."""
    return {path.relative_to(root).as_posix(): path.read_bytes() for path in sorted(root.rglob("*"))
            if path.is_file() and ".l10n-cache" not in path.relative_to(root).parts}


def test_the_shipped_article_end_to_end(tmp_path):
    """The committed project: it passes --check as it is, its catalog is complete, reviewed and
    keeps the raw MT of every entry, and the main job (update, pretranslate, score, build, check)
    changes none of its files and loads no model: the catalog and the edition are up to date."""
    from l10n import notes, pofile
    from l10n.segment import segment_text

    proc = subprocess.run([sys.executable, "translate.py", "--check"], cwd=ROOT, capture_output=True, text=True)
    assert (proc.returncode, proc.stdout) == (0, f"OK: {len(REGISTRY)} checks passed on 1 document(s)\n"), proc.stderr

    for name in ("pyproject.toml", "glossary.csv", "source", "target"):
        copy = shutil.copytree if (ROOT / name).is_dir() else shutil.copyfile
        copy(ROOT / name, tmp_path / name)
    project = Project(tmp_path, DOC)
    committed = _files(tmp_path)

    document = segment_text(project.source.read_text(encoding="utf-8"), "article")
    kinds = {}
    for block in document.blocks:
        kinds[block.kind] = kinds.get(block.kind, 0) + 1
    assert kinds == ARTICLE_BLOCKS
    blocks = sum(ARTICLE_BLOCKS.values())
    update = project.run("update")
    assert update.out == (f"target/en/{DOC}.po: unchanged: {blocks} blocks, {ARTICLE_SEGMENTS} segments, "
                          f"{ARTICLE_SEGMENTS} entries\n"), update

    po = polib.pofile(str(project.po))
    active = [e for e in po if not e.obsolete]
    assert len(active) == ARTICLE_SEGMENTS
    assert all(pofile.is_reviewed(e) for e in active)
    assert all(notes.get_notes(e).mt_for(e.msgid) is not None for e in active)  # the raw MT kept next to each reference

    result = project.run()
    assert result.code == 0, result.out + result.err
    for stage in ("== update", "== pretranslate", "== score", "== build", "== check"):
        assert stage in result.out
    assert "no entry needs MT; no model loaded" in result.out
    assert f"coverage: {ARTICLE_SEGMENTS} of {ARTICLE_SEGMENTS} entries scored" in result.out
    assert f"OK: {len(REGISTRY)} checks passed on 1 document(s)" in result.out
    assert _files(tmp_path) == committed

    if shutil.which("msgfmt"):
        proc = subprocess.run(["msgfmt", "--check", "--statistics", "-o", "/dev/null", str(project.po)],
                              capture_output=True, text=True)
        assert proc.returncode == 0 and f"{ARTICLE_SEGMENTS} translated messages" in proc.stderr, proc.stderr
