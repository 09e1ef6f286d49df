"""The Text tab's logic without the UI: typed text Y -> phonemes Y' -> spelling render(Y').

    load_sentences         the shipped example sentences (data_samples/text/sentences.txt)
    load_text_extractors   `g2p` and `g2p_neural`, sharing one pair of learned models; caches warmed
    regenerate_view        one round trip, as what the tab shows: highlighted Y' and render(Y'),
                           a per-word table and a table of numbers. Raises TextError for bad text.

Everything here calls `regen_lite.text.pipelines.regenerate_text`; no model is built in app/.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from regen_lite.core import Extractor
from regen_lite.registry import get_extractor
from regen_lite.text.lexicon import TextError, parse_text
from regen_lite.text.pipelines import regenerate_text

EXTRACTORS = ("g2p", "g2p_neural")     # dictionary + learned fallback; the learned models alone
SENTENCES_FILE = Path(__file__).resolve().parents[2] / "data_samples" / "text" / "sentences.txt"
NBEST = 5                              # spellings shown per word, with P2G's probabilities
MAX_URL_TEXT = 300                     # longest text a shared link may carry

# labels of the highlighted outputs, and their colours
FROM_DICTIONARY, FROM_MODEL = "from the dictionary", "guessed by the learned model"
EXACT, HOMOPHONE, WRONG = "same word", "homophone: a real spelling of this sound", "not a spelling of this sound"
PHONEME_COLOURS = {FROM_DICTIONARY: "#bfdbfe", FROM_MODEL: "#fed7aa"}
SPELLING_COLOURS = {HOMOPHONE: "#fde68a", WRONG: "#fca5a5"}

WORD_HEADERS = ["word (Y)", "phonemes (Y')", "Y' from", "render(Y')", "result",
                f"P2G alone: its {NBEST} best spellings (p)", "spellings of this sound in the dictionary"]
WORD_COLUMN_WIDTHS = ["9%", "11%", "13%", "9%", "11%", "26%", "21%"]
NUMBER_HEADERS = ["quantity", "value"]


def load_sentences() -> list[str]:
    """The shipped example sentences, one per line (blank lines skipped)."""
    return [s.strip() for s in SENTENCES_FILE.read_text(encoding="utf-8").splitlines() if s.strip()]


def load_text_extractors(device: torch.device | str = "cpu") -> dict[str, Extractor]:
    """`g2p` and `g2p_neural`, the second reusing the first's two learned models (loaded once).

    Also runs one short sentence through each, so the dictionary's reverse index (sound -> spellings)
    is built here, once, and not during a user's first request.
    """
    g2p = get_extractor("g2p").to(device)
    neural = get_extractor("g2p_neural", model=g2p.model, p2g_model=g2p.renderer.model)
    extractors = {"g2p": g2p, "g2p_neural": neural}
    for extractor in extractors.values():
        regenerate_text("the cat", extractor, k=NBEST)
    return extractors


def valid_url_text(text: str) -> str | None:
    """A shared link's ?text=...: kept when short and readable as English, else None (ignored)."""
    if len(text) > MAX_URL_TEXT:
        return None
    try:
        parse_text(text)
    except TextError:
        return None
    return text


# ---------------------------------------------------------------------------------------
# One round trip, as the tab shows it
# ---------------------------------------------------------------------------------------

@dataclass
class TextView:
    """Everything the Text tab shows for one text and one extractor."""

    phonemes: list[tuple[str, str | None]]   # Y' per word, labelled by where it came from
    spelling: list[tuple[str, str | None]]   # render(Y') per word, labelled when not the same word
    words: list[list[str]]                   # one row per word, WORD_HEADERS
    numbers: list[list[str]]                 # rows of [quantity, value]
    notes: str                               # Markdown: what was read, and anything changed or skipped
    result: dict                             # regenerate_text's output, for tests and notebooks


def result_label(row: dict) -> str | None:
    """None when render(Y') is the word itself; else whether it is a homophone or not a real spelling."""
    if row["exact"]:
        return None
    return HOMOPHONE if row["valid"] else WRONG


def interleave(tokens: list[tuple[str, str | None]], separator: str) -> list[tuple[str, str | None]]:
    """[(a, l1), (b, l2)] -> [(a, l1), (separator, None), (b, l2)]: unlabelled gaps between words."""
    out = []
    for i, token in enumerate(tokens):
        if i:
            out.append((separator, None))
        out.append(token)
    return out


def percent(x: float) -> str:
    return f"{100 * x:.1f}%"


def word_row(row: dict, extractor_name: str) -> list[str]:
    """One line of the per-word table."""
    source = "dictionary" if row["source"] == "dictionary" else "learned model"
    if extractor_name == "g2p" and row["source"] == "model":
        source += " (not in the dictionary)"
    result = {None: "exact", HOMOPHONE: "homophone (valid)", WRONG: "wrong"}[result_label(row)]
    nbest = ", ".join(f"{s} ({p:.2f})" for s, p in row["nbest"])
    homophones = row["homophones"]
    sounds_like = ", ".join(homophones[:12]) + (f" … ({len(homophones)} in all)" if len(homophones) > 12 else "")
    return [row["word"], " ".join(row["phonemes"]), source, row["spelling"], result, nbest,
            sounds_like or "none (no dictionary word sounds like this)"]


def number_rows(result: dict, extractor_name: str) -> list[list[str]]:
    """The numbers table: where Y' came from, and how well render(Y') spells Y."""
    rows, n = result["rows"], len(result["rows"])
    from_dict = sum(r["source"] == "dictionary" for r in rows)
    exact = sum(r["exact"] for r in rows)
    valid = sum(r["valid"] for r in rows)
    ambiguous = sum(len(r["homophones"]) > 1 for r in rows)
    how = ("dictionary lookup, learned fallback" if extractor_name == "g2p" else "learned models alone, no dictionary")
    return [
        ["extractor", f"{extractor_name} ({how})"],
        ["words", str(n)],
        ["Y' from the dictionary", f"{from_dict} of {n}"],
        ["Y' guessed by the learned model", f"{n - from_dict} of {n}"],
        ["letters in Y / phonemes in Y'",
         f"{sum(len(w.replace(chr(39), '')) for w in result['words'])} / {sum(map(len, result['phonemes']))}"],
        ["LER (letter errors / letters)", percent(result["ler"])],
        ["WER (words not spelled exactly)", percent(result["wer"])],
        ["exact spellings", f"{exact} of {n}"],
        ["valid spellings (exact + homophones)", f"{valid} of {n}"],
        ["words whose sound has several spellings", f"{ambiguous} of {n}"],
    ]


def notes_markdown(result: dict, notices: list[str], extractor_name: str) -> str:
    n = len(result["words"])
    lines = [f"**Read {n} word{'s' * (n != 1)}** with `{extractor_name}`."]
    lines += [f"- {s[:1].upper()}{s[1:]}." if not s.endswith((".", "?", "!")) else f"- {s[:1].upper()}{s[1:]}"
              for s in notices]
    return "\n".join(lines)


def regenerate_view(text: str | None, extractor: Extractor) -> TextView:
    """Y -> Y' -> render(Y') for typed text. Raises TextError (with a message for the user) for
    empty, non-English, numbers-only or punctuation-only text."""
    if text is None:
        raise TextError("the text is empty: type one or more English words, e.g. 'the cat sat on the mat'")
    result = regenerate_text(text, extractor, k=NBEST)
    name = extractor.name
    notices = result["notices"]
    phonemes = interleave([(" ".join(r["phonemes"]), FROM_DICTIONARY if r["source"] == "dictionary" else FROM_MODEL)
                           for r in result["rows"]], " | ")
    spelling = interleave([(r["spelling"], result_label(r)) for r in result["rows"]], " ")
    return TextView(phonemes, spelling, [word_row(r, name) for r in result["rows"]], number_rows(result, name),
                    notes_markdown(result, notices, name), result)
