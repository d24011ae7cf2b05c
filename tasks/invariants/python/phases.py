def phases():
    x = 0
    y = 0
    while x < 60:
        if x < 30:
            y += 1
        x += 1
    assert y == 30
