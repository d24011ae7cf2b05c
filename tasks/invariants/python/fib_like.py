def fib_like(n):
    a, b = 0, 1
    i = 0
    while i < n:
        a, b = b, a + b
        i += 1
    assert b >= 1 and a >= 0
