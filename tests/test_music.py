"""Music: chorale data, the chord/rhythm/cadence template, metrics, MIDI, synthesis, the models and the
shipped weights (regen_lite/music/: song.py, template.py, extractors.py, metrics.py, playback.py,
renderers.py, priors.py, recipes.py)."""

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from regen_lite.core import Regenerator
from regen_lite.music import metrics as mm
from regen_lite.music.extractors import ChordToneRenderer
from regen_lite.music.song import (
    HOLD,
    MAX_BARS,
    REST,
    STEPS_PER_BAR,
    KeyLength,
    MusicInputError,
    Song,
    get_chorale,
    load_chorales,
    load_song,
    melody_from_notes,
    pitch_token,
    write_midi,
)
from regen_lite.music.template import (
    CHORD_TONES,
    N_CHORD,
    NQ,
    QUALITIES,
    QUALITY_NAMES,
    RHYTHM_ONSET,
    Template,
    chord_id,
    extract_template,
    recognize_chord,
)
from regen_lite.registry import get_extractor, list_extractors

MUSIC = Path(__file__).resolve().parent.parent / "data_samples" / "music"
WEIGHTS = Path(__file__).resolve().parent.parent / "data_samples" / "weights"
PC = {n: i for i, n in enumerate(["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"])}


@pytest.fixture(scope="module", autouse=True)
def _one_thread():
    """The music models are small; one torch thread is faster (see device.one_thread)."""
    from regen_lite.device import one_thread
    with one_thread():
        yield


@pytest.fixture(scope="module")
def train():
    return load_chorales("train")


@pytest.fixture(scope="module")
def test_set():
    return load_chorales("test")


def pcs(*names):
    v = np.zeros(12, dtype=bool)
    v[[PC[n] for n in names]] = True
    return v


# ---------------------------------------------------------------------------------------- data

def test_chorales_split_by_tune_and_well_formed(train, test_set):
    assert len(train) == 277 and len(test_set) == 42
    assert not {s.meta["group"] for s in train} & {s.meta["group"] for s in test_set}   # no tune on both sides
    assert not {s.name for s in train} & {s.name for s in test_set}
    for s in train + test_set:
        m = s.melody
        assert s.n_steps % STEPS_PER_BAR == 0 and s.chroma.shape == (s.n_steps, 12)
        assert m.min() >= 0 and m.max() < 63
        prev = np.concatenate([[REST], m[:-1]])
        assert not ((m == HOLD) & (prev == REST)).any(), "a HOLD must continue a note"
        assert (m[s.fermata] >= 2).all(), "fermatas sit on note onsets"
        assert s.fermata.any()
        on = m >= 2                     # the melody is part of the texture it came with
        assert s.chroma[np.flatnonzero(on), (m[on] - 2 + 36) % 12].all()
    with pytest.raises(ValueError, match="split"):
        load_chorales("valid")


def test_shipped_sample_files_load_and_match_the_npz(test_set):
    ref = next(s for s in test_set if s.name == "bwv165.6")
    full, notes = load_song(MUSIC / "bwv165.6.mxl")
    assert notes == [] and full.chroma is not None
    assert (full.melody == ref.melody).all() and (full.chroma == ref.chroma).all() and full.key == ref.key
    tune, _ = load_song(MUSIC / "bwv165.6_melody.mid")
    assert tune.chroma is None and (tune.melody == ref.melody).all() and tune.key == ref.key


@pytest.mark.parametrize("name,content,match", [
    ("song.wav", b"RIFF....", "expected a MIDI"),
    ("empty.mid", b"", "is empty"),
    ("garbage.mid", b"this is not a midi file at all", "could not read garbage.mid as MIDI"),
    ("garbage.musicxml", b"<html><body>hello</body></html>", "could not read garbage.musicxml as MUSICXML"),
])
def test_bad_files_are_refused_with_a_message(tmp_path, name, content, match):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(MusicInputError, match=match):
        load_song(path)


def test_a_truncated_midi_file_is_refused(tmp_path):
    """music21 reads a MIDI file cut off mid-track as the notes before the cut; load_song checks the
    chunk lengths first and says the file is truncated."""
    whole = (MUSIC / "bwv165.6_melody.mid").read_bytes()
    for cut in (10, len(whole) // 2, len(whole) - 3):
        path = tmp_path / f"cut{cut}.mid"
        path.write_bytes(whole[:cut])
        with pytest.raises(MusicInputError, match="truncated"):
            load_song(path)
    (tmp_path / "whole.mid").write_bytes(whole)
    assert load_song(tmp_path / "whole.mid")[0].n_steps > 0


def _score(ts: str, pitches, ql=1.0):
    from music21 import meter, note, stream
    p = stream.Part()
    p.append(meter.TimeSignature(ts))
    for x in pitches:
        p.append(note.Rest(quarterLength=ql) if x is None else note.Note(x, quarterLength=ql))
    s = stream.Score()
    s.insert(0, p)
    return s


def test_input_validation_messages(tmp_path):
    from music21 import stream
    with pytest.raises(MusicInputError, match="only 4/4"):
        load_song(Path(_score("3/4", [60, 62, 64] * 4).write("musicxml", fp=str(tmp_path / "waltz.musicxml"))))
    empty = stream.Score()
    empty.insert(0, stream.Part())
    with pytest.raises(MusicInputError, match="no pitched notes"):
        load_song(Path(empty.write("musicxml", fp=str(tmp_path / "empty.musicxml"))))
    with pytest.raises(MusicInputError, match="no melody"):   # one note only
        load_song(Path(_score("4/4", [None, None, 67, None]).write("midi", fp=str(tmp_path / "one.mid"))))
    long_tune = _score("4/4", [60, 62, 64, 65, 67, 65, 64, 62] * (MAX_BARS // 4 + 1), ql=2.0)
    song, notices = load_song(Path(long_tune.write("midi", fp=str(tmp_path / "long.mid"))))
    assert song.n_bars == MAX_BARS and any("only the first 64" in n for n in notices)


# ---------------------------------------------------------------------------------------- template

def test_recognize_chord_on_textbook_sonorities():
    name = lambda r_q: (r_q[0], QUALITY_NAMES[r_q[1]])  # noqa: E731
    assert name(recognize_chord(pcs("C", "E", "G"), PC["C"])) == (PC["C"], "maj")
    assert name(recognize_chord(pcs("C", "E", "G"), PC["E"])) == (PC["C"], "maj")        # first inversion
    assert name(recognize_chord(pcs("A", "C", "E"), PC["C"])) == (PC["A"], "min")
    assert name(recognize_chord(pcs("G", "B", "D", "F"), PC["G"])) == (PC["G"], "7")
    assert name(recognize_chord(pcs("G", "B", "F"), PC["G"])) == (PC["G"], "7")           # fifth omitted
    assert name(recognize_chord(pcs("B", "D", "F"), PC["D"])) == (PC["B"], "dim")         # vii6, not a D chord
    assert name(recognize_chord(pcs("B", "D", "F", "A"), PC["B"])) == (PC["B"], "hdim7")
    assert recognize_chord(np.zeros(12, dtype=bool)) is None
    for r in range(12):                                                                 # every template finds itself
        for q, iv in enumerate(QUALITIES.values()):
            if QUALITY_NAMES[q] in ("aug", "dim7"):                                     # symmetric: root needs the bass
                continue
            assert recognize_chord(CHORD_TONES[r * NQ + q], r) == (r, q)


def test_chord_recognition_agrees_with_music21(test_set):
    """Our pitch-class matching vs music21's Chord.root() on every complete triad / seventh chord
    (music21's own test) at the beats of three test chorales; diminished sevenths are skipped
    (symmetric: their root is a spelling convention). Measured on all 42: 99.9% roots, 99.8% qualities."""
    from music21 import chord

    by_intervals = {tuple(sorted(v)): k for k, v in QUALITIES.items()}
    n = same_root = same_quality = 0
    for s in test_set[:3]:
        for t in range(0, s.n_steps, 2):
            present = np.flatnonzero(s.chroma[t])
            if not len(present):
                continue
            bass = int(s.bass[t])
            c = chord.Chord([bass] + [int(60 + p) for p in present if p != bass % 12])
            if not (c.isTriad() or c.isSeventh()) or c.isDiminishedSeventh():
                continue
            root, q = recognize_chord(s.chroma[t], bass % 12)
            ref_root = c.root().pitchClass
            n += 1
            same_root += root == ref_root
            same_quality += QUALITY_NAMES[q] == by_intervals.get(tuple(sorted({(p - ref_root) % 12 for p in present})))
    assert n > 100
    assert same_root / n >= 0.98 and same_quality / n >= 0.98, (n, same_root, same_quality)


def test_template_of_a_hand_checked_chorale(train):
    """BWV 66.6 (F# minor), read from the score (music21 corpus bach/bwv66.6), sonority at each beat onset:
    pickup beat 4 (beat index 3): S C#5 A E4 T A3 B A3         -> A major   = III  (bIII)
    bar 1 beat 1 (4):             S A4  A F#4 T C#4 B F#3       -> F# minor  = i
    bar 1 beat 2 (5):             S B4  A E4  T B3  B G#3       -> E/G#      = VII  (bVII)
    bar 1 beat 3 (6):             S C#5 (fermata) A E4 T A3 B A3 -> A major, cadence
    bar 2 beat 4 (11):            S C#5 A G#4 T C#4 B E#3       -> C#/E#     = V
    bar 3 beat 1 (12):            S A4  A F#4 T C#4 B F#3       -> F# minor  = i
    bar 3 beat 2 (13):            S G#4 A E#4 T C#4 B C#3       -> C# major  = V
    bar 3 beat 3 (14):            S F#4 (fermata) A C#4 T A3 B F#2 -> F# minor, cadence
    Fermatas in the soprano at bar 1, 2 and 3 beat 3: beats 6, 10, 14."""
    song = next(s for s in train if s.name == "bwv66.6")
    assert song.key == "F# minor"
    t = extract_template(song)
    assert t.labels()[:3] == ["N", "N", "N"]                     # the rests before the pickup
    expected = {3: "A", 4: "F#m", 5: "E", 6: "A", 11: "C#", 12: "F#m", 13: "C#", 14: "F#m"}
    got = t.labels(absolute=True)
    assert {b: got[b] for b in expected} == expected
    assert [t.labels()[b] for b in (3, 4, 5, 11)] == ["bIII", "i", "bVII", "V"]
    assert list(np.flatnonzero(t.cadence)[:3]) == [6, 10, 14]
    assert list(t.rhythm[6:12]) == [2, 2, 2, 1, 2, 1]             # C#5 B4 eighths, then A4 and B4 quarters
    summary = t.summary()
    assert summary["key"] == "F# minor" and summary["chord_names"].startswith("N N N A | F#m E A E | A E A C#")
    assert get_chorale("bwv66.6").name == "bwv66.6"
    with pytest.raises(KeyError, match="no chorale"):
        get_chorale("bwv0")


def test_template_from_the_melody_alone():
    # C major, quarter notes C E G C | half notes F A | eighths G B D B, half note G | whole note C
    notes = [(0, 2, 60), (2, 2, 64), (4, 2, 67), (6, 2, 72), (8, 4, 65), (12, 4, 69),
             (16, 1, 67), (17, 1, 71), (18, 1, 74), (19, 1, 71), (20, 4, 67), (24, 8, 72)]
    song = Song(melody_from_notes(notes, 32), tonic=0, mode=0)
    t = extract_template(song)                                 # no texture: the melody notes of each beat
    assert t.labels()[:8] == ["I"] * 4 + ["IV"] * 4
    assert t.labels()[8:12] == ["V", "V", "I", "I"]            # {G, B}, {D, B} -> V; a lone G -> I (ties go to I)
    assert list(np.flatnonzero(t.cadence)) == [4, 6, 10, 12]   # notes of >= 2 beats, and the last note
    with pytest.raises(ValueError, match="no accompanying texture"):
        extract_template(song, source="texture")


def test_registry_and_describe():
    assert list_extractors("music") == ["chord_template", "melody_identity"]
    assert "chord_template" not in list_extractors("image")
    ext = get_extractor("chord_template", renderer="chord_tones")
    d = ext.describe()
    assert d["modality"] == "music" and d["layout"] == "template" and d["discrete"]
    assert d["bits"] == pytest.approx(4 * np.log2(109) + 8 * np.log2(3) + 4)
    assert d["compression"] == pytest.approx(8 * np.log2(63) / d["bits"], abs=1e-3)
    ident = get_extractor("melody_identity").describe()
    assert ident["compression"] == pytest.approx(1.0)


# ---------------------------------------------------------------------------------------- metrics

def test_metric_invariants(test_set):
    song = test_set[1]                                            # bwv110.7: it has passing tones
    t = extract_template(song)
    # a melody of chord tones only: each note moved to the nearest tone of its beat's chord
    pcs_beat = t.chord_pcs()
    fixed = song.melody.copy()
    for i in np.flatnonzero(fixed >= 2):
        p = fixed[i] - 2 + 36
        while not pcs_beat[i // 2].any() or not pcs_beat[i // 2][p % 12]:
            if not pcs_beat[i // 2].any():
                break
            p -= 1
        fixed[i] = pitch_token(p)
    tones = Song(fixed, song.tonic, song.mode)
    assert mm.chord_tone_fraction(tones, t) == 1.0 and mm.chord_tone_fraction(tones, t, strong_only=True) == 1.0
    assert mm.chord_tone_fraction(song, t) < 1.0                 # Bach uses passing tones
    assert mm.rhythm_f1(song, t) == 1.0                           # a melody agrees with its own rhythm
    shifted = Song(np.roll(song.melody, 1), song.tonic, song.mode)
    assert mm.rhythm_f1(shifted, t) < 0.5
    assert mm.pc_histogram(test_set).sum() == pytest.approx(1.0)
    train_like = load_chorales("train")
    assert mm.pc_histogram_distance(train_like) == pytest.approx(0.0, abs=1e-12)   # the corpus vs itself
    d = mm.pc_histogram_distance(test_set)
    assert 0 < d < 0.1                                            # unseen chorales, same style
    chromatic = Song(melody_from_notes([(i, 1, 60 + i % 12) for i in range(48)], 48))
    assert mm.pc_histogram_distance([chromatic]) > 0.3
    assert mm.stepwise_fraction([Song(melody_from_notes([(i, 1, 60 + i) for i in range(8)], 8))]) == 1.0


def test_real_melodies_fit_their_templates(test_set):
    m = mm.melody_metrics(test_set, [extract_template(s) for s in test_set])
    assert m["rhythm_f1"] == 1.0
    assert m["chord_tones_strong"] > m["chord_tones"] > 0.7       # strong beats carry chord tones
    assert 0.6 < m["stepwise"] < 0.95


def test_chord_tone_renderer_follows_its_template(test_set):
    ts = [extract_template(s) for s in test_set[:5]]
    ext = get_extractor("chord_template", renderer="chord_tones")
    out = ext.render(ts, generator=torch.Generator().manual_seed(0))
    assert mm.rhythm_f1(out, ts) == 1.0 and mm.chord_tone_fraction(out, ts) == 1.0
    again = ChordToneRenderer().render(ts[0], generator=torch.Generator().manual_seed(0))
    assert (again.melody == out[0].melody).all()


# ---------------------------------------------------------------------------------------- MIDI, audio, figures

def test_midi_round_trip(tmp_path, test_set):
    import music21

    song = test_set[1]
    t = extract_template(song)
    data = write_midi(song, tmp_path / "x.mid", chords=t.chord_pitches())
    assert data[:4] == b"MThd" and (tmp_path / "x.mid").read_bytes() == data
    score = music21.converter.parse(str(tmp_path / "x.mid"))
    mel = score.parts[0].flatten().notes
    got = [(round(float(n.offset) * 2), round(float(n.quarterLength) * 2), n.pitch.midi) for n in mel]
    assert got == song.notes()
    back, _ = load_song(tmp_path / "x.mid")
    assert (back.melody == song.melody).all()


def test_synthesis_shape_range_and_pitch():
    from regen_lite.music.playback import SAMPLE_RATE, synthesize

    a4 = Song(melody_from_notes([(0, 8, 69)], 8))                 # one A4 of a whole bar
    audio = synthesize(a4, tempo=120, tail=0.0)
    assert audio.dtype == np.float32 and audio.shape == (int(2.0 * SAMPLE_RATE),)
    assert np.abs(audio).max() == pytest.approx(0.9, abs=1e-6)
    spectrum = np.abs(np.fft.rfft(audio))
    assert np.fft.rfftfreq(len(audio), 1 / SAMPLE_RATE)[spectrum.argmax()] == pytest.approx(440, abs=1)
    silent = synthesize(Song(np.zeros(16, dtype=np.int64)))
    assert not silent.any()
    t = Template(np.array([chord_id(0, 0)] * 4), np.array([2, 1] * 4), np.zeros(4, bool))
    with_chords = synthesize(Song(melody_from_notes([(0, 8, 72)], 8)), t)
    assert np.isfinite(with_chords).all() and np.abs(with_chords).max() <= 1.0


def test_piano_roll_and_figures(test_set):
    import matplotlib
    matplotlib.use("Agg")
    from regen_lite.music.playback import piano_roll, plot_piano_roll, plot_template

    song = test_set[0]
    roll, low = piano_roll(song)
    assert (roll == 2).sum() == len(song.notes()) and roll.shape[1] == song.n_steps
    assert (roll > 0).sum() == sum(d for _, d, _ in song.notes())
    t = extract_template(song)
    assert plot_piano_roll(song, t, title="x").axes and plot_template(t).axes


# ---------------------------------------------------------------------------------------- models

def test_melody_net_is_causal_and_sampling_matches_teacher_forcing():
    from regen_lite.music.renderers import MelodyNet, MelodyNetConfig, template_tensors

    torch.manual_seed(0)
    model = MelodyNet(MelodyNetConfig(window=8)).eval()          # a short window: the span logic is exercised
    t = Template(np.array([chord_id(0, 0), chord_id(7, 0)] * 12), np.array([2, 1, 2, 2] * 12),
                 np.zeros(24, bool))
    x = template_tensors([t])
    tokens, step_logits = model.sample(x["chords"], x["rhythm"], x["cadence"], x["mode"],
                                       generator=torch.Generator().manual_seed(0), return_logits=True)
    full, _, _ = model(x["chords"], x["rhythm"], x["cadence"], x["mode"], tokens)
    assert torch.allclose(full, step_logits, atol=1e-4)           # step-by-step == all at once
    changed = tokens.clone()
    changed[0, 30:] = 2 + 40
    later, _, _ = model(x["chords"], x["rhythm"], x["cadence"], x["mode"], changed)
    assert torch.allclose(later[0, :31], full[0, :31], atol=1e-5)   # step t sees only y_<t
    ruled = model.sample(x["chords"], x["rhythm"], x["cadence"], x["mode"], follow_rhythm=True,
                         generator=torch.Generator().manual_seed(1))
    assert (np.minimum(ruled[0].numpy(), 2) == t.rhythm).all()


def test_melody_net_overfits_one_batch(train):
    from regen_lite.music.renderers import MelodyNet, MelodyNetConfig, training_tensors

    torch.manual_seed(0)
    x = [v[:4, :24] if v.ndim == 2 else v[:4] for v in training_tensors(train[:4], [extract_template(s) for s in train[:4]])]
    model = MelodyNet(MelodyNetConfig(d=32, dropout=0.0))
    opt = torch.optim.Adam(model.parameters(), 5e-3)
    first = None
    for _ in range(30):
        _, loss, _ = model(*x)
        first = first or loss.item()
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.item() < 0.3 * first


def test_template_prior_samples_valid_templates(train):
    from regen_lite.music.priors import TemplatePrior

    prior = TemplatePrior.fit([extract_template(s) for s in train[:60]])
    g = torch.Generator().manual_seed(0)
    ts = prior.sample([KeyLength(7, 0, 6), KeyLength(9, 1, 3), KeyLength(0, 0, 1)], generator=g)
    for k, t in zip([6, 3, 1], ts):
        assert t.n_steps == k * STEPS_PER_BAR and t.n_beats == k * 4
        prev = np.concatenate([[0], t.rhythm[:-1]])
        assert not ((t.rhythm == 1) & (prev == 0)).any()
        onsets = np.flatnonzero(t.rhythm == RHYTHM_ONSET)
        assert t.cadence[onsets[-1] // 2]                          # the last note ends a phrase
        silent = (t.rhythm.reshape(-1, 2) == 0).all(1)
        assert ((t.chords == N_CHORD) == silent).all()
    again = prior.sample([KeyLength(7, 0, 6)], generator=torch.Generator().manual_seed(0))[0]
    assert (again.chords == ts[0].chords).all() and (again.rhythm == ts[0].rhythm).all()
    with pytest.raises(ValueError, match="bars"):
        prior.sample(KeyLength(0, 0, 0))


# ---------------------------------------------------------------------------------------- shipped weights

MUSIC_WEIGHTS = ["melody_renderer", "melody_direct", "template_prior"]


@pytest.mark.parametrize("name", MUSIC_WEIGHTS)
def test_music_weights_ship_small_and_reproducible(name):
    info = json.loads((WEIGHTS / f"{name}.json").read_text())
    assert (WEIGHTS / f"{name}.safetensors").stat().st_size < 4_000_000
    assert info["train_command"].startswith(f"regen-lite train {name}")
    assert info["train_seconds"] <= 600
    assert info["data"]["source"] == "chorales" and info["data"]["n_train"] == 277
    from regen_lite.music.song import chorales_hash
    assert info["data"]["hash"] == chorales_hash(), "trained on other data than the shipped chorales.npz"


@pytest.mark.slow
@pytest.mark.parametrize("name", MUSIC_WEIGHTS)
def test_music_weights_reproduce_recorded_metrics(name):
    from regen_lite.registry import get_recipe, load_pretrained

    model, info = load_pretrained(name, path=WEIGHTS / name)
    r = get_recipe(name)
    measured = r.evaluate(r, model, "full", None)["test"]      # as its recipe measured it (on one thread)
    for k, v in info["metrics"]["test"].items():
        if isinstance(v, (int, float)):
            assert measured[k] == pytest.approx(v, abs=2e-3), (k, measured[k], v)


def test_renderer_beats_the_direct_baseline():
    r = json.loads((WEIGHTS / "melody_renderer.json").read_text())["metrics"]["test"]
    d = json.loads((WEIGHTS / "melody_direct.json").read_text())["metrics"]["test"]
    assert r["nll"] < d["nll"] - 0.3                              # the template explains much of the melody
    assert r["chord_tones"] > d["chord_tones"] + 0.15
    assert r["rhythm_f1"] > 0.9 > d["rhythm_f1"]


def test_generate_x_to_template_to_melody():
    from regen_lite.music.priors import load_template_prior

    pipe = Regenerator(get_extractor("chord_template"), prior=load_template_prior())
    g = torch.Generator().manual_seed(0)
    t, song = pipe.generate(KeyLength(2, 0, 4), generator=g)
    assert isinstance(t, Template) and isinstance(song, Song) and song.n_steps == 32 and song.key == "D major"
    assert len(song.notes()) > 4
    y_prime, y_hat = pipe.reconstruct(load_chorales("test")[0])
    assert y_hat.n_steps == y_prime.n_steps
    from regen_lite.music.renderers import load_direct_prior
    direct = Regenerator(get_extractor("melody_identity"), prior=load_direct_prior())
    same, tune = direct.generate(KeyLength(9, 1, 2), generator=torch.Generator().manual_seed(0))
    assert same is tune and tune.n_steps == 16 and tune.key == "A minor"
