"""An instruction-tuned causal LM as a translator (Qwen2.5-Instruct and similar chat models).

Unlike the seq2seq engines, the LLM reads the glossary in its prompt: the entries that match the
segment are listed with an instruction to use them exactly. A few reviewed examples from
translation memory and a few earlier sentences of the same document with their translations (for
names and coherence) come first, as earlier turns of the chat, so that a small model also sees
what an answer looks like (just the translation). The answer is cleaned (preambles, quotes, notes, code
fences, rambling after the first line). Without repair (`repair_rounds` 0), an answer that still
holds Chinese is asked for once more with a stricter instruction, and returned as it is after
that (the caller flags CJK leftovers); with repair, MT QA finds it and the revision turn asks again.
The examples are chosen once per call for all its segments (`shared_examples`), so that every
prompt opens with the same turns and a runtime computes them once.

The prompt, the cleaning, the retry and the revision turn live here and serve every runtime; a
runtime only turns chat conversations into raw answers (engines/llm_runtimes.py): transformers,
CTranslate2 (converted once, int8 on CPU; what `auto` picks when it is installed) or llama.cpp.
`--model` may be a hub id, a model directory, or a `.gguf` file. MT records name the runtime
(`engine=llm-ct2-int8`, `llm-llama-cpp`; plain `llm` is transformers at float32), so that switching
runtime re-translates the unreviewed entries.

Its options (`LLMOptions`, `[tool.l10n.engines.llm]`): runtime and quantization, context and
examples (how many earlier sentences and similar reviewed examples to show), beams and dtype
(transformers), and tokens_per_char (the bound on new tokens: 16 + this × source characters, at
most max_length).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import replace
from functools import lru_cache
from typing import Sequence

from ..errors import ChangeOption, ModelUnavailable
from ..script import CJK_LETTER_RUN, has_cjk_letters
from . import LLMOptions, TranslationRequest
from .llm_runtimes import Runtime, load_runtime

SYSTEM = (
    "You are a professional translator at an English-language news agency. "
    "Translate Chinese news text into accurate, fluent English in the style of English news reporting. "
    "Write Chinese personal and place names in pinyin. "
    "Translate every word: the answer must contain no Chinese characters. "
    "Output only the English translation of the segment you are given: no explanations, notes, "
    "quotation marks around it, or alternatives."
)
STRICT = (
    " Your answer must be written entirely in English and must not contain any Chinese characters: "
    "translate every word, and write Chinese names in pinyin."
)
GLOSSARY_HEAD = "Glossary: use these English terms exactly as given wherever the Chinese term occurs."
NUMBERS_HEAD = "Numbers: write these numbers in English as given (Chinese 万 and 亿 are 10,000 and 100 million)."
TASK_HEAD = "Translate this segment into English:"
STRICT_TASK = "Translate this segment into English, with no Chinese characters in your answer:"

def english_differs(written: str, english: str) -> bool:
    """Whether a number's English says more than its digits: 248.6亿美元 → US$24.86 billion does,
    2021 → 2,021 does not (a count's separator would mislead for a year)."""
    return bool(english) and english.replace(",", "") != written


def build_messages(request: TranslationRequest, n_context: int, n_examples: int, strict: bool = False,
                   previous: str = "", numbers: bool = True) -> list[dict]:
    """The chat messages that ask for the translation of `request.source`.

    A system message with the task; the `n_examples` best reviewed examples and then the
    `n_context` most recent context pairs (oldest first) as earlier user/assistant turns, so that
    the model sees the expected answer format; then the user turn with the glossary entries of
    `request.terms` (those matched in this segment; deduplicated, in source order) and the
    segment. With `numbers`, the segment's numbers whose English differs from how they are
    written (248.6亿美元 → US$24.86 billion; l10n.numbers computes them) are listed too: small
    models often get 亿 and 万 wrong by a factor of ten. `strict` demands an answer without
    Chinese; with `previous` (an earlier answer that kept Chinese), that answer and a request to
    correct it follow as two more turns.
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
    if numbers:
        shown = [f"{zh} → {en}" for zh, en in dict.fromkeys(request.numbers) if english_differs(zh, en)]
        if shown:
            parts.append(NUMBERS_HEAD + "\n" + "\n".join(shown))
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
PREFILLED_HEAD = "Here is the segment with its glossary terms and numbers already in English:"
REVISE_TAIL = "Correct them and give the whole translation again, and nothing else."


def prefilled_source(request: TranslationRequest) -> str:
    """The source with its glossary terms and its numbers written in English where they stand
    (中车长客打造的… → "CRRC Changchun Railway Vehicles 打造的…"), or '' when nothing changes.
    A small model that missed a term or a number when told about it copies it from here: the
    constraint is in the text it translates, as in code-switched input for lexically
    constrained MT."""
    from ..numbers import FULLWIDTH

    text = request.source
    plain = text.translate(FULLWIDTH)  # numbers are found on half-width digits; same length
    spans: list[tuple[int, int, str]] = []
    taken = [False] * len(text)

    def claim(start: int, end: int, english: str) -> None:
        if start < end and not any(taken[start:end]):
            taken[start:end] = [True] * (end - start)
            spans.append((start, end, english))

    for term in sorted(request.terms, key=lambda t: (-(t.end - t.start), t.start)):
        if 0 <= term.start < term.end <= len(text) and text[term.start:term.end] == term.zh and term.en:
            claim(term.start, term.end, term.en)
    for written, english in dict.fromkeys(request.numbers):
        if not english_differs(written, english):
            continue
        at = plain.find(written)
        while at >= 0 and any(taken[at:at + len(written)]):
            at = plain.find(written, at + 1)
        if at >= 0:
            claim(at, at + len(written), english)
    if not spans:
        return ""
    out, pos = [], 0
    for start, end, english in sorted(spans):
        out.append(text[pos:start])
        out.append(f" {english} ")
        pos = end
    out.append(text[pos:])
    return re.sub(r" +", " ", "".join(out)).strip()


def revision_messages(opening: list[dict], request: TranslationRequest, previous: str, problems: Sequence[str],
                      strict: bool = False) -> list[dict]:
    """The conversation that asks again: the prompt of the first answer as it was (`opening`: its
    system turn, examples, earlier sentences, glossary and numbers), that answer, and a turn that
    names what MT QA found wrong with it (l10n.repair), with the source as it reads with the
    glossary terms and numbers put in English (`prefilled_source`). Opening the way the first
    prompt did, the conversation costs only its new turns on a runtime that keeps prompts (the
    llama.cpp runtime; ct2 computes the shared turns of a call once). `strict` (for an answer
    that kept Chinese) adds the stricter instruction to the new turn."""
    messages = list(opening)
    messages.append({"role": "assistant", "content": previous})
    listed = "\n".join(f"- {problem}" for problem in problems)
    prefilled = prefilled_source(request)
    shown = f"\n{PREFILLED_HEAD}\n{prefilled}" if prefilled else ""
    tail = REVISE_TAIL + (STRICT if strict else "")
    messages.append({"role": "user", "content": f"{REVISE_HEAD}\n{listed}{shown}\n{tail}"})
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


class LLMEngine:
    name = "llm"
    uses_context = True  # pretranslate fills TranslationRequest.context and .examples for it
    # Findings that repair does not send back when they are a segment's only ones: asked again,
    # the 1.5B model cleared none of 5 glossary-count findings on the article (docs/mt-qa.md).
    unrepairable = frozenset({"glossary-count"})

    def __init__(self, options: LLMOptions, runtime: Runtime | None = None):
        self.model_id = options.model
        if not self.model_id:
            raise ModelUnavailable(
                "the llm engine needs an instruction (chat) model",
                remedy=(ChangeOption(("model",), "FILE.gguf|DIR|HUB-ID", verb="name one with"),),
            )
        self.options = options
        self.retries = 0
        self.n_context = options.context
        self.n_examples = options.examples
        self.runtime = runtime if runtime is not None else load_runtime(options)
        self.label = self.runtime.label  # as named in MT records
        # How many segments pre-translation hands over at once: a runtime that plans its own
        # batches finds more prompts of similar length in a larger pool. On a new document the
        # segments of one pool cannot see each other's translations as context
        # (bench/llm-context.md: no loss of chrF with pools of 32).
        self.pool_size = getattr(self.runtime, "pool_size", options.batch_size)
        self._shown: dict[str, tuple[tuple[str, str], ...]] = {}  # the examples each segment of the last call was shown

    @property
    def calls(self) -> int:
        return self.runtime.calls

    def messages(self, request: TranslationRequest, strict: bool = False, previous: str = "") -> list[dict]:
        return build_messages(request, self.n_context, self.n_examples, strict=strict, previous=previous,
                              numbers=self.options.number_glossary)

    def max_new_tokens(self, source: str) -> int:
        # English needs about 0.6 to 1.7 tokens per Chinese character; the bound only stops a
        # model that runs on (answers normally end at the end-of-turn token or the first line).
        return max(8, min(self.options.max_length, 16 + int(self.options.tokens_per_char * len(source))))

    def with_examples(self, batch: Sequence[TranslationRequest]) -> list[TranslationRequest]:
        """The requests with the examples their prompts show: with `shared_examples`, the same for
        the whole call (those of the last call for a segment it had, so that a revision opens
        with the prompt of the first answer)."""
        if not (self.n_examples and self.options.shared_examples):
            return list(batch)
        fresh = [r for r in batch if r.source not in self._shown]
        examples = shared_examples(fresh, self.n_examples) if fresh else ()
        return [replace(r, examples=self._shown.get(r.source, examples)) for r in batch]

    def translate(self, batch: Sequence[TranslationRequest]) -> list[str]:
        if not batch:
            return []
        self._shown = {}
        batch = self.with_examples(batch)
        self._shown = {r.source: r.examples for r in batch}
        limits = [self.max_new_tokens(r.source) for r in batch]
        texts = self.runtime.generate([self.messages(r) for r in batch], limits)
        results = [clean_output(text) for text in texts]
        if self.options.repair_rounds:
            # MT QA flags Chinese left in an answer, and repair asks again for it together with
            # the other findings: one more call for those segments, not two.
            return results
        retry = [i for i, text in enumerate(results) if has_cjk_letters(text) or not text]
        if retry:
            self.retries += len(retry)
            texts = self.runtime.generate(
                [self.messages(batch[i], strict=True, previous=results[i]) for i in retry],
                [limits[i] for i in retry],
            )
            for i, text in zip(retry, texts):
                again = clean_output(text)
                if again and (not has_cjk_letters(again) or not results[i]):
                    results[i] = again
        return results

    def revise(self, batch: Sequence[TranslationRequest], outputs: Sequence[str],
               problems: Sequence[Sequence[str]]) -> list[list[str]]:
        """New answers for outputs that failed MT QA, each of which names what is wrong.

        An answer whose only fault is words left in Chinese keeps its sentence: each word is asked
        for on its own, with the segment as its context, and put in its place (a short prompt and
        a few tokens instead of the whole segment again). Any other fault gets a follow-up turn
        (`revision_messages`); where that answer, or the first one, still holds Chinese, its words
        are filled in the same way, and every version is offered (MT QA keeps the one with the
        fewest findings, then the fewest Chinese characters left; a tie goes to the one offered
        first). The words of all answers are asked in one call after the revisions (put in the same
        call as the revision turns, they made the article's repair slower on llama.cpp: 105 s
        against 90 s)."""
        answers: list[list[str]] = [[] for _ in batch]
        words_only = {i for i in range(len(batch)) if has_cjk_letters(outputs[i]) and problems[i]
                      and all(getattr(p, "check", "") == "cjk-leftover" for p in problems[i])}
        whole = [i for i in range(len(batch)) if i not in words_only]
        if whole:
            requests = self.with_examples([batch[i] for i in whole])
            replies = self.runtime.generate(
                [revision_messages(self.messages(r), r, outputs[i], problems[i], has_cjk_letters(outputs[i]))
                 for i, r in zip(whole, requests)],
                [self.max_new_tokens(batch[i].source) for i in whole])
            for i, text in zip(whole, replies):
                answer = clean_output(text)
                if answer and not echoes(answer, problems[i]):
                    answers[i] = [answer]
        # Every answer that holds Chinese gets its words filled in: the revision, and the first
        # answer too (a revision can fix a term and make something else worse).
        revised = [(i, answers[i][0]) for i in whole if answers[i] and has_cjk_letters(answers[i][0])]
        firsts = [(i, outputs[i]) for i in range(len(batch)) if has_cjk_letters(outputs[i])]
        english = self._english_words(batch, revised + firsts)
        for i, text in revised + firsts:
            filled = fill_words(text, batch[i].source, english)
            if filled != text:
                answers[i].append(filled)
        return answers

    def _english_words(self, batch: Sequence[TranslationRequest],
                       texts: Sequence[tuple[int, str]]) -> dict[tuple[str, str], str]:
        """The English for each run of Chinese left in `texts` (each (i, answer to batch[i])), keyed
        by (segment, run): the name CC-CEDICT gives a word it lists only as a proper noun (长春 →
        Changchun: asked alone, the 1.5B model answered "Chongqing"), else the model's answer to a
        short question about the word in its sentence, all in one call ('' where the reply is no
        usable word)."""
        lexicon = _lexicon()
        english: dict[tuple[str, str], str] = {}
        asked: dict[tuple[str, str], None] = {}
        for i, text in texts:
            for run in CJK_LETTER_RUN.findall(text):
                pair = (batch[i].source, run)
                if pair in english or pair in asked:
                    continue
                if name := (lexicon.name(run) if lexicon is not None else ""):
                    english[pair] = name
                else:
                    asked[pair] = None
        if asked:
            replies = self.runtime.generate([word_messages(s, w) for s, w in asked], [WORD_TOKENS] * len(asked))
            english.update((pair, clean_word(reply)) for pair, reply in zip(asked, replies))
        return english


def fill_words(text: str, source: str, english: dict[tuple[str, str], str]) -> str:
    """`text` with each run of Chinese that `english` has an answer for (keyed by (source, run))
    replaced by it where the answer may stand (`plausible_word`), and full-width punctuation
    written the English way; a word with no usable answer stays as it is."""
    out = text
    for run in dict.fromkeys(CJK_LETTER_RUN.findall(text)):
        word = english.get((source, run))
        if word and plausible_word(run, word):
            out = splice(out, run, word)
    return english_punctuation(out)


WORD_TOKENS = 16
WORD_TASK = ("In the Chinese sentence above, what is the English for {word}? Answer with the English word or "
             "phrase only, as it would stand in an English translation of the sentence.")


def word_messages(source: str, word: str) -> list[dict]:
    """The conversation that asks for one word left in Chinese, with its sentence as context (the
    sentence first: the questions about one sentence open the same way)."""
    return [{"role": "system", "content": SYSTEM},
            {"role": "user", "content": f"{source}\n\n{WORD_TASK.format(word=word)}"}]


def clean_word(reply: str) -> str:
    """The English of a word as the model gave it, or '' when the reply is no short English phrase."""
    word = clean_output(reply).strip().rstrip(".;:,!?").strip()
    word = _strip_quotes(word)
    if not word or has_cjk_letters(word) or len(word.split()) > 6 or not re.search(r"[A-Za-z]", word):
        return ""
    return word


_PUNCTUATION = {"，": ", ", "、": ", ", "；": "; ", "：": ": ", "！": "! ", "？": "? ", "。": ". ",
                "（": " (", "）": ") ", "【": " [", "】": "] ", "《": " “", "》": "” "}


def english_punctuation(text: str) -> str:
    """Full-width punctuation left in an English answer written the English way (“奋勇争先”，with →
    “…”, with); a typographic fix, not a translation."""
    if not any(mark in text for mark in _PUNCTUATION):
        return text
    for mark, plain in _PUNCTUATION.items():
        text = text.replace(mark, plain)
    text = re.sub(r"\s+([,;:!?.)\]”])", r"\1", text)
    text = re.sub(r"([(\[“])\s+", r"\1", text)
    return " ".join(text.split())


@lru_cache(maxsize=1)
def _lexicon():
    from ..terms import load_lexicon

    return load_lexicon()


def plausible_word(run: str, english: str) -> bool:
    """Whether a word asked for on its own may stand in the translation. A common word may; a
    capitalised one (a name, mostly) only where the bilingual lexicon (CC-CEDICT, the `terms`
    extra) explains every character of it by its meaning or its pinyin: a small model asked for a
    name it left in Chinese tends to give another name (长春 → "Chongqing"), and a wrong name that
    no check can see is worse than Chinese that MT QA flags."""
    if not english[:1].isupper():
        return True
    lexicon = _lexicon()
    return lexicon is not None and lexicon.explainer(run)(english) >= set(range(len(run)))


def splice(text: str, run: str, english: str) -> str:
    """`text` with every occurrence of `run` replaced by `english`, with a space on each side where
    a word or punctuation that wants one touches it (local配套 rates → local supporting rates,
    President,莱希 said → President, Raisi said), not inside brackets or quotes."""
    out = re.sub(r"(?<=[A-Za-z0-9,;:.!?)\]”’%%])(?=%s)" % re.escape(run), " ", text)
    out = re.sub(r"(?<=%s)(?=[A-Za-z0-9(\[“‘])" % re.escape(run), " ", out)
    return " ".join(out.replace(run, english).split())


def shared_examples(batch: Sequence[TranslationRequest], k: int) -> tuple[tuple[str, str], ...]:
    """The `k` memory examples that serve the whole batch best: each request's examples (best
    first) vote by rank (Borda count; ties keep the order first seen). Every prompt of the batch
    then opens with the same turns (system and examples), which a runtime computes once for all
    (ct2's static prompt, llama.cpp's prompt cache) instead of once per segment: the examples
    mostly show the answer format and the house style, which does not need the nearest ones."""
    votes: dict[tuple[str, str], float] = defaultdict(float)
    sources = {request.source for request in batch}
    for request in batch:
        # A segment of the batch is no example for the others: the shared turns would show its
        # reviewed translation in its own prompt.
        shown = [(zh, en) for zh, en in request.examples if zh.strip() and en.strip() and zh not in sources]
        for rank, pair in enumerate(shown):
            votes[pair] += len(shown) - rank
    ranked = sorted(votes, key=lambda pair: -votes[pair])  # stable: first seen wins a tie
    return tuple(ranked[:k])


def echoes(answer: str, problems: Sequence[str]) -> bool:
    """Whether an answer repeats the feedback it was given instead of translating ("- translate
    every Chinese word: …"): such an answer is no candidate."""
    said = " ".join(answer.lstrip("-•* ").lower().split())
    return bool(said) and any(said in " ".join(p.lower().split()) or " ".join(p.lower().split()) in said
                              for p in problems if p.strip())
