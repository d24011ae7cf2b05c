def evens(n):
    assume(n >= 0)
    c = 0
    for i in range(0, 2 * n, 2):
        c += 1
    assert c == n
