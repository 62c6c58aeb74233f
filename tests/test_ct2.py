"""The CTranslate2 engine against the transformers reference engine, on a tiny random Marian model."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

pytest.importorskip("ctranslate2")
pytest.importorskip("transformers")

from l10n.engines import CT2Options, TermHint, TranslationRequest  # noqa: E402
from l10n.engines.ct2 import CTranslate2Engine, load_ct2_or_fallback, thread_layout  # noqa: E402
from l10n.engines.ct2_cache import METADATA  # noqa: E402
from l10n.engines.marian import MarianEngine  # noqa: E402
from l10n.errors import ChangeOption, ModelUnavailable  # noqa: E402
from tests.tiny_models import ARTICLE, build_tiny_marian  # noqa: E402


def _sharpen(directory: Path) -> None:
    """Give the tiny model larger random weights, so that its outputs depend on the input.

    With the default initialisation (std 0.02) a 16-wide model says the same thing for every
    sentence, which would make the comparison blind to tokenization mistakes. The sinusoidal
    positions stay as they are, and the <pad> embedding row stays zero (the decoder starts from
    it; CTranslate2 starts from a zero embedding instead).
    """
    import torch
    from transformers import MarianMTModel

    model = MarianMTModel.from_pretrained(directory)
    generator = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for name, param in model.named_parameters():
            if param.dim() >= 2 and "embed_positions" not in name:
                param.copy_(torch.randn(param.shape, generator=generator) * 0.3)
                if "shared" in name or "embed_tokens" in name:
                    param[model.config.pad_token_id].zero_()
    model.save_pretrained(directory)


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory) -> Path:
    directory = build_tiny_marian(tmp_path_factory.mktemp("models") / "tiny-marian")
    _sharpen(directory)
    return directory


@pytest.fixture(scope="module")
def sentences() -> list[str]:
    text = ARTICLE.read_text(encoding="utf-8")
    lines = [line.strip() for line in text.splitlines() if len(line.strip()) > 12]
    out: list[str] = []
    for line in lines:
        for part in line.replace("！", "。").split("。"):
            if len(part) > 8:
                out.append(part + "。")
    return out[:10]


def _options(cache: Path, model: Path, **kw) -> CT2Options:
    base = dict(model=str(model), batch_size=4, beams=1, max_length=24, device="cpu", threads=1,
                quantization="float32", cache_dir=str(cache))
    base.update(kw)
    return CT2Options(**base)


def test_greedy_float32_matches_transformers(tiny_model, sentences, tmp_path):
    assert len(sentences) == 10
    requests = [TranslationRequest(s) for s in sentences]
    # One request with a glossary term, to exercise the shared injection path.
    first = sentences[0]
    requests.append(TranslationRequest(first, terms=(TermHint(first[:2], "Changchun", 0, 2),)))
    options = _options(tmp_path / "cache", tiny_model)
    reference = MarianEngine(options).translate(requests)
    engine = CTranslate2Engine(options)
    outputs = engine.translate(requests)
    assert outputs == reference
    assert len(set(outputs)) > 3  # the model does look at its input
    assert engine.calls == 3  # 11 requests in chunks of 4
    assert engine.name == "ct2" and engine.model_id == str(tiny_model)
    assert engine.translate([]) == []


def test_split_batches_give_the_same_translations(tiny_model, sentences, tmp_path):
    """With two threads a batch is split in two halves decoded side by side; the text must not
    depend on that."""
    requests = [TranslationRequest(s) for s in sentences]
    single = CTranslate2Engine(_options(tmp_path / "cache", tiny_model, threads=1, batch_size=8))
    split = CTranslate2Engine(_options(tmp_path / "cache", tiny_model, threads=2, batch_size=8))
    assert (single.inter, single.intra) == (1, 1) and (split.inter, split.intra) == (2, 1)
    assert split.translate(requests) == single.translate(requests)
    assert split.calls == single.calls == 2  # 10 requests in batches of 8: still one call per batch


def test_thread_layout():
    assert thread_layout("cpu", 2, 8) == (2, 1)
    assert thread_layout("cpu", 8, 32) == (2, 4)
    assert thread_layout("cpu", 2, 1) == (1, 2)  # one segment: both threads on it
    assert thread_layout("cpu", 1, 8) == (1, 1)
    assert thread_layout("cuda", 8, 8) == (1, 8)


def test_conversion_is_cached(tiny_model, tmp_path):
    cache = tmp_path / "cache"
    first = CTranslate2Engine(_options(cache, tiny_model, quantization="int8"))
    assert first.converted
    marker = first.model_dir / METADATA
    stamp = marker.stat().st_mtime_ns
    info = json.loads(marker.read_text(encoding="utf-8"))
    assert info["quantization"] == "int8" and info["forced_eos"] is True
    assert first.model_dir.parent == cache / "ct2"

    second = CTranslate2Engine(_options(cache, tiny_model, quantization="int8"))
    assert not second.converted
    assert second.model_dir == first.model_dir
    assert marker.stat().st_mtime_ns == stamp
    # Only the finished entry is left behind: no temporary conversion directories.
    assert [p.name for p in (cache / "ct2").iterdir()] == [first.model_dir.name]

    # Another quantization is another entry; a touched weight file is another source identity.
    other = CTranslate2Engine(_options(cache, tiny_model, quantization="float32"))
    assert other.converted and other.model_dir != first.model_dir
    weights = tiny_model / "model.safetensors"
    st = weights.stat()
    os.utime(weights, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    try:
        changed = CTranslate2Engine(_options(cache, tiny_model, quantization="int8"))
        assert changed.converted and changed.model_dir != first.model_dir
    finally:
        os.utime(weights, ns=(st.st_atime_ns, st.st_mtime_ns))


def test_target_vocabulary_shortlist(tiny_model, sentences, tmp_path):
    options = _options(tmp_path / "cache", tiny_model, vmap="target")
    engine = CTranslate2Engine(options)
    assert engine.use_vmap and (engine.model_dir / "vmap.txt").is_file()
    outputs = engine.translate([TranslationRequest(s) for s in sentences[:3]])
    assert len(outputs) == 3 and all(isinstance(o, str) for o in outputs)


def test_missing_model_directory_is_a_clear_error(tmp_path):
    missing = tmp_path / "no-such-model"
    with pytest.raises(ModelUnavailable) as caught:
        CTranslate2Engine(_options(tmp_path / "cache", missing))
    message = str(caught.value)
    assert str(missing) in message and "no such model directory" in message
    assert not (tmp_path / "cache").exists()


def test_conversion_failure_is_a_clear_error_and_leaves_no_cache(tiny_model, tmp_path, monkeypatch):
    from ctranslate2.converters import TransformersConverter

    def broken(self, output_dir, vmap=None, quantization=None, force=False):
        raise NotImplementedError("This model is not supported by CTranslate2 or this converter")

    monkeypatch.setattr(TransformersConverter, "convert", broken)
    cache = tmp_path / "cache"
    with pytest.raises(ModelUnavailable) as caught:
        CTranslate2Engine(_options(cache, tiny_model))
    message = str(caught.value)
    assert "cannot convert" in message and "not supported" in message
    assert caught.value.remedy == (ChangeOption(("engine",), "marian"),)
    assert list((cache / "ct2").iterdir()) == []  # no half-written entry, no temporary directory


def test_fallback_only_when_asked(tmp_path, tiny_model, monkeypatch, capsys):
    import l10n.engines.ct2 as ct2_module

    def unavailable():
        raise ModelUnavailable("the ct2 engine needs the optional package ctranslate2")

    monkeypatch.setattr(ct2_module, "import_ctranslate2", unavailable)
    with pytest.raises(ModelUnavailable):
        load_ct2_or_fallback(_options(tmp_path / "cache", tiny_model))
    engine = load_ct2_or_fallback(_options(tmp_path / "cache", tiny_model, fallback=True))
    assert engine.name == "marian"
    err = capsys.readouterr().err
    assert "warning" in err and "marian" in err
