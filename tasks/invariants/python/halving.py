def halve(n):
    assume(n >= 0)
    x = n
    steps = 0
    while x > 0:
        x = x // 2
        steps += 1
    assert x == 0
