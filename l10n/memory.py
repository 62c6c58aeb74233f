"""Translation memory: the reviewed entries of every catalog under the target directory.

Exact matches are reused instead of calling a model; similar pairs (l10n.similarity) serve as
examples for engines that take them in a prompt.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from .pofile import is_reviewed, read_catalog
from .similarity import BigramIndex


class Memory:
    def __init__(self) -> None:
        self.exact: dict[str, tuple[str, str]] = {}  # msgid → (msgstr, where)
        self._index = BigramIndex()
        self._targets: list[str] = []

    def add(self, msgid: str, msgstr: str, where: str) -> None:
        if msgid in self.exact:
            return
        self.exact[msgid] = (msgstr, where)
        self._index.add(msgid)
        self._targets.append(msgstr)

    def similar(self, text: str, k: int) -> list[tuple[str, str]]:
        """Up to k reviewed pairs most similar to `text` (Dice coefficient on character bigrams),
        best first; `text` itself is not among them."""
        return [(self._index.texts[i], self._targets[i]) for i in self._index.most_similar(text, k, skip=text)]


def load_memory(catalogs: list[Path], display: Callable[[Path], str]) -> Memory:
    memory = Memory()
    for path in catalogs:
        shown = display(path)
        for entry in read_catalog(path, shown):
            if is_reviewed(entry):
                memory.add(entry.msgid, entry.msgstr, f"{shown}:{entry.linenum}")
    return memory
