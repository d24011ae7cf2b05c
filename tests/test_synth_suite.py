"""The synthesis suite (tasks/synthesis/): every manifest entry is true.

Checked with Z3 directly from the file text, independently of recursa's own reader and engine:
- each known answer lies in its function's grammar and meets every constraint (the negated specification with
  the answer's define-funs is unsat);
- each "infeasible" problem is: either its constraints are unsatisfiable even for an unrestricted function,
  or its grammar is finite and every term it derives violates the specification.
No search is run here; the engine's results on the suite are the bench's business.
"""

from __future__ import annotations

import json
import subprocess
import sys
from itertools import product
from pathlib import Path

import pytest

z3 = pytest.importorskip("z3")

SUITE = Path(__file__).resolve().parents[1] / "tasks" / "synthesis"
FOLDERS = ("lia", "clia", "bv", "pbe_lia")
SExpr = str | list  # an atom or a list of s-expressions


def parse_sexprs(text: str) -> list[SExpr]:
    """The top-level s-expressions of SyGuS/SMT-LIB text (comments, ``|symbols|`` and strings kept whole)."""
    out: list[SExpr] = []
    stack: list[list[SExpr]] = [out]
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == ";":
            while i < n and text[i] != "\n":
                i += 1
        elif c.isspace():
            i += 1
        elif c == "(":
            stack.append([])
            i += 1
        elif c == ")":
            done = stack.pop()
            stack[-1].append(done)
            i += 1
        else:
            j = i
            if c in "|\"":
                j = text.index(c, i + 1) + 1
            else:
                while j < n and not text[j].isspace() and text[j] not in "();":
                    j += 1
            stack[-1].append(text[i:j])
            i = j
    assert len(stack) == 1, "unbalanced parentheses"
    return out


def show(e: SExpr) -> str:
    return e if isinstance(e, str) else "(" + " ".join(show(x) for x in e) + ")"


def entries() -> list[tuple[str, dict]]:
    found = []
    for folder in FOLDERS:
        for line in (SUITE / folder / "manifest.jsonl").read_text().splitlines():
            if line.strip():
                found.append((folder, json.loads(line)))
    return found


ENTRIES = entries()


class Spec:
    """One .sl file: definitions, synth-funs (with grammars), declared variables, constraints, as s-expressions."""

    def __init__(self, path: Path) -> None:
        self.defs: list[SExpr] = []
        self.funs: dict[str, list] = {}
        self.declared: list[tuple[str, SExpr]] = []
        self.constraints: list[SExpr] = []
        for cmd in parse_sexprs(path.read_text()):
            head = cmd[0]
            if head == "define-fun":
                self.defs.append(cmd)
            elif head == "synth-fun":
                self.funs[cmd[1]] = cmd
            elif head == "declare-var":
                self.declared.append((cmd[1], cmd[2]))
            elif head == "constraint":
                self.constraints.append(cmd[1])

    def negated_query(self, answers: list[SExpr]) -> str:
        lines = [show(d) for d in self.defs] + [show(a) for a in answers]
        lines += [f"(declare-fun {n} () {show(s)})" for n, s in self.declared]
        lines.append(f"(assert (not (and true {' '.join(show(c) for c in self.constraints)})))")
        return "\n".join(lines)

    def unrestricted_query(self) -> str:
        """The constraints for all declared values, the functions uninterpreted: unsat means no answer exists."""
        lines = [show(d) for d in self.defs]
        for name, fun in self.funs.items():
            lines.append(f"(declare-fun {name} ({' '.join(show(p[1]) for p in fun[2])}) {show(fun[3])})")
        body = f"(and true {' '.join(show(c) for c in self.constraints)})"
        if self.declared:
            binders = " ".join(f"({n} {show(s)})" for n, s in self.declared)
            body = f"(forall ({binders}) {body})"
        lines.append(f"(assert {body})")
        return "\n".join(lines)


def check(query: str) -> z3.CheckSatResult:
    solver = z3.Solver()
    solver.set("timeout", 20_000)
    solver.add(z3.parse_smt2_string(query))
    return solver.check()


class Grammar:
    def __init__(self, fun: list) -> None:
        self.params = {p[0] for p in fun[2]}
        rules = fun[5] if len(fun) > 5 else []
        self.rules: dict[str, list[SExpr]] = {r[0]: r[2] for r in rules}
        self.start = fun[4][0][0] if len(fun) > 5 else ""

    def derives(self, nt: str, term: SExpr, busy: frozenset = frozenset()) -> bool:
        if (nt, show(term)) in busy:  # a chain of unit productions back to itself derives nothing new
            return False
        busy = busy | {(nt, show(term))}
        return any(self.matches(p, term, busy) for p in self.rules[nt])

    def matches(self, prod: SExpr, term: SExpr, busy: frozenset) -> bool:
        if isinstance(prod, str):
            if prod in self.rules:
                return self.derives(prod, term, busy)
            return prod == term
        if prod[0] == "Variable":
            return isinstance(term, str) and term in self.params
        if prod[0] == "Constant":
            return isinstance(term, str) and term not in self.params or isinstance(term, list) and term[0] == "-" \
                and len(term) == 2 and term[1].isdigit()
        return (isinstance(term, list) and len(term) == len(prod)
                and all(self.matches(p, t, busy) for p, t in zip(prod, term)))

    def finite_terms(self, limit: int = 5000) -> list[SExpr] | None:
        """Every term of a grammar without recursion (None when a non-terminal reaches itself)."""
        memo: dict[str, list[SExpr]] = {}
        order: list[str] = []

        def visit(nt: str, path: tuple[str, ...]) -> bool:
            if nt in path:
                return False
            if nt in memo:
                return True
            for prod in self.rules[nt]:
                for sym in atoms(prod):
                    if sym in self.rules and not visit(sym, path + (nt,)):
                        return False
            memo[nt] = []
            order.append(nt)
            return True

        if not visit(self.start, ()):
            return None
        for nt in order:  # children before parents
            terms: list[SExpr] = []
            for prod in self.rules[nt]:
                terms += expand(prod, memo)
            memo[nt] = terms[:limit]
        return memo[self.start]


def atoms(e: SExpr) -> list[str]:
    return [e] if isinstance(e, str) else [a for x in e for a in atoms(x)]


def expand(prod: SExpr, memo: dict[str, list[SExpr]]) -> list[SExpr]:
    if isinstance(prod, str):
        return list(memo[prod]) if prod in memo else [prod]
    return [list(combo) for combo in product(*(expand(p, memo) for p in prod))]


def answer_exprs(text: str) -> list[list]:
    return parse_sexprs(text)


def test_suite_size_and_manifests_cover_every_file() -> None:
    assert len(ENTRIES) >= 110
    for folder in FOLDERS:
        listed = {e["file"] for f, e in ENTRIES if f == folder}
        on_disk = {p.name for p in (SUITE / folder).glob("*.sl")}
        assert listed == on_disk, folder
    kinds = {f: [e["expected"] for g, e in ENTRIES if g == f] for f in FOLDERS}
    for folder, expected in kinds.items():
        assert "infeasible" in expected and expected.count("solved") >= 15, folder
    for _, e in ENTRIES:
        assert (e["answer"] is None) == (e["expected"] == "infeasible"), e["file"]


@pytest.mark.parametrize("folder,entry", [x for x in ENTRIES if x[1]["expected"] == "solved"],
                         ids=lambda x: x["file"] if isinstance(x, dict) else x)
def test_known_answer_meets_spec_and_grammar(folder: str, entry: dict) -> None:
    spec = Spec(SUITE / folder / entry["file"])
    answers = answer_exprs(entry["answer"])
    assert sorted(a[1] for a in answers) == sorted(spec.funs)
    for a in answers:
        fun = spec.funs[a[1]]
        assert show(a[2]) == show(fun[2]) and show(a[3]) == show(fun[3]), "answer signature differs"
        if len(fun) > 4:
            g = Grammar(fun)
            assert g.derives(g.start, a[4]), f"{show(a[4])} is not in the grammar of {a[1]}"
    assert check(spec.negated_query(answers)) == z3.unsat


@pytest.mark.parametrize("folder,entry", [x for x in ENTRIES if x[1]["expected"] == "infeasible"],
                         ids=lambda x: x["file"] if isinstance(x, dict) else x)
def test_infeasible_problem_has_no_answer(folder: str, entry: dict) -> None:
    spec = Spec(SUITE / folder / entry["file"])
    grammars = [Grammar(fun) for fun in spec.funs.values() if len(fun) > 4]
    terms = grammars[0].finite_terms() if len(spec.funs) == 1 and grammars else None
    if terms is None:  # no finite grammar to enumerate: the specification itself must be contradictory
        assert check(spec.unrestricted_query()) == z3.unsat
        return
    (name, fun), = spec.funs.items()
    assert len(terms) > 0
    for term in terms:
        candidate = ["define-fun", name, fun[2], fun[3], term]
        assert check(spec.negated_query([candidate])) == z3.sat, f"{show(term)} is an answer"


def test_generator_reproduces_the_committed_files(tmp_path: Path) -> None:
    subprocess.run([sys.executable, str(SUITE / "generate.py"), "--out", str(tmp_path)], check=True,
                   capture_output=True)
    for folder in FOLDERS:
        made = {p.name: p.read_text() for p in (tmp_path / folder).iterdir()}
        committed = {p.name: p.read_text() for p in (SUITE / folder).iterdir()}
        assert made == committed, folder


def test_every_file_parses_with_cvc5() -> None:
    cvc5 = pytest.importorskip("cvc5")
    for folder, entry in ENTRIES:
        tm = cvc5.TermManager()
        solver = cvc5.Solver(tm)
        solver.setOption("sygus", "true")
        solver.setOption("incremental", "false")
        symbols = cvc5.SymbolManager(tm)
        parser = cvc5.InputParser(solver, symbols)
        parser.setFileInput(cvc5.InputLanguage.SYGUS_2_1, str(SUITE / folder / entry["file"]))
        while True:
            command = parser.nextCommand()
            if command.isNull():
                break
            if "check-synth" not in str(command):  # parse (and sort-check) everything, solve nothing
                command.invoke(solver, symbols)


def test_every_file_reads_with_recursa() -> None:
    sygus = pytest.importorskip("recursa.synth.sygus")
    for folder, entry in ENTRIES:
        problem = sygus.read_problem(str(SUITE / folder / entry["file"]))
        assert problem.functions, entry["file"]
