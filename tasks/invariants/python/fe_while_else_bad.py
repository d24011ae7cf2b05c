def search(n: int, target: int) -> int:
    assert n >= 0
    i = 0
    found = False
    while i < n:
        if i == target:
            found = True
            break
        i += 1
    else:
        assert not found and i == n and target != n - 1
    assert i <= n
    return i
