def walk():
    x = 0
    while unknown():
        if unknown():
            x += 1
        else:
            x -= 1
    assert x >= 0
