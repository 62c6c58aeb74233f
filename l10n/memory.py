"""Translation memory: the reviewed entries of every catalog under the target directory.

Exact matches are reused instead of calling a model; similar pairs (l10n.similarity) serve as
examples for engines that take them in a prompt.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from .pofile import catalog_from_bytes, is_reviewed, read_catalog
from .similarity import BigramIndex
from .textio import read_bytes


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


def load_memory(catalogs: list[Path], display: Callable[[Path], str],
                keep: dict[Path, tuple[bytes, object] | None] | None = None) -> Memory:
    """The reviewed entries of `catalogs`. Catalogs that are keys of `keep` are read once for
    both: their bytes and parsed catalog are left there for the caller."""
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
    return memory
