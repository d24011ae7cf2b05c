def countdown(n):
    assume(n >= 0)
    k = n
    steps = 0
    while k >= 0:
        k -= 1
        steps += 1
    assert steps == n
