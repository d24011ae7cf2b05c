def clamp():
    x = 0
    while x < 10 and unknown():
        x += 1
    assert 0 <= x <= 10
