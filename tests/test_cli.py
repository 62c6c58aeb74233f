"""The command line as a whole: the main job, help, exit codes, and the committed project."""

import os
import shutil
import subprocess
import sys

import pytest

from tests.conftest import ROOT, make_project


def test_main_job_on_a_reviewed_catalog_runs_offline(tmp_path):
    project = make_project(tmp_path, published=True)
    shutil.copyfile(ROOT / "target" / "en" / "changchun-equipment.po", project.po)
    result = project.run()
    assert result.code == 0, result.out + result.err
    for stage in ("== update", "== pretranslate", "== score", "== build", "== check"):
        assert stage in result.out
    assert "no entry needs MT; no model loaded" in result.out
    from l10n.checks import REGISTRY

    assert f"OK: {len(REGISTRY)} checks passed" in result.out
    assert project.po.with_suffix(".html").exists()


def test_main_job_on_a_new_article_drafts_and_reports(tmp_path, fake_engine):
    project = make_project(tmp_path, published=False)
    result = project.run()
    assert result.code == 0, result.out + result.err
    assert "translated by MT: 74" in result.out
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


def test_committed_project_passes_check():
    proc = subprocess.run([sys.executable, "translate.py", "--check"], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.strip().endswith("checks passed on 1 document(s)")


def test_committed_catalog_is_complete_and_consistent():
    import polib

    from l10n import catalog as cat

    po = polib.pofile(str(ROOT / "target" / "en" / "changchun-equipment.po"))
    active = [e for e in po if not e.obsolete]
    assert len(active) == 74
    assert all(cat.is_reviewed(e) for e in active)
    assert all(cat.get_notes(e).mt is not None for e in active)  # the raw MT kept next to each reference


def test_model_loading_bars_are_switched_off_for_logs(monkeypatch):
    """`--no-progress` (or stderr not a terminal) also silences the model libraries' own bars,
    e.g. the GGUF de-quantization bar, which would fill a log with carriage-return lines."""
    pytest.importorskip("transformers")
    from transformers.utils import logging as hf_logging

    from l10n.cli import _quiet_model_loading

    for name in ("TQDM_DISABLE", "HF_HUB_DISABLE_PROGRESS_BARS"):
        monkeypatch.setenv(name, "0")  # recorded, so that the test leaves the environment as it was
        monkeypatch.delenv(name)
    hf_logging.enable_progress_bar()
    try:
        _quiet_model_loading()
        assert os.environ["TQDM_DISABLE"] == "1" and os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] == "1"
        assert not hf_logging.is_progress_bar_enabled()
    finally:
        hf_logging.enable_progress_bar()
