"""l10n.repair: MT QA on each output against its own request, and repair rounds."""

from __future__ import annotations

from l10n.engines import TermHint, TranslationRequest
from l10n.repair import Translated, feedback, request_findings, translate_checked
from tests.fake_engine import FakeEngine

FUXING = "中车长客打造的复兴号列车。"
TERMS = (TermHint("中车长客", "CRRC Changchun Railway Vehicles", 0, 4), TermHint("复兴号", "Fuxing", 7, 10))


class Scripted:
    """An engine that answers from a script: first answers, then what each revision returns;
    it records what it was told."""

    name = label = "scripted"
    model_id = "scripted"
    uses_context = False

    def __init__(self, first: dict[str, str], revisions: dict[str, list[list[str]]]):
        self.first, self.revisions = first, revisions
        self.calls = 0
        self.told: list[list[str]] = []

    def translate(self, batch):
        self.calls += 1
        return [self.first[r.source] for r in batch]

    def revise(self, batch, outputs, problems):
        self.calls += 1
        self.told += [list(p) for p in problems]
        return [self.revisions[r.source].pop(0) if self.revisions.get(r.source) else [] for r in batch]


def test_request_findings_check_the_output_against_its_own_request():
    request = TranslationRequest("营收248.6亿美元。", block="paragraph")
    assert [f.check for f in request_findings(request, "Revenue was $248.6 billion.")] == ["numbers"]
    assert request_findings(request, "Revenue was US$24.86 billion.") == []
    request = TranslationRequest(FUXING, TERMS, block="paragraph")
    assert [f.check for f in request_findings(request, "CRRC Changchun Railway Vehicles built the Revival train.")] == ["glossary"]


def test_feedback_says_what_to_do():
    request = TranslationRequest("营收248.6亿美元。", block="paragraph")
    (finding,) = request_findings(request, "Revenue was $248.6 billion.")
    assert feedback(finding) == "248.6亿美元 must appear in the translation as US$24.86 billion"
    request = TranslationRequest(FUXING, TERMS, block="paragraph")
    (finding,) = request_findings(request, "CRRC Changchun Railway Vehicles built the train.")
    assert feedback(finding) == "复兴号 must be translated as 'Fuxing', each time it occurs"


def test_feedback_names_the_words_left_in_chinese():
    request = TranslationRequest("提高本地配套率。", block="paragraph")
    (finding,) = [f for f in request_findings(request, "Raise the local 配套 rate of 配套 parts。") if f.check == "cjk-leftover"]
    assert feedback(finding) == "translate 配套、。 as well: no Chinese characters or full-width punctuation may remain"


def test_control_characters_from_a_model_never_reach_the_catalog():
    # a model can emit them; no PO reader accepts them
    engine = Scripted({"看长春。": "Look at\x10 Changchun.\x00\n"}, {})
    assert translate_checked(engine, [TranslationRequest("看长春。", block="paragraph")]) == [
        Translated("Look at Changchun.", 0)]


def test_outputs_that_pass_cost_no_extra_call():
    engine = Scripted({"看长春。": "Look at Changchun."}, {})
    assert translate_checked(engine, [TranslationRequest("看长春。", block="paragraph")], max_rounds=2) == [
        Translated("Look at Changchun.", 0)]
    assert engine.calls == 1 and engine.told == []


def test_a_failing_output_is_repaired_and_the_rounds_counted():
    source = "营收248.6亿美元。"
    engine = Scripted({source: "Revenue was $248.6 billion."},
                      {source: [["Revenue was US$2.486 billion."], ["Revenue was US$24.86 billion."]]})
    result = translate_checked(engine, [TranslationRequest(source, block="paragraph")], max_rounds=3)
    assert result == [Translated("Revenue was US$24.86 billion.", 2)]
    assert engine.told == [["248.6亿美元 must appear in the translation as US$24.86 billion"]] * 2
    assert engine.calls == 3  # one translation, two repair rounds, and no third: it passes now


def test_repair_keeps_the_best_candidate_and_stops_when_nothing_improves():
    source = "营收248.6亿美元。"
    engine = Scripted({source: "Revenue was $248.6 billion."},
                      {source: [["Revenue was $248.6 billion, up 5%.", "完全没有翻译"], ["again wrong"]]})
    result = translate_checked(engine, [TranslationRequest(source, block="paragraph")], max_rounds=5)
    assert result == [Translated("Revenue was $248.6 billion.", 3)]  # no candidate had fewer findings
    assert engine.calls == 4  # the third revision brought nothing new: no fourth


def test_between_answers_with_as_many_findings_the_one_with_less_chinese_wins():
    source = "在长春奋勇争先。"
    engine = Scripted({source: "Striving in 长春 to 奋勇争先."},
                      {source: [["Striving in Changchun to 奋勇争先.", "Striving 在长春 to 奋勇争先."]]})
    result = translate_checked(engine, [TranslationRequest(source, block="paragraph")], max_rounds=1)
    assert result == [Translated("Striving in Changchun to 奋勇争先.", 1)]  # still flagged, with a name less in Chinese


def test_findings_the_engine_cannot_repair_cost_no_call_when_they_are_the_only_ones():
    source = "动车组和动车组。"
    request = TranslationRequest(source, terms=(TermHint("动车组", "EMU", 0, 3), TermHint("动车组", "EMU", 4, 7)),
                                 block="paragraph")
    engine = Scripted({source: "An EMU."}, {source: [["EMUs and EMUs."]]})
    assert [f.check for f in request_findings(request, "An EMU.")] == ["glossary-count"]
    assert translate_checked(engine, [request]) == [Translated("EMUs and EMUs.", 1)]
    engine = Scripted({source: "An EMU."}, {source: [["EMUs and EMUs."]]})
    engine.unrepairable = frozenset({"glossary-count"})
    assert translate_checked(engine, [request]) == [Translated("An EMU.", 0)] and engine.calls == 1


def test_an_n_best_list_asked_again_ends_the_rounds():
    source = "营收248.6亿美元。"
    engine = Scripted({source: "Revenue was $248.6 billion."}, {source: [["A $248.6 billion revenue."]] * 5})
    result = translate_checked(engine, [TranslationRequest(source, block="paragraph")], max_rounds=5)
    assert result == [Translated("Revenue was $248.6 billion.", 2)] and engine.calls == 3


def test_repair_rounds_are_bounded():
    source = "营收248.6亿美元，增长3倍。"
    engine = Scripted({source: "Revenue grew."},
                      {source: [["Revenue was US$24.86 billion."], ["Revenue was US$24.86 billion, up 3 times."]]})
    result = translate_checked(engine, [TranslationRequest(source, block="paragraph")], max_rounds=1)
    assert result == [Translated("Revenue was US$24.86 billion.", 1)]
    assert translate_checked(Scripted({source: "Revenue grew."}, {source: [["x"]]}),
                             [TranslationRequest(source, block="paragraph")], max_rounds=0) == [Translated("Revenue grew.", 0)]


def test_the_test_engine_repairs_a_dropped_glossary_term():
    request = TranslationRequest(FUXING, TERMS, block="paragraph")
    engine = FakeEngine(drop=("复兴号",), repairs=True)
    (result,) = translate_checked(engine, [request], max_rounds=1)
    assert "Fuxing" in result.text and result.rounds == 1
    (unrepaired,) = translate_checked(FakeEngine(drop=("复兴号",)), [request], max_rounds=1)
    assert "Fuxing" not in unrepaired.text and unrepaired.rounds == 1
