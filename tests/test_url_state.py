"""Parsing of the settings in a shared link (app/url_state.py); the browser side is in test_app_browser.py."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.url_state import MAX_SEED, parse_query  # noqa: E402

EXT, PIPES = ["identity", "dct_lowpass", "vqvae"], ["direct", "latent", "vq"]


def parse(**q):
    return parse_query({k: str(v) for k, v in q.items()}, EXT, PIPES, n_samples=20)


def test_valid_settings_are_applied():
    s = parse(tab="generate", extractor="vqvae", sample=19, pipeline="vq", seed=MAX_SEED, **{"class": "sneaker"})
    assert (s.tab, s.extractor, s.sample, s.pipeline, s.class_index, s.seed) == ("generate", "vqvae", 19, "vq", 7, MAX_SEED)
    assert s.problems == []
    assert parse(**{"class": "3"}).class_index == 3


def test_nothing_in_the_url_changes_nothing():
    s = parse()
    assert (s.tab, s.extractor, s.sample, s.pipeline, s.class_index, s.seed) == (None,) * 6 and not s.problems


def test_bad_values_are_dropped_with_a_reason_and_the_rest_applies():
    s = parse(tab="train", extractor="gan", sample=20, pipeline="vq", seed=-1, **{"class": "hat"})
    assert s.pipeline == "vq"
    assert (s.tab, s.extractor, s.sample, s.class_index, s.seed) == (None,) * 5
    text = " ".join(s.problems)
    for piece in ("tab='train'", "extractor='gan'", "sample='20'", "class='hat'", "seed='-1'", "0..19", "sneaker"):
        assert piece in text
    assert parse(seed="1e3").seed is None and parse(sample="x").sample is None
