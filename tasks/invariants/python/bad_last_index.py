def last_index(n):
    assume(n > 0)
    last = -1
    for i in range(n):
        last = i
    assert last == n
