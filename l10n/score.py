"""MT quality against the reviewed references: sacrebleu BLEU, chrF and TER, plus glossary term accuracy.

A pair is scored when an entry has both an MT record for its current source text and a reviewed
msgstr. Every corpus figure carries its sacrebleu signature, so it can be reproduced with the
sacrebleu command line (`sacrebleu ref.txt -i hyp.txt -m bleu chrf ter`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import polib

from .glossary import Glossary
from .notes import get_notes
from .pofile import is_reviewed
from .problems import shorten
from .qa import Assessment, Segment, assess_document, describe


@dataclass
class Pair:
    msgid: str
    hypothesis: str
    reference: str
    line: int  # of the entry in the PO file
    source: str = ""  # path:line of the segment in the source text
    chrf: float = 0.0
    assessment: Assessment | None = None  # MT QA of the MT output (l10n.qa)


@dataclass
class ScoreReport:
    pairs: list[Pair] = field(default_factory=list)
    entries: int = 0
    not_scored: Counter = field(default_factory=Counter)
    bleu: float | None = None
    chrf: float | None = None
    ter: float | None = None
    signatures: dict[str, str] = field(default_factory=dict)
    terms_total: int = 0
    terms_ok: int = 0
    models: Counter = field(default_factory=Counter)
    qa_checked: int = 0  # MT outputs of current sources, scored or not
    qa_passed: int = 0
    qa_problems: Counter = field(default_factory=Counter)  # check id → MT outputs it flags
    _assessed: list = field(default_factory=list, repr=False)  # (segments, pairs) per catalog

    @property
    def qa_pass_rate(self) -> float | None:
        return self.qa_passed / self.qa_checked if self.qa_checked else None

    @property
    def term_accuracy(self) -> float | None:
        return self.terms_ok / self.terms_total if self.terms_total else None

    def as_dict(self) -> dict:
        return {
            "entries": self.entries,
            "scored": len(self.pairs),
            "not_scored": dict(sorted(self.not_scored.items())),
            "bleu": self.bleu,
            "chrf": self.chrf,
            "ter": self.ter,
            "signatures": self.signatures,
            "term_accuracy": self.term_accuracy,
            "terms_ok": self.terms_ok,
            "terms_total": self.terms_total,
            "mt_qa_pass_rate": self.qa_pass_rate,
            "mt_qa_passed": self.qa_passed,
            "mt_qa_checked": self.qa_checked,
            "mt_qa_problems": dict(sorted(self.qa_problems.items())),
            "mt_models": dict(sorted(self.models.items())),
            "segments": [
                {"line": p.line, "where": p.source, "source": p.msgid, "mt": p.hypothesis, "reference": p.reference,
                 "chrf": round(p.chrf, 2), "mt_qa": [describe(f) for f in p.assessment.findings] if p.assessment else []}
                for p in self.pairs
            ],
        }


def collect_pairs(po: polib.POFile, report: ScoreReport) -> None:
    """The scored pairs of one catalog; its MT outputs, in document order, for MT QA."""
    segments: list[tuple[Segment, Pair | None]] = []
    for entry in po:
        if entry.obsolete:
            continue
        report.entries += 1
        notes = get_notes(entry)
        mt = notes.mt_for(entry.msgid)
        pair = None
        if mt is None:
            report.not_scored["no MT output recorded" + (" (taken from memory)" if notes.origin else "")] += 1
        elif not entry.msgstr:
            report.not_scored["no reference (untranslated)"] += 1
        elif not is_reviewed(entry):
            report.not_scored["no reference (fuzzy, not reviewed yet)"] += 1
        else:
            where = ":".join(entry.occurrences[0]) if entry.occurrences else ""
            pair = Pair(entry.msgid, mt, entry.msgstr, entry.msgstr_line, where)
            report.pairs.append(pair)
            model = next((part[6:] for part in notes.mt_key.split() if part.startswith("model=")), "?")
            report.models[model] += 1
        if mt is not None:
            segments.append((Segment(entry.msgid, mt, notes.block), pair))
    report._assessed.append(segments)


METRICS = ("bleu", "chrf", "ter")


def compute(report: ScoreReport, glossary: Glossary, metrics: tuple[str, ...] = METRICS,
            per_segment: bool = True) -> ScoreReport:
    """Corpus `metrics` (TER is by far the slowest: seconds for a few dozen long sentences, so the
    CI gate, which does not use it, leaves it out), per-segment chrF, and glossary term accuracy."""
    from sacrebleu.metrics import BLEU, CHRF, TER

    assess_mt(report, glossary)
    if not report.pairs:
        return report
    hyps = [p.hypothesis for p in report.pairs]
    refs = [[p.reference for p in report.pairs]]
    for name, metric in (("bleu", BLEU), ("chrf", CHRF), ("ter", TER)):
        if name not in metrics:
            continue
        metric = metric()
        result = metric.corpus_score(hyps, refs)
        setattr(report, name, round(result.score, 2))
        report.signatures[name] = str(metric.get_signature())
    if per_segment:
        sentence = CHRF()
        for pair in report.pairs:
            pair.chrf = sentence.sentence_score(pair.hypothesis, [pair.reference]).score
    return report


def assess_mt(report: ScoreReport, glossary: Glossary) -> None:
    """MT QA of every recorded MT output, each catalog read as a document; glossary term accuracy
    of the scored pairs (term occurrences rendered, a short form only after its full form)."""
    for segments in report._assessed:
        for (segment, pair), assessment in zip(segments, assess_document([s for s, _ in segments], glossary)):
            report.qa_checked += 1
            report.qa_passed += assessment.passed
            report.qa_problems.update({f.check for f in assessment.findings})
            if pair is not None:
                pair.assessment = assessment
                report.terms_total += assessment.terms_needed
                report.terms_ok += assessment.terms_found
    report._assessed.clear()


def score_catalogs(catalogs: list[tuple[str, polib.POFile]], glossary: Glossary,
                   metrics: tuple[str, ...] = METRICS, per_segment: bool = True) -> ScoreReport:
    report = ScoreReport()
    for _, po in catalogs:
        collect_pairs(po, report)
    return compute(report, glossary, metrics, per_segment)


@dataclass
class SegmentScores:
    """What the review page shows per segment: chrF of the MT against the reviewed translation,
    and what MT QA finds in the MT output."""

    chrf: dict[str, float] = field(default_factory=dict)
    mt_qa: dict[str, tuple[str, ...]] = field(default_factory=dict)


def segment_scores(po: polib.POFile, glossary: Glossary) -> SegmentScores:
    report = ScoreReport()
    collect_pairs(po, report)
    scores = SegmentScores()
    for segments in report._assessed:
        for (segment, _), assessment in zip(segments, assess_document([s for s, _ in segments], glossary)):
            if assessment.findings:
                scores.mt_qa[segment.source] = tuple(describe(f) for f in assessment.findings)
    report._assessed.clear()
    if report.pairs:
        from sacrebleu.metrics import CHRF

        metric = CHRF()
        scores.chrf = {p.msgid: metric.sentence_score(p.hypothesis, [p.reference]).score for p in report.pairs}
    return scores


def format_report(report: ScoreReport, names: list[str], worst: int = 10) -> str:
    lines = [f"MT quality for {', '.join(names)}"]
    lines.append(f"coverage: {len(report.pairs)} of {report.entries} entries scored")
    for reason, count in sorted(report.not_scored.items()):
        lines.append(f"  not scored: {count} ({reason})")
    if report.models:
        lines.append("MT from: " + ", ".join(f"{m} ({n})" for m, n in sorted(report.models.items())))
    if not report.pairs:
        lines.append("nothing to score: no entry has both an MT record and a reviewed translation")
        return "\n".join(lines)
    lines.append(f"BLEU = {report.bleu:.2f}   {report.signatures['bleu']}")
    lines.append(f"chrF = {report.chrf:.2f}   {report.signatures['chrf']}")
    lines.append(f"TER  = {report.ter:.2f}   {report.signatures['ter']}")
    if report.term_accuracy is None:
        lines.append("glossary term accuracy: n/a (no glossary terms in the scored sources)")
    else:
        lines.append(f"glossary term accuracy: {100 * report.term_accuracy:.1f}% ({report.terms_ok}/{report.terms_total} term occurrences)")
    if report.qa_pass_rate is not None:
        flagged = ", ".join(f"{check} {n}" for check, n in report.qa_problems.most_common())
        lines.append(f"MT QA pass rate: {100 * report.qa_pass_rate:.1f}% ({report.qa_passed}/{report.qa_checked} MT outputs"
                     + (f"; flagged: {flagged})" if flagged else ")"))
    lines.append(f"worst segments by chrF (of {len(report.pairs)}):")
    for pair in sorted(report.pairs, key=lambda p: (p.chrf, p.line))[:worst]:
        lines.append(f"  {pair.chrf:6.2f}  {pair.source or f'line {pair.line}'}: {shorten(pair.msgid, 40)}")
        lines.append(f"          MT:  {shorten(pair.hypothesis, 100)}")
        lines.append(f"          ref: {shorten(pair.reference, 100)}")
    return "\n".join(lines)
