"""Programs as transition systems over cut points, encoded in Z3.

The structured IR becomes a control-flow graph whose edges carry one action (assume, assign, havoc).
Loop heads and the entry are *cut points*: every cycle passes a loop head, so the code between cut points
is acyclic. For each cut point, a *segment* encodes all loop-free paths to the next cut points, to the
error location of each assertion, and to the exit, in single static assignment form: each location has a
reach condition and a state (variable → term), joins merge states with ``If``. The verification
conditions of an invariant map follow directly (:class:`Clause`):

    initiation   entry --path--> head H:          reach  ⟹  I_H(post)
    consecution  head G --path--> head H:   I_G(pre) ∧ reach  ⟹  I_H(post)
    safety       cut point --path--> error k:  I(pre) ∧ reach  ⟹  false

One Z3 context per thread: callers that work in threads pass ``ctx``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any

import z3

from recursa.symbolic.interp import INT_BITS
from recursa.symbolic.ir import (
    Assert,
    Assign,
    Assume,
    Binary,
    Break,
    Const,
    Continue,
    Expr,
    Function,
    Havoc,
    If,
    Ite,
    Loop,
    Return,
    Sort,
    Stmt,
    Unary,
    Var,
    drive,
    fold,
    postorder,
)

ENTRY = 0  # cut point id of the function entry; loop heads use their loop index (1, 2, ...)


# ---- control-flow graph -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Edge:
    src: int
    dst: int
    kind: str  # "skip" | "assume" | "assign" | "havoc"
    cond: Expr | None = None
    targets: tuple[str, ...] = ()
    values: tuple[Expr, ...] = ()
    havoc: Havoc | None = None


@dataclass
class CFG:
    """Locations 0..n-1; location 0 is the entry, ``exit`` the normal end, ``errors[k]`` assertion k's failure."""

    function: Function
    num_locs: int = 1
    edges: list[Edge] = field(default_factory=list)
    heads: dict[int, int] = field(default_factory=dict)  # loop index -> head location
    errors: dict[int, int] = field(default_factory=dict)  # assertion index -> error location
    exit: int = -1

    def new(self) -> int:
        self.num_locs += 1
        return self.num_locs - 1

    def add(self, src: int, dst: int, kind: str, **kw: Any) -> None:
        self.edges.append(Edge(src, dst, kind, **kw))

    def cutpoint_of(self) -> dict[int, int]:
        """Location -> cut point id, for the entry and every loop head."""
        out = {0: ENTRY}
        for idx, loc in self.heads.items():
            out[loc] = idx
        return out


def build_cfg(function: Function) -> CFG:
    """The control-flow graph of ``function`` (built with an explicit stack of generators)."""
    cfg = CFG(function)
    cfg.exit = cfg.new()

    def block(stmts: tuple[Stmt, ...], cur: int, brk: int, cont: int) -> Generator[Any, Any, int]:
        for s in stmts:
            cur = yield stmt(s, cur, brk, cont)
        return cur

    def stmt(s: Stmt, cur: int, brk: int, cont: int) -> Generator[Any, Any, int]:
        if isinstance(s, Assign):
            nxt = cfg.new()
            cfg.add(cur, nxt, "assign", targets=s.targets, values=s.values)
            return nxt
        if isinstance(s, Havoc):
            nxt = cfg.new()
            cfg.add(cur, nxt, "havoc", havoc=s)
            return nxt
        if isinstance(s, Assume):
            nxt = cfg.new()
            cfg.add(cur, nxt, "assume", cond=s.cond)
            return nxt
        if isinstance(s, Assert):
            ok, err = cfg.new(), cfg.new()
            cfg.errors[s.index] = err
            cfg.add(cur, ok, "assume", cond=s.cond)
            cfg.add(cur, err, "assume", cond=Unary("not", s.cond, Sort.BOOL))
            return ok
        if isinstance(s, If):
            t, e = cfg.new(), cfg.new()
            cfg.add(cur, t, "assume", cond=s.cond)
            cfg.add(cur, e, "assume", cond=Unary("not", s.cond, Sort.BOOL))
            t_end = yield block(s.then, t, brk, cont)
            e_end = yield block(s.orelse, e, brk, cont)
            join = cfg.new()
            cfg.add(t_end, join, "skip")
            cfg.add(e_end, join, "skip")
            return join
        if isinstance(s, Loop):
            head, body, out, cont_here = cfg.new(), cfg.new(), cfg.new(), cfg.new()
            cfg.heads[s.index] = head
            if s.do_while:
                cfg.add(cur, body, "skip")
            else:
                cfg.add(cur, head, "skip")
            test = yield block(s.prelude, head, brk, cont)
            cfg.add(test, body, "assume", cond=s.cond)
            cfg.add(test, out, "assume", cond=Unary("not", s.cond, Sort.BOOL))
            body_end = yield block(s.body, body, out, cont_here)
            cfg.add(body_end, cont_here, "skip")
            upd_end = yield block(s.update, cont_here, out, cont_here)
            cfg.add(upd_end, head, "skip")
            return out
        if isinstance(s, Break | Continue | Return):
            target = brk if isinstance(s, Break) else cont if isinstance(s, Continue) else cfg.exit
            cfg.add(cur, target, "skip")
            return cfg.new()  # unreachable continuation
        raise TypeError(f"unknown statement {s!r}")

    end = drive(block(function.body, 0, -1, -1))
    cfg.add(end, cfg.exit, "skip")
    return cfg


# ---- liveness -----------------------------------------------------------------------------------------


def live_at_heads(cfg: CFG) -> dict[int, list[str]]:
    """Variables live at each loop head (read on some path before being written), in declaration order."""
    succ: dict[int, list[Edge]] = {}
    pred: dict[int, list[Edge]] = {}
    for e in cfg.edges:
        succ.setdefault(e.src, []).append(e)
        pred.setdefault(e.dst, []).append(e)
    uses: dict[int, set[str]] = {}
    defs: dict[int, set[str]] = {}
    for i, e in enumerate(cfg.edges):
        u: set[str] = set()
        d: set[str] = set()
        if e.kind == "assume" and e.cond is not None:
            u = _vars(e.cond)
        elif e.kind == "assign":
            for v in e.values:
                u |= _vars(v)
            d = set(e.targets)
        elif e.kind == "havoc" and e.havoc is not None:
            d = {e.havoc.var}
        uses[i] = u
        defs[i] = d
    index = {id(e): i for i, e in enumerate(cfg.edges)}
    live: dict[int, set[str]] = {n: set() for n in range(cfg.num_locs)}
    work = deque(range(cfg.num_locs))
    queued = set(work)
    while work:
        n = work.popleft()
        queued.discard(n)
        new: set[str] = set()
        for e in succ.get(n, []):
            i = index[id(e)]
            new |= uses[i] | (live[e.dst] - defs[i])
        if new != live[n]:
            live[n] = new
            for e in pred.get(n, []):
                if e.src not in queued:
                    work.append(e.src)
                    queued.add(e.src)
    order = list(cfg.function.variables)
    return {idx: [v for v in order if v in live[loc]] for idx, loc in cfg.heads.items()}


def _vars(e: Expr) -> set[str]:
    return {n.name for n in postorder(e) if isinstance(n, Var)}


# ---- expressions → Z3 ---------------------------------------------------------------------------------


class Encoder:
    """Translates IR expressions to Z3 under one integer semantics (``math`` or ``machine``)."""

    def __init__(self, machine: bool = False, ctx: z3.Context | None = None) -> None:
        self.machine = machine
        self.ctx = ctx or z3.main_ctx()

    def const(self, name: str, sort: Sort) -> z3.ExprRef:
        if sort is Sort.BOOL:
            return z3.Bool(name, self.ctx)
        if self.machine:
            return z3.BitVec(name, INT_BITS, self.ctx)
        return z3.Int(name, self.ctx)

    def int_val(self, v: int) -> z3.ExprRef:
        if self.machine:
            return z3.BitVecVal(v, INT_BITS, self.ctx)
        return z3.IntVal(v, self.ctx)

    def bool_val(self, v: bool) -> z3.BoolRef:
        return z3.BoolVal(v, self.ctx)

    def value_of(self, term: z3.ExprRef, model: z3.ModelRef) -> int | bool:
        v = model.eval(term, model_completion=True)
        if z3.is_bool(v):
            return bool(z3.is_true(v))
        if self.machine:
            return int(v.as_signed_long())
        return int(v.as_long())

    def expr(self, e: Expr, state: dict[str, z3.ExprRef]) -> z3.ExprRef:
        ctx = self.ctx
        machine = self.machine

        def fn(node: Expr, k: list[z3.ExprRef]) -> z3.ExprRef:
            if isinstance(node, Const):
                return self.bool_val(bool(node.value)) if node.sort is Sort.BOOL else self.int_val(node.value)
            if isinstance(node, Var):
                return state[node.name]
            if isinstance(node, Unary):
                a = k[0]
                if node.op == "neg":
                    return -a
                if node.op == "bnot":
                    return ~a
                if node.op == "not":
                    return z3.Not(a, ctx)
                if node.op == "to_int":
                    return z3.If(a, self.int_val(1), self.int_val(0), ctx)
                if node.op == "to_bool":
                    return a != self.int_val(0)
                raise ValueError(node.op)
            if isinstance(node, Binary):
                a, b = k
                op = node.op
                if op == "add":
                    return a + b
                if op == "sub":
                    return a - b
                if op == "mul":
                    return a * b
                if op in ("cdiv", "cmod", "fdiv", "fmod"):
                    return self._division(op, a, node.right)
                if op == "lt":
                    return a < b
                if op == "le":
                    return a <= b
                if op == "gt":
                    return a > b
                if op == "ge":
                    return a >= b
                if op == "eq":
                    return a == b
                if op == "ne":
                    return a != b
                if op == "and":
                    return z3.And(a, b)
                if op == "or":
                    return z3.Or(a, b)
                if not machine:
                    raise ValueError(f"operator {op} needs machine integers")
                if op in _UNSIGNED_Z3:
                    return _UNSIGNED_Z3[op](a, b)
                if op == "mul_fits":
                    return z3.And(z3.BVMulNoOverflow(a, b, True), z3.BVMulNoUnderflow(a, b))
                if op == "band":
                    return a & b
                if op == "bor":
                    return a | b
                if op == "bxor":
                    return a ^ b
                if op == "shl":
                    return a << b
                if op == "shr":
                    return a >> b
                raise ValueError(op)
            if isinstance(node, Ite):
                return z3.If(k[0], k[1], k[2], ctx)
            raise TypeError(node)

        return fold(e, fn)

    def _division(self, op: str, a: z3.ExprRef, divisor: Expr) -> z3.ExprRef:
        assert isinstance(divisor, Const) and divisor.value != 0
        d = divisor.value
        if self.machine:
            b = self.int_val(d)
            if op == "cdiv":
                return a / b  # bvsdiv truncates like C
            if op == "cmod":
                return z3.SRem(a, b)
            if op == "fmod":
                return z3.SMod(a, b)
            q, r = a / b, z3.SRem(a, b)
            zero = self.int_val(0)
            adjust = z3.And(r != zero, (r < zero) != (b < zero))
            return z3.If(adjust, q - self.int_val(1), q, self.ctx)
        m = abs(d)
        mv = self.int_val(m)
        if op in ("fdiv", "fmod"):
            # floor(a / d) = (a div d) for d > 0 and ((-a) div -d) for d < 0 (SMT-LIB div floors for d > 0)
            q = a / mv if d > 0 else (-a) / mv
            return q if op == "fdiv" else a - self.int_val(d) * q
        trunc = z3.If(a >= 0, a / mv, -((-a) / mv), self.ctx)
        q = trunc if d > 0 else -trunc
        return q if op == "cdiv" else a - self.int_val(d) * q


#: The unsigned readings of machine integers, as Z3 builds them.
_UNSIGNED_Z3 = {"ult": z3.ULT, "ule": z3.ULE, "ugt": z3.UGT, "uge": z3.UGE, "udiv": z3.UDiv, "urem": z3.URem,
                "lshr": z3.LShR}


# ---- segments -----------------------------------------------------------------------------------------


@dataclass
class HavocEvent:
    """A havoc executed inside a segment: its order along any path, when it runs, and its value term."""

    order: int
    reach: z3.BoolRef
    term: z3.ExprRef
    havoc: Havoc


@dataclass
class Target:
    """Where a segment can end: ``kind`` is ``head`` (id = loop index), ``error`` (assertion index), ``exit``."""

    kind: str
    id: int
    reach: z3.BoolRef
    state: dict[str, z3.ExprRef]


@dataclass
class Segment:
    source: int  # cut point id (ENTRY or a loop index)
    targets: list[Target]
    havocs: list[HavocEvent]


@dataclass
class TransitionSystem:
    """A function's cut points, segments and pre-state variables, under one semantics."""

    function: Function
    cfg: CFG
    encoder: Encoder
    pre: dict[str, z3.ExprRef]
    segments: dict[int, Segment]
    live: dict[int, list[str]]

    @property
    def heads(self) -> list[int]:
        return sorted(self.cfg.heads)

    @property
    def assertions(self) -> list[int]:
        return sorted(self.cfg.errors)


def _merge(enc: Encoder, contribs: list[tuple[z3.BoolRef, dict[str, z3.ExprRef]]]
           ) -> tuple[z3.BoolRef, dict[str, z3.ExprRef]]:
    if len(contribs) == 1:
        return contribs[0]
    reach = z3.Or([c for c, _ in contribs])
    state: dict[str, z3.ExprRef] = {}
    for v, term in contribs[-1][1].items():
        merged = term
        same = True
        for _, st in contribs[:-1]:
            if not st[v].eq(term):
                same = False
                break
        if not same:
            for cond, st in reversed(contribs[:-1]):
                merged = st[v] if st[v].eq(merged) else z3.If(cond, st[v], merged, enc.ctx)
        state[v] = merged
    return reach, state


def encode_segment(cfg: CFG, enc: Encoder, source_loc: int, pre: dict[str, z3.ExprRef]) -> Segment:
    """All loop-free paths from the cut point at ``source_loc`` to the next cut points, errors and exit."""
    error_of = {loc: k for k, loc in cfg.errors.items()}
    cut = cfg.cutpoint_of()
    stop = set(cut) | set(error_of) | {cfg.exit}
    succ: dict[int, list[Edge]] = {}
    for e in cfg.edges:
        succ.setdefault(e.src, []).append(e)
    # region: locations reachable from source without entering a cut point
    region = {source_loc}
    stack = [source_loc]
    while stack:
        n = stack.pop()
        for e in succ.get(n, []):
            if e.dst in stop or e.dst in region:
                continue
            region.add(e.dst)
            stack.append(e.dst)
    indeg = {n: 0 for n in region}
    for n in region:
        for e in succ.get(n, []):
            if e.dst in region and e.dst not in stop:
                indeg[e.dst] += 1
    order: list[int] = []
    ready = deque([source_loc])
    while ready:
        n = ready.popleft()
        order.append(n)
        for e in succ.get(n, []):
            if e.dst in region and e.dst not in stop:
                indeg[e.dst] -= 1
                if indeg[e.dst] == 0:
                    ready.append(e.dst)
    incoming: dict[int, list[tuple[z3.BoolRef, dict[str, z3.ExprRef]]]] = {source_loc: [(enc.bool_val(True), pre)]}
    sinks: dict[int, list[tuple[z3.BoolRef, dict[str, z3.ExprRef]]]] = {}
    havocs: list[HavocEvent] = []
    source_id = cut[source_loc]
    for position, n in enumerate(order):
        contribs = incoming.pop(n, [])
        if not contribs:
            continue
        reach, state = _merge(enc, contribs)
        for e in succ.get(n, []):
            r, st = reach, state
            if e.kind == "assume":
                c = enc.expr(e.cond, state)
                if z3.is_false(c):
                    continue
                r = reach if z3.is_true(c) else (c if z3.is_true(reach) else z3.And(reach, c))
            elif e.kind == "assign":
                vals = [enc.expr(v, state) for v in e.values]
                st = dict(state)
                for t, v in zip(e.targets, vals):
                    st[t] = v
            elif e.kind == "havoc":
                h = e.havoc
                term = enc.const(f"{h.var}!{source_id}!{h.site}", h.sort)
                st = dict(state)
                st[h.var] = term
                havocs.append(HavocEvent(position, reach, term, h))
            dst = e.dst
            if dst in region and dst not in stop:
                incoming.setdefault(dst, []).append((r, st))
            else:
                sinks.setdefault(dst, []).append((r, st))
    targets: list[Target] = []
    for loc, contribs in sinks.items():
        reach, state = _merge(enc, contribs)
        if loc in cut:
            targets.append(Target("head", cut[loc], reach, state))
        elif loc in error_of:
            targets.append(Target("error", error_of[loc], reach, state))
        elif loc == cfg.exit:
            targets.append(Target("exit", 0, reach, state))
    targets.sort(key=lambda t: (t.kind, t.id))
    return Segment(source_id, targets, havocs)


def transition_system(function: Function, machine: bool = False, ctx: z3.Context | None = None
                      ) -> TransitionSystem:
    """Encode ``function`` (the IR) as a transition system over its cut points."""
    enc = Encoder(machine, ctx)
    cfg = build_cfg(function)
    pre = {v: enc.const(v, s) for v, s in function.variables.items()}
    segments = {ENTRY: encode_segment(cfg, enc, 0, pre)}
    for idx, loc in cfg.heads.items():
        segments[idx] = encode_segment(cfg, enc, loc, pre)
    return TransitionSystem(function, cfg, enc, pre, segments, live_at_heads(cfg))


# ---- verification conditions --------------------------------------------------------------------------


@dataclass
class Clause:
    """``I_src(pre) ∧ reach ⟹ I_dst(post)`` (``dst_kind`` head) or ``⟹ false`` (``dst_kind`` error)."""

    src: int
    dst_kind: str
    dst: int
    reach: z3.BoolRef
    post: dict[str, z3.ExprRef]

    @property
    def name(self) -> str:
        src = "entry" if self.src == ENTRY else f"loop {self.src}"
        dst = f"loop {self.dst}" if self.dst_kind == "head" else f"assertion {self.dst}"
        kind = ("initiation" if self.src == ENTRY else "consecution") if self.dst_kind == "head" else "safety"
        return f"{kind}: {src} -> {dst}"


def clauses(ts: TransitionSystem) -> list[Clause]:
    out: list[Clause] = []
    for seg in ts.segments.values():
        for t in seg.targets:
            if t.kind in ("head", "error") and not z3.is_false(t.reach):
                out.append(Clause(seg.source, t.kind, t.id, t.reach, t.state))
    return out


Invariants = dict[int, z3.BoolRef]


def substitute_state(ts: TransitionSystem, formula: z3.ExprRef, state: dict[str, z3.ExprRef]) -> z3.ExprRef:
    pairs = [(ts.pre[v], state[v]) for v in ts.pre if not state[v].eq(ts.pre[v])]
    return z3.substitute(formula, *pairs) if pairs else formula


def vc_formula(ts: TransitionSystem, clause: Clause, invariants: Invariants) -> z3.BoolRef:
    """The negation of the clause under ``invariants`` (unsat ⟺ the clause holds)."""
    ctx = ts.encoder.ctx
    parts = []
    if clause.src != ENTRY:
        parts.append(invariants.get(clause.src, z3.BoolVal(True, ctx)))
    parts.append(clause.reach)
    if clause.dst_kind == "head":
        inv = invariants.get(clause.dst, z3.BoolVal(True, ctx))
        parts.append(z3.Not(substitute_state(ts, inv, clause.post), ctx))
    return z3.And(parts)
