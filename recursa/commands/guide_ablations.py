"""What each part of the synthesis guide buys: the shipped guide, its production prior alone, and its value
scorer alone, each against the unguided search on the same files in one run.

    python -m recursa.commands.guide_ablations tasks/synthesis --timeout 10

Per configuration, over the files both it and the unguided search solve: the geometric mean of per-file
candidate ratios, the same over the files the unguided search needs at least 1,000 candidates for, the ratio
of totals, problems lost (answered unguided, not guided) and the mean time per file.

A fourth row, the *oracle*, is a bound for guidance of this form: each production costs its size if the known
answer in the folder's ``manifest.jsonl`` uses its operator or leaf, and three more otherwise (the learned
guide's largest penalty), on the single-function files that have a known answer. A fifth, the *context
oracle*, bounds guidance by context (a production's cost as the argument of each parent production, as a
guide with a context head gives): the same, and besides, as argument ``i`` of a parent operator the known
answer uses, a production costs three more unless the answer has it there.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from recursa.commands.bench_common import manifest_entries
from recursa.symbolic.terms import App, Term, Var, postorder, to_smtlib
from recursa.synth.engine import solve
from recursa.synth.grammar import Context, ProductionRef, UniformGuide
from recursa.synth.problem import AnyConstant, AnyVariable, Grammar, Problem, SynthFun, SynthOptions, SynthStatus

BIG = 1000  # "search is large": the unguided search needs at least this many candidates


#: One problem's outcome in one configuration: status, candidates, seconds.
Outcome = tuple[SynthStatus, int, float]


@dataclass(frozen=True)
class Comparison:
    """A guided configuration against the unguided search, file by file (``recursa bench synth`` prints one
    too). ``lost``: answered unguided (solved or infeasible), not the same way guided; ``won``: solved guided
    only; ratios over the files both solve (``big``: those the unguided search needs >= :data:`BIG` for)."""

    both: int
    lost: int
    won: int
    candidates_base: int
    candidates_guided: int
    geo_mean_fewer: float
    big: int
    geo_mean_fewer_big: float
    fewer: int  # files where the guided search enumerated fewer candidates
    more: int
    mean_s_base: float
    mean_s_guided: float

    @property
    def total_fewer(self) -> float:
        return self.candidates_base / max(1, self.candidates_guided)

    @classmethod
    def of(cls, base: Mapping[str, Outcome], got: Mapping[str, Outcome]) -> Comparison:
        ok, decided = SynthStatus.SOLVED, (SynthStatus.SOLVED, SynthStatus.INFEASIBLE)
        both = sorted(p for p in got if got[p][0] is ok and p in base and base[p][0] is ok)
        logs = {p: math.log(max(1, base[p][1]) / max(1, got[p][1])) for p in both}
        big = [p for p in both if base[p][1] >= BIG]

        def geo(paths: list[str]) -> float:
            return math.exp(statistics.fmean(logs[p] for p in paths)) if paths else 1.0

        lost = sum(1 for p in got if p in base and base[p][0] in decided and got[p][0] is not base[p][0])
        won = sum(1 for p in got if got[p][0] is ok and p in base and base[p][0] is not ok)
        return cls(len(both), lost, won,
                   sum(base[p][1] for p in both), sum(got[p][1] for p in both), geo(both), len(big), geo(big),
                   sum(1 for x in logs.values() if x > 0), sum(1 for x in logs.values() if x < 0),
                   statistics.fmean(base[p][2] for p in both) if both else 0.0,
                   statistics.fmean(got[p][2] for p in both) if both else 0.0)


@dataclass(frozen=True)
class Ablation:
    guide: str
    comparison: Comparison


class _ValuesOnly(UniformGuide):
    """Uniform production costs with the shipped value scorer."""

    name = "values"

    def __init__(self, value_model: Any) -> None:
        self.value_model = value_model


class _Oracle(UniformGuide):
    """Production costs from a known answer: size for the productions it uses, size + ``extra`` for the rest."""

    name = "oracle"
    mix_with_uniform = True  # the same safety net as the learned guide

    def __init__(self, answers: dict[str, Term], extra: int = 3) -> None:
        self.answers = answers
        self.extra = extra

    def weights(self, problem: Problem, function: SynthFun, grammar: Grammar) -> dict[ProductionRef, float]:
        from recursa.synth.neural import _size

        body = self.answers.get(problem.path)
        if body is None:
            return {}
        used = {_shape(n) for n in postorder(body)}
        nts = {nt.name: nt for nt in grammar.nonterminals}
        out: dict[ProductionRef, float] = {}
        for nt in grammar.nonterminals:
            for i, prod in enumerate(nt.productions):
                if isinstance(prod, (AnyConstant, AnyVariable)):
                    continue
                extra = 0 if _shape(prod) in used else self.extra
                out[ProductionRef(nt.name, i, to_smtlib(prod))] = float(_size(prod, nts) + extra)
        return out


class _ContextOracle(_Oracle):
    """:class:`_Oracle`, and costs by context: as argument ``i`` of an operator the known answer uses, a
    production costs its size if the answer has it there, ``extra`` more otherwise."""

    name = "context oracle"

    def context_weights(self, problem: Problem, function: SynthFun, grammar: Grammar
                        ) -> dict[tuple[Context, ProductionRef], float]:
        from recursa.synth.neural import _size

        body = self.answers.get(problem.path)
        if body is None:
            return {}
        used: dict[tuple[str, int, int], set[tuple]] = {}
        for node in postorder(body):
            if isinstance(node, App):
                for i, arg in enumerate(node.args):
                    used.setdefault((node.op, len(node.args), i), set()).add(_shape(arg))
        nts = {nt.name: nt for nt in grammar.nonterminals}
        out: dict[tuple[Context, ProductionRef], float] = {}
        for nt in grammar.nonterminals:
            for index, prod in enumerate(nt.productions):
                if not (isinstance(prod, App) and all(isinstance(a, Var) and a.name in nts for a in prod.args)):
                    continue  # operators applied to non-terminals only: their argument i is the answer's
                parent = ProductionRef(nt.name, index, to_smtlib(prod))
                for pos, arg in enumerate(prod.args):
                    there = used.get((prod.op, len(prod.args), pos))
                    if there is None:
                        continue
                    child_nt = nts[arg.name]  # type: ignore[union-attr]
                    for ci, child in enumerate(child_nt.productions):
                        if isinstance(child, (AnyConstant, AnyVariable)):
                            continue
                        cost = _size(child, nts) + (0 if _shape(child) in there else self.extra)
                        out[(Context(parent, pos), ProductionRef(child_nt.name, ci, to_smtlib(child)))] = float(cost)
        return out


def _shape(term: Term) -> tuple:
    """An operator by name and arity, a leaf by its text."""
    return ("op", term.op, len(term.args)) if isinstance(term, App) else ("leaf", to_smtlib(term))


def known_answers(problems: Sequence[Problem]) -> dict[str, Term]:
    """The manifests' known answers of the single-function problems, as terms, by path."""
    from recursa.synth.sygus import read_problem

    out: dict[str, Term] = {}
    for p in problems:
        if len(p.functions) != 1 or p.inv_constraints:
            continue
        entry = manifest_entries(Path(p.path).parent, "file").get(Path(p.path).name, {})
        answer = entry.get("answer")
        if not isinstance(answer, str) or entry.get("expected") != "solved":
            continue
        name = p.functions[0].name
        text = Path(p.path).read_text().replace("(check-synth)", "")
        try:
            known = read_problem(p.path, f"{text}\n{answer.replace(f'define-fun {name} ', 'define-fun __known ', 1)}")
        except Exception:  # noqa: BLE001 - an answer this reader cannot take is left out of the bound
            continue
        if "__known" in known.definitions:
            out[p.path] = known.definitions["__known"].body
    return out


def _run(problems: Sequence[Problem], guide: Any, timeout_s: float) -> dict[str, Outcome]:
    out = {}
    for p in problems:
        r = solve(p, SynthOptions(timeout_s=timeout_s, guide="none" if guide.name == "none" else "reasoner"),
                  guide=guide)
        out[p.path] = (r.status, r.candidates, r.time_s)
    return out


def ablate(problems: Sequence[Problem], timeout_s: float = 10.0) -> list[Ablation]:
    """The three configurations against the unguided search (raises ModelMissing without a shipped guide)."""
    from recursa.synth.neural import load_guide

    guide = load_guide()
    values = guide.value_model
    base = _run(problems, UniformGuide(), timeout_s)
    rows = []
    try:
        guide.value_model = values
        rows.append(Ablation("reasoner (shipped: productions + values)", Comparison.of(base, _run(problems, guide,
                                                                                                   timeout_s))))
        guide.value_model = None
        rows.append(Ablation("productions only", Comparison.of(base, _run(problems, guide, timeout_s))))
    finally:
        guide.value_model = values
    if values is not None:
        rows.append(Ablation("values only", Comparison.of(base, _run(problems, _ValuesOnly(values), timeout_s))))
    answers = known_answers(problems)
    if answers:
        known = [p for p in problems if p.path in answers]
        known_base = {p.path: base[p.path] for p in known}
        rows.append(Ablation(f"oracle: the known answer's productions ({len(known)} files)",
                             Comparison.of(known_base, _run(known, _Oracle(answers), timeout_s))))
        rows.append(Ablation(f"context oracle: the same, by parent and position ({len(known)} files)",
                             Comparison.of(known_base, _run(known, _ContextOracle(answers), timeout_s))))
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    from recursa.commands.synth import collect_sl, read

    ap = argparse.ArgumentParser(prog="python -m recursa.commands.guide_ablations",
                                 description=__doc__.split("\n\n")[0])
    ap.add_argument("paths", nargs="+", help=".sl files or folders")
    ap.add_argument("--timeout", type=float, default=10.0, help="seconds per file and configuration")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    problems = [p for p in (read(i) for i in collect_sl(args.paths) if isinstance(i, str)) if isinstance(p, Problem)]
    if not problems:
        print("no readable .sl files", file=sys.stderr)
        return 2
    rows = ablate(problems, args.timeout)
    if args.json:
        print(json.dumps([{"guide": r.guide, **asdict(r.comparison), "total_fewer": r.comparison.total_fewer}
                          for r in rows], indent=1))
        return 0
    for r in rows:
        c = r.comparison
        print(f"{r.guide}: {c.both} files both solve, lost {c.lost}; {c.geo_mean_fewer:.2f}x fewer candidates per "
              f"file, {c.geo_mean_fewer_big:.2f}x on the {c.big} with >= {BIG} unguided, {c.total_fewer:.2f}x in "
              f"total; mean {c.mean_s_guided:.3f} s vs {c.mean_s_base:.3f} s unguided")
    return 0


if __name__ == "__main__":
    sys.exit(main())
