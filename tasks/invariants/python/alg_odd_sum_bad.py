def odd_sum(n):
    assume(n >= 0)
    i = 0
    s = 0
    while i < n:
        s += 2 * i + 1
        i += 1
    assert s == n * n + i - n - 1
