"""MT throughput: a random-weight MarianMT of the real opus-mt-zh-en size, run by transformers
and by CTranslate2 in separate worker processes (so that thread settings, allocators and peak
memory stay apart), timed pair by pair.

Why random weights: the real weights cannot be downloaded here, and the compute of a forward pass
does not depend on the weight values. The output length is forced (40 target tokens for every
segment) so that the amount of work equals what the real model does for a 40-token translation.
"""

from __future__ import annotations

import os
import random
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# opus-mt-zh-en: d_model 512, 6+6 layers, 8 heads, FFN 2048, vocab 65,001 with <pad> last, swish.
VOCAB = 65001
PAD = VOCAB - 1
EOS = 0
UNK = 1
D_MODEL = 512
LAYERS = 6
HEADS = 8
FFN = 2048
OUT_LEN = 40  # forced target length (tokens, </s> not counted)
SRC_LEN = (30, 40)  # source length range, </s> included
MODEL_TAG = f"marian-random-v{VOCAB}-d{D_MODEL}-l{LAYERS}-f{FFN}-seed0"


def token(i: int) -> str:
    if i == EOS:
        return "</s>"
    if i == UNK:
        return "<unk>"
    if i == PAD:
        return "<pad>"
    return f"t{i}"


class VocabOnlyTokenizer:
    """What CTranslate2's Marian converter reads from a tokenizer: the vocabulary and two tokens."""

    eos_token = "</s>"
    unk_token = "<unk>"
    bos_token = None

    def get_vocab(self) -> dict[str, int]:
        return {token(i): i for i in range(VOCAB)}


def build_model(work: Path) -> Path:
    """Save the random model to work/<tag>/ (reused when already there)."""
    directory = work / MODEL_TAG
    if (directory / "done").is_file():
        return directory
    import torch
    from transformers import MarianConfig, MarianMTModel

    config = MarianConfig(
        vocab_size=VOCAB,
        decoder_vocab_size=VOCAB,
        d_model=D_MODEL,
        encoder_layers=LAYERS,
        decoder_layers=LAYERS,
        encoder_attention_heads=HEADS,
        decoder_attention_heads=HEADS,
        encoder_ffn_dim=FFN,
        decoder_ffn_dim=FFN,
        activation_function="swish",
        max_position_embeddings=512,
        pad_token_id=PAD,
        eos_token_id=EOS,
        decoder_start_token_id=PAD,
        forced_eos_token_id=None,  # the forced length replaces it (see OUT_LEN)
        scale_embedding=True,
        share_encoder_decoder_embeddings=True,
    )
    torch.manual_seed(0)
    model = MarianMTModel(config)
    with torch.no_grad():
        model.model.shared.weight[PAD].zero_()  # as in the real model: the decoder starts from it
    model.generation_config.bad_words_ids = [[PAD]]  # as in the real model's generation config
    model.generation_config.forced_eos_token_id = None
    model.generation_config.max_length = 512
    model.eval()
    directory.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(directory)
    (directory / "done").write_text("ok\n")
    return directory


def convert(model_dir: Path, work: Path, quantization: str) -> Path:
    """Convert with CTranslate2's converter into a cache entry made the engine's way
    (l10n.engines.ct2_cache.stage_conversion). The random model has no tokenizer files, so the
    converter is given the vocabulary it reads from one."""
    from ctranslate2.converters import TransformersConverter

    from l10n.engines.ct2_cache import is_complete, stage_conversion

    class Converter(TransformersConverter):
        def load_tokenizer(self, tokenizer_class, model_name_or_path, **kwargs):
            return VocabOnlyTokenizer()

    def write(staged: Path) -> dict:
        Converter(str(model_dir)).convert(str(staged), quantization=quantization, force=True)
        return {"source": str(model_dir), "quantization": quantization}

    out = work / f"{MODEL_TAG}-ct2-{quantization}"
    if not is_complete(out):
        stage_conversion(out, write)
    return out


def with_vmap(ct2_dir: Path, work: Path, size: int, seed: int = 7) -> Path:
    """A view of a converted model (symlinks) with a vmap.txt restricting the output to `size` ids.

    The map has only the always-candidates line (empty n-gram), so the shortlist has the same size
    for every batch. With random weights its content is synthetic; the compute it saves is real.
    """
    out = work / f"{ct2_dir.name}-vmap{size}"
    if (out / "vmap.txt").is_file():
        return out
    out.mkdir(parents=True, exist_ok=True)
    for entry in ct2_dir.iterdir():
        link = out / entry.name
        if not link.exists():
            link.symlink_to(entry.resolve())
    rng = random.Random(seed)
    ids = sorted(rng.sample(range(2, PAD), size - 2))
    (out / "vmap.txt").write_text("\t" + " ".join(token(i) for i in ids) + "\n", encoding="utf-8")
    return out


def make_inputs(n: int, seed: int = 1234) -> list[list[int]]:
    """n source segments of 30-40 ids (the last one </s>), the same for every engine and run."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        length = rng.randint(*SRC_LEN)
        out.append([rng.randint(2, PAD - 1) for _ in range(length - 1)] + [EOS])
    return out


# --- workers --------------------------------------------------------------------------------------


def _proc_status() -> dict[str, float]:
    out: dict[str, float] = {"cpu_s": time.process_time()}
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(("VmRSS:", "VmHWM:")):
                key, value = line.split(":", 1)
                out[key] = int(value.split()[0])  # kB
    return out


def _worker(conn, spec: dict) -> None:
    """One engine in its own process: answers ("run", job) with the seconds the job took."""
    # Before torch / ctranslate2 load their OpenMP runtime, which reads these once.
    for key, value in spec.get("env", {}).items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    started = time.perf_counter()
    if spec["kind"] == "hf":
        import torch
        from transformers import MarianMTModel
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        hf_logging.set_verbosity_error()
        torch.set_num_threads(spec["threads"])
        model = MarianMTModel.from_pretrained(spec["model"]).eval()

        def run(job):
            inputs = job["inputs"]
            bs = job["batch_size"]
            out_len = job.get("out_len", OUT_LEN)
            t0 = time.perf_counter()
            c0 = time.process_time()
            for start in range(0, len(inputs), bs):
                chunk = inputs[start:start + bs]
                width = max(len(x) for x in chunk)
                ids = torch.full((len(chunk), width), PAD, dtype=torch.long)
                mask = torch.zeros((len(chunk), width), dtype=torch.long)
                for row, x in enumerate(chunk):  # Marian pads on the right
                    ids[row, :len(x)] = torch.tensor(x)
                    mask[row, :len(x)] = 1
                with torch.inference_mode():
                    out = model.generate(
                        input_ids=ids,
                        attention_mask=mask,
                        num_beams=job["beams"],
                        do_sample=False,
                        min_new_tokens=out_len,
                        max_new_tokens=out_len,
                    )
                if out.shape[1] != out_len + 1:  # decoder start + out_len tokens
                    raise RuntimeError(f"transformers produced {out.shape[1] - 1} tokens, not {out_len}")
            return time.perf_counter() - t0, time.process_time() - c0

    else:
        import ctranslate2

        translators: dict = {}

        def translator_for(inter: int, intra: int):
            if (inter, intra) not in translators:
                translators[(inter, intra)] = ctranslate2.Translator(
                    spec["model"],
                    device="cpu",
                    compute_type=spec.get("compute_type", "default"),
                    intra_threads=intra,
                    inter_threads=inter,
                )
            return translators[(inter, intra)]

        toolkit = bool(spec.get("toolkit_layout"))
        if toolkit:  # the toolkit's ct2 engine: its thread layout and its way of calling CTranslate2
            from l10n.engines.ct2 import thread_layout

            for batch_size in (1, 8):  # load both layouts up front, so that loading is not timed
                translator_for(*thread_layout("cpu", spec["threads"], batch_size))
        else:
            translator_for(spec.get("inter", 1), spec["threads"])
        use_vmap = bool(spec.get("vmap"))

        def run(job):
            tokens = [[token(i) for i in x] for x in job["inputs"]]
            out_len = job.get("out_len", OUT_LEN)
            bs = job["batch_size"]
            options = dict(beam_size=job["beams"], min_decoding_length=out_len, max_decoding_length=out_len,
                           use_vmap=use_vmap)
            if toolkit:
                inter, intra = thread_layout("cpu", spec["threads"], bs)
                translator = translator_for(inter, intra)
            t0 = time.perf_counter()
            c0 = time.process_time()
            if toolkit:  # one call per batch, split into `inter` parts decoded side by side
                results = []
                for start in range(0, len(tokens), bs):
                    chunk = tokens[start:start + bs]
                    results += translator.translate_batch(chunk, max_batch_size=-(-len(chunk) // inter), **options)
            else:
                results = translator_for(spec.get("inter", 1), spec["threads"]).translate_batch(
                    tokens, max_batch_size=bs, **options)
            elapsed = time.perf_counter() - t0, time.process_time() - c0
            for r in results:
                if len(r.hypotheses[0]) != out_len:
                    raise RuntimeError(f"ctranslate2 produced {len(r.hypotheses[0])} tokens, not {out_len}")
            return elapsed

    conn.send({"loaded_s": time.perf_counter() - started, **_proc_status()})
    while True:
        command, payload = conn.recv()
        if command == "run":
            try:
                conn.send(("ok", run(payload)))
            except Exception as err:  # noqa: BLE001 - reported to the parent
                conn.send(("error", f"{type(err).__name__}: {err}"))
        elif command == "status":
            conn.send(_proc_status())
        else:
            conn.close()
            return


class Worker:
    def __init__(self, name: str, spec: dict):
        import multiprocessing as mp

        ctx = mp.get_context("spawn")
        self.name = name
        self.spec = spec
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_worker, args=(child, spec), daemon=True)
        self.process.start()
        child.close()
        self.loaded = self.conn.recv()

    def run(self, job: dict) -> tuple[float, float]:
        """(wall seconds, CPU seconds of the worker) for one job."""
        self.conn.send(("run", job))
        status, value = self.conn.recv()
        if status != "ok":
            raise RuntimeError(f"{self.name}: {value}")
        return value

    def status(self) -> dict:
        self.conn.send(("status", None))
        return self.conn.recv()

    def close(self) -> dict:
        status = self.status()
        self.conn.send(("quit", None))
        self.process.join(30)
        return status
