"""Term candidates, renderings aligned on reviewed entries, the `terms` command, and the
`consistency` check."""

from __future__ import annotations

import csv
import shutil
import sys

import pytest

from l10n import pofile
from l10n.consistency import inconsistencies
from l10n.terms import (Aligner, Candidate, Lexicon, Pair, Place, english_tokens, extract_candidates, propose_by_mt,
                        quoted_spans, recurring_ngrams)
from tests.conftest import ROOT, make_project

# --- candidates ------------------------------------------------------------------------


def test_quoted_spans_are_names_not_quoted_sentences():
    text = "面向全国“揭榜挂帅”，出台《长春市行动计划》，他说：“我们要加油，继续努力！”"
    assert list(quoted_spans(text)) == ["揭榜挂帅", "长春市行动计划"]


def test_recurring_ngrams_keep_maximal_free_units():
    texts = ["星辰重工发布新产品。", "星辰重工扩大生产。", "据悉星辰重工签约。"]
    grams = recurring_ngrams(texts)
    assert grams == {"星辰重工": 3}  # 星辰, 辰重工 … only ever occur inside it


def test_recurring_ngram_always_followed_by_the_same_character_is_a_fragment():
    texts = ["中车长客打造列车。", "中车长客中标。", "中车长春下线。"]
    grams = recurring_ngrams(texts)
    assert "中车长客" in grams
    assert "中车长" not in grams  # followed by 客 in two of three occurrences


class WordTagger:
    """A tagger for tests: the given words, tagged as given, and every other character alone."""

    def __init__(self, words: dict[str, str]):
        self.words = words

    def tag(self, text):
        out, i = [], 0
        while i < len(text):
            for word in sorted(self.words, key=len, reverse=True):
                if text.startswith(word, i):
                    out.append((word, self.words[word]))
                    i += len(word)
                    break
            else:
                out.append((text[i], "x" if text[i] in "，。、“”" else "zg"))
                i += 1
        return out

    def commonness(self, word):
        return 4.0 if word == "企业" else 0.0


def _places(*texts):
    return [Place("doc", "source/zh/doc.txt", n + 1, t) for n, t in enumerate(texts)]


def test_candidates_rank_names_and_leave_out_the_glossary():
    tagger = WordTagger({"泰盟": "ns", "机械": "n", "企业": "n", "星辰重工": "nt", "的": "uj", "发布": "v", "产品": "n"})
    places = _places("泰盟机械的企业。", "星辰重工的企业。", "星辰重工发布产品。")
    ranked = [c.zh for c in extract_candidates(places, tagger, covered=lambda zh: False)]
    assert ranked[0] == "星辰重工"  # a proper noun, recurring
    assert "泰盟机械" in ranked
    assert "企业" not in ranked[:ranked.index("泰盟机械")]  # a very common word ranks low
    covered = {"星辰重工"}.__contains__
    assert "星辰重工" not in [c.zh for c in extract_candidates(places, tagger, covered)]


def test_jieba_keeps_glossary_terms_whole():
    pytest.importorskip("jieba")
    from l10n.terms import load_tagger

    plain = [w for w, _ in load_tagger().tag("中车长客中标国内地铁项目")]
    assert "中车长客" not in plain  # jieba alone splits the company name
    fed = [w for w, _ in load_tagger(["中车长客"]).tag("中车长客中标国内地铁项目")]
    assert fed[0] == "中车长客"


def test_name_heads_close_names_after_a_body_of_two_characters():
    from l10n.terms import name_head

    assert name_head("长春市工信局") == "局" and name_head("宽城区") == "区"
    assert name_head("太原卫星发射中心") == "中心" and name_head("中车长客股份公司") == "股份公司"
    assert name_head("社会") == name_head("全部") == name_head("有限公司") == ""  # 社|会, 全|部: no body


def test_a_designation_or_a_model_code_closes_a_product_name():
    from l10n.terms import name_head

    assert name_head("天宫三号乙") == "号" and name_head("神舟五号B") == "号"  # a model series, lettered
    assert name_head("风云05B") == "05B" and name_head("海洋02C3") == "02C3"  # a model code
    assert name_head("全省36") == name_head("产量5000") == ""  # a number is not a code
    assert name_head("风云05B星") == ""  # the kind of thing after the code is not part of the name
    tagger = WordTagger({"风云": "nz", "05B": "eng", "星": "n", "发射": "v", "卫星": "n"})
    kinds = {c.zh: c.kinds for c in extract_candidates(_places("发射风云05B星。", "风云05B卫星发射。"), tagger,
                                                       covered=lambda zh: False)}
    assert "named" in kinds["风云05B"] and "named" not in kinds.get("风云05B星", set())


def test_items_of_an_enumeration_are_units():
    from l10n.terms import termhood

    tagger = WordTagger({"加快": "v", "推广": "v", "风电": "n", "设备": "n", "光伏": "n", "组件": "n", "储能": "n",
                         "电池": "n", "等": "u", "工厂": "n", "生产": "vn"})
    places = _places("加快推广风电设备、光伏组件、储能电池等。", "工厂生产光伏组件。")
    found = {c.zh: c for c in extract_candidates(places, tagger, covered=lambda zh: False)}
    # first item (after the verb that governs the list), middle item, last item (before 等)
    assert all("listed" in found[zh].kinds for zh in ("风电设备", "光伏组件", "储能电池"))
    none = Candidate("")
    assert not any("listed" in found.get(zh, none).kinds for zh in ("组件", "电池", "设备", "推广风电设备"))  # parts, or more
    listed = Candidate("储能电池", frequency=1, kinds={"chunk", "listed"}, independent=1, places=places[:1])
    assert termhood(listed) > termhood(Candidate("储能电池", frequency=1, kinds={"chunk"}, independent=1, places=places[:1]))


def test_a_stem_always_written_with_a_bracketed_qualifier_passes_its_recurrence_on():
    from l10n.terms import _bracketed_forms

    places = _places("推动首批（件）上市。", "支持首批（件、套）应用。")
    stem = Candidate("首批", frequency=2, places=places, kinds={"recurring"})
    forms = [Candidate("首批（件）", frequency=1, places=places[:1], kinds={"chunk"}),
             Candidate("首批（件、套）", frequency=1, places=places[1:], kinds={"chunk"})]
    _bracketed_forms([stem, *forms])
    assert all("recurring" in f.kinds for f in forms)
    loose = _places("推动首批（件）上市。", "首批产品应用。")  # once without the brackets: the stem is a unit
    forms = [Candidate("首批（件）", frequency=1, places=loose[:1], kinds={"chunk"})]
    _bracketed_forms([Candidate("首批", frequency=2, places=loose, kinds={"recurring"}), *forms])
    assert "recurring" not in forms[0].kinds


def test_a_coordinated_ministry_name_is_one_candidate():
    from l10n.terms import coordinated_names

    tokens = [("签约", "v"), ("与", "p"), ("塞尔维亚", "nrt"), ("建设", "vn"), ("、", "x"), ("交通", "n"), ("和", "c"),
              ("基础设施", "n"), ("部", "n"), ("签署", "v")]
    assert list(coordinated_names(tokens)) == ["塞尔维亚建设、交通和基础设施部"]
    assert list(coordinated_names([("交通", "n"), ("部", "n")])) == []  # nothing coordinated: a plain chunk


def test_a_fragment_is_a_unit_when_its_neighbour_is_a_word():
    from l10n.terms import _fragment

    texts = ["复兴号亚智能动车组下线。", "以复兴号亚智能动车组为代表。", "特别是复兴号亚智能动车组。"]
    places = _places(*texts)
    cand = Candidate("亚智能动车组", frequency=3, places=places)
    assert _fragment(cand)  # always after 号: on its own, a piece of something longer
    assert not _fragment(cand, known={"复兴号"}.__contains__)  # … but 号 closes the word 复兴号
    piece = Candidate("中车长", frequency=2, places=_places("中车长客中标。", "推动中车长客发展。"))
    assert _fragment(piece, known={"复兴号"}.__contains__)  # 客 opens no word here


def test_nested_candidates_count_only_their_own_occurrences():
    tagger = WordTagger({"高端": "n", "装备": "n", "制造": "v", "蒸蒸日上": "i", "是": "v", "源泉": "n", "的": "uj", "发展": "vn"})
    places = _places("高端装备制造蒸蒸日上。", "高端装备制造是源泉。", "高端装备制造的发展。", "高端装备的源泉。")
    ranked = {c.zh: c for c in extract_candidates(places, tagger, covered=lambda zh: False)}
    assert ranked["高端装备制造"].independent == 3
    assert (ranked["高端装备"].frequency, ranked["高端装备"].independent) == (4, 1)  # three inside 高端装备制造
    order = list(ranked)
    assert order.index("高端装备制造") < order.index("高端装备")


def test_quantities_are_not_candidates():
    tagger = WordTagger({"108": "m", "颗": "q", "卫星": "n", "在轨": "v"})
    places = _places("卫星在轨108颗。", "108颗卫星在轨。")
    assert not [c.zh for c in extract_candidates(places, tagger, covered=lambda zh: False) if c.zh.startswith("108")]


def test_the_dictionary_corrects_the_taggers_proper_nouns_and_verbs():
    from l10n.terms import _retag

    lexicon = Lexicon.parse("衛星 卫星 [wei4 xing1] /satellite/\n磁浮 磁浮 [ci2 fu2] /maglev/\n"
                            "長春 长春 [Chang2 chun1] /Changchun/\n推動 推动 [tui1 dong4] /to push/\n")
    tokens = [("卫星", "nr"), ("长春", "ns"), ("磁浮", "v"), ("推动", "v"), ("泰盟", "ns")]
    assert _retag(tokens, lexicon) == [("卫星", "n"), ("长春", "ns"), ("磁浮", "n"), ("推动", "v"), ("泰盟", "ns")]


def _aligned(zh, en, support=1, entries=1, fit=0.5, name=False, kinds=(), frequency=1):
    from l10n.terms import Alignment

    cand = Candidate(zh, frequency=frequency, kinds=set(kinds))
    return cand, Alignment(en, support, entries, 1.0, fit=fit, name=name)


def test_of_nested_candidates_with_one_rendering_the_unit_stays():
    from l10n.terms import _dominated

    pairs = [_aligned("中车长客", "CRRC Changchun Railway Vehicles", 9, 9, 0.17, True, {"recurring"}, 9),
             _aligned("车长", "CRRC Changchun Railway Vehicles", 10, 10, 0.2, True, {"word"}, 10),
             _aligned("高端装备制造", "high-end equipment manufacturing", 13, 13, 1.0, False, {"recurring"}, 13),
             _aligned("长春高端装备制造", "high-end equipment manufacturing", 4, 4, 0.8, False, {"recurring"}, 4)]
    found = {c.zh: a for c, a in pairs}
    assert _dominated([c for c, _ in pairs], found) == {"车长", "长春高端装备制造"}


def test_a_piece_of_a_name_gives_way_to_the_name():
    from l10n.terms import _dominated

    pairs = [_aligned("长春路通轨道交通车辆配套有限公司", "Changchun Lutong Rail Transit Vehicle Components Co., Ltd.",
                      name=True, kinds={"named"}),
             _aligned("路通", "Lutong", name=True, kinds={"name"}),
             _aligned("中国太原卫星发射中心", "Taiyuan Satellite Launch Center in China", name=True, kinds={"named"}),
             _aligned("太原卫星发射中心", "Taiyuan Satellite Launch Center", name=True, kinds={"named"})]
    found = {c.zh: a for c, a in pairs}
    # 'in China' joins a name to a place: the launch center stays a name of its own.
    assert _dominated([c for c, _ in pairs], found) == {"路通"}


def test_a_candidate_crossing_a_better_one_everywhere_moves_to_the_end():
    from l10n.terms import suppress_crossings

    place = Place("doc", "a.txt", 1, "建设二氧化碳空调生产基地")
    ranked = [Candidate(zh, places=[place], frequency=1) for zh in ("二氧化碳空调", "建设二氧化碳", "生产基地", "二氧化碳")]
    assert [c.zh for c in suppress_crossings(ranked)] == ["二氧化碳空调", "生产基地", "二氧化碳", "建设二氧化碳"]


# --- alignment ---------------------------------------------------------------------------

PAIRS = [
    Pair("星辰重工发布新产品。", "Xingchen Heavy Industry released a new product.", "a.po:1"),
    Pair("星辰重工扩大生产。", "Xingchen Heavy Industry expanded production.", "a.po:2"),
    Pair("产品发布会举行。", "A product launch was held.", "a.po:3"),
    Pair("星辰重工签署合同。", "Xingchen Heavy Industry signed a contract.", "a.po:4"),
]


def test_english_tokens_keep_names_and_abbreviations_together():
    runs = english_tokens("Chang Guang’s satellites; Taimeng Machinery Co., Ltd. and “Six Returns”")
    texts = [[t.text for t in run] for run in runs]
    assert texts == [["Chang", "Guang"], ["satellites"], ["Taimeng", "Machinery", "Co.", "Ltd.", "and"], ["Six", "Returns"]]


def test_alignment_finds_the_rendering_the_term_cooccurs_with():
    found = Aligner(PAIRS).align("星辰重工")
    assert (found.en, found.support, found.entries) == ("Xingchen Heavy Industry", 3, 3)


def test_alignment_discounts_words_as_common_without_the_term():
    # "product" is in an entry with 产品 and in one without it; "launch" only with 发布会.
    found = Aligner(PAIRS).align("发布会")
    assert found.en != "product" and found.support == 1


CEDICT = """\
# a few CC-CEDICT lines
機械 机械 [ji1 xie4] /machine/machinery/mechanical/
製造 制造 [zhi4 zao4] /to manufacture/to make/
泰 泰 [tai4] /safe/peaceful/
盟 盟 [meng2] /oath/pledge/union/
長春 长春 [Chang2 chun1] /Changchun prefecture-level city and capital of Jilin province 吉林省/
二氧化碳 二氧化碳 [er4 yang3 hua4 tan4] /carbon dioxide CO2/
空調 空调 [kong1 tiao2] /air conditioning/
生產 生产 [sheng1 chan3] /to produce/to manufacture/
基地 基地 [ji1 di4] /base (of operations)/
數控機床 数控机床 [shu4 kong4 ji1 chuang2] /computer numerical control machine tool (CNC machine tool)/
動車 动车 [dong4 che1] /multiple unit/power car/
亞運會 亚运会 [Ya4 yun4 hui4] /Asian Games/
杭州 杭州 [Hang2 zhou1] /Hangzhou subprovincial city in Zhejiang/
產業 产业 [chan3 ye4] /industry/
園 园 [yuan2] /garden/park/
天 天 [tian1] /day/sky/
朗 朗 [lang3] /clear/bright/
中 中 [zhong1] /within/middle/
科 科 [ke1] /branch of study/
欣 欣 [xin1] /happy/
雨 雨 [yu3] /rain/
日新月異 日新月异 [ri4 xin1 yue4 yi4] /daily renewal, monthly change (idiom); every day sees new developments/
"""


def test_lexicon_bounds_a_rendering_seen_once():
    pairs = [Pair("建设二氧化碳空调生产基地。", "Building a carbon dioxide air-conditioning production base.", "a.po:1")]
    without = Aligner(pairs).align("二氧化碳空调")
    with_lexicon = Aligner(pairs, Lexicon.parse(CEDICT)).align("二氧化碳空调")
    assert with_lexicon.en == "carbon dioxide air-conditioning"  # glosses
    assert without.en != with_lexicon.en  # co-occurrence alone cannot tell inside one entry


def test_lexicon_reads_names_acronyms_and_idioms():
    lexicon = Lexicon.parse(CEDICT)
    explain = lexicon.explainer("长春")
    assert explain("Changchun") and not explain("Jilin")  # a name's gloss, not its description
    assert lexicon.explainer("数控机床")("CNC")  # an acronym in brackets
    assert lexicon.idiom("日新月异") and not lexicon.idiom("数控机床")


def test_lexicon_reads_the_short_forms_an_aside_quotes():
    lexicon = Lexicon.parse('丙 丙 [bing3] /third of the ten Heavenly Stems/third in order (used like "3" or "C")/\n'
                            "三 三 [san1] /three/3/\n號 号 [hao4] /ordinal number/day of a month/\n")
    assert lexicon.explainer("丙")("C") == {0}
    assert not lexicon.explainer("丙")("like")  # the aside's other words are no glosses
    assert lexicon.explainer("天宫三号丙")("3C") == {2, 4}  # a designation, digit and letter explained


def test_pinyin_explains_names_in_one_word():
    lexicon = Lexicon.parse(CEDICT)
    assert lexicon.explainer("泰盟")("Taimeng") == {0, 1}


def test_rendering_grows_to_the_whole_term_and_the_whole_name():
    lexicon = Lexicon.parse(CEDICT)
    pairs = [Pair("加快发展数控机床。", "Speed up the development of CNC machine tools.", "a.po:1"),
             Pair("杭州亚运会开幕。", "The Hangzhou Asian Games opened.", "a.po:2")]
    aligner = Aligner(pairs, lexicon)
    # The acronym alone explains every character; the words the term also explains extend it.
    assert aligner.align("数控机床").en == "CNC machine tools"
    assert aligner.align("杭州亚运会").en == "Hangzhou Asian Games"


BUREAU = [
    Pair("长春市工信局助力招商引资。", "The Changchun Municipal Bureau of Industry and Information Technology has helped attract investment.", "a.po:1"),
    Pair("长春市工信局推进项目建设。", "The Changchun Municipal Bureau of Industry and Information Technology has pushed projects forward.", "a.po:2"),
    Pair("天朗产业园、中科欣雨项目开工。", "Work started at the Tianlang Industrial Park and Zhongke Xinyu’s project.", "a.po:3"),
]


def test_a_name_grows_over_of_and_and_but_not_into_the_next_name():
    aligner = Aligner(BUREAU, Lexicon.parse(CEDICT))
    assert aligner.align("长春市工信局").en == "Changchun Municipal Bureau of Industry and Information Technology"
    assert aligner.align("天朗产业园").en == "Tianlang Industrial Park"


def test_a_company_keeps_co_ltd_and_a_name_does_not_open_with_another():
    lexicon = Lexicon.parse(CEDICT + "有限公司 有限公司 [you3 xian4 gong1 si1] /limited company/\n"
                            "部 部 [bu4] /ministry/department/\n塞爾維亞 塞尔维亚 [Sai1 er3 wei2 ya4] /Serbia/\n"
                            "交通 交通 [jiao1 tong1] /transportation/traffic/\n建設 建设 [jian4 she4] /to build/construction/\n"
                            "基礎設施 基础设施 [ji1 chu3 she4 shi1] /infrastructure/\n")
    pairs = [Pair("镜头聚焦在长春泰盟机械制造有限公司厂区，看到组件。",
                  "At the plant of Changchun Taimeng Machinery Manufacturing Co., Ltd., batch after batch of "
                  "components can be seen.", "a.po:1"),
             Pair("中车长客股份公司与塞尔维亚建设、交通和基础设施部签约。",
                  "CRRC Changchun Railway Vehicles Co., Ltd. and the Serbian Ministry of Construction, Transport "
                  "and Infrastructure signed a contract.", "a.po:2")]
    aligner = Aligner(pairs, lexicon)
    assert aligner.align("长春泰盟机械制造有限公司").en == "Changchun Taimeng Machinery Manufacturing Co., Ltd."
    assert aligner.align("塞尔维亚建设、交通和基础设施部").en == "Serbian Ministry of Construction, Transport and Infrastructure"


def test_an_unexplained_capitalised_word_is_a_transliteration():
    pairs = [Pair("支持一汽等企业。", "Support enterprises such as FAW.", "a.po:1")]
    assert Aligner(pairs, Lexicon.parse(CEDICT)).align("一汽").en == "FAW"


def test_brackets_in_a_rendering_are_closed_or_dropped():
    from l10n.terms import _balanced

    assert _balanced("first units (sets", ["… first units (sets) to promote"]) == "first units (sets)"
    assert _balanced("Heavy Industry (CRCHI", ["Heavy Industry (CRCHIX"]) == "Heavy Industry"
    assert _balanced("Heavy Industry (CRCHI)", []) == "Heavy Industry"  # an abbreviation is another form


# --- proposals from the MT engine ----------------------------------------------------------


def test_mt_is_asked_only_for_candidates_without_a_proposal():
    from tests.fake_engine import FakeEngine

    engines = []

    def get_engine():
        engines.append(FakeEngine())
        return engines[-1]

    place = Place("doc", "source/zh/doc.txt", 3, "星辰重工发布新产品。")
    done = Candidate("产品", places=[place], en="product", source="reviewed", support=2)
    todo = Candidate("星辰重工", places=[place])
    assert propose_by_mt([done, todo], get_engine, {"星辰重工发布新产品。": "Xingchen released a product."}) == 1
    assert engines[0].seen == ["星辰重工"]  # the term alone
    assert todo.source == "mt" and todo.en.startswith("[")  # the test engine keeps no CJK, only its tag
    assert (done.en, done.source) == ("product", "reviewed")
    assert propose_by_mt([done], get_engine, {}) == 0 and len(engines) == 1  # nothing to ask: no engine


# --- the command ---------------------------------------------------------------------------


def test_terms_command_writes_candidates_and_never_the_glossary(tmp_path):
    pytest.importorskip("jieba")
    project = make_project(tmp_path)
    shutil.copyfile(ROOT / "target" / "en" / "changchun-equipment.po", project.po)
    project.glossary.write_text("zh,en,note\n中车长客,CRRC Changchun Railway Vehicles,\n", encoding="utf-8")
    before = project.glossary.read_bytes()
    result = project.run("terms", "--top", "40")
    assert result.code == 0, result.err
    assert project.glossary.read_bytes() == before
    rows = list(csv.DictReader((tmp_path / "target" / "en" / "glossary.candidates.csv").open(encoding="utf-8")))
    assert len(rows) == 40
    assert list(rows[0]) == ["zh", "en", "note", "frequency", "documents", "source", "support", "example"]
    assert all("中车长客" not in r["zh"] or r["zh"] != "中车长客" for r in rows)
    assert "车长客" not in [r["zh"] for r in rows]  # part of a known term
    jilin = next(r for r in rows if r["zh"] == "吉林一号")
    assert jilin["en"] == "Jilin-1" and jilin["source"].startswith("reviewed (")
    assert jilin["example"].startswith("source/zh/changchun-equipment.txt:")
    assert "40 candidates (written)" in result.out


def test_terms_command_names_the_extra_when_jieba_is_missing(tmp_path, monkeypatch):
    project = make_project(tmp_path)
    project.run("update")
    monkeypatch.setitem(sys.modules, "jieba", None)
    result = project.run("terms")
    assert result.code == 2
    assert result.err.strip() == ("translate.py: term extraction needs the optional package jieba; "
                                  "install it with `pip install -e '.[terms]'`")
    assert not (tmp_path / "target" / "en" / "glossary.candidates.csv").exists()


def test_terms_command_asks_mt_only_with_the_flag(tmp_path, fake_engine):
    pytest.importorskip("jieba")
    project = make_project(tmp_path)
    project.run("update")  # a new article: nothing reviewed yet
    result = project.run("terms", "--top", "10")
    assert result.code == 0 and not fake_engine
    assert "10 without a proposal; add --mt" in result.out
    result = project.run("terms", "--top", "10", "--mt")
    assert result.code == 0, result.err
    assert len(fake_engine) == 1
    rows = list(csv.DictReader((tmp_path / "target" / "en" / "glossary.candidates.csv").open(encoding="utf-8")))
    assert {r["source"] for r in rows} == {"mt"}


# --- the consistency check ----------------------------------------------------------------

STAR = "星辰重工发布新产品。\n\n星辰重工扩大生产。\n\n星辰重工签署合同。\n\n星辰重工招聘工人。\n"
ENGLISH = {
    "星辰重工发布新产品。": "Xingchen Heavy Industry released a new product.",
    "星辰重工扩大生产。": "Xingchen Heavy Industry expanded production.",
    "星辰重工签署合同。": "Xingchen Heavy Industry signed a contract.",
    "星辰重工招聘工人。": "Star Heavy Works hired workers.",
}


def _reviewed_project(tmp_path, english, comment=""):
    project = make_project(tmp_path, text=STAR, glossary=False)
    assert project.run("update").code == 0
    po = pofile.read_catalog(project.po, "target/en/changchun-equipment.po")
    for entry in po:
        entry.msgstr = english[entry.msgid]
        if comment and entry.msgstr.startswith("Star"):
            entry.tcomment = comment
    pofile.write_catalog(po, project.po)
    return project


def _line_of(project, msgid):
    return next(e.msgstr_line for e in pofile.read_catalog(project.po, "po") if e.msgid == msgid)


def test_consistency_flags_a_term_rendered_two_ways(tmp_path):
    project = _reviewed_project(tmp_path, ENGLISH)
    result = project.run("--check", "--only", "consistency")
    assert result.code == 1
    po = "target/en/changchun-equipment.po"
    here = _line_of(project, "星辰重工招聘工人。")
    there = ", ".join(f"{po}:{_line_of(project, m)}" for m in list(ENGLISH)[:3])
    assert result.out.splitlines()[0] == (
        f"{po}:{here}: [consistency] 星辰重工 is rendered 'Xingchen Heavy Industry' at {there}, but not here; "
        "make them agree, or add the comment `# l10n: allow consistency` for an intended variation")


def test_consistency_passes_when_the_renderings_agree(tmp_path):
    same = {k: v.replace("Star Heavy Works", "Xingchen Heavy Industry") for k, v in ENGLISH.items()}
    result = _reviewed_project(tmp_path, same).run("--check", "--only", "consistency")
    assert (result.code, result.out.strip()) == (0, "OK: 1 check passed on 1 document(s)")


def test_consistency_accepts_a_declared_variation(tmp_path):
    project = _reviewed_project(tmp_path, ENGLISH, comment="l10n: allow consistency")
    result = project.run("--check", "--only", "consistency")
    assert result.code == 0, result.out


def test_consistency_leaves_glossary_terms_to_the_glossary_check():
    pairs = [Pair(k, v, f"a.po:{n}") for n, (k, v) in enumerate(ENGLISH.items())]
    assert [i.here.where for i in inconsistencies(pairs)] == ["a.po:3"]
    assert list(inconsistencies(pairs, glossary_terms=["星辰重工"])) == []


def test_plural_and_a_capital_at_the_start_are_not_inconsistencies():
    pairs = [Pair("星辰重工发布新产品。", "Xingchen Heavy Industry released a new product.", "a.po:1"),
             Pair("星辰重工扩大生产。", "Xingchen heavy industry expanded production.", "a.po:2"),
             Pair("据悉星辰重工签署合同。", "Both Xingchen Heavy Industries signed a contract.", "a.po:3"),
             Pair("动车组出口欧洲。", "EMUs were exported to Europe.", "a.po:4"),
             Pair("高速动车组下线。", "A high-speed EMU rolled off the line.", "a.po:5"),
             Pair("新型动车组交付。", "New emus were delivered.", "a.po:6")]
    assert list(inconsistencies(pairs)) == []


def test_a_term_inside_a_longer_term_or_name_is_not_held_to_its_own_rendering():
    pairs = [
        # 长春市 inside 长春市工信局 is the bureau's business: 'bureau' is not a rendering of 长春市.
        Pair("长春市工信局再加力度。", "The bureau has stepped up its efforts.", "a.po:1"),
        Pair("在长春市工信局的助推下，企业新增95家。", "With the bureau’s support, 95 companies were added.", "a.po:2"),
        Pair("长春市工信局推进项目。", "The bureau has pushed projects forward.", "a.po:3"),
        Pair("长春市积极推动项目落地。", "Changchun has worked to bring in projects.", "a.po:4"),
        # 'Hefei Municipal' only ever opens longer names; 'three' renders 三, not 合肥市.
        Pair("今年前三季度，合肥市新能源汽车产量突破60万辆。", "In the first three quarters, Hefei produced 600,000 cars.", "b.po:1"),
        Pair("合肥市发展改革委牵头编制方案。", "The Hefei Municipal Development and Reform Commission drafted a plan.", "b.po:2"),
        Pair("合肥市人力资源和社会保障局计划三年培训工人。",
             "The Hefei Municipal Human Resources and Social Security Bureau plans to train workers in three years.", "b.po:3"),
    ]
    assert list(inconsistencies(pairs)) == []


def _article_without_glossary(tmp_path):
    project = make_project(tmp_path, glossary=False)
    shutil.copyfile(ROOT / "target" / "en" / "changchun-equipment.po", project.po)
    return project


def test_consistency_reports_nothing_on_the_article_with_or_without_its_glossary(tmp_path):
    project = _article_without_glossary(tmp_path / "without")
    assert project.run("--check", "--only", "consistency").out.strip() == "OK: 1 check passed on 1 document(s)"
    project = make_project(tmp_path / "with")
    shutil.copyfile(ROOT / "target" / "en" / "changchun-equipment.po", project.po)
    shutil.copyfile(ROOT / "glossary.csv", project.glossary)
    assert project.run("--check", "--only", "consistency").out.strip() == "OK: 1 check passed on 1 document(s)"


def test_consistency_catches_a_company_renamed_in_one_entry_of_the_article(tmp_path):
    project = _article_without_glossary(tmp_path)
    po = pofile.read_catalog(project.po, "po")
    entry = next(e for e in po if e.msgstr.startswith("CRRC Changchun Railway Vehicles won"))
    entry.msgstr = entry.msgstr.replace("CRRC Changchun Railway Vehicles", "CRRC Changke")
    pofile.write_catalog(po, project.po)
    result = project.run("--check", "--only", "consistency")
    assert result.code == 1
    line = next(e.msgstr_line for e in pofile.read_catalog(project.po, "po") if e.msgstr.startswith("CRRC Changke"))
    assert [l.split(" is rendered")[0] for l in result.out.splitlines()[:-1]] == [
        f"target/en/changchun-equipment.po:{line}: [consistency] 中车长客"]
