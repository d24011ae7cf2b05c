def gauss(k):
    assume(k >= 0)
    i = 0
    total = 0
    while i < k:
        total += i
        i += 1
    assert 2 * total == k * (k - 1)
