"""Shared geometry lists for the op tests: the odd, small and awkward shapes every op
family must get right (batch 1, one channel, odd sizes, stride > kernel, dilation,
padding, ceil mode), declared once."""

# pooling: (input shape, kernel_size, stride, padding, dilation, ceil_mode)
POOL2D = [
    ((1, 1, 4, 4), 2, None, 0, 1, False),
    ((2, 3, 7, 6), 3, 2, 1, 1, False),                 # overlapping windows, padding
    ((2, 2, 7, 7), 2, None, 0, 1, True),               # ceil_mode adds a partial window
    ((1, 2, 8, 9), (3, 2), (2, 3), (1, 1), (1, 2), True),
    ((2, 1, 9, 9), 3, 1, 1, 2, False),                 # dilation
    ((1, 2, 5, 5), 2, 4, 0, 1, False),                 # stride > kernel
    ((1, 2, 6, 5), (2, 3), 1, (1, 1), 1, True),
]

# the same without dilation (average pooling has none)
POOL2D_NO_DILATION = [g for g in POOL2D if g[4] == 1]

# convolution: (input shape, weight shape, stride, padding, dilation, groups)
CONV2D = [
    ((1, 1, 5, 5), (1, 1, 3, 3), 1, 0, 1, 1),
    ((2, 3, 8, 7), (4, 3, 3, 3), 1, 1, 1, 1),
    ((2, 4, 9, 9), (6, 2, 3, 3), 2, 1, 1, 2),          # groups, stride 2
    ((1, 2, 9, 8), (3, 2, 2, 3), (2, 1), (1, 0), (2, 1), 1),
    ((2, 3, 6, 6), (2, 3, 1, 1), 3, 0, 1, 1),          # stride > kernel
    ((1, 2, 7, 7), (4, 2, 5, 5), 1, 2, 1, 1),
]
