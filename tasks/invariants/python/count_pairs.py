def count(n):
    assume(n >= 0)
    i = 0
    s = 0
    while i < n:
        i += 1
        s += 2
    assert s == 2 * n
