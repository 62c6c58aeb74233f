"""l10n.qa: the segment checks as pure functions over (Chinese source, English target)."""

from __future__ import annotations

import pytest

from l10n import qa
from l10n.glossary import Glossary, Term, parse_glossary
from l10n.qa import DocumentState, Segment, check_document, check_segment, parse_allow


def run(check_id: str, source: str, target: str, block: str = "paragraph", document: DocumentState | None = None):
    return qa.CHECKS[check_id].func(Segment(source, target, block), document or DocumentState())


def messages(check_id: str, source: str, target: str, block: str = "paragraph", document=None) -> list[str]:
    return [f.message for f in run(check_id, source, target, block, document)]


# --- doubled words -----------------------------------------------------------------------

@pytest.mark.check("doubled-word")
def test_doubled_word():
    assert messages("doubled-word", "中车长客打造的列车。", "A train built by by CRRC Changchun.") == ["doubled word: 'by by'"]
    assert messages("doubled-word", "源。", "The the train.") == ["doubled word: 'The the'"]
    assert messages("doubled-word", "源。", "A train built by CRRC Changchun.") == []


@pytest.mark.check("doubled-word")
def test_doubled_word_leaves_legitimate_pairs_and_source_names_alone():
    assert messages("doubled-word", "他说。", "What he had had was enough; he said that that was all.") == []
    assert messages("doubled-word", "他去了Bora Bora。", "He went to Bora Bora.") == []
    assert messages("doubled-word", "源。", "the end. End of story") == []   # punctuation between


# --- whitespace ----------------------------------------------------------------------------

@pytest.mark.check("edge-whitespace")
def test_edge_whitespace():
    assert messages("edge-whitespace", "一路高歌！", " A triumphant march!") == [
        "leading whitespace ' ' that the source does not have"]
    assert messages("edge-whitespace", "一路高歌！", "A triumphant march!\u00a0") == [
        "trailing whitespace '\\xa0' that the source does not have"]
    assert messages("edge-whitespace", "一路高歌！", "A triumphant march!") == []
    assert messages("edge-whitespace", " 一路高歌！ ", " A triumphant march! ") == []   # the source has them too


@pytest.mark.check("edge-whitespace")
def test_edge_whitespace_leaves_line_breaks_to_po_syntax():
    assert messages("edge-whitespace", "一路高歌！", "A triumphant march!\n") == []


@pytest.mark.check("double-space")
def test_double_space():
    assert messages("double-space", "源。", "Good news  is pouring in.") == ["2 spaces after 'news'"]
    assert messages("double-space", "源。", "Good news is pouring in.") == []
    assert messages("double-space", "表格：A  B", "Table: A  B") == []   # copied from the source


# --- verbatim ------------------------------------------------------------------------------

@pytest.mark.check("verbatim")
def test_urls_emails_and_codes_are_found_in_the_source():
    source = "详见https://www.changchun.gov.cn/zw/2023/list.html，或发邮件至info@ccgov.cn，股票代码600519.SH，参见xinhuanet.com。"
    assert qa.verbatim_items(source) == [
        ("URL", "https://www.changchun.gov.cn/zw/2023/list.html"),
        ("e-mail address", "info@ccgov.cn"),
        ("code", "600519.SH"),
        ("web address", "xinhuanet.com"),
    ]


@pytest.mark.check("verbatim")
def test_verbatim():
    source = "详见www.changchun.gov.cn，或发邮件至Info@ccgov.cn。"
    good = "See www.changchun.gov.cn or write to info@ccgov.cn."
    assert messages("verbatim", source, good) == []      # e-mail addresses compare without case
    assert messages("verbatim", source, good.replace("gov.cn", "gov.com", 1)) == [
        "URL www.changchun.gov.cn is not in the translation; copy it verbatim"]
    assert messages("verbatim", source, good.replace("info@", "infos@")) == [
        "e-mail address Info@ccgov.cn is not in the translation; copy it verbatim"]
    assert messages("verbatim", "长春高端装备制造。", "Changchun.") == []


# --- sentence shape --------------------------------------------------------------------------

@pytest.mark.check("final-punctuation")
@pytest.mark.parametrize("source, target", [
    ("一路高歌，捷报频传！", "A triumphant march, with good news pouring in!"),
    ("一路高歌，捷报频传！", "A triumphant march, with good news pouring in."),     # ！ may become a full stop
    ("他问：“为什么？”", "He asked: “Why?”"),
    ("新兴产业创新崛起……", "emerging industries are rising..."),
    ("新兴产业创新崛起……", "emerging industries are rising…"),
    ("本版图片为资料图片", "Photos on this page are file photos."),                  # no sentence end in the source
    ("中车长客国家级工业设计中心正式揭牌；", "The center was unveiled;"),
])
def test_final_punctuation_accepts(source, target):
    assert messages("final-punctuation", source, target) == []


@pytest.mark.check("final-punctuation")
def test_final_punctuation_missing():
    assert messages("final-punctuation", "高端装备制造产业正逢其时。", "The time has come for the industry") == [
        "the source ends the sentence with 。 but the translation does not end with . ! ? or …: '…come for the industry'"]
    assert messages("final-punctuation", "他问：“为什么？”", "He asked: “Why”") != []


@pytest.mark.check("final-punctuation")
@pytest.mark.parametrize("block", ["heading", "kicker", "headline", "subtitle", "byline"])
def test_final_punctuation_leaves_titles_alone(block):
    assert messages("final-punctuation", "奋力提升挺“脊梁”。", "Pushing Hard to Strengthen the Backbone", block) == []


@pytest.mark.check("capitalization")
def test_capitalization():
    assert messages("capitalization", "长春高端装备制造蒸蒸日上。", "changchun’s high-end equipment manufacturing is thriving.") == [
        "the translation starts with a lower-case letter: 'changchun’s high-end equipment …'"]
    assert messages("capitalization", "源。", "“china speed” is the word.") != []


@pytest.mark.check("capitalization")
@pytest.mark.parametrize("source, target", [
    ("长春高端装备制造蒸蒸日上。", "Changchun’s high-end equipment manufacturing is thriving."),
    ("iPhone 15发布。", "iPhone 15 is out."),          # a Latin word of the source
    ("新品发布。", "eBay listed the product."),        # mixed case brand
    ("2023年，长春收获满满。", "2023 was a rich year for Changchun."),
    ("“金名片”持续领跑。", "“Golden calling cards” keep leading."),
    ("……", "..."),
])
def test_capitalization_accepts(source, target):
    assert messages("capitalization", source, target) == []


# --- the checks that already existed, as pure functions ------------------------------------

@pytest.mark.check("cjk-leftover")
def test_cjk_leftover():
    assert messages("cjk-leftover", "复兴号。", "The 复兴号 train！") == [
        "Chinese characters or full-width punctuation left in the translation: 复兴号, ！"]
    # the words as they stand, in order, each once (not a sorted set of characters)
    assert messages("cjk-leftover", "配套赛道。", "local 配套 rates on new 赛道 and 配套 parts") == [
        "Chinese characters or full-width punctuation left in the translation: 配套, 赛道"]


@pytest.mark.check("brackets-quotes")
def test_brackets_quotes():
    assert messages("brackets-quotes", "源。", "China Railway (CRCHI") == ["unclosed '('"]
    assert messages("brackets-quotes", "源。", "the “Backbone") == ["unclosed '“'"]
    assert messages("brackets-quotes", "源。", "China’s ‘first’ train") == []


@pytest.mark.check("numbers")
def test_numbers_findings_carry_written_and_expected():
    [finding] = run("numbers", "出口额达248.6亿美元。", "Exports reached 248.6 billion dollars.")
    assert finding.message == "missing number: 248.6亿美元 → expected US$24.86 billion"
    assert finding.data == {"written": "248.6亿美元", "expected": "US$24.86 billion", "kind": "money"}
    [identifier] = run("numbers", "平台02A01星", "the Pingtai 2A01 satellite")
    assert identifier.message == "identifier 02A01 is not in the translation; copy it verbatim"


# --- glossary ---------------------------------------------------------------------------------

BUREAU_CSV = """zh,en,note,variants
长春市工信局,Changchun Municipal Bureau of Industry and Information Technology,,short:the bureau
中车长客,CRRC Changchun Railway Vehicles,,short:CRRC Changchun
中车长春轨道客车,CRRC Changchun Railway Vehicles,,short:CRRC Changchun
动车组,EMU,,bullet train|electric multiple unit
"""


def bureau_glossary() -> Glossary:
    terms, problems = parse_glossary(BUREAU_CSV, "g.csv")
    assert problems == []
    return Glossary("g.csv", terms)


def test_short_prefix_marks_short_forms_and_keeps_the_digest():
    glossary = bureau_glossary()
    bureau = glossary.terms[0]
    assert bureau.variants == ("the bureau",) and bureau.short == ("the bureau",)
    assert bureau.full_forms == ("Changchun Municipal Bureau of Industry and Information Technology",)
    plain = Glossary("g.csv", [Term(t.zh, t.en, t.note, t.line, t.variants) for t in glossary.terms])
    assert plain.digest == glossary.digest    # the marking does not change what MT is asked for


def test_empty_short_form_is_a_glossary_problem():
    _, problems = parse_glossary("zh,en,note,variants\n复兴号,Fuxing,,short:\n", "g.csv")
    assert [(p.line, p.message) for p in problems] == [(2, "empty short form in the variants cell of 复兴号")]


@pytest.mark.check("glossary")
def test_short_form_counts_only_after_the_full_form():
    glossary = bureau_glossary()
    first = Segment("长春市工信局助力招商引资。", "The bureau helped attract investment.")
    later = Segment("长春市工信局再加力度。", "The bureau has stepped up its efforts.")
    results = check_document([first, later], glossary, only=("glossary",))
    assert [f.message for f in results[0]] == [
        "长春市工信局 must be translated as 'Changchun Municipal Bureau of Industry and Information Technology' "
        "(g.csv:2); 'the bureau' is a short form, allowed only after the full form has appeared"]
    assert results[1] != []     # the full form has still not appeared

    introduced = Segment("长春市工信局助力招商引资。", "The Changchun Municipal Bureau of Industry and Information "
                         "Technology helped attract investment.")
    assert check_document([introduced, later], glossary, only=("glossary",)) == [[], []]


@pytest.mark.check("glossary")
def test_plain_variants_count_anywhere():
    glossary = bureau_glossary()
    assert check_document([Segment("复兴号动车组。", "A Fuxing bullet train.")], glossary, only=("glossary",)) == [[]]


@pytest.mark.check("glossary-count")
def test_glossary_count_per_term():
    glossary = bureau_glossary()
    source = "长春市工信局对政策文件信息，每次都传达给企业，长春市工信局总是积极提供帮助。"
    both = ("The Changchun Municipal Bureau of Industry and Information Technology passes on documents, and "
            "the bureau is always ready to help.")
    assert check_document([Segment(source, both)], glossary, only=("glossary-count",)) == [[]]
    one = both.replace("the bureau is", "it is")
    [[finding]] = check_document([Segment(source, one)], glossary, only=("glossary-count",))
    assert finding.data["source_count"] == 2 and finding.data["target_count"] == 1
    assert finding.message.startswith("长春市工信局 occurs 2 times in the source but "
                                      "'Changchun Municipal Bureau of Industry and Information Technology' "
                                      "(or a variant) only 1 time in the translation (g.csv:2)")


@pytest.mark.check("glossary-count")
def test_glossary_count_does_not_count_a_rendering_twice():
    glossary = bureau_glossary()
    # two terms, one English form: the translation needs it twice
    source = "中车长客与中车长春轨道客车"
    once = Segment(source, "CRRC Changchun Railway Vehicles and its plant")
    twice = Segment(source, "CRRC Changchun Railway Vehicles and CRRC Changchun Railway Vehicles")
    assert check_document([twice], glossary, only=("glossary", "glossary-count")) == [[]]
    assert [f.check for f in check_document([once], glossary, only=("glossary", "glossary-count"))[0]] == ["glossary"]
    # the full form holds the short form: one rendering, not two
    counts = qa.glossary_counts("中车长客，中车长客", "CRRC Changchun Railway Vehicles", glossary, DocumentState(glossary))
    assert [(c.needed, c.found) for c in counts] == [(2, 1)]


# --- suppression ------------------------------------------------------------------------------

def test_parse_allow():
    comment = ("Translator note\nl10n: allow glossary-count double-space — the table is aligned\n"
               "l10n: allow numbers, verbatim: see the editor\nl10n: MT missed glossary terms: 复兴号 → Fuxing")
    assert parse_allow(comment) == (frozenset({"glossary-count", "double-space", "numbers", "verbatim"}), [])
    assert parse_allow("l10n: allow Numbers") == (frozenset(), ["Numbers"])
    assert parse_allow("allow numbers") == (frozenset(), [])   # not an l10n line


def test_check_segment_honours_allow():
    segment = Segment("一路高歌！", "A  triumphant march", "paragraph")
    assert sorted(f.check for f in check_segment(segment)) == ["double-space", "final-punctuation"]
    allowed = Segment(segment.source, segment.target, segment.block, frozenset({"double-space"}))
    assert [f.check for f in check_segment(allowed)] == ["final-punctuation"]


# --- symptoms of machine output (MT QA only) ----------------------------------------------------

def test_mt_only_checks_are_not_run_on_reviewed_translations():
    mt_only = {i for i, spec in qa.CHECKS.items() if spec.mt_only}
    assert mt_only == {"omission", "repetition", "no-english", "language"}
    assert not mt_only & set(qa.translation_checks())
    from l10n.checks import REGISTRY

    assert not mt_only & set(REGISTRY)


@pytest.mark.check("omission")
def test_omission_flags_a_dropped_sentence_or_a_stub():
    source = "长春市今年新增规模以上工业企业95户。全市轨道交通装备产业实现产值500亿元，同比增长12%。"
    whole = ("Changchun added 95 industrial enterprises above designated size this year. The city's rail transit "
             "equipment industry reached an output value of 50 billion yuan, up 12% year on year.")
    assert messages("omission", source, whole) == []
    dropped = "Changchun added 95 industrial enterprises above designated size this year."
    assert messages("omission", source, dropped) == [
        "part of the source seems to be missing: 1 sentence(s) for 2 in the source, and only 2.1 English characters "
        "per Chinese one"]
    stub = "Changchun added enterprises."
    assert messages("omission", source, stub)[0].startswith("part of the source seems to be missing: 28 characters")
    assert messages("omission", "看长春", "Focus") == []  # too short to judge


@pytest.mark.check("repetition")
def test_repetition_flags_generation_loops():
    source = "长春轨道客车股份有限公司研制的列车。"
    assert messages("repetition", source, "The train made by the the the the company.") == [
        "'the' repeats 4 times in a row (a generation loop)"]
    loop = "The train of the company, the train of the company, the train of the company."
    assert messages("repetition", source, loop)[0].endswith("' repeats 3 times in a row (a generation loop)")
    runaway = "A train " + "and more " * 60
    assert messages("repetition", source, runaway)[0].startswith("the output runs on:")
    assert messages("repetition", source, "The train built by CRRC Changchun Railway Vehicles Co., Ltd.") == []
    assert messages("repetition", "源。", "Very, very good.") == []  # twice is English


@pytest.mark.check("no-english")
def test_no_english_flags_output_left_in_chinese():
    assert messages("no-english", "长春高端装备制造业蓬勃发展。", "长春高端装备制造业蓬勃发展。") == [
        "the output has no English words (left untranslated?): 长春高端装备制造业蓬勃发展。"]
    assert messages("no-english", "长春高端装备制造业蓬勃发展。", "") == [
        "the output has no English words (left untranslated?): (empty)"]
    assert messages("no-english", "2023年", "2023") == []  # a number needs no words
    assert messages("no-english", "长春高端装备制造业蓬勃发展。", "Changchun's equipment industry is booming.") == []


@pytest.mark.check("language")
def test_language_flags_other_scripts_and_non_english():
    assert messages("language", "长春。", "Город Чанчунь развивается.") == [
        "the output is not English: it has Cyrillic (ГородЧ)"]
    assert messages("language", "长春。", "Chángchūn de gāoduān zhuāngbèi.")[0].startswith(
        "the output is not English: it has pinyin with tone marks")
    assert messages("language", "长春的高端装备制造业。", "Le secteur des équipements haut de gamme progresse vite à Changchun, "
                    "dit le rapport publié hier soir") == [
        "the output does not read as English (none of its words is an English function word): "
        "'le secteur des quipements haut de gamme progresse …'"]
    assert messages("language", "长春的高端装备制造业。", "Changchun's high-end equipment manufacturing is thriving.") == []
    # a headline has no function words, and is English all the same
    assert messages("language", "新华全媒+丨北京青少年冰球联赛助燃冬奥热情-新华网",
                    "Newsworthy: Beijing Youth Ice Hockey League Boosts Winter Olympics Spirit - Xinhua News") == []
