"""The real transformers engine on a tiny random Marian model built by the test itself."""

import polib
import pytest

from l10n import catalog as cat
from l10n.engines import EngineOptions, TranslationRequest, load_engine
from l10n.errors import ModelUnavailable


def test_pretranslate_with_a_local_model_fills_the_catalog(project, tiny_marian):
    project.run("update")
    result = project.run("pretranslate", "--model", str(tiny_marian), "--beams", "2", "--max-length", "24", "--batch-size", "16")
    assert result.code == 0, result.err
    po = polib.pofile(str(project.po))
    active = [e for e in po if not e.obsolete]
    assert len(active) == 74
    assert all(cat.get_notes(e).mt is not None and "fuzzy" in e.flags for e in active)
    assert po.metadata["X-MT-Model"] == tiny_marian.name
    assert "model calls: 5" in result.out  # 74 entries, batches of 16
    # random weights miss the glossary: those entries say which terms are missing
    flagged = [e for e in active if any(m.startswith("MT missed glossary terms") for m in cat.tool_messages(e))]
    assert flagged
    second = project.run("pretranslate", "--model", str(tiny_marian))
    assert "no entry needs MT; no model loaded" in second.out


def test_engine_batches_by_length_and_is_deterministic(tiny_marian):
    engine = load_engine("marian", str(tiny_marian), EngineOptions(batch_size=2, beams=1, max_length=16))
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
    assert "--model /path/to/model" in lines[-1] and "HF_HOME" in lines[-1]
    assert project.po.read_bytes() == before


def test_missing_directory_is_a_clear_error(tmp_path):
    pytest.importorskip("transformers")
    with pytest.raises(ModelUnavailable) as info:
        load_engine("marian", str(tmp_path / "nope"), EngineOptions())
    assert "no such model directory" in str(info.value)


def test_directory_that_is_not_a_translation_model(tmp_path):
    pytest.importorskip("transformers")
    from transformers import BertConfig, BertModel

    BertModel(BertConfig(vocab_size=10, hidden_size=8, num_hidden_layers=1, num_attention_heads=2, intermediate_size=8)).save_pretrained(tmp_path)
    with pytest.raises(ModelUnavailable) as info:
        load_engine("marian", str(tmp_path), EngineOptions())
    assert "not a model the engine can run" in str(info.value) or "cannot load this model" in str(info.value)


def test_ct2_engine_through_the_cli_matches_marian(tmp_path, tiny_marian):
    pytest.importorskip("ctranslate2")
    from tests.conftest import make_project

    outputs = {}
    for engine in ("marian", "ct2"):
        project = make_project(tmp_path / engine)
        project.run("update")
        result = project.run("pretranslate", "--engine", engine, "--model", str(tiny_marian), "--beams", "1",
                             "--max-length", "24", "--quantization", "float32")
        assert result.code == 0, result.err
        po = polib.pofile(str(project.po))
        assert po.metadata["X-MT-Engine"] == engine
        outputs[engine] = {e.msgid: cat.get_notes(e).mt for e in po if not e.obsolete}
    assert outputs["ct2"] == outputs["marian"]
