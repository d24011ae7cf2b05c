"""The verify-and-refine loop of :mod:`recursa.refine.ice`: its truth table of candidates on example states, the
conjecture that positive and implication examples leave, and whole runs on a small loop."""

from __future__ import annotations

import numpy as np
import pytest

from recursa.refine.candidates import Atom, Candidate
from recursa.refine.grammar import load_grammar
from recursa.refine.ice import Budget, Refiner, _Head, implied_members
from recursa.refine.rank import UnguidedRanker
from recursa.symbolic.frontend import load_program
from recursa.symbolic.transition import ENTRY, TransitionSystem, transition_system

T, F = True, False


def atom(op: str, const: int, **coeffs: int) -> Atom:
    return Atom(tuple(coeffs.items()), op, const)


def clause(*atoms: Atom) -> Candidate:
    return Candidate(tuple(atoms))


def head(variables: list[str], machine: bool = False) -> _Head:
    return _Head(1, variables, list(variables), [], [0, 1], [], machine, None)


X_NONNEG = clause(atom("ge", 0, x=1))  # x >= 0
X_LE_Y = clause(atom("le", 0, x=1, y=-1))  # x - y <= 0
X_IS_1_OR_Y_GE_5 = clause(atom("eq", 1, x=1), atom("ge", 5, y=1))  # x == 1 || y >= 5
Y_GE_2 = clause(atom("ge", 2, y=1))  # y >= 2


def rows(*states: tuple[int, ...]) -> np.ndarray:
    return np.array(states, np.int64)


def test_rows_are_deduplicated_and_every_candidate_is_evaluated_on_them() -> None:
    hd = head(["x", "y"])
    assert hd.append_candidates([X_NONNEG, X_LE_Y, X_IS_1_OR_Y_GE_5], UnguidedRanker()) == 3
    assert hd.truth.shape == (0, 3) and hd.pos_ok.tolist() == [T, T, T] and hd.pool.tolist() == [F, F, F]
    assert hd.ranking == [0, 1, 2]

    assert hd.add_rows(rows((1, 2), (3, 1), (1, 2))) == [0, 1, 0]
    assert hd.rows.tolist() == [[1, 2], [3, 1]]
    assert hd.truth.tolist() == [[T, T, T], [T, F, F]]
    assert hd.positives == []  # rows alone are not positive examples

    # a positive already seen as a row keeps its index; a new one is appended and evaluated
    assert hd.add_positives(rows((1, 2), (-1, 7))) == 2
    assert hd.positives == [0, 2]
    assert hd.truth[2].tolist() == [F, T, T]
    assert hd.pos_ok.tolist() == [F, T, T]  # x >= 0 is falsified by (-1, 7)
    assert hd.add_positives(rows((-1, 7))) == 0
    assert hd.pos_ok.tolist() == [F, T, T]


def test_new_candidates_are_evaluated_on_the_rows_seen_so_far() -> None:
    hd = head(["x", "y"])
    hd.append_candidates([X_NONNEG], UnguidedRanker())
    hd.add_positives(rows((1, 2), (-1, 7)))
    hd.add_rows(rows((3, 1)))
    assert hd.append_candidates([Y_GE_2, X_NONNEG, X_LE_Y], UnguidedRanker()) == 2  # x >= 0 is known
    assert [hd.known[c] for c in (X_NONNEG, Y_GE_2, X_LE_Y)] == [0, 1, 2]
    assert hd.truth.tolist() == [[T, T, T], [F, T, T], [T, F, F]]
    assert hd.pos_ok.tolist() == [F, T, T]  # judged on the positives only: (3, 1) is not one
    assert hd.pool.tolist() == [F, F, F]


def test_machine_integers_wrap_in_the_truth_table_as_in_the_solver() -> None:
    big = rows((2**30, 2**30))  # x + y = 2**31: -2**31 in 32-bit arithmetic
    sum_le_0 = clause(atom("le", 0, x=1, y=1))
    for machine, expected in ((False, F), (True, T)):
        hd = head(["x", "y"], machine)
        hd.append_candidates([sum_le_0], UnguidedRanker())
        hd.add_positives(big)
        assert hd.truth.tolist() == [[expected]]
        assert hd.pos_ok.tolist() == [expected]


def test_data_equalities_are_ranked_first_and_never_reordered_by_scores() -> None:
    hd = head(["x", "y"])
    equality = clause(atom("eq", 0, x=1, y=-1))
    hd.append_candidates([X_NONNEG, X_LE_Y, Y_GE_2], UnguidedRanker(), algebraic=[equality])
    assert hd.candidates[0] == equality and hd.alg_idx == [0]
    assert hd.grammar_indices() == [1, 2, 3]
    assert hd.ranking == [0, 1, 2, 3]
    hd.rerank(UnguidedRanker(), scores=np.array([0.1, 0.9, 0.5]))  # scores of the grammar's candidates
    assert hd.ranking == [0, 2, 3, 1]


LOOP = b"""int main() {
  int n, i = 0, s = 0;
  assume(n >= 0);
  while (i < n) {
    i = i + 1;
    s = s + 2;
  }
  assert(s == 2 * i);
  return 0;
}
"""


def system(source: bytes) -> TransitionSystem:
    prog = load_program(source, "c")
    function = prog.units[0].function
    assert function is not None
    return transition_system(function)


def refiner(ts: TransitionSystem, budget: Budget | None = None) -> Refiner:
    positives = {1: [{"n": 3, "i": k, "s": 2 * k} for k in range(4)]}
    return Refiner(ts, load_grammar("linear"), UnguidedRanker(), positives, {}, budget)


def test_implications_weaken_the_conjecture_only_from_states_inside_it() -> None:
    r = refiner(system(LOOP))
    hd = head(["n", "i", "s"])  # a head with three known candidates instead of the grammar's
    i_le_n, s_is_2i, i_nonneg = clause(atom("le", 0, i=1, n=-1)), clause(atom("eq", 0, i=2, s=-1)), \
        clause(atom("ge", 0, i=1))
    hd.append_candidates([i_le_n, s_is_2i, i_nonneg], UnguidedRanker())
    hd.pool[:] = True
    r.heads[1] = hd
    assert r.conjecture()[1].tolist() == [T, T, T]

    inside, outside_first = hd.add_rows(rows((3, 1, 2), (3, 5, 10)))  # the second breaks i <= n only
    past_n, odd = hd.add_rows(rows((3, 4, 8), (3, 6, 11)))  # i <= n false; s == 2*i false
    # listed first, but it applies only once the other implication has dropped i <= n
    r.implications = [(1, outside_first, 1, odd), (1, inside, 1, past_n)]
    assert r.conjecture()[1].tolist() == [F, F, T]

    r.implications = [(1, outside_first, 1, odd)]
    assert r.conjecture()[1].tolist() == [T, T, T]

    r.implications = [(ENTRY, 0, 1, past_n)]  # from the entry: always applies (an initial state)
    assert r.conjecture()[1].tolist() == [F, T, T]

    hd.pos_ok[2] = False  # a candidate a positive example falsifies is never in the conjecture
    hd.pool[1] = False  # nor one not yet admitted
    assert r.conjecture()[1].tolist() == [F, F, F]


def test_a_run_proves_the_loop_with_an_invariant_that_holds_on_every_example() -> None:
    r = refiner(system(LOOP))
    result = r.run({1})
    assert result.proved == {1} and result.unproved_reason == ""
    assert [c.text() for c in result.invariants[1]] == ["2*i == s"]
    hd = r.heads[1]
    used = [hd.known[c] for c in result.invariants[1]]
    assert hd.truth[hd.positives][:, used].all()
    for _src, s_row, dst, t_row in r.implications:  # an implication from inside the invariant ends inside it
        assert not (hd.truth[s_row, used].all() and not r.heads[dst].truth[t_row, used].all())
    stats = result.stats
    assert stats.stopped == "proved"
    assert stats.implications == len(r.implications) and stats.negatives == len(r.negatives)
    assert stats.positives == len(hd.positives) and stats.candidates_generated == hd.size
    assert 0 < stats.solver_calls <= r.call_budget


def test_without_minimising_the_invariant_is_the_conjecture_less_what_it_implies() -> None:
    r = refiner(system(LOOP), Budget(minimise=False))
    result = r.run({1})
    assert result.proved == {1}
    conj = r.conjecture()[1]
    members = np.flatnonzero(conj).tolist()
    kept = [r.heads[1].known[c] for c in result.invariants[1]]
    assert kept == sorted(set(members) - implied_members(r.heads[1].candidates, members))
    assert "2*i == s" in [c.text() for c in result.invariants[1]]


def test_running_out_of_solver_calls_proves_nothing() -> None:
    r = refiner(system(LOOP), Budget(max_solver_calls=1, calls_per_clause=0))
    result = r.run({1})
    assert result.proved == set() and result.invariants == {}
    assert result.unproved_reason == "solver-call budget" == result.stats.stopped
    assert result.stats.solver_calls == 1


def test_a_sampler_is_asked_for_the_guards_no_positive_example_satisfies() -> None:
    r = refiner(system(LOOP))
    hd = r.heads[1]
    assert [g.text() for g in hd.guards] == ["n >= 0", "n >= i + 1", "2*i == s"]  # assume, loop, assert

    def uncovered() -> list[str]:
        return [a.text() for a in r._uncovered().get(1, [])]

    assert uncovered() == ["n <= -1", "2*i <= s - 1", "2*i >= s + 1"]  # i == n is reached: its negation is not
    before = r.stats.positives
    assert r._add_samples({1: [{"n": 2, "i": 1, "s": 3}, {"n": 3, "i": 0, "s": 0}]}) == 1  # the second is known
    assert r.stats.positives == before + 1 and hd.rows[hd.positives[-1]].tolist() == [2, 1, 3]
    assert uncovered() == ["n <= -1", "2*i >= s + 1"]


BEFORE_THE_LOOP = b"""int main() {
  int n, i = 0;
  assume(n >= 0);
  assert(i == 1);
  while (i < n) {
    i = i + 1;
  }
  assert(i >= 0);
  return 0;
}
"""


def test_an_assertion_a_loop_free_path_violates_is_never_proved() -> None:
    ts = system(BEFORE_THE_LOOP)
    first, second = ts.assertions
    r = Refiner(ts, load_grammar("linear"), UnguidedRanker(), {1: [{"n": 2, "i": k} for k in range(3)]}, {})
    result = r.run({first, second})
    assert result.proved == {second}
    assert r.negatives == []  # the violation needs no loop state: nothing to learn at the head


@pytest.mark.parametrize(("members", "dropped"), [
    ([0, 1, 2], {0, 1}),  # x == 2 implies x <= 3 and x <= 5
    ([0, 1], {1}),  # x <= 3 implies x <= 5
    ([1, 3], set()),  # x <= 5 and x >= 0: neither implies the other
    ([3, 4], {4}),  # x >= 0 implies x >= 0 || y <= 1
])
def test_implied_members_are_those_another_member_implies(members: list[int], dropped: set[int]) -> None:
    cands = [clause(atom("le", 3, x=1)), clause(atom("le", 5, x=1)), clause(atom("eq", 2, x=1)),
             clause(atom("ge", 0, x=1)), clause(atom("ge", 0, x=1), atom("le", 1, y=1))]
    assert implied_members(cands, members) == dropped
