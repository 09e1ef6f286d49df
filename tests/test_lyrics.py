"""Lyrics -> melody: the chorale lyrics and their alignment, syllable splitting, the per-syllable template model,
the direct lyrics model, the metrics, the recipes of the paired-data sweep and the shipped weights
(regen_lite/music/: lyrics.py, lyric_template.py, lyric_direct.py, lyric_metrics.py, lyric_recipes.py)."""

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from regen_lite.core import Regenerator
from regen_lite.music.lyric_direct import DirectLyricsPrior, LyricsMelodyNet, lyric_melody_tensors, pointer_features
from regen_lite.music.lyric_metrics import bach_song, setting_metrics
from regen_lite.music.lyric_template import (
    N_CLASSES,
    PATTERNS,
    LyricsTemplateNet,
    LyricsTemplatePrior,
    pattern_id,
    rule_settings,
    setting_tensors,
    template_from_settings,
)
from regen_lite.music.lyrics import (
    N_FEATURES,
    LyricsError,
    LyricsKey,
    hyphenate,
    load_lyric_chorales,
    notes_per_syllable,
    split_lyrics,
    syllable_features,
    syllable_settings,
)
from regen_lite.music.song import STEPS_PER_BAR, get_chorale
from regen_lite.music.template import RHYTHM_ONSET

WEIGHTS = Path(__file__).resolve().parent.parent / "data_samples" / "weights"


@pytest.fixture(scope="module", autouse=True)
def _one_thread():
    from regen_lite.device import one_thread
    with one_thread():
        yield


@pytest.fixture(scope="module")
def test_pairs():
    return load_lyric_chorales("test")


# ---------------------------------------------------------------------------------------- the data

def test_the_shipped_lyrics_cover_280_chorales_split_by_tune(test_pairs):
    train = load_lyric_chorales("train")
    assert (len(train), len(test_pairs)) == (241, 39)
    assert not {s.name for s, _ in train} & {s.name for s, _ in test_pairs}
    for song, ly in train + test_pairs:                     # every syllable starts on a melody onset, in order
        assert (song.melody[ly.steps] >= 2).all() and (np.diff(ly.steps) > 0).all()
        assert len(ly.text) == len(ly.word_start) == len(ly.punct) == len(ly.steps)
    text = " ".join(ly.words() for _, ly in train)
    assert "ä" in text or "ü" in text or "ö" in text       # German


def test_syllables_line_up_with_the_notes_of_a_hand_checked_chorale():
    """bwv10.7 (the German Magnificat): 'Mei-ne Seel' er-hebt den Her-ren; und mein Geist' on half, half, then
    quarter notes; the first fermata is on the whole note of 'Geist' (step 32), not at the semicolon after 'Her-ren'
    (checked against the score in music21's corpus): text and phrase ends do not always agree."""
    song, ly = next((s, ly) for s, ly in load_lyric_chorales("test") if s.name == "bwv10.7")
    assert ly.text[:8] == ["Mei", "ne", "Seel’", "er", "hebt", "den", "Her", "ren"]
    assert ly.steps[:8].tolist() == [0, 4, 8, 10, 12, 14, 16, 20]
    assert ly.word_start[:3].tolist() == [True, False, True] and ly.punct[7] == 2 and ly.punct[:7].sum() == 0
    patterns, fermata, start = syllable_settings(song, ly)
    assert patterns[:3] == [(2, 1, 1, 1), (2, 1, 1, 1), (2, 1)] and start == 0
    assert ly.text[10] == "Geist" and ly.steps[10] == 32 and np.flatnonzero(fermata)[0] == 10
    assert patterns[10] == (2,) + (1,) * 7                      # a whole note
    assert notes_per_syllable(song.melody, ly.steps).sum() == len(song.notes())
    assert ly.words().startswith("Mei-ne Seel’ er-hebt den Her-ren.")


@pytest.mark.parametrize("word, parts", [("Herzen", ["Her", "zen"]), ("danket", ["dan", "ket"]),
                                         ("Menschen", ["Men", "schen"]), ("Himmelreich", ["Him", "mel", "reich"]),
                                         ("beautiful", ["beau", "ti", "ful"]), ("Gott", ["Gott"])])
def test_hyphenate_splits_at_vowel_groups(word, parts):
    assert hyphenate(word) == parts


def test_typed_lyrics_keep_hyphens_words_and_punctuation():
    ly = split_lyrics("Nun dan-ket al-le Gott, mit Her-zen Mund und Händen!")
    assert ly.text == ["Nun", "dan", "ket", "al", "le", "Gott", "mit", "Her", "zen", "Mund", "und", "Hän", "den"]
    assert ly.punct.tolist() == [0] * 5 + [1] + [0] * 6 + [2]
    assert ly.word_start.sum() == 9 and ly.word_end.sum() == 9 and ly.steps is None


@pytest.mark.parametrize("text, message", [("", "empty"), ("   ", "empty"), ("brr", "no vowel"),
                                           ("a-b-c", "put the hyphen elsewhere"), ("call 911", "not a word"),
                                           ("foo@bar", "'@'"), ("?!", "only punctuation"), ("la " * 161, "limit")])
def test_lyrics_that_cannot_be_split_say_why(text, message):
    with pytest.raises(LyricsError, match=message):
        split_lyrics(text)


def test_syllable_features_see_the_shape_of_the_text_not_the_words():
    a, b = split_lyrics("Nun dan-ket al-le Gott."), split_lyrics("Wir lo-ben al-le Herrn.")
    fa = syllable_features(a)
    assert fa.shape == (6, N_FEATURES) and fa.min() >= 0 and fa.max() <= 1
    assert fa[-1, 5] == 1 and fa[0, 6] == 1 and fa[-1, 7] == 1           # a stop after the last; first; last
    assert np.allclose(fa[:, :11], syllable_features(b)[:, :11])         # same shape of text: same features
    p = pointer_features(fa, -1)
    assert p[N_FEATURES] == 1 and np.allclose(p[N_FEATURES + 1:2 * N_FEATURES + 1], fa[0])


# ---------------------------------------------------------------------------------------- the template side

def test_patterns_and_templates_from_settings_are_consistent():
    assert pattern_id((2, 1)) == 0 and pattern_id((2, 1, 1, 1, 1, 1, 1, 1, 1, 1)) == PATTERNS.index((2,) + (1,) * 7)
    classes = [2 * PATTERNS.index((2, 1)), 2 * PATTERNS.index((2, 2)), 2 * PATTERNS.index((2, 1, 1, 1)) + 1]
    rhythm, cadence, steps, fermata = template_from_settings(classes, start=6)
    assert len(rhythm) == 2 * STEPS_PER_BAR and steps.tolist() == [6, 8, 10]
    assert rhythm[:14].tolist() == [0] * 6 + [2, 1, 2, 2, 2, 1, 1, 1] and (rhythm[steps] == RHYTHM_ONSET).all()
    assert fermata.tolist() == [False, False, True] and np.flatnonzero(cadence).tolist() == [5]
    rule, start = rule_settings(split_lyrics("Ky-ri-e, e-lei-son."))
    assert start == 6 and [c % 2 for c in rule] == [0, 0, 1, 0, 0, 1]


def test_the_lyrics_model_trains_and_samples_settings_on_the_bar_grid(test_pairs):
    pairs = test_pairs[:4]
    feats, pos, classes, start = setting_tensors(pairs)
    assert feats.shape[:2] == pos.shape == classes.shape and classes.max() < N_CLASSES
    net = LyricsTemplateNet()
    _, loss, stats = net(feats, pos, classes, start)
    assert np.isfinite(loss.item()) and stats["nll"] > 0
    loss.backward()
    ly = pairs[0][1]
    got, s0 = net.eval().sample(ly, generator=torch.Generator().manual_seed(0))
    again, s1 = net.sample(ly, generator=torch.Generator().manual_seed(0))
    assert len(got) == len(ly) and (got, s0) == (again, s1) and 0 <= s0 < STEPS_PER_BAR


def test_a_padded_text_gets_the_same_setting_probabilities_as_alone(test_pairs):
    """The bidirectional encoder packs the padded batch: padding never reaches a real syllable."""
    net = LyricsTemplateNet().eval()
    both = setting_tensors(test_pairs[:2])
    alone = setting_tensors(test_pairs[1:2])
    n = len(test_pairs[1][1])
    with torch.no_grad():
        a = net.nll(*both)[3][1, :n]
        b = net.nll(*alone)[3][0, :n]
    assert torch.allclose(a, b, atol=1e-5)


# ---------------------------------------------------------------------------------------- the direct side

def test_the_direct_lyrics_model_marks_each_syllable_and_ends_after_the_last(test_pairs):
    mode, syl, tokens, target = lyric_melody_tensors(test_pairs[:3])
    assert syl.shape[:2] == tokens.shape == target.shape and syl.shape[2] == 2 * (N_FEATURES + 1)
    assert ((target >= 0) == (tokens >= 2)).all()                        # a decision at every onset, only there
    song, ly = test_pairs[0]
    assert int((target[0] >= 1).sum()) == min(len(ly), int((ly.steps < 128).sum()))
    net = LyricsMelodyNet()
    _, loss, stats = net(mode, syl, tokens, target)
    assert np.isfinite(loss.item()) and stats["syllable_nll"] > 0
    x = LyricsKey(split_lyrics("Ky-ri-e e-lei-son."), 2, 0)
    out = DirectLyricsPrior(net).sample(x, generator=torch.Generator().manual_seed(0))
    steps = out.meta["syllable_steps"]
    assert out.n_steps % STEPS_PER_BAR == 0 and len(steps) + out.meta["unsung"] == 6
    assert (out.melody[steps] >= 2).all() and (np.diff(steps) > 0).all() and out.key == "D major"


# ---------------------------------------------------------------------------------------- metrics, pipelines

def test_bach_scores_perfectly_against_himself_and_the_rule_is_syllabic(test_pairs):
    m = setting_metrics([bach_song(s, ly) for s, ly in test_pairs], test_pairs)
    assert m["syllable_agreement"] == 1 and m["rhythm_f1"] == 1 and m["length_ratio"] == 1
    assert 0.6 < m["fermata_recall"] < 0.95 and 1.05 < m["notes_per_syllable"] < 1.3


def test_both_lyrics_pipelines_are_regenerators_over_shipped_weights():
    from regen_lite.music.pipelines import build_pipeline, generate_lyrics

    two, direct = build_pipeline("lyrics_template"), build_pipeline("lyrics_direct")
    assert type(two) is type(direct) is Regenerator and isinstance(two.prior, LyricsTemplatePrior)
    text = "Lo-be den Her-ren, den mäch-ti-gen Kö-nig der Eh-ren."
    y_prime, y = generate_lyrics(two, text, "F major", seed=1)
    assert np.minimum(y.melody, 2).tolist() == y_prime.rhythm.tolist()          # the renderer keeps Y's rhythm
    assert len(y.meta["syllable_steps"]) == 14 and y.key == "F major"
    same, tune = generate_lyrics(direct, text, "F major", seed=1)
    assert same is tune and len(tune.meta["syllable_steps"]) + tune.meta["unsung"] == 14


def test_the_chord_chain_scores_and_samples_given_cadences(test_pairs):
    from regen_lite.music.priors import load_template_prior
    from regen_lite.music.template import extract_template

    prior = load_template_prior()
    t = extract_template(test_pairs[0][0])
    assert -200 * len(t.chords) < prior.chord_log_prob(t) < 0
    chords = prior.sample_chords(t.rhythm, t.cadence, t.mode, generator=torch.Generator().manual_seed(0))
    assert chords.shape == t.chords.shape


# ---------------------------------------------------------------------------------------- recipes and weights

def test_the_sweeps_recipe_trains_on_a_nested_paired_subset(tmp_path):
    from regen_lite.music.lyric_recipes import RECIPES, paired_chorales
    from regen_lite.recipes import run_recipe

    quarter, half = paired_chorales("quarter"), paired_chorales("half")
    assert len(quarter) == 60 and len(half) == 120 and {s.name for s, _ in quarter} <= {s.name for s, _ in half}
    stem, info = run_recipe(RECIPES["lyrics_template"], data="quarter", max_steps=3, out_dir=tmp_path, progress=False)
    assert info["data"]["n_train"] == 60 and info["steps"] == 3 and "--data quarter" in info["train_command"]
    assert 0 <= info["metrics"]["test"]["syllable_agreement"] <= 1 and info["metrics"]["test"]["n"] == 39
    with pytest.raises(ValueError, match="--data"):
        run_recipe(RECIPES["lyrics_direct"], data="sample", out_dir=tmp_path)


@pytest.mark.parametrize("name", ["lyrics_template", "lyrics_direct"])
def test_lyric_weights_ship_small_and_say_how_they_were_made(name):
    from regen_lite.music.song import chorales_hash

    info = json.loads((WEIGHTS / f"{name}.json").read_text())
    assert (WEIGHTS / f"{name}.safetensors").stat().st_size < 2_000_000
    assert info["train_command"] == f"regen-lite train {name} --steps 250 --data full"
    assert info["data"]["n_train"] == 241 and info["data"]["hash"] == chorales_hash()
    assert info["train_seconds"] <= 600 and info["steps"] == 250


@pytest.mark.slow
@pytest.mark.parametrize("name", ["lyrics_template", "lyrics_direct"])
def test_lyric_weights_reproduce_recorded_metrics(name):
    from regen_lite.registry import get_recipe, load_pretrained

    model, info = load_pretrained(name, path=WEIGHTS / name)
    r = get_recipe(name)
    measured = r.evaluate(r, model, "full", None)["test"]
    for k, v in info["metrics"]["test"].items():
        assert measured[k] == pytest.approx(v, abs=2e-3), (k, measured[k], v)


def test_get_chorale_and_the_lyrics_agree_on_the_melody(test_pairs):
    song, _ = test_pairs[0]
    assert (get_chorale(song.name).melody == song.melody).all()
