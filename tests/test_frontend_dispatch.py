"""The front-end package: ``load_program`` dispatches by language, and the table-driven statement walker that
the C and Python front ends share converts the statements alike in both to the same IR."""

from __future__ import annotations

import pytest

from recursa.symbolic.frontend import LOADERS, load_program
from recursa.symbolic.frontend.builder import StatementWalker
from recursa.symbolic.frontend.c import CFrontEnd
from recursa.symbolic.frontend.python import PythonFrontEnd
from recursa.symbolic.ir import Assert, Havoc, If, Loop, Return


def test_every_language_has_a_loader() -> None:
    assert set(LOADERS) == {"c", "python"}
    for fn in ("int f(int x) { assert(x == x); return x; }", "def f(x: int) -> int:\n    assert x == x\n"):
        lang = "c" if fn.startswith("int") else "python"
        prog = load_program(fn.encode(), lang)
        assert prog.language == lang and [u.name for u in prog.units] == ["f"]
        assert prog.units[0].function is not None and prog.units[0].function.language == lang


@pytest.mark.parametrize("walker", [CFrontEnd, PythonFrontEnd])
def test_tables_name_real_methods(walker: type[StatementWalker]) -> None:
    for kind, method in walker.STATEMENTS.items():
        assert callable(getattr(walker, method, None)), f"{walker.__name__}: {kind} -> {method}"
    assert not set(walker.SKIP) & set(walker.STATEMENTS)
    assert not set(walker.UNSUPPORTED) & (set(walker.STATEMENTS) | set(walker.SKIP))


@pytest.mark.parametrize(("lang", "source", "construct"), [
    ("c", "int f(int x) {\n  goto end;\n  end: return x;\n}\n", "goto"),
    ("c", "int f(int x) {\n  switch (x) { case 1: x = 2; }\n  return x;\n}\n", "switch"),
    ("c", "int f(int x) {\n  asm(\"nop\");\n  return x;\n}\n", "gnu asm expression"),  # by its node kind
    ("python", "def f(x: int) -> int:\n    with open('a') as h:\n        pass\n    return x\n", "with"),
    ("python", "def f(x: int) -> int:\n    try:\n        x = 1\n    except E:\n        x = 2\n    return x\n", "try"),
    ("python", "def f(x: int) -> int:\n    raise ValueError\n", "raise"),
])
def test_unsupported_statements_are_named(lang: str, source: str, construct: str) -> None:
    unit = load_program(source.encode(), lang).units[0]
    assert unit.function is None and unit.unsupported is not None
    assert unit.unsupported.construct == construct
    assert unit.unsupported.loc.line == 2


C_LOOP = """\
int f(int x) {
  while (x < unknown()) {
    if (x > 3) { x = x + 1; } else { x = x + 2; }
    if (x == 9) break;
  }
  assert(x >= 0);
  return x;
}
"""
PY_LOOP = """\
def f(x: int) -> int:
    while x < unknown():
        if x > 3: x = x + 1
        else: x = x + 2
        if x == 9: break
    assert x >= 0
    return x
"""


def test_shared_statements_convert_alike() -> None:
    """``while`` / ``if`` / ``break`` / ``return`` go through the shared walker in both languages: the same
    program gives the same statement shapes, locations and loop prelude (the condition's arbitrary value)."""
    shapes = []
    for lang, source, if_lines in (("c", C_LOOP, [3, 4]), ("python", PY_LOOP, [3, 5])):
        fn = load_program(source.encode(), lang).units[0].function
        assert fn is not None
        loop = next(s for s in fn.body if isinstance(s, Loop))
        assert loop.kind == "while" and loop.loc.line == 2 and not loop.do_while
        assert [type(s) for s in loop.prelude] == [Havoc]
        ifs = [s for s in loop.body if isinstance(s, If)]
        assert [s.loc.line for s in ifs] == if_lines and len(ifs[0].then) == len(ifs[0].orelse) == 1
        tail = [type(s) for s in fn.body if not isinstance(s, Loop)]
        shapes.append(tail[-2:])
    assert shapes[0] == shapes[1] == [Assert, Return]
