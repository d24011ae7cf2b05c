"""cvc5 as a reference SyGuS solver and as a second opinion on recursa's answers.

cvc5 runs in a child process (``python -c``) that is killed at the deadline: its ``check-synth`` has no
reliable in-process time limit, and a killed child cannot leave a half-finished solver behind. The options
``sygus=true`` and ``incremental=false`` are both required (without the second, ``check-synth`` did not return
even on a three-line problem; see PLATFORM.md). cvc5 is optional (``pip install recursa[verify]``); when it is
missing every function here raises :class:`Cvc5Missing` with the install line.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Any

from recursa.synth.problem import Problem, SynthResult, SynthStatus

INSTALL_HINT = "cvc5 is not installed; install it with `pip install recursa[verify]` (or `pip install cvc5`)"


class Cvc5Missing(RuntimeError):
    """cvc5's Python package cannot be imported."""


def cvc5_available() -> bool:
    return importlib.util.find_spec("cvc5") is not None


def require_cvc5() -> None:
    if not cvc5_available():
        raise Cvc5Missing(INSTALL_HINT)


# The child prints one JSON line on stdout: {"outputs": [...]} with what each check-synth printed, or
# {"error": message} when cvc5 rejects the file. Nothing else is printed there.
#: The child process that runs cvc5: ``sygus PATH`` solves a SyGuS file, ``smt`` the SMT-LIB script on stdin;
#: it prints one JSON line with cvc5's non-empty outputs (stripped) and, when cvc5 rejects the input, its error.
_CHILD = r"""
import json, sys
import cvc5
from cvc5 import InputLanguage, InputParser, SymbolManager
tm = cvc5.TermManager()
solver = cvc5.Solver(tm)
sygus = sys.argv[1] == "sygus"
if sygus:
    solver.setOption("sygus", "true")
    solver.setOption("incremental", "false")
symbols = SymbolManager(tm)
parser = InputParser(solver, symbols)
outputs = []
try:
    if sygus:
        parser.setFileInput(InputLanguage.SYGUS_2_1, sys.argv[2])
    else:
        parser.setStringInput(InputLanguage.SMT_LIB_2_6, sys.stdin.read(), "cross-check")
    while True:
        command = parser.nextCommand()
        if command.isNull():
            break
        text = command.invoke(solver, symbols)
        if text.strip():
            outputs.append(text.strip())
except Exception as exc:  # cvc5 reports parse and sort errors as RuntimeError
    print(json.dumps({"error": str(exc).strip() or type(exc).__name__, "outputs": outputs}))
    sys.exit(0)
print(json.dumps({"outputs": outputs}))
"""


@dataclass
class Cvc5Result(SynthResult):
    """A :class:`SynthResult` whose answer is cvc5's own text (cvc5 prints ``let``s and normal forms that
    recursa does not re-read); ``solutions`` stays empty."""

    solution_text: str = ""

    def to_json(self) -> dict[str, Any]:
        data = super().to_json()
        data["solution"] = self.solution_text or None
        return data


def _strip_outer(text: str) -> str:
    """cvc5 wraps the define-funs of one check-synth in a pair of parentheses on their own lines."""
    body = text.strip()
    if body.startswith("(") and body.endswith(")") and body[1:].lstrip().startswith("(define-fun"):
        body = body[1:-1].strip()
    return body


def _run_child(script: str, args: list[str], stdin: str | None, timeout_s: float) -> dict[str, Any] | None:
    """Run ``script`` in a fresh interpreter; None when it ran past ``timeout_s`` (it is killed)."""
    try:
        proc = subprocess.run([sys.executable, "-c", script, *args], input=stdin, capture_output=True, text=True,
                              timeout=max(timeout_s, 0.1))
    except subprocess.TimeoutExpired:
        return None
    line = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else ""
    try:
        data = json.loads(line)
    except json.JSONDecodeError:
        tail = (proc.stderr.strip().splitlines() or [f"exit status {proc.returncode}"])[-1]
        return {"error": f"cvc5 crashed: {tail}", "outputs": []}
    return data if isinstance(data, dict) else {"error": "cvc5 printed no result", "outputs": []}


def run_cvc5(path: str, timeout_s: float) -> Cvc5Result:
    """Solve the SyGuS file at ``path`` with cvc5 in a child process killed after ``timeout_s`` seconds.

    Status: ``solved`` (cvc5 printed define-funs), ``infeasible``, ``unknown`` (cvc5 printed ``fail`` or ran
    out of time) or ``error`` (cvc5 rejected the file; its message is kept). The time includes starting the
    child interpreter (about 0.1 s), which is the same for every file.
    """
    require_cvc5()
    start = time.perf_counter()
    data = _run_child(_CHILD, ["sygus", path], None, timeout_s)
    elapsed = time.perf_counter() - start
    if data is None:
        return Cvc5Result(path, SynthStatus.UNKNOWN, time_s=elapsed, guide="cvc5",
                          message=f"cvc5 timed out after {timeout_s:g} s")
    if "error" in data:
        return Cvc5Result(path, SynthStatus.ERROR, time_s=elapsed, guide="cvc5", message=f"{path}: {data['error']}")
    outputs = [str(o) for o in data.get("outputs", [])]
    if not outputs:
        return Cvc5Result(path, SynthStatus.ERROR, time_s=elapsed, guide="cvc5", message=f"{path}: no check-synth")
    first = outputs[0].strip()
    if first.startswith("infeasible"):
        return Cvc5Result(path, SynthStatus.INFEASIBLE, time_s=elapsed, guide="cvc5")
    if "(define-fun" in first:
        return Cvc5Result(path, SynthStatus.SOLVED, time_s=elapsed, guide="cvc5", solution_text=_strip_outer(first))
    return Cvc5Result(path, SynthStatus.UNKNOWN, time_s=elapsed, guide="cvc5", message=f"cvc5: {first}")


def check_query(problem: Problem, define_funs: list[str]) -> str:
    """The SMT-LIB query that is unsat exactly when ``define_funs`` meet every constraint of ``problem``:
    the definitions, the answer, the declared variables as constants, and the negated conjunction."""
    from recursa.symbolic.terms import to_smtlib

    lines = ["(set-logic ALL)"]
    lines += [d.text() for d in problem.definitions.values()]
    lines += define_funs
    lines += [f"(declare-const {name} {sort})" for name, sort in problem.declared]
    body = " ".join(to_smtlib(c) for c in problem.constraints) or "true"
    lines.append(f"(assert (not (and true {body})))")
    lines.append("(check-sat)")
    return "\n".join(lines) + "\n"


def cross_check(problem: Problem, result: SynthResult, timeout_s: float) -> tuple[bool | None, str]:
    """Ask cvc5 whether ``result``'s answer meets ``problem``'s specification.

    Returns ``(True, "")`` when cvc5 finds the negated specification unsat, ``(False, why)`` when it finds
    a counterexample or rejects the query, and ``(None, why)`` when it runs out of time.
    """
    require_cvc5()
    query = check_query(problem, [s.text() for s in result.solutions])
    data = _run_child(_CHILD, ["smt"], query, timeout_s)
    if data is None:
        return None, f"cvc5 could not decide the check within {timeout_s:g} s"
    if "error" in data:
        return False, f"cvc5 rejected the check query: {data['error']}"
    answer = (data.get("outputs") or ["?"])[-1]
    if answer == "unsat":
        return True, ""
    if answer == "sat":
        return False, "cvc5 found inputs on which the answer violates a constraint"
    return None, f"cvc5 answered {answer}"
