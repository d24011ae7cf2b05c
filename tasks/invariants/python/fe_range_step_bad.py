def evens(lo: int, hi: int) -> int:
    assert 0 <= lo <= hi
    count = 0
    for j in range(lo, hi, 3):
        count += 1
    assert 2 * count >= hi - lo
    assert 2 * count <= hi - lo + 1
    return count
