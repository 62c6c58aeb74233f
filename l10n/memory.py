"""Translation memory: the reviewed entries of every catalog under the target directory, plus the
external memories (TMX) the project uses.

Exact matches are reused instead of calling a model; similar pairs (l10n.similarity) serve as
examples for engines that take them in a prompt; fuzzy matches are shown to the translator.

Fuzzy match percentage, as CAT tools compute it: the Levenshtein distance d between the two
Chinese source texts, counted in characters (Unicode code points; insert, delete and substitute
each cost 1), as `floor(100 × (1 − d / max(len(a), len(b))))`. The distance is rapidfuzz's.
Candidates come from the character-bigram index, and two exact bounds discard most of them
before any distance is computed (see `Memory.fuzzy`), so a lookup in a memory of 100,000 units
computes distances only for the units that share enough bigrams with the text
(bench/tm_fuzzy.py measures it).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

from .pofile import catalog_from_bytes, is_reviewed, read_catalog
from .similarity import BigramIndex, char_bigrams
from .textio import read_bytes

FUZZY_THRESHOLD = 70  # percent: what CAT tools commonly show by default
FUZZY_LIMIT = 3  # matches shown per entry


@dataclass(frozen=True)
class FuzzyMatch:
    percent: int
    source: str
    target: str
    where: str


class Memory:
    def __init__(self) -> None:
        self.exact: dict[str, tuple[str, str]] = {}  # msgid → (msgstr, where)
        self._index = BigramIndex()
        self._targets: list[str] = []
        self._where: list[str] = []

    def __len__(self) -> int:
        return len(self._targets)

    def add(self, msgid: str, msgstr: str, where: str) -> None:
        """Add a pair; the first pair added for a source text is the one kept."""
        if msgid in self.exact:
            return
        self.exact[msgid] = (msgstr, where)
        self._index.add(msgid)
        self._targets.append(msgstr)
        self._where.append(where)

    def similar(self, text: str, k: int) -> list[tuple[str, str]]:
        """Up to k reviewed pairs most similar to `text` (Dice coefficient on character bigrams),
        best first; `text` itself is not among them."""
        return [(self._index.texts[i], self._targets[i]) for i in self._index.most_similar(text, k, skip=text)]

    def fuzzy(self, text: str, threshold: int = FUZZY_THRESHOLD, limit: int = FUZZY_LIMIT) -> list[FuzzyMatch]:
        """Up to `limit` pairs whose source is at least `threshold` percent similar to `text`
        (module docstring), best first; ties keep the order the pairs were added in.

        Exact prefilters, in integer arithmetic (no match at or above the threshold is lost):
          length   d ≥ |len(a) − len(b)|, so that difference must be within the allowed edits;
          bigrams  one edit destroys at most two of a text's bigram occurrences, so the texts
                   share at least (distinct bigrams of either) − 2 × allowed edits bigrams.
        A text whose distinct bigrams are at most twice its allowed edits (very short or very
        repetitive, e.g. 哈哈哈哈) is only found through at least one shared bigram."""
        if not text or not self._targets or not 0 < threshold <= 100:
            return []
        import numpy as np

        index = self._index
        grams = char_bigrams(text)
        lists = [p for p in (index.postings(g) for g in grams) if p is not None]
        if not lists:
            return []
        # Counting shared bigrams is the hot loop: numpy adds up the postings lists in C.
        width = np.dtype(f"u{lists[0].itemsize}")
        counts = np.bincount(np.concatenate([np.frombuffer(p, dtype=width) for p in lists]))
        candidates = np.flatnonzero(counts)
        n, size = len(text), len(grams)
        lengths = np.frombuffer(index.lengths, dtype=width)[candidates].astype(np.int64)
        sizes = np.frombuffer(index.sizes, dtype=width)[candidates].astype(np.int64)
        longest = np.maximum(lengths, n)
        allowed = (100 - threshold) * longest // 100
        keep = (np.abs(lengths - n) <= allowed) & (counts[candidates] >= np.maximum(sizes, size) - 2 * allowed)
        from rapidfuzz.distance.Levenshtein import distance

        texts = index.texts
        scored: list[tuple[float, int, int]] = []  # (−similarity, position, percent)
        for i, budget, most in zip(candidates[keep].tolist(), allowed[keep].tolist(), longest[keep].tolist()):
            d = distance(text, texts[i], score_cutoff=budget)
            if d <= budget:
                scored.append((-(most - d) / most, i, 100 * (most - d) // most))
        scored.sort()
        return [FuzzyMatch(percent, texts[i], self._targets[i], self._where[i])
                for _, i, percent in scored[:limit]]


def load_memory(catalogs: list[Path], display: Callable[[Path], str],
                external: Iterable[tuple[str, str, str]] = (),
                keep: dict[Path, tuple[bytes, object] | None] | None = None) -> Memory:
    """The reviewed pairs of `catalogs`, then the (source, target, where) pairs of external
    memories: a project's own reviewed translation of a sentence wins over an external one.
    Catalogs that are keys of `keep` are read once for both: their bytes and parsed catalog are
    left there for the caller."""
    memory = Memory()
    for path in catalogs:
        shown = display(path)
        if keep is not None and path in keep:
            data = read_bytes(path, shown, "PO file")
            po = catalog_from_bytes(data, shown)
            keep[path] = (data, po)
        else:
            po = read_catalog(path, shown)
        for entry in po:
            if is_reviewed(entry):
                memory.add(entry.msgid, entry.msgstr, f"{shown}:{entry.linenum}")
    for source, target, where in external:
        memory.add(source, target, where)
    return memory

