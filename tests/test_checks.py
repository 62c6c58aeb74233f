"""The CI checks: one realistic error per check id, located at `path:line: [id] message`.

Every test starts from a reviewed, built, published copy of the sample project
(tests/data/sample), which passes `--check` cleanly, introduces one error by editing a file as
text, and asserts the exact problem line(s), the exit code and the summary line.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import polib
import pytest

from l10n import pofile
from l10n.checks import REGISTRY
from tests.conftest import SAMPLE_CATALOG, SAMPLE_DOC, Project, make_sample, sample_segments, set_threshold

PO = f"target/en/{SAMPLE_DOC}.po"
SRC = f"source/zh/{SAMPLE_DOC}.txt"
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
    project = make_sample(tmp_path, published=True)
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

def _segment(kind: str, starts: str = "") -> str:
    return next(s.text for s in sample_segments() if s.kind == kind and s.text.startswith(starts))


REVIEWED = {e.msgid: e.msgstr for e in polib.pofile(str(SAMPLE_CATALOG))}
TONNAGE = _segment("paragraph", "货物吞吐量")            # 128 million tonnes
CAPTION = _segment("caption")                           # the automated terminal (a glossary term)
HEADLINE = _segment("headline")                         # Picks Up “Speed”
THROUGHPUT = _segment("paragraph", "2024年1月至6月")     # (TEUs)
TRIUMPH = _segment("paragraph")                         # a one-sentence paragraph on a line of its own
TERMINAL, TERMINAL_EN = "自动化码头", "automated terminal"
assert TERMINAL in CAPTION and TERMINAL_EN in REVIEWED[CAPTION]


@pytest.mark.check("numbers")
def test_numbers_wrong_amount(published):
    assert_clean(published, "numbers")
    edit_msgstr(published.po, TONNAGE, "128 million", "12.8 million")
    assert_one_problem(published, "numbers", TONNAGE, "missing number: 1.28亿 → expected 128 million")


@pytest.mark.check("numbers")
def test_numbers_identifier_altered(published):
    msgid = _segment("list-item", "自动化码头")
    edit_msgstr(published.po, msgid, "5G", "4G")
    assert_one_problem(published, "numbers", msgid, "identifier 5G is not in the translation; copy it verbatim")


@pytest.mark.check("glossary")
def test_glossary_term_mistranslated(published):
    assert_clean(published, "glossary")
    edit_msgstr(published.po, CAPTION, TERMINAL_EN, "automatic wharf")
    line = glossary_line(published, TERMINAL)
    assert_one_problem(published, "glossary", CAPTION, f"{TERMINAL} must be translated as {TERMINAL_EN!r} (glossary.csv:{line})")


@pytest.mark.check("cjk-leftover")
def test_cjk_left_in_translation(published):
    assert_clean(published, "cjk-leftover")
    edit_msgstr(published.po, CAPTION, TERMINAL_EN, TERMINAL)
    assert_one_problem(published, "cjk-leftover", CAPTION,
                       "Chinese characters or full-width punctuation left in the translation: " + TERMINAL)


@pytest.mark.check("cjk-leftover")
def test_cjk_fullwidth_punctuation(published):
    edit_msgstr(published.po, TRIUMPH, "cargo!", "cargo！")
    assert_one_problem(published, "cjk-leftover", TRIUMPH,
                       "Chinese characters or full-width punctuation left in the translation: ！")


@pytest.mark.check("brackets-quotes")
def test_brackets_dropped_closing_quote(published):
    assert_clean(published, "brackets-quotes")
    edit_msgstr(published.po, HEADLINE, "“Speed”", "“Speed")
    assert_one_problem(published, "brackets-quotes", HEADLINE, "unclosed '“'")


@pytest.mark.check("brackets-quotes")
def test_brackets_dropped_closing_parenthesis(published):
    edit_msgstr(published.po, THROUGHPUT, "(TEUs)", "(TEUs")
    assert_one_problem(published, "brackets-quotes", THROUGHPUT, "unclosed '('")


@pytest.mark.check("brackets-quotes")
def test_brackets_stray_closing_parenthesis(published):
    edit_msgstr(published.po, THROUGHPUT, "(TEUs)", "TEUs)")
    assert_one_problem(published, "brackets-quotes", THROUGHPUT, "unmatched ')'")


@pytest.mark.check("sync")
def test_sync_source_sentence_edited(published):
    assert_clean(published, "sync")
    source = published.source.read_text(encoding="utf-8")
    line = source.split("\n").index(TRIUMPH) + 1
    edited = TRIUMPH[:-2] + "快" + TRIUMPH[-1]
    replace_once(published.source, TRIUMPH, edited)
    result = check(published, "sync")
    assert result.code == 1, result
    problems, summary = problem_lines(result)
    assert len(problems) == 2, problems
    assert problems[0] == (f"{SRC}:{line}: [sync] segment is not in {PO}: {edited}; run `translate.py update`")
    assert_entry_problem(problems[1], published, TRIUMPH, "sync",
                         f"entry has no segment in {SRC} (source edited?); run `translate.py update`", at="msgid")
    assert summary == "2 problem(s) in 2 file(s); 1 check run on 1 document(s)"


@pytest.mark.check("sync")
def test_sync_line_references_out_of_date(published):
    # a blank line inserted above the picture credit moves its line reference
    last = _segment("credit")
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
    edit_msgstr(published.po, TRIUMPH, REVIEWED[TRIUMPH], "")
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
    project = make_sample(tmp_path, published=False)
    edit_msgstr(project.po, TRIUMPH, REVIEWED[TRIUMPH], "")
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
    first = glossary_line(published, TERMINAL)
    text = published.glossary.read_text(encoding="utf-8")
    published.glossary.write_text(text + f"{TERMINAL},automatic wharf,the terminal,\n", encoding="utf-8")
    added = len(text.split("\n"))  # the text ends in \n: the new row is on this line
    result = check(published, "glossary-file")
    assert result.code == 1, result
    problems, summary = problem_lines(result)
    assert problems == [f"glossary.csv:{added}: [glossary-file] {TERMINAL} is already defined as {TERMINAL_EN!r} on line {first}, "
                        "here as 'automatic wharf'; keep one"]
    assert summary == "1 problem(s) in 1 file(s); 1 check run on 1 document(s)"


@pytest.mark.check("consistency")
def test_consistency_a_name_outside_the_glossary_rendered_differently_once(published):
    """With 东澜港 not in the glossary, the rendering its other entries share makes the odd one out
    a problem; the glossary's other terms (东澜港务集团 holds it too) are still there and stay clean."""
    port, port_en = "东澜港", "Port of Donglan"
    text = published.glossary.read_text(encoding="utf-8")
    published.glossary.write_text("".join(l for l in text.splitlines(True) if not l.startswith(f"{port},")), encoding="utf-8")
    assert_clean(published, "consistency")
    msgid = _segment("paragraph", "这是东澜港")
    edit_msgstr(published.po, msgid, f"the {port_en}", "Donglan’s port")
    # the entries that hold the port on its own (not inside the glossary's 东澜港务集团), the edited one aside
    others = [m for m in REVIEWED if port in m.replace("东澜港务集团", "") and m != msgid]
    assert len(others) > 3 and all(port_en in REVIEWED[m] for m in others)
    result = check(published, "consistency")
    assert result.code == 1, result
    problems, summary = problem_lines(result)
    assert len(problems) == 1, problems
    m = re.fullmatch(rf"(.*) \[consistency\] {port} is rendered '{port_en}' at (.*), but not here; "
                     r"make them agree, or add the comment `# l10n: allow consistency` for an intended variation", problems[0])
    assert m, problems[0]
    assert_entry_problem(m.group(1) + " [consistency] x", published, msgid, "consistency", "x")
    assert re.fullmatch(rf"{re.escape(PO)}:\d+, {re.escape(PO)}:\d+, {re.escape(PO)}:\d+ and {len(others) - 3} more", m.group(2))


@pytest.mark.check("edition")
def test_edition_out_of_date_after_editing_a_reviewed_msgstr(published):
    assert_clean(published, "edition")
    expected = []
    for suffix in (".md", ".html", ".review.html"):
        path = published.po.with_suffix(suffix)
        lines = path.read_text(encoding="utf-8").split("\n")
        number = next(i for i, line in enumerate(lines, start=1) if REVIEWED[TRIUMPH] in line)
        expected.append(f"target/en/{SAMPLE_DOC}{suffix}:{number}: [edition] edition is out of date with the catalog; run `translate.py build`")
    edit_msgstr(published.po, TRIUMPH, "more cargo", "more freight")
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
    assert problems == [f"target/en/{SAMPLE_DOC}.html: [edition] edition file is missing; run `translate.py build`"]


@pytest.mark.check("mt-quality")
def test_mt_quality_below_threshold(published):
    assert_clean(published, "mt-quality")
    line = set_threshold(published, "chrf", "99")
    result = check(published, "mt-quality")
    assert result.code == 1, result
    problems, summary = problem_lines(result)
    assert len(problems) == 1, problems
    assert re.fullmatch(
        rf"pyproject\.toml:{line}: \[mt-quality\] corpus chrF \d+\.\d\d is below the threshold 99\.00 \({len(REVIEWED)} segments scored\)",
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
    set_threshold(published, "chrf", "99")
    assert check(published, "mt-quality").code == 1  # the gate itself still runs


@pytest.mark.check("mt-quality")
def test_mt_quality_term_accuracy_below_threshold(published):
    line = set_threshold(published, "terms", "99.5")
    assert_clean(published, "glossary")  # the reviewed translations are right; the MT is what falls short
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
    set_threshold(published, "terms", f"{accuracy - 0.5:.2f}")
    assert_clean(published, "mt-quality")


# --- po-syntax ---------------------------------------------------------------------------

FIRST = next(iter(polib.pofile(str(SAMPLE_CATALOG))))  # 'msgid "…"' and 'msgstr "…"' on one line each

@pytest.mark.check("po-syntax")
def test_po_syntax_duplicate_msgid(published):
    assert_clean(published, "po-syntax")
    with published.po.open("a", encoding="utf-8") as handle:
        handle.write(f'\n#: {SRC}:{FIRST.occurrences[0][1]}\nmsgid "{FIRST.msgid}"\nmsgstr "Another translation"\n')
    result = check(published, "po-syntax")
    assert result.code == 1, result
    problems, _ = problem_lines(result)
    assert len(problems) == 1, problems
    assert_entry_problem(problems[0], published, FIRST.msgid, "po-syntax",
                         "duplicate msgid (the same segment appears twice); merge the two entries into one", nth=1,
                         at="msgid")


@pytest.mark.check("po-syntax")
def test_po_syntax_leading_newline_mismatch(published):
    replace_once(published.po, f'msgid "{FIRST.msgid}"', f'msgid "\\n{FIRST.msgid}"')
    assert_one_problem(published, "po-syntax", f"\n{FIRST.msgid}", "msgid and msgstr must both begin with \\n, or neither (msgfmt --check)")


@pytest.mark.check("po-syntax")
def test_po_syntax_trailing_newline_mismatch(published):
    replace_once(published.po, f'msgstr "{FIRST.msgstr}"', f'msgstr "{FIRST.msgstr}\\n"')
    assert_one_problem(published, "po-syntax", FIRST.msgid, "msgid and msgstr must both end with \\n, or neither (msgfmt --check)")


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
    replace_once(published.po, f'msgstr "{FIRST.msgstr}"\n', f'msgstr "{FIRST.msgstr}"\nfoo bar\n')
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
    edit_msgstr(project.po, TONNAGE, "128 million", "12.8 million")
    edit_msgstr(project.po, CAPTION, TERMINAL_EN, "automatic wharf")


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
    set_threshold(published, "chrf", "99")
    result = published.run("--check", "--skip", "edition")
    assert result.code == 1
    problems, summary = problem_lines(result)
    assert len(problems) == 3
    assert summary == f"3 problem(s) in 2 file(s); {N_CHECKS - 1} checks run on 1 document(s)"


def test_json_output(published):
    clean = json.loads(published.run("--check", "--format", "json").out)
    assert clean == {"problems": [], "checks": list(REGISTRY), "documents": [SAMPLE_DOC], "ok": True}
    _two_errors(published)
    result = published.run("--check", "--format", "json", "--only", "numbers", "--only", "glossary")
    assert result.code == 1
    data = json.loads(result.out)  # nothing but JSON on stdout
    assert data["ok"] is False
    assert data["checks"] == ["numbers", "glossary"]
    assert data["documents"] == [SAMPLE_DOC]
    text = po_text(published)
    number, glossary = data["problems"]
    assert number["path"] == PO and number["check"] == "numbers"
    assert number["line"] in entry_lines(text, TONNAGE)
    assert number["message"] == "missing number: 1.28亿 → expected 128 million"
    assert glossary["path"] == PO and glossary["check"] == "glossary"
    assert glossary["line"] in entry_lines(text, CAPTION)
    assert glossary["message"].startswith(f"{TERMINAL} must be translated as {TERMINAL_EN!r}")


# --- segment checks of l10n.qa, on the catalog ------------------------------------------------

REVENUE = _segment("paragraph", "据统计")   # 东澜港务集团 twice: the full name, then "the group"
GROUP, GROUP_EN = "东澜港务集团", "Donglan Port Group"
CARGO = TONNAGE                              # "Cargo throughput reached …"


def short_form_run() -> tuple[str, list[str]]:
    """The first entry naming the group (with its full name), and the entries after it that name
    it by the short form alone, up to the next full name."""
    named = [m for m in REVIEWED if GROUP in m]
    first = named[0]
    assert GROUP_EN in REVIEWED[first]
    later = []
    for msgid in named[1:]:
        if GROUP_EN in REVIEWED[msgid]:
            break
        later.append(msgid)
    return first, later


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
    edit_msgstr(published.po, CAPTION, "load and unload", "load and and unload")
    assert_one_problem(published, "doubled-word", CAPTION, "doubled word: 'and and'")


@pytest.mark.check("edge-whitespace")
def test_leading_whitespace_the_source_lacks(published):
    assert_clean(published, "edge-whitespace")
    edit_msgstr(published.po, TRIUMPH, "More routes", " More routes")
    assert_one_problem(published, "edge-whitespace", TRIUMPH, "leading whitespace ' ' that the source does not have")


@pytest.mark.check("edge-whitespace")
def test_trailing_whitespace_the_source_lacks(published):
    edit_msgstr(published.po, TRIUMPH, "cargo!", "cargo! ")
    assert_one_problem(published, "edge-whitespace", TRIUMPH, "trailing whitespace ' ' that the source does not have")


@pytest.mark.check("double-space")
def test_double_space_in_a_reviewed_entry(published):
    assert_clean(published, "double-space")
    edit_msgstr(published.po, TRIUMPH, "more cargo", "more  cargo")
    assert_one_problem(published, "double-space", TRIUMPH, "2 spaces after 'more'")


@pytest.mark.check("verbatim")
def test_url_changed_in_a_reviewed_entry(published):
    """The source sentence gains a web address (in the source text and the catalog alike)."""
    assert_clean(published, "verbatim")
    with_url = TONNAGE.replace("。", "（详见www.donglanport.cn）。")
    replace_once(published.source, TONNAGE, with_url)
    replace_once(published.po, f'msgid "{TONNAGE}"', f'msgid "{with_url}"')
    edit_msgstr(published.po, with_url, "for the period.", "for the period (see www.donglanport.cn).")
    assert_clean(published, "verbatim")
    assert_clean(published, "sync")
    edit_msgstr(published.po, with_url, "www.donglanport.cn", "www.donglanport.com")
    assert_one_problem(published, "verbatim", with_url, "URL www.donglanport.cn is not in the translation; copy it verbatim")


@pytest.mark.check("final-punctuation")
def test_final_full_stop_dropped(published):
    assert_clean(published, "final-punctuation")
    edit_msgstr(published.po, TRIUMPH, "cargo!", "cargo")
    assert_one_problem(published, "final-punctuation", TRIUMPH,
                       "the source ends the sentence with ！ but the translation does not end with . ! ? or …: '…More routes, more cargo'")


@pytest.mark.check("final-punctuation")
def test_headings_and_kickers_need_no_sentence_end(published):
    # the sample's headings, kickers and headline end without punctuation, and pass
    heads = [s.text for s in sample_segments() if s.kind in ("kicker", "headline", "heading")]
    assert heads and not any(REVIEWED[h].endswith((".", "!", "?", "…")) for h in heads)
    assert any(h.endswith(("——", "”")) for h in heads)  # even where the source ends on punctuation
    assert_clean(published, "final-punctuation")


@pytest.mark.check("capitalization")
def test_first_letter_lower_cased(published):
    assert_clean(published, "capitalization")
    edit_msgstr(published.po, CARGO, "Cargo throughput", "cargo throughput")
    assert_one_problem(published, "capitalization", CARGO,
                       "the translation starts with a lower-case letter: 'cargo throughput reached …'")


@pytest.mark.check("glossary-count")
def test_glossary_term_replaced_in_one_of_its_two_occurrences(published):
    assert_clean(published, "glossary-count")
    assert REVENUE.count(GROUP) == 2
    edit_msgstr(published.po, REVENUE, "the group’s logistics arm", "its logistics arm")
    line = glossary_line(published, GROUP)
    assert_one_problem(published, "glossary-count", REVENUE,
                       f"{GROUP} occurs 2 times in the source but {GROUP_EN!r} (or a variant) only 1 time in the "
                       f"translation (glossary.csv:{line}); render each occurrence, or explain why not with "
                       "`# l10n: allow glossary-count — reason`")


@pytest.mark.check("glossary")
def test_short_form_before_the_full_form_is_a_glossary_problem(published):
    """"the group" counts only once the full name has appeared earlier in the document: with the
    first mention shortened, every later "the group" up to the next full name is reported too."""
    first, later = short_form_run()
    assert later
    edit_msgstr(published.po, first, GROUP_EN, "the group")
    line = glossary_line(published, GROUP)
    message = (f"{GROUP} must be translated as {GROUP_EN!r} (glossary.csv:{line}); 'the group' is a short form, "
               "allowed only after the full form has appeared")
    result = check(published, "glossary")
    assert result.code == 1, result
    problems, _ = problem_lines(result)
    assert len(problems) == 1 + len(later), problems
    for problem, msgid in zip(problems, [first, *later]):
        assert_entry_problem(problem, published, msgid, "glossary", message)


@pytest.mark.check("glossary")
def test_unmarked_variants_still_count_anywhere(published):
    """An old glossary without `short:` keeps its meaning: the variant satisfies the term anywhere."""
    replace_once(published.glossary, "short:the group", "the group")
    edit_msgstr(published.po, short_form_run()[0], GROUP_EN, "the group")
    assert_clean(published, "glossary")


# --- l10n: allow ------------------------------------------------------------------------------

@pytest.mark.check("allow-comment")
def test_allow_comment_silences_the_named_check_for_its_entry(published):
    assert_clean(published, "allow-comment")   # each committed allow comment silences a real finding
    edit_msgstr(published.po, TRIUMPH, "more cargo", "more  cargo")
    edit_msgstr(published.po, CAPTION, "load and unload", "load and  unload")
    add_translator_comment(published.po, TRIUMPH, "l10n: allow double-space — spacing kept from the print layout")
    assert_one_problem(published, "double-space", CAPTION, "2 spaces after 'and'")   # the other entry still counts
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
    expected.sort(key=lambda item: entry_lines(po_text(published), item[0])[0])  # in the order of the catalog
    assert len(problems) == len(expected), problems
    for problem, (msgid, message) in zip(sorted(problems, key=lambda p: (int(p.split(":")[1]), p)), expected):
        assert_entry_problem(problem, published, msgid, "allow-comment", message, at="start")  # the comment


@pytest.mark.check("glossary-count")
def test_committed_allow_comments_explain_real_findings(published):
    """The sample catalog explains a term count with `l10n: allow glossary-count`; without that
    line the check reports exactly that entry."""
    text = po_text(published)
    allows = [line for line in text.split("\n") if line.startswith("# l10n: allow")]
    assert allows and all(line.startswith("# l10n: allow glossary-count — ") for line in allows)
    allowed = [e.msgid for e in pofile.read_catalog(published.po, PO) if "l10n: allow" in e.tcomment]
    published.po.write_text("\n".join(line for line in text.split("\n") if not line.startswith("# l10n: allow")),
                            encoding="utf-8")
    result = check(published, "glossary-count")
    problems, _ = problem_lines(result)
    assert len(problems) == len(allowed)
    for problem, msgid in zip(problems, allowed):
        assert_entry_problem(problem, published, msgid, "glossary-count", problem.split("] ", 1)[1])
    assert [re.search(r"\] (\S+) occurs", p).group(1) for p in problems] == ["海铁联运"]


def test_allow_lines_survive_a_round_trip_through_the_catalog_writer(published):
    po = pofile.read_catalog(published.po, PO)
    rendered = pofile.render(po)
    committed = po_text(published).count("# l10n: allow glossary-count")
    assert committed and rendered.count("# l10n: allow glossary-count") == committed
