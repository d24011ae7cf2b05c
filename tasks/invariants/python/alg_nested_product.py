def product(n, m):
    assume(n >= 0 and m >= 0)
    i = 0
    c = 0
    while i < n:
        j = 0
        while j < m:
            c += 1
            j += 1
        i += 1
    assert c == n * m
