"""MT QA on every output as it comes from the engine, and repair of what fails.

`translate_checked` asks the engine for a batch, checks each output against its own request
(l10n.qa: numbers, glossary terms, leftover Chinese, brackets, the surface checks and the
symptoms of machine output), and gives the outputs that fail back to the engine, naming what is
wrong, for at most `max_rounds` rounds. What an engine does with that is its own: an instruction
LLM answers a follow-up turn ("248.6亿美元 is US$24.86 billion; translate again"), a seq2seq model
returns its n-best list. The best candidate wins: fewest findings, then fewest Chinese characters
left, then the model's own order.
Rounds go on while findings remain and the engine still comes up with answers it has not given
before (an n-best list asked twice does not). Outputs that pass cost no extra call.

This runs wherever the engine runs (in this process, or in a worker on a cluster); it needs
nothing but the requests. The QA that is recorded on the catalog entry is the driver's, with the
whole document in view (a short form counts only after its full form appeared earlier).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from . import qa
from .engines import Engine, TranslationRequest
from .glossary import Glossary, Term
from .script import CJK, one_line


@dataclass(frozen=True)
class Translated:
    text: str
    rounds: int = 0  # repair rounds this output took (0: the first answer stood)


def request_glossary(request: TranslationRequest) -> Glossary:
    """The glossary entries of one request as a glossary (any listed form counts)."""
    terms, seen = [], set()
    for hint in request.terms:
        if hint.zh not in seen:
            seen.add(hint.zh)
            terms.append(Term(hint.zh, hint.en, variants=tuple(hint.variants)))
    return Glossary("", terms)


def request_findings(request: TranslationRequest, output: str) -> list[qa.Finding]:
    segment = qa.Segment(request.source, " ".join(output.split()), request.block)
    return qa.check_segment(segment, qa.DocumentState(request_glossary(request)))


class Feedback(str):
    """What to tell the engine about one finding, in plain words; `check` names the finding's
    check, for an engine that repairs some kinds of finding its own way (the llm engine fills in
    words left in Chinese one by one). Engines that take plain strings see just the text."""

    check: str = ""


def feedback(finding: qa.Finding) -> Feedback:
    """What to tell the engine about one finding (`Feedback`)."""
    told = Feedback(_feedback_text(finding))
    told.check = finding.check
    return told


def _feedback_text(finding: qa.Finding) -> str:
    data = finding.data
    if finding.check == "numbers" and data.get("expected"):
        return f"{data['written']} must appear in the translation as {data['expected']}"
    if finding.check in ("glossary", "glossary-count") and data.get("en"):
        return f"{data['zh']} must be translated as {data['en']!r}, each time it occurs"
    if finding.check == "cjk-leftover":
        runs = "、".join(data.get("runs", ()))
        named = f"translate {runs} as well: " if runs else "translate every Chinese word: "
        return named + "no Chinese characters or full-width punctuation may remain"
    if finding.check == "omission":
        return "translate every sentence of the source: part of it is missing from your translation"
    if finding.check == "repetition":
        return "do not repeat words or phrases: " + finding.message
    if finding.check in ("no-english", "language"):
        return "answer in English only"
    return finding.message


def _weight(findings: Sequence[qa.Finding], text: str) -> tuple[int, int]:
    """How bad an answer is: its findings, then (between answers with as many) the Chinese
    characters left in it (a name filled in and an idiom still in Chinese is better than both
    still in Chinese)."""
    return len(findings), len(CJK.findall(text))


def translate_checked(engine: Engine, batch: Sequence[TranslationRequest], max_rounds: int = 1) -> list[Translated]:
    """The engine's translations of `batch`, each checked and, where it fails, repaired."""
    outputs = engine.translate(batch)
    if len(outputs) != len(batch):
        return [Translated(o) for o in outputs]  # the caller reports the mismatch
    texts = [one_line(o) for o in outputs]  # checked as it will be recorded
    findings = [request_findings(r, t) for r, t in zip(batch, texts)]
    rounds = [0] * len(batch)
    seen = [{t} for t in texts]
    # What the engine says it cannot repair (the llm: a term rendered fewer times than the source
    # has it) is left flagged for the translator without another call.
    hopeless = frozenset(getattr(engine, "unrepairable", ()))
    pending = [i for i, found in enumerate(findings) if found and not {f.check for f in found} <= hopeless]
    for _ in range(max_rounds):
        if not pending:
            break
        candidates = engine.revise([batch[i] for i in pending], [texts[i] for i in pending],
                                   [[feedback(f) for f in findings[i]] for i in pending])
        still = []
        for i, options in zip(pending, candidates):
            rounds[i] += 1
            fresh = [o for o in map(one_line, options) if o and o not in seen[i]]
            seen[i].update(fresh)
            for option in fresh:
                found = request_findings(batch[i], option)
                if _weight(found, option) < _weight(findings[i], texts[i]):
                    texts[i], findings[i] = option, found
            if findings[i] and fresh:
                still.append(i)  # not clean yet, and the engine still has new answers: try again
        pending = still
    return [Translated(t, r) for t, r in zip(texts, rounds)]
