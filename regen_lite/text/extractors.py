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
* sizes() cannot extract a blank tensor to find "the" shape, so it counts: `shape` is
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
from functools import lru_cache
from typing import Sequence

from ..checkpoints import load_checkpoint, weights_dir
from ..core import Extractor, Renderer, Sizes
from .lexicon import ARPABET, LETTERS, TextError, inverse_lexicon, load_lexicon, parse_text, word_list
from .seq2seq import Seq2Seq, nbest, sequence_log_prob, translate


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
    model, _ = load_checkpoint(path or weights_dir() / name, Seq2Seq)
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
        unknown = [p for p in dict.fromkeys(phones) if p not in best and p]
        guessed = dict(zip(unknown, translate(self.model, [list(p) for p in unknown], beam=self.beam))) if unknown else {}
        guessed[()] = []                                   # no phonemes heard: nothing to spell
        return [{"phonemes": list(p), "spelling": best[p][1] if p in best else "".join(guessed[p]),
                 "source": "dictionary" if p in best else "model" if p else "none"} for p in phones]

    def render(self, y_prime: Sequence[Sequence[str]], *, generator=None) -> list[str]:
        return [r["spelling"] for r in self.spell(y_prime)]

    def nbest(self, y_prime: Sequence[Sequence[str]], k: int = 5) -> list[list[tuple[str, float]]]:
        """The k most probable spellings of each pronunciation, with p(spelling | phonemes)."""
        return [[("".join(s), p) for s, p in row] for row in nbest(self.model, [list(p) for p in y_prime], k)]


class G2P(Extractor):
    """Y' = the ARPAbet pronunciation of each word (39 phonemes, stress dropped; see lexicon.py).

    use_dictionary=True: CMUdict's main pronunciation when the word is in `lexicon`, else the learned
    G2P model's guess; the renderer mirrors it (the dictionary's spellings of a sound, ranked by P2G).
    use_dictionary=False: the learned models alone, both ways (to measure them).
    lexicon: "full" (the whole dictionary, what a user wants) or "train" (training words only, so
    held-out words go to the model: how the combination is measured).
    """

    modality, kind, discrete, layout = "text", "explicit", True, "sequence"

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

    def sizes(self) -> Sizes:
        """Means per held-out word; a symbol costs log2(K + 1) bits (K symbols or the end of the word)."""
        letters, phones = _heldout_sizes()
        return Sizes(["L'"], phones, (phones + 1) * math.log2(len(ARPABET) + 1),
                     letters, (letters + 1) * math.log2(len(LETTERS) + 1), extra={"mean_letters": letters})

    def notes(self) -> str:
        how = ("CMU Pronouncing Dictionary lookup, a learned letters->phonemes model for unknown words; "
               "rendered by the dictionary's spellings ranked by P2G, P2G alone for unknown sounds"
               if self.use_dictionary else "the learned letters->phonemes and phonemes->letters models alone (no dictionary)")
        return f"{how}; 39 ARPAbet phonemes (stress dropped); sizes are means per held-out word"


# ---------------------------------------------------------------------------------------
# The identity: Y' = Y, the letters themselves (the direct baseline of speech recognition)
# ---------------------------------------------------------------------------------------

class SpellingRenderer(Renderer):
    """Y' -> Y for the identity: letter lists -> words."""

    def render(self, y_prime: Sequence[Sequence[str]], *, generator=None) -> list[str]:
        return ["".join(s) for s in y_prime]


class Spelling(Extractor):
    """Y' = Y: each word's letters, ["cat"] -> [["c", "a", "t"]]. With it a Regenerator is the direct X -> Y
    (a recogniser that writes letters); its renderer only joins them."""

    name, modality, kind, discrete, layout = "spelling", "text", "explicit", True, "sequence"

    def __init__(self):
        self.renderer = SpellingRenderer()

    def extract(self, y) -> list[list[str]]:
        return [_letters(w) for w in _words(y)]

    def sizes(self) -> Sizes:
        letters, _ = _heldout_sizes()
        bits = (letters + 1) * math.log2(len(LETTERS) + 1)
        return Sizes(["L"], letters, bits, letters, bits, extra={"mean_letters": letters})

    def notes(self) -> str:
        return "the identity: Y' is the spelling itself (the direct baseline); sizes are means per held-out word"


# the text extractors by name (read by regen_lite.registry): name -> (factory(**kw) -> Extractor, summary)
EXTRACTORS = {
    "g2p": (G2P, "ARPAbet phonemes: CMUdict lookup, learned fallback; P2G renderer"),
    "g2p_neural": (lambda **kw: G2P(use_dictionary=False, **kw),
                   "ARPAbet phonemes from the learned G2P model alone; P2G renderer"),
    "spelling": (Spelling, "the identity: the letters themselves (the direct baseline of speech recognition)"),
}



