"""An instruction-tuned causal LM as a translator (Qwen2.5-Instruct and similar chat models).

Unlike the seq2seq engines, the LLM reads the glossary in its prompt: the entries that match the
segment are listed with an instruction to use them exactly. A few reviewed examples from
translation memory and a few earlier sentences of the same document with their translations (for
names and coherence) come first, as earlier turns of the chat, so that a small model also sees
what an answer looks like (just the translation). The answer is cleaned (preambles, quotes, notes, code
fences, rambling after the first line); an answer that still holds Chinese is asked for once more
with a stricter instruction, and returned as it is after that (the caller flags CJK leftovers).

`--model` may be a hub id, a model directory, or a `.gguf` file (needs the optional `gguf` and
`accelerate` packages; transformers dequantizes it on load, to float32 by default on a CPU:
bfloat16 was no faster there, see bench/llm-results.md).

Its options (`LLMOptions`, `[tool.l10n.engines.llm]`): context and examples (how many earlier
sentences and similar reviewed examples to show), beams, dtype, and tokens_per_char (the bound on
new tokens: 16 + this × source characters, at most max_length).
"""

from __future__ import annotations

import os
import re
from typing import Sequence

from ..errors import ChangeOption, ModelUnavailable
from ..script import CJK_LETTER_RUN, has_cjk_letters
from . import LLMOptions, TranslationRequest, generation_failed, longest_first, missing_packages
from .loading import from_pretrained, resolve_device

SYSTEM = (
    "You are a professional translator at an English-language news agency. "
    "Translate Chinese news text into accurate, fluent English in the style of English news reporting. "
    "Write Chinese personal and place names in pinyin. "
    "Output only the English translation of the segment you are given: no explanations, notes, "
    "quotation marks around it, or alternatives."
)
STRICT = (
    " Your answer must be written entirely in English and must not contain any Chinese characters: "
    "translate every word, and write Chinese names in pinyin."
)
GLOSSARY_HEAD = "Glossary: use these English terms exactly as given wherever the Chinese term occurs."
TASK_HEAD = "Translate this segment into English:"
STRICT_TASK = "Translate this segment into English, with no Chinese characters in your answer:"

def build_messages(request: TranslationRequest, n_context: int, n_examples: int, strict: bool = False,
                   previous: str = "") -> list[dict]:
    """The chat messages that ask for the translation of `request.source`.

    A system message with the task; the `n_examples` best reviewed examples and then the
    `n_context` most recent context pairs (oldest first) as earlier user/assistant turns, so that
    the model sees the expected answer format; then the user turn with the glossary entries of
    `request.terms` (those matched in this segment; deduplicated, in source order) and the
    segment. `strict` demands an answer without Chinese; with `previous` (an earlier answer that
    kept Chinese), that answer and a request to correct it follow as two more turns.
    """
    messages = [{"role": "system", "content": SYSTEM + (STRICT if strict else "")}]
    examples = [(zh, en) for zh, en in request.examples if zh.strip() and en.strip()][:max(0, n_examples)]
    context = [(zh, en) for zh, en in request.context if zh.strip() and en.strip()]
    context = context[-n_context:] if n_context > 0 else []
    for zh, en in examples + context:
        messages.append({"role": "user", "content": f"{TASK_HEAD}\n{zh}"})
        messages.append({"role": "assistant", "content": en})
    seen: set[tuple[str, str]] = set()
    lines: list[str] = []
    for term in sorted(request.terms, key=lambda t: (t.start, t.end)):
        key = (term.zh, term.en)
        if key not in seen:
            seen.add(key)
            lines.append(f"{term.zh} → {term.en}")
    parts = [GLOSSARY_HEAD + "\n" + "\n".join(lines)] if lines else []
    parts.append(f"{STRICT_TASK if strict else TASK_HEAD}\n{request.source}")
    messages.append({"role": "user", "content": "\n\n".join(parts)})
    if strict and previous:
        leftovers = "、".join(dict.fromkeys(CJK_LETTER_RUN.findall(previous)))
        messages.append({"role": "assistant", "content": previous})
        messages.append({"role": "user", "content": (
            f"Your translation still contains Chinese ({leftovers}). Translate those words as well and "
            "give the whole translation again, in English only."
        )})
    return messages


REVISE_HEAD = "Your translation has these problems:"
REVISE_TAIL = "Correct them and give the whole translation again, and nothing else."


def revision_messages(request: TranslationRequest, n_context: int, n_examples: int, previous: str,
                      problems: Sequence[str]) -> list[dict]:
    """The conversation that asks again: the first request, the earlier answer, and a turn that
    names what MT QA found wrong with it (l10n.repair)."""
    messages = build_messages(request, n_context, n_examples)
    messages.append({"role": "assistant", "content": previous})
    listed = "\n".join(f"- {problem}" for problem in problems)
    messages.append({"role": "user", "content": f"{REVISE_HEAD}\n{listed}\n{REVISE_TAIL}"})
    return messages


_PREAMBLE = re.compile(
    r"^\s*(?:\*\*)?(?:"
    r"(?:sure|certainly|okay|of course)[.!,]\s*"  # "Sure! ", "Certainly, "
    r"|here(?:'s| is| are)\b[^:\n]*?:"  # "Here is the translation:", "Here's the English version:"
    r"|(?:the\s+)?(?:english\s+)?(?:translation|translated text|version)(?:\s+in\s+english)?(?:\s*\([^)]*\))?\s*[:：]"
    r"|english(?:\s+translation)?\s*[:：]"
    r"|(?:译文|翻译|英文)\s*[:：]"
    r")(?:\*\*)?\s*",
    re.IGNORECASE,
)
_NOTE_TAIL = re.compile(
    r"\s*(?:"
    r"\((?:translator'?s?\s+)?notes?\b[^)]*\)?"  # (Note: …) / (Note …)
    r"|\[(?:translator'?s?\s+)?notes?\b[^\]]*\]?"
    r"|(?:\*\*)?\b(?:translator'?s?\s+)?notes?(?:\*\*)?\s*[:：].*"  # Note: …
    r")\s*$",
    re.IGNORECASE | re.DOTALL,
)
_SOURCE_LABEL = re.compile(r"(?:\*\*)?(?:chinese|source|original|原文|中文)(?:\*\*)?\s*[:：](?:\*\*)?\s*(.*)", re.IGNORECASE)
_QUOTES = {'"': '"', "“": "”", "'": "'", "‘": "’", "「": "」", "『": "』", "«": "»"}


def _strip_preamble(line: str) -> str:
    while True:
        stripped = _PREAMBLE.sub("", line, count=1)
        if stripped == line:
            return line
        line = stripped


def _strip_quotes(text: str) -> str:
    while len(text) >= 2 and text[0] in _QUOTES and text[-1] == _QUOTES[text[0]]:
        inner = text[1:-1]
        if text[0] in inner or _QUOTES[text[0]] in inner:  # "a" and "b": not one surrounding pair
            break
        text = inner.strip()
    return text


def clean_output(text: str) -> str:
    """The translation alone: without preamble, surrounding quotes, trailing notes, code fences or
    anything after the first line of the answer; whitespace collapsed."""
    answer = ""
    for raw in text.replace("\r\n", "\n").split("\n"):
        line = raw.strip()
        if line.startswith("```") or line.startswith("~~~"):
            line = line.lstrip("`~").strip()
            if re.fullmatch(r"[A-Za-z0-9_+-]*", line):  # a fence, maybe with a language name
                continue
        line = _strip_preamble(line).strip()
        if not line or re.fullmatch(r"[-=*_#]+", line):
            continue
        if re.match(r"[(\[]?(?:\*\*)?(?:translator'?s?\s+)?notes?(?:\*\*)?\s*[:：]", line, re.IGNORECASE):
            continue
        if re.search(r"translat\w*\b[^:：]*[:：]$", line, re.IGNORECASE):  # "… the translation is:"
            continue
        label = _SOURCE_LABEL.match(line)
        if label:
            if has_cjk_letters(label.group(1)) or not label.group(1).strip():  # an echo of the source
                continue
            line = label.group(1).strip()
        answer = line
        break
    answer = answer.strip("`").strip()
    if answer.startswith("**") and answer.endswith("**") and len(answer) > 4:
        answer = answer[2:-2].strip()
    for _ in range(2):
        answer = _NOTE_TAIL.sub("", answer).strip()
        answer = _strip_quotes(answer)
    return " ".join(answer.split())


def answer_complete(text: str) -> bool:
    """Whether a partial generation already holds a complete first line of answer (then the model
    can stop: everything after it would be dropped by `clean_output`)."""
    if "\n" not in text:
        return False
    head, _, _ = text.rstrip(" \t").rpartition("\n")
    return bool(clean_output(head + "\n"))


def _dtype(name: str, device: str):
    """The torch dtype for the `dtype` option (validated by LLMOptions): float32 on CPU, where
    bfloat16 was no faster (bench/llm-results.md), bfloat16 on CUDA."""
    import torch

    if not name:
        return torch.float32 if device == "cpu" else torch.bfloat16
    return "auto" if name == "auto" else getattr(torch, name)


class LLMEngine:
    name = "llm"
    label = "llm"
    uses_context = True  # pretranslate fills TranslationRequest.context and .examples for it

    def __init__(self, options: LLMOptions):
        try:
            import torch
            from transformers import AutoModelForCausalLM, AutoTokenizer
        except ImportError as err:
            raise missing_packages(err, "llm") from None
        model = self.model_id = options.model
        if not model:
            raise ModelUnavailable(
                "the llm engine needs an instruction (chat) model",
                remedy=(ChangeOption(("model",), "FILE.gguf|DIR|HUB-ID", verb="name one with"),),
            )
        self.options = options
        self.calls = 0
        self.retries = 0
        self.n_context = options.context
        self.n_examples = options.examples
        self.beams = options.beams
        self.tokens_per_char = options.tokens_per_char
        if options.threads:
            torch.set_num_threads(options.threads)
        self.device = resolve_device(options.device)
        dtype = _dtype(options.dtype, self.device)

        location, kwargs = model, {}
        path = os.path.expanduser(model)
        if os.path.isdir(path) and not os.path.exists(os.path.join(path, "config.json")):
            ggufs = sorted(f for f in os.listdir(path) if f.lower().endswith(".gguf"))
            if len(ggufs) == 1:  # a directory holding one GGUF file
                path = os.path.join(path, ggufs[0])
        if path.lower().endswith(".gguf"):
            if not os.path.isfile(path):
                raise ModelUnavailable("no such .gguf file; pass the path of a downloaded GGUF model", model)
            try:
                import accelerate  # noqa: F401  (transformers needs both to load GGUF)
                import gguf  # noqa: F401
            except ImportError as err:
                raise ModelUnavailable(
                    f"loading a .gguf model needs the optional packages `gguf` and `accelerate` ({err.name} is "
                    "missing); install them with `pip install -e '.[llm]'`, or give a transformers model directory",
                    model,
                ) from None
            location, kwargs = os.path.dirname(os.path.abspath(path)), {"gguf_file": os.path.basename(path)}
        self.tokenizer = from_pretrained(AutoTokenizer, location, **kwargs)
        if not getattr(self.tokenizer, "chat_template", None):
            raise ModelUnavailable(
                "this model's tokenizer has no chat template; the llm engine needs an instruction (chat) model", model
            )
        self.tokenizer.padding_side = "left"
        if self.tokenizer.pad_token_id is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self.model = from_pretrained(AutoModelForCausalLM, location, dtype=dtype, **kwargs)
        self.model.to(self.device)
        self.model.eval()
        self.stop_ids = self._stop_ids()

    def _stop_ids(self) -> list[int]:
        ids: list[int] = []
        candidates = [self.tokenizer.eos_token_id, getattr(self.model.generation_config, "eos_token_id", None)]
        for token in ("<|im_end|>", "<|endoftext|>", "<|eot_id|>", "<end_of_turn>"):
            if token in self.tokenizer.get_vocab():
                candidates.append(self.tokenizer.convert_tokens_to_ids(token))
        for c in candidates:
            for i in (c if isinstance(c, (list, tuple)) else [c]):
                if isinstance(i, int) and i not in ids:
                    ids.append(i)
        return ids

    def max_new_tokens(self, source: str) -> int:
        # English needs about 0.6 to 1.7 tokens per Chinese character; the bound only stops a
        # model that runs on (answers normally end at the end-of-turn token or the first line).
        return max(8, min(self.options.max_length, 16 + int(self.tokens_per_char * len(source))))

    def translate(self, batch: Sequence[TranslationRequest]) -> list[str]:
        if not batch:
            return []
        results: list[str] = [""] * len(batch)
        size = max(1, self.options.batch_size)
        # Similar lengths together: less padding, and a batch stops when its longest answer ends.
        order = longest_first(batch, key=lambda r: len(r.source))
        for start in range(0, len(order), size):
            chunk = order[start:start + size]
            texts = self._generate([build_messages(batch[i], self.n_context, self.n_examples) for i in chunk],
                                   max(self.max_new_tokens(batch[i].source) for i in chunk))
            retry: list[int] = []
            for i, text in zip(chunk, texts):
                results[i] = clean_output(text)
                if has_cjk_letters(results[i]) or not results[i]:
                    retry.append(i)
            if retry:
                self.retries += len(retry)
                texts = self._generate(
                    [build_messages(batch[i], self.n_context, self.n_examples, strict=True, previous=results[i])
                     for i in retry],
                    max(self.max_new_tokens(batch[i].source) for i in retry),
                )
                for i, text in zip(retry, texts):
                    again = clean_output(text)
                    if again and (not has_cjk_letters(again) or not results[i]):
                        results[i] = again
        return results

    def revise(self, batch: Sequence[TranslationRequest], outputs: Sequence[str],
               problems: Sequence[Sequence[str]]) -> list[list[str]]:
        """A follow-up turn per segment naming what is wrong with its answer; one new answer each."""
        results: list[list[str]] = [[] for _ in batch]
        size = max(1, self.options.batch_size)
        order = longest_first(batch, key=lambda r: len(r.source))
        for start in range(0, len(order), size):
            chunk = order[start:start + size]
            texts = self._generate(
                [revision_messages(batch[i], self.n_context, self.n_examples, outputs[i], problems[i]) for i in chunk],
                max(self.max_new_tokens(batch[i].source) for i in chunk))
            for i, text in zip(chunk, texts):
                answer = clean_output(text)
                results[i] = [answer] if answer else []
        return results

    def _generate(self, conversations: list[list[dict]], max_new_tokens: int) -> list[str]:
        """One `generate` call for a batch of conversations; the raw decoded answers."""
        import torch
        from transformers import StoppingCriteria, StoppingCriteriaList

        prompts = [
            self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
            for messages in conversations
        ]
        inputs = self.tokenizer(prompts, return_tensors="pt", padding=True, add_special_tokens=False).to(self.device)
        prompt_len = inputs["input_ids"].shape[1]
        tokenizer = self.tokenizer

        class FirstLineDone(StoppingCriteria):
            def __call__(self, input_ids, scores, **kwargs):
                if input_ids.shape[1] - prompt_len < 4:
                    return torch.zeros(input_ids.shape[0], dtype=torch.bool, device=input_ids.device)
                # The last token only matters when it may carry a line break: decode rarely.
                tails = tokenizer.batch_decode(input_ids[:, -1:], skip_special_tokens=True)
                done = []
                for row, tail in zip(input_ids, tails):
                    done.append("\n" in tail and answer_complete(
                        tokenizer.decode(row[prompt_len:], skip_special_tokens=True)))
                return torch.tensor(done, dtype=torch.bool, device=input_ids.device)

        try:
            with torch.inference_mode():
                self.calls += 1
                output = self.model.generate(
                    **inputs,
                    do_sample=False,
                    num_beams=self.beams,
                    max_new_tokens=max_new_tokens,
                    eos_token_id=self.stop_ids or None,
                    pad_token_id=self.tokenizer.pad_token_id,
                    stopping_criteria=StoppingCriteriaList([FirstLineDone()]),
                    temperature=None,
                    top_p=None,
                    top_k=None,
                )
        except (RuntimeError, MemoryError) as err:
            raise generation_failed(err, self.model_id, (ChangeOption(("batch_size",), verb="lower"),
                                                         ChangeOption(("device",), "cpu"))) from None
        return self.tokenizer.batch_decode(output[:, prompt_len:], skip_special_tokens=True)
