"""What batching costs the llm engine's context on a new document, measured on the article.

The prompt shows the previous sentences of the document with their translations. On a document
with no translations yet, `pretranslate` takes them from the MT of earlier batches (it looks back up
to 8 entries and keeps the 3 most recent that have a translation), so a segment cannot see the
sentences of its own batch. This script translates the article as a new document (no msgstr, no
translation-memory examples: the only reviewed pairs are the article's own references) with the
same loaded engine, in document-order chunks of 1 (every segment sees the MT of the three before
it), 8 and 32 segments, and with no context at all, and scores each run against the reviewed
translations (sacrebleu corpus chrF and BLEU).

Usage:
  python bench/llm_context.py MODEL.gguf [--runtime ct2] [--limit 40] [--chunks 1,8,32,none]
      [--out bench/llm-context.md]
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

LOOK_BACK = 8  # as l10n.pretranslate._request
SHOWN = 3


def run(engine, refs, glossary, chunk: int | None):
    from l10n.engines import TermHint, TranslationRequest

    outputs: list[str] = [""] * len(refs)
    size = chunk or 32
    t0 = time.perf_counter()
    for start in range(0, len(refs), size):
        requests = []
        for i in range(start, min(start + size, len(refs))):
            source = refs[i]["zh"]
            terms = tuple(TermHint(m.term.zh, m.term.en, m.start, m.end) for m in glossary.find(source))
            context = []
            if chunk is not None:
                for j in range(i - 1, max(-1, i - 1 - LOOK_BACK), -1):
                    if outputs[j]:
                        context.append((refs[j]["zh"], outputs[j]))
                    if len(context) == SHOWN:
                        break
            requests.append(TranslationRequest(source, terms, tuple(reversed(context)), ()))
        outputs[start:start + len(requests)] = engine.translate(requests)
    return outputs, time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model")
    parser.add_argument("--runtime", default="ct2")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--limit", type=int, default=40, help="the first N segments of the article")
    parser.add_argument("--chunks", default="1,8,32,none")
    parser.add_argument("--references", default=str(ROOT / "target" / "en" / "changchun-equipment.po"))
    parser.add_argument("--out", default=str(ROOT / "bench" / "llm-context.md"))
    args = parser.parse_args(argv)

    import sacrebleu

    from bench.llm_article import load_references
    from l10n.engines import LLMOptions
    from l10n.engines.llm import LLMEngine
    from l10n.glossary import load_glossary

    refs = load_references(Path(args.references))[:args.limit or None]
    glossary = load_glossary(ROOT / "glossary.csv", "glossary.csv")
    options = LLMOptions(model=args.model, runtime=args.runtime, examples=0, batch_size=args.batch_size, max_length=256,
                         device="cpu", cache_dir=str(ROOT / ".l10n-cache"), number_glossary=False)
    engine = LLMEngine(options)
    rows = []
    for name in args.chunks.split(","):
        chunk = None if name == "none" else int(name)
        load0 = os.getloadavg()[0]
        hyps, seconds = run(engine, refs, glossary, chunk)
        bleu = sacrebleu.corpus_bleu(hyps, [[r["en"] for r in refs]]).score
        chrf = sacrebleu.corpus_chrf(hyps, [[r["en"] for r in refs]]).score
        label = "no context" if chunk is None else ("one at a time" if chunk == 1 else f"chunks of {chunk}")
        rows.append((label, chrf, bleu, seconds / len(refs), load0, os.getloadavg()[0]))
        print(f"{label}: chrF {chrf:.1f} BLEU {bleu:.1f} {seconds / len(refs):.2f} s/segment", file=sys.stderr, flush=True)

    command = "python " + " ".join(shlex.quote(a) for a in ["bench/llm_context.py", *(sys.argv[1:] if argv is None else argv)])
    lines = [
        "# Context on a new document: what batching costs",
        "",
        f"The article's first {len(refs)} segments translated as a new document by `{engine.label}` "
        f"(`{os.path.basename(args.model)}`), greedy; context: the MT of up to {SHOWN} earlier segments "
        f"translated in earlier chunks (looking back {LOOK_BACK} entries, as `pretranslate` does); glossary "
        "entries in the prompt; no translation-memory examples. Scores against the reviewed translations.",
        "",
        "| document-order chunks | chrF | BLEU | s/segment | load average |",
        "|---|---:|---:|---:|---:|",
    ]
    for label, chrf, bleu, sps, l0, l1 in rows:
        lines.append(f"| {label} | {chrf:.1f} | {bleu:.1f} | {sps:.2f} | {l0:.1f}→{l1:.1f} |")
    lines += ["", "Command:", "", "```", command, "```", ""]
    Path(args.out).write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
