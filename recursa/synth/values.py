"""The value scorer: which intermediate values of a bottom-up search look like parts of the answer.

When every example point has a demanded output (a programming-by-example file, or a spec of the form
``(= (f ...) e)``), each value the enumerator builds can be compared with the outputs it should lead to. A
*property signature* (Odena & Sutton, "Learning to represent programs with property signatures", 2020) of a
value vector ``v`` against the outputs ``o`` and the inputs ``x_k`` — how many points agree, whether ``o - v``
or ``o xor v`` is a constant or an input, how many bits agree, whether ``v``'s bits are a subset of ``o``'s —
is read by a small learned model (BUSTLE's idea: Odena et al., "BUSTLE: bottom-up program synthesis through
learning-guided exploration", 2021) that gives the probability that ``v`` is the value of a subterm of the
answer. A value it doubts is *delayed*: stored ``delay`` cost levels later than its size, so the terms built
from it come later (every value is still checked against the examples when it is made, and still stored, so
no behaviour is lost and exhaustion proofs still hold).

The model is a two-layer perceptron evaluated with numpy over a whole cost level at once (the features are
array operations over the level's values), trained by :mod:`recursa.synth.train_values` on generated problems
and shipped as ``recursa/models/synth/values.json``; :class:`ValueModel` reads it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from recursa.symbolic.terms import Sort

FEATURES = ("eq", "const", "res_sub_const", "res_alt_const", "res_sub_input", "res_alt_input", "agree",
            "subset", "superset", "low", "high", "closer", "distinct", "res_sub_distinct", "res_alt_distinct",
            "is_bv", "cost")
MIN_COST = 2  # values of cost 1 (leaves) are never delayed: there are few of them and every answer uses some
INT_CLIP = 1 << 52  # Int values beyond this are clipped for the signature (a heuristic, never a verdict)


def _popcount(a: np.ndarray) -> np.ndarray:
    if hasattr(np, "bitwise_count"):
        return np.bitwise_count(a).astype(np.float64)
    b = a.astype(np.uint64).view(np.uint8).reshape(a.shape + (8,))  # numpy < 2.0
    return np.unpackbits(b, axis=-1).sum(axis=-1).astype(np.float64)


def _distinct(a: np.ndarray) -> np.ndarray:
    """Number of distinct entries per row over the row length."""
    if a.shape[1] == 0:
        return np.zeros(a.shape[0])
    s = np.sort(a, axis=1)
    return ((s[:, 1:] != s[:, :-1]).sum(axis=1) + 1) / a.shape[1]


def _row_const(a: np.ndarray) -> np.ndarray:
    return (a == a[:, :1]).all(axis=1).astype(np.float64)


def _is_any_input(res: np.ndarray, xs: np.ndarray) -> np.ndarray:
    """Per row of ``res``: whether it equals one of the input rows ``xs``."""
    if xs.shape[0] == 0:
        return np.zeros(res.shape[0])
    return (res[:, None, :] == xs[None, :, :]).all(axis=2).any(axis=1).astype(np.float64)


class Signature:
    """Property signatures of value vectors against one problem's demanded outputs and inputs."""

    def __init__(self, outputs: Sequence[int], inputs: Sequence[Sequence[int]], sort: Sort) -> None:
        self.bv = bool(getattr(sort, "is_bv", False))
        self.width = int(getattr(sort, "width", 0) or 0)
        self.n = len(outputs)
        if self.bv:
            self.mask = np.uint64((1 << self.width) - 1) if self.width < 64 else np.uint64(0xFFFFFFFFFFFFFFFF)
            self.o = np.array(outputs, dtype=np.uint64)
            self.x = np.array(inputs, dtype=np.uint64).reshape(len(inputs), self.n)
            self.x_agree = (self.width - _popcount(self.x ^ self.o[None, :])).mean(axis=1).max(
                initial=0.0) / self.width
        else:
            self.o = self._ints([outputs])[0]
            self.x = self._ints(inputs).reshape(len(inputs), self.n)
            self.x_close = (np.log1p(np.abs(self.o[None, :] - self.x)).mean(axis=1).min(initial=1e9)
                            if len(inputs) else 0.0)

    @staticmethod
    def _ints(rows: Sequence[Sequence[int]]) -> np.ndarray:
        try:
            return np.array(rows, dtype=np.int64).clip(-INT_CLIP, INT_CLIP)
        except OverflowError:
            return np.array([[max(-INT_CLIP, min(INT_CLIP, int(v))) for v in r] for r in rows], dtype=np.int64)

    def features(self, values: Sequence[Sequence[int]], cost: int) -> np.ndarray:
        """``[len(values), len(FEATURES)]``: the signature of each value vector (all of the problem's sort)."""
        m = len(values)
        if self.bv:
            v = np.array(values, dtype=np.uint64).reshape(m, self.n)
            return self._bv(v, cost)
        return self._int(self._ints(values).reshape(m, self.n), cost)

    def _bv(self, v: np.ndarray, cost: int) -> np.ndarray:
        o, w, mask = self.o[None, :], float(self.width), self.mask
        sub = (o - v) & mask
        alt = o ^ v
        agree = (w - _popcount(alt)) / w
        top = np.uint64(self.width - 1)
        own = [
            agree.mean(axis=1),
            ((v & ~o & mask) == 0).mean(axis=1),
            ((o & ~v & mask) == 0).mean(axis=1),
            ((alt & np.uint64(1)) == 0).mean(axis=1),
            (((alt >> top) & np.uint64(1)) == 0).mean(axis=1),
            agree.mean(axis=1) - self.x_agree,
        ]
        return self._columns(v, sub, alt, alt, own, 1.0, cost)

    def _int(self, v: np.ndarray, cost: int) -> np.ndarray:
        o = self.o[None, :]
        sub = o - v
        vf, of = v.astype(np.float64), o.astype(np.float64)
        vc = vf - vf.mean(axis=1, keepdims=True)
        oc = of - of.mean(axis=1, keepdims=True)
        den = np.sqrt((vc * vc).sum(axis=1) * (oc * oc).sum(axis=1))
        corr = np.where(den > 0, (vc * oc).sum(axis=1) / np.where(den > 0, den, 1.0), 0.0)
        close = np.log1p(np.abs(sub.astype(np.float64))).mean(axis=1)
        own = [
            (np.sign(v) == np.sign(o)).mean(axis=1),
            (np.abs(v) <= np.abs(o)).mean(axis=1),
            corr,
            ((v % 2) == (o % 2)).mean(axis=1),
            (v <= o).mean(axis=1),
            (self.x_close - close) / 5.0,
        ]
        return self._columns(v, sub, o + v, -sub, own, 0.0, cost)

    def _columns(self, v: np.ndarray, sub: np.ndarray, alt: np.ndarray, alt_input: np.ndarray,
                 own: list[np.ndarray], is_bv: float, cost: int) -> np.ndarray:
        """The columns of :data:`FEATURES` in order: those both sorts share around the six of ``own``. ``sub``
        is ``o - v``, ``alt`` the other residual (xor for bit-vectors, ``o + v`` for Int) and ``alt_input`` the
        one compared with the inputs (xor, or ``v - o``)."""
        m = v.shape[0]
        cols = [(v == self.o[None, :]).mean(axis=1), _row_const(v), _row_const(sub), _row_const(alt),
                _is_any_input(sub, self.x), _is_any_input(alt_input, self.x), *own,
                _distinct(v), _distinct(sub), _distinct(alt), np.full(m, is_bv), np.full(m, cost / 10.0)]
        return np.stack([np.asarray(c, dtype=np.float64) for c in cols], axis=1)


@dataclass
class DelayRule:
    """``delay = min(cap, max(0, round(scale * (threshold - logit))))`` cost levels."""

    scale: float = 1.0
    threshold: float = 0.0
    cap: int = 3


class ValueModel:
    """The trained value scorer (weights of a two-layer perceptron over the signature) and its delay rule."""

    def __init__(self, weights: Mapping[str, Any], rule: DelayRule | None = None) -> None:
        self.w1 = np.array(weights["w1"], dtype=np.float64)  # [H, F]
        self.b1 = np.array(weights["b1"], dtype=np.float64)
        self.w2 = np.array(weights["w2"], dtype=np.float64)  # [H]
        self.b2 = float(weights["b2"])
        self.mean = np.array(weights["mean"], dtype=np.float64)
        self.std = np.array(weights["std"], dtype=np.float64)
        self.rule = rule or DelayRule(**weights.get("rule", {}))
        self.meta: dict[str, Any] = dict(weights.get("meta", {}))

    @classmethod
    def load(cls, path: str | Path) -> ValueModel:
        return cls(json.loads(Path(path).read_text()))

    def to_json(self) -> dict[str, Any]:
        return {"features": list(FEATURES), "w1": self.w1.tolist(), "b1": self.b1.tolist(),
                "w2": self.w2.tolist(), "b2": self.b2, "mean": self.mean.tolist(), "std": self.std.tolist(),
                "rule": {"scale": self.rule.scale, "threshold": self.rule.threshold, "cap": self.rule.cap},
                "meta": self.meta}

    def logits(self, feats: np.ndarray) -> np.ndarray:
        h = np.maximum(0.0, ((feats - self.mean) / self.std) @ self.w1.T + self.b1)
        return h @ self.w2 + self.b2

    def delays(self, feats: np.ndarray) -> list[int]:
        r = self.rule
        d = np.clip(np.rint(r.scale * (r.threshold - self.logits(feats))), 0, r.cap)
        return [int(x) for x in d]


class ValueScorer:
    """A :class:`ValueModel` bound to one round's examples: what the enumerator calls per cost level."""

    def __init__(self, model: ValueModel, signature: Signature, sorts: Mapping[str, Sort], sort: Sort) -> None:
        self.model = model
        self.signature = signature
        self.scored = frozenset(nt for nt, s in sorts.items() if s == sort)  # non-terminals of the output sort
        self.values = 0
        self.delayed = 0

    def delays(self, nt: str, values: Sequence[Sequence[int]], cost: int) -> list[int] | None:
        """The delay of each value of ``nt`` built at ``cost`` (None: this non-terminal is not scored)."""
        if nt not in self.scored or not values or cost < MIN_COST:
            return None
        out = self.model.delays(self.signature.features(values, cost))
        self.values += len(out)
        self.delayed += sum(1 for d in out if d)
        return out


def scorer_for(grammar: Any, examples: Any) -> ValueScorer | None:
    """The scorer for one CEGIS round (``grammar``: a CompiledGrammar with a ``value_model``, ``examples``: its
    Examples) when every input has a demanded output and the function returns an Int or a bit-vector."""
    model = getattr(grammar, "value_model", None)
    fn = grammar.function
    outs = examples.outputs()
    if model is None or outs is None or not _scalar(fn.sort) or any(isinstance(v, bool) for v in outs):
        return None
    inputs = examples.input_envs()
    cols = [[env[name] for env in inputs] for name, s in fn.params if s == fn.sort]
    return ValueScorer(model, Signature(outs, cols, fn.sort), grammar.sorts, fn.sort)


def _scalar(sort: Sort) -> bool:
    """Int, or a bit-vector that fits numpy's uint64 (wider ones are not scored)."""
    if getattr(sort, "is_bv", False):
        return 0 < int(getattr(sort, "width", 0) or 0) <= 64
    return getattr(sort, "name", "") == "Int"


__all__ = ["DelayRule", "FEATURES", "Signature", "ValueModel", "ValueScorer", "scorer_for"]
