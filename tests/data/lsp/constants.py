# Fixture for tests/test_lsp.py: a module constant that a function's verdict depends on.
LIMIT = 3


def bounded(n):
    assume(n >= 0 and n < LIMIT)
    assert n <= 2


assert LIMIT > 0
