# Moving one unit at a time from a to b keeps the total: b ends holding everything.


def transfer(a, b):
    assume(a >= 0 and b >= 0)
    total = a + b
    while a > 0:
        a -= 1
        b += 1
    assert b == total


# A random walk that only ever steps right or up stays in the first quadrant.
def walk():
    x = 0
    y = 0
    while unknown():
        if unknown():
            x += 1
        else:
            y += 1
    assert x >= 0 and y >= 0
