"""The llm engine's runtimes on tiny random chat models built by the tests: the ct2 conversion and its
cache, outputs equal to the transformers reference at float32, batching that keeps the order, the
runtime's name in MT records, and llama.cpp on a tiny GGUF written here (when llama-cpp-python is
installed)."""

from __future__ import annotations

import os

import polib
import pytest

from l10n.engines import LLMOptions, TermHint, TranslationRequest, engine_label
from l10n.errors import ModelUnavailable
from tests.conftest import make_project

pytest.importorskip("torch")
pytest.importorskip("transformers")

from l10n.engines.llm import LLMEngine, build_messages  # noqa: E402
from l10n.engines.llm_runtimes import installed, llm_label  # noqa: E402
from l10n.engines.llm_transformers import TransformersRuntime, length_chunks  # noqa: E402

REQUESTS = [
    TranslationRequest("长春高端装备制造业一路高歌——"),
    TranslationRequest("中车长客打造的复兴号亚智能动车组。", terms=(TermHint("中车长客", "CRRC Changchun Railway Vehicles", 0, 4),)),
    TranslationRequest("看长春", context=(("一路高歌，捷报频传！", "A triumphant march!"),)),
    TranslationRequest("长光卫星已有108颗吉林一号卫星在轨运行，装备制造业产值预计突破530亿元。"),
    TranslationRequest("一汽", examples=(("一汽解放", "FAW Jiefang"),)),
]


def conversations():
    return [build_messages(r, 3, 3) for r in REQUESTS]


def options(cache, model, batch_size=1, runtime="transformers", quantization="float32", **more):
    return LLMOptions(model=str(model), batch_size=batch_size, max_length=20, threads=1, device="cpu",
                      quantization=quantization, cache_dir=str(cache), runtime=runtime, **more)


@pytest.fixture(scope="module")
def tiny_qwen(tmp_path_factory):
    from tests.tiny_llm import build_tiny_qwen

    # A wide initialisation: the random model then writes varied tokens, not one token repeated.
    return build_tiny_qwen(tmp_path_factory.mktemp("tiny-qwen-varied"), init_range=0.3)


@pytest.fixture(scope="module")
def reference(tiny_qwen, tmp_path_factory):
    """Raw answers of the transformers runtime at float32, one conversation at a time."""
    runtime = TransformersRuntime(options(tmp_path_factory.mktemp("unused"), tiny_qwen))
    limits = [20] * len(REQUESTS)
    return runtime.generate(conversations(), limits)


def test_reference_answers_are_varied(reference):
    # Otherwise the comparisons below would prove little.
    assert len(set(reference)) == len(reference) and all(len(a) > 5 for a in reference)


# --- ct2 ----------------------------------------------------------------------------------------

needs_ct2 = pytest.mark.skipif(not installed("ctranslate2"), reason="CTranslate2 is not installed")


@needs_ct2
def test_ct2_converts_once_and_reuses_the_cache(tiny_qwen, tmp_path, monkeypatch):
    from l10n.engines import llm_ct2

    first = llm_ct2.CT2Runtime(options(tmp_path, tiny_qwen))
    assert first.converted and first.model_dir.parent == tmp_path / "ct2"
    assert (first.model_dir / "tokenizer" / "tokenizer.json").is_file()
    assert llm_ct2.cached_entries(str(tmp_path)) == [first.model_dir]

    def no_conversion(*args, **kwargs):
        raise AssertionError("the cached model should have been used")

    monkeypatch.setattr(llm_ct2, "convert_model", no_conversion)
    second = llm_ct2.CT2Runtime(options(tmp_path, tiny_qwen))
    assert not second.converted and second.model_dir == first.model_dir
    assert second.generate(conversations()[:1], [20]) == first.generate(conversations()[:1], [20])
    # another number format is another entry
    monkeypatch.undo()
    int8 = llm_ct2.CT2Runtime(options(tmp_path, tiny_qwen, quantization="int8"))
    assert int8.converted and int8.model_dir != first.model_dir
    assert len(llm_ct2.cached_entries(str(tmp_path))) == 2
    assert not list((tmp_path / "ct2").glob(".*tmp-*"))  # no temporary directories left


@needs_ct2
@pytest.mark.parametrize("static_prompt", [True, False])
def test_ct2_float32_equals_transformers(tiny_qwen, tmp_path, reference, static_prompt):
    from l10n.engines.llm_ct2 import CT2Runtime

    runtime = CT2Runtime(options(tmp_path / "cache", tiny_qwen, static_prompt=static_prompt))
    assert runtime.generate(conversations(), [20] * len(REQUESTS)) == reference
    assert runtime.calls == len(REQUESTS)  # batch_size 1: one call each


@needs_ct2
def test_ct2_static_prompt_is_the_system_turn(tiny_qwen, tmp_path):
    from l10n.engines.llm_ct2 import CT2Runtime

    runtime = CT2Runtime(options(tmp_path, tiny_qwen))
    convs = conversations()
    tokens = [runtime.prompt_tokens(c) for c in convs]
    prefix, keep = runtime._static_prefix(convs, tokens)
    assert prefix and keep and all(t[:len(prefix)] == prefix for t in tokens)
    assert runtime.tokenizer.convert_tokens_to_string(prefix).startswith("<|im_start|>system\n")
    assert runtime.tokenizer.convert_tokens_to_string(prefix).endswith("<|im_end|>\n")
    strict = build_messages(REQUESTS[0], 3, 3, strict=True)  # another system message: no shared prefix
    assert runtime._static_prefix([convs[0], strict], [tokens[0], runtime.prompt_tokens(strict)]) == ([], False)
    assert CT2Runtime(options(tmp_path, tiny_qwen, static_prompt=False))._static_prefix(convs, tokens) == ([], False)


@needs_ct2
def test_ct2_static_prompt_takes_shared_examples_for_one_call(tiny_qwen, tmp_path):
    from l10n.engines.llm_ct2 import CT2Runtime

    runtime = CT2Runtime(options(tmp_path, tiny_qwen))
    examples = (("一汽解放", "FAW Jiefang"), ("长春市", "Changchun"))
    convs = [build_messages(TranslationRequest(text, examples=examples), 0, 2) for text in ("看长春", "长客造车")]
    tokens = [runtime.prompt_tokens(c) for c in convs]
    prefix, keep = runtime._static_prefix(convs, tokens)
    text = runtime.tokenizer.convert_tokens_to_string(prefix)
    assert "FAW Jiefang" in text and "Changchun<|im_end|>" in text and "看长春" not in text
    assert not keep  # examples change from call to call: not kept in CTranslate2's cache
    # computed once as the static prompt, the examples give what transformers gives without it
    expected = TransformersRuntime(options(tmp_path / "unused", tiny_qwen)).generate(convs, [20, 20])
    assert len(set(expected)) == 2 and runtime.generate(convs, [20, 20]) == expected


@needs_ct2
def test_ct2_batches_keep_the_order(tiny_qwen, tmp_path, reference, monkeypatch):
    from l10n.engines import llm_ct2
    from l10n.engines.llm_ct2 import CT2Runtime

    # batches of 3 whatever the lengths (the planner would keep these tiny prompts apart)
    monkeypatch.setattr(llm_ct2, "plan_batches", lambda lengths, answers, size, device: length_chunks(lengths, size))
    runtime = CT2Runtime(options(tmp_path, tiny_qwen, batch_size=3))
    limits = [20, 8, 20, 12, 20]
    one_by_one = CT2Runtime(options(tmp_path, tiny_qwen, batch_size=1))
    expected = one_by_one.generate(conversations(), limits)
    assert runtime.generate(conversations(), limits) == expected
    assert runtime.calls == 2  # 5 prompts in batches of 3
    # each row stops at its own limit, inside a batch too
    assert expected[0] == reference[0] and expected[1] != reference[1]
    tokens = [runtime.prompt_tokens(c) for c in conversations()[:3]]
    rows = runtime._generate(tokens, [20, 8, 3], [])
    assert [len(row) for row in rows] == [20, 8, 3]


def test_length_chunks_put_similar_lengths_together():
    assert length_chunks([5, 50, 7, 40, 6], 2) == [[1, 3], [2, 4], [0]]
    assert sorted(i for chunk in length_chunks(list(range(9)), 4) for i in chunk) == list(range(9))


@needs_ct2
def test_batches_group_similar_prompt_lengths():
    from l10n.engines.llm_ct2 import plan_batches

    # two clusters of lengths: each cluster is one batch, not mixed, not split
    lengths = [300, 40, 305, 42, 298, 41, 302, 44]
    answers = [30] * len(lengths)
    batches = plan_batches(lengths, answers, 16)
    assert sorted(map(sorted, batches)) == [[0, 2, 4, 6], [1, 3, 5, 7]]
    assert batches[0] == [2, 6, 0, 4]  # longest first
    # the size cap holds, every index appears once
    capped = plan_batches(lengths, answers, 3)
    assert max(map(len, capped)) <= 3 and sorted(i for b in capped for i in b) == list(range(8))
    assert plan_batches(lengths, answers, 1) == [[2], [6], [0], [4], [7], [3], [5], [1]]
    # equal prompts: as few batches as the size allows
    assert list(map(len, plan_batches([100] * 10, [30] * 10, 4))) in ([4, 4, 2], [4, 3, 3], [3, 3, 4], [2, 4, 4], [3, 4, 3])
    assert plan_batches([], [], 4) == []


@needs_ct2
def test_engine_over_ct2_records_its_runtime(tiny_qwen, tmp_path):
    engine = LLMEngine(options(tmp_path, tiny_qwen, batch_size=2, runtime="ct2", quantization="int8"))
    assert engine.label == "llm-ct2-int8"
    out = engine.translate(REQUESTS)
    assert len(out) == len(REQUESTS) and all(isinstance(text, str) for text in out)


@needs_ct2
def test_labels_name_runtime_and_number_format(monkeypatch):
    import l10n.engines.llm_runtimes as llm_runtimes

    cpu = lambda runtime, **kw: LLMOptions(device="cpu", runtime=runtime, **kw)  # noqa: E731
    assert engine_label("llm", cpu("transformers")) == "llm"
    assert engine_label("llm", cpu("ct2")) == "llm-ct2-int8"
    assert engine_label("llm", cpu("ct2", quantization="float32")) == "llm-ct2-float32"
    assert engine_label("llm", cpu("llama-cpp")) == "llm-llama-cpp"
    assert engine_label("llm", cpu("auto")) == "llm-ct2-int8"  # CTranslate2 is installed here
    cuda = lambda runtime, **kw: LLMOptions(device="cuda", runtime=runtime, **kw)  # noqa: E731
    assert llm_label(cuda("ct2")) == "llm-ct2-int8_float16"
    assert llm_label(cuda("ct2", quantization="float16")) == "llm-ct2-float16"
    assert llm_label(cuda("transformers")) == "llm-bfloat16"
    # auto: llama.cpp for a .gguf file on CPU where its extra is installed, else CTranslate2
    monkeypatch.setattr(llm_runtimes, "installed", lambda module: True)
    assert engine_label("llm", cpu("auto", model="m/Q4_K_M.gguf")) == "llm-llama-cpp"
    assert engine_label("llm", cpu("auto", model="m/model-dir")) == "llm-ct2-int8"
    assert llm_label(cuda("auto", model="m/Q4_K_M.gguf")) == "llm-ct2-int8_float16"
    monkeypatch.setattr(llm_runtimes, "installed", lambda module: module == "ctranslate2")
    assert engine_label("llm", cpu("auto", model="m/Q4_K_M.gguf")) == "llm-ct2-int8"
    monkeypatch.setattr(llm_runtimes, "installed", lambda module: False)
    assert engine_label("llm", cpu("auto")) == "llm"  # without CTranslate2, auto is transformers
    with pytest.raises(ModelUnavailable, match="not available"):
        engine_label("llm", cpu("ct2", quantization="float16"))  # no float16 on CPU


@needs_ct2
def test_runtime_choice_lands_in_mt_records(tiny_qwen, tmp_path):
    project = make_project(tmp_path, text="看长春\n\n长春高端装备制造业一路高歌。\n\n一汽解放。\n")
    assert project.run("update").code == 0
    common = ("pretranslate", "--engine", "llm", "--model", str(tiny_qwen), "--max-length", "12",
              "--threads", "1", "--device", "cpu", "--no-progress")
    first = project.run(*common, "--runtime", "ct2")
    assert first.code == 0, first.err
    po = polib.pofile(str(project.po))
    entries = [e for e in po if not e.obsolete]
    assert po.metadata["X-MT-Engine"] == "llm-ct2-int8"
    assert all("engine=llm-ct2-int8 " in e.comment for e in entries)
    assert (tmp_path / ".l10n-cache" / "ct2").is_dir()  # converted into the project's cache
    again = project.run(*common, "--runtime", "ct2")
    assert "no entry needs MT" in again.out  # same runtime: nothing to redo, no model loaded
    bad = project.run(*common, "--runtime", "transformers", "--context", "-1")
    assert bad.code == 2 and "--context = -1 is out of range" in bad.err, bad.err
    switched = project.run(*common, "--runtime", "transformers", "--context", "0", "--examples", "1")
    assert switched.code == 0, switched.err
    assert f"translated by MT: {len(entries)} " in switched.out  # unreviewed MT from another runtime: redone
    po = polib.pofile(str(project.po))
    assert po.metadata["X-MT-Engine"] == "llm"
    assert all("engine=llm model=" in e.comment for e in po if not e.obsolete)


@needs_ct2
def test_explicit_ct2_runtime_reports_what_is_wrong(tmp_path):
    from l10n.engines.llm_ct2 import CT2Runtime

    with pytest.raises(ModelUnavailable, match="no such model directory"):
        CT2Runtime(options(tmp_path, tmp_path / "nowhere"))
    with pytest.raises(ModelUnavailable, match="gguf"):
        CT2Runtime(options(tmp_path, tmp_path / "model-q4_k_m.gguf"))


@needs_ct2
def test_auto_falls_back_to_transformers_when_ct2_cannot_convert(tiny_qwen, tmp_path, monkeypatch, capsys):
    from l10n.engines import llm_ct2

    def broken(*args, **kwargs):
        raise ValueError("No conversion is registered for the model configuration")

    monkeypatch.setattr(llm_ct2, "convert_model", broken)
    with pytest.raises(ModelUnavailable, match="cannot convert"):
        LLMEngine(options(tmp_path, tiny_qwen, runtime="ct2"))
    engine = LLMEngine(options(tmp_path, tiny_qwen, runtime="auto"))
    assert engine.label == "llm"
    assert "using transformers" in capsys.readouterr().err


@needs_ct2
def test_auto_falls_back_to_ct2_when_llama_cpp_cannot_run_the_gguf(tiny_gguf, tmp_path, monkeypatch, capsys):
    import l10n.engines.llm_llamacpp as llm_llamacpp
    import l10n.engines.llm_runtimes as llm_runtimes

    def broken(options):
        raise ModelUnavailable("the llama-cpp runtime needs the optional package llama-cpp-python", options.model)

    monkeypatch.setattr(llm_runtimes, "installed", lambda module: True)
    monkeypatch.setattr(llm_llamacpp, "LlamaCppRuntime", broken)
    with pytest.raises(ModelUnavailable, match="llama-cpp-python"):
        LLMEngine(options(tmp_path, tiny_gguf, runtime="llama-cpp"))
    engine = LLMEngine(options(tmp_path, tiny_gguf, runtime="auto"))
    assert engine.label == "llm-ct2-float32" and "using ct2" in capsys.readouterr().err


# --- GGUF ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_gguf(tiny_qwen, tmp_path_factory):
    pytest.importorskip("gguf")
    pytest.importorskip("accelerate")
    from tests.tiny_gguf import write_tiny_gguf

    return write_tiny_gguf(tiny_qwen, tmp_path_factory.mktemp("gguf") / "tiny-qwen2-f32.gguf")


@needs_ct2
def test_gguf_through_transformers_and_ct2_equals_the_directory_model(tiny_gguf, tmp_path, reference):
    from l10n.engines.llm_ct2 import CT2Runtime

    limits = [20] * len(REQUESTS)
    assert TransformersRuntime(options(tmp_path, tiny_gguf)).generate(conversations(), limits) == reference
    converted = CT2Runtime(options(tmp_path, tiny_gguf))
    assert converted.converted and converted.model_dir.name.startswith("tiny-qwen2-f32.gguf-float32-")
    assert converted.generate(conversations(), limits) == reference
    assert not CT2Runtime(options(tmp_path, tiny_gguf)).converted


def test_llama_cpp_runs_the_gguf(tiny_gguf, tmp_path, tiny_qwen, reference):
    pytest.importorskip("llama_cpp")
    from transformers import AutoTokenizer

    from l10n.engines.llm_llamacpp import LlamaCppRuntime

    runtime = LlamaCppRuntime(options(tmp_path, tiny_gguf, runtime="llama-cpp", n_ctx=1024))
    assert runtime.label == "llm-llama-cpp"
    tokenizer = AutoTokenizer.from_pretrained(tiny_qwen)
    for messages in conversations():
        expected = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        assert runtime.prompt_tokens(messages) == tokenizer(expected, add_special_tokens=False)["input_ids"]
    answers = runtime.generate(conversations(), [20] * len(REQUESTS))
    assert runtime.calls == len(REQUESTS)
    # float32 weights, greedy: llama.cpp's kernels are not torch's, so a near tie may go the other
    # way after a while (here: in one answer, after 17 tokens), but the answers start the same, and
    # most are the same throughout.
    assert all(answer[:5] == expected[:5] for answer, expected in zip(answers, reference))
    assert sum(answer == expected for answer, expected in zip(answers, reference)) >= 3
    engine = LLMEngine(options(tmp_path, tiny_gguf, runtime="llama-cpp", n_ctx=1024))
    assert engine.label == "llm-llama-cpp" and len(engine.translate(REQUESTS[:2])) == 2


def test_llama_cpp_decodes_many_conversations_at_once_and_keeps_their_prefixes(tiny_gguf, tmp_path):
    pytest.importorskip("llama_cpp")
    from l10n.engines.llm import revision_messages, word_messages
    from l10n.engines.llm_llamacpp import LlamaCppRuntime

    convs, limits = conversations(), [20] * len(REQUESTS)
    alone = LlamaCppRuntime(options(tmp_path, tiny_gguf, runtime="llama-cpp", n_ctx=1024)).generate(convs, limits)
    # four at a time, in a cache so small (3 × 380 cells) that finished conversations must give way
    runtime = LlamaCppRuntime(options(tmp_path, tiny_gguf, runtime="llama-cpp", n_ctx=380, batch_size=4))
    decoder = runtime.decoder
    together = runtime.generate(convs, limits)
    # float32 kernels for 1 row and for 4 differ in rounding: a near tie may go the other way late
    assert all(a[:5] == b[:5] for a, b in zip(together, alone))
    assert sum(a == b for a, b in zip(together, alone)) >= 3
    prompts = [runtime.prompt_tokens(c) for c in convs]
    # the system turn that opens every prompt was evaluated once, not once per conversation
    shared = len(os.path.commonprefix(prompts))
    assert decoder.evaluated <= sum(len(p) for p in prompts) - (len(prompts) - 1) * shared + sum(limits)
    # another call with other prompts: the finished conversations give way, the cache never overflows
    words = [word_messages(r.source, r.source[:2]) for r in REQUESTS]
    assert runtime.generate(words, limits)
    assert len(decoder.holders) <= decoder.cells < sum(len(p) for p in prompts) + sum(
        len(runtime.prompt_tokens(c)) for c in words) - shared

    # sequence ids run out like cells: finished conversations give way (a pool of ids that the
    # finished ones fill), also for the opening that a new call's prompts share
    decoder.n_seq = len(decoder.tokens)
    assert runtime.generate(convs[:2], [4, 4]) and len(decoder.tokens) <= decoder.n_seq
    opening = [[{"role": "system", "content": "另一个系统：只回答英文。"}, {"role": "user", "content": r.source}]
               for r in REQUESTS[:2]]
    assert runtime.generate(opening, [4, 4]) and len(decoder.tokens) <= decoder.n_seq

    # a revision opens with the first prompt and its answer: only its new turn is evaluated
    runtime = LlamaCppRuntime(options(tmp_path, tiny_gguf, runtime="llama-cpp", n_ctx=1024, batch_size=4))
    first = runtime.generate(convs[:2], [8, 8])
    before = runtime.decoder.evaluated
    again = [revision_messages(c, r, a, ["the number 108 is missing"]) for c, r, a in zip(convs[:2], REQUESTS, first)]
    assert len(runtime.generate(again, [8, 8])) == 2
    new_turns = sum(len(runtime.prompt_tokens(m)) - len(runtime.prompt_tokens(c)) for m, c in zip(again, convs))
    assert runtime.decoder.evaluated - before <= new_turns + 2 * 8


def test_llama_cpp_refuses_what_is_not_a_gguf(tiny_qwen, tmp_path):
    pytest.importorskip("llama_cpp")
    from l10n.engines.llm_llamacpp import LlamaCppRuntime

    with pytest.raises(ModelUnavailable, match=r"\.gguf"):
        LlamaCppRuntime(options(tmp_path, tiny_qwen, runtime="llama-cpp"))


def test_llama_cpp_missing_gives_the_install_line(tmp_path, monkeypatch):
    import sys

    from l10n.engines.llm_llamacpp import LlamaCppRuntime

    monkeypatch.setitem(sys.modules, "llama_cpp", None)
    with pytest.raises(ModelUnavailable, match=r"pip install -e '\.\[llamacpp\]'"):
        LlamaCppRuntime(options(tmp_path, tmp_path / "x.gguf", runtime="llama-cpp"))


def test_pretranslate_hands_a_pool_to_engines_that_plan_batches(project, fake_engine, monkeypatch):
    import l10n.engines
    from tests.fake_engine import FakeEngine

    sizes: list[int] = []

    class Pooling(FakeEngine):
        pool_size = 32

        def translate(self, batch):
            sizes.append(len(batch))
            return super().translate(batch)

    monkeypatch.setattr(l10n.engines, "load_engine", lambda name, options: Pooling(options.model, options.batch_size))
    assert project.run("update").code == 0
    result = project.run("pretranslate", "--batch-size", "4", "--no-progress")
    assert result.code == 0, result.err
    entries = len([e for e in polib.pofile(str(project.po)) if not e.obsolete])
    assert entries > 32 and sizes[0] == 32 and sum(sizes) == entries
    # an engine that plans nothing gets batch_size segments at a time
    sizes.clear()
    Pooling.pool_size = 0
    project.po.unlink()
    assert project.run("update").code == 0
    result = project.run("pretranslate", "--batch-size", "4", "--no-progress")
    assert result.code == 0, result.err
    assert sizes and max(sizes) == 4 and sum(sizes) == entries


def test_short_documents_share_the_pool_of_an_engine_that_plans_batches(tmp_path, monkeypatch):
    """Many short documents: an engine with a pool gets the segments of several documents in one
    call (each document still one batch at a time), and every output lands in its own document."""
    import l10n.engines
    from tests.fake_engine import FakeEngine
    from tests.test_many_documents import DOCS, catalog, make_edition

    calls: list[list[str]] = []

    class Pooling(FakeEngine):
        pool_size = 32

        def translate(self, batch):
            calls.append([r.source for r in batch])
            return super().translate(batch)

    monkeypatch.setattr(l10n.engines, "load_engine", lambda name, options: Pooling(options.model, options.batch_size))
    project = make_edition(tmp_path)
    assert project.run("update").code == 0
    result = project.run("pretranslate", "--batch-size", "2", "--no-progress")
    assert result.code == 0, result.err
    per_doc = {name: [e for e in polib.pofile(str(catalog(project, name))) if not e.obsolete] for name in DOCS}
    total = sum(len(entries) for entries in per_doc.values())
    assert total <= 32 and len(calls) == 1 and len(calls[0]) == total  # one call for the three documents
    import hashlib

    for entries in per_doc.values():  # each output in its own entry: the test engine tags it with its source
        assert all(e.fuzzy and e.msgstr.endswith(f"[{hashlib.sha1(e.msgid.encode()).hexdigest()[:6]}]")
                   for e in entries)
