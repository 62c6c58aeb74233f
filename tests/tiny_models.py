"""Tiny random-weight models, built by the tests themselves, to exercise the real loading and
generation code paths without downloading anything.

The Marian model follows the real opus-mt layout: two SentencePiece models (source trained on the
article's Chinese, target on a small English corpus), one shared vocab.json, and `<pad>` as the
last vocabulary entry (CTranslate2's Marian converter expects that, as in the real models).
"""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ARTICLE = ROOT / "source" / "zh" / "changchun-equipment.txt"

ENGLISH = """\
Changchun is building a new high-end equipment manufacturing industry.
CRRC Changchun Railway Vehicles won the largest single metro order in China this year.
The Fuxing bullet train served the Hangzhou Asian Games without a single fault.
Chang Guang Satellite Technology has 108 Jilin-1 satellites in orbit.
A Long March 2D rocket launched 41 satellites from the Taiyuan Satellite Launch Center.
The city will promote the open competition mechanism to select the best candidates.
Specialized, refined, distinctive and innovative enterprises received support.
Output value is expected to reach 50 million yuan in the first year of production.
Equipment manufacturing output is expected to exceed 53 billion yuan.
New quality productive forces will be released by innovation and research.
The shield tunneling machine cutterhead is being processed by welders.
High-temperature superconducting electric suspension completed its first test run.
"""


def _train_spm(text: str, prefix: Path, vocab_size: int) -> None:
    import sentencepiece as spm

    corpus = prefix.with_suffix(".txt")
    corpus.write_text(text, encoding="utf-8")
    spm.SentencePieceTrainer.train(
        input=str(corpus),
        model_prefix=str(prefix),
        vocab_size=vocab_size,
        character_coverage=1.0,
        model_type="unigram",
        hard_vocab_limit=False,
        bos_id=-1,
        eos_id=-1,
        unk_id=0,
        minloglevel=2,
        num_threads=1,
    )


def _pieces(model_file: Path) -> list[str]:
    import sentencepiece as spm

    sp = spm.SentencePieceProcessor(model_file=str(model_file))
    return [sp.id_to_piece(i) for i in range(sp.get_piece_size())]


def build_tiny_marian(directory: Path, d_model: int = 16, seed: int = 0) -> Path:
    """Save a random MarianMT model and its MarianTokenizer to `directory`; return it."""
    import torch
    from transformers import MarianConfig, MarianMTModel, MarianTokenizer

    directory.mkdir(parents=True, exist_ok=True)
    work = directory / "_spm"
    work.mkdir(exist_ok=True)
    chinese = "\n".join(line.strip() for line in ARTICLE.read_text(encoding="utf-8").splitlines() if line.strip())
    _train_spm(chinese, work / "source", 1200)
    _train_spm(ENGLISH, work / "target", 300)
    vocab: dict[str, int] = {"</s>": 0, "<unk>": 1}
    for piece in _pieces(work / "source.model") + _pieces(work / "target.model"):
        if piece not in vocab and piece not in ("<pad>",):
            vocab[piece] = len(vocab)
    vocab["<pad>"] = len(vocab)
    (directory / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    (directory / "source.spm").write_bytes((work / "source.model").read_bytes())
    (directory / "target.spm").write_bytes((work / "target.model").read_bytes())
    tokenizer = MarianTokenizer(
        str(directory / "source.spm"), str(directory / "target.spm"), str(directory / "vocab.json")
    )
    torch.manual_seed(seed)
    config = MarianConfig(
        vocab_size=len(vocab),
        d_model=d_model,
        encoder_layers=1,
        decoder_layers=1,
        encoder_attention_heads=2,
        decoder_attention_heads=2,
        encoder_ffn_dim=2 * d_model,
        decoder_ffn_dim=2 * d_model,
        max_position_embeddings=256,
        pad_token_id=vocab["<pad>"],
        eos_token_id=vocab["</s>"],
        decoder_start_token_id=vocab["<pad>"],
        forced_eos_token_id=vocab["</s>"],
        scale_embedding=True,
        share_encoder_decoder_embeddings=True,
    )
    model = MarianMTModel(config)
    model.generation_config.max_length = 24
    model.generation_config.num_beams = 1
    model.eval()
    model.save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


if __name__ == "__main__":
    import sys

    print(build_tiny_marian(Path(sys.argv[1])))
