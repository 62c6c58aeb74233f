"""Nothing lost: random source edits followed by `update` never lose a reviewed msgstr, nor the MT
record kept next to it."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from l10n import notes, pofile
from l10n import merge as merge_module
from l10n.segment import segment_text

ALPHABET = "长春装备制造高端列车卫星项目企业发展创新产业"
sentence = st.text(alphabet=ALPHABET, min_size=2, max_size=14).map(lambda s: s + "。")
paragraph = st.lists(sentence, min_size=1, max_size=4)
document = st.lists(paragraph, min_size=1, max_size=6)


def render_source(paragraphs):
    return "本报记者 甲\n\n" + "\n\n".join("".join(p) for p in paragraphs) + "\n"


def update(paragraphs, old):
    po, _ = merge_module.merge(segment_text(render_source(paragraphs), "source/zh/d.txt"), old, "d")
    return pofile.parse_po(pofile.render(po), "d.po")  # through the file format, as `update` does


def edit(data, paragraphs):
    paragraphs = [list(p) for p in paragraphs]
    op = data.draw(st.sampled_from(["insert", "delete", "change", "reorder-sentences", "reorder-paragraphs", "split"]))
    p = data.draw(st.integers(0, len(paragraphs) - 1))
    s = data.draw(st.integers(0, len(paragraphs[p]) - 1))
    if op == "insert":
        paragraphs[p].insert(s, data.draw(sentence))
    elif op == "delete":
        del paragraphs[p][s]
        if not paragraphs[p]:
            del paragraphs[p]
    elif op == "change":
        text = paragraphs[p][s]
        i = data.draw(st.integers(0, len(text) - 2))
        paragraphs[p][s] = text[:i] + data.draw(st.sampled_from(ALPHABET)) + text[i + 1:]
    elif op == "reorder-sentences":
        paragraphs[p] = data.draw(st.permutations(paragraphs[p]))
    elif op == "reorder-paragraphs":
        paragraphs = data.draw(st.permutations(paragraphs))
    else:  # split a paragraph in two
        if len(paragraphs[p]) > 1:
            paragraphs[p:p + 1] = [paragraphs[p][:s + 1], paragraphs[p][s + 1:]] if paragraphs[p][s + 1:] else [paragraphs[p]]
    return paragraphs or [[data.draw(sentence)]]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data(), document)
def test_update_never_loses_a_reviewed_translation(data, paragraphs):
    po = update(paragraphs, None)
    ever_reviewed: set[str] = set()
    mt_records: dict[str, str] = {}  # msgid → the MT recorded for it when it was reviewed
    counter = 0
    for _ in range(data.draw(st.integers(1, 6))):
        # translators review some entries that are not reviewed yet (replacing their own earlier
        # work is their choice, not a loss)
        for entry in po:
            if not entry.obsolete and not pofile.is_reviewed(entry) and data.draw(st.booleans()):
                counter += 1
                entry.msgstr = f"Reviewed translation {counter}."
                entry.flags = [f for f in entry.flags if f != "fuzzy"]
                entry.previous_msgid = None
                ever_reviewed.add(entry.msgstr)
                record = notes.Notes(block="paragraph", mt=f"MT output {counter}.",
                                     mt_key=f"engine=x model=y glossary=z source={notes.source_hash(entry.msgid)}")
                notes.set_notes(entry, record)
                mt_records[entry.msgid] = record.mt
        before = {e.msgid: e.msgstr for e in po if pofile.is_reviewed(e)}
        paragraphs = edit(data, paragraphs)
        po = update(paragraphs, po)
        present = {e.msgstr for e in po if e.msgstr}
        assert ever_reviewed <= present, ever_reviewed - present
        current = {e.msgid: e for e in po if not e.obsolete}
        for msgid, msgstr in before.items():
            if msgid in current:  # an unchanged segment keeps exactly its reviewed translation
                assert current[msgid].msgstr == msgstr
                assert pofile.is_reviewed(current[msgid])
        # every segment of the new source has exactly one entry
        segments = {s.text for s in segment_text(render_source(paragraphs), "x").segments()}
        assert set(current) == segments
        # every MT record of a reviewed entry is still in the catalog, as the MT of its own source
        # (on its entry, active or obsolete) or as a previous record lent with its translation
        kept = set()
        for entry in po:
            record = notes.get_notes(entry)
            kept.add((entry.msgid, record.mt))
            if record.mt_previous is not None:
                kept.update((m, record.mt_previous) for m in mt_records
                            if record.mt_previous_key.endswith(f"source={notes.source_hash(m)}"))
        lost = {(m, mt) for m, mt in mt_records.items() if (m, mt) not in kept}
        assert not lost, lost
        # an entry that is current and reviewed carries the MT of its source, if one was recorded
        for msgid, entry in current.items():
            if pofile.is_reviewed(entry) and msgid in mt_records:
                assert notes.get_notes(entry).mt_for(msgid) == mt_records[msgid]
