# Fixture for tests/test_lsp.py: line numbers matter.


def transfer(a, b):
    assume(a >= 0 and b >= 0)
    total = a + b
    while a > 0:
        a -= 1
        b += 1
    assert b == total


def wrong(n):
    assume(n > 0)
    assert n > 1
