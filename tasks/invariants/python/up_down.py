def up_down(n):
    assume(n >= 0)
    x = 0
    i = 0
    while i < n:
        i += 1
        x += 3
    while i > 0:
        i -= 1
        x -= 3
    assert x == 0
