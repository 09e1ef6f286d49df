"""Training pairs, evaluation and the recipes behind `regen-lite train g2p | p2g | asr_phonemes | asr_letters`
(run by recipes.run_recipe)."""

from __future__ import annotations

from typing import Sequence

import torch

from ..recipes import Recipe
from ..train import TrainConfig
from .extractors import G2P
from .lexicon import ARPABET, LETTERS, lexicon_hash, load_lexicon, word_list
from .metrics import g2p_scores, homophone_analysis, p2g_scores
from .priors import CTCRecognizer, RecognizerConfig
from .recognition import FRACTIONS, asr_tensors, corpus_hash, default_renderer, evaluate_models, training_clips
from .seq2seq import Seq2Seq, Seq2SeqConfig, translate

SMALL_EVERY = 20    # the small fixed subset: every 20th held-out word (the tests re-measure it in seconds)


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


def evaluate_text_model(model: Seq2Seq, small: bool = False) -> dict:
    """The metrics recorded in a shipped checkpoint's JSON (greedy decoding): on all held-out words, or
    with small=True on every SMALL_EVERY-th of them ("held_out_small", "mixed_small")."""
    every, suffix = (SMALL_EVERY, "_small") if small else (1, "")
    out = {"held_out" + suffix: (evaluate_g2p if direction_of(model) == "g2p" else evaluate_p2g)(
        model, word_list("test")[::every])}
    if direction_of(model) == "g2p":
        out["mixed" + suffix] = evaluate_mixed(model, mixed_word_list()[::every])
    return out


# ---------------------------------------------------------------- the recipe: data and evaluation

def text_data(recipe: Recipe, model: Seq2Seq, source: str, extractor=None) -> tuple[tuple[torch.Tensor, ...], dict]:
    """(source ids (N, Ls), target ids (N, Lt + 2)) of the training words, padded; source "sample":
    every 10th training word, for a quick try."""
    direction = direction_of(model)
    words = word_list("train")[:: 10 if source == "sample" else 1]
    src, tgt = training_pairs(direction, words)
    info = {"source": source, "n_train": len(src), "hash": lexicon_hash(), "n_words": len(words),
            "lexicon": "cmudict (stress dropped)", "direction": direction}
    return (model.encode_src(src), model.encode_tgt(tgt)), info


def evaluate(recipe: Recipe, model: Seq2Seq, source: str, extractor=None) -> dict:
    """Recipe.evaluate: all held-out words, and the small fixed subset beside them."""
    return {**evaluate_text_model(model), **evaluate_text_model(model, small=True)}


def asr_data(recipe: Recipe, model: CTCRecognizer, source: str, extractor=None) -> tuple[tuple[torch.Tensor, ...], dict]:
    """(log-mel, frames, target ids, target lengths) of the training clips of the spoken-word corpus; --data half,
    quarter, sample: every 2nd, 4th, 20th training word (all of its clips), the paired-data axis."""
    clips = training_clips(source)
    info = {"source": source, "n_train": len(clips), "hash": corpus_hash(clips), "corpus": "data_samples/speech/words",
            "n_words": len({c.word for c in clips}), "every_kth_word": FRACTIONS[source],
            "voices": sorted({c.voice for c in clips}), "seconds": round(sum(c.seconds for c in clips), 1),
            "targets": "CMUdict phonemes (stress dropped)" if tuple(model.cfg.symbols) == ARPABET else "letters a-z"}
    return asr_tensors(model, clips), info


def asr_evaluate(recipe: Recipe, model: CTCRecognizer, source: str, extractor=None, small_only: bool = False) -> dict:
    """Recipe.evaluate: the heard / unheard / new-voice splits, whole and their small subsets. The phoneme model is
    measured alone (PER) and as the two-stage pipeline with the shipped P2G and the train-split dictionary."""
    phonemes = tuple(model.cfg.symbols) == ARPABET
    args = (model, None, default_renderer()) if phonemes else (None, model, None)
    return evaluate_models(*args, small="only" if small_only else "both")


# the two seq2seq models: a step budget that trains in < 10 minutes on 2 CPU cores
TEXT_TRAIN = TrainConfig(epochs=100, max_steps=3500, batch_size=128, lr=2e-3, warmup_steps=300, weight_decay=0.01)

# the two recognisers: the same network, steps and batch, so the same CPU time
ASR_TRAIN = TrainConfig(epochs=1000, max_steps=1200, batch_size=64, lr=2e-3, warmup_steps=100, weight_decay=0.01)

# letters <-> ARPAbet phonemes, trained on CMUdict's training words; speech -> phonemes or letters
RECIPES = {r.name: r for r in [
    Recipe("g2p", Seq2Seq, lambda: build_seq2seq("g2p"), TEXT_TRAIN, text_data, evaluate, "extractor",
           sources=("full", "sample"),
           notes="letters -> phonemes seq2seq: the G2P extractor's fallback for words not in the dictionary"),
    Recipe("p2g", Seq2Seq, lambda: build_seq2seq("p2g"), TEXT_TRAIN, text_data, evaluate, "renderer",
           sources=("full", "sample"),
           notes="phonemes -> letters seq2seq: the renderer Y' -> Y of the text modality"),
    Recipe("asr_phonemes", CTCRecognizer, lambda: CTCRecognizer(RecognizerConfig(symbols=ARPABET)), ASR_TRAIN,
           asr_data, asr_evaluate, "prior", "g2p", sources=tuple(FRACTIONS),
           notes="spoken word -> phonemes, a CTC recogniser (2 strided convolutions, 3 attention blocks): "
                 "X -> Y' of the two-stage speech recogniser"),
    Recipe("asr_letters", CTCRecognizer, lambda: CTCRecognizer(RecognizerConfig(symbols=LETTERS)), ASR_TRAIN,
           asr_data, asr_evaluate, "prior", "spelling", sources=tuple(FRACTIONS),
           notes="spoken word -> letters, the same recogniser trained on spellings: the direct baseline X -> Y"),
]}
