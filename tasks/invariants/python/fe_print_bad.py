def report(n: int) -> int:
    assert n >= 0
    a, b = 0, 0
    for i in range(n):
        print("i =", i, "a =", a, f"b={b}")
        a += 1
        b += a if a != 5 else a + 1
    print(a, b)
    assert 2 * b == a * (a + 1)
    return b
