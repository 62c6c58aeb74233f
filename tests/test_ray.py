"""Pre-translation on a Ray cluster started inside the test process (2 CPUs): the same catalogs
as a run in one process, a killed worker, an interrupted driver, incrementality, glob documents,
and the errors of a run that cannot reach its cluster. Skipped when ray is not installed."""

from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys
from pathlib import Path

import polib
import pytest

from l10n import notes

from tests.conftest import ARTICLE, ROOT, make_project
from tests import fake_engine

needs_ray = pytest.mark.skipif(importlib.util.find_spec("ray") is None, reason="ray is not installed (the ray extra)")
EPOCH = "1764000000"  # a fixed PO-Revision-Date, so that runs can be compared byte for byte


@pytest.fixture(scope="module")
def cluster():
    ray = pytest.importorskip("ray")
    if ray.is_initialized():
        ray.shutdown()
    # The workers import the toolkit and the test engines from this checkout.
    ray.init(num_cpus=2, include_dashboard=False, logging_level="WARNING",
             runtime_env={"py_modules": [str(ROOT / "l10n"), str(ROOT / "tests")]})
    yield ray
    ray.shutdown()


def make_folder(root: Path, count: int = 4):
    """`count` documents under source/zh/2026-11/, each the article's head and byline with every
    `count`-th paragraph of its body, named by a glob pattern in [tool.l10n]."""
    project = make_project(root)
    project.source.unlink()
    lines = [line for line in ARTICLE.read_text(encoding="utf-8").splitlines() if line.strip()]
    head, body = lines[:7], lines[7:]
    folder = root / "source" / "zh" / "2026-11"
    folder.mkdir(parents=True)
    names = []
    for k in range(count):
        name = f"{chr(ord('a') + k)}"
        (folder / f"{name}.txt").write_text("\n\n".join(head + body[k::count]) + "\n", encoding="utf-8")
        names.append(f"2026-11/{name}")
    config = project.pyproject.read_text(encoding="utf-8").replace('documents = ["changchun-equipment"]',
                                                                   'documents = ["2026-11/*"]')
    project.pyproject.write_text(config, encoding="utf-8")
    assert project.run("update").code == 0
    return project, names


def catalogs(project, names) -> dict[str, bytes]:
    return {name: (project.root / "target" / "en" / f"{name}.po").read_bytes() for name in names}


def active_entries(project, names):
    return [e for name in names for e in polib.pofile(str(project.root / "target" / "en" / f"{name}.po"))
            if not e.obsolete]


@pytest.fixture
def pair(tmp_path, monkeypatch):
    """Two identical projects of four documents: one for a run in this process, one for Ray."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    local, names = make_folder(tmp_path / "local")
    distributed, _ = make_folder(tmp_path / "ray")
    return local, distributed, names


def use_engine(monkeypatch, loader):
    import l10n.engines

    monkeypatch.setattr(l10n.engines, "load_engine", loader)


def local_reference(local, names, monkeypatch, loader=fake_engine.load_fake, *args) -> dict[str, bytes]:
    use_engine(monkeypatch, loader)
    result = local.run("pretranslate", "--no-progress", *args)
    assert result.code == 0, result.err
    return catalogs(local, names)


@needs_ray
def test_same_catalogs_as_a_run_in_one_process(cluster, pair, monkeypatch):
    local, distributed, names = pair
    expected = local_reference(local, names, monkeypatch)
    result = distributed.run("pretranslate", "--ray", "--no-progress")
    assert result.code == 0, result.err
    assert "(2 Ray workers, 1 CPU each, on 1 node)" in result.out
    assert catalogs(distributed, names) == expected
    total = len(active_entries(distributed, names))
    assert f"translated by MT: {total} " in result.out
    assert [line.split(":")[0].strip() for line in result.out.split("per document:\n")[1].splitlines()] == names

    # incrementality: a second run ships nothing and changes nothing
    again = distributed.run("pretranslate", "--ray", "--no-progress")
    assert again.code == 0, again.err
    assert "no entry needs MT; no model loaded" in again.out
    assert f"skipped (reviewed, or MT already recorded for this model and glossary): {total}" in again.out
    assert catalogs(distributed, names) == expected


@needs_ray
def test_context_engine_runs_each_document_as_a_chain(cluster, pair, monkeypatch):
    """The context of a request includes MT of earlier batches of the same run: a document's next
    batch is built only when its previous one is applied, wherever it ran."""
    local, distributed, names = pair
    args = ("--engine", "llm", "--model", "fake-llm", "--batch-size", "4")
    expected = local_reference(local, names, monkeypatch, fake_engine.load_context, *args)
    carried = [e for e in active_entries(local, names) if not e.msgstr.endswith(fake_engine.ContextEngine.empty_digest)]
    assert carried  # most requests did carry earlier MT as context
    result = distributed.run("pretranslate", "--ray", "--ray-workers", "2", "--no-progress", *args)
    assert result.code == 0, result.err
    assert catalogs(distributed, names) == expected


@needs_ray
@pytest.mark.parametrize("restart", [True, False], ids=["restarted", "gone-for-good"])
def test_a_killed_worker_loses_nothing(cluster, pair, monkeypatch, restart):
    """ray.kill on a worker with batches in flight: Ray restarts it and runs its calls again
    (max_restarts, max_task_retries); a worker killed for good hands its batches to the other.
    Either way every entry is translated once, as in one process."""
    from l10n.distributed import RayExecutor

    local, distributed, names = pair
    expected = local_reference(local, names, monkeypatch)
    use_engine(monkeypatch, fake_engine.load_slow)
    original_wait = RayExecutor.wait
    killed = []

    def wait(self):
        # At the first wait every call is in flight, two per worker, each worker running its first:
        # the worker killed has work it has not finished.
        if not killed:
            busy = next(i for i, n in self._busy.items() if n)
            cluster.kill(self._actors[busy], no_restart=not restart)
            killed.append(busy)
        return original_wait(self)

    monkeypatch.setattr(RayExecutor, "wait", wait)
    result = distributed.run("pretranslate", "--ray", "--no-progress")
    assert result.code == 0, result.err
    assert killed
    total = len(active_entries(distributed, names))
    assert f"translated by MT: {total} " in result.out  # each applied once
    if restart:
        assert "; 1 restart)" in result.out
    assert catalogs(distributed, names) == expected


@needs_ray
def test_interrupt_saves_finished_batches_and_a_second_run_completes(cluster, pair, monkeypatch):
    from l10n.distributed import RayExecutor

    local, distributed, names = pair
    expected = local_reference(local, names, monkeypatch)
    by_msgid = {e.msgid: e.msgstr for e in active_entries(local, names)}
    use_engine(monkeypatch, fake_engine.load_slow)
    original_wait = RayExecutor.wait
    waits = []

    def wait(self):
        # Every call is in flight from the start, and each worker runs its calls one after the
        # other: the first wait brings the first results, the second is interrupted.
        waits.append(1)
        if len(waits) == 2:
            raise KeyboardInterrupt  # Ctrl-C while the driver waits for the workers
        return original_wait(self)

    monkeypatch.setattr(RayExecutor, "wait", wait)
    before = catalogs(distributed, names)
    result = distributed.run("pretranslate", "--ray", "--no-progress")
    assert result.code == 130
    assert "finished batches were saved" in result.err
    entries = active_entries(distributed, names)  # every catalog still parses
    done = [e for e in entries if notes.get_notes(e).mt is not None]
    assert 0 < len(done) < len(entries)
    assert all(e.msgstr == by_msgid[e.msgid] for e in done)
    assert catalogs(distributed, names) != before

    monkeypatch.setattr(RayExecutor, "wait", original_wait)
    resumed = distributed.run("pretranslate", "--ray", "--no-progress")
    assert resumed.code == 0, resumed.err
    assert f"translated by MT: {len(entries) - len(done)} " in resumed.out  # only what was missing
    assert catalogs(distributed, names) == expected


@needs_ray
def test_tiny_marian_on_ray_equals_the_local_run(cluster, pair, monkeypatch, tiny_marian):
    local, distributed, names = pair
    args = ("--model", str(tiny_marian), "--beams", "1", "--max-length", "24", "--batch-size", "8", "--no-progress")
    first = local.run("pretranslate", *args)
    assert first.code == 0, first.err
    result = distributed.run("pretranslate", "--ray", *args)
    assert result.code == 0, result.err
    assert "(2 Ray workers" in result.out
    assert catalogs(distributed, names) == catalogs(local, names)


@needs_ray
def test_sigterm_to_the_driver_saves_finished_work(tmp_path):
    """A real SIGTERM to a driver that started its own local cluster (`--ray local`)."""
    project, names = make_folder(tmp_path / "p")
    script = tmp_path / "slow.py"
    script.write_text(
        "import sys\n"
        f"sys.path.insert(0, {str(ROOT)!r})\n"
        "import l10n.engines, l10n.distributed\n"
        "from tests import fake_engine\n"
        "l10n.engines.load_engine = fake_engine.load_slow\n"
        "wait = l10n.distributed.RayExecutor.wait\n"
        "def announce(self):\n"
        "    if self.calls:  # results have arrived and been applied\n"
        "        print('ready', flush=True)\n"
        "    return wait(self)\n"
        "l10n.distributed.RayExecutor.wait = announce\n"
        "from l10n.cli import main\n"
        f"sys.exit(main(['--config', {str(project.pyproject)!r}, 'pretranslate', '--ray', 'local', '--no-progress']))\n"
    )
    # The cluster this driver starts takes its workers' import path from the environment.
    env = {**os.environ, "PYTHONPATH": str(ROOT), "FAKE_ENGINE_DELAY_S": "0.5"}
    proc = subprocess.Popen([sys.executable, str(script)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env)
    try:
        line = proc.stdout.readline()
        assert line.strip() == "ready", proc.stderr.read() if not line else line
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    entries = active_entries(project, names)
    done = [e for e in entries if notes.get_notes(e).mt is not None]
    assert 0 < len(done) < len(entries)


def test_unreachable_cluster_is_one_line_and_changes_nothing(tmp_path):
    project, names = make_folder(tmp_path)
    before = catalogs(project, names)
    proc = subprocess.run([sys.executable, str(ROOT / "translate.py"), "--config", str(project.pyproject),
                           "pretranslate", "--ray", "127.0.0.1:1", "--no-progress"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    if importlib.util.find_spec("ray") is None:
        assert lines[-1].startswith("translate.py: running on Ray needs the optional package ray")
    else:
        assert len(lines) == 2 and lines[0].startswith("loading marian model")
        assert lines[1].startswith("translate.py: cannot reach the Ray cluster at 127.0.0.1:1 (")
        assert "ray start --head" in lines[1]
    assert catalogs(project, names) == before


def test_ray_missing_is_one_line(project, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # as if not installed
    project.run("update")
    before = project.po.read_bytes()
    result = project.run("pretranslate", "--ray", "local")
    assert result.code == 2
    assert result.err.strip().splitlines()[-1] == (
        "translate.py: running on Ray needs the optional package ray; install the ray extra: pip install -e '.[ray]'")
    assert project.po.read_bytes() == before


@pytest.mark.parametrize("value, message", [
    ('"nowhere"', "ray = 'nowhere': give the port of the cluster's head node (HOST:PORT, e.g. HOST:6379)"),
    ('"http://head:6379"', "ray = 'http://head:6379': not a Ray address; use \"auto\", \"local\", HOST:PORT, or "
                           "ray://HOST[:PORT] for Ray Client"),
    ('"head:99999"', "ray = 'head:99999': port 99999 is out of range"),
    ("1", "ray must be a string: \"auto\", \"local\" or a cluster address"),
])
def test_ray_setting_is_validated_with_its_line(project, value, message):
    text = project.pyproject.read_text(encoding="utf-8").replace("batch_size = 8\n", f"batch_size = 8\nray = {value}\n")
    project.pyproject.write_text(text, encoding="utf-8")
    line = text.split("\n").index(f"ray = {value}") + 1
    result = project.run("update")
    assert result.code == 2
    assert result.err.strip() == f"pyproject.toml:{line}: {message}"


def test_ray_workers_setting_and_flags_are_validated(project):
    text = project.pyproject.read_text(encoding="utf-8").replace("batch_size = 8\n", "batch_size = 8\nray_workers = -1\n")
    project.pyproject.write_text(text, encoding="utf-8")
    line = text.split("\n").index("ray_workers = -1") + 1
    assert project.run("update").err.strip() == \
        f"pyproject.toml:{line}: ray_workers = -1 is out of range (a whole number, 0–4096)"
    project.pyproject.write_text(text.replace("ray_workers = -1\n", ""), encoding="utf-8")
    project.run("update")
    bad = project.run("pretranslate", "--ray", "ray:/x")
    assert bad.code == 2 and "--ray ray:/x: not a Ray address" in bad.err
    alone = project.run("pretranslate", "--ray-workers", "2")
    assert alone.code == 2 and "--ray-workers is for a run on Ray" in alone.err


def test_a_document_name_after_ray_is_a_document(project, fake_engine):
    """`--ray DOC`: an address has a colon (or is auto, local or off), a document name has none."""
    project.run("update")
    assert project.run("pretranslate").code == 0
    result = project.run("pretranslate", "--ray", "changchun-equipment")
    assert result.code == 0, result.err
    assert "no entry needs MT; no model loaded" in result.out  # nothing to ship: no cluster needed
    missing = project.run("pretranslate", "--ray", "no-such-doc")
    assert missing.code == 2 and "no-such-doc" in missing.err
