"""Invariants over C ``unsigned`` values under ``--int-semantics machine``: unsigned atoms (``i <= n`` compared
as unsigned 32-bit values) agree between example data and Z3, the grammar proposes them for unsigned
variables only, and the unsigned programs of the suite are proved or violated as expected."""

from __future__ import annotations

import random

import numpy as np
import pytest
import z3

from recursa.paths import TASKS_DIR
from recursa.refine.candidates import Atom, atom_truth, atom_z3
from recursa.refine.grammar import HeadData, generate, load_grammar
from recursa.refine.ice import atom_implies
from recursa.refine.rank import UnguidedRanker
from recursa.refine.suite import load_manifest, run_suite
from recursa.refine.verify import Verdict, Verifier, VerifyOptions
from recursa.symbolic.frontend import load_program
from recursa.symbolic.interp import Outcome, replay
from recursa.symbolic.ir import Sort
from recursa.symbolic.transition import Encoder

UMAX = (1 << 32) - 1


def signed(u: int) -> int:
    """The signed 32-bit reading of a bit pattern (how example states hold unsigned values)."""
    u &= UMAX
    return u - (1 << 32) if u >= 1 << 31 else u


def z3_truth(atom: Atom, names: list[str], row: list[int]) -> bool:
    enc = Encoder(machine=True)
    state = {v: enc.const(v, Sort.INT) for v in names}
    term = atom_z3(atom, state, enc)
    pairs = [(state[v], enc.int_val(x)) for v, x in zip(names, row)]
    return z3.is_true(z3.simplify(z3.substitute(term, *pairs)))


LE = Atom((("i", 1), ("n", -1)), "le", 0, unsigned=True)


def test_an_unsigned_atom_compares_its_sides_as_unsigned_values():
    rows = np.array([[0, signed(UMAX)], [5, 3], [signed(1 << 31), 7], [4, 4]], np.int64)  # i, n
    assert atom_truth([LE], ["i", "n"], rows, True)[:, 0].tolist() == [True, False, False, True]
    signed_le = Atom((("i", 1), ("n", -1)), "le", 0)  # i - n <= 0 on signed 32-bit values: not the same
    assert atom_truth([signed_le], ["i", "n"], rows, True)[:, 0].tolist() == [False, False, False, True]


def test_data_and_solver_agree_on_unsigned_and_machine_atoms():
    rng = random.Random(7)
    edges = [0, 1, 2, 3, (1 << 31) - 1, 1 << 31, UMAX - 1, UMAX]
    atoms = [Atom(co, op, k, unsigned=True)
             for co in ((("x", 1),), (("x", 1), ("y", -1)), (("x", 2), ("y", -1)), (("x", 1), ("y", 1)))
             for op in ("le", "ge", "lt", "gt") for k in (0, 3, UMAX, 1 << 31)]
    # signed atoms with constants past 2**31: Z3 reads them as 32-bit values, and so must the data
    atoms += [Atom((("x", 1),), op, k) for op in ("le", "ge", "eq") for k in (UMAX - 5, 1 << 31, 5)]
    rows = [[signed(rng.choice(edges + [rng.getrandbits(32)])), signed(rng.choice(edges + [rng.getrandbits(32)]))]
            for _ in range(40)]
    table = atom_truth(atoms, ["x", "y"], np.array(rows, np.int64), True)
    for j, a in enumerate(atoms):
        for r, row in enumerate(rows):
            assert bool(table[r, j]) == z3_truth(a, ["x", "y"], row), (a, row)


def test_negation_of_an_unsigned_atom_is_its_complement():
    rows = np.array([[signed(a), signed(b)] for a in (0, 1, 5, 1 << 31, UMAX) for b in (0, 4, 5, UMAX)], np.int64)
    for op in ("le", "ge", "lt", "gt"):
        for k in (0, 1, UMAX):
            a = Atom((("i", 1), ("n", -1)), op, k, unsigned=True)
            (neg,) = a.negation()
            t = atom_truth([a, neg], ["i", "n"], rows, True)
            assert (t[:, 0] ^ t[:, 1]).all()


def test_unsigned_atoms_read_as_written_in_c():
    assert LE.text() == "i <= n"
    assert Atom((("i", 1), ("n", -1)), "lt", UMAX, unsigned=True).text() == "i < n - 1"
    assert Atom((("x", 1),), "ge", 4_000_000_000, unsigned=True).text() == "x >= 4000000000"
    assert Atom((("n", -1),), "le", 0, unsigned=True).text({"n": "len"}) == "0 <= len"


def test_signed_and_unsigned_atoms_over_one_form_do_not_imply_each_other():
    signed_le = Atom((("i", 1), ("n", -1)), "le", 0)
    assert not atom_implies(LE, signed_le) and not atom_implies(signed_le, LE)
    assert atom_implies(LE, LE)
    assert not atom_implies(Atom((("i", 1), ("n", -1)), "le", 0, unsigned=True),
                            Atom((("i", 1), ("n", -1)), "le", 1, unsigned=True))  # n + 1 may wrap to 0


def head(unsigned: frozenset[str], machine: bool = True) -> HeadData:
    rows = np.array([[signed(UMAX), 0], [signed(UMAX), 1], [signed(3_000_000_000), 2]], np.int64)  # n, i
    return HeadData(["n", "i"], ["n", "i"], [], rows, [0, 1], [], machine, unsigned)


def test_the_grammar_proposes_unsigned_atoms_for_unsigned_variables_only():
    grammar = load_grammar("linear")
    cands = generate(grammar, head(frozenset({"n", "i"})))
    uns = [c for c in cands if any(a.unsigned for a in c.atoms)]
    texts = {c.text() for c in uns}
    assert "n >= i" in texts and "n <= i" not in texts
    assert "i <= 2" in texts and "n >= 3000000000" in texts
    rows = head(frozenset()).positives
    for c in uns:  # every proposal holds on the examples
        assert atom_truth(list(c.atoms), ["n", "i"], rows, True).any(axis=1).all()
    assert not any(a.unsigned for c in generate(grammar, head(frozenset())) for a in c.atoms)
    assert not any(a.unsigned for c in generate(grammar, head(frozenset({"n", "i"}), machine=False))
                   for a in c.atoms)


COUNT_UP = (TASKS_DIR / "invariants" / "c" / "mach_u_up.c").read_text()  # i counts up to an unsigned n


@pytest.mark.parametrize("semantics", ["machine", "math"])
def test_an_unsigned_counting_loop_with_a_nondet_bound_is_proved(tmp_path, semantics):
    p = tmp_path / "count.c"
    p.write_text(COUNT_UP)
    fr = Verifier(VerifyOptions(timeout_s=10, int_semantics=semantics), ranker="unguided").verify_file(p)
    (r,) = fr.results
    assert r.verdict is Verdict.PROVED, r.message
    assert r.certificate is not None and r.certificate.valid
    if semantics == "machine":
        assert r.invariant in ("n >= i", "i <= n")


def test_the_unsigned_machine_programs_of_the_suite_are_proved_or_violated_with_replayable_traces():
    entries = [e for e in load_manifest() if e.int_semantics == "machine" and "unsigned" in e.tags]
    assert len({e.path for e in entries}) >= 12
    report = run_suite(UnguidedRanker(), VerifyOptions(timeout_s=20), entries=entries)
    s = report.summary()
    assert s["unsound"] == [] and s["wrong"] == []
    assert s["valid_proved"] == s["valid_total"] and s["invalid_violated"] == s["invalid_total"]
    for o in report.outcomes:
        for r in o.result.results:
            if r.verdict is Verdict.VIOLATED:
                prog = load_program(o.entry.path.read_bytes(), "c", int_semantics="machine")
                f = next(u.function for u in prog.units if u.name == r.function)
                run = replay(f, r.trace.initial, list(r.trace.nondet), machine=True)
                assert run.outcome is Outcome.VIOLATION and run.failed is not None
                assert run.failed.loc.line == r.line
