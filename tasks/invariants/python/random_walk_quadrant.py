def walk():
    x = 0
    y = 0
    while unknown():
        if unknown():
            x += 1
        else:
            y += 1
    assert x >= 0 and y >= 0
