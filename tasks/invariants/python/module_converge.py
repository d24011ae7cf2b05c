x = 0
y = 100
while x < y:
    x += 1
    y -= 1
assert x == y
