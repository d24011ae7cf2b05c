def halves(x: int) -> int:
    q = x // 2
    r = x % 2
    assert x == 2 * q + r and 0 <= r < 2
    return q
