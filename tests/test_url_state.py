"""Parsing of the settings in a shared link (app/url_state.py); the browser side is in test_app_browser.py."""

from app.url_state import (
    CLASS_ALLOWED,
    MAX_SEED,
    SEED_ALLOWED,
    UrlField,
    fashion_class,
    int_in,
    one_of,
    parse_query,
    sync_url_js,
)

EXT, PIPES = ["identity", "dct_lowpass", "vqvae"], ["direct", "latent", "vq"]
TABS = ["inspect", "generate", "compare"]
FIELDS = [UrlField("extractor", None, one_of(EXT), "available: " + ", ".join(EXT)),
          UrlField("sample", None, int_in(0, 19), "a number 0..19"),
          UrlField("pipeline", None, one_of(PIPES), "available: " + ", ".join(PIPES)),
          UrlField("class", None, fashion_class, CLASS_ALLOWED),
          UrlField("seed", None, int_in(0, MAX_SEED), SEED_ALLOWED)]
KEYS = ["extractor", "sample", "pipeline", "class", "seed"]


class Parsed:
    """parse_query's result with one attribute per key, for short asserts."""

    def __init__(self, s):
        self.tab, self.problems = s.tab, s.problems
        self.extractor, self.sample, self.pipeline, self.class_index, self.seed = (s.values.get(k) for k in KEYS)


def parse(**q):
    return Parsed(parse_query({k: str(v) for k, v in q.items()}, TABS, FIELDS))


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


def test_unknown_keys_are_left_alone_and_the_sync_script_names_every_key():
    assert parse(utm_source="mail").problems == []
    js = sync_url_js(KEYS)
    assert all(f'"{k}"' in js for k in KEYS)
