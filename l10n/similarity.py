"""How alike two Chinese segments are, and an index that finds the alike ones fast.

Chinese has no spaces, so segments are compared as strings of characters. Candidates are found
through shared character bigrams (an inverted index, so a lookup touches only segments that
share something); the ranking measure is chosen by the caller: the Dice coefficient of the bigram
sets (cheap, for prompt examples) or difflib's ratio (for msgmerge-style fuzzy matching).
"""

from __future__ import annotations

from array import array
from collections import defaultdict


def char_bigrams(text: str) -> set[str]:
    """The set of adjacent character pairs; a one-character text is its own only 'bigram'."""
    return {text[i:i + 2] for i in range(len(text) - 1)} or {text}


def dice(a: set[str], b: set[str], shared: int | None = None) -> float:
    """Dice coefficient of two bigram sets (1.0: identical sets)."""
    if shared is None:
        shared = len(a & b)
    return 2 * shared / (len(a) + len(b)) if a or b else 1.0


class BigramIndex:
    """Texts indexed by their character bigrams; `candidates` counts shared bigrams per text.

    Postings are compact integer arrays and each text keeps only the number of its distinct
    bigrams, so a memory of 100,000 segments stays in tens of megabytes."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.sizes = array("I")  # distinct bigrams per text
        self.lengths = array("I")  # characters per text
        self._postings: dict[str, array] = defaultdict(lambda: array("I"))

    def __len__(self) -> int:
        return len(self.texts)

    def add(self, text: str) -> int:
        """Index `text`; returns its position (the key for `candidates`)."""
        position = len(self.texts)
        grams = char_bigrams(text)
        self.texts.append(text)
        self.sizes.append(len(grams))
        self.lengths.append(len(text))
        for gram in grams:
            self._postings[gram].append(position)
        return position

    def postings(self, gram: str) -> array | None:
        """The positions of the texts that contain `gram` (ascending), or None."""
        return self._postings.get(gram)

    def grams(self, position: int) -> set[str]:
        return char_bigrams(self.texts[position])

    def candidates(self, text: str) -> tuple[set[str], dict[int, int]]:
        """(bigrams of `text`, {position: number of bigrams shared with it}) for every indexed
        text that shares at least one bigram."""
        grams = char_bigrams(text)
        shared: dict[int, int] = defaultdict(int)
        for gram in grams:
            for position in self._postings.get(gram, ()):
                shared[position] += 1
        return grams, shared

    def most_similar(self, text: str, k: int, skip: str | None = None) -> list[int]:
        """Positions of up to `k` texts with the highest Dice coefficient to `text`, best first
        (ties: earlier first); a text equal to `skip` is left out."""
        if k <= 0:
            return []
        grams, shared = self.candidates(text)
        size = len(grams)
        scored = sorted(
            (-2 * n / (size + self.sizes[i]), i) for i, n in shared.items() if self.texts[i] != skip
        )
        return [i for _, i in scored[:k]]
