def scaled_sum(n: int, k: int) -> int:
    """A leading block of asserts is the precondition (as in CrossHair)."""
    assert n >= 0
    assert k >= 1
    total = 0
    i = 0
    while i < n:
        total += k
        i += 1
    assert total >= n
    return total
