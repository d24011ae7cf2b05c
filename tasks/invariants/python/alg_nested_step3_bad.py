def step3(n):
    assume(n >= 0)
    i = 0
    k = 0
    while i < n:
        j = 0
        while j < 3:
            k += 1
            j += 1
        i += 1
    assert k == 3 * n - 1
