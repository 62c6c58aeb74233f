"""The CI checks: one realistic error per check id, located at `path:line: [id] message`.

Every test starts from a reviewed, built, published copy of the project (the committed catalog),
which passes `--check` cleanly, introduces one error by editing a file as text, and asserts the
exact problem line(s), the exit code and the summary line.
"""

from __future__ import annotations

import ast
import json
import re
import shutil
from pathlib import Path

import polib
import pytest

from l10n import pofile
from l10n.checks import REGISTRY
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


def marked_check_ids() -> dict[str, set[str]]:
    """check id → the test files whose tests carry `@pytest.mark.check(id)`, read from the tests."""
    found: dict[str, set[str]] = {}
    for path in sorted(Path(__file__).parent.glob("test_*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and ast.unparse(node.func) == "pytest.mark.check":
                for arg in node.args:
                    assert isinstance(arg, ast.Constant) and isinstance(arg.value, str), ast.unparse(node)
                    found.setdefault(arg.value, set()).add(path.name)
    return found


def test_every_registered_check_has_a_test():
    """Every check of --check, and every MT QA check of l10n.qa, has a test marked with its id."""
    from l10n import qa

    known = set(REGISTRY) | set(qa.CHECKS)
    marked = marked_check_ids()
    assert sorted(known - set(marked)) == [], "checks without a test marked @pytest.mark.check(id)"
    assert sorted(set(marked) - known) == [], "tests marked with ids that are not registered checks"


# --- one realistic error per check ----------------------------------------------------------

FIFTY_MILLION = "投产后预计当年可实现产值5000万元！"
CAPTION = "中车长客打造的复兴号亚智能动车组。"
HEADLINE = "奋力提升挺“脊梁”"
CRCHI = "长春铁建重工铆焊工人正在进行盾构机刀盘加工。"
TRIUMPH = "一路高歌，捷报频传！"


@pytest.mark.check("numbers")
def test_numbers_wrong_amount(published):
    assert_clean(published, "numbers")
    edit_msgstr(published.po, FIFTY_MILLION, "50 million", "5 million")
    assert_one_problem(published, "numbers", FIFTY_MILLION, "missing number: 5000万元 → expected 50 million yuan")


@pytest.mark.check("numbers")
def test_numbers_satellite_identifier_altered(published):
    msgid = "长光卫星利用自主研制的“吉林一号”平台02A01星、平台02A02星，实现我国首次星间激光超高速数据传输；"
    edit_msgstr(published.po, msgid, "02A02", "02A2")
    assert_one_problem(published, "numbers", msgid, "identifier 02A02 is not in the translation; copy it verbatim")


@pytest.mark.check("glossary")
def test_glossary_term_mistranslated(published):
    assert_clean(published, "glossary")
    edit_msgstr(published.po, CAPTION, "Fuxing", "Revival")
    line = glossary_line(published, "复兴号")
    assert_one_problem(published, "glossary", CAPTION, f"复兴号 must be translated as 'Fuxing' (glossary.csv:{line})")


@pytest.mark.check("cjk-leftover")
def test_cjk_left_in_translation(published):
    assert_clean(published, "cjk-leftover")
    edit_msgstr(published.po, CAPTION, "Fuxing", "复兴号")
    assert_one_problem(published, "cjk-leftover", CAPTION,
                       "Chinese characters or full-width punctuation left in the translation: " + "".join(sorted("复兴号")))


@pytest.mark.check("cjk-leftover")
def test_cjk_fullwidth_punctuation(published):
    edit_msgstr(published.po, TRIUMPH, "pouring in!", "pouring in！")
    assert_one_problem(published, "cjk-leftover", TRIUMPH,
                       "Chinese characters or full-width punctuation left in the translation: ！")


@pytest.mark.check("brackets-quotes")
def test_brackets_dropped_closing_quote(published):
    assert_clean(published, "brackets-quotes")
    edit_msgstr(published.po, HEADLINE, "“Backbone”", "“Backbone")
    assert_one_problem(published, "brackets-quotes", HEADLINE, "unclosed '“'")


@pytest.mark.check("brackets-quotes")
def test_brackets_dropped_closing_parenthesis(published):
    edit_msgstr(published.po, CRCHI, "(CRCHI)", "(CRCHI")
    assert_one_problem(published, "brackets-quotes", CRCHI, "unclosed '('")


@pytest.mark.check("brackets-quotes")
def test_brackets_stray_closing_parenthesis(published):
    edit_msgstr(published.po, CRCHI, "(CRCHI)", "CRCHI)")
    assert_one_problem(published, "brackets-quotes", CRCHI, "unmatched ')'")


@pytest.mark.check("sync")
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


@pytest.mark.check("sync")
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


@pytest.mark.check("untranslated")
def test_untranslated_entry_in_published_document(published):
    assert_clean(published, "untranslated")
    edit_msgstr(published.po, TRIUMPH, "A triumphant march, with good news pouring in!", "")
    assert_one_problem(published, "untranslated", TRIUMPH, "untranslated entry in a published document")


@pytest.mark.check("fuzzy")
def test_fuzzy_entry_in_published_document(published):
    assert_clean(published, "fuzzy")
    text = po_text(published)
    start, msgid_line, _ = entry_lines(text, TRIUMPH)
    lines = text.split("\n")
    lines.insert(msgid_line - 1, "#, fuzzy")
    published.po.write_text("\n".join(lines), encoding="utf-8")
    assert_one_problem(published, "fuzzy", TRIUMPH, "fuzzy entry in a published document: review it and remove the fuzzy flag")


@pytest.mark.check("untranslated", "fuzzy")
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


@pytest.mark.check("glossary-file")
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


@pytest.mark.check("consistency")
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


@pytest.mark.check("edition")
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


@pytest.mark.check("edition")
def test_edition_file_missing(published):
    published.po.with_suffix(".html").unlink()
    result = check(published, "edition")
    assert result.code == 1
    problems, _ = problem_lines(result)
    assert problems == ["target/en/changchun-equipment.html: [edition] edition file is missing; run `translate.py build`"]


@pytest.mark.check("mt-quality")
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


@pytest.mark.check("mt-quality")
def test_mt_quality_gate_does_not_compute_ter(published, monkeypatch):
    """TER takes seconds on real MT output (sacrebleu's shift search) and the gate does not use it."""
    from sacrebleu.metrics import TER

    def forbidden(*args, **kwargs):
        raise AssertionError("the mt-quality check computed TER")

    monkeypatch.setattr(TER, "corpus_score", forbidden)
    assert_clean(published, "mt-quality")
    replace_once(published.pyproject, "chrf = 0.0", "chrf = 99")
    assert check(published, "mt-quality").code == 1  # the gate itself still runs


@pytest.mark.check("mt-quality")
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

@pytest.mark.check("po-syntax")
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


@pytest.mark.check("po-syntax")
def test_po_syntax_leading_newline_mismatch(published):
    replace_once(published.po, 'msgid "看长春"', 'msgid "\\n看长春"')
    assert_one_problem(published, "po-syntax", "\n看长春", "msgid and msgstr must both begin with \\n, or neither (msgfmt --check)")


@pytest.mark.check("po-syntax")
def test_po_syntax_trailing_newline_mismatch(published):
    replace_once(published.po, 'msgstr "Focus on Changchun"', 'msgstr "Focus on Changchun\\n"')
    assert_one_problem(published, "po-syntax", "看长春", "msgid and msgstr must both end with \\n, or neither (msgfmt --check)")


@pytest.mark.check("po-syntax")
def test_po_syntax_c_format_mismatch(published):
    with published.po.open("a", encoding="utf-8") as handle:
        handle.write('\n#, c-format\nmsgid "共%d颗卫星"\nmsgstr "%s satellites"\n')
    assert_one_problem(published, "po-syntax", "共%d颗卫星", "c-format directives differ: msgid has ['%d'], msgstr has ['%s']")


@pytest.mark.check("po-syntax")
def test_po_syntax_missing_language_header(published):
    replace_once(published.po, '"Language: en\\n"\n', "")
    assert_one_problem(published, "po-syntax", "", "header field 'Language' is missing; run `translate.py update`", at="start")


@pytest.mark.check("po-syntax")
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
    assert number["message"] == "missing number: 5000万元 → expected 50 million yuan"
    assert glossary["path"] == PO and glossary["check"] == "glossary"
    assert glossary["line"] in entry_lines(text, CAPTION)
    assert glossary["message"].startswith("复兴号 must be translated as 'Fuxing'")


# --- segment checks of l10n.qa, on the catalog ------------------------------------------------

PLATFORMS = "长光卫星利用自主研制的“吉林一号”平台02A01星、平台02A02星，实现我国首次星间激光超高速数据传输；"
THRIVING = "长春高端装备制造蒸蒸日上，“金名片”持续领跑，产业明星一马当先。"
EXECUTIVE = ("企业相关负责人说，长春市工信局对涉及企业的相关政策文件信息，每次都第一时间传达给企业，耐心解答企业提出的政策问题，"
             "在“专精特新”企业认证、政府补助等申报上，长春市工信局总是积极提供帮助，真心实意助力企业发展，使企业干劲倍增。")
BUREAU_FIRST = "依托“六个回归”，长春市工信局助力招商引资蓄动能，扎实推进重大工程建设，打好项目为王攻坚战。"
BUREAU_LATER = [
    "而今，在长春市工信局的助推下，全市轨道装备制造企业已新增95家，后续将推动更多供应商到长春市落户配套。",
    "积极沟通新项目，持续跟踪在建项目，长春市工信局再加力度。",
    "目前，长春市工信局已推进高铁运维基地暨中车车辆搬迁项目、新金享轨道车辆新材料项目、研奥高铁检修生产线升级改造项目、"
    "中韩（长春）国际合作示范区无人机制造产业园建设项目、楚天华通生产医药装备及建设北方生产基地项目等一批重大项目加速建设，全力推动投产达效。",
]
BUREAU = "Changchun Municipal Bureau of Industry and Information Technology"


def add_translator_comment(path: Path, msgid: str, comment: str) -> None:
    """Put `# comment` on the first line of the entry, as a PO editor would."""
    text = path.read_text(encoding="utf-8")
    start, _, _ = entry_lines(text, msgid)
    lines = text.split("\n")
    lines.insert(start - 1, f"# {comment}")
    path.write_text("\n".join(lines), encoding="utf-8")


@pytest.mark.check("doubled-word")
def test_doubled_word_in_a_reviewed_entry(published):
    assert_clean(published, "doubled-word")
    edit_msgstr(published.po, CAPTION, "built by CRRC", "built by by CRRC")
    assert_one_problem(published, "doubled-word", CAPTION, "doubled word: 'by by'")


@pytest.mark.check("edge-whitespace")
def test_leading_whitespace_the_source_lacks(published):
    assert_clean(published, "edge-whitespace")
    edit_msgstr(published.po, TRIUMPH, "A triumphant", " A triumphant")
    assert_one_problem(published, "edge-whitespace", TRIUMPH, "leading whitespace ' ' that the source does not have")


@pytest.mark.check("edge-whitespace")
def test_trailing_whitespace_the_source_lacks(published):
    edit_msgstr(published.po, TRIUMPH, "pouring in!", "pouring in! ")
    assert_one_problem(published, "edge-whitespace", TRIUMPH, "trailing whitespace ' ' that the source does not have")


@pytest.mark.check("double-space")
def test_double_space_in_a_reviewed_entry(published):
    assert_clean(published, "double-space")
    edit_msgstr(published.po, TRIUMPH, "with good news", "with  good news")
    assert_one_problem(published, "double-space", TRIUMPH, "2 spaces after 'with'")


@pytest.mark.check("verbatim")
def test_url_changed_in_a_reviewed_entry(published):
    """The source sentence gains a web address (in the source text and the catalog alike)."""
    assert_clean(published, "verbatim")
    with_url = FIFTY_MILLION.replace("！", "（详见www.changchun.gov.cn）！")
    replace_once(published.source, FIFTY_MILLION, with_url)
    replace_once(published.po, f'msgid "{FIFTY_MILLION}"', f'msgid "{with_url}"')
    edit_msgstr(published.po, with_url, "in its first year.", "in its first year (see www.changchun.gov.cn).")
    assert_clean(published, "verbatim")
    assert_clean(published, "sync")
    edit_msgstr(published.po, with_url, "www.changchun.gov.cn", "www.changchun.gov.com")
    assert_one_problem(published, "verbatim", with_url, "URL www.changchun.gov.cn is not in the translation; copy it verbatim")


@pytest.mark.check("final-punctuation")
def test_final_full_stop_dropped(published):
    assert_clean(published, "final-punctuation")
    edit_msgstr(published.po, TRIUMPH, "pouring in!", "pouring in")
    assert_one_problem(published, "final-punctuation", TRIUMPH,
                       "the source ends the sentence with ！ but the translation does not end with . ! ? or …: '…good news pouring in'")


@pytest.mark.check("final-punctuation")
def test_headings_and_kickers_need_no_sentence_end(published):
    # the committed headings, kickers and headline end without punctuation, and pass
    text = po_text(published)
    assert '"Reaching New Heights on Deeper Foundations"' in text
    assert_clean(published, "final-punctuation")


@pytest.mark.check("capitalization")
def test_first_letter_lower_cased(published):
    assert_clean(published, "capitalization")
    edit_msgstr(published.po, THRIVING, "Changchun’s high-end", "changchun’s high-end")
    assert_one_problem(published, "capitalization", THRIVING,
                       "the translation starts with a lower-case letter: 'changchun’s high-end equipment …'")


@pytest.mark.check("glossary-count")
def test_glossary_term_replaced_in_one_of_its_two_occurrences(published):
    assert_clean(published, "glossary-count")
    edit_msgstr(published.po, EXECUTIVE, "the bureau is always ready", "it is always ready")
    line = glossary_line(published, "长春市工信局")
    assert_one_problem(published, "glossary-count", EXECUTIVE,
                       f"长春市工信局 occurs 2 times in the source but {BUREAU!r} (or a variant) only 1 time in the "
                       f"translation (glossary.csv:{line}); render each occurrence, or explain why not with "
                       "`# l10n: allow glossary-count — reason`")


@pytest.mark.check("glossary")
def test_short_form_before_the_full_form_is_a_glossary_problem(published):
    """"the bureau" counts only once the full name has appeared earlier in the document: with the
    first mention shortened, every later "the bureau" up to the next full name is reported too."""
    edit_msgstr(published.po, BUREAU_FIRST, f"the {BUREAU}", "the bureau")
    line = glossary_line(published, "长春市工信局")
    message = (f"长春市工信局 must be translated as {BUREAU!r} (glossary.csv:{line}); 'the bureau' is a short form, "
               "allowed only after the full form has appeared")
    result = check(published, "glossary")
    assert result.code == 1, result
    problems, _ = problem_lines(result)
    assert len(problems) == 4, problems
    for problem, msgid in zip(problems, [BUREAU_FIRST, *BUREAU_LATER]):
        assert_entry_problem(problem, published, msgid, "glossary", message)


@pytest.mark.check("glossary")
def test_unmarked_variants_still_count_anywhere(published):
    """An old glossary without `short:` keeps its meaning: the variant satisfies the term anywhere."""
    replace_once(published.glossary, "short:the bureau", "the bureau")
    edit_msgstr(published.po, BUREAU_FIRST, f"the {BUREAU}", "the bureau")
    assert_clean(published, "glossary")


# --- l10n: allow ------------------------------------------------------------------------------

@pytest.mark.check("allow-comment")
def test_allow_comment_silences_the_named_check_for_its_entry(published):
    assert_clean(published, "allow-comment")   # each committed allow comment silences a real finding
    edit_msgstr(published.po, TRIUMPH, "with good news", "with  good news")
    edit_msgstr(published.po, CAPTION, "built by CRRC", "built by  CRRC")
    add_translator_comment(published.po, TRIUMPH, "l10n: allow double-space — spacing kept from the print layout")
    assert_one_problem(published, "double-space", CAPTION, "2 spaces after 'by'")   # the other entry still counts
    assert_clean(published, "allow-comment")


@pytest.mark.check("allow-comment")
def test_allow_comment_problems(published):
    add_translator_comment(published.po, TRIUMPH, "l10n: allow double-spaces numbers")
    add_translator_comment(published.po, CAPTION, "l10n: allow sync Glossary")
    result = check(published, "allow-comment")
    assert result.code == 1, result
    problems, summary = problem_lines(result)
    from l10n.checks import ALLOWED_PER_ENTRY

    segment_ids = ", ".join(sorted(ALLOWED_PER_ENTRY))
    expected = [
        (CAPTION, "'Glossary' in `l10n: allow` is not a check id; put the reason after a dash: `l10n: allow <id> — reason`"),
        (CAPTION, f"`l10n: allow sync`: 'sync' is a catalog-wide check, which cannot be allowed per entry; per-entry checks: {segment_ids}"),
        (TRIUMPH, f"`l10n: allow double-spaces`: 'double-spaces' is an unknown check; per-entry checks: {segment_ids}"),
        (TRIUMPH, "`l10n: allow numbers` silences nothing here: the check finds no problem in this entry; remove it"),
    ]
    assert len(problems) == len(expected), problems
    for problem, (msgid, message) in zip(sorted(problems, key=lambda p: (int(p.split(":")[1]), p)), expected):
        assert_entry_problem(problem, published, msgid, "allow-comment", message, at="start")  # the comment


@pytest.mark.check("glossary-count")
def test_committed_allow_comments_explain_real_findings(published):
    """The committed catalog explains three term counts with `l10n: allow glossary-count`;
    without those lines the check reports exactly those entries."""
    text = po_text(published)
    allows = [line for line in text.split("\n") if line.startswith("# l10n: allow")]
    assert len(allows) == 3 and all(" — " in line for line in allows)
    published.po.write_text("\n".join(line for line in text.split("\n") if not line.startswith("# l10n: allow")),
                            encoding="utf-8")
    result = check(published, "glossary-count")
    problems, _ = problem_lines(result)
    assert [re.search(r"\] (\S+) occurs", p).group(1) for p in problems] == ["高温超导电动悬浮", "航空航天及应用产业", "中车大连机车研究所有限公司"]


def test_allow_lines_survive_a_round_trip_through_the_catalog_writer(published):
    po = pofile.read_catalog(published.po, PO)
    rendered = pofile.render(po)
    assert rendered.count("# l10n: allow glossary-count") == 3
