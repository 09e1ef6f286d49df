"""The nb09 checks pass correct answers (the kit's own functions, and other correct routes) and catch the usual
wrong-but-plausible answers with a hint that names the mistake (tests/test_notebooks.py runs the notebook's
reference solutions and the stubs)."""

import re

import pytest
import torch
from torchmetrics.functional.text import edit_distance as tm_edit_distance

from regen_lite.checkpoints import load_checkpoint, weights_dir
from regen_lite.exercises.nb09_text import (
    _damerau,
    _one_char,
    _pairs,
    _positionwise,
    _table,
    beam_search_with,
    check_beam_step,
    check_edit_distance,
    check_group_homophones,
)
from regen_lite.text.lexicon import homophone_groups
from regen_lite.text.metrics import edit_distance
from regen_lite.text.seq2seq import Seq2Seq, beam_search


def hints(result) -> str:
    return " ".join(h for ok, _, h in result.lines if not ok)


# ----- edit distance ---------------------------------------------------------------------

def test_the_kit_and_torchmetrics_agree_on_every_pair_the_check_uses():
    cases = _pairs()
    assert [edit_distance(a, b) for a, b in cases] == \
        tm_edit_distance([_one_char(a) for a, _ in cases], [_one_char(b) for _, b in cases], reduction="none").tolist()


def test_edit_distance_passes_the_kit_and_a_recursive_answer():
    assert check_edit_distance(edit_distance).passed

    def recursive(a, b):                      # another correct route, memoised on suffix lengths
        from functools import lru_cache

        @lru_cache(maxsize=None)
        def d(i, j):
            if i == 0 or j == 0:
                return i + j
            return min(d(i - 1, j) + 1, d(i, j - 1) + 1, d(i - 1, j - 1) + (a[i - 1] != b[j - 1]))
        return d(len(a), len(b))
    assert check_edit_distance(recursive).passed
    assert check_edit_distance(lambda a, b: torch.tensor(edit_distance(a, b))).passed   # a 0-d tensor is fine


@pytest.mark.parametrize("wrong, words", [
    (_positionwise, "position by position"),
    (lambda a, b: _table(a, b, sub_cost=2), "substitution costs 1"),
    (lambda a, b: _table(a, b, first_row=False), "D[0][j] = j"),
    (_damerau, "Damerau"),
])
def test_edit_distance_names_the_usual_mistakes(wrong, words):
    result = check_edit_distance(wrong)
    assert not result.passed and words in hints(result), repr(result)


def test_edit_distance_reports_a_crash_and_a_non_number():
    def crash(a, b):
        raise NotImplementedError
    assert "NotImplementedError" in repr(check_edit_distance(crash))
    assert not check_edit_distance(lambda a, b: None).passed
    assert not check_edit_distance(lambda a, b: edit_distance(a, b) + 0.5).passed


# ----- beam search step ------------------------------------------------------------------

@pytest.fixture(scope="module")
def p2g():
    model, _ = load_checkpoint(weights_dir() / "p2g", Seq2Seq)
    return model.eval()


def right_step(scores, logp, k):
    B, _, V = logp.shape
    new, idx = (scores[:, :, None] + logp).reshape(B, -1).topk(k, dim=1)
    return new, idx // V, idx % V


def test_beam_search_with_the_right_step_is_the_librarys_beam_search(p2g):
    src = p2g.encode_src([["R", "AY", "T"], ["K", "AE", "T"], ["S", "IY"]])
    for k in (1, 3, 5):
        ids, scores = beam_search(p2g, src, k)
        mine = beam_search_with(right_step, p2g, src, k)
        assert torch.equal(mine[0], ids) and torch.allclose(mine[1], scores)


def test_beam_step_passes_the_reference_and_a_sort_based_answer(p2g):
    assert check_beam_step(right_step, model=p2g).passed

    def by_sort(scores, logp, k):             # sorting all candidates instead of topk
        B, _, V = logp.shape
        values, idx = (scores.unsqueeze(-1) + logp).flatten(1).sort(dim=1, descending=True)
        return values[:, :k], torch.div(idx[:, :k], V, rounding_mode="floor"), idx[:, :k] % V
    assert check_beam_step(by_sort, model=p2g).passed


def test_beam_step_names_the_usual_mistakes(p2g):
    def local(scores, logp, k):               # forgets the prefix scores
        B, _, V = logp.shape
        new, idx = logp.reshape(B, -1).topk(k, dim=1)
        return new, idx // V, idx % V
    r = check_beam_step(local, model=p2g)
    assert not r.passed and "add each prefix's score" in hints(r)

    def per_beam(scores, logp, k):            # k greedy searches side by side
        B = logp.shape[0]
        best = (scores[:, :, None] + logp).max(-1)
        return best.values, torch.arange(k).expand(B, k).clone(), best.indices
    r = check_beam_step(per_beam, model=p2g)
    assert not r.passed and "k greedy searches" in hints(r)

    def modulo(scores, logp, k):              # beam = index % k
        B, _, V = logp.shape
        new, idx = (scores[:, :, None] + logp).reshape(B, -1).topk(k, dim=1)
        return new, idx % k, idx % V
    r = check_beam_step(modulo, model=p2g)
    assert not r.passed and "index // V" in hints(r)

    def times(scores, logp, k):               # multiplies log-probabilities
        B, _, V = logp.shape
        new, idx = (scores[:, :, None] * logp).reshape(B, -1).topk(k, dim=1)
        return new, idx // V, idx % V
    r = check_beam_step(times, model=p2g)
    assert not r.passed and "log-probabilities add" in hints(r)


def test_beam_step_rejects_wrong_shapes_and_float_indices(p2g):
    r = check_beam_step(lambda s, lp, k: right_step(s, lp, k)[0], model=p2g)
    assert not r.passed and "three (B, k) tensors" in hints(r)
    r = check_beam_step(lambda s, lp, k: tuple(t.float() for t in right_step(s, lp, k)), model=p2g)
    assert not r.passed


# ----- homophone groups ------------------------------------------------------------------

def right_groups(lexicon):
    groups = {}
    for word in sorted(lexicon):
        for pron in dict.fromkeys(tuple(p.rstrip("012") for p in pron) for pron in lexicon[word]):
            groups.setdefault(pron, []).append(word)
    return {p: tuple(ws) for p, ws in groups.items() if len(ws) >= 2}


def test_group_homophones_passes_the_reference_and_lists_of_words():
    assert check_group_homophones(right_groups).passed
    assert check_group_homophones(lambda lex: {p: list(ws) for p, ws in right_groups(lex).items()}).passed


def test_the_full_dictionary_answer_is_the_kits_homophone_groups():
    from regen_lite.text.lexicon import load_lexicon
    lex = {w: p for w, p in load_lexicon(keep_stress=True).items() if re.fullmatch("[a-z]+", w)}
    assert right_groups(lex) == homophone_groups()


def _no_strip(lexicon):
    groups = {}
    for word in sorted(lexicon):
        for pron in dict.fromkeys(tuple(p) for p in lexicon[word]):
            groups.setdefault(pron, []).append(word)
    return {p: tuple(ws) for p, ws in groups.items() if len(ws) >= 2}


def _first_only(lexicon):
    return right_groups({w: ps[:1] for w, ps in lexicon.items()})


def _singletons(lexicon):
    groups = {}
    for word in sorted(lexicon):
        for pron in dict.fromkeys(tuple(p.rstrip("012") for p in pron) for pron in lexicon[word]):
            groups.setdefault(pron, []).append(word)
    return {p: tuple(ws) for p, ws in groups.items()}


def _twice(lexicon):
    groups = {}
    for word in sorted(lexicon):
        for pron in lexicon[word]:
            groups.setdefault(tuple(p.rstrip("012") for p in pron), []).append(word)
    return {p: tuple(ws) for p, ws in groups.items() if len(ws) >= 2}


def _unsorted(lexicon):
    return {p: tuple(reversed(ws)) for p, ws in right_groups(lexicon).items()}


@pytest.mark.parametrize("wrong, words", [
    (_no_strip, "drop the stress digits"),
    (_first_only, "not only the first"),
    (_singletons, "at least 2 words"),
    (_twice, "count each word once"),
    (_unsorted, "sort the words"),
])
def test_group_homophones_names_the_usual_mistakes(wrong, words):
    result = check_group_homophones(wrong)
    assert not result.passed and words in hints(result), repr(result)


def test_group_homophones_must_not_edit_the_lexicon():
    def destructive(lexicon):
        out = right_groups(lexicon)
        for ps in lexicon.values():
            ps.clear()
        return out
    assert not check_group_homophones(destructive).passed
