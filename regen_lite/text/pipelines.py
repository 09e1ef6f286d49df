"""The text round trip Y -> Y' -> Y: spelling -> phonemes -> spelling, for the app and the notebook."""

from __future__ import annotations

from .extractors import G2P
from .lexicon import parse_text
from .metrics import p2g_scores

# ---------------------------------------------------------------------------------------
# The whole round trip of typed text, for the app and the notebook
# ---------------------------------------------------------------------------------------

def regenerate_text(text, extractor: G2P | None = None, k: int = 5) -> dict:
    """Y -> Y' -> Y for typed text. Raises TextError (a ValueError) with a message for a user.

    Returns {"words", "phonemes" (one list per word), "spellings" (the renderer's), "rows" (one dict per
    word: word, phonemes, source ("dictionary" | "model"), spelling, spelling_source, nbest (P2G's k best
    [(spelling, p), ...]), homophones (the dictionary's spellings of that sound), exact, valid),
    "phoneme_text" ("DH AH | K AE T"), "spelling_text", "ler", "wer", "notices"}.
    """
    from .lexicon import spellings_of

    parsed = parse_text(text)
    ext = extractor if extractor is not None else G2P()
    if ext.renderer is None:
        raise ValueError("this G2P extractor was built with_renderer=False; it cannot spell phonemes back")
    rows = ext.pronounce(parsed.words)
    phones = [r["phonemes"] for r in rows]
    for r, spelled, nb in zip(rows, ext.renderer.spell(phones), ext.renderer.nbest(phones, k)):
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
            **{k_: v for k_, v in p2g_scores(spellings, words).items() if k_ != "n"}, "notices": notices}
