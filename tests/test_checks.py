"""The CI checks: one realistic error per check id, located at `path:line: [id] message`.

Every test starts from a reviewed, built, published copy of the project (the committed catalog),
which passes `--check` cleanly, introduces one error by editing a file as text, and asserts the
exact problem line(s), the exit code and the summary line.
"""

from __future__ import annotations

import json
import re
import shutil
from decimal import Decimal
from pathlib import Path

import polib
import pytest

from l10n.checks import REGISTRY
from l10n.numbers import missing_numbers, source_identifiers, source_numbers, target_values
from tests.conftest import ROOT, Project, make_project

CATALOG = ROOT / "target" / "en" / "changchun-equipment.po"
PO = "target/en/changchun-equipment.po"
SRC = "source/zh/changchun-equipment.txt"
N_CHECKS = len(REGISTRY)


# --- helpers ---------------------------------------------------------------------------

def _string_at(lines: list[str], i: int, keyword: str) -> tuple[str, int]:
    """The unescaped string of `keyword "…"` at index i plus its continuation lines; returns
    (value, index after the last continuation line)."""
    first = lines[i][len(keyword) + 1:]
    parts = [first]
    j = i + 1
    while j < len(lines) and lines[j].startswith('"'):
        parts.append(lines[j])
        j += 1
    return "".join(polib.unescape(p.strip()[1:-1]) for p in parts), j


def entry_lines(text: str, msgid: str, nth: int = 0) -> tuple[int, int, int]:
    """(first line of the entry, line of its `msgid`, line of its `msgstr`), 1-based, for the nth
    entry with this msgid."""
    lines = text.split("\n")
    start = None
    found = 0
    for i, line in enumerate(lines):
        if not line.strip():
            start = None
            continue
        if start is None:
            start = i + 1
        if line.startswith("msgid "):
            value, end = _string_at(lines, i, "msgid")
            if value == msgid:
                if found == nth:
                    return start, i + 1, end + 1
                found += 1
    raise AssertionError(f"no entry for {msgid!r}")


def edit_msgstr(path: Path, msgid: str, old: str, new: str) -> None:
    """Replace `old` by `new` in the msgstr of one entry, the way a PO editor saves it (on one line)."""
    text = path.read_text(encoding="utf-8")
    lines = text.split("\n")
    _, msgid_line, _ = entry_lines(text, msgid)
    i = msgid_line - 1
    while not lines[i].startswith("msgstr "):
        i += 1
    value, end = _string_at(lines, i, "msgstr")
    assert value.count(old) == 1, (old, value)
    lines[i:end] = [f'msgstr "{polib.escape(value.replace(old, new))}"']
    path.write_text("\n".join(lines), encoding="utf-8")


def replace_once(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def glossary_line(project: Project, zh: str) -> int:
    for number, line in enumerate(project.glossary.read_text(encoding="utf-8").split("\n"), start=1):
        if line.startswith(f"{zh},"):
            return number
    raise AssertionError(zh)


def po_text(project: Project) -> str:
    return project.po.read_text(encoding="utf-8")


def check(project: Project, *ids: str):
    args = ["--check"]
    for check_id in ids:
        args += ["--only", check_id]
    return project.run(*args)


def problem_lines(result) -> tuple[list[str], str]:
    lines = result.out.splitlines()
    assert lines, result
    return lines[:-1], lines[-1]


def assert_entry_problem(line: str, project: Project, msgid: str, check_id: str, message: str, nth: int = 0,
                         at: str = "msgstr") -> None:
    """`target/en/<doc>.po:LINE: [id] message`, LINE being the entry's msgstr line (the translation
    is at fault) or its msgid line (the source side is)."""
    m = re.fullmatch(rf"{re.escape(PO)}:(\d+): \[{re.escape(check_id)}\] (.*)", line)
    assert m, line
    start, msgid_line, msgstr_line = entry_lines(po_text(project), msgid, nth)
    expected = {"start": start, "msgid": msgid_line, "msgstr": msgstr_line}[at]
    assert int(m.group(1)) == expected, (line, at, start, msgid_line, msgstr_line)
    assert m.group(2) == message


def assert_one_problem(project: Project, check_id: str, msgid: str, message: str, at: str = "msgstr") -> None:
    result = check(project, check_id)
    assert result.code == 1, result
    assert result.err == ""
    problems, summary = problem_lines(result)
    assert len(problems) == 1, problems
    assert_entry_problem(problems[0], project, msgid, check_id, message, at=at)
    assert summary == "1 problem(s) in 1 file(s); 1 check run on 1 document(s)"


@pytest.fixture
def published(tmp_path) -> Project:
    """A reviewed, built, published project: the clean baseline every check passes."""
    project = make_project(tmp_path, published=True)
    shutil.copy(CATALOG, project.po)
    built = project.run("build")
    assert built.code == 0, built
    clean = project.run("--check")
    assert clean.code == 0, clean
    assert clean.out == f"OK: {N_CHECKS} checks passed on 1 document(s)\n"
    assert clean.err == ""
    return project


def assert_clean(project: Project, check_id: str) -> None:
    result = check(project, check_id)
    assert (result.code, result.out, result.err) == (0, "OK: 1 check passed on 1 document(s)\n", "")


COVERED = {
    "po-syntax", "sync", "untranslated", "fuzzy", "glossary", "numbers", "cjk-leftover",
    "brackets-quotes", "glossary-file", "edition", "mt-quality", "consistency",
}


def test_every_registered_check_is_covered_here():
    assert set(REGISTRY) == COVERED


# --- one realistic error per check ----------------------------------------------------------

FIFTY_MILLION = "投产后预计当年可实现产值5000万元！"
CAPTION = "中车长客打造的复兴号亚智能动车组。"
HEADLINE = "奋力提升挺“脊梁”"
CRCHI = "长春铁建重工铆焊工人正在进行盾构机刀盘加工。"
TRIUMPH = "一路高歌，捷报频传！"


def test_numbers_wrong_amount(published):
    assert_clean(published, "numbers")
    edit_msgstr(published.po, FIFTY_MILLION, "50 million", "5 million")
    assert_one_problem(published, "numbers", FIFTY_MILLION, "number(s) missing from the translation: 5000万")


def test_numbers_satellite_identifier_altered(published):
    msgid = "长光卫星利用自主研制的“吉林一号”平台02A01星、平台02A02星，实现我国首次星间激光超高速数据传输；"
    edit_msgstr(published.po, msgid, "02A02", "02A2")
    assert_one_problem(published, "numbers", msgid, "number(s) missing from the translation: 02A02")


def test_glossary_term_mistranslated(published):
    assert_clean(published, "glossary")
    edit_msgstr(published.po, CAPTION, "Fuxing", "Revival")
    line = glossary_line(published, "复兴号")
    assert_one_problem(published, "glossary", CAPTION, f"复兴号 must be translated as 'Fuxing' (glossary.csv:{line})")


def test_cjk_left_in_translation(published):
    assert_clean(published, "cjk-leftover")
    edit_msgstr(published.po, CAPTION, "Fuxing", "复兴号")
    assert_one_problem(published, "cjk-leftover", CAPTION,
                       "Chinese characters or full-width punctuation left in the translation: " + "".join(sorted("复兴号")))


def test_cjk_fullwidth_punctuation(published):
    edit_msgstr(published.po, TRIUMPH, "pouring in!", "pouring in！")
    assert_one_problem(published, "cjk-leftover", TRIUMPH,
                       "Chinese characters or full-width punctuation left in the translation: ！")


def test_brackets_dropped_closing_quote(published):
    assert_clean(published, "brackets-quotes")
    edit_msgstr(published.po, HEADLINE, "“Backbone”", "“Backbone")
    assert_one_problem(published, "brackets-quotes", HEADLINE, "unclosed '“'")


def test_brackets_dropped_closing_parenthesis(published):
    edit_msgstr(published.po, CRCHI, "(CRCHI)", "(CRCHI")
    assert_one_problem(published, "brackets-quotes", CRCHI, "unclosed '('")


def test_brackets_stray_closing_parenthesis(published):
    edit_msgstr(published.po, CRCHI, "(CRCHI)", "CRCHI)")
    assert_one_problem(published, "brackets-quotes", CRCHI, "unmatched ')'")


def test_sync_source_sentence_edited(published):
    assert_clean(published, "sync")
    source = published.source.read_text(encoding="utf-8")
    line = source.split("\n").index(TRIUMPH) + 1
    replace_once(published.source, TRIUMPH, "一路高歌，喜报频传！")
    result = check(published, "sync")
    assert result.code == 1, result
    problems, summary = problem_lines(result)
    assert len(problems) == 2, problems
    assert problems[0] == (f"{SRC}:{line}: [sync] segment is not in {PO}: 一路高歌，喜报频传！; run `translate.py update`")
    assert_entry_problem(problems[1], published, TRIUMPH, "sync",
                         f"entry has no segment in {SRC} (source edited?); run `translate.py update`", at="msgid")
    assert summary == "2 problem(s) in 2 file(s); 1 check run on 1 document(s)"


def test_sync_line_references_out_of_date(published):
    # a blank line inserted above the picture credit moves its line reference
    last = "本版图片为资料图片"
    replace_once(published.source, f"\n{last}", f"\n\n{last}")
    result = check(published, "sync")
    assert result.code == 1, result
    problems, _ = problem_lines(result)
    assert len(problems) == 1, problems
    assert_entry_problem(problems[0], published, last, "sync", "source line references are out of date; run `translate.py update`",
                         at="start")


def test_untranslated_entry_in_published_document(published):
    assert_clean(published, "untranslated")
    edit_msgstr(published.po, TRIUMPH, "A triumphant march, with good news pouring in!", "")
    assert_one_problem(published, "untranslated", TRIUMPH, "untranslated entry in a published document")


def test_fuzzy_entry_in_published_document(published):
    assert_clean(published, "fuzzy")
    text = po_text(published)
    start, msgid_line, _ = entry_lines(text, TRIUMPH)
    lines = text.split("\n")
    lines.insert(msgid_line - 1, "#, fuzzy")
    published.po.write_text("\n".join(lines), encoding="utf-8")
    assert_one_problem(published, "fuzzy", TRIUMPH, "fuzzy entry in a published document: review it and remove the fuzzy flag")


def test_unpublished_document_may_have_fuzzy_and_untranslated(tmp_path):
    project = make_project(tmp_path, published=False)
    shutil.copy(CATALOG, project.po)
    edit_msgstr(project.po, TRIUMPH, "A triumphant march, with good news pouring in!", "")
    text = po_text(project)
    _, msgid_line, _ = entry_lines(text, CAPTION)
    lines = text.split("\n")
    lines.insert(msgid_line - 1, "#, fuzzy")
    project.po.write_text("\n".join(lines), encoding="utf-8")
    result = project.run("--check", "--only", "untranslated", "--only", "fuzzy")
    assert (result.code, result.out) == (0, "OK: 2 checks passed on 1 document(s)\n")


def test_glossary_file_conflicting_duplicate(published):
    assert_clean(published, "glossary-file")
    first = glossary_line(published, "复兴号")
    text = published.glossary.read_text(encoding="utf-8")
    published.glossary.write_text(text + "复兴号,Revival,the train's name,\n", encoding="utf-8")
    added = len(text.split("\n"))  # the text ends in \n: the new row is on this line
    result = check(published, "glossary-file")
    assert result.code == 1, result
    problems, summary = problem_lines(result)
    assert problems == [f"glossary.csv:{added}: [glossary-file] 复兴号 is already defined as 'Fuxing' on line {first}, here as 'Revival'; keep one"]
    assert summary == "1 problem(s) in 1 file(s); 1 check run on 1 document(s)"


def test_consistency_a_name_outside_the_glossary_rendered_differently_once(published):
    """With 中车长客 not in the glossary yet, the rendering six of its other entries share makes
    the odd one out a problem; the glossary's other terms are still there and stay clean."""
    text = published.glossary.read_text(encoding="utf-8")
    published.glossary.write_text("".join(l for l in text.splitlines(True) if not l.startswith("中车长客,")), encoding="utf-8")
    assert_clean(published, "consistency")
    msgid = "中车长客国家级工业设计中心正式揭牌；"
    edit_msgstr(published.po, msgid, "CRRC Changchun Railway Vehicles’", "CRRC Changchun’s")
    result = check(published, "consistency")
    assert result.code == 1, result
    problems, summary = problem_lines(result)
    assert len(problems) == 1, problems
    m = re.fullmatch(r"(.*) \[consistency\] 中车长客 is rendered 'CRRC Changchun Railway Vehicles' at (.*), but not here; "
                     r"make them agree, or add the comment `# l10n: allow consistency` for an intended variation", problems[0])
    assert m, problems[0]
    assert_entry_problem(m.group(1) + " [consistency] x", published, msgid, "consistency", "x")
    assert re.fullmatch(rf"{re.escape(PO)}:\d+, {re.escape(PO)}:\d+, {re.escape(PO)}:\d+ and 3 more", m.group(2))


def test_edition_out_of_date_after_editing_a_reviewed_msgstr(published):
    assert_clean(published, "edition")
    expected = []
    for suffix in (".md", ".html", ".review.html"):
        path = published.po.with_suffix(suffix)
        lines = path.read_text(encoding="utf-8").split("\n")
        number = next(i for i, line in enumerate(lines, start=1) if "with good news pouring in!" in line)
        expected.append(f"target/en/changchun-equipment{suffix}:{number}: [edition] edition is out of date with the catalog; run `translate.py build`")
    edit_msgstr(published.po, TRIUMPH, "pouring in", "flooding in")
    result = check(published, "edition")
    assert result.code == 1, result
    problems, summary = problem_lines(result)
    assert problems == expected
    assert summary == "3 problem(s) in 3 file(s); 1 check run on 1 document(s)"
    assert published.run("build").code == 0
    assert_clean(published, "edition")


def test_edition_file_missing(published):
    published.po.with_suffix(".html").unlink()
    result = check(published, "edition")
    assert result.code == 1
    problems, _ = problem_lines(result)
    assert problems == ["target/en/changchun-equipment.html: [edition] edition file is missing; run `translate.py build`"]


def test_mt_quality_below_threshold(published):
    assert_clean(published, "mt-quality")
    replace_once(published.pyproject, "chrf = 0.0", "chrf = 99")
    line = published.pyproject.read_text(encoding="utf-8").split("\n").index("chrf = 99") + 1
    result = check(published, "mt-quality")
    assert result.code == 1, result
    problems, summary = problem_lines(result)
    assert len(problems) == 1, problems
    assert re.fullmatch(
        rf"pyproject\.toml:{line}: \[mt-quality\] corpus chrF \d+\.\d\d is below the threshold 99\.00 \(74 segments scored\)",
        problems[0],
    ), problems
    assert summary == "1 problem(s) in 1 file(s); 1 check run on 1 document(s)"


def test_mt_quality_gate_does_not_compute_ter(published, monkeypatch):
    """TER takes seconds on real MT output (sacrebleu's shift search) and the gate does not use it."""
    from sacrebleu.metrics import TER

    def forbidden(*args, **kwargs):
        raise AssertionError("the mt-quality check computed TER")

    monkeypatch.setattr(TER, "corpus_score", forbidden)
    assert_clean(published, "mt-quality")
    replace_once(published.pyproject, "chrf = 0.0", "chrf = 99")
    assert check(published, "mt-quality").code == 1  # the gate itself still runs


def test_mt_quality_term_accuracy_below_threshold(published):
    replace_once(published.pyproject, "bleu = 0.0", "bleu = 0.0\nterms = 99.5")
    assert_clean(published, "glossary")  # the reviewed translations are right; the MT is what falls short
    line = published.pyproject.read_text(encoding="utf-8").split("\n").index("terms = 99.5") + 1
    result = check(published, "mt-quality")
    assert result.code == 1, result
    problems, _ = problem_lines(result)
    assert len(problems) == 1, problems
    match = re.fullmatch(
        rf"pyproject\.toml:{line}: \[mt-quality\] glossary term accuracy (\d+\.\d\d) is below the threshold "
        rf"99\.50 \((\d+)/(\d+) term occurrences\)",
        problems[0],
    )
    assert match, problems
    accuracy, ok, total = float(match[1]), int(match[2]), int(match[3])
    assert ok < total and abs(accuracy - 100 * ok / total) < 0.01
    replace_once(published.pyproject, "terms = 99.5", f"terms = {accuracy - 0.5:.2f}")
    assert_clean(published, "mt-quality")


# --- po-syntax ---------------------------------------------------------------------------

def test_po_syntax_duplicate_msgid(published):
    assert_clean(published, "po-syntax")
    with published.po.open("a", encoding="utf-8") as handle:
        handle.write('\n#: source/zh/changchun-equipment.txt:3\nmsgid "看长春"\nmsgstr "Look at Changchun"\n')
    result = check(published, "po-syntax")
    assert result.code == 1, result
    problems, _ = problem_lines(result)
    assert len(problems) == 1, problems
    assert_entry_problem(problems[0], published, "看长春", "po-syntax",
                         "duplicate msgid (the same segment appears twice); merge the two entries into one", nth=1,
                         at="msgid")


def test_po_syntax_leading_newline_mismatch(published):
    replace_once(published.po, 'msgid "看长春"', 'msgid "\\n看长春"')
    assert_one_problem(published, "po-syntax", "\n看长春", "msgid and msgstr must both begin with \\n, or neither (msgfmt --check)")


def test_po_syntax_trailing_newline_mismatch(published):
    replace_once(published.po, 'msgstr "Focus on Changchun"', 'msgstr "Focus on Changchun\\n"')
    assert_one_problem(published, "po-syntax", "看长春", "msgid and msgstr must both end with \\n, or neither (msgfmt --check)")


def test_po_syntax_c_format_mismatch(published):
    with published.po.open("a", encoding="utf-8") as handle:
        handle.write('\n#, c-format\nmsgid "共%d颗卫星"\nmsgstr "%s satellites"\n')
    assert_one_problem(published, "po-syntax", "共%d颗卫星", "c-format directives differ: msgid has ['%d'], msgstr has ['%s']")


def test_po_syntax_missing_language_header(published):
    replace_once(published.po, '"Language: en\\n"\n', "")
    assert_one_problem(published, "po-syntax", "", "header field 'Language' is missing; run `translate.py update`", at="start")


def test_po_syntax_unparsable_catalog_is_a_problem_with_a_line(published):
    replace_once(published.po, 'msgstr "Focus on Changchun"\n', 'msgstr "Focus on Changchun"\nfoo bar\n')
    line = po_text(published).split("\n").index("foo bar") + 1
    result = check(published, "po-syntax")
    assert result.code == 1, result
    problems, _ = problem_lines(result)
    assert problems == [
        f"{PO}:{line}: [po-syntax] PO syntax error: unexpected text (expected msgid, msgstr, a comment or a "
        "quoted string): check quoting and escapes near this line (every msgid needs a "
        'msgstr, every string must be closed with ", and only \\n \\t \\r \\\\ \\" escapes are allowed)'
    ]


# --- selection, output formats, summary ----------------------------------------------------

def _two_errors(project: Project) -> None:
    edit_msgstr(project.po, FIFTY_MILLION, "50 million", "5 million")
    edit_msgstr(project.po, CAPTION, "Fuxing", "Revival")


def test_only_is_repeatable(published):
    _two_errors(published)
    result = published.run("--check", "--only", "numbers", "--only", "glossary")
    assert result.code == 1
    problems, summary = problem_lines(result)
    assert [re.search(r"\[([\w-]+)\]", p).group(1) for p in problems] == ["numbers", "glossary"]
    assert summary == "2 problem(s) in 1 file(s); 2 checks run on 1 document(s)"


def test_skip_removes_checks(published):
    _two_errors(published)
    # the edited catalog also makes the built edition out of date: skip that too
    result = published.run("--check", "--skip", "numbers", "--skip", "edition")
    assert result.code == 1
    problems, summary = problem_lines(result)
    assert len(problems) == 1 and "[glossary]" in problems[0]
    assert summary == f"1 problem(s) in 1 file(s); {N_CHECKS - 2} checks run on 1 document(s)"
    result = published.run("--check", "--skip", "numbers", "--skip", "glossary", "--skip", "edition")
    assert (result.code, result.out) == (0, f"OK: {N_CHECKS - 3} checks passed on 1 document(s)\n")


def test_check_command_takes_the_same_options(published):
    _two_errors(published)
    result = published.run("check", "--only", "numbers")
    assert result.code == 1
    problems, _ = problem_lines(result)
    assert len(problems) == 1 and "[numbers]" in problems[0]


@pytest.mark.parametrize("option", ["--only", "--skip"])
def test_unknown_check_id_is_a_usage_error(published, option):
    result = published.run("--check", option, "spelling")
    assert result.code == 2
    assert result.out == ""
    assert result.err == f"translate.py: unknown check 'spelling'; known checks: {', '.join(REGISTRY)}\n"


def test_summary_counts_problems_files_and_checks(published):
    _two_errors(published)
    replace_once(published.pyproject, "chrf = 0.0", "chrf = 99")
    result = published.run("--check", "--skip", "edition")
    assert result.code == 1
    problems, summary = problem_lines(result)
    assert len(problems) == 3
    assert summary == f"3 problem(s) in 2 file(s); {N_CHECKS - 1} checks run on 1 document(s)"


def test_json_output(published):
    clean = json.loads(published.run("--check", "--format", "json").out)
    assert clean == {"problems": [], "checks": list(REGISTRY), "documents": ["changchun-equipment"], "ok": True}
    _two_errors(published)
    result = published.run("--check", "--format", "json", "--only", "numbers", "--only", "glossary")
    assert result.code == 1
    data = json.loads(result.out)  # nothing but JSON on stdout
    assert data["ok"] is False
    assert data["checks"] == ["numbers", "glossary"]
    assert data["documents"] == ["changchun-equipment"]
    text = po_text(published)
    number, glossary = data["problems"]
    assert number["path"] == PO and number["check"] == "numbers"
    assert number["line"] in entry_lines(text, FIFTY_MILLION)
    assert number["message"] == "number(s) missing from the translation: 5000万"
    assert glossary["path"] == PO and glossary["check"] == "glossary"
    assert glossary["line"] in entry_lines(text, CAPTION)
    assert glossary["message"].startswith("复兴号 must be translated as 'Fuxing'")


# --- l10n.numbers ---------------------------------------------------------------------------

@pytest.mark.parametrize(
    "source, translation",
    [
        ("产值5000万元", "an output value of 50 million yuan"),
        ("产值5000万元", "an output value of 50,000,000 yuan"),
        ("超过530亿元", "above 53 billion yuan"),
        ("超过530亿元", "above 53,000,000,000 yuan"),
        ("1.5万人", "15,000 people"),
        ("百星飞天", "100 satellites in space"),
        ("百星飞天", "a hundred satellites in space"),
        ("2023年，", "In 2023,"),
        ("党的二十大精神", "the guiding principles of the 20th National Congress"),
        ("党的二十大精神", "the twentieth National Congress"),
        ("第三届论坛", "the third forum"),
        ("第三届论坛", "the 3rd forum"),
        ("三年攻坚", "a three-year push"),
        ("新增95家", "95 new companies"),
        ("41颗卫星", "forty-one satellites"),
        ("平台02A01星", "the Pingtai 02A01 satellite"),
        ("一路高歌，一汽一批", "a triumphant march"),  # a lone 一 is part of a word, not a number
    ],
)
def test_numbers_present(source, translation):
    assert missing_numbers(source, translation) == []


@pytest.mark.parametrize(
    "source, translation, missing",
    [
        ("产值5000万元", "an output value of 5 million yuan", ["5000万"]),
        ("产值5000万元", "an output value of 5,000 yuan", ["5000万"]),
        ("超过530亿元", "above 530 million yuan", ["530亿"]),
        ("百星飞天", "satellites in space", ["百"]),
        ("2023年，", "In 2022,", ["2023"]),
        ("党的二十大精神", "the 19th National Congress", ["二十"]),
        ("第三届论坛", "the second forum", ["第三"]),
        ("平台02A01星", "the Pingtai 2A01 satellite", ["02A01"]),
        ("平台02A01星", "the Pingtai 02A1 satellite", ["02A01"]),
    ],
)
def test_numbers_missing(source, translation, missing):
    assert missing_numbers(source, translation) == missing


def test_source_numbers_values():
    assert source_numbers("产值5000万元") == [("5000万", Decimal("5E+7"))]
    assert source_numbers("超过530亿元") == [("530亿", Decimal("5.3E+10"))]
    assert [v for _, v in source_numbers("第三届")] == [Decimal(3)]
    assert [v for _, v in source_numbers("二十大")] == [Decimal(20)]
    assert [v for _, v in source_numbers("百星")] == [Decimal(100)]
    assert source_numbers("一路高歌") == []


def test_identifiers_are_not_numbers():
    text = "“吉林一号”高分06A、高分03D、平台02A01星"
    assert source_identifiers(text) == ["06A", "03D", "02A01"]
    assert source_numbers(text) == []


def test_target_values():
    assert {Decimal(50_000_000), Decimal(50)} <= target_values("50 million yuan")
    assert Decimal(53_000_000_000) in target_values("53 billion yuan")
    assert Decimal(4707) in target_values("4,707 trips")
    assert Decimal(20) in target_values("the 20th National Congress")
    assert Decimal(3) in target_values("the third forum")
    assert Decimal(100) in target_values("a hundred satellites")
