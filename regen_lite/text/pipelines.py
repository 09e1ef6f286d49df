"""The named text pipelines Y -> Y' -> Y: spelling -> ARPAbet phonemes -> spelling. There is no X yet (a
recogniser would be the prior audio -> Y'): each pipeline is a Regenerator without a prior.

    name         extractor (Y -> Y')                           renderer (Y' -> Y)
    g2p          CMUdict lookup, learned G2P for unknown words  dictionary spellings ranked by P2G
    g2p_neural   the learned G2P model alone                    the learned P2G model alone
"""

from __future__ import annotations

import time

from ..core import PipelineSpec, Regenerator, RoundTrip
from .extractors import EXTRACTORS, G2P
from .lexicon import parse_text
from .metrics import p2g_scores

PIPELINES = {s.name: s for s in [
    PipelineSpec("g2p", "text", "g2p", None, "p2g", {},
                 "spelling -> CMUdict / learned G2P phonemes -> dictionary spellings ranked by P2G"),
    PipelineSpec("g2p_neural", "text", "g2p_neural", None, "p2g", {},
                 "spelling -> learned G2P phonemes -> learned P2G spelling (no dictionary)"),
]}


def _spec(name: str) -> PipelineSpec:
    if name not in PIPELINES:
        raise KeyError(f"unknown text pipeline {name!r}; choose from {', '.join(PIPELINES)}")
    return PIPELINES[name]


def build_pipeline(name: str, *, device="cpu") -> Regenerator:
    """The G2P extractor of pipeline `name` carrying its P2G renderer, as a Regenerator without a prior."""
    return Regenerator(EXTRACTORS[_spec(name).extractor][0]().to(device))     # (factory, summary)


def round_trip(name: str, y: str, *, pipe: Regenerator | None = None, k: int = 5) -> RoundTrip:
    """Typed text Y -> phonemes Y' (one list per word) -> spellings render(Y'), with the letter and word
    error rates of the spellings; the notes say which words the models guessed. Raises TextError."""
    pipe = pipe or build_pipeline(name)
    out = regenerate_text(y, pipe.extractor, k=k)
    valid = sum(r["valid"] for r in out["rows"]) / max(1, len(out["rows"]))   # a real spelling of that sound
    return RoundTrip(y, out["phonemes"], out["spellings"], {"ler": out["ler"], "wer": out["wer"], "valid": valid},
                     out["seconds"], out["notices"])


# ---------------------------------------------------------------------------------------
# The whole round trip of typed text, for the app and the notebook
# ---------------------------------------------------------------------------------------

def regenerate_text(text, extractor: G2P | None = None, k: int = 5) -> dict:
    """Y -> Y' -> Y for typed text. Raises TextError (a ValueError) with a message for a user.

    Returns {"words", "phonemes" (one list per word), "spellings" (the renderer's), "rows" (one dict per
    word: word, phonemes, source ("dictionary" | "model"), spelling, spelling_source, nbest (P2G's k best
    [(spelling, p), ...]), homophones (the dictionary's spellings of that sound), exact, valid),
    "phoneme_text" ("DH AH | K AE T"), "spelling_text", "ler", "wer", "notices", "seconds" (extract, render)}.
    """
    from .lexicon import spellings_of

    parsed = parse_text(text)
    ext = extractor if extractor is not None else G2P()
    if ext.renderer is None:
        raise ValueError("this G2P extractor was built with_renderer=False; it cannot spell phonemes back")
    t0 = time.perf_counter()
    rows = ext.pronounce(parsed.words)
    phones = [r["phonemes"] for r in rows]
    t1 = time.perf_counter()
    spelled_all, nbest_all = ext.renderer.spell(phones), ext.renderer.nbest(phones, k)
    seconds = {"extract": t1 - t0, "render": time.perf_counter() - t1}
    for r, spelled, nb in zip(rows, spelled_all, nbest_all):
        r["nbest"] = nb                                       # the model's k best, whatever the dictionary says
        r["spelling"], r["spelling_source"] = spelled["spelling"], spelled["source"]
        r["homophones"] = list(spellings_of(r["phonemes"]))
        r["exact"] = r["spelling"] == r["word"]
        r["valid"] = r["exact"] or r["spelling"] in r["homophones"]
    notices = list(parsed.notices)
    if not ext.use_dictionary:                # g2p_neural: every Y' is the model's guess, by design
        known = sum(r["word"] in ext.lexicon for r in rows)
        notices.append(f"{ext.name} never looks words up: the learned model guesses the phonemes of all "
                       f"{len(rows)} words ({known} of them are in the dictionary; choose g2p to use it)")
    guessed = [r["word"] for r in rows if r["source"] == "model" and ext.use_dictionary]
    if guessed:
        notices.append(f"{len(guessed)} of {len(rows)} words are not in the dictionary; their phonemes are the "
                       f"model's guess: {', '.join(guessed[:5])}" + (" ..." if len(guessed) > 5 else ""))
        if len(rows) >= 3 and len(guessed) > len(rows) / 2:
            notices.append("most words are not in the English dictionary: is this text English?")
    words, spellings = [r["word"] for r in rows], [r["spelling"] for r in rows]
    return {"words": words, "phonemes": [r["phonemes"] for r in rows], "spellings": spellings, "rows": rows,
            "phoneme_text": " | ".join(" ".join(r["phonemes"]) for r in rows), "spelling_text": " ".join(spellings),
            **{k_: v for k_, v in p2g_scores(spellings, words).items() if k_ != "n"}, "notices": notices,
            "seconds": seconds}
