def halves(x: int) -> int:
    q = x // 2
    r = x % 2
    assert q >= 0 or r == 1
    return q
