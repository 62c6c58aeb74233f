"""Translation memory: the reviewed entries of every catalog under the target directory.

Exact matches are reused instead of calling a model; similar pairs (character-bigram overlap,
a cheap measure that suits Chinese) serve as examples for engines that take them in a prompt.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from .catalog import is_reviewed, read_catalog


@dataclass
class Memory:
    exact: dict[str, tuple[str, str]] = field(default_factory=dict)  # msgid → (msgstr, where)
    _pairs: list[tuple[str, str]] = field(default_factory=list)
    _index: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))

    def add(self, msgid: str, msgstr: str, where: str) -> None:
        if msgid in self.exact:
            return
        self.exact[msgid] = (msgstr, where)
        n = len(self._pairs)
        self._pairs.append((msgid, msgstr))
        for gram in _bigrams(msgid):
            self._index[gram].append(n)

    def similar(self, text: str, k: int, exclude: str | None = None) -> list[tuple[str, str]]:
        """Up to k reviewed pairs most similar to `text` (Dice coefficient on character bigrams)."""
        if k <= 0 or not self._pairs:
            return []
        grams = _bigrams(text)
        counts: dict[int, int] = defaultdict(int)
        for gram in grams:
            for i in self._index.get(gram, ()):
                counts[i] += 1
        scored = []
        for i, shared in counts.items():
            source = self._pairs[i][0]
            if source == (exclude or text):
                continue
            dice = 2 * shared / (len(grams) + len(_bigrams(source)))
            scored.append((-dice, i))
        scored.sort()
        return [self._pairs[i] for _, i in scored[:k]]


def _bigrams(text: str) -> set[str]:
    return {text[i:i + 2] for i in range(len(text) - 1)} or {text}


def load_memory(catalogs: list[Path], display) -> Memory:
    memory = Memory()
    for path in catalogs:
        shown = display(path)
        po = read_catalog(path, shown)
        for entry in po:
            if is_reviewed(entry):
                memory.add(entry.msgid, entry.msgstr, f"{shown}:{entry.linenum}")
    return memory
