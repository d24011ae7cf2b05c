def grid(n):
    assume(n >= 0)
    for i in range(n):
        row = 0
        for j in range(n):
            row += 1
        assert row == n
