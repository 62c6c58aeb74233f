"""A deterministic stand-in for an MT model, for tests only.

It uses the product's own glossary-constraint path (`inject_terms`), then keeps only the Latin
script and digits, so its output is predictable: the injected English terms, the numbers, and a
stable tag derived from the source. It can be told to drop a term, or to fail on a given call.
"""

from __future__ import annotations

import hashlib
import re

from l10n.engines import TranslationRequest, inject_terms
from l10n.errors import TranslationAborted

NON_LATIN = re.compile(r"[^A-Za-z0-9.,;:()'\- ]+")


class FakeEngine:
    name = "fake"
    label = "marian"  # recorded as the configured engine, as a real one would be
    uses_context = False

    def __init__(self, model: str = "fake", batch_size: int = 8, drop: tuple[str, ...] = (),
                 interrupt_on_call: int | None = None, abort_on_call: int | None = None, repairs: bool = False):
        self.model_id = model
        self.batch_size = batch_size
        self.drop = set(drop)
        self.interrupt_on_call = interrupt_on_call
        self.abort_on_call = abort_on_call
        self.repairs = repairs
        self.calls = 0
        self.seen: list[str] = []

    def revise(self, batch: list[TranslationRequest], outputs: list[str], problems: list[list[str]]) -> list[list[str]]:
        """With `repairs`, a second attempt that keeps every glossary term; otherwise nothing new."""
        if not self.repairs:
            return [[] for _ in batch]
        self.calls += 1
        return [[self._render(r, r.terms)] for r in batch]

    def translate(self, batch: list[TranslationRequest]) -> list[str]:
        self.calls += 1
        if self.interrupt_on_call == self.calls:
            raise KeyboardInterrupt
        if self.abort_on_call == self.calls:
            raise TranslationAborted("generation failed (out of memory: simulated)", self.model_id)
        outputs = []
        for request in batch:
            self.seen.append(request.source)
            outputs.append(self._render(request, tuple(t for t in request.terms if t.zh not in self.drop)))
        return outputs

    @staticmethod
    def _render(request: TranslationRequest, terms) -> str:
        text = inject_terms(TranslationRequest(request.source, tuple(terms)))
        latin = " ".join(NON_LATIN.sub(" ", text).split())
        tag = hashlib.sha1(request.source.encode()).hexdigest()[:6]
        return f"{latin} [{tag}]".strip()
