"""The named text pipelines: spelling -> ARPAbet phonemes -> spelling, and speech recognition X = a spoken word.

    name         extractor (Y -> Y')                  prior (X -> Y')                renderer (Y' -> Y)
    g2p          CMUdict, learned G2P for the rest     -                              dictionary spellings ranked by P2G
    g2p_neural   the learned G2P model alone          -                              the learned P2G model alone
    asr          CMUdict, learned G2P for the rest     CTC recogniser -> phonemes     the dictionary, else P2G
    asr_direct   spelling (the identity, Y' = Y)      the same recogniser -> letters  joins the letters

g2p and g2p_neural have no X (they only reconstruct); asr and its direct baseline asr_direct are one Regenerator
class with a different Y'. `generate(waves)` runs X -> Y' -> Y (text/recognition.py measures both).
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
    PipelineSpec("asr", "text", "g2p", "asr_phonemes", "p2g", {},
                 "spoken word -> CTC recogniser -> phonemes -> the dictionary's spelling, else P2G's",
                 baseline="asr_direct"),
    PipelineSpec("asr_direct", "text", "spelling", "asr_letters", None, {},
                 "spoken word -> the same CTC recogniser trained on letters -> spelling (the direct baseline)",
                 direct=True),
]}


def _spec(name: str) -> PipelineSpec:
    if name not in PIPELINES:
        raise KeyError(f"unknown text pipeline {name!r}; choose from {', '.join(PIPELINES)}")
    return PIPELINES[name]


def build_pipeline(name: str, *, device="cpu", lexicon: str = "full") -> Regenerator:
    """The extractor of pipeline `name` carrying its renderer, and its recogniser as the prior where it has one.
    lexicon: the dictionary the G2P/P2G stages look words up in ("full"; "train" to measure held-out words)."""
    spec = _spec(name)
    factory = EXTRACTORS[spec.extractor][0]                                    # (factory, summary)
    extractor = (factory(lexicon=lexicon) if spec.extractor == "g2p" else factory()).to(device)
    prior = None
    if spec.prior:
        from ..checkpoints import load_checkpoint, weights_dir
        from .priors import CTCRecognizer

        prior = load_checkpoint(weights_dir() / spec.prior, CTCRecognizer)[0].to(device).eval()
    return Regenerator(extractor, prior)


def round_trip(name: str, y: str, *, pipe: Regenerator | None = None, k: int = 5) -> RoundTrip:
    """Typed text Y -> phonemes Y' (one list per word) -> spellings render(Y'), with the letter and word
    error rates of the spellings; the notes say which words the models guessed. Raises TextError."""
    pipe = pipe or build_pipeline(name)
    if _spec(name).direct:                                         # Y' = Y: the letters come back as they went in
        t0 = time.perf_counter()
        y_prime = pipe.extractor.extract(y)
        t1 = time.perf_counter()
        y_hat = pipe.renderer.render(y_prime)
        words = ["".join(w) for w in y_prime]
        return RoundTrip(y, y_prime, y_hat, {k_: v for k_, v in p2g_scores(y_hat, words).items() if k_ != "n"},
                         {"extract": t1 - t0, "render": time.perf_counter() - t1},
                         ["the identity: Y' is the spelling itself, so the round trip is exact; the recogniser "
                          "(the prior) is what asr_direct measures"])
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
