"""Text: spelling Y -> ARPAbet phonemes Y' -> spelling Y (the speech-recognition framing).

    extract  Y  -> Y'   G2P: look the word up in the CMU Pronouncing Dictionary; a small learned
                        letters -> phonemes model (seq2seq.py) guesses the words it does not hold
    render   Y' -> Y    P2G: the dictionary's spellings of that sound, ranked by a small learned
                        phonemes -> letters model, which also spells the sounds no word has

A recogniser would predict Y' from audio (the prior X -> Y'); here we study the two text stages.
Rendering is one-to-many: "R AY T" is right, write, rite or wright, so P2G can be right as
regeneration (a real spelling of that sound) and still wrong by word error rate; see
text.homophone_analysis. The `g2p_neural` extractor uses the two learned models alone.

How the Extractor interface fits variable-length symbol sequences
-----------------------------------------------------------------
* Y and Y' are Python lists, not tensors: a batch of Y is a list of words ["right", "cat"], and
  a batch of Y' is a list of phoneme lists [["R", "AY", "T"], ["K", "AE", "T"]]. Padded id tensors
  exist only inside the seq2seq model, whose padding length depends on the batch and means nothing
  to a reader. Regenerator(...).reconstruct(words) works unchanged (it only calls extract/render).
* describe() cannot extract a blank tensor to find "the" shape, so it is overridden: `shape` is
  ["L'"] (one symbol per phoneme), and sizes are *means over the held-out words*: `numel` is the
  mean number of phonemes per word, `dim_ratio` letters per phoneme.
* Bits: a sequence needs to say where it ends, so each symbol costs log2(K + 1) bits (K symbols plus
  an end-of-word mark) and a word of n symbols costs (n + 1) log2(K + 1): log2(27) = 4.75 bits per
  letter for Y, log2(40) = 5.32 bits per phoneme for Y'. `compression` is Y bits / Y' bits: about 1,
  because phonemes are not a *smaller* code for a word but one closer to sound, which is what a
  recogniser can predict.
* layout = "sequence": draw Y' as a string of symbols. discrete = True.
"""

from __future__ import annotations

import math
import time
from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import Sequence

import torch

from ..checkpoints import load_checkpoint, save_checkpoint, weights_dir
from ..core import Extractor, Renderer, register_extractor
from ..seq2seq import Seq2Seq, Seq2SeqConfig, nbest, sequence_log_prob, translate
from ..text import (ARPABET, LETTERS, TextError, g2p_scores, homophone_analysis, inverse_lexicon, lexicon_hash,
                    load_lexicon, p2g_scores, parse_text, word_list)


def _words(y) -> list[str]:
    """A batch of Y: a list of words (each checked), or one str of running text (split by parse_text)."""
    if isinstance(y, str):
        return parse_text(y).words
    words = []
    for w in y:
        parsed = parse_text(w) if isinstance(w, str) else None
        if parsed is None or len(parsed.words) != 1:
            raise TextError(f"{w!r} is not one English word; pass a list of words, or one string of text")
        words.append(parsed.words[0])
    return words


def _letters(word: str) -> list[str]:
    return [c for c in word if c != "'"]          # the models read letters only ("don't" -> d o n t)


@lru_cache(maxsize=1)
def _heldout_sizes() -> tuple[float, float]:
    """Mean letters and mean (main) phonemes per held-out word: the sizes describe() reports."""
    lex, words = load_lexicon(), word_list("test")
    return (sum(map(len, words)) / len(words), sum(len(lex[w][0]) for w in words) / len(words))


def _load(name: str, path=None) -> Seq2Seq:
    model, _ = load_checkpoint(path or weights_dir() / name, expect="Seq2Seq")
    return model


# ---------------------------------------------------------------------------------------
# Extractor: G2P (dictionary + learned fallback, or the learned model alone)
# ---------------------------------------------------------------------------------------

class P2GRenderer(Renderer):
    """Y' -> Y: phoneme lists -> spellings.

    lexicon=None: the P2G seq2seq alone (beam search, 4 beams by default).
    lexicon="full" | "train": the mirror of the G2P extractor. When the dictionary (whole, or training
    words only) lists spellings for a pronunciation, choose among them the one the model finds most
    probable, log p(spelling | phonemes) by teacher forcing: the dictionary says which words sound like
    this, the model breaks the tie. Pronunciations it does not list go to the model's beam search.
    Decoding is deterministic; `generator` is accepted for the interface and unused.
    """

    def __init__(self, model: Seq2Seq, beam: int = 4, lexicon: str | None = None):
        if lexicon not in (None, "full", "train"):
            raise ValueError(f"lexicon must be None, 'full' or 'train', not {lexicon!r}")
        self.model, self.beam, self.lexicon = model, beam, lexicon

    def spell(self, y_prime: Sequence[Sequence[str]]) -> list[dict]:
        """One dict per pronunciation: {"phonemes", "spelling", "source": "dictionary" | "model"}."""
        phones = [tuple(p) for p in y_prime]
        inverse = inverse_lexicon(None if self.lexicon == "full" else "train") if self.lexicon else {}
        # the dictionary's candidates, all scored by the model in one batch
        pairs = [(p, w) for p in dict.fromkeys(phones) if p in inverse for w in inverse[p]]
        scores = sequence_log_prob(self.model, [list(p) for p, _ in pairs], [list(w) for _, w in pairs]) if pairs else []
        best: dict[tuple[str, ...], tuple[float, str]] = {}
        for (p, w), sc in zip(pairs, list(scores)):
            if p not in best or float(sc) > best[p][0]:
                best[p] = (float(sc), w)
        unknown = [p for p in dict.fromkeys(phones) if p not in best]
        guessed = dict(zip(unknown, translate(self.model, [list(p) for p in unknown], beam=self.beam)))
        return [{"phonemes": list(p), "spelling": best[p][1] if p in best else "".join(guessed[p]),
                 "source": "dictionary" if p in best else "model"} for p in phones]

    def render(self, y_prime: Sequence[Sequence[str]], *, generator=None) -> list[str]:
        return [r["spelling"] for r in self.spell(y_prime)]

    def nbest(self, y_prime: Sequence[Sequence[str]], k: int = 5) -> list[list[tuple[str, float]]]:
        """The k most probable spellings of each pronunciation, with p(spelling | phonemes)."""
        return [[("".join(s), p) for s, p in row] for row in nbest(self.model, [list(p) for p in y_prime], k)]


class G2P(Extractor):
    """Y' = the ARPAbet pronunciation of each word (39 phonemes, stress dropped; see text.py).

    use_dictionary=True: CMUdict's main pronunciation when the word is in `lexicon`, else the learned
    G2P model's guess; the renderer mirrors it (the dictionary's spellings of a sound, ranked by P2G).
    use_dictionary=False: the learned models alone, both ways (to measure them).
    lexicon: "full" (the whole dictionary, what a user wants) or "train" (training words only, so
    held-out words go to the model: how the combination is measured).
    """

    modality, kind, discrete, layout = "text", "explicit", True, "sequence"
    input_shape = ("L",)                      # letters per word (variable)
    input_bits_per_value = math.log2(len(LETTERS) + 1)

    def __init__(self, use_dictionary: bool = True, lexicon: str = "full", beam: int = 1,
                 path=None, model: Seq2Seq | None = None, p2g_path=None, p2g_model: Seq2Seq | None = None,
                 with_renderer: bool = True):
        if lexicon not in ("full", "train"):
            raise ValueError(f"lexicon must be 'full' or 'train', not {lexicon!r}")
        self.name = "g2p" if use_dictionary else "g2p_neural"
        self.use_dictionary, self.lexicon_name, self.beam = use_dictionary, lexicon, beam
        self.model = model if model is not None else _load("g2p", path)
        self.renderer = None                  # with_renderer=False: extraction only (no P2G weights needed)
        if with_renderer:
            self.renderer = P2GRenderer(p2g_model if p2g_model is not None else _load("p2g", p2g_path),
                                        lexicon=lexicon if use_dictionary else None)
        lex = load_lexicon()
        self.lexicon = lex if lexicon == "full" else {w: lex[w] for w in word_list("train")}

    def to(self, device):
        self.model.to(device)
        if self.renderer is not None:
            self.renderer.model.to(device)
        return self

    def pronounce(self, y) -> list[dict]:
        """One dict per word: {"word", "phonemes", "source": "dictionary" | "model"}."""
        words = _words(y)
        found = {w: self.lexicon[w][0] for w in words if self.use_dictionary and w in self.lexicon}
        unknown = sorted({w for w in words if w not in found})
        guessed = dict(zip(unknown, translate(self.model, [_letters(w) for w in unknown], beam=self.beam)))
        return [{"word": w, "phonemes": list(found[w]) if w in found else guessed[w],
                 "source": "dictionary" if w in found else "model"} for w in words]

    def extract(self, y) -> list[list[str]]:
        """Words -> phoneme lists, e.g. ["cat"] -> [["K", "AE", "T"]]."""
        return [r["phonemes"] for r in self.pronounce(y)]

    def bits_per_value(self) -> float:
        return math.log2(len(ARPABET) + 1)    # one of 39 phonemes, or the end of the word

    def code_shape(self):
        return ("L'",)

    def describe(self) -> dict:
        letters, phones = _heldout_sizes()
        y_bits = (letters + 1) * self.input_bits_per_value
        bits = (phones + 1) * self.bits_per_value()
        return {"name": self.name, "modality": self.modality, "kind": self.kind, "discrete": self.discrete,
                "layout": self.layout, "shape": ["L'"], "numel": phones, "dim_ratio": letters / phones,
                "bits": bits, "compression": y_bits / bits, "mean_letters": letters, "notes": self.notes()}

    def notes(self) -> str:
        how = ("CMU Pronouncing Dictionary lookup, a learned letters->phonemes model for unknown words; "
               "rendered by the dictionary's spellings ranked by P2G, P2G alone for unknown sounds"
               if self.use_dictionary else "the learned letters->phonemes and phonemes->letters models alone (no dictionary)")
        return f"{how}; 39 ARPAbet phonemes (stress dropped); sizes are means per held-out word"


register_extractor("g2p", "text", "ARPAbet phonemes: CMUdict lookup, learned fallback; P2G renderer")(G2P)
register_extractor("g2p_neural", "text", "ARPAbet phonemes from the learned G2P model alone; P2G renderer")(
    lambda **kw: G2P(use_dictionary=False, **kw))


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

    from ..train import fit

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


# ---------------------------------------------------------------------------------------
# The whole round trip of typed text, for the app and the notebook
# ---------------------------------------------------------------------------------------

def regenerate_text(text, extractor: G2P | None = None, k: int = 5) -> dict:
    """Y -> Y' -> Y for typed text. Raises TextError (a ValueError) with a message for a user.

    Returns {"words", "phonemes" (one list per word), "spellings" (the renderer's), "rows" (one dict per
    word: word, phonemes, source ("dictionary" | "model"), spelling, spelling_source, nbest (P2G's k best
    [(spelling, p), ...]), homophones (the dictionary's spellings of that sound), exact, valid),
    "phoneme_text" ("DH AH | K AE T"), "spelling_text", "ler", "wer", "notices"}.
    """
    from ..core import get_extractor
    from ..text import spellings_of

    parsed = parse_text(text)
    ext = extractor if extractor is not None else get_extractor("g2p")
    if ext.renderer is None:
        raise ValueError("this G2P extractor was built with_renderer=False; it cannot spell phonemes back")
    rows = ext.pronounce(parsed.words)
    phones = [r["phonemes"] for r in rows]
    for r, spelled, nb in zip(rows, ext.renderer.spell(phones), ext.renderer.nbest(phones, k)):
        r["nbest"] = nb                                       # the model's k best, whatever the dictionary says
        r["spelling"], r["spelling_source"] = spelled["spelling"], spelled["source"]
        r["homophones"] = list(spellings_of(r["phonemes"]))
        r["exact"] = r["spelling"] == r["word"]
        r["valid"] = r["exact"] or r["spelling"] in r["homophones"]
    notices = list(parsed.notices)
    if not ext.use_dictionary:                # g2p_neural: every Y' is the model's guess, by design
        known = sum(r["word"] in ext.lexicon for r in rows)
        notices.append(f"{ext.name} never looks words up: the learned model guesses the phonemes of all "
                       f"{len(rows)} words ({known} of them are in the dictionary; choose g2p to use it)")
    guessed = [r["word"] for r in rows if r["source"] == "model" and ext.use_dictionary]
    if guessed:
        notices.append(f"{len(guessed)} of {len(rows)} words are not in the dictionary; their phonemes are the "
                       f"model's guess: {', '.join(guessed[:5])}" + (" ..." if len(guessed) > 5 else ""))
        if len(rows) >= 3 and len(guessed) > len(rows) / 2:
            notices.append("most words are not in the English dictionary: is this text English?")
    words, spellings = [r["word"] for r in rows], [r["spelling"] for r in rows]
    return {"words": words, "phonemes": [r["phonemes"] for r in rows], "spellings": spellings, "rows": rows,
            "phoneme_text": " | ".join(" ".join(r["phonemes"]) for r in rows), "spelling_text": " ".join(spellings),
            **{k_: v for k_, v in p2g_scores(spellings, words).items() if k_ != "n"}, "notices": notices}
