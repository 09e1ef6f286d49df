"""Speech recognition as regeneration: X = a spoken word, Y' = its phonemes, Y = its spelling (the paper's Table 2,
"G2P & P2G"), against the direct X -> letters, on the shipped spoken-word corpus (speech/words.py).

    two-stage   X --CTC recogniser--> phonemes Y' --dictionary, else P2G--> spelling Y
    direct      X --the same recogniser, trained on letters--> spelling Y

The second stage never needed audio: P2G learned from the ~106k dictionary words of the CMUdict train split,
text alone, while only 9,000 clips of 3,000 words pair audio with a transcript. The held-out ("unheard") words
are in neither. Errors are scored with torchmetrics (CER, WER; PER is WER over phoneme tokens).

    clips = word_clips("unheard")
    out = recognize_clips(clips, phone_model, letter_model, p2g)   # one row per clip, both pipelines
    scores = score_rows(out)                                        # PER, CER, WER, homophones, oracle split
"""

from __future__ import annotations

import hashlib
from typing import Sequence

import torch

from ..speech.words import WordClip, load_waves, word_clips
from .extractors import P2GRenderer
from .lexicon import ARPABET, load_lexicon, spellings_of
from .metrics import closest_reference
from .priors import CTCRecognizer, clip_features, pad_features

EVAL_SPLITS = ("heard", "unheard", "new_voice")
# --data: the paired audio used for training, every k-th training word (with all of its clips)
FRACTIONS = {"full": 1, "half": 2, "quarter": 4, "sample": 20}
SMALL_EVERY = 10       # the small fixed subset of each evaluation split that the tests re-measure


def training_clips(source: str = "full") -> list[WordClip]:
    """The training clips of every k-th training word (words sorted), k = FRACTIONS[source]."""
    if source not in FRACTIONS:
        raise KeyError(f"unknown paired-data amount {source!r}; choose from {', '.join(FRACTIONS)}")
    clips = word_clips("train")
    keep = set(sorted({c.word for c in clips})[::FRACTIONS[source]])
    return [c for c in clips if c.word in keep]


def targets_of(clips: Sequence[WordClip], symbols: Sequence[str]) -> list[list[str]]:
    """What the recogniser learns to write: CMUdict's main pronunciation (phonemes) or the spelling (letters)."""
    return [list(c.cmudict) if tuple(symbols) == ARPABET else list(c.word) for c in clips]


def asr_tensors(model: CTCRecognizer, clips: Sequence[WordClip]) -> tuple[torch.Tensor, ...]:
    """(log-mel (N, 80, max frames) float16, frames (N,), target ids (N, max L), target lengths (N,))."""
    feats, lengths = pad_features([clip_features(w) for w in load_waves(clips)])
    ids, id_lengths = model.encode(targets_of(clips, model.cfg.symbols))
    return feats.half(), lengths, ids, id_lengths


def corpus_hash(clips: Sequence[WordClip]) -> str:
    h = hashlib.sha256()
    for c in clips:
        h.update(f"{c.clip}\t{c.word}\t{c.file}\t{c.start}\t{c.frames}\n".encode())
    return h.hexdigest()[:16]


# ---------------------------------------------------------------------------------------
# Both pipelines on a list of clips
# ---------------------------------------------------------------------------------------

def spell_phonemes(phones: Sequence[Sequence[str]], renderer: P2GRenderer) -> list[dict]:
    """Y' -> Y: {"spelling", "source": "dictionary" | "model" | "none"} per phoneme list ("none": nothing heard)."""
    return [{"spelling": r["spelling"], "source": r["source"]} for r in renderer.spell(phones)] if phones else []


def recognize_clips(clips: Sequence[WordClip], phone_model: CTCRecognizer | None, letter_model: CTCRecognizer | None,
                    renderer: P2GRenderer | None = None, waves=None) -> list[dict]:
    """One row per clip: the word, its split and voice, the true phonemes; with phone_model the phonemes heard and
    the two-stage spelling (renderer: the dictionary + P2G; also the oracle spelling of the true phonemes);
    with letter_model the direct spelling."""
    waves = waves if waves is not None else load_waves(clips)
    rows = [{"clip": c.clip, "word": c.word, "split": c.split, "voice": c.voice, "phonemes": list(c.cmudict)}
            for c in clips]
    if phone_model is not None:
        heard = [r["symbols"] for r in phone_model.recognize(waves)]
        for row, h in zip(rows, heard):
            row["heard"] = h
        if renderer is not None:
            for row, s in zip(rows, spell_phonemes(heard, renderer)):
                row["two_stage"], row["source"] = s["spelling"], s["source"]
            oracle = spell_phonemes([r["phonemes"] for r in rows], renderer)
            for row, s in zip(rows, oracle):
                row["oracle"] = s["spelling"]
    if letter_model is not None:
        for row, r in zip(rows, letter_model.recognize(waves)):
            row["direct"] = "".join(r["symbols"])
    return rows


# ---------------------------------------------------------------------------------------
# Scores (torchmetrics): PER, CER, WER, homophones, and where the two-stage errors come from
# ---------------------------------------------------------------------------------------

def phoneme_error_rate(hyps: Sequence[Sequence[str]], words: Sequence[str]) -> float:
    """PER: edit operations over reference phonemes, each hypothesis scored against the closest of its word's
    dictionary pronunciations (the engine may have said a listed variant). WER over phoneme tokens."""
    lex = load_lexicon()
    refs = [" ".join(closest_reference(h, lex[w])) for h, w in zip(hyps, words)]
    from torchmetrics.functional.text import word_error_rate   # here: torchmetrics takes seconds to import
    return float(word_error_rate([" ".join(h) for h in hyps], refs))


def spelling_scores(spellings: Sequence[str], words: Sequence[str]) -> dict:
    """CER, WER and the homophone rate: a different real spelling of the same sound (write for right) is wrong by
    WER and counted here as well, as the text benchmark does."""
    lex = load_lexicon()
    homophone = sum(s != w and any(s in spellings_of(p) for p in lex[w]) for s, w in zip(spellings, words))
    from torchmetrics.functional.text import char_error_rate, word_error_rate   # here: slow to import
    return {"cer": float(char_error_rate(list(spellings), list(words))),
            "wer": float(word_error_rate(list(spellings), list(words))),
            "homophone": homophone / max(1, len(words)), "n": len(words)}


def score_rows(rows: Sequence[dict]) -> dict:
    """The metrics of one split's rows: per pipeline present, plus the oracle and the two-stage error split."""
    words = [r["word"] for r in rows]
    out: dict = {"n": len(rows)}
    if rows and "heard" in rows[0]:
        lex = load_lexicon()
        right = [tuple(r["heard"]) in lex[r["word"]] for r in rows]
        out["per"] = round(phoneme_error_rate([r["heard"] for r in rows], words), 4)
        out["phonemes_exact"] = round(sum(right) / max(1, len(rows)), 4)
    if rows and "two_stage" in rows[0]:
        out["two_stage"] = _rounded(spelling_scores([r["two_stage"] for r in rows], words))
        out["oracle_p2g"] = _rounded(spelling_scores([r["oracle"] for r in rows], words))
        wrong = [r["two_stage"] != r["word"] for r in rows]
        n = max(1, len(rows))
        out["two_stage_errors"] = {           # of all clips: wrong because the phonemes were wrong, or spelled wrong
            "acoustic": round(sum(w and not ok for w, ok in zip(wrong, right)) / n, 4),
            "spelling": round(sum(w and ok for w, ok in zip(wrong, right)) / n, 4),
            "dictionary_hits": round(sum(r["source"] == "dictionary" for r in rows) / n, 4)}
    if rows and "direct" in rows[0]:
        out["direct"] = _rounded(spelling_scores([r["direct"] for r in rows], words))
    return out


def _rounded(d: dict) -> dict:
    return {k: round(v, 4) if isinstance(v, float) else v for k, v in d.items()}


def evaluate_models(phone_model: CTCRecognizer | None, letter_model: CTCRecognizer | None,
                    renderer: P2GRenderer | None = None, small: str = "both",
                    splits: Sequence[str] = EVAL_SPLITS) -> dict:
    """{split: score_rows(...)} on the evaluation splits, and on their small subsets (every SMALL_EVERY-th clip,
    "<split>_small"). small="only": the small subsets alone (what the tests re-measure). A subset is recognised in
    its own batch, as the tests do: the same clips padded into a bigger batch give log-probabilities that differ in
    the last float bits, enough to flip a near tie."""
    out = {}
    for split in splits:
        clips = word_clips(split)
        if small != "only":
            out[split] = score_rows(recognize_clips(clips, phone_model, letter_model, renderer))
        out[split + "_small"] = score_rows(recognize_clips(clips[::SMALL_EVERY], phone_model, letter_model, renderer))
    return dict(sorted(out.items(), key=lambda kv: kv[0].endswith("_small")))


def default_renderer() -> P2GRenderer:
    """The shipped P2G with the dictionary of the CMUdict train split: held-out words are not in it."""
    from .extractors import _load

    return P2GRenderer(_load("p2g"), lexicon="train")


# ---------------------------------------------------------------------------------------
# One recording through both pipelines, with what a reader wants to see (the app and the notebook)
# ---------------------------------------------------------------------------------------

def frame_path(result: dict, symbols: Sequence[str]) -> list[str]:
    """The best symbol of every output frame, "-" for the blank: what CTC's collapse B reads."""
    return ["-" if k == 0 else symbols[k - 1] for k in result["log_probs"].argmax(-1).tolist()]


def transcribe(wave, phone_model: CTCRecognizer, letter_model: CTCRecognizer, renderer: P2GRenderer,
               k: int = 5) -> dict:
    """X (one wave) -> both pipelines. Returns {"phonemes" (heard), "phoneme_frames", "spelling", "source"
    ("dictionary": the phonemes are a known pronunciation; "model": P2G spelled them; "none": nothing heard),
    "nbest" (P2G's k best [(spelling, p)]), "homophones" (the dictionary's spellings of those phonemes),
    "direct" (the letter model's spelling), "letter_frames", "confidence": {"two_stage", "direct"}}."""
    ph, le = phone_model.recognize([wave])[0], letter_model.recognize([wave])[0]
    spelled = renderer.spell([ph["symbols"]])[0]
    return {"phonemes": ph["symbols"], "phoneme_frames": frame_path(ph, phone_model.cfg.symbols),
            "spelling": spelled["spelling"], "source": spelled["source"],
            "nbest": renderer.nbest([ph["symbols"]], k)[0] if ph["symbols"] else [],
            "homophones": list(spellings_of(ph["symbols"])),
            "direct": "".join(le["symbols"]), "letter_frames": frame_path(le, letter_model.cfg.symbols),
            "confidence": {"two_stage": ph["confidence"], "direct": le["confidence"]}}
