"""The sample project of tests/data/sample, which most tests run on: a reviewed, published
project that passes every check once built. If it stopped being one, the tests that edit it to
provoke one problem would prove less."""

import shutil
import subprocess

import polib
import pytest

from l10n import notes, pofile
from l10n.checks import REGISTRY
from l10n.config import load_config
from l10n.glossary import parse_glossary

from tests.conftest import SAMPLE_CATALOG, SAMPLE_GLOSSARY, make_sample, sample_segments


def test_sample_project_is_up_to_date_and_passes_every_check_once_built(tmp_path):
    project = make_sample(tmp_path, published=True)
    before = project.po.read_bytes()
    update = project.run("update")
    assert update.code == 0 and update.out.startswith(f"target/en/{project.doc}.po: unchanged: "), update
    assert project.po.read_bytes() == before
    assert project.run("build").code == 0
    result = project.run("--check")
    assert (result.code, result.out, result.err) == (0, f"OK: {len(REGISTRY)} checks passed on 1 document(s)\n", "")
    # the mt-quality gate measures something: each threshold is set, just below the recorded MT
    thresholds = load_config(project.pyproject).thresholds
    assert all(thresholds.get(name, 0) > 0 for name in ("chrf", "bleu", "terms")), thresholds


def test_sample_catalog_is_reviewed_with_block_notes_and_raw_mt_on_every_entry():
    po = polib.pofile(str(SAMPLE_CATALOG))
    entries = [e for e in po if not e.obsolete]
    segments = sample_segments()
    assert [e.msgid for e in entries] == [s.text for s in segments]
    for entry, segment in zip(entries, segments):
        record = notes.get_notes(entry)
        assert pofile.is_reviewed(entry), entry.msgid
        assert record.block == segment.kind, entry.msgid
        assert record.mt_for(entry.msgid) not in (None, entry.msgstr), entry.msgid  # raw MT, then reviewed
    kinds = {s.kind for s in segments}
    assert {"kicker", "headline", "byline", "heading", "paragraph", "list-item", "caption", "credit"} <= kinds


def test_sample_glossary_has_terms_that_recur_and_a_short_form():
    terms, problems = parse_glossary(SAMPLE_GLOSSARY.read_text(encoding="utf-8"), "glossary.csv")
    assert problems == []
    text = "".join(s.text for s in sample_segments())
    assert any(text.count(t.zh) >= 2 for t in terms)
    assert any(t.short and text.count(t.zh) >= 2 for t in terms)


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="GNU gettext not installed")
def test_msgfmt_accepts_the_sample_catalog():
    proc = subprocess.run(["msgfmt", "--check", "--statistics", "-o", "/dev/null", str(SAMPLE_CATALOG)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert f"{len(sample_segments())} translated messages" in proc.stderr

