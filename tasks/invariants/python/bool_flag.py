def settle():
    done = False
    x = 0
    while not done:
        x += 1
        if x >= 5:
            done = True
    assert x == 5
