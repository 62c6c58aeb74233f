"""Shared fixtures: throw-away projects (the sample project of tests/data/sample, or the shipped
article), a CLI runner, the deterministic test engine, and tiny real models built on the fly.

Tests take their documents from the sample project or build their own; only the end-to-end test
in tests/test_cli.py knows the shipped article's counts."""

from __future__ import annotations

import io
import os
import shutil
import sys
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.fake_engine import FakeEngine  # noqa: E402

ARTICLE = ROOT / "source" / "zh" / "changchun-equipment.txt"
DOC = "changchun-equipment"

# The sample project: a short news text written for the tests (kickers, headline, byline, section
# heads, list items, a caption and a credit; amounts, dates and percentages; glossary terms, one
# with a short form), its reviewed catalog with hand-written raw MT records, and its own glossary.
SAMPLE = ROOT / "tests" / "data" / "sample"
SAMPLE_DOC = "donglan-port"
SAMPLE_SOURCE = SAMPLE / "source" / "zh" / f"{SAMPLE_DOC}.txt"
SAMPLE_CATALOG = SAMPLE / "target" / "en" / f"{SAMPLE_DOC}.po"
SAMPLE_GLOSSARY = SAMPLE / "glossary.csv"

PYPROJECT = """\
[project]
name = "sample"

[tool.l10n]
source_dir = "source/zh"
target_dir = "target/en"
glossary = "glossary.csv"
documents = ["{doc}"]
published = [{published}]
model = "Helsinki-NLP/opus-mt-zh-en"
batch_size = 8

[tool.l10n.thresholds]
chrf = 0.0
bleu = 0.0
"""


@dataclass
class Result:
    code: int
    out: str
    err: str


@dataclass
class Project:
    root: Path
    doc: str = DOC

    @property
    def source(self) -> Path:
        return self.root / "source" / "zh" / f"{self.doc}.txt"

    @property
    def po(self) -> Path:
        return self.root / "target" / "en" / f"{self.doc}.po"

    @property
    def glossary(self) -> Path:
        return self.root / "glossary.csv"

    @property
    def pyproject(self) -> Path:
        return self.root / "pyproject.toml"

    def run(self, *args: str) -> Result:
        """Run the CLI in-process on this project (named with --config: the working directory
        is not changed); the environment is restored afterwards."""
        from l10n.cli import main

        out, err = io.StringIO(), io.StringIO()
        environment = dict(os.environ)
        try:
            with redirect_stdout(out), redirect_stderr(err):
                try:
                    code = main(["--config", str(self.pyproject), *args])
                except SystemExit as exc:  # argparse
                    code = exc.code if isinstance(exc.code, int) else 2
        finally:
            os.environ.clear()
            os.environ.update(environment)
        return Result(code, out.getvalue(), err.getvalue())


def make_project(root: Path, text: str | None = None, glossary: bool = True, published: bool = False, doc: str = DOC) -> Project:
    (root / "source" / "zh").mkdir(parents=True, exist_ok=True)
    (root / "target" / "en").mkdir(parents=True, exist_ok=True)
    source = root / "source" / "zh" / f"{doc}.txt"
    if text is None:
        shutil.copyfile(ARTICLE, source)
    else:
        source.write_text(text, encoding="utf-8")
    if glossary:
        shutil.copyfile(ROOT / "glossary.csv", root / "glossary.csv")
    text = PYPROJECT.format(doc=doc, published=f'"{doc}"' if published else "")
    if not glossary:  # a project runs without a glossary only when it says so
        text = text.replace('glossary = "glossary.csv"', 'glossary = ""')
    (root / "pyproject.toml").write_text(text, encoding="utf-8")
    return Project(root, doc)


def make_sample(root: Path, catalog: bool = True, published: bool = False) -> Project:
    """A copy of the sample project under `root`: its source, glossary and configuration (with its
    mt-quality thresholds), and with `catalog` its reviewed catalog. The sample project publishes
    its document; with `published` false (the default, as for make_project) the copy does not."""
    for path in (SAMPLE_SOURCE, SAMPLE_GLOSSARY, SAMPLE / "pyproject.toml", *((SAMPLE_CATALOG,) if catalog else ())):
        target = root / path.relative_to(SAMPLE)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    (root / "target" / "en").mkdir(parents=True, exist_ok=True)
    project = Project(root, SAMPLE_DOC)
    if not published:
        text = project.pyproject.read_text(encoding="utf-8")
        listed = f'published = ["{SAMPLE_DOC}"]'
        assert text.count(listed) == 1, "the sample project lists its document as published"
        project.pyproject.write_text(text.replace(listed, "published = []"), encoding="utf-8")
    return project


def set_threshold(project: Project, name: str, value: str) -> int:
    """Set one threshold of [tool.l10n.thresholds] (the text after `name = `), adding the line if
    the table lacks it; returns its line number."""
    lines = project.pyproject.read_text(encoding="utf-8").split("\n")
    table = lines.index("[tool.l10n.thresholds]")
    number = next((i for i in range(table + 1, len(lines)) if lines[i].split("=")[0].strip() == name), None)
    if number is None:
        number = table + 1
        lines.insert(number, "")
    lines[number] = f"{name} = {value}"
    project.pyproject.write_text("\n".join(lines), encoding="utf-8")
    return number + 1


def sample_document():
    """The sample text as the toolkit segments it (blocks ▸ segments)."""
    from l10n.segment import segment_text

    return segment_text(SAMPLE_SOURCE.read_text(encoding="utf-8"), f"source/zh/{SAMPLE_DOC}.txt")


def sample_segments():
    return sample_document().segments()


@pytest.fixture
def sample(tmp_path) -> Project:
    """A fresh copy of the sample project with no catalog yet."""
    return make_sample(tmp_path, catalog=False)


@pytest.fixture
def reviewed_sample(tmp_path) -> Project:
    """A copy of the sample project with its reviewed catalog (not built, not published)."""
    return make_sample(tmp_path)


@pytest.fixture
def project(tmp_path) -> Project:
    """A fresh project holding the article and the real glossary, with no catalog yet."""
    return make_project(tmp_path)


@pytest.fixture
def fake_engine(monkeypatch):
    """Route every engine load to the deterministic test engine; returns the list of engines made."""
    made: list[FakeEngine] = []

    def load(name, options):
        engine = FakeEngine(model=options.model, batch_size=options.batch_size)
        made.append(engine)
        return engine

    import l10n.engines

    monkeypatch.setattr(l10n.engines, "load_engine", load)
    return made


@pytest.fixture(scope="session")
def tiny_marian(tmp_path_factory) -> Path:
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    pytest.importorskip("sentencepiece")
    from tests.tiny_models import build_tiny_marian

    return build_tiny_marian(tmp_path_factory.mktemp("tiny-marian"))
