"""Fuzzy translation-memory lookups in a memory of 100,000 units: time per entry.

    python bench/tm_fuzzy.py [--units 100000] [--queries 300] [--out bench/tm-fuzzy.md]

The memory is synthetic: Chinese sentences of 12–60 characters drawn from a character-bigram
chain trained on the article (so their bigram statistics are those of real newspaper Chinese),
plus, for a third of the queries, near copies made by a few random edits, so that lookups find
matches around and above the 70% threshold as a translator's would. Queries are the article's
segments and further chain sentences. Each query runs `Memory.fuzzy` (bigram prefilter, then
rapidfuzz's Levenshtein on the survivors) and, for comparison, a full scan that computes the
same distance against every unit (rapidfuzz's C++ `process.extract`), which the prefilter is
there to avoid. Both return the same matches (checked). Times are wall clock, one process, the
load of the machine (from /proc/loadavg and the CPU time other processes used) in the report.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from l10n.memory import Memory  # noqa: E402
from l10n.pofile import read_catalog  # noqa: E402

ARTICLE = ROOT / "source" / "zh" / "changchun-equipment.txt"
CATALOG = ROOT / "target" / "en" / "changchun-equipment.po"
THRESHOLD = 70


def chain(text: str) -> dict[str, list[str]]:
    follow: dict[str, list[str]] = {}
    chars = [c for c in text if not c.isspace()]
    for a, b in zip(chars, chars[1:]):
        follow.setdefault(a, []).append(b)
    return follow


def sentence(follow: dict[str, list[str]], rng: random.Random) -> str:
    starts = list(follow)
    length = rng.randint(12, 60)
    out = [rng.choice(starts)]
    while len(out) < length:
        out.append(rng.choice(follow.get(out[-1]) or starts))
    return "".join(out) + "。"


def edited(text: str, rng: random.Random, alphabet: list[str]) -> str:
    chars = list(text)
    for _ in range(rng.randint(1, max(1, len(chars) // 6))):
        at = rng.randrange(len(chars))
        op = rng.random()
        if op < 0.4:
            chars[at] = rng.choice(alphabet)
        elif op < 0.7:
            chars.insert(at, rng.choice(alphabet))
        elif len(chars) > 2:
            del chars[at]
    return "".join(chars)


def cpu_of_others() -> tuple[float, float]:
    """(total CPU seconds of the machine, CPU seconds of this process) for a share of others."""
    with open("/proc/stat") as f:
        fields = [float(x) for x in f.readline().split()[1:]]
    busy = sum(fields) - fields[3] - fields[4]
    own = resource.getrusage(resource.RUSAGE_SELF)
    return busy / os.sysconf("SC_CLK_TCK"), own.ru_utime + own.ru_stime


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--units", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--full-scan-queries", type=int, default=40, help="queries also timed with a full scan")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "tm-fuzzy.md")
    args = parser.parse_args(argv)
    from rapidfuzz import process
    from rapidfuzz.distance import Levenshtein

    rng = random.Random(18)
    follow = chain(ARTICLE.read_text(encoding="utf-8"))
    alphabet = sorted(follow)
    article = [e.msgid for e in read_catalog(CATALOG, "catalog") if not e.obsolete and e.msgid]
    queries = article + [sentence(follow, rng) for _ in range(max(0, args.queries - len(article)))]
    queries = queries[:args.queries]
    near = [edited(q, rng, alphabet) for q in queries[::3]]

    load_before = open("/proc/loadavg").read().split()[:3]
    machine0, own0 = cpu_of_others()
    wall0 = time.perf_counter()
    t0 = time.perf_counter()
    memory = Memory()
    texts = near + [sentence(follow, rng) for _ in range(args.units - len(near))]
    for i, text in enumerate(texts):
        memory.add(text, f"target {i}", f"synthetic:{i}")
    build_s = time.perf_counter() - t0
    rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    t = time.perf_counter()
    memory.fuzzy("长春", THRESHOLD, 3)  # the first lookup imports numpy and rapidfuzz
    first_ms = 1000 * (time.perf_counter() - t)
    times, found_counts = [], []
    for query in queries:
        t = time.perf_counter()
        found = memory.fuzzy(query, THRESHOLD, 3)
        times.append(time.perf_counter() - t)
        found_counts.append(len(found))

    scan_times = []
    all_texts = memory._index.texts
    for query in queries[:args.full_scan_queries]:
        t = time.perf_counter()
        hits = process.extract(query, all_texts, scorer=Levenshtein.normalized_similarity,
                               score_cutoff=THRESHOLD / 100 - 1e-9, limit=None)
        scan_times.append(time.perf_counter() - t)
        expected = {all_texts[i] for _, s, i in hits
                    if 100 * (max(len(query), len(all_texts[i])) - Levenshtein.distance(query, all_texts[i]))
                    // max(len(query), len(all_texts[i])) >= THRESHOLD}
        got = {m.source for m in memory.fuzzy(query, THRESHOLD, len(all_texts))}
        assert got == expected, (query, got ^ expected)
    wall = time.perf_counter() - wall0
    machine1, own1 = cpu_of_others()
    others = max(0.0, (machine1 - machine0) - (own1 - own0)) / (wall * (os.cpu_count() or 1))
    load_after = open("/proc/loadavg").read().split()[:3]

    ms = [t * 1000 for t in times]
    scan_ms = [t * 1000 for t in scan_times]
    p95 = sorted(ms)[int(0.95 * (len(ms) - 1))]
    with_match = sum(1 for n in found_counts if n)
    report = f"""# Fuzzy translation-memory matches: time per entry

Command: `python bench/tm_fuzzy.py --units {args.units} --queries {args.queries}` (rerunnable;
the data are generated with a fixed seed, see the script's docstring).

Machine: {os.cpu_count()} CPUs; load average {' '.join(load_before)} before and {' '.join(load_after)}
after; other processes used {100 * others:.0f}% of the CPU during the run{' (measured under load)' if others > 0.1 else ''}.
Python {sys.version.split()[0]}.

| what | figure |
|---|---|
| memory | {len(memory):,} units (synthetic Chinese, 12–60 characters) |
| building the index | {build_s:.2f} s ({1e6 * build_s / len(memory):.1f} µs per unit); peak RSS of the process {rss_mib:.0f} MiB |
| lookup (`Memory.fuzzy`, threshold {THRESHOLD}%, best 3) | mean {statistics.mean(ms):.2f} ms, median {statistics.median(ms):.2f} ms, p95 {p95:.2f} ms, max {max(ms):.2f} ms per entry ({len(ms)} entries) |
| the first lookup of a run (imports numpy and rapidfuzz) | {first_ms:.0f} ms, not counted above |
| entries with at least one match | {with_match} of {len(ms)} |
| full scan for comparison (rapidfuzz `process.extract`, every unit) | mean {statistics.mean(scan_ms):.1f} ms, median {statistics.median(scan_ms):.1f} ms per entry ({len(scan_ms)} entries; same matches as the prefiltered lookup) |

Similarity: Levenshtein distance over characters, `floor(100 × (1 − d / max(len)))`, as in
l10n/memory.py; docs/formats.md says more.
"""
    args.out.write_text(report, encoding="utf-8")
    print(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
