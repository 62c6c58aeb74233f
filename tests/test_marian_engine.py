"""The real transformers engine on a tiny random Marian model built by the test itself, on the
sample project (tests/data/sample)."""

import math

import polib
import pytest

from l10n import notes
from l10n.engines import CT2Options, LLMOptions, MarianOptions, TranslationRequest, engine_label, load_engine
from l10n.errors import ModelUnavailable

from tests.conftest import make_sample


@pytest.fixture
def project(sample):
    """The sample project with no catalog yet."""
    return sample


def test_pretranslate_with_a_local_model_fills_the_catalog(project, tiny_marian):
    project.run("update")
    result = project.run("pretranslate", "--model", str(tiny_marian), "--beams", "2", "--max-length", "24", "--batch-size", "16",
                         "--repair-rounds", "0")
    assert result.code == 0, result.err
    po = polib.pofile(str(project.po))
    active = [e for e in po if not e.obsolete]
    assert len(active) > 16
    assert all(notes.get_notes(e).mt is not None and "fuzzy" in e.flags for e in active)
    assert po.metadata["X-MT-Model"] == tiny_marian.name
    assert f"model calls: {math.ceil(len(active) / 16)};" in result.out  # batches of 16
    # random weights miss the glossary: MT QA names the missing terms in the MT record, and the
    # translator's comment points there
    flagged = [e for e in active if any(f.startswith("[glossary] ") for f in notes.get_notes(e).mt_qa)]
    assert flagged
    assert all(any(m.startswith("MT QA flagged this output (") for m in notes.tool_messages(e)) for e in flagged)
    assert "MT QA pass rate: " in result.out
    second = project.run("pretranslate", "--model", str(tiny_marian))
    assert "no entry needs MT; no model loaded" in second.out


def test_engine_batches_by_length_and_is_deterministic(tiny_marian):
    engine = load_engine("marian", MarianOptions(model=str(tiny_marian), batch_size=2, beams=1, max_length=16))
    batch = [TranslationRequest(t) for t in ["看长春", "一路高歌，捷报频传！", "2023年，长春装备制造投资多起来，信心强起来。"]]
    first = engine.translate(batch)
    assert len(first) == 3 and all(isinstance(t, str) for t in first)
    assert engine.calls == 2
    assert engine.translate(batch) == first
    # each output is the same whether translated alone or in a padded batch
    assert [engine.translate([r])[0] for r in batch] == first


def test_missing_weights_offline_is_one_clear_error(project, monkeypatch):
    pytest.importorskip("transformers")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    project.run("update")
    before = project.po.read_bytes()
    result = project.run("pretranslate", "--model", "Helsinki-NLP/opus-mt-zh-en")
    assert result.code == 2
    lines = result.err.strip().splitlines()
    assert lines[-1].startswith("Helsinki-NLP/opus-mt-zh-en: the weights of 'Helsinki-NLP/opus-mt-zh-en' are not available here")
    assert "pass the directory with `--model /path/to/model`" in lines[-1] and "HF_HOME" in lines[-1]
    assert project.po.read_bytes() == before


def test_missing_directory_is_a_clear_error(tmp_path):
    pytest.importorskip("transformers")
    with pytest.raises(ModelUnavailable) as info:
        load_engine("marian", MarianOptions(model=str(tmp_path / "nope")))
    assert "no such model directory" in str(info.value)


def test_directory_that_is_not_a_translation_model(tmp_path):
    pytest.importorskip("transformers")
    from transformers import BertConfig, BertModel

    BertModel(BertConfig(vocab_size=10, hidden_size=8, num_hidden_layers=1, num_attention_heads=2, intermediate_size=8)).save_pretrained(tmp_path)
    with pytest.raises(ModelUnavailable) as info:
        load_engine("marian", MarianOptions(model=str(tmp_path)))
    assert "not a model the engine can run" in str(info.value) or "cannot load this model" in str(info.value)


def test_ct2_engine_through_the_cli_matches_marian(tmp_path, tiny_marian):
    pytest.importorskip("ctranslate2")

    outputs = {}
    for engine in ("marian", "ct2"):
        project = make_sample(tmp_path / engine, catalog=False)
        project.run("update")
        ct2_only = ("--quantization", "float32") if engine == "ct2" else ()
        result = project.run("pretranslate", "--engine", engine, "--model", str(tiny_marian), "--beams", "1",
                             "--max-length", "24", "--repair-rounds", "0", *ct2_only)
        assert result.code == 0, result.err
        po = polib.pofile(str(project.po))
        assert po.metadata["X-MT-Engine"] == {"marian": "marian", "ct2": "ct2-float32"}[engine]
        outputs[engine] = {e.msgid: notes.get_notes(e).mt for e in po if not e.obsolete}
    assert outputs["ct2"] == outputs["marian"]

    # The quantization is part of the MT record: the same quantization again has nothing to do,
    # another one re-translates every unreviewed entry.
    project = make_sample(tmp_path / "ct2", catalog=False)  # the same project, its catalog kept
    common = ("pretranslate", "--engine", "ct2", "--model", str(tiny_marian), "--beams", "1", "--max-length", "24",
              "--repair-rounds", "0")
    again = project.run(*common, "--quantization", "float32")
    assert again.code == 0 and "no entry needs MT; no model loaded" in again.out
    switched = project.run(*common, "--quantization", "int8")
    assert switched.code == 0, switched.err
    assert f"translated by MT: {len(outputs['ct2'])} " in switched.out
    po = polib.pofile(str(project.po))
    assert po.metadata["X-MT-Engine"] == "ct2-int8"
    assert all(notes.get_notes(e).mt_key.startswith("engine=ct2-int8 ") for e in po if not e.obsolete)


def test_fallback_translations_are_recorded_as_the_engine_that_made_them(tmp_path, tiny_marian, monkeypatch):
    """ct2 --fallback translates with marian when ct2 cannot run; those records must say marian,
    or the next ct2 run that works would take them as its own and never redo them."""
    pytest.importorskip("ctranslate2")
    import l10n.engines.ct2 as ct2_module

    project = make_sample(tmp_path, catalog=False)
    project.run("update")
    common = ("pretranslate", "--engine", "ct2", "--model", str(tiny_marian), "--beams", "1", "--max-length", "24")

    def unavailable():
        raise ModelUnavailable("the ct2 engine needs the optional package ctranslate2")

    with monkeypatch.context() as patch:
        patch.setattr(ct2_module, "import_ctranslate2", unavailable)
        fallback = project.run(*common, "--fallback")
    assert fallback.code == 0, fallback.err
    assert "using the marian engine" in fallback.err
    po = polib.pofile(str(project.po))
    entries = [e for e in po if not e.obsolete]
    assert po.metadata["X-MT-Engine"] == "marian"
    assert all(notes.get_notes(e).mt_key.startswith("engine=marian ") for e in entries)

    redo = project.run(*common)
    assert redo.code == 0, redo.err
    assert f"translated by MT: {len(entries)} " in redo.out
    po = polib.pofile(str(project.po))
    assert po.metadata["X-MT-Engine"] == "ct2-int8"
    assert project.run(*common).out.count("no entry needs MT") == 1


def test_engine_label_names_what_changes_the_output():
    assert engine_label("marian", MarianOptions(beams=1)) == "marian"
    assert engine_label("llm", LLMOptions(runtime="transformers", device="cpu")) == "llm"
    assert engine_label("llm", LLMOptions(runtime="transformers", device="cpu", dtype="bfloat16")) == "llm-bfloat16"
    assert engine_label("ct2", CT2Options()) == "ct2-int8"
    assert engine_label("ct2", CT2Options(quantization="int16", vmap="target")) == "ct2-int16+vmap-target"
    assert engine_label("ct2", CT2Options(vmap="/data/my map.txt")) == "ct2-int8+vmap-my_map.txt"


def test_gguf_file_with_a_seq2seq_engine_points_to_the_llm_engine(tmp_path):
    pytest.importorskip("transformers")
    gguf = tmp_path / "model-q4_k_m.gguf"
    gguf.write_bytes(b"GGUF\x03\x00\x00\x00")
    with pytest.raises(ModelUnavailable) as info:
        load_engine("marian", MarianOptions(model=str(gguf)))
    assert "using `engine = 'llm'`" in str(info.value) and str(gguf) in str(info.value)
    weights = tmp_path / "model.safetensors"
    weights.write_bytes(b"{}")
    with pytest.raises(ModelUnavailable) as info:
        load_engine("marian", MarianOptions(model=str(weights)))
    assert "a file, not a model directory" in str(info.value)


def test_repair_gives_failing_outputs_back_for_the_n_best_list(project, tiny_marian):
    """With repair rounds, outputs that fail MT QA are replaced by a hypothesis of the n-best list
    with fewer findings where there is one; the rounds are recorded and counted."""
    project.run("update")
    result = project.run("pretranslate", "--model", str(tiny_marian), "--beams", "2", "--max-length", "24",
                         "--batch-size", "16", "--repair-rounds", "1")
    assert result.code == 0, result.err
    po = polib.pofile(str(project.po))
    records = [notes.get_notes(e) for e in po if not e.obsolete]
    repaired = [r for r in records if r.mt_rounds == 1]
    assert repaired and all(r.mt_rounds in (0, 1) for r in records)
    assert f"repaired: {len(repaired)} output(s) given back to the engine, {len(repaired)} round(s) in all" in result.out
    batches = math.ceil(len(records) / 16)
    assert batches > 1
    assert f"model calls: {2 * batches};" in result.out  # each batch, and one n-best call for its failing outputs
