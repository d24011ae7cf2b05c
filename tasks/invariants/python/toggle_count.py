def toggle(k):
    assume(k >= 0)
    on = False
    count = 0
    for step in range(k):
        on = not on
        if on:
            count += 1
    assert count <= k
