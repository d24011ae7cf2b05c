"""C functions and a Python subset → the IR of :mod:`recursa.symbolic.ir`, from tree-sitter trees.

Supported: integer and boolean variables, assignments (also compound, ``++``/``--``, Python tuple and chained
assignment), if/else, while / for / do-while (C), while / ``for i in range(...)`` (Python), break, continue, return,
``assume(e)`` / ``__VERIFIER_assume(e)`` / ``assume_abort_if_not(e)``, ``assert(e)`` / ``__VERIFIER_assert(e)`` /
``assert e`` / ``reach_error()``, and nondeterministic values from calls to ``unknown*()``, ``nondet*()``,
``__VERIFIER_nondet_*()`` (``recursa.nondet_int()`` in Python). Uninitialised variables and parameters hold
arbitrary values. C unsigned types are integers kept in ``[0, 2**width)`` by an explicit ``mod 2**width`` after each
operation that can leave the range (under machine integers: 32-bit ones are bit patterns read unsigned by division,
``>>`` and comparisons, narrower ones are masked, and signed ``+ - * / % <<`` and unary ``-`` get an implicit
overflow check, :class:`Assert` of kind ``overflow``); C calls to functions of the same file are inlined;
``++``/``--`` may sit inside expressions. A Python function's leading asserts on its parameters are its precondition
(assumptions). Output calls (``printf``, ``print``) with inert arguments are dropped with a note
(:attr:`FunctionUnit.notes`). C local arrays, floating-point variables and calls to unknown functions are sliced:
writes to them are dropped with a note and reads are arbitrary values (:attr:`Havoc.unmodelled`). Anything else
raises :class:`UnsupportedError` naming the construct and its line:col; functions are then reported as unsupported,
never crash the run.

One module per language (:mod:`.c`, :mod:`.python`) over the shared :mod:`.builder`; :func:`load_program` parses a
file and hands it to the language's loader from :data:`LOADERS`.
"""

from __future__ import annotations

from collections.abc import Callable

from recursa.symbolic.frontend.builder import (
    ByStart,
    FunctionUnit,
    ProgramFile,
    Scan,
    Unsupported,
    UnsupportedError,
)
from recursa.symbolic.frontend.c import load_c
from recursa.symbolic.frontend.python import load_python
from recursa.trees.checks import statement_errors
from recursa.trees.flatten import syntax_errors
from recursa.trees.languages import get_language
from recursa.trees.queries import find

__all__ = ["LOADERS", "FunctionUnit", "ProgramFile", "Unsupported", "UnsupportedError", "load_program"]

#: Language name -> the function that converts a parsed file's functions into its units.
LOADERS: dict[str, Callable[[ProgramFile, Scan], None]] = {"c": load_c, "python": load_python}


def load_program(source: bytes, language: str, path: str = "<input>", int_semantics: str = "math") -> ProgramFile:
    """Parse ``source`` and convert every function that can be converted.

    Functions are found with the tree-sitter queries of :mod:`recursa.trees.queries`; a function whose
    conversion fails records an :class:`Unsupported` instead of raising. Syntax errors are listed in
    ``syntax_errors`` (the caller decides what to do with them; functions are still converted).
    """
    lang = get_language(language)
    tree = lang.parser().parse(source)
    root = tree.root_node
    prog = ProgramFile(path, lang.name, source, tree=tree)
    if root.has_error:
        prog.syntax_errors = syntax_errors(tree, source)
    # break/continue outside a loop, return outside a function: the compiler rejects them, so do we
    prog.syntax_errors = sorted(prog.syntax_errors + statement_errors(tree, source, lang.name),
                                key=lambda e: (e.line, e.column))
    funcs = find(lang.name, tree, "function")
    scan = Scan(root, funcs, ByStart(find(lang.name, tree, "loop")), ByStart(find(lang.name, tree, "assertion")),
                ByStart(funcs), int_semantics == "machine")
    loader = LOADERS.get(lang.name)
    if loader is None:
        raise ValueError(f"recursa verifies C and Python programs, not {lang.name}")
    loader(prog, scan)
    return prog
