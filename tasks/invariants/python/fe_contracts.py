import recursa
from recursa import assume, nondet_int


def drain(n: int) -> int:
    assume(n >= 0)
    left = n
    used = 0
    while left > 0 and nondet_int() != 0:
        take = recursa.nondet_int()
        recursa.assume(1 <= take <= left)
        left -= take
        used += take
    assert left + used == n and left >= 0
    return used
