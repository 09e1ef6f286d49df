"""Make data_samples/music/chorales.npz: the 4/4 Bach chorales of music21's bundled corpus on an
eighth-note grid (see regen_lite/music/song.py for the format). Deterministic; about 3 minutes on 2 cores.

    .venv/bin/python data_samples/music/make_chorales.py             # chorales.npz + the sample files
    .venv/bin/python data_samples/music/make_chorales.py --samples   # only the sample files (seconds)
    .venv/bin/python data_samples/music/make_chorales.py --lyrics    # only chorale_lyrics.json (~2 minutes)

Kept: every file of music21.corpus.getComposer("bach") with exactly four parts named Soprano, Alto,
Tenor and Bass, in 4/4 throughout, whose bars line up with the 4/4 grid after the pickup, with at least
one fermata. Split: harmonisations of the same tune (same title, or the same first ten soprano
intervals) form a group; 15% of the groups (numpy default_rng(0)) are the test set.

Lyrics (chorale_lyrics.json, a separate file so that chorales.npz and the hash recorded beside every
melody model stay as they were): for each kept chorale whose soprano has lyrics, the first verse as
[step, text, syllabic] triples, one per syllable: the eighth-note step where the syllable's first note
starts, the syllable as written (German, with its punctuation), and music21's syllabic (single, begin,
middle, end). A syllable whose note does not start on a melody onset of the grid is dropped and counted.

Sample files for uploads (both of a test-set chorale, so no model has seen it): SAMPLE.mxl, the
four-part MusicXML file copied byte for byte from music21's corpus, and SAMPLE_melody.mid, its
soprano alone as written by regen_lite.music.song.write_midi.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from regen_lite.music.song import MusicInputError, chorales_hash, melody_notes, song_from_score  # noqa: E402

TEST_FRACTION = 0.15
SAMPLE = "bwv165.6"
VOICES = ["soprano", "alto", "tenor", "bass"]


def main(out: Path = ROOT / "data_samples" / "music" / "chorales.npz"):
    import music21
    from music21 import corpus

    songs, titles, skipped = [], [], {}
    paths = sorted(corpus.getComposer("bach"), key=lambda p: p.name)
    for i, path in enumerate(paths):
        score = corpus.parse(path)
        names = [(p.partName or "").lower() for p in score.parts]
        if names != VOICES:
            skipped["not exactly Soprano/Alto/Tenor/Bass"] = skipped.get("not exactly Soprano/Alto/Tenor/Bass", 0) + 1
            continue
        try:
            song, _ = song_from_score(score, name=path.name.removesuffix(".mxl"), strict=True, max_bars=10_000)
        except MusicInputError as e:
            reason = str(e).split(":")[0] if "bar " not in str(e) else "bars do not line up with 4/4"
            reason = "not in 4/4" if "time" in reason else reason
            skipped[reason] = skipped.get(reason, 0) + 1
            continue
        if not song.fermata.any():
            skipped["no fermata"] = skipped.get("no fermata", 0) + 1
            continue
        songs.append(song)
        titles.append((score.metadata.title or "").strip().lower() if score.metadata else "")
        if i % 50 == 0:
            print(f"{i}/{len(paths)} {path.name}: {len(songs)} kept", flush=True)

    # group harmonisations of one tune: union-find over equal titles and equal opening intervals
    parent = list(range(len(songs)))

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first = {}
    for i, (s, title) in enumerate(zip(songs, titles)):
        pitches = [p for _, _, p in melody_notes(s.melody)]
        intervals = tuple(np.diff(pitches[:11]).tolist())
        for k in ([("title", title)] if title else []) + [("intervals", intervals)]:
            if k in first:
                parent[find(i)] = find(first[k])
            else:
                first[k] = i
    roots = sorted({find(i) for i in range(len(songs))})
    group_of = {r: g for g, r in enumerate(roots)}
    group = np.array([group_of[find(i)] for i in range(len(songs))])
    rng = np.random.default_rng(0)
    test_groups = set(rng.permutation(len(roots))[: round(TEST_FRACTION * len(roots))].tolist())
    split = np.array([1 if g in test_groups else 0 for g in group], dtype=np.uint8)

    offsets = np.cumsum([0] + [s.n_steps for s in songs])
    chroma_bits = np.concatenate([(s.chroma * (1 << np.arange(12))).sum(1) for s in songs]).astype(np.uint16)
    lost = sum(s.meta["lost_notes"] for s in songs)
    n_notes = sum(s.meta["n_notes"] for s in songs)
    info = {"music21": music21.__version__, "files_in_corpus": len(paths), "kept": len(songs), "skipped": skipped,
            "groups": len(roots), "test_groups": len(test_groups), "train": int((split == 0).sum()),
            "test": int(split.sum()), "soprano_notes": n_notes, "notes_lost_to_grid": lost,
            "fraction_lost": round(lost / n_notes, 4)}
    np.savez_compressed(
        out, names=np.array([s.name for s in songs]), offsets=offsets.astype(np.int64),
        melody=np.concatenate([s.melody for s in songs]).astype(np.uint8), chroma=chroma_bits,
        bass=np.concatenate([s.bass for s in songs]).astype(np.uint8),
        fermata=np.concatenate([s.fermata for s in songs]), tonic=np.array([s.tonic for s in songs], dtype=np.int8),
        mode=np.array([s.mode for s in songs], dtype=np.int8), split=split, group=group.astype(np.int16),
        info=np.array(json.dumps(info)))
    print(json.dumps(info, indent=1))
    print(f"wrote {out} ({out.stat().st_size / 1e3:.0f} kB), arrays hash {chorales_hash(out)}")


def write_lyrics(out: Path = ROOT / "data_samples" / "music" / "chorale_lyrics.json"):
    import music21
    from music21 import corpus

    from regen_lite.music.lyrics import lyrics_from_score
    from regen_lite.music.song import load_chorales

    songs = load_chorales("all", out.parent / "chorales.npz")
    path_of = {p.name.removesuffix(".mxl"): p for p in corpus.getComposer("bach")}    # as main() names them
    entries, dropped, without = {}, 0, 0
    for i, song in enumerate(songs):
        score = corpus.parse(path_of[song.name])
        measures = list(score.parts[0].getElementsByClass("Measure"))
        pad = float(measures[0].paddingLeft) if measures else 0.0
        triples, lost = lyrics_from_score(score, song, pad)
        dropped += lost
        if len(triples) < 2:
            without += 1
            continue
        entries[song.name] = triples
        if i % 50 == 0:
            print(f"{i}/{len(songs)} {song.name}: {len(triples)} syllables", flush=True)
    split = {s.name: s.meta for s in songs}
    test = {s.name for s in load_chorales("test", out.parent / "chorales.npz")}
    info = {"music21": music21.__version__, "language": "German", "verse": "the first verse on each note",
            "chorales": len(songs), "with_lyrics": len(entries), "without_lyrics": without,
            "train": sum(n not in test for n in entries), "test": sum(n in test for n in entries),
            "syllables": sum(len(t) for t in entries.values()), "syllables_dropped_off_grid": dropped}
    assert len(split) == len(songs)
    lines = ",\n".join(f"  {json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}" for k, v in entries.items())
    out.write_text('{"info": ' + json.dumps(info) + ',\n "chorales": {\n' + lines + "\n}}\n", encoding="utf-8")
    print(json.dumps(info, indent=1))
    print(f"wrote {out} ({out.stat().st_size / 1e3:.0f} kB)")


def write_samples(folder: Path = ROOT / "data_samples" / "music"):
    import shutil

    from music21 import corpus

    from regen_lite.music.song import load_chorales, write_midi

    src = corpus.getWork(f"bach/{SAMPLE}")
    shutil.copyfile(src, folder / f"{SAMPLE}.mxl")
    song = next(s for s in load_chorales("test", folder / "chorales.npz") if s.name == SAMPLE)
    write_midi(song, folder / f"{SAMPLE}_melody.mid")
    print(f"wrote {folder / SAMPLE}.mxl and {SAMPLE}_melody.mid")


if __name__ == "__main__":
    if "--lyrics" in sys.argv:
        write_lyrics()
    else:
        if "--samples" not in sys.argv:
            main()
            write_lyrics()
        write_samples()
