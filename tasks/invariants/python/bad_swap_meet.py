def swap_meet(n):
    a, b = 0, n
    while a < b:
        a, b = a + 1, b - 1
    assert a == b
