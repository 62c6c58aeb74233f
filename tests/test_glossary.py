"""Glossary loading, validation and term matching."""

from pathlib import Path

from l10n.glossary import Glossary, Term, load_glossary, parse_glossary, term_in

from tests.conftest import ROOT


def gl(*pairs):
    return Glossary("g.csv", [Term(zh, en, "", i + 2) for i, (zh, en) in enumerate(pairs)])


def test_longest_match_wins():
    g = gl(("中车长客", "CRRC Changchun Railway Vehicles"), ("中车长客股份公司", "CRRC Changchun Railway Vehicles Co., Ltd."))
    matches = g.find("由中车长客股份公司研制的列车，中车长客再获订单")
    assert [(m.term.zh, m.start, m.end) for m in matches] == [("中车长客股份公司", 1, 9), ("中车长客", 15, 19)]


def test_term_inside_quotes_and_before_more_text():
    g = gl(("吉林一号", "Jilin-1"), ("一号", "No. 1"))
    matches = g.find("长光卫星利用自主研制的“吉林一号”平台02A01星")
    assert [m.term.zh for m in matches] == ["吉林一号"]


def test_no_overlaps_leftmost_first():
    g = gl(("长春市", "Changchun"), ("市工信局", "Municipal Bureau"), ("工信局", "Bureau"))
    assert [m.term.zh for m in g.find("长春市工信局")] == ["长春市", "工信局"]


def test_ten_thousand_terms_match_correctly():
    terms = [(f"术语{i:05d}号", f"term-{i}") for i in range(10_000)]
    g = gl(*terms, ("术语", "term"))
    text = "前言术语04321号和术语09999号以及术语。"
    assert [m.term.en for m in g.find(text)] == ["term-4321", "term-9999", "term"]


def test_term_in_is_whole_phrase_first_letter_case_and_plural():
    fuxing = Term("复兴号", "Fuxing")
    assert term_in(fuxing, "The Fuxing train")
    assert not term_in(fuxing, "The Fuxingx train")
    shield = Term("盾构机", "shield tunneling machine")
    assert term_in(shield, "Shield tunneling machines are made here")
    assert not term_in(shield, "shield machine")
    assert term_in(Term("一汽", "FAW", variants=("First Automotive Works",)), "First Automotive Works")


def test_project_glossary_is_valid_and_large_enough():
    g = load_glossary(ROOT / "glossary.csv", "glossary.csv")
    assert len(g.terms) >= 40
    by_zh = {t.zh: t.en for t in g.terms}
    assert by_zh["复兴号"] == "Fuxing"
    assert by_zh["吉林一号"] == "Jilin-1"
    for required in ["中车长客", "中车长客股份公司", "长光卫星", "揭榜挂帅", "专精特新", "新质生产力", "太原卫星发射中心"]:
        assert required in by_zh


def test_validation_reports_lines():
    text = "zh,en,note\n复兴号,Fuxing,\n吉林一号,,\n复兴号,Revival,\n 盾构机,shield machine,\n"
    terms, problems = parse_glossary(text, "g.csv")
    assert [(p.line, p.message.split(" ")[0]) for p in problems] == [(3, "empty"), (4, "复兴号"), (5, "stray")]
    assert [t.zh for t in terms] == ["复兴号"]


def test_quoted_fields_with_commas_and_newlines_and_bom(tmp_path: Path):
    path = tmp_path / "g.csv"
    path.write_bytes('\ufeffzh,en,note\n中车长客股份公司,"CRRC Changchun Railway Vehicles Co., Ltd.","line one\nline two"\n复兴号,Fuxing,\n'.encode())
    g = load_glossary(path, "g.csv")
    assert [(t.zh, t.en, t.line) for t in g.terms] == [
        ("中车长客股份公司", "CRRC Changchun Railway Vehicles Co., Ltd.", 2),
        ("复兴号", "Fuxing", 4),
    ]


def test_digest_changes_with_content():
    assert gl(("复兴号", "Fuxing")).digest != gl(("复兴号", "Fuxing bullet train")).digest
    assert gl(("复兴号", "Fuxing")).digest == gl(("复兴号", "Fuxing")).digest
