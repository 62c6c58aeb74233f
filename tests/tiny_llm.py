"""A tiny random-weight chat model, built by the tests themselves, to exercise the LLM engine's real
loading, chat-template and generation code paths without downloading anything.

The layout follows Qwen2.5-Instruct: a byte-level BPE tokenizer (trained here on the article's
Chinese plus a little English) with the `<|im_start|>`/`<|im_end|>` chat markers and a ChatML
Jinja template, and a `Qwen2ForCausalLM` with hidden size 32.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ARTICLE = ROOT / "source" / "zh" / "changchun-equipment.txt"

ENGLISH = """\
You are a professional translator at an English-language news agency.
Translate Chinese news text into accurate, fluent English. Output only the English translation.
Glossary: use these English terms exactly as given. Earlier sentences of the same article.
Changchun is building a new high-end equipment manufacturing industry.
CRRC Changchun Railway Vehicles won the largest single metro order in China this year.
The Fuxing bullet train served the Hangzhou Asian Games without a single fault.
Chang Guang Satellite Technology has 108 Jilin-1 satellites in orbit.
Equipment manufacturing output is expected to exceed 53 billion yuan.
"""

SPECIAL = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]

# ChatML, as Qwen2.5-Instruct uses it (without the tool-calling branches).
CHAT_TEMPLATE = (
    "{%- for message in messages %}"
    "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}"
)


def build_tiny_tokenizer(vocab_size: int = 1500):
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast
    from transformers.models.qwen2.tokenization_qwen2 import PRETOKENIZE_REGEX

    chinese = [line.strip() for line in ARTICLE.read_text(encoding="utf-8").splitlines() if line.strip()]
    tok = Tokenizer(models.BPE())
    # Qwen2's split: a GGUF written from this tokenizer (tests/tiny_gguf.py, pre-tokenizer "qwen2")
    # then tokenizes the same way in transformers and in llama.cpp.
    tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(PRETOKENIZE_REGEX), behavior="isolated"),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
    ])
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=SPECIAL,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),  # every byte: any text encodes
        show_progress=False,
    )
    tok.train_from_iterator(chinese + ENGLISH.splitlines(), trainer=trainer)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        additional_special_tokens=["<|im_start|>"],
    )
    tokenizer.chat_template = CHAT_TEMPLATE
    return tokenizer


def build_tiny_qwen(directory: Path, hidden: int = 32, layers: int = 2, seed: int = 0, init_range: float = 0.02) -> Path:
    """Save a random Qwen2ForCausalLM and its tokenizer (with a chat template) to `directory`.

    With the default `init_range` the random model repeats one token; 0.3 makes it produce varied
    tokens (what comparisons between runtimes need to mean something)."""
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    tokenizer = build_tiny_tokenizer()
    torch.manual_seed(seed)
    config = Qwen2Config(
        vocab_size=len(tokenizer),
        hidden_size=hidden,
        intermediate_size=2 * hidden,
        num_hidden_layers=layers,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=2048,
        tie_word_embeddings=True,
        bos_token_id=None,
        eos_token_id=tokenizer.convert_tokens_to_ids("<|im_end|>"),
        pad_token_id=tokenizer.pad_token_id,
        initializer_range=init_range,
    )
    model = Qwen2ForCausalLM(config)
    model.generation_config.do_sample = False
    model.eval()
    model.save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


if __name__ == "__main__":
    import sys

    print(build_tiny_qwen(Path(sys.argv[1])))
