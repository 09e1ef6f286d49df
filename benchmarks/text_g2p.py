"""Text regeneration, measured: spelling Y -> ARPAbet phonemes Y' -> spelling Y on held-out CMUdict words.

    python benchmarks/text_g2p.py            # about 5-10 minutes on a 2-core CPU (beam search dominates)

Prints and writes benchmarks/results/text_g2p.md and .csv:
  * G2P (Y -> Y'): the learned fallback alone on held-out words (PER, WER), and dictionary + fallback on
    a mixed list (half dictionary words, half held-out), against the dictionary alone;
  * P2G (Y' -> Y): letter and word error rates on held-out words, from the dictionary's phonemes
    (oracle Y') and from the learned G2P's phonemes (predicted Y'), greedy and beam search; and the
    dictionary's spellings ranked by P2G (the renderer of the `g2p` extractor), on held-out and mixed;
  * homophones, the one-to-many problem: how often P2G's spelling is a *different* real spelling of the
    same sound (wrong by WER, right as regeneration), and how often the 5-best list holds the word.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from regen_lite.checkpoints import load_checkpoint, weights_dir  # noqa: E402
from regen_lite.text.extractors import P2GRenderer
from regen_lite.text.lexicon import homophone_groups, load_lexicon, spellings_of, split_of, word_list
from regen_lite.text.metrics import g2p_scores, homophone_analysis, p2g_scores
from regen_lite.text.recipes import evaluate_mixed, mixed_word_list  # noqa: E402
from regen_lite.text.seq2seq import (
    Seq2Seq,
    translate,  # noqa: E402
)
from report import write_results  # noqa: E402

ORACLE = "oracle Y' (dictionary)"
PREDICTED = "predicted Y' (learned G2P, beam 4)"
EXAMPLES = [["R", "AY", "T"], ["N", "OW"], ["T", "UW"], ["S", "IY"], ["F", "L", "AW", "ER"], ["DH", "EH", "R"],
            ["B", "EH", "R"], ["N", "AY", "T"], ["W", "UH", "D"], ["P", "IY", "S"]]


def timed(fn, *a, **kw):
    t0 = time.perf_counter()
    out = fn(*a, **kw)
    return out, time.perf_counter() - t0


def main() -> None:
    torch.set_num_threads(min(2, torch.get_num_threads()))
    load_start = os.getloadavg()[0]
    g2p, g2p_info = load_checkpoint(weights_dir() / "g2p", Seq2Seq)
    p2g, p2g_info = load_checkpoint(weights_dir() / "p2g", Seq2Seq)
    lex = load_lexicon()
    held = list(word_list("test"))
    oracle = [list(lex[w][0]) for w in held]                   # the dictionary's main pronunciation
    rows = []

    def row(task, model, decoding, words, n, seconds, **m):
        rows.append({"task": task, "model": model, "decoding": decoding, "words": words, "n": n,
                     **{k: round(v, 4) for k, v in m.items()}, "ms/word": round(1000 * seconds / max(1, n), 2)})
        print(rows[-1], flush=True)

    # ---- G2P: Y -> Y'
    predicted = {}
    for beam in (1, 4):
        hyp, s = timed(translate, g2p, [list(w) for w in held], beam=beam)
        predicted[beam] = hyp
        sc = g2p_scores(hyp, held)
        row("G2P", "learned fallback alone", "greedy" if beam == 1 else f"beam {beam}", "held-out", len(held), s,
            per=sc["per"], wer=sc["wer"])
    mixed = mixed_word_list()
    for beam in (1, 4):
        m, s = timed(evaluate_mixed, g2p, mixed, beam=beam)
        if beam == 1:
            row("G2P", "dictionary alone (train words)", "lookup", "mixed", len(mixed), 0.0,
                per=m["dictionary_only_per"], wer=m["dictionary_only_wer"])
        row("G2P", "dictionary (train words) + fallback", "greedy" if beam == 1 else f"beam {beam}", "mixed",
            len(mixed), s, per=m["per"], wer=m["wer"])

    # ---- P2G: Y' -> Y, from oracle and from predicted phonemes
    homophones = {}
    for source, phones in ((ORACLE, oracle), (PREDICTED, predicted[4])):
        for beam in (1, 4):
            sp, s = timed(translate, p2g, phones, beam=beam)
            spellings = ["".join(x) for x in sp]
            sc = p2g_scores(spellings, held)
            h = homophone_analysis(spellings, held, oracle)    # valid = a real spelling of the word's sound
            row("P2G", f"P2G alone, {source}", "greedy" if beam == 1 else f"beam {beam}", "held-out", len(held), s,
                ler=sc["ler"], wer=sc["wer"], homophone=h["homophone"], valid=h["valid"])
            homophones[(source, beam)] = h
    nb, s = timed(P2GRenderer(p2g).nbest, oracle, 5)
    in5 = sum(w in {x for x, _ in r} for w, r in zip(held, nb)) / len(held)
    row("P2G", f"P2G alone, {ORACLE}", "beam 5: word among the 5 best", "held-out", len(held), s, wer=1 - in5)
    # the mirror of G2P's dictionary + fallback: the dictionary's spellings of a sound, ranked by P2G
    for words_name, words in (("held-out", held), ("mixed", mixed)):
        phones = [list(lex[w][0]) for w in words]
        for lexicon in ([None, "train"] if words_name == "mixed" else ["train"]):
            out, s = timed(P2GRenderer(p2g, beam=4, lexicon=lexicon).spell, phones)
            spellings = [o["spelling"] for o in out]
            sc, h = p2g_scores(spellings, words), homophone_analysis(spellings, words, phones)
            name = "dictionary (train words) + P2G" if lexicon else "P2G alone"
            row("P2G", f"{name}, {ORACLE}", "beam 4", words_name, len(words), s,
                ler=sc["ler"], wer=sc["wer"], homophone=h["homophone"], valid=h["valid"])

    # ---- homophones in the dictionary
    groups = homophone_groups()
    letters_only = [w for w in lex if w.isalpha()]
    with_homophone = sum(any(p in groups for p in lex[w]) for w in letters_only) / len(letters_only)
    amb = homophones[(ORACLE, 4)]["ambiguous"]
    examples = P2GRenderer(p2g).nbest(EXAMPLES, 5)

    # ---- write
    keys = ["task", "model", "decoding", "words", "n", "per", "wer", "ler", "homophone", "valid", "ms/word"]

    def pct(v):
        return "" if v == "" else f"{100 * v:.1f}%"

    lines = [
        "# Text regeneration: spelling -> ARPAbet phonemes -> spelling",
        "",
        f"CMUdict (`cmudict` package, stress dropped, 39 phonemes), held-out = the {len(held):,} words whose SHA-1 "
        f"bucket is 95-99 (never seen in training); mixed = those + {len(mixed) - len(held):,} training words. "
        f"Models: `g2p` ({g2p_info['params']:,} parameters, {g2p_info['steps']} steps, {g2p_info['cpu_seconds']} CPU-s) "
        f"and `p2g` ({p2g_info['params']:,} parameters, {p2g_info['steps']} steps, {p2g_info['cpu_seconds']} CPU-s). "
        f"torch {torch.__version__}, {torch.get_num_threads()} thread(s), CPU; load average {load_start:.1f} at the start "
        f"and {os.getloadavg()[0]:.1f} at the end (a 2-core machine shared with other jobs inflates ms/word). PER/LER = edit distance / reference "
        "length; WER = fraction of words not exactly right; homophone = P2G wrote a *different* dictionary word "
        "with the same pronunciation; valid = exact + homophone.",
        "",
        "| task | model | decoding | words | n | PER | WER | LER | homophone | valid | ms/word |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append("| " + " | ".join(str(r.get(k, "")) if k in ("task", "model", "decoding", "words", "n", "ms/word")
                                        else pct(r.get(k, "")) for k in keys) + " |")
    lines += [
        "",
        "## Homophones: the one-to-many problem",
        "",
        f"{len(groups):,} pronunciations are shared by two or more letters-only words, and {pct(with_homophone)} of "
        f"the dictionary's letters-only words have at least one homophone (many are names: 'L AO R IY' is spelled 14 ways). {pct(amb)} of the held-out "
        "words sound like at least one other dictionary word, so no P2G can spell all of them from sound alone. "
        f"With beam search on oracle phonemes, P2G's spelling is another real spelling of the same sound for "
        f"{pct(homophones[(ORACLE, 4)]['homophone'])} of held-out words "
        "(counted wrong by WER, right as regeneration).",
        "",
        "| phonemes | dictionary spellings | P2G 5-best (probability) |",
        "|---|---|---|",
    ]
    for ph, nbest_row in zip(EXAMPLES, examples):
        lines.append(f"| {' '.join(ph)} | {', '.join(spellings_of(ph))} | "
                     + ", ".join(f"{s} ({p:.2f})" for s, p in nbest_row) + " |")
    seen = sorted({w for ph in EXAMPLES for w in spellings_of(ph) if split_of(w) == "train"})
    lines += ["", f"P2G saw {len(seen)} of these spellings in training ({', '.join(seen)}): the 5-best lists show "
              "how it shares probability among spellings of one sound, knowing nothing of how common each word is."]
    write_results("text_g2p", "\n".join(lines), [{k: r.get(k, "") for k in keys} for r in rows], keys)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
