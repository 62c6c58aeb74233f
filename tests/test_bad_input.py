"""Bad input, through the command line: one `path:line: message` line on stderr, a non-zero exit
(2 for unusable input), and no file touched. Inputs that are only unusual (BOM, CRLF, a catalog
re-wrapped by msgcat, quoted CSV fields) are accepted and change nothing.

The tests run on the sample project (tests/data/sample); lines and texts are read from its files.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import polib
import pytest

from l10n.notes import get_notes
from l10n.pofile import read_catalog
from l10n.checks import REGISTRY
from l10n.glossary import Glossary, Term
from tests.conftest import (SAMPLE_CATALOG, SAMPLE_DOC, SAMPLE_GLOSSARY, SAMPLE_SOURCE, Project, make_project,
                            make_sample, sample_segments, set_threshold)
from tests.fake_engine import FakeEngine

CATALOG = SAMPLE_CATALOG
PO = f"target/en/{SAMPLE_DOC}.po"
SRC = f"source/zh/{SAMPLE_DOC}.txt"
MODEL = "Helsinki-NLP/opus-mt-zh-en"
LOADING = re.compile(r"loading \w+ model .+ …")
PO_SYNTAX_HINT = (
    "check quoting and escapes near this line (every msgid needs a msgstr, every string must be closed "
    'with ", and only \\n \\t \\r \\\\ \\" escapes are allowed)'
)


# --- helpers ---------------------------------------------------------------------------

def snapshot(project: Project) -> dict[str, bytes]:
    """Every file of the project (lock files aside: a run may create its lock in the cache)."""
    return {
        path.relative_to(project.root).as_posix(): path.read_bytes()
        for path in sorted(project.root.rglob("*"))
        if path.is_file() and ".l10n-cache/locks/" not in path.relative_to(project.root).as_posix()
    }


def error_line(result, loading: bool = False) -> str:
    """The one line on stderr (after the `loading … model` notice, where a model is loaded)."""
    lines = result.err.splitlines()
    if loading:
        assert lines and LOADING.fullmatch(lines[0]), result.err
        lines = lines[1:]
    assert len(lines) == 1, result.err
    return lines[0]


def refused(project: Project, *args: str, code: int = 2, loading: bool = False) -> str:
    """Run; assert the exit code, one stderr line and untouched files; return that line."""
    before = snapshot(project)
    result = project.run(*args)
    assert result.code == code, result
    line = error_line(result, loading)
    assert snapshot(project) == before, "files were changed"
    return line


def replace_once(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def line_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").split("\n"), start=1):
        if needle in line:
            return number
    raise AssertionError(needle)


def edit_msgstr(project: Project, msgid: str, old: str, new: str) -> None:
    po = polib.pofile(str(project.po))
    entry = po.find(msgid)
    assert entry.msgstr.count(old) == 1, (old, entry.msgstr)
    entry.msgstr = entry.msgstr.replace(old, new)
    po.save(str(project.po))


@pytest.fixture
def reviewed(tmp_path) -> Project:
    """A published project with the reviewed catalog and its built edition."""
    project = make_sample(tmp_path, published=True)
    assert project.run("build").code == 0
    return project


SOURCE_TEXT = SAMPLE_SOURCE.read_text(encoding="utf-8")
FIRST = next(e for e in polib.pofile(str(CATALOG)))  # the first entry: 'msgid "…"' / 'msgstr "…"' on one line each
# A one-sentence paragraph, on a line of its own, and its reviewed translation
SENTENCE = next(s.text for s in sample_segments() if s.kind == "paragraph")
TRANSLATION = polib.pofile(str(CATALOG)).find(SENTENCE).msgstr
EDITED = SENTENCE[:-2] + "快" + SENTENCE[-1]
# The caption, and a glossary term in it
CAPTION = next(s.text for s in sample_segments() if s.kind == "caption")
TERM, TERM_EN = "自动化码头", "automated terminal"


# --- source text -----------------------------------------------------------------------

def test_source_gb18030(reviewed):
    reviewed.source.write_bytes(SOURCE_TEXT.encode("gb18030"))
    first = next(n for n, line in enumerate(SOURCE_TEXT.split("\n"), start=1) if line.strip())
    byte = SOURCE_TEXT.strip()[0].encode("gb18030")[0]
    assert refused(reviewed, "update") == (
        f"{SRC}:{first}: invalid UTF-8 (byte 0x{byte:02x}): it looks like GBK/GB18030; convert it with "
        f"`iconv -f GB18030 -t UTF-8 {SRC} > fixed.txt`"
    )
    assert refused(reviewed, "build") == error_line(reviewed.run("update"))


def test_source_utf8_bom_is_accepted(reviewed):
    reviewed.source.write_bytes(b"\xef\xbb\xbf" + SAMPLE_SOURCE.read_bytes())
    before = snapshot(reviewed)
    result = reviewed.run("update")
    assert (result.code, result.err) == (0, "")
    assert result.out.startswith(f"{PO}: unchanged: ")
    assert snapshot(reviewed) == before  # same segments, same line numbers
    assert reviewed.run("--check").code == 0


def test_source_bom_before_text_on_line_one(tmp_path):
    project = make_project(tmp_path, text="标题一\n\n副标题二\n\n记者 张三\n\n第一段。\n")
    project.source.write_bytes(b"\xef\xbb\xbf" + project.source.read_bytes())
    assert project.run("update").code == 0
    po = read_catalog(project.po, PO)
    assert [(e.msgid, e.occurrences) for e in po][0] == ("标题一", [(f"source/zh/{project.doc}.txt", "1")])


def test_source_crlf_is_accepted_with_the_same_line_numbers(tmp_path_factory, reviewed):
    lf = make_sample(tmp_path_factory.mktemp("lf"), catalog=False)
    crlf = make_sample(tmp_path_factory.mktemp("crlf"), catalog=False)
    crlf.source.write_bytes(SAMPLE_SOURCE.read_bytes().replace(b"\n", b"\r\n"))
    assert lf.run("update").code == 0 and crlf.run("update").code == 0
    occurrences = lambda p: [(e.msgid, e.occurrences) for e in read_catalog(p.po, PO)]  # noqa: E731
    assert occurrences(crlf) == occurrences(lf)
    # and a reviewed catalog is left exactly as it is
    reviewed.source.write_bytes(SAMPLE_SOURCE.read_bytes().replace(b"\n", b"\r\n"))
    before = snapshot(reviewed)
    result = reviewed.run("update")
    assert (result.code, result.err) == (0, "")
    assert snapshot(reviewed) == before


def test_source_empty(reviewed):
    reviewed.source.write_bytes(b"")
    assert refused(reviewed, "update") == f"{SRC}: the source text is empty; put the text in it, or remove it from [tool.l10n]"


def test_source_binary_png(reviewed):
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x06\x00\x00\x00"
    reviewed.source.write_bytes(png)
    line = png[:8].count(b"\n") + 1
    assert refused(reviewed, "update") == f"{SRC}:{line}: NUL byte at offset 8: this is a binary file, not a UTF-8 source text"


def test_source_nul_byte(reviewed):
    data = SOURCE_TEXT.replace(SENTENCE, SENTENCE[:2] + "\x00" + SENTENCE[2:]).encode("utf-8")
    reviewed.source.write_bytes(data)
    line = line_of(SAMPLE_SOURCE, SENTENCE)
    offset = data.index(b"\x00")
    assert refused(reviewed, "update") == (
        f"{SRC}:{line}: NUL byte at offset {offset}: this is a binary file, not a UTF-8 source text"
    )


def test_source_over_the_size_limit(reviewed):
    with reviewed.source.open("r+b") as handle:
        handle.truncate(6 * 1024 * 1024)  # sparse: nothing is written
    # max_source_mb = 5 (the default): the message gives the limit as configured
    assert refused(reviewed, "update") == (
        f"{SRC}: file is 6.0 MB, over the 5 MB limit for one source text; split it into several documents, "
        "or raise max_source_mb in [tool.l10n]"
    )


# --- PO files --------------------------------------------------------------------------

def test_po_unterminated_string(reviewed):
    replace_once(reviewed.po, f'msgstr "{FIRST.msgstr}"', f'msgstr "{FIRST.msgstr}')
    line = line_of(reviewed.po, f'msgstr "{FIRST.msgstr}')
    message = refused(reviewed, "update")
    assert re.fullmatch(rf"{re.escape(PO)}:{line}: PO syntax error(: [^()]+)?: {re.escape(PO_SYNTAX_HINT)}", message), message


def test_po_bad_escape(reviewed):
    replace_once(reviewed.po, f'msgstr "{FIRST.msgstr}"', f'msgstr "\\q{FIRST.msgstr}"')
    line = line_of(reviewed.po, f"\\q{FIRST.msgstr}")
    message = refused(reviewed, "update")
    assert re.fullmatch(rf"{re.escape(PO)}:{line}: PO syntax error(: [^()]+)?: {re.escape(PO_SYNTAX_HINT)}", message), message


def test_po_missing_msgstr(reviewed):
    replace_once(reviewed.po, f'msgstr "{FIRST.msgstr}"\n', "")
    line = line_of(reviewed.po, f'msgid "{FIRST.msgid}"')
    message = refused(reviewed, "update")
    assert re.fullmatch(rf"{re.escape(PO)}:{line}: PO syntax error(: [^()]+)?: {re.escape(PO_SYNTAX_HINT)}", message), message


def test_po_duplicate_msgid(reviewed):
    with reviewed.po.open("a", encoding="utf-8") as handle:
        handle.write(f'\n#: {SRC}:{FIRST.occurrences[0][1]}\nmsgid "{FIRST.msgid}"\nmsgstr "Another translation"\n')
    second = len(reviewed.po.read_text(encoding="utf-8").split("\n")) - 2  # the appended msgid line
    message = refused(reviewed, "update")
    assert message in (
        f"{PO}:{line}: duplicate msgid (the same segment appears twice); merge the two entries into one"
        for line in (second - 1, second)
    ), message


def test_po_non_utf8_charset(reviewed):
    replace_once(reviewed.po, "charset=UTF-8", "charset=GBK")
    line = line_of(reviewed.po, '"Content-Type:')
    assert refused(reviewed, "update") == (
        f"{PO}:{line}: header declares charset=GBK; this toolkit reads and writes UTF-8 only: convert with "
        f"`msgconv --to-code=UTF-8 {PO} -o {PO}`"
    )


@pytest.mark.skipif(shutil.which("msgcat") is None, reason="GNU gettext (msgcat) is not installed")
@pytest.mark.parametrize("wrapping", ["--width=40", "--no-wrap"])
def test_po_rewrapped_by_msgcat_is_accepted(reviewed, wrapping):
    subprocess.run(["msgcat", wrapping, str(CATALOG), "-o", str(reviewed.po)], check=True)
    rewrapped = reviewed.po.read_bytes()
    assert rewrapped != CATALOG.read_bytes()
    result = reviewed.run("update")
    assert (result.code, result.err) == (0, "")
    assert result.out.startswith(f"{PO}: unchanged: ")
    assert reviewed.po.read_bytes() == rewrapped  # not rewritten
    original = polib.pofile(str(CATALOG))
    after = read_catalog(reviewed.po, PO)
    assert [(e.msgid, e.msgstr, e.comment, e.tcomment) for e in after] == [
        (e.msgid, e.msgstr, e.comment, e.tcomment) for e in original
    ]
    assert reviewed.run("--check").code == 0


def test_po_msgid_no_longer_matches_its_segment(reviewed):
    old, edited, translation = SENTENCE, EDITED, TRANSLATION
    replace_once(reviewed.po, f'msgid "{old}"', f'msgid "{edited}"')
    before = snapshot(reviewed)
    result = reviewed.run("--check", "--only", "sync")
    assert result.code == 1 and result.err == ""
    msgid_line = line_of(reviewed.po, f'msgid "{edited}"')
    assert result.out.splitlines()[:2] == [
        f"{SRC}:{line_of(SAMPLE_SOURCE, old)}: [sync] segment is not in {PO}: {old}; run `translate.py update`",
        f"{PO}:{msgid_line}: [sync] entry has no segment in {SRC} (source edited?); run `translate.py update`",
    ]
    assert snapshot(reviewed) == before
    assert reviewed.run("update").code == 0
    po = read_catalog(reviewed.po, PO)
    current = po.find(old)
    assert current is not None and current.msgstr == translation
    assert "fuzzy" in current.flags and current.previous_msgid == edited


def test_po_plural_entry(reviewed):
    with reviewed.po.open("a", encoding="utf-8") as handle:
        handle.write('\nmsgid "一颗卫星"\nmsgid_plural "%d颗卫星"\nmsgstr[0] "one satellite"\nmsgstr[1] "%d satellites"\n')
    line = line_of(reviewed.po, 'msgid "一颗卫星"')
    assert refused(reviewed, "update") == (
        f"{PO}:{line}: plural entry (msgid_plural): the toolkit never produces these from a source text; "
        "remove the entry or turn it into a singular msgid/msgstr"
    )


# --- glossary.csv ----------------------------------------------------------------------

GLOSSARY_TEXT = SAMPLE_GLOSSARY.read_text(encoding="utf-8")


def test_glossary_missing_header(reviewed):
    reviewed.glossary.write_text(GLOSSARY_TEXT.split("\n", 1)[1], encoding="utf-8")
    assert refused(reviewed, "score") == "glossary.csv:1: missing header: the first line must be zh,en,note"


def test_glossary_missing_columns(reviewed):
    reviewed.glossary.write_text("zh,en\n复兴号,Fuxing\n", encoding="utf-8")
    assert refused(reviewed, "score") == "glossary.csv:1: missing column(s) note: the header must name zh,en,note"


def test_glossary_wrong_delimiter(reviewed):
    reviewed.glossary.write_text("zh;en;note\n复兴号;Fuxing;train name\n吉林一号;Jilin-1;\n", encoding="utf-8")
    assert refused(reviewed, "score") == (
        "glossary.csv:1: wrong delimiter: the file is separated by ';'; glossary.csv must be comma-separated "
        "with the header zh,en,note"
    )


def test_glossary_quoted_commas_and_newlines_are_accepted(reviewed):
    header, rest = GLOSSARY_TEXT.split("\n", 1)
    quoted = '量子计算机,"quantum computer","not in this article, but kept:\nsee the style guide",\n'
    reviewed.glossary.write_text(f"{header}\n{quoted}{rest}", encoding="utf-8")
    result = reviewed.run("score")
    assert (result.code, result.err) == (0, "")
    assert reviewed.run("--check", "--only", "glossary-file").code == 0
    # line numbers after a two-line record stay right
    line = line_of(reviewed.glossary, f"{TERM},{TERM_EN},")
    assert line == line_of(SAMPLE_GLOSSARY, f"{TERM},{TERM_EN},") + 2
    edit_msgstr(reviewed, CAPTION, TERM_EN, "automatic wharf")
    out = reviewed.run("--check", "--only", "glossary").out
    assert f"[glossary] {TERM} must be translated as {TERM_EN!r} (glossary.csv:{line})" in out


def test_glossary_with_bom_is_accepted(reviewed):
    reviewed.glossary.write_bytes(b"\xef\xbb\xbf" + GLOSSARY_TEXT.encode("utf-8"))
    result = reviewed.run("score")
    assert (result.code, result.err) == (0, "")
    assert reviewed.run("--check").code == 0


def test_glossary_empty_cell(reviewed):
    reviewed.glossary.write_text(GLOSSARY_TEXT + "量子计算机,,a term without its English,\n", encoding="utf-8")
    line = len(GLOSSARY_TEXT.split("\n"))
    assert refused(reviewed, "score") == f"glossary.csv:{line}: empty en cell"


def test_glossary_conflicting_duplicate(reviewed):
    reviewed.glossary.write_text(GLOSSARY_TEXT + f"{TERM},automatic wharf,,\n", encoding="utf-8")
    line = len(GLOSSARY_TEXT.split("\n"))
    first = line_of(reviewed.glossary, f"{TERM},{TERM_EN},")
    assert refused(reviewed, "score") == (
        f"glossary.csv:{line}: {TERM} is already defined as {TERM_EN!r} on line {first}, here as 'automatic wharf'; keep one"
    )


def test_glossary_term_inside_another_longest_match_wins(tmp_path, fake_engine):
    project = make_project(tmp_path, text="复兴号动车组驶出车站。复兴号列车准点到达。\n")
    project.glossary.write_text("zh,en,note\n复兴号,Fuxing,\n复兴号动车组,Fuxing EMU,the longer term\n", encoding="utf-8")
    glossary = Glossary("glossary.csv", [Term("复兴号", "Fuxing", line=2), Term("复兴号动车组", "Fuxing EMU", line=3)])
    assert [(m.term.zh, m.start, m.end) for m in glossary.find("复兴号动车组驶出车站。")] == [("复兴号动车组", 0, 6)]
    assert [m.term.zh for m in glossary.find("复兴号列车准点到达。")] == ["复兴号"]
    assert project.run("--check", "--only", "glossary-file").code == 0
    assert project.run("update").code == 0
    result = project.run("pretranslate")
    assert result.code == 0, result
    po = read_catalog(project.po, PO)
    assert po.find("复兴号动车组驶出车站。").msgstr.startswith("Fuxing EMU ")
    assert po.find("复兴号列车准点到达。").msgstr.startswith("Fuxing ")
    assert not po.find("复兴号列车准点到达。").msgstr.startswith("Fuxing EMU")


# --- configuration ---------------------------------------------------------------------

def test_config_unknown_key(reviewed):
    replace_once(reviewed.pyproject, "batch_size = 8\n", "batch_size = 8\nbatch = 16\n")
    line = line_of(reviewed.pyproject, "batch = 16")
    assert refused(reviewed, "update") == (
        f"pyproject.toml:{line}: unknown key 'batch' in [tool.l10n]; known keys: batch_size, cache_dir, device, "
        "documents, engine, engines, glossary, max_length, max_source_mb, memories, model, published, ray, ray_workers, "
        "repair_rounds, source_dir, target_dir, "
        "threads, thresholds"
    )


def test_config_document_does_not_exist(reviewed):
    replace_once(reviewed.pyproject, f'documents = ["{SAMPLE_DOC}"]', f'documents = ["{SAMPLE_DOC}", "harbour-news"]')
    line = line_of(reviewed.pyproject, "documents =")
    assert refused(reviewed, "update") == (
        f"pyproject.toml:{line}: document 'harbour-news': source/zh/harbour-news.txt does not exist; "
        "add the source text or remove the name"
    )


def test_config_threshold_out_of_range(reviewed):
    line = set_threshold(reviewed, "chrf", "150")
    assert refused(reviewed, "--check") == f"pyproject.toml:{line}: threshold chrf = 150 is out of range (a number from 0 to 100)"


# --- the model -------------------------------------------------------------------------

@pytest.fixture
def untranslated(tmp_path) -> Project:
    project = make_sample(tmp_path / "project", catalog=False)
    assert project.run("update").code == 0
    return project


def test_model_weights_missing_offline(untranslated, tmp_path, monkeypatch):
    pytest.importorskip("transformers")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "empty-hf-home"))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty-hf-home" / "hub"))
    message = refused(untranslated, "pretranslate", "--model", MODEL, loading=True)
    assert message == (
        f"{MODEL}: the weights of {MODEL!r} are not available here; download them on a machine with access "
        f"to the model hub (for example `hf download {MODEL}`); pass the directory with "
        "`--model /path/to/model`, or copy the hub cache and set HF_HOME to it"
    )


def test_model_directory_is_not_a_translation_model(untranslated, tmp_path):
    transformers = pytest.importorskip("transformers")
    config = transformers.BertConfig(vocab_size=32, hidden_size=8, num_hidden_layers=1, num_attention_heads=1, intermediate_size=8)
    directory = tmp_path / "bert"
    transformers.BertModel(config).save_pretrained(directory)
    message = refused(untranslated, "pretranslate", "--model", str(directory), loading=True)
    prefix = f"{directory}: this directory is not a model the engine can run ("
    assert message.startswith(prefix), message
    assert "BertConfig" in message and message.endswith(")")


def test_generation_fails_part_way(untranslated, monkeypatch):
    import l10n.engines

    engine = FakeEngine(model=MODEL, abort_on_call=2, batch_size=4)
    monkeypatch.setattr(l10n.engines, "load_engine", lambda name, options: engine)
    result = untranslated.run("pretranslate", "--batch-size", "4")
    assert result.code == 2, result
    assert error_line(result, loading=True) == f"{MODEL}: generation failed (out of memory: simulated)"
    po = read_catalog(untranslated.po, PO)  # still a valid catalog
    entries = [e for e in po if not e.obsolete]
    done, rest = entries[:4], entries[4:]
    for entry in done:  # the first batch was saved, with its MT record
        assert entry.msgstr and "fuzzy" in entry.flags
        assert get_notes(entry).mt == entry.msgstr
    assert all(not e.msgstr for e in rest)
    assert untranslated.run("--check", "--only", "po-syntax").code == 0
    # a second run translates only what is left
    again = FakeEngine(model=MODEL, batch_size=4)
    monkeypatch.setattr(l10n.engines, "load_engine", lambda name, options: again)
    assert untranslated.run("pretranslate", "--batch-size", "4").code == 0
    assert again.seen == [e.msgid for e in rest]


def test_all_check_ids_are_listed_in_help():
    from l10n.cli import build_parser

    assert build_parser().epilog == "checks: " + ", ".join(REGISTRY)


# --- writes stay inside the project --------------------------------------------------------

@pytest.mark.parametrize("name, problem", [
    ("../../../elsewhere/evil", "has a .. component"),
    ("/tmp/evil", "is an absolute path"),
    ("a/../../evil", "has a .. component"),
    ("evil\u0007bell", "has a control character"),
    ("C:/evil", "is an absolute path"),
    (".hidden", "may use only letters, digits"),
])
def test_document_names_that_escape_are_refused(tmp_path, name, problem):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "evil.txt").write_text("看长春\n", encoding="utf-8")
    project = make_sample(tmp_path / "a" / "b" / "c", catalog=False)
    text = project.pyproject.read_text(encoding="utf-8")
    project.pyproject.write_text(text.replace(f'documents = ["{SAMPLE_DOC}"]',
                                              f'documents = ["{SAMPLE_DOC}", {json_string(name)}]'),
                                 encoding="utf-8")
    line = line_of(project.pyproject, "documents =")
    for command in ("update", "--check", "build"):
        message = refused(project, command)
        assert message.startswith(f"pyproject.toml:{line}: document name ") and problem in message, message
    assert sorted(p.name for p in outside.iterdir()) == ["evil.txt"]  # nothing written outside


def json_string(text: str) -> str:
    import json

    return json.dumps(text)


def test_symlinked_catalog_pointing_outside_is_read_but_never_written(reviewed, tmp_path):
    outside = tmp_path / "outside.po"
    shutil.copy(reviewed.po, outside)
    reviewed.po.unlink()
    reviewed.po.symlink_to(outside)
    before = outside.read_bytes()
    assert reviewed.run("--check").code == 0  # reading through the link is fine
    line = line_of(reviewed.pyproject, "target_dir =")
    reviewed.source.write_text(SOURCE_TEXT.replace(SENTENCE, EDITED), encoding="utf-8")
    message = refused(reviewed, "update")
    assert message.startswith(f"pyproject.toml:{line}: refusing to write {PO}: it resolves to ")
    assert "outside target_dir target/en (a symbolic link?)" in message
    assert outside.read_bytes() == before and reviewed.po.is_symlink()


def test_symlinked_target_dir_pointing_outside_is_refused_for_writing(tmp_path):
    project = make_sample(tmp_path / "project", catalog=False)
    elsewhere = tmp_path / "elsewhere"
    (project.root / "target" / "en").rename(elsewhere)
    (project.root / "target" / "en").symlink_to(elsewhere)
    line = line_of(project.pyproject, "target_dir =")
    message = refused(project, "update")
    assert message.startswith(f"pyproject.toml:{line}: refusing to write {PO}: "
                              "target_dir resolves to "), message
    assert list(elsewhere.iterdir()) == []


def test_target_dir_outside_the_project_is_refused(tmp_path):
    project = make_sample(tmp_path / "project", catalog=False)
    text = project.pyproject.read_text(encoding="utf-8").replace('target_dir = "target/en"', 'target_dir = "../out"')
    project.pyproject.write_text(text, encoding="utf-8")
    line = line_of(project.pyproject, "target_dir =")
    assert refused(project, "update") == (f"pyproject.toml:{line}: target_dir = '../out' is not a folder inside the "
                                          "project; the toolkit writes only inside the project")
    assert not (tmp_path / "out").exists()


INJECTION = "<script>alert(1)</script>"


def test_html_pages_escape_every_po_field(tmp_path):
    import polib

    from l10n import notes

    project = make_project(tmp_path, text=f"本报记者 甲\n\n第一句{INJECTION}。第二句。\n", published=False)
    assert project.run("update").code == 0
    po = polib.pofile(str(project.po))
    first, second = [e for e in po if not e.obsolete and e.msgid.startswith("第")]
    first.msgstr = f"First {INJECTION}."
    second.msgstr = f"Second {INJECTION}."
    second.flags.append("fuzzy")
    second.tcomment = f"Translator note {INJECTION}"
    record = notes.get_notes(second)
    record.mt, record.mt_key = f"MT {INJECTION}", f"engine=e model=m glossary=g source={notes.source_hash(second.msgid)}"
    notes.set_notes(second, record)
    notes.set_tool_messages(second, [f"MT missed glossary terms: {INJECTION}"])
    po.save(str(project.po))
    assert project.run("build", "--draft").code == 0
    for suffix in (".html", ".review.html"):
        page = project.po.with_suffix(suffix).read_text(encoding="utf-8")
        assert "<script" not in page, suffix
        assert "&lt;script&gt;" in page, suffix
