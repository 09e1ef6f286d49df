"""Training pairs, evaluation, and the recipes behind `regen-lite train g2p | p2g`."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from typing import Sequence

import torch

from ..checkpoints import save_checkpoint, weights_dir
from ..recipes import Recipe
from ..train import TrainConfig, fit
from .extractors import G2P
from .lexicon import ARPABET, LETTERS, lexicon_hash, load_lexicon, word_list
from .metrics import g2p_scores, homophone_analysis, p2g_scores
from .seq2seq import Seq2Seq, Seq2SeqConfig, translate

# ---------------------------------------------------------------------------------------
# Training pairs, evaluation, and the recipe runner behind `regen-lite train g2p | p2g`
# ---------------------------------------------------------------------------------------

def build_seq2seq(direction: str, **kw) -> Seq2Seq:
    """A fresh model for "g2p" (letters -> phonemes) or "p2g" (phonemes -> letters)."""
    src, tgt = (LETTERS, ARPABET) if direction == "g2p" else (ARPABET, LETTERS)
    return Seq2Seq(Seq2SeqConfig(src_symbols=src, tgt_symbols=tgt, **kw))


def direction_of(model: Seq2Seq) -> str:
    return "g2p" if tuple(model.cfg.src_symbols) == LETTERS else "p2g"


def training_pairs(direction: str, words: Sequence[str]) -> tuple[list[list[str]], list[list[str]]]:
    """(sources, targets). G2P learns each word's main pronunciation; P2G learns every pronunciation
    of each word (all of them spell that word)."""
    lex = load_lexicon()
    if direction == "g2p":
        return [list(w) for w in words], [list(lex[w][0]) for w in words]
    pairs = [(list(p), list(w)) for w in words for p in lex[w]]
    return [s for s, _ in pairs], [t for _, t in pairs]


def evaluate_g2p(model: Seq2Seq, words: Sequence[str] | None = None, beam: int = 1) -> dict:
    """The learned G2P alone on held-out words: PER and WER against the closest dictionary pronunciation."""
    words = list(words if words is not None else word_list("test"))
    return g2p_scores(translate(model, [list(w) for w in words], beam=beam), words)


def mixed_word_list(n_known: int | None = None) -> list[str]:
    """Held-out words (unknown to a train-only dictionary) + as many training words (every k-th, so
    deterministic): half the words are dictionary hits, half go to the fallback."""
    unknown, train = list(word_list("test")), word_list("train")
    n_known = n_known or len(unknown)
    return sorted(unknown + list(train[:: max(1, len(train) // n_known)][:n_known]))


def evaluate_mixed(g2p_model: Seq2Seq, words: Sequence[str] | None = None, beam: int = 1) -> dict:
    """Dictionary (training words only) + fallback on the mixed list; and the dictionary alone, where
    an unknown word gets no phonemes at all (every phoneme deleted), to show what the fallback adds."""
    words = list(words if words is not None else mixed_word_list())
    ext = G2P(lexicon="train", beam=beam, model=g2p_model, with_renderer=False)
    results = ext.pronounce(words)
    both = g2p_scores([r["phonemes"] for r in results], words)
    alone = g2p_scores([r["phonemes"] if r["source"] == "dictionary" else [] for r in results], words)
    hits = sum(r["source"] == "dictionary" for r in results) / max(1, len(words))
    return {**both, "dictionary_hits": hits, "dictionary_only_per": alone["per"], "dictionary_only_wer": alone["wer"]}


def evaluate_p2g(model: Seq2Seq, words: Sequence[str] | None = None, beam: int = 1) -> dict:
    """P2G on held-out words' main pronunciations: LER, WER, and how many outputs are homophones."""
    lex = load_lexicon()
    words = list(words if words is not None else word_list("test"))
    phones = [list(lex[w][0]) for w in words]
    spellings = ["".join(s) for s in translate(model, phones, beam=beam)]
    h = homophone_analysis(spellings, words, phones)
    return {**p2g_scores(spellings, words), **{k: h[k] for k in ("homophone", "valid", "ambiguous")}}


def evaluate_text_model(model: Seq2Seq) -> dict:
    """The metrics recorded in a shipped checkpoint's JSON (greedy decoding, all held-out words)."""
    if direction_of(model) == "g2p":
        return {"held_out": evaluate_g2p(model), "mixed": evaluate_mixed(model)}
    return {"held_out": evaluate_p2g(model)}


def run_text_recipe(recipe, *, epochs=None, data="full", device="auto", out_dir=None, resume=False,
                    progress=True, seed=None, max_steps=None, **_) -> tuple[Path, dict]:
    """Train a G2P or P2G recipe on the training words and save OUT/NAME.{safetensors,json} with its
    held-out metrics. data="sample": every 10th training word, for a quick try."""
    import json


    cfg = replace(recipe.train, device=device, progress=progress,
                  **({"epochs": epochs} if epochs else {}), **({"seed": seed} if seed is not None else {}),
                  **({"max_steps": max_steps} if max_steps else {}))
    torch.manual_seed(cfg.seed)
    model = recipe.build()
    direction = direction_of(model)
    words = word_list("train")[:: 10 if data == "sample" else 1]
    src, tgt = training_pairs(direction, words)
    batch = (model.encode_src(src), model.encode_tgt(tgt))        # (N, Ls), (N, Lt + 2) padded ids
    out_dir = Path(out_dir) if out_dir else weights_dir()
    state = out_dir / ".state" / recipe.name
    t0, c0 = time.perf_counter(), time.process_time()
    result = fit(model, batch, cfg, state_path=state, resume=resume, desc=recipe.name)
    # CPU time of all threads: on a machine shared with other jobs, wall time says little, while
    # cpu_seconds <= 1200 means < 10 minutes on 2 idle cores
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    model = result.model.cpu().eval()
    t1 = time.perf_counter()
    metric = evaluate_text_model(model)
    command = f"regen-lite train {recipe.name}" + (f" --epochs {cfg.epochs}" if cfg.max_steps is None else f" --steps {cfg.max_steps}")
    command += f" --data {data}" + (f" --seed {cfg.seed}" if cfg.seed else "")
    stem = save_checkpoint(
        out_dir / recipe.name, model, model.cfg,
        metrics=metric, eval_seconds=round(time.perf_counter() - t1, 1), train_command=recipe.command or command,
        train_config=cfg.__dict__, train_seconds=round(result.seconds, 1), wall_seconds=round(wall, 1), cpu_seconds=round(cpu, 1),
        steps=result.steps, skipped_steps=result.skipped_steps, history=result.history,
        data={"source": data, "n_train": len(src), "n_words": len(words), "lexicon": "cmudict (stress dropped)",
              "hash": lexicon_hash()},
        params=sum(p.numel() for p in model.parameters()), direction=direction,
        torch=torch.__version__, threads=torch.get_num_threads(), notes=recipe.notes,
    )
    for suffix in (".safetensors", ".json"):
        state.with_suffix(suffix).unlink(missing_ok=True)
    return stem, json.loads(stem.with_suffix(".json").read_text())



# the two seq2seq models: a step budget that trains in < 10 minutes on 2 CPU cores
TEXT_TRAIN = TrainConfig(epochs=100, max_steps=3500, batch_size=128, lr=2e-3, warmup_steps=300, weight_decay=0.01)

# letters <-> ARPAbet phonemes, trained on CMUdict's training words
RECIPES = {r.name: r for r in [
    Recipe("g2p", Seq2Seq, lambda: build_seq2seq("g2p"), TEXT_TRAIN, "text", run=run_text_recipe,
           notes="letters -> phonemes seq2seq: the G2P extractor's fallback for words not in the dictionary"),
    Recipe("p2g", Seq2Seq, lambda: build_seq2seq("p2g"), TEXT_TRAIN, "text", run=run_text_recipe,
           notes="phonemes -> letters seq2seq: the renderer Y' -> Y of the text modality"),
]}
