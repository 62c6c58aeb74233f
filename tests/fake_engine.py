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

# Module-level loaders with the signature of l10n.engines.load_engine: Ray workers import them by
# name, so a run on a local cluster can use the test engines too.

def _labelled(engine: FakeEngine, name: str, options) -> FakeEngine:
    from l10n.engines import engine_label

    engine.label = engine_label(name, options)  # recorded as the engine asked for, as a real one would be
    return engine


def load_fake(name, options) -> FakeEngine:
    return _labelled(FakeEngine(model=options.model, batch_size=options.batch_size), name, options)


class SlowEngine(FakeEngine):
    """Takes a moment per call, so that a run can be interrupted, or a worker killed, part-way."""

    delay_s = 0.15

    def translate(self, batch):
        import os
        import time

        time.sleep(float(os.environ.get("FAKE_ENGINE_DELAY_S", self.delay_s)))
        return super().translate(batch)


def load_slow(name, options) -> FakeEngine:
    return _labelled(SlowEngine(model=options.model, batch_size=options.batch_size), name, options)


class ContextEngine(FakeEngine):
    """Reads context like the llm engine: each output carries a digest of the earlier sentences
    and examples it was given, so a request built from a different context gives another output."""

    uses_context = True
    empty_digest = "<" + hashlib.sha1(repr(((), ())).encode()).hexdigest()[:6] + ">"  # no context, no examples

    def translate(self, batch):
        outputs = super().translate(batch)
        return [f"{text} <{hashlib.sha1(repr((r.context, r.examples)).encode()).hexdigest()[:6]}>"
                for text, r in zip(outputs, batch)]


def load_context(name, options) -> FakeEngine:
    return _labelled(ContextEngine(model=options.model, batch_size=options.batch_size), name, options)
