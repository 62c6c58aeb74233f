"""Benchmark the LLM engine on the article, with and without glossary prompting.

Every segment of the reviewed reference file is translated twice by the same loaded model:
  with glossary     request.terms = the glossary entries matched in the segment
  without glossary  request.terms = ()
Both runs get the same context: the previous 3 segments with their *reviewed* translations (as a
translator working through the article would have them). No translation-memory examples are
given: the only reviewed pairs available are this article's own references, and showing them
would leak the answers. The two runs are interleaved batch by batch, so that the timings see the
same load on a shared machine.

Scores: sacrebleu corpus BLEU and chrF against the references, and term success (the share of
glossary term occurrences in the sources whose English form, or a listed variant, appears in the
output; `Glossary.missing`).

Usage:
  python bench/llm_article.py MODEL.gguf [--references target/en/changchun-equipment.po]
      [--glossary glossary.csv] [--out-dir .l10n-cache/llm-article] [--results bench/llm-results.md]
      [--dtype float32|bfloat16] [--threads 1] [--batch-size 4] [--limit N] [--tag NAME]
      [--runtime transformers|ct2|llama-cpp]  (default transformers: the figures were made with it)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from l10n.engines import LLMOptions, TermHint, TranslationRequest  # noqa: E402
from l10n.glossary import load_glossary  # noqa: E402

RUNS = ("with_glossary", "without_glossary")


def load_references(path: Path) -> list[dict]:
    """(zh, en) pairs in article order: the reviewed entries of a PO catalog, or a JSON list of
    {"zh", "en"} objects."""
    if path.suffix == ".po":
        from l10n.pofile import is_reviewed, read_catalog

        refs = [{"zh": e.msgid, "en": e.msgstr} for e in read_catalog(path, path.name) if is_reviewed(e)]
    else:
        data = json.loads(path.read_text(encoding="utf-8"))
        refs = [{"zh": item["zh"], "en": item["en"]} for item in data]
    if not refs or any(not r["zh"].strip() or not r["en"].strip() for r in refs):
        sys.exit(f"{path}: every item needs non-empty zh and en")
    return refs


def requests_for(refs: list[dict], glossary, n_context: int) -> dict[str, list[TranslationRequest]]:
    out: dict[str, list[TranslationRequest]] = {run: [] for run in RUNS}
    for i, ref in enumerate(refs):
        source = ref["zh"]
        terms = tuple(TermHint(m.term.zh, m.term.en, m.start, m.end) for m in glossary.find(source))
        context = tuple((r["zh"], r["en"]) for r in refs[max(0, i - n_context):i])
        out["with_glossary"].append(TranslationRequest(source, terms, context, ()))
        out["without_glossary"].append(TranslationRequest(source, (), context, ()))
    return out


def term_success(glossary, sources: list[str], hyps: list[str]) -> tuple[int, int]:
    total = hit = 0
    for source, hyp in zip(sources, hyps):
        found = glossary.find(source)
        total += len(found)
        hit += len(found) - len(glossary.missing(source, hyp))
    return hit, total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model", help="path of the .gguf file (or a model directory)")
    parser.add_argument("--references", default=str(ROOT / "target" / "en" / "changchun-equipment.po"),
                        help="reviewed catalog (.po) or JSON list of {zh, en}")
    parser.add_argument("--glossary", default=str(ROOT / "glossary.csv"))
    parser.add_argument("--out-dir", default=str(ROOT / ".l10n-cache" / "llm-article"))
    parser.add_argument("--results", default=str(ROOT / "bench" / "llm-results.md"))
    parser.add_argument("--dtype", default="float32", help="float32 or bfloat16")
    parser.add_argument("--runtime", default="transformers", help="the llm runtime (docs/llm-runtimes.md)")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch threads (1 is fastest on a 2-core machine shared with other work)")
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--tokens-per-char", type=float, default=2.0,
                        help="new-token bound: 16 + this × source characters (the references need at most 1.7)")
    parser.add_argument("--context", type=int, default=3)
    parser.add_argument("--max-length", type=int, default=256, help="cap on new tokens per segment")
    parser.add_argument("--limit", type=int, default=0, help="only the first N segments (a trial run)")
    parser.add_argument("--tag", default="", help="suffix for the output file names (keeps other runs' files)")
    args = parser.parse_args(argv)

    import sacrebleu
    import torch

    from l10n.engines.llm import LLMEngine
    from l10n.script import has_cjk_letters as has_cjk

    refs = load_references(Path(args.references))
    if args.limit:
        refs = refs[:args.limit]
    glossary = load_glossary(Path(args.glossary), os.path.basename(args.glossary))
    requests = requests_for(refs, glossary, args.context)
    sources = [r["zh"] for r in refs]
    references = [r["en"] for r in refs]

    options = LLMOptions(model=args.model, batch_size=args.batch_size, max_length=args.max_length,
                         threads=args.threads, device="cpu", dtype=args.dtype, context=args.context, examples=0,
                         tokens_per_char=args.tokens_per_char, runtime=args.runtime, number_glossary=False)
    t0 = time.perf_counter()
    engine = LLMEngine(options)
    load_s = time.perf_counter() - t0
    print(f"loaded {args.model} in {load_s:.0f} s ({engine.label}, {torch.get_num_threads()} threads)", flush=True)

    hyps: dict[str, list[str]] = {run: [] for run in RUNS}
    seconds = {run: 0.0 for run in RUNS}
    calls = {run: 0 for run in RUNS}
    retries = {run: 0 for run in RUNS}
    size = max(1, args.batch_size)
    for start in range(0, len(refs), size):
        for run in RUNS:
            c0, r0, t = engine.calls, engine.retries, time.perf_counter()
            hyps[run].extend(engine.translate(requests[run][start:start + size]))
            seconds[run] += time.perf_counter() - t
            calls[run] += engine.calls - c0
            retries[run] += engine.retries - r0
        for i in range(start, min(start + size, len(refs))):
            print(f"[{i + 1}/{len(refs)}] {sources[i][:40]}\n  with:    {hyps['with_glossary'][i]}\n"
                  f"  without: {hyps['without_glossary'][i]}", flush=True)
        done = min(start + size, len(refs))
        print(f"  … {done} segments, {sum(seconds.values()) / (2 * done):.1f} s/segment so far", flush=True)

    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    suffix = (f".{args.tag}" if args.tag else "") + (f".first{args.limit}" if args.limit else "")
    for run in RUNS:
        path = out_dir / f"llm_{run}{suffix}.json"
        path.write_text(json.dumps(hyps[run], ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {path}")

    rows = []
    for run in RUNS:
        bleu = sacrebleu.corpus_bleu(hyps[run], [references])
        chrf = sacrebleu.corpus_chrf(hyps[run], [references])
        hit, total = term_success(glossary, sources, hyps[run])
        cjk = sum(1 for h in hyps[run] if has_cjk(h))
        rows.append((run.replace("_", " "), chrf.score, bleu.score, hit, total, seconds[run] / len(refs),
                     calls[run], retries[run], cjk))

    command = "python " + " ".join(shlex.quote(a) for a in ["bench/llm_article.py"] + (sys.argv[1:] if argv is None else argv))
    lines = [
        "# LLM engine on the article: with and without glossary prompting",
        "",
        f"Model: `{os.path.basename(args.model)}` (GGUF Q4_K_M, dequantized on load by transformers "
        f"to {args.dtype}); greedy decoding, at most 16 + {args.tokens_per_char:g} × source characters new tokens; "
        f"CPU ({platform.machine()}, {os.cpu_count()} cores, {torch.get_num_threads()} torch thread(s)), "
        f"batches of {args.batch_size} segments; model load {load_s:.0f} s.",
        f"Segments: {len(refs)}, references from `{args.references}`; glossary `{args.glossary}` "
        f"({len(glossary.terms)} terms).",
        "",
        "| run | chrF | BLEU | term success | s/segment | generate calls | CJK retries | CJK left |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, chrf, bleu, hit, total, sps, ncalls, nretry, cjk in rows:
        share = f"{hit}/{total} ({100 * hit / total:.1f}%)" if total else "n/a"
        lines.append(f"| {name} | {chrf:.1f} | {bleu:.1f} | {share} | {sps:.1f} | {ncalls} | {nretry} | {cjk} |")
    lines += [
        "",
        "Prompt: system instruction (translate Chinese news into English news style, output only the translation),",
        f"then the glossary entries matched in the segment (with-glossary run only), the previous {args.context} "
        "segments with their reviewed translations, and the segment. No translation-memory examples "
        "(the only reviewed pairs are this article's references: they would leak the answers). "
        "Note that the context translations themselves contain glossary terms, so the without-glossary "
        "run is not entirely glossary-blind.",
        "",
        "BLEU and chrF: sacrebleu corpus scores (default tokenization) against the reviewed references. "
        "Term success: glossary term occurrences in the sources whose English form (or a listed variant) "
        "appears in the output. s/segment: wall time of `translate` divided by the number of segments "
        "(batched, so a throughput figure), model load excluded; the two runs are interleaved batch by "
        "batch so that both see the same load on a shared machine. CJK retries: answers that kept "
        "Chinese and were asked for again; CJK left: outputs that still hold Chinese characters.",
        "",
        "Command:",
        "",
        "```",
        command,
        "```",
        "",
        f"Hypotheses: `{out_dir}/llm_with_glossary{suffix}.json`, `{out_dir}/llm_without_glossary{suffix}.json`.",
        "",
    ]
    results = Path(args.results)
    if suffix:
        results = results.with_name(results.stem + suffix + results.suffix)
    results.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
