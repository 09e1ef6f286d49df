"""Seq2Seq: a tiny transformer encoder-decoder over symbol sequences (Vaswani et al. 2017, shrunk).

One architecture serves both directions of the text modality:

    G2P  letters  ("c", "a", "t")  -> phonemes ("K", "AE", "T")     the extractor's learned fallback
    P2G  phonemes ("K", "AE", "T") -> letters  ("c", "a", "t")      the renderer Y' -> Y

Sequences are padded LongTensors of symbol ids, PAD = 0; targets are framed as <s> y_1 .. y_n </s>.
The encoder reads the whole source with self-attention; the decoder predicts y_{t+1} from y_{<=t}
(causal self-attention) and the source (cross-attention), trained with teacher forcing:

    loss = - sum_t log p(y_{t+1} | y_{<=t}, x)       (cross-entropy, label smoothing, PADs ignored)

Decoding (functions below the model): greedy, and beam search, which also gives an n-best list,
the natural output of a one-to-many problem (R AY T -> write, right, rite, ...).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..nn.attention import Attention, mlp

PAD, BOS, EOS = 0, 1, 2
SPECIALS = ("<pad>", "<s>", "</s>")


@dataclass
class Seq2SeqConfig:
    src_symbols: tuple[str, ...] = tuple("abcdefghijklmnopqrstuvwxyz")  # source alphabet (ids 3..)
    tgt_symbols: tuple[str, ...] = ("AA", "AE")   # target alphabet (ids 3..); set by the recipe
    max_len: int = 32         # longest source or target sequence, without <s> and </s>
    d: int = 128              # model width
    n_head: int = 4
    n_enc: int = 2            # encoder blocks
    n_dec: int = 2            # decoder blocks
    dropout: float = 0.1
    label_smoothing: float = 0.1


def attention(cfg: Seq2SeqConfig) -> Attention:
    """Separate W_q and W_kv (fused=False) in self- and cross-attention alike: the G2P/P2G checkpoints'
    parameters are attn.q, attn.kv and attn.proj."""
    return Attention(cfg.d, cfg.n_head, cfg.dropout, fused=False)


class EncoderBlock(nn.Module):
    """Pre-norm: x + self_attn(ln(x)), then x + mlp(ln(x)). Every symbol sees the whole word."""

    def __init__(self, cfg: Seq2SeqConfig):
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(cfg.d), nn.LayerNorm(cfg.d)
        self.attn, self.mlp = attention(cfg), mlp(cfg.d, cfg.dropout)

    def forward(self, x, key_ok):
        """x (B, Ls, d), key_ok (B, Ls) True at real symbols -> (B, Ls, d)."""
        x = x + self.attn(self.ln1(x), key_ok=key_ok)
        return x + self.mlp(self.ln2(x))


class DecoderBlock(nn.Module):
    """Pre-norm: causal self-attention, then cross-attention to the encoder's memory, then an MLP."""

    def __init__(self, cfg: Seq2SeqConfig):
        super().__init__()
        self.ln1, self.ln2, self.ln3 = nn.LayerNorm(cfg.d), nn.LayerNorm(cfg.d), nn.LayerNorm(cfg.d)
        self.self_attn, self.cross_attn, self.mlp = attention(cfg), attention(cfg), mlp(cfg.d, cfg.dropout)

    def forward(self, y, memory, src_ok):
        """y (B, Lt, d), memory (B, Ls, d), src_ok (B, Ls) -> (B, Lt, d)."""
        y = y + self.self_attn(self.ln1(y), causal=True)
        y = y + self.cross_attn(self.ln2(y), memory, key_ok=src_ok)
        return y + self.mlp(self.ln3(y))


class Seq2Seq(nn.Module):
    Config = Seq2SeqConfig

    def __init__(self, cfg: Seq2SeqConfig = Seq2SeqConfig()):
        super().__init__()
        self.cfg = cfg
        self.src_vocab = SPECIALS + tuple(cfg.src_symbols)
        self.tgt_vocab = SPECIALS + tuple(cfg.tgt_symbols)
        self.src_id = {s: i for i, s in enumerate(self.src_vocab)}
        self.tgt_id = {s: i for i, s in enumerate(self.tgt_vocab)}
        n_pos = cfg.max_len + 2                                   # room for <s> and </s>
        self.src_emb, self.tgt_emb = nn.Embedding(len(self.src_vocab), cfg.d), nn.Embedding(len(self.tgt_vocab), cfg.d)
        self.src_pos, self.tgt_pos = nn.Parameter(torch.zeros(1, n_pos, cfg.d)), nn.Parameter(torch.zeros(1, n_pos, cfg.d))
        nn.init.normal_(self.src_pos, std=0.02)
        nn.init.normal_(self.tgt_pos, std=0.02)
        self.drop = nn.Dropout(cfg.dropout)
        self.encoder = nn.ModuleList([EncoderBlock(cfg) for _ in range(cfg.n_enc)])
        self.decoder = nn.ModuleList([DecoderBlock(cfg) for _ in range(cfg.n_dec)])
        self.ln_enc, self.ln_dec = nn.LayerNorm(cfg.d), nn.LayerNorm(cfg.d)
        self.head = nn.Linear(cfg.d, len(self.tgt_vocab))

    # ----- symbols <-> ids -----------------------------------------------------------------

    def encode_src(self, seqs: Sequence[Sequence[str]]) -> torch.Tensor:
        """[["c", "a", "t"], ...] -> (B, L) ids, PAD-filled. Unknown symbols raise a ValueError."""
        return pad_ids([[self._id(self.src_id, s, "source") for s in seq] for seq in seqs], self.cfg.max_len)

    def encode_tgt(self, seqs: Sequence[Sequence[str]]) -> torch.Tensor:
        """Targets framed as <s> y_1 .. y_n </s>, (B, L + 2) ids, PAD-filled."""
        return pad_ids([[BOS] + [self._id(self.tgt_id, s, "target") for s in seq] + [EOS] for seq in seqs],
                       self.cfg.max_len + 2)

    def decode_tgt(self, ids: torch.Tensor) -> list[list[str]]:
        """(B, L) ids -> symbol lists, read up to the first </s> (specials dropped)."""
        out = []
        for row in ids.tolist():
            seq = []
            for i in row:
                if i == EOS:
                    break
                if i >= len(SPECIALS):
                    seq.append(self.tgt_vocab[i])
            out.append(seq)
        return out

    def _id(self, table, s, side):
        if s not in table:
            known = " ".join(k for k in table if k not in SPECIALS)
            raise ValueError(f"{s!r} is not a {side} symbol of this model; it knows: {known}")
        return table[s]

    # ----- the network ---------------------------------------------------------------------

    def encode(self, src: torch.Tensor):
        """src (B, Ls) -> memory (B, Ls, d), src_ok (B, Ls)."""
        src_ok = src != PAD
        x = self.drop(self.src_emb(src) + self.src_pos[:, : src.shape[1]])
        for blk in self.encoder:
            x = blk(x, src_ok)
        return self.ln_enc(x), src_ok

    def decode(self, tgt_in: torch.Tensor, memory: torch.Tensor, src_ok: torch.Tensor) -> torch.Tensor:
        """tgt_in (B, Lt) = <s> y_1 .. y_{t} -> logits (B, Lt, V): row t is p(y_{t+1} | y_{<=t}, x)."""
        y = self.drop(self.tgt_emb(tgt_in) + self.tgt_pos[:, : tgt_in.shape[1]])
        for blk in self.decoder:
            y = blk(y, memory, src_ok)
        return self.head(self.ln_dec(y))

    def log_probs(self, tgt_in: torch.Tensor, memory: torch.Tensor, src_ok: torch.Tensor) -> torch.Tensor:
        """log p(y_{t+1} | y_{<=t}, x) over the real outputs (symbols and </s>; <pad> and <s> are never
        predicted), (B, Lt, V): what the decoders search and sequence_log_prob sums."""
        never = torch.tensor([PAD, BOS], device=tgt_in.device)
        return self.decode(tgt_in, memory, src_ok).index_fill(-1, never, float("-inf")).log_softmax(-1)

    def forward(self, src: torch.Tensor, tgt: torch.Tensor):
        """Teacher forcing. src (B, Ls), tgt (B, Lt) framed by <s> .. </s>. Returns (logits, loss, stats)."""
        src = src[:, : int((src != PAD).sum(1).max())]              # drop all-PAD columns of this batch
        tgt = tgt[:, : int((tgt != PAD).sum(1).max())]
        memory, src_ok = self.encode(src)
        logits = self.decode(tgt[:, :-1], memory, src_ok)           # (B, Lt - 1, V)
        target = tgt[:, 1:]                                         # y_1 .. y_n </s>
        loss = F.cross_entropy(logits.transpose(1, 2), target, ignore_index=PAD,
                               label_smoothing=self.cfg.label_smoothing if self.training else 0.0)
        real = target != PAD
        with torch.no_grad():
            token_acc = ((logits.argmax(-1) == target) & real).sum() / real.sum()
            seq_acc = ((logits.argmax(-1) == target) | ~real).all(1).float().mean()
        return logits, loss, {"token_acc": token_acc.item(), "seq_acc": seq_acc.item()}


def pad_ids(rows: list[list[int]], max_len: int) -> torch.Tensor:
    """Right-pad id lists with PAD into a (B, L) LongTensor, L = the longest row."""
    if any(len(r) > max_len for r in rows):
        raise ValueError(f"a sequence is longer than {max_len} symbols, the longest this model reads")
    out = torch.full((len(rows), max(1, max(map(len, rows), default=1))), PAD, dtype=torch.long)
    for i, r in enumerate(rows):
        out[i, : len(r)] = torch.tensor(r, dtype=torch.long)
    return out


# ---------------------------------------------------------------------------------------
# Decoding: the sampler is separate from the network (it takes the model as an argument)
# ---------------------------------------------------------------------------------------

@torch.no_grad()
def greedy_decode(model: Seq2Seq, src: torch.Tensor, max_len: int | None = None) -> torch.Tensor:
    """y_{t+1} = argmax p(. | y_{<=t}, x) until every row has emitted </s>. Returns ids (B, L) without <s>.
    (No key/value cache: the decoder re-reads the prefix each step, which is cheap for ~10 symbols.)"""
    max_len = max_len or model.cfg.max_len + 1
    memory, src_ok = model.encode(src)
    ys = torch.full((src.shape[0], 1), BOS, dtype=torch.long, device=src.device)
    done = torch.zeros(src.shape[0], dtype=torch.bool, device=src.device)
    for _ in range(max_len):
        nxt = model.log_probs(ys, memory, src_ok)[:, -1].argmax(-1)
        nxt = torch.where(done, torch.full_like(nxt, PAD), nxt)     # finished rows only pad
        ys = torch.cat([ys, nxt[:, None]], dim=1)
        done |= nxt == EOS
        if done.all():
            break
    return ys[:, 1:]


@torch.no_grad()
def beam_search(model: Seq2Seq, src: torch.Tensor, k: int = 4, max_len: int | None = None):
    """Keep the k most probable prefixes per input. Returns ids (B, k, L) without <s> and their total
    log-probabilities (B, k), best first. Scores are plain sums of log p (no length penalty): G2P and
    P2G outputs are about as long as their inputs, so short outputs have no unfair advantage here."""
    max_len = max_len or model.cfg.max_len + 1
    B = src.shape[0]
    memory, src_ok = model.encode(src)
    memory, src_ok = memory.repeat_interleave(k, 0), src_ok.repeat_interleave(k, 0)   # (B*k, Ls, d)
    ys = torch.full((B * k, 1), BOS, dtype=torch.long, device=src.device)
    scores = torch.full((B, k), float("-inf"), device=src.device)
    scores[:, 0] = 0.0                     # all k beams start as the same <s>: keep only one alive
    done = torch.zeros(B * k, dtype=torch.bool, device=src.device)
    for _ in range(max_len):
        logp = model.log_probs(ys, memory, src_ok)[:, -1]                            # (B*k, V)
        V = logp.shape[-1]
        # a finished beam can only be extended by PAD, at no cost, so it keeps its score
        logp = torch.where(done[:, None], torch.full_like(logp, float("-inf")), logp)
        logp[:, PAD] = torch.where(done, 0.0, float("-inf"))
        cand = (scores.view(B * k, 1) + logp).view(B, k * V)                         # (B, k*V)
        scores, idx = cand.topk(k, dim=1)                                            # (B, k)
        parent = (torch.arange(B, device=src.device)[:, None] * k + idx // V).view(-1)
        tok = (idx % V).view(-1)
        ys = torch.cat([ys[parent], tok[:, None]], dim=1)
        done = done[parent] | (tok == EOS)
        if done.all():
            break
    return ys[:, 1:].view(B, k, -1), scores


@torch.no_grad()
def sequence_log_prob(model: Seq2Seq, srcs: Sequence[Sequence[str]], tgts: Sequence[Sequence[str]]) -> torch.Tensor:
    """log p(y | x) = sum_t log p(y_{t+1} | y_{<=t}, x) of given outputs (</s> included), by teacher
    forcing: how the model scores candidates it did not generate itself. Returns (N,)."""
    device = next(model.parameters()).device
    src, tgt = model.encode_src(srcs).to(device), model.encode_tgt(tgts).to(device)
    memory, src_ok = model.encode(src)
    logp = model.log_probs(tgt[:, :-1], memory, src_ok)                              # (N, Lt - 1, V)
    target = tgt[:, 1:]
    picked = logp.gather(2, target[..., None])[..., 0]                              # (N, Lt - 1)
    return torch.where(target != PAD, picked, 0.0).sum(1).cpu()                     # PAD after </s>: not scored


def translate(model: Seq2Seq, seqs: Sequence[Sequence[str]], beam: int = 1, batch_size: int = 512) -> list[list[str]]:
    """Symbol lists in, the best output symbol lists out (greedy when beam == 1), in batches.
    An empty input gives an empty output (attention over no symbols at all is undefined)."""
    device = next(model.parameters()).device
    todo = [s for s in seqs if len(s)]
    out = []
    for i in range(0, len(todo), batch_size):
        src = model.encode_src(todo[i:i + batch_size]).to(device)
        ids = greedy_decode(model, src) if beam <= 1 else beam_search(model, src, beam)[0][:, 0]
        out += model.decode_tgt(ids.cpu())
    found = iter(out)
    return [next(found) if len(s) else [] for s in seqs]


def nbest(model: Seq2Seq, seqs: Sequence[Sequence[str]], k: int = 5, batch_size: int = 256) -> list[list[tuple[list[str], float]]]:
    """The k best outputs of each input with their probabilities p(y | x), best first (none for an empty input)."""
    device = next(model.parameters()).device
    todo = [s for s in seqs if len(s)]
    out = []
    for i in range(0, len(todo), batch_size):
        ids, scores = beam_search(model, model.encode_src(todo[i:i + batch_size]).to(device), k)
        for row_ids, row_scores in zip(ids.cpu(), scores.exp().cpu().tolist()):
            out.append([(y, p) for y, p in zip(model.decode_tgt(row_ids), row_scores) if p > 0])
    found = iter(out)
    return [next(found) if len(s) else [] for s in seqs]
