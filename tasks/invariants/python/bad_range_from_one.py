def count(n):
    assume(n >= 1)
    s = 0
    for i in range(1, n):
        s += 1
    assert s == n
