"""Pre-translation of many documents: in one process against a local Ray cluster, on this machine.

    python bench/ray_scaling.py            # writes bench/ray-results.md (a few minutes)
    python bench/ray_scaling.py --quick    # 40 documents, for a smoke run

What it measures:
1. Throughput of `pretranslate` on 200 synthetic documents (the article's clauses recombined into
   new sentences, so that no segment is in translation memory, which holds the article's
   reviewed catalog), with the `ct2` engine (int8, greedy, batches of 8) on the real-size random
   Marian model of bench/mt.py (given a tokenizer here): in this process with 2 threads, and on a
   local Ray cluster (2 CPUs) with 2 and with 1 worker of 1 thread each, and in this process with
   1 thread. Model loading is timed apart from translating; the catalogs of the runs are compared
   byte for byte.
2. The cost Ray adds per call (serialization, scheduling, the round trip), measured apart with
   the test engine in one worker, whose own work is timed and subtracted.
3. How many segments per second the driver alone gets through (read, plan, apply, verify, write
   the catalogs), with MT answered instantly by the test engine, whose time is subtracted.

The CPU is shared: every row says how busy the machine was meanwhile (non-idle CPU from
/proc/stat) and how much of that was other processes (minus this process and its children,
the Ray cluster included).
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import random
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ARTICLE = ROOT / "source" / "zh" / "changchun-equipment.txt"
REVIEWED = ROOT / "target" / "en" / "changchun-equipment.po"
WORK = ROOT / ".l10n-cache" / "bench"
PROJECT = WORK / "ray" / "project"
OUT = ROOT / "bench" / "ray-results.md"
MAX_LENGTH = 42  # output capped at 41 tokens, about the 40 of bench/mt.py (random weights rarely end earlier)
BATCH = 8

PYPROJECT = """\
[project]
name = "bench-ray"

[tool.l10n]
source_dir = "source/zh"
target_dir = "target/en"
glossary = "glossary.csv"
documents = ["{pattern}"]
published = []
engine = "ct2"
model = "{model}"
batch_size = {batch}
max_length = {max_length}

[tool.l10n.engines.ct2]
beams = 1
quantization = "int8"
"""


# --- machine load ------------------------------------------------------------------------------

def _stat() -> tuple[int, int]:
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return sum(fields), fields[3] + fields[4]


def _tree_cpu() -> dict[int, float]:
    """CPU seconds of this process and each of its descendants (the Ray cluster it started);
    without psutil, of this process alone (the load columns then count the cluster as others)."""
    try:
        import psutil
    except ImportError:
        return {os.getpid(): sum(os.times()[:2])}
    me = psutil.Process()
    found = {me.pid: sum(me.cpu_times()[:2])}
    for child in me.children(recursive=True):
        try:
            found[child.pid] = sum(child.cpu_times()[:2])
        except psutil.Error:
            pass
    return found


class Load:
    """How busy the machine was between start and stop, and how much of it was others: all
    non-idle CPU from /proc/stat minus the CPU of this process tree. A descendant's CPU is taken
    from its last reading (`snapshot`, taken before Ray workers are stopped, and the end)."""

    def __init__(self):
        self.ticks = os.sysconf("SC_CLK_TCK")
        self.cores = os.cpu_count() or 1

    def snapshot(self) -> None:
        for pid, cpu in _tree_cpu().items():
            self.seen[pid] = max(cpu, self.seen.get(pid, 0.0))

    def own(self) -> float:
        return sum(cpu - self.start_cpu.get(pid, 0.0) for pid, cpu in self.seen.items())

    def __enter__(self):
        self.stat, self.t0 = _stat(), time.monotonic()
        self.start_cpu = _tree_cpu()
        self.seen = dict(self.start_cpu)
        return self

    def __exit__(self, *exc):
        self.snapshot()
        total, idle = _stat()
        busy_s = ((total - self.stat[0]) - (idle - self.stat[1])) / self.ticks
        wall = time.monotonic() - self.t0
        self.busy = 100 * busy_s / (wall * self.cores) if wall else 0.0
        self.others = min(self.busy, max(0.0, 100 * (busy_s - self.own()) / (wall * self.cores))) if wall else 0.0

    def cell(self) -> str:
        return f"{self.busy:.0f}% / {self.others:.0f}%"


def top_snapshot() -> str:
    try:
        return subprocess.run(["top", "-bn1"], capture_output=True, text=True, timeout=20).stdout.splitlines()[:15]
    except (OSError, subprocess.SubprocessError):
        return ["(top unavailable)"]


# --- model and documents -----------------------------------------------------------------------

def tokenized_model() -> Path:
    """bench/mt.py's random opus-mt-sized Marian, with a Marian tokenizer (SentencePiece models
    trained on the article and a small English text, vocabulary padded to the model's 65,001)."""
    from bench.mt import MODEL_TAG, PAD, VOCAB, build_model
    from tests.tiny_models import ENGLISH, _pieces, _train_spm

    out = WORK / "ray" / f"{MODEL_TAG}-tokenizer"
    if (out / "done").is_file():
        return out
    base = build_model(WORK)
    out.mkdir(parents=True, exist_ok=True)
    spm = out / "_spm"
    spm.mkdir(exist_ok=True)
    chinese = "\n".join(line.strip() for line in ARTICLE.read_text(encoding="utf-8").splitlines() if line.strip())
    _train_spm(chinese, spm / "source", 1200)
    _train_spm(ENGLISH, spm / "target", 300)
    vocab = {"</s>": 0, "<unk>": 1}
    for piece in _pieces(spm / "source.model") + _pieces(spm / "target.model"):
        if piece not in vocab and piece != "<pad>":
            vocab[piece] = len(vocab)
    filler = 0
    while len(vocab) < PAD:
        name = f"<extra_{filler}>"
        filler += 1
        vocab.setdefault(name, len(vocab))
    vocab["<pad>"] = PAD
    assert len(vocab) == VOCAB
    (out / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    shutil.copyfile(spm / "source.model", out / "source.spm")
    shutil.copyfile(spm / "target.model", out / "target.spm")
    from transformers import MarianTokenizer

    MarianTokenizer(str(out / "source.spm"), str(out / "target.spm"), str(out / "vocab.json")).save_pretrained(out)
    for name in ("config.json", "generation_config.json", "model.safetensors"):
        link = out / name
        if not link.exists():
            link.symlink_to(base / name)
    (out / "done").write_text("ok\n")
    return out


SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗"
GIVEN = "明华强军平刚红霞宇航涛斌芳燕晨浩然子轩"


def synthetic_documents(n: int, sentences: int, seed: int = 17) -> dict[str, str]:
    """n documents: a headline, a byline and `sentences` sentences, each made of two or three
    clauses of the article's sentences, recombined so that none is a sentence of the article."""
    from l10n.segment import segment_text

    article = segment_text(ARTICLE.read_text(encoding="utf-8"), "article")
    known = {s.text for s in article.segments()}
    clauses = sorted({c.strip("。！？；，、“”‘’ ") for s in known for c in re.split(r"[，；、：]", s)} - {""})
    clauses = [c for c in clauses if 4 <= len(c) <= 30 and not re.search(r"[“”‘’（）《》]", c)]
    short = [c for c in clauses if len(c) <= 12]
    rng = random.Random(seed)
    docs = {}
    for d in range(n):
        headline = rng.choice(short) + rng.choice(short)
        byline = f"本报记者 {rng.choice(SURNAMES)}{rng.choice(GIVEN)}{rng.choice(GIVEN)}"
        body: list[str] = []
        while len(body) < sentences:
            text = "，".join(rng.sample(clauses, rng.randint(2, 3))) + "。"
            if text not in known and text not in body:
                body.append(text)
        paragraphs = ["".join(body[i:i + 2]) for i in range(0, len(body), 2)]
        docs[f"bench/d{d:03d}"] = "\n\n".join([headline, byline, *paragraphs]) + "\n"
    return docs


def make_project(docs: dict[str, str], model: Path):
    """A project holding the documents and, as translation memory, the article's reviewed catalog."""
    from l10n.config import load_config

    if PROJECT.exists():
        for sub in ("source", "target"):
            shutil.rmtree(PROJECT / sub, ignore_errors=True)
    (PROJECT / "source" / "zh").mkdir(parents=True, exist_ok=True)
    (PROJECT / "target" / "en").mkdir(parents=True, exist_ok=True)
    for name, text in docs.items():
        path = PROJECT / "source" / "zh" / f"{name}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    shutil.copyfile(ROOT / "glossary.csv", PROJECT / "glossary.csv")
    shutil.copyfile(REVIEWED, PROJECT / "target" / "en" / "changchun-equipment.po")
    (PROJECT / "pyproject.toml").write_text(PYPROJECT.format(pattern="bench/*", model=model, batch=BATCH,
                                                             max_length=MAX_LENGTH), encoding="utf-8")
    return load_config(PROJECT / "pyproject.toml")


def snapshot(config) -> dict[Path, bytes]:
    return {doc.catalog: doc.catalog.read_bytes() for doc in config.documents}


def restore(saved: dict[Path, bytes]) -> None:
    for path, data in saved.items():
        path.write_bytes(data)


# --- the measurements --------------------------------------------------------------------------

def instrument(executor_class, record: dict):
    """Time an executor's `start` (the engine or the workers loading) apart from translating, and
    read the CPU time of this process tree (the Ray cluster included) once loaded and when the
    executor is closed, before its workers go."""
    start, close = executor_class.start, executor_class.close

    def timed_start(self):
        t0 = time.monotonic()
        try:
            return start(self)
        finally:
            record["load_s"] = time.monotonic() - t0
            record["cpu_loaded"] = _tree_cpu()
            record["loaded_at"] = time.monotonic()

    def timed_close(self):
        record.setdefault("cpu_end", _tree_cpu())
        record.setdefault("closed_at", time.monotonic())
        record["load"].snapshot()
        return close(self)

    executor_class.start, executor_class.close = timed_start, timed_close
    return executor_class, start, close


def run_mt(config, label: str, threads: int, ray_workers: int | None) -> dict:
    from l10n import stages
    from l10n.distributed import RayExecutor, RaySettings
    from l10n.pretranslate import LocalExecutor

    options = config.engine_options_for("ct2", threads=threads)
    record: dict = {}
    saved = [instrument(LocalExecutor, record), instrument(RayExecutor, record)]
    try:
        with Load() as load:
            record["load"] = load
            t0 = time.monotonic()
            result = stages.pretranslate(config, config.documents, "ct2", options, progress=False,
                                         ray=RaySettings(None, ray_workers) if ray_workers else None)
            end = time.monotonic()
    finally:
        for cls, start, close in saved:
            cls.start, cls.close = start, close
    s = result.summary
    segments = s.translated
    mt_s = record["closed_at"] - record["loaded_at"]
    cpu_s = sum(cpu - record["cpu_loaded"].get(pid, 0.0) for pid, cpu in record["cpu_end"].items())
    batches = sum(-(-(d.translated) // BATCH) for _, d in result.documents)
    return {"label": label, "segments": segments, "memory": s.from_memory, "batches": batches,
            "load_s": record["load_s"], "mt_s": mt_s, "total_s": end - t0, "rate": segments / mt_s,
            "cpu_s": cpu_s, "per_cpu": segments / cpu_s, "per_batch_ms": 1000 * mt_s / batches, "load": load,
            "workers": result.workers, "engine": result.engine, "calls": s.model_calls}


def ray_overhead(config, calls: int) -> dict:
    """Round trips of single-batch and four-batch calls to one worker holding the test engine, the
    engine's own time for the same batches, and the serialization of a call's arguments."""
    import ray

    from l10n.distributed import EngineWorker
    from l10n.engines import MarianOptions
    from l10n.memory import Memory
    from l10n.pretranslate import DocumentRun, build_request
    from l10n.stages import load_project_glossary
    from tests.fake_engine import FakeEngine, load_fake

    glossary = load_project_glossary(config)
    requests = []
    for doc in config.documents:
        run = DocumentRun(doc, glossary, Memory(), "ct2", "x", lock=None)
        run.prepare()
        _, po, _, jobs, _ = run._prepared
        requests += [build_request(j.entry, glossary, Memory(), False, {}, []) for j in jobs]
    batches = [requests[i:i + BATCH] for i in range(0, len(requests), BATCH)][:calls]
    engine = FakeEngine()
    t0 = time.perf_counter()
    for b in batches:
        engine.translate(b)
    engine_ms = 1000 * (time.perf_counter() - t0) / len(batches)
    t0 = time.perf_counter()
    sizes = [len(pickle.dumps([b])) for b in batches]
    for b in batches:
        pickle.loads(pickle.dumps([b]))
    pickle_us = 1e6 * (time.perf_counter() - t0) / len(batches)

    worker = ray.remote(EngineWorker).options(num_cpus=1).remote(load_fake, "marian", MarianOptions(model="fake"))
    ray.get(worker.describe.remote())
    for b in batches[:20]:  # warm-up
        ray.get(worker.translate.remote([b]))
    with Load() as load1:
        t0 = time.perf_counter()
        for b in batches:
            ray.get(worker.translate.remote([b]))
        single_ms = 1000 * (time.perf_counter() - t0) / len(batches)
    groups = [batches[i:i + 4] for i in range(0, len(batches), 4)]
    with Load() as load4:
        t0 = time.perf_counter()
        for g in groups:
            ray.get(worker.translate.remote(g))
        four_ms = 1000 * (time.perf_counter() - t0) / len(batches)
    ray.kill(worker)
    return {"calls": len(batches), "engine_ms": engine_ms, "pickle_us": pickle_us, "bytes": statistics.mean(sizes),
            "single_ms": single_ms, "four_ms": four_ms, "load1": load1, "load4": load4}


def driver_alone(docs: dict[str, str], model: Path, label: str) -> dict:
    """The whole run in this process with MT answered instantly by the test engine."""
    import l10n.engines
    from l10n import stages
    from tests.fake_engine import FakeEngine

    spent = [0.0]

    class Timed(FakeEngine):
        def translate(self, batch):
            t0 = time.perf_counter()
            try:
                return super().translate(batch)
            finally:
                spent[0] += time.perf_counter() - t0

    def load(name, options):
        engine = Timed(model=options.model, batch_size=options.batch_size)
        engine.label = l10n.engines.engine_label(name, options)
        return engine

    config = make_project(docs, model)
    stages.update(config, config.documents)
    original = l10n.engines.load_engine
    l10n.engines.load_engine = load
    try:
        with Load() as measured:
            t0, c0 = time.perf_counter(), time.process_time()
            result = stages.pretranslate(config, config.documents, "ct2", config.engine_options_for("ct2"),
                                         progress=False)
            wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    finally:
        l10n.engines.load_engine = original
    segments = result.summary.translated
    return {"label": label, "documents": len(docs), "segments": segments, "wall": wall, "engine_s": spent[0],
            "cpu": cpu, "rate": segments / (wall - spent[0]), "per_cpu": segments / (cpu - spent[0]),
            "load": measured}


# --- report --------------------------------------------------------------------------------------

def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=200)
    parser.add_argument("--sentences", type=int, default=2, help="sentences per document (plus headline and byline)")
    parser.add_argument("--quick", action="store_true", help="40 documents")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    n_docs = 40 if args.quick else args.docs
    os.environ.setdefault("SOURCE_DATE_EPOCH", "1764000000")  # comparable catalogs
    os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"
    started = time.monotonic()
    top_start = top_snapshot()

    import ray

    from l10n import stages
    from l10n.distributed import PACKAGE_DIR

    print("building the model and its tokenizer (cached) …", file=sys.stderr)
    model = tokenized_model()
    print("converting (cached) and a warm-up run …", file=sys.stderr)
    warm = make_project(synthetic_documents(4, 2, seed=99), model)
    stages.update(warm, warm.documents)
    stages.pretranslate(warm, warm.documents, "ct2", warm.engine_options_for("ct2", threads=2), progress=False)

    docs = synthetic_documents(n_docs, args.sentences)
    config = make_project(docs, model)
    stages.update(config, config.documents)
    fresh = snapshot(config)
    memory_entries = sum(1 for e in __import__("polib").pofile(str(REVIEWED)) if e.msgstr and not e.fuzzy)
    print("in this process, 2 threads …", file=sys.stderr)
    runs = [run_mt(config, "in this process, 2 threads", 2, None)]
    outputs = [snapshot(config)]

    ray.init(num_cpus=2, include_dashboard=False, logging_level="WARNING",
             runtime_env={"py_modules": [str(PACKAGE_DIR), str(ROOT / "tests")]})
    try:
        for workers in (2, 1):
            restore(fresh)
            print(f"Ray, {workers} worker(s) of 1 thread …", file=sys.stderr)
            runs.append(run_mt(config, f"Ray, {workers} worker{'s' if workers > 1 else ''} × 1 thread", 1, workers))
            outputs.append(snapshot(config))
        restore(fresh)
        print("one thread in this process …", file=sys.stderr)
        runs.append(run_mt(config, "in this process, 1 thread", 1, None))
        outputs.append(snapshot(config))
        print("Ray overhead per call …", file=sys.stderr)
        overhead = ray_overhead(config, 400)
    finally:
        ray.shutdown()

    print("the driver alone …", file=sys.stderr)
    drivers = [driver_alone(docs, model, f"{n_docs} documents of {args.sentences + 2} segments (the ones above)")]
    drivers.append(driver_alone(synthetic_documents(30, 72, seed=5), model, "30 documents of 74 segments"))
    top_end = top_snapshot()
    took = (time.monotonic() - started) / 60

    import ctranslate2
    import platform

    base = runs[0]["rate"]
    lines = [
        "# Pre-translation on Ray: scaling on one machine",
        "",
        f"Command: `python bench/ray_scaling.py{' --quick' if args.quick else ''}` (from the repository root; "
        f"written by that command, {time.strftime('%Y-%m-%d %H:%M')}, took {took:.1f} min).",
        "",
        "## Machine and load",
        "",
        f"- {os.cpu_count()} cores visible; Python {platform.python_version()}, ray {ray.__version__}, "
        f"ctranslate2 {ctranslate2.__version__}",
        "- **The CPU is shared with other jobs.** `busy / others` in each row: the machine's non-idle CPU "
        "during that row (of all cores), and the part of it that was neither this benchmark nor the Ray "
        "cluster it started (from /proc/stat and the CPU time of this process tree).",
        "- `top -bn1` when the benchmark started:",
        "",
        "```",
        *top_start,
        "```",
        "",
        "- and when it ended:",
        "",
        "```",
        *top_end,
        "```",
        "",
        "## Throughput: in this process against Ray workers",
        "",
        f"{n_docs} synthetic documents of {args.sentences + 2} segments (headline, byline, {args.sentences} "
        "sentences made of the article's clauses recombined, so none is in translation memory, which holds "
        f"the article's {memory_entries} reviewed entries: `from memory` must be 0). Engine `ct2`, int8, greedy, "
        f"batches of {BATCH}, output capped at {MAX_LENGTH - 1} tokens, on the random-weight opus-mt-zh-en-sized "
        "Marian of bench/mt.py with a SentencePiece tokenizer trained on the article (vocabulary padded to 65,001). "
        "The Ray cluster is local (`ray.init(num_cpus=2)`), started before the timed runs; each run starts its own "
        "workers, each loading the engine. `load s`: from the start of loading to the engine (or every worker) "
        "ready; `MT s`: from then to the last catalog written; segments/s over `MT s`. `CPU s`: CPU time of this "
        "process and its children (the Ray cluster: raylet, GCS, workers) over `MT s`; segments per CPU second is "
        "what the machine's cores deliver, and less sensitive to other jobs than wall time.",
        "",
        "| run | segments | from memory | batches | load s | MT s | segments/s | × in this process | CPU s "
        "| segments per CPU s | ms per batch | busy / others |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in runs:
        lines.append(f"| {r['label']} | {r['segments']} | {r['memory']} | {r['batches']} | {r['load_s']:.1f} | "
                     f"{r['mt_s']:.1f} | {r['rate']:.1f} | {r['rate'] / base:.2f} | {r['cpu_s']:.1f} | "
                     f"{r['per_cpu']:.2f} | {r['per_batch_ms']:.0f} | {r['load'].cell()} |")
    one_thread = outputs[3]  # the same options as the workers': one thread each
    lines += [
        "",
        "Catalogs byte-identical to those of the run in this process with the same options (1 thread): "
        f"Ray, 2 workers: **{'yes' if outputs[1] == one_thread else 'no'}**; Ray, 1 worker: "
        f"**{'yes' if outputs[2] == one_thread else 'no'}**. The run in this process with 2 threads: "
        f"**{'yes' if outputs[0] == one_thread else 'no'}**: with two threads the ct2 engine splits each batch in "
        "two halves decoded side by side (l10n.engines.ct2.thread_layout), and int8 outputs depend on what is "
        "batched together, so `threads` is one of the options that must be the same for the same output.",
        "",
        f"Ray with two single-thread workers: **{runs[1]['rate'] / base:.0%}** of the throughput in this process "
        f"with two threads (goal: at least 90%); per CPU second, {runs[1]['per_cpu'] / runs[0]['per_cpu']:.0%}.",
        "",
        "## What Ray adds per call",
        "",
        f"One worker holding the test engine (its own work, {overhead['engine_ms']:.2f} ms per batch of {BATCH}, "
        f"is subtracted), {overhead['calls']} batches of {BATCH} real requests of the documents above (glossary "
        f"terms included), one call at a time, after 20 warm-up calls. Arguments pickled: "
        f"{overhead['bytes']:.0f} bytes per batch, {overhead['pickle_us']:.0f} µs to pickle and unpickle.",
        "",
        "| calls | ms per batch, round trip | of which Ray | busy / others |",
        "|---|---|---|---|",
        f"| one batch per call | {overhead['single_ms']:.2f} | {overhead['single_ms'] - overhead['engine_ms']:.2f} "
        f"| {overhead['load1'].cell()} |",
        f"| four batches per call (what the toolkit sends) | {overhead['four_ms']:.2f} | "
        f"{overhead['four_ms'] - overhead['engine_ms']:.2f} | {overhead['load4'].cell()} |",
        "",
        f"Against {runs[1]['per_batch_ms']:.0f} ms of MT per batch with two workers here, that is "
        f"{100 * (overhead['four_ms'] - overhead['engine_ms']) / runs[1]['per_batch_ms']:.2f}% of a batch's time.",
        "",
        "## The driver alone",
        "",
        "The whole run in this process (read and plan every catalog, build the requests, apply the outputs: "
        "verification, MT records, fuzzy flags, tool messages; write each catalog atomically under its lock) with "
        "MT answered instantly by the test engine, whose time is subtracted.",
        "",
        "| documents | segments | wall s | CPU s | test engine s | segments/s, driver alone | segments per CPU s "
        "| busy / others |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for d in drivers:
        lines.append(f"| {d['label']} | {d['segments']} | {d['wall']:.2f} | {d['cpu']:.2f} | {d['engine_s']:.2f} | "
                     f"**{d['rate']:.0f}** | {d['per_cpu']:.0f} | {d['load'].cell()} |")
    lines += ["", f"Goal: at least 2,000 segments per second.", ""]
    args.out.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
