"""The synthesis engine: :func:`solve` is the one entry point (CLI, bench, language server).

Counterexample-guided inductive synthesis around an enumerator:

1. examples: the constraints at the current points (a PBE file is all examples; a logical spec starts from
   the all-zero point and a few random ones) — :mod:`recursa.synth.examples`;
2. search: a linear fit when the spec fixes every output (:mod:`recursa.synth.linear`); divide and conquer
   (:mod:`recursa.synth.dnc`) when the grammar's start symbol has an ``ite`` and the spec is pointwise; else
   plain bottom-up enumeration with observational equivalence (:mod:`recursa.synth.enumerate`), taking the
   first term consistent with every example;
3. verify: Z3 looks for a counterexample (:mod:`recursa.synth.verify`), which becomes a new point;
4. answer: a *fresh* solver re-checks the whole specification with all answers before ``solved``.

Invariant problems: one unrestricted ``synth-inv`` with its ``inv-constraint`` and nothing else goes to
:func:`recursa.synth.invariant.solve_invariant` (the loop verifier); several such invariants that share no
constraint are each solved that way and re-checked together; every other shape (a ``synth-inv`` with a grammar,
inv-constraints beside ordinary constraints or synth-funs) is CEGIS over the three constraints the reader expands
each inv-constraint into, with the grammar as given (:func:`_solve_invariants`), after Z3's Horn-clause engine
when every function is a predicate without a grammar (:mod:`recursa.synth.horn`). Several synth-funs are solved
one by one when no constraint mentions two of them, and jointly by total cost otherwise
(:mod:`recursa.synth.joint`, which never claims infeasibility).
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from recursa.symbolic.concrete import EvalError
from recursa.symbolic.terms import App, Term, postorder
from recursa.synth import horn
from recursa.synth.dnc import divide_and_conquer
from recursa.synth.enumerate import BankFull, Budget, Enumerator, SearchTimeout
from recursa.synth.evaluate import macro
from recursa.synth.examples import Examples, MissingInput, Spec
from recursa.synth.grammar import CompiledGrammar, Guide, UniformGuide, UnsupportedGrammar, compile_grammar
from recursa.synth.inverse import completer_for
from recursa.synth.joint import solve_jointly
from recursa.synth.linear import fit_linear, fit_linear_in_grammar
from recursa.synth.membership import in_grammar
from recursa.synth.problem import Problem, Solution, SynthFun, SynthOptions, SynthResult, SynthStatus
from recursa.synth.verify import Verdict, check, output_at

#: Logics whose default grammar and evaluator the engine has (with a grammar, any of these sorts works).
SUPPORTED_LOGICS = ("LIA", "BV", "QF_LIA", "QF_BV", "NIA", "QF_NIA", "ALL")


@dataclass
class _Outcome:
    status: SynthStatus
    body: Term | None = None
    message: str = ""


class _Infeasible(Exception):
    pass


def solve(problem: Problem, options: SynthOptions | None = None, guide: Guide | None = None) -> SynthResult:
    """Synthesise every function of ``problem`` within ``options.timeout_s`` seconds.

    ``solved`` only after a fresh Z3 solver re-checked the whole specification with all the answers;
    ``infeasible`` only when proved (a grammar given in the file whose every behaviour on the examples was
    refuted, examples that contradict each other, or an input on which no output at all meets the spec);
    ``unknown`` on a timeout, a bank limit or an inconclusive solver — never a guess. ``guide`` overrides the
    one ``options.guide`` names (the hook for learned enumeration orders).

    >>> from recursa.synth.sygus import read_problem
    >>> p = read_problem("inc.sl", "(set-logic LIA) (synth-fun f ((x Int)) Int) (declare-var x Int) "
    ...                  "(constraint (> (f x) x)) (check-synth)")
    >>> solve(p).solutions[0].text()
    '(define-fun f ((x Int)) Int (+ x 1))'
    """
    options = options or SynthOptions()
    why: dict[str, Any] = {}
    # Loading a learned guide is a once-per-process cost (torch, the model file): outside the problem's clock.
    guide = guide or _guide(options, why)
    t0 = time.monotonic()
    budget = Budget(deadline=t0 + options.timeout_s)
    result = SynthResult(path=problem.path, status=SynthStatus.UNKNOWN, guide=guide.name)
    if options.guide != "none" and guide.name == "none":
        result.stats["guide_note"] = (f"guide {options.guide!r} is not available here ({why['guide_error']}); "
                                      "enumerated by size" if "guide_error" in why else
                                      f"guide {options.guide!r} is not available here; enumerated by size")
    guide_stats = getattr(guide, "stats", None)
    if guide_stats is not None and hasattr(guide, "reset_stats"):
        guide.reset_stats()  # the guide object is shared across problems: count this problem only
    counted = True  # whether budget's counters are the result's (the loop verifier keeps its own)
    try:
        if problem.inv_constraints:
            result, counted = _solve_invariants(problem, options, guide, t0, budget, result)
        elif getattr(guide, "mix_with_uniform", False):  # a learned guide asks for the uniform safety net
            _guided_then_uniform(problem, options, guide, t0, budget, result)
        else:
            _solve_all(problem, options, guide, budget, result)
    except SearchTimeout:
        result.status = SynthStatus.UNKNOWN
        result.solutions = ()
        result.message = f"timeout after {budget.candidates} candidates"
    except BankFull:
        result.status = SynthStatus.UNKNOWN
        result.solutions = ()
        result.message = f"search bank limit reached after {budget.candidates} candidates"
    except (UnsupportedGrammar, EvalError) as exc:
        result.status = SynthStatus.UNSUPPORTED
        result.solutions = ()
        result.message = str(exc)
    result.time_s = time.monotonic() - t0
    if getattr(guide, "name", "none") == "reasoner" and hasattr(guide, "stats") and counted:
        result.stats["guide"] = guide.stats.to_json()  # encodings, iterations, warm re-solves (see its notes)
    if counted:
        result.candidates += budget.candidates
        result.solver_calls += budget.solver_calls
    return result


#: The mixing rule of a learned guide: its order gets this share of the time; a problem it has not answered by
#: then is solved again in the uniform order with the time left, so a wrong guess costs time, not the problem.
GUIDED_SHARE = 0.3


def _guided_then_uniform(problem: Problem, options: SynthOptions, guide: Guide, t0: float, budget: Budget,
                         result: SynthResult) -> None:
    """Run the guided search within :data:`GUIDED_SHARE` of the time, then (unless it answered) the uniform one
    in the rest. ``budget`` ends up counting the candidates and solver calls of both phases."""
    first = Budget(deadline=min(budget.deadline, t0 + GUIDED_SHARE * options.timeout_s))
    stopped = ""
    try:
        _solve_all(problem, options, guide, first, result)
    except SearchTimeout:
        stopped = "its share of the time ran out"
    except BankFull:
        stopped = "the search bank filled up"
    budget.candidates += first.candidates
    budget.solver_calls += first.solver_calls
    if not stopped and result.status is not SynthStatus.UNKNOWN:
        result.stats["guide_phase"] = "guided"
        return
    guided_stats = dict(result.stats)
    result.stats.clear()
    result.stats.update({k: guided_stats.pop(k) for k in ("guide_note",) if k in guided_stats})
    result.stats["guide_phase"] = "uniform fallback"
    result.stats["guided_phase"] = {"candidates": first.candidates, "stopped": stopped or result.message,
                                    **guided_stats}
    result.status, result.solutions, result.message = SynthStatus.UNKNOWN, (), ""
    _solve_all(problem, options, UniformGuide(), budget, result)


def _guide(options: SynthOptions, notes: dict[str, Any] | None = None) -> Guide:
    if options.guide != "reasoner":
        return UniformGuide()
    # torch and the model load only here, once per process (recursa.synth.neural caches the loaded guide)
    try:
        from recursa.synth.neural import ModelMissing, load_guide
    except ImportError as exc:  # torch not installed: enumerate by size and say why
        if notes is not None:
            notes["guide_error"] = f"the reasoner guide needs torch ({exc})"
        return UniformGuide()
    try:
        return load_guide()
    except ModelMissing as exc:
        # enumeration falls back to uniform cost; the result's ``guide`` field then says "none", so a report
        # never claims guidance it did not get
        if notes is not None:
            notes["guide_error"] = str(exc)
        return UniformGuide()


def _solve_invariant(problem: Problem, options: SynthOptions, deadline: float) -> SynthResult:
    try:
        from recursa.synth.invariant import solve_invariant  # a sibling engine; imported only when needed
    except ImportError:
        return SynthResult(path=problem.path, status=SynthStatus.UNSUPPORTED,
                           message="invariant problems need recursa.synth.invariant, which is not available")
    return solve_invariant(problem, options, deadline)


class InvariantShape(str, enum.Enum):
    """How an invariant problem is solved (see :func:`invariant_shape`)."""

    SINGLE = "single"  # one unrestricted synth-inv, its inv-constraint, nothing else: the loop verifier
    SEPARATE = "separate"  # several of those, no constraint shared: the loop verifier on each, one re-check
    GENERAL = "general"  # anything else: CEGIS with the grammars, over the expanded constraints


def invariant_shape(problem: Problem) -> InvariantShape:
    """Which engine takes ``problem`` (a problem with at least one ``inv-constraint``)."""
    names = {f.name for f in problem.functions}
    inv_names = [ic.inv for ic in problem.inv_constraints]
    if len(set(inv_names)) != len(inv_names) or set(inv_names) != names:
        return InvariantShape.GENERAL
    if any(f.grammar is not None or not f.invariant for f in problem.functions):
        return InvariantShape.GENERAL
    mentions = [_calls(c, names) for c in problem.constraints]
    if len(problem.constraints) != 3 * len(inv_names) or any(len(m) != 1 for m in mentions):
        return InvariantShape.GENERAL
    if any(sum(1 for m in mentions if name in m) != 3 for name in inv_names):
        return InvariantShape.GENERAL
    return InvariantShape.SINGLE if len(inv_names) == 1 else InvariantShape.SEPARATE


def _solve_invariants(problem: Problem, options: SynthOptions, guide: Guide, t0: float, budget: Budget,
                      result: SynthResult) -> tuple[SynthResult, bool]:
    """The result, and whether ``budget``'s counters still have to be added to it."""
    shape = invariant_shape(problem)
    if shape is InvariantShape.SINGLE:
        out = _solve_invariant(problem, options, budget.deadline)
        if out.status is not SynthStatus.UNKNOWN or not horn.applies(problem) or budget.left() < 0.1:
            return out, False
        # The loop verifier gave up before the deadline (its candidate grammar ran dry): Spacer gets the rest.
        result.candidates, result.solver_calls = out.candidates, out.solver_calls
        result.stats["loop_verifier"] = {"status": out.status.value, "message": out.message,
                                         "time_s": round(out.time_s, 4), **out.stats}
        if _solve_by_horn(problem, budget, result, share=1.0):
            return result, True
        result.message = out.message
        return result, True
    if shape is InvariantShape.SEPARATE:
        done = _solve_separately(problem, options, budget, result)
        if done:
            return result, True
        result.status, result.solutions, result.message = SynthStatus.UNKNOWN, (), ""
    if horn.applies(problem):
        # CEGIS first, briefly: its answers are the smallest; then Spacer, which solves linked loops
        first = Budget(deadline=min(budget.deadline, t0 + CEGIS_FIRST_SHARE * options.timeout_s))
        try:
            _solve_all(problem, options, guide, first, result)
        except (SearchTimeout, BankFull):
            pass
        budget.candidates += first.candidates
        budget.solver_calls += first.solver_calls
        if result.status in (SynthStatus.SOLVED, SynthStatus.INFEASIBLE):
            result.stats["engine"] = "cegis"
            return result, True
        result.status, result.solutions, result.message = SynthStatus.UNKNOWN, (), ""
        phase = dict(result.stats)
        result.stats.clear()
        result.stats["cegis_first"] = phase
        if _solve_by_horn(problem, budget, result):
            return result, True
    result.stats["engine"] = "cegis"
    if getattr(guide, "mix_with_uniform", False):
        _guided_then_uniform(problem, options, guide, t0, budget, result)
        result.stats["engine"] = "cegis"
    else:
        _solve_all(problem, options, guide, budget, result)
    return result, True


#: Predicates without grammars: CEGIS gets this share of the timeout first, then Spacer
#: :data:`HORN_SHARE` of the time left, then CEGIS again with the rest.
CEGIS_FIRST_SHARE = 0.2
HORN_SHARE = 0.6


def _solve_by_horn(problem: Problem, budget: Budget, result: SynthResult, share: float = HORN_SHARE) -> bool:
    """Predicates without grammars as Horn clauses (:mod:`recursa.synth.horn`) in ``share`` of the time left
    (keeping a moment for the re-check); True when its answer passed the fresh re-check (``result`` then holds
    it)."""
    now = time.monotonic()
    left = max(0.0, budget.deadline - now)
    out = horn.solve_horn(problem, now + min(share * left, left - min(0.25, left / 4)))
    budget.solver_calls += 1
    if out.bodies is None:
        result.stats["horn"] = out.reason
        return False
    final = check(problem, out.bodies, budget, min_timeout_s=0.25, fresh_context=True)
    if final.verdict is not Verdict.VALID:
        result.stats["horn"] = "Spacer's answer failed the re-check"
        return False
    result.stats["engine"] = "horn clauses (Spacer)"
    result.status = SynthStatus.SOLVED
    result.solutions = tuple(Solution(f.name, f.params, f.sort, out.bodies[f.name]) for f in problem.functions)
    return True


def _solve_separately(problem: Problem, options: SynthOptions, budget: Budget, result: SynthResult) -> bool:
    """Each inv-constraint by the loop verifier in its share of the time, then one fresh re-check of all the
    answers against the whole problem. False (nothing decided) when one of them is not solved nor infeasible."""
    names = {f.name for f in problem.functions}
    bodies: dict[str, Term] = {}
    per: dict[str, Any] = {}
    result.stats["engine"] = "loop verifier per invariant"
    result.stats["invariants"] = per
    for i, ic in enumerate(problem.inv_constraints):
        left = budget.deadline - time.monotonic()
        share = time.monotonic() + left / (len(problem.inv_constraints) - i)
        own = tuple(c for c in problem.constraints if _calls(c, names) == {ic.inv})
        sub = replace(problem, functions=(problem.function(ic.inv),), constraints=own, inv_constraints=(ic,))
        out = _solve_invariant(sub, options, share)
        result.candidates += out.candidates
        result.solver_calls += out.solver_calls
        per[ic.inv] = {"status": out.status.value, "time_s": round(out.time_s, 4), **out.stats}
        if out.status is SynthStatus.INFEASIBLE:  # no invariant meets this inv-constraint alone
            result.status = SynthStatus.INFEASIBLE
            result.message = f"{ic.inv}: {out.message}"
            return True
        if out.status is not SynthStatus.SOLVED:
            per[ic.inv]["message"] = out.message
            return False
        bodies[ic.inv] = out.solutions[0].body
    final = check(problem, bodies, budget, min_timeout_s=0.25, fresh_context=True)
    if final.verdict is not Verdict.VALID:
        return False
    result.status = SynthStatus.SOLVED  # no grammars here: the shape has unrestricted invariants only
    result.solutions = tuple(Solution(f.name, f.params, f.sort, bodies[f.name]) for f in problem.functions)
    return True


def _definitions(problem: Problem) -> dict[str, Callable]:
    defs: dict[str, Callable] = {}
    for name, d in problem.definitions.items():
        defs[name] = macro([p for p, _ in d.params], d.body, defs)
    return defs


def _calls(term: Term, names: set[str]) -> set[str]:
    return {n.op for n in postorder(term) if isinstance(n, App) and n.op in names}


def _solve_all(problem: Problem, options: SynthOptions, guide: Guide, budget: Budget, result: SynthResult) -> None:
    if problem.logic not in SUPPORTED_LOGICS and not all(f.grammar for f in problem.functions):
        result.status = SynthStatus.UNSUPPORTED
        result.message = f"logic {problem.logic} is not supported by the enumerative engine"
        return
    if not problem.functions:
        result.status = SynthStatus.ERROR
        result.message = "no synth-fun to solve"
        return
    defs = _definitions(problem)
    stats = result.stats  # filled as the search goes, so a timeout still reports rounds and points
    names = {f.name for f in problem.functions}
    mentions = [(c, _calls(c, names)) for c in problem.constraints]
    if len(problem.functions) > 1 and any(len(m) > 1 for _, m in mentions):
        grammars = [compile_grammar(problem, fn, guide, defs) for fn in problem.functions]
        bodies, why = solve_jointly(problem, grammars, _initial_points(problem, options.seed), defs, budget, stats,
                                    options.max_size)
        if bodies is None:
            result.status, result.message = SynthStatus.UNKNOWN, why
            return
    else:
        bodies = {}
        for i, fn in enumerate(problem.functions):
            # constraints that call no function go with the first one (they can still make the problem infeasible)
            own = tuple(c for c, m in mentions if fn.name in m or (i == 0 and not m))
            sub = replace(problem, functions=(fn,), constraints=own)
            own_stats = stats if len(problem.functions) == 1 else stats.setdefault(fn.name, {})
            out = _solve_one(sub, fn, options, guide, budget, defs, own_stats)
            if out.status is not SynthStatus.SOLVED:
                result.status, result.message = out.status, out.message
                return
            assert out.body is not None
            bodies[fn.name] = out.body
    # An answer must be a term of its function's grammar: the enumerators only build such terms, so a miss here
    # is a bug, never printed.
    outside = [f.name for f in problem.functions if f.grammar is not None
               and not in_grammar(f.grammar, f.params, bodies[f.name])]
    if outside:
        result.status = SynthStatus.UNKNOWN
        result.message = f"internal error: the answer for {outside[0]} is not a term of its grammar"
        return
    # The answer stands only if a fresh solver, given every constraint and every answer at once, agrees.
    final = check(problem, bodies, budget, min_timeout_s=0.25, fresh_context=True)
    if final.verdict is not Verdict.VALID:
        result.status = SynthStatus.UNKNOWN
        result.message = ("the final re-check of the answer did not confirm it"
                          + (f" ({final.reason})" if final.reason else " (counterexample found)"))
        return
    result.status = SynthStatus.SOLVED
    result.solutions = tuple(Solution(f.name, f.params, f.sort, bodies[f.name]) for f in problem.functions)


def _initial_points(problem: Problem, seed: int, n_random: int = 3) -> list[dict[str, Any]]:
    """The all-zero point and a few random ones. Solver counterexamples are small and full of ties, on which
    many wrong terms are right by coincidence; random points with spread-out values break those ties early."""
    import random

    rng = random.Random(seed)
    points = [{name: (False if sort.name == "Bool" else 0) for name, sort in problem.declared}]
    if not problem.declared:
        return points
    for _ in range(n_random):
        p: dict[str, Any] = {}
        for name, sort in problem.declared:
            if sort.name == "Bool":
                p[name] = rng.random() < 0.5
            elif sort.name == "Int":
                p[name] = rng.randint(-50, 50)
            else:
                p[name] = rng.getrandbits(sort.width)
        points.append(p)
    return points


def _solve_one(problem: Problem, fn: SynthFun, options: SynthOptions, guide: Guide, budget: Budget,
               defs: Mapping[str, Callable], stats: dict[str, Any]) -> _Outcome:
    """CEGIS for one synth-fun over ``problem.constraints``.

    A guide with an ``observe(problem, fn, points) -> bool`` method (the reasoner guide) is told the
    counterexamples found so far after each one, and the grammar is re-priced when what it reads changed."""
    observe: Callable[..., bool] | None = getattr(guide, "observe", None)
    if observe is not None:
        observe(problem, fn, ())  # a fresh CEGIS run: no counterexample yet
    grammar = compile_grammar(problem, fn, guide, defs)
    spec = Spec(problem.constraints, fn, defs)
    points = _initial_points(problem, options.seed, n_random=max(3, 6 * len(problem.declared)))
    first_counterexample = len(points)
    extra_inputs: list[tuple] = []
    checked: set[tuple] = set()  # inputs already known to have some right output
    stats.update({"rounds": 0, "points": len(points), "bank": 0, "method": ""})
    while True:
        budget.check()
        stats["rounds"] += 1
        ex = Examples(spec, points, extra_inputs)
        stats["points"] = len(points)
        stats["inputs"] = len(ex.inputs)
        if ex.ground_false and not ex.undefined:
            return _Outcome(SynthStatus.INFEASIBLE, message="a constraint that calls no synth-fun is false")
        if ex.conflict:
            return _Outcome(SynthStatus.INFEASIBLE, message=ex.conflict)
        bad = _unrealizable_input(problem, fn, ex, checked, budget)
        if bad is not None:
            return _Outcome(SynthStatus.INFEASIBLE, message=f"no output value satisfies the specification on "
                            f"input {bad}")
        try:
            candidate = _search(grammar, ex, defs, budget, options, stats)
        except MissingInput as miss:
            extra_inputs.append(miss.args)
            continue
        except _Infeasible as exc:
            return _Outcome(SynthStatus.INFEASIBLE, message=str(exc))
        if candidate is None:
            why = (f"size limit {options.max_size} reached" if options.max_size
                   else "search space exhausted without an answer (not a proof of infeasibility)")
            return _Outcome(SynthStatus.UNKNOWN, message=f"{why} after {budget.candidates} candidates")
        if not problem.declared:
            return _Outcome(SynthStatus.SOLVED, candidate)  # examples are the whole spec
        res = check(problem, {fn.name: candidate}, budget, diverse=True)
        if res.verdict is Verdict.VALID:
            return _Outcome(SynthStatus.SOLVED, candidate)
        if res.verdict is Verdict.UNKNOWN:
            budget.check()
            return _Outcome(SynthStatus.UNKNOWN, message=f"Z3 could not check a candidate ({res.reason})")
        if res.point in points:
            # Z3 and the evaluator disagree on this point: do not loop on it.
            return _Outcome(SynthStatus.UNKNOWN, message="counterexample repeats an example point "
                            "(evaluator and Z3 disagree)")
        points.append(res.point)
        if observe is not None and observe(problem, fn, points[first_counterexample:]):
            grammar = compile_grammar(problem, fn, guide, defs)  # re-priced: the guide read the counterexample
            stats["repriced"] = stats.get("repriced", 0) + 1


def _unrealizable_input(problem: Problem, fn: SynthFun, ex: Examples, checked: set[tuple],
                        budget: Budget) -> tuple | None:
    """An input on which no output at all satisfies the spec (so no grammar has an answer), if one of the
    current points is such; only for pointwise specs with declared variables, one or two Z3 calls per new input.
    Where the spec leaves exactly one right output, that output becomes the input's demanded one
    (:meth:`Examples.demand`): ``(= (- (f x y) x) e)`` then gets a linear fit like ``(= (f x y) e)``."""
    if not ex.pointwise or not problem.declared:
        return None
    for i, args in enumerate(ex.inputs):
        if args in checked or not ex.groups[i]:
            continue
        ask = i not in ex.targets and ex.spec.functional
        found, value = output_at(problem, fn.name, [(c.term, env) for c, env in ex.groups[i]], budget, unique=ask)
        if found is False:
            return args
        if value is not None:
            ex.demand(args, value)
        elif ask and found:
            ex.spec.functional = False  # one input with a choice of outputs: stop asking (a call per input)
        checked.add(args)  # True, or unknown: not asked again
    ex.apply_demands()
    return None


def _search(grammar: CompiledGrammar, ex: Examples, defs: Mapping[str, Callable], budget: Budget,
            options: SynthOptions, stats: dict[str, Any]) -> Term | None:
    """One round: a term consistent with every example, or None when the size cap ended the search.
    Raises :class:`_Infeasible` when no term of the grammar can be consistent (proved)."""
    ite = grammar.ite_rule()
    # Infeasibility is claimed only for a grammar given in the file with no (Constant S): the default grammar
    # and the constants we pick for (Constant S) are a slice of an infinite term space.
    exact = grammar.function.grammar is not None and not any(
        r.ref.text.startswith("(Constant") for rs in grammar.rules.values() for r in rs)
    if ex.pointwise and ex.inputs:
        linear = fit_linear(ex) if grammar.function.grammar is None else fit_linear_in_grammar(ex, grammar)
        budget.candidates += 1
        if linear is not None:
            stats["method"] = "linear fit"
            return linear
    if ex.pointwise and ite is not None and ex.inputs:
        stats["method"] = "divide-and-conquer"
        out = divide_and_conquer(grammar, ite, ex, defs, budget, options.max_size)
        stats["terms"], stats["predicates"], stats["bank"] = out.terms, out.predicates, out.bank
        if out.term is not None:
            return out.term
        if out.infeasible and exact and not ex.undefined:
            raise _Infeasible("no term of the grammar satisfies the examples (divide and conquer exhausted "
                              "every behaviour on some point)")
        return None
    stats["method"] = "enumeration"
    scorer = grammar.value_scorer(ex)
    en = Enumerator(grammar, ex.input_envs(), defs, budget, max_cost=options.max_size, scorer=scorer)
    completer = completer_for(grammar, ex, budget)
    try:
        for nt, _cost, term, vec in en.terms():
            if nt != grammar.start:
                continue
            if ex.consistent(vec):
                return term
            if completer is not None:
                done = completer.complete(term, vec)
                if done is not None and ex.consistent(done[1]):
                    stats["completed_from_top"] = True
                    return done[0]
    finally:
        stats["bank"] = en.bank_size()
        if scorer is not None:
            stats["values_scored"] = stats.get("values_scored", 0) + scorer.values
            stats["values_delayed"] = stats.get("values_delayed", 0) + scorer.delayed
        en.release()
    if en.exhausted and exact and not en.undefined and not ex.undefined:
        raise _Infeasible("the grammar is exhausted: every behaviour it can produce on the examples was refuted")
    return None
