#!/usr/bin/env python3
"""Benchmark: MT throughput (transformers vs CTranslate2), CTranslate2 levers, peak memory, and
`update` / `--check` scaling. Writes bench/results.md.

    python bench/run.py            # the full run (about 25 minutes on 2 cores)
    python bench/run.py --quick    # a smoke run (a few minutes): fewer runs, smaller catalogs

See bench/README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import cli_scaling, mt  # noqa: E402

THREADS = 2
BATCHES = (1, 8, 32)
BEAMS = (1, 4)
# Segments per timed run, by batch size (one run = all of them, in batches of that size).
SEGMENTS = {1: 4, 8: 8, 32: 32}
# transformers runs twice, with OpenMP threads that spin while they wait (the default) and with
# threads that sleep (OMP_WAIT_POLICY=PASSIVE), and each round's baseline is the faster of the two.
# On an idle CPU spinning is faster; on a CPU shared with other jobs torch's spinning threads steal
# the time of the thread they wait for and transformers at 2 threads runs many times slower.
# CTranslate2 is not sensitive to it (a lever row checks that); its workers run passive.
PASSIVE = {"OMP_WAIT_POLICY": "PASSIVE"}
SPINNING = {"OMP_WAIT_POLICY": None}  # the default
HF_P = "transformers fp32, passive"
HF_S = "transformers fp32, spinning"
HF_BEST = "transformers fp32, best of the two"
CT2_ALT = "ct2 int8, toolkit layout"  # the thread layout and batch split of `--engine ct2`
# Before a configuration's rounds, both transformers variants translate one batch of it (a probe);
# when spinning is this much slower than passive (contention), the spinning variant sits out that
# configuration: it could not be the faster one, and its runs would only cost time.
SPIN_GIVE_UP = 1.5
PROBE_TOKENS = 8  # output tokens per probe segment (the probe only compares the two variants)
# Timed runs per configuration by batch size, as a multiple of --runs for the cheap ones: batches
# of 1 and 8 get two more rounds (noise is larger relative to their short runs).
EXTRA_ROUNDS = {1: 2, 8: 2, 32: 0}
LEVER_SEGMENTS = 32
LEVER_BATCH = 8  # the project's default batch_size


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- machine --------------------------------------------------------------------------------------


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def cpu_flags() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                flags = set(line.split(":", 1)[1].split())
                keep = [f for f in ("avx2", "avx512f", "avx512_vnni", "avx_vnni", "avx512_bf16", "amx_tile", "amx_int8") if f in flags]
                return " ".join(keep) or "none of avx2/avx512/vnni"
    except OSError:
        pass
    return "unknown"


def mem_total_gib() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 2**20
    except OSError:
        pass
    return 0.0


def versions() -> dict[str, str]:
    """Installed versions, without importing the packages (this process stays small)."""
    from importlib import metadata

    out = {"python": platform.python_version()}
    for name in ("torch", "transformers", "ctranslate2"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def busy_seconds() -> float:
    total, idle = CpuWatch._stat()
    return total - idle


def timed(worker: mt.Worker, job: dict) -> tuple[float, float, float]:
    """(wall s, worker CPU s, share of the machine used by other processes meanwhile)."""
    b0 = busy_seconds()
    wall, cpu = worker.run(job)
    busy = busy_seconds() - b0
    others = max(0.0, busy - cpu) / max(wall * (os.cpu_count() or 1), 1e-9)
    return wall, cpu, min(others, 1.0)


class CpuWatch:
    """Wall time of a section (other processes' CPU share is measured per run, see `timed`)."""

    def __init__(self):
        self.t0 = time.perf_counter()

    @staticmethod
    def _stat() -> tuple[float, float]:
        """(total, idle) CPU seconds of the machine since boot, from /proc/stat."""
        try:
            fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
        except (OSError, ValueError):
            return 0.0, 0.0
        hz = os.sysconf("SC_CLK_TCK")
        idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
        return sum(fields) / hz, idle / hz

    def add(self, cpu_seconds: float) -> None:
        """Kept for callers; the per-run figures carry the CPU accounting."""

    def result(self) -> dict[str, float]:
        return {"wall": time.perf_counter() - self.t0}


class Checkpoint:
    """Finished measurements, saved after every configuration (MT), round (levers) and catalog
    size (CLI). A long run can be stopped part-way (Ctrl-C, a logout, a time limit); `--resume`
    then continues where it stopped. The file is removed when a run completes."""

    def __init__(self, path: Path, key: dict, resume: bool):
        self.path = path
        self.data: dict = {}
        if resume and path.is_file():
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                data = {}
            if data.get("key") == key:
                self.data = data
                log(f"resuming from {path} (session {data.get('sessions', 0) + 1})")
            else:
                log(f"{path} is from another configuration; starting afresh")
        if not self.data:
            self.data = {"key": key, "started": time.time(), "sessions": 0}
        self.data["sessions"] += 1
        self.save()

    def section(self, name: str) -> dict:
        return self.data.setdefault(name, {})

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.data), encoding="utf-8")
        os.replace(tmp, self.path)

    def finish(self) -> None:
        self.path.unlink(missing_ok=True)


# --- statistics -----------------------------------------------------------------------------------


def summary(values: list[float]) -> tuple[float, float, float]:
    return statistics.median(values), min(values), max(values)


def others_line(table: dict) -> str:
    """'a median of X% (range a–b%)' of other processes' CPU share over all runs of a section."""
    values = [r[2] for key, rows in table.items() if key[0] != "probe" for r in rows if r is not None]
    if not values:
        return "an unknown share"
    med, lo, hi = summary(values)
    return f"a median of {med * 100:.0f}% (runs ranged {lo * 100:.0f}–{hi * 100:.0f}%)"


def fmt_range(values: list[float], digits: int = 2) -> str:
    med, lo, hi = summary(values)
    return f"{med:.{digits}f} ({lo:.{digits}f}–{hi:.{digits}f})"


# --- MT throughput --------------------------------------------------------------------------------


def interleaved(workers: dict[str, mt.Worker], jobs: dict[str, dict], runs: int, watch: CpuWatch,
                on_done=None) -> dict:
    """Run every (worker, job) `runs` times (plus EXTRA_ROUNDS for small batches), rotating the
    order each round so that no engine always goes first; returns {(worker, job): [(wall, cpu,
    others) or None, ...]} (None: the spinning transformers variant sat out, see SPIN_GIVE_UP),
    and under ("probe", job) the probe times of the two transformers variants."""
    names = list(workers)
    out: dict = {}
    for job_name, job in jobs.items():
        skip_spinning = False
        if HF_S in workers and HF_P in workers:
            probe = dict(job, inputs=job["inputs"][:job["batch_size"]], out_len=PROBE_TOKENS)
            passive = timed(workers[HF_P], probe)[0]
            spinning = timed(workers[HF_S], probe)[0]
            skip_spinning = spinning > SPIN_GIVE_UP * passive
            out[("probe", job_name)] = (passive, spinning, len(probe["inputs"]))
            log(f"    {job_name} probe: passive {passive:.2f}s, spinning {spinning:.2f}s"
                + (" → spinning sits out" if skip_spinning else ""))
        rounds = runs + (EXTRA_ROUNDS.get(job["batch_size"], 0) if runs >= 5 else 0)
        for r in range(rounds):
            shift = r % len(names)
            for name in names[shift:] + names[:shift]:
                if name == HF_S and skip_spinning:
                    out.setdefault((name, job_name), []).append(None)
                    continue
                wall, cpu, others = timed(workers[name], job)
                watch.add(cpu)
                out.setdefault((name, job_name), []).append((wall, cpu, others))
            log(f"    {job_name} round {r + 1}/{rounds}: " + ", ".join(
                f"{n} {out[(n, job_name)][-1][0]:.2f}s" for n in names if out[(n, job_name)][-1]))
        if on_done:
            on_done(job_name, out)
    return out


def best_baseline(times: dict, job_name: str) -> list[float]:
    """Per round, the faster of the two transformers variants."""
    passive = times[(HF_P, job_name)]
    spinning = times.get((HF_S, job_name), [None] * len(passive))
    return [min(p[0], s[0]) if s else p[0] for p, s in zip(passive, spinning)]


def done(rows: list) -> list[tuple[float, float, float]]:
    return [r for r in rows if r is not None]


def mt_section(work: Path, runs: int, quick: bool, ckpt: Checkpoint) -> dict:
    state = ckpt.section("mt")
    log("building the random opus-mt-sized model (cached) …")
    model_dir = mt.build_model(work)
    log("converting to CTranslate2 int8 and float32 (cached) …")
    t = time.perf_counter()
    ct2_int8 = mt.convert(model_dir, work, "int8")
    ct2_fp32 = mt.convert(model_dir, work, "float32")
    state.setdefault("convert_s", time.perf_counter() - t)

    jobs = {}
    for beams in BEAMS:
        for bs in BATCHES:
            n = SEGMENTS[bs] if not quick else min(SEGMENTS[bs], bs)
            jobs[f"beam{beams}-bs{bs}"] = {"inputs": mt.make_inputs(n), "batch_size": bs, "beams": beams, "n": n}
    finished = state.setdefault("jobs", {})
    pending = {name: job for name, job in jobs.items() if name not in finished}

    specs = {
        HF_P: dict(kind="hf", model=str(model_dir), threads=THREADS, env=PASSIVE),
        HF_S: dict(kind="hf", model=str(model_dir), threads=THREADS, env=SPINNING),
        "ct2 int8": dict(kind="ct2", model=str(ct2_int8), threads=THREADS, env=PASSIVE),
        "ct2 float32": dict(kind="ct2", model=str(ct2_fp32), threads=THREADS, env=PASSIVE),
        CT2_ALT: dict(kind="ct2", model=str(ct2_int8), threads=THREADS, toolkit_layout=True, env=PASSIVE),
    }
    if pending:
        workers = {}
        for name, spec in specs.items():
            log(f"starting worker: {name}")
            workers[name] = mt.Worker(name, spec)
        warm = {"inputs": mt.make_inputs(8), "batch_size": 8, "beams": 4}
        log("warm-up (one bs 8, beam 4 run each, not counted) …")
        for w in workers.values():
            w.run(warm)
        log(f"MT throughput: {len(pending)} configurations × {len(workers)} engines × {runs}+ runs, interleaved"
            + (f" ({len(finished)} done before)" if finished else ""))
        job_started = [time.perf_counter()]

        def save(job_name: str, out: dict) -> None:
            # Peak RSS so far of each worker (VmHWM only grows), kept with the configuration.
            memory = {name: {"after_load": w.loaded, "now": w.status()} for name, w in workers.items()}
            finished[job_name] = {
                "times": {name: out[(name, job_name)] for name in workers},
                "probe": out.get(("probe", job_name)),
                "memory": memory,
                "wall": time.perf_counter() - job_started[0],
            }
            ckpt.save()
            job_started[0] = time.perf_counter()

        interleaved(workers, pending, runs, CpuWatch(), on_done=save)
        for w in workers.values():
            w.close()

    times: dict = {}
    memory: dict = {}
    for job_name in jobs:
        record = finished[job_name]
        for name, rows in record["times"].items():
            times[(name, job_name)] = [tuple(r) if r is not None else None for r in rows]
        if record.get("probe"):
            times[("probe", job_name)] = tuple(record["probe"])
        for name, m in record["memory"].items():
            best = memory.setdefault(name, {"after_load": m["after_load"], "end": m["now"]})
            if m["now"]["VmHWM"] > best["end"]["VmHWM"]:
                best["end"] = m["now"]
    return {
        "jobs": jobs,
        "times": times,
        "memory": {name: memory[name] for name in specs if name in memory},
        "convert_s": state["convert_s"],
        "cpu": {"wall": sum(finished[j]["wall"] for j in jobs)},
        "model_dir": model_dir,
        "ct2_int8": ct2_int8,
        "ct2_fp32": ct2_fp32,
    }


def lever_section(work: Path, base: dict, runs: int, quick: bool, ckpt: Checkpoint) -> dict:
    ct2_int8, ct2_fp32 = base["ct2_int8"], base["ct2_fp32"]
    n = LEVER_SEGMENTS if not quick else 16
    inputs = mt.make_inputs(n)
    vmaps = {size: mt.with_vmap(ct2_int8, work, size) for size in (2000, 4000, 32000)}
    # name: (worker spec, batch size)
    variants = {
        "baseline: int8, intra 2 / inter 1, bs 8": (dict(model=str(ct2_int8)), 8),
        "OpenMP default (spinning) wait policy": (dict(model=str(ct2_int8), env={"OMP_WAIT_POLICY": None}), 8),
        "batching: bs 16": (dict(model=str(ct2_int8)), 16),
        "batching: bs 32": (dict(model=str(ct2_int8)), 32),
        "threads: intra 1 / inter 2, bs 8": (dict(model=str(ct2_int8), threads=1, inter=2), 8),
        "threads: intra 1 / inter 2, bs 16": (dict(model=str(ct2_int8), threads=1, inter=2), 16),
        "compute: int8_float32": (dict(model=str(ct2_int8), compute_type="int8_float32"), 8),
        "compute: int16": (dict(model=str(ct2_int8), compute_type="int16"), 8),
        "compute: float32 model": (dict(model=str(ct2_fp32)), 8),
        "packed GEMM (CT2_USE_EXPERIMENTAL_PACKED_GEMM=1)": (dict(model=str(ct2_int8), env={**PASSIVE, "CT2_USE_EXPERIMENTAL_PACKED_GEMM": "1"}), 8),
        "shortlist: vmap 2,000 ids": (dict(model=str(vmaps[2000]), vmap=True), 8),
        "shortlist: vmap 4,000 ids": (dict(model=str(vmaps[4000]), vmap=True), 8),
        "shortlist: vmap 32,000 ids (≈ target side only)": (dict(model=str(vmaps[32000]), vmap=True), 8),
        "combined: vmap 4,000 + bs 32": (dict(model=str(vmaps[4000]), vmap=True), 32),
        "combined: vmap 4,000 + intra 1 / inter 2, bs 16": (dict(model=str(vmaps[4000]), vmap=True, threads=1, inter=2), 16),
    }
    state = ckpt.section("levers")
    rounds_done: list = state.setdefault("rounds", [])
    results: dict[str, list[tuple[float, float, float]]] = {name: [] for name in variants}
    for done_round in rounds_done:
        for name, row in done_round.items():
            results[name].append(tuple(row))
    if len(rounds_done) >= runs:
        return {"n": n, "results": results, "cpu": {"wall": state.get("wall", 0.0)}, "variants": variants}
    # One worker per distinct engine set-up; batch-size variants share it.
    workers: dict[str, mt.Worker] = {}
    keys: dict[str, str] = {}
    for name, (extra, _) in variants.items():
        spec = {"kind": "ct2", "threads": THREADS, "inter": 1, "env": PASSIVE, **extra}
        key = repr(sorted((k, repr(v)) for k, v in spec.items()))
        keys[name] = key
        if key not in workers:
            workers[key] = mt.Worker(name, spec)
    watch = CpuWatch()
    for w in workers.values():
        w.run({"inputs": inputs[:8], "batch_size": 8, "beams": 4})  # warm-up
    log(f"levers: {len(variants)} variants × {runs} runs, interleaved, {n} segments, beam 4")
    names = list(variants)
    for r in range(len(rounds_done), runs):
        t0 = time.perf_counter()
        shift = (r * 3) % len(names)
        this_round = {}
        for name in names[shift:] + names[:shift]:
            _, bs = variants[name]
            wall, cpu, others = timed(workers[keys[name]], {"inputs": inputs, "batch_size": bs, "beams": 4})
            watch.add(cpu)
            results[name].append((wall, cpu, others))
            this_round[name] = (wall, cpu, others)
        rounds_done.append(this_round)
        state["wall"] = state.get("wall", 0.0) + time.perf_counter() - t0
        ckpt.save()
        log(f"    levers round {r + 1}/{runs} done")
    for w in workers.values():
        w.close()
    return {"n": n, "results": results, "cpu": {"wall": state["wall"]}, "variants": variants}


# --- report ---------------------------------------------------------------------------------------


def _machine_section(add, args, started: float, machine: dict, quick: bool, sessions: int) -> None:
    """The command, the run and the machine."""
    took = (time.time() - started) / 60
    command = "python bench/run.py" + (" --quick" if quick else "") + (f" --runs {args.runs}" if args.runs else "")
    add("# Benchmark results")
    add("")
    add(f"Command: `{command}` (from the repository root; written by that command, "
        f"{dt.datetime.now().strftime('%Y-%m-%d %H:%M')}, took {took:.1f} min"
        + (f", in {sessions} sessions: an interrupted run was continued with `--resume`" if sessions > 1 else "")
        + ").")
    if quick:
        add("")
        add("**This is a --quick smoke run: too few runs and segments for conclusions.**")
    add("")
    add("## Machine")
    add("")
    v = machine["versions"]
    add(f"- CPU: {machine['cpu']} — {machine['cores']} cores visible ({machine['flags']}); "
        f"{machine['mem']:.0f} GiB RAM; {platform.system()} {platform.release()}")
    add(f"- Python {v['python']}, torch {v['torch']}, transformers {v['transformers']}, ctranslate2 {v['ctranslate2']}")
    add(f"- Load average at start: {machine['load_start']}; at end: {machine.get('load_end', '?')}")
    add("- **The CPU is shared with other jobs.** Each section states how busy the machine was and how "
        "much of that was other processes; timings under contention are noisier and slower than on an "
        "idle machine. Engines are measured interleaved (round-robin, rotating the order every round), "
        "so contention hits them alike as far as possible. The `CPU s` columns are the worker's own "
        "CPU time (all its threads), which contention distorts less than wall time.")
    add("")


def _throughput_section(add, mt_res: dict) -> None:
    """MT throughput of each engine, interleaved rounds."""
    jobs, times = mt_res["jobs"], mt_res["times"]
    cpu = mt_res["cpu"]
    add("## MT throughput on CPU, 2 threads")
    add("")
    add(f"Model: random-weight MarianMT of the real opus-mt-zh-en size (d_model {mt.D_MODEL}, "
        f"{mt.LAYERS}+{mt.LAYERS} layers, {mt.HEADS} heads, FFN {mt.FFN}, vocabulary {mt.VOCAB:,} with "
        f"`<pad>` last, swish, tied embeddings), built directly from `MarianConfig` (no tokenizer). "
        f"Inputs: token ids, {mt.SRC_LEN[0]}–{mt.SRC_LEN[1]} per segment (</s> included), drawn "
        f"with a fixed seed, the same for every engine. Output length forced to {mt.OUT_LEN} tokens "
        f"(transformers `min_new_tokens = max_new_tokens = {mt.OUT_LEN}`; CTranslate2 "
        f"`min_decoding_length = max_decoding_length = {mt.OUT_LEN}`), checked on every run, so the "
        f"compute equals the real model's for a {mt.OUT_LEN}-token translation.")
    add("")
    rounds = {job["batch_size"]: len(times[(HF_P, name)]) for name, job in jobs.items()}
    runs_text = ", ".join(f"{r} runs at batch {bs}" for bs, r in sorted(rounds.items()))
    add(f"Engines, each in its own worker process: transformers fp32 (`torch.set_num_threads({THREADS})`, "
        f"`generate`) twice, with the default OpenMP wait policy (threads spin while they wait) and with "
        f"`OMP_WAIT_POLICY=PASSIVE` (threads sleep); CTranslate2 int8 and float32 "
        f"(`intra_threads={THREADS}, inter_threads=1`, passive), converted with the engine's "
        f"`convert_model` (conversion: {mt_res['convert_s']:.0f} s for both, 0 s when cached). One run = "
        f"all segments of a configuration, in batches of the batch size; {runs_text}, per engine and "
        f"configuration, after one warm-up run per engine, round-robin with the order rotated every round.")
    add("")
    add("The baseline of each round is the faster of the two transformers runs in that round "
        f"(`{HF_BEST}`): on an idle CPU spinning threads are faster, while other jobs hold a core they "
        "make transformers many times slower (the waiting thread spins on the core its partner needs, "
        "at each of the hundreds of small parallel regions per decoding step). Before each configuration "
        f"both variants translate one batch of it ({PROBE_TOKENS} output tokens per segment); when spinning is "
        f"more than {SPIN_GIVE_UP:.1f}× slower there, it sits out that configuration (its probe time is shown). "
        "`× transformers` = median over rounds of (baseline time / engine time), with the range over rounds.")
    add("")
    add(f"This section took {cpu['wall'] / 60:.1f} min; other processes used {others_line(times)} of the "
        f"machine's {os.cpu_count()} cores meanwhile. `others` per row is that share during the row's "
        "runs (median; non-idle CPU time from /proc/stat minus the worker's own CPU time).")
    add("")
    add("| beams | batch | segments/run | engine | wall s, median (min–max) | CPU s | segments/s | target tokens/s | × transformers (range) | others |")
    add("|---|---|---|---|---|---|---|---|---|---|")
    headline = {}
    for job_name, job in jobs.items():
        base = best_baseline(times, job_name)
        rows = [(HF_P, times[(HF_P, job_name)]), (HF_S, times[(HF_S, job_name)]),
                (HF_BEST, None), ("ct2 int8", times[("ct2 int8", job_name)]),
                ("ct2 float32", times[("ct2 float32", job_name)]), (CT2_ALT, times[(CT2_ALT, job_name)])]
        for name, runs_ in rows:
            if name == HF_BEST:
                med = statistics.median(base)
                seg_s = job["n"] / med
                add(f"| {job['beams']} | {job['batch_size']} | {job['n']} | *{name}* | {fmt_range(base)} | | "
                    f"{seg_s:.2f} | {seg_s * mt.OUT_LEN:.0f} | 1 (baseline) | |")
                continue
            got = done(runs_)
            if not got:
                passive, spinning, k = times[("probe", job_name)]
                add(f"| {job['beams']} | {job['batch_size']} | {job['n']} | {name} | sat out: probe ({k} "
                    f"segment(s) × {PROBE_TOKENS} tokens) {spinning:.2f} s vs passive {passive:.2f} s ({spinning / passive:.1f}× slower) "
                    f"| | | | | |")
                continue
            walls = [w for w, _, _ in got]
            med = statistics.median(walls)
            seg_s = job["n"] / med
            note = ""
            ratio = ""
            if not name.startswith("transformers"):
                pairs = [b / w for b, w in zip(base, walls)]
                ratio = f"**{statistics.median(pairs):.1f}×** ({min(pairs):.1f}–{max(pairs):.1f})"
                headline[(job["beams"], job["batch_size"], name)] = statistics.median(pairs)
            others = statistics.median(o for _, _, o in got)
            add(f"| {job['beams']} | {job['batch_size']} | {job['n']} | {name}{note} | {fmt_range(walls)} | "
                f"{statistics.median(c for _, c, _ in got):.2f} | {seg_s:.2f} | {seg_s * mt.OUT_LEN:.0f} | "
                f"{ratio} | {others * 100:.0f}% |")
    add("")
    add("Headline, beam 4 (CTranslate2 int8 vs the faster transformers fp32, same round): " + ", ".join(
        f"batch {bs}: {headline[(4, bs, 'ct2 int8')]:.1f}×" for bs in BATCHES if (4, bs, "ct2 int8") in headline)
        + f"; {CT2_ALT} (what `--engine ct2` does): " + ", ".join(
        f"batch {bs}: {headline[(4, bs, CT2_ALT)]:.1f}×" for bs in BATCHES if (4, bs, CT2_ALT) in headline) + ".")
    add("")
    add(f"`{CT2_ALT}` is the toolkit's ct2 engine's way of running CTranslate2 "
        "(`l10n.engines.ct2.thread_layout`): one `translate_batch` call per batch; a batch of two or more "
        "segments is split in two halves that decode side by side with one thread each "
        "(`inter_threads=2, intra_threads=1`), while a batch of one segment gets both threads "
        "(`inter_threads=1, intra_threads=2`, the same as `ct2 int8`). The `ct2 int8` rows use one "
        "worker with two intra-op threads throughout.")
    add("")
    mt_res["headline"] = headline


def _memory_section(add, mt_res: dict) -> None:
    """Peak RSS per engine."""
    add("## Peak memory (RSS) per MT engine")
    add("")
    add("Each engine runs in its own process; `VmRSS` after loading the model and `VmHWM` (peak RSS) "
        "after all throughput runs above (the largest is batch 32, beam 4), from /proc/<pid>/status. "
        "The CTranslate2 workers do not import torch or transformers; the toolkit's ct2 engine also "
        "loads the model's transformers tokenizer, which adds the transformers/torch import to its process.")
    add("")
    add("| engine | RSS after load, MiB | peak RSS, MiB | load time, s |")
    add("|---|---|---|---|")
    for name, m in mt_res["memory"].items():
        add(f"| {name} | {m['after_load']['VmRSS'] / 1024:.0f} | {m['end']['VmHWM'] / 1024:.0f} | "
            f"{m['after_load']['loaded_s']:.1f} |")
    add("")
    if CT2_ALT in mt_res["memory"]:
        add(f"The `{CT2_ALT}` worker holds two translators of the same model (the batch-1 layout and the "
            "split layout), so its RSS counts the int8 weights twice; the toolkit's engine loads one.")
        add("")


def _lever_section(add, mt_res: dict, levers: dict) -> None:
    """The CTranslate2 levers, one at a time."""
    n = levers["n"]
    res = levers["results"]
    names = list(res)
    base_walls = [w for w, _, _ in res[names[0]]]
    hf = {bs: statistics.median(best_baseline(mt_res["times"], f"beam4-bs{bs}")) / mt_res["jobs"][f"beam4-bs{bs}"]["n"]
          for bs in BATCHES if (HF_P, f"beam4-bs{bs}") in mt_res["times"]}
    hf_best_bs = min(hf, key=hf.get)
    cpu = levers["cpu"]
    add("## Levers for CTranslate2 int8 at beam 4")
    add("")
    add(f"Each variant translates the same {n} segments (beam 4, {mt.OUT_LEN} target tokens each); "
        f"variants run interleaved, {len(base_walls)} runs each after a warm-up. `vs baseline` is the "
        f"median over rounds of (baseline time / variant time) in the same round. `vs transformers` "
        f"compares the variant's seconds per segment with the faster transformers fp32 at beam 4 in the section "
        f"above: at batch 8 (the project's default batch size), and at transformers' own best batch "
        f"size ({hf_best_bs}); those were measured in another section, so they carry more noise.")
    add("")
    add(f"This section took {cpu['wall'] / 60:.1f} min; other processes used {others_line(res)} of the "
        f"machine's CPU meanwhile.")
    add("")
    two = hf_best_bs != 8
    add("| variant | wall s, median (min–max) | CPU s | segments/s | vs baseline (range) | vs transformers bs 8 |"
        + (f" vs transformers bs {hf_best_bs} |" if two else "") + " others |")
    add("|---|---|---|---|---|---|---|" + ("---|" if two else ""))
    lever_ratios = {}
    for name in names:
        walls = [w for w, _, _ in res[name]]
        cpus = [c for _, c, _ in res[name]]
        med = statistics.median(walls)
        pairs = [b / w for b, w in zip(base_walls, walls)]
        per_seg = med / n
        vs8 = hf.get(8, float("nan")) / per_seg
        vsbest = hf[hf_best_bs] / per_seg
        lever_ratios[name] = (statistics.median(pairs), vs8, vsbest)
        others = statistics.median(o for _, _, o in res[name])
        add(f"| {name} | {fmt_range(walls)} | {statistics.median(cpus):.2f} | {n / med:.2f} | "
            f"{statistics.median(pairs):.2f}× ({min(pairs):.2f}–{max(pairs):.2f}) | {vs8:.1f}× |"
            + (f" {vsbest:.1f}× |" if two else "") + f" {others * 100:.0f}% |")
    add("")
    add("The vocabulary shortlist here is synthetic: with random weights there is no real lexical "
        "table, so the map lists a fixed random set of ids that are always candidates. What it saves "
        "is real: the output projection (512 × 65,000, two thirds of the decoder's multiply-adds "
        "per token) shrinks to the shortlist, and beam search sorts over fewer scores. A real "
        "shortlist comes from word alignments of training data; `vmap=\"target\"` in the engine "
        "restricts the output to the target SentencePiece pieces only (no data needed; about half "
        "of opus-mt-zh-en's joint vocabulary, assumed here as 32,000 ids).")
    add("")
    levers["ratios"] = lever_ratios
    levers["hf_best_bs"] = hf_best_bs


def _cli_section(add, cli: dict) -> None:
    """update and --check on synthetic catalogs."""
    add("## `update` and `--check` on synthetic catalogs")
    add("")
    if cli.get("skipped"):
        add(f"Not measured: {cli['skipped']}.")
    else:
        add("Synthetic projects (bench/cli_scaling.py): one source document of N distinct Chinese "
            "sentences built from clauses of the sample article, five to a paragraph; the repository's "
            "glossary. `update (new)` creates the catalog, `update (again)` re-merges an unchanged "
            "source into it, `--check` runs the CI checks (on an untranslated catalog the translation "
            "checks have nothing to read). `--check (reviewed)` runs them on a second, fully reviewed "
            "catalog of the same size: numbered reviewed sentences of the article with their published "
            "translations, so every segment check reads every entry. One run each (these are single-shot "
            "commands); wall time and peak RSS of the CLI process (os.wait4).")
        add("")
        add("| sentences | entries | source MiB | step | wall s | CPU s | peak RSS MiB | exit |")
        add("|---|---|---|---|---|---|---|---|")
        for row in cli["rows"]:
            for label in ("update (new)", "update (again)", "--check", "--check (reviewed)"):
                r = row.get(label)
                if r is None:
                    continue
                reviewed = label == "--check (reviewed)"
                entries = row.get("reviewed_entries", 0) if reviewed else row["entries"]
                mb = row.get("reviewed_source_mb", 0.0) if reviewed else row["source_mb"]
                if not r.get("ok"):
                    add(f"| {row['n']:,} | {entries:,} | {mb:.1f} | {label} | {r.get('error')} | | | |")
                    continue
                add(f"| {row['n']:,} | {entries:,} | {mb:.1f} | {label} | {r['wall']:.2f} | "
                    f"{r['cpu']:.2f} | {r['maxrss_mib']:.0f} | {r['code']} |")
    add("")


def _verdict_section(add, mt_res: dict, levers: dict | None) -> None:
    """What the figures say about the goals."""
    add("## Verdict")
    add("")
    head = mt_res["headline"]
    beam4 = {bs: head.get((4, bs, "ct2 int8")) for bs in BATCHES}
    best_plain = max(v for v in beam4.values() if v)
    add("- CTranslate2 int8 vs transformers fp32 (the faster wait policy, per round) at beam 4, same batch size: " + ", ".join(
        f"batch {bs}: {r:.1f}×" for bs, r in beam4.items() if r) + f"; {CT2_ALT} (`--engine ct2`): " + ", ".join(
        f"batch {bs}: {head[(4, bs, CT2_ALT)]:.1f}×" for bs in BATCHES if head.get((4, bs, CT2_ALT))) + ".")
    if levers and "ratios" in levers:
        best_name = max(levers["ratios"], key=lambda k: levers["ratios"][k][2])
        best = levers["ratios"][best_name]
        add(f"- Best lever combination measured: \"{best_name}\": {best[2]:.1f}× transformers at its best "
            f"batch size ({levers['hf_best_bs']}), {best[1]:.1f}× transformers at batch 8.")
    goal = all(r and r >= 3 for r in beam4.values())
    worst_plain = min(v for v in beam4.values() if v)
    add(f"- Goal ≥3× over transformers fp32 at beam 4: "
        f"{'met at every batch size measured' if goal else 'not met at every batch size'} with plain int8 "
        f"and no shortlist ({worst_plain:.1f}× to {best_plain:.1f}×).")
    alt = {bs: head[(4, bs, CT2_ALT)] for bs in BATCHES if head.get((4, bs, CT2_ALT))}
    if alt:
        add("- Goal ≥3× with the toolkit's layout (`--engine ct2`, int8, no shortlist): "
            + ", ".join(f"batch {bs}: {r:.1f}×" for bs, r in alt.items())
            + f" — {'met at every batch size measured' if all(r >= 3 for r in alt.values()) else 'not met at every batch size'}.")
    fp32 = {bs: head.get((4, bs, "ct2 float32")) for bs in BATCHES}
    add("- Where the gain comes from, beam 4: the CTranslate2 runtime alone (float32 vs transformers fp32) "
        + ", ".join(f"batch {bs}: {r:.1f}×" for bs, r in fp32.items() if r)
        + "; int8 on top of it (int8 vs float32 in CTranslate2) "
        + ", ".join(f"batch {bs}: {beam4[bs] / fp32[bs]:.1f}×" for bs in BATCHES if beam4.get(bs) and fp32.get(bs)) + ".")
    if levers and "ratios" in levers:
        vm = {k: v[0] for k, v in levers["ratios"].items() if k.startswith("shortlist")}
        if vm:
            add("- What is left is mostly matrix multiplication in the decoder, and the largest single "
                "one is the 65,000-wide output projection: the shortlist rows above cut it "
                + ", ".join(f"{k.split(': ', 1)[1]}: {v:.2f}×" for k, v in vm.items())
                + " against the int8 baseline (synthetic map; a real one needs alignment data, and "
                "the quality effect must be checked on the real model).")
    others = [o for (name, _), rows in mt_res["times"].items() if name != "probe" for _, _, o in done(rows)]
    if others:
        share = statistics.median(others)
        if share < 0.05:
            add(f"- Other processes used a median of {share * 100:.0f}% of the CPU during the MT runs "
                f"(at most {max(others) * 100:.0f}%): these are figures for an otherwise idle machine.")
        else:
            add(f"- The machine was shared: other processes used a median of {share * 100:.0f}% of the CPU "
                "during the MT runs. Absolute speeds on an idle machine would be higher; the ratios "
                "compare engines under the same conditions, round by round.")
    add("")


def write_report(path: Path, args, started: float, machine: dict, mt_res: dict | None,
                 levers: dict | None, cli: dict | None, quick: bool, sessions: int = 1) -> None:
    lines: list[str] = []
    add = lines.append
    _machine_section(add, args, started, machine, quick, sessions)
    if mt_res:
        _throughput_section(add, mt_res)
        _memory_section(add, mt_res)
    if levers and mt_res:
        _lever_section(add, mt_res, levers)
    if cli is not None:
        _cli_section(add, cli)
    if mt_res and "headline" in mt_res:
        _verdict_section(add, mt_res, levers)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smoke run: 2 runs, small workloads and catalogs")
    parser.add_argument("--runs", type=int, help="timed runs per configuration (default 5; 2 with --quick)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results.md", help="report path")
    parser.add_argument("--work", type=Path, default=ROOT / ".l10n-cache" / "bench",
                        help="where the model and converted models are kept between runs")
    parser.add_argument("--skip", action="append", default=[], choices=("mt", "levers", "cli"),
                        help="skip a section (repeatable)")
    parser.add_argument("--resume", action="store_true",
                        help="continue an interrupted run with the same options from its checkpoint")
    args = parser.parse_args(argv)
    runs = args.runs or (2 if args.quick else 5)
    key = {"runs": runs, "quick": args.quick, "skip": sorted(args.skip), "format": 2}
    ckpt = Checkpoint(args.work / ("checkpoint-quick.json" if args.quick else "checkpoint.json"), key, args.resume)
    started = ckpt.data["started"]
    machine = {
        "cpu": cpu_model(),
        "flags": cpu_flags(),
        "cores": os.cpu_count(),
        "mem": mem_total_gib(),
        "versions": versions(),
        "load_start": ckpt.data.setdefault("load_start", loadavg()),
    }
    args.work.mkdir(parents=True, exist_ok=True)
    mt_res = levers = cli = None
    if "mt" not in args.skip:
        mt_res = mt_section(args.work, runs, args.quick, ckpt)
        if "levers" not in args.skip:
            levers = lever_section(args.work, mt_res, runs, args.quick, ckpt)
    if "cli" not in args.skip:
        cli = ckpt.data.get("cli")
        if cli is None:
            sizes = [1000, 10000] if args.quick else [1000, 10000, 100000]
            log(f"CLI scaling on {', '.join(f'{s:,}' for s in sizes)} sentences …")
            scratch = args.work / "cli"
            try:
                cli = cli_scaling.run(sizes, scratch, log=log, timeout=120)
            except Exception as err:  # noqa: BLE001 - the report says it was not measured, and why
                cli = {"rows": [], "skipped": f"the CLI run failed ({type(err).__name__}: {err})"}
            finally:
                shutil.rmtree(scratch, ignore_errors=True)
            ckpt.data["cli"] = cli
            ckpt.save()
    machine["load_end"] = loadavg()
    write_report(args.out, args, started, machine, mt_res, levers, cli, args.quick, ckpt.data["sessions"])
    ckpt.finish()
    log(f"wrote {args.out} ({(time.time() - started) / 60:.1f} min)")
    return 0


def loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


if __name__ == "__main__":
    sys.exit(main())
