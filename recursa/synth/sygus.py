"""Read SyGuS-IF v2 files (``.sl``) into :class:`~recursa.synth.problem.Problem` values.

Terms, sorts and errors come from :mod:`recursa.symbolic.smtlib` (tree-sitter s-expressions, sort checking,
``file:line:col`` messages). Supported commands:

- ``set-logic``: ``LIA``, ``NIA``, ``BV``, any combination of ``BV`` with ``LIA``/``NIA`` written as SMT-LIB
  does (``BVLIA`` ...), ``ALL``, and each with the ``QF_`` prefix (SyGuS constraints are quantifier-free anyway,
  so the prefix changes nothing). Other SMT-LIB logic names (strings ``SLIA``, reals ``LRA``, arrays,
  uninterpreted functions, datatypes) are refused as unsupported; a name that is no SMT-LIB logic is an error.
  Without ``set-logic`` the logic is ``ALL`` (noted).
- ``synth-fun`` with or without a grammar: v2 grammars (predeclared non-terminals, then grouped rule lists)
  and v1 grammars (one list of ``(N Sort (rules))``); ``(Constant S)``, ``(Variable S)``; productions may apply
  ``define-fun``s. Every non-terminal must derive some finite term.
- ``synth-inv`` and ``inv-constraint`` (kept as :class:`InvConstraint` and expanded into its three
  constraints over declared variables named after the invariant's parameters and their primed copies ``x!``;
  a name already taken by something of another sort gets a fresh one).
- ``declare-var``, ``declare-fun`` of arity 0 (read as a variable, the v1 habit), ``declare-primed-var`` (v1:
  declares ``x`` and ``x!``), ``define-fun`` (non-recursive, over its parameters only), ``define-sort`` without
  parameters, ``constraint``, ``assume`` (a precondition: every constraint becomes ``(=> (and assumptions) c)``),
  ``check-synth`` (reading stops at the first one; :func:`read_problems` reads on).
- ``set-option``, ``set-info``, ``set-feature`` (and v1's ``set-options``): ignored, each with a line in
  ``Problem.notes``.
- SyGuS v1 habits: ``(InputVariable S)`` as ``(Variable S)``, typed ``let`` bindings ``(x Sort term)``.

Refused as :class:`SmtlibUnsupported`: strings/reals/arrays logics and sorts, ``declare-datatype(s)``,
``declare-sort``, ``chc-constraint``, ``oracle-*``/``declare-oracle-fun``, ``declare-fun`` with parameters,
``define-fun`` bodies that call a function being synthesised. Everything else that is wrong is an
:class:`SmtlibError` naming ``file:line:col``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from recursa.symbolic.smtlib import (
    Atom,
    FunSig,
    Reader,
    SExpr,
    SList,
    SmtlibError,
    SmtlibUnsupported,
    parse_sexprs,
)
from recursa.symbolic.smtlib import _postorder_unique as _nodes
from recursa.symbolic.terms import BOOL, App, Sort, Span, Term, Var
from recursa.synth.problem import (
    AnyConstant,
    AnyVariable,
    DefineFun,
    Grammar,
    InvConstraint,
    NonTerminal,
    Param,
    Problem,
    Production,
    SynthFun,
)

__all__ = ["read_problem", "read_problems", "SmtlibError", "SmtlibUnsupported", "check_logic", "LogicIssue"]

_IGNORED = ("set-option", "set-info", "set-feature", "set-options")  # set-options: SyGuS v1
_UNSUPPORTED_COMMANDS = {
    "declare-datatype": "datatypes",
    "declare-datatypes": "datatypes",
    "declare-sort": "uninterpreted sorts",
    "define-fun-rec": "recursive functions",
    "define-funs-rec": "recursive functions",
    "chc-constraint": "CHC constraints",
    "optimize-synth": "optimisation queries",
    "push": "push/pop",
    "pop": "push/pop",
}

# SMT-LIB logic names are built from these parts (after an optional QF_); recursa handles BV, LIA and NIA.
_LOGIC_PARTS = re.compile(r"(AX|A|UF|BV|FP|DT|S|LIA|NIA|LRA|NRA|LIRA|NIRA|IDL|RDL)")
_PART_MEANING = {"AX": "arrays", "A": "arrays", "UF": "uninterpreted functions", "FP": "floating point",
                 "DT": "datatypes", "S": "strings", "LRA": "reals", "NRA": "reals", "LIRA": "reals",
                 "NIRA": "reals", "IDL": "difference logic", "RDL": "reals"}  # fmt: skip
_SUPPORTED_PARTS = {"BV", "LIA", "NIA"}


@dataclass(frozen=True)
class LogicIssue:
    """Why a ``set-logic`` name is refused: ``unsupported`` for a real SMT-LIB logic that recursa does not
    handle (strings, reals, ...), otherwise the name is no logic at all."""

    unsupported: bool
    message: str


def check_logic(name: str) -> LogicIssue | None:
    """None when recursa handles logic ``name``; otherwise why not."""
    if name == "ALL":
        return None
    body = name[3:] if name.startswith("QF_") else name
    parts: list[str] = []
    pos = 0
    while pos < len(body):
        m = _LOGIC_PARTS.match(body, pos)  # the alternation lists AX before A, so the longer part wins
        if m is None:
            break
        parts.append(m.group(1))
        pos = m.end()
    if not parts or pos < len(body):
        return LogicIssue(False, f"'{name}' is not an SMT-LIB logic (supported: LIA, NIA, BV, ALL, and QF_ forms)")
    missing = [p for p in parts if p not in _SUPPORTED_PARTS]
    if missing:
        what = ", ".join(sorted({_PART_MEANING[p] for p in missing}))
        return LogicIssue(True, f"logic {name} needs {what} (supported: LIA, NIA, BV, ALL)")
    return None


class _SygusReader(Reader):
    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.logic = ""
        self.synth: list[SynthFun] = []
        self.declared: list[Param] = []
        self.constraints: list[Term] = []
        self.assumptions: list[Term] = []
        self.definitions: dict[str, DefineFun] = {}
        self.inv_constraints: list[InvConstraint] = []
        self.notes: list[str] = []

    # -- the commands
    def command(self, cmd: SExpr) -> bool:
        """Read one command; True at ``check-synth``."""
        items = self.slist(cmd, "a command (name ...)")
        if not items:
            raise self.error(cmd, "empty command ()")
        name = self.symbol(items[0], "a command name")
        assert isinstance(cmd, SList)
        if name == "check-synth":
            if len(items) != 1:
                raise self.error(cmd, "(check-synth) takes no arguments")
            return True
        handler = {
            "set-logic": self.set_logic,
            "synth-fun": self.synth_fun,
            "synth-inv": self.synth_fun,
            "declare-var": self.declare_var,
            "declare-fun": self.declare_fun,
            "declare-const": self.declare_var,
            "declare-primed-var": self.declare_primed_var,
            "define-fun": self.sygus_define_fun,
            "define-sort": self.define_sort,
            "constraint": self.constraint,
            "assume": self.constraint,
            "inv-constraint": self.inv_constraint,
        }.get(name)
        if handler is not None:
            handler(cmd)
        elif name in _IGNORED:
            self.notes.append(f"{self.path}:{cmd.line}:{cmd.col}: ignored {_head_text(cmd)}")
        elif name in _UNSUPPORTED_COMMANDS:
            raise self.unsupported(cmd, f"'{name}' is not supported ({_UNSUPPORTED_COMMANDS[name]})")
        elif "oracle" in name:
            raise self.unsupported(cmd, f"'{name}' is not supported (oracles)")
        else:
            raise self.error(items[0], f"unknown command '{name}'")
        return False

    def set_logic(self, cmd: SList) -> None:
        if len(cmd.items) != 2:
            raise self.error(cmd, "expected (set-logic NAME)")
        if self.logic:
            raise self.error(cmd, f"the logic is already set to {self.logic}")
        logic = self.symbol(cmd.items[1], "a logic name")
        issue = check_logic(logic)
        if issue is not None:
            raise (self.unsupported if issue.unsupported else self.error)(cmd.items[1], issue.message)
        self.logic = logic

    def declare(self, at: SExpr, name: str, sort: Sort) -> Var:
        self.check_fresh(at, name)
        var = Var(name, sort, self.span(at))
        self.constants[name] = var
        self.declared.append((name, sort))
        return var

    def declare_var(self, cmd: SList) -> None:
        if len(cmd.items) != 3:
            raise self.error(cmd, f"expected ({_head_text(cmd)} name Sort)")
        self.declare(cmd.items[1], self.symbol(cmd.items[1], "a variable name"), self.sort(cmd.items[2]))

    def declare_fun(self, cmd: SList) -> None:
        items = cmd.items
        if len(items) != 4:
            raise self.error(cmd, "expected (declare-fun name (Sort ...) Sort)")
        if self.slist(items[2], "a list of argument sorts"):
            raise self.unsupported(cmd, "declare-fun with arguments (uninterpreted functions) is not supported")
        self.declare(items[1], self.symbol(items[1], "a variable name"), self.sort(items[3]))

    def declare_primed_var(self, cmd: SList) -> None:
        if len(cmd.items) != 3:
            raise self.error(cmd, "expected (declare-primed-var name Sort)")
        name = self.symbol(cmd.items[1], "a variable name")
        sort = self.sort(cmd.items[2])
        self.declare(cmd.items[1], name, sort)
        self.declare(cmd.items[1], name + "!", sort)

    def sygus_define_fun(self, cmd: SList) -> None:
        fd = self.define_fun(cmd)
        params = {p for p, _ in fd.params}
        synth = {f.name for f in self.synth}
        for node in _nodes(fd.body):
            if isinstance(node, Var) and node.name not in params:
                raise self.error(_at(node, cmd), f"the body of '{fd.name}' uses '{node.name}', which is not "
                                 "one of its parameters")  # fmt: skip
            if isinstance(node, App) and node.op in synth:
                raise self.unsupported(_at(node, cmd), f"'{fd.name}' calls '{node.op}', a function being "
                                       "synthesised; recursa expects define-funs to be fixed helpers")  # fmt: skip
        self.definitions[fd.name] = DefineFun(fd.name, fd.params, fd.sort, fd.body, fd.span)

    def constraint(self, cmd: SList) -> None:
        head = _head_text(cmd)
        if len(cmd.items) != 2:
            raise self.error(cmd, f"expected ({head} term)")
        term = self.term(cmd.items[1])
        if term.sort != BOOL:
            raise self.error(cmd.items[1], f"a {head} must be Bool, got {term.sort}")
        (self.assumptions if head == "assume" else self.constraints).append(term)

    def synth_fun(self, cmd: SList) -> None:
        items = cmd.items
        inv = _head_text(cmd) == "synth-inv"
        form = "(synth-inv name ((x Sort) ...) GRAMMAR?)" if inv else "(synth-fun name ((x Sort) ...) Sort GRAMMAR?)"
        lo = 3 if inv else 4
        if not lo <= len(items) <= lo + 2:
            raise self.error(cmd, f"expected {form}")
        name = self.symbol(items[1], "a function name")
        self.check_fresh(items[1], name)
        params = self.params(items[2])
        sort = BOOL if inv else self.sort(items[3])
        grammar = self.grammar(name, params, sort, items[lo:], cmd) if len(items) > lo else None
        self.synth.append(SynthFun(name, params, sort, grammar, inv, self.span(cmd)))
        self.functions[name] = FunSig(name, tuple(s for _, s in params), sort)

    def inv_constraint(self, cmd: SList) -> None:
        items = cmd.items
        if len(items) != 5:
            raise self.error(cmd, "expected (inv-constraint inv pre trans post)")
        names = [self.symbol(x, "a function name") for x in items[1:]]
        inv_name, pre, trans, post = names
        inv = next((f for f in self.synth if f.name == inv_name), None)
        if inv is None:
            raise self.error(items[1], f"'{inv_name}' is not a synth-inv")
        if inv.sort != BOOL:
            raise self.error(items[1], f"'{inv_name}' must return Bool, got {inv.sort}")
        sorts = tuple(s for _, s in inv.params)
        for at, fname, want in ((items[2], pre, sorts), (items[3], trans, sorts + sorts), (items[4], post, sorts)):
            d = self.definitions.get(fname)
            if d is None:
                raise self.error(at, f"'{fname}' is not a define-fun")
            got = tuple(s for _, s in d.params)
            if got != want or d.sort != BOOL:
                sig = " ".join(map(str, want))
                raise self.error(at, f"'{fname}' must take ({sig}) and return Bool")
        span = self.span(cmd)
        v = [self.inv_var(n, s, span) for n, s in inv.params]
        vp = [self.inv_var(n + "!", s, span) for n, s in inv.params]

        def call(f: str, args: list[Var]) -> App:
            return App(f, tuple(args), BOOL, (), span)

        inv_v, inv_vp = call(inv_name, v), call(inv_name, vp)
        self.constraints.append(App("=>", (call(pre, v), inv_v), BOOL, (), span))
        step = App("and", (inv_v, call(trans, v + vp)), BOOL, (), span)
        self.constraints.append(App("=>", (step, inv_vp), BOOL, (), span))
        self.constraints.append(App("=>", (inv_v, call(post, v)), BOOL, (), span))
        self.inv_constraints.append(InvConstraint(inv_name, pre, trans, post, span))

    def inv_var(self, name: str, sort: Sort, span: Span) -> Var:
        """The declared variable for an invariant parameter: the declared one of that name and sort, else a new
        declaration under that name, else (the name is taken) under a fresh name."""
        existing = self.constants.get(name)
        if isinstance(existing, Var) and existing.sort == sort:
            return Var(name, sort, span)
        candidate, k = name, 0
        while candidate in self.constants or candidate in self.functions:
            k += 1
            candidate = f"{name}_{k}"
        var = Var(candidate, sort, span)
        self.constants[candidate] = var
        self.declared.append((candidate, sort))
        return var

    # -- grammars
    def grammar(
        self, fname: str, params: tuple[Param, ...], sort: Sort, rest: tuple[SExpr, ...], cmd: SList
    ) -> Grammar:
        if len(rest) == 2:  # v2: ((N Sort) ...) ((N Sort (rules)) ...)
            decls = [self._nt_decl(d, 2) for d in self.slist(rest[0], "a list of non-terminals ((N Sort) ...)")]
            groups = [self._nt_decl(g, 3) for g in self.slist(rest[1], "grouped rule lists ((N Sort (rules)) ...)")]
        else:  # v1: ((N Sort (rules)) ...)
            groups = [self._nt_decl(g, 3) for g in self.slist(rest[0], "a grammar ((N Sort (rules)) ...)")]
            decls = groups
        if not decls:
            raise self.error(rest[0], "a grammar needs at least one non-terminal")
        param_names = {p for p, _ in params}
        nt_sorts: dict[str, Sort] = {}
        for at, name, nt_sort, _ in decls:
            if name in nt_sorts:
                raise self.error(at, f"duplicate non-terminal '{name}'")
            if name in param_names:
                raise self.error(at, f"non-terminal '{name}' has the name of a parameter of '{fname}'")
            nt_sorts[name] = nt_sort
        start_at, start, start_sort, _ = decls[0]
        if start_sort != sort:
            raise self.error(
                start_at, f"the start non-terminal '{start}' is {start_sort}, but '{fname}' returns {sort}"
            )
        by_name: dict[str, tuple[SExpr, Sort, SExpr]] = {}
        for at, name, nt_sort, rules in groups:
            if name not in nt_sorts:
                raise self.error(at, f"'{name}' is not a declared non-terminal")
            if nt_sort != nt_sorts[name]:
                raise self.error(at, f"non-terminal '{name}' was declared {nt_sorts[name]}, here {nt_sort}")
            if name in by_name:
                raise self.error(at, f"a second rule list for '{name}'")
            assert rules is not None
            by_name[name] = (at, nt_sort, rules)
        scope: dict[str, Term] = {p: Var(p, s) for p, s in params}
        scope.update({n: Var(n, s) for n, s in nt_sorts.items()})
        synth = {f.name for f in self.synth} | {fname}
        nonterminals: list[NonTerminal] = []
        for at, name, nt_sort, _ in decls:
            if name not in by_name:
                raise self.error(at, f"non-terminal '{name}' has no rule list")
            _, _, rules = by_name[name]
            prods = tuple(self._production(r, nt_sort, name, scope, synth) for r in self.slist(rules, "a rule list"))
            if not prods:
                raise self.error(rules, f"non-terminal '{name}' has no productions")
            nonterminals.append(NonTerminal(name, nt_sort, prods))
        grammar = Grammar(tuple(nonterminals))
        self._check_productive(grammar, params, {n: at for at, n, _, _ in decls})
        return grammar

    def _nt_decl(self, sx: SExpr, size: int) -> tuple[SExpr, str, Sort, SExpr | None]:
        what = "(N Sort)" if size == 2 else "(N Sort (rules ...))"
        items = self.slist(sx, f"a non-terminal {what}")
        if len(items) != size:
            raise self.error(sx, f"expected a non-terminal {what}")
        name = self.symbol(items[0], "a non-terminal name")
        return items[0], name, self.sort(items[1]), items[2] if size == 3 else None

    def _production(self, sx: SExpr, sort: Sort, nt: str, scope: dict[str, Term], synth: set[str]) -> Production:
        # (InputVariable S) is SyGuS v1's name for (Variable S)
        if isinstance(sx, SList) and len(sx.items) == 2 and isinstance(sx.items[0], Atom) \
                and sx.items[0].text in ("Constant", "Variable", "InputVariable"):  # fmt: skip
            got = self.sort(sx.items[1])
            if got != sort:
                raise self.error(sx.items[1], f"({sx.items[0].text} {got}) in non-terminal '{nt}' of sort {sort}")
            return AnyConstant(got) if sx.items[0].text == "Constant" else AnyVariable(got)
        if isinstance(sx, SList) and sx.items and isinstance(sx.items[0], Atom) and sx.items[0].text == "LocalVariable":
            raise self.unsupported(sx, "(LocalVariable S) (SyGuS v1 grammar-local let variables) is not supported")
        term = self.term(sx, scope)
        if term.sort != sort:
            raise self.error(sx, f"a production of '{nt}' must be {sort}, got {term.sort}")
        for node in _nodes(term):
            if isinstance(node, App) and node.op in synth:
                raise self.error(sx, f"a grammar may not call '{node.op}', a function being synthesised")
            if isinstance(node, Var) and node.name not in scope:
                # declared variables are in the reader's globals, but a grammar term may only use parameters
                raise self.error(_at(node, sx), f"'{node.name}' in a production of '{nt}' is neither a parameter "
                                 "nor a non-terminal")  # fmt: skip
        return term

    def _check_productive(self, grammar: Grammar, params: tuple[Param, ...], where: dict[str, SExpr]) -> None:
        """Every non-terminal must derive a finite term: compute the productive ones as a least fixpoint."""
        param_sorts = {s for _, s in params}
        nts = {nt.name for nt in grammar.nonterminals}
        uses: dict[int, set[str]] = {}
        for nt in grammar.nonterminals:
            for p in nt.productions:
                if not isinstance(p, AnyConstant | AnyVariable):
                    uses[id(p)] = {n.name for n in _nodes(p) if isinstance(n, Var) and n.name in nts}
        productive: set[str] = set()
        changed = True
        while changed:
            changed = False
            for nt in grammar.nonterminals:
                if nt.name in productive:
                    continue
                for p in nt.productions:
                    if isinstance(p, AnyConstant):
                        ok = True
                    elif isinstance(p, AnyVariable):
                        ok = p.sort in param_sorts
                    else:
                        ok = uses[id(p)] <= productive
                    if ok:
                        productive.add(nt.name)
                        changed = True
                        break
        for nt in grammar.nonterminals:
            if nt.name not in productive:
                raise self.error(where[nt.name], f"non-terminal '{nt.name}' derives no finite term (each of its "
                                 "productions needs a non-terminal that derives none, or a (Variable S) with no "
                                 "parameter of that sort)")  # fmt: skip

    # -- the result
    def problem(self, at: SExpr | None) -> Problem:
        if not self.synth:
            raise self.error(at, "no synth-fun or synth-inv before check-synth")
        constraints = self.constraints
        notes = list(self.notes)
        if self.assumptions:
            notes.append(f"{self.path}: {len(self.assumptions)} assume(s) made a precondition of every constraint")
            pre = self.assumptions[0] if len(self.assumptions) == 1 else App("and", tuple(self.assumptions), BOOL)
            constraints = [App("=>", (pre, c), BOOL, (), c.span if isinstance(c, App) else None) for c in constraints]
        return Problem(
            path=self.path,
            logic=self.logic or "ALL",
            functions=tuple(self.synth),
            declared=tuple(self.declared),
            constraints=tuple(constraints),
            definitions=dict(self.definitions),
            inv_constraints=tuple(self.inv_constraints),
            notes=tuple(notes),
        )


def _head_text(cmd: SList) -> str:
    head = cmd.items[0]
    return head.text if isinstance(head, Atom) else "?"


def _at(node: Term, fallback: SExpr) -> SExpr:
    span = getattr(node, "span", None)
    return Atom("sym", "", span.line, span.col) if span is not None else fallback


def _read_text(path: str, text: str | None) -> str:
    if text is not None:
        return text
    try:
        return Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise SmtlibError(path, 1, 1, f"not UTF-8 text ({e.reason} at byte {e.start})") from None
    except OSError as e:
        raise SmtlibError(path, 1, 1, f"cannot read the file: {e.strerror or e}") from None


def _problems(path: str, text: str | None, first_only: bool) -> Iterator[Problem]:
    reader = _SygusReader(path)
    last: SExpr | None = None
    found = False
    for cmd in parse_sexprs(_read_text(path, text), path):
        last = cmd
        if reader.command(cmd):
            found = True
            if not reader.logic and not any("no set-logic" in n for n in reader.notes):
                reader.notes.append(f"{path}: no set-logic; read as ALL")
            yield reader.problem(cmd)
            if first_only:
                return
    if not found:
        if not reader.logic:
            reader.notes.append(f"{path}: no set-logic; read as ALL")
        reader.notes.append(f"{path}: no check-synth; read to the end of the file")
        yield reader.problem(last)


def read_problem(path: str, text: str | None = None) -> Problem:
    """The problem of a SyGuS-IF file up to its first ``check-synth`` (``text`` given: read that instead of the
    file). Raises :class:`SmtlibError` (bad input) or :class:`SmtlibUnsupported` (valid but not handled)."""
    return next(_problems(path, text, first_only=True))


def read_problems(path: str, text: str | None = None) -> list[Problem]:
    """One problem per ``check-synth`` (each with every command before it; rare in practice)."""
    return list(_problems(path, text, first_only=False))
