def total(n):
    assume(n >= 0)
    s = 0
    for i in range(n):
        s += 1
    assert s == n
