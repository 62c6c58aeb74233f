"""Speed, memory and quality of the llm engine's runtimes on the same prompts: WMT22 zh→en news lines.

Rows (each in its own process, so that peak RSS is the runtime's own):
  transformers fp32, one at a time     --runtime transformers (the reference)
  ct2 int8, one at a time              --runtime ct2, batch size 1
  ct2 int8, batches of B               --runtime ct2 (what `--engine llm` does on a CPU by default)
  llama.cpp, one at a time             --runtime llama-cpp on the .gguf as it is (when installed), batch size 1
  llama.cpp, B at a time               --runtime llama-cpp (what `--engine llm` does with a .gguf on a CPU
                                       where llama-cpp-python is installed)
With --device cuda: transformers bfloat16, ct2 int8_float16 and ct2 float16, batches of B.

The prompts are built by the engine's own `build_messages` (engines/llm.py): the system turn, the
project glossary's entries that match the line, and the line ("glossary prompt"); with
`--examples N`, also the N most similar reviewed examples from the project's translation memory
(the catalogs under target/en, never the test set), as `pretranslate` adds them. No earlier
sentences: their translations would have to come from somewhere, and the test set's references
must not go into prompts (docs/llm-runtimes.md measures context separately). chrF: sacrebleu corpus
chrF against reference A.

Columns: s/segment = translate wall time / lines (load excluded); load = engine construction
(conversion excluded: a cached conversion is made before timing, and reported); peak RSS of the
row's process; others = share of the machine's CPU used by other processes during the row
(figures measured under load say so).

Without the real weights (a CUDA machine the GGUF cannot be copied to), `--random-weights CONFIG`
builds a random model of the real architecture (CONFIG: a transformers config.json, or a .gguf to
read it from) and runs the workload of a real run (`--workload`, written by every real run:
per line the prompt length, the shared system-turn length and the answer length in tokens) with
random prompt tokens and answers forced to the recorded lengths. chrF is left out.

Usage:
  python bench/llm_speed.py MODEL.gguf [--lines 32] [--batch-size 16] [--rows ROW,…] [--device cpu]
  python bench/llm_speed.py --random-weights bench/qwen2.5-1.5b-config.json --device cuda
See docs/llm-runtimes.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shlex
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

EVAL = ROOT.parent / "shared" / "eval" / "wmt22-zh-en"
FIRST_NEWS_LINE = 4  # 1-based: the first news document of generaltest2022 (its README)
WORKLOAD = ROOT / "bench" / "llm-speed-workload.json"


def rows_for(device: str, batch: int) -> dict[str, dict]:
    if device == "cuda":
        return {
            "transformers-bf16": {"runtime": "transformers", "batch_size": batch, "dtype": "bfloat16",
                                  "title": f"transformers bfloat16, batches of {batch}"},
            "ct2-int8_float16": {"runtime": "ct2", "batch_size": batch, "quantization": "int8_float16",
                                 "title": f"ct2 int8_float16, batches of {batch}"},
            "ct2-float16": {"runtime": "ct2", "batch_size": batch, "quantization": "float16",
                            "title": f"ct2 float16, batches of {batch}"},
        }
    return {
        "transformers-fp32": {"runtime": "transformers", "batch_size": 1, "title": "transformers fp32, one at a time"},
        "ct2-int8-1": {"runtime": "ct2", "batch_size": 1, "quantization": "int8", "title": "ct2 int8, one at a time"},
        "ct2-int8-batch": {"runtime": "ct2", "batch_size": batch, "quantization": "int8",
                           "title": f"ct2 int8, batches of {batch} (auto without the llama.cpp extra)"},
        "llama-cpp": {"runtime": "llama-cpp", "batch_size": 1, "title": "llama.cpp, the GGUF as is, one at a time"},
        "llama-cpp-batch": {"runtime": "llama-cpp", "batch_size": batch,
                            "title": f"llama.cpp, the GGUF as is, {batch} at a time (auto for a .gguf where the extra "
                                     "is installed)"},
        # not in the default set: what the shared system turn (static_prompt) saves
        "ct2-int8-batch-nostatic": {"runtime": "ct2", "batch_size": batch, "quantization": "int8",
                                    "extra": {"static_prompt": False}, "optional": True,
                                    "title": f"ct2 int8, batches of {batch}, without static_prompt"},
    }


# --- the prompts --------------------------------------------------------------------------------


def load_lines(start: int, count: int) -> tuple[list[str], list[str]]:
    src = (EVAL / "generaltest2022.zh-en.src.zh").read_text(encoding="utf-8").splitlines()
    ref = (EVAL / "generaltest2022.zh-en.ref.A.en").read_text(encoding="utf-8").splitlines()
    return src[start - 1:start - 1 + count], ref[start - 1:start - 1 + count]


def build_requests(sources: list[str], examples: int):
    from l10n.config import find_project, load_config
    from l10n.engines import TermHint, TranslationRequest
    from l10n.glossary import load_glossary
    from l10n.memory import load_memory

    config = load_config(find_project(ROOT))
    glossary = load_glossary(config.glossary, config.rel(config.glossary))
    memory = load_memory(config.all_catalogs(), config.rel)
    requests = []
    for source in sources:
        terms = tuple(TermHint(m.term.zh, m.term.en, m.start, m.end) for m in glossary.find(source))
        requests.append(TranslationRequest(source, terms, (), tuple(memory.similar(source, examples))))
    return requests


# --- one row, in its own process ----------------------------------------------------------------


def engine_options(row: dict, args):
    from l10n.engines import LLMOptions

    return LLMOptions(model=args.model, runtime=row["runtime"], examples=args.examples, context=0,
                      dtype=row.get("dtype", ""), batch_size=row["batch_size"], max_length=256, device=args.device,
                      threads=args.threads, quantization=row.get("quantization", ""), cache_dir=args.cache_dir,
                      number_glossary=args.number_glossary, **row.get("extra", {}))


def run_row(name: str, args) -> dict:
    row = rows_for(args.device, args.batch_size)[name]
    if args.random_weights:
        return run_random_row(name, row, args)
    from l10n.engines.llm import LLMEngine

    sources, _ = load_lines(args.start, args.lines)
    sources = sources[:args.limit or None]
    if name == "transformers-fp32" and args.fp32_lines:
        sources = sources[:args.fp32_lines]
    requests = build_requests(sources, args.examples)
    options = engine_options(row, args)
    if row["runtime"] == "ct2":  # convert before timing the load (once; reported by the parent)
        from l10n.engines.llm_ct2 import converted_model
        from l10n.engines.llm_runtimes import ct2_compute_type, ct2_storage, device_kind

        t = time.perf_counter()
        _, converted = converted_model(args.model, ct2_storage(ct2_compute_type(options.quantization, device_kind(args.device))),
                                       args.cache_dir)
        convert_s = time.perf_counter() - t if converted else 0.0
    else:
        convert_s = 0.0
    t0 = time.perf_counter()
    engine = LLMEngine(options)
    load_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    hyps = engine.translate(requests)
    seconds = time.perf_counter() - t1
    out = {
        "row": name, "label": engine.label, "load_s": load_s, "convert_s": convert_s, "seconds": seconds,
        "lines": len(sources), "hyps": hyps, "calls": engine.calls, "retries": engine.retries,
    }
    if row["runtime"] in ("ct2", "transformers") and name == "ct2-int8-batch":
        out["workload"] = workload_of(engine, requests, hyps)
    return out


def workload_of(engine, requests, hyps) -> list[dict]:
    """Token counts of this run, for `--random-weights` runs elsewhere (no text, just lengths)."""
    runtime = engine.runtime
    work = []
    for request, hyp in zip(requests, hyps):
        messages = engine.messages(request)
        prompt = runtime.prompt_tokens(messages)
        system, _ = runtime._static_prefix([messages], [prompt])
        answer = len(runtime.tokenizer(hyp, add_special_tokens=False)["input_ids"]) + 1  # + the end of turn
        work.append({"prompt": len(prompt), "system": len(system), "answer": answer})
    return work


# --- random weights: the real architecture, without the real model -----------------------------


def random_config(path: str):
    """The architecture of the real model: from a .gguf (its metadata), or a config.json."""
    from transformers import Qwen2Config

    if path.lower().endswith(".gguf"):
        from transformers.modeling_gguf_pytorch_utils import load_gguf_checkpoint

        config = dict(load_gguf_checkpoint(path, return_tensors=False)["config"])
    else:
        config = json.loads(Path(path).read_text(encoding="utf-8"))
    if config.get("model_type", "qwen2") != "qwen2":
        raise SystemExit(f"{path}: only Qwen2 configurations are supported here (model_type {config.get('model_type')!r})")
    for key in ("model_type", "architectures", "_model_name_or_path", "transformers_version"):
        config.pop(key, None)
    return Qwen2Config(**config)


class VocabOnlyTokenizer:
    """What CTranslate2's Qwen2 converter reads from a tokenizer: the vocabulary and three names."""

    def __init__(self, size: int):
        self.size = size
        self.bos_token = "<tok1>"
        self.eos_token = "<tok2>"
        self.unk_token = "<tok0>"
        self.pad_token = "<tok0>"

    def get_vocab(self) -> dict[str, int]:
        return {f"<tok{i}>": i for i in range(self.size)}


def run_random_row(name: str, row: dict, args) -> dict:
    import random

    import torch
    from transformers import Qwen2ForCausalLM

    from l10n.engines.llm_transformers import length_chunks

    work = json.loads(Path(args.workload).read_text(encoding="utf-8"))[:args.limit or None]
    config = random_config(args.random_weights)
    rng = random.Random(0)
    system = [rng.randrange(100, config.vocab_size) for _ in range(max(w["system"] for w in work))]
    prompts = [system[:w["system"]] + [rng.randrange(100, config.vocab_size) for _ in range(w["prompt"] - w["system"])]
               for w in work]
    answers = [w["answer"] for w in work]
    device = "cuda" if args.device.startswith("cuda") else "cpu"
    t0 = time.perf_counter()
    torch.manual_seed(0)
    if row["runtime"] == "transformers":
        dtype = {"bfloat16": torch.bfloat16, "float16": torch.float16}.get(row.get("dtype", ""), torch.float32)
        model = Qwen2ForCausalLM(config).to(dtype=dtype, device=device).eval()
        load_s = time.perf_counter() - t0
        t1 = time.perf_counter()
        with torch.inference_mode():
            for chunk in length_chunks([len(p) for p in prompts], row["batch_size"]):
                width = max(len(prompts[i]) for i in chunk)
                ids = torch.tensor([[0] * (width - len(prompts[i])) + prompts[i] for i in chunk], device=device)
                mask = torch.tensor([[0] * (width - len(prompts[i])) + [1] * len(prompts[i]) for i in chunk], device=device)
                new = max(answers[i] for i in chunk)
                model.generate(input_ids=ids, attention_mask=mask, do_sample=False, min_new_tokens=new,
                               max_new_tokens=new, pad_token_id=0, eos_token_id=None)
        if device == "cuda":
            torch.cuda.synchronize()
        seconds = time.perf_counter() - t1
        gpu_mb = torch.cuda.max_memory_allocated() / 2**20 if device == "cuda" else 0.0
    else:
        import tempfile

        import ctranslate2

        from l10n.engines.ct2_cache import convert_model

        compute = row.get("quantization", "int8")
        storage = "int8" if compute.startswith("int8") else compute
        target = Path(args.cache_dir) / "llm-speed-random" / f"{config.num_hidden_layers}x{config.hidden_size}-{storage}"
        if not (target / "model.bin").is_file():
            model = Qwen2ForCausalLM(config).eval()
            with tempfile.TemporaryDirectory() as config_dir:
                config.save_pretrained(config_dir)
                convert_model(config_dir, target, storage, model=model, tokenizer=VocabOnlyTokenizer(config.vocab_size))
            del model
        t0 = time.perf_counter()
        generator = ctranslate2.Generator(str(target), device=device, compute_type=compute,
                                          intra_threads=args.threads if device == "cpu" else 0)
        load_s = time.perf_counter() - t0
        names = [f"<tok{i}>" for i in range(config.vocab_size)]
        t1 = time.perf_counter()
        from l10n.engines.llm_ct2 import plan_batches

        shared = min(w["system"] for w in work)  # the engine's static prompt: the system turn
        static = [names[t] for t in system[:shared]]
        for chunk in plan_batches([len(p) - shared for p in prompts], answers, row["batch_size"], device):
            starts = [[names[t] for t in prompts[i][len(static):]] for i in chunk]
            limits = [answers[i] for i in chunk]
            counts = [0] * len(chunk)

            def step(result, counts=counts, limits=limits):
                counts[result.batch_id] += 1
                return counts[result.batch_id] >= limits[result.batch_id]

            generator.generate_batch(starts, max_length=max(limits), sampling_topk=1, end_token=[],
                                     include_prompt_in_result=False, static_prompt=static or None, callback=step)
        seconds = time.perf_counter() - t1
        gpu_mb = 0.0
    return {"row": name, "label": "random weights", "load_s": load_s, "convert_s": 0.0,
            "seconds": seconds, "lines": len(work), "hyps": [], "calls": 0, "retries": 0, "gpu_mb": gpu_mb}


def worker_main(args) -> int:
    result = run_row(args.worker, args)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    result["rss_mb"] = usage.ru_maxrss / 1024
    result["cpu_s"] = usage.ru_utime + usage.ru_stime
    Path(args.result).write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")
    return 0


# --- the parent: run the rows, score, write the table ------------------------------------------


def busy_seconds() -> float:
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields) - idle) / os.sysconf("SC_CLK_TCK")


def run_in_process(name: str, args, argv: list[str]) -> dict | None:
    out_dir = Path(args.json_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    result_path = out_dir / f"{name}{args.tag}.json"
    command = [sys.executable, str(Path(__file__).resolve()), *argv, "--worker", name, "--result", str(result_path)]
    print(f"[{time.strftime('%H:%M:%S')}] {name} …", file=sys.stderr, flush=True)
    b0, t0 = busy_seconds(), time.perf_counter()
    loadavg0 = os.getloadavg()[0]
    done = subprocess.run(command, cwd=ROOT)
    wall = time.perf_counter() - t0
    if done.returncode != 0:
        print(f"  {name} failed (exit {done.returncode}); its row is left out", file=sys.stderr)
        return None
    result = json.loads(result_path.read_text(encoding="utf-8"))
    busy = busy_seconds() - b0
    result["others"] = min(1.0, max(0.0, busy - result["cpu_s"]) / max(wall * (os.cpu_count() or 1), 1e-9))
    result["loadavg"] = (loadavg0, os.getloadavg()[0])
    result_path.write_text(json.dumps(result), encoding="utf-8")  # what --report-only reads back
    print(f"  {result['seconds'] / result['lines']:.2f} s/segment, load {result['load_s']:.1f} s, "
          f"peak RSS {result['rss_mb']:.0f} MB, others {100 * result['others']:.0f}%", file=sys.stderr, flush=True)
    return result


def chrf(hyps: list[str], refs: list[str]) -> float:
    import sacrebleu

    return sacrebleu.corpus_chrf(hyps, [refs]).score


def write_report(args, results: list[dict], refs: list[str], command: str) -> str:
    baseline = next((r for r in results if r["row"].startswith("transformers")), None)
    lines = [
        "# llm engine runtimes: speed, memory and quality on the same prompts",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} CPU cores"
        + (f", device {args.device}" if args.device != "cpu" else "")
        + f"; {args.threads or 'all'} threads; {time.strftime('%Y-%m-%d %H:%M')}.",
        f"Model: `{os.path.basename(args.model or args.random_weights)}`"
        + (" (random weights of the real architecture; chrF left out)" if args.random_weights else "")
        + (f". Workload: the token counts of a real run (`{os.path.relpath(args.workload, ROOT)}`, "
           f"{results[0]['lines'] if results else 0} prompts: prompt, shared system turn and answer lengths), "
           "random prompt tokens, answers forced to the recorded lengths."
           if args.random_weights else
           f". Lines: WMT22 zh→en generaltest2022, {max((r['lines'] for r in results), default=0)} lines from line {args.start}"
           " (the first news document), greedy decoding; prompt: "
           + ("glossary prompt (system turn, matching glossary entries, the line)" if not args.examples else
              f"system turn, {args.examples} similar reviewed examples from the project's memory, glossary entries, the line")
           + "."),
        "",
    ]
    few = min((r["lines"] for r in results if r["hyps"]), default=0)
    subset = few and any(r["lines"] != few for r in results if r["hyps"])
    head = "| runtime | MT label | s/segment | × transformers | chrF" + (f" | chrF, first {few} lines" if subset else "") \
        + " | load s | peak RSS | others |"
    lines += [head, "|---|---|---:|---:|---:|" + ("---:|" if subset else "") + "---:|---:|---:|"]
    for r in results:
        sps = r["seconds"] / max(1, r["lines"])
        ratio = f"{(baseline['seconds'] / baseline['lines']) / sps:.1f}×" if baseline else "—"
        score = f"{chrf(r['hyps'], refs[:r['lines']]):.1f}" if r["hyps"] else "—"
        if subset:
            score += f" | {chrf(r['hyps'][:few], refs[:few]):.1f}" if r["hyps"] else " | —"
        rss = f"{r['rss_mb'] / 1024:.2f} GiB" + (f" (+{r['gpu_mb'] / 1024:.1f} GiB GPU)" if r.get("gpu_mb") else "")
        title = rows_for(args.device, args.batch_size)[r["row"]]["title"]
        lines.append(f"| {title} | `{r['label']}` | {sps:.2f} | {ratio} | {score} | {r['load_s']:.1f} | {rss} | "
                     f"{100 * r['others']:.0f}% |")
    converted = [r for r in results if r.get("convert_s")]
    if subset:
        lines += ["", f"Rows with fewer lines translated only the first {few} (the fp32 reference is slow); compare "
                      f"chrF on those {few} lines in the column \"chrF, first {few} lines\"."]
    lines += [
        "",
        "s/segment: wall time of `LLMEngine.translate` over all lines / lines (batched rows: a throughput "
        "figure). × transformers: the first transformers row's s/segment over the row's. load: building the engine, "
        "the conversion excluded" + (" (" + "; ".join(f"{r['row']} converted first in {r['convert_s']:.0f} s" for r in converted) + ")" if converted else " (the conversion was cached)")
        + ". others: share of the 2 cores used by other processes while the row ran (load average "
        + ", ".join(f"{r['row']} {r['loadavg'][0]:.1f}→{r['loadavg'][1]:.1f}" for r in results) + ").",
        "",
        "Command:",
        "",
        "```",
        command,
        "```",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model", nargs="?", help="the .gguf file (or a model directory / hub id)")
    parser.add_argument("--lines", type=int, default=32, help="WMT22 lines, from --start")
    parser.add_argument("--start", type=int, default=FIRST_NEWS_LINE, help="1-based first line")
    parser.add_argument("--limit", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--fp32-lines", type=int, default=0,
                        help="the transformers fp32 row translates only the first K lines (it is slow); "
                             "chrF is then also given on those K lines for every row")
    parser.add_argument("--rows", default="", help="comma-separated row names (default: all for the device)")
    parser.add_argument("--batch-size", type=int, default=16, help="batch size of the batched rows")
    parser.add_argument("--examples", type=int, default=0,
                        help="similar reviewed examples from the project's memory per prompt (0: glossary prompt)")
    parser.add_argument("--number-glossary", action=argparse.BooleanOptionalAction, default=False,
                        help="list the line's numbers with their English in the prompt (the engine's default is on; "
                             "the figures in docs/llm-runtimes.md were measured without)")
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    parser.add_argument("--threads", type=int, default=0, help="CPU threads (0: all cores)")
    parser.add_argument("--cache-dir", default=str(ROOT / ".l10n-cache"))
    parser.add_argument("--json-dir", default=str(ROOT / ".l10n-cache" / "llm-speed"))
    parser.add_argument("--out", default="", help="the report (default bench/llm-speed.md, or -cuda/-random)")
    parser.add_argument("--tag", default="", help="suffix of the per-row JSON files")
    parser.add_argument("--random-weights", metavar="CONFIG", default="",
                        help="a config.json or .gguf: random weights of that architecture, the recorded workload")
    parser.add_argument("--workload", default=str(WORKLOAD), help="token counts recorded by a real run")
    parser.add_argument("--report-only", action="store_true",
                        help="rebuild the report from the per-row results of an earlier run (same options)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return worker_main(args)
    if not args.model and not args.random_weights:
        parser.error("give the model (a .gguf file), or --random-weights CONFIG")

    every = rows_for(args.device, args.batch_size)
    names = [n for n in (args.rows.split(",") if args.rows else [k for k, v in every.items() if not v.get("optional")]) if n]
    unknown = [n for n in names if n not in rows_for(args.device, args.batch_size)]
    if unknown:
        parser.error(f"unknown rows for device {args.device}: {', '.join(unknown)}")
    if args.random_weights:  # llama.cpp would need a GGUF of the random model
        names = [n for n in names if rows_for(args.device, args.batch_size)[n]["runtime"] != "llama-cpp"]
    passthrough = [a for a in (sys.argv[1:] if argv is None else argv) if a != "--report-only"]
    if args.report_only:
        found = [Path(args.json_dir) / f"{n}{args.tag}.json" for n in names]
        results = [json.loads(f.read_text(encoding="utf-8")) for f in found if f.is_file()]
    else:
        results = [r for r in (run_in_process(n, args, passthrough) for n in names) if r]
    if not results:
        return 1
    refs = [] if args.random_weights else load_lines(args.start, args.lines)[1]
    command = "python " + " ".join(shlex.quote(a) for a in ["bench/llm_speed.py", *passthrough])
    report = write_report(args, results, refs, command)
    workload = next((r["workload"] for r in results if r.get("workload")), None)
    if workload and not args.random_weights and not args.limit and not args.examples:
        Path(args.workload).write_text(json.dumps(workload) + "\n", encoding="utf-8")
    suffix = "-random" if args.random_weights else ("-cuda" if args.device.startswith("cuda") else "")
    out = Path(args.out or ROOT / "bench" / f"llm-speed{suffix}.md")
    out.write_text(report, encoding="utf-8")
    print(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
