"""Text metrics: edit distance, phoneme/letter/word error rates, and how P2G's spellings relate to homophones."""

from __future__ import annotations

from typing import Sequence

from .lexicon import load_lexicon, spellings_of

# ---------------------------------------------------------------------------------------
# Metrics: edit distance, error rates, homophones
# ---------------------------------------------------------------------------------------

def edit_distance(a: Sequence, b: Sequence) -> int:
    """Levenshtein distance: the fewest substitutions, insertions and deletions turning a into b.

    Dynamic programming over a (len(a)+1) x (len(b)+1) table, keeping one row:
        D[i][j] = min(D[i-1][j] + 1, D[i][j-1] + 1, D[i-1][j-1] + [a_i != b_j])
    """
    prev = list(range(len(b) + 1))                  # D[0][j] = j insertions
    for i, x in enumerate(a, 1):
        cur = [i]                                   # D[i][0] = i deletions
        for j, y in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x != y)))
        prev = cur
    return prev[-1]


def error_rate(hyps: Sequence[Sequence], refs: Sequence[Sequence]) -> float:
    """sum of edit distances / sum of reference lengths: the phoneme error rate (PER) for phoneme
    sequences, the letter error rate (LER) for spellings. Can exceed 1 (many insertions)."""
    if len(hyps) != len(refs):
        raise ValueError(f"{len(hyps)} hypotheses for {len(refs)} references")
    return sum(edit_distance(h, r) for h, r in zip(hyps, refs)) / max(1, sum(len(r) for r in refs))


def word_error_rate(hyps: Sequence, refs: Sequence) -> float:
    """Fraction of words not exactly right (the G2P literature's WER: one whole word per item)."""
    if len(hyps) != len(refs):
        raise ValueError(f"{len(hyps)} hypotheses for {len(refs)} references")
    return sum(tuple(h) != tuple(r) for h, r in zip(hyps, refs)) / max(1, len(refs))


def closest_reference(hyp: Sequence, refs: Sequence[Sequence]) -> tuple:
    """Of a word's several correct pronunciations, the one nearest the hypothesis (what PER scores)."""
    return tuple(min(refs, key=lambda r: edit_distance(hyp, r)))


def g2p_scores(hyps: Sequence[Sequence[str]], words: Sequence[str], lexicon: dict | None = None) -> dict:
    """PER and WER of predicted pronunciations of `words`, each scored against the closest of the
    word's dictionary pronunciations (a word with two right answers is right if it gives either)."""
    lexicon = lexicon if lexicon is not None else load_lexicon()
    refs = [closest_reference(h, lexicon[w]) for h, w in zip(hyps, words)]
    return {"per": error_rate(hyps, refs), "wer": word_error_rate(hyps, refs), "n": len(words)}


def p2g_scores(spellings: Sequence[str], words: Sequence[str]) -> dict:
    """LER (letter edit distance / letters) and WER (fraction of words not spelled exactly) of P2G."""
    return {"ler": error_rate(spellings, words), "wer": word_error_rate(spellings, words), "n": len(words)}



def homophone_analysis(spellings: Sequence[str], words: Sequence[str], phones: Sequence[Sequence[str]]) -> dict:
    """How P2G's spellings of `phones` (the pronunciations of `words`) relate to the one-to-many truth:

        exact        spelled as the original word
        homophone    a *different* dictionary word with the same pronunciation (write for right):
                     correct as regeneration, wrong by WER
        valid        exact + homophone: a real spelling of that sound
        ambiguous    fraction of inputs whose pronunciation has more than one dictionary spelling
                     (no P2G can get all of those right from sound alone)
    """
    n = max(1, len(words))
    exact = homophone = ambiguous = 0
    for s, w, p in zip(spellings, words, phones):
        valid = spellings_of(p)
        ambiguous += len(valid) > 1
        exact += s == w
        homophone += s != w and s in valid
    return {"exact": exact / n, "homophone": homophone / n, "valid": (exact + homophone) / n,
            "ambiguous": ambiguous / n, "n": len(words)}
