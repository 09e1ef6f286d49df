"""Checks for notebooks/09_text_phonemes.ipynb: Levenshtein edit distance (the PER/LER/WER behind every
text number), one pruning step of beam search, and grouping homophones from a pronouncing dictionary.

The references are the kit's regen_lite.text.metrics (edit_distance, error_rate),
regen_lite.text.lexicon (homophone_groups) and regen_lite.text.seq2seq.beam_search run on the shipped P2G model, with torchmetrics' text metrics
(edit_distance, word_error_rate) as an outside referee for the edit distance. Each hint names the usual
mistake when the answer matches it.
"""

from __future__ import annotations

import random
import re

import torch

from regen_lite.exercises.checking import Check, CheckResult

from ..text.lexicon import ARPABET, homophone_groups, load_lexicon
from ..text.metrics import edit_distance, error_rate
from ..text.seq2seq import BOS, EOS, PAD, beam_search

__all__ = ["check_edit_distance", "check_beam_step", "check_group_homophones"]


# ---------------------------------------------------------------------------------------
# Exercise 1: edit distance
# ---------------------------------------------------------------------------------------

def _table(a, b, sub_cost=1, first_row=True):
    """Levenshtein table variants, to recognise the usual mistakes (substitution cost 2, no first row/column)."""
    prev = list(range(len(b) + 1)) if first_row else [0] * (len(b) + 1)
    for i, x in enumerate(a, 1):
        cur = [i if first_row else 0]
        for j, y in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + sub_cost * (x != y)))
        prev = cur
    return prev[-1]


def _positionwise(a, b):
    return sum(x != y for x, y in zip(a, b)) + abs(len(a) - len(b))


def _damerau(a, b):
    """Optimal string alignment: a swap of two neighbours costs 1."""
    d = [[i + j if i * j == 0 else 0 for j in range(len(b) + 1)] for i in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] != b[j - 1]))
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[-1][-1]


_MISTAKES = [
    (_positionwise, "you compared position by position: one inserted or deleted symbol shifts everything after it, "
                    "so take the min over delete / insert / substitute at every cell"),
    (lambda a, b: _table(a, b, sub_cost=2), "a substitution costs 1 (not a deletion plus an insertion, 2): "
                                            "D[i-1][j-1] + (a_i != b_j)"),
    (lambda a, b: _table(a, b, first_row=False), "start the table with D[i][0] = i and D[0][j] = j: turning i symbols "
                                                 "into nothing costs i deletions"),
    (_damerau, "this is Damerau's distance (a swap of two neighbours costs 1); Levenshtein counts a swap as 2 edits"),
]


def _pairs():
    """Known cases, then random phoneme sequences (deterministic)."""
    rng = random.Random(9)
    cases = [("kitten", "sitting"), ("", "abc"), ("abc", ""), ("", ""), ("flaw", "lawn"), ("ab", "ba"),
             ("right", "write"), ("intention", "execution"),
             (["R", "AY", "T"], ["R", "AY", "D"]), (["K", "AE", "T"], ["AE", "K", "T", "S"])]
    for _ in range(40):
        a = [rng.choice(ARPABET[:8]) for _ in range(rng.randint(0, 8))]
        b = [rng.choice(ARPABET[:8]) for _ in range(rng.randint(0, 8))]
        cases.append((a, b))
    return cases


def _whole(x):
    """An int (or a one-element tensor / NumPy number) as an int; anything else as None."""
    try:
        return int(x) if float(x) == int(x) else None
    except (TypeError, ValueError, RuntimeError):
        return None


def _one_char(seq) -> str:
    """A phoneme list as a string of one character per phoneme, for torchmetrics' character edit distance."""
    return "".join(chr(0x100 + ARPABET.index(p)) for p in seq) if not isinstance(seq, str) else seq


def check_edit_distance(fn) -> CheckResult:
    """fn(a, b) -> int: the Levenshtein distance between two sequences (strings or lists of phonemes)."""
    # here, not at the top: torchmetrics takes seconds to import
    from torchmetrics.functional.text import edit_distance as tm_edit_distance
    from torchmetrics.functional.text import word_error_rate as tm_word_error_rate

    check = Check("edit_distance")
    with check:
        out = _whole(check.call(fn, "kitten", "sitting"))
        if not check.expect(out is not None, "returns a whole number", "return an int"):
            return check.result()
        check.expect(out == 3, "kitten -> sitting takes 3 edits (k->s, e->i, +g)",
                     f"got {out}: substitute k->s, substitute e->i, insert g")
        cases = _pairs()
        got = [_whole(check.call(fn, a, b)) for a, b in cases]
        ref = tm_edit_distance([_one_char(a) for a, _ in cases], [_one_char(b) for _, b in cases],
                               reduction="none").tolist()
        wrong = [(a, b, g, r) for (a, b), g, r in zip(cases, got, ref) if g != r]
        hint = ""
        if wrong:
            a, b, g, r = wrong[0]
            hint = f"edit_distance({a!r}, {b!r}) should be {r}, you returned {g}"
            for mistake, why in _MISTAKES:
                if all(mistake(a_, b_) == g_ for (a_, b_), g_ in zip(cases, got)):
                    hint = why
                    break
        check.expect(not wrong, f"matches torchmetrics' edit_distance on {len(cases)} pairs of strings and phoneme "
                                "lists (empty ones too)", hint)
        check.expect(got == [edit_distance(a, b) for a, b in cases], "matches the kit's regen_lite.text.metrics.edit_distance")
        hyps = [a for a, _ in cases[8:]]
        refs = [b if b else ["AA"] for _, b in cases[8:]]             # a reference is never empty
        dists = [_whole(check.call(fn, h, r)) for h, r in zip(hyps, refs)]
        per = sum(d if d is not None else -1 for d in dists) / sum(map(len, refs))
        tm_per = float(tm_word_error_rate([" ".join(h) for h in hyps], [" ".join(r) for r in refs]))
        check.expect(abs(per - tm_per) < 1e-6 and abs(per - error_rate(hyps, refs)) < 1e-9,
                     "sum of distances / reference phonemes = torchmetrics' word error rate on phoneme strings "
                     f"= the kit's error_rate ({tm_per:.4f})",
                     "the phoneme error rate is only as right as the distance")
    return check.result()


# ---------------------------------------------------------------------------------------
# Exercise 2: one pruning step of beam search
# ---------------------------------------------------------------------------------------

def _reference_step(scores, logp, k):
    B, _, V = logp.shape
    new, idx = (scores[..., None] + logp).reshape(B, -1).topk(k, dim=1)
    return new, idx // V, idx % V


@torch.no_grad()
def beam_search_with(step, model, src: torch.Tensor, k: int = 4, max_len: int | None = None):
    """regen_lite.text.seq2seq.beam_search with its pruning step replaced by step(scores, logp, k).
    Returns ids (B, k, L) and scores (B, k), like the library."""
    max_len = max_len or model.cfg.max_len + 1
    B = src.shape[0]
    memory, src_ok = model.encode(src)
    memory, src_ok = memory.repeat_interleave(k, 0), src_ok.repeat_interleave(k, 0)
    ys = torch.full((B * k, 1), BOS, dtype=torch.long)
    scores = torch.full((B, k), float("-inf"))
    scores[:, 0] = 0.0
    done = torch.zeros(B * k, dtype=torch.bool)
    for _ in range(max_len):
        logp = model.log_probs(ys, memory, src_ok)[:, -1]                       # (B*k, V)
        logp = torch.where(done[:, None], torch.full_like(logp, float("-inf")), logp)
        logp[:, PAD] = torch.where(done, 0.0, float("-inf"))
        scores, parent, token = step(scores, logp.view(B, k, -1), k)            # (B, k) each
        rows = (torch.arange(B)[:, None] * k + parent).view(-1)
        ys = torch.cat([ys[rows], token.reshape(-1, 1)], dim=1)
        done = done[rows] | (token.reshape(-1) == EOS)
        if done.all():
            break
    return ys[:, 1:].view(B, k, -1), scores


def _step_mistakes(scores, logp, k):
    B, _, V = logp.shape
    flat_local = logp.reshape(B, -1).topk(k, dim=1)
    per_beam = (scores[..., None] + logp).max(-1)
    idx = (scores[..., None] + logp).reshape(B, -1).topk(k, dim=1).indices
    return [
        ((flat_local.indices // V, flat_local.indices % V),
         "you ranked the next symbols by log p alone: add each prefix's score, scores[:, :, None] + logp"),
        ((torch.arange(k).expand(B, k), per_beam.indices),
         "you extended every beam by its own best symbol (k greedy searches); rank all k * V candidates together, "
         "so a good beam may keep several children and a bad one none"),
        ((idx % k, idx % V), "in the flattened (k * V) candidates, the beam is index // V and the symbol index % V"),
        (((scores[..., None] * logp).reshape(B, -1).topk(k, dim=1).indices // V,
          (scores[..., None] * logp).reshape(B, -1).topk(k, dim=1).indices % V),
         "log-probabilities add (probabilities multiply): scores[:, :, None] + logp"),
    ]


def _as_step_output(out, B, k):
    if not (isinstance(out, (tuple, list)) and len(out) == 3 and all(torch.is_tensor(t) for t in out)):
        return None
    new, parent, token = out
    if not all(t.shape == (B, k) for t in out) or parent.is_floating_point() or token.is_floating_point():
        return None
    return new, parent, token


def check_beam_step(fn, model=None) -> CheckResult:
    """fn(scores (B, k), logp (B, k, V), k) -> (new_scores (B, k), parent (B, k), token (B, k)): the k best
    one-symbol extensions of the k prefixes, best first. `model`: a P2G Seq2Seq (default: the shipped one)."""
    check = Check("beam_step")
    with check:
        g = torch.Generator().manual_seed(9)
        B, k, V = 3, 4, 7
        scores = -torch.rand(B, k, generator=g).sort(dim=1, descending=True).values * 3
        logp = torch.randn(B, k, V, generator=g).log_softmax(-1)
        out = _as_step_output(check.call(fn, scores.clone(), logp.clone(), k), B, k)
        if not check.expect(out is not None, f"returns (new_scores, parent, token), each of shape ({B}, {k}); "
                                             "parent and token integer tensors",
                            "return three (B, k) tensors; topk's indices are int64"):
            return check.result()
        new, parent, token = out
        ref_new, ref_parent, ref_token = _reference_step(scores, logp, k)
        right = torch.equal(parent, ref_parent) and torch.equal(token, ref_token)
        hint = "take the top k of (scores[:, :, None] + logp).reshape(B, k * V)"
        if not right:
            for (p, t), why in _step_mistakes(scores, logp, k):
                if torch.equal(parent, p) and torch.equal(token, t):
                    hint = why
                    break
        check.expect(right, "keeps the k best (prefix, next symbol) pairs of all k * V candidates, best first", hint)
        check.expect(torch.allclose(new, ref_new), "new scores = the prefix's score + log p(symbol | prefix)",
                     "new_scores are the summed log-probabilities of the chosen candidates")
        start = torch.full((1, 3), float("-inf"))
        start[0, 0] = 0.0
        first = _as_step_output(check.call(fn, start, logp[:1, :3].clone(), 3), 1, 3)
        check.expect(first is not None and bool((first[1] == 0).all()) and torch.isfinite(first[0]).all(),
                     "at the first step only beam 0 is alive (the others score -inf): all 3 children come from it",
                     "candidates of a -inf beam must stay -inf: add the scores, do not multiply or replace them"
                     if right else "")
        if model is None:
            from regen_lite.checkpoints import load_checkpoint, weights_dir
            from regen_lite.text.seq2seq import Seq2Seq
            model, _ = load_checkpoint(weights_dir() / "p2g", Seq2Seq)
        model = model.cpu().eval()
        sounds = [["R", "AY", "T"], ["N", "OW"], ["T", "UW"], ["F", "L", "AW", "ER"], ["B", "L", "AO", "R", "F", "T"]]
        src = model.encode_src(sounds)
        ids, sc = beam_search(model, src, 5)
        mine = check.call(beam_search_with, fn, model, src, 5)
        same = mine[0].shape == ids.shape and torch.equal(mine[0], ids) and torch.allclose(mine[1], sc, atol=1e-5)
        best = ", ".join("".join(s) for s in model.decode_tgt(ids[0]))
        check.expect(same, f"in a full beam search on the shipped P2G, gives the library's 5-best ({best} for R AY T)",
                     "the random tests pass but the search differs: check ties and the -inf of finished beams"
                     if right else "fix the step above first")
    return check.result()


# ---------------------------------------------------------------------------------------
# Exercise 3: homophone groups
# ---------------------------------------------------------------------------------------

SMALL_LEXICON = {   # word -> pronunciations with stress digits, as CMUdict writes them
    "right": [("R", "AY1", "T")], "write": [("R", "AY1", "T")], "rite": [("R", "AY1", "T")],
    "read": [("R", "IY1", "D"), ("R", "EH1", "D")], "red": [("R", "EH1", "D")], "reed": [("R", "IY1", "D")],
    "permit": [("P", "ER0", "M", "IH1", "T"), ("P", "ER1", "M", "IH2", "T")],
    "cat": [("K", "AE1", "T")], "sea": [("S", "IY1",)], "see": [("S", "IY1",)],
    "record": [("R", "AH0", "K", "AO1", "R", "D"), ("R", "EH1", "K", "ER0", "D")],
}
SMALL_ANSWER = {("R", "AY", "T"): ("right", "rite", "write"), ("R", "IY", "D"): ("read", "reed"),
                ("R", "EH", "D"): ("read", "red"), ("S", "IY"): ("sea", "see")}


def _normalise(out):
    """The student's groups as {tuple of phonemes: tuple of words}, or None if it is not that kind of dict."""
    if not isinstance(out, dict):
        return None
    try:
        return {tuple(p): tuple(ws) for p, ws in out.items()}
    except TypeError:
        return None


def _group_mistakes(lexicon):
    def groups(prons_of, min_size=2, dedup=True):
        out = {}
        for w in sorted(lexicon):
            for p in prons_of(lexicon[w]):
                ws = out.setdefault(tuple(p), [])
                if not dedup or w not in ws:
                    ws.append(w)
        return {p: tuple(ws) for p, ws in out.items() if len(ws) >= min_size}
    strip = lambda prons: [tuple(s.rstrip("012") for s in p) for p in prons]   # noqa: E731
    return [
        (groups(lambda prons: prons), "drop the stress digits first (AY1 -> AY): homophones are about the sounds, "
                                      "and stress is not written in the spelling"),
        (groups(lambda prons: strip(prons[:1])), "use every pronunciation of a word, not only the first: 'read' "
                                                 "sounds like both 'red' and 'reed'"),
        (groups(strip, min_size=1), "keep only sounds shared by at least 2 words: a word alone is not a "
                                    "homophone group"),
        (groups(strip, dedup=False), "count each word once per sound: 'permit' has two pronunciations that differ only "
                                     "in stress, which makes one sound, not a group of two"),
    ]


def check_group_homophones(fn) -> CheckResult:
    """fn(lexicon {word: [pronunciation with stress digits, ...]}) -> {pronunciation without stress (tuple):
    the sorted tuple of its words}, for every pronunciation shared by 2 or more words."""
    check = Check("group_homophones")
    with check:
        small = {w: [tuple(p) for p in ps] for w, ps in SMALL_LEXICON.items()}
        given = {w: list(ps) for w, ps in small.items()}
        out = check.call(fn, given)
        got = _normalise(out)
        if not check.expect(got is not None, "returns a dict {pronunciation tuple: words}",
                            f"got {type(out).__name__}; return e.g. {{('R', 'AY', 'T'): ('right', 'rite', 'write')}}"):
            return check.result()
        hint = f"expected {SMALL_ANSWER}"
        if got != SMALL_ANSWER:
            sorted_got = {p: tuple(sorted(ws)) for p, ws in got.items()}
            if sorted_got == SMALL_ANSWER:
                hint = "the right groups, but sort the words of each group alphabetically"
            for wrong, why in _group_mistakes(small):
                if sorted_got == wrong:
                    hint = why
                    break
        check.expect(got == SMALL_ANSWER, "a small lexicon: right/rite/write, read/red, read/reed, sea/see", hint)
        check.expect(given == small,
                     "leaves the lexicon unchanged", "build a new dict instead of editing the lexicon")
        lex = load_lexicon(keep_stress=True)
        letters_only = {w: list(ps) for w, ps in lex.items() if re.fullmatch(r"[a-z]+", w)}
        full = _normalise(check.call(fn, letters_only))
        ref = homophone_groups()
        check.expect(full == ref, f"on all {len(letters_only):,} letters-only CMUdict words: the kit's "
                                  f"homophone_groups() ({len(ref):,} groups)",
                     "the small case passes but the full dictionary differs: sort, drop stress, count each word once")
        check.expect(full is not None and full.get(("R", "AY", "T")) == ref[("R", "AY", "T")],
                     f"R AY T -> {', '.join(ref[('R', 'AY', 'T')])}")
    return check.result()
