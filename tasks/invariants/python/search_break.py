def search(n):
    assume(n > 0)
    i = 0
    while True:
        if i == n:
            break
        i += 1
    assert i == n
