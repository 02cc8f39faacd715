"""Tokenized captions as integer arrays, and their n-gram counts (shared by BLEU/CIDEr/ROUGE).

One call tokenizes every prediction and reference once, maps tokens to integer ids and
keeps them in flat arrays, so BLEU, CIDEr-D and ROUGE-L are computed with numpy instead of
per-caption Python dictionaries. Tokens are what pycocoevalcap's scorers see: the
tokenizer's output string split by ``str.split()`` (BLEU, CIDEr) or ``split(" ")`` (ROUGE).

>>> caps = tokenize_captions(["a dog ."], [["A dog runs.", "a cat"]], tokenizer="ptb")
>>> caps.strings
['a dog', 'a dog runs', 'a cat']
>>> caps.n_refs.tolist()
[2]
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from itertools import chain, count
from operator import itemgetter
from typing import NamedTuple

import numpy as np

MAX_N = 4


class CaptionInputError(ValueError):
    """Bad caption input (no references, a non-string caption); names the sample."""


@dataclass(frozen=True)
class Captions:
    """``n`` samples: captions ``0..n-1`` are predictions, then every sample's references.

    ``tokens[offsets[c]:offsets[c + 1]]`` are the token ids of caption ``c``;
    the references of sample ``s`` are captions ``n + ref_start[s] .. n + ref_start[s+1]-1``.
    """

    strings: list[str]  # [C] tokenizer output, one per caption
    vocab: list[str]  # token id -> token
    tokens: np.ndarray  # int64 [T]
    offsets: np.ndarray  # int64 [C + 1]
    ref_start: np.ndarray  # int64 [n + 1]

    @property
    def n(self) -> int:
        return len(self.ref_start) - 1

    @property
    def n_refs(self) -> np.ndarray:  # int64 [n]
        return np.diff(self.ref_start)

    @property
    def lengths(self) -> np.ndarray:  # int64 [C]
        return np.diff(self.offsets)

    @cached_property
    def ngrams(self) -> tuple[NgramCounts, ...]:
        """1..4-gram counts of every caption, computed once and shared by BLEU and CIDEr-D."""
        return ngram_counts(self)

    def ref_sample(self) -> np.ndarray:
        """int64 [R]: the sample of each reference."""
        return np.repeat(np.arange(self.n), self.n_refs)

    def select(self, index: Sequence[int] | np.ndarray) -> Captions:
        """The samples ``index`` (repeats allowed) as a new :class:`Captions`."""
        index = np.asarray(index, dtype=np.int64)
        refs = [np.arange(self.ref_start[s], self.ref_start[s + 1]) + self.n for s in index]
        order = np.concatenate([index, *refs]) if len(index) else index
        return _from_caption_ids(self, order, np.concatenate([[0], np.cumsum(self.n_refs[index])]))


def _from_caption_ids(src: Captions, order: np.ndarray, ref_start: np.ndarray) -> Captions:
    lengths = src.lengths[order]
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    # gather each caption's token run: position t belongs to caption j = searchsorted
    owner = np.repeat(np.arange(len(order)), lengths)
    pos = np.arange(offsets[-1]) - offsets[owner] + src.offsets[order][owner]
    return Captions(
        strings=[src.strings[c] for c in order],
        vocab=src.vocab,
        tokens=src.tokens[pos],
        offsets=offsets,
        ref_start=ref_start.astype(np.int64),
    )


def tokenize_captions(
    predictions: Sequence[str], references: Sequence[Sequence[str]], tokenizer: str = "ptb"
) -> Captions:
    """Tokenize with the normalizer preset ``tokenizer`` and index every caption."""
    from mmbench.normalize import get_normalizer

    if len(predictions) != len(references):
        raise CaptionInputError(
            f"{len(predictions)} predictions but {len(references)} reference lists"
        )
    norm = get_normalizer(tokenizer)
    listed = not any(issubclass(t, str) for t in set(map(type, references)))
    n_refs = np.fromiter(map(len, references), np.int64, len(references)) if listed else []
    if not set(map(type, predictions)) <= {str} or not (len(n_refs) and n_refs.min() > 0):
        for i, (pred, refs) in enumerate(zip(predictions, references, strict=True)):
            if not isinstance(pred, str):
                raise CaptionInputError(f"sample {i}: prediction is {type(pred).__name__}, not str")
            if isinstance(refs, str) or len(refs) == 0:
                raise CaptionInputError(f"sample {i}: needs a non-empty list of reference captions")
    raw = list(predictions)
    raw += chain.from_iterable(references)
    many = getattr(norm, "many", None)  # a batch form, if the preset has one
    if many is not None:  # two batches, as pycocoevalcap tokenizes results and references
        strings = [
            *_batch(tokenizer, tuple(raw[: len(predictions)])),
            *_batch(tokenizer, tuple(raw[len(predictions) :])),
        ]
    else:  # each distinct caption is normalized once
        distinct = list(dict.fromkeys(raw))
        normalized = dict(zip(distinct, map(norm, distinct), strict=True))
        strings = list(map(normalized.__getitem__, raw))
    return _indexed(strings, n_refs)


def _indexed(strings: list[str], n_refs: Sequence[int] | np.ndarray) -> Captions:
    """:class:`Captions` of tokenizer output ``strings`` (predictions, then every sample's
    references) for samples with ``n_refs`` [n] references each."""
    tokens, lengths, vocab = _token_ids(strings)
    return Captions(
        strings=strings,
        vocab=vocab,
        tokens=tokens,
        offsets=np.concatenate([[0], np.cumsum(lengths)]),
        ref_start=np.concatenate([[0], np.cumsum(n_refs, dtype=np.int64)]),
    )


def tokenized_captions(tokenized: Sequence[tuple[str, Sequence[str]]]) -> Captions:
    """:class:`Captions` of samples already tokenized: (prediction, references) pairs of
    tokenizer output strings, as :func:`caption_tokens` gives them (no tokenizer runs).

    >>> caps = tokenize_captions(["A dog."], [["A dog runs.", "a cat"]])
    >>> caption_tokens(caps)
    [('a dog', ['a dog runs', 'a cat'])]
    >>> again = tokenized_captions(caption_tokens(caps))
    >>> again.strings == caps.strings and again.tokens.tolist() == caps.tokens.tolist()
    True
    """
    strings = [pred for pred, _ in tokenized]
    strings += chain.from_iterable(refs for _, refs in tokenized)
    n_refs = np.fromiter((len(refs) for _, refs in tokenized), np.int64, len(tokenized))
    if n_refs.size and n_refs.min() == 0:
        raise CaptionInputError("every sample needs a non-empty list of reference captions")
    return _indexed(strings, n_refs)


def caption_tokens(caps: Captions) -> list[tuple[str, list[str]]]:
    """Each sample's (prediction, references) as tokenizer output strings."""
    refs = caps.strings[caps.n :]
    return [
        (caps.strings[s], refs[caps.ref_start[s] : caps.ref_start[s + 1]]) for s in range(caps.n)
    ]


@lru_cache(maxsize=8)
def _batch(tokenizer: str, texts: tuple[str, ...]) -> tuple[str, ...]:
    """The batch form of preset ``tokenizer`` on ``texts``, remembered: models scored on the
    same samples share their references, which a leaderboard tokenizes once per task."""
    from mmbench.normalize import get_normalizer

    return tuple(get_normalizer(tokenizer).many(list(texts)))


def _token_ids(strings: list[str]) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(token ids [T], tokens per string [C], vocab) of the ``str.split()`` tokens.

    One split of all strings joined with a marker token between them (C loops only).
    """
    text = f" {_MARK} ".join(strings)
    vocab: defaultdict[str, int] = defaultdict(count().__next__)  # id by first occurrence
    if not strings or text.count(_MARK) != len(strings) - 1:  # a string holds the marker
        flat = " ".join(strings).split()
        lengths = np.fromiter(map(len, map(str.split, strings)), np.int64, len(strings))
        return np.fromiter(map(vocab.__getitem__, flat), np.int64, len(flat)), lengths, list(vocab)
    vocab[_MARK]  # id 0: the marker between strings
    flat = text.split()
    del text
    ids = np.fromiter(map(vocab.__getitem__, flat), np.int64, len(flat))
    marks = np.flatnonzero(ids == 0)  # [C - 1]
    lengths = np.diff(np.concatenate([[-1], marks, [len(ids)]])) - 1
    return ids[ids > 0] - 1, lengths, list(vocab)[1:]


_MARK = "\x01"  # not whitespace, so str.split() keeps it as a token


def merge(parts: Sequence[Captions]) -> Captions:
    """Concatenate batches (their samples in order) under one vocabulary."""
    if len(parts) == 1:
        return parts[0]
    vocab: dict[str, int] = {}
    hyp_tok, ref_tok, hyp_len, ref_len, hyp_str, ref_str, n_refs = [], [], [], [], [], [], []
    for p in parts:
        remap = np.asarray([vocab.setdefault(t, len(vocab)) for t in p.vocab], dtype=np.int64)
        split = p.offsets[p.n]
        hyp_tok.append(remap[p.tokens[:split]])
        ref_tok.append(remap[p.tokens[split:]])
        hyp_len.append(p.lengths[: p.n])
        ref_len.append(p.lengths[p.n :])
        hyp_str += p.strings[: p.n]
        ref_str += p.strings[p.n :]
        n_refs.append(p.n_refs)
    lengths = np.concatenate(hyp_len + ref_len)
    return Captions(
        strings=hyp_str + ref_str,
        vocab=list(vocab),
        tokens=np.concatenate(hyp_tok + ref_tok),
        offsets=np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64),
        ref_start=np.concatenate([[0], np.cumsum(np.concatenate(n_refs))]).astype(np.int64),
    )


def gather(stats: Sequence[CaptionRef]) -> Captions:
    """The samples referenced by ``stats`` (any batches, any order, repeats) as one batch."""
    batches = {id(b): b for b in map(itemgetter(0), stats)}
    merged = merge(list(batches.values()))
    base, start = {}, 0
    for key, b in batches.items():
        base[key] = start
        start += b.n
    if len(batches) == 1:
        index = np.fromiter(map(itemgetter(1), stats), np.int64, len(stats))
    else:
        index = np.fromiter((base[id(b)] + i for b, i in stats), np.int64, len(stats))
    if len(batches) == 1 and len(index) == merged.n and np.array_equal(index, np.arange(merged.n)):
        return merged
    return merged.select(index)


class CaptionRef(NamedTuple):
    """Per-sample statistic of CIDEr-D: sample ``index`` of a tokenized batch.

    The tokens of a sample's prediction and references are its sufficient statistics:
    scoring gathers the chosen samples and recomputes document frequencies over them.
    """

    batch: Captions
    index: int


@dataclass(frozen=True)
class NgramCounts:
    """Distinct n-grams of one order in every caption, with their counts (BLEU, CIDEr-D).

    Entries are (n-gram, caption) pairs, of predictions and references alike; each carries
    its count and the count of its n-gram in the sample's prediction (0 in the prediction's
    own entries). Prediction entries are also listed with their count clipped to the
    largest count of their n-gram in one of the sample's references (BLEU). ``inc_*`` lists
    each (sample, n-gram in its references) once. N-gram ids are dense in the order.
    """

    n_grams: int  # number of distinct n-grams
    caption: np.ndarray  # int32 [E] caption of each entry (predictions 0..n-1, then refs)
    gram: np.ndarray  # int32 [E] n-gram id
    count: np.ndarray  # int32 [E] occurrences in the caption
    hyp_count: np.ndarray  # int32 [E] occurrences in the sample's prediction (0 in its own)
    hyp_sample: np.ndarray  # int32 [Eh] sample (= caption) of each prediction entry
    hyp_clipped: np.ndarray  # int32 [Eh] occurrences, clipped to the max in one reference
    inc_sample: np.ndarray  # int32 [I] (sample, n-gram) pairs: the n-gram occurs in
    inc_gram: np.ndarray  # int32 [I]   one of the sample's references


def ngram_counts(caps: Captions, n: int = MAX_N) -> tuple[NgramCounts, ...]:
    """Count the 1..n-grams of every caption (one :class:`NgramCounts` per order).

    One integer sort per order. Captions are laid out sample by sample (prediction, then
    references); sorting the positions of each order by n-gram id (ties by position)
    groups equal n-grams, and within a group leaves positions in sample, caption order,
    so counts and per-sample maxima are runs. A (k+1)-gram's key is the k-gram's dense id
    times the vocabulary size plus its last token, so keys stay small.
    """
    i32 = np.int32
    n_samples, n_caps, vocab_size = caps.n, len(caps.offsets) - 1, len(caps.vocab)
    ref_sample = caps.ref_sample()  # [R]
    # rank[c]: place of caption c in sample-major order (prediction s, then its references)
    rank = np.concatenate(
        [caps.ref_start[:-1] + np.arange(n_samples), ref_sample + 1 + np.arange(len(ref_sample))]
    )
    layout = np.empty(n_caps, dtype=np.int64)  # [C] caption at each sample-major place
    layout[rank] = np.arange(n_caps)
    sample_of = np.concatenate([np.arange(n_samples), ref_sample])[layout].astype(i32)  # [C]
    layout32 = layout.astype(i32)
    is_hyp = layout < n_samples  # [C] sample-major
    lengths = np.diff(caps.offsets)[layout]
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    owner = np.repeat(np.arange(n_caps, dtype=i32), lengths)  # [T] sample-major caption
    pos = np.arange(offsets[-1], dtype=i32)
    shift = np.repeat(caps.offsets[layout] - offsets[:-1], lengths)  # [T] to the source place
    tokens = caps.tokens[pos + shift].astype(i32)  # [T]
    left = (np.repeat(offsets[1:], lengths) - pos).astype(i32)  # [T] tokens to the caption's end
    bits = max(len(tokens), 1).bit_length()  # a position fits in ``bits`` bits
    starts_here = pos  # positions where a (k+1)-gram starts, ascending
    at = starts_here  # the same, in n-gram order once sorted
    keys = tokens.astype(np.int64)  # their (k+1)-gram's key
    bound = vocab_size  # keys < bound
    gram_at = np.empty(len(tokens), dtype=i32)  # [T] dense id of the k-gram at a position
    out = []
    for k in range(n):
        # equal n-grams together, positions ascending (one value sort when both fit)
        if bound < 1 << (62 - bits):
            packed = np.sort((keys << bits) | at)
            keys, at = packed >> bits, (packed & ((1 << bits) - 1)).astype(i32)
            del packed
        else:
            keys, at = stable_sort(keys, at)
            at = at.astype(i32)
        cap = owner[at]  # [M] caption of each position
        size = len(keys)
        new_gram = np.ones(size, dtype=bool)
        np.not_equal(keys[1:], keys[:-1], out=new_gram[1:])
        gram = np.cumsum(new_gram, dtype=i32) - 1  # [M] dense id within order k
        n_grams = int(gram[-1]) + 1 if size else 0
        new_entry = new_gram.copy()
        new_entry[1:] |= cap[1:] != cap[:-1]
        first = np.flatnonzero(new_entry)  # [E] entries: (n-gram, caption)
        count = np.empty(len(first), dtype=i32)  # [E] occurrences of each entry
        np.subtract(first[1:], first[:-1], out=count[:-1], casting="unsafe")
        count[-1:] = size - first[-1:]
        e_cap, e_gram = cap[first], gram[first]
        e_sample, e_hyp = sample_of[e_cap], is_hyp[e_cap]
        new_pair = new_gram[first]  # [E] pairs: (n-gram, sample); a prediction comes first
        new_pair[1:] |= e_sample[1:] != e_sample[:-1]
        starts = np.flatnonzero(new_pair)  # [P]
        ends = np.append(starts[1:], len(first))  # [P]
        hyp_first = e_hyp[starts]  # [P] the pair's first entry is a prediction
        h, h_end = starts[hyp_first], ends[hyp_first]  # prediction entries and their pair's end
        # clipped to the largest count among the references' entries h+1 .. h_end-1: 0 where
        # there are none; a count of 1 stays 1 (a reference has it); others look (reduceat)
        clipped = (h_end > h + 1).astype(i32)
        many = np.flatnonzero(clipped & (count[h] > 1))
        if len(many):
            hm = h[many]
            bounds = np.column_stack([hm + 1, h_end[many]]).ravel()  # [2 * len(many)]
            padded = np.append(count, 0) if bounds[-1] == len(count) else count  # valid indices
            ref_max = np.maximum.reduceat(padded, bounds)
            clipped[many] = np.minimum(count[hm], ref_max[::2])
        hyp_count = np.repeat(np.where(hyp_first, count[starts], 0), ends - starts)
        hyp_count[h] = 0  # [E] a prediction's own entries
        with_ref = starts[(ends - starts > 1) | ~hyp_first]
        out.append(
            NgramCounts(
                n_grams=n_grams,
                caption=layout32[e_cap],
                gram=e_gram,
                count=count,
                hyp_count=hyp_count,
                hyp_sample=e_sample[h],
                hyp_clipped=clipped,
                inc_sample=e_sample[with_ref],
                inc_gram=e_gram[with_ref],
            )
        )
        if k + 1 < n:  # the (k+2)-grams: this n-gram's id, then the next token
            gram_at[at] = gram
            at = starts_here = starts_here[left[starts_here] > k + 1]
            keys = gram_at[at].astype(np.int64) * vocab_size + tokens[at + (k + 1)]
            bound = n_grams * vocab_size
    return tuple(out)


def stable_sort(
    keys: np.ndarray, payload: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(``keys`` sorted, ``payload`` in that order): ordered by key, then payload.

    ``keys`` and ``payload`` are non-negative int64; ``payload`` defaults to
    ``arange(len(keys))`` (then the second result is the stable argsort). Packs
    ``key << b | payload`` into one int64 and sorts values (SIMD; several times faster
    than ``argsort(kind="stable")``) when they fit, else falls back to ``lexsort``.
    """
    size = len(keys)
    if payload is None:
        payload = np.arange(size)
    bits = max(int(payload.max()) if size else 0, 1).bit_length()
    if size and int(keys.max()) < (1 << (62 - bits)):
        packed = np.sort((keys << bits) | payload)
        return packed >> bits, packed & ((1 << bits) - 1)
    order = np.lexsort((payload, keys))
    return keys[order], payload[order]


def resample_weights(idx: np.ndarray, n: int) -> np.ndarray:
    """float64 [B, n]: how often each sample is drawn in each resample ``idx`` [B, n]."""
    b = idx.shape[0]
    flat = (idx + (np.arange(b) * n)[:, None]).ravel()
    return np.bincount(flat, minlength=b * n).reshape(b, n).astype(np.float64)


def resample_means(values: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """float64 [B]: mean of ``values`` [n] over each resample ``idx`` [B, n]."""
    return values[idx].mean(axis=1)
