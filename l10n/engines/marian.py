"""The reference engine: a transformers sequence-to-sequence model (MarianMT, opus-mt-zh-en by default)."""

from __future__ import annotations

from typing import Sequence

from . import MarianOptions, TranslationRequest, generation_failed, inject_terms, longest_first, missing_packages
from .loading import from_pretrained, resolve_device


class MarianEngine:
    name = "marian"
    label = "marian"  # as named in MT records (see engines.engine_label)
    uses_context = False

    def __init__(self, options: MarianOptions):
        try:
            import torch
            from transformers import AutoModelForSeq2SeqLM, AutoTokenizer
        except ImportError as err:
            raise missing_packages(err, "marian") from None
        model = self.model_id = options.model
        self.options = options
        self.calls = 0
        if options.threads:
            torch.set_num_threads(options.threads)
        self.device = resolve_device(options.device)
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        self.tokenizer = from_pretrained(AutoTokenizer, model)
        self.model = from_pretrained(AutoModelForSeq2SeqLM, model)
        self.model.to(self.device)
        self.model.eval()

    def translate(self, batch: Sequence[TranslationRequest]) -> list[str]:
        return [hypotheses[0] for hypotheses in self._generate(batch, 1)]

    def revise(self, batch: Sequence[TranslationRequest], outputs: Sequence[str],
               problems: Sequence[Sequence[str]]) -> list[list[str]]:
        """The n-best list of each segment (the problems cannot be told to a seq2seq model: the
        caller picks the hypothesis that passes MT QA)."""
        return self._generate(batch, max(2, self.options.beams))

    def _generate(self, batch: Sequence[TranslationRequest], hypotheses: int) -> list[list[str]]:
        import torch

        if not batch:
            return []
        sources = [inject_terms(r) for r in batch]
        results: list[list[str]] = [[] for _ in batch]
        order = longest_first(sources, key=len)
        size = max(1, self.options.batch_size)
        beams = max(self.options.beams, hypotheses)
        for start in range(0, len(order), size):
            chunk = order[start:start + size]
            inputs = self.tokenizer(
                [sources[i] for i in chunk],
                return_tensors="pt",
                padding=True,
                truncation=True,
                max_length=self.options.max_length,
            ).to(self.device)
            try:
                with torch.inference_mode():
                    self.calls += 1
                    output = self.model.generate(
                        **inputs,
                        num_beams=beams,
                        num_return_sequences=hypotheses,
                        max_length=self.options.max_length,
                        do_sample=False,
                    )
            except (RuntimeError, MemoryError) as err:
                raise generation_failed(err, self.model_id) from None
            texts = self.tokenizer.batch_decode(output, skip_special_tokens=True)
            for k, i in enumerate(chunk):
                results[i] = [" ".join(t.split()) for t in texts[k * hypotheses:(k + 1) * hypotheses]]
        return results
